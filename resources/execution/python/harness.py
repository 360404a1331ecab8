"""InterviewLM's Python harness: runs a candidate's code against test-case inputs.

It speaks the protocol of electron/services/execution/harnessProtocol.ts:

  harness.py --zygote        warm: reads request lines on stdin, runs each in a fresh fork,
                             answers each with one response line on stdout
  harness.py --once MARKER   reads one request from stdin to EOF, runs it in this process and
                             prints "\\n" MARKER <response JSON> "\\n" on stdout (the Modal backend)

The harness never sees expected values: it reports what the code returned (encoded JSON, with
"$ilm" markers for what JSON cannot carry), printed and raised; the app compares.

Standard library only, Python 3.8+ (Modal images run 3.12, local machines whatever they have).
"""

import builtins
import io
import json
import linecache
import math
import os
import resource
import selectors
import signal
import sys
import time
import traceback
import types

FILENAME = 'solution.py'
MARKER = '$ilm'
# JavaScript's Number.MAX_SAFE_INTEGER: larger ints travel as bigint markers so both languages agree.
MAX_SAFE_INT = 2 ** 53 - 1
# Expected values are at most 256 KiB of JSON, so a value far larger can never match: keep its start only.
VALUE_CAP = 1 << 20
MAX_DEPTH = 500
FILE_SIZE_LIMIT = 64 << 20
OPEN_FILES_LIMIT = 64
# What the zygote accepts from one run's pipe beyond the output budget, so a forged flood cannot exhaust it.
RESULT_PIPE_SLACK = 64 << 20

_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(',', ':')).encode
_perf = time.perf_counter
_real_exit = os._exit


def _to_json(value):
    return _dumps(value)


# ---------------------------------------------------------------------------------------------
# Encoding return values


class _TooDeep(Exception):
    pass


def _safe_repr(value, limit=1000):
    try:
        text = repr(value)
    except BaseException:
        text = '<%s object>' % type(value).__name__
    return text if len(text) <= limit else text[:limit] + '…'


def _unserializable(value):
    return {MARKER: 'unserializable', 'repr': _safe_repr(value)}


def _int_value(value):
    if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        return int(value)
    try:
        return {MARKER: 'bigint', 'value': str(int(value))}
    except ValueError:
        # Python 3.11+ refuses str() of ints over 4300 digits.
        return {MARKER: 'unserializable', 'repr': '<an integer of about %d digits>' % int(value.bit_length() * 0.30103)}


def _key_text(key):
    """A dict key as JSON has it (json.dumps's own conversions), or None when JSON has none."""
    if isinstance(key, str):
        return str(key)
    if key is True:
        return 'true'
    if key is False:
        return 'false'
    if key is None:
        return 'null'
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float) and math.isfinite(key):
        return repr(float(key))
    return None


_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.LambdaType)


def _encode(value, path, depth):
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return _int_value(value)
    if isinstance(value, float):
        if value != value:
            return {MARKER: 'nan'}
        if value in (math.inf, -math.inf):
            return {MARKER: 'infinity' if value > 0 else '-infinity'}
        return float(value)
    if depth > MAX_DEPTH:
        raise _TooDeep()
    if isinstance(value, (list, tuple, dict)):
        key = id(value)
        # Only the containers on the way down count: the same list twice side by side is not a cycle.
        if key in path:
            return {MARKER: 'cyclic'}
        path.add(key)
        try:
            if not isinstance(value, dict):
                return [_encode(item, path, depth + 1) for item in value]
            encoded = {}
            for item_key, item in value.items():
                name = _key_text(item_key)
                if name is None or name in encoded:
                    return _unserializable(value)
                encoded[name] = _encode(item, path, depth + 1)
            return {MARKER: 'object', 'value': encoded} if MARKER in encoded else encoded
        finally:
            path.discard(key)
    if isinstance(value, _FUNCTION_TYPES):
        return {MARKER: 'function'}
    return _unserializable(value)


