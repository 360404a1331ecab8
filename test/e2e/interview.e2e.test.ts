import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost, type IpcHost } from '../../electron/ipc/handlers';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer } from '../helpers/anthropicLoopbackServer';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, loopbackOnlyContext, type RequestLog } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import { startLocalS3, type LocalS3 } from '../helpers/s3rverServer';
import { makeTempDir } from '../helpers/tempServices';

/*
 * A whole interview in real Chromium (Debian's package; .ci/run installs it), through the
 * browser shell, against real services: SQLite, the sync worker with s3rver, the local
 * sandboxes, and the loopback Anthropic server. Screenshots of each screen go to
 * test-results/e2e/.
 */

const ROOT = join(import.meta.dirname, '../..');
const RENDERER_DIR = join(ROOT, 'out/renderer');
const SCREENSHOTS = join(ROOT, 'test-results/e2e');
const KEY = 'sk-ant-e2e';
const ANSWER = 'Start from the smallest input and grow it.';

describe.skipIf(!chromiumAvailable())(`a whole interview in Chromium (${CHROMIUM_PATH})`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let s3: LocalS3;
  let anthropic: AnthropicLoopbackServer;
  let services: Services;
  let host: IpcHost;
  let shell: Awaited<ReturnType<typeof startBrowserShell>>;
  let browser: Browser;
  let page: Page;
  let requests: RequestLog;

  beforeAll(async () => {
    // The page as it ships: built by electron-vite (it needs no Electron binary).
    const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`electron-vite build failed: ${build.stderr || build.stdout}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    temp = makeTempDir();
    s3 = await startLocalS3();
    anthropic = await startAnthropicLoopbackServer({ apiKey: KEY, defaultAnswer: { kind: 'text', text: ANSWER, deltas: 6, delayMs: 20 } });
    const config = configForDataDir(temp.dir, {
      storage: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      ai: { apiKey: KEY, baseURL: anthropic.url, model: 'claude-sonnet-4-6' },
    });
    services = createServices(config, { syncSettings: { pollIntervalMs: 200, chunkIntervalMs: 1_000, initialRetryDelayMs: 50, maxRetryDelayMs: 200, halfOpenAfterMs: 500 }, pickQuestion: () => 0 });
    host = createIpcHost(services, { name: 'InterviewLM', version: 'e2e' });
    shell = await startBrowserShell({ host, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    ({ page, requests } = await loopbackOnlyContext(browser));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    host?.dispose();
    await services?.shutdown();
    await anthropic?.close();
    await s3?.dispose();
    temp?.cleanup();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const syncState = () => page.getByTestId('sync-indicator').getAttribute('data-state');

  it('start, question, code, tests, assistant, an S3 outage, end, and the recording in S3 equals the local one', async () => {
    await page.goto(shell.url);
    await page.getByTestId('candidate-input').fill('cand_e2e');
    await shot('1-start');
    await page.getByTestId('start-button').click();

    await expect.poll(() => page.getByTestId('question-title').textContent(), { timeout: 20_000 }).toBeTruthy();
    await page.locator('[data-testid="editor"] .monaco-editor').waitFor({ timeout: 20_000 });
    await shot('2-workspace');
    const sessionId = services.database.db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE candidate_id = 'cand_e2e'").get()!.id;
    const questionId = services.database.db.prepare<[], { id: string }>("SELECT id FROM questions WHERE candidate_id = 'cand_e2e'").get()!.id;
    const question = services.questions.getQuestion(questionId);

    // The solution, in the question's language as the workspace opened it.
    const language = (await page.getByTestId('language-select').inputValue()) as 'javascript' | 'typescript' | 'python';
    await page.locator('[data-testid="editor"] .monaco-editor').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // Pasted, as a candidate might: typing it would have Monaco auto-indent and auto-close brackets.
    await page.evaluate((text) => {
      // Runs in the page; this file is compiled without DOM types.
      const window = globalThis as unknown as {
        DataTransfer: new () => { setData(type: string, value: string): void };
        ClipboardEvent: new (type: string, init: Record<string, unknown>) => unknown;
        document: { activeElement: { dispatchEvent(event: unknown): boolean } };
      };
      const clipboardData = new window.DataTransfer();
      clipboardData.setData('text/plain', text);
      window.document.activeElement.dispatchEvent(new window.ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
    }, question.referenceSolution[language]);
    await page.keyboard.press('ControlOrMeta+End');
    // And some keystrokes, one key at a time, as a candidate types.
    const comment = language === 'python' ? '\n# checked by hand' : '\n// checked by hand';
    await page.keyboard.type(comment, { delay: 30 });

    await page.getByTestId('run-tests').click();
    await expect.poll(async () => {
      const summary = page.getByTestId('results-summary');
      const [passed, total] = [await summary.getAttribute('data-passed'), await summary.getAttribute('data-total')];
      return total !== null && total !== '0' && passed === total;
    }, { timeout: 30_000 }).toBe(true);
    await shot('3-tests-passed');

    await page.getByTestId('assistant-input').fill('How should I start?');
    await page.getByTestId('assistant-send').click();
    await expect.poll(() => page.getByTestId('assistant-answer').getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    expect(await page.getByTestId('assistant-answer').textContent()).toContain(ANSWER);
    await shot('4-assistant');

    // S3 goes away: the page says offline, with events waiting; recording goes on.
    await s3.stop();
    await page.locator('[data-testid="editor"] .monaco-editor').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type(language === 'python' ? '\n# offline for a while' : '\n// offline for a while', { delay: 30 });
    await expect.poll(syncState, { timeout: 20_000 }).toBe('offline');
    const pending = async () => Number(/(\d+) pending/.exec((await page.getByTestId('sync-indicator').textContent()) ?? '')?.[1] ?? Number.NaN);
    const before = await pending();
    expect(before).toBeGreaterThan(0);
    await page.keyboard.type(' and more', { delay: 30 });
    await expect.poll(pending, { timeout: 10_000 }).toBeGreaterThan(before);
    await shot('5-offline');
    await s3.start();
    await expect.poll(syncState, { timeout: 20_000 }).not.toBe('offline');

    await page.getByTestId('end-interview').click();
    await page.getByTestId('confirm-end').click();
    await page.getByTestId('done-screen').waitFor({ timeout: 60_000 });
    await shot('6-done');

    // The recording in S3, downloaded and decoded, is the local one, keystrokes included.
    await expect.poll(async () => (await services.sessions.getSession(sessionId)).syncState, { timeout: 30_000 }).toBe('SYNCED');
    const local = services.replay.getAllEvents(sessionId);
    const downloaded = await services.storage!.downloadSessionRecording(sessionId);
    expect(downloaded.events).toEqual(local);
    const typed = recordedText(services, sessionId);
    expect(typed).toContain('checked by hand');
    expect(typed).toContain('offline for a while');
    expect(typed).toContain(' and more');
    expect(local.some((event) => event.type === 'test_result')).toBe(true);
    expect(local.some((event) => event.type === 'paste')).toBe(true);
    expect(local.filter((event) => event.type === 'ai_interaction').map((event) => (event.data as { content: string }).content)).toEqual(['How should I start?', ANSWER]);

    // Nothing left 127.0.0.1: Monaco, its workers and everything else came from the app.
    expect(requests.offLoopback).toEqual([]);
    expect(requests.all.length).toBeGreaterThan(3);
  }, 240_000);

  it('a reload mid-interview loses no keystroke and carries on in the same session', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    try {
      await tab.goto(shell.url);
      await tab.getByTestId('candidate-input').fill('cand_reload');
      await tab.getByTestId('start-button').click();
      await tab.locator('[data-testid="editor"] .monaco-editor').waitFor({ timeout: 20_000 });
      const sessionId = services.database.db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE candidate_id = 'cand_reload'").get()!.id;
      await tab.locator('[data-testid="editor"] .monaco-editor').click();
      await tab.keyboard.press('ControlOrMeta+End');
      // Typed, then reloaded at once: the last keys are still in the recorder's batch.
      await tab.keyboard.type('\nzq before reload');
      await tab.reload();
      await tab.locator('[data-testid="editor"] .monaco-editor').waitFor({ timeout: 20_000 });
      await tab.locator('[data-testid="editor"] .monaco-editor').click();
      await tab.keyboard.press('ControlOrMeta+End');
      await tab.keyboard.type('\nzq after reload', { delay: 5 });
      const inserted = () => recordedText(services, sessionId);
      await expect.poll(inserted, { timeout: 10_000 }).toContain('zq after reload');
      expect(inserted()).toContain('zq before reload');
      // One session throughout, still recording, its chain intact.
      expect(services.database.db.prepare("SELECT count(*) FROM sessions WHERE candidate_id = 'cand_reload'").pluck().get()).toBe(1);
      expect(await services.sessions.getSession(sessionId)).toMatchObject({ status: 'ACTIVE' });
      expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true });
      await tab.screenshot({ path: join(SCREENSHOTS, '7-after-reload.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});
