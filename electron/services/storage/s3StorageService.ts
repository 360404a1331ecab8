import { z } from 'zod';
import { AppError, isAppError } from '../../../shared/errors';
import { RecordedEventSchema, type RecordedEvent } from '../../../shared/recording/eventTypes';
import { SessionIdSchema } from '../../../shared/recording/session';
import {
  METADATA_CUT_NAME,
  RECORDING_CODEC,
  RecordingCodecSchema,
  recordingKey,
  sessionPrefix,
  type RecordingCodec,
  type RecordingMetadata,
} from '../../../shared/storage/recordingObjects';
import { parseOrThrow } from '../../../shared/validation';
import { manifestFromRecordingObject } from './manifestMetadata';
import type { ObjectStore, StoredObjectInfo } from './objectStore';
import { decodeRecordingAsync, encodeRecordingAsync, recordingCorrupt as corrupt, sha256Hex } from './recordingCodec';
import { decodeSegmentedRecording } from './segmentedRecording';

/** What the storage service needs to know about a session to find its folder. */
export interface SessionRef {
  /** ISO-8601; its UTC date partitions the keys. */
  startedAt: string;
  candidateId: string;
}

export interface S3StorageDeps {
  store: ObjectStore;
  /** The session's start and candidate; null (or a SESSION_NOT_FOUND rejection) for an unknown session. */
  lookupSession: (sessionId: string) => SessionRef | null | Promise<SessionRef | null>;
  /** Milliseconds since the epoch; stamps `uploadedat`. */
  now?: () => number;
}

/**
 * What `uploadSessionRecording` resolves with: the seed's sizes, plus what identifies the
 * stored bytes. When the stored recording already held the same events and was kept, these
 * describe it as stored, in its codec (as `getStorageStats` does).
 */
export interface UploadResult {
  key: string;
  /** Bytes before compression: the JSON's for the seed's gzip; for sync's segmented codec, its header and raw segments'. */
  size: number;
  /** Bytes stored. */
  compressedSize: number;
  /** size / compressedSize. */
  compressionRatio: number;
  /** sha256 (hex) of the stored, compressed bytes. */
  sha256: string;
  etag: string | null;
}

/** What `downloadSessionRecording` resolves with: every event, and the metadata given at upload. */
export interface DownloadedRecording {
  events: RecordedEvent[];
  metadata: RecordingMetadata;
}

/** What `getStorageStats` reports; sizes are 0 and hashes null while nothing is stored. */
export interface StorageStats {
  exists: boolean;
  key: string;
  /** Bytes of the JSON before compression. */
  size: number;
  /** Bytes stored. */
  compressedSize: number;
  eventCount: number;
  sha256: string | null;
  uploadedAt: string | null;
}

/** The largest presigned-URL lifetime SigV4 allows: 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

const ExpiresInSchema = z.number().int().min(1).max(MAX_PRESIGN_SECONDS, `must be at most ${MAX_PRESIGN_SECONDS} seconds (7 days), the most S3 allows`);

/** The seed's upload metadata: `{ candidateId, duration }` and any other flat values. */
const UploadMetadataSchema = z.record(z.string().min(1).max(128), z.union([z.string(), z.number(), z.boolean()])).default({});

const EventListSchema = z.array(RecordedEventSchema);

/**
 * The names of the object metadata (x-amz-meta-*), as the seed has them. Values that come
 * from callers (candidate, duration) are percent-encoded: S3 metadata must be US-ASCII, and
 * an id like `cand_123` reads the same either way.
 */
const META = {
  candidate: 'candidate',
  duration: 'duration',
  eventCount: 'eventcount',
  codec: 'codec',
  sha256: 'sha256',
  size: 'size',
  uploadedAt: 'uploadedat',
  sessionId: 'sessionid',
  firstSeq: 'firstseq',
  lastSeq: 'lastseq',
  headHash: 'headhash',
} as const;

const CONTENT_TYPE = 'application/gzip';

/**
 * The most bytes one caller-given value (candidate, duration) takes in object metadata,
 * percent-encoded. S3 refuses a PUT whose metadata passes 2 KB in all, and a 256-character
 * non-ASCII candidate id alone is 2.3 KB; the recording's own header holds the value whole.
 */
export const MAX_CALLER_METADATA_BYTES = 512;


