import { createPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { applyFileEvent, applyTextChanges, reconstructFile, revisionKindOf, type ReplayEvent } from '../../../shared/replay/fileState';

let seq = 0;
const ev = (type: string, data: unknown, fileId: string | null = 'f'): ReplayEvent => ({ seq: ++seq, timestamp: seq * 10, type, fileId, data });

describe('applyTextChanges', () => {
  it('applies Monaco changes in order, each against the result of the previous', () => {
    expect(
      applyTextChanges('hello world', [
        { rangeOffset: 6, rangeLength: 5, text: 'there' },
        { rangeOffset: 0, rangeLength: 0, text: '> ' },
      ]),
    ).toBe('> hello there');
  });

  it('refuses a change past the end of the text', () => {
    expect(() => applyTextChanges('abc', [{ rangeOffset: 2, rangeLength: 5, text: '' }])).toThrow(RangeError);
  });
});

describe('the replay reducer', () => {
  it('creates, edits, renames and deletes a file', () => {
    const state = reconstructFile([
      ev('file_created', { fileName: 'a.js', language: 'javascript', content: 'let x;' }),
      ev('code_edit', { changes: [{ rangeOffset: 5, rangeLength: 0, text: ' = 1' }] }),
      ev('file_renamed', { fileName: 'b.js' }),
    ]);
    expect(state).toMatchObject({ fileName: 'b.js', language: 'javascript', content: 'let x = 1;', exists: true });
    expect(applyFileEvent(state, ev('file_deleted', {}))).toMatchObject({ exists: false, content: 'let x = 1;' });
  });

  it('resets the content at a checkpoint and applies a patch to the previous snapshot, not to later edits', () => {
    const checkpoint = ev('code_snapshot', { kind: 'checkpoint', fileName: 'a.py', language: 'python', content: 'a\nb\n' });
    const edit = ev('code_edit', { changes: [{ rangeOffset: 0, rangeLength: 0, text: 'zzz' }] });
    const patch = ev('code_snapshot', {
      kind: 'patch',
      fileName: 'a.py',
      language: 'python',
      baseSeq: checkpoint.seq,
      patch: createPatch('file', 'a\nb\n', 'a\nc\n'),
    });
    expect(reconstructFile([checkpoint, edit])?.content).toBe('zzza\nb\n');
    expect(reconstructFile([checkpoint, edit, patch])?.content).toBe('a\nc\n');
  });

  it('refuses a patch whose base is not the previous snapshot', () => {
    const checkpoint = ev('code_snapshot', { kind: 'checkpoint', fileName: 'a', language: 'python', content: 'x\n' });
    const patch = ev('code_snapshot', { kind: 'patch', fileName: 'a', language: 'python', baseSeq: checkpoint.seq + 100, patch: createPatch('file', 'x\n', 'y\n') });
    expect(() => reconstructFile([checkpoint, patch])).toThrow(/patch base/);
  });

  it('refuses a patch that does not apply', () => {
    const checkpoint = ev('code_snapshot', { kind: 'checkpoint', fileName: 'a', language: 'python', content: 'x\n' });
    const patch = ev('code_snapshot', { kind: 'patch', fileName: 'a', language: 'python', baseSeq: checkpoint.seq, patch: createPatch('file', 'q\nr\n', 'y\n') });
    expect(() => reconstructFile([checkpoint, patch])).toThrow(/does not apply/);
  });

  it.each([
    ['an edit before the file exists', [ev('code_edit', { changes: [] })]],
    ['malformed edit data', [ev('file_created', { fileName: 'a' }), ev('code_edit', { changes: 'nope' })]],
    ['an event without a file id', [ev('file_created', { fileName: 'a' }, null)]],
  ])('throws a typed error for %s', (_what, events) => {
    expect(() => reconstructFile(events)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('classifies revisions for the index', () => {
    expect(revisionKindOf('code_snapshot', { kind: 'patch' })).toBe('patch');
    expect(revisionKindOf('code_snapshot', { kind: 'checkpoint' })).toBe('checkpoint');
    expect(revisionKindOf('code_edit', {})).toBe('edit');
    expect(revisionKindOf('focus', {})).toBeNull();
  });
});
