import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import type { EventInput, TextChange } from '../../../shared/recording/eventTypes';
import type { CodeSnapshot } from '../../../shared/recording/session';
import { applyTextChanges } from '../../../shared/replay/fileState';
import { EditorRecorder, MAX_EVENT_BYTES, MAX_EVENT_TEXT, type EditorRecorderOptions, type RecorderClock, type RecorderFailure } from '../../../renderer/src/recording/editorRecorder';

/** A clock whose time moves only when the test says so. */
class FakeClock implements RecorderClock {
  private time = 1_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in order (and those they schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
  }
}

type Call = { kind: 'event'; event: EventInput } | { kind: 'snapshot'; snapshot: CodeSnapshot };

/** The sink as the main process would see it: every call, and failures on demand. */
class FakeSink {
  readonly calls: Call[] = [];
  /** Errors to reject the next calls with, in order. */
  readonly failNext: unknown[] = [];

  readonly sink = {
    record: (_sessionId: string, event: EventInput) => this.answer({ kind: 'event', event }),
    snapshot: (_sessionId: string, snapshot: CodeSnapshot) => this.answer({ kind: 'snapshot', snapshot }),
  };

  get events(): EventInput[] {
    return this.calls.flatMap((call) => (call.kind === 'event' ? [call.event] : []));
  }

  get snapshots(): CodeSnapshot[] {
    return this.calls.flatMap((call) => (call.kind === 'snapshot' ? [call.snapshot] : []));
  }

  ofType(type: string): EventInput[] {
    return this.events.filter((event) => event.type === type);
  }

  private answer(call: Call): Promise<unknown> {
    if (this.failNext.length > 0) return Promise.reject(this.failNext.shift());
    this.calls.push(call);
    return Promise.resolve({ seq: this.calls.length });
  }
}

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A file the test edits the way Monaco would, so snapshots read its current text. */
class Document {
  content = '';

  constructor(readonly fileId = 'file-1') {}

  /** Applies an edit and returns the Monaco-style change. */
  edit(rangeOffset: number, rangeLength: number, text: string): TextChange[] {
    const change = { rangeOffset, rangeLength, text };
    this.content = applyTextChanges(this.content, [change]);
    return [change];
  }

  type(text: string): TextChange[] {
    return this.edit(this.content.length, 0, text);
  }
}

function setup(options: Partial<EditorRecorderOptions> = {}) {
  const clock = new FakeClock();
  const sink = new FakeSink();
  const doc = new Document();
  const recorder = new EditorRecorder({
    sink: sink.sink,
    clock,
    readFile: (fileId) => (fileId === doc.fileId ? { fileId, fileName: 'solution.js', language: 'javascript', content: doc.content } : null),
    ...options,
  });
  const failures: RecorderFailure[] = [];
  recorder.onDidFail((failure) => failures.push(failure));
  return { clock, sink, doc, recorder, failures };
}

/** Replays the recorded edits and snapshots of one file, as a reviewer would see it. */
function replayed(calls: Call[], fileId: string): string {
  let content = '';
  for (const call of calls) {
    if (call.kind === 'snapshot' && call.snapshot.fileId === fileId) content = call.snapshot.content;
    if (call.kind === 'event' && call.event.fileId === fileId) {
      const data = call.event.data as { content?: string; changes?: TextChange[] };
      if (call.event.type === 'file_created') content = data.content ?? '';
      if (call.event.type === 'code_edit') content = applyTextChanges(content, data.changes!);
    }
  }
  return content;
}

