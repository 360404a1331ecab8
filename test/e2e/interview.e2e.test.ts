import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer } from '../helpers/anthropicLoopbackServer';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable, loopbackOnlyContext, type RequestLog } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import { startLocalS3, type LocalS3 } from '../helpers/s3rverServer';
import { makeTempDir } from '../helpers/tempServices';
import { WALK_TYPED, walkInterview } from './interviewWalk';

/*
 * A whole interview in real Chromium (Debian's package; .ci/run installs it), through the
 * browser shell, against real services: SQLite, the sync worker with s3rver, the local
 * sandboxes, and the loopback Anthropic server. Screenshots of each screen go to
 * test-results/e2e/.
 */

const ROOT = join(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'test-results/e2e');
const KEY = 'sk-ant-e2e';
const ANSWER = 'Start from the smallest input and grow it.';

describe.skipIf(!chromiumAvailable())(`a whole interview in Chromium (${CHROMIUM_PATH})`, () => {
  let rendered: ReturnType<typeof buildRenderer>;
  let temp: ReturnType<typeof makeTempDir>;
  let s3: LocalS3;
  let anthropic: AnthropicLoopbackServer;
  let services: Services;
  let app: BrowserShellFixture;
  let page: Page;
  let requests: RequestLog;

  beforeAll(async () => {
    rendered = buildRenderer();
    mkdirSync(SCREENSHOTS, { recursive: true });
    temp = makeTempDir();
    s3 = await startLocalS3();
    anthropic = await startAnthropicLoopbackServer({ apiKey: KEY, defaultAnswer: { kind: 'text', text: ANSWER, deltas: 6, delayMs: 20 } });
    const config = configForDataDir(temp.dir, {
      storage: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      ai: { apiKey: KEY, baseURL: anthropic.url, model: 'claude-sonnet-4-6' },
    });
    services = createServices(config, { syncSettings: { pollIntervalMs: 200, chunkIntervalMs: 1_000, initialRetryDelayMs: 50, maxRetryDelayMs: 200, halfOpenAfterMs: 500 }, pickQuestion: () => 0 });
    app = await startBrowserShellFixture(services, rendered.rendererDir);
    ({ page, requests } = await loopbackOnlyContext(app.browser));
    // The page's CSP allows no eval: anything that tries it (zod's JIT probe, say) is reported here.
    await page.addInitScript(() => {
      const page = globalThis as unknown as { __cspViolations: string[]; addEventListener(type: string, listener: (event: { violatedDirective: string; sourceFile: string }) => void): void };
      page.__cspViolations = [];
      page.addEventListener('securitypolicyviolation', (event) => page.__cspViolations.push(`${event.violatedDirective} in ${event.sourceFile}`));
    });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await anthropic?.close();
    await s3?.dispose();
    temp?.cleanup();
    rendered?.cleanup();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('start, question, code, tests, assistant, an S3 outage, end, and the recording in S3 equals the local one', async () => {
    await page.goto(app.shell.url);
    await walkInterview({ page, shot, s3, candidateId: 'cand_e2e', assistantAnswer: ANSWER });
    const sessionId = services.database.db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE candidate_id = 'cand_e2e'").get()!.id;

    // The recording in S3, downloaded and decoded, is the local one, keystrokes included.
    await expect.poll(async () => (await services.sessions.getSession(sessionId)).syncState, { timeout: 30_000 }).toBe('SYNCED');
    const local = services.replay.getAllEvents(sessionId);
    const downloaded = await services.storage!.downloadSessionRecording(sessionId);
    expect(downloaded.events).toEqual(local);
    const typed = recordedText(services, sessionId);
    for (const text of WALK_TYPED) expect(typed).toContain(text);
    expect(local.some((event) => event.type === 'test_result')).toBe(true);
    expect(local.some((event) => event.type === 'paste')).toBe(true);
    expect(local.filter((event) => event.type === 'ai_interaction').map((event) => (event.data as { content: string }).content)).toEqual(['How should I start?', ANSWER]);

    // Nothing left 127.0.0.1: Monaco, its workers and everything else came from the app.
    expect(requests.offLoopback).toEqual([]);
    expect(requests.all.length).toBeGreaterThan(3);
    // And nothing in the page broke its content security policy.
    expect(await page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  }, 240_000);

  it('a reload mid-interview loses no keystroke and carries on in the same session', async () => {
    const context = await app.browser.newContext();
    const tab = await context.newPage();
    try {
      await tab.goto(app.shell.url);
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
