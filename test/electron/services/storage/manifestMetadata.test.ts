import { describe, expect, it } from 'vitest';
import {
  MANIFEST_METADATA_NAME,
  manifestFromRecordingObject,
  manifestMetadataValue,
  withEmbeddedManifest,
  objectMetadataBytes,
} from '../../../../electron/services/storage/manifestMetadata';
import { SEGMENTED_RECORDING_CODEC, type RecordingManifest } from '../../../../shared/storage/recordingObjects';

const MANIFEST: RecordingManifest = {
  version: 1,
  sessionId: 'ses_1',
  candidateId: 'Zoë  Łukasz 漢字',
  status: 'COMPLETED',
  startedAt: '2026-11-29T09:30:00.000Z',
  endedAt: '2026-11-29T10:30:00.000Z',
  eventCount: 3,
  firstSeq: 1,
  lastSeq: 3,
  headHash: 'a'.repeat(64),
  objects: [{ key: 'sessions/2026/11/29/ses_1/recording', kind: 'recording', firstSeq: 1, lastSeq: 3, eventCount: 3, sha256: 'b'.repeat(64), size: 10, compressedSize: 8, codec: SEGMENTED_RECORDING_CODEC }],
  stats: { totalTokens: 0 },
};

/** The metadata the sync engine gives that recording (see recordingObjectMetadata): the manifest rebuilds from it. */
const METADATA = {
  candidate: encodeURIComponent(MANIFEST.candidateId),
  duration: '3600',
  eventcount: '3',
  codec: SEGMENTED_RECORDING_CODEC,
  sha256: 'b'.repeat(64),
  size: '10',
  uploadedat: '2026-11-29T10:30:01.000Z',
  sessionid: 'ses_1',
  firstseq: '1',
  lastseq: '3',
};
const OBJECT = { key: 'sessions/2026/11/29/ses_1/recording', size: 8 };

describe('the manifest a recording carries in its object metadata', () => {
  it('is US-ASCII without spaces (a header value SigV4 would not fold), and the recording rebuilds it equal, non-ASCII candidate included', () => {
    const value = manifestMetadataValue(MANIFEST);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, [MANIFEST_METADATA_NAME]: value } })).toEqual(MANIFEST);
  });

  it('carries only what the rest of the metadata does not say: a fraction of the whole manifest', () => {
    const whole = Buffer.from(JSON.stringify(MANIFEST)).toString('base64url').length;
    expect(manifestMetadataValue(MANIFEST).length).toBeLessThan(whole / 2);
    expect(Buffer.from(manifestMetadataValue(MANIFEST), 'base64url').toString()).not.toContain(MANIFEST.objects[0]!.sha256);
  });

  it('is null when absent, not base64url of JSON, not what a manifest embeds, or beside metadata it cannot be rebuilt from', () => {
    const value = manifestMetadataValue(MANIFEST);
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: METADATA })).toBeNull();
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, [MANIFEST_METADATA_NAME]: '%%%' } })).toBeNull();
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, [MANIFEST_METADATA_NAME]: Buffer.from('{"s":2}').toString('base64url') } })).toBeNull();
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, [MANIFEST_METADATA_NAME]: Buffer.from([0xff, 0xfe]).toString('base64url') } })).toBeNull();
    const { lastseq: _lastSeq, ...withoutLastSeq } = METADATA;
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...withoutLastSeq, [MANIFEST_METADATA_NAME]: value } })).toBeNull();
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, sha256: 'not a hash', [MANIFEST_METADATA_NAME]: value } })).toBeNull();
    expect(manifestFromRecordingObject({ ...OBJECT, metadata: { ...METADATA, candidate: '%E0%A4%A', [MANIFEST_METADATA_NAME]: value } })).toBeNull();
  });

  it('is embedded only where the metadata can rebuild it: not beside a candidate id cut to fit', () => {
    expect(withEmbeddedManifest(METADATA, MANIFEST)).toHaveProperty(MANIFEST_METADATA_NAME, manifestMetadataValue(MANIFEST));
    expect(withEmbeddedManifest({ ...METADATA, cut: 'duration' }, MANIFEST)).toHaveProperty(MANIFEST_METADATA_NAME);
    expect(withEmbeddedManifest({ ...METADATA, cut: 'candidate,duration' }, MANIFEST)).not.toHaveProperty(MANIFEST_METADATA_NAME);
    expect(withEmbeddedManifest({ ...METADATA, padding: 'x'.repeat(1900) }, MANIFEST)).not.toHaveProperty(MANIFEST_METADATA_NAME);
  });

  it('counts metadata as S3 does: the UTF-8 bytes of every name and value', () => {
    expect(objectMetadataBytes({ ab: 'cd', é: '漢' })).toBe(2 + 2 + 2 + 3);
  });
});
