/**
 * Conformance: taking the single-writer lease (DESIGN §6). Free, ours or expired → taken; held by a
 * live owner → refused, naming the holder and until when; held by an owner whose proof of life is gone
 * (its journal closed, as a process that died) → taken at once, without waiting for the expiry.
 * A second journal on the same database stands for a second process.
 */
import { describe, expect, it } from 'vitest';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, createLeased, leased } from './journal-write-fixtures.ts';

/** Registers the lease tests. */
export function describeLeaseConformance(h: ConformanceHarness): void {
  async function twoOwners() {
    const shared = h.database();
    const me = await h.open({ shared, ownerId: 'owner-me' });
    const other = await h.open({ shared, ownerId: 'owner-other' });
    await createExecution(me);
    return { shared, me, other };
  }

  describe('leases', () => {
    it('a free lease is acquired and recorded with its holder, epoch and expiry', async () => {
      const journal = await h.open({ ownerId: 'owner-me' });
      await createExecution(journal);
      const result = await journal.acquireLease(KEY, 1000, 30_000);
      expect(result).toEqual({ acquired: true, fence: { ownerId: 'owner-me', epoch: expect.any(Number) }, record: expect.objectContaining({ ...KEY }) });
      if (!result.acquired) return;
      expect(result.fence.epoch).toBeGreaterThanOrEqual(1);
      expect((await journal.get(KEY))?.lease).toEqual({ ...journal.owner, epoch: result.fence.epoch, expiresAt: 31_000 });
      // The record handed back is the execution as it stands under the new lease.
      expect(result.record).toEqual(await journal.get(KEY));
      expect(journal.owner.id).toBe('owner-me');
    });

    it('re-acquiring our own lease extends it, without reporting a takeover, under a new epoch', async () => {
      const journal = await h.open();
      const first = await createLeased(journal, KEY, 1000, 30_000);
      const again = await journal.acquireLease(KEY, 5000, 30_000);
      expect(again).toEqual({ acquired: true, fence: { ownerId: journal.owner.id, epoch: expect.any(Number) }, record: expect.objectContaining({ ...KEY }) });
      if (!again.acquired) return;
      expect(again.fence.epoch).toBeGreaterThan(first.epoch);
      expect((await journal.get(KEY))?.lease?.expiresAt).toBe(35_000);
    });

    it('a lease held by a live owner is refused, naming the holder and until when, and stays with it', async () => {
      const { me, other } = await twoOwners();
      const fence = await leased(other, KEY, 1000);
      expect(await me.acquireLease(KEY, 2000, 30_000)).toEqual({ acquired: false, heldBy: other.owner, expiresAt: 31_000 });
      expect((await me.get(KEY))?.lease).toEqual({ ...other.owner, epoch: fence.epoch, expiresAt: 31_000 });
    });

    it('an expired lease is taken over at expiresAt exactly (not a millisecond before) and the previous owner is reported', async () => {
      const { me, other } = await twoOwners();
      const old = await leased(other, KEY, 1000);
      expect((await me.acquireLease(KEY, 30_999, 10_000)).acquired).toBe(false);
      const taken = await me.acquireLease(KEY, 31_000, 10_000);
      expect(taken).toMatchObject({ acquired: true, tookOverFrom: other.owner, fence: { ownerId: 'owner-me' } });
      if (!taken.acquired) return;
      expect(taken.fence.epoch).toBeGreaterThan(old.epoch);
      expect(taken.reason === undefined || typeof taken.reason === 'string').toBe(true);
      expect((await me.get(KEY))?.lease).toEqual({ ...me.owner, epoch: taken.fence.epoch, expiresAt: 41_000 });
    });

    it('a lease held by an owner whose journal was closed without releasing it (a dead process) is taken over at once, long before it expires', async () => {
      const { me, other } = await twoOwners();
      await leased(other, KEY, 1000, 600_000);
      const gone = other.owner;
      await h.close(other);
      expect(await me.acquireLease(KEY, 1001, 30_000)).toMatchObject({ acquired: true, tookOverFrom: gone, fence: { ownerId: 'owner-me' } });
      expect((await me.get(KEY))?.lease).toMatchObject({ id: 'owner-me', expiresAt: 31_001 });
    });

    it('a lease created leased by an owner that then closed is taken over at once too', async () => {
      const shared = h.database();
      const other = await h.open({ shared, ownerId: 'owner-other' });
      await createLeased(other, KEY, 1000, 600_000);
      await h.close(other);
      const me = await h.open({ shared, ownerId: 'owner-me' });
      expect(await me.acquireLease(KEY, 1001, 30_000)).toMatchObject({ acquired: true, tookOverFrom: { id: 'owner-other' } });
    });

    it('renewLease extends our lease, and returns false once someone else took it over', async () => {
      const { me, other } = await twoOwners();
      const fence = await leased(me, KEY, 1000, 10_000);
      expect(await me.renewLease(KEY, fence, 5000, 10_000)).toBe(true);
      expect((await me.get(KEY))?.lease?.expiresAt).toBe(15_000);
      const taken = await leased(other, KEY, 15_000, 10_000);
      expect(await me.renewLease(KEY, fence, 15_001, 10_000)).toBe(false);
      expect((await me.get(KEY))?.lease).toEqual({ ...other.owner, epoch: taken.epoch, expiresAt: 25_000 });
    });

    it('releaseLease frees the lease: the next owner takes it without a takeover', async () => {
      const { me, other } = await twoOwners();
      const fence = await leased(me, KEY, 1000, 600_000);
      await me.releaseLease(KEY, fence);
      expect((await me.get(KEY))?.lease).toBeNull();
      expect(await other.acquireLease(KEY, 1001, 10_000)).toEqual({ acquired: true, fence: { ownerId: 'owner-other', epoch: expect.any(Number) }, record: expect.objectContaining({ ...KEY }) });
    });

    it('acquiring the lease of an execution never created fails with EXECUTION_NOT_FOUND', async () => {
      const journal = await h.open();
      const error = await rejectedActionError(journal.acquireLease(KEY, 1, 1));
      expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
      expect(error.message).toContain(KEY.executionId);
    });
  });
}
