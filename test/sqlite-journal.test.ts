import { describe, it, expect, afterEach } from 'vitest';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { thrownActionError } from './support/thrown.ts';
import { openJournal, type ExecutionKey, type Journal, type JournalOptions } from '../storage/sqlite/sqlite-journal.ts';
import { JOURNAL_MIGRATIONS, migrate, type Migration } from '../storage/sqlite/sqlite-migrations.ts';
import { decideLease } from '../storage/lease.ts';
import { takeToken } from '../storage/token-bucket.ts';

const CHILD = fileURLToPath(new URL('./fixtures/journal-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(path = ':memory:', opts: JournalOptions = {}): Journal {
  const journal = openJournal(path, opts);
  cleanups.push(() => journal.close());
  return journal;
}

const catchActionError = thrownActionError;

const KEY: ExecutionKey = { executionId: '7d1e0c8e-0000-4000-8000-000000000001', actionId: 'fetch-user' };

function create(journal: Journal, key: ExecutionKey = KEY, now = 1000, extra: { request?: unknown; requestHash?: string } = {}) {
  return journal.createExecution({
    ...key,
    requestHash: extra.requestHash ?? 'hash-1',
    request: extra.request ?? { action: { id: key.actionId }, inputs: { userId: '42' } },
    definition: { id: 'get-user', version: '1.0.0' },
    machineVersion: 'action-execution@1',
    stateValue: 'resolving',
    snapshot: { value: 'resolving', context: { attempt: 0 } },
    now,
  });
}

function step(to: string, now: number, more: Partial<Parameters<Journal['recordTransition']>[1]> = {}): Parameters<Journal['recordTransition']>[1] {
  return { from: 'resolving', to, event: `go.${to}`, snapshot: { value: to }, stateValue: to, status: 'running', attemptCount: 0, wakeAt: null, now, ...more };
}

describe('journal migrations', () => {
  it('a new journal applies every migration once, in order, under its name', () => {
    const journal = open();
    const rows = journal.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(JOURNAL_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = journal.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['action_executions', 'transitions', 'http_attempts', 'outbox', 'rate_buckets', 'schema_migrations']));
  });

  it('reopening an up-to-date journal applies nothing and records nothing twice', () => {
    const file = join(tempDir(), 'journal.db');
    openJournal(file).close();
    const journal = open(file);
    expect(migrate(journal.db, { file, now: 5 })).toEqual([]);
    const count = journal.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get();
    expect(count).toBe(JOURNAL_MIGRATIONS.length);
  });

  it('applies only the missing migrations, in version order', () => {
    const db = new Database(':memory:');
    cleanups.push(() => db.close());
    const order: number[] = [];
    const make = (version: number): Migration => ({
      version,
      name: `m${version}`,
      up: (conn) => {
        order.push(version);
        conn.exec(`CREATE TABLE t${version} (x)`);
      },
    });
    expect(migrate(db, { file: ':memory:', now: 1, migrations: [make(1), make(2)] })).toEqual([1, 2]);
    expect(migrate(db, { file: ':memory:', now: 2, migrations: [make(1), make(2), make(3)] })).toEqual([3]);
    expect(order).toEqual([1, 2, 3]);
    expect(db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').raw().all()).toEqual([[1, 1], [2, 1], [3, 2]]);
  });

  it('a failing migration rolls back its own changes and is not recorded', () => {
    const db = new Database(':memory:');
    cleanups.push(() => db.close());
    const first: Migration = { version: 1, name: 'one', up: 'CREATE TABLE one (x)' };
    const broken: Migration = { version: 2, name: 'two', up: 'CREATE TABLE two (x); INSERT INTO missing_table VALUES (1);' };
    expect(() => migrate(db, { file: ':memory:', now: 1, migrations: [first, broken] })).toThrow(/missing_table/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'two'").get()).toBeUndefined();
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
    const fixed: Migration = { version: 2, name: 'two', up: 'CREATE TABLE two (x)' };
    expect(migrate(db, { file: ':memory:', now: 2, migrations: [first, fixed] })).toEqual([2]);
  });

  it('refuses a journal written by a newer build, naming the file and both versions', () => {
    const file = join(tempDir(), 'journal.db');
    openJournal(file).close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(JOURNAL_MIGRATIONS.length + 1, 'from_the_future', 1);
    raw.close();
    const error = catchActionError(() => openJournal(file));
    expect(error.detail.code).toBe('JOURNAL_VERSION_TOO_NEW');
    expect(error.detail.category).toBe('state_inconsistent');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`schema version ${JOURNAL_MIGRATIONS.length + 1} ("from_the_future")`);
    expect(error.message).toContain(`knows versions up to ${JOURNAL_MIGRATIONS.length}`);
    expect(error.detail.suggestion).toMatch(/Upgrade action-executor/);
  });

  it('refuses a journal whose recorded migration names differ from this build', () => {
    const file = join(tempDir(), 'journal.db');
    openJournal(file).close();
    const raw = new Database(file);
    raw.prepare('UPDATE schema_migrations SET name = ? WHERE version = 1').run('someone_elses_schema');
    raw.close();
    const error = catchActionError(() => openJournal(file));
    expect(error.detail.code).toBe('JOURNAL_MIGRATION_MISMATCH');
    expect(error.message).toContain('"someone_elses_schema"');
  });

  it('rejects a migration list with a gap before touching the database', () => {
    const db = new Database(':memory:');
    cleanups.push(() => db.close());
    const error = catchActionError(() => migrate(db, { file: ':memory:', now: 1, migrations: [{ version: 1, name: 'a', up: '' }, { version: 3, name: 'c', up: '' }] }));
    expect(error.detail.code).toBe('JOURNAL_MIGRATIONS_MALFORMED');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()).toBeUndefined();
  });

  it('opens files in WAL mode with synchronous=NORMAL, foreign keys and the requested busy timeout', () => {
    const journal = open(join(tempDir(), 'nested', 'dir', 'journal.db'), { busyTimeoutMs: 1234 });
    expect(journal.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(journal.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(journal.db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('a file that is not a SQLite database fails with JOURNAL_OPEN_FAILED naming the path', () => {
    const file = join(tempDir(), 'not-a-db.db');
    writeFileSync(file, 'this is a text file, not a database '.repeat(200));
    const error = catchActionError(() => openJournal(file));
    expect(error.detail.code).toBe('JOURNAL_OPEN_FAILED');
    expect(error.message).toBe(`Cannot open the journal ${file}: file is not a database.`);
  });
});

describe('journal executions', () => {
  it('createExecution inserts once; a second call returns the stored record and overwrites nothing', () => {
    const journal = open();
    const first = create(journal, KEY, 1000);
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ ...KEY, status: 'pending', stateValue: 'resolving', attemptCount: 0, createdAt: 1000, updatedAt: 1000, result: null, lease: null });
    const again = create(journal, KEY, 2000, { requestHash: 'different-hash', request: { changed: true } });
    expect(again.created).toBe(false);
    expect(again.record).toEqual(first.record);
  });

  it('get returns undefined for an execution never created', () => {
    expect(open().get({ executionId: 'nope', actionId: 'nope' })).toBeUndefined();
  });

  it('JSON columns are TEXT written by JSON.stringify and read back equal', () => {
    const journal = open();
    const request = { inputs: { name: 'Zoë 🚀', n: 1.5, list: [1, null, { deep: true }] }, empty: {} };
    create(journal, KEY, 1, { request });
    expect(journal.get(KEY)?.request).toEqual(request);
    const raw = journal.db.prepare('SELECT typeof(request_json) AS type, request_json AS text FROM action_executions').get() as { type: string; text: string };
    expect(raw).toEqual({ type: 'text', text: JSON.stringify(request) });
  });

  it('a value with no JSON form is refused with the field named, before anything is written', () => {
    const journal = open();
    create(journal);
    const error = catchActionError(() => journal.recordTransition(KEY, step('validating', 2, { snapshot: undefined })));
    expect(error.detail.code).toBe('JOURNAL_VALUE_NOT_JSON');
    expect(error.message).toBe(`Cannot journal snapshot of execution ${KEY.executionId} / action ${KEY.actionId}: the value (undefined) has no JSON form.`);
    expect(journal.listTransitions(KEY)).toEqual([]);
  });

  it('listExecutions filters by executionId and status, oldest first, with a limit', () => {
    const journal = open();
    create(journal, { executionId: 'e2', actionId: 'b' }, 30);
    create(journal, { executionId: 'e1', actionId: 'a' }, 10);
    create(journal, { executionId: 'e1', actionId: 'b' }, 20);
    journal.recordTransition({ executionId: 'e1', actionId: 'b' }, step('completed', 40, { status: 'completed' }));
    const ids = (list: { executionId: string; actionId: string }[]) => list.map((r) => `${r.executionId}/${r.actionId}`);
    expect(ids(journal.listExecutions())).toEqual(['e1/a', 'e1/b', 'e2/b']);
    expect(ids(journal.listExecutions({ executionId: 'e1' }))).toEqual(['e1/a', 'e1/b']);
    expect(ids(journal.listExecutions({ statuses: ['completed'] }))).toEqual(['e1/b']);
    expect(ids(journal.listExecutions({ statuses: ['pending', 'failed'], executionId: 'e2' }))).toEqual(['e2/b']);
    expect(ids(journal.listExecutions({ limit: 2 }))).toEqual(['e1/a', 'e1/b']);
  });

  it('listUnfinished returns pending and running executions oldest first, never terminal ones', () => {
    const journal = open();
    const keys = ['c', 'a', 'b', 'd', 'e'].map((actionId) => ({ executionId: 'e', actionId }));
    keys.forEach((key, index) => create(journal, key, 100 - index));
    journal.recordTransition(keys[0]!, step('requesting', 200, { status: 'running' }));
    journal.recordTransition(keys[1]!, step('completed', 200, { status: 'completed' }));
    journal.recordTransition(keys[2]!, step('failed', 200, { status: 'failed' }));
    journal.recordTransition(keys[3]!, step('skipped', 200, { status: 'skipped' }));
    expect(journal.listUnfinished()).toEqual([{ executionId: 'e', actionId: 'e' }, { executionId: 'e', actionId: 'c' }]);
    expect(journal.listUnfinished(1)).toEqual([{ executionId: 'e', actionId: 'e' }]);
  });
});

describe('journal transitions', () => {
  it('seq starts at 1 and increases by one per execution, independently for each key', () => {
    const journal = open();
    const other = { ...KEY, actionId: 'other' };
    create(journal);
    create(journal, other);
    expect(journal.recordTransition(KEY, step('validating', 2))).toBe(1);
    expect(journal.recordTransition(KEY, step('requesting', 3))).toBe(2);
    expect(journal.recordTransition(other, step('validating', 4))).toBe(1);
    expect(journal.recordTransition(KEY, step('classifying', 5))).toBe(3);
    expect(journal.listTransitions(KEY).map((t) => [t.seq, t.to, t.at])).toEqual([[1, 'validating', 2], [2, 'requesting', 3], [3, 'classifying', 5]]);
  });

  it('a transition updates the execution row; an absent result keeps the stored one and null clears it', () => {
    const journal = open();
    create(journal);
    journal.recordTransition(KEY, step('storing', 50, { status: 'running', attemptCount: 2, wakeAt: 999, result: { output: { id: '1' } } }));
    journal.recordTransition(KEY, step('backingOff', 60, { attemptCount: 3, wakeAt: 1234, snapshot: { value: 'backingOff', context: { nextAttemptAt: 1234 } } }));
    expect(journal.get(KEY)).toMatchObject({
      status: 'running', stateValue: 'backingOff', attemptCount: 3, wakeAt: 1234, updatedAt: 60, createdAt: 1000,
      result: { output: { id: '1' } }, snapshot: { value: 'backingOff', context: { nextAttemptAt: 1234 } },
    });
    journal.recordTransition(KEY, step('requesting', 70, { result: null }));
    expect(journal.get(KEY)?.result).toBeNull();
  });

  it('the terminal transition writes its outbox event in the same transaction', () => {
    const journal = open();
    create(journal);
    const seq = journal.recordTransition(KEY, step('completed', 80, { status: 'completed', result: { ok: true }, outbox: { type: 'action.execute.completed', payload: { actionId: KEY.actionId } } }));
    expect(seq).toBe(1);
    expect(journal.pendingOutbox()).toEqual([{ id: 1, ...KEY, type: 'action.execute.completed', payload: { actionId: KEY.actionId }, createdAt: 80, deliveries: 0, lastError: null, deliveredAt: null }]);
  });

  it('a failing step inside recordTransition rolls back everything (outbox CHECK violated last)', () => {
    const journal = open();
    create(journal);
    journal.recordTransition(KEY, step('validating', 2));
    const before = journal.get(KEY);
    // An empty event type violates the outbox CHECK constraint: the third write of the transaction.
    expect(() => journal.recordTransition(KEY, step('completed', 3, { status: 'completed', result: { ok: 1 }, outbox: { type: '', payload: {} } }))).toThrow(/CHECK constraint failed/);
    expect(journal.get(KEY)).toEqual(before);
    expect(journal.listTransitions(KEY).map((t) => t.seq)).toEqual([1]);
    expect(journal.pendingOutbox()).toEqual([]);
    expect(journal.recordTransition(KEY, step('completed', 4, { status: 'completed' }))).toBe(2);
  });

  it('a status the schema does not know is refused by the CHECK constraint and nothing is appended', () => {
    const journal = open();
    create(journal);
    expect(() => journal.recordTransition(KEY, step('weird', 2, { status: 'exploded' as never }))).toThrow(/CHECK constraint failed/);
    expect(journal.listTransitions(KEY)).toEqual([]);
    expect(journal.get(KEY)?.status).toBe('pending');
  });

  it('a transition for an execution never created fails with EXECUTION_NOT_FOUND and writes nothing', () => {
    const journal = open();
    const error = catchActionError(() => journal.recordTransition(KEY, step('validating', 2)));
    expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
    expect(error.message).toBe(`recordTransition resolving → validating: execution ${KEY.executionId} / action ${KEY.actionId} is not in the journal :memory:.`);
    expect(journal.db.prepare('SELECT COUNT(*) FROM transitions').pluck().get()).toBe(0);
  });
});

describe('journal http attempts (write-ahead)', () => {
  it('beginAttempt commits the intent as in_flight; finishAttempt records the outcome', () => {
    const journal = open();
    create(journal);
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: 'idem-abc', request: { method: 'POST', url: 'http://127.0.0.1/x' }, now: 10 });
    expect(journal.getAttempt(KEY, 1)).toEqual({ attempt: 1, idempotencyKey: 'idem-abc', state: 'in_flight', request: { method: 'POST', url: 'http://127.0.0.1/x' }, outcome: null, startedAt: 10, finishedAt: null });
    expect(journal.finishAttempt(KEY, 1, { state: 'responded', outcome: { status: 201 }, now: 25 })).toBe(true);
    expect(journal.getAttempt(KEY, 1)).toMatchObject({ state: 'responded', outcome: { status: 201 }, finishedAt: 25 });
  });

  it('re-calling beginAttempt for an in_flight attempt is a no-op that keeps the first intent', () => {
    const journal = open();
    create(journal);
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: { first: true }, now: 10 });
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: 'later', request: { second: true }, now: 99 });
    expect(journal.listAttempts(KEY)).toEqual([{ attempt: 1, idempotencyKey: null, state: 'in_flight', request: { first: true }, outcome: null, startedAt: 10, finishedAt: null }]);
  });

  it('beginAttempt for an attempt that already has an outcome is refused (ATTEMPT_ALREADY_FINISHED)', () => {
    const journal = open();
    create(journal);
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: {}, now: 10 });
    journal.finishAttempt(KEY, 1, { state: 'failed', outcome: { code: 'CONNECTION_RESET' }, now: 11 });
    const error = catchActionError(() => journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: {}, now: 12 }));
    expect(error.detail.code).toBe('ATTEMPT_ALREADY_FINISHED');
    expect(error.message).toContain('already finished (failed)');
    expect(journal.getAttempt(KEY, 1)?.state).toBe('failed');
  });

  it('a second finishAttempt returns false and keeps the first outcome', () => {
    const journal = open();
    create(journal);
    journal.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: {}, now: 10 });
    journal.finishAttempt(KEY, 1, { state: 'responded', outcome: { status: 200 }, now: 11 });
    expect(journal.finishAttempt(KEY, 1, { state: 'failed', outcome: { code: 'CANCELLED' }, now: 12 })).toBe(false);
    expect(journal.getAttempt(KEY, 1)).toMatchObject({ state: 'responded', outcome: { status: 200 }, finishedAt: 11 });
  });

  it('finishing an attempt that was never begun is refused (ATTEMPT_NOT_STARTED)', () => {
    const journal = open();
    create(journal);
    const error = catchActionError(() => journal.finishAttempt(KEY, 4, { state: 'responded', outcome: {}, now: 1 }));
    expect(error.detail.code).toBe('ATTEMPT_NOT_STARTED');
    expect(error.message).toContain('attempt 4');
    expect(journal.listAttempts(KEY)).toEqual([]);
  });

  it('beginAttempt for an unknown execution fails with EXECUTION_NOT_FOUND', () => {
    const error = catchActionError(() => open().beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: {}, now: 1 }));
    expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
  });

  it('an in_flight intent survives a close and reopen: the outcome is visibly in doubt', () => {
    const file = join(tempDir(), 'journal.db');
    const first = openJournal(file);
    create(first);
    first.beginAttempt(KEY, { attempt: 1, idempotencyKey: null, request: { method: 'POST' }, now: 10 });
    first.beginAttempt(KEY, { attempt: 2, idempotencyKey: null, request: { method: 'POST' }, now: 20 });
    first.finishAttempt(KEY, 1, { state: 'failed', outcome: { code: 'CONNECTION_RESET' }, now: 15 });
    first.close();
    const second = open(file);
    expect(second.listAttempts(KEY).map((a) => [a.attempt, a.state, a.outcome])).toEqual([[1, 'failed', { code: 'CONNECTION_RESET' }], [2, 'in_flight', null]]);
  });
});

