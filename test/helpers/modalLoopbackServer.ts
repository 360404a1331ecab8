import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/*
 * A loopback stand-in for Modal's cloud, which cannot run here: a gRPC server on 127.0.0.1
 * speaking the wire protocol of the `modal` 0.11 JavaScript SDK, so tests drive the real SDK
 * end to end. It serves both of the SDK's services on one port: the control plane
 * (modal.client.ModalClient: auth, apps, images, sandboxes) and the task command router
 * (modal.task_command_router.TaskCommandRouter: exec and its stdio).
 *
 * The messages are declared here with only the fields the SDK's flow uses, numbered as in
 * the SDK's generated encoders (the package ships no .proto files); protobuf skips the rest.
 * "Sandboxes" are records, and each exec really runs its argv on this machine in a temp
 * folder, so the harness scripts run for real. Every call is logged for assertions.
 */

type FieldSpec = readonly [id: number, type: string, rule?: 'repeated'];

const MESSAGES: Record<string, Record<string, FieldSpec>> = {
  Empty: {},
  GenericResult: { status: [1, 'int32'], exception: [2, 'string'], exitcode: [3, 'int32'] },
  SandboxTag: { tagName: [1, 'string'], tagValue: [2, 'string'] },
  AuthTokenGetResponse: { token: [1, 'string'] },
  AppGetOrCreateRequest: { appName: [1, 'string'], environmentName: [2, 'string'], objectCreationType: [3, 'int32'] },
  AppGetOrCreateResponse: { appId: [1, 'string'] },
  ImageDefinition: { dockerfileCommands: [6, 'string', 'repeated'] },
  ImageGetOrCreateRequest: { image: [2, 'ImageDefinition'], appId: [4, 'string'], builderVersion: [9, 'string'] },
  ImageGetOrCreateResponse: { imageId: [1, 'string'], result: [2, 'GenericResult'] },
  Resources: { memoryMb: [2, 'uint32'], milliCpu: [3, 'uint32'], memoryMbMax: [5, 'uint32'] },
  NetworkAccess: { networkAccessType: [1, 'int32'], allowedCidrs: [2, 'string', 'repeated'], allowedDomains: [3, 'string', 'repeated'] },
  SandboxDefinition: {
    imageId: [3, 'string'],
    resources: [5, 'Resources'],
    timeoutSecs: [7, 'uint32'],
    workdir: [8, 'string'],
    blockNetwork: [11, 'bool'],
    networkAccess: [22, 'NetworkAccess'],
    idleTimeoutSecs: [33, 'uint32'],
  },
  SandboxCreateV2Request: { appId: [1, 'string'], definition: [2, 'SandboxDefinition'], tags: [4, 'SandboxTag', 'repeated'] },
  CommandRouterAccess: { jwt: [1, 'string'], url: [2, 'string'] },
  SandboxCreateV2Response: { sandboxId: [1, 'string'], taskId: [3, 'string'], commandRouterAccess: [5, 'CommandRouterAccess'] },
  SandboxIdRequest: { sandboxId: [1, 'string'] },
  SandboxGetTaskIdRequest: { sandboxId: [1, 'string'], timeout: [2, 'float'], waitUntilReady: [3, 'bool'] },
  SandboxGetTaskIdResponse: { taskId: [1, 'string'], taskResult: [2, 'GenericResult'] },
  SandboxGetCommandRouterAccessResponse: { jwt: [1, 'string'], url: [2, 'string'] },
  SandboxTerminateResponse: { existingResult: [1, 'GenericResult'] },
  SandboxWaitRequest: { sandboxId: [1, 'string'], timeout: [2, 'float'] },
  SandboxWaitResponse: { result: [1, 'GenericResult'] },
  SandboxListRequest: { appId: [1, 'string'], beforeTimestamp: [2, 'double'], environmentName: [3, 'string'], includeFinished: [4, 'bool'], tags: [5, 'SandboxTag', 'repeated'] },
  SandboxInfo: { id: [1, 'string'], createdAt: [3, 'double'], appId: [5, 'string'], tags: [6, 'SandboxTag', 'repeated'] },
  SandboxListResponse: { sandboxes: [1, 'SandboxInfo', 'repeated'] },
  SandboxTagsGetResponse: { tags: [1, 'SandboxTag', 'repeated'] },
  TaskExecStartRequest: {
    taskId: [1, 'string'],
    execId: [2, 'string'],
    commandArgs: [3, 'string', 'repeated'],
    stdoutConfig: [4, 'int32'],
    stderrConfig: [5, 'int32'],
    timeoutSecs: [6, 'uint32'],
    workdir: [7, 'string'],
  },
  TaskExecStdinWriteRequest: { taskId: [1, 'string'], execId: [2, 'string'], offset: [3, 'uint64'], data: [4, 'bytes'], eof: [5, 'bool'] },
  TaskExecStdioReadRequest: { taskId: [1, 'string'], execId: [2, 'string'], offset: [3, 'uint64'], fileDescriptor: [4, 'int32'] },
  TaskExecStdioReadResponse: { data: [1, 'bytes'] },
  TaskExecWaitRequest: { taskId: [1, 'string'], execId: [2, 'string'] },
  // code and signal are proto3 `optional`: exactly one is sent.
  TaskExecWaitResponse: { code: [1, 'int32'], signal: [2, 'int32'] },
};

