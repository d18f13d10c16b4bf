/**
 * Conformance: fenced writes (DESIGN §6 "Single writer, fenced"). A commit under a fence lands only
 * while the execution's lease still has that owner and epoch; otherwise it is refused with LEASE_LOST
 * and writes nothing — so a process whose lease was taken over can never record an intent, and so
 * can never send.
 */
import { describe, expect, it } from 'vitest';
import type { Fence, Journal, JournalWrite } from '../../../storage/journal.ts';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, createLeased, createWrite, leased, step } from './journal-write-fixtures.ts';

const INTENT: readonly JournalWrite[] = [step('requesting', { attemptCount: 1 }), { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: { method: 'POST' } }];

/** Asserts that a commit under `fence` is refused with LEASE_LOST and that the execution is unchanged. */
async function expectLeaseLost(journal: Journal, fence: Fence, now: number): Promise<void> {
  const before = { record: await journal.get(KEY), transitions: await journal.listTransitions(KEY), attempts: await journal.listAttempts(KEY) };
  const error = await rejectedActionError(journal.commit(KEY, INTENT, fence, now));
  expect(error.detail.code).toBe('LEASE_LOST');
  expect(error.detail.category).toBe('state_inconsistent');
  expect(error.detail.context).toMatchObject({ executionId: KEY.executionId, actionId: KEY.actionId, epoch: String(fence.epoch) });
  expect({ record: await journal.get(KEY), transitions: await journal.listTransitions(KEY), attempts: await journal.listAttempts(KEY) }).toEqual(before);
}

