import { RecordingManifestSchema, type RecordingManifest } from '../../../shared/storage/recordingObjects';

/** The object-metadata name (x-amz-meta-manifest) under which a synced recording carries its manifest. */
export const MANIFEST_METADATA_NAME = 'manifest';

/**
 * S3's limit on one object's user metadata: the UTF-8 bytes of every name and value summed.
 * A manifest that would not fit (a very long non-ASCII candidate id) goes up only as manifest.json.
 */
export const MAX_OBJECT_METADATA_BYTES = 2048;

/**
 * The manifest as an object-metadata value: base64url of its JSON. Header values must be
 * US-ASCII, and SigV4 folds runs of spaces in them, so the JSON is not sent as it is.
 */
export function manifestMetadataValue(manifest: RecordingManifest): string {
  return Buffer.from(JSON.stringify(manifest), 'utf8').toString('base64url');
}

/** The manifest a recording's metadata carries; null when it carries none, or one that does not decode and validate. */
export function manifestFromMetadata(metadata: Readonly<Record<string, string>>): RecordingManifest | null {
  const value = metadata[MANIFEST_METADATA_NAME];
  if (value === undefined) return null;
  try {
    const parsed = RecordingManifestSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64url'))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The bytes S3 counts against MAX_OBJECT_METADATA_BYTES for `metadata`. */
export function objectMetadataBytes(metadata: Readonly<Record<string, string>>): number {
  return Object.entries(metadata).reduce((total, [name, value]) => total + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'), 0);
}
