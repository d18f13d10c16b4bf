/**
 * The short grace a lease acquisition gives a dying holder (issue 13 item 2). A process killed with
 * SIGKILL is reported dead — its parent sees it exit, a shell moves on — a few milliseconds before the
 * kernel has torn down its other threads, closed its files and so released its owner lock. Measured
 * here: 0–5 ms after the exit was seen. A resubmission started in that window would find the lock
 * held and be refused, so an acquisition that finds a holder on this host alive probes again, with
 * growing pauses, for a bounded time. Nothing is waited for a holder on another host, or one proven
 * dead or expired, and no transaction is open while pausing.
 */
import type { LeaseResult } from '../journal.ts';
import type { OwnerLiveness } from './owner-lock.ts';

/** One lease decision and what the holder's owner lock said, if it was asked. */
export interface LeaseTry {
  result: LeaseResult;
  liveness: OwnerLiveness | undefined;
}

/** Runs `attempt` until the lease is taken, the holder is not a live one on `host`, or `graceMs` (real time) has passed. */
export async function withOwnerExitGrace(attempt: () => Promise<LeaseTry>, host: string, graceMs: number): Promise<LeaseResult> {
  const deadline = performance.now() + graceMs;
  for (let pause = 2; ; pause *= 2) {
    const { result, liveness } = await attempt();
    if (result.acquired || liveness !== 'alive' || result.heldBy.host !== host) return result;
    const left = deadline - performance.now();
    if (left <= 0) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}