describe('EditorRecorder', () => {
  it('records nothing before start', async () => {
    const { recorder, sink, clock, doc } = setup();
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    recorder.contentChanged(doc.fileId, doc.type('a'));
    recorder.cursorMoved(doc.fileId, { lineNumber: 1, column: 2 });
    recorder.pasted('x', { target: 'editor', fileId: doc.fileId });
    recorder.focused('window');
    clock.advance(10_000);
    await recorder.flush();
    await settle();
    expect(sink.calls).toEqual([]);
    expect(recorder.pendingCount).toBe(0);
  });

  it('sends everything held or queued at once when the page unloads, in order, without waiting for answers', async () => {
    const { doc } = setup();
    // A sink that never answers: the page is going away, nothing will come back.
    const sent: string[] = [];
    const hanging = { record: (_: string, event: EventInput) => (sent.push(event.type), new Promise<never>(() => {})), snapshot: () => new Promise<never>(() => {}) };
    const unloading = new EditorRecorder({ sink: hanging, clock: new FakeClock(), readFile: () => null });
    unloading.start('ses_unload');
    unloading.focused('window'); // in flight, never answered
    unloading.blurred('window'); // queued behind it
    unloading.contentChanged(doc.fileId, doc.type('ab')); // held in the 50 ms batch
    expect(sent).toEqual(['focus']);
    unloading.unload();
    expect(sent).toEqual(['focus', 'blur', 'code_edit']);
    // Stopped: nothing more is recorded, and nothing is sent twice.
    unloading.focused('window');
    expect(sent).toEqual(['focus', 'blur', 'code_edit']);
  });

  it('batches content changes into one code_edit per 50 ms', async () => {
    const { recorder, sink, clock, doc } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    for (const key of 'abc') {
      recorder.contentChanged(doc.fileId, doc.type(key));
      clock.advance(10);
    }
    await settle();
    expect(sink.ofType('code_edit')).toEqual([]);
    clock.advance(20);
    await settle();
    expect(sink.ofType('code_edit')).toEqual([
      {
        type: 'code_edit',
        fileId: doc.fileId,
        data: {
          changes: [
            { rangeOffset: 0, rangeLength: 0, text: 'a' },
            { rangeOffset: 1, rangeLength: 0, text: 'b' },
            { rangeOffset: 2, rangeLength: 0, text: 'c' },
          ],
        },
      },
    ]);
  });

  it('sends a batch as soon as it holds the most changes, and keeps only the change fields', async () => {
    const { recorder, sink, doc } = setup({ maxChangesPerEdit: 3 });
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    for (const key of 'abcd') {
      const [change] = doc.type(key);
      // Monaco's changes also carry a range; the recorder sends only what replay needs.
      recorder.contentChanged(doc.fileId, [{ ...change!, range: { startLineNumber: 1 } } as TextChange]);
    }
    await settle();
    const edits = sink.ofType('code_edit');
    expect(edits).toHaveLength(1);
    expect((edits[0]!.data as { changes: TextChange[] }).changes.map((change) => Object.keys(change))).toEqual([
      ['rangeOffset', 'rangeLength', 'text'],
      ['rangeOffset', 'rangeLength', 'text'],
      ['rangeOffset', 'rangeLength', 'text'],
    ]);
    expect(recorder.pendingCount).toBe(1);
  });

  it('keeps edits in order with the events around them', async () => {
    const { recorder, sink, doc } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    recorder.contentChanged(doc.fileId, doc.type('x'));
    recorder.fileRenamed(doc.fileId, 'main.js', 'javascript');
    recorder.contentChanged(doc.fileId, doc.type('y'));
    recorder.fileDeleted(doc.fileId);
    await settle();
    expect(sink.events.map((event) => event.type)).toEqual(['file_created', 'code_edit', 'file_renamed', 'code_edit', 'file_deleted']);
  });

  it('splits a change too large for one event into pieces that replay to the same text', async () => {
    const { recorder, sink, doc } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: 'head tail' });
    doc.content = 'head tail';
    const big = 'é'.repeat(MAX_EVENT_TEXT) + '😀' + 'z'.repeat(1000);
    recorder.contentChanged(doc.fileId, doc.edit(5, 4, big));
    await recorder.flush();
    const edits = sink.ofType('code_edit');
    expect(edits.length).toBeGreaterThan(1);
    for (const edit of edits) {
      const texts = (edit.data as { changes: TextChange[] }).changes.map((change) => change.text);
      expect(texts.join('').length).toBeLessThanOrEqual(MAX_EVENT_TEXT);
      // No piece ends in half a surrogate pair.
      for (const text of texts) expect(/\p{Surrogate}/u.test(text)).toBe(false);
    }
    expect(replayed(sink.calls, doc.fileId)).toBe(doc.content);
  });

  it('throttles the cursor to one event per 100 ms and always records the latest position', async () => {
    const { recorder, sink, clock } = setup();
    recorder.start('s1');
    for (let column = 1; column <= 25; column += 1) {
      recorder.cursorMoved('file-1', { lineNumber: 1, column });
      clock.advance(10);
    }
    await settle();
    const columns = () => sink.ofType('cursor').map((event) => (event.data as { column: number }).column);
    // The first at once, then the newest of each 100 ms...
    expect(columns()).toEqual([1, 10, 20]);
    // ...and the last one once its interval is over, though the caret stopped moving.
    clock.advance(100);
    await settle();
    expect(columns()).toEqual([1, 10, 20, 25]);
  });

  it('throttles selections separately from the cursor', async () => {
    const { recorder, sink, clock } = setup();
    recorder.start('s1');
    recorder.cursorMoved('file-1', { lineNumber: 1, column: 1 });
    recorder.selectionChanged('file-1', { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: 3 });
    recorder.selectionChanged('file-1', { startLineNumber: 1, startColumn: 1, endLineNumber: 2, endColumn: 5 });
    await settle();
    expect(sink.events.map((event) => event.type)).toEqual(['cursor', 'selection']);
    clock.advance(100);
    await settle();
    expect(sink.ofType('selection').at(-1)!.data).toEqual({ startLineNumber: 1, startColumn: 1, endLineNumber: 2, endColumn: 5 });
  });

  it('records a paste with its size, and caps its content below the event limit', async () => {
    const { recorder, sink } = setup();
    recorder.start('s1');
    recorder.pasted('const a = 1;\nconst b = 2;', { target: 'editor', fileId: 'file-1' });
    const huge = 'x'.repeat(MAX_EVENT_TEXT * 2);
    recorder.pasted(huge, { target: 'editor', fileId: 'file-1' });
    await settle();
    const [small, big] = sink.ofType('paste');
    expect(small).toEqual({ type: 'paste', fileId: 'file-1', data: { text: 'const a = 1;\nconst b = 2;', length: 25, lines: 2, target: 'editor' } });
    const data = big!.data as { text: string; length: number; truncated?: boolean };
    expect(data.length).toBe(huge.length);
    expect(data.truncated).toBe(true);
    expect(data.text.length).toBe(MAX_EVENT_TEXT);
    expect(new TextEncoder().encode(JSON.stringify(data)).length).toBeLessThan(MAX_EVENT_BYTES);
  });

  it('caps a paste at the configured limit, never past the event limit', async () => {
    const { recorder, sink } = setup({ maxPasteText: 10 });
    recorder.start('s1');
    recorder.pasted('0123456789abc', { target: 'assistant' });
    await settle();
    expect(sink.ofType('paste')[0]).toEqual({ type: 'paste', data: { text: '0123456789', length: 13, lines: 1, target: 'assistant', truncated: true } });
  });

  it('records focus, blur and visibility with where they happened', async () => {
    const { recorder, sink } = setup();
    recorder.start('s1');
    recorder.blurred('window');
    recorder.visibilityChanged(false);
    recorder.focused('editor');
    await settle();
    expect(sink.events).toEqual([
      { type: 'blur', data: { target: 'window' } },
      { type: 'visibility', data: { visible: false } },
      { type: 'focus', data: { target: 'editor' } },
    ]);
  });

  it('snapshots a changed file once edits pause', async () => {
    const { recorder, sink, clock, doc } = setup({ idleSnapshotMs: 2000 });
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    recorder.contentChanged(doc.fileId, doc.type('let x'));
    clock.advance(1500);
    recorder.contentChanged(doc.fileId, doc.type(' = 1;'));
    clock.advance(1999);
    await settle();
    expect(sink.snapshots).toEqual([]);
    clock.advance(1);
    await settle();
    expect(sink.snapshots).toEqual([{ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: 'let x = 1;' }]);
    // Nothing changed since: no second snapshot.
    clock.advance(10_000);
    await settle();
    expect(sink.snapshots).toHaveLength(1);
  });

  it('does not snapshot a file over the event limit (its edits replay it), and does again once it fits', async () => {
    const { recorder, sink, doc, failures } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    // ASCII, so the first bound cannot decide: measured, it is one byte over.
    recorder.contentChanged(doc.fileId, doc.type('x'.repeat(MAX_EVENT_BYTES - 1)));
    await recorder.flush();
    expect(sink.snapshots).toEqual([]);
    expect(failures).toEqual([]);
    expect(replayed(sink.calls, doc.fileId)).toBe(doc.content);
    recorder.contentChanged(doc.fileId, doc.edit(0, 1, ''));
    await recorder.flush();
    // Exactly at the limit as stored (the JSON quotes count): snapshotted.
    expect(sink.snapshots.map((snapshot) => JSON.stringify(snapshot.content).length)).toEqual([MAX_EVENT_BYTES]);
  });

  it('snapshots a file every N edits while the candidate keeps typing', async () => {
    const { recorder, sink, clock, doc } = setup({ snapshotEveryEdits: 10, idleSnapshotMs: 60_000 });
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    for (let index = 0; index < 25; index += 1) {
      recorder.contentChanged(doc.fileId, doc.type(String(index % 10)));
      clock.advance(30);
    }
    await settle();
    expect(sink.snapshots.map((snapshot) => snapshot.content)).toEqual(['0123456789', '01234567890123456789']);
    // Each snapshot follows exactly the edits it contains.
    const beforeFirst = sink.calls.slice(0, sink.calls.findIndex((call) => call.kind === 'snapshot'));
    expect(replayed(beforeFirst, doc.fileId)).toBe('0123456789');
  });

  it('retries a failed call until it succeeds, in order, reporting each failure', async () => {
    const { recorder, sink, clock, failures } = setup({ retryDelaysMs: [100, 200] });
    recorder.start('s1');
    sink.failNext.push(new AppError('DATABASE_WRITE_FAILED', 'disk full'), new Error('transport closed'), new AppError('INTERNAL', 'oops'));
    recorder.focused('window');
    recorder.blurred('window');
    await settle();
    expect(sink.events).toEqual([]);
    expect(failures.map((failure) => [failure.type, failure.attempt, failure.willRetry])).toEqual([['focus', 1, true]]);
    clock.advance(100);
    await settle();
    clock.advance(200);
    await settle();
    expect(sink.events).toEqual([]);
    clock.advance(200);
    await settle();
    expect(sink.events.map((event) => event.type)).toEqual(['focus', 'blur']);
    expect(failures.map((failure) => failure.attempt)).toEqual([1, 2, 3]);
    expect(recorder.pendingCount).toBe(0);
  });

  it('gives up an edit the recorder refuses, and records the file as a snapshot instead', async () => {
    const { recorder, sink, doc, failures } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    await settle();
    sink.failNext.push(new AppError('VALIDATION_FAILED', 'Edit is past the end'));
    recorder.contentChanged(doc.fileId, doc.type('abc'));
    recorder.focused('editor');
    recorder.contentChanged(doc.fileId, doc.type('def'));
    await recorder.flush();
    expect(failures).toMatchObject([{ type: 'code_edit', fileId: doc.fileId, willRetry: false }]);
    expect(sink.calls.map((call) => (call.kind === 'event' ? call.event.type : 'snapshot'))).toEqual(['file_created', 'snapshot', 'focus']);
    expect(replayed(sink.calls, doc.fileId)).toBe('abcdef');
  });

  it('stops sending into a session that was closed', async () => {
    const { recorder, sink, failures } = setup();
    recorder.start('s1');
    sink.failNext.push(new AppError('SESSION_CLOSED', 'closed'));
    recorder.focused('window');
    recorder.blurred('window');
    await recorder.flush();
    expect(failures).toMatchObject([{ type: 'focus', willRetry: false }]);
    expect(sink.events).toEqual([]);
  });

  it('flush sends the batch, the pending cursor and final snapshots, and resolves once all are acknowledged', async () => {
    const { recorder, sink, clock, doc } = setup();
    recorder.start('s1');
    recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
    recorder.cursorMoved(doc.fileId, { lineNumber: 1, column: 1 });
    recorder.contentChanged(doc.fileId, doc.type('return 42;'));
    recorder.cursorMoved(doc.fileId, { lineNumber: 1, column: 11 });
    let flushed = false;
    const flushing = recorder.flush().then(() => (flushed = true));
    expect(flushed).toBe(false);
    await flushing;
    expect(sink.calls.map((call) => (call.kind === 'event' ? call.event.type : 'snapshot'))).toEqual(['file_created', 'cursor', 'code_edit', 'cursor', 'snapshot']);
    expect(sink.snapshots[0]!.content).toBe('return 42;');
    expect(recorder.pendingCount).toBe(0);
    // No timers left behind to send anything later.
    clock.advance(60_000);
    await settle();
    expect(sink.calls).toHaveLength(5);
  });

  it('flush waits for a failing call to be retried', async () => {
    const { recorder, sink, clock } = setup({ retryDelaysMs: [500] });
    recorder.start('s1');
    sink.failNext.push(new AppError('DATABASE_WRITE_FAILED', 'disk full'));
    recorder.focused('window');
    let flushed = false;
    const flushing = recorder.flush().then(() => (flushed = true));
    await settle();
    expect(flushed).toBe(false);
    clock.advance(500);
    await flushing;
    expect(sink.events).toEqual([{ type: 'focus', data: { target: 'window' } }]);
  });

  describe('while another window holds the session', () => {
    const elsewhere = () => new AppError('SESSION_OPEN_ELSEWHERE', 'This interview is open in another window');
    const kinds = (sink: FakeSink) => sink.calls.map((call) => (call.kind === 'event' ? call.event.type : 'snapshot'));

    it('pauses on the refusal, keeping the refused event and everything after it, never retrying on its own', async () => {
      const { recorder, sink, clock, doc, failures } = setup();
      const paused: boolean[] = [];
      recorder.onDidChangePaused((value) => paused.push(value));
      recorder.start('s1');
      recorder.fileCreated({ fileId: doc.fileId, fileName: 'solution.js', language: 'javascript', content: '' });
      await settle();
      sink.failNext.push(elsewhere());
      recorder.contentChanged(doc.fileId, doc.type('ab'));
      clock.advance(50);
      await settle();
      recorder.focused('editor');
      recorder.contentChanged(doc.fileId, doc.type('cd'));
      clock.advance(60_000);
      await settle();
      expect(recorder.isPaused).toBe(true);
      expect(paused).toEqual([true]);
      expect(kinds(sink)).toEqual(['file_created']);
      // A pause is not a failure: nothing is reported, nothing dropped.
      expect(failures).toEqual([]);
      expect(recorder.pendingCount).toBeGreaterThanOrEqual(3);

      recorder.resume();
      await recorder.flush();
      expect(paused).toEqual([true, false]);
      expect(kinds(sink)).toEqual(['file_created', 'code_edit', 'focus', 'code_edit', 'snapshot']);
      expect(replayed(sink.calls, doc.fileId)).toBe('abcd');
    });

    it('pause() holds everything from now on; the call already in flight still lands', async () => {
      const { recorder, sink } = setup();
      recorder.start('s1');
      recorder.focused('window');
      recorder.pause();
      recorder.blurred('window');
      await settle();
      expect(sink.events.map((event) => event.type)).toEqual(['focus']);
      expect(recorder.pendingCount).toBe(1);
      recorder.resume();
      await recorder.flush();
      expect(sink.events.map((event) => event.type)).toEqual(['focus', 'blur']);
    });

    it('discardHeld drops only what matches, reports it once, and sends the rest on resume', async () => {
      const { recorder, sink, doc, failures } = setup();
      recorder.start('s1');
      recorder.pause();
      recorder.contentChanged(doc.fileId, doc.type('stale'));
      recorder.focused('editor');
      recorder.pasted('stale', { target: 'editor', fileId: doc.fileId });
      const reason = elsewhere();
      expect(recorder.discardHeld((item) => item.type === 'code_edit', reason)).toBe(1);
      expect(failures).toMatchObject([{ type: 'code_edit', fileId: doc.fileId, error: reason, willRetry: false }]);
      recorder.resume();
      await recorder.flush();
      expect(kinds(sink)).toEqual(['focus', 'paste']);
    });

    it('sends nothing when the page unloads while paused: those writes belong to the other window now', async () => {
      const { recorder, sink, doc } = setup();
      recorder.start('s1');
      recorder.pause();
      recorder.contentChanged(doc.fileId, doc.type('x'));
      recorder.focused('window');
      recorder.unload();
      await settle();
      expect(sink.calls).toEqual([]);
    });
  });

  it('records nothing after dispose, and releases flush', async () => {
    const { recorder, sink, clock } = setup();
    recorder.start('s1');
    sink.failNext.push(new AppError('DATABASE_WRITE_FAILED', 'disk full'));
    recorder.focused('window');
    const flushing = recorder.flush();
    recorder.dispose();
    await flushing;
    recorder.blurred('window');
    clock.advance(60_000);
    await settle();
    expect(sink.events).toEqual([]);
  });
});
