import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startBrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost } from '../../electron/ipc/handlers';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, loopbackOnlyContext } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import type { BenchResult } from './benchResult';
import { SeededRandom } from './random';
import { formatMs, formatNumber, summarize } from './stats';
import { withTempDir } from './withTempDir';

/** How the app bench is sized. */
export interface AppBenchOptions {
  /** Page loads timed for app.editor_ready_ms (each a fresh session). */
  loads: number;
  /** Characters per second typed, and for how long. */
  typingRate: number;
  typingSeconds: number;
}

export const DEFAULT_APP_BENCH_OPTIONS: AppBenchOptions = { loads: 5, typingRate: 20, typingSeconds: 60 };

const ROOT = join(import.meta.dirname, '../..');

/** One frame of Chromium's frame clock (60 Hz, headless too). */
const FRAME_MS = 1000 / 60;

/** In the page: key press (keydown's timestamp) to the editor's lines changing (a MutationObserver), per key. */
function installKeyProbe(): void {
  // Runs in the page; this file is compiled without DOM types.
  const page = globalThis as unknown as {
    document: { addEventListener(type: string, listener: (event: { timeStamp: number }) => void, capture: boolean): void; querySelector(selector: string): unknown };
    MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
    __keyProbe: { latencies: number[]; pressedAt: number[] };
  };
  const probe = { latencies: [] as number[], pressedAt: [] as number[] };
  page.document.addEventListener('keydown', (event) => probe.pressedAt.push(event.timeStamp), true);
  new page.MutationObserver(() => {
    const now = performance.now();
    while (probe.pressedAt.length > 0) probe.latencies.push(now - probe.pressedAt.shift()!);
  }).observe(page.document.querySelector('[data-testid="editor"] .view-lines'), { childList: true, subtree: true, characterData: true });
  page.__keyProbe = probe;
}

/**
 * app.*: the built page in headless Chromium through the browser shell, against real
 * services: how long until the editor is ready, and how long each key press takes to show.
 */