/** `value` percent-encoded, cut after the last whole character that fits in `maxBytes`. */
function percentEncodedWithin(value: string, maxBytes: number): { encoded: string; cut: boolean } {
  const whole = encodeURIComponent(value);
  if (whole.length <= maxBytes) return { encoded: whole, cut: false };
  let encoded = '';
  // By code point, so neither a character's escapes nor a surrogate pair is split.
  for (const character of value) {
    const next = encodeURIComponent(character);
    if (encoded.length + next.length > maxBytes) break;
    encoded += next;
  }
  return { encoded, cut: true };
}

/**
 * The object metadata of a recording or chunk, as the seed has it (candidate, duration in
 * seconds, event count, codec) plus the sha256 and size of what is stored. Header values
 * must be ASCII, so free text is percent-encoded, and cut to MAX_CALLER_METADATA_BYTES (see
 * METADATA_CUT_NAME). `extra` adds keys (a chunk's seq range).
 */
export function recordingObjectMetadata(fields: {
  candidateId: string;
  durationSeconds: string;
  eventCount: number;
  sha256: string;
  size: number;
  uploadedAt: number;
  /** Defaults to RECORDING_CODEC, the seed's gzip of JSON. */
  codec?: RecordingCodec;
  extra?: Record<string, string>;
}): Record<string, string> {
  const candidate = percentEncodedWithin(fields.candidateId, MAX_CALLER_METADATA_BYTES);
  const duration = percentEncodedWithin(fields.durationSeconds, MAX_CALLER_METADATA_BYTES);
  const cut = [candidate.cut ? META.candidate : null, duration.cut ? META.duration : null].filter((name) => name !== null);
  return {
    ...fields.extra,
    [META.candidate]: candidate.encoded,
    [META.duration]: duration.encoded,
    [META.eventCount]: String(fields.eventCount),
    [META.codec]: fields.codec ?? RECORDING_CODEC,
    [META.sha256]: fields.sha256,
    [META.size]: String(fields.size),
    [META.uploadedAt]: new Date(fields.uploadedAt).toISOString(),
    ...(cut.length > 0 ? { [METADATA_CUT_NAME]: cut.join(',') } : {}),
  };
}

/** The prefix `testConnection` lists: nothing is stored there. */
export const HEALTH_PREFIX = 'health/';

/**
 * The seed's S3 Storage Service: one consolidated recording per session at
 * `sessions/YYYY/MM/DD/<sessionId>/recording`. uploadSessionRecording stores the seed's gzip
 * of the JSON event list; sync stores the segmented columnar codec; downloads read either,
 * by the codec in the object's metadata. It talks to an
 * `ObjectStore` only, so it runs the same against S3, an S3-compatible server, or a fake.
 */
export class S3StorageService {
  private readonly now: () => number;