const root = protobuf.Root.fromJSON({
  nested: Object.fromEntries(
    Object.entries(MESSAGES).map(([name, fields]) => [
      name,
      { fields: Object.fromEntries(Object.entries(fields).map(([field, [id, type, rule]]) => [field, { id, type, ...(rule ? { rule } : {}) }])) },
    ]),
  ),
});

// Decoded protobuf messages: plain objects whose shape the SDK's flow defines.
type Message = Record<string, any>;

function method(service: string, name: string, requestType: string, responseType: string, responseStream = false): grpc.MethodDefinition<Message, Message> {
  const request = root.lookupType(requestType);
  const response = root.lookupType(responseType);
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: (message) => Buffer.from(request.encode(request.fromObject(message)).finish()),
    requestDeserialize: (bytes) => request.toObject(request.decode(bytes), { longs: Number, defaults: true, arrays: true }),
    responseSerialize: (message) => Buffer.from(response.encode(response.fromObject(message)).finish()),
    responseDeserialize: (bytes) => response.toObject(response.decode(bytes), { longs: Number, defaults: true, arrays: true }),
  };
}

const CONTROL = 'modal.client.ModalClient';
const ROUTER = 'modal.task_command_router.TaskCommandRouter';

const CONTROL_METHODS = {
  AuthTokenGet: method(CONTROL, 'AuthTokenGet', 'Empty', 'AuthTokenGetResponse'),
  AppGetOrCreate: method(CONTROL, 'AppGetOrCreate', 'AppGetOrCreateRequest', 'AppGetOrCreateResponse'),
  ImageGetOrCreate: method(CONTROL, 'ImageGetOrCreate', 'ImageGetOrCreateRequest', 'ImageGetOrCreateResponse'),
  SandboxCreateV2: method(CONTROL, 'SandboxCreateV2', 'SandboxCreateV2Request', 'SandboxCreateV2Response'),
  SandboxGetTaskIdV2: method(CONTROL, 'SandboxGetTaskIdV2', 'SandboxGetTaskIdRequest', 'SandboxGetTaskIdResponse'),
  SandboxGetCommandRouterAccess: method(CONTROL, 'SandboxGetCommandRouterAccess', 'SandboxIdRequest', 'SandboxGetCommandRouterAccessResponse'),
  SandboxTerminateV2: method(CONTROL, 'SandboxTerminateV2', 'SandboxIdRequest', 'SandboxTerminateResponse'),
  SandboxWaitV2: method(CONTROL, 'SandboxWaitV2', 'SandboxWaitRequest', 'SandboxWaitResponse'),
  SandboxListV2: method(CONTROL, 'SandboxListV2', 'SandboxListRequest', 'SandboxListResponse'),
  SandboxTagsGetV2: method(CONTROL, 'SandboxTagsGetV2', 'SandboxIdRequest', 'SandboxTagsGetResponse'),
};

