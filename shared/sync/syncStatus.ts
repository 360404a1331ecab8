import { z } from 'zod';

/**
 * Where one session's recording stands with cloud storage, as the sync indicator shows it:
 * local only (no storage configured), syncing n of m chunks, offline with a retry countdown,
 * a configuration problem that retrying cannot fix, or synced at a time.
 */
export const SyncStatusSchema = z.object({
  sessionId: z.string(),
  state: z.enum(['local_only', 'syncing', 'offline', 'auth_failed', 'bucket_missing', 'synced']),
  /** Chunks (and, once closed, the recording and manifest) in storage, of those the session needs so far. */
  objectsUploaded: z.number().int().nonnegative(),
  objectsTotal: z.number().int().nonnegative(),
  bytesUploaded: z.number().int().nonnegative(),
  /** Events recorded locally that storage does not hold yet. */
  pendingEvents: z.number().int().nonnegative(),
  /** While offline: when the next attempt is due, in ms from now. */
  retryInMs: z.number().int().nonnegative().nullable(),
  syncedAt: z.string().nullable(),
  /** For people: what is wrong, when something is. */
  message: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatusSchema>;
