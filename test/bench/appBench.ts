import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startBrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost } from '../../electron/ipc/handlers';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, loopbackOnlyContext } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import type { BenchResult } from './benchResult';
import { SeededRandom } from './random';
import { formatMs, formatNumber, summarize } from './stats';
import { launchUninstrumentedChromium, type NewPageOptions, type UninstrumentedChromium } from './uninstrumentedChromium';
import { withTempDir } from './withTempDir';

/** How the app bench is sized. */
export interface AppBenchOptions {
  /** Page loads timed for app.editor_ready_ms, and as many again for each of its two context figures (each a fresh session). */
  loads: number;
  /** Characters per second typed, and for how long (app.keystroke_p99_ms). */
  typingRate: number;
  typingSeconds: number;
  /** Seconds typed first, from the moment the editor is ready (app.keystroke_p99_ms_at_open). */
  openSeconds: number;
}

export const DEFAULT_APP_BENCH_OPTIONS: AppBenchOptions = { loads: 7, typingRate: 20, typingSeconds: 60, openSeconds: 10 };

const ROOT = join(import.meta.dirname, '../..');

/** The domains the control loads turn on: those Playwright turns on that bear on a page's script. */
const CONTROL_DOMAINS = ['Runtime', 'Network'];

/** How long the app bench lets its freshly launched browsers settle before the first timed load. */
const BROWSER_SETTLE_MS = 3_000;

/** One frame of Chromium's frame clock (60 Hz, headless too). */
const FRAME_MS = 1000 / 60;

/** What the page's key probe collected since it was last drained. */
interface KeyProbeReadings {
  /** Per key: keydown (event.timeStamp) to the editor's lines changing (a MutationObserver), ms. */
  latencies: number[];
  /** Per key that took 16 ms or more to paint (Event Timing): keydown to the next paint, ms. */
  paints: number[];
  /** Keys pressed and not yet seen in the editor's lines. */
  unseen: number;
}

/** The page's key probe: what it has collected since it was last drained. */
interface KeyProbe {
  latencies: number[];
  /** Event Timing's entries delivered so far (its observer's takeRecords() holds the rest). */
  paintEntries: PaintEntry[];
  /** keydown timestamps of keys not yet seen in the editor's lines. */
  pressedAt: number[];
  /** Entries of events before this (the page's clock) belong to the phase drained before. */
  since: number;
  /** The Event Timing observer: its takeRecords() hands over what it has not delivered yet. */
  paintObserver: { takeRecords(): PaintEntry[] } | null;
}

/** An Event Timing entry, as far as the probe reads it. */
interface PaintEntry {
  startTime: number;
  duration: number;
  interactionId?: number;
}

/**
 * In the page: per key press, the time from keydown (its event.timeStamp) to the editor's lines
 * changing (a MutationObserver), and from keydown to the next paint after the key was handled
 * (Event Timing: one interaction a key, the longest of its keydown, keypress and keyup entries;
 * reported from 16 ms, rounded to 8). Drained by `drainKeyProbe`.
 */
function installKeyProbe(): void {
  // Runs in the page; this file is compiled without DOM types. No named functions in here: the
  // bench's compiler would wrap them in a helper the page does not have.
  const page = globalThis as unknown as {
    document: { addEventListener(type: string, listener: (event: { timeStamp: number }) => void, capture: boolean): void; querySelector(selector: string): unknown };
    MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
    PerformanceObserver: new (callback: (list: { getEntries(): PaintEntry[] }) => void) => { observe(options: Record<string, unknown>): void; takeRecords(): PaintEntry[] };
    __keyProbe: KeyProbe;
  };
  const probe: KeyProbe = { latencies: [], paintEntries: [], pressedAt: [], since: performance.now(), paintObserver: null };
  page.document.addEventListener('keydown', (event) => probe.pressedAt.push(event.timeStamp), true);
  new page.MutationObserver(() => {
    const now = performance.now();
    while (probe.pressedAt.length > 0) probe.latencies.push(now - probe.pressedAt.shift()!);
  }).observe(page.document.querySelector('[data-testid="editor"] .view-lines'), { childList: true, subtree: true, characterData: true });
  const paints = new page.PerformanceObserver((list) => probe.paintEntries.push(...list.getEntries()));
  paints.observe({ type: 'event', durationThreshold: 16 });
  probe.paintObserver = paints;
  page.__keyProbe = probe;
}