describe('journal lease (single writer)', () => {
  const me = { id: 'owner-me', pid: 1111, host: 'host-a' };
  const other = { id: 'owner-other', pid: 2222, host: 'host-a' };

  function leaseJournal(alive: (pid: number) => boolean = () => true): { journal: Journal; probed: number[] } {
    const probed: number[] = [];
    const journal = open(':memory:', { hostname: 'host-a', isProcessAlive: (pid) => (probed.push(pid), alive(pid)) });
    create(journal);
    return { journal, probed };
  }

  it('a free lease is acquired and recorded with its expiry', () => {
    const { journal } = leaseJournal();
    expect(journal.acquireLease(KEY, me, 1000, 30_000)).toEqual({ acquired: true });
    expect(journal.get(KEY)?.lease).toEqual({ ...me, expiresAt: 31_000 });
  });

  it('re-acquiring our own lease extends it without reporting a takeover', () => {
    const { journal } = leaseJournal();
    journal.acquireLease(KEY, me, 1000, 30_000);
    expect(journal.acquireLease(KEY, me, 5000, 30_000)).toEqual({ acquired: true });
    expect(journal.get(KEY)?.lease?.expiresAt).toBe(35_000);
  });

  it('a lease held by a live process is refused, saying who holds it and until when', () => {
    const { journal, probed } = leaseJournal(() => true);
    journal.acquireLease(KEY, other, 1000, 30_000);
    expect(journal.acquireLease(KEY, me, 2000, 30_000)).toEqual({ acquired: false, heldBy: other, expiresAt: 31_000 });
    expect(probed).toEqual([other.pid]);
    expect(journal.get(KEY)?.lease?.id).toBe(other.id);
  });

  it('an expired lease is taken over (at expiresAt exactly) and the previous owner is reported', () => {
    const { journal } = leaseJournal(() => true);
    journal.acquireLease(KEY, other, 1000, 30_000);
    expect(journal.acquireLease(KEY, me, 30_999, 10_000).acquired).toBe(false);
    expect(journal.acquireLease(KEY, me, 31_000, 10_000)).toEqual({ acquired: true, tookOverFrom: other });
    expect(journal.get(KEY)?.lease).toEqual({ ...me, expiresAt: 41_000 });
  });

  it('a lease of a dead process on this host is taken over at once, long before it expires', () => {
    const { journal, probed } = leaseJournal((pid) => pid !== other.pid);
    journal.acquireLease(KEY, other, 1000, 600_000);
    expect(journal.acquireLease(KEY, me, 1001, 30_000)).toEqual({ acquired: true, tookOverFrom: other });
    expect(probed).toEqual([other.pid]);
  });

  it('a holder on another host is never presumed dead from its pid', () => {
    const { journal, probed } = leaseJournal(() => false);
    const remote = { id: 'remote', pid: 3333, host: 'host-b' };
    journal.acquireLease(KEY, remote, 1000, 30_000);
    expect(journal.acquireLease(KEY, me, 2000, 30_000)).toEqual({ acquired: false, heldBy: remote, expiresAt: 31_000 });
    expect(probed).toEqual([]);
  });

  it('renewLease extends our lease, and returns false once someone else took it over', () => {
    const { journal } = leaseJournal(() => true);
    journal.acquireLease(KEY, me, 1000, 10_000);
    expect(journal.renewLease(KEY, me.id, 5000, 10_000)).toBe(true);
    expect(journal.get(KEY)?.lease?.expiresAt).toBe(15_000);
    journal.acquireLease(KEY, other, 15_000, 10_000);
    expect(journal.renewLease(KEY, me.id, 15_001, 10_000)).toBe(false);
    expect(journal.get(KEY)?.lease).toEqual({ ...other, expiresAt: 25_000 });
  });

  it('releaseLease frees the lease for its owner only', () => {
    const { journal } = leaseJournal(() => true);
    journal.acquireLease(KEY, me, 1000, 10_000);
    journal.releaseLease(KEY, other.id);
    expect(journal.get(KEY)?.lease?.id).toBe(me.id);
    journal.releaseLease(KEY, me.id);
    expect(journal.get(KEY)?.lease).toBeNull();
    expect(journal.acquireLease(KEY, other, 1001, 10_000)).toEqual({ acquired: true });
  });

  it('acquiring the lease of an unknown execution fails with EXECUTION_NOT_FOUND', () => {
    const error = catchActionError(() => open().acquireLease(KEY, me, 1, 1));
    expect(error.detail.code).toBe('EXECUTION_NOT_FOUND');
  });

  it('decideLease: property — a lease is only ever refused to a different owner, before expiry, of a live or remote holder', () => {
    const owner = fc.record({ id: fc.constantFrom('a', 'b', 'c'), pid: fc.integer({ min: 1, max: 5 }), host: fc.constantFrom('h1', 'h2') });
    fc.assert(
      fc.property(fc.option(fc.record({ owner, expiresAt: fc.integer({ min: 0, max: 100 }) })), owner, fc.integer({ min: 0, max: 100 }), fc.func(fc.boolean()), (held, claimant, now, alive) => {
        const current = held === null ? null : { ...held.owner, expiresAt: held.expiresAt };
        const decision = decideLease(current, claimant, now, { host: 'h1', isProcessAlive: (pid) => alive(pid) });
        if (!decision.take) {
          expect(current).not.toBeNull();
          expect(current!.id).not.toBe(claimant.id);
          expect(current!.expiresAt).toBeGreaterThan(now);
          expect(current!.host !== 'h1' || alive(current!.pid)).toBe(true);
        } else if (decision.tookOverFrom !== undefined) {
          expect(decision.tookOverFrom.id).not.toBe(claimant.id);
        }
      }),
    );
  });
});