def encode_value(value):
    """The value in the protocol's encoded JSON."""
    try:
        encoded = _encode(value, set(), 0)
        text = _to_json(encoded)
    except (_TooDeep, RecursionError):
        return {MARKER: 'unserializable', 'repr': '<a value nested more than %d levels deep>' % MAX_DEPTH}
    except BaseException as exc:  # a repr() that raised, MemoryError...
        return {MARKER: 'unserializable', 'repr': '<a value that could not be encoded: %s>' % type(exc).__name__}
    if len(text) > VALUE_CAP:
        return {MARKER: 'unserializable', 'repr': '%s… (%d characters of JSON: too large to return)' % (text[:1000], len(text))}
    return encoded


# ---------------------------------------------------------------------------------------------
# Errors, as the candidate should read them


class _ExitCalled(BaseException):
    """os._exit() called by the candidate: it ends the case (or program), not the harness."""

    def __init__(self, code):
        BaseException.__init__(self, code)
        self.code = code


def _exception_name(exc_type):
    name = getattr(exc_type, '__qualname__', exc_type.__name__)
    module = getattr(exc_type, '__module__', 'builtins')
    if module not in ('builtins', '__main__', 'solution'):
        name = '%s.%s' % (module, name)
    return name


def _only_candidate_frames(summary, seen):
    if summary is None or id(summary) in seen:
        return
    seen.add(id(summary))
    summary.stack = traceback.StackSummary.from_list([frame for frame in summary.stack if frame.filename == FILENAME])
    _only_candidate_frames(getattr(summary, '__cause__', None), seen)
    _only_candidate_frames(getattr(summary, '__context__', None), seen)
    for nested in getattr(summary, 'exceptions', None) or ():
        _only_candidate_frames(nested, seen)


def describe_exception(exc, memory_mb):
    """{message, stack}: "ZeroDivisionError: division by zero", and a traceback of solution.py frames only."""
    name = _exception_name(type(exc))
    try:
        text = str(exc)
    except BaseException:
        text = '<exception str() failed>'
    if isinstance(exc, MemoryError):
        text = 'the memory limit (%d MiB) was hit' % memory_mb
    message = '%s: %s' % (name, text) if text else name
    stack = None
    try:
        # lookup_lines=False: the harness's own source must not be read (the guard refuses it anyway);
        # solution.py's lines come from linecache, where the run put them.
        summary = traceback.TracebackException(type(exc), exc, exc.__traceback__, lookup_lines=False)
        _only_candidate_frames(summary, set())
        if summary.stack:
            stack = ''.join(summary.format())
            if isinstance(exc, MemoryError):
                stack = stack.rstrip('\n').rsplit('\n', 1)[0] + '\n' + message + '\n'
    except BaseException:
        stack = None
    return {'message': message, 'stack': stack}


def _exit_error(code):
    if code is None or code == 0 or code is False:
        return None
    status = code if isinstance(code, int) else 1
    return {'message': 'The program exited with status %d' % status, 'stack': None}


# ---------------------------------------------------------------------------------------------
# Output capture: one byte budget for the whole run's stdout and stderr


class _Output(object):
    def __init__(self, budget, on_truncated):
        self.left = budget
        self.truncated = False
        self.on_truncated = on_truncated
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.streams = (_captured_stream(self, self.stdout), _captured_stream(self, self.stderr))

    def attach(self):
        """Points sys.stdout and sys.stderr here again: a case that replaced them must not swallow the next one's output."""
        sys.stdout, sys.stderr = self.streams

    def keep(self, target, data):
        size = len(data)
        if size <= self.left:
            target += data
            self.left -= size
        else:
            # Past the budget the code keeps running; what it prints is dropped, and the run flagged.
            if self.left > 0:
                target += data[:self.left]
                self.left = 0
            if not self.truncated:
                self.truncated = True
                self.on_truncated()
        return size

    def take(self):
        for stream in self.streams:
            try:
                stream.flush()
            except BaseException:
                pass
        out = self.stdout.decode('utf-8', 'replace')
        err = self.stderr.decode('utf-8', 'replace')
        del self.stdout[:]
        del self.stderr[:]
        return out, err