/** Registers the fencing tests. */
export function describeFencingConformance(h: ConformanceHarness): void {
  describe('fencing', () => {
    it('a create with leaseTtlMs leases the new execution to this journal in the same commit (epoch ≥ 1)', async () => {
      const shared = h.database();
      const journal = await h.open({ shared, ownerId: 'owner-me' });
      const before = journal.stats.commits;
      const result = await journal.commit(KEY, [createWrite({ leaseTtlMs: 30_000 })], null, 1000);
      expect(journal.stats.commits - before).toBe(1);
      expect(result.fence?.ownerId).toBe('owner-me');
      expect(result.fence?.epoch).toBeGreaterThanOrEqual(1);
      expect(result.record?.lease).toEqual({ ...journal.owner, epoch: result.fence?.epoch, expiresAt: 31_000 });
      const other = await h.open({ shared, ownerId: 'owner-other' });
      expect(await other.acquireLease(KEY, 1500, 30_000)).toEqual({ acquired: false, heldBy: journal.owner, expiresAt: 31_000 });
    });

    it('a create with leaseTtlMs leaves an existing execution and its lease untouched, and returns no fence', async () => {
      const shared = h.database();
      const other = await h.open({ shared, ownerId: 'owner-other' });
      const fence = await createLeased(other, KEY, 1000, 30_000);
      const journal = await h.open({ shared, ownerId: 'owner-me' });
      const result = await journal.commit(KEY, [createWrite({ leaseTtlMs: 30_000 })], null, 5000);
      expect(result.created).toBe(false);
      expect(result.fence).toBeUndefined();
      expect(result.record?.lease).toEqual({ ...other.owner, epoch: fence.epoch, expiresAt: 31_000 });
    });

    it('a commit under the current fence lands', async () => {
      const journal = await h.open();
      const fence = await createLeased(journal);
      await journal.commit(KEY, INTENT, fence, 2000);
      expect(await journal.getAttempt(KEY, 1)).toMatchObject({ state: 'in_flight' });
      expect((await journal.get(KEY))?.stateValue).toBe('requesting');
    });

    it('a commit with a stale epoch is refused with LEASE_LOST and writes nothing', async () => {
      const journal = await h.open();
      const stale = await createLeased(journal);
      const current = await leased(journal, KEY, 2000);
      expect(current.epoch).toBeGreaterThan(stale.epoch);
      await expectLeaseLost(journal, stale, 2001);
    });

    it("a commit with another owner's fence is refused with LEASE_LOST and writes nothing", async () => {
      const journal = await h.open();
      const fence = await createLeased(journal);
      await expectLeaseLost(journal, { ownerId: 'someone-else', epoch: fence.epoch }, 2000);
    });

    it("a takeover bumps the epoch: the old holder's commits fail and the new holder's land", async () => {
      const shared = h.database();
      const old = await h.open({ shared, ownerId: 'owner-old' });
      const oldFence = await createLeased(old, KEY, 1000, 1000);
      const newer = await h.open({ shared, ownerId: 'owner-new' });
      const taken = await newer.acquireLease(KEY, 2000, 30_000);
      expect(taken).toMatchObject({ acquired: true, tookOverFrom: old.owner });
      if (!taken.acquired) return;
      expect(taken.fence.epoch).toBeGreaterThan(oldFence.epoch);
      await expectLeaseLost(old, oldFence, 2001);
      await newer.commit(KEY, INTENT, taken.fence, 2002);
      expect(await old.listAttempts(KEY)).toMatchObject([{ attempt: 1, startedAt: 2002 }]);
    });

    it('a released lease fences out its last holder', async () => {
      const journal = await h.open();
      const fence = await createLeased(journal);
      await journal.releaseLease(KEY, fence);
      await expectLeaseLost(journal, fence, 2000);
    });

    it('an unleased execution refuses every fenced commit', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await expectLeaseLost(journal, { ownerId: journal.owner.id, epoch: 0 }, 2000);
    });

    it('renewLease with a stale fence returns false and changes nothing; with the current fence it extends the lease', async () => {
      const journal = await h.open();
      const stale = await createLeased(journal, KEY, 1000, 10_000);
      const current = await leased(journal, KEY, 2000, 10_000);
      expect(await journal.renewLease(KEY, stale, 3000, 60_000)).toBe(false);
      expect(await journal.renewLease(KEY, { ownerId: 'someone-else', epoch: current.epoch }, 3000, 60_000)).toBe(false);
      expect((await journal.get(KEY))?.lease).toMatchObject({ epoch: current.epoch, expiresAt: 12_000 });
      expect(await journal.renewLease(KEY, current, 5000, 10_000)).toBe(true);
      expect((await journal.get(KEY))?.lease).toMatchObject({ epoch: current.epoch, expiresAt: 15_000 });
    });

    it('releaseLease with a stale fence does nothing; with the current fence it frees the lease', async () => {
      const journal = await h.open();
      const stale = await createLeased(journal, KEY, 1000, 10_000);
      const current = await leased(journal, KEY, 2000, 10_000);
      await journal.releaseLease(KEY, stale);
      await journal.releaseLease(KEY, { ownerId: 'someone-else', epoch: current.epoch });
      expect((await journal.get(KEY))?.lease).toMatchObject({ id: journal.owner.id, epoch: current.epoch });
      await journal.releaseLease(KEY, current);
      expect((await journal.get(KEY))?.lease).toBeNull();
    });

    it('a terminal transition with releaseLease writes its outbox event and frees the lease, all in one database commit', async () => {
      const shared = h.database();
      const journal = await h.open({ shared });
      const fence = await createLeased(journal);
      const before = journal.stats.commits;
      const outbox = { type: 'action.execute.completed', payload: { ok: true } };
      await journal.commit(KEY, [step('completed', { status: 'completed', result: { status: 'completed' }, outbox, releaseLease: true })], fence, 2000);
      expect(journal.stats.commits - before).toBe(1);
      expect(await journal.get(KEY)).toMatchObject({ status: 'completed', result: { status: 'completed' }, lease: null });
      expect(await journal.listOutbox(KEY)).toMatchObject([outbox]);
      const other = await h.open({ shared });
      expect(await other.acquireLease(KEY, 2001, 30_000)).toEqual({ acquired: true, fence: { ownerId: other.owner.id, epoch: expect.any(Number) }, record: expect.objectContaining({ ...KEY }) });
    });

    it("a terminal transition with releaseLease under another owner's fence is refused and leaves the lease where it is", async () => {
      const journal = await h.open();
      const fence = await createLeased(journal);
      const lease = (await journal.get(KEY))?.lease;
      const error = await rejectedActionError(journal.commit(KEY, [step('completed', { status: 'completed', releaseLease: true })], { ownerId: 'someone-else', epoch: fence.epoch }, 2000));
      expect(error.detail.code).toBe('LEASE_LOST');
      expect(await journal.get(KEY)).toMatchObject({ status: 'pending', lease });
    });
  });
}
