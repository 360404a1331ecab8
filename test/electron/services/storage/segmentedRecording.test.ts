import { describe, expect, it } from 'vitest';
import { eventHash, genesisHash } from '../../../../electron/services/recording/eventHashing';
import {
  assembleSegmentedRecording,
  decodeSegmentedRecording,
  encodeRecordingSegment,
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

const headerLengthOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);

/** The recording with its header edited, the segments kept. */
function withHeader(bytes: Uint8Array, edit: (header: { segments: [number, number, number][]; eventCount: number; headHash: string }) => void): Uint8Array {
  const end = 4 + headerLengthOf(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, end)));
  edit(header);
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + text.length + bytes.length - end);
  new DataView(out.buffer).setUint32(0, text.length);
  out.set(text, 4);
  out.set(bytes.subarray(end), 4 + text.length);
  return out;
}

describe('the segmented recording sync stores', () => {
  const events = recordedEvents('ses_seg', 1_000);
  const recording = assembleSegmentedRecording({ sessionId: 'ses_seg', metadata: METADATA, segments: segmentsOf(events, 300) });

  it('decodes to exactly the recorded events, every hash recomputed, with the metadata given', () => {
    expect(recording.codec).toBe(SEGMENTED_RECORDING_CODEC);
    expect(decodeSegmentedRecording(recording.bytes, KEY)).toEqual({ sessionId: 'ses_seg', metadata: METADATA, events });
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
      ['truncated in the last segment', () => recording.bytes.subarray(0, recording.bytes.length - 10), /truncated or extended/],
      ['truncated inside the header', () => recording.bytes.subarray(0, 20), /header runs past the end/],
      ['fewer than four bytes', () => recording.bytes.subarray(0, 3), /cannot hold/],
      ['with bytes appended', () => new Uint8Array([...recording.bytes, 0]), /truncated or extended/],
      [
        'with a flipped byte in a segment',
        () => {
          const copy = recording.bytes.slice();
          copy[4 + headerLengthOf(copy) + 100]! ^= 0xff;
          return copy;
        },
        /segment 0|brotli|hash/,
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
