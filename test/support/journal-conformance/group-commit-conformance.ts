/**
 * Conformance: group commit (DESIGN §6 "Commit rule"). Commits of different executions issued in
 * the same tick share one database transaction, yet each stays its own unit: one that fails (a stale
 * fence) fails alone, and each caller resolves only once its own writes are committed and readable.
 */
import { describe, expect, it } from 'vitest';
import type { Fence } from '../../../storage/journal.ts';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';
import { KEY, createExecution, createLeased, keyOf, leased, step } from './journal-write-fixtures.ts';

/** Registers the group-commit and stats tests. */
export function describeGroupCommitConformance(h: ConformanceHarness): void {
  describe('group commit', () => {
    it('N commits for different executions issued in one tick land in one database commit; a stale-fence unit among them fails alone', async () => {
      const journal = await h.open();
      const keys = [1, 2, 3, 4, 5, 6].map(keyOf);
      const fences: Fence[] = [];
      for (const key of keys) fences.push(await createLeased(journal, key));
      const staleKey = keys[2]!;
      await leased(journal, staleKey, 1500); // a newer epoch: fences[2] is now stale
      const before = { ...journal.stats };
      const commits = keys.map((key, index) => journal.commit(key, [step('requesting'), { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: { n: index } }], fences[index]!, 2000));
      const settled = await Promise.allSettled(commits);
      expect(journal.stats.commits - before.commits).toBe(1);
      expect(journal.stats.writes - before.writes).toBe(keys.length - 1);
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((await rejectedActionError(commits[2]!)).detail.code).toBe('LEASE_LOST');
      for (const [index, key] of keys.entries()) {
        const landed = index !== 2;
        expect((await journal.listTransitions(key)).length).toBe(landed ? 1 : 0);
        expect(await journal.getAttempt(key, 1)).toEqual(landed ? expect.objectContaining({ state: 'in_flight', request: { n: index } }) : undefined);
      }
    });

    it("each caller's promise resolves only once its writes are readable from another journal on the same database (durability order)", async () => {
      const shared = h.database();
      const writer = await h.open({ shared });
      const reader = await h.open({ shared });
      const keys = [1, 2, 3, 4].map(keyOf);
      for (const key of keys) await createExecution(writer, key);
      const seen: (string | undefined)[] = [];
      await Promise.all(
        keys.map((key, index) =>
          writer.commit(key, [step(`state-${index}`)], null, 2000).then(async () => {
            seen[index] = (await reader.get(key))?.stateValue;
          }),
        ),
      );
      expect(seen).toEqual(keys.map((_, index) => `state-${index}`));
      // A chain: each commit is issued only after the previous one resolved, so each must see the last.
      let previous = 'state-0';
      for (const state of ['chain-1', 'chain-2', 'chain-3']) {
        expect((await reader.get(keys[0]!))?.stateValue).toBe(previous);
        await writer.commit(keys[0]!, [step(state)], null, 3000);
        previous = state;
      }
      expect((await reader.listTransitions(keys[0]!)).map((t) => t.to)).toEqual(['state-0', 'chain-1', 'chain-2', 'chain-3']);
    });

    it('stats count committed work only: reads and refused commits add nothing', async () => {
      const journal = await h.open();
      const fence = await createLeased(journal);
      const before = { ...journal.stats };
      await journal.get(KEY);
      await journal.listTransitions(KEY);
      await journal.listAttempts(KEY);
      await journal.getAttempt(KEY, 1);
      await journal.listExecutions();
      await journal.listUnfinished();
      await journal.pendingOutbox();
      await journal.listOutbox(KEY);
      expect(journal.stats).toEqual(before);
      expect((await rejectedActionError(journal.commit({ ...KEY, actionId: 'missing' }, [step('validating')], null, 2))).detail.code).toBe('EXECUTION_NOT_FOUND');
      expect((await rejectedActionError(journal.commit(KEY, [step('validating')], { ...fence, epoch: fence.epoch + 1 }, 2))).detail.code).toBe('LEASE_LOST');
      expect(journal.stats).toEqual(before);
      await journal.commit(KEY, [{ type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: {} }], fence, 3);
      expect(journal.stats).toEqual({ commits: before.commits + 1, writes: before.writes + 1 });
    });

    it('close finishes the commits still pending, then closes', async () => {
      const shared = h.database();
      const journal = await h.open({ shared });
      await createExecution(journal);
      const pending = journal.commit(KEY, [step('validating')], null, 2);
      await h.close(journal);
      await pending;
      const reopened = await h.open({ shared });
      expect((await reopened.listTransitions(KEY)).map((t) => t.to)).toEqual(['validating']);
    });

    it('a commit after close is refused, naming the journal, and writes nothing', async () => {
      const shared = h.database();
      const journal = await h.open({ shared });
      await createExecution(journal);
      await h.close(journal);
      await expect(journal.commit(KEY, [step('validating')], null, 2)).rejects.toThrow(journal.location);
      const reopened = await h.open({ shared });
      expect(await reopened.listTransitions(KEY)).toEqual([]);
    });
  });
}
