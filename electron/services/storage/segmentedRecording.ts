import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import { RecordingMetadataSchema, SEGMENTED_RECORDING_CODEC, type RecordingBody, type RecordingMetadata } from '../../../shared/storage/recordingObjects';
import { describeIssues } from '../../../shared/validation';
import { genesisHash } from '../recording/eventHashing';
import { compressColumnarRecording, decodeColumnarSegment, decompressColumnarRecording, encodeColumnarRecording } from './columnarRecording';
import { MAX_RECORDING_BYTES, recordingCorrupt } from './recordingCodec';

/*
 * The consolidated recording sync stores (SEGMENTED_RECORDING_CODEC): a session's events as
 * a run of col/v1 segments, each brotli-compressed on its own, closed by one header.
 *
 * Segments exist so that closing a session does not mean compressing all of it: the sync
 * worker seals segments in the background while the interview runs, and at close it only
 * encodes the events since the last one and concatenates. Brotli does better on large
 * inputs, so small segments are merged into large ones in the background too.
 *
 *   8 bytes     SEGMENTED_MAGIC
 *   segments    each segment's bytes, in order, back to back
 *   header      UTF-8 JSON: { v, sessionId, metadata, eventCount, headHash,
 *                             segments: [[firstSeq, lastSeq, byteLength], ...] }
 *   uint32 BE   length of the header in bytes
 *
 * The header comes last (as a zip's directory does) so that the bytes before it are fixed
 * once sealed: the worker keeps the running sha256 and MD5 of the sealed segments
 * (`SegmentRun`), and a close hashes only its last events and the header, not the whole
 * object. v1 (SEGMENTED_RECORDING_CODEC_V1: the length, the header, then the segments) is
 * still read.
 *
 * Segments cover seqs 1..eventCount in order, each chaining to the one before; the decoder
 * recomputes every hash, checks each link and the head, so damage anywhere is detected.
 */

/** The version tags in the header. */
const SEGMENTED_VERSION = 'col-segments/v2';
const SEGMENTED_VERSION_V1 = 'col-segments/v1';
/** The first bytes of a v2 recording; read as v1's header length it would be ~1.2 GB, which no v1 object has. */
const SEGMENTED_MAGIC = new TextEncoder().encode('ILMSEG\x00\x02');
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
  /** MD5 (hex) of `bytes`: what S3 answers as the ETag of a single-part PUT of them. */
  md5: string;
  codec: typeof SEGMENTED_RECORDING_CODEC;
}

