import { z } from 'zod';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import { RecordingMetadataSchema, SEGMENTED_RECORDING_CODEC, type RecordingBody, type RecordingMetadata } from '../../../shared/storage/recordingObjects';
import { describeIssues } from '../../../shared/validation';
import { genesisHash } from '../recording/eventHashing';
import { compressColumnarRecording, decodeColumnarSegment, decompressColumnarRecording, encodeColumnarRecording } from './columnarRecording';
import { MAX_RECORDING_BYTES, recordingCorrupt, sha256Hex } from './recordingCodec';

/*
 * The consolidated recording sync stores (SEGMENTED_RECORDING_CODEC): a session's events as
 * a run of col/v1 segments, each brotli-compressed on its own, behind one header.
 *
 * Segments exist so that closing a session does not mean compressing all of it: the sync
 * worker seals segments in the background while the interview runs, and at close it only
 * encodes the events since the last one and concatenates. Brotli does better on large
 * inputs, so small segments are merged into large ones in the background too.
 *
 *   uint32 BE   length of the header in bytes
 *   header      UTF-8 JSON: { v, sessionId, metadata, eventCount, headHash,
 *                             segments: [[firstSeq, lastSeq, byteLength], ...] }
 *   segments    each segment's bytes, in order, back to back, nothing after the last
 *
 * Segments cover seqs 1..eventCount in order, each chaining to the one before; the decoder
 * recomputes every hash, checks each link and the head, so damage anywhere is detected.
 */

/** The version tag in the header. */
const SEGMENTED_VERSION = 'col-segments/v1';
const HEADER_LENGTH_BYTES = 4;

/** One sealed run of a session's events: brotli of their col/v1 container. */
export interface RecordingSegment {
  firstSeq: number;
  lastSeq: number;
  /** The hash of the segment's last event: what the next segment chains to. */
  headHash: string;
  /** Bytes of the col/v1 container before compression. */
  rawSize: number;
  body: Uint8Array;
}

/** A consolidated recording ready to store. */
export interface EncodedSegmentedRecording {
  bytes: Uint8Array;
  /** Bytes of the segments' col/v1 containers before compression, plus the header. */
  size: number;
  compressedSize: number;
  sha256: string;
  codec: typeof SEGMENTED_RECORDING_CODEC;
}

const HeaderSchema = z.object({
  v: z.literal(SEGMENTED_VERSION),
  sessionId: z.string(),
  metadata: RecordingMetadataSchema,
  eventCount: z.number().int().nonnegative(),
  headHash: z.string(),
  segments: z.array(z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().nonnegative()])),
});

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Seals `events` (seq-contiguous, one session's) as a segment. `prevHash` is the hash the
 * first event chains to, required past seq 1. `quality` is brotli's: 9 for background work,
 * lower for the tail encoded while a close waits.
 */
export function encodeRecordingSegment(sessionId: string, events: RecordedEvent[], prevHash: string | undefined, quality?: number): RecordingSegment {
  const container = encodeColumnarRecording({ sessionId, events, ...(prevHash === undefined ? {} : { prevHash }) });
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) throw new Error('a segment needs at least one event');
  return { firstSeq: first.seq, lastSeq: last.seq, headHash: last.hash, rawSize: container.byteLength, body: compressColumnarRecording(container, quality) };
}

/**
 * Concatenates sealed segments (covering seqs 1..N in order, as the sync worker keeps them)
 * into one consolidated recording. Cheap: no compression happens here.
 */
