import { z } from 'zod';
import { METADATA_CUT_NAME, RecordingCodecSchema, RecordingManifestSchema, type RecordingManifest } from '../../../shared/storage/recordingObjects';
import type { StoredObjectInfo } from './objectStore';

/** The object-metadata name (x-amz-meta-manifest) under which a synced recording carries its manifest. */
export const MANIFEST_METADATA_NAME = 'manifest';

/** S3's limit on one object's user metadata: the UTF-8 bytes of every name and value summed. */
export const MAX_OBJECT_METADATA_BYTES = 2048;

/**
 * The part of a manifest that the recording's other metadata (the seed's fields, its seq
 * range) and the object itself (its key and stored size) do not already say. Short keys:
 * every byte of metadata travels with the close's one request.
 */
const EmbeddedManifestSchema = z.object({
  /** status */
  s: z.string(),
  /** startedAt, endedAt */
  a: z.string(),
  e: z.string().nullable(),
  /** headHash */
  h: z.string(),
  /** stats */
  t: z.record(z.string(), z.unknown()),
});

/** The recording metadata a manifest is rebuilt from, besides MANIFEST_METADATA_NAME. */
const RecordingFieldsSchema = z.object({
  sessionid: z.string(),
  candidate: z.string(),
  eventcount: z.string().regex(/^\d+$/).transform(Number),
  firstseq: z.string().regex(/^\d+$/).transform(Number),
  lastseq: z.string().regex(/^\d+$/).transform(Number),
  sha256: z.string(),
  size: z.string().regex(/^\d+$/).transform(Number),
  codec: RecordingCodecSchema,
});

/**
 * The manifest of a recording as an object-metadata value: base64url of the JSON of what the
 * rest of its metadata does not say (status, times, hash-chain head, stats), ~250 bytes where
 * the whole manifest takes ~1 KB. Header values must be US-ASCII, and SigV4 folds runs of
 * spaces in them, so the JSON is not sent as it is.
 */
export function manifestMetadataValue(manifest: RecordingManifest): string {
  const embedded: z.infer<typeof EmbeddedManifestSchema> = { s: manifest.status, a: manifest.startedAt, e: manifest.endedAt, h: manifest.headHash, t: manifest.stats };
  return Buffer.from(JSON.stringify(embedded), 'utf8').toString('base64url');
}

/**
 * The recording's `metadata` with its manifest in it, when the manifest can be rebuilt from
 * that metadata (the candidate id is whole, not cut to fit) and all of it fits S3's limit;
 * otherwise `metadata` as it is, and the manifest goes up as manifest.json instead.
 */
export function withEmbeddedManifest(metadata: Readonly<Record<string, string>>, manifest: RecordingManifest): Record<string, string> {
  const withManifest = { ...metadata, [MANIFEST_METADATA_NAME]: manifestMetadataValue(manifest) };
  const candidateCut = metadata[METADATA_CUT_NAME]?.split(',').includes('candidate') ?? false;
  return !candidateCut && objectMetadataBytes(withManifest) <= MAX_OBJECT_METADATA_BYTES ? withManifest : { ...metadata };
}

/**
 * The manifest a stored recording carries, rebuilt from its metadata and the object (key,
 * stored size); null when it carries none, or metadata that does not decode and validate.
 */
export function manifestFromRecordingObject(object: Pick<StoredObjectInfo, 'key' | 'size' | 'metadata'>): RecordingManifest | null {
  const value = object.metadata[MANIFEST_METADATA_NAME];
  if (value === undefined) return null;
  try {
    const embedded = EmbeddedManifestSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64url'))));
    const fields = RecordingFieldsSchema.safeParse(object.metadata);
    if (!embedded.success || !fields.success) return null;
    const { s, a, e, h, t } = embedded.data;
    const { sessionid, candidate, eventcount, firstseq, lastseq, sha256, size, codec } = fields.data;
    const manifest = RecordingManifestSchema.safeParse({
      version: 1,
      sessionId: sessionid,
      candidateId: decodeURIComponent(candidate),
      status: s,
      startedAt: a,
      endedAt: e,
      eventCount: eventcount,
      firstSeq: firstseq,
      lastSeq: lastseq,
      headHash: h,
      objects: [{ key: object.key, kind: 'recording', firstSeq: firstseq, lastSeq: lastseq, eventCount: eventcount, sha256, size, compressedSize: object.size, codec }],
      stats: t,
    });
    return manifest.success ? manifest.data : null;
  } catch {
    // Not base64url of UTF-8 JSON, or a candidate that is not percent-encoding.
    return null;
  }
}

/** The bytes S3 counts against MAX_OBJECT_METADATA_BYTES for `metadata`. */
export function objectMetadataBytes(metadata: Readonly<Record<string, string>>): number {
  return Object.entries(metadata).reduce((total, [name, value]) => total + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'), 0);
}
