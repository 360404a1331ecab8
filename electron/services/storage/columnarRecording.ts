import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import { eventHash, genesisHash } from '../recording/eventHashing';
import { MAX_RECORDING_BYTES, recordingCorrupt } from './recordingCodec';

/*
 * "col/v1": a columnar encoding of a seq-contiguous run of one session's recorded events.
 *
 * Exact for any JSON `data`: each event's data is shredded into per-path columns, and object
 * key order is kept, so JSON.stringify(decoded data) === the stored data text, which is what the
 * hash chain covers. Hashes are not stored: the decoder recomputes them from the chain's start
 * (genesisHash(sessionId) when firstSeq is 1, else the header's prevHash) and checks the last
 * one against the header's headHash, so any damage to any column is detected.
 *
 * The container, uncompressed (compress it with `compressColumnarRecording`):
 *
 *   uvarint   length of the header in bytes
 *   header    UTF-8 JSON:
 *               v          'col/v1'
 *               sessionId  the session every event belongs to
 *               count      number of events
 *               firstSeq   seq of the first event; the others follow one by one
 *               t0         timestamp of the first event (ms since the epoch)
 *               prevHash   hash the first event chains to; present only when firstSeq > 1
 *               headHash   hash of the last event (the chain start when count is 0)
 *               types      event types, in order of first appearance; @type indexes it
 *               fileIds    file ids, in order of first appearance; @file indexes it (1-based)
 *               keyLists   per path, the distinct key lists of the objects at that path; #o indexes it
 *               columns    [name, byteLength] of each column, in the order they follow
 *   columns   the bytes of each column, back to back, nothing in between
 *
 * Per-event columns:
 *   @type   uvarint index into types
 *   @dt     zigzag varint: timestamp minus the previous event's (t0 for the first)
 *   @file   uvarint: 0 for no file, else 1 + index into fileIds
 *
 * Data columns. A path is JSON.stringify(type) for an event's data, then + "." + JSON.stringify(key)
 * for an object member and + "[]" for an array element. Each path has up to these columns,
 * named path + suffix:
 *   #k   one kind byte per value: 0 null, 1 false, 2 true, 3 integer, 4 other number,
 *        5 string, 6 array, 7 object, 8 string that is not well-formed UTF-16 (lone surrogate)
 *   #i   integers within ±2^50 (not -0), zigzag varint delta from the path's previous integer
 *   #a   array lengths, uvarint; the elements follow at path + "[]"
 *   #o   object key lists, uvarint index into keyLists[path]; the members follow at path."key"
 *   #s   strings: UTF-8 text, all of the path's strings concatenated
 *   #l   their lengths in UTF-16 code units, uvarint
 *   #n   other numbers and kind-8 strings, as JSON text, concatenated
 *   #m   their lengths in UTF-16 code units, uvarint
 *
 * Empty columns are left out. Numeric columns come first, then text (#s, #n), each group
 * sorted by name: the layout that compressed best on recorded sessions. Measured on a
 * two-hour synthetic interview (110k events), brotli q9 of this container is ~0.11 of the
 * seed's gzip'd JSON; storing edit offsets relative to the previous edit or deriving
 * checkpoints from edits bought only a few percent more and is deliberately not done.
 */

/** The version tag in every col/v1 header. */
export const COLUMNAR_RECORDING_VERSION = 'col/v1';

/** The events to encode: one session's, seq-contiguous. `prevHash` is required when they do not start at seq 1. */
export interface ColumnarRecordingBody {
  sessionId: string;
  events: RecordedEvent[];
  /** The hash the first event chains to; required when the first seq is above 1. */
  prevHash?: string;
}

const BROTLI_QUALITY = 9;
/** Brotli's window: 2^22 at most, and no larger than the input needs (brotli's own minimum is 2^10). */
const BROTLI_MAX_WINDOW_BITS = 22;
const BROTLI_MIN_WINDOW_BITS = 10;

/** Integers beyond this go to the #n column, so zigzag deltas of two of them stay below 2^53. */
const INT_COLUMN_LIMIT = 2 ** 50;
/** A uvarint of more bytes than this cannot hold a safe integer. */
const MAX_VARINT_BYTES = 8;

