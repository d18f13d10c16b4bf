/**
 * The single-writer lease decision (DESIGN §6 "Single writer"), pure so every branch is testable
 * without processes or clocks. The journal runs it inside the transaction that writes the result.
 */
import type { LeaseOwner } from './sqlite/sqlite-journal.ts';

/** A lease as stored on an execution row. */
export interface HeldLease extends LeaseOwner {
  expiresAt: number;
}

/** What this machine can tell about lease holders: its own host name and whether a local pid lives. */
export interface LocalProcessView {
  host: string;
  isProcessAlive(pid: number): boolean;
}

/** Outcome of a lease request: take it (possibly from someone), or who holds it and until when. */
export type LeaseDecision =
  | { take: true; tookOverFrom?: LeaseOwner }
  | { take: false; heldBy: LeaseOwner; expiresAt: number };

/**
 * Decides whether `claimant` may take the lease. Free, already ours, or expired (expiry is exclusive:
 * at `expiresAt` the lease is over) → take. Held by a process on this host that is provably dead →
 * take at once, so a resume right after a crash does not wait out the TTL. Anything else is refused:
 * a holder on another host is never presumed dead, because its pid means nothing here.
 */
export function decideLease(current: HeldLease | null, claimant: LeaseOwner, now: number, local: LocalProcessView): LeaseDecision {
  if (current === null || current.id === claimant.id) return { take: true };
  const holder: LeaseOwner = { id: current.id, pid: current.pid, host: current.host };
  if (current.expiresAt <= now) return { take: true, tookOverFrom: holder };
  if (current.host === local.host && !local.isProcessAlive(current.pid)) return { take: true, tookOverFrom: holder };
  return { take: false, heldBy: holder, expiresAt: current.expiresAt };
}

/**
 * Default liveness probe: signal 0 checks existence without delivering anything. EPERM means the
 * process exists but belongs to another user, so it is alive. A reused pid reads as alive, which only
 * delays a takeover until the lease expires — the safe direction. A killed child that its parent has
 * not yet reaped (a zombie) also reads as alive.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
