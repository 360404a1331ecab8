import { isEqualWith } from 'es-toolkit';
import type { JsonValue } from '../../../shared/execution/testCases';

/*
 * One comparator for every backend and language: the harness only reports what the code
 * returned (encoded JSON, see harnessProtocol.ts), and the verdict is reached here, so a case
 * passes or fails the same wherever it ran.
 */

/** A value JSON cannot carry, decoded from its "$ilm" marker; never equal to any expected value. */
class NonJsonValue {
  constructor(readonly display: string) {}
}

const MARKER = '$ilm';

/** Turns a harness's encoded value into plain values, with NonJsonValue where JSON had no word for it. */
function decode(encoded: unknown): unknown {
  if (Array.isArray(encoded)) return encoded.map(decode);
  if (encoded === null || typeof encoded !== 'object') return encoded;
  const record = encoded as Record<string, unknown>;
  if (typeof record[MARKER] === 'string') {
    switch (record[MARKER]) {
      case 'object':
        // A real object that happened to have a "$ilm" key, escaped by the harness.
        return Object.fromEntries(Object.entries((record.value ?? {}) as Record<string, unknown>).map(([key, value]) => [key, decode(value)]));
      case 'undefined':
        return new NonJsonValue('undefined');
      case 'nan':
        return new NonJsonValue('NaN');
      case 'infinity':
        return new NonJsonValue('Infinity');
      case '-infinity':
        return new NonJsonValue('-Infinity');
      case 'bigint':
        return new NonJsonValue(`${String(record.value)}n`);
      case 'cyclic':
        return new NonJsonValue('[Circular]');
      case 'function':
        return new NonJsonValue('[Function]');
      default:
        return new NonJsonValue(typeof record.repr === 'string' ? record.repr : `[${record[MARKER]}]`);
    }
  }
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, decode(value)]));
}

/** Numbers within this relative (or, near zero, absolute) distance are equal, unless both are integers. */
export const FLOAT_TOLERANCE = 1e-6;

function numbersEqual(expected: number, actual: number): boolean {
  if (expected === actual) return true;
  if (Number.isInteger(expected) && Number.isInteger(actual)) return false;
  return Math.abs(expected - actual) <= FLOAT_TOLERANCE * Math.max(1, Math.abs(expected), Math.abs(actual));
}

/**
 * Whether the code's (encoded) return value equals the expected JSON value, with JSON's
 * semantics: objects compare by their keys whatever their order, arrays element by element,
 * numbers with FLOAT_TOLERANCE unless both are integers. A value JSON cannot express
 * (undefined, NaN, a BigInt, a cycle...) never equals anything.
 */
export function returnValueMatches(expected: JsonValue, encodedActual: unknown): boolean {
  return isEqualWith(expected, decode(encodedActual), (left, right) => {
    if (left instanceof NonJsonValue || right instanceof NonJsonValue) return false;
    if (typeof left === 'number' && typeof right === 'number') return numbersEqual(left, right);
    // Arrays and objects are never equal to each other, even both empty.
    if (Array.isArray(left) !== Array.isArray(right)) return false;
    return undefined;
  });
}

/** A value as a person reads it in the results panel: JSON, with non-JSON values spelled as the language would. */
export function displayValue(encoded: unknown, maxLength = 2_000): string {
  const text = render(decode(encoded));
  return text.length > maxLength ? `${text.slice(0, maxLength)}… (${text.length} characters)` : text;
}

function render(value: unknown): string {
  if (value instanceof NonJsonValue) return value.display;
  if (Array.isArray(value)) return `[${value.map(render).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, member]) => `${JSON.stringify(key)}:${render(member)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

/**
 * Whether a program's output is the expected output: line endings normalised, trailing
 * whitespace of each line and trailing blank lines ignored (as most judges do).
 */
export function stdoutMatches(expected: string, actual: string): boolean {
  return normalizeOutput(expected) === normalizeOutput(actual);
}

function normalizeOutput(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}
