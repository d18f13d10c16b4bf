/**
 * Conformance: transitions append to the execution's history and update its row; a commit is
 * atomic — a failing write undoes every write of its commit and nothing of it is visible.
 */
import { describe, expect, it } from 'vitest';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, step } from './journal-write-fixtures.ts';

const COMPLETED_EVENT = { type: 'action.execute.completed', payload: { actionId: KEY.actionId } };

/** Registers the transition tests. */
export function describeTransitionConformance(h: ConformanceHarness): void {
  describe('transitions', () => {
    it('seq starts at 1 and increases by one per execution, independently for each key, also within one commit', async () => {
      const journal = await h.open();
      const other = { ...KEY, actionId: 'other' };
      await createExecution(journal);
      await createExecution(journal, other);
      await journal.commit(KEY, [step('validating')], null, 2);
      await journal.commit(KEY, [step('requesting'), step('classifying', { at: 4 })], null, 5);
      await journal.commit(other, [step('validating')], null, 6);
      await journal.commit(KEY, [step('storing')], null, 7);
      expect((await journal.listTransitions(KEY)).map((t) => [t.seq, t.to, t.at])).toEqual([[1, 'validating', 2], [2, 'requesting', 5], [3, 'classifying', 4], [4, 'storing', 7]]);
      expect((await journal.listTransitions(other)).map((t) => [t.seq, t.to])).toEqual([[1, 'validating']]);
    });

    it('a transition updates the row (status, stateValue, snapshot, attemptCount, wakeAt, updatedAt) and keeps createdAt', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('storing', { attemptCount: 2, wakeAt: 999 })], null, 50);
      await journal.commit(KEY, [step('backingOff', { attemptCount: 3, wakeAt: 1234, snapshot: { value: 'backingOff', context: { nextAttemptAt: 1234 } } })], null, 60);
      expect(await journal.get(KEY)).toMatchObject({
        status: 'running',
        stateValue: 'backingOff',
        attemptCount: 3,
        wakeAt: 1234,
        updatedAt: 60,
        createdAt: 1000,
        snapshot: { value: 'backingOff', context: { nextAttemptAt: 1234 } },
      });
      await journal.commit(KEY, [step('requesting', { wakeAt: null })], null, 70);
      expect((await journal.get(KEY))?.wakeAt).toBeNull();
    });

    it('result: a transition without one keeps the stored result; null clears it', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('storing', { result: { output: { id: '1' } } })], null, 50);
      await journal.commit(KEY, [step('backingOff')], null, 60);
      expect((await journal.get(KEY))?.result).toEqual({ output: { id: '1' } });
      await journal.commit(KEY, [step('requesting', { result: null })], null, 70);
      expect((await journal.get(KEY))?.result).toBeNull();
    });

    it('event data and `at` round-trip; `at` defaults to the commit time and absent data reads back as null', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('requesting', { event: 'SENT', data: { clock: 1500, random: [0.42] }, at: 1500 }), step('classifying', { event: 'CLASSIFY' })], null, 1600);
      expect(await journal.listTransitions(KEY)).toEqual([
        { seq: 1, from: 'resolving', to: 'requesting', event: 'SENT', data: { clock: 1500, random: [0.42] }, at: 1500, snapshot: { value: 'requesting' } },
        { seq: 2, from: 'resolving', to: 'classifying', event: 'CLASSIFY', data: null, at: 1600, snapshot: { value: 'classifying' } },
      ]);
    });

    it('transitions that keep or change the status both land, and status queries see the latest', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('resolving', { status: 'running' })], null, 1100);
      await journal.commit(KEY, [step('validating', { status: 'running' })], null, 1200);
      expect(await journal.get(KEY)).toMatchObject({ status: 'running', stateValue: 'validating', snapshot: { value: 'validating' }, updatedAt: 1200 });
      expect((await journal.listExecutions({ statuses: ['running'] })).records.map((r) => r.stateValue)).toEqual(['validating']);
      expect(await journal.listUnfinished()).toEqual([KEY]);
      await journal.commit(KEY, [step('completed', { status: 'completed' })], null, 1300);
      expect(await journal.listExecutions({ statuses: ['running'] })).toEqual({ records: [], total: 0 });
      expect(await journal.listUnfinished()).toEqual([]);
      expect((await journal.listTransitions(KEY)).map((t) => t.seq)).toEqual([1, 2, 3]);
    });

    it('the terminal transition writes its outbox event in the same commit', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('completed', { status: 'completed', result: { ok: true }, outbox: COMPLETED_EVENT })], null, 80);
      const pending = await journal.pendingOutbox();
      expect(pending).toEqual([{ id: expect.any(Number), ...KEY, ...COMPLETED_EVENT, createdAt: 80, deliveries: 0, lastError: null, deliveredAt: null }]);
      expect(Number.isInteger(pending[0]?.id) && pending[0]!.id > 0).toBe(true);
      expect(await journal.get(KEY)).toMatchObject({ status: 'completed', result: { ok: true } });
    });

    it('a failing write rolls back its whole commit: the transition, result and outbox event before it are not visible', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [step('requesting'), { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: {} }], null, 2);
      await journal.commit(KEY, [{ type: 'finishAttempt', attempt: 1, state: 'failed', outcome: { code: 'CONNECTION_RESET' } }], null, 3);
      const before = await journal.get(KEY);
      const error = await rejectedActionError(
        journal.commit(KEY, [step('completed', { status: 'completed', result: { ok: 1 }, outbox: COMPLETED_EVENT }), { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: { again: true } }], null, 4),
      );
      expect(error.detail.code).toBe('ATTEMPT_ALREADY_FINISHED');
      expect(await journal.get(KEY)).toEqual(before);
      expect((await journal.listTransitions(KEY)).map((t) => t.seq)).toEqual([1]);
      expect(await journal.pendingOutbox()).toEqual([]);
      expect(await journal.listAttempts(KEY)).toMatchObject([{ attempt: 1, state: 'failed', request: {} }]);
      await journal.commit(KEY, [step('completed', { status: 'completed' })], null, 5);
      expect((await journal.listTransitions(KEY)).map((t) => t.seq)).toEqual([1, 2]);
    });
  });
}