export async function runAppBench(options: AppBenchOptions = DEFAULT_APP_BENCH_OPTIONS): Promise<BenchResult[]> {
  if (!chromiumAvailable()) throw new Error(`the app bench needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`electron-vite build failed: ${build.stderr || build.stdout}`);
  return withTempDir('interviewlm-bench-app-', async (dir) => {
    const services = createServices(configForDataDir(dir), { syncRunner: 'none', pickQuestion: () => 0 });
    const host = createIpcHost(services, { name: 'InterviewLM', version: 'bench' });
    const shell = await startBrowserShell({ host, rendererDir: join(ROOT, 'out/renderer') });
    const browser = await launchChromium();
    try {
      // app.editor_ready_ms: navigation to an editable Monaco with the question shown (Start pressed as soon as it can be).
      const ready: number[] = [];
      let page = null as Awaited<ReturnType<typeof loopbackOnlyContext>>['page'] | null;
      let offLoopback: string[] = [];
      for (let load = 0; load < options.loads; load++) {
        const opened = await loopbackOnlyContext(browser);
        page = opened.page;
        offLoopback = opened.requests.offLoopback;
        await page.goto(shell.url);
        await page.getByTestId('candidate-input').fill(`bench_${load}`);
        await page.getByTestId('start-button').click();
        // The page's clock at the animation frame that first finds the editor ready, returned by
        // the check itself. Read afterwards in a second page.evaluate, it also counted the round
        // trips that bring waitForFunction's answer back to Playwright and the evaluate to the
        // page: 20-60 ms a load on this machine, up to ~280 ms while the page is busy with
        // Monaco's first render, none of which a candidate waits for.
        const readyAt = await page.waitForFunction(
          () => {
            // This file is compiled without DOM types; the function runs in the page.
            const document = (globalThis as { document?: { querySelector(selector: string): { textContent: string | null } | null } }).document!;
            const shown = Boolean(document.querySelector('[data-testid="question-title"]')?.textContent && document.querySelector('[data-testid="editor"] .monaco-editor textarea'));
            return shown && performance.now();
          },
          undefined,
          { polling: 'raf', timeout: 30_000 },
        );
        ready.push((await readyAt.jsonValue()) as number);
        if (load < options.loads - 1) await opened.context.close();
      }
      const readySummary = summarize(ready);

      // app.keystroke_p99_ms and app.keystrokes_recorded_ratio, on the last load's session.
      const sessionId = services.database.db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE candidate_id = ?').get(`bench_${options.loads - 1}`)!.id;
      await page!.locator('[data-testid="editor"] .monaco-editor').click();
      await page!.keyboard.press('ControlOrMeta+End');
      await page!.keyboard.press('Enter');
      await page!.evaluate(installKeyProbe);
      const typedBefore = recordedText(services, sessionId).length;
      const count = options.typingRate * options.typingSeconds;
      const interval = 1000 / options.typingRate;
      // Each key goes a random fraction of a frame after its 50 ms slot. Chromium draws on a fixed
      // 60 Hz frame clock and Monaco renders in the next frame, so a key waits up to a frame for
      // it. Sent exactly 50 ms (three frames) apart, every key fell at the same point of its frame,
      // drifting slowly, so a whole run measured that one point: p50 9.5 ms in one run and 16.1 ms
      // in the next, same build. A candidate's keys land anywhere in a frame, as these do. Seeded,
      // so runs compare.
      const phase = new SeededRandom(0x6b657973);
      const startedAt = performance.now();
      // Letters and spaces only: nothing Monaco would auto-close or auto-indent.
      const text = Array.from({ length: count }, (_, i) => (i % 7 === 6 ? ' ' : String.fromCharCode(97 + (i % 26)))).join('');
      for (let i = 0; i < count; i++) {
        const due = startedAt + i * interval + phase.between(0, FRAME_MS);
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await page!.keyboard.press(text[i] === ' ' ? 'Space' : text[i]!);
      }
      // The last key shows at the next frame: read once every key pressed has been seen (a key
      // never seen shows in the note's count of presses observed, not as a failed bench).
      await page!
        .waitForFunction(() => (globalThis as unknown as { __keyProbe: { pressedAt: number[] } }).__keyProbe.pressedAt.length === 0, undefined, { polling: 'raf', timeout: 5_000 })
        .catch(() => {});
      const latencies = await page!.evaluate(() => (globalThis as unknown as { __keyProbe: { latencies: number[] } }).__keyProbe.latencies);
      // What the recorder holds once its batches are in (End interview would flush; waiting is enough here).
      let recorded = 0;
      for (let attempt = 0; attempt < 100; attempt++) {
        recorded = recordedText(services, sessionId).length - typedBefore;
        if (recorded >= count) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const keys = summarize(latencies);
      const note = `built page (electron-vite build) in headless Chromium ${CHROMIUM_PATH}, served by the browser shell on 127.0.0.1 with real services (SQLite recorder)`;
      return [
        {
          id: 'app.editor_ready_ms',
          value: readySummary.p50,
          unit: 'ms',
          note: `p50 of ${options.loads} loads, each a fresh browser context and session: from navigation (performance.now() = 0) to the animation frame that first finds the question's title shown and Monaco's input present, with the candidate id filled and Start pressed as soon as possible; max ${formatMs(readySummary.max)} ms; ${note}; requests off 127.0.0.1: ${offLoopback.length}`,
        },
        {
          id: 'app.keystroke_p99_ms',
          value: keys.p99,
          unit: 'ms',
          note: `${formatNumber(count)} key presses at ${options.typingRate}/s for ${options.typingSeconds} s (letters and spaces), each at a random point of a frame: p99 from keydown (event.timeStamp) to the editor's lines changing (MutationObserver), in the page's clock; p50 ${formatMs(keys.p50)}, max ${formatMs(keys.max)} ms; ${keys.count} presses observed; ${note}`,
        },
        {
          id: 'app.keystrokes_recorded_ratio',
          value: recorded / count,
          unit: 'ratio',
          note: `characters in the session's code_edit events since typing began (${formatNumber(recorded)}) / characters typed (${formatNumber(count)})`,
        },
      ];
    } finally {
      await browser.close();
      await shell.close();
      host.dispose();
      await services.shutdown();
    }
  });
}