class _Sink(io.RawIOBase):
    """The binary side of a captured stream (sys.stdout.buffer)."""

    def __init__(self, output, target):
        io.RawIOBase.__init__(self)
        self._output = output
        self._target = target

    def writable(self):
        return True

    def write(self, data):
        if not isinstance(data, bytes):
            data = bytes(memoryview(data))
        return self._output.keep(self._target, data)


def _captured_stream(output, target):
    return io.TextIOWrapper(_Sink(output, target), encoding='utf-8', errors='backslashreplace', newline='\n', write_through=True)


def _stdin_for(text):
    """The case's input as fd 0 and sys.stdin, so input(), sys.stdin.buffer and open(0) all read it."""
    data = text.encode('utf-8', 'surrogatepass')
    if hasattr(os, 'memfd_create'):
        try:
            fd = os.memfd_create('stdin')
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.lseek(fd, 0, os.SEEK_SET)
            os.dup2(fd, 0)
            os.close(fd)
            return open(0, 'r', encoding='utf-8', closefd=False)
        except OSError:
            pass
    return io.TextIOWrapper(io.BytesIO(data), encoding='utf-8')


# ---------------------------------------------------------------------------------------------
# Limits and the in-process guard


def apply_limits(limits):
    """Kernel limits for this process (and anything it starts). Hard limits too: the code cannot raise them."""
    wall_s = int(math.ceil(limits['wallMs'] / 1000.0))
    wanted = [
        ('RLIMIT_AS', limits['memoryMb'] << 20, limits['memoryMb'] << 20),
        # Only binds a process that is not root: the app drops to nobody for that.
        ('RLIMIT_NPROC', limits['processes'], limits['processes']),
        ('RLIMIT_FSIZE', FILE_SIZE_LIMIT, FILE_SIZE_LIMIT),
        ('RLIMIT_CORE', 0, 0),
        ('RLIMIT_NOFILE', OPEN_FILES_LIMIT, OPEN_FILES_LIMIT),
        # A backstop behind the wall clock: CPU seconds cannot exceed wall seconds (one thread).
        ('RLIMIT_CPU', wall_s + 1, wall_s + 2),
    ]
    for name, soft, hard in wanted:
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            current_soft, current_hard = resource.getrlimit(which)
            if current_hard != resource.RLIM_INFINITY:
                hard = min(hard, current_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass  # not supported here (RLIMIT_AS on macOS): the wall clock and output caps still hold


def _readable_roots():
    """Where the interpreter's own files are: the stdlib and its import path."""
    roots = set()
    for path in [sys.prefix, sys.base_prefix, sys.exec_prefix, getattr(sys, 'base_exec_prefix', sys.exec_prefix)] + list(sys.path):
        if path:
            roots.add(os.path.realpath(path))
    return roots


_INTERPRETER_ROOTS = _readable_roots()
_DEVICES = ('/dev/null', '/dev/zero', '/dev/urandom', '/dev/random')

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_REFUSED_EVENTS = {
    'os.system': 'starting processes',
    'os.exec': 'starting processes',
    'os.posix_spawn': 'starting processes',
    'os.spawn': 'starting processes',
    'os.fork': 'starting processes',
    'os.forkpty': 'starting processes',
    'subprocess.Popen': 'starting processes',
    'pty.spawn': 'starting processes',
    'os.startfile': 'starting processes',
    'os.kill': 'sending signals',
    'os.killpg': 'sending signals',
    'signal.pthread_kill': 'sending signals',
    'resource.setrlimit': 'changing limits',
    'resource.prlimit': 'changing limits',
    'sys.addaudithook': 'adding audit hooks',
}
_REFUSED_PREFIXES = (('socket.', 'network access'), ('ctypes.', 'ctypes'))
_REFUSED_IMPORTS = {'_posixsubprocess': 'starting processes', '_ctypes': 'ctypes'}
# Events naming paths the code writes (every path argument checked), and paths it reads (the first).
_WRITE_EVENTS = {
    'os.remove': 1, 'os.rmdir': 1, 'os.mkdir': 1, 'os.chmod': 1, 'os.chown': 1, 'os.utime': 1,
    'os.truncate': 1, 'os.chflags': 1, 'os.lchflags': 1, 'os.lchmod': 1, 'os.setxattr': 1,
    'os.removexattr': 1, 'os.mkfifo': 1, 'os.mknod': 1, 'os.rename': 2, 'os.link': 2, 'os.symlink': 2,
    'shutil.rmtree': 1, 'shutil.copyfile': 2, 'shutil.copymode': 2, 'shutil.copystat': 2,
    'shutil.copytree': 2, 'shutil.move': 2, 'shutil.chown': 1, 'tempfile.mkstemp': 1, 'tempfile.mkdtemp': 1,
}
_READ_EVENTS = {'os.listdir': 1, 'os.scandir': 1, 'os.getxattr': 1, 'os.listxattr': 1}


def install_guard(run_dir):
    """Refuses, inside this process, files outside run_dir (reads: except the interpreter's own), processes,
    signals and sockets.

    This is an in-process guard (an audit hook) and determined code can get around it; it gives the
    candidate a clear error for honest mistakes. The boundaries that hold are the OS's: the sandbox's
    unprivileged uid, its empty network namespace and the kernel limits.
    """
    run_root = os.path.realpath(run_dir)
    read_roots = tuple(sorted(_INTERPRETER_ROOTS | {run_root}))
    write_roots = (run_root,)
    realpath, fspath, join, getcwd, sep = os.path.realpath, os.fspath, os.path.join, os.getcwd, os.sep
    busy = [False]

    def resolve(path):
        if path is None:
            return getcwd()
        path = fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return realpath(join(getcwd(), path))

    def inside(path, roots):
        if path in _DEVICES:
            return True
        for root in roots:
            if path == root or path.startswith(root if root.endswith(sep) else root + sep):
                return True
        return False

    def check(path, writing):
        if isinstance(path, int):
            return  # an fd the process already holds
        resolved = resolve(path)
        if not inside(resolved, write_roots if writing else read_roots):
            raise PermissionError('%s %s is not allowed: code may only %s files in its own working folder'
                                  % ('writing' if writing else 'reading', resolved, 'write' if writing else 'read'))

    def guard(event, args):
        if busy[0]:
            return
        busy[0] = True
        try:
            if event == 'open':
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (isinstance(flags, int) and bool(flags & _WRITE_FLAGS)) or (isinstance(mode, str) and any(c in mode for c in 'wax+'))
                check(path, writing)
            elif event in _WRITE_EVENTS:
                for path in args[:_WRITE_EVENTS[event]]:
                    check(path, True)
            elif event in _READ_EVENTS:
                check(args[0] if args else None, False)
            elif event in _REFUSED_EVENTS:
                raise PermissionError('%s is not allowed in the sandbox' % _REFUSED_EVENTS[event])
            elif event == 'import' and args and args[0] in _REFUSED_IMPORTS:
                raise PermissionError('%s is not allowed in the sandbox' % _REFUSED_IMPORTS[args[0]])
            else:
                for prefix, what in _REFUSED_PREFIXES:
                    if event.startswith(prefix):
                        raise PermissionError('%s is not allowed in the sandbox' % what)
        finally:
            busy[0] = False

    sys.addaudithook(guard)


# ---------------------------------------------------------------------------------------------
# Running one request: events out through `emit`


def _fresh_module(name):
    module = types.ModuleType(name)
    module.__file__ = FILENAME
    module.__builtins__ = builtins
    # dataclasses, pickle and typing look the module up by name.
    sys.modules[name] = module
    return module


def _compile(code, emit):
    try:
        return compile(code, FILENAME, 'exec', dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        column = exc.offset if isinstance(exc.offset, int) and exc.offset > 0 and line is not None else None
        emit({'k': 'compile', 'error': {'message': '%s: %s' % (type(exc).__name__, exc.msg), 'line': line, 'column': column}})
    except (ValueError, MemoryError, RecursionError) as exc:  # null bytes (before 3.12), code nested too deeply
        emit({'k': 'compile', 'error': {'message': '%s: %s' % (type(exc).__name__, exc), 'line': None, 'column': None}})
    return None


def _function_entry(namespace, entry):
    """(call factory, None) or (None, why no function could be called)."""
    if entry is not None:
        found = namespace.get(entry)
        if callable(found) and not isinstance(found, types.ModuleType):
            return (lambda: found), None
        # LeetCode's shape: the method of a class Solution, on a fresh instance per case.
        solution = namespace.get('Solution')
        if isinstance(solution, type) and callable(getattr(solution, entry, None)):
            return (lambda: getattr(solution(), entry)), None
        return None, 'No function named %s is defined' % entry
    functions, seen = [], set()
    for name, value in namespace.items():
        # Defined by this code (imported functions live in other files); classes are not entry points.
        if isinstance(value, types.FunctionType) and value.__code__.co_filename == FILENAME and not name.startswith('__'):
            if id(value) not in seen:
                seen.add(id(value))
                functions.append((name, value))
    if len(functions) == 1:
        only = functions[0][1]
        return (lambda: only), None
    if functions:
        return None, 'The code defines %d functions (%s): name the one to call' % (len(functions), ', '.join(name for name, _ in functions))
    solution = namespace.get('Solution')
    if isinstance(solution, type):
        methods = [name for name, value in vars(solution).items() if isinstance(value, types.FunctionType) and not name.startswith('_')]
        if len(methods) == 1:
            return (lambda: getattr(solution(), methods[0])), None
    classes = [name for name, value in namespace.items() if isinstance(value, type) and getattr(value, '__module__', None) == namespace.get('__name__')]
    if classes:
        return None, 'No function is defined (only the class %s): define one top-level function, or name the one to call' % ', '.join(classes)
    return None, 'No function is defined: define one top-level function to call'


def _outcome(output, error, started, value=None, has_value=False):
    stdout, stderr = output.take()
    outcome = {'stdout': stdout, 'stderr': stderr, 'error': error, 'durationMs': round(max(0.0, (_perf() - started) * 1000.0), 3)}
    if has_value:
        outcome['value'] = value
    return outcome


def _failure(exc, memory_mb, emit):
    if isinstance(exc, MemoryError):
        emit({'k': 'memory'})
    if isinstance(exc, _ExitCalled):
        return {'message': 'os._exit(%r) was called: the function must return' % (exc.code,), 'stack': None}
    return describe_exception(exc, memory_mb)


def _run_function(request, code, output, emit):
    memory_mb = request['limits']['memoryMb']
    module = _fresh_module('solution')  # not __main__: an `if __name__ == "__main__":` block must not run
    sys.stdin = io.TextIOWrapper(io.BytesIO(b''), encoding='utf-8')
    started = _perf()
    module_error = None
    try:
        exec(code, module.__dict__)
    except BaseException as exc:
        module_error = _failure(exc, memory_mb, emit)
    cases = request['cases']
    if module_error is not None:
        # The module did not load: every case fails with why; what it printed goes with the first.
        for index in range(len(cases)):
            emit({'k': 'case', 'outcome': _outcome(output, module_error, started if index == 0 else _perf())})
        return
    factory, entry_error = _function_entry(module.__dict__, request.get('entry'))
    if entry_error is not None:
        output.take()
        emit({'k': 'entry', 'error': entry_error})
        return
    for case in cases:
        # A fresh copy of the inputs: a case that mutates its arguments cannot change the next one.
        args = json.loads(_to_json(case['args']))
        output.attach()
        started = _perf()
        try:
            value = factory()(*args)
        except BaseException as exc:
            emit({'k': 'case', 'outcome': _outcome(output, _failure(exc, memory_mb, emit), started)})
            continue
        duration_end = _perf()
        encoded = encode_value(value)
        outcome = _outcome(output, None, started, encoded, True)
        outcome['durationMs'] = round(max(0.0, (duration_end - started) * 1000.0), 3)
        emit({'k': 'case', 'outcome': outcome})


def _run_stdio(request, code, output, emit):
    memory_mb = request['limits']['memoryMb']
    for case in request['cases']:
        output.attach()
        sys.stdin = _stdin_for(case.get('stdin', ''))
        sys.argv = [FILENAME]
        module = _fresh_module('__main__')
        started = _perf()
        try:
            exec(code, module.__dict__)
            error = None
        except (SystemExit, _ExitCalled) as exc:
            if isinstance(exc.code, str):
                sys.stderr.write(exc.code + '\n')  # as Python prints sys.exit("message")
            error = _exit_error(exc.code)
        except BaseException as exc:
            error = _failure(exc, memory_mb, emit)
        emit({'k': 'case', 'outcome': _outcome(output, error, started)})


def run_request(request, emit):
    """Compiles and runs the request in this process, emitting compile/entry/case/truncated/memory/done events."""
    code_text = request['code']
    linecache.cache[FILENAME] = (len(code_text), None, code_text.splitlines(True), FILENAME)
    output = _Output(request['limits']['outputBytes'], lambda: emit({'k': 'truncated'}))
    saved = sys.stdin, sys.stdout, sys.stderr
    output.attach()
    try:
        code = _compile(code_text, emit)
        if code is not None:
            if request['mode'] == 'stdio':
                _run_stdio(request, code, output, emit)
            else:
                _run_function(request, code, output, emit)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    emit({'k': 'done'})


def _prepare_process(request):
    """What a run's process does before the candidate's code: its folder, its limits, then the guard."""
    run_dir = request['runDir']
    os.chdir(run_dir)
    os.environ['TMPDIR'] = run_dir
    os.environ['HOME'] = run_dir
    if 'tempfile' in sys.modules:
        sys.modules['tempfile'].tempdir = None
    sys.dont_write_bytecode = True
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def exit_called(code):
        raise _ExitCalled(code)

    os._exit = exit_called  # the candidate's os._exit ends its case, not the run; the harness keeps _real_exit
    apply_limits(request['limits'])
    install_guard(run_dir)


# ---------------------------------------------------------------------------------------------
# Assembling a response from a run's events


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _clean_error(error):
    if error is None:
        return None
    if not isinstance(error, dict) or not isinstance(error.get('message'), str):
        return False
    stack = error.get('stack')
    return {'message': error['message'], 'stack': stack if isinstance(stack, str) else None}


class Assembly(object):
    """A response built from events; anything malformed is dropped (the candidate can write to the pipe too)."""

    def __init__(self, case_count):
        self.case_count = case_count
        self.compile_error = None
        self.entry_error = None
        self.cases = []
        self.truncated = False
        self.memory_hit = False
        self.done = False
        self.fatal = None

    def add(self, event):
        if not isinstance(event, dict) or self.done:
            return
        kind = event.get('k')
        if kind == 'case':
            outcome = event.get('outcome')
            if not isinstance(outcome, dict) or len(self.cases) >= self.case_count:
                return
            error = _clean_error(outcome.get('error'))
            if error is False or not isinstance(outcome.get('stdout'), str) or not isinstance(outcome.get('stderr'), str) or not _is_number(outcome.get('durationMs')):
                return
            clean = {'stdout': outcome['stdout'], 'stderr': outcome['stderr'], 'error': error, 'durationMs': outcome['durationMs']}
            if error is None and 'value' in outcome:
                clean['value'] = outcome['value']
            self.cases.append(clean)
        elif kind == 'compile':
            error = event.get('error')
            if isinstance(error, dict) and isinstance(error.get('message'), str):
                position = [value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None for value in (error.get('line'), error.get('column'))]
                self.compile_error = {'message': error['message'], 'line': position[0], 'column': position[1]}
        elif kind == 'entry' and isinstance(event.get('error'), str):
            self.entry_error = event['error']
        elif kind == 'truncated':
            self.truncated = True
        elif kind == 'memory':
            self.memory_hit = True
        elif kind == 'fatal' and isinstance(event.get('message'), str):
            self.fatal = event['message']
        elif kind == 'done':
            self.done = True

    def response(self, termination):
        return {
            'compileError': self.compile_error,
            'entryError': self.entry_error,
            'cases': self.cases,
            'termination': termination,
            'outputTruncated': self.truncated,
        }


def _seconds(ms):
    seconds = ms / 1000.0
    return ('%d' % seconds) if seconds == int(seconds) else ('%.1f' % seconds)


def timeout_termination(limits):
    return {'reason': 'timeout', 'message': 'The code was stopped after %s s, the time limit for a run.' % _seconds(limits['wallMs'])}


def memory_termination(limits):
    return {'reason': 'memory', 'message': 'The code ran out of memory (the limit is %d MiB).' % limits['memoryMb']}


# ---------------------------------------------------------------------------------------------
# Zygote mode


def _refuse_constant(name):
    raise ValueError('%s is not JSON' % name)  # a forged line with NaN would break the response


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child(request, results_r, results_w):
    """The forked run: never returns to the zygote's loop."""
    status = 70
    try:
        os.setsid()  # its own process group, so the zygote can kill whatever it starts
        os.close(results_r)
        devnull = os.open(os.devnull, os.O_RDWR)
        # The zygote's stdin and stdout are the app's protocol channel: the code must reach neither.
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if results_w != 3:
            os.dup2(results_w, 3)
        try:
            inherited = [int(name) for name in os.listdir('/proc/self/fd')]
        except OSError:
            inherited = range(4, 1024)
        for fd in inherited:
            if fd > 3:
                try:
                    os.close(fd)
                except OSError:
                    pass

        def emit(event):
            _write_all(3, (_to_json(event) + '\n').encode('ascii'))

        try:
            _prepare_process(request)
        except BaseException as exc:
            emit({'k': 'fatal', 'message': 'The sandbox could not prepare the run: %s' % exc})
            raise
        run_request(request, emit)
        status = 0
    finally:
        _real_exit(status)


def _pidfd(pid):
    if hasattr(os, 'pidfd_open'):
        try:
            return os.pidfd_open(pid)
        except OSError:
            pass
    return None


def _kill_group(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return 'signal %d' % number


def _termination(status, rusage, timed_out, flooded, assembly, limits):
    if flooded:
        return {'reason': 'output', 'message': 'The code sent back more data than a run may (%d MiB) and was stopped.' % ((limits['outputBytes'] + RESULT_PIPE_SLACK) >> 20)}
    if timed_out:
        return timeout_termination(limits)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == getattr(signal, 'SIGXCPU', -1):
            return {'reason': 'timeout', 'message': 'The code used more than %s s of CPU time and was stopped.' % _seconds(limits['wallMs'])}
        near_limit = rusage is not None and rusage.ru_maxrss * 1024 >= 0.8 * (limits['memoryMb'] << 20)
        if assembly.memory_hit or near_limit:
            return memory_termination(limits)
        return {'reason': 'crashed', 'message': 'The Python process crashed (%s).' % _signal_name(number)}
    if assembly.done:
        return None
    if assembly.fatal:
        return {'reason': 'crashed', 'message': assembly.fatal}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return {'reason': 'crashed', 'message': 'The Python process ended (exit status %d) before every case had run.' % code}


def _serve(request, reply):
    limits = request['limits']
    results_r, results_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(request, results_r, results_w)
    started = time.monotonic()
    os.close(results_w)
    # The app kills this pid's group itself if the zygote ever stops answering.
    reply({'child': pid})
    deadline = started + limits['wallMs'] / 1000.0
    assembly = Assembly(len(request.get('cases') or ()))
    intake_cap = limits['outputBytes'] + RESULT_PIPE_SLACK
    pending, intake = bytearray(), 0
    status, rusage, timed_out, flooded = None, None, False, False
    pidfd = _pidfd(pid)
    selector = selectors.DefaultSelector()
    selector.register(results_r, selectors.EVENT_READ)
    if pidfd is not None:
        selector.register(pidfd, selectors.EVENT_READ)
    pipe_open = True

    def take_lines():
        while True:
            end = pending.find(b'\n')
            if end < 0:
                return
            line = bytes(pending[:end])
            del pending[:end + 1]
            try:
                assembly.add(json.loads(line, parse_constant=_refuse_constant))
            except ValueError:
                pass

    def read_pipe():
        nonlocal pipe_open, intake
        chunk = os.read(results_r, 1 << 16)
        if not chunk:
            pipe_open = False
            selector.unregister(results_r)
            return
        intake += len(chunk)
        pending.extend(chunk)
        take_lines()

    try:
        while status is None:
            reaped, wait_status, usage = os.wait4(pid, os.WNOHANG)
            if reaped == pid:
                status, rusage = wait_status, usage
                break
            left = deadline - time.monotonic()
            if left <= 0 or intake > intake_cap:
                timed_out, flooded = left <= 0, intake > intake_cap
                _kill_group(pid)
                _, status, rusage = os.wait4(pid, 0)
                break
            # Without a pidfd, a child that closed its end early is noticed by polling.
            wait = left if pidfd is not None or pipe_open else min(left, 0.002)
            for key, _ in selector.select(min(wait, 0.25) if pidfd is None else wait):
                if key.fd == results_r:
                    read_pipe()
        # Whatever the run started in its group goes with it; then read what is left, without
        # waiting on a straggler that escaped the group and still holds the pipe.
        _kill_group(pid)
        if pidfd is not None:
            selector.unregister(pidfd)
        give_up = time.monotonic() + 0.2
        while pipe_open and intake <= intake_cap and time.monotonic() < give_up:
            for key, _ in selector.select(max(0.0, give_up - time.monotonic())):
                if key.fd == results_r:
                    read_pipe()
        if pending:
            pending.extend(b'\n')
            take_lines()
    finally:
        selector.close()
        os.close(results_r)
        if pidfd is not None:
            os.close(pidfd)
    return assembly.response(_termination(status, rusage, timed_out, flooded, assembly, limits))


# Imports a candidate is likely to use, loaded once in the zygote so each fork has them warm.
_PRELOAD = ('array', 'bisect', 'collections', 'copy', 'dataclasses', 'decimal', 'enum', 'fractions', 'functools',
            'heapq', 'itertools', 'operator', 'random', 're', 'statistics', 'string', 'typing')


def zygote_main():
    for name in _PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app stops it (stdin EOF or a kill), not a terminal's ^C
    out, inp = sys.stdout.buffer, sys.stdin.buffer

    def reply(message):
        out.write(_to_json(message).encode('ascii') + b'\n')
        out.flush()

    reply({'ready': True, 'python': '%d.%d.%d' % sys.version_info[:3], 'pid': os.getpid()})
    for line in iter(inp.readline, b''):
        if not line.strip():
            continue
        try:
            response = _serve(json.loads(line), reply)
        except Exception:
            response = {'harnessError': traceback.format_exc()}
        reply(response)


# ---------------------------------------------------------------------------------------------
# Once mode


def once_main(marker):
    real_stdout = os.dup(1)
    request = json.loads(sys.stdin.buffer.read())
    limits = request['limits']
    assembly = Assembly(len(request.get('cases') or ()))

    def finish(termination):
        text = '\n%s%s\n' % (marker, _to_json(assembly.response(termination)))
        _write_all(real_stdout, text.encode('ascii'))
        _real_exit(0)

    def out_of_time(signum, frame):
        finish(timeout_termination(limits))

    os.makedirs(request['runDir'], exist_ok=True)
    signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, limits['wallMs'] / 1000.0)
    try:
        _prepare_process(request)
        run_request(request, assembly.add)
    except MemoryError:
        finish(memory_termination(limits))
    except BaseException as exc:
        finish({'reason': 'crashed', 'message': 'The sandbox could not run the code: %s' % exc})
    signal.setitimer(signal.ITIMER_REAL, 0)
    finish(None if assembly.done else {'reason': 'crashed', 'message': 'The run ended before every case had run.'})


if __name__ == '__main__':
    if sys.argv[1:2] == ['--zygote']:
        zygote_main()
    elif sys.argv[1:2] == ['--once'] and len(sys.argv) == 3:
        once_main(sys.argv[2])
    else:
        sys.stderr.write('usage: harness.py --zygote | --once MARKER\n')
        sys.exit(2)
