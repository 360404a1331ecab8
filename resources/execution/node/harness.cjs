'use strict';
/*
 * The JavaScript/TypeScript harness: runs a candidate's code inside the sandbox and reports
 * per-case outcomes in the shape of electron/services/execution/harnessProtocol.ts.
 *
 *   harness.cjs --pooled         started ahead of time in its run directory: writes {"type":"ready"}
 *                                on fd 3, reads ONE request line on stdin, streams {"type":"case"}
 *                                lines and then one {"type":"response"} line on fd 3, and exits.
 *   harness.cjs --once <marker>  reads one request from stdin to EOF, runs it, and prints
 *                                "\n<marker><response JSON>\n" on stdout (the Modal backend).
 *
 * The protocol has fd 3 to itself, so nothing the candidate's code writes can be mistaken for
 * it; every case line is written synchronously, so a run killed mid-way (an endless loop, a
 * crash) has already reported the cases it finished.
 *
 * The code is compiled with vm.compileFunction (the same function wrapper Node's CommonJS
 * loader uses), so line and column numbers are the candidate's own with no wrapper offset.
 * TypeScript (and JavaScript with import/export) arrives transpiled by esbuild with an inline
 * source map, through which compile errors and stack frames are mapped back.
 *
 * Each process runs one request: the isolation between runs is the process, not vm.
 */

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const util = require('node:util');
const { Readable } = require('node:stream');
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

// Taken before any candidate code runs, which may replace the globals.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;
const realExit = process.exit.bind(process);
const jsonStringify = JSON.stringify;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

const PROTOCOL_FD = 3;
const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];
const SOURCE_MAP_PREFIX = '//# sourceMappingURL=data:application/json;base64,';
const STDIN_PATHS = new Set([`/dev/stdin`, `/proc/self/fd/0`, `/dev/fd/0`]);
const STDOUT_PATHS = new Set([`/dev/stdout`, `/proc/self/fd/1`, `/dev/fd/1`]);
const STDERR_PATHS = new Set([`/dev/stderr`, `/proc/self/fd/2`, `/dev/fd/2`]);
const RESERVED = new Set(
  'await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield arguments eval'.split(' '),
);

/* ------------------------------------------------------------------ blocking pipe I/O */

function sleepMs(ms) {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Writes all of `text` to `fd`, waiting out EAGAIN (the fd may be non-blocking). */
function writeAllSync(fd, text) {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      sleepMs(1);
    }
  }
}

