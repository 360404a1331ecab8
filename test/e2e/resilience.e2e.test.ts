import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { MAX_EVENT_BYTES, MAX_EVENT_TEXT } from '../../renderer/src/recording/editorRecorder';
import { buildRenderer, startBrowserShellFixture, type BrowserShellFixture } from '../helpers/browserShellFixture';
import { CHROMIUM_PATH, chromiumAvailable } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import { makeTempDir } from '../helpers/tempServices';
import { pasteIntoFocused } from './interviewWalk';

/*
 * Bad input, in real Chromium through the browser shell against real services: the socket
 * dropped mid-typing, a second window on the same session, a 5 MB paste, and an editor whose
 * script cannot load. The page is
 * built into a temp folder of its own, so this file and interview.e2e.test.ts can build at
 * the same time. Screenshots go to test-results/e2e/.
 */

const ROOT = join(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'test-results/e2e');
const EDITOR = '[data-testid="editor"] .monaco-editor';

/** The page's globals this file touches; it is compiled without DOM types. */
type PageGlobals = {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  location: { href: string };
  open(url: string): unknown;
  performance: { now(): number };
};

/** The 5 MB paste: 50,000 lines of 100 characters. */
function hugeText(lines: number): string {
  return Array.from({ length: lines }, (_, index) => `row ${String(index).padStart(6, '0')} ${'x'.repeat(89)}`).join('\n');
}
const HUGE_LINES = 50_000;

