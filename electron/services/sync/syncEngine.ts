import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  halfJitterGenerator,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IBackoff,
  type IPolicy,
} from 'cockatiel';
import { AppError, isAppError } from '../../../shared/errors';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  RecordingCodecSchema,
  SEGMENTED_RECORDING_CODEC_V1,
  manifestKey,
  recordingChunkKey,
  recordingKey,
  sessionPrefix,
  type ManifestObject,
  type RecordingCodec,
  type RecordingManifest,
} from '../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { eventRangeReader, type EventRangeReader } from '../db/rows';
import type { SqliteDatabase } from '../db/sqlite';
import type { Statement } from 'better-sqlite3';
import type { SessionRow } from '../recording/sessionStore';
import type { ObjectStore, PutOptions, StoredObjectInfo } from '../storage/objectStore';
import { isPermissionRefusal, isTransientStorageError } from '../storage/storageErrors';
import { MANIFEST_METADATA_NAME, manifestFromRecordingObject, withEmbeddedManifest } from '../storage/manifestMetadata';
import { encodeRecording, sha256Hex } from '../storage/recordingCodec';
import { recordingObjectMetadata } from '../storage/s3StorageService';
import { assembleSegmentedRecording, type EncodedSegmentedRecording } from '../storage/segmentedRecording';
import { DEFAULT_SEGMENT_SETTINGS, SegmentSealer, type SegmentSettings } from './segmentSealer';

/** How the worker batches, seals and retries. */
export interface SyncSettings extends SegmentSettings {
  /** A chunk is shipped once this many events are waiting... */
  chunkEvents: number;
  /** ...or once the oldest waiting event is this old. */
  chunkIntervalMs: number;
  /** Attempts per request before the pass gives up and reports offline. */
  maxAttempts: number;
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
  /**
   * A session refused on its own (a server that does not know it, a token not for it) is
   * tried again after a backoff from pollIntervalMs up to this, not on every pass.
   */
  maxSessionRetryDelayMs: number;
  /** Consecutive transient failures that open the circuit... */
  breakerThreshold: number;
  /** ...and how long it stays open before one request may test the endpoint again. */
  halfOpenAfterMs: number;
  /** How often the worker looks for committed events to ship. */
  pollIntervalMs: number;
  /**
   * A close whose upload (and server check) is still going after this long reports "syncing"
   * (the final sync's progress); one done sooner goes straight to "synced", without a flash of
   * the other or the work of building a status while its request is in flight.
   */
  closeSyncingStatusAfterMs: number;
}

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  chunkEvents: 100,
  chunkIntervalMs: 10_000,
  maxAttempts: 4,
  initialRetryDelayMs: 250,
  maxRetryDelayMs: 8_000,
  maxSessionRetryDelayMs: 5 * 60_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 15_000,
  pollIntervalMs: 1_000,
  closeSyncingStatusAfterMs: 100,
  ...DEFAULT_SEGMENT_SETTINGS,
};

/**
 * What the engine needs from storage: an ObjectStore that can also delete (chunks, once the
 * recording is stored), in batches when it can. `canList: false` marks a store that can only
 * upload (server-issued URLs): the engine then skips its own listing and clean-up and relies
 * on the server's manifest check.
 */
export type SyncObjectStore = ObjectStore & {
  delete(key: string): Promise<void>;
  deleteMany?(keys: readonly string[]): Promise<void>;
  readonly canList?: boolean;
};

/** The InterviewLM server's side of reconciliation (`SyncServerClient`). */
export interface ManifestReconciler {
  /** Keys of the manifest's objects the server does not hold intact. */
  reconcileManifest(manifest: RecordingManifest): Promise<{ missing: readonly string[] }>;
}

/**
 * Rounds of "compare what storage (or the server) holds with the manifest, re-upload what is
 * missing or different" before a pass gives up on a session.
 */
const MAX_RECONCILE_ROUNDS = 3;

export interface SyncEngineDeps {
  db: SqliteDatabase;
  store: SyncObjectStore;
  /** When set, a closed session is SYNCED only once the server holds every object of its manifest. */
  server?: ManifestReconciler;
  settings?: Partial<SyncSettings>;
  now?: () => number;
  onStatus?: (status: SyncStatus) => void;
}

/** Errors storage answers that retrying will not fix: stop, and say so. */
const PERMANENT_CODES = new Set(['STORAGE_AUTH_FAILED', 'STORAGE_BUCKET_MISSING']);

/** Storage, or the ETag check, found a body not matching the digests sent with it. */
function isDigestMismatch(error: unknown): boolean {
  if (!isAppError(error)) return false;
  const details = error.details as { digestMismatch?: boolean; awsCode?: string } | undefined;
  return details?.digestMismatch === true || details?.awsCode === 'XAmzContentSHA256Mismatch' || details?.awsCode === 'BadDigest';
}

/** `request`'s answer, or null when the keys are not allowed the operation (`isPermissionRefusal`); credentials refused outright still throw. */
async function refusedAsNull<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (isPermissionRefusal(error)) return null;
    throw error;
  }
}

/** The state a configuration problem puts sessions in. */
function haltedStateOf(error: AppError): 'auth_failed' | 'bucket_missing' {
  return error.code === 'STORAGE_AUTH_FAILED' ? 'auth_failed' : 'bucket_missing';
}

