import { describe, expect, it } from 'vitest';
import {
  MANIFEST_METADATA_NAME,
  manifestFromMetadata,
  manifestMetadataValue,
  objectMetadataBytes,
} from '../../../../electron/services/storage/manifestMetadata';
import type { RecordingManifest } from '../../../../shared/storage/recordingObjects';

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
  objects: [{ key: 'sessions/2026/11/29/ses_1/recording', kind: 'recording', firstSeq: 1, lastSeq: 3, eventCount: 3, sha256: 'b'.repeat(64), size: 10, compressedSize: 8 }],
  stats: { totalTokens: 0 },
};

describe('the manifest a recording carries in its object metadata', () => {
  it('is US-ASCII without spaces (a header value SigV4 would not fold) and reads back equal, non-ASCII candidate included', () => {
    const value = manifestMetadataValue(MANIFEST);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(manifestFromMetadata({ other: 'x', [MANIFEST_METADATA_NAME]: value })).toEqual(MANIFEST);
  });

  it('is null when absent, not base64url of JSON, or not a manifest', () => {
    expect(manifestFromMetadata({})).toBeNull();
    expect(manifestFromMetadata({ [MANIFEST_METADATA_NAME]: '%%%' })).toBeNull();
    expect(manifestFromMetadata({ [MANIFEST_METADATA_NAME]: Buffer.from('{"version":2}').toString('base64url') })).toBeNull();
    expect(manifestFromMetadata({ [MANIFEST_METADATA_NAME]: Buffer.from([0xff, 0xfe]).toString('base64url') })).toBeNull();
  });

  it('counts metadata as S3 does: the UTF-8 bytes of every name and value', () => {
    expect(objectMetadataBytes({ ab: 'cd', é: '漢' })).toBe(2 + 2 + 2 + 3);
  });
});
