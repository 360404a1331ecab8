// Type-only imports: erased at build time, so loading this module does not load the SDK.
import type { App, ContainerProcess, Image, Logger, ModalClient, ModalReadStream, Sandbox } from 'modal';
import { AppError, isAppError } from '../../../../shared/errors';
import type { RemoteExecOptions, RemoteExecResult, RemoteSandbox, RemoteSandboxClient, RemoteSandboxInfo, RemoteSandboxSpec, SandboxImage } from './remoteSandboxClient';

/** The Modal app every sandbox of the desktop app is created in (made on first use). */
export const DEFAULT_MODAL_APP_NAME = 'interviewlm-sandboxes';

/** The registry images the sandboxes run; Debian-based, so `sh`, `timeout`, `base64` and `gzip` are there. */
export const DEFAULT_MODAL_IMAGES: Readonly<Record<SandboxImage, string>> = { python: 'python:3.12-slim', node: 'node:20-slim' };

/** How the SDK client reaches Modal. The server URL comes from MODAL_SERVER_URL, as the SDK reads it. */
export interface ModalSdkSettings {
  tokenId: string;
  tokenSecret: string;
  /** Modal environment; the account's default when unset. */
  environment?: string;
  appName?: string;
  images?: Partial<Record<SandboxImage, string>>;
  /** Where the SDK logs; its own console logger at "warn" when unset. */
  logger?: Logger;
}

/** stderr kept per command: enough for an error message, bounded whatever the command prints. */
const STDERR_KEPT_CHARS = 64 * 1024;

const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/**
 * Modal's fault rather than the request's: the SDK has already retried these, so Modal is
 * away or struggling, and the service is better off running the code locally. INTERNAL and
 * UNKNOWN are here because a retry-exhausted server fault says nothing against the request.
 */
const TRANSIENT_STATUSES = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'CANCELLED', 'INTERNAL', 'UNKNOWN']);
const AUTH_STATUSES = new Set(['UNAUTHENTICATED', 'PERMISSION_DENIED']);

/** The facts of an SDK failure: nice-grpc's ClientError carries a numeric gRPC status; the SDK's own errors a name. */
function describeFailure(error: unknown): { status: string | undefined; name: string | undefined; message: string } {
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; details?: unknown; message?: unknown };
  const status = candidate.name === 'ClientError' && typeof candidate.code === 'number' ? GRPC_STATUS_NAMES[candidate.code] : undefined;
  const name = typeof candidate.name === 'string' ? candidate.name : undefined;
  const message = typeof candidate.details === 'string' && candidate.details !== '' ? candidate.details : error instanceof Error ? error.message : String(error);
  return { status, name, message };
}

/** A command's time limit ran out on the client's side (the SDK turns DEADLINE_EXCEEDED of exec calls into these). */
function isExecDeadline(error: unknown): boolean {
  const { status, message } = describeFailure(error);
  return status === 'DEADLINE_EXCEEDED' || /^Deadline exceeded while/.test(message);
}

/**
 * Maps a failure of the Modal SDK to the typed errors of RemoteSandboxClient. `action` reads
 * after "could not", e.g. "create a sandbox"; `sandboxId` makes NOT_FOUND a SANDBOX_NOT_FOUND.
 */
export function modalErrorFrom(error: unknown, action: string, sandboxId?: string): AppError {
  if (isAppError(error)) return error;
  const { status, name, message } = describeFailure(error);
  const because = status ? `${status}: ${message}` : message;
  const details = (transient: boolean) => ({ transient, ...(status ? { grpcStatus: status } : {}), ...(sandboxId ? { sandboxId } : {}) });
  if ((status === 'NOT_FOUND' || name === 'NotFoundError') && sandboxId !== undefined) {
    return new AppError('SANDBOX_NOT_FOUND', `Modal has no sandbox ${sandboxId} (${because}).`, { sandboxId });
  }
  if (status !== undefined && AUTH_STATUSES.has(status)) {
    return new AppError('EXECUTION_FAILED', `Modal refused the credentials, so could not ${action} (${because}). Check MODAL_TOKEN_ID and MODAL_TOKEN_SECRET.`, details(false));
  }
  if ((status !== undefined && TRANSIENT_STATUSES.has(status)) || name === 'ResourceExhaustedError') {
    return new AppError('EXECUTION_FAILED', `Modal is unreachable or overloaded, so could not ${action} (${because}); it may work later.`, details(true));
  }
  return new AppError('EXECUTION_FAILED', `Modal could not ${action} (${because}).`, details(false));
}

/** The SDK wants whole seconds, in milliseconds. */
const wholeSecondsMs = (ms: number) => Math.max(1000, Math.ceil(ms / 1000) * 1000);