/** An auth failure about one session only (a server's "this token is not for that session"), not the app's credentials. */
function isSessionScoped(error: AppError): boolean {
  return (error.details as { scope?: string } | undefined)?.scope === 'session';
}

/** A session refused on its own: when it may be tried again, the backoff after that, what it was refused with, and its status then. */
interface SessionRetry {
  notBefore: number;
  backoff: IBackoff<unknown>;
  state: SyncStatus['state'];
  message: string;
  sessionStatus: SessionRow['status'];
}

/** An ETag as the MD5 it usually is: without S3's quotes, in lower case. */
function bareEtag(etag: string): string {
  return etag.replaceAll('"', '').toLowerCase();
}

/** How the recording storage holds differs from the one put (null: it does not), `manifest` included when the metadata carries it. */
function differenceFromPut(held: StoredObjectInfo | null, recording: EncodedSegmentedRecording, etag: string | null, manifest: RecordingManifest | null): string | null {
  if (!held) return 'it is missing';
  if (held.size !== recording.bytes.byteLength) return `it has ${held.size} bytes, not ${recording.bytes.byteLength}`;
  if (etag !== null && held.etag !== null && bareEtag(held.etag) !== bareEtag(etag)) return `its ETag is ${held.etag}, not ${etag}`;
  if (held.metadata.sha256 !== recording.sha256) return `its metadata gives the sha256 ${held.metadata.sha256 ?? '(none)'}, not ${recording.sha256}`;
  if (manifest && !isDeepStrictEqual(manifestFromRecordingObject(held), manifest)) return 'its metadata does not carry the manifest put with it';
  return null;
}

function isTransient(error: Error): boolean {
  if (isAppError(error)) return !PERMANENT_CODES.has(error.code) && isTransientStorageError(error);
  return true;
}

/**
 * The engine's own statements, by name (it reads events through `eventRangeReader`, shared
 * with its sealer); compiled once, when the engine is built, so no pass (a close least of
 * all) waits on SQLite's compiler.
 */
