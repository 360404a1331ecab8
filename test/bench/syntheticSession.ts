import type { SessionRecordingService } from '../../electron/services/recording/sessionRecordingService';
import type { EventInput } from '../../shared/recording/eventTypes';
import type { ClaudeInteraction, CodeSnapshot, TestResult } from '../../shared/recording/session';
import { EditorSimulator, type SimulatedFile } from './editorSimulator';
import { SeededRandom } from './random';

/** One call the recorder receives, `at` ms after the session started. */
export type SessionStep =
  | { at: number; kind: 'event'; event: EventInput }
  | { at: number; kind: 'snapshot'; snapshot: CodeSnapshot }
  | { at: number; kind: 'ai'; interaction: ClaudeInteraction }
  | { at: number; kind: 'test'; result: TestResult };

/** A scripted interview, ready to be fed to the recorder in order. */
export interface SyntheticSession {
  steps: SessionStep[];
  /** The time the last step happens at. */
  durationMs: number;
  /** How much the simulator's natural timings were stretched (>1) or squeezed (<1) to fit. */
  timeScale: number;
  /** Every file at the end, as the editor holds it: what replay must rebuild. */
  finalFiles: SimulatedFile[];
  /** Steps per event type (`code_snapshot`, `ai_interaction`, `test_result` included). */
  counts: Record<string, number>;
}

export interface SyntheticSessionOptions {
  seed: number;
  /** Stop once this many steps are scripted (each step is one recorded event). */
  targetEvents: number;
  /** The natural timings are stretched or squeezed so the last step lands here. */
  durationMs: number;
}

export const QUESTION_ID = 'q-lru-cache';

const STARTER_SOLUTION = [
  '/**',
  ' * Implement an LRU cache with O(1) get and put.',
  ' * Capacity is fixed at construction; the least recently used entry is evicted first.',
  ' */',
  'export class LRUCache<K, V> {',
  '  constructor(private readonly capacity: number) {}',
  '',
  '  get(key: K): V | undefined {',
  "    throw new Error('not implemented');",
  '  }',
  '',
  '  put(key: K, value: V): void {',
  "    throw new Error('not implemented');",
  '  }',
  '}',
  '',
].join('\n');

const STARTER_TESTS = [
  "import { describe, expect, it } from 'vitest';",
  "import { LRUCache } from './solution';",
  '',
  "describe('LRUCache', () => {",
  "  it('returns what was put', () => {",
  '    const cache = new LRUCache<string, number>(2);',
  "    cache.put('a', 1);",
  "    expect(cache.get('a')).toBe(1);",
  '  });',
  '',
  "  it('evicts the least recently used entry', () => {",
  '    const cache = new LRUCache<string, number>(2);',
  "    cache.put('a', 1);",
  "    cache.put('b', 2);",
  "    cache.get('a');",
  "    cache.put('c', 3);",
  "    expect(cache.get('b')).toBeUndefined();",
  '  });',
  '});',
  '',
].join('\n');

/** Blocks of code a candidate types; `$` is replaced by a counter so blocks stay distinct. */
const CODE_BLOCKS: readonly (readonly string[])[] = [
  [
    'interface Node$<K, V> {',
    '  key: K;',
    '  value: V;',
    '  prev: Node$<K, V> | null;',
    '  next: Node$<K, V> | null;',
    '}',
  ],
  [
    'function unlink$<K, V>(node: Node$<K, V>): void {',
    '  if (node.prev) node.prev.next = node.next;',
    '  if (node.next) node.next.prev = node.prev;',
    '  node.prev = null;',
    '  node.next = null;',
    '}',
  ],
  [
    'export function moveToFront$<K, V>(list: { head: Node$<K, V> | null }, node: Node$<K, V>): void {',
    '  if (list.head === node) return;',
    '  unlink$(node);',
    '  node.next = list.head;',
    '  if (list.head) list.head.prev = node;',
    '  list.head = node;',
    '}',
  ],
  [
    '  get$(key: K): V | undefined {',
    '    const node = this.map.get(key);',
    '    if (!node) return undefined;',
    '    this.touch(node);',
    '    return node.value;',
    '  }',
  ],
  [
    '  put$(key: K, value: V): void {',
    '    const existing = this.map.get(key);',
    '    if (existing) {',
    '      existing.value = value;',
    '      this.touch(existing);',
    '      return;',
    '    }',
    '    if (this.map.size >= this.capacity) this.evictOldest();',
    '    const node = { key, value, prev: null, next: this.head };',
    '    this.map.set(key, node);',
    '    this.head = node;',
    '  }',
  ],
  [
    '  private evictOldest$(): void {',
    '    const oldest = this.tail;',
    '    if (!oldest) return;',
    '    this.tail = oldest.prev;',
    '    this.map.delete(oldest.key);',
    '    // keep the list consistent when the cache had a single entry',
    '    if (this.head === oldest) this.head = null;',
    '  }',
  ],
  [
    "  it('keeps the capacity $', () => {",
    '    const cache = new LRUCache<number, number>(3);',
    '    for (let i = 0; i < 10; i++) cache.put(i, i * i);',
    '    expect(cache.size).toBe(3);',
    '    expect(cache.get(9)).toBe(81);',
    '  });',
  ],
  [
    'export function assertCapacity$(capacity: number): void {',
    '  if (!Number.isInteger(capacity) || capacity <= 0) {',
    '    throw new RangeError(`capacity must be a positive integer, got ${capacity}`);',
    '  }',
    '}',
  ],
  ['const sizes$ = [1, 2, 4, 8, 16, 32];', 'for (const size of sizes$) {', '  console.log(size, benchmark(size));', '}'],
];

