import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, genesisHash } from '../../../../electron/services/recording/eventHashing';
import {
  assembleSegmentedRecording,
  decodeSegmentedRecording,
  encodeRecordingSegment,
  SegmentRun,
  type RecordingSegment,
} from '../../../../electron/services/storage/segmentedRecording';
import type { RecordedEvent } from '../../../../shared/recording/eventTypes';
import { SEGMENTED_RECORDING_CODEC } from '../../../../shared/storage/recordingObjects';

const KEY = 'sessions/2026/11/30/ses_seg/recording';
const METADATA = { candidateId: 'cand_seg', startedAt: '2026-11-30T09:00:00.000Z' };

/** `count` editor events of one session, chained from its genesis hash as the recorder would. */
function recordedEvents(sessionId: string, count: number): RecordedEvent[] {
  let prevHash = genesisHash(sessionId);
  const events: RecordedEvent[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const type = seq % 3 === 0 ? 'cursor' : 'code_edit';
    const data = type === 'cursor' ? { line: seq, column: seq % 80 } : { changes: [{ rangeOffset: seq, rangeLength: 0, text: `x${seq}` }] };
    const timestamp = 1_764_493_200_000 + seq * 37;
    prevHash = eventHash({ seq, timestamp, type, fileId: 'f', dataJson: JSON.stringify(data), prevHash });
    events.push({ sessionId, seq, timestamp, type, fileId: 'f', data, hash: prevHash });
  }
  return events;
}

/** Segments of `size` events each, as the sync worker seals them. */
function segmentsOf(events: RecordedEvent[], size: number): RecordingSegment[] {
  const segments: RecordingSegment[] = [];
  for (let start = 0; start < events.length; start += size) {
    segments.push(encodeRecordingSegment(events[0]!.sessionId, events.slice(start, start + size), start > 0 ? events[start - 1]!.hash : undefined));
  }
  return segments;
}

const MAGIC_BYTES = 8;

/** A v2 recording's parts: the segments' bytes and the parsed header behind them. */
function partsOf(bytes: Uint8Array): { segments: Uint8Array; header: { v: string; segments: [number, number, number][]; eventCount: number; headHash: string } } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.byteLength - 4);
  const headerStart = bytes.byteLength - 4 - headerLength;
  return { segments: bytes.subarray(MAGIC_BYTES, headerStart), header: JSON.parse(new TextDecoder().decode(bytes.subarray(headerStart, bytes.byteLength - 4))) };
}

/** The recording with its header edited, the segments kept. */
function withHeader(bytes: Uint8Array, edit: (header: ReturnType<typeof partsOf>['header']) => void): Uint8Array {
  const { segments, header } = partsOf(bytes);
  edit(header);
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC_BYTES + segments.byteLength + text.byteLength + 4);
  out.set(bytes.subarray(0, MAGIC_BYTES));
  out.set(segments, MAGIC_BYTES);
  out.set(text, MAGIC_BYTES + segments.byteLength);
  new DataView(out.buffer).setUint32(out.byteLength - 4, text.byteLength);
  return out;
}

/** The same recording laid out as col-segments+brotli/v1 (earlier versions of the app): header length, header, segments. */
function asV1(bytes: Uint8Array): Uint8Array {
  const { segments, header } = partsOf(bytes);
  const text = new TextEncoder().encode(JSON.stringify({ ...header, v: 'col-segments/v1' }));
  const out = new Uint8Array(4 + text.byteLength + segments.byteLength);
  new DataView(out.buffer).setUint32(0, text.byteLength);
  out.set(text, 4);
  out.set(segments, 4 + text.byteLength);
  return out;
}

