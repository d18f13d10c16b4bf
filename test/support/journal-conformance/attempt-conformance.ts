/**
 * Conformance: the write-ahead record of HTTP attempts (DESIGN §6 "Write-ahead rule"). The intent is
 * journaled `in_flight` before the request is sent, the first outcome recorded wins, and the journal
 * refuses the two writes that would break the rule: restarting an attempt that already has an
 * outcome, and recording an outcome for an attempt whose intent was never journaled.
 */
import { describe, expect, it } from 'vitest';
import type { BeginAttemptWrite, FinishAttemptWrite } from '../../../storage/journal.ts';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution } from './journal-write-fixtures.ts';

function begin(attempt: number, request: unknown = {}, idempotencyKey: string | null = null): BeginAttemptWrite {
  return { type: 'beginAttempt', attempt, idempotencyKey, request };
}

function finish(attempt: number, state: 'responded' | 'failed', outcome: unknown): FinishAttemptWrite {
  return { type: 'finishAttempt', attempt, state, outcome };
}

/** Registers the attempt tests. */
export function describeAttemptConformance(h: ConformanceHarness): void {
  describe('http attempts (write-ahead)', () => {
    it('beginAttempt commits the intent as in_flight; finishAttempt records the outcome and its time', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [begin(1, { method: 'POST', url: 'http://127.0.0.1/x' }, 'idem-abc')], null, 10);
      expect(await journal.getAttempt(KEY, 1)).toEqual({ attempt: 1, idempotencyKey: 'idem-abc', state: 'in_flight', request: { method: 'POST', url: 'http://127.0.0.1/x' }, outcome: null, startedAt: 10, finishedAt: null });
      await journal.commit(KEY, [finish(1, 'responded', { status: 201 })], null, 25);
      expect(await journal.getAttempt(KEY, 1)).toEqual({ attempt: 1, idempotencyKey: 'idem-abc', state: 'responded', request: { method: 'POST', url: 'http://127.0.0.1/x' }, outcome: { status: 201 }, startedAt: 10, finishedAt: 25 });
      expect(await journal.getAttempt(KEY, 2)).toBeUndefined();
    });

    it('a second beginAttempt for an in_flight attempt is a no-op that keeps the first intent', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [begin(1, { first: true })], null, 10);
      await journal.commit(KEY, [begin(1, { second: true }, 'later')], null, 99);
      expect(await journal.listAttempts(KEY)).toEqual([{ attempt: 1, idempotencyKey: null, state: 'in_flight', request: { first: true }, outcome: null, startedAt: 10, finishedAt: null }]);
    });

    it('beginAttempt for an attempt that already has an outcome is refused (ATTEMPT_ALREADY_FINISHED) and the outcome stays', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [begin(1)], null, 10);
      await journal.commit(KEY, [finish(1, 'failed', { code: 'CONNECTION_RESET' })], null, 11);
      const error = await rejectedActionError(journal.commit(KEY, [begin(1)], null, 12));
      expect(error.detail.code).toBe('ATTEMPT_ALREADY_FINISHED');
      expect(error.detail.context).toMatchObject({ executionId: KEY.executionId, actionId: KEY.actionId, attempt: '1', state: 'failed' });
      expect(error.message).toContain('already finished (failed)');
      expect(await journal.getAttempt(KEY, 1)).toMatchObject({ state: 'failed', outcome: { code: 'CONNECTION_RESET' }, finishedAt: 11 });
    });

    it('the first outcome wins: a second finishAttempt keeps it', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [begin(1)], null, 10);
      await journal.commit(KEY, [finish(1, 'responded', { status: 200 })], null, 11);
      await journal.commit(KEY, [finish(1, 'failed', { code: 'CANCELLED' })], null, 12);
      expect(await journal.getAttempt(KEY, 1)).toMatchObject({ state: 'responded', outcome: { status: 200 }, finishedAt: 11 });
    });

    it('finishing an attempt that was never begun is refused (ATTEMPT_NOT_STARTED) and writes nothing', async () => {
      const journal = await h.open();
      await createExecution(journal);
      const error = await rejectedActionError(journal.commit(KEY, [finish(4, 'responded', {})], null, 1));
      expect(error.detail.code).toBe('ATTEMPT_NOT_STARTED');
      expect(error.detail.context['attempt']).toBe('4');
      expect(error.message).toContain('attempt 4');
      expect(await journal.listAttempts(KEY)).toEqual([]);
    });

    it('beginAttempt for an execution never created fails with EXECUTION_NOT_FOUND', async () => {
      const journal = await h.open();
      const error = await rejectedActionError(journal.commit(KEY, [begin(1)], null, 1));
      expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
    });

    it('listAttempts returns every attempt in attempt order, whatever order they were written in', async () => {
      const journal = await h.open();
      await createExecution(journal);
      await journal.commit(KEY, [begin(2), begin(1), finish(2, 'responded', { status: 503 })], null, 10);
      await journal.commit(KEY, [begin(3)], null, 20);
      expect((await journal.listAttempts(KEY)).map((a) => [a.attempt, a.state])).toEqual([[1, 'in_flight'], [2, 'responded'], [3, 'in_flight']]);
    });

    it('an in_flight intent survives close and reopen: the outcome is visibly in doubt', async () => {
      const shared = h.database();
      const first = await h.open({ shared });
      await createExecution(first);
      await first.commit(KEY, [begin(1, { method: 'POST' })], null, 10);
      await first.commit(KEY, [begin(2, { method: 'POST' })], null, 20);
      await first.commit(KEY, [finish(1, 'failed', { code: 'CONNECTION_RESET' })], null, 15);
      await h.close(first);
      const second = await h.open({ shared });
      expect((await second.listAttempts(KEY)).map((a) => [a.attempt, a.state, a.outcome])).toEqual([[1, 'failed', { code: 'CONNECTION_RESET' }], [2, 'in_flight', null]]);
    });
  });
}
