/*
 * The few things the Modal backend needs from a remote sandbox provider. modalSdkClient.ts
 * implements it with Modal's SDK; tests implement it with a fake, or run the SDK against a
 * loopback server. Every method rejects only with `AppError`s:
 * - EXECUTION_FAILED, with `details.transient` true when the provider could not be reached
 *   or was overloaded (the same call may succeed later; the service falls back to local),
 *   false when it refused (a bad token) or failed for good;
 * - SANDBOX_NOT_FOUND, when the provider knows no sandbox by that id;
 * - CONFIG_INVALID, when the client's settings cannot work (no token).
 */

/** The container image a sandbox runs: one per interpreter the harnesses need. */
export type SandboxImage = 'python' | 'node';

/** What a new sandbox is given. */
export interface RemoteSandboxSpec {
  image: SandboxImage;
  /** The sandbox's whole lifetime; it is terminated when this ends. A multiple of 1000. */
  timeoutMs: number;
  /** Terminated after this long with nothing running; a multiple of 1000. */
  idleTimeoutMs?: number;
  /** Memory reserved for the sandbox. */
  memoryMiB: number;
  /** Memory beyond which the sandbox's processes are killed (at least `memoryMiB`). */
  memoryLimitMiB: number;
  /** Always true: candidate code never gets a network. The type makes forgetting it impossible. */
  blockNetwork: true;
  /** Labels stored with the sandbox and returned by `listSandboxes`. */
  tags: Record<string, string>;
}

/** One command to run in a sandbox. */
export interface RemoteExecOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin: string;
  /** The command is killed after this long; a multiple of 1000. */
  timeoutMs: number;
  /** stdout beyond this many characters is dropped from the front: the end of the output is what is kept. */
  maxStdoutChars: number;
}

/** How a command ended. */
export interface RemoteExecResult {
  /** The last `maxStdoutChars` characters of stdout. */
  stdout: string;
  /** The first 64 KiB of stderr. */
  stderr: string;
  /**
   * The exit code; 128+n when killed by signal n; 124 when the command's time limit ended it
   * (coreutils' `timeout` convention, which Modal follows too).
   */
  exitCode: number;
}

/** A running sandbox. */
export interface RemoteSandbox {
  readonly id: string;
  /** Runs `argv` (no shell unless argv asks for one) and waits for it to end. */
  exec(argv: string[], options: RemoteExecOptions): Promise<RemoteExecResult>;
  /** Stops the sandbox and everything in it. */
  terminate(): Promise<void>;
}

/** A sandbox as a listing shows it. */
export interface RemoteSandboxInfo {
  id: string;
  tags: Record<string, string>;
}

/** A remote sandbox provider (Modal). */
export interface RemoteSandboxClient {
  createSandbox(spec: RemoteSandboxSpec): Promise<RemoteSandbox>;
  /** Attaches to a sandbox created earlier, by this process or another. */
  fromId(id: string): Promise<RemoteSandbox>;
  /** Running sandboxes of this app carrying every one of `tags`. */
  listSandboxes(tags?: Record<string, string>): Promise<RemoteSandboxInfo[]>;
  /** Resolves when the provider is reachable and accepts the credentials. */
  testConnection(): Promise<void>;
  /** Releases the client's connections; running sandboxes are left alone. */
  close(): void;
}
