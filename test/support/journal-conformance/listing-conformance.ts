/**
 * Conformance: listing executions (the CLI's `list`, the viewer) and finding the unfinished ones
 * (`resume --all`). Order is total — creation time, then creation order — so pages never overlap.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionKey, ExecutionPage, ExecutionStatus, Journal } from '../../../storage/journal.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { createExecution, step } from './journal-write-fixtures.ts';

const ids = (page: ExecutionPage): string[] => page.records.map((r) => `${r.executionId}/${r.actionId}`);

async function make(journal: Journal, key: ExecutionKey, now: number, status: ExecutionStatus = 'pending', definitionId = 'get-user'): Promise<void> {
  await createExecution(journal, key, now, { definitionId });
  if (status !== 'pending') await journal.commit(key, [step(status, { status })], null, now + 1);
}

/** Registers the listing tests. */
export function describeListingConformance(h: ConformanceHarness): void {
  describe('listing', () => {
    it('listExecutions is newest first by default and oldest first with order: "oldest"; same-time creations keep creation order', async () => {
      const journal = await h.open();
      await make(journal, { executionId: 'e2', actionId: 'b' }, 30);
      await make(journal, { executionId: 'e1', actionId: 'a' }, 10);
      await make(journal, { executionId: 'e1', actionId: 'b' }, 20);
      await make(journal, { executionId: 'e0', actionId: 'z' }, 20);
      expect(ids(await journal.listExecutions())).toEqual(['e2/b', 'e0/z', 'e1/b', 'e1/a']);
      expect(ids(await journal.listExecutions({ order: 'newest' }))).toEqual(['e2/b', 'e0/z', 'e1/b', 'e1/a']);
      expect(ids(await journal.listExecutions({ order: 'oldest' }))).toEqual(['e1/a', 'e1/b', 'e0/z', 'e2/b']);
    });

    it('filters by executionId, statuses and definitionId, alone and together', async () => {
      const journal = await h.open();
      await make(journal, { executionId: 'e1', actionId: 'a' }, 10, 'pending', 'get-user');
      await make(journal, { executionId: 'e1', actionId: 'b' }, 20, 'completed', 'create-invoice');
      await make(journal, { executionId: 'e2', actionId: 'b' }, 30, 'failed', 'get-user');
      await make(journal, { executionId: 'e3', actionId: 'c' }, 40, 'running', 'get-user');
      const list = async (query: Parameters<Journal['listExecutions']>[0]) => ids(await journal.listExecutions({ order: 'oldest', ...query }));
      expect(await list({ executionId: 'e1' })).toEqual(['e1/a', 'e1/b']);
      expect(await list({ statuses: ['completed'] })).toEqual(['e1/b']);
      expect(await list({ statuses: ['pending', 'failed'] })).toEqual(['e1/a', 'e2/b']);
      expect(await list({ statuses: ['pending', 'failed'], executionId: 'e2' })).toEqual(['e2/b']);
      expect(await list({ statuses: [] })).toEqual([]);
      expect(await list({ definitionId: 'get-user' })).toEqual(['e1/a', 'e2/b', 'e3/c']);
      expect(await list({ definitionId: 'create-invoice', executionId: 'e1' })).toEqual(['e1/b']);
      expect(await list({ definitionId: 'unknown' })).toEqual([]);
      expect((await journal.listExecutions({ executionId: 'e1' })).records[0]?.definitionId).toBe('create-invoice');
    });

    it('filters by stateValues (a plan row\'s status), with the other filters and paging; total counts the matches', async () => {
      const journal = await h.open();
      const plans = [['p1', 'running'], ['p2', 'paused_for_confirmation'], ['p3', 'cancelled'], ['p4', 'paused_for_confirmation'], ['p5', 'failed']] as const;
      for (const [index, [executionId, stateValue]] of plans.entries()) {
        await createExecution(journal, { executionId, actionId: '@plan' }, index * 10, { definitionId: '@plan' });
        await journal.commit({ executionId, actionId: '@plan' }, [step(stateValue, { status: stateValue === 'running' || stateValue.startsWith('paused') ? 'running' : 'failed' })], null, index * 10 + 1);
      }
      await make(journal, { executionId: 'p2', actionId: 'order' }, 60, 'running');
      const page = async (query: Parameters<Journal['listExecutions']>[0]) => {
        const result = await journal.listExecutions(query);
        return { ids: result.records.map((r) => `${r.executionId}/${r.actionId}`), total: result.total };
      };
      expect(await page({ stateValues: ['paused_for_confirmation'] })).toEqual({ ids: ['p4/@plan', 'p2/@plan'], total: 2 });
      expect(await page({ stateValues: ['cancelled', 'running'], order: 'oldest' })).toEqual({ ids: ['p1/@plan', 'p3/@plan', 'p2/order'], total: 3 });
      // The journal status alone cannot tell a cancelled plan from a failed one, nor a paused one from a running one.
      expect(await page({ statuses: ['failed'], stateValues: ['failed'] })).toEqual({ ids: ['p5/@plan'], total: 1 });
      expect(await page({ statuses: ['running'], definitionId: '@plan', stateValues: ['running', 'paused_for_confirmation'], limit: 1, offset: 1 })).toEqual({ ids: ['p2/@plan'], total: 3 });
      expect(await page({ stateValues: [] })).toEqual({ ids: [], total: 0 });
    });

    it('search matches a substring of executionId, taking %, _ and \\ literally', async () => {
      const journal = await h.open();
      const names = ['order_1', 'order-1', 'orderX1', 'order%1', 'ord\\er', 'invoice-7', 'pre-order_1'];
      for (const [index, executionId] of names.entries()) await make(journal, { executionId, actionId: 'a' }, index);
      const search = async (text: string) => (await journal.listExecutions({ search: text, order: 'oldest' })).records.map((r) => r.executionId);
      expect(await search('order')).toEqual(['order_1', 'order-1', 'orderX1', 'order%1', 'pre-order_1']);
      expect(await search('_')).toEqual(['order_1', 'pre-order_1']);
      expect(await search('r_1')).toEqual(['order_1', 'pre-order_1']);
      expect(await search('%')).toEqual(['order%1']);
      expect(await search('r%1')).toEqual(['order%1']);
      expect(await search('\\')).toEqual(['ord\\er']);
      expect(await search('d\\e')).toEqual(['ord\\er']);
      expect(await search('-7')).toEqual(['invoice-7']);
      expect(await search('nothing')).toEqual([]);
    });

    it('limit and offset page the matches in order; total counts every match', async () => {
      const journal = await h.open();
      for (let i = 0; i < 7; i += 1) await make(journal, { executionId: `e${i}`, actionId: 'a' }, i * 10, i % 2 === 0 ? 'completed' : 'pending');
      const page = async (query: Parameters<Journal['listExecutions']>[0]) => {
        const result = await journal.listExecutions(query);
        return { ids: result.records.map((r) => r.executionId), total: result.total };
      };
      expect(await page({})).toEqual({ ids: ['e6', 'e5', 'e4', 'e3', 'e2', 'e1', 'e0'], total: 7 });
      expect(await page({ limit: 3 })).toEqual({ ids: ['e6', 'e5', 'e4'], total: 7 });
      expect(await page({ limit: 3, offset: 3 })).toEqual({ ids: ['e3', 'e2', 'e1'], total: 7 });
      expect(await page({ limit: 3, offset: 6 })).toEqual({ ids: ['e0'], total: 7 });
      expect(await page({ offset: 5 })).toEqual({ ids: ['e1', 'e0'], total: 7 });
      expect(await page({ limit: 3, offset: 9 })).toEqual({ ids: [], total: 7 });
      expect(await page({ statuses: ['completed'], limit: 2, offset: 1, order: 'oldest' })).toEqual({ ids: ['e2', 'e4'], total: 4 });
      expect(await page({ limit: 0 })).toEqual({ ids: [], total: 7 });
    });

    it('listUnfinished returns pending and running executions oldest first, never terminal ones', async () => {
      const journal = await h.open();
      const keys = ['c', 'a', 'b', 'd', 'e'].map((actionId) => ({ executionId: 'e', actionId }));
      for (const [index, key] of keys.entries()) await createExecution(journal, key, 100 - index);
      await journal.commit(keys[0]!, [step('requesting', { status: 'running' })], null, 200);
      await journal.commit(keys[1]!, [step('completed', { status: 'completed' })], null, 200);
      await journal.commit(keys[2]!, [step('failed', { status: 'failed' })], null, 200);
      await journal.commit(keys[3]!, [step('skipped', { status: 'skipped' })], null, 200);
      expect(await journal.listUnfinished()).toEqual([{ executionId: 'e', actionId: 'e' }, { executionId: 'e', actionId: 'c' }]);
      expect(await journal.listUnfinished(1)).toEqual([{ executionId: 'e', actionId: 'e' }]);
    });
  });
}