/**
 * In the page: hands over what the key probe holds and clears it, keys never seen included, so
 * nothing of one phase is counted in the next.
 */
function drainKeyProbe(): KeyProbeReadings {
  const probe = (globalThis as unknown as { __keyProbe: KeyProbe }).__keyProbe;
  // One interaction a key: the longest of its entries; entries of keys before `since` were the phase before's.
  const paints = new Map<number, number>();
  for (const entry of [...probe.paintEntries, ...(probe.paintObserver?.takeRecords() ?? [])]) {
    if (entry.interactionId && entry.startTime >= probe.since) paints.set(entry.interactionId, Math.max(paints.get(entry.interactionId) ?? 0, entry.duration));
  }
  const readings = { latencies: probe.latencies, paints: [...paints.values()], unseen: probe.pressedAt.length };
  probe.latencies = [];
  probe.paintEntries = [];
  probe.pressedAt.length = 0;
  probe.since = performance.now();
  return readings;
}

/**
 * Presses `keys` at `rate` a second, each a random fraction of a frame after its slot, then
 * waits for the last to show and drains the page's key probe.
 */
async function typeAndRead(page: Page, keys: readonly string[], rate: number, phase: SeededRandom): Promise<KeyProbeReadings> {
  const interval = 1000 / rate;
  // Each key goes a random fraction of a frame after its slot. Chromium draws on a fixed 60 Hz
  // frame clock: sent exactly 50 ms (three frames) apart, every key fell at the same point of its
  // frame, drifting slowly, so a whole run measured that one point (p50 9.5 ms in one run and
  // 16.1 ms in the next, same build, when Monaco rendered in the next frame). A candidate's keys
  // land anywhere in a frame, as these do. Seeded, so runs compare.
  const startedAt = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const due = startedAt + i * interval + phase.between(0, FRAME_MS);
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await page.keyboard.press(keys[i]!);
  }
  // Read once every key pressed has been seen (a key never seen shows in the notes, not as a failed bench).
  await page
    .waitForFunction(() => (globalThis as unknown as { __keyProbe: KeyProbe }).__keyProbe.pressedAt.length === 0, undefined, { polling: 'raf', timeout: 5_000 })
    .catch(() => {});
  // Event Timing reports a key once its next frame is painted.
  await page.evaluate(() => {
    const nextFrame = (globalThis as unknown as { requestAnimationFrame(callback: () => void): number }).requestAnimationFrame;
    return new Promise<void>((resolve) => nextFrame(() => nextFrame(resolve)));
  });
  return page.evaluate(drainKeyProbe);
}

/** Percentiles of key-to-paint times of which only those of 16 ms or more were reported: the rest count as 0 (under 16). */
function paintSummary(reported: readonly number[], keys: number): { p95: number; p99: number; max: number } {
  const all = [...reported, ...new Array<number>(Math.max(0, keys - reported.length)).fill(0)];
  const summary = summarize(all);
  return { p95: summary.p95, p99: summary.p99, max: summary.max };
}

/**
 * In the page, as an expression: the page's clock at the moment the question's title is shown
 * and Monaco's input is present, or false before. One definition for both drivers.
 */
const EDITOR_READY_AT = `Boolean(document.querySelector('[data-testid="question-title"]')?.textContent && document.querySelector('[data-testid="editor"] .monaco-editor textarea')) && performance.now()`;