describe('the segmented recording sync stores', () => {
  const events = recordedEvents('ses_seg', 1_000);
  const recording = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: METADATA, segments: segmentsOf(events, 300) });

  it('decodes to exactly the recorded events, every hash recomputed, with the metadata given', () => {
    expect(recording.codec).toBe(SEGMENTED_RECORDING_CODEC);
    expect(decodeSegmentedRecording(recording.bytes, KEY)).toEqual({ sessionId: 'ses_seg', metadata: METADATA, events });
  });

  it('puts the header after the segments, so the bytes before it are fixed once the segments are sealed', () => {
    const longer = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: { ...METADATA, status: 'COMPLETED' }, segments: segmentsOf(events, 300) });
    const { segments } = partsOf(recording.bytes);
    expect(Buffer.from(longer.bytes.subarray(0, MAGIC_BYTES + segments.byteLength)).equals(Buffer.from(recording.bytes.subarray(0, MAGIC_BYTES + segments.byteLength)))).toBe(true);
    expect(longer.sha256).not.toBe(recording.sha256);
  });

  it('hashes what it stores, from a SegmentRun kept as segments were sealed as from the segments alone', () => {
    const run = SegmentRun.empty();
    for (const segment of segmentsOf(events, 300)) run.append(segment);
    const fromRun = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: METADATA, segments: run });
    expect(Buffer.from(fromRun.bytes).equals(Buffer.from(recording.bytes))).toBe(true);
    expect({ sha256: fromRun.sha256, md5: fromRun.md5 }).toEqual({ sha256: createHash('sha256').update(recording.bytes).digest('hex'), md5: createHash('md5').update(recording.bytes).digest('hex') });
    expect({ sha256: recording.sha256, md5: recording.md5 }).toEqual({ sha256: fromRun.sha256, md5: fromRun.md5 });
    // The run is left as it was: assembling again, or after one more segment, hashes from where it stood.
    expect(assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: METADATA, segments: run }).sha256).toBe(fromRun.sha256);
    expect(run.segments).toHaveLength(4);
  });

  it('still reads recordings stored by earlier versions (v1: the header first)', () => {
    expect(decodeSegmentedRecording(asV1(recording.bytes), KEY)).toEqual({ sessionId: 'ses_seg', metadata: METADATA, events });
  });

  it('decodes the same events however they were cut into segments', () => {
    for (const size of [13, 999, 1_000]) {
      const other = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: METADATA, segments: segmentsOf(events, size) });
      expect(decodeSegmentedRecording(other.bytes, KEY).events).toEqual(events);
    }
  });

  it('stores a session with no events as a header alone', () => {
    const empty = assembleSegmentedRecording({ sessionId: 'ses_empty', metadata: {}, segments: [] });
    expect(decodeSegmentedRecording(empty.bytes, KEY)).toEqual({ sessionId: 'ses_empty', metadata: {}, events: [] });
  });

  it('refuses to assemble segments that skip or repeat seqs', () => {
    const segments = segmentsOf(events, 300);
    expect(() => assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: {}, segments: [segments[0]!, segments[2]!] })).toThrow(/do not cover seqs in order/);
    expect(() => assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: {}, segments: [segments[0]!, segments[0]!] })).toThrow(/do not cover seqs in order/);
  });

  it('compresses better than gzip of the same events as JSON', async () => {
    const { gzipSync } = await import('node:zlib');
    expect(recording.compressedSize).toBeLessThan(gzipSync(JSON.stringify(events)).byteLength / 2);
  });

  describe('a damaged object is refused whole, naming it: never a partial event list', () => {
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['cut short', () => recording.bytes.subarray(0, recording.bytes.length - 10), /truncated or extended/],
      [
        'whose trailer claims a 4 GB header',
        () => {
          const copy = recording.bytes.slice();
          new DataView(copy.buffer).setUint32(copy.length - 4, 0xffffffff);
          return copy;
        },
        /runs past the start/,
      ],
      ['its magic and a trailer alone', () => new Uint8Array([...recording.bytes.subarray(0, MAGIC_BYTES), 0, 0, 0, 0]), /not UTF-8 JSON/],
      ['cut inside its magic', () => recording.bytes.subarray(0, 6), /header runs past the end/],
      ['fewer than four bytes', () => recording.bytes.subarray(0, 3), /cannot hold/],
      ['with bytes appended', () => new Uint8Array([...recording.bytes, 0]), /truncated or extended/],
      ['with ten bytes of a segment missing', () => new Uint8Array([...recording.bytes.subarray(0, 100), ...recording.bytes.subarray(110)]), /truncated or extended/],
      ['a v1 recording cut in its last segment', () => asV1(recording.bytes).subarray(0, asV1(recording.bytes).length - 10), /truncated or extended/],
      ['a v1 recording cut inside its header', () => asV1(recording.bytes).subarray(0, 20), /header runs past the end/],
      [
        'with a flipped byte in a segment',
        () => {
          const copy = recording.bytes.slice();
          copy[MAGIC_BYTES + 100]! ^= 0xff;
          return copy;
        },
        /segment 0|brotli|hash/,
      ],
      ['whose header names the other layout', () => withHeader(recording.bytes, (header) => void (header.v = 'col-segments/v1')), /header says col-segments\/v1/],
      [
        'a v1 recording whose header names v2',
        () => {
          const v1 = asV1(recording.bytes);
          const headerEnd = 4 + new DataView(v1.buffer).getUint32(0);
          const header = JSON.parse(new TextDecoder().decode(v1.subarray(4, headerEnd)));
          const text = new TextEncoder().encode(JSON.stringify({ ...header, v: 'col-segments/v2' }));
          const out = new Uint8Array(4 + text.length + v1.length - headerEnd);
          new DataView(out.buffer).setUint32(0, text.length);
          out.set(text, 4);
          out.set(v1.subarray(headerEnd), 4 + text.length);
          return out;
        },
        /header says col-segments\/v2/,
      ],
      [
        'with two segments swapped',
        () =>
          withHeader(recording.bytes, (header) => {
            const [a, b] = header.segments as [[number, number, number], [number, number, number]];
            header.segments[0] = [b[0], b[1], a[2]];
            header.segments[1] = [a[0], a[1], b[2]];
          }),
        /covers seqs/,
      ],
      ['whose header claims another event count', () => withHeader(recording.bytes, (header) => void (header.eventCount = 999)), /not the 999 its header declares/],
      ['whose header claims another head', () => withHeader(recording.bytes, (header) => void (header.headHash = 'f'.repeat(64))), /headHash/],
      ['whose header is not JSON', () => new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b]), /not UTF-8 JSON/],
    ];
    for (const [what, damaged, reason] of cases) {
      it(what, () => {
        let caught: unknown;
        try {
          decodeSegmentedRecording(damaged(), KEY);
        } catch (error) {
          caught = error;
        }
        expect(caught).toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(KEY) });
        expect((caught as Error).message).toMatch(reason);
      });
    }

    it('a segment of another session spliced in', () => {
      const foreign = segmentsOf(recordedEvents('ses_other', 1_000), 300);
      const mine = segmentsOf(events, 300);
      const spliced = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: {}, segments: [mine[0]!, foreign[1]!, mine[2]!, mine[3]!] });
      expect(() => decodeSegmentedRecording(spliced.bytes, KEY)).toThrow(/does not chain|does not hold/);
    });
  });
});