describe('journal outbox', () => {
  function withEvents(journal: Journal, count: number): number[] {
    create(journal);
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) {
      journal.recordTransition(KEY, step(`s${i}`, 10 + i, { outbox: { type: i % 2 === 0 ? 'action.execute.completed' : 'action.execute.failed', payload: { n: i } } }));
      ids.push(...journal.pendingOutbox().map((e) => e.id).filter((id) => !ids.includes(id)));
    }
    return ids;
  }

  it('pendingOutbox lists undelivered events oldest first; a delivered event leaves the list', () => {
    const journal = open();
    const ids = withEvents(journal, 3);
    expect(journal.pendingOutbox().map((e) => e.payload)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(journal.pendingOutbox(2).map((e) => e.id)).toEqual(ids.slice(0, 2));
    journal.markDelivered(ids[1]!, 500);
    expect(journal.pendingOutbox().map((e) => e.id)).toEqual([ids[0], ids[2]]);
    expect(journal.listOutbox(KEY).find((e) => e.id === ids[1])).toMatchObject({ deliveredAt: 500, deliveries: 1 });
  });

  it('a failed delivery is counted with its error and the event stays pending until delivered', () => {
    const journal = open();
    const [id] = withEvents(journal, 1);
    journal.recordDeliveryFailure(id!, 'listener threw: ECONNREFUSED', 100);
    journal.recordDeliveryFailure(id!, 'listener threw: timeout', 200);
    expect(journal.pendingOutbox()).toMatchObject([{ id, deliveries: 2, lastError: 'listener threw: timeout' }]);
    journal.markDelivered(id!, 300);
    expect(journal.pendingOutbox()).toEqual([]);
    expect(journal.listOutbox(KEY)).toMatchObject([{ id, deliveries: 3, deliveredAt: 300, lastError: 'listener threw: timeout' }]);
  });

  it('marking an event delivered twice (two processes delivered it) counts one delivery', () => {
    const journal = open();
    const [id] = withEvents(journal, 1);
    journal.markDelivered(id!, 100);
    journal.markDelivered(id!, 200);
    journal.recordDeliveryFailure(id!, 'late failure', 300);
    expect(journal.listOutbox(KEY)).toMatchObject([{ deliveries: 1, deliveredAt: 100, lastError: null }]);
  });

  it('undelivered events survive a restart, so delivery is retried (at least once)', () => {
    const file = join(tempDir(), 'journal.db');
    const first = openJournal(file);
    withEvents(first, 2);
    first.markDelivered(1, 50);
    first.close();
    expect(open(file).pendingOutbox().map((e) => e.payload)).toEqual([{ n: 1 }]);
  });
});

