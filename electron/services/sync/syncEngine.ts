import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { AppError, isAppError } from '../../../shared/errors';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import {
  manifestKey,
  recordingChunkKey,
  recordingKey,
  sessionPrefix,
  type ManifestObject,
  type RecordingManifest,
} from '../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { recordedEventFromRow, type EventRow } from '../db/rows';
import type { SqliteDatabase } from '../db/sqlite';
import type { SessionRow } from '../recording/sessionStore';
import type { ObjectStore } from '../storage/objectStore';
import { encodeRecording } from '../storage/recordingCodec';
import { recordingObjectMetadata } from '../storage/s3StorageService';

/** How the worker batches and retries. */
export interface SyncSettings {
  /** A chunk is shipped once this many events are waiting... */
  chunkEvents: number;
  /** ...or once the oldest waiting event is this old. */
  chunkIntervalMs: number;
  /** Attempts per request before the pass gives up and reports offline. */
  maxAttempts: number;
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** Consecutive transient failures that open the circuit... */
  breakerThreshold: number;
  /** ...and how long it stays open before one request may test the endpoint again. */
  halfOpenAfterMs: number;
  /** How often the worker looks for committed events to ship. */
  pollIntervalMs: number;
}

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  chunkEvents: 100,
  chunkIntervalMs: 10_000,
  maxAttempts: 4,
  initialRetryDelayMs: 250,
  maxRetryDelayMs: 8_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 15_000,
  pollIntervalMs: 1_000,
};

/**
 * What the engine needs from storage: an ObjectStore that can also delete (orphaned chunks).
 * `canList: false` marks a store that can only upload (server-issued URLs): the engine then
 * skips its own listing and relies on the server's manifest check.
 */
export type SyncObjectStore = ObjectStore & { delete(key: string): Promise<void>; readonly canList?: boolean };

/** The InterviewLM server's side of reconciliation (`SyncServerClient`). */
export interface ManifestReconciler {
  /** Keys of the manifest's objects the server does not hold intact. */
  reconcileManifest(manifest: RecordingManifest): Promise<{ missing: readonly string[] }>;
}

/** Rounds of "send the manifest, re-upload what is missing" before a pass gives up on a session. */
const MAX_SERVER_ROUNDS = 3;

export interface SyncEngineDeps {
  db: SqliteDatabase;
  store: SyncObjectStore;
  /** When set, a closed session is SYNCED only once the server holds every object of its manifest. */
  server?: ManifestReconciler;
  settings?: Partial<SyncSettings>;
  now?: () => number;
  onStatus?: (status: SyncStatus) => void;
}

interface SyncObjectRow {
  session_id: string;
  key: string;
  kind: 'chunk' | 'recording' | 'manifest';
  first_seq: number;
  last_seq: number;
  event_count: number;
  sha256: string;
  size: number;
  compressed_size: number;
  etag: string | null;
  uploaded_at: number;
}

/** Errors storage answers that retrying will not fix: stop, and say so. */
const PERMANENT_CODES = new Set(['STORAGE_AUTH_FAILED', 'STORAGE_BUCKET_MISSING']);