describe.skipIf(!chromiumAvailable())(`bad input in Chromium (${CHROMIUM_PATH})`, () => {
  let rendered: ReturnType<typeof buildRenderer>;
  let temp: ReturnType<typeof makeTempDir>;
  let services: Services;
  let app: BrowserShellFixture;
  let shell: BrowserShellFixture['shell'];
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    rendered = buildRenderer();
    mkdirSync(SCREENSHOTS, { recursive: true });
    temp = makeTempDir();
    services = createServices(configForDataDir(temp.dir), { pickQuestion: () => 0, syncRunner: 'none' });
    app = await startBrowserShellFixture(services, rendered.rendererDir);
    ({ shell, browser } = app);
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await app?.close();
    temp?.cleanup();
    rendered?.cleanup();
  });

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext();
    contexts.push(context);
    return { context, page: await context.newPage() };
  };

  /** Start, then the workspace with its editor; returns the session id. */
  const startInterview = async (page: Page, candidateId: string): Promise<string> => {
    await page.goto(shell.url);
    await page.getByTestId('candidate-input').fill(candidateId);
    await page.getByTestId('start-button').click();
    await page.locator(EDITOR).waitFor({ timeout: 30_000 });
    return services.database.db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE candidate_id = ?').get(candidateId)!.id;
  };

  /** The text Monaco shows (spaces come back as no-break spaces). */
  const shownText = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="editor"] .view-lines')?.textContent ?? '');
  const eventsOf = (sessionId: string, type: string) => services.replay.getAllEvents(sessionId).filter((event) => event.type === type);
  const overlay = (page: Page) => page.getByTestId('open-elsewhere');

  it('records every character once, in order, while the socket is cut again and again mid-typing', async () => {
    const { page } = await newPage();
    let sockets = 0;
    page.on('websocket', () => (sockets += 1));
    const sessionId = await startInterview(page, 'cand_drop');
    await page.locator(EDITOR).click();
    await page.keyboard.press('ControlOrMeta+End');
    // Letters and digits only: nothing Monaco would auto-close or auto-indent.
    const typed = `zq${Array.from({ length: 300 }, (_, index) => 'abcdefghijklmnopqrstuvwxyz0123456789'[index % 36]).join('')}`;
    let typingDone = false;
    const typing = page.keyboard.type(typed, { delay: 20 }).then(() => (typingDone = true));
    let cutWhileTyping = 0;
    for (let drop = 0; drop < 3; drop += 1) {
      // Once the page is connected again (a new socket since the last cut), a moment of typing, then cut.
      await expect.poll(() => sockets, { timeout: 15_000 }).toBeGreaterThan(drop);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const cut = shell.dropConnections();
      if (!typingDone) cutWhileTyping += cut;
    }
    await typing;

    await expect.poll(() => recordedText(services, sessionId), { timeout: 30_000 }).toBe(typed);
    expect(cutWhileTyping).toBeGreaterThanOrEqual(3);
    expect(sockets).toBeGreaterThan(3);
    const [file] = services.replay.getFilesAt(sessionId, { seq: services.replay.getAllEvents(sessionId).at(-1)!.seq });
    expect(file!.content.endsWith(typed)).toBe(true);
    expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'resilience-1-after-drops.png'), fullPage: true });

    // A reload is a new caller: it gets the session once the old page's sockets are gone, with no overlay.
    await page.reload();
    await page.locator(EDITOR).waitFor({ timeout: 30_000 });
    await page.locator(EDITOR).click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('zqreloaded', { delay: 10 });
    await expect.poll(() => recordedText(services, sessionId), { timeout: 15_000 }).toBe(`${typed}zqreloaded`);
    expect(await overlay(page).count()).toBe(0);
  }, 120_000);

  it('a second window on the session writes nothing behind its overlay until "Use it here", and then the first one stops', async () => {
    const { context, page: first } = await newPage();
    const sessionId = await startInterview(first, 'cand_two');
    await first.locator(EDITOR).click();
    await first.keyboard.press('ControlOrMeta+End');
    await first.keyboard.type('zqfirst', { delay: 10 });
    await expect.poll(() => recordedText(services, sessionId)).toBe('zqfirst');
    const viewed = eventsOf(sessionId, 'question_viewed').length;

    // window.open: the new window gets a copy of the tab's sessionStorage, so it opens the same session.
    const [second] = await Promise.all([
      context.waitForEvent('page'),
      first.evaluate(() => {
        const page = globalThis as unknown as PageGlobals;
        page.open(page.location.href);
      }),
    ]);
    await overlay(second).waitFor({ timeout: 30_000 });
    await second.locator(EDITOR).waitFor();
    expect(await overlay(second).textContent()).toContain('This interview is open in another window');
    expect(await overlay(first).count()).toBe(0);
    // Its editor is read-only: keys change nothing, and nothing of it reaches the recording.
    await second.keyboard.type('zzblocked', { delay: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await shownText(second)).not.toContain('zzblocked');
    expect(recordedText(services, sessionId)).toBe('zqfirst');
    expect(eventsOf(sessionId, 'question_viewed')).toHaveLength(viewed);
    expect(eventsOf(sessionId, 'session_resumed')).toHaveLength(0);
    await second.screenshot({ path: join(SCREENSHOTS, 'resilience-2-open-elsewhere.png'), fullPage: true });

    await second.getByTestId('use-here').click();
    await expect.poll(() => overlay(second).count(), { timeout: 15_000 }).toBe(0);
    await overlay(first).waitFor({ timeout: 15_000 });
    // What it held (its question_viewed) is sent now; then its typing is recorded.
    await expect.poll(() => eventsOf(sessionId, 'question_viewed').length).toBe(viewed + 1);
    await second.locator(EDITOR).click();
    await second.keyboard.press('ControlOrMeta+End');
    await second.keyboard.type('zqsecond', { delay: 10 });
    await expect.poll(() => recordedText(services, sessionId)).toBe('zqfirstzqsecond');
    await first.keyboard.type('zzstale', { delay: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(recordedText(services, sessionId)).toBe('zqfirstzqsecond');
    await first.screenshot({ path: join(SCREENSHOTS, 'resilience-3-taken-over.png'), fullPage: true });

    // And back: the first window shows what the second one wrote, and records again.
    await first.getByTestId('use-here').click();
    await overlay(second).waitFor({ timeout: 15_000 });
    await expect.poll(() => shownText(first)).toContain('zqsecond');
    await first.locator(EDITOR).click();
    await first.keyboard.press('ControlOrMeta+End');
    await first.keyboard.type('zqagain', { delay: 10 });
    await expect.poll(() => recordedText(services, sessionId)).toBe('zqfirstzqsecondzqagain');
    const [file] = services.replay.getFilesAt(sessionId, { seq: services.replay.getAllEvents(sessionId).at(-1)!.seq });
    expect(file!.content.endsWith('zqfirstzqsecondzqagain')).toBe(true);
    expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true });
  }, 180_000);

  it('records a 5 MB paste (the paste capped, the edit whole), and the editor keeps answering keys', async () => {
    const { page } = await newPage();
    const sessionId = await startInterview(page, 'cand_paste');
    await page.locator(EDITOR).click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    const text = hugeText(HUGE_LINES);
    expect(text.length).toBeGreaterThan(5_000_000);
    // Pasted as a candidate would (a clipboard paste event into Monaco), not typed.
    await pasteIntoFocused(page, text);

    // Responsive: a key typed right after shows up in the editor within a generous bound, timed in the page.
    await page.keyboard.press('ControlOrMeta+End');
    const pressedAt = await page.evaluate(() => (globalThis as unknown as PageGlobals).performance.now());
    await page.keyboard.type('zqend');
    const shown = await page.waitForFunction(
      () => {
        const page = globalThis as unknown as PageGlobals;
        return (page.document.querySelector('[data-testid="editor"] .view-lines')?.textContent ?? '').includes('zqend') ? page.performance.now() : false;
      },
      undefined,
      { timeout: 60_000, polling: 50 },
    );
    const keyToScreenMs = ((await shown.jsonValue()) as number) - pressedAt;
    expect(keyToScreenMs).toBeLessThan(15_000);

    // The edit content, whole and in order, in code_edits each within the event limit.
    await expect.poll(() => recordedText(services, sessionId) === `${text}zqend`, { timeout: 90_000, interval: 500 }).toBe(true);
    const edits = eventsOf(sessionId, 'code_edit');
    for (const edit of edits) {
      const changes = (edit.data as { changes: { text: string }[] }).changes;
      expect(changes.reduce((sum, change) => sum + change.text.length, 0)).toBeLessThanOrEqual(MAX_EVENT_TEXT);
    }
    for (const event of services.replay.getAllEvents(sessionId)) expect(Buffer.byteLength(JSON.stringify(event.data))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    // The paste itself: its full length and line count, its content cut at the cap and marked so.
    const pastes = eventsOf(sessionId, 'paste');
    expect(pastes).toHaveLength(1);
    expect(pastes[0]!.data).toEqual({ text: text.slice(0, MAX_EVENT_TEXT), length: text.length, lines: HUGE_LINES, target: 'editor', truncated: true });
    const [file] = services.replay.getFilesAt(sessionId, { seq: services.replay.getAllEvents(sessionId).at(-1)!.seq });
    expect(file!.content === `${text}zqend`).toBe(true);

    // Past the idle snapshot (3 s): a snapshot of a 5 MB file would be refused; none is tried, so no warning.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await page.getByTestId('recorder-status').count()).toBe(0);
    expect(await services.sessions.verifySession(sessionId)).toMatchObject({ valid: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'resilience-4-huge-paste.png'), fullPage: true });
  }, 240_000);

  it('an editor that cannot load: Start says so and starts no session; with the editor back, Start opens one', async () => {
    const { context, page } = await newPage();
    // Monaco's script fails as a broken install's would; the page itself loads.
    await context.route('**/assets/editor.api-*.js', (route) => route.abort('failed'));
    await page.goto(shell.url);
    await page.getByTestId('candidate-input').fill('cand_no_editor');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 }).toMatch(/\S/);
    expect(await page.locator(EDITOR).count()).toBe(0);
    const sessionsOf = (candidateId: string) => services.database.db.prepare<[string], { id: string; status: string }>('SELECT id, status FROM sessions WHERE candidate_id = ?').all(candidateId);
    // Monaco is awaited before the session is begun: nothing was started, so nothing is left to resume.
    expect(sessionsOf('cand_no_editor')).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'resilience-5-editor-cannot-load.png'), fullPage: true });

    await context.unroute('**/assets/editor.api-*.js');
    await page.goto(shell.url);
    await page.getByTestId('candidate-input').fill('cand_no_editor');
    await page.getByTestId('start-button').click();
    await page.locator(EDITOR).waitFor({ timeout: 30_000 });
    expect(sessionsOf('cand_no_editor')).toEqual([expect.objectContaining({ status: 'ACTIVE' })]);
  }, 120_000);
});
