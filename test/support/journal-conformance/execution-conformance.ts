/**
 * Conformance: creating executions (create-if-absent), reading them back, and refusing writes that
 * cannot be journaled — a value with no JSON form, an execution that does not exist — before anything
 * of their commit is written.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../storage/journal.ts';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, createWrite, step } from './journal-write-fixtures.ts';

/** Registers the execution tests. */
export function describeExecutionConformance(h: ConformanceHarness): void {
  describe('executions', () => {
    it('create-if-absent: the first create inserts a pending execution and returns it (created: true)', async () => {
      const journal = await h.open();
      const result = await journal.commit(KEY, [createWrite()], null, 1000);
      const expected: ExecutionRecord = {
        ...KEY,
        definitionId: 'get-user',
        requestHash: 'hash-1',
        request: { action: { id: KEY.actionId, actionDefinitionId: 'get-user' }, inputs: { userId: '42' } },
        definition: { id: 'get-user', version: '1.0.0' },
        machineVersion: 'action-execution@1',
        status: 'pending',
        stateValue: 'resolving',
        snapshot: { value: 'resolving', context: { attempt: 0 } },
        attemptCount: 0,
        wakeAt: null,
        result: null,
        createdAt: 1000,
        updatedAt: 1000,
        lease: null,
      };
      expect(result).toEqual({ created: true, record: expected });
      expect(await journal.get(KEY)).toEqual(expected);
    });

    it('create-if-absent: a second create returns the stored record (created: false) and writes nothing else of its commit', async () => {
      const journal = await h.open();
      const first = await createExecution(journal, KEY, 1000);
      const again = await journal.commit(
        KEY,
        [
          createWrite({ requestHash: 'different-hash', request: { changed: true }, stateValue: 'other' }),
          step('validating'),
          { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: {} },
        ],
        null,
        2000,
      );
      expect(again.created).toBe(false);
      expect(again.record).toEqual(first);
      expect(again.fence).toBeUndefined();
      expect(await journal.get(KEY)).toEqual(first);
      expect(await journal.listTransitions(KEY)).toEqual([]);
      expect(await journal.listAttempts(KEY)).toEqual([]);
    });

    it('a create commit may carry the first transitions: they land with the new execution', async () => {
      const journal = await h.open();
      const result = await journal.commit(KEY, [createWrite(), step('validating'), step('requesting', { from: 'validating' })], null, 1000);
      expect(result.created).toBe(true);
      expect(result.record).toMatchObject({ stateValue: 'requesting', status: 'running' });
      expect((await journal.listTransitions(KEY)).map((t) => [t.seq, t.to])).toEqual([[1, 'validating'], [2, 'requesting']]);
    });

    it('get returns undefined for an execution never created', async () => {
      const journal = await h.open();
      expect(await journal.get({ executionId: 'nope', actionId: 'nope' })).toBeUndefined();
    });

    it('request, definition, snapshot, event data and result read back equal to what was written', async () => {
      const journal = await h.open();
      const request = { inputs: { name: 'Zoë 🚀', n: 1.5, list: [1, null, { deep: true }] }, empty: {}, quote: '"\\\n' };
      const definition = { id: 'get-user', nested: { a: [[]] } };
      const snapshot = { value: { requesting: 'sending' }, context: { attempt: 0, big: 2 ** 53 - 1, neg: -0.25 } };
      await createExecution(journal, KEY, 1, { request, definition, snapshot });
      const data = { response: { status: 200, headers: { 'x-a': 'b' } }, random: [0.5, 0.25] };
      const result = { status: 'completed', output: { text: 'línea\u2028' } };
      await journal.commit(KEY, [step('completed', { status: 'completed', data, result, snapshot })], null, 2);
      expect(await journal.get(KEY)).toMatchObject({ request, definition, snapshot, result });
      expect((await journal.listTransitions(KEY))[0]).toMatchObject({ data, snapshot });
    });

    it('a value with no JSON form is refused with JOURNAL_VALUE_NOT_JSON naming the field, before anything of its commit is written', async () => {
      const journal = await h.open();
      await createExecution(journal);
      const error = await rejectedActionError(journal.commit(KEY, [step('validating'), step('requesting', { snapshot: undefined })], null, 2));
      expect(error.detail.code).toBe('JOURNAL_VALUE_NOT_JSON');
      expect(error.detail.context).toMatchObject({ executionId: KEY.executionId, actionId: KEY.actionId, field: 'snapshot' });
      expect(error.message).toContain(`snapshot of execution ${KEY.executionId} / action ${KEY.actionId}`);
      const data = await rejectedActionError(journal.commit(KEY, [step('validating', { data: () => 1 })], null, 3));
      expect(data.detail.context['field']).toBe('data of event go.validating');
      const create = await rejectedActionError(journal.commit({ ...KEY, actionId: 'new' }, [createWrite({ request: undefined })], null, 4));
      expect(create.detail.context['field']).toBe('request');
      expect(await journal.listTransitions(KEY)).toEqual([]);
      expect(await journal.get({ ...KEY, actionId: 'new' })).toBeUndefined();
    });

    it('a write that cannot be journaled rejects the returned promise; commit never throws synchronously', async () => {
      const journal = await h.open();
      await createExecution(journal);
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = journal.commit(KEY, [step('validating', { data: Symbol('no JSON') })], null, 2);
      }).not.toThrow();
      expect((await rejectedActionError(pending ?? Promise.resolve())).detail.code).toBe('JOURNAL_VALUE_NOT_JSON');
    });

    it('a commit for an execution never created fails with EXECUTION_NOT_FOUND naming the key and the journal, and writes nothing', async () => {
      const journal = await h.open();
      const missing = { executionId: 'exec-missing', actionId: 'typo' };
      for (const writes of [[step('validating')], [{ type: 'beginAttempt' as const, attempt: 1, idempotencyKey: null, request: {} }]]) {
        const error = await rejectedActionError(journal.commit(missing, writes, null, 2));
        expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
        expect(error.detail.category).toBe('state_inconsistent');
        expect(error.message).toContain(`execution ${missing.executionId} / action ${missing.actionId}`);
        expect(error.message).toContain(journal.location);
      }
      const fenced = await rejectedActionError(journal.commit(missing, [step('validating')], { ownerId: journal.owner.id, epoch: 1 }, 2));
      expect(fenced.detail.code).toBe('EXECUTION_NOT_FOUND');
      expect(await journal.listTransitions(missing)).toEqual([]);
      expect(await journal.listExecutions()).toEqual({ records: [], total: 0 });
    });
  });
}