describe('journal rate-limit token bucket', () => {
  it('capacity requests burst at once, then the wait is exactly the time to refill one token', () => {
    const journal = open();
    const take = (now: number) => journal.takeRateToken('global:get-user', 3, 3000, now);
    expect([take(0), take(0), take(0)]).toEqual([{ granted: true }, { granted: true }, { granted: true }]);
    expect(take(0)).toEqual({ granted: false, waitMs: 1000 });
    expect(take(999)).toEqual({ granted: false, waitMs: 1 });
    expect(take(1000)).toEqual({ granted: true });
    expect(take(1000)).toEqual({ granted: false, waitMs: 1000 });
  });

  it('refills continuously and never above capacity after a long idle period', () => {
    const journal = open();
    const take = (now: number) => journal.takeRateToken('b', 4, 1000, now);
    for (let i = 0; i < 4; i += 1) take(0);
    expect(take(125)).toEqual({ granted: false, waitMs: 125 }); // 0.5 token after 125 ms at 4/s
    expect(take(250)).toEqual({ granted: true });
    const grants = Array.from({ length: 6 }, () => take(1_000_000)).filter((r) => r.granted).length;
    expect(grants).toBe(4);
  });

  it('buckets are independent and durable across close and reopen', () => {
    const file = join(tempDir(), 'journal.db');
    const first = openJournal(file);
    expect(first.takeRateToken('user:alice', 1, 60_000, 0)).toEqual({ granted: true });
    first.close();
    const second = open(file);
    expect(second.takeRateToken('user:alice', 1, 60_000, 30_000)).toEqual({ granted: false, waitMs: 30_000 });
    expect(second.takeRateToken('user:bob', 1, 60_000, 30_000)).toEqual({ granted: true });
  });

  it('a clock that moves backwards adds no tokens', () => {
    const journal = open();
    journal.takeRateToken('b', 1, 1000, 10_000);
    expect(journal.takeRateToken('b', 1, 1000, 5_000)).toEqual({ granted: false, waitMs: 1000 });
    expect(journal.takeRateToken('b', 1, 1000, 10_999)).toEqual({ granted: false, waitMs: 1 });
  });

  it('a zero window means no limit; a non-positive capacity is a validation error naming the bucket', () => {
    const journal = open();
    for (let i = 0; i < 5; i += 1) expect(journal.takeRateToken('free', 1, 0, 0)).toEqual({ granted: true });
    const error = catchActionError(() => journal.takeRateToken('per_user:get-user:alice', 0, 1000, 0));
    expect(error.detail.category).toBe('validation_failed');
    expect(error.message).toBe('Rate limit bucket "per_user:get-user:alice" has capacity 0 per 1000 ms; capacity must be a positive number and the window a finite number of milliseconds.');
  });

  it('takeToken: property — waiting exactly waitMs always yields a token, and grants never exceed capacity plus refill', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100_000 }), fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), (capacity, windowMs, gaps) => {
        let state: ReturnType<typeof takeToken>['state'] | undefined;
        let now = 0;
        let granted = 0;
        for (const gap of gaps) {
          now += gap;
          const result = takeToken(state, capacity, windowMs, now);
          state = result.state;
          if (result.granted) granted += 1;
          else {
            const retry = takeToken(state, capacity, windowMs, now + result.waitMs);
            expect(retry.granted).toBe(true);
            state = retry.state;
            now += result.waitMs;
            granted += 1;
          }
        }
        expect(granted).toBeLessThanOrEqual(capacity + Math.floor((now * capacity) / windowMs) + 1);
      }),
    );
  });
});

