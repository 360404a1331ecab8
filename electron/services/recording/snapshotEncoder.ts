import { applyPatch, createPatch } from 'diff';
import type { CodeSnapshot } from '../../../shared/recording/session';
import type { EventBody, PendingEvent } from './eventWriter';

/** When a file's snapshot chain gets a full checkpoint instead of another patch. */
export interface CheckpointPolicy {
  checkpointEverySnapshots: number;
  checkpointEveryPatchBytes: number;
}

interface FileSnapshotChain {
  /** The last snapshot queued for the file; its seq becomes the next patch's base. */
  last: PendingEvent;
  content: string;
  patchesSinceCheckpoint: number;
  patchBytesSinceCheckpoint: number;
}

/** Bounds the diff so a pathological change cannot stall the main process; past it, a checkpoint is stored. */
const DIFF_TIMEOUT_MS = 250;

/**
 * Encodes code snapshots as patches against the previous snapshot of the same file, with a
 * full checkpoint every N snapshots or K patch bytes, so that rebuilding any file needs one
 * checkpoint plus a bounded number of patches.
 */
export class SnapshotEncoder {
  private readonly chains = new Map<string, Map<string, FileSnapshotChain>>();

  constructor(private readonly policy: CheckpointPolicy) {}

  /**
   * Builds the body of a snapshot event and remembers it as the file's latest snapshot.
   * The body is resolved at commit time: a patch needs its base's seq, and if the base
   * never committed (its transaction failed) the snapshot falls back to a checkpoint.
   */
  encode(sessionId: string, snapshot: CodeSnapshot, event: PendingEvent): () => EventBody {
    const files = this.chains.get(sessionId) ?? new Map<string, FileSnapshotChain>();
    this.chains.set(sessionId, files);
    const previous = files.get(snapshot.fileId);
    const patch = previous ? this.patchFrom(previous, snapshot) : null;
    const base = previous?.last;
    files.set(snapshot.fileId, {
      last: event,
      content: snapshot.content,
      patchesSinceCheckpoint: patch === null ? 0 : previous!.patchesSinceCheckpoint + 1,
      patchBytesSinceCheckpoint: patch === null ? 0 : previous!.patchBytesSinceCheckpoint + patch.length,
    });
    const { fileName, language, content } = snapshot;
    return () => {
      const baseSeq = base?.committedSeq;
      const data =
        patch !== null && baseSeq !== undefined
          ? { fileName, language, kind: 'patch' as const, patch, baseSeq, contentLength: content.length }
          : { fileName, language, kind: 'checkpoint' as const, content };
      const dataJson = JSON.stringify(data);
      return { dataJson, bytes: Buffer.byteLength(dataJson), revisionKind: data.kind };
    };
  }

  /** Forgets a file's chain (it was created anew or deleted): its next snapshot is a checkpoint. */
  resetFile(sessionId: string, fileId: string): void {
    this.chains.get(sessionId)?.delete(fileId);
  }

  /** Forgets a session (closed, or rolled back after a failed write). */
  resetSession(sessionId: string): void {
    this.chains.delete(sessionId);
  }

  private patchFrom(previous: FileSnapshotChain, snapshot: CodeSnapshot): string | null {
    if (
      previous.patchesSinceCheckpoint + 1 >= this.policy.checkpointEverySnapshots ||
      previous.patchBytesSinceCheckpoint >= this.policy.checkpointEveryPatchBytes
    ) {
      return null;
    }
    const patch = createPatch('file', previous.content, snapshot.content, undefined, undefined, {
      context: 1,
      timeout: DIFF_TIMEOUT_MS,
    });
    // A patch that is bigger than the file, or that does not reproduce it exactly, is worse than a checkpoint.
    if (patch === undefined || patch.length >= snapshot.content.length) return null;
    return applyPatch(previous.content, patch) === snapshot.content ? patch : null;
  }
}