const ROUTER_METHODS = {
  TaskExecStart: method(ROUTER, 'TaskExecStart', 'TaskExecStartRequest', 'Empty'),
  TaskExecStdinWrite: method(ROUTER, 'TaskExecStdinWrite', 'TaskExecStdinWriteRequest', 'Empty'),
  TaskExecStdioRead: method(ROUTER, 'TaskExecStdioRead', 'TaskExecStdioReadRequest', 'TaskExecStdioReadResponse', true),
  TaskExecWait: method(ROUTER, 'TaskExecWait', 'TaskExecWaitRequest', 'TaskExecWaitResponse'),
};

/** GenericResult statuses the SDK distinguishes. */
const STATUS_SUCCESS = 1;
const STATUS_TERMINATED = 3;
const STATUS_TIMEOUT = 4;

/** One RPC as the server received it. */
export interface LoopbackCall {
  method: string;
  request: Message;
  metadata: Record<string, string>;
}

/** A sandbox as the server keeps it. */
export interface LoopbackSandbox {
  id: string;
  taskId: string;
  appId: string;
  /** The SandboxCreateV2 definition, decoded (networkAccess, timeoutSecs, resources...). */
  definition: Message;
  tags: Record<string, string>;
  /** Seconds since the epoch, as Modal reports it. */
  createdAt: number;
  /** Why it ended, as a GenericResult status, or null while it runs. */
  endedWith: number | null;
}

/** The failures the server can be told to answer every call with. */
export type LoopbackFailure = 'UNAVAILABLE' | 'UNAUTHENTICATED' | 'INTERNAL';

/** A running loopback Modal. */
export interface ModalLoopbackServer {
  /** For MODAL_SERVER_URL. The SDK dials 127.0.0.1 in plaintext, for the router too. */
  readonly url: string;
  readonly port: number;
  /** The only token the server accepts; any other gets UNAUTHENTICATED, as Modal answers a bad token. */
  readonly tokenId: string;
  readonly tokenSecret: string;
  readonly calls: LoopbackCall[];
  readonly sandboxes: Map<string, LoopbackSandbox>;
  /** The calls to one method, in order. */
  callsTo(method: string): LoopbackCall[];
  /** Every call fails with `failure` until called again with null. */
  failWith(failure: LoopbackFailure | null): void;
  /** Ends a sandbox as Modal does when its lifetime or idle timeout passes. */
  expire(sandboxId: string): void;
  /** Kills running commands, stops the server and removes its temp folders. */
  close(): Promise<void>;
}

interface ExecRecord {
  child: ChildProcess;
  sandbox: LoopbackSandbox;
  /** stdout (0) and stderr (1) as received so far, and whether each has ended. */
  output: [Buffer, Buffer];
  outputEnded: [boolean, boolean];
  stdinWritten: number;
  exit: { code: number } | { signal: number } | null;
  /** Called whenever output arrives or the command ends. */
  listeners: Set<() => void>;
}

