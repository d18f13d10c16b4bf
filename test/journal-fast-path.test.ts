/**
 * The journal's fast paths that let the executor spend fewer transactions per action without
 * weakening anything: a new execution is created already leased, a terminal transition gives the
 * lease up in its own transaction, and every committed write transaction is counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { openJournal, type ExecutionKey, type Journal, type LeaseOwner } from '../storage/sqlite/sqlite-journal.ts';

const journals: Journal[] = [];
afterEach(() => {
  for (const journal of journals.splice(0)) journal.close();
});

function open(): Journal {
  const journal = openJournal(':memory:');
  journals.push(journal);
  return journal;
}

const KEY: ExecutionKey = { executionId: '7d1e0c8e-0000-4000-8000-000000000002', actionId: 'fetch-user' };
const ME: LeaseOwner = { id: 'me', pid: process.pid, host: hostname() };
const OTHER: LeaseOwner = { id: 'other', pid: process.pid, host: hostname() };

function create(journal: Journal, lease?: { owner: LeaseOwner; ttlMs: number }, now = 1000) {
  return journal.createExecution({
    ...KEY,
    requestHash: 'hash-1',
    request: { action: { id: KEY.actionId } },
    definition: { id: 'get-user' },
    machineVersion: '1',
    stateValue: 'created',
    snapshot: null,
    now,
    ...(lease ? { lease } : {}),
  });
}

function terminal(releaseLeaseOf?: string) {
  return {
    from: 'storing',
    to: 'completed',
    event: 'xstate.done.actor.store',
    snapshot: { value: 'completed' },
    stateValue: 'completed',
    status: 'completed' as const,
    attemptCount: 1,
    wakeAt: null,
    result: { status: 'completed' },
    now: 2000,
    ...(releaseLeaseOf === undefined ? {} : { releaseLeaseOf }),
  };
}

describe('journal fast paths', () => {
  it('createExecution with a lease creates the execution already leased, in one transaction', () => {
    const journal = open();
    const before = journal.transactionCount;
    const { created, record } = create(journal, { owner: ME, ttlMs: 30_000 });
    expect(created).toBe(true);
    expect(journal.transactionCount - before).toBe(1);
    expect(record.lease).toEqual({ ...ME, expiresAt: 31_000 });
    // Another owner is refused, exactly as after acquireLease.
    expect(journal.acquireLease(KEY, OTHER, 1500, 30_000)).toMatchObject({ acquired: false, heldBy: ME });
  });

  it('createExecution with a lease leaves an existing execution and its lease untouched', () => {
    const journal = open();
    create(journal, { owner: OTHER, ttlMs: 30_000 });
    const { created, record } = create(journal, { owner: ME, ttlMs: 30_000 }, 5000);
    expect(created).toBe(false);
    expect(record.lease).toEqual({ ...OTHER, expiresAt: 31_000 });
  });

  it('a terminal transition with releaseLeaseOf frees the lease in the same transaction', () => {
    const journal = open();
    create(journal, { owner: ME, ttlMs: 30_000 });
    const before = journal.transactionCount;
    journal.recordTransition(KEY, terminal(ME.id));
    expect(journal.transactionCount - before).toBe(1);
    expect(journal.get(KEY)).toMatchObject({ status: 'completed', lease: null });
  });

  it('releaseLeaseOf another owner leaves the lease where it is', () => {
    const journal = open();
    create(journal, { owner: OTHER, ttlMs: 30_000 });
    journal.recordTransition(KEY, terminal(ME.id));
    expect(journal.get(KEY)?.lease).toEqual({ ...OTHER, expiresAt: 31_000 });
  });

  it('transitions that keep or change the status both land, and status queries see the latest', () => {
    const journal = open();
    create(journal);
    const step = (to: string, status: 'running' | 'completed', now: number) =>
      journal.recordTransition(KEY, { ...terminal(), from: 'x', to, stateValue: to, status, now, snapshot: { value: to } });
    expect(step('resolving', 'running', 1100)).toBe(1);
    expect(step('validating', 'running', 1200)).toBe(2);
    expect(journal.get(KEY)).toMatchObject({ status: 'running', stateValue: 'validating', snapshot: { value: 'validating' }, updatedAt: 1200 });
    expect(journal.listExecutions({ statuses: ['running'] }).map((r) => r.stateValue)).toEqual(['validating']);
    expect(journal.listUnfinished()).toEqual([KEY]);
    expect(step('completed', 'completed', 1300)).toBe(3);
    expect(journal.listExecutions({ statuses: ['running'] })).toEqual([]);
    expect(journal.listUnfinished()).toEqual([]);
    expect(journal.listTransitions(KEY).map((t) => t.seq)).toEqual([1, 2, 3]);
  });

  it('transactionCount counts committed writes only, not reads or failed writes', () => {
    const journal = open();
    create(journal);
    const before = journal.transactionCount;
    journal.get(KEY);
    journal.listTransitions(KEY);
    expect(journal.transactionCount).toBe(before);
    expect(() => journal.recordTransition({ ...KEY, actionId: 'missing' }, terminal())).toThrow(/not in the journal/);
    expect(journal.transactionCount).toBe(before);
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: {}, now: 1 });
    expect(journal.transactionCount).toBe(before + 1);
  });
});