/** In the page, as an expression: a promise of `condition`'s first truthy value, checked once a frame. */
function eachFrameUntil(condition: string, timeoutMs = 30_000): string {
  return `new Promise((resolve, reject) => {
    const deadline = performance.now() + ${timeoutMs};
    const check = () => {
      const value = (${condition});
      if (value) resolve(value);
      else if (performance.now() > deadline) reject(new Error('not within ${timeoutMs} ms: ' + ${JSON.stringify(condition)}));
      else requestAnimationFrame(check);
    };
    check();
  })`;
}

/** In the page, as an expression: the page's resource requests that went anywhere but 127.0.0.1. */
const REQUESTS_OFF_LOOPBACK = `performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => /^(https?|wss?):/.test(url) && !/^(https?|wss?):\\/\\/127\\.0\\.0\\.1[:/]/.test(url))`;

/** One timed load: the page's clock when the editor was ready, and its requests off 127.0.0.1. */
interface TimedLoad {
  readyAt: number;
  offLoopback: readonly string[];
}

/**
 * One load on the bare protocol: navigation, the candidate id typed, Start clicked with the mouse
 * as soon as it is enabled, then the page's clock at the animation frame that first finds the
 * editor ready. The page is closed at once, as Playwright's are.
 */
async function timeUninstrumentedLoad(browser: UninstrumentedChromium, url: string, candidateId: string, options: NewPageOptions = {}): Promise<TimedLoad> {
  const page = await browser.newPage(options);
  try {
    await page.navigate(url);
    await page.evaluate(eachFrameUntil(`(() => { const input = document.querySelector('[data-testid="candidate-input"]'); if (!input || input.disabled) return false; input.focus(); return true; })()`));
    await page.insertText(candidateId);
    const start = await page.evaluate<{ x: number; y: number }>(
      eachFrameUntil(`(() => { const button = document.querySelector('[data-testid="start-button"]'); if (!button || button.disabled) return false; const box = button.getBoundingClientRect(); return { x: box.x + box.width / 2, y: box.y + box.height / 2 }; })()`),
    );
    await page.click(start.x, start.y);
    const readyAt = await page.evaluate<number>(eachFrameUntil(EDITOR_READY_AT));
    return { readyAt, offLoopback: await page.evaluate<string[]>(REQUESTS_OFF_LOOPBACK) };
  } finally {
    await page.close();
  }
}