/** A JWT whose `exp` the SDK can read (without one it logs a warning on every token). */
function fakeJwt(subject: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: subject, exp: Math.floor(Date.now() / 1000) + 3600 })}.loopback`;
}

function metadataOf(metadata: grpc.Metadata): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata.getMap()).map(([key, value]) => [key, String(value)]));
}

const grpcError = (code: grpc.status, details: string): Partial<grpc.ServiceError> => ({ code, details, message: details });

/** The environment the SDK under test needs: set before `import('modal')`, since it reads its config file at import. */
export function modalLoopbackEnvironment(server: ModalLoopbackServer, scratchDir: string): Record<string, string> {
  return {
    MODAL_SERVER_URL: server.url,
    // A file that does not exist: no ~/.modal.toml of this machine leaks into the tests.
    MODAL_CONFIG_PATH: join(scratchDir, 'no-such-modal.toml'),
    // Set, so the SDK skips EnvironmentGetOrCreate, which the server does not implement.
    MODAL_IMAGE_BUILDER_VERSION: '2024.10',
    MODAL_SANDBOX_V2: '1',
    MODAL_TOKEN_ID: server.tokenId,
    MODAL_TOKEN_SECRET: server.tokenSecret,
  };
}

/** Starts a loopback Modal on a free port of 127.0.0.1. */
export async function startModalLoopbackServer(options: { tokenId?: string; tokenSecret?: string } = {}): Promise<ModalLoopbackServer> {
  const tokenId = options.tokenId ?? 'ak-loopback';
  const tokenSecret = options.tokenSecret ?? 'as-loopback';
  const scratch = mkdtempSync(join(tmpdir(), 'interviewlm-modal-loopback-'));
  const calls: LoopbackCall[] = [];
  const sandboxes = new Map<string, LoopbackSandbox>();
  const execs = new Map<string, ExecRecord>();
  const images = new Map<string, string>();
  let failure: LoopbackFailure | null = null;
  let sequence = 0;
  let port = 0;
  const routerJwt = fakeJwt('router');

  const sandboxById = (id: string) => {
    const sandbox = sandboxes.get(id);
    if (!sandbox) throw grpcError(grpc.status.NOT_FOUND, `Sandbox ${id} not found`);
    return sandbox;
  };
  const sandboxByTask = (taskId: string) => {
    for (const sandbox of sandboxes.values()) if (sandbox.taskId === taskId) return sandbox;
    throw grpcError(grpc.status.NOT_FOUND, `Task ${taskId} not found`);
  };
  const execOf = (execId: string) => {
    const exec = execs.get(execId);
    if (!exec) throw grpcError(grpc.status.NOT_FOUND, `Exec ${execId} not found`);
    return exec;
  };
  const end = (sandbox: LoopbackSandbox, status: number) => {
    if (sandbox.endedWith !== null) return;
    sandbox.endedWith = status;
    for (const exec of execs.values()) if (exec.sandbox === sandbox && exec.exit === null) exec.child.kill('SIGKILL');
  };

  /** Logs the call and applies the failure mode and, on the control plane, the token check. */
  const admit = (name: string, call: grpc.ServerUnaryCall<Message, Message> | grpc.ServerWritableStream<Message, Message>, plane: 'control' | 'router') => {
    const metadata = metadataOf(call.metadata);
    calls.push({ method: name, request: call.request, metadata });
    if (failure) throw grpcError(grpc.status[failure], `loopback told to answer ${failure}`);
    if (plane === 'control' && (metadata['x-modal-token-id'] !== tokenId || metadata['x-modal-token-secret'] !== tokenSecret)) {
      throw grpcError(grpc.status.UNAUTHENTICATED, 'Token ID or secret is invalid');
    }
    if (plane === 'router' && metadata.authorization !== `Bearer ${routerJwt}`) throw grpcError(grpc.status.UNAUTHENTICATED, 'bad router token');
  };

  const unary =
    (name: string, plane: 'control' | 'router', handle: (request: Message, respond: (response: Message) => void) => Message | void): grpc.handleUnaryCall<Message, Message> =>
    (call, callback) => {
      try {
        admit(name, call, plane);
        const respond = (response: Message) => callback(null, response);
        const response = handle(call.request, respond);
        if (response) respond(response);
      } catch (error) {
        callback(error as grpc.ServiceError);
      }
    };

  const startExec = (request: Message) => {
    const sandbox = sandboxByTask(request.taskId);
    if (sandbox.endedWith !== null) throw grpcError(grpc.status.FAILED_PRECONDITION, `Sandbox ${sandbox.id} has finished`);
    const [command, ...args] = request.commandArgs as string[];
    if (!command) throw grpcError(grpc.status.INVALID_ARGUMENT, 'empty command');
    const cwd = mkdtempSync(join(scratch, 'exec-'));
    // The container has none of this process's Modal settings.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MODAL_')));
    const child = spawn(command, args, { cwd, env, stdio: 'pipe' });
    const exec: ExecRecord = { child, sandbox, output: [Buffer.alloc(0), Buffer.alloc(0)], outputEnded: [false, false], stdinWritten: 0, exit: null, listeners: new Set() };
    const notify = () => [...exec.listeners].forEach((listener) => listener());
    [child.stdout, child.stderr].forEach((stream, fd) => {
      stream.on('data', (chunk: Buffer) => {
        exec.output[fd] = Buffer.concat([exec.output[fd]!, chunk]);
        notify();
      });
      stream.on('close', () => {
        exec.outputEnded[fd] = true;
        notify();
      });
    });
    // The command may exit before reading all its input; that is not the server's failure.
    child.stdin.on('error', () => undefined);
    const timer = request.timeoutSecs > 0 ? setTimeout(() => child.kill('SIGKILL'), request.timeoutSecs * 1000) : null;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timer) clearTimeout(timer);
      exec.exit = code !== null ? { code } : { signal: constants.signals[signal ?? 'SIGKILL'] };
      rmSync(cwd, { recursive: true, force: true });
      notify();
    };
    child.on('close', finish);
    child.on('error', (error) => {
      exec.output[1] = Buffer.concat([exec.output[1], Buffer.from(`${error.message}\n`)]);
      exec.outputEnded = [true, true];
      finish(127, null);
    });
    execs.set(request.execId, exec);
  };

  const server = new grpc.Server();
  server.addService(CONTROL_METHODS, {
    AuthTokenGet: unary('AuthTokenGet', 'control', () => ({ token: fakeJwt('control') })),
    AppGetOrCreate: unary('AppGetOrCreate', 'control', (request) => ({ appId: `ap-${request.appName}` })),
    ImageGetOrCreate: unary('ImageGetOrCreate', 'control', (request) => {
      const key = (request.image?.dockerfileCommands ?? []).join('\n');
      if (!images.has(key)) images.set(key, `im-loopback-${images.size + 1}`);
      return { imageId: images.get(key), result: { status: STATUS_SUCCESS } };
    }),
    SandboxCreateV2: unary('SandboxCreateV2', 'control', (request) => {
      sequence += 1;
      const sandbox: LoopbackSandbox = {
        // Not the 22-character V1 shape, so the SDK treats it as V2.
        id: `sb-loopback-${sequence}`,
        taskId: `ta-loopback-${sequence}`,
        appId: request.appId,
        definition: request.definition ?? {},
        tags: Object.fromEntries((request.tags as Message[]).map((tag) => [tag.tagName, tag.tagValue])),
        // Distinct even within a millisecond: the SDK pages the listing by it.
        createdAt: Date.now() / 1000 + sequence * 1e-6,
        endedWith: null,
      };
      sandboxes.set(sandbox.id, sandbox);
      const lifetime = Number(sandbox.definition.timeoutSecs) || 300;
      setTimeout(() => end(sandbox, STATUS_TIMEOUT), lifetime * 1000).unref();
      return { sandboxId: sandbox.id, taskId: sandbox.taskId, commandRouterAccess: { jwt: routerJwt, url: `https://127.0.0.1:${port}` } };
    }),
    SandboxGetTaskIdV2: unary('SandboxGetTaskIdV2', 'control', (request) => {
      const sandbox = sandboxById(request.sandboxId);
      return sandbox.endedWith === null ? { taskId: sandbox.taskId } : { taskResult: { status: sandbox.endedWith } };
    }),
    SandboxGetCommandRouterAccess: unary('SandboxGetCommandRouterAccess', 'control', (request) => {
      sandboxById(request.sandboxId);
      return { jwt: routerJwt, url: `https://127.0.0.1:${port}` };
    }),
    SandboxTerminateV2: unary('SandboxTerminateV2', 'control', (request) => {
      const sandbox = sandboxById(request.sandboxId);
      const existing = sandbox.endedWith;
      end(sandbox, STATUS_TERMINATED);
      return existing === null ? {} : { existingResult: { status: existing } };
    }),
    SandboxWaitV2: unary('SandboxWaitV2', 'control', (request) => {
      const sandbox = sandboxById(request.sandboxId);
      return sandbox.endedWith === null ? {} : { result: { status: sandbox.endedWith } };
    }),
    SandboxListV2: unary('SandboxListV2', 'control', (request) => {
      const wanted = request.tags as Message[];
      const listed = [...sandboxes.values()]
        .filter((sandbox) => (request.includeFinished || sandbox.endedWith === null) && (!request.appId || sandbox.appId === request.appId))
        .filter((sandbox) => !request.beforeTimestamp || sandbox.createdAt < request.beforeTimestamp)
        .filter((sandbox) => wanted.every((tag) => sandbox.tags[tag.tagName] === tag.tagValue))
        .sort((a, b) => b.createdAt - a.createdAt);
      return { sandboxes: listed.map((sandbox) => ({ id: sandbox.id, createdAt: sandbox.createdAt, appId: sandbox.appId })) };
    }),
    SandboxTagsGetV2: unary('SandboxTagsGetV2', 'control', (request) => {
      const sandbox = sandboxById(request.sandboxId);
      return { tags: Object.entries(sandbox.tags).map(([tagName, tagValue]) => ({ tagName, tagValue })) };
    }),
  });
  server.addService(ROUTER_METHODS, {
    TaskExecStart: unary('TaskExecStart', 'router', (request) => {
      startExec(request);
      return {};
    }),
    TaskExecStdinWrite: unary('TaskExecStdinWrite', 'router', (request) => {
      const exec = execOf(request.execId);
      const data = Buffer.from(request.data as Uint8Array);
      // Offsets make retried writes idempotent: skip what already arrived.
      const fresh = data.subarray(Math.max(0, exec.stdinWritten - request.offset));
      if (request.offset <= exec.stdinWritten && fresh.length > 0 && exec.child.stdin?.writable) {
        exec.child.stdin.write(fresh);
        exec.stdinWritten += fresh.length;
      }
      if (request.eof) exec.child.stdin?.end();
      return {};
    }),
    TaskExecStdioRead: (call: grpc.ServerWritableStream<Message, Message>) => {
      try {
        admit('TaskExecStdioRead', call, 'router');
        const exec = execOf(call.request.execId);
        const fd = call.request.fileDescriptor === 1 ? 1 : 0;
        let sent = Number(call.request.offset);
        const pump = () => {
          const buffered = exec.output[fd];
          if (buffered.length > sent) {
            call.write({ data: buffered.subarray(sent) });
            sent = buffered.length;
          }
          if (!exec.outputEnded[fd]) return;
          exec.listeners.delete(pump);
          call.end();
        };
        exec.listeners.add(pump);
        call.on('cancelled', () => exec.listeners.delete(pump));
        pump();
      } catch (error) {
        call.emit('error', error);
      }
    },
    TaskExecWait: unary('TaskExecWait', 'router', (request, respond) => {
      const exec = execOf(request.execId);
      const answer = () => {
        if (!exec.exit) return;
        exec.listeners.delete(answer);
        respond(exec.exit);
      };
      exec.listeners.add(answer);
      answer();
    }),
  });

  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tokenId,
    tokenSecret,
    calls,
    sandboxes,
    callsTo: (name) => calls.filter((call) => call.method === name),
    failWith: (next) => {
      failure = next;
    },
    expire: (sandboxId) => end(sandboxById(sandboxId), STATUS_TIMEOUT),
    close: async () => {
      for (const exec of execs.values()) if (exec.exit === null) exec.child.kill('SIGKILL');
      server.forceShutdown();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
