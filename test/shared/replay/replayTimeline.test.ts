import { describe, expect, it } from 'vitest';
import { reconstructFile, type ReplayEvent } from '../../../shared/replay/fileState';
import { ReplayTimeline, describeEvent } from '../../../shared/replay/replayTimeline';

/** A small session: two files, typing, a checkpoint, a rename, a delete. */
function session(): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  const push = (type: string, fileId: string | null, data: unknown) =>
    events.push({ seq: events.length + 1, timestamp: 1000 + events.length * 100, type, fileId, data });
  push('session_started', null, { candidateId: 'c' });
  push('file_created', 'a', { fileName: 'a.js', content: '' });
  let text = '';
  for (const ch of 'function f() {}') {
    push('code_edit', 'a', { changes: [{ rangeOffset: text.length, rangeLength: 0, text: ch }] });
    text += ch;
  }
  push('code_snapshot', 'a', { kind: 'checkpoint', fileName: 'a.js', language: 'javascript', content: text });
  push('file_created', 'b', { fileName: 'b.js', content: '// b' });
  push('code_edit', 'a', { changes: [{ rangeOffset: 0, rangeLength: 8, text: 'const' }] });
  push('file_renamed', 'a', { fileName: 'main.js' });
  push('file_deleted', 'b', {});
  return events;
}

describe('ReplayTimeline', () => {
  const events = session();
  const timeline = new ReplayTimeline(events);

  it('rebuilds a file at every seq exactly as a full replay from the start would', () => {
    for (let seq = 1; seq <= timeline.lastSeq; seq++) {
      const full = reconstructFile(events.filter((event) => event.fileId === 'a' && event.seq <= seq));
      expect(timeline.fileAt('a', seq)).toEqual(full);
    }
  });

  it('lists the files that exist at a point', () => {
    expect(timeline.filesAt(1)).toEqual([]);
    const atEnd = timeline.filesAt(timeline.lastSeq);
    expect(atEnd.map((file) => [file.fileName, file.content])).toEqual([['main.js', 'const f() {}']]);
    expect(timeline.filesAt(timeline.lastSeq - 1).map((file) => file.fileName).sort()).toEqual(['b.js', 'main.js']);
  });

  it('seeks by time to the last event at or before it', () => {
    expect(timeline.seqAtTime(0)).toBe(0);
    expect(timeline.seqAtTime(1000)).toBe(1);
    expect(timeline.seqAtTime(1150)).toBe(2);
    expect(timeline.seqAtTime(10 ** 12)).toBe(timeline.lastSeq);
  });

  it('lists the timeline with labels, optionally by type', () => {
    expect(timeline.entries(['file_created', 'file_renamed']).map((entry) => entry.label)).toEqual(['created a.js', 'created b.js', 'renamed to main.js']);
    expect(describeEvent({ type: 'paste', data: { length: 42 } })).toBe('paste of 42 characters');
    expect(timeline.entries()).toHaveLength(events.length);
  });

  it('knows nothing of a file before it appears', () => {
    expect(timeline.fileAt('b', 3)).toBeNull();
    expect(timeline.fileAt('nope', 10)).toBeNull();
  });
});