const HeaderSchema = z.object({
  v: z.enum([SEGMENTED_VERSION, SEGMENTED_VERSION_V1]),
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
 * The start of a consolidated recording: its magic and segments 1..N in seq order, with the
 * running sha256 and MD5 of exactly those bytes. Appending hashes only the new segment, and
 * `fork` copies the hash states, so the sync worker keeps one per session as it seals and a
 * close assembles from a fork without hashing what was sealed before.
 */
export class SegmentRun {
  private constructor(
    private readonly list: RecordingSegment[],
    private readonly sha256: Hash,
    private readonly md5: Hash,
  ) {}

  /** A run of no segments: the magic alone. */
  static empty(): SegmentRun {
    return new SegmentRun([], createHash('sha256').update(SEGMENTED_MAGIC), createHash('md5').update(SEGMENTED_MAGIC));
  }

  /** A run of `segments`, hashed from the start. */
  static of(segments: Iterable<RecordingSegment>): SegmentRun {
    const run = SegmentRun.empty();
    for (const segment of segments) run.append(segment);
    return run;
  }

  get segments(): readonly RecordingSegment[] {
    return this.list;
  }

  /** Adds the segment that follows the last one; one that does not (a gap, an overlap) throws. */
  append(segment: RecordingSegment): void {
    const next = (this.list.at(-1)?.lastSeq ?? 0) + 1;
    if (segment.firstSeq !== next || segment.lastSeq < segment.firstSeq) {
      throw new Error(`segments do not cover seqs in order: ${segment.firstSeq}..${segment.lastSeq} after ${next - 1}`);
    }
    this.list.push(segment);
    this.sha256.update(segment.body);
    this.md5.update(segment.body);
  }

  /** An independent copy, to append to or assemble from while this one goes on. */
  fork(): SegmentRun {
    return new SegmentRun([...this.list], this.sha256.copy(), this.md5.copy());
  }

  /** Hashes the last bytes (the header and its length) and finishes: the run is spent. */
  finish(...last: Uint8Array[]): { sha256: string; md5: string } {
    for (const bytes of last) {
      this.sha256.update(bytes);
      this.md5.update(bytes);
    }
    return { sha256: this.sha256.digest('hex'), md5: this.md5.digest('hex') };
  }
}

/**
 * Concatenates sealed segments (covering seqs 1..N in order, as the sync worker keeps them)
 * into one consolidated recording. Cheap: no compression happens here, and given a
 * `SegmentRun` (left as it was) only the header is hashed.
 */
export function assembleSegmentedRecording(recording: {
  sessionId: string;
  metadata: RecordingMetadata;
  segments: SegmentRun | readonly RecordingSegment[];
}): EncodedSegmentedRecording {
  const { sessionId } = recording;
  let run: SegmentRun;
  try {
    run = recording.segments instanceof SegmentRun ? recording.segments.fork() : SegmentRun.of(recording.segments);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)} (session ${sessionId})`);
  }
  const { segments } = run;
  const header = utf8Encoder.encode(
    JSON.stringify({
      v: SEGMENTED_VERSION,
      sessionId,
      metadata: recording.metadata,
      eventCount: segments.at(-1)?.lastSeq ?? 0,
      headHash: segments.at(-1)?.headHash ?? genesisHash(sessionId),
      segments: segments.map((segment) => [segment.firstSeq, segment.lastSeq, segment.body.byteLength]),
    }),
  );
  const headerLength = new Uint8Array(HEADER_LENGTH_BYTES);
  new DataView(headerLength.buffer).setUint32(0, header.byteLength);
  const segmentBytes = segments.reduce((sum, segment) => sum + segment.body.byteLength, 0);
  const bytes = new Uint8Array(SEGMENTED_MAGIC.byteLength + segmentBytes + header.byteLength + HEADER_LENGTH_BYTES);
  bytes.set(SEGMENTED_MAGIC, 0);
  let offset = SEGMENTED_MAGIC.byteLength;
  for (const segment of segments) {
    bytes.set(segment.body, offset);
    offset += segment.body.byteLength;
  }
  bytes.set(header, offset);
  bytes.set(headerLength, offset + header.byteLength);
  const size = header.byteLength + segments.reduce((sum, segment) => sum + segment.rawSize, 0);
  return { bytes, size, compressedSize: bytes.byteLength, ...run.finish(header, headerLength), codec: SEGMENTED_RECORDING_CODEC };
}

/** Where a consolidated recording's header and segments lie, by its layout (v2 or v1). */
function layoutOf(bytes: Uint8Array, key: string): { version: string; header: Uint8Array; segmentsStart: number; segmentsEnd: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isV2 = bytes.byteLength >= SEGMENTED_MAGIC.byteLength && SEGMENTED_MAGIC.every((byte, index) => bytes[index] === byte);
  if (isV2) {
    if (bytes.byteLength < SEGMENTED_MAGIC.byteLength + HEADER_LENGTH_BYTES) throw recordingCorrupt(key, `${bytes.byteLength} bytes cannot hold a segmented recording's header`);
    const headerLength = view.getUint32(bytes.byteLength - HEADER_LENGTH_BYTES);
    const headerStart = bytes.byteLength - HEADER_LENGTH_BYTES - headerLength;
    if (headerStart < SEGMENTED_MAGIC.byteLength) throw recordingCorrupt(key, `the header runs past the start of the ${bytes.byteLength} bytes (truncated or extended)`);
    return { version: SEGMENTED_VERSION, header: bytes.subarray(headerStart, bytes.byteLength - HEADER_LENGTH_BYTES), segmentsStart: SEGMENTED_MAGIC.byteLength, segmentsEnd: headerStart };
  }
  if (bytes.byteLength < HEADER_LENGTH_BYTES) throw recordingCorrupt(key, `${bytes.byteLength} bytes cannot hold a segmented recording's header`);
  const headerEnd = HEADER_LENGTH_BYTES + view.getUint32(0);
  if (headerEnd > bytes.byteLength) throw recordingCorrupt(key, `the header runs past the end of the ${bytes.byteLength} bytes`);
  return { version: SEGMENTED_VERSION_V1, header: bytes.subarray(HEADER_LENGTH_BYTES, headerEnd), segmentsStart: headerEnd, segmentsEnd: bytes.byteLength };
}

/** The seq range of each segment of a consolidated recording, as its header lists them. */
export function segmentRangesOf(bytes: Uint8Array, key: string): [firstSeq: number, lastSeq: number][] {
  const layout = layoutOf(bytes, key);
  return headerOf(layout.header, layout.version, key).segments.map(([firstSeq, lastSeq]) => [firstSeq, lastSeq]);
}

/** The header, parsed and checked against the layout it was found in. */
function headerOf(bytes: Uint8Array, version: string, key: string): z.infer<typeof HeaderSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    throw recordingCorrupt(key, `the header is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = describeIssues(parsed.error)[0]!;
    throw recordingCorrupt(key, `the header does not match ${version} (${issue.path}: ${issue.message})`);
  }
  if (parsed.data.v !== version) throw recordingCorrupt(key, `its header says ${parsed.data.v}, but its layout is ${version}'s`);
  return parsed.data;
}

/**
 * Decodes a consolidated recording, all or nothing: a truncated or extended object, a header
 * that does not parse, segments that skip or overlap seqs or do not chain, or any segment
 * whose recomputed hashes do not reach its head throw RECORDING_CORRUPT naming `key`.
 */
export function decodeSegmentedRecording(bytes: Uint8Array, key: string): RecordingBody {
  const { version, header: headerBytes, segmentsStart, segmentsEnd } = layoutOf(bytes, key);
  const header = headerOf(headerBytes, version, key);
  const declared = header.segments.reduce((sum, [, , length]) => sum + length, 0);
  if (segmentsStart + declared !== segmentsEnd) {
    throw recordingCorrupt(key, `its segments should span ${declared} bytes, but ${segmentsEnd - segmentsStart} are there (truncated or extended)`);
  }

  const events: RecordedEvent[] = [];
  let offset = segmentsStart;
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
