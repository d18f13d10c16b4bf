/**
 * Issue 13 item 2, the library side. A lease held by a live process is refused with what the CLI needs
 * (LEASE_HELD, holder pid and host, expiry); `execute(request, { waitForLease })` waits for the holder
 * to end instead (the CLI's `--wait`), boundedly; and the journal gives a holder on this host that is
 * dying a short, bounded grace, so a resubmission right after a kill is not refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import { isActionError } from '../src/failure/errors.ts';
import { createManualClock, type ManualClock } from '../src/support/clock.ts';
import { openSqliteJournal, type SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { MACHINE_VERSION } from '../machines/action-execution.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';

let api: ScriptedApi;
let dir: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-lease-wait-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = { executionId: EXEC_ID, actionId: 'get_user' };
const request = () => executeRequest('get_user', 'get-user', { userId: 'u_1' });

/** An executor on the shared journal file with its own journal (its own owner and owner lock). */
function open(clock: ManualClock, graceMs = 5): { executor: ActionExecutor; journal: SqliteJournal } {
  const journal = openSqliteJournal(join(dir, 'journal.db'), { ownerExitGraceMs: graceMs });
  const executor = createActionExecutor({ db: journal, storageDir: join(dir, 'storage'), definitions: [definition(api.url)], clock });
  cleanups.push(async () => {
    await executor.close();
    await journal.close();
  });
  return { executor, journal };
}

/** A holder: an executor backing off (its clock does not move), holding the lease. */
async function holder(): Promise<{ clock: ManualClock; executor: ActionExecutor; journal: SqliteJournal; running: Promise<unknown> }> {
  api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const { executor, journal } = open(clock);
  const running = executor.execute(request());
  await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 5 });
  return { clock, executor, journal, running };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value).slice(0, 300)}`);
    },
    (error: unknown) => error,
  );
}

describe('a lease held by a live process', () => {
  it('is refused with LEASE_HELD carrying the holder pid, host and expiry (what the CLI prints for exit 4)', async () => {
    const a = await holder();
    const b = open(createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }));
    const error = await rejectionOf(b.executor.execute(request()));
    if (!isActionError(error)) throw error;
    expect(error.detail).toMatchObject({
      category: 'state_inconsistent',
      code: 'LEASE_HELD',
      retryable: true,
      context: { ...KEY, holderPid: String(process.pid), holderHost: hostname(), expiresAt: new Date(Date.UTC(2026, 0, 1) + 30_000).toISOString() },
    });
    // Exactly these fields, all strings: a schema-valid ErrorDetail (the whole execution record once leaked in here).
    expect(Object.keys(error.detail.context).sort()).toEqual(['actionId', 'executionId', 'expiresAt', 'holderHost', 'holderPid']);
    expect(ErrorDetailSchema.safeParse(error.detail).success).toBe(true);
    expect(api.hits).toHaveLength(1);
    a.clock.advance(100);
    await a.running;
  });

  it('waitForLease: waits while the holder lives, then returns the result the holder recorded without sending anything', async () => {
    const a = await holder();
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const b = open(clock);
    const waiting = b.executor.execute(request(), { waitForLease: 60_000 });
    // B polls on its clock: every 250 ms it asks again and is refused while A lives.
    for (let i = 0; i < 3; i += 1) {
      await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 2 });
      clock.advance(250);
    }
    a.clock.advance(100); // A's backoff ends; it finishes and releases the lease
    expect(await a.running).toMatchObject({ status: 'completed' });
    await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 2 });
    clock.advance(250);
    expect(await waiting).toMatchObject({ status: 'completed', attempts: 2, result: { status: 'success', output: { id: 'u_1' } } });
    expect(api.hits).toHaveLength(2);
  });

  it('waitForLease: still held when the time is up is LEASE_HELD with waitedMs; the wait is bounded by the executor clock', async () => {
    const a = await holder();
    const b = open(createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }));
    const error = await rejectionOf(b.executor.execute(request(), { waitForLease: 1000 }));
    if (!isActionError(error)) throw error;
    expect(error.detail).toMatchObject({ code: 'LEASE_HELD', context: { waitedMs: '1000' } });
    expect(error.detail.message).toContain('Waited 1000 ms');
    a.clock.advance(100);
    await a.running;
  });

  it('waitForLease: a holder that dies meanwhile (its owner lock released) is taken over, and the execution carries on', async () => {
    const a = await holder();
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const b = open(clock);
    const waiting = b.executor.execute(request(), { waitForLease: 60_000 });
    await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 2 });
    await a.journal.close(); // the holder's process is gone: its lock is free
    clock.advance(250); // B asks again: A is dead, B takes over; A's backoff is already over on B's clock
    expect(await waiting).toMatchObject({ status: 'completed', attempts: 2 });
    expect(api.hits).toHaveLength(2);
    // A, which "died", wakes to a closed journal: it can write nothing (its run just fails).
    a.clock.advance(100);
    expect(await rejectionOf(a.running)).toBeInstanceOf(Error);
  });

  it('a bad waitForLease is refused naming the option', async () => {
    const b = open(createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }));
    const error = await rejectionOf(b.executor.execute(request(), { waitForLease: -1 }));
    if (!isActionError(error)) throw error;
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_OPTION', context: { option: 'waitForLease', value: '-1' } });
  });
});

describe('owner-exit grace: a dying holder on this host', () => {
  /** Journal A holds the lease of a fresh execution; B will ask for it. */
  async function leasedBy(a: SqliteJournal): Promise<void> {
    await a.commit(KEY, [{ type: 'create', definitionId: 'get-user', requestHash: 'h', request: {}, definition: null, machineVersion: MACHINE_VERSION, stateValue: 'created', snapshot: null, leaseTtlMs: 30_000 }], null, 1000);
  }

  it('whose owner lock is released a few ms after the acquisition began is taken over, not refused', async () => {
    const a = openSqliteJournal(join(dir, 'journal.db'));
    const b = openSqliteJournal(join(dir, 'journal.db'), { ownerExitGraceMs: 1000 });
    cleanups.push(() => b.close());
    await leasedBy(a);
    // The kernel releases a killed process's lock a moment after its death is seen.
    const dying = new Promise<void>((resolve) => setTimeout(() => void a.close().then(resolve), 20));
    const lease = await b.acquireLease(KEY, 2000, 30_000);
    await dying;
    expect(lease).toMatchObject({ acquired: true, tookOverFrom: { id: a.owner.id }, reason: 'its process is gone (its owner lock was released)' });
  });

  it('that stays alive is refused once the grace is over; a holder on another host gets no grace', async () => {
    const a = openSqliteJournal(join(dir, 'journal.db'));
    cleanups.push(() => a.close());
    await leasedBy(a);
    const b = openSqliteJournal(join(dir, 'journal.db'), { ownerExitGraceMs: 50 });
    cleanups.push(() => b.close());
    const started = performance.now();
    expect(await b.acquireLease(KEY, 2000, 30_000)).toMatchObject({ acquired: false, heldBy: { id: a.owner.id, host: hostname() } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);

    a.db.prepare('UPDATE action_executions SET lease_owner_host = ?').run('elsewhere');
    const patient = openSqliteJournal(join(dir, 'journal.db'), { ownerExitGraceMs: 5000 });
    cleanups.push(() => patient.close());
    const again = performance.now();
    expect(await patient.acquireLease(KEY, 2000, 30_000)).toMatchObject({ acquired: false, heldBy: { host: 'elsewhere' } });
    expect(performance.now() - again).toBeLessThan(2500);
  });
});
