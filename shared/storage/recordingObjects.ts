import { z } from 'zod';
import { RecordedEventSchema } from '../recording/eventTypes';

/**
 * What a recording looks like in object storage. Every key of a session lives under one
 * date-partitioned prefix, so listing never leaves the session:
 *
 *   sessions/YYYY/MM/DD/<sessionId>/chunks/<firstSeq>-<lastSeq>.json.gz   while it runs
 *   sessions/YYYY/MM/DD/<sessionId>/recording                             the consolidated recording
 *   sessions/YYYY/MM/DD/<sessionId>/manifest.json                         what the session consists of
 *
 * Chunk keys are deterministic (zero-padded seqs), so uploading a chunk twice is harmless.
 * Chunks exist only while a session runs: once the consolidated recording is stored and
 * verified, the manifest names it alone and the chunks are removed. Sync writes the manifest
 * twice: inside the recording's own metadata (`manifest`, electron/services/storage/manifestMetadata.ts), so the
 * recording and its manifest reach storage in one atomic PUT, and as manifest.json, a
 * readable copy written once the session is SYNCED. The recording's codec
 * is in its metadata (`codec`): RECORDING_CODEC when the seed's uploadSessionRecording
 * wrote it, SEGMENTED_RECORDING_CODEC (or, from earlier versions, its v1) when sync did.
 */

/** The folder of one session: partitioned by the UTC date the session started. */
export function sessionPrefix(sessionId: string, startedAt: string | Date): string {
  const date = typeof startedAt === 'string' ? new Date(startedAt) : startedAt;
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `sessions/${yyyy}/${mm}/${dd}/${sessionId}/`;
}

const SEQ_DIGITS = 10;

/** The key of the chunk holding events firstSeq..lastSeq of a session. */
export function recordingChunkKey(prefix: string, firstSeq: number, lastSeq: number): string {
  return `${prefix}chunks/${String(firstSeq).padStart(SEQ_DIGITS, '0')}-${String(lastSeq).padStart(SEQ_DIGITS, '0')}.json.gz`;
}

/** The key of the session's consolidated recording, whichever codec wrote it. */
export function recordingKey(prefix: string): string {
  return `${prefix}recording`;
}

/** The key of the session's manifest.json. */
export function manifestKey(prefix: string): string {
  return `${prefix}manifest.json`;
}

/** Codec of chunks, exports and uploadSessionRecording: gzip of the UTF-8 JSON body (the seed's format). */
export const RECORDING_CODEC = 'gzip+json/v1';

/**
 * Codec of the recording sync consolidates: the body's events as col/v1 segments, each
 * brotli-compressed on its own, the header after them (electron/services/storage/segmentedRecording.ts).
 */
export const SEGMENTED_RECORDING_CODEC = 'col-segments+brotli/v2';

/** The same segments with the header before them, as earlier versions of the app stored them: still read. */
export const SEGMENTED_RECORDING_CODEC_V1 = 'col-segments+brotli/v1';

/**
 * The object-metadata name listing, comma-separated, the caller-given values (candidate,
 * duration) cut to fit S3's metadata limit; absent when none was.
 */
export const METADATA_CUT_NAME = 'cut';

/** Every codec a recording object may carry. */
export const RecordingCodecSchema = z.enum([RECORDING_CODEC, SEGMENTED_RECORDING_CODEC, SEGMENTED_RECORDING_CODEC_V1]);
export type RecordingCodec = z.infer<typeof RecordingCodecSchema>;

/** The seed's metadata of a recording, as strings (S3 object metadata is string-valued). */
export const RecordingMetadataSchema = z.record(z.string(), z.string());
export type RecordingMetadata = z.infer<typeof RecordingMetadataSchema>;

/** The body of a recording or a chunk, before gzip: the seed's event list with its metadata. */
export const RecordingBodySchema = z.object({
  sessionId: z.string(),
  metadata: RecordingMetadataSchema,
  events: z.array(RecordedEventSchema),
});
export type RecordingBody = z.infer<typeof RecordingBodySchema>;

/** One object of a session as the manifest lists it. */
export const ManifestObjectSchema = z.object({
  key: z.string(),
  kind: z.enum(['chunk', 'recording']),
  firstSeq: z.number().int().positive(),
  lastSeq: z.number().int().positive(),
  eventCount: z.number().int().positive(),
  /** sha256 (hex) of the stored, compressed bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  compressedSize: z.number().int().nonnegative(),
  /** How the object is encoded; RECORDING_CODEC when absent. */
  codec: RecordingCodecSchema.optional(),
});
export type ManifestObject = z.infer<typeof ManifestObjectSchema>;

/** What a closed session consists of in storage; written last, checked by reconciliation. */
export const RecordingManifestSchema = z.object({
  version: z.literal(1),
  sessionId: z.string(),
  candidateId: z.string(),
  status: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  eventCount: z.number().int().nonnegative(),
  firstSeq: z.number().int().nonnegative(),
  lastSeq: z.number().int().nonnegative(),
  /** The hash-chain head: the last event's hash, anchoring the local chain off the machine. */
  headHash: z.string(),
  objects: z.array(ManifestObjectSchema),
  stats: z.record(z.string(), z.unknown()),
});
export type RecordingManifest = z.infer<typeof RecordingManifestSchema>;