const PROMPTS = [
  'How do I keep get() O(1) while also tracking recency?',
  'Why does my eviction remove the wrong entry when capacity is 1?',
  'Can you review this put() implementation for edge cases?',
  'What is the cleanest way to unlink a node from a doubly linked list in TypeScript?',
  'My test "evicts the least recently used entry" fails, what am I missing?',
];

const NOTES = [
  'Plan: hash map from key to list node, doubly linked list for recency order.',
  'Edge cases: capacity 1, updating an existing key, get on a missing key.',
  'TODO: check that put() on an existing key moves it to the front.',
  'Complexity: O(1) get/put, O(capacity) memory.',
];

function codeBlock(random: SeededRandom, counter: number): string[] {
  const block = random.pick(CODE_BLOCKS);
  return block.map((line) => line.replaceAll('$', String(counter)));
}

/** Scales every step's time so the last lands at `durationMs`; returns the factor. */
function stretchTimes(steps: SessionStep[], durationMs: number): number {
  const natural = steps.at(-1)?.at ?? 0;
  if (natural <= 0) return 1;
  const scale = durationMs / natural;
  for (const step of steps) step.at = Math.round(step.at * scale);
  return scale;
}

/**
 * Scripts a realistic interview: reading the question, typing code with typos and pauses,
 * fixes (deleted lines, retyped words), comments toggled, pastes from Claude, test runs,
 * notes, long thinking pauses with the window in the background, files created, renamed
 * and deleted. The app's policy of snapshotting the active file every 12 edits, on pauses
 * and when leaving a file supplies the code snapshots.
 */