/** Reads `fd` up to the first newline (or EOF when `toEnd`), waiting out EAGAIN. */
function readSync(fd, toEnd) {
  const chunks = [];
  const buffer = Buffer.alloc(1024 * 1024);
  for (;;) {
    let count;
    try {
      count = fs.readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if (error.code === 'EAGAIN') {
        sleepMs(1);
        continue;
      }
      if (error.code === 'EOF') break;
      throw error;
    }
    if (count === 0) break;
    const newline = toEnd ? -1 : buffer.subarray(0, count).indexOf(10);
    if (newline >= 0) {
      chunks.push(Buffer.from(buffer.subarray(0, newline)));
      break;
    }
    chunks.push(Buffer.from(buffer.subarray(0, count)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/* ------------------------------------------------------------------ output capture */

/**
 * The candidate's stdout and stderr, kept per case. The run keeps at most `limitBytes` in all;
 * beyond it output is dropped (the run goes on) and `truncated` is set.
 */
class OutputCapture {
  constructor(limitBytes) {
    this.left = limitBytes;
    this.truncated = false;
    this.stdout = [];
    this.stderr = [];
  }

  keep(streamName, chunk, encoding) {
    if (this.truncated) return;
    let text;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk instanceof Uint8Array) text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
    else text = String(chunk);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.left) {
      // Cut on a character boundary: drop the replacement char a split sequence decodes to.
      text = Buffer.from(text).subarray(0, this.left).toString('utf8').replace(/\uFFFD$/, '');
      this.left = 0;
      this.truncated = true;
    } else {
      this.left -= bytes;
    }
    this[streamName].push(text);
  }

  /** The output since the last call. */
  take() {
    const taken = { stdout: this.stdout.join(''), stderr: this.stderr.join('') };
    this.stdout = [];
    this.stderr = [];
    return taken;
  }
}

function captureStream(stream, capture, streamName) {
  stream.write = function write(chunk, encoding, callback) {
    capture.keep(streamName, chunk, encoding);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}

/* ------------------------------------------------------------------ the candidate's stdin */

/** The current case's stdin, served to process.stdin, fs.readFileSync(0) and /dev/stdin. */
class StdinSource {
  constructor() {
    this.set('');
  }

  set(text) {
    this.bytes = Buffer.from(text, 'utf8');
    this.offset = 0;
    const stream = new Readable({ read() {} });
    stream.push(this.bytes);
    stream.push(null);
    stream.fd = 0;
    stream.isTTY = false;
    stream.setRawMode = () => stream;
    this.stream = stream;
  }

  /** Whether the code is still waiting on process.stdin: it listens, and has not seen the end. */
  awaited() {
    const stream = this.stream;
    if (stream.readableEnded || stream.destroyed) return false;
    return stream.readableFlowing === true || stream.listenerCount('data') + stream.listenerCount('readable') + stream.listenerCount('end') > 0;
  }
}

function isStdin(target) {
  return target === 0 || (typeof target === 'string' && STDIN_PATHS.has(target));
}

function outputStreamOf(target) {
  if (target === 1 || (typeof target === 'string' && STDOUT_PATHS.has(target))) return 'stdout';
  if (target === 2 || (typeof target === 'string' && STDERR_PATHS.has(target))) return 'stderr';
  return null;
}

/** The `fs` module the candidate sees: the real one, with the standard streams served by the harness. */
function candidateFs(stdin, capture) {
  const wrapped = Object.create(fs);
  wrapped.readFileSync = function readFileSync(target, options) {
    if (!isStdin(target)) return fs.readFileSync(target, options);
    const rest = Buffer.from(stdin.bytes.subarray(stdin.offset));
    stdin.offset = stdin.bytes.length;
    const encoding = typeof options === 'string' ? options : options && options.encoding;
    return encoding ? rest.toString(encoding) : rest;
  };
  wrapped.readSync = function readSync(fd, buffer, offsetOrOptions, length, position) {
    if (fd !== 0) return fs.readSync(fd, buffer, offsetOrOptions, length, position);
    let offset = typeof offsetOrOptions === 'number' ? offsetOrOptions : (offsetOrOptions && offsetOrOptions.offset) || 0;
    let wanted = typeof offsetOrOptions === 'number' ? length : offsetOrOptions && offsetOrOptions.length;
    if (typeof wanted !== 'number') wanted = buffer.byteLength - offset;
    const count = Math.min(wanted, stdin.bytes.length - stdin.offset);
    stdin.bytes.copy(buffer, offset, stdin.offset, stdin.offset + count);
    stdin.offset += count;
    return count;
  };
  // The protocol's fd is the harness's own: writing to it or closing it would forge or lose the answer.
  const refuseProtocolFd = (fd) => {
    if (fd === PROTOCOL_FD) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
  };
  wrapped.closeSync = function closeSync(fd) {
    refuseProtocolFd(fd);
    return fs.closeSync(fd);
  };
  wrapped.writeSync = function writeSync(fd, data, ...rest) {
    refuseProtocolFd(fd);
    const streamName = outputStreamOf(fd);
    if (!streamName) return fs.writeSync(fd, data, ...rest);
    capture.keep(streamName, data, typeof rest[0] === 'string' ? rest[0] : undefined);
    return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  };
  wrapped.writeFileSync = function writeFileSync(target, data, options) {
    const streamName = outputStreamOf(target);
    if (!streamName) return fs.writeFileSync(target, data, options);
    capture.keep(streamName, data);
  };
  wrapped.createReadStream = function createReadStream(target, options) {
    const fd = options && typeof options === 'object' ? options.fd : undefined;
    return isStdin(target) || fd === 0 ? stdin.stream : fs.createReadStream(target, options);
  };
  return wrapped;
}

/* ------------------------------------------------------------------ compiling */

/** The inline source map esbuild appended, as a position mapper; null for plain JavaScript. */
function sourceMapOf(code) {
  const at = code.lastIndexOf(SOURCE_MAP_PREFIX);
  if (at < 0) return null;
  try {
    const payload = JSON.parse(Buffer.from(code.slice(at + SOURCE_MAP_PREFIX.length).trim(), 'base64').toString('utf8'));
    return new Module.SourceMap(payload);
  } catch {
    return null;
  }
}

/** Maps a 1-based position in the compiled code to the candidate's source. */
function positionMapper(sourceMap) {
  return (line, column) => {
    if (!sourceMap) return { line, column };
    const entry = sourceMap.findEntry(line - 1, Math.max(0, column - 1));
    if (!entry || typeof entry.originalLine !== 'number') return { line, column };
    return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  };
}

/**
 * The names the code declares at its top level (`function f`, `const f =`, `let`, `var`):
 * a small tokenizer that skips strings, templates, comments and regular expressions and
 * tracks bracket depth. Which of them hold functions is asked of the code itself afterwards.
 */
function topLevelNames(code) {
  const names = [];
  const tokens = []; // significant tokens at depth 0: identifiers and single punctuators
  const templateDepths = [];
  let depth = 0;
  let previous = null; // previous significant token at any depth, for regex-or-division
  let i = 0;
  const length = code.length;
  const isIdentStart = (c) => /[A-Za-z_$\u0080-\uFFFF]/.test(c);
  const isIdentPart = (c) => /[\w$\u0080-\uFFFF]/.test(c);
  const regexMayFollow = () =>
    previous === null ||
    (previous.type === 'punct' && !')]}'.includes(previous.value)) ||
    (previous.type === 'id' && /^(return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/.test(previous.value));
  const push = (token) => {
    previous = token;
    if (depth === 0) tokens.push(token);
  };
  const skipTemplateText = () => {
    // i is just past a backtick or a template's closing brace
    while (i < length) {
      const c = code[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        push({ type: 'str' });
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        templateDepths.push(depth);
        depth++;
        i += 2;
        previous = { type: 'punct', value: '{' };
        return;
      } else i++;
    }
  };
  while (i < length) {
    const c = code[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (c === '/' && code[i + 1] === '/') {
      while (i < length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? length : end + 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < length && code[i] !== c && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
      i++;
      push({ type: 'str' });
    } else if (c === '`') {
      i++;
      skipTemplateText();
    } else if (c === '/' && regexMayFollow()) {
      i++;
      let inClass = false;
      while (i < length && code[i] !== '\n') {
        const r = code[i];
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < length && isIdentPart(code[i])) i++;
      push({ type: 'regex' });
    } else if (isIdentStart(c)) {
      let end = i + 1;
      while (end < length && isIdentPart(code[end])) end++;
      push({ type: 'id', value: code.slice(i, end) });
      i = end;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(code[i + 1] || ''))) {
      i++;
      while (i < length && /[\w.]/.test(code[i])) i++;
      push({ type: 'num' });
    } else if (c === '{' || c === '(' || c === '[') {
      push({ type: 'punct', value: c });
      depth++;
      i++;
    } else if (c === '}' && templateDepths.length > 0 && templateDepths[templateDepths.length - 1] === depth - 1) {
      templateDepths.pop();
      depth--;
      i++;
      skipTemplateText();
    } else if (c === '}' || c === ')' || c === ']') {
      depth = Math.max(0, depth - 1);
      i++;
      push({ type: 'punct', value: c });
    } else {
      push({ type: 'punct', value: c });
      i++;
    }
  }
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    if (token.type !== 'id') continue;
    let name = null;
    if (token.value === 'function') {
      const next = tokens[t + 1] && tokens[t + 1].value === '*' ? tokens[t + 2] : tokens[t + 1];
      if (next && next.type === 'id') name = next.value;
    } else if (token.value === 'const' || token.value === 'let' || token.value === 'var') {
      const next = tokens[t + 1];
      if (next && next.type === 'id' && tokens[t + 2] && tokens[t + 2].value === '=') name = next.value;
    }
    if (name && !RESERVED.has(name) && !names.includes(name)) names.push(name);
  }
  return names;
}

/** A `return {...}` appended to the code, so the wrapper hands back its top-level functions. */
function trailerFor(names) {
  const entries = names.map((name) => `${jsonStringify(name)}: typeof ${name} === "function" ? ${name} : undefined`);
  return `\n;return {${entries.join(', ')}};\n`;
}

/** Line and column of a SyntaxError, from the source arrow V8 puts at the top of its stack. */
function syntaxErrorLocation(error, filename) {
  const stack = String(error && error.stack);
  const match = new RegExp(`^${filename.replace('.', '\\.')}:(\\d+)\\n([^\\n]*)\\n([ \\t]*)(\\^+)?`).exec(stack);
  if (!match) return { line: null, column: null };
  return { line: Number(match[1]), column: match[4] ? match[3].length + 1 : null };
}

/**
 * Compiles the candidate's code as the body of a CommonJS function wrapper. Returns the
 * function, or a compileError in the candidate's coordinates.
 */
function compile(request, filename, mapPosition, withTrailer) {
  const lineCount = request.code.split('\n').length;
  const compileBody = (body) => vm.compileFunction(body, WRAPPER_PARAMS, { filename });
  let plain;
  try {
    plain = compileBody(request.code);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    let { line, column } = syntaxErrorLocation(error, filename);
    if (line !== null) {
      const mapped = mapPosition(line, column ?? 1);
      line = Math.min(mapped.line, lineCount);
      column = column === null ? null : mapped.column;
    }
    return { compileError: { message: `SyntaxError: ${error.message}`, line, column } };
  }
  if (!withTrailer) return { fn: plain };
  const hasMap = request.code.includes(SOURCE_MAP_PREFIX);
  // esbuild's own helpers (__export, __toCommonJS, ...) are not the candidate's functions.
  const names = topLevelNames(request.code).filter((name) => !(hasMap && name.startsWith('__')));
  if (request.entry && /^[A-Za-z_$][\w$]*$/.test(request.entry) && !RESERVED.has(request.entry) && !names.includes(request.entry)) names.push(request.entry);
  try {
    return { fn: compileBody(request.code + trailerFor(names)) };
  } catch {
    // A name the tokenizer got wrong must not cost the run: look in module.exports only.
    return { fn: compileBody(request.code + trailerFor([])) };
  }
}

/* ------------------------------------------------------------------ values and errors */

function safeInspect(value) {
  try {
    const text = util.inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 50, maxStringLength: 200 });
    return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The returned value as encoded JSON (see harnessProtocol.ts for the "$ilm" markers). */
function encodeValue(value) {
  const ancestors = new Set();
  const encode = (v) => {
    switch (typeof v) {
      case 'undefined':
        return { $ilm: 'undefined' };
      case 'number':
        if (Number.isNaN(v)) return { $ilm: 'nan' };
        if (v === Infinity) return { $ilm: 'infinity' };
        if (v === -Infinity) return { $ilm: '-infinity' };
        return v === 0 ? 0 : v; // -0 is 0
      case 'bigint':
        return { $ilm: 'bigint', value: v.toString() };
      case 'string':
      case 'boolean':
        return v;
      case 'function':
        return { $ilm: 'function' };
      case 'symbol':
        return { $ilm: 'unserializable', repr: v.toString() };
    }
    if (v === null) return null;
    if (ancestors.has(v)) return { $ilm: 'cyclic' };
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const out = new Array(v.length);
        for (let index = 0; index < v.length; index++) out[index] = index in v ? encode(v[index]) : { $ilm: 'undefined' };
        return out;
      }
      if (util.types.isTypedArray(v)) return Array.from(v, encode);
      if (util.types.isBoxedPrimitive(v)) return encode(v.valueOf());
      if (util.types.isNativeError(v)) return { $ilm: 'unserializable', repr: `${v.name}: ${v.message}` }; // not its stack
      if (
        util.types.isMap(v) ||
        util.types.isSet(v) ||
        util.types.isWeakMap(v) ||
        util.types.isWeakSet(v) ||
        util.types.isPromise(v) ||
        util.types.isRegExp(v) ||
        util.types.isAnyArrayBuffer(v) ||
        util.types.isDataView(v) ||
        util.types.isProxy(v)
      ) {
        return { $ilm: 'unserializable', repr: safeInspect(v) };
      }
      if (typeof v.toJSON === 'function') return encode(v.toJSON()); // Date, as JSON.stringify does
      const keys = Object.keys(v);
      const out = {};
      for (const key of keys) out[key] = encode(v[key]);
      return keys.includes('$ilm') ? { $ilm: 'object', value: out } : out;
    } finally {
      ancestors.delete(v);
    }
  };
  try {
    return encode(value);
  } catch {
    // Too deep for the stack, a throwing getter or toJSON: describe it instead.
    return { $ilm: 'unserializable', repr: safeInspect(value) };
  }
}

/** Thrown by the candidate's process.exit(), so the harness (not the process) ends the case. */
class ExitSignal {
  constructor(code) {
    this.code = code;
  }
}

function accessDeniedHint(error) {
  switch (error.permission) {
    case 'FileSystemRead':
      return ` (reading ${error.resource || 'that file'} is not allowed: the sandbox only gives access to its own working directory)`;
    case 'FileSystemWrite':
      return ` (writing ${error.resource || 'that file'} is not allowed: the sandbox only gives access to its own working directory)`;
    case 'ChildProcess':
      return ' (starting other processes is not allowed in the sandbox)';
    case 'WorkerThreads':
      return ' (worker threads are not allowed in the sandbox)';
    default:
      return ' (not allowed in the sandbox)';
  }
}

/** The candidate's own frames of a stack, at the candidate's line numbers. */
function candidateFrames(stack, filename, mapPosition) {
  const frame = new RegExp(`^\\s*at (?:(.*) \\()?${filename.replace('.', '\\.')}:(\\d+):(\\d+)\\)?$`);
  const frames = [];
  for (const line of String(stack).split('\n')) {
    const match = frame.exec(line);
    if (!match) continue;
    const { line: row, column } = mapPosition(Number(match[2]), Number(match[3]));
    frames.push(match[1] ? `    at ${match[1]} (${filename}:${row}:${column})` : `    at ${filename}:${row}:${column}`);
  }
  return frames;
}

/** An exception as the protocol reports it: "TypeError: ..." and the candidate's stack. */
function describeError(error, filename, mapPosition, mode) {
  if (error instanceof ExitSignal) {
    return { message: mode === 'stdio' ? `The program exited with code ${error.code}` : `The code called process.exit(${error.code})`, stack: null };
  }
  const isErrorLike = error !== null && typeof error === 'object' && typeof error.message === 'string' && 'stack' in error;
  if (!isErrorLike) return { message: `Uncaught ${safeInspect(error)}`, stack: null };
  try {
    const name = typeof error.name === 'string' && error.name ? error.name : 'Error';
    let message = error.message ? `${name}: ${error.message}` : name;
    if (error.code === 'ERR_ACCESS_DENIED') message += accessDeniedHint(error);
    // Node appends the require stack, which names the harness's paths and helps nobody here.
    if (error.code === 'MODULE_NOT_FOUND') message = `${message.split('\n')[0]} (only Node's built-in modules and files in the working directory can be required)`;
    const frames = candidateFrames(error.stack, filename, mapPosition);
    return { message, stack: frames.length > 0 ? `${message}\n${frames.join('\n')}` : null };
  } catch {
    return { message: `Uncaught ${safeInspect(error)}`, stack: null };
  }
}

/* ------------------------------------------------------------------ running */

/** Timers the candidate starts, so a program case waits for them and the next case starts clean. */
class TimerTracker {
  constructor() {
    this.pending = new Set();
  }

  install() {
    const tracker = this;
    const wrap = (start, clear, repeats) => {
      const started = function (callback, ...rest) {
        if (typeof callback !== 'function') return start(callback, ...rest);
        let handle;
        const run = function (...args) {
          if (!repeats) tracker.pending.delete(handle);
          return callback.apply(this, args);
        };
        handle = start(run, ...rest);
        tracker.pending.add(handle);
        return handle;
      };
      const cleared = function (handle) {
        tracker.pending.delete(handle);
        return clear(handle);
      };
      return [started, cleared];
    };
    [globalThis.setTimeout, globalThis.clearTimeout] = wrap(realSetTimeout, realClearTimeout, false);
    [globalThis.setInterval, globalThis.clearInterval] = wrap(globalThis.setInterval, globalThis.clearInterval, true);
    [globalThis.setImmediate, globalThis.clearImmediate] = wrap(realSetImmediate, globalThis.clearImmediate, false);
  }

  clearAll() {
    for (const handle of this.pending) {
      if (handle && typeof handle.unref === 'function' && handle.constructor && handle.constructor.name === 'Immediate') globalThis.clearImmediate(handle);
      else realClearTimeout(handle); // clearTimeout clears intervals too
    }
    this.pending.clear();
  }
}

const nextTurn = () => new Promise((resolve) => realSetImmediate(resolve));

/** Resolves with `promise`'s outcome, or with {timedOut} at `deadline` (performance.now() ms). */
function withDeadline(promise, deadline) {
  return new Promise((resolve) => {
    const timer = realSetTimeout(() => resolve({ timedOut: true }), Math.max(0, deadline - performance.now()));
    promise.then(
      (value) => {
        realClearTimeout(timer);
        resolve({ value });
      },
      (error) => {
        realClearTimeout(timer);
        resolve({ error });
      },
    );
  });
}

function timeoutTermination(limits) {
  return { reason: 'timeout', message: `Stopped after ${limits.wallMs} ms: the time limit was reached` };
}

/**
 * Points the process's globals at the run: stdout/stderr into `capture`, process.stdin at the
 * current case's input, process.exit into an exception, timers tracked. Fine to do for good:
 * the process runs one request.
 */
function installRunGlobals(capture, stdin) {
  captureStream(process.stdout, capture, 'stdout');
  captureStream(process.stderr, capture, 'stderr');
  Object.defineProperty(process, 'stdin', { configurable: true, enumerable: true, get: () => stdin.stream });
  process.exit = (code) => {
    throw new ExitSignal(code ?? process.exitCode ?? 0);
  };
  const timers = new TimerTracker();
  timers.install();
  return timers;
}

/**
 * Runs one request in this process. `onCase(index, outcome, outputTruncated)` is called as
 * each case finishes; `runDir` is the candidate's working directory.
 */
async function runRequest(request, onCase) {
  const filename = request.language === 'typescript' ? 'solution.ts' : 'solution.js';
  const mapPosition = positionMapper(sourceMapOf(request.code));
  const response = { compileError: null, entryError: null, cases: [], termination: null, outputTruncated: false };
  const capture = new OutputCapture(request.limits.outputBytes);
  const stdin = new StdinSource();
  const timers = installRunGlobals(capture, stdin);

  const compiled = compile(request, filename, mapPosition, request.mode === 'function');
  if (compiled.compileError) {
    response.compileError = compiled.compileError;
    return response;
  }
  const fsForCandidate = candidateFs(stdin, capture);
  const baseRequire = Module.createRequire(path.join(request.runDir, filename));
  const candidateRequire = Object.assign((id) => (id === 'fs' || id === 'node:fs' ? fsForCandidate : baseRequire(id)), {
    resolve: baseRequire.resolve,
    cache: baseRequire.cache,
    main: undefined,
  });

  const run = {
    request,
    response,
    capture,
    stdin,
    timers,
    deadline: performance.now() + request.limits.wallMs,
    describe: (error) => describeError(error, filename, mapPosition, request.mode),
    /** Runs the code's top level with a fresh module object; returns its top-level functions too. */
    invoke() {
      const module = { exports: {}, id: '.', filename: path.join(request.runDir, filename), loaded: false };
      const declared = compiled.fn.call(module.exports, module.exports, candidateRequire, module, module.filename, request.runDir);
      module.loaded = true;
      return { module, declared: declared || {} };
    },
    finish(outcome) {
      response.cases.push(outcome);
      onCase(response.cases.length - 1, outcome, capture.truncated);
    },
    /** Ends the running case with an error thrown outside its own call; null between cases. */
    failCurrentCase: null,
  };
  // A timer, a stream handler or a promise nobody awaited can throw too: that ends the case
  // that is running, not the harness.
  const onUncaught = (error) => {
    if (run.failCurrentCase) run.failCurrentCase(error);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  if (request.mode === 'function') await runFunctionMode(run);
  else await runStdioMode(run);
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  response.outputTruncated = capture.truncated;
  return response;
}

/** The function to call: exported first, then declared at the top level. */
function resolveEntry(entry, exportsValue, declared) {
  const exported = exportsValue !== null && (typeof exportsValue === 'object' || typeof exportsValue === 'function') ? exportsValue : null;
  const isCallable = (value) => typeof value === 'function' && !/^class\b/.test(Function.prototype.toString.call(value));
  if (entry) {
    if (exported && typeof exported !== 'function' && isCallable(exported[entry])) return { fn: exported[entry], owner: exported };
    if (isCallable(exported) && exported.name === entry) return { fn: exported, owner: undefined };
    if (isCallable(declared[entry])) return { fn: declared[entry], owner: undefined };
    return { error: `No function named ${entry} is defined` };
  }
  const found = Object.keys(declared).filter((name) => isCallable(declared[name]));
  if (found.length === 1) return { fn: declared[found[0]], owner: undefined };
  if (found.length === 0) {
    if (isCallable(exported)) return { fn: exported, owner: undefined };
    const exportedNames = exported ? Object.keys(exported).filter((name) => isCallable(exported[name])) : [];
    if (exportedNames.length === 1) return { fn: exported[exportedNames[0]], owner: exported };
    if (exportedNames.length > 1) return { error: `Expected exactly one function to call, found ${exportedNames.length} exported: ${exportedNames.join(', ')}; name the entry function` };
    return { error: 'Expected exactly one top-level function to call, found none' };
  }
  return { error: `Expected exactly one top-level function to call, found ${found.length}: ${found.join(', ')}; name the entry function` };
}

/** Function mode: the top level runs once, then the entry is called per case with a copy of its arguments. */
async function runFunctionMode(run) {
  const { request, response, capture } = run;
  let loaded;
  try {
    loaded = run.invoke();
  } catch (error) {
    // The code failed before any function could be called: every case reports why.
    const loadError = run.describe(error);
    for (let index = 0; index < request.cases.length; index++) run.finish({ ...capture.take(), error: loadError, durationMs: 0 });
    return;
  }
  const entry = resolveEntry(request.entry, loaded.module.exports, loaded.declared);
  if (entry.error) {
    response.entryError = entry.error;
    return;
  }
  for (const testCase of request.cases) {
    if (performance.now() >= run.deadline) {
      response.termination = timeoutTermination(request.limits);
      return;
    }
    const began = performance.now();
    let outcome;
    try {
      let value = Reflect.apply(entry.fn, entry.owner, structuredClone(testCase.args));
      if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function') {
        const failed = new Promise((_, reject) => (run.failCurrentCase = reject));
        const settled = await withDeadline(Promise.race([Promise.resolve(value), failed]), run.deadline);
        run.failCurrentCase = null;
        if (settled.timedOut) {
          response.termination = timeoutTermination(request.limits);
          return;
        }
        if ('error' in settled) throw settled.error;
        value = settled.value;
      }
      outcome = { value: encodeValue(value), ...capture.take(), error: null, durationMs: performance.now() - began };
    } catch (error) {
      outcome = { ...capture.take(), error: run.describe(error), durationMs: performance.now() - began };
    }
    run.finish(outcome);
  }
}

/**
 * Stdio mode: each case runs the whole program afresh on its own stdin. A program has ended
 * when it threw or exited, or when nothing it started is pending: no timers, no unread stdin.
 */
async function runStdioMode(run) {
  const { request, response, capture, stdin, timers } = run;
  for (const testCase of request.cases) {
    if (performance.now() >= run.deadline) {
      response.termination = timeoutTermination(request.limits);
      return;
    }
    stdin.set(testCase.stdin);
    process.exitCode = undefined;
    const began = performance.now();
    let error = null;
    let ended = false;
    const caseEnded = new Promise((resolve) => {
      run.failCurrentCase = (thrown) => {
        if (ended) return;
        ended = true;
        error = thrown instanceof ExitSignal && Number(thrown.code) === 0 ? null : run.describe(thrown);
        resolve();
      };
    });
    try {
      run.invoke();
    } catch (thrown) {
      run.failCurrentCase(thrown);
    }
    let quietTurns = 0;
    while (!ended && quietTurns < 2 && performance.now() < run.deadline) {
      const settled = await withDeadline(Promise.race([nextTurn(), caseEnded]), run.deadline);
      if (settled.timedOut) break;
      quietTurns = timers.pending.size > 0 || stdin.awaited() ? 0 : quietTurns + 1;
    }
    const finished = ended || quietTurns >= 2;
    ended = true;
    run.failCurrentCase = null;
    timers.clearAll(); // what the program left running must not print into the next case
    if (!finished) {
      response.termination = timeoutTermination(request.limits);
      return;
    }
    const exitCode = process.exitCode;
    if (!error && exitCode !== undefined && Number(exitCode) !== 0) error = { message: `The program exited with code ${exitCode}`, stack: null };
    run.finish({ ...capture.take(), error, durationMs: performance.now() - began });
  }
}

/* ------------------------------------------------------------------ entry points */

function crashedResponse(error) {
  return {
    compileError: null,
    entryError: null,
    cases: [],
    termination: { reason: 'crashed', message: `The harness failed: ${error && error.message ? error.message : String(error)}` },
    outputTruncated: false,
  };
}

/**
 * Does now, while the child waits, the first-use work a run would otherwise pay for: the
 * stdout/stderr pipe streams alone take ~8 ms to set up, and V8 compiles functions lazily.
 */
function warmUp() {
  void process.stdout;
  void process.stderr;
  new StdinSource().awaited();
  compile({ code: 'const a = 1; function b() { return a }', entry: null }, 'solution.js', positionMapper(null), true);
  Module.createRequire(path.join(process.cwd(), 'solution.js'));
  encodeValue(structuredClone([{ a: 1, b: [undefined, NaN, 1n] }]));
  describeError(new Error('warm-up'), 'solution.js', positionMapper(null));
  safeInspect(new Map());
}

async function pooled() {
  const send = (message) => writeAllSync(PROTOCOL_FD, `${jsonStringify(message)}\n`);
  warmUp();
  send({ type: 'ready' });
  const line = readSync(0, false);
  if (!line) realExit(0); // the runtime let this warm child go unused
  let response;
  try {
    const request = JSON.parse(line);
    // The child was started in its run directory (the permission model refuses chdir).
    response = await runRequest({ ...request, runDir: process.cwd() }, (index, outcome, outputTruncated) => send({ type: 'case', index, outcome, outputTruncated }));
  } catch (error) {
    response = crashedResponse(error);
  }
  send({ type: 'response', response });
  realExit(0);
}

async function once(marker) {
  const realWrite = process.stdout.write.bind(process.stdout);
  let response;
  try {
    const request = JSON.parse(readSync(0, true));
    fs.mkdirSync(request.runDir, { recursive: true });
    process.chdir(request.runDir);
    response = await runRequest(request, () => {});
  } catch (error) {
    response = crashedResponse(error);
  }
  realWrite(`\n${marker}${jsonStringify(response)}\n`, () => realExit(0));
}

const [flag, marker] = process.argv.slice(2);
if (flag === '--pooled') pooled();
else if (flag === '--once' && marker) once(marker);
else {
  process.stderr.write('usage: harness.cjs --pooled | --once <marker>\n');
  realExit(2);
}
