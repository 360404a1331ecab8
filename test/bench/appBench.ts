import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startBrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost } from '../../electron/ipc/handlers';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, loopbackOnlyContext } from '../helpers/chromium';
import { recordedText } from '../helpers/recordedText';
import type { BenchResult } from './benchResult';
import { SeededRandom } from './random';
import { formatMs, formatNumber, summarize } from './stats';
import { launchUninstrumentedChromium, type KeyModifier, type NewPageOptions, type UninstrumentedChromium, type UninstrumentedPage } from './uninstrumentedChromium';
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

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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

/** What typing needs of a page, from either driver. */
interface TypingPage {
  /** A key pressed and released (keydown with its text, keyup). */
  press(key: string, modifiers?: readonly KeyModifier[]): Promise<void>;
  /** An expression's value in the page, awaited if it is a promise. */
  evaluate<T>(expression: string): Promise<T>;
  /** A left click of the mouse at the page's (x, y). */
  click(x: number, y: number): Promise<void>;
}

/** A Playwright page as a TypingPage (keyboard.press: keydown with its text, keyup). */
function playwrightTyping(page: Page): TypingPage {
  return {
    press: (key, modifiers = []) => page.keyboard.press([...modifiers, key].join('+')),
    evaluate: (expression) => page.evaluate(expression),
    click: (x, y) => page.mouse.click(x, y),
  };
}

/**
 * Presses `keys` at `rate` a second, each a random fraction of a frame after its slot, then
 * waits for the last to show and drains the page's key probe.
 */
async function typeAndRead(page: TypingPage, keys: readonly string[], rate: number, phase: SeededRandom): Promise<KeyProbeReadings> {
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
    if (wait > 0) await sleep(wait);
    await page.press(keys[i]!);
  }
  // Read once every key pressed has been seen (a key never seen shows in the notes, not as a failed bench).
  await page.evaluate(eachFrameUntil('__keyProbe.pressedAt.length === 0', 5_000)).catch(() => {});
  // Event Timing reports a key once its next frame is painted.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))');
  return page.evaluate(`(${drainKeyProbe})()`);
}

/**
 * `count` key presses shaped like code, and the text they type: lines of up to 20-60
 * characters, each of words of letters followed by a space, then Enter. Not one endless line:
 * a candidate's lines are short, and on a line of hundreds of characters Chromium re-shapes
 * the whole line's text at each key (~6 ms in one key of a trace, at ~540 characters). Nothing
 * Monaco would auto-close or indent, and no Enter right after a word, where it could accept a
 * suggestion.
 */
function codeShapedKeys(count: number, random: SeededRandom): { keys: string[]; text: string } {
  const keys: string[] = [];
  while (keys.length < count) {
    const lineLength = random.int(20, 60);
    for (let line = 0; lineLength - line >= 2; ) {
      const word = Math.min(random.int(2, 8), lineLength - line - 1);
      for (let letter = 0; letter < word; letter++) keys.push(String.fromCharCode(97 + (keys.length % 26)));
      keys.push('Space');
      line += word + 1;
    }
    keys.push('Enter');
  }
  keys.length = count;
  const typedBy: Record<string, string> = { Space: ' ', Enter: '\n' };
  return { keys, text: keys.map((key) => typedBy[key] ?? key).join('') };
}

/** How many characters `actual` and `expected` share from the start. */
function matchingPrefixLength(actual: string, expected: string): number {
  let length = 0;
  while (length < actual.length && length < expected.length && actual[length] === expected[length]) length++;
  return length;
}

/**
 * The session's recorded text once `done` holds for it, read again every `intervalMs` up to
 * `reads` times; the last read if it never does (the caller says what that means).
 */
async function recordedTextOnce(services: Services, sessionId: string, done: (recorded: string) => boolean, intervalMs: number, reads = 100): Promise<string> {
  let recorded = recordedText(services, sessionId);
  for (let read = 1; read < reads && !done(recorded); read++) {
    await sleep(intervalMs);
    recorded = recordedText(services, sessionId);
  }
  return recorded;
}

/** What one typing run measured: the opening seconds, the target's steady typing, and what was recorded. */
interface TypingRun {
  /** The opening seconds' keys, and how many were pressed. */
  atOpen: KeyProbeReadings;
  atOpenPressed: number;
  /** The target's seconds of keys, and how many were pressed. */
  steady: KeyProbeReadings;
  steadyPressed: number;
  /** Characters typed in both. */
  typed: number;
  /** Characters the recorder holds since typing began, matching the typed text from its start, and how many it holds past it. */
  recorded: number;
  surplus: number;
}

/**
 * Types into the editor of a page just made ready: a click, Control+End, Enter, then the opening
 * seconds and, without a pause, the target's seconds of code-shaped text; then waits for the
 * recorder to hold as much and compares what it holds with what was typed.
 */