function isTransient(error: Error): boolean {
  if (isAppError(error)) return !PERMANENT_CODES.has(error.code) && (error.details as { transient?: boolean } | undefined)?.transient === true;
  return true;
}

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
  private readonly lastChunkAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private halted: AppError | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: SyncEngineDeps) {
    if (deps.store.canList === false && !deps.server) {
      throw new AppError('CONFIG_INVALID', 'A store that cannot list needs a server to reconcile with: nothing would check what storage holds.');
    }
    this.settings = { ...DEFAULT_SYNC_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    const transient = handleWhen(isTransient);
    const retryPolicy = retry(transient, {
      maxAttempts: this.settings.maxAttempts,
      backoff: new ExponentialBackoff({ initialDelay: this.settings.initialRetryDelayMs, maxDelay: this.settings.maxRetryDelayMs }),
    });
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: this.settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerThreshold),
    });
    // The breaker sits inside the retries: once it opens, remaining attempts fail fast.
    this.policy = wrap(retryPolicy, this.breaker);
  }

  /** Passes every pollIntervalMs until `stop`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.syncNow(), this.settings.pollIntervalMs);
    this.timer.unref();
    void this.syncNow();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The configuration problem that stopped syncing (bad credentials, no bucket), if any. */
  get haltedBy(): AppError | null {
    return this.halted;
  }

  /**
   * One pass over every session storage does not fully hold yet. Concurrent calls share the
   * pass in progress. Never throws: failures become statuses.
   */
  syncNow(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The status of one session, from the database. */
  statusOf(sessionId: string): SyncStatus | null {
    const session = this.session(sessionId);
    return session ? this.describe(session, null) : null;
  }

  private async pass(): Promise<void> {
    if (this.halted) return;
    const sessions = this.deps.db
      .prepare<[], SessionRow>("SELECT * FROM sessions WHERE sync_state != 'SYNCED' ORDER BY started_at")
      .all();
    for (const session of sessions) {
      try {
        await this.syncSession(session);
      } catch (error) {
        if (this.handleFailure(session, error) === 'stop-pass') return;
      }
    }
  }

  /**
   * Reports why a session's sync stopped, and whether the others can still go on: not when
   * storage is unreachable or misconfigured, but yes when only this session was refused
   * (a server that does not know it, say).
   */
  private handleFailure(session: SessionRow, error: unknown): 'stop-pass' | 'next-session' {
    if (isAppError(error) && PERMANENT_CODES.has(error.code)) {
      // Retrying cannot fix credentials or a bucket: stop until the app is reconfigured.
      this.halted = error;
      this.emit(session, error.code === 'STORAGE_AUTH_FAILED' ? 'auth_failed' : 'bucket_missing', error.message);
      return 'stop-pass';
    }
    const reason = error instanceof BrokenCircuitError ? 'storage keeps failing; waiting before trying again' : error instanceof Error ? error.message : String(error);
    this.emit(session, 'offline', reason);
    const sessionOnly = isAppError(error) && !isTransient(error);
    return sessionOnly ? 'next-session' : 'stop-pass';
  }

  private async syncSession(initial: SessionRow): Promise<void> {
    const { db } = this.deps;
    if (initial.sync_state === 'LOCAL_ONLY') db.prepare("UPDATE sessions SET sync_state = 'PENDING' WHERE id = ?").run(initial.id);
    const prefix = sessionPrefix(initial.id, new Date(initial.started_at));
    this.lastChunkAt.set(initial.id, this.lastChunkAt.get(initial.id) ?? this.now());
    for (;;) {
      const session = this.session(initial.id)!;
      const shipped = this.shippedThrough(session.id);
      const pending = session.last_seq - shipped;
      if (pending <= 0) break;
      const closed = session.status !== 'ACTIVE';
      // The clock went back: age the chunk from now, or it would wait until the clock catches up.
      if (this.now() < this.lastChunkAt.get(session.id)!) this.lastChunkAt.set(session.id, this.now());
      const waited = this.now() - this.lastChunkAt.get(session.id)!;
      if (!closed && pending < this.settings.chunkEvents && waited < this.settings.chunkIntervalMs) break;
      const lastSeq = Math.min(shipped + this.settings.chunkEvents, session.last_seq);
      await this.upload(session, 'chunk', recordingChunkKey(prefix, shipped + 1, lastSeq), shipped + 1, lastSeq);
      this.lastChunkAt.set(session.id, this.now());
      this.emit(session, 'syncing', null);
    }
    const session = this.session(initial.id)!;
    if (session.status === 'ACTIVE') {
      this.emit(session, 'syncing', null);
      return;
    }
    await this.finish(session, prefix);
  }

  /** A closed session: the consolidated recording, the manifest, then reconciliation. */
  private async finish(session: SessionRow, prefix: string): Promise<void> {
    if (session.last_seq > 0) await this.upload(session, 'recording', recordingKey(prefix), 1, session.last_seq);
    if (this.deps.store.canList !== false) await this.reconcile(session, prefix);
    const manifest = await this.putManifest(session, prefix);
    if (this.deps.server) await this.reconcileWithServer(session, prefix, manifest, this.deps.server);
    const syncedAt = this.now();
    this.deps.db.prepare("UPDATE sessions SET sync_state = 'SYNCED', synced_at = ? WHERE id = ?").run(syncedAt, session.id);
    this.emit(this.session(session.id)!, 'synced', null);
  }

  /**
   * Compares what storage holds under the session's prefix with the manifest: re-uploads
   * what is missing or differs, deletes chunks no manifest names (left by a kill mid-upload).
   */
  private async reconcile(session: SessionRow, prefix: string): Promise<void> {
    const held = new Map((await this.policy.execute(() => this.deps.store.list(prefix))).map((object) => [object.key, object]));
    const expected = this.objects(session.id).filter((row) => row.kind !== 'manifest');
    for (const row of expected) {
      const stored = held.get(row.key);
      // A listing carries size and ETag (not user metadata): both must be what the upload answered.
      const intact = stored !== undefined && stored.size === row.compressed_size && (row.etag === null || stored.etag === row.etag);
      if (!intact) await this.upload(session, row.kind as 'chunk' | 'recording', row.key, row.first_seq, row.last_seq);
    }
    const named = new Set([...expected.map((row) => row.key), manifestKey(prefix)]);
    for (const key of held.keys()) {
      if (!named.has(key)) await this.policy.execute(() => this.deps.store.delete(key));
    }
  }

  /** Built after reconciling, from the rows as they now stand. */
  private async putManifest(session: SessionRow, prefix: string): Promise<RecordingManifest> {
    const manifest = this.manifest(session);
    const body = new TextEncoder().encode(JSON.stringify(manifest));
    await this.policy.execute(() =>
      this.deps.store.put(manifestKey(prefix), body, { contentType: 'application/json', metadata: { sessionid: session.id, headhash: manifest.headHash } }),
    );
    return manifest;
  }

  /**
   * Sends the manifest to the server, re-uploads what it does not hold intact, and asks
   * again, until it holds everything; after MAX_SERVER_ROUNDS the pass gives up on the session.
   */
  private async reconcileWithServer(session: SessionRow, prefix: string, manifest: RecordingManifest, server: ManifestReconciler): Promise<void> {
    for (let round = 1; ; round += 1) {
      const { missing } = await this.policy.execute(() => server.reconcileManifest(manifest));
      if (missing.length === 0) return;
      if (round === MAX_SERVER_ROUNDS) {
        throw new AppError('STORAGE_FAILED', `The InterviewLM server still lacks ${missing.length} object(s) of session ${session.id} after ${round} checks, ${missing[0]} first.`, {
          transient: false,
          missing: missing.slice(0, 20),
        });
      }
      const rows = new Map(this.objects(session.id).map((row) => [row.key, row]));
      for (const key of missing) {
        const row = rows.get(key);
        if (!row || row.kind === 'manifest') throw new AppError('STORAGE_FAILED', `The InterviewLM server reports ${key} missing, which session ${session.id}'s manifest does not name.`, { transient: false, key });
        await this.upload(session, row.kind, row.key, row.first_seq, row.last_seq);
      }
      // Encoding is deterministic, so this is the same manifest; put again so storage never holds a stale one.
      manifest = await this.putManifest(session, prefix);
    }
  }

  private manifest(session: SessionRow): RecordingManifest {
    const objects: ManifestObject[] = this.objects(session.id)
      .filter((row) => row.kind !== 'manifest')
      .map((row) => ({
        key: row.key,
        kind: row.kind as 'chunk' | 'recording',
        firstSeq: row.first_seq,
        lastSeq: row.last_seq,
        eventCount: row.event_count,
        sha256: row.sha256,
        size: row.size,
        compressedSize: row.compressed_size,
      }));
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

  /** Encodes events firstSeq..lastSeq from the database, puts them, and records the object. */
  private async upload(session: SessionRow, kind: 'chunk' | 'recording', key: string, firstSeq: number, lastSeq: number): Promise<void> {
    const events = this.events(session.id, firstSeq, lastSeq);
    const encoded = encodeRecording({ sessionId: session.id, metadata: this.metadataOf(session), events });
    const endedAt = kind === 'recording' ? (session.ended_at ?? session.last_timestamp) : this.lastTimestampOf(events);
    const metadata = recordingObjectMetadata({
      candidateId: session.candidate_id,
      durationSeconds: String(Math.max(0, Math.round((endedAt - session.started_at) / 1000))),
      eventCount: events.length,
      sha256: encoded.sha256,
      size: encoded.size,
      uploadedAt: this.now(),
      extra: { sessionid: session.id, firstseq: String(firstSeq), lastseq: String(lastSeq) },
    });
    const { etag } = await this.policy.execute(() =>
      this.deps.store.put(key, encoded.bytes, { contentType: 'application/gzip', metadata }),
    );
    this.deps.db
      .prepare(
        `INSERT OR REPLACE INTO sync_objects (session_id, key, kind, first_seq, last_seq, event_count, sha256, size, compressed_size, etag, uploaded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(session.id, key, kind, firstSeq, lastSeq, events.length, encoded.sha256, encoded.size, encoded.bytes.length, etag, this.now());
  }

  /** Only what never changes: a chunk re-encoded later must come out byte for byte the same. */
  private metadataOf(session: SessionRow): Record<string, string> {
    return { candidateId: session.candidate_id, startedAt: iso(session.started_at)! };
  }

  private events(sessionId: string, firstSeq: number, lastSeq: number): RecordedEvent[] {
    return this.deps.db
      .prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq')
      .all(sessionId, firstSeq, lastSeq)
      .map(recordedEventFromRow);
  }

  private lastTimestampOf(events: RecordedEvent[]): number {
    return events.at(-1)?.timestamp ?? 0;
  }

  private session(sessionId: string): SessionRow | undefined {
    return this.deps.db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(sessionId);
  }

  /** The last seq of the contiguous run of chunks from seq 1. */
  private shippedThrough(sessionId: string): number {
    const row = this.deps.db
      .prepare<[string], { last: number | null }>("SELECT max(last_seq) AS last FROM sync_objects WHERE session_id = ? AND kind = 'chunk'")
      .get(sessionId);
    return row?.last ?? 0;
  }

  private objects(sessionId: string): SyncObjectRow[] {
    return this.deps.db.prepare<[string], SyncObjectRow>('SELECT * FROM sync_objects WHERE session_id = ? ORDER BY first_seq, kind').all(sessionId);
  }

  private describe(session: SessionRow, message: string | null, state?: SyncStatus['state']): SyncStatus {
    // Aggregated in SQL: a long session has a thousand chunks, and this runs after each upload.
    const totals = this.deps.db
      .prepare<[string], { objects: number; chunks: number; bytes: number | null; shipped: number | null }>(
        `SELECT count(*) AS objects, sum(kind = 'chunk') AS chunks, sum(compressed_size) AS bytes,
           max(CASE WHEN kind = 'chunk' THEN last_seq END) AS shipped FROM sync_objects WHERE session_id = ?`,
      )
      .get(session.id)!;
    const shipped = totals.shipped ?? 0;
    const chunksNeeded = Math.ceil(session.last_seq / this.settings.chunkEvents);
    const chunksHeld = totals.chunks ?? 0;
    const closed = session.status !== 'ACTIVE';
    return {
      sessionId: session.id,
      state: state ?? (session.sync_state === 'SYNCED' ? 'synced' : 'syncing'),
      objectsUploaded: totals.objects,
      objectsTotal: Math.max(chunksHeld, chunksNeeded) + (closed ? 1 : 0),
      bytesUploaded: totals.bytes ?? 0,
      pendingEvents: Math.max(0, session.last_seq - shipped),
      retryInMs: state === 'offline' ? (this.breaker.state === CircuitState.Open ? this.settings.halfOpenAfterMs : this.settings.pollIntervalMs) : null,
      syncedAt: iso(session.synced_at),
      message,
    };
  }

  private emit(session: SessionRow, state: SyncStatus['state'], message: string | null): void {
    this.deps.onStatus?.(this.describe(session, message, state));
  }
}

