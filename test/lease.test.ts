/**
 * The single-writer lease decision (storage/lease.ts) on plain values: who may take a lease, from
 * whom and why. Backends run it with their own proof of life; the conformance suite checks them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideLease, type OwnerLiveness } from '../storage/lease.ts';
import type { HeldLease } from '../storage/journal.ts';

const HELD: HeldLease = { id: 'other', pid: 2222, host: 'host-a', epoch: 3, expiresAt: 31_000 };
const OTHER = { id: 'other', pid: 2222, host: 'host-a' };

describe('decideLease', () => {
  it('free or already ours: taken, without a takeover and without asking about liveness', () => {
    const asked: HeldLease[] = [];
    const liveness = (lease: HeldLease): OwnerLiveness => (asked.push(lease), 'alive');
    expect(decideLease(null, 'me', 1000, liveness)).toEqual({ take: true });
    expect(decideLease({ ...HELD, id: 'me' }, 'me', 1000, liveness)).toEqual({ take: true });
    expect(asked).toEqual([]);
  });

  it('expired at expiresAt exactly, not a millisecond before', () => {
    expect(decideLease(HELD, 'me', 30_999, () => 'alive')).toEqual({ take: false, heldBy: OTHER, expiresAt: 31_000 });
    expect(decideLease(HELD, 'me', 31_000, () => 'alive')).toEqual({ take: true, tookOverFrom: OTHER, reason: 'its lease expired' });
  });

  it('a holder proven dead is taken over at once; one alive or unknown keeps it until expiry (a pid alone proves nothing)', () => {
    expect(decideLease(HELD, 'me', 1000, () => 'dead')).toEqual({ take: true, tookOverFrom: OTHER, reason: 'its process is gone (its owner lock was released)' });
    expect(decideLease(HELD, 'me', 1000, () => 'alive')).toEqual({ take: false, heldBy: OTHER, expiresAt: 31_000 });
    expect(decideLease(HELD, 'me', 1000, () => 'unknown')).toEqual({ take: false, heldBy: OTHER, expiresAt: 31_000 });
  });

  it('property: a lease is only ever refused to a different owner, before expiry, of a holder not proven dead', () => {
    const liveness = fc.constantFrom<OwnerLiveness>('alive', 'dead', 'unknown');
    const held = fc.record({ id: fc.constantFrom('a', 'b', 'c'), pid: fc.integer({ min: 1, max: 5 }), host: fc.constantFrom('h1', 'h2'), epoch: fc.nat(5), expiresAt: fc.integer({ min: 0, max: 100 }) });
    fc.assert(
      fc.property(fc.option(held), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 100 }), liveness, (current, claimant, now, alive) => {
        const decision = decideLease(current, claimant, now, () => alive);
        if (!decision.take) {
          expect(current).not.toBeNull();
          expect(current!.id).not.toBe(claimant);
          expect(current!.expiresAt).toBeGreaterThan(now);
          expect(alive).not.toBe('dead');
          expect(decision).toEqual({ take: false, heldBy: { id: current!.id, pid: current!.pid, host: current!.host }, expiresAt: current!.expiresAt });
        } else if (decision.tookOverFrom !== undefined) {
          expect(decision.tookOverFrom.id).not.toBe(claimant);
          expect(current!.expiresAt <= now || alive === 'dead').toBe(true);
        } else {
          expect(current === null || current.id === claimant).toBe(true);
        }
      }),
    );
  });
});