/** Text kept within `limit` characters: the first ones, or the last. */
class BoundedText {
  private chunks: string[] = [];
  private length = 0;

  constructor(
    private readonly limit: number,
    private readonly keep: 'head' | 'tail',
  ) {}

  push(value: string): void {
    if (this.keep === 'head') {
      if (this.length < this.limit) this.chunks.push(value.slice(0, this.limit - this.length));
      this.length = Math.min(this.limit, this.length + value.length);
      return;
    }
    this.chunks.push(value);
    this.length += value.length;
    // Compact now and then rather than on every chunk, so memory stays within twice the limit.
    if (this.length > 2 * this.limit) {
      const kept = this.text();
      this.chunks = [kept];
      this.length = kept.length;
    }
  }

  text(): string {
    const text = this.chunks.join('');
    return this.keep === 'tail' ? text.slice(-this.limit) : text;
  }
}

/** Reads a stream to its end into `sink`; what arrived stays there if the read fails half-way. */
async function collect(stream: ModalReadStream<string>, sink: BoundedText): Promise<void> {
  const reader = stream.getReader();
  // Read to the end even past the limit: the command must not stall on a full pipe.
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) sink.push(chunk.value);
}

/** A Modal sandbox behind the RemoteSandbox interface. */
class ModalRemoteSandbox implements RemoteSandbox {
  readonly id: string;

  constructor(private readonly sandbox: Sandbox) {
    this.id = sandbox.sandboxId;
  }

  async exec(argv: string[], options: RemoteExecOptions): Promise<RemoteExecResult> {
    let command: ContainerProcess<string>;
    try {
      command = await this.sandbox.exec(argv, { mode: 'text', stdout: 'pipe', stderr: 'pipe', timeoutMs: wholeSecondsMs(options.timeoutMs) });
    } catch (error) {
      throw await this.failureOf(error, 'start a command');
    }
    const stdout = new BoundedText(options.maxStdoutChars, 'tail');
    const stderr = new BoundedText(STDERR_KEPT_CHARS, 'head');
    const writeStdin = async () => {
      await command.stdin.writeText(options.stdin);
      await command.stdin.close();
    };
    // All at once: the command may write output before it has read all its input.
    const [written, out, err, exit] = await Promise.allSettled([
      writeStdin(),
      collect(command.stdout, stdout),
      collect(command.stderr, stderr),
      command.wait(),
    ]);
    const failures = [written, out, err, exit].flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    if (failures.length > 0) {
      if (failures.every(isExecDeadline)) return { stdout: stdout.text(), stderr: stderr.text(), exitCode: 124 };
      throw await this.failureOf(failures.find((failure) => !isExecDeadline(failure)), 'run a command');
    }
    return { stdout: stdout.text(), stderr: stderr.text(), exitCode: (exit as PromiseFulfilledResult<number>).value };
  }

  /**
   * A sandbox past its lifetime or idle timeout fails commands in ways that depend on where it
   * was (a finished task, an unreachable worker...): asking Modal whether it has ended tells
   * SANDBOX_NOT_FOUND, which the backend answers with a new sandbox, from a real failure.
   */
  private async failureOf(error: unknown, action: string): Promise<AppError> {
    const { status, name } = describeFailure(error);
    let ended = status === 'NOT_FOUND' || name === 'NotFoundError' || name === 'ConflictError';
    if (!ended) {
      try {
        ended = (await this.sandbox.poll()) !== null;
      } catch (pollError) {
        ended = describeFailure(pollError).status === 'NOT_FOUND';
      }
    }
    if (ended) return new AppError('SANDBOX_NOT_FOUND', `Modal sandbox ${this.id} has ended (its lifetime or idle timeout passed, or it was terminated).`, { sandboxId: this.id, ended: true });
    return modalErrorFrom(error, `${action} in sandbox ${this.id}`, this.id);
  }

  async terminate(): Promise<void> {
    try {
      await this.sandbox.terminate();
    } catch (error) {
      throw modalErrorFrom(error, `terminate sandbox ${this.id}`, this.id);
    } finally {
      // Releases the command-router connection; the sandbox is gone or going either way.
      this.sandbox.detach();
    }
  }
}

/**
 * RemoteSandboxClient on Modal's JavaScript SDK (`modal` 0.11). The SDK is imported on first
 * use, so an app without Modal configured never pays its ~300 ms load; it reads ~/.modal.toml
 * (or MODAL_CONFIG_PATH) once, at that import. Sandboxes are created in one app, from
 * registry images, with the network blocked.
 */
