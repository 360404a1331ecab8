import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The unprivileged identity local sandboxes run as when the app runs as root (nobody). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/**
 * What this machine lets a local sandbox use, probed once. On Linux:
 * - a network namespace of its own (`unshare -n`, or `unshare -rn` without root), so the
 *   candidate's code has no network;
 * - as root, the sandbox drops to nobody (`setpriv`), so the process-count limit applies
 *   (root ignores RLIMIT_NPROC) and it cannot write outside its own directory and /tmp;
 * - `prlimit` sets the kernel limits (address space, processes, file size, core dumps).
 * Elsewhere (macOS, Windows) none of these exist: the sandbox is a plain child process with
 * a wall-time limit and output caps, and `notes` says so.
 */
export interface IsolationPlan {
  /** Prepended to every sandbox command. */
  prefix: string[];
  networkBlocked: boolean;
  /** The sandbox runs as SANDBOX_UID. */
  dropsPrivileges: boolean;
  /** prlimit is available for kernel limits. */
  kernelLimits: boolean;
  /** What is and is not isolated here, in plain words. */
  notes: string[];
}

async function works(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args, { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

let probed: Promise<IsolationPlan> | null = null;

/** Probes (once per process) which isolation tools work on this machine. */
export function probeIsolation(): Promise<IsolationPlan> {
  probed ??= (async () => {
    const notes: string[] = [];
    if (process.platform !== 'linux') {
      notes.push(`on ${process.platform} a local sandbox is a plain child process: wall time, memory (interpreter flags) and output are limited; network and files are not isolated`);
      return { prefix: [], networkBlocked: false, dropsPrivileges: false, kernelLimits: false, notes };
    }
    const root = process.getuid?.() === 0;
    const prefix: string[] = [];
    const unshareArgs = root ? ['-n'] : ['-rn'];
    const networkBlocked = await works('unshare', [...unshareArgs, 'true']);
    if (networkBlocked) prefix.push('unshare', ...unshareArgs);
    else notes.push('unshare is missing or not permitted: the candidate code has network access');
    const setpriv = ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_GID}`, '--clear-groups', '--no-new-privs'];
    const dropsPrivileges = root && (await works(setpriv[0]!, [...setpriv.slice(1), 'true']));
    if (dropsPrivileges) prefix.push(...setpriv);
    else if (root) notes.push('running as root without setpriv: the process-count limit does not apply');
    const kernelLimits = await works('prlimit', ['--core=0', 'true']);
    if (!kernelLimits) notes.push('prlimit is missing: memory is limited by interpreter flags only, process count and file size not at all');
    return { prefix, networkBlocked, dropsPrivileges, kernelLimits, notes };
  })();
  return probed;
}

/** Kernel limits for one sandbox process tree. */
export interface KernelLimits {
  /** Address space, bytes. */
  addressSpaceBytes?: number;
  processes?: number;
  fileSizeBytes?: number;
  cpuSeconds?: number;
}

/** `command` wrapped in the plan's prefix and prlimit. */
export function sandboxCommand(plan: IsolationPlan, command: readonly string[], limits: KernelLimits): string[] {
  const prlimit: string[] = [];
  if (plan.kernelLimits) {
    prlimit.push('prlimit', '--core=0');
    if (limits.addressSpaceBytes !== undefined) prlimit.push(`--as=${limits.addressSpaceBytes}`);
    if (limits.processes !== undefined) prlimit.push(`--nproc=${limits.processes}`);
    if (limits.fileSizeBytes !== undefined) prlimit.push(`--fsize=${limits.fileSizeBytes}`);
    if (limits.cpuSeconds !== undefined) prlimit.push(`--cpu=${limits.cpuSeconds}`);
    prlimit.push('--');
  }
  return [...plan.prefix, ...prlimit, ...command];
}

/** A private working directory for one sandbox, writable by the sandbox's identity. */
export interface RunDirectory {
  path: string;
  /** Removes it and everything the run wrote. */
  dispose(): Promise<void>;
}

export async function makeRunDirectory(plan: IsolationPlan, label: string): Promise<RunDirectory> {
  const path = await mkdtemp(join(tmpdir(), `interviewlm-${label}-`));
  if (plan.dropsPrivileges) await chown(path, SANDBOX_UID, SANDBOX_GID);
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}
