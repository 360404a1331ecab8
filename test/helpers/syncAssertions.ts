import { expect } from 'vitest';
import type { Services } from '../../electron/services/container';
import type { ObjectStore } from '../../electron/services/storage/objectStore';
import { manifestFromRecordingObject } from '../../electron/services/storage/manifestMetadata';
import { sha256Hex } from '../../electron/services/storage/recordingCodec';
import { decodeSegmentedRecording } from '../../electron/services/storage/segmentedRecording';
import { RecordingManifestSchema, SEGMENTED_RECORDING_CODEC, manifestKey, recordingKey, sessionPrefix } from '../../shared/storage/recordingObjects';

/**
 * The bar every sync test ends with: storage holds, byte for byte by sha256, what the local
 * database holds; nothing lost, nothing duplicated.
 * - the consolidated recording decodes to exactly the local events (every hash recomputed),
 *   and its bytes hash to what its metadata and the manifest say;
 * - the manifest names the session, its event count, the hash-chain head, and the recording
 *   as its one object; the recording's metadata carries the same manifest (unless
 *   `manifestInRecording: false`, for a manifest too large for object metadata);
 * - the session's folder holds the recording and the manifest, and nothing else: the chunks
 *   shipped while it ran are gone;
 * - the local sync state lists the same object with the same sha256.
 * Read `store` directly, not through a fault proxy: the check must not be the flaky part.
 */
export async function expectStorageEqualsLocal(services: Services, store: ObjectStore, sessionId: string, options: { manifestInRecording?: boolean } = {}): Promise<void> {
  const session = await services.sessions.getSession(sessionId);
  expect(session.syncState).toBe('SYNCED');
  const prefix = sessionPrefix(sessionId, session.startedAt);
  const local = services.replay.getAllEvents(sessionId);
  expect(local.length).toBe(session.lastSeq);

  const manifestObject = await store.get(manifestKey(prefix));
  expect(manifestObject, `no manifest at ${manifestKey(prefix)}`).not.toBeNull();
  const manifest = RecordingManifestSchema.parse(JSON.parse(new TextDecoder().decode(manifestObject!.body)));
  expect(manifest).toMatchObject({ sessionId, eventCount: local.length, firstSeq: 1, lastSeq: local.length, headHash: local.at(-1)!.hash });

  const recording = await store.get(recordingKey(prefix));
  expect(recording, `no recording at ${recordingKey(prefix)}`).not.toBeNull();
  const recordingHash = sha256Hex(recording!.body);
  expect(recording!.info.metadata).toMatchObject({ sha256: recordingHash, codec: SEGMENTED_RECORDING_CODEC, eventcount: String(local.length) });
  expect(manifest.objects).toEqual([
    expect.objectContaining({ key: recordingKey(prefix), kind: 'recording', firstSeq: 1, lastSeq: local.length, eventCount: local.length, sha256: recordingHash }),
  ]);
  expect(manifestFromRecordingObject(recording!.info)).toEqual(options.manifestInRecording === false ? null : manifest);
  expect(decodeSegmentedRecording(recording!.body, recordingKey(prefix)).events).toEqual(local);

  const held = (await store.list(prefix)).map((object) => object.key).sort();
  expect(held).toEqual([recordingKey(prefix), manifestKey(prefix)].sort());

  const tracked = services.database.db.prepare<[string], { key: string; sha256: string }>('SELECT key, sha256 FROM sync_objects WHERE session_id = ?').all(sessionId);
  expect(tracked).toEqual([{ key: recordingKey(prefix), sha256: recordingHash }]);
  expect(services.database.db.prepare('SELECT count(*) FROM sync_segments WHERE session_id = ?').pluck().get(sessionId)).toBe(0);
}