const KIND_NULL = 0;
const KIND_FALSE = 1;
const KIND_TRUE = 2;
const KIND_INT = 3;
const KIND_NUMBER = 4;
const KIND_STRING = 5;
const KIND_ARRAY = 6;
const KIND_OBJECT = 7;
const KIND_JSON_STRING = 8;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
// With the u flag a surrogate pair is one code point, so this matches only lone surrogates,
// which UTF-8 cannot carry (TextEncoder would turn them into U+FFFD).
const LONE_SURROGATE = /\p{Surrogate}/u;

const HeaderSchema = z.object({
  v: z.literal(COLUMNAR_RECORDING_VERSION),
  sessionId: z.string(),
  count: z.number().int().nonnegative(),
  firstSeq: z.number().int().positive(),
  t0: z.number().int(),
  prevHash: z.string().optional(),
  headHash: z.string(),
  types: z.array(z.string()),
  fileIds: z.array(z.string()),
  keyLists: z.record(z.string(), z.array(z.array(z.string()))),
  columns: z.array(z.tuple([z.string(), z.number().int().nonnegative()])),
});
type Header = z.infer<typeof HeaderSchema>;

/** Encodes one session's seq-contiguous events as an uncompressed col/v1 container. */
export function encodeColumnarRecording(body: ColumnarRecordingBody): Uint8Array {
  const { sessionId, events } = body;
  const first = events[0];
  const firstSeq = first?.seq ?? 1;
  if (firstSeq > 1 && body.prevHash === undefined) {
    throw new AppError('VALIDATION_FAILED', `Events starting at seq ${firstSeq} need the prevHash their chain starts from.`, { sessionId, firstSeq });
  }
  const typeIndex = new Map<string, number>();
  const fileIndex = new Map<string, number>();
  const dataRoots: ColumnEncoder[] = [];
  const typeColumn = new ByteWriter();
  const timeDeltaColumn = new ByteWriter();
  const fileColumn = new ByteWriter();
  let previousTimestamp = first?.timestamp ?? 0;
  for (const [index, event] of events.entries()) {
    if (event.sessionId !== sessionId || event.seq !== firstSeq + index || !Number.isSafeInteger(event.timestamp)) {
      throw new AppError('VALIDATION_FAILED', `Event ${index} is not seq ${firstSeq + index} of session ${JSON.stringify(sessionId)} with an integer timestamp.`, {
        sessionId,
        index,
      });
    }
    let typeId = typeIndex.get(event.type);
    if (typeId === undefined) {
      typeId = typeIndex.size;
      typeIndex.set(event.type, typeId);
      dataRoots.push(new ColumnEncoder(JSON.stringify(event.type)));
    }
    typeColumn.writeUnsigned(typeId);
    timeDeltaColumn.writeSigned(event.timestamp - previousTimestamp);
    previousTimestamp = event.timestamp;
    let fileRef = 0;
    if (event.fileId !== null) {
      let fileId = fileIndex.get(event.fileId);
      if (fileId === undefined) {
        fileId = fileIndex.size;
        fileIndex.set(event.fileId, fileId);
      }
      fileRef = fileId + 1;
    }
    fileColumn.writeUnsigned(fileRef);
    dataRoots[typeId]!.write(event.data);
  }

  const columns: [string, Uint8Array][] = [
    ['@type', typeColumn.bytes()],
    ['@dt', timeDeltaColumn.bytes()],
    ['@file', fileColumn.bytes()],
  ];
  const keyLists: Record<string, string[][]> = {};
  for (const root of dataRoots) root.collect(columns, keyLists);
  const isText = (name: string) => name.endsWith('#s') || name.endsWith('#n');
  const ordered = columns
    .filter(([, bytes]) => bytes.length > 0)
    .sort(([a], [b]) => Number(isText(a)) - Number(isText(b)) || (a < b ? -1 : a > b ? 1 : 0));

  const header: Header = {
    v: COLUMNAR_RECORDING_VERSION,
    sessionId,
    count: events.length,
    firstSeq,
    t0: first?.timestamp ?? 0,
    ...(firstSeq > 1 ? { prevHash: body.prevHash! } : {}),
    headHash: events.at(-1)?.hash ?? body.prevHash ?? genesisHash(sessionId),
    types: [...typeIndex.keys()],
    fileIds: [...fileIndex.keys()],
    keyLists,
    columns: ordered.map(([name, bytes]) => [name, bytes.length]),
  };
  const headerBytes = utf8Encoder.encode(JSON.stringify(header));
  const out = new ByteWriter();
  out.writeUnsigned(headerBytes.length);
  out.writeBytes(headerBytes);
  for (const [, bytes] of ordered) out.writeBytes(bytes);
  return out.bytes();
}