/** The same load through Playwright, in a loopback-only context; the page is left open. */
async function loadUnderPlaywright(browser: Browser, url: string, candidateId: string): Promise<TimedLoad & { page: Page; context: BrowserContext }> {
  const { page, context, requests } = await loopbackOnlyContext(browser);
  await page.goto(url);
  await page.getByTestId('candidate-input').fill(candidateId);
  await page.getByTestId('start-button').click();
  // The page's clock at the animation frame that first finds the editor ready, returned by the
  // check itself, not read in a later round trip. A function, not a string: the page's CSP
  // forbids the eval Playwright would use for one.
  const readyAt = await page.waitForFunction(new Function(`return ${EDITOR_READY_AT}`) as () => number | false, undefined, { polling: 'raf', timeout: 30_000 });
  return { readyAt: (await readyAt.jsonValue()) as number, offLoopback: requests.offLoopback, page, context };
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
      // app.editor_ready_ms: navigation to an editable Monaco with the question shown (Start
      // pressed as soon as it can be), on the bare protocol, as a candidate's window has none;
      // beside it the same with Runtime and Network turned on (the control), and under
      // Playwright. Each round loads once with each, in an order that turns round by round, each
      // page closed as soon as it is timed (no load shares the machine with the TypeScript worker
      // the one before started), from 3 s after the browsers are launched (a fresh Chromium's own
      // start-up made the first loads after it ~300-500 ms slower).
      const uninstrumented = await launchUninstrumentedChromium();
      const drivers = {
        plain: (candidateId: string) => timeUninstrumentedLoad(uninstrumented, shell.url, candidateId),
        withDomains: (candidateId: string) => timeUninstrumentedLoad(uninstrumented, shell.url, candidateId, { enable: CONTROL_DOMAINS }),
        playwright: async (candidateId: string): Promise<TimedLoad> => {
          const { context, ...load } = await loadUnderPlaywright(browser, shell.url, candidateId);
          await context.close();
          return load;
        },
      };
      const driverNames = Object.keys(drivers) as (keyof typeof drivers)[];
      const timings = Object.fromEntries(driverNames.map((name) => [name, [] as number[]])) as Record<keyof typeof drivers, number[]>;
      const offLoopback: string[] = [];
      try {
        await new Promise((resolve) => setTimeout(resolve, BROWSER_SETTLE_MS));
        for (let load = 0; load < options.loads; load++) {
          for (let turn = 0; turn < driverNames.length; turn++) {
            const name = driverNames[(load + turn) % driverNames.length]!;
            const { readyAt, offLoopback: off } = await drivers[name](`bench_${name}_${load}`);
            timings[name].push(readyAt);
            offLoopback.push(...off);
          }
        }
      } finally {
        await uninstrumented.close();
      }
      const readySummary = summarize(timings.plain);

      // app.keystroke_p99_ms and app.keystrokes_recorded_ratio, in one more (untimed) load through Playwright.
      const { page } = await loadUnderPlaywright(browser, shell.url, 'bench_typing');
      const sessionId = services.database.db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE candidate_id = ?').get('bench_typing')!.id;
      await page.locator('[data-testid="editor"] .monaco-editor').click();
      await page.keyboard.press('ControlOrMeta+End');
      const beforeEnter = recordedText(services, sessionId).length;
      await page.keyboard.press('Enter');
      await page.evaluate(installKeyProbe);
      // Counted from once the Enter's edit is recorded: the recorder sends edits in batches, and
      // read at once, a newline still in a batch was counted as typed (1,401 of 1,400).
      let typedBefore = beforeEnter;
      for (let attempt = 0; attempt < 100 && typedBefore === beforeEnter; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        typedBefore = recordedText(services, sessionId).length;
      }
      if (typedBefore === beforeEnter) throw new Error('the Enter before typing was never recorded');
      // Letters and spaces only: nothing Monaco would auto-close or auto-indent.
      const lettersAndSpaces = (count: number, from: number) => Array.from({ length: count }, (_, i) => ((from + i) % 7 === 6 ? 'Space' : String.fromCharCode(97 + ((from + i) % 26))));
      // Typing starts as the editor opens: those first seconds, while the TypeScript worker
      // starts beside the page, are reported apart (app.keystroke_p99_ms_at_open); the target's
      // 60 s of typing follow on without a pause.
      const phase = new SeededRandom(0x6b657973);
      const openCount = options.typingRate * options.openSeconds;
      const atOpen = await typeAndRead(page!, lettersAndSpaces(openCount, 0), options.typingRate, phase);
      const count = options.typingRate * options.typingSeconds;
      const typing = await typeAndRead(page!, lettersAndSpaces(count, openCount), options.typingRate, phase);
      const typed = openCount + count;
      // What the recorder holds once its batches are in (End interview would flush; waiting is enough here).
      let recorded = 0;
      for (let attempt = 0; attempt < 100; attempt++) {
        recorded = recordedText(services, sessionId).length - typedBefore;
        if (recorded >= typed) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const note = `built page (electron-vite build) in headless Chromium ${CHROMIUM_PATH}, served by the browser shell on 127.0.0.1 with real services (SQLite recorder)`;
      const steady = summarize(typing.latencies);
      const opening = summarize(atOpen.latencies);
      const paint = paintSummary(typing.paints, count);
      const list = (values: readonly number[]) => values.map((ms) => formatMs(ms)).join(' / ');
      const observed = (readings: KeyProbeReadings, pressed: number) => `${formatNumber(readings.latencies.length)} of ${formatNumber(pressed)} presses seen${readings.unseen > 0 ? ` (${readings.unseen} never)` : ''}`;
      return [
        {
          id: 'app.editor_ready_ms',
          value: readySummary.p50,
          unit: 'ms',
          note: `p50 of ${options.loads} loads, each a fresh browser context and session, in a Chromium driven on the bare DevTools protocol with no domain on, as a candidate's window has none: from navigation (performance.now() = 0) to the animation frame that first finds the question's title shown and Monaco's input present, with the candidate id typed and Start clicked as soon as it is enabled (${list(timings.plain)} ms); ${note}; requests off 127.0.0.1 in all ${options.loads * driverNames.length} timed loads: ${offLoopback.length}`,
        },
        {
          id: 'app.editor_ready_ms_devtools_domains',
          value: summarize(timings.withDomains).p50,
          unit: 'ms',
          note: `context (the control): the same driver and loads with DevTools' ${CONTROL_DOMAINS.join(' and ')} domains turned on before navigating, as Playwright turns them on (V8 then records a detailed stack for each Error the page creates, re-parsing the module it was made in, and the initiator's stack of each request made by script): ${list(timings.withDomains)} ms`,
        },
        {
          id: 'app.editor_ready_ms_under_devtools',
          value: summarize(timings.playwright).p50,
          unit: 'ms',
          note: `context: the same measure through Playwright (fill, click, waitForFunction), in a context whose every request the bench routes to check it stays on 127.0.0.1 (Fetch): ${list(timings.playwright)} ms`,
        },
        {
          id: 'app.keystroke_p99_ms',
          value: steady.p99,
          unit: 'ms',
          note: `${formatNumber(count)} key presses at ${options.typingRate}/s for ${options.typingSeconds} s (letters and spaces, after the ${options.openSeconds} s of app.keystroke_p99_ms_at_open, without a pause), each at a random point of a frame: p99 from keydown (event.timeStamp) to the editor's lines changing (MutationObserver), in the page's clock; p50 ${formatMs(steady.p50)}, p95 ${formatMs(steady.p95)}, max ${formatMs(steady.max)} ms; ${observed(typing, count)}; ${note}`,
        },
        {
          id: 'app.keystroke_p99_ms_at_open',
          value: opening.p99,
          unit: 'ms',
          note: `context: the same measure over the ${formatNumber(openCount)} keys of the first ${options.openSeconds} s, typing from the moment the editor is ready (Monaco's TypeScript worker compiles and starts its language service beside the page meanwhile); p50 ${formatMs(opening.p50)}, p95 ${formatMs(opening.p95)}, max ${formatMs(opening.max)} ms; ${observed(atOpen, openCount)}; over all ${formatNumber(typed)} keys of both phases, p99 ${formatMs(summarize([...atOpen.latencies, ...typing.latencies]).p99)} ms`,
        },
        {
          id: 'app.keystroke_paint_p99_ms',
          value: paint.p99,
          unit: 'ms',
          note: `context: app.keystroke_p99_ms's keys, to the next paint after the key was handled (Event Timing: one interaction a key, the longest of its keydown, keypress and keyup entries, each timed from its own event; Chromium reports from 16 ms in steps of 8, and a key it did not report counts as under 16): ${formatNumber(typing.paints.length)} of ${formatNumber(count)} keys took 16 ms or more; p95 ${paint.p95 === 0 ? 'under 16' : formatMs(paint.p95)}, max ${formatMs(paint.max)} ms. The text of a key is in the DOM within its own task; its pixels wait for the next frame of the 60 Hz clock`,
        },
        {
          id: 'app.keystrokes_recorded_ratio',
          value: recorded / typed,
          unit: 'ratio',
          note: `characters in the session's code_edit events since typing began (${formatNumber(recorded)}) / characters typed (${formatNumber(typed)}, both phases)`,
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
