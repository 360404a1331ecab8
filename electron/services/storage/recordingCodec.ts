import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync, type ZlibOptions } from 'node:zlib';
import { AppError } from '../../../shared/errors';
import { RECORDING_CODEC, RecordingBodySchema, type RecordingBody } from '../../../shared/storage/recordingObjects';
import { describeIssues } from '../../../shared/validation';

/*
 * Why node:zlib and not pako (the seed's choice). Measured on recordings made by the real
 * recorder from the bench's synthetic interview (Node 20, one core; median of 5 runs):
 *
 *   JSON      pako.gzip  zlib.gzipSync  zlib.gzip (async)  pako.ungzip  zlib.gunzipSync
 *   2.1 MB    136 ms     37 ms          41 ms              54 ms        7 ms
 *   10.4 MB   592 ms     167 ms         192 ms             135 ms       37 ms
 *   20.9 MB   1058 ms    325 ms         384 ms             219 ms       71 ms
 *
 * zlib is 3.5x faster at level 6 and its output is ~5% smaller (x4.84 vs x4.60 on 10 MB).
 * The async forms run on libuv's thread pool, so the main process's event loop is not held
 * for 170 ms by a 10 MB recording; the sync forms suit the sync worker's own thread. gunzip
 * gets 1 MiB output chunks: with the default 16 KiB, async gunzip of 11 MB took ~220 ms
 * instead of ~32 ms.
 */
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** A recording larger than this once inflated is refused rather than risking the heap (a gzip bomb). */
export const MAX_RECORDING_BYTES = 1024 * 1024 * 1024;
const GUNZIP_OPTIONS: ZlibOptions = { chunkSize: 1024 * 1024, maxOutputLength: MAX_RECORDING_BYTES };

/** A recording body ready to store, with its sizes and the sha256 of the stored bytes. */
export interface EncodedRecording {
  /** gzip of the UTF-8 JSON body: what goes to storage. */
  bytes: Uint8Array;
  /** Bytes of the JSON before compression. */
  size: number;
  compressedSize: number;
  /** sha256 (hex) of `bytes`, the compressed form. */
  sha256: string;
  codec: typeof RECORDING_CODEC;
}

/** sha256 (lower-case hex) of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Encodes a recording or chunk body as RECORDING_CODEC (gzip of its UTF-8 JSON) on the
 * calling thread: for the sync worker's thread and small chunks. In the main process use
 * `encodeRecordingAsync`, which keeps the event loop free.
 */
export function encodeRecording(body: RecordingBody): EncodedRecording {
  const json = jsonOf(body);
  return encoded(json, gzipSync(json));
}

/** `encodeRecording` on libuv's thread pool. */
export async function encodeRecordingAsync(body: RecordingBody): Promise<EncodedRecording> {
  const json = jsonOf(body);
  return encoded(json, await gzipAsync(json));
}

/**
 * Decodes what `encodeRecording` produced, on the calling thread. All or nothing: truncated
 * or damaged gzip (its CRC and length trailer are checked), bytes that are not UTF-8 JSON,
 * or a body that fails the schema throw RECORDING_CORRUPT naming `key`; a partial event list
 * is never returned.
 */
export function decodeRecording(bytes: Uint8Array, key: string): RecordingBody {
  let json: Buffer;
  try {
    json = gunzipSync(bytes, GUNZIP_OPTIONS);
  } catch (error) {
    throw notGzip(key, error);
  }
  return parseBody(json, key);
}

/** `decodeRecording` with the inflate on libuv's thread pool. */
export async function decodeRecordingAsync(bytes: Uint8Array, key: string): Promise<RecordingBody> {
  let json: Buffer;
  try {
    json = await gunzipAsync(bytes, GUNZIP_OPTIONS);
  } catch (error) {
    throw notGzip(key, error);
  }
  return parseBody(json, key);
}

/** RECORDING_CORRUPT naming the object and what is wrong with it. */
export function recordingCorrupt(key: string, reason: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('RECORDING_CORRUPT', `The recording object ${JSON.stringify(key)} is corrupt: ${reason}.`, { key, reason, ...extra });
}

function jsonOf(body: RecordingBody): Buffer {
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function encoded(json: Buffer, compressed: Buffer): EncodedRecording {
  const bytes = new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  return { bytes, size: json.byteLength, compressedSize: bytes.byteLength, sha256: sha256Hex(bytes), codec: RECORDING_CODEC };
}

function notGzip(key: string, error: unknown): AppError {
  return recordingCorrupt(key, `not a complete gzip stream (${error instanceof Error ? error.message : String(error)})`);
}

function parseBody(json: Buffer, key: string): RecordingBody {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw recordingCorrupt(key, 'the inflated bytes are not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw recordingCorrupt(key, `the inflated bytes are not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = RecordingBodySchema.safeParse(value);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw recordingCorrupt(key, `the body does not match the recording schema (${issues[0]!.path}: ${issues[0]!.message})`, { issues });
  }
  return parsed.data;
}
