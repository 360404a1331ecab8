import { expect } from 'vitest';
import type { Services } from '../../electron/services/container';
import type { ObjectStore } from '../../electron/services/storage/objectStore';
import { decodeRecording, sha256Hex } from '../../electron/services/storage/recordingCodec';
import { RecordingManifestSchema, manifestKey, recordingKey, sessionPrefix } from '../../shared/storage/recordingObjects';

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The bar every sync test ends with: storage holds, byte for byte by sha256, what the local
 * database holds; nothing lost, nothing duplicated.
 * - the consolidated recording decodes to exactly the local events, and its bytes hash to
 *   what its metadata and the manifest say;
 * - the manifest names the session, its event count and the hash-chain head;
 * - the chunks cover seqs 1..N exactly once, each decoding to the local events it names;
 * - the session's folder holds those objects and the manifest, and nothing else;
 * - the local sync state lists the same objects with the same sha256.
 * Read `store` directly, not through a fault proxy: the check must not be the flaky part.
 */
export async function expectStorageEqualsLocal(services: Services, store: ObjectStore, sessionId: string): Promise<void> {
  const session = await services.sessions.getSession(sessionId);
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
  expect(recordingHash).toBe(recording!.info.metadata.sha256);
  expect(manifest.objects.filter((object) => object.kind === 'recording')).toEqual([
    expect.objectContaining({ key: recordingKey(prefix), firstSeq: 1, lastSeq: local.length, eventCount: local.length, sha256: recordingHash }),
  ]);
  expect(decodeRecording(recording!.body, recordingKey(prefix)).events).toEqual(local);

  // Chunks cover 1..N exactly once: nothing lost, nothing duplicated.
  const chunks = manifest.objects.filter((object) => object.kind === 'chunk').sort((a, b) => a.firstSeq - b.firstSeq);
  let next = 1;
  for (const chunk of chunks) {
    expect(chunk.firstSeq).toBe(next);
    const body = await store.get(chunk.key);
    expect(body, `no chunk at ${chunk.key}`).not.toBeNull();
    expect(sha256Hex(body!.body)).toBe(chunk.sha256);
    expect(decodeRecording(body!.body, chunk.key).events).toEqual(local.slice(chunk.firstSeq - 1, chunk.lastSeq));
    next = chunk.lastSeq + 1;
  }
  expect(next).toBe(local.length + 1);

  const held = (await store.list(prefix)).map((object) => object.key).sort();
  expect(held).toEqual([...manifest.objects.map((object) => object.key), manifestKey(prefix)].sort());

  const tracked = services.database.db
    .prepare<[string], { key: string; sha256: string }>("SELECT key, sha256 FROM sync_objects WHERE session_id = ? AND kind != 'manifest'")
    .all(sessionId);
  expect(tracked.sort(byKey)).toEqual(manifest.objects.map(({ key, sha256 }) => ({ key, sha256 })).sort(byKey));
}
