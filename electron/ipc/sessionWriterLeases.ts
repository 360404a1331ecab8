import { AppError } from '../../shared/errors';
import { Emitter, type Disposer, type Event } from '../../shared/event';
import { listChannels, type IpcContract, type SessionLeaseRole } from '../../shared/ipc/channel';
import type { CallerId, GuardedCall } from './router';

/** A session changed writer through `takeOver`, away from a caller that was still connected. */
export interface SessionTakenOver {
  sessionId: string;
  from: CallerId;
  to: CallerId;
}

/**
 * One writer per session, whatever the transport. The first caller that writes to a session
 * holds it; another caller's writes are refused with SESSION_OPEN_ELSEWHERE while the holder
 * has a connection open; `takeOver` moves the session to a new caller, and the old one is
 * refused from then on. When a caller's last connection closes, everything it held is free,
 * so a reloaded page (a new caller) gets its session once the old page's connection is gone.
 *
 * Transports report connections (`connect`); the router's guard (`sessionLeaseGuard`) checks
 * every call the contract marks with `sessionLease`. Everything here is synchronous, so a
 * check and the write it admits happen in the order the calls arrived.
 */
export class SessionWriterLeases {
  /** Open connections per caller: the browser shell may hold several for one page while it reconnects. */
  private readonly connections = new Map<CallerId, number>();
  private readonly holders = new Map<string, CallerId>();
  /** The sessions each caller holds, to free them when its last connection closes. */
  private readonly heldBy = new Map<CallerId, Set<string>>();
  private readonly takenOver = new Emitter<SessionTakenOver>();

  /** A session was taken over from a connected caller, which should stop writing (the host tells the pages). */
  readonly onDidTakeOver: Event<SessionTakenOver> = this.takenOver.event;

  /** A connection of `callerId` opened; the returned disposer (idempotent) closes it. */
  connect(callerId: CallerId): Disposer {
    this.connections.set(callerId, (this.connections.get(callerId) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const left = (this.connections.get(callerId) ?? 1) - 1;
      if (left > 0) {
        this.connections.set(callerId, left);
        return;
      }
      this.connections.delete(callerId);
      for (const sessionId of this.heldBy.get(callerId) ?? []) this.holders.delete(sessionId);
      this.heldBy.delete(callerId);
    };
  }

  /** Whether the caller has a connection open. */
  isConnected(callerId: CallerId): boolean {
    return this.connections.has(callerId);
  }

  /** The caller holding the session, or null when it is free. */
  holderOf(sessionId: string): CallerId | null {
    return this.holders.get(sessionId) ?? null;
  }

  /**
   * Admits a write by `callerId`, which then holds the session; throws SESSION_OPEN_ELSEWHERE
   * when another caller holds it. A caller with no connection open may write to a free session
   * but holds nothing: there is no disconnect that would ever free it.
   */
  claim(sessionId: string, callerId: CallerId): void {
    const holder = this.holders.get(sessionId);
    if (holder === callerId) return;
    if (holder !== undefined) {
      throw new AppError('SESSION_OPEN_ELSEWHERE', 'This interview is open in another window; use that window, or take it over here.', { sessionId });
    }
    this.hold(sessionId, callerId);
  }

  /** Hands the session to `callerId` whoever held it; the previous holder's writes are refused from now on. */
  takeOver(sessionId: string, callerId: CallerId): void {
    const holder = this.holders.get(sessionId);
    if (holder === callerId) return;
    if (holder !== undefined) this.drop(sessionId, holder);
    this.hold(sessionId, callerId);
    if (holder !== undefined) this.takenOver.fire({ sessionId, from: holder, to: callerId });
  }

  /** Forgets the session (it was closed: nobody writes to it any more). */
  release(sessionId: string): void {
    const holder = this.holders.get(sessionId);
    if (holder !== undefined) this.drop(sessionId, holder);
  }

  dispose(): void {
    this.takenOver.dispose();
  }

  private hold(sessionId: string, callerId: CallerId): void {
    if (!this.connections.has(callerId)) return;
    this.holders.set(sessionId, callerId);
    let held = this.heldBy.get(callerId);
    if (!held) this.heldBy.set(callerId, (held = new Set()));
    held.add(sessionId);
  }

  private drop(sessionId: string, holder: CallerId): void {
    this.holders.delete(sessionId);
    this.heldBy.get(holder)?.delete(sessionId);
  }
}

/** The channels of a contract that take part in the writer lease, by wire name: derived from `sessionLease`, never listed by hand. */
export function sessionLeaseRoles(contract: IpcContract): ReadonlyMap<string, SessionLeaseRole> {
  return new Map(listChannels(contract).flatMap(({ name, spec }) => (spec.sessionLease ? [[name, spec.sessionLease] as const] : [])));
}

/**
 * The router guard that enforces the lease: each call to a `write` channel is admitted or
 * refused before its handler runs, each `takeOver` moves the session first, so the handler
 * answers with the session as its new writer sees it.
 */
export function sessionLeaseGuard(contract: IpcContract, leases: SessionWriterLeases): (call: GuardedCall) => void {
  const roles = sessionLeaseRoles(contract);
  return ({ channel, args, callerId }) => {
    const role = roles.get(channel);
    if (!role) return;
    const sessionId = args[0];
    // channel() only allows the flag on a string first argument; this catches a contract that got round it.
    if (typeof sessionId !== 'string') throw new Error(`${channel} is marked sessionLease but its first argument is not a session id`);
    if (role === 'write') leases.claim(sessionId, callerId);
    else leases.takeOver(sessionId, callerId);
  };
}
