import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRecording, decodeRecordingAsync, encodeRecording, encodeRecordingAsync } from '../../../../electron/services/storage/recordingCodec';
import type { RecordingBody } from '../../../../shared/storage/recordingObjects';

const KEY = 'sessions/2025/03/07/ses_1/recording';

function body(eventCount = 200): RecordingBody {
  return {
    sessionId: 'ses_1',
    metadata: { candidateId: 'cand_123', duration: '1800' },
    events: Array.from({ length: eventCount }, (_, index) => ({
      sessionId: 'ses_1',
      seq: index + 1,
      timestamp: 1_741_391_970_000 + index * 140,
      type: index % 10 === 0 ? 'code_edit' : 'keystroke',
      fileId: index % 10 === 0 ? 'f-solution' : null,
      data: index % 10 === 0 ? { changes: [{ rangeOffset: index, rangeLength: 0, text: 'const x = 1; // ünïcødé ✓\n' }] } : { key: String.fromCharCode(97 + (index % 26)) },
      hash: createHash('sha256').update(String(index)).digest('hex'),
    })),
  };
}

const gz = (value: unknown) => new Uint8Array(gzipSync(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))));

describe('recordingCodec', () => {
  it('round-trips a body through gzip, with the sizes and the sha256 of the compressed bytes', async () => {
    const original = body();
    for (const encoded of [encodeRecording(original), await encodeRecordingAsync(original)]) {
      expect(gunzipSync(encoded.bytes).toString('utf8')).toBe(JSON.stringify(original));
      expect(encoded.size).toBe(Buffer.byteLength(JSON.stringify(original)));
      expect(encoded.compressedSize).toBe(encoded.bytes.byteLength);
      expect(encoded.compressedSize).toBeLessThan(encoded.size);
      expect(encoded.sha256).toBe(createHash('sha256').update(encoded.bytes).digest('hex'));
      expect(encoded.codec).toBe('gzip+json/v1');
      expect(decodeRecording(encoded.bytes, KEY)).toStrictEqual(original);
      expect(await decodeRecordingAsync(encoded.bytes, KEY)).toStrictEqual(original);
    }
  });

  const valid = encodeRecording(body()).bytes;
  const damaged: [string, Uint8Array, string][] = [
    ['truncated to half', valid.slice(0, valid.byteLength >> 1), 'gzip'],
    ['missing its 8-byte trailer', valid.slice(0, -8), 'gzip'],
    ['with one byte flipped in the middle', valid.map((byte, index) => (index === valid.byteLength >> 1 ? byte ^ 0xff : byte)), 'gzip'],
    ['not gzip at all', new TextEncoder().encode('{"sessionId":"ses_1"}'), 'gzip'],
    ['empty', new Uint8Array(), 'gzip'],
    ['gzip of text that is not JSON', gz('{"sessionId": "ses_1", "events": ['), 'JSON'],
    ['gzip of bytes that are not UTF-8', new Uint8Array(gzipSync(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))), 'UTF-8'],
    ['gzip of JSON that is not a recording', gz({ sessionId: 'ses_1', events: [{ seq: 'one' }] }), 'schema'],
    ['gzip of a recording whose events are not an array', gz({ sessionId: 'ses_1', metadata: {}, events: {} }), 'schema'],
  ];

  it.each(damaged)('refuses a body %s with RECORDING_CORRUPT naming the key, sync and async', async (_label, bytes, reason) => {
    expect(() => decodeRecording(bytes, KEY)).toThrow(expect.objectContaining({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(KEY), details: expect.objectContaining({ key: KEY }) }));
    await expect(decodeRecordingAsync(bytes, KEY)).rejects.toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(reason) });
  });
});