  constructor(private readonly deps: S3StorageDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Compresses and stores the session's recording, replacing an earlier one only when the new
   * one covers it. `events` must be the whole session as recorded: seqs 1, 2, 3... with no gap
   * (else VALIDATION_FAILED). A stored recording (this upload's or sync's) with more events,
   * or another hash at its last seq, is never replaced: RECORDING_CONFLICT naming the key and
   * both seq ranges, and nothing is written. More events than stored (extending it) replace it.
   * The same events again (a stored recording of this session holding seqs 1..n with the same
   * head hash, whichever codec and writer stored it) write nothing once its bytes are read back
   * and still hash to its recorded sha256: the stored recording is kept as it is, with its
   * metadata (this call's, a new `duration` included, is not applied), so it still matches the
   * manifest and sync_objects sync recorded for it, and the result describes it as stored
   * (key, sizes in its codec, sha256, ETag). A stored recording whose bytes no longer match
   * is put again, in the seed's format, so it downloads again. `metadata.candidateId`, when given, must be the
   * session's candidate; `duration` (seconds) defaults to the span of the events.
   */
  async uploadSessionRecording(sessionId: string, events: RecordedEvent[], metadata: Record<string, string | number | boolean> = {}): Promise<UploadResult> {
    parseOrThrow(SessionIdSchema, sessionId, 'session id');
    const list = parseOrThrow(EventListSchema, events, 'events');
    const given = parseOrThrow(UploadMetadataSchema, metadata, 'recording metadata');
    checkEventOrder(sessionId, list);
    const session = await this.session(sessionId);
    const candidateId = given.candidateId === undefined ? session.candidateId : String(given.candidateId);
    if (candidateId !== session.candidateId) {
      throw new AppError('VALIDATION_FAILED', `Invalid recording metadata: candidateId ${JSON.stringify(candidateId)} is not the session's candidate`, { sessionId });
    }
    const durationSeconds = given.duration === undefined ? spanSeconds(list) : String(given.duration);
    const bodyMetadata: RecordingMetadata = { ...Object.fromEntries(Object.entries(given).map(([name, value]) => [name, String(value)])), candidateId, duration: durationSeconds };

    const key = recordingKey(sessionPrefix(sessionId, session.startedAt));
    // Sync puts the session's complete recording at this same key: a caller holding only part
    // of the session must not replace it. HEAD then PUT is not atomic, so a sync PUT landing
    // between the two is not seen; closing that needs a conditional PUT (If-Match), which
    // ObjectStore does not offer.
    const stored = await this.deps.store.head(key);
    if (stored) {
      checkCovers(sessionId, key, stored, list);
      // Already stored: a PUT would only re-encode the same events, and replacing sync's
      // recording would leave its manifest.json and sync_objects naming bytes no longer there.
      // Kept only when its bytes still hash to the sha256 recorded with them: a damaged one is put again.
      if (keptRecording(sessionId, key, stored, list)) {
        const kept = await this.keptAsRead(sessionId, key, list);
        if (kept) return kept;
      }
    }

    const encoded = await encodeRecordingAsync({ sessionId, metadata: bodyMetadata, events: list });
    const last = list.at(-1);
    const { etag } = await this.deps.store.put(key, encoded.bytes, {
      contentType: CONTENT_TYPE,
      metadata: recordingObjectMetadata({
        candidateId,
        durationSeconds,
        eventCount: list.length,
        sha256: encoded.sha256,
        size: encoded.size,
        uploadedAt: this.now(),
        // The seq range and head, as sync records them, so a later upload can tell whether it covers this one.
        extra: {
          [META.sessionId]: sessionId,
          [META.firstSeq]: String(list.length > 0 ? 1 : 0),
          [META.lastSeq]: String(last?.seq ?? 0),
          ...(last ? { [META.headHash]: last.hash } : {}),
        },
      }),
      sha256: encoded.sha256,
    });
    return {
      key,
      size: encoded.size,
      compressedSize: encoded.compressedSize,
      compressionRatio: encoded.compressedSize === 0 ? 0 : encoded.size / encoded.compressedSize,
      sha256: encoded.sha256,
      etag,
    };
  }

  /**
   * The stored recording read back whole, described as kept when it still holds exactly
   * `events` and its bytes hash to the sha256 recorded with them; null when they do not (a
   * damaged recording). Judged on what the GET read, not the HEAD before it: sync may have put
   * the recording again in between (the same events, other bytes), and that one is kept too.
   */
  private async keptAsRead(sessionId: string, key: string, events: readonly RecordedEvent[]): Promise<UploadResult | null> {
    const object = await this.deps.store.get(key);
    if (!object) return null;
    checkCovers(sessionId, key, object.info, events);
    const kept = keptRecording(sessionId, key, object.info, events);
    return kept && sha256Hex(object.body) === kept.sha256 ? kept : null;
  }

  /**
   * The stored recording, checked end to end: the bytes' sha256 against the one recorded at
   * upload, then gzip, JSON and schema. Any mismatch rejects with RECORDING_CORRUPT naming
   * the key; no recording rejects with RECORDING_NOT_FOUND.
   */
  async downloadSessionRecording(sessionId: string): Promise<DownloadedRecording> {
    const key = await this.keyOf(sessionId);
    const object = await this.deps.store.get(key);
    if (!object) throw new AppError('RECORDING_NOT_FOUND', `No recording of session ${JSON.stringify(sessionId)} in storage (expected ${JSON.stringify(key)}).`, { sessionId, key });
    const { metadata } = object.info;
    const expected = metadata[META.sha256];
    if (!expected) throw corrupt(key, 'it carries no sha256 metadata, so its bytes cannot be verified');
    const actual = sha256Hex(object.body);
    if (actual !== expected) throw corrupt(key, `its bytes hash to ${actual}, not the ${expected} recorded at upload`, { expected, actual });
    const codec = RecordingCodecSchema.safeParse(metadata[META.codec] ?? RECORDING_CODEC);
    if (!codec.success) throw corrupt(key, `unknown codec ${JSON.stringify(metadata[META.codec])}`);

    const body = await decodeStoredRecording(object.body, key, codec.data);
    if (body.sessionId !== sessionId) throw corrupt(key, `it holds session ${JSON.stringify(body.sessionId)}`);
    const expectedCount = metadata[META.eventCount];
    if (expectedCount !== undefined && Number(expectedCount) !== body.events.length) {
      throw corrupt(key, `it holds ${body.events.length} events, not the ${expectedCount} recorded at upload`);
    }
    return { events: body.events, metadata: body.metadata };
  }

  /**
   * A time-limited GET URL of the session's recording (default 1 hour; 1 s to 7 days, else
   * VALIDATION_FAILED). Signed locally: it does not check that the recording exists.
   */
  async generatePresignedUrl(sessionId: string, expiresIn = 3600): Promise<string> {
    const seconds = parseOrThrow(ExpiresInSchema, expiresIn, 'expiresIn');
    const key = await this.keyOf(sessionId);
    return this.deps.store.presignGet(key, seconds);
  }

  /** Whether the session's recording is stored, and its sizes, event count, sha256 and upload time. */
  async getStorageStats(sessionId: string): Promise<StorageStats> {
    const key = await this.keyOf(sessionId);
    const info = await this.deps.store.head(key);
    if (!info) return { exists: false, key, size: 0, compressedSize: 0, eventCount: 0, sha256: null, uploadedAt: null };
    const { metadata } = info;
    return {
      exists: true,
      key,
      size: Number(metadata[META.size] ?? 0),
      compressedSize: info.size,
      eventCount: Number(metadata[META.eventCount] ?? 0),
      sha256: metadata[META.sha256] ?? null,
      uploadedAt: metadata[META.uploadedAt] ?? null,
    };
  }

  /**
   * True when the bucket answers with these credentials. It lists the dedicated `health/`
   * prefix (one small request, no writes), never the whole bucket. Storage failures resolve
   * false; use `checkConnection` to learn why.
   */
  async testConnection(): Promise<boolean> {
    try {
      await this.checkConnection();
      return true;
    } catch (error) {
      if (isAppError(error) && error.code.startsWith('STORAGE_')) return false;
      throw error;
    }
  }

  /** Like `testConnection`, but rejects with the typed storage error (auth, bucket, unavailable). */
  async checkConnection(): Promise<void> {
    await this.deps.store.list(HEALTH_PREFIX);
  }

  private async session(sessionId: string): Promise<SessionRef> {
    const session = await this.deps.lookupSession(sessionId);
    if (!session) throw new AppError('SESSION_NOT_FOUND', `No session with id ${JSON.stringify(sessionId)}`, { sessionId });
    return session;
  }

  private async keyOf(sessionId: string): Promise<string> {
    parseOrThrow(SessionIdSchema, sessionId, 'session id');
    const session = await this.session(sessionId);
    return recordingKey(sessionPrefix(sessionId, session.startedAt));
  }
}

/**
 * Decodes a recording object by the codec its metadata names (the segmented decoder tells v2
 * from v1 by the bytes themselves). The segmented codecs decode
 * on the calling thread: it is brotli of small segments, ~5x quicker than gunzip of the JSON.
 */
export async function decodeStoredRecording(bytes: Uint8Array, key: string, codec: RecordingCodec) {
  return codec === RECORDING_CODEC ? decodeRecordingAsync(bytes, key) : decodeSegmentedRecording(bytes, key);
}

/**
 * Every event must belong to the session, numbered 1, 2, 3... as the recorder wrote it: a
 * consolidated recording is the whole session from its start, so a late start or a gap means
 * events are missing.
 */
function checkEventOrder(sessionId: string, events: readonly RecordedEvent[]): void {
  for (const [index, event] of events.entries()) {
    if (event.sessionId !== sessionId) {
      throw new AppError('VALIDATION_FAILED', `Invalid events: ${index}.sessionId: belongs to session ${JSON.stringify(event.sessionId)}, not ${JSON.stringify(sessionId)}`, { index });
    }
    if (event.seq !== index + 1) {
      const after = index === 0 ? 'the list must start at seq 1' : `it follows seq ${events[index - 1]!.seq}`;
      throw new AppError('VALIDATION_FAILED', `Invalid events: ${index}.seq: ${event.seq} is not ${index + 1} (${after}); a recording must hold every event of the session, in seq order, with no gap`, { index });
    }
  }
}

/** What a recording holds: its events are seqs 1..lastSeq; `headHash` is the last one's hash, null when not known. */
interface RecordingExtent {
  eventCount: number;
  lastSeq: number;
  headHash: string | null;
}

const Count = z.string().regex(/^\d+$/).transform(Number);

/** The seq range and head a recording's object metadata records, beside its manifest. */
const ExtentMetadataSchema = z.object({ eventcount: Count, lastseq: Count.optional(), headhash: z.string().optional() });

/**
 * What a stored recording holds, from its metadata alone (no download): the manifest sync
 * embeds, else its seq range and head. Null when the metadata says neither.
 */
function storedExtentOf(info: StoredObjectInfo): RecordingExtent | null {
  const manifest = manifestFromRecordingObject(info);
  if (manifest) return { eventCount: manifest.eventCount, lastSeq: manifest.lastSeq, headHash: manifest.headHash };
  const fields = ExtentMetadataSchema.safeParse(info.metadata);
  if (!fields.success) return null;
  const { eventcount, lastseq, headhash } = fields.data;
  // Uploads from before the range was recorded say only their count; the recorder numbers
  // events 1, 2, 3..., so the count is their last seq (and at worst a lower bound of it).
  return { eventCount: eventcount, lastSeq: lastseq ?? eventcount, headHash: headhash ?? null };
}

/** "N events (seqs 1..N)", or "no events". */
function describeExtent(extent: RecordingExtent): string {
  if (extent.eventCount === 0) return 'no events';
  return `${extent.eventCount} event${extent.eventCount === 1 ? '' : 's'} (seqs 1..${extent.lastSeq})`;
}

/**
 * Throws RECORDING_CONFLICT unless `events` (already checked to be seqs 1..n) cover the
 * recording stored at `key`: at least its events, with the same hash at its last seq where
 * the stored metadata records one, so the stored events are a prefix of the new ones.
 */
function checkCovers(sessionId: string, key: string, stored: StoredObjectInfo, events: readonly RecordedEvent[]): void {
  const last = events.at(-1);
  const upload: RecordingExtent = { eventCount: events.length, lastSeq: last?.seq ?? 0, headHash: last?.hash ?? null };
  const existing = storedExtentOf(stored);
  const refuse = (why: string) =>
    new AppError('RECORDING_CONFLICT', `Refusing to replace the recording ${JSON.stringify(key)}: ${why}. Nothing was written.`, {
      sessionId,
      key,
      stored: existing,
      upload,
    });
  // An object here whose metadata says nothing of its events cannot be shown to be covered.
  if (!existing) throw refuse(`storage holds an object there whose metadata does not say which events it holds, and the upload has ${describeExtent(upload)}`);
  if (existing.eventCount > upload.eventCount || existing.lastSeq > upload.lastSeq) {
    throw refuse(`it holds ${describeExtent(existing)}, and the upload has only ${describeExtent(upload)}; upload the whole session to replace it`);
  }
  if (existing.headHash === null || existing.lastSeq === 0) return;
  const atStoredHead = events[existing.lastSeq - 1]!;
  if (atStoredHead.hash !== existing.headHash) {
    throw refuse(
      `it holds ${describeExtent(existing)} whose seq ${existing.lastSeq} has hash ${existing.headHash}, and the upload's seq ${existing.lastSeq} has hash ${atStoredHead.hash}: the upload (${describeExtent(upload)}) is another recording, not an extension of it`,
    );
  }
}

/** What a recording's metadata says of the bytes stored, as an UploadResult reports them. */
const StoredBytesMetadataSchema = z.object({
  sessionid: z.string(),
  firstseq: Count,
  eventcount: Count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: Count,
});

/**
 * The result describing the stored recording, from its HEAD alone, when it holds exactly
 * `events` (already checked to be seqs 1..n): this session's seqs 1..n, with the same head
 * hash. Null when it does not, or its metadata does not say so (nor its sha256 and size):
 * then the upload goes ahead as it would replace any recording it covers.
 */
function keptRecording(sessionId: string, key: string, stored: StoredObjectInfo, events: readonly RecordedEvent[]): UploadResult | null {
  const last = events.at(-1);
  const extent = storedExtentOf(stored);
  const fields = StoredBytesMetadataSchema.safeParse(stored.metadata);
  if (!last || !extent || !fields.success) return null;
  const { sessionid, firstseq, eventcount, sha256, size } = fields.data;
  const same = sessionid === sessionId && firstseq === 1 && eventcount === events.length && extent.lastSeq === last.seq && extent.headHash === last.hash;
  if (!same) return null;
  // `size` is what the writer recorded as the bytes before compression, in the stored codec
  // (the JSON's for gzip, the segments' for sync's codec: the JSON's size is not known without
  // downloading); the stored bytes are the HEAD's length, as getStorageStats reports them.
  const compressedSize = stored.size;
  return { key, size, compressedSize, compressionRatio: compressedSize === 0 ? 0 : size / compressedSize, sha256, etag: stored.etag };
}

/** Whole seconds from the first event to the last, as the seed's `duration` string. */
function spanSeconds(events: readonly RecordedEvent[]): string {
  const first = events[0];
  const last = events.at(-1);
  return first && last ? String(Math.round((last.timestamp - first.timestamp) / 1000)) : '0';
}
