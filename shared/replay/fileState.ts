import { applyPatch } from 'diff';
import { z } from 'zod';
import { AppError } from '../errors';
import { TextChangeSchema, type TextChange } from '../recording/eventTypes';

/**
 * The replay reducer: how one file's content evolves event by event. Both the recorder
 * (rebuilding a file from SQLite) and the renderer's replay viewer fold events through it.
 *
 * A file's history is a chain of revisions: `file_created` and checkpoint snapshots reset
 * the content; patch snapshots apply a unified diff to the previous snapshot's content;
 * `code_edit` events apply Monaco changes to the running content; renames and deletes
 * change the name or existence.
 */

/** The parts of a recorded event that replay reads. */
export interface ReplayEvent {
  seq: number;
  timestamp: number;
  type: string;
  fileId: string | null;
  data: unknown;
}

/** A file as it stood after some event. */
export interface FileState {
  fileId: string;
  fileName: string;
  language: string | null;
  content: string;
  exists: boolean;
  /** The seq of the event that last changed this state. */
  seq: number;
  /** The last snapshot's content and seq: the base that the next patch applies to. */
  snapshotSeq: number | null;
  snapshotContent: string | null;
}

/** Revision kinds, as indexed by the recorder for each file-bearing event. */
export type FileRevisionKind = 'created' | 'renamed' | 'deleted' | 'checkpoint' | 'patch' | 'edit';

/** Revision kinds that set a file's whole state, so reconstruction can start there. */
export const RESET_REVISION_KINDS: readonly FileRevisionKind[] = ['created', 'checkpoint'];

const CreatedData = z.looseObject({ fileName: z.string(), language: z.string().optional(), content: z.string().optional() });
const RenamedData = z.looseObject({ fileName: z.string() });
const EditData = z.looseObject({ changes: z.array(TextChangeSchema) });
const SnapshotData = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('checkpoint'), fileName: z.string(), language: z.string(), content: z.string() }),
  z.looseObject({
    kind: z.literal('patch'),
    fileName: z.string(),
    language: z.string(),
    patch: z.string(),
    baseSeq: z.number().int(),
  }),
]);

/** The revision kind of a file-bearing event, or null when the event does not touch file content. */
export function revisionKindOf(type: string, data: unknown): FileRevisionKind | null {
  switch (type) {
    case 'file_created':
      return 'created';
    case 'file_renamed':
      return 'renamed';
    case 'file_deleted':
      return 'deleted';
    case 'code_edit':
      return 'edit';
    case 'code_snapshot':
      return (data as { kind?: unknown } | null)?.kind === 'patch' ? 'patch' : 'checkpoint';
    default:
      return null;
  }
}

/** Applies Monaco content changes in order, each to the result of the one before. */
export function applyTextChanges(content: string, changes: readonly TextChange[]): string {
  let text = content;
  for (const change of changes) {
    if (change.rangeOffset + change.rangeLength > text.length) {
      throw new RangeError(`change at ${change.rangeOffset}+${change.rangeLength} is past the end (${text.length})`);
    }
    text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
  }
  return text;
}

function malformed(event: ReplayEvent, why: string): AppError {
  return new AppError('VALIDATION_FAILED', `Recording event seq ${event.seq} (${event.type}) cannot be replayed: ${why}`, {
    seq: event.seq,
  });
}

function parse<T>(schema: z.ZodType<T>, event: ReplayEvent): T {
  const result = schema.safeParse(event.data);
  if (!result.success) throw malformed(event, result.error.issues[0]?.message ?? 'bad data');
  return result.data;
}

/**
 * Folds one event into a file's state. `state` is null before the file's first reset
 * point; events that cannot apply to a null state are an inconsistency and throw.
 */
export function applyFileEvent(state: FileState | null, event: ReplayEvent): FileState {
  const fileId = event.fileId;
  if (fileId === null) throw malformed(event, 'it names no file');
  switch (event.type) {
    case 'file_created': {
      const data = parse(CreatedData, event);
      return {
        fileId,
        fileName: data.fileName,
        language: data.language ?? null,
        content: data.content ?? '',
        exists: true,
        seq: event.seq,
        snapshotSeq: null,
        snapshotContent: null,
      };
    }
    case 'code_snapshot': {
      const data = parse(SnapshotData, event);
      if (data.kind === 'checkpoint') {
        return {
          fileId,
          fileName: data.fileName,
          language: data.language,
          content: data.content,
          exists: true,
          seq: event.seq,
          snapshotSeq: event.seq,
          snapshotContent: data.content,
        };
      }
      if (state?.snapshotContent == null || state.snapshotSeq !== data.baseSeq) {
        throw malformed(event, `its patch base (seq ${data.baseSeq}) is not the previous snapshot`);
      }
      const content = applyPatch(state.snapshotContent, data.patch);
      if (content === false) throw malformed(event, 'its patch does not apply to the previous snapshot');
      return { ...state, fileName: data.fileName, language: data.language, content, exists: true, seq: event.seq, snapshotSeq: event.seq, snapshotContent: content };
    }
    case 'code_edit': {
      if (!state) throw malformed(event, 'the file has no content yet');
      const data = parse(EditData, event);
      try {
        return { ...state, content: applyTextChanges(state.content, data.changes), seq: event.seq };
      } catch (error) {
        throw malformed(event, (error as Error).message);
      }
    }
    case 'file_renamed': {
      if (!state) throw malformed(event, 'the file does not exist yet');
      return { ...state, fileName: parse(RenamedData, event).fileName, seq: event.seq };
    }
    case 'file_deleted': {
      if (!state) throw malformed(event, 'the file does not exist yet');
      return { ...state, exists: false, seq: event.seq };
    }
    default:
      if (!state) throw malformed(event, 'it does not change a file');
      return state;
  }
}

/**
 * Rebuilds a file from its revisions, oldest first, starting at a reset point.
 * Returns null when there are no revisions.
 */
export function reconstructFile(revisions: Iterable<ReplayEvent>): FileState | null {
  let state: FileState | null = null;
  for (const event of revisions) state = applyFileEvent(state, event);
  return state;
}
