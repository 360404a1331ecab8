import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash, genesisHash } from '../../../../electron/services/recording/eventHashing';
import {
  compressColumnarRecording,
  decodeColumnarRecording,
  decompressColumnarRecording,
  encodeColumnarRecording,
} from '../../../../electron/services/storage/columnarRecording';
import type { RecordedEvent } from '../../../../shared/recording/eventTypes';
import { QUESTION_ID, generateSyntheticSession, recordStep } from '../../../bench/syntheticSession';
import { tempServices } from '../../../helpers/tempServices';

const KEY = 'sessions/2025/01/15/ses_col/recording.col.br';
const SESSION_START = Date.UTC(2025, 0, 15, 9, 0, 0);

/** Events with `data` as given, chained from the session's genesis hash as the recorder would. */
function chainedEvents(sessionId: string, items: { type: string; fileId: string | null; timestamp: number; data: unknown }[]): RecordedEvent[] {
  let prevHash = genesisHash(sessionId);
  return items.map((item, index) => {
    prevHash = eventHash({ seq: index + 1, timestamp: item.timestamp, type: item.type, fileId: item.fileId, dataJson: JSON.stringify(item.data), prevHash });
    return { sessionId, seq: index + 1, ...item, hash: prevHash };
  });
}

/** The container's header and where each column sits in it. */
function containerLayout(bytes: Uint8Array): { header: Record<string, unknown>; columns: Map<string, { start: number; length: number }> } {
  let headerLength = 0;
  let position = 0;
  for (let scale = 1; ; scale *= 128) {
    const byte = bytes[position++]!;
    headerLength += (byte & 127) * scale;
    if ((byte & 128) === 0) break;
  }
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(position, position + headerLength))) as { columns: [string, number][] };
  const columns = new Map<string, { start: number; length: number }>();
  let start = position + headerLength;
  for (const [name, length] of header.columns) {
    columns.set(name, { start, length });
    start += length;
  }
  return { header, columns };
}

/** A container with its header replaced (the columns kept). */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const { header, columns } = containerLayout(bytes);
  edit(header);
  const firstColumn = Math.min(...[...columns.values()].map((column) => column.start));
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const lengthBytes: number[] = [];
  for (let value = headerBytes.length; ; value = Math.floor(value / 128)) {
    if (value < 128) {
      lengthBytes.push(value);
      break;
    }
    lengthBytes.push((value % 128) | 128);
  }
  return new Uint8Array([...lengthBytes, ...headerBytes, ...bytes.subarray(firstColumn)]);
}

const corruptNamingKey = (reason: RegExp | string) =>
  expect.objectContaining({ code: 'RECORDING_CORRUPT', message: expect.stringMatching(typeof reason === 'string' ? reason : reason.source), details: expect.objectContaining({ key: KEY }) });