export class ModalSdkClient implements RemoteSandboxClient {
  private modal: Promise<ModalClient> | null = null;
  private app: Promise<App> | null = null;
  /** Built images cache their id, so each is resolved once per client. */
  private readonly images = new Map<SandboxImage, Image>();
  private readonly appName: string;

  constructor(private readonly settings: ModalSdkSettings) {
    const missing = [...(settings.tokenId.trim() ? [] : ['MODAL_TOKEN_ID']), ...(settings.tokenSecret.trim() ? [] : ['MODAL_TOKEN_SECRET'])];
    if (missing.length > 0) throw new AppError('CONFIG_INVALID', `Modal needs a token: set ${missing.join(' and ')}.`, { missing });
    this.appName = settings.appName ?? DEFAULT_MODAL_APP_NAME;
  }

  async createSandbox(spec: RemoteSandboxSpec): Promise<RemoteSandbox> {
    try {
      const modal = await this.client();
      const app = await this.appHandle();
      const sandbox = await modal.sandboxes.create(app, this.image(modal, spec.image), {
        timeoutMs: wholeSecondsMs(spec.timeoutMs),
        ...(spec.idleTimeoutMs !== undefined ? { idleTimeoutMs: wholeSecondsMs(spec.idleTimeoutMs) } : {}),
        memoryMiB: spec.memoryMiB,
        memoryLimitMiB: Math.max(spec.memoryMiB, spec.memoryLimitMiB),
        blockNetwork: spec.blockNetwork,
        tags: spec.tags,
      });
      return new ModalRemoteSandbox(sandbox);
    } catch (error) {
      throw modalErrorFrom(error, `create a ${spec.image} sandbox`);
    }
  }

  async fromId(id: string): Promise<RemoteSandbox> {
    try {
      // No call to Modal yet: the first exec or terminate finds out whether the sandbox exists.
      return new ModalRemoteSandbox(await (await this.client()).sandboxes.fromId(id));
    } catch (error) {
      throw modalErrorFrom(error, `find sandbox ${id}`, id);
    }
  }

  async listSandboxes(tags?: Record<string, string>): Promise<RemoteSandboxInfo[]> {
    try {
      const modal = await this.client();
      const app = await this.appHandle();
      const found: RemoteSandboxInfo[] = [];
      // experimentalList, not list: with the SDK's default V2 sandboxes, list() misses them.
      for await (const sandbox of modal.sandboxes.experimentalList({ appId: app.appId, ...(tags ? { tags } : {}) })) {
        try {
          found.push({ id: sandbox.sandboxId, tags: await sandbox.getTags() });
        } catch (error) {
          // It ended between the listing and this call: no longer running, so not listed.
          if (describeFailure(error).status !== 'NOT_FOUND') throw error;
        }
      }
      return found;
    } catch (error) {
      throw modalErrorFrom(error, 'list sandboxes');
    }
  }

  async testConnection(): Promise<void> {
    try {
      const modal = await this.client();
      // Not the cached app: a test must reach Modal, and this needs both the token and the network.
      await modal.apps.fromName(this.appName, { createIfMissing: true, ...(this.settings.environment ? { environment: this.settings.environment } : {}) });
    } catch (error) {
      throw modalErrorFrom(error, 'connect');
    }
  }

  close(): void {
    void this.modal?.then((modal) => modal.close(), () => undefined);
    this.modal = null;
    this.app = null;
    this.images.clear();
  }

  private client(): Promise<ModalClient> {
    this.modal ??= import('modal').then(
      ({ ModalClient: Client }) =>
        new Client({
          tokenId: this.settings.tokenId,
          tokenSecret: this.settings.tokenSecret,
          ...(this.settings.environment ? { environment: this.settings.environment } : {}),
          ...(this.settings.logger ? { logger: this.settings.logger } : {}),
        }),
    );
    const pending = this.modal;
    // A failed import or constructor is not kept: the next call tries again.
    pending.catch(() => {
      if (this.modal === pending) this.modal = null;
    });
    return pending;
  }

  private appHandle(): Promise<App> {
    this.app ??= this.client().then((modal) =>
      modal.apps.fromName(this.appName, { createIfMissing: true, ...(this.settings.environment ? { environment: this.settings.environment } : {}) }),
    );
    const pending = this.app;
    // Modal unreachable now says nothing of later: forget the failure.
    pending.catch(() => {
      if (this.app === pending) this.app = null;
    });
    return pending;
  }

  private image(modal: ModalClient, kind: SandboxImage): Image {
    let image = this.images.get(kind);
    if (!image) {
      image = modal.images.fromRegistry(this.settings.images?.[kind] ?? DEFAULT_MODAL_IMAGES[kind]);
      this.images.set(kind, image);
    }
    return image;
  }
}