describe('journal durability', () => {
  it('everything written survives close and reopen, and integrity_check is ok', () => {
    const file = join(tempDir(), 'journal.db');
    const first = openJournal(file);
    create(first);
    first.recordTransition(KEY, step('requesting', 2, { attemptCount: 1 }));
    first.beginAttempt(KEY, { attempt: 1, idempotencyKey: 'k', request: { m: 'GET' }, now: 3 });
    first.finishAttempt(KEY, 1, { state: 'responded', outcome: { status: 200 }, now: 4 });
    first.recordTransition(KEY, step('completed', 5, { status: 'completed', result: { r: 1 }, outbox: { type: 'action.execute.completed', payload: {} } }));
    first.acquireLease(KEY, { id: 'o', pid: process.pid, host: hostname() }, 5, 1000);
    const snapshot = { execution: first.get(KEY), transitions: first.listTransitions(KEY), attempts: first.listAttempts(KEY), outbox: first.listOutbox(KEY) };
    first.close();
    const second = open(file);
    expect({ execution: second.get(KEY), transitions: second.listTransitions(KEY), attempts: second.listAttempts(KEY), outbox: second.listOutbox(KEY) }).toEqual(snapshot);
    expect(second.integrityCheck()).toBe('ok');
  });

  it('a write blocked by another connection past the busy timeout fails with JOURNAL_BUSY and writes nothing', () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file, { busyTimeoutMs: 20 });
    create(journal);
    const blocker = new Database(file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    const error = catchActionError(() => journal.recordTransition(KEY, step('validating', 2)));
    blocker.exec('ROLLBACK');
    expect(error.detail.code).toBe('JOURNAL_BUSY');
    expect(error.detail.retryable).toBe(true);
    expect(error.message).toBe(`Journal ${file} stayed locked by another process during recordTransition for execution ${KEY.executionId} / action ${KEY.actionId}; nothing was written.`);
    expect(journal.listTransitions(KEY)).toEqual([]);
  });
});