/**
 * Decodes a col/v1 container and recomputes every event's hash. All or nothing: truncated
 * bytes, a bad varint, an unknown version, columns that do not add up, or a chain whose last
 * hash is not the header's headHash throw RECORDING_CORRUPT naming `key`.
 */
export function decodeColumnarRecording(bytes: Uint8Array, key: string): RecordedEvent[] {
  return decodeColumnarSegment(bytes, key).events;
}

/** `decodeColumnarRecording`, also answering the hash the first event chains to (to check that segments link up). */
export function decodeColumnarSegment(bytes: Uint8Array, key: string): { events: RecordedEvent[]; prevHash: string } {
  try {
    return decodeContainer(bytes);
  } catch (error) {
    if (error instanceof AppError) throw recordingCorrupt(key, error.message);
    throw recordingCorrupt(key, `the col/v1 container does not decode (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Brotli of a col/v1 container: what goes to storage. Quality 9 by default. The window is
 * the smallest that holds the container (at most 2^22): a larger one compresses no better,
 * and brotli sets up hash tables to its size, which is most of the time spent on a small
 * container (q9 on 20 KB: ~12 ms with 2^22, ~0.4 ms with 2^15; q1 on a few hundred bytes:
 * about half).
 */
export function compressColumnarRecording(container: Uint8Array, quality = BROTLI_QUALITY): Uint8Array {
  // A window of 2^n holds 2^n - 16 bytes.
  const windowBits = Math.min(BROTLI_MAX_WINDOW_BITS, Math.max(BROTLI_MIN_WINDOW_BITS, Math.ceil(Math.log2(container.byteLength + 16))));
  const compressed = brotliCompressSync(container, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: quality,
      [zlibConstants.BROTLI_PARAM_LGWIN]: windowBits,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: container.byteLength,
    },
  });
  return new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}

/** Inflates what `compressColumnarRecording` produced; damaged brotli or more than MAX_RECORDING_BYTES throws RECORDING_CORRUPT naming `key`. */
export function decompressColumnarRecording(bytes: Uint8Array, key: string): Uint8Array {
  let container: Buffer;
  try {
    container = brotliDecompressSync(bytes, { maxOutputLength: MAX_RECORDING_BYTES });
  } catch (error) {
    throw recordingCorrupt(key, `not a complete brotli stream (${error instanceof Error ? error.message : String(error)})`);
  }
  return new Uint8Array(container.buffer, container.byteOffset, container.byteLength);
}

/** The decoder's own failures; rethrown as RECORDING_CORRUPT by decodeColumnarRecording. */
function corrupt(reason: string): AppError {
  return new AppError('RECORDING_CORRUPT', reason);
}

function decodeContainer(bytes: Uint8Array): { events: RecordedEvent[]; prevHash: string } {
  const container = new ByteReader(bytes, 'container');
  const headerLength = container.readUnsigned();
  const headerEnd = container.position + headerLength;
  if (headerEnd > bytes.length) throw corrupt(`the header runs past the end of the ${bytes.length} bytes`);
  const rawHeader: unknown = JSON.parse(utf8Decoder.decode(bytes.subarray(container.position, headerEnd)));
  const version = (rawHeader as { v?: unknown } | null)?.v;
  if (version !== COLUMNAR_RECORDING_VERSION) throw corrupt(`unknown container version ${JSON.stringify(version)}`);
  const parsed = HeaderSchema.safeParse(rawHeader);
  if (!parsed.success) throw corrupt(`the header does not match the col/v1 schema (${parsed.error.issues[0]?.message ?? ''})`);
  const header = parsed.data;
  if (header.firstSeq > 1 && header.prevHash === undefined) throw corrupt(`the header starts at seq ${header.firstSeq} but has no prevHash`);

  const columns = new ColumnSet(bytes, headerEnd, header);
  const dataRoots = header.types.map((type) => new ColumnDecoder(JSON.stringify(type), columns));
  const typeColumn = columns.reader('@type');
  const timeDeltaColumn = columns.reader('@dt');
  const fileColumn = columns.reader('@file');
  const chainStart = header.firstSeq > 1 ? header.prevHash! : genesisHash(header.sessionId);
  let prevHash = chainStart;
  let timestamp = header.t0;
  const events: RecordedEvent[] = new Array<RecordedEvent>(header.count);
  for (let index = 0; index < header.count; index++) {
    const typeId = typeColumn.readUnsigned();
    const type = header.types[typeId];
    if (type === undefined) throw corrupt(`event ${index} has type index ${typeId} of ${header.types.length}`);
    timestamp += timeDeltaColumn.readSigned();
    const fileRef = fileColumn.readUnsigned();
    const fileId = fileRef === 0 ? null : header.fileIds[fileRef - 1];
    if (fileId === undefined) throw corrupt(`event ${index} has file index ${fileRef} of ${header.fileIds.length}`);
    const data = dataRoots[typeId]!.read();
    const seq = header.firstSeq + index;
    prevHash = eventHash({ seq, timestamp, type, fileId, dataJson: JSON.stringify(data), prevHash });
    events[index] = { sessionId: header.sessionId, seq, timestamp, type, fileId, data, hash: prevHash };
  }
  columns.assertFullyRead();
  if (prevHash !== header.headHash) throw corrupt(`the recomputed hash chain ends at ${prevHash}, not the header's headHash ${header.headHash}`);
  return { events, prevHash: chainStart };
}

/** A growable byte buffer with varint writers. */
class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  writeByte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** A non-negative safe integer, 7 bits a byte, low bits first. */
  writeUnsigned(value: number): void {
    this.reserve(MAX_VARINT_BYTES);
    while (value >= 128) {
      this.buffer[this.length++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  /** Zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ..., so small negatives stay short. */
  writeSigned(value: number): void {
    this.writeUnsigned(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Reads one column (or the container) front to back; running past its end throws. */
class ByteReader {
  position = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
  ) {}

  get fullyRead(): boolean {
    return this.position === this.bytes.length;
  }

  readByte(): number {
    if (this.position >= this.bytes.length) throw corrupt(`column ${this.name} ends early`);
    return this.bytes[this.position++]!;
  }

  readUnsigned(): number {
    let value = 0;
    let scale = 1;
    for (let count = 1; ; count++) {
      const byte = this.readByte();
      value += (byte & 127) * scale;
      if ((byte & 128) === 0) return value;
      if (count === MAX_VARINT_BYTES) throw corrupt(`column ${this.name} has a varint longer than ${MAX_VARINT_BYTES} bytes`);
      scale *= 128;
    }
  }

  readSigned(): number {
    const zigzag = this.readUnsigned();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }
}

/** One path's strings (or JSON texts): the concatenated text and a reader of their lengths. */
class TextColumn {
  private readonly text: string;
  private offset = 0;

  constructor(
    bytes: Uint8Array,
    private readonly lengths: ByteReader,
    private readonly name: string,
  ) {
    this.text = utf8Decoder.decode(bytes);
  }

  get fullyRead(): boolean {
    return this.offset === this.text.length && this.lengths.fullyRead;
  }

  next(): string {
    const length = this.lengths.readUnsigned();
    if (this.offset + length > this.text.length) throw corrupt(`column ${this.name} ends early`);
    const value = this.text.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

/** The columns of a container, handed out by name; checks at the end that each was read to its last byte. */
class ColumnSet {
  private readonly bytesByName = new Map<string, Uint8Array>();
  private readonly opened: { fullyRead: boolean; name: string }[] = [];

  constructor(
    container: Uint8Array,
    start: number,
    readonly header: Header,
  ) {
    let offset = start;
    for (const [name, length] of header.columns) {
      if (this.bytesByName.has(name)) throw corrupt(`column ${name} appears twice`);
      if (offset + length > container.length) throw corrupt(`column ${name} runs past the end of the ${container.length} bytes`);
      this.bytesByName.set(name, container.subarray(offset, offset + length));
      offset += length;
    }
    if (offset !== container.length) throw corrupt(`the columns take ${offset} bytes but the container has ${container.length}`);
  }

  reader(name: string): ByteReader {
    const reader = new ByteReader(this.bytesByName.get(name) ?? new Uint8Array(0), name);
    this.opened.push(reader);
    return reader;
  }

  text(path: string, textSuffix: '#s' | '#n', lengthSuffix: '#l' | '#m'): TextColumn {
    const name = path + textSuffix;
    const column = new TextColumn(this.bytesByName.get(name) ?? new Uint8Array(0), new ByteReader(this.bytesByName.get(path + lengthSuffix) ?? new Uint8Array(0), path + lengthSuffix), name);
    this.opened.push({ name, get fullyRead() { return column.fullyRead; } });
    return column;
  }

  keyLists(path: string): string[][] {
    return Object.hasOwn(this.header.keyLists, path) ? this.header.keyLists[path]! : [];
  }

  assertFullyRead(): void {
    const unread = this.opened.find((column) => !column.fullyRead);
    if (unread) throw corrupt(`column ${unread.name} has bytes left over`);
    // Columns opened: every reader names exactly one (text columns cover #s/#n and #l/#m).
    const openedNames = new Set<string>();
    for (const column of this.opened) {
      openedNames.add(column.name);
      if (column.name.endsWith('#s')) openedNames.add(column.name.slice(0, -2) + '#l');
      if (column.name.endsWith('#n')) openedNames.add(column.name.slice(0, -2) + '#m');
    }
    for (const name of this.bytesByName.keys()) {
      if (!openedNames.has(name)) throw corrupt(`column ${name} is never read`);
    }
  }
}

/** Shreds the values at one path into its columns, creating child paths as values need them. */
class ColumnEncoder {
  private readonly kinds = new ByteWriter();
  private integers: ByteWriter | null = null;
  private previousInteger = 0;
  private strings: string[] | null = null;
  private jsonTexts: string[] | null = null;
  private arrayLengths: ByteWriter | null = null;
  private keyListIds: ByteWriter | null = null;
  /** Key list, as JSON text (keys may hold any character), to its index in keyLists[path]. */
  private keyListIndex: Map<string, number> | null = null;
  private members: Map<string, ColumnEncoder> | null = null;
  private elements: ColumnEncoder | null = null;

  constructor(readonly path: string) {}

  write(value: unknown): void {
    if (value === null) return this.kinds.writeByte(KIND_NULL);
    switch (typeof value) {
      case 'boolean':
        return this.kinds.writeByte(value ? KIND_TRUE : KIND_FALSE);
      case 'number':
        if (!Number.isFinite(value)) break;
        if (Number.isInteger(value) && Math.abs(value) <= INT_COLUMN_LIMIT && !Object.is(value, -0)) {
          this.kinds.writeByte(KIND_INT);
          (this.integers ??= new ByteWriter()).writeSigned(value - this.previousInteger);
          this.previousInteger = value;
        } else {
          this.kinds.writeByte(KIND_NUMBER);
          (this.jsonTexts ??= []).push(JSON.stringify(value));
        }
        return;
      case 'string':
        if (LONE_SURROGATE.test(value)) {
          this.kinds.writeByte(KIND_JSON_STRING);
          (this.jsonTexts ??= []).push(JSON.stringify(value));
        } else {
          this.kinds.writeByte(KIND_STRING);
          (this.strings ??= []).push(value);
        }
        return;
      case 'object':
        if (Array.isArray(value)) {
          this.kinds.writeByte(KIND_ARRAY);
          (this.arrayLengths ??= new ByteWriter()).writeUnsigned(value.length);
          const elements = (this.elements ??= new ColumnEncoder(this.path + '[]'));
          for (const element of value) elements.write(element);
          return;
        }
        return this.writeObject(value as Record<string, unknown>);
    }
    throw new AppError('NOT_JSON', `The event data at ${this.path} is not JSON (${typeof value}).`, { path: this.path });
  }

  /** Appends this subtree's non-empty columns and key lists. */
  collect(columns: [string, Uint8Array][], keyLists: Record<string, string[][]>): void {
    const path = this.path;
    columns.push([path + '#k', this.kinds.bytes()]);
    if (this.integers) columns.push([path + '#i', this.integers.bytes()]);
    if (this.arrayLengths) columns.push([path + '#a', this.arrayLengths.bytes()]);
    if (this.keyListIds) columns.push([path + '#o', this.keyListIds.bytes()]);
    for (const [texts, textSuffix, lengthSuffix] of [
      [this.strings, '#s', '#l'],
      [this.jsonTexts, '#n', '#m'],
    ] as const) {
      if (!texts) continue;
      const lengths = new ByteWriter();
      for (const text of texts) lengths.writeUnsigned(text.length);
      columns.push([path + lengthSuffix, lengths.bytes()], [path + textSuffix, utf8Encoder.encode(texts.join(''))]);
    }
    if (this.keyListIndex) keyLists[path] = [...this.keyListIndex.keys()].map((json) => JSON.parse(json) as string[]);
    this.elements?.collect(columns, keyLists);
    if (this.members) for (const member of this.members.values()) member.collect(columns, keyLists);
  }

  private writeObject(value: Record<string, unknown>): void {
    this.kinds.writeByte(KIND_OBJECT);
    const keys = Object.keys(value);
    const signature = JSON.stringify(keys);
    this.keyListIndex ??= new Map();
    let id = this.keyListIndex.get(signature);
    if (id === undefined) {
      id = this.keyListIndex.size;
      this.keyListIndex.set(signature, id);
    }
    (this.keyListIds ??= new ByteWriter()).writeUnsigned(id);
    this.members ??= new Map();
    for (const key of keys) {
      let member = this.members.get(key);
      if (!member) {
        member = new ColumnEncoder(this.path + '.' + JSON.stringify(key));
        this.members.set(key, member);
      }
      member.write(value[key]);
    }
  }
}

/** Rebuilds the values at one path from its columns, in the order they were written. */
class ColumnDecoder {
  private readonly kinds: ByteReader;
  private integers: ByteReader | null = null;
  private previousInteger = 0;
  private strings: TextColumn | null = null;
  private jsonTexts: TextColumn | null = null;
  private arrayLengths: ByteReader | null = null;
  private keyListIds: ByteReader | null = null;
  private readonly members = new Map<string, ColumnDecoder>();
  private elements: ColumnDecoder | null = null;

  constructor(
    readonly path: string,
    private readonly columns: ColumnSet,
  ) {
    this.kinds = columns.reader(path + '#k');
  }

  read(): unknown {
    const kind = this.kinds.readByte();
    switch (kind) {
      case KIND_NULL:
        return null;
      case KIND_FALSE:
        return false;
      case KIND_TRUE:
        return true;
      case KIND_INT:
        this.previousInteger += (this.integers ??= this.columns.reader(this.path + '#i')).readSigned();
        return this.previousInteger;
      case KIND_STRING:
        return (this.strings ??= this.columns.text(this.path, '#s', '#l')).next();
      case KIND_NUMBER:
      case KIND_JSON_STRING: {
        const value: unknown = JSON.parse((this.jsonTexts ??= this.columns.text(this.path, '#n', '#m')).next());
        if (typeof value !== (kind === KIND_NUMBER ? 'number' : 'string')) throw corrupt(`column ${this.path}#n holds a ${typeof value} where kind ${kind} needs otherwise`);
        return value;
      }
      case KIND_ARRAY: {
        const length = (this.arrayLengths ??= this.columns.reader(this.path + '#a')).readUnsigned();
        const elements = (this.elements ??= new ColumnDecoder(this.path + '[]', this.columns));
        // Each element reads at least one kind byte, so a corrupt length fails there rather than allocating.
        const array: unknown[] = [];
        for (let index = 0; index < length; index++) array.push(elements.read());
        return array;
      }
      case KIND_OBJECT:
        return this.readObject();
    }
    throw corrupt(`column ${this.path}#k holds unknown kind ${kind}`);
  }

  private readObject(): Record<string, unknown> {
    const id = (this.keyListIds ??= this.columns.reader(this.path + '#o')).readUnsigned();
    const keys = this.columns.keyLists(this.path)[id];
    if (!keys) throw corrupt(`column ${this.path}#o refers to key list ${id}, which the header does not have`);
    const object: Record<string, unknown> = {};
    for (const key of keys) {
      let member = this.members.get(key);
      if (!member) {
        member = new ColumnDecoder(this.path + '.' + JSON.stringify(key), this.columns);
        this.members.set(key, member);
      }
      const value = member.read();
      // Assigning "__proto__" would set the prototype instead of adding a member.
      if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      else object[key] = value;
    }
    return object;
  }
}