const SQL = {
  // Closed sessions first: their final upload is what a proctor waits on, and a running
  // session's chunks only keep the copy in storage trailing (they go in the same pass).
  unsyncedSessions: "SELECT * FROM sessions WHERE sync_state != 'SYNCED' ORDER BY status = 'ACTIVE', started_at",
  uncleanedSessions: "SELECT * FROM sessions WHERE sync_state = 'SYNCED' AND storage_cleaned_at IS NULL ORDER BY started_at",
  session: 'SELECT * FROM sessions WHERE id = ?',
  markPending: "UPDATE sessions SET sync_state = 'PENDING' WHERE id = ? AND sync_state = 'LOCAL_ONLY'",
  markSynced: "UPDATE sessions SET sync_state = 'SYNCED', synced_at = ?, storage_cleaned_at = NULL WHERE id = ?",
  markCleaned: 'UPDATE sessions SET storage_cleaned_at = ? WHERE id = ?',
  recordObject: `INSERT OR REPLACE INTO sync_objects (session_id, key, kind, first_seq, last_seq, event_count, sha256, size, compressed_size, codec, etag, uploaded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  forgetChunks: "DELETE FROM sync_objects WHERE session_id = ? AND kind != 'recording'",
  storedRecording: "SELECT sha256, size, compressed_size, codec FROM sync_objects WHERE session_id = ? AND key = ? AND kind = 'recording'",
  shippedThrough: "SELECT max(last_seq) AS last FROM sync_objects WHERE session_id = ? AND kind = 'chunk'",
  // Aggregated in SQL: a long session has a thousand chunks, and a status follows each upload.
  objectTotals: `SELECT count(*) AS objects, sum(kind = 'chunk') AS chunks, sum(kind = 'recording') AS recordings, sum(compressed_size) AS bytes,
      sum(CASE WHEN kind = 'recording' THEN compressed_size END) AS recordingBytes,
      max(CASE WHEN kind = 'chunk' THEN last_seq END) AS shipped FROM sync_objects WHERE session_id = ?`,
} as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Ships committed events to object storage: in chunks while a session runs, then, once it
 * is closed, the consolidated recording and a manifest, and finally reconciles what storage
 * holds with the manifest before marking the session SYNCED. Every request goes through a
 * retry policy with exponential backoff and jitter behind a circuit breaker (cockatiel), so
 * a dead endpoint is not hammered. All state is in SQLite: a restart resumes where it stopped.
 */
export class SyncEngine {
  private readonly settings: SyncSettings;
  private readonly now: () => number;
  private readonly policy: IPolicy;
  private readonly breaker;
  /** When the circuit last opened (the breaker's own clock): an offline status counts down to its half-open probe. */
  private breakerOpenedAt: number | null = null;
  /**
   * Sessions refused on their own, by id (a session closed since is tried at once).
   */
  private readonly sessionRetries = new Map<string, SessionRetry>();
  private readonly lastChunkAt = new Map<string, number>();
  /** The state last reported per session. */
  private readonly lastState = new Map<string, SyncStatus['state']>();
  private readonly sealer: SegmentSealer;
  private timer: NodeJS.Timeout | null = null;
  private halted: AppError | null = null;
  private running: Promise<void> | null = null;
  /** One more pass, due when the running one ends: asked for while it ran (see syncNow). */
  private followUp: Promise<void> | null = null;
  private readonly statements: Record<keyof typeof SQL, Statement>;
  private readonly readEvents: EventRangeReader;
  /** A closed session's SYNCED mark, with the stored recording noted in the same commit when `noteStored` is given. */
  private readonly commitSynced: (sessionId: string, syncedAt: number, noteStored: (() => void) | null) => void;
  /** Forgets a synced session's chunks and segments, and notes it cleaned up. */
  private readonly commitCleaned: (sessionId: string) => void;

  constructor(private readonly deps: SyncEngineDeps) {
    if (deps.store.canList === false && !deps.server) {
      throw new AppError('CONFIG_INVALID', 'A store that cannot list needs a server to reconcile with: nothing would check what storage holds.');
    }
    this.settings = { ...DEFAULT_SYNC_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    this.readEvents = eventRangeReader(deps.db);
    this.sealer = new SegmentSealer(deps.db, this.settings, this.readEvents);
    this.statements = Object.fromEntries(Object.entries(SQL).map(([name, source]) => [name, deps.db.prepare(source)])) as Record<keyof typeof SQL, Statement>;
    // Wrapped once, like the statements: better-sqlite3 builds a transaction function anew on every `transaction()` call.
    this.commitSynced = deps.db.transaction((sessionId: string, syncedAt: number, noteStored: (() => void) | null) => {
      noteStored?.();
      this.statement('markSynced').run(syncedAt, sessionId);
    });
    this.commitCleaned = deps.db.transaction((sessionId: string) => {
      this.statement('forgetChunks').run(sessionId);
      this.statement('markCleaned').run(this.now(), sessionId);
      this.sealer.discard(sessionId);
    });
    const transient = handleWhen(isTransient);
    const retryPolicy = retry(transient, {
      maxAttempts: this.settings.maxAttempts,
      backoff: new ExponentialBackoff({ initialDelay: this.settings.initialRetryDelayMs, maxDelay: this.settings.maxRetryDelayMs }),
    });
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: this.settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerThreshold),
    });
    this.breaker.onBreak(() => (this.breakerOpenedAt = Date.now()));
    // The breaker sits inside the retries: once it opens, remaining attempts fail fast.
    this.policy = wrap(retryPolicy, this.breaker);
  }

  /** Passes every pollIntervalMs until `stop`. */
  start(): void {
    if (this.timer) return;
    // A tick joins a pass under way rather than asking for another: the next tick is due anyway.
    this.timer = setInterval(() => void (this.running ?? this.syncNow()), this.settings.pollIntervalMs);
    this.timer.unref();
    void this.syncNow();
  }

  /**
   * Stops polling and waits for the pass in progress and the one asked to follow it, all of
   * them even when one fails (its owner closes the database next); then throws the first failure.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const failures: unknown[] = [];
    for (let waiting = this.followUp ?? this.running; waiting; waiting = this.followUp ?? this.running) {
      await waiting.catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }

  /** The configuration problem that stopped syncing (bad credentials, no bucket), if any. */
  get haltedBy(): AppError | null {
    return this.halted;
  }

  /**
   * One pass over every session storage does not fully hold yet. Never throws: failures become
   * statuses. Asked while a pass runs, it answers with one more pass after it, shared by every
   * call made meanwhile: the running pass listed the sessions before the reason for the call
   * (a session just closed, most often) may have existed, and would leave it to the next tick.
   */
  syncNow(): Promise<void> {
    if (this.running) {
      const next = () => {
        this.followUp = null;
        return this.syncNow();
      };
      this.followUp ??= this.running.then(next, next);
      return this.followUp;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The status of one session, from the database and what the engine knows of why it waits. */
  statusOf(sessionId: string): SyncStatus | null {
    const session = this.session(sessionId);
    if (!session) return null;
    if (this.halted && session.sync_state !== 'SYNCED') return this.describe(session, this.halted.message, haltedStateOf(this.halted));
    const waiting = this.dueLater(session);
    return waiting ? this.describe(session, waiting.message, waiting.state) : this.describe(session, null);
  }

  private async pass(): Promise<void> {
    const sessions = this.statement<[], SessionRow>('unsyncedSessions')
      .all();
    if (this.halted) {
      // Nothing is tried until the app is reconfigured; a session begun since says why too.
      const state = haltedStateOf(this.halted);
      for (const session of sessions) if (this.lastState.get(session.id) !== state) this.emit(session, state, this.halted.message);
      return;
    }
    let stopped: { state: SyncStatus['state']; message: string } | null = null;
    for (const session of sessions) {
      // Storage is unreachable or refuses the app (no other session fares better this pass),
      // or refused this session and its next try is not due: its local work goes on, and it
      // says why it waits.
      const waiting = stopped ?? this.dueLater(session);
      if (waiting) {
        this.sealLocally(session);
        this.emit(session, waiting.state, waiting.message);
        continue;
      }
      try {
        await this.syncSession(session);
        this.sessionRetries.delete(session.id);
      } catch (error) {
        stopped = this.handleFailure(session, error);
      }
    }
    if (stopped) return;
    const uncleaned = this.statement<[], SessionRow>('uncleanedSessions')
      .all();
    for (const session of uncleaned) await this.cleanUp(session);
  }

  /**
   * Reports why a session's sync stopped, and whether the others can still go on: not when
   * storage is unreachable or misconfigured (then the state and message every other session
   * gets this pass are returned), but yes when only this session was refused (a server that
   * does not know it, a token not for it): that one is tried again after a backoff.
   */
  private handleFailure(session: SessionRow, error: unknown): { state: SyncStatus['state']; message: string } | null {
    if (isAppError(error) && PERMANENT_CODES.has(error.code)) {
      const state = haltedStateOf(error);
      if (isSessionScoped(error)) {
        this.backOff(session, state, error.message);
        this.emit(session, state, error.message);
        return null;
      }
      // Retrying cannot fix credentials or a bucket: stop until the app is reconfigured.
      this.halted = error;
      this.emit(session, state, error.message);
      return { state, message: error.message };
    }
    const reason = error instanceof BrokenCircuitError ? 'storage keeps failing; waiting before trying again' : error instanceof Error ? error.message : String(error);
    const sessionOnly = isAppError(error) && !isTransient(error);
    // A digest mismatch has had its digests dropped (see putRecording): the next pass can succeed.
    if (sessionOnly && !isDigestMismatch(error)) this.backOff(session, 'offline', reason);
    // Storage itself failing says nothing of the session: its own backoff, if any, starts over.
    else this.sessionRetries.delete(session.id);
    this.emit(session, 'offline', reason);
    return sessionOnly ? null : { state: 'offline', message: reason };
  }

  /** Schedules a session refused on its own for a later pass, further off each time it is refused again. */
  private backOff(session: SessionRow, state: SyncStatus['state'], message: string): void {
    const previous = this.sessionRetries.get(session.id);
    // Half jitter keeps each wait at least half its step. A session closed since starts over:
    // its final upload is another request than the chunks that were refused.
    const backoff =
      previous && previous.sessionStatus === session.status
        ? previous.backoff.next(undefined)
        : new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: this.settings.pollIntervalMs, maxDelay: this.settings.maxSessionRetryDelayMs }).next();
    this.sessionRetries.set(session.id, { notBefore: this.now() + backoff.duration, backoff, state, message, sessionStatus: session.status });
  }

  /**
   * For a session refused on its own whose next try is not due yet, its retry (the state and
   * message it was refused with, and when it is due). Not once it has closed since (its final
   * upload is a new request), nor past its wait should the clock go back.
   */
  private dueLater(session: SessionRow): SessionRetry | null {
    const retry = this.sessionRetries.get(session.id);
    if (!retry || retry.sessionStatus !== session.status) return null;
    const waitMs = retry.notBefore - this.now();
    return waitMs > 0 && waitMs <= retry.backoff.duration ? retry : null;
  }

  /**
   * A running session's local work (sealing its committed events) for a pass that will not
   * upload for it, so a close after a long outage still finds them compressed.
   */
  private sealLocally(session: SessionRow): void {
    if (session.status !== 'ACTIVE') return;
    try {
      this.sealer.sealWithProvisionalTail(session.id, session.last_seq);
    } catch {
      // Sealing is redone by the pass that uploads, which reports what goes wrong.
    }
  }

  private async syncSession(initial: SessionRow): Promise<void> {
    const prefix = sessionPrefix(initial.id, new Date(initial.started_at));
    // A closed session goes straight to its recording: that covers every event, chunks or not.
    // It goes from LOCAL_ONLY to SYNCED in one commit when the upload succeeds, and is noted
    // PENDING only when it does not: no write stands between the close and its request.
    if (initial.status !== 'ACTIVE') {
      try {
        return await this.finish(initial, prefix);
      } catch (error) {
        try {
          if (initial.sync_state === 'LOCAL_ONLY') this.statement('markPending').run(initial.id);
        } catch {
          // The upload's failure is what the pass reports; PENDING is noted on a later one.
        }
        throw error;
      }
    }
    if (initial.sync_state === 'LOCAL_ONLY') this.statement('markPending').run(initial.id);
    // Local work first, so it goes on while storage is unreachable.
    this.sealer.sealWithProvisionalTail(initial.id, initial.last_seq);
    this.lastChunkAt.set(initial.id, this.lastChunkAt.get(initial.id) ?? this.now());
    for (;;) {
      const session = this.session(initial.id)!;
      const shipped = this.shippedThrough(session.id);
      const pending = session.last_seq - shipped;
      if (pending <= 0 || session.status !== 'ACTIVE') break;
      // The clock went back: age the chunk from now, or it would wait until the clock catches up.
      if (this.now() < this.lastChunkAt.get(session.id)!) this.lastChunkAt.set(session.id, this.now());
      const waited = this.now() - this.lastChunkAt.get(session.id)!;
      if (pending < this.settings.chunkEvents && waited < this.settings.chunkIntervalMs) break;
      const lastSeq = Math.min(shipped + this.settings.chunkEvents, session.last_seq);
      await this.uploadChunk(session, recordingChunkKey(prefix, shipped + 1, lastSeq), shipped + 1, lastSeq);
      this.lastChunkAt.set(session.id, this.now());
      this.emit(session, 'syncing', null);
    }
    this.emit(this.session(initial.id)!, 'syncing', null);
  }

  /**
   * A closed session. The consolidated recording is concatenated from the segments sealed
   * while it ran (only the events since the last pass are compressed now) and put with its
   * manifest in its own metadata: one atomic request, checked against what S3 answers it
   * stored. Then it reconciles: a HEAD must show storage holding what was put (else it is put
   * again), and the server (if any) confirms it holds the manifest's objects; only then is
   * the session SYNCED. The readable manifest.json and the removal of the chunks follow
   * as housekeeping (`cleanUp`). A manifest the metadata cannot carry (a candidate id too
   * long for it) goes up as manifest.json alongside the recording instead, before SYNCED.
   */
  private async finish(session: SessionRow, prefix: string): Promise<void> {
    const recording = assembleSegmentedRecording({
      sessionId: session.id,
      metadata: this.metadataOf(session),
      segments: this.sealer.segmentsThrough(session.id, session.last_seq),
    });
    const key = recordingKey(prefix);
    const manifest = this.manifest(session, recording, key);
    const metadata = this.recordingMetadata(session, recording, manifest);
    const manifestInRecording = session.last_seq > 0 && MANIFEST_METADATA_NAME in metadata;
    const recordingPut = session.last_seq > 0 ? this.putRecording(session, key, recording, metadata) : null;
    const puts = Promise.all([recordingPut, manifestInRecording ? null : this.putManifest(session, prefix, manifest)]);
    // Not when retrying through an outage either, which would flap offline/syncing.
    const syncingStatus =
      this.lastState.get(session.id) === 'offline' ? null : setTimeout(() => this.emit(session, 'syncing', null), this.settings.closeSyncingStatusAfterMs);
    const { server } = this.deps;
    let syncedAt: number;
    try {
      let [etag] = await puts;
      // A store that cannot read (server-issued URLs) leaves this check to the server.
      if (recordingPut && this.deps.store.canList !== false) etag = await this.confirmStored(session, key, recording, metadata, manifestInRecording ? manifest : null, etag);
      const noteStored = () => {
        if (recordingPut) this.recordStoredRecording(session, key, recording, etag);
      };
      // With a server, the stored recording is noted before it is asked what it holds;
      // without one, in the same commit as the state it puts the session in.
      if (server) {
        noteStored();
        await this.reconcileWithServer(session, key, recording, metadata, manifest, server);
      }
      syncedAt = this.now();
      this.commitSynced(session.id, syncedAt, server ? null : noteStored);
    } finally {
      if (syncingStatus) clearTimeout(syncingStatus);
    }
    this.lastChunkAt.delete(session.id);
    // Built from what was just written rather than read back: this runs while the close is timed.
    const synced: SessionRow = { ...session, sync_state: 'SYNCED', synced_at: syncedAt, storage_cleaned_at: null };
    this.lastState.delete(session.id);
    this.deps.onStatus?.(this.syncedStatus(synced, recordingPut ? recording.compressedSize : null, null));
    await this.cleanUp(synced, manifest);
  }

  /**
   * Compares the recording storage holds (a HEAD) with the one put: its size, ETag, sha256
   * and, when its metadata carries it, the manifest. What differs (an object lost or replaced
   * right after storage accepted it, metadata a store dropped) is put again, up to
   * MAX_RECONCILE_ROUNDS puts in all. Returns the ETag of the put storage holds.
   */
  private async confirmStored(
    session: SessionRow,
    key: string,
    recording: EncodedSegmentedRecording,
    metadata: Record<string, string>,
    manifest: RecordingManifest | null,
    etag: string | null,
  ): Promise<string | null> {
    const { store } = this.deps;
    for (let round = 1; ; round += 1) {
      let held: StoredObjectInfo | null;
      try {
        held = await this.policy.execute(() => store.head(key));
      } catch (error) {
        // Keys that may write but not read (a PutObject-only policy): the PUT's checked answer is all there is.
        if (isPermissionRefusal(error)) return etag;
        throw error;
      }
      const difference = differenceFromPut(held, recording, etag, manifest);
      if (difference === null) return etag;
      if (round === MAX_RECONCILE_ROUNDS) {
        // This session's alone (storage answers every request): it backs off, the others go on.
        throw new AppError('STORAGE_FAILED', `Storage does not hold ${JSON.stringify(key)} as it was put after ${round} puts: ${difference}.`, { transient: false, key });
      }
      etag = await this.putRecording(session, key, recording, metadata);
    }
  }

  /**
   * Housekeeping once a session is SYNCED: writes manifest.json if only the recording's
   * metadata holds the manifest so far, removes what the folder holds beyond the manifest
   * (the chunks shipped while it ran, any orphan of a killed upload) and drops the local
   * segments. The recording is already stored and verified, so a failure here changes no
   * status, and the next pass tries again (the pending clean-up is in SQLite). A store that
   * cannot list leaves the removal to the server, which removes what the manifest does not name.
   */
  private async cleanUp(session: SessionRow, known?: RecordingManifest): Promise<void> {
    const { store } = this.deps;
    const prefix = sessionPrefix(session.id, new Date(session.started_at));
    try {
      const manifest = known ?? this.storedManifest(session, prefix);
      // Right after the recording, manifest.json is (re)written; on a later pass, only if it is
      // missing (a store that cannot list gets it again: a PUT of the same bytes is harmless).
      if (known) await this.putManifest(session, prefix, manifest);
      const listing = store.canList === false ? null : await refusedAsNull(this.policy.execute(() => store.list(prefix)));
      if (!known && !listing?.some((object) => object.key === manifestKey(prefix))) await this.putManifest(session, prefix, manifest);
      if (listing) {
        const named = new Set([...manifest.objects.map((object) => object.key), manifestKey(prefix)]);
        await refusedAsNull(this.remove(listing.map((object) => object.key).filter((stored) => !named.has(stored))));
      }
      // Keys not allowed to list or delete leave the chunks to the bucket's lifecycle rules (or
      // the server): asking again on every pass would not change the answer.
      this.commitCleaned(session.id);
    } catch {
      // Left for the next pass: see above.
    }
  }

  /** The manifest of a synced session rebuilt from SQLite (after a restart between SYNCED and the clean-up). */
  private storedManifest(session: SessionRow, prefix: string): RecordingManifest {
    const key = recordingKey(prefix);
    const row = this.statement<[string, string], { sha256: string; size: number; compressed_size: number; codec: string | null }>('storedRecording')
      .get(session.id, key);
    // A row without a codec predates schema 5, when sync wrote only v1 recordings.
    const codec = RecordingCodecSchema.catch(SEGMENTED_RECORDING_CODEC_V1).parse(row?.codec);
    return this.manifest(session, row ? { sha256: row.sha256, size: row.size, compressedSize: row.compressed_size, codec } : null, key);
  }

  /** Removes objects no manifest names, in batches where storage allows. */
  private async remove(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const { store } = this.deps;
    if (store.deleteMany) {
      const deleteMany = store.deleteMany.bind(store);
      await this.policy.execute(() => deleteMany(keys));
      return;
    }
    for (const key of keys) await this.policy.execute(() => store.delete(key));
  }

  /**
   * The recording's object metadata: the seed's fields, its seq range and, where it can
   * (withEmbeddedManifest), the manifest.
   */
  private recordingMetadata(session: SessionRow, recording: EncodedSegmentedRecording, manifest: RecordingManifest): Record<string, string> {
    const metadata = recordingObjectMetadata({
      candidateId: session.candidate_id,
      durationSeconds: String(Math.max(0, Math.round(((session.ended_at ?? session.last_timestamp) - session.started_at) / 1000))),
      eventCount: session.last_seq,
      sha256: recording.sha256,
      size: recording.size,
      uploadedAt: this.now(),
      codec: recording.codec,
      extra: { sessionid: session.id, firstseq: String(session.last_seq > 0 ? 1 : 0), lastseq: String(session.last_seq) },
    });
    const embedded = withEmbeddedManifest(metadata, manifest);
    // Without the manifest, the head on its own: what an upload replacing it is checked against.
    return MANIFEST_METADATA_NAME in embedded ? embedded : { ...embedded, headhash: manifest.headHash };
  }

  /** Notes the consolidated recording as stored, with the ETag storage answered for it. */
  private recordStoredRecording(session: SessionRow, key: string, recording: EncodedSegmentedRecording, etag: string | null): void {
    this.record(session.id, key, 'recording', 1, session.last_seq, session.last_seq, recording, etag);
  }

  /**
   * Puts the consolidated recording; returns the ETag storage answered. Its sha256 (the
   * signed payload hash, which S3 checks the body against) and MD5 (checked against the ETag)
   * come from the sealer's running digests, so the close hashes none of it. Should storage
   * find the body not matching them, the sealer rebuilds them from the bytes in SQLite before
   * the next attempt, so no slip in that bookkeeping can repeat.
   */
  private async putRecording(session: SessionRow, key: string, recording: EncodedSegmentedRecording, metadata: Record<string, string>): Promise<string | null> {
    try {
      return await this.putVerified(key, recording.bytes, { contentType: 'application/octet-stream', metadata, sha256: recording.sha256 }, recording.md5);
    } catch (error) {
      if (isDigestMismatch(error)) this.sealer.reload(session.id);
      throw error;
    }
  }

  private async putManifest(session: SessionRow, prefix: string, manifest: RecordingManifest): Promise<void> {
    const body = new TextEncoder().encode(JSON.stringify(manifest));
    // Its sha256 in its metadata, as every object the worker stores carries one.
    const sha256 = sha256Hex(body);
    await this.putVerified(manifestKey(prefix), body, { contentType: 'application/json', metadata: { sessionid: session.id, headhash: manifest.headHash, sha256 }, sha256 });
  }

  /**
   * Puts through the retry policy and checks S3's answer: a single-part object's ETag is the
   * MD5 of the bytes it stored, so an ETag that is an MD5 and not the bytes' means they were
   * damaged on the way (retried like any transient failure). Without `md5` the bytes are
   * hashed while the request is on its way; with it, they are hashed only when the ETag
   * differs, to tell damage in transit from an `md5` that is not theirs (not retried: the
   * caller's digests are wrong). An object S3 encrypts with KMS or a customer key gets an
   * opaque ETag: then only S3's own check of the body against its signed sha256 stands.
   * Returns the ETag.
   */
  private async putVerified(key: string, body: Uint8Array, options: PutOptions, md5?: string): Promise<string | null> {
    const md5Of = () => createHash('md5').update(body).digest('hex');
    let expected = md5 ?? null;
    return this.policy.execute(async () => {
      const answer = this.deps.store.put(key, body, options);
      answer.catch(() => {}); // awaited below; this only keeps a quick failure from counting as unhandled meanwhile
      // Hashed once the request is on its way (the SDK writes it within the microtasks before
      // setImmediate), while storage handles it: the comparison waits for its answer anyway.
      expected ??= await new Promise<string>((resolve) => setImmediate(() => resolve(md5Of())));
      const { etag, etagIsMd5 = true } = await answer;
      const stored = etag === null ? null : bareEtag(etag);
      if (etagIsMd5 && stored !== null && /^[0-9a-f]{32}$/.test(stored) && stored !== expected) {
        if (md5 !== undefined && md5Of() === stored) {
          throw new AppError('STORAGE_FAILED', `The MD5 kept for ${JSON.stringify(key)} (${md5}) is not that of its bytes (${stored}).`, { transient: false, key, digestMismatch: true });
        }
        throw new AppError('STORAGE_FAILED', `Storage stored ${JSON.stringify(key)} with ETag ${stored}, not the MD5 ${expected} of the bytes sent.`, { transient: true, key });
      }
      return etag;
    });
  }

  /**
   * Sends the manifest to the server, re-uploads the recording while it does not hold it
   * intact, and asks again; after MAX_RECONCILE_ROUNDS the pass gives up on the session.
   */
  private async reconcileWithServer(
    session: SessionRow,
    key: string,
    recording: EncodedSegmentedRecording,
    metadata: Record<string, string>,
    manifest: RecordingManifest,
    server: ManifestReconciler,
  ): Promise<void> {
    for (let round = 1; ; round += 1) {
      const { missing } = await this.policy.execute(() => server.reconcileManifest(manifest));
      if (missing.length === 0) return;
      if (round === MAX_RECONCILE_ROUNDS) {
        throw new AppError('STORAGE_FAILED', `The InterviewLM server still lacks ${missing.length} object(s) of session ${session.id} after ${round} checks, ${missing[0]} first.`, {
          transient: false,
          missing: missing.slice(0, 20),
        });
      }
      const unknown = missing.find((name) => name !== key);
      if (unknown !== undefined) throw new AppError('STORAGE_FAILED', `The InterviewLM server reports ${unknown} missing, which session ${session.id}'s manifest does not name.`, { transient: false, key: unknown });
      this.recordStoredRecording(session, key, recording, await this.putRecording(session, key, recording, metadata));
    }
  }

  /** What the closed session consists of in storage: its consolidated recording. */
  private manifest(session: SessionRow, recording: { sha256: string; size: number; compressedSize: number; codec: RecordingCodec } | null, key: string): RecordingManifest {
    const objects: ManifestObject[] =
      session.last_seq === 0 || !recording
        ? []
        : [
            {
              key,
              kind: 'recording',
              firstSeq: 1,
              lastSeq: session.last_seq,
              eventCount: session.last_seq,
              sha256: recording.sha256,
              size: recording.size,
              compressedSize: recording.compressedSize,
              codec: recording.codec,
            },
          ];
    return {
      version: 1,
      sessionId: session.id,
      candidateId: session.candidate_id,
      status: session.status,
      startedAt: iso(session.started_at)!,
      endedAt: iso(session.ended_at),
      eventCount: session.last_seq,
      firstSeq: session.last_seq > 0 ? 1 : 0,
      lastSeq: session.last_seq,
      headHash: session.last_hash,
      objects,
      stats: {
        totalTokens: session.total_tokens,
        testsPassed: session.tests_passed,
        testResults: session.test_results,
        snapshots: session.snapshot_count,
        aiInteractions: session.ai_interaction_count,
        bytes: session.data_bytes,
      },
    };
  }

  /** Encodes events firstSeq..lastSeq as a chunk (the seed's gzip of JSON), puts it, and records it. */
  private async uploadChunk(session: SessionRow, key: string, firstSeq: number, lastSeq: number): Promise<void> {
    const events = this.readEvents(session.id, firstSeq, lastSeq);
    const encoded = encodeRecording({ sessionId: session.id, metadata: this.metadataOf(session), events });
    const metadata = recordingObjectMetadata({
      candidateId: session.candidate_id,
      durationSeconds: String(Math.max(0, Math.round(((events.at(-1)?.timestamp ?? 0) - session.started_at) / 1000))),
      eventCount: events.length,
      sha256: encoded.sha256,
      size: encoded.size,
      uploadedAt: this.now(),
      codec: encoded.codec,
      extra: { sessionid: session.id, firstseq: String(firstSeq), lastseq: String(lastSeq) },
    });
    const etag = await this.putVerified(key, encoded.bytes, { contentType: 'application/gzip', metadata, sha256: encoded.sha256 });
    this.record(session.id, key, 'chunk', firstSeq, lastSeq, events.length, encoded, etag);
  }

  private record(
    sessionId: string,
    key: string,
    kind: 'chunk' | 'recording',
    firstSeq: number,
    lastSeq: number,
    eventCount: number,
    encoded: { sha256: string; size: number; compressedSize: number; codec: RecordingCodec },
    etag: string | null,
  ): void {
    this.statement('recordObject')
      .run(sessionId, key, kind, firstSeq, lastSeq, eventCount, encoded.sha256, encoded.size, encoded.compressedSize, encoded.codec, etag, this.now());
  }

  /** Only what never changes: a chunk re-encoded later must come out byte for byte the same. */
  private metadataOf(session: SessionRow): Record<string, string> {
    return { candidateId: session.candidate_id, startedAt: iso(session.started_at)! };
  }

  private session(sessionId: string): SessionRow | undefined {
    return this.statement<[string], SessionRow>('session').get(sessionId);
  }

  /** The last seq of the contiguous run of chunks from seq 1. */
  private shippedThrough(sessionId: string): number {
    const row = this.statement<[string], { last: number | null }>('shippedThrough')
      .get(sessionId);
    return row?.last ?? 0;
  }

  private describe(session: SessionRow, message: string | null, state?: SyncStatus['state']): SyncStatus {
    if (session.sync_state === 'SYNCED' && (state ?? 'synced') === 'synced') return this.describeSynced(session, message);
    const totals = this.statement<[string], { objects: number; chunks: number; recordings: number; bytes: number | null; recordingBytes: number | null; shipped: number | null }>('objectTotals')
      .get(session.id)!;
    const shipped = totals.shipped ?? 0;
    const chunksNeeded = Math.ceil(session.last_seq / this.settings.chunkEvents);
    const chunksHeld = totals.chunks ?? 0;
    const closed = session.status !== 'ACTIVE';
    const synced = session.sync_state === 'SYNCED';
    return {
      sessionId: session.id,
      state: state ?? (synced ? 'synced' : 'syncing'),
      // Once synced, what counts is the recording: the chunks are on their way out.
      objectsUploaded: synced ? (totals.recordings ?? 0) : totals.objects,
      // A closed session needs no more chunks: its recording covers every event.
      objectsTotal: synced ? (totals.recordings ?? 0) : closed ? chunksHeld + (session.last_seq > 0 ? 1 : 0) : Math.max(chunksHeld, chunksNeeded),
      bytesUploaded: (synced ? totals.recordingBytes : totals.bytes) ?? 0,
      pendingEvents: synced ? 0 : Math.max(0, session.last_seq - shipped),
      // Offline, or refused on its own and waiting (an earlier interview's token, say): when it is tried next.
      // Not while halted: nothing is tried until the app is reconfigured.
      retryInMs: !this.halted && (state === 'offline' || (state !== 'synced' && this.dueLater(session))) ? this.retryInMs(session) : null,
      syncedAt: iso(session.synced_at),
      message,
    };
  }

  /**
   * When an offline session is tried next: its own backoff when storage refused it alone;
   * while the circuit is open, its half-open probe; otherwise the next pass.
   */
  private retryInMs(session: SessionRow): number {
    const scheduled = this.dueLater(session);
    if (scheduled) return Math.round(scheduled.notBefore - this.now());
    if (this.breaker.state === CircuitState.Open && this.breakerOpenedAt !== null) {
      return Math.round(Math.max(this.settings.pollIntervalMs, this.breakerOpenedAt + this.settings.halfOpenAfterMs - Date.now()));
    }
    return this.settings.pollIntervalMs;
  }

  /** A synced session's status: its recording is all that counts (one row by key, where `describe` aggregates every chunk). */
  private describeSynced(session: SessionRow, message: string | null): SyncStatus {
    const recording = this.statement<[string, string], { compressed_size: number }>('storedRecording')
      .get(session.id, recordingKey(sessionPrefix(session.id, new Date(session.started_at))));
    return this.syncedStatus(session, recording?.compressed_size ?? null, message);
  }

  /** The status of a synced session whose stored recording has `recordingBytes` (null: an empty session stores none). */
  private syncedStatus(session: SessionRow, recordingBytes: number | null, message: string | null): SyncStatus {
    const held = recordingBytes === null ? 0 : 1;
    return {
      sessionId: session.id,
      state: 'synced',
      objectsUploaded: held,
      objectsTotal: held,
      bytesUploaded: recordingBytes ?? 0,
      pendingEvents: 0,
      retryInMs: null,
      syncedAt: iso(session.synced_at),
      message,
    };
  }

  /** The engine's statement `name` (see SQL), typed for its parameters and rows. */
  private statement<Parameters extends unknown[] = unknown[], Row = unknown>(name: keyof typeof SQL): Statement<Parameters, Row> {
    return this.statements[name] as unknown as Statement<Parameters, Row>;
  }

  private emit(session: SessionRow, state: SyncStatus['state'], message: string | null): void {
    this.lastState.set(session.id, state);
    this.deps.onStatus?.(this.describe(session, message, state));
  }
}