describe('columnarRecording: a session recorded by the real recorder', () => {
  let env: ReturnType<typeof tempServices>;
  let sessionId: string;
  let recorded: RecordedEvent[];
  let storedDataText: Map<number, string>;

  beforeAll(async () => {
    let now = SESSION_START;
    env = tempServices({}, { now: () => now, syncRunner: 'none' });
    const { sessions } = env.services;
    sessionId = (await sessions.createSession('cand-col', { questionId: QUESTION_ID })).id;
    const script = generateSyntheticSession({ seed: 7, targetEvents: 3_000, durationMs: 20 * 60 * 1000 });
    for (const step of script.steps) {
      now = SESSION_START + step.at;
      await recordStep(sessions, sessionId, step);
    }
    now = SESSION_START + script.durationMs + 1000;
    await sessions.closeSession(sessionId, 'COMPLETED');

    recorded = [];
    for (let page = env.services.replay.getEvents(sessionId, { limit: 1000 }); page.length > 0; page = env.services.replay.getEvents(sessionId, { afterSeq: page.at(-1)!.seq, limit: 1000 })) {
      recorded.push(...page);
    }
    const rows = env.services.database.db.prepare('SELECT seq, data FROM events WHERE session_id = ? ORDER BY seq').all(sessionId) as { seq: number; data: string }[];
    storedDataText = new Map(rows.map((row) => [row.seq, row.data]));
  });
  afterAll(() => env.cleanup());

  it('decodes to exactly the events replay returns, each data re-serialising to the stored text', () => {
    expect(recorded.length).toBeGreaterThanOrEqual(3_000);
    const decoded = decodeColumnarRecording(encodeColumnarRecording({ sessionId, events: recorded }), KEY);
    expect(decoded).toStrictEqual(recorded);
    for (const event of decoded) expect(JSON.stringify(event.data)).toBe(storedDataText.get(event.seq));
  });

  it('decodes a run that starts mid-session from the prevHash in its header', () => {
    const tail = recorded.slice(1000);
    const bytes = encodeColumnarRecording({ sessionId, events: tail, prevHash: recorded[999]!.hash });
    expect(decodeColumnarRecording(bytes, KEY)).toStrictEqual(tail);
    expect(() => encodeColumnarRecording({ sessionId, events: tail })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => delete header.prevHash), KEY)).toThrow(corruptNamingKey('prevHash'));
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => (header.prevHash = recorded[998]!.hash)), KEY)).toThrow(corruptNamingKey('headHash'));
  });

  it('round-trips through brotli at under a tenth of gzip of the JSON events', () => {
    const container = encodeColumnarRecording({ sessionId, events: recorded });
    const compressed = compressColumnarRecording(container);
    expect(decodeColumnarRecording(decompressColumnarRecording(compressed, KEY), KEY)).toStrictEqual(recorded);

    const json = Buffer.from(JSON.stringify(recorded));
    const gzipped = gzipSync(json).byteLength;
    console.info(
      `columnarRecording: ${recorded.length} events; JSON ${json.byteLength} B, gzip ${gzipped} B; col/v1 ${container.byteLength} B, brotli ${compressed.byteLength} B = ${(compressed.byteLength / gzipped).toFixed(3)} of gzip`,
    );
    expect(compressed.byteLength / gzipped).toBeLessThan(0.1);
  });

  it('refuses a container with one character changed in a text column: the recomputed chain no longer ends at headHash', () => {
    const bytes = encodeColumnarRecording({ sessionId, events: recorded });
    const { columns } = containerLayout(bytes);
    const [, textColumn] = [...columns].find(([column, { length }]) => column.endsWith('#s') && length > 100)!;
    const tampered = bytes.slice();
    // An ASCII letter swapped for its neighbour keeps the UTF-8 valid, so only the hash chain can notice.
    let at = textColumn.start + (textColumn.length >> 1);
    while (!/[a-z]/i.test(String.fromCharCode(tampered[at]!))) at++;
    tampered[at]! ^= 1;
    expect(at).toBeLessThan(textColumn.start + textColumn.length);
    expect(() => decodeColumnarRecording(tampered, KEY)).toThrow(corruptNamingKey('hash chain'));
  });

  it('refuses truncated or padded bytes', () => {
    const bytes = encodeColumnarRecording({ sessionId, events: recorded });
    for (const damaged of [bytes.slice(0, -1), bytes.slice(0, bytes.length >> 1), bytes.slice(0, 3), new Uint8Array(0)]) {
      expect(() => decodeColumnarRecording(damaged, KEY)).toThrow(corruptNamingKey('RECORDING|corrupt'));
    }
    expect(() => decodeColumnarRecording(new Uint8Array([...bytes, 0]), KEY)).toThrow(corruptNamingKey('the columns take'));
  });

  it('refuses brotli that is damaged or inflates beyond the limit', () => {
    const compressed = compressColumnarRecording(encodeColumnarRecording({ sessionId, events: recorded }));
    expect(() => decompressColumnarRecording(compressed.slice(0, -4), KEY)).toThrow(corruptNamingKey('brotli'));
    expect(() => decompressColumnarRecording(new TextEncoder().encode('not brotli at all'), KEY)).toThrow(corruptNamingKey('brotli'));
  });
});