async function typeIntoEditor(page: TypingPage, services: Services, sessionId: string, options: AppBenchOptions): Promise<TypingRun> {
  const editor = await page.evaluate<{ x: number; y: number }>(`(() => { const editor = document.querySelector('[data-testid="editor"] .monaco-editor'); ${returnCentreOf('editor')} })()`);
  await page.click(editor.x, editor.y);
  await page.press('End', ['Control']);
  const beforeEnter = recordedText(services, sessionId).length;
  await page.press('Enter');
  await page.evaluate(`(${installKeyProbe})()`);
  // Counted from once the Enter's edit is recorded: the recorder sends edits in batches, and
  // read at once, a newline still in a batch was counted as typed (1,401 of 1,400).
  const typedBefore = (await recordedTextOnce(services, sessionId, (recorded) => recorded.length !== beforeEnter, 50)).length;
  if (typedBefore === beforeEnter) throw new Error('the Enter before typing was never recorded');
  // Typing starts as the editor opens: those first seconds, while the TypeScript worker
  // starts beside the page, are reported apart (app.keystroke_p99_ms_at_open); the target's
  // seconds of typing follow on without a pause.
  const atOpenPressed = options.typingRate * options.openSeconds;
  const steadyPressed = options.typingRate * options.typingSeconds;
  const { keys, text } = codeShapedKeys(atOpenPressed + steadyPressed, new SeededRandom(0x6c696e65));
  const phase = new SeededRandom(0x6b657973);
  const atOpen = await typeAndRead(page, keys.slice(0, atOpenPressed), options.typingRate, phase);
  const steady = await typeAndRead(page, keys.slice(atOpenPressed), options.typingRate, phase);
  // What the recorder holds once its batches are in (End interview would flush; waiting is enough here).
  const since = (await recordedTextOnce(services, sessionId, (recorded) => recorded.length >= typedBefore + text.length, 100)).slice(typedBefore);
  return { atOpen, atOpenPressed, steady, steadyPressed, typed: text.length, recorded: matchingPrefixLength(since, text), surplus: Math.max(0, since.length - text.length) };
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

/** In the page, statements for a function body: returns the centre of the element the variable `element` holds, in the page's coordinates. */
function returnCentreOf(element: string): string {
  return `const box = ${element}.getBoundingClientRect(); return { x: box.x + box.width / 2, y: box.y + box.height / 2 };`;
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
 * editor ready. The page is left open, unless the load fails.
 */
async function loadUninstrumented(browser: UninstrumentedChromium, url: string, candidateId: string, options: NewPageOptions = {}): Promise<TimedLoad & { page: UninstrumentedPage }> {
  const page = await browser.newPage(options);
  try {
    await page.navigate(url);
    await page.evaluate(eachFrameUntil(`(() => { const input = document.querySelector('[data-testid="candidate-input"]'); if (!input || input.disabled) return false; input.focus(); return true; })()`));
    await page.insertText(candidateId);
    const start = await page.evaluate<{ x: number; y: number }>(eachFrameUntil(`(() => { const button = document.querySelector('[data-testid="start-button"]'); if (!button || button.disabled) return false; ${returnCentreOf('button')} })()`));
    await page.click(start.x, start.y);
    const readyAt = await page.evaluate<number>(eachFrameUntil(EDITOR_READY_AT));
    return { readyAt, offLoopback: await page.evaluate<string[]>(REQUESTS_OFF_LOOPBACK), page };
  } catch (error) {
    await page.close().catch(() => {});
    throw error;
  }
}

/** A timed load on the bare protocol, its page closed at once, as Playwright's are. */
async function timeUninstrumentedLoad(browser: UninstrumentedChromium, url: string, candidateId: string, options: NewPageOptions = {}): Promise<TimedLoad> {
  const { page, ...load } = await loadUninstrumented(browser, url, candidateId, options);
  await page.close();
  return load;
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
      // app.keystroke_p99_ms and app.keystrokes_recorded_ratio in one more load on the bare
      // protocol, as a candidate's window; then, for context, the same typing through Playwright.
      const typeIn = async (candidateId: string, open: (candidateId: string) => Promise<{ page: TypingPage; close(): Promise<void> }>): Promise<TypingRun> => {
        const { page, close } = await open(candidateId);
        let run: TypingRun;
        try {
          const { id } = services.database.db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE candidate_id = ?').get(candidateId)!;
          run = await typeIntoEditor(page, services, id, options);
        } catch (error) {
          await close().catch(() => {}); // the typing's failure is the one to report
          throw error;
        }
        await close();
        return run;
      };
      let typing: TypingRun;
      try {
        await sleep(BROWSER_SETTLE_MS);
        for (let load = 0; load < options.loads; load++) {
          for (let turn = 0; turn < driverNames.length; turn++) {
            const name = driverNames[(load + turn) % driverNames.length]!;
            const { readyAt, offLoopback: off } = await drivers[name](`bench_${name}_${load}`);
            timings[name].push(readyAt);
            offLoopback.push(...off);
          }
        }
        typing = await typeIn('bench_typing', async (candidateId) => {
          const { page } = await loadUninstrumented(uninstrumented, shell.url, candidateId);
          return { page, close: () => page.close() };
        });
      } finally {
        await uninstrumented.close();
      }
      const typingUnderDevtools = await typeIn('bench_typing_playwright', async (candidateId) => {
        const { page, context } = await loadUnderPlaywright(browser, shell.url, candidateId);
        return { page: playwrightTyping(page), close: () => context.close() };
      });
      const readySummary = summarize(timings.plain);
      const note = `built page (electron-vite build) in headless Chromium ${CHROMIUM_PATH}, served by the browser shell on 127.0.0.1 with real services (SQLite recorder)`;
      const steady = summarize(typing.steady.latencies);
      const opening = summarize(typing.atOpen.latencies);
      const paint = paintSummary(typing.steady.paints, typing.steadyPressed);
      const steadyUnderDevtools = summarize(typingUnderDevtools.steady.latencies);
      const list = (values: readonly number[]) => values.map((ms) => formatMs(ms)).join(' / ');
      const recordedAsTyped = (run: TypingRun) => `${formatNumber(run.recorded)} of ${formatNumber(run.typed)} characters typed recorded as typed${run.surplus > 0 ? `, ${formatNumber(run.surplus)} more recorded past them` : ''}`;
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
          note: `${formatNumber(typing.steadyPressed)} key presses at ${options.typingRate}/s for ${options.typingSeconds} s (code-shaped: lines of up to 20-60 characters, words of letters each followed by a space, then Enter; after the ${options.openSeconds} s of app.keystroke_p99_ms_at_open, without a pause), each at a random point of a frame: p99 from keydown (event.timeStamp) to the editor's lines changing (MutationObserver), in the page's clock, in a load on the bare DevTools protocol with no domain on (as app.editor_ready_ms; Input.dispatchKeyEvent, keydown with the key's text then keyup); p50 ${formatMs(steady.p50)}, p95 ${formatMs(steady.p95)}, max ${formatMs(steady.max)} ms; ${observed(typing.steady, typing.steadyPressed)}; ${note}`,
        },
        {
          id: 'app.keystroke_p99_ms_under_devtools',
          value: steadyUnderDevtools.p99,
          unit: 'ms',
          note: `context: the same typing (both phases, the same seeded moments) through Playwright's keyboard.press in one more load, after the one above, in the bench's loopback-only context (Runtime, Network and Fetch on): the 60 s's p50 ${formatMs(steadyUnderDevtools.p50)}, p95 ${formatMs(steadyUnderDevtools.p95)}, max ${formatMs(steadyUnderDevtools.max)} ms; ${observed(typingUnderDevtools.steady, typingUnderDevtools.steadyPressed)}; ${recordedAsTyped(typingUnderDevtools)}`,
        },
        {
          id: 'app.keystroke_p99_ms_at_open',
          value: opening.p99,
          unit: 'ms',
          note: `context: the same measure over the ${formatNumber(typing.atOpenPressed)} keys of the first ${options.openSeconds} s, typing from the moment the editor is ready (Monaco's TypeScript worker compiles and starts its language service beside the page meanwhile); p50 ${formatMs(opening.p50)}, p95 ${formatMs(opening.p95)}, max ${formatMs(opening.max)} ms; ${observed(typing.atOpen, typing.atOpenPressed)}; over all ${formatNumber(typing.atOpenPressed + typing.steadyPressed)} keys of both phases, p99 ${formatMs(summarize([...typing.atOpen.latencies, ...typing.steady.latencies]).p99)} ms`,
        },
        {
          id: 'app.keystroke_paint_p99_ms',
          value: paint.p99,
          unit: 'ms',
          note: `context: app.keystroke_p99_ms's keys, to the next paint after the key was handled (Event Timing: one interaction a key, the longest of its keydown, keypress and keyup entries, each timed from its own event; Chromium reports from 16 ms in steps of 8, and a key it did not report counts as under 16): ${formatNumber(typing.steady.paints.length)} of ${formatNumber(typing.steadyPressed)} keys took 16 ms or more; p95 ${paint.p95 === 0 ? 'under 16' : formatMs(paint.p95)}, max ${formatMs(paint.max)} ms. The text of a key is in the DOM within its own task; its pixels wait for the next frame of the 60 Hz clock. On lines of code, from about the 20th line typed (as the editor comes to scroll), headless Chromium here reports most keys' paints ~0.3-1 s late, under Playwright as on the bare protocol, while animation frames keep their 60 Hz and the GPU process is near idle, and none is when a screencast of the page runs: read this figure as headless Chromium's reports, not the page's`,
        },
        {
          id: 'app.keystrokes_recorded_ratio',
          value: typing.recorded / (typing.typed + typing.surplus),
          unit: 'ratio',
          note: `the text of the session's code_edit events since typing began against the typed text (both phases): characters matching from its start over the longer of the two; ${recordedAsTyped(typing)}`,
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
