/**
 * Conformance: everything a journal records is still there, unchanged, after it is closed and
 * opened again — the execution row and its lease, transitions, attempts, outbox and buckets.
 */
import { describe, expect, it } from 'vitest';
import type { Journal } from '../../../storage/journal.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, createLeased, step } from './journal-write-fixtures.ts';

async function everything(journal: Journal) {
  return {
    execution: await journal.get(KEY),
    transitions: await journal.listTransitions(KEY),
    attempts: await journal.listAttempts(KEY),
    outbox: await journal.listOutbox(KEY),
    page: await journal.listExecutions(),
    unfinished: await journal.listUnfinished(),
  };
}

/** Registers the durability tests. */
export function describeDurabilityConformance(h: ConformanceHarness): void {
  describe('durability', () => {
    it('everything written survives close and reopen, read back equal', async () => {
      const shared = h.database();
      const first = await h.open({ shared, ownerId: 'owner-first' });
      const fence = await createLeased(first, KEY, 1, 600_000);
      await createExecution(first, { ...KEY, actionId: 'unfinished' }, 2);
      await first.commit(KEY, [step('requesting', { attemptCount: 1, data: { random: [0.1] }, at: 2 }), { type: 'beginAttempt', attempt: 1, idempotencyKey: 'k', request: { m: 'GET' } }], fence, 3);
      await first.commit(KEY, [{ type: 'finishAttempt', attempt: 1, state: 'responded', outcome: { status: 200 } }], fence, 4);
      await first.commit(KEY, [step('completed', { status: 'completed', result: { r: 1 }, outbox: { type: 'action.execute.completed', payload: { p: 1 } } })], fence, 5);
      await first.takeRateToken('bucket', 2, 1000, 5);
      await first.takeRateToken('bucket', 2, 1000, 5);
      const before = await everything(first);
      expect(before.execution).toMatchObject({ status: 'completed', lease: { id: 'owner-first', epoch: fence.epoch } });
      await h.close(first);
      const second = await h.open({ shared, ownerId: 'owner-second' });
      expect(await everything(second)).toEqual(before);
      expect(await second.takeRateToken('bucket', 2, 1000, 5)).toEqual({ granted: false, waitMs: 500 });
    });

    it('a fence survives reopen by the same owner: its commits still land, and another owner\'s are still refused', async () => {
      const shared = h.database();
      const first = await h.open({ shared, ownerId: 'owner-same' });
      const fence = await createLeased(first, KEY, 1, 600_000);
      await h.close(first);
      const again = await h.open({ shared, ownerId: 'owner-same' });
      await again.commit(KEY, [step('validating')], fence, 10);
      expect((await again.get(KEY))?.stateValue).toBe('validating');
      expect(await again.renewLease(KEY, fence, 10, 600_000)).toBe(true);
      await expect(again.commit(KEY, [step('requesting')], { ...fence, ownerId: 'owner-other' }, 11)).rejects.toMatchObject({ detail: { code: 'LEASE_LOST' } });
    });
  });
}
