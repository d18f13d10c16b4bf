/**
 * The single-writer lease decision (DESIGN §6 "Single writer, fenced"), pure so every branch is
 * testable without processes or clocks. Each backend runs it inside the transaction that takes the
 * lease, with its own proof of life (an OS lock on one machine, a database session on Postgres).
 */
import type { HeldLease, LeaseOwner } from './journal.ts';

/** What a backend could prove about a holder. */
export type OwnerLiveness = 'alive' | 'dead' | 'unknown';

/** Outcome of a lease request: take it (possibly from someone, and why), or who holds it until when. */
export type LeaseDecision =
  | { take: true; tookOverFrom?: LeaseOwner; reason?: string }
  | { take: false; heldBy: LeaseOwner; expiresAt: number };

/**
 * Decides whether `claimantId` may take the lease. Free or already ours → take. Expired (expiry is
 * exclusive: at `expiresAt` the lease is over) → take. A holder proven dead → take at once, so a
 * resume right after a crash does not wait out the TTL. A holder proven alive, or one nothing can be
 * proven about, keeps it until it expires: a pid alone proves nothing (pid namespaces, zombies).
 */
export function decideLease(current: HeldLease | null, claimantId: string, now: number, liveness: (lease: HeldLease) => OwnerLiveness): LeaseDecision {
  if (current === null || current.id === claimantId) return { take: true };
  const holder: LeaseOwner = { id: current.id, pid: current.pid, host: current.host };
  if (current.expiresAt <= now) return { take: true, tookOverFrom: holder, reason: 'its lease expired' };
  if (liveness(current) === 'dead') return { take: true, tookOverFrom: holder, reason: 'its process is gone (its owner lock was released)' };
  return { take: false, heldBy: holder, expiresAt: current.expiresAt };
}