describe('columnarRecording: awkward data', () => {
  const datas: unknown[] = [
    { 'a.b': 1, a: { b: 2 } },
    { '[]': [1, [2, [3, []]]], '#k': 'x', '#s': ['y'] },
    { n: 1.5, big: 2 ** 60, limit: 2 ** 50, beyond: 2 ** 50 + 1, negLimit: -(2 ** 50), neg: -3, e: 1e-7, max: Number.MAX_VALUE, tiny: 5e-324, sum: 0.1 + 0.2, negZero: -0 },
    { s: '\ud800 lone', trail: 'x\udfff', pair: 'é😀', nul: 'a\u0000b', empty: '' },
    { k: 'x' },
    { key: 'y', extra: true },
    {},
    [],
    null,
    'str',
    7,
    true,
    { changes: [{ rangeOffset: 3, rangeLength: 0, text: 'a', extra: 1 }] },
    { '1': 'a', b: 'c', '0': 'd' },
    // Key lists that would collide if joined with a separator character.
    { 'a\u0000b': 1 },
    { a: 1, b: 2 },
    { '': { '': [null, false, { '': '' }] } },
    JSON.parse('{"__proto__": {"polluted": true}, "after": 1}') as unknown,
    { mixed: [1, 'two', null, [3], { four: 4 }, 5.5, true] },
    { deep: [[[[[[[[[['bottom']]]]]]]]]] },
  ];
  const sessionId = 'ses_edge';
  const events = chainedEvents(
    sessionId,
    datas.map((data, index) => ({
      type: index % 2 ? 'code_edit' : 'weird."type".[]',
      fileId: index % 3 ? null : 'f.1',
      // Timestamps may go backwards (clock adjustments): deltas are signed.
      timestamp: 1_736_931_600_000 + index * 7 - (index === 3 ? 20 : 0),
      data,
    })),
  );

  it('re-serialises every event to the identical JSON text and decodes to the stored (parsed) form', () => {
    const decoded = decodeColumnarRecording(encodeColumnarRecording({ sessionId, events }), KEY);
    expect(decoded).toHaveLength(events.length);
    for (const [index, event] of decoded.entries()) {
      const original = events[index]!;
      expect(JSON.stringify(event.data)).toBe(JSON.stringify(original.data));
      expect(event).toStrictEqual({ ...original, data: JSON.parse(JSON.stringify(original.data)) as unknown });
    }
    const proto = decoded.find((event) => JSON.stringify(event.data).includes('__proto__'))!.data as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__', 'after']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('round-trips an empty run, whose headHash is the chain start', () => {
    expect(decodeColumnarRecording(encodeColumnarRecording({ sessionId, events: [] }), KEY)).toEqual([]);
  });

  it('refuses data that JSON cannot represent, and events that are not one seq-contiguous session', () => {
    const [first, second] = events;
    expect(() => encodeColumnarRecording({ sessionId, events: [{ ...first!, data: { x: undefined } }] })).toThrow(expect.objectContaining({ code: 'NOT_JSON' }));
    expect(() => encodeColumnarRecording({ sessionId, events: [{ ...first!, data: Number.NaN }] })).toThrow(expect.objectContaining({ code: 'NOT_JSON' }));
    expect(() => encodeColumnarRecording({ sessionId, events: [second!, first!] })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => encodeColumnarRecording({ sessionId: 'other', events })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('refuses an unknown version, a header that lies about its columns, and a bad varint', () => {
    const bytes = encodeColumnarRecording({ sessionId, events });
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => (header.v = 'col/v2')), KEY)).toThrow(corruptNamingKey('unknown container version "col/v2"'));
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => (header.count = events.length - 1)), KEY)).toThrow(corruptNamingKey('left over'));
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => (header.count = events.length + 1)), KEY)).toThrow(corruptNamingKey('ends early'));
    expect(() =>
      decodeColumnarRecording(
        withHeader(bytes, (header) => {
          const columns = header.columns as [string, number][];
          columns[0]![1] += 1;
          columns[1]![1] -= 1;
        }),
        KEY,
      ),
    ).toThrow(corruptNamingKey('RECORDING|corrupt'));
    expect(() => decodeColumnarRecording(withHeader(bytes, (header) => (header.headHash = genesisHash(sessionId))), KEY)).toThrow(corruptNamingKey('headHash'));
    expect(() => decodeColumnarRecording(new Uint8Array(12).fill(0xff), KEY)).toThrow(corruptNamingKey('varint longer'));
    expect(() => decodeColumnarRecording(new Uint8Array([5, ...new TextEncoder().encode('{"v":')]), KEY)).toThrow(corruptNamingKey('does not decode'));
  });
});