export function generateSyntheticSession(options: SyntheticSessionOptions): SyntheticSession {
  const random = new SeededRandom(options.seed);
  const steps: SessionStep[] = [];
  const sim = new EditorSimulator(
    random,
    {
      event: (at, event) => steps.push({ at, kind: 'event', event }),
      snapshot: (at, snapshot) => steps.push({ at, kind: 'snapshot', snapshot }),
    },
    { snapshotEveryEdits: 12, keyDelayMs: 140 },
  );
  const progress = () => steps.length / options.targetEvents;
  let blockCounter = 0;

  sim.emit({ type: 'question_viewed', data: { questionId: QUESTION_ID } });
  for (let i = 0; i < 6; i++) {
    sim.wait(random.humanDelay(15_000, 3_000, 60_000));
    sim.emit({ type: 'selection', data: { startLineNumber: i + 1, startColumn: 1, endLineNumber: i + 2, endColumn: 20 } });
  }
  sim.createFile('f-tests', 'solution.test.ts', 'typescript', STARTER_TESTS);
  sim.createFile('f-utils', 'utils.ts', 'typescript');
  sim.createFile('f-notes', 'notes.md', 'markdown');
  sim.createFile('f-solution', 'solution.ts', 'typescript', STARTER_SOLUTION);

  const milestones: { at: number; run: () => void; done?: boolean }[] = [
    {
      at: 0.2,
      run: () => {
        sim.createFile('f-scratch', 'scratch.ts', 'typescript');
        sim.typeLines(codeBlock(random, ++blockCounter));
        sim.typeLines(codeBlock(random, ++blockCounter));
      },
    },
    { at: 0.4, run: () => sim.renameFile('f-utils', 'linkedList.ts') },
    { at: 0.55, run: () => sim.deleteFile('f-scratch') },
    { at: 0.75, run: () => sim.renameFile('f-notes', 'NOTES.md') },
  ];
  const codeFiles = () =>
    sim
      .allFiles()
      .filter((file) => file.exists && file.language === 'typescript')
      .map((file) => file.fileId);
  const openCodeFile = () => {
    const roll = random.next();
    const preferred = roll < 0.65 ? 'f-solution' : roll < 0.85 ? 'f-utils' : 'f-tests';
    sim.openFile(random.chance(0.1) ? random.pick(codeFiles()) : preferred);
  };

  while (steps.length < options.targetEvents) {
    for (const milestone of milestones) {
      if (!milestone.done && progress() >= milestone.at) {
        milestone.done = true;
        milestone.run();
      }
    }
    const activity = random.weighted({ code: 50, fix: 15, ai: 8, test: 10, think: 8, notes: 4, comment: 3, read: 2 });
    switch (activity) {
      case 'code': {
        openCodeFile();
        if (random.chance(0.6)) sim.clickAtEnd();
        else {
          sim.clickRandomLine();
          sim.arrowLines(random.int(-3, 3));
        }
        const lines = codeBlock(random, ++blockCounter);
        sim.typeLines(lines.slice(0, random.int(Math.min(3, lines.length), lines.length)));
        sim.wait(random.humanDelay(4_000, 1_000, 20_000));
        sim.snapshotIfChanged();
        break;
      }
      case 'fix': {
        openCodeFile();
        sim.clickRandomLine();
        sim.arrowLines(random.int(-5, 5));
        const fix = random.weighted({ deleteLines: 3, replaceWord: 4, backspaces: 3 });
        if (fix === 'deleteLines') sim.deleteLines(random.int(1, 3));
        else if (fix === 'replaceWord') sim.replaceWord(random.pick(['node', 'entry', 'capacity', 'recent', 'oldest', 'value']));
        else {
          const count = random.int(2, 12);
          for (let i = 0; i < count; i++) sim.backspace();
          sim.typeText(random.pick([' ?? null', '.next', ' !== undefined', '(key)', ';']));
        }
        sim.wait(random.humanDelay(3_000, 500, 15_000));
        sim.snapshotIfChanged();
        break;
      }
      case 'ai': {
        const prompt = random.pick(PROMPTS);
        steps.push({
          at: sim.clock,
          kind: 'ai',
          interaction: { role: 'user', content: prompt, model: 'claude-sonnet-4-5', inputTokens: random.int(800, 6_000) },
        });
        const latency = random.humanDelay(9_000, 2_500, 40_000);
        sim.wait(latency);
        const code = [...codeBlock(random, ++blockCounter), ...codeBlock(random, ++blockCounter)];
        const reply = `Here is one way to do it:\n\n\`\`\`ts\n${code.join('\n')}\n\`\`\`\n\nThis keeps both operations O(1) because the map gives direct access to the list node.`;
        const outputTokens = random.int(200, 1_200);
        steps.push({
          at: sim.clock,
          kind: 'ai',
          interaction: { role: 'assistant', content: reply, model: 'claude-sonnet-4-5', outputTokens, latency, estimatedCost: outputTokens * 0.000015 },
        });
        sim.wait(random.humanDelay(12_000, 3_000, 60_000));
        if (random.chance(0.5)) {
          openCodeFile();
          sim.clickAtEnd();
          sim.paste('\n' + code.slice(0, random.int(2, code.length)).join('\n'));
          sim.wait(random.humanDelay(5_000, 1_000, 20_000));
          sim.snapshotIfChanged();
        }
        break;
      }
      case 'test': {
        sim.snapshotAllChanged();
        sim.emit({ type: 'keystroke', data: { key: 'Ctrl+Enter' } });
        sim.wait(random.humanDelay(2_500, 800, 8_000));
        const cases = random.int(4, 8);
        for (let i = 0; i < cases; i++) {
          const passed = random.chance(0.2 + 0.75 * progress());
          steps.push({
            at: sim.clock,
            kind: 'test',
            result: {
              testName: `LRUCache case ${i + 1}`,
              passed,
              duration: random.int(1, 40),
              ...(passed ? {} : { error: `expected ${i} to be ${i + 1}`, output: 'AssertionError: expected values to be strictly equal' }),
              hidden: i >= 4,
            },
          });
          sim.wait(random.int(5, 60));
        }
        sim.wait(random.humanDelay(8_000, 2_000, 40_000));
        break;
      }
      case 'think': {
        sim.snapshotIfChanged();
        if (random.chance(0.4)) {
          sim.emit({ type: 'blur', data: {} });
          sim.emit({ type: 'visibility', data: { visible: false } });
          sim.wait(random.humanDelay(30_000, 5_000, 180_000));
          sim.emit({ type: 'visibility', data: { visible: true } });
          sim.emit({ type: 'focus', data: {} });
        } else {
          sim.wait(random.humanDelay(20_000, 5_000, 120_000));
        }
        break;
      }
      case 'notes': {
        sim.openFile('f-notes');
        sim.clickAtEnd();
        sim.typeText(`\n- ${random.pick(NOTES)}`);
        sim.wait(random.humanDelay(3_000, 1_000, 10_000));
        sim.snapshotIfChanged();
        break;
      }
      case 'comment': {
        openCodeFile();
        sim.clickRandomLine();
        sim.commentLines(random.int(2, 5));
        sim.wait(random.humanDelay(2_000, 500, 10_000));
        break;
      }
      case 'read': {
        openCodeFile();
        const count = random.int(3, 10);
        for (let i = 0; i < count; i++) sim.selectForReading();
        break;
      }
    }
  }
  sim.snapshotAllChanged();
  const timeScale = stretchTimes(steps, options.durationMs);

  const counts: Record<string, number> = {};
  for (const step of steps) {
    const type = step.kind === 'event' ? step.event.type : step.kind === 'snapshot' ? 'code_snapshot' : step.kind === 'ai' ? 'ai_interaction' : 'test_result';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return { steps, durationMs: steps.at(-1)?.at ?? 0, timeScale, finalFiles: sim.allFiles().map((file) => ({ ...file })), counts };
}

/**
 * A stream of editor events only (keystrokes, edits, cursor moves, selections, pastes),
 * as the renderer sends them while the candidate codes: the recorder's load.
 */
export function generateEditorEvents(count: number, seed: number): EventInput[] {
  const random = new SeededRandom(seed);
  const events: EventInput[] = [];
  const sim = new EditorSimulator(random, { event: (_at, event) => events.push(event), snapshot: () => {} }, { snapshotEveryEdits: Infinity, keyDelayMs: 140 });
  let blockCounter = 0;
  let files = 0;
  sim.createFile(`f-${++files}`, 'solution.ts', 'typescript', STARTER_SOLUTION);
  while (events.length < count) {
    // A new module now and then keeps files at a realistic size.
    if (sim.activeFile!.content.length > 12_000) sim.createFile(`f-${++files}`, `module${files}.ts`, 'typescript');
    const activity = random.weighted({ code: 70, fix: 15, comment: 5, paste: 5, read: 5 });
    if (activity === 'code') {
      if (random.chance(0.6)) sim.clickAtEnd();
      else sim.clickRandomLine();
      sim.typeLines(codeBlock(random, ++blockCounter));
    } else if (activity === 'fix') {
      sim.clickRandomLine();
      sim.arrowLines(random.int(-5, 5));
      if (random.chance(0.5)) sim.deleteLines(random.int(1, 3));
      else sim.replaceWord(random.pick(['node', 'entry', 'capacity']));
    } else if (activity === 'comment') {
      sim.clickRandomLine();
      sim.commentLines(random.int(2, 5));
    } else if (activity === 'paste') {
      sim.clickAtEnd();
      sim.paste('\n' + codeBlock(random, ++blockCounter).join('\n'));
    } else {
      sim.selectForReading();
    }
  }
  return events.slice(0, count);
}

/** Records one scripted step through the real service it belongs to. */
export function recordStep(sessions: SessionRecordingService, sessionId: string, step: SessionStep): Promise<unknown> {
  switch (step.kind) {
    case 'event':
      return sessions.recordEvent(sessionId, step.event);
    case 'snapshot':
      return sessions.recordCodeSnapshot(sessionId, step.snapshot);
    case 'ai':
      return sessions.recordClaudeInteraction(sessionId, step.interaction);
    case 'test':
      return sessions.recordTestResult(sessionId, step.result);
  }
}
