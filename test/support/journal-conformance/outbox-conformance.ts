/**
 * Conformance: the outbox (DESIGN §6 "Events"). Terminal transitions write events in their own
 * commit; delivery happens later and at least once, so pending events survive restarts and a second
 * delivery of the same event changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Journal } from '../../../storage/journal.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, step } from './journal-write-fixtures.ts';

/** Creates KEY and commits `count` transitions that each write one event; returns the events' ids, oldest first. */
async function withEvents(journal: Journal, count: number): Promise<number[]> {
  await createExecution(journal);
  for (let i = 0; i < count; i += 1) {
    await journal.commit(KEY, [step(`s${i}`, { outbox: { type: i % 2 === 0 ? 'action.execute.completed' : 'action.execute.failed', payload: { n: i } } })], null, 10 + i);
  }
  return (await journal.listOutbox(KEY)).map((event) => event.id);
}

/** Registers the outbox tests. */
export function describeOutboxConformance(h: ConformanceHarness): void {
  describe('outbox', () => {
    it('pendingOutbox lists undelivered events oldest first; a delivered event leaves the list', async () => {
      const journal = await h.open();
      const ids = await withEvents(journal, 3);
      expect(ids).toHaveLength(3);
      expect((await journal.pendingOutbox()).map((e) => [e.type, e.payload, e.createdAt])).toEqual([
        ['action.execute.completed', { n: 0 }, 10],
        ['action.execute.failed', { n: 1 }, 11],
        ['action.execute.completed', { n: 2 }, 12],
      ]);
      expect((await journal.pendingOutbox(2)).map((e) => e.id)).toEqual(ids.slice(0, 2));
      await journal.markDelivered(ids[1]!, 500);
      expect((await journal.pendingOutbox()).map((e) => e.id)).toEqual([ids[0], ids[2]]);
      expect((await journal.listOutbox(KEY)).find((e) => e.id === ids[1])).toMatchObject({ deliveredAt: 500, deliveries: 1, lastError: null });
    });

    it('pendingOutbox spans executions, oldest event first; listOutbox holds one execution\'s events', async () => {
      const journal = await h.open();
      const other = { ...KEY, actionId: 'other' };
      await createExecution(journal);
      await createExecution(journal, other);
      await journal.commit(other, [step('completed', { status: 'completed', outbox: { type: 'action.execute.completed', payload: { who: 'other' } } })], null, 5);
      await journal.commit(KEY, [step('failed', { status: 'failed', outbox: { type: 'action.execute.failed', payload: { who: 'key' } } })], null, 6);
      expect((await journal.pendingOutbox()).map((e) => [e.actionId, e.payload])).toEqual([['other', { who: 'other' }], [KEY.actionId, { who: 'key' }]]);
      expect((await journal.listOutbox(other)).map((e) => e.payload)).toEqual([{ who: 'other' }]);
    });

    it('a failed delivery is counted with its error and the event stays pending until delivered', async () => {
      const journal = await h.open();
      const [id] = await withEvents(journal, 1);
      await journal.recordDeliveryFailure(id!, 'listener threw: ECONNREFUSED', 100);
      await journal.recordDeliveryFailure(id!, 'listener threw: timeout', 200);
      expect(await journal.pendingOutbox()).toMatchObject([{ id, deliveries: 2, lastError: 'listener threw: timeout', deliveredAt: null }]);
      await journal.markDelivered(id!, 300);
      expect(await journal.pendingOutbox()).toEqual([]);
      expect(await journal.listOutbox(KEY)).toMatchObject([{ id, deliveries: 3, deliveredAt: 300, lastError: 'listener threw: timeout' }]);
    });

    it('an event delivered twice (two processes delivered it) counts one delivery; a late failure changes nothing', async () => {
      const journal = await h.open();
      const [id] = await withEvents(journal, 1);
      await journal.markDelivered(id!, 100);
      await journal.markDelivered(id!, 200);
      await journal.recordDeliveryFailure(id!, 'late failure', 300);
      expect(await journal.listOutbox(KEY)).toMatchObject([{ deliveries: 1, deliveredAt: 100, lastError: null }]);
    });

    it('undelivered events survive close and reopen, so delivery is retried (at least once)', async () => {
      const shared = h.database();
      const first = await h.open({ shared });
      const ids = await withEvents(first, 2);
      await first.markDelivered(ids[0]!, 50);
      await first.recordDeliveryFailure(ids[1]!, 'down', 60);
      await h.close(first);
      const second = await h.open({ shared });
      expect(await second.pendingOutbox()).toMatchObject([{ id: ids[1], payload: { n: 1 }, deliveries: 1, lastError: 'down' }]);
    });
  });
}