describe('journal across processes', () => {
  function runChild(file: string, mode: string): { child: ChildProcess; lines: AsyncIterator<string> } {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  }

  it('two processes see each other\'s committed writes in the same journal file', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file);
    const parentKey = { executionId: 'exec-parent', actionId: 'a' };
    create(journal, parentKey);
    journal.recordTransition(parentKey, step('validating', 2));
    const { child, lines } = runChild(file, 'read-then-write');
    const line = await lines.next();
    await new Promise((resolve) => child.once('exit', resolve));
    expect(child.exitCode).toBe(0);
    expect(JSON.parse(line.value as string)).toEqual({ sawParent: 'validating', parentTransitions: 1 });
    const childRecord = journal.get({ executionId: 'exec-child', actionId: 'a' });
    expect(childRecord).toMatchObject({ status: 'completed', result: { by: 'child' }, request: { from: 'child' } });
    expect(childRecord?.snapshot).toEqual({ pid: child.pid });
    expect(journal.integrityCheck()).toBe('ok');
  });

  it('a live process\'s lease is refused; once it is SIGKILLed the lease is taken over at once', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file);
    const key = { executionId: 'exec-lease', actionId: 'a' };
    create(journal, key);
    const { child, lines } = runChild(file, 'hold-lease');
    const first = JSON.parse((await lines.next()).value as string) as { leased: boolean; pid: number };
    expect(first).toEqual({ leased: true, pid: child.pid });
    const me = { id: 'parent-owner', pid: process.pid, host: hostname() };
    const holder = { id: 'child-owner', pid: child.pid, host: hostname() };
    expect(journal.acquireLease(key, me, Date.now(), 30_000)).toMatchObject({ acquired: false, heldBy: holder });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited; // reaped: a zombie would still answer signal 0
    expect(journal.acquireLease(key, me, Date.now(), 30_000)).toEqual({ acquired: true, tookOverFrom: holder });
  });
});
