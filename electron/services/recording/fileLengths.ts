import { AppError } from '../../../shared/errors';
import type { TextChange } from '../../../shared/recording/eventTypes';

/**
 * The length of every live file of one session, kept as events are recorded, so that an edit
 * replay could not apply (to a file that does not exist, or past its end) is refused when it
 * is recorded rather than discovered when a reviewer replays it. Unknown after a restart or a
 * failed write, it is rebuilt from the database on demand.
 */
export class FileLengths {
  private lengths: Map<string, number> | null = null;

  constructor(private readonly load: () => Map<string, number>) {}

  /** Checks an edit against the file; returns the function that records its effect once queued. */
  checkEdit(fileId: string, changes: readonly TextChange[]): () => void {
    const lengths = this.current();
    let length = lengths.get(fileId);
    if (length === undefined) {
      throw new AppError('FILE_NOT_FOUND', `File ${JSON.stringify(fileId)} has no content yet: record file_created or a code snapshot first`, { fileId });
    }
    for (const change of changes) {
      if (change.rangeOffset + change.rangeLength > length) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Edit at ${change.rangeOffset}+${change.rangeLength} is past the end of ${JSON.stringify(fileId)} (${length} characters)`,
          { fileId, length },
        );
      }
      length += change.text.length - change.rangeLength;
    }
    const finalLength = length;
    return () => this.lengths?.set(fileId, finalLength);
  }

  set(fileId: string, length: number): void {
    this.current().set(fileId, length);
  }

  delete(fileId: string): void {
    this.current().delete(fileId);
  }

  /** Forgets everything; the next check reloads from the database (after a failed write). */
  invalidate(): void {
    this.lengths = null;
  }

  private current(): Map<string, number> {
    this.lengths ??= this.load();
    return this.lengths;
  }
}