export function assembleSegmentedRecording(recording: { sessionId: string; metadata: RecordingMetadata; segments: readonly RecordingSegment[] }): EncodedSegmentedRecording {
  const { sessionId, segments } = recording;
  let next = 1;
  for (const segment of segments) {
    if (segment.firstSeq !== next || segment.lastSeq < segment.firstSeq) {
      throw new Error(`segments of session ${sessionId} do not cover seqs in order: ${segment.firstSeq}..${segment.lastSeq} after ${next - 1}`);
    }
    next = segment.lastSeq + 1;
  }
  const header = utf8Encoder.encode(
    JSON.stringify({
      v: SEGMENTED_VERSION,
      sessionId,
      metadata: recording.metadata,
      eventCount: next - 1,
      headHash: segments.at(-1)?.headHash ?? genesisHash(sessionId),
      segments: segments.map((segment) => [segment.firstSeq, segment.lastSeq, segment.body.byteLength]),
    }),
  );
  const total = HEADER_LENGTH_BYTES + header.byteLength + segments.reduce((sum, segment) => sum + segment.body.byteLength, 0);
  const bytes = new Uint8Array(total);
  new DataView(bytes.buffer).setUint32(0, header.byteLength);
  bytes.set(header, HEADER_LENGTH_BYTES);
  let offset = HEADER_LENGTH_BYTES + header.byteLength;
  for (const segment of segments) {
    bytes.set(segment.body, offset);
    offset += segment.body.byteLength;
  }
  const size = header.byteLength + segments.reduce((sum, segment) => sum + segment.rawSize, 0);
  return { bytes, size, compressedSize: total, sha256: sha256Hex(bytes), codec: SEGMENTED_RECORDING_CODEC };
}

/**
 * Decodes a consolidated recording, all or nothing: a truncated or extended object, a header
 * that does not parse, segments that skip or overlap seqs or do not chain, or any segment
 * whose recomputed hashes do not reach its head throw RECORDING_CORRUPT naming `key`.
 */
export function decodeSegmentedRecording(bytes: Uint8Array, key: string): RecordingBody {
  if (bytes.byteLength < HEADER_LENGTH_BYTES) throw recordingCorrupt(key, `${bytes.byteLength} bytes cannot hold a segmented recording's header`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const headerEnd = HEADER_LENGTH_BYTES + headerLength;
  if (headerEnd > bytes.byteLength) throw recordingCorrupt(key, `the header runs past the end of the ${bytes.byteLength} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(utf8Decoder.decode(bytes.subarray(HEADER_LENGTH_BYTES, headerEnd)));
  } catch (error) {
    throw recordingCorrupt(key, `the header is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = describeIssues(parsed.error)[0]!;
    throw recordingCorrupt(key, `the header does not match ${SEGMENTED_VERSION} (${issue.path}: ${issue.message})`);
  }
  const header = parsed.data;
  const declared = header.segments.reduce((sum, [, , length]) => sum + length, 0);
  if (headerEnd + declared !== bytes.byteLength) {
    throw recordingCorrupt(key, `its segments should span ${declared} bytes after the header, but ${bytes.byteLength - headerEnd} follow (truncated or extended)`);
  }

  const events: RecordedEvent[] = [];
  let offset = headerEnd;
  let chainHead = genesisHash(header.sessionId);
  let inflated = 0;
  for (const [index, [firstSeq, lastSeq, length]] of header.segments.entries()) {
    const where = `${key} segment ${index} (seqs ${firstSeq}..${lastSeq})`;
    if (firstSeq !== events.length + 1 || lastSeq < firstSeq) throw recordingCorrupt(key, `segment ${index} covers seqs ${firstSeq}..${lastSeq} after ${events.length}`);
    const container = decompressColumnarRecording(bytes.subarray(offset, offset + length), where);
    inflated += container.byteLength;
    if (inflated > MAX_RECORDING_BYTES) throw recordingCorrupt(key, `it inflates past ${MAX_RECORDING_BYTES} bytes`);
    const segment = decodeColumnarSegment(container, where);
    if (segment.prevHash !== chainHead) throw recordingCorrupt(key, `segment ${index} does not chain to the segment before it`);
    if (segment.events.length !== lastSeq - firstSeq + 1 || segment.events[0]?.seq !== firstSeq || segment.events.some((event) => event.sessionId !== header.sessionId)) {
      throw recordingCorrupt(key, `segment ${index} does not hold seqs ${firstSeq}..${lastSeq} of session ${header.sessionId}`);
    }
    for (const event of segment.events) events.push(event);
    chainHead = segment.events.at(-1)!.hash;
    offset += length;
  }
  if (events.length !== header.eventCount) throw recordingCorrupt(key, `it holds ${events.length} events, not the ${header.eventCount} its header declares`);
  if (chainHead !== header.headHash) throw recordingCorrupt(key, `its hash chain ends at ${chainHead}, not the header's headHash ${header.headHash}`);
  return { sessionId: header.sessionId, metadata: header.metadata, events };
}
