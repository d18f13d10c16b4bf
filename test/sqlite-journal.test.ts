/**
 * What is SQLite's own in the SQLite journal backend: migrations, pragmas, open errors, the file
 * format, the busy timeout and the owner-lock files. The behaviour every backend shares is in the
 * conformance suite (test/journal-conformance.test.ts). Processes are real: test/fixtures/journal-child.ts
 * opens the same file from another process and is SIGKILLed while it holds a lease.
 */
import { describe, it, expect, afterEach } from 'vitest';
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcessByStdio, type SpawnOptionsWithStdioTuple } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rejectedActionError, thrownActionError } from './support/thrown.ts';
import { openSqliteJournal, type SqliteJournal, type SqliteJournalOptions } from '../storage/sqlite/sqlite-journal.ts';
import { JOURNAL_MIGRATIONS, migrate, type Migration } from '../storage/sqlite/sqlite-migrations.ts';
import type { ExecutionKey } from '../storage/journal.ts';
import { createWrite, step } from './support/journal-conformance/journal-write-fixtures.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-journal-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(path = ':memory:', opts: SqliteJournalOptions = {}): SqliteJournal {
  const journal = openSqliteJournal(path, opts);
  cleanups.push(() => journal.close());
  return journal;
}

function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  cleanups.push(() => db.close());
  return db;
}

const KEY: ExecutionKey = { executionId: '7d1e0c8e-0000-4000-8000-000000000001', actionId: 'fetch-user' };

const lockFiles = (file: string): string[] => readdirSync(`${file}.owners`).filter((name) => name.endsWith('.lock')).sort();

async function create(journal: SqliteJournal, key: ExecutionKey = KEY, now = 1000, more: Parameters<typeof createWrite>[0] = {}): Promise<void> {
  await journal.commit(key, [createWrite(more)], null, now);
}

describe('sqlite journal migrations', () => {
  it('a new journal applies both migrations once, in order, under their names', () => {
    const journal = open();
    const rows = journal.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual([{ version: 1, name: 'initial_schema' }, { version: 2, name: 'fenced_leases_events_definitions' }]);
    expect(rows).toEqual(JOURNAL_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = journal.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['action_executions', 'transitions', 'http_attempts', 'outbox', 'rate_buckets', 'schema_migrations']));
    const columns = journal.db.prepare("SELECT name FROM pragma_table_info('action_executions')").pluck().all();
    expect(columns).toEqual(expect.arrayContaining(['lease_epoch', 'lease_owner_lock', 'definition_id']));
  });

  it('reopening an up-to-date journal applies nothing and records nothing twice', async () => {
    const file = join(tempDir(), 'journal.db');
    await openSqliteJournal(file).close();
    const journal = open(file);
    expect(migrate(journal.db, { file, now: 5 })).toEqual([]);
    expect(journal.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(2);
  });

  it('applies only the missing migrations, in version order', () => {
    const db = memoryDb();
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
    const db = memoryDb();
    const first: Migration = { version: 1, name: 'one', up: 'CREATE TABLE one (x)' };
    const broken: Migration = { version: 2, name: 'two', up: 'CREATE TABLE two (x); INSERT INTO missing_table VALUES (1);' };
    expect(() => migrate(db, { file: ':memory:', now: 1, migrations: [first, broken] })).toThrow(/missing_table/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'two'").get()).toBeUndefined();
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
    const fixed: Migration = { version: 2, name: 'two', up: 'CREATE TABLE two (x)' };
    expect(migrate(db, { file: ':memory:', now: 2, migrations: [first, fixed] })).toEqual([2]);
  });

  it('refuses a journal written by a newer build, naming the file and both versions', async () => {
    const file = join(tempDir(), 'journal.db');
    await openSqliteJournal(file).close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(3, 'from_the_future', 1);
    raw.close();
    const error = thrownActionError(() => openSqliteJournal(file));
    expect(error.detail.code).toBe('JOURNAL_VERSION_TOO_NEW');
    expect(error.detail.category).toBe('state_inconsistent');
    expect(error.message).toContain(file);
    expect(error.message).toContain('schema version 3 ("from_the_future")');
    expect(error.message).toContain('knows versions up to 2');
    expect(error.detail.suggestion).toMatch(/Upgrade action-executor/);
  });

  it('refuses a journal whose recorded migration names differ from this build', async () => {
    const file = join(tempDir(), 'journal.db');
    await openSqliteJournal(file).close();
    const raw = new Database(file);
    raw.prepare('UPDATE schema_migrations SET name = ? WHERE version = 2').run('someone_elses_schema');
    raw.close();
    const error = thrownActionError(() => openSqliteJournal(file));
    expect(error.detail.code).toBe('JOURNAL_MIGRATION_MISMATCH');
    expect(error.message).toContain('records migration 2 as "someone_elses_schema"');
  });

  it('rejects a migration list with a gap before touching the database', () => {
    const db = memoryDb();
    const error = thrownActionError(() => migrate(db, { file: ':memory:', now: 1, migrations: [{ version: 1, name: 'a', up: '' }, { version: 3, name: 'c', up: '' }] }));
    expect(error.detail.code).toBe('JOURNAL_MIGRATIONS_MALFORMED');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()).toBeUndefined();
  });

  it('migrating a version-1 file backfills definition_id from the request, keeps its rows readable, and its pid-only lease is not presumed dead', async () => {
    const file = join(tempDir(), 'journal.db');
    const v1 = new Database(file);
    migrate(v1, { file, now: 1, migrations: JOURNAL_MIGRATIONS.slice(0, 1) });
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    expect(() => process.kill(deadPid, 0)).toThrow();
    const insert = v1.prepare(`INSERT INTO action_executions (execution_id, action_id, request_hash, request_json, definition_json, machine_version,
      status, state_value, snapshot_json, created_at, updated_at, lease_owner_id, lease_owner_pid, lease_owner_host, lease_expires_at)
      VALUES (?, ?, 'h', ?, '{}', 'm1', 'running', 'backingOff', '{"value":"backingOff"}', ?, ?, ?, ?, ?, ?)`);
    insert.run('old', 'with-def', JSON.stringify({ action: { id: 'with-def', actionDefinitionId: 'get-user' } }), 10, 20, 'old-owner', deadPid, hostname(), 600_000);
    insert.run('old', 'no-def', JSON.stringify({ inputs: {} }), 11, 21, null, null, null, null);
    v1.prepare("INSERT INTO transitions VALUES ('old', 'with-def', 1, 'resolving', 'backingOff', 'RETRY', '{}', 15)").run();
    v1.close();

    const journal = open(file);
    expect(journal.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2]);
    const withDef = { executionId: 'old', actionId: 'with-def' };
    expect(await journal.get(withDef)).toMatchObject({ definitionId: 'get-user', stateValue: 'backingOff', lease: { id: 'old-owner', pid: deadPid, host: hostname(), epoch: 0, expiresAt: 600_000 } });
    expect((await journal.get({ executionId: 'old', actionId: 'no-def' }))?.definitionId).toBe('');
    expect((await journal.listExecutions({ definitionId: 'get-user' })).records.map((r) => r.actionId)).toEqual(['with-def']);
    expect(await journal.listTransitions(withDef)).toEqual([{ seq: 1, from: 'resolving', to: 'backingOff', event: 'RETRY', data: null, at: 15, snapshot: {} }]);
    // The v1 lease names no owner lock, and a pid alone proves nothing: it is held until it expires.
    const old = { id: 'old-owner', pid: deadPid, host: hostname() };
    expect(await journal.acquireLease(withDef, 1000, 30_000)).toEqual({ acquired: false, heldBy: old, expiresAt: 600_000 });
    expect(await journal.acquireLease(withDef, 600_000, 30_000)).toMatchObject({ acquired: true, tookOverFrom: old, fence: { epoch: 1 } });
  });
});

describe('sqlite journal open', () => {
  it('opens files in WAL mode with synchronous=NORMAL, foreign keys and the requested busy timeout, creating directories', () => {
    const journal = open(join(tempDir(), 'nested', 'dir', 'journal.db'), { busyTimeoutMs: 1234 });
    expect(journal.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(journal.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(journal.db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it("durability: 'machine' opens with synchronous=FULL", () => {
    const journal = open(join(tempDir(), 'journal.db'), { durability: 'machine' });
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(journal.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('a file that is not a SQLite database fails with JOURNAL_OPEN_FAILED naming the path', () => {
    const file = join(tempDir(), 'not-a-db.db');
    writeFileSync(file, 'this is a text file, not a database '.repeat(200));
    const error = thrownActionError(() => openSqliteJournal(file));
    expect(error.detail.code).toBe('JOURNAL_OPEN_FAILED');
    expect(error.detail.context['file']).toBe(file);
    expect(error.message).toBe(`Cannot open the journal ${file}: file is not a database.`);
  });

  it('readOnly: true on a missing file (or one in a missing directory) fails with JOURNAL_NOT_FOUND naming the path, and creates nothing', () => {
    const dir = tempDir();
    for (const file of [join(dir, 'journal.db'), join(dir, '.action-executor', 'journal.db')]) {
      const error = thrownActionError(() => openSqliteJournal(file, { readOnly: true }));
      expect(error.detail.code).toBe('JOURNAL_NOT_FOUND');
      expect(error.detail.context['file']).toBe(file);
      expect(error.message).toBe(`No journal at ${file}: nothing has been recorded there.`);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('readOnly: true reads an existing journal and takes no owner lock', async () => {
    const file = join(tempDir(), 'journal.db');
    const writer = openSqliteJournal(file, { ownerId: 'writer' });
    await create(writer);
    await writer.close();
    const reader = open(file, { readOnly: true, ownerId: 'reader' });
    expect((await reader.get(KEY))?.stateValue).toBe('resolving');
    expect(readdirSync(`${file}.owners`)).toEqual([]);
  });
});

describe('sqlite journal file format', () => {
  it('JSON columns are TEXT written by JSON.stringify', async () => {
    const journal = open();
    const request = { inputs: { name: 'Zoë 🚀', n: 1.5, list: [1, null, { deep: true }] }, empty: {} };
    await create(journal, KEY, 1, { request });
    const raw = journal.db.prepare('SELECT typeof(request_json) AS type, request_json AS text FROM action_executions').get();
    expect(raw).toEqual({ type: 'text', text: JSON.stringify(request) });
  });

  it('refusals name the value or the operation, the key and the file', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file);
    await create(journal);
    const notJson = await rejectedActionError(journal.commit(KEY, [step('validating', { snapshot: undefined })], null, 2));
    expect(notJson.message).toBe(`Cannot journal snapshot of execution ${KEY.executionId} / action ${KEY.actionId}: the value (undefined) has no JSON form.`);
    const missing = await rejectedActionError(journal.commit({ ...KEY, actionId: 'typo' }, [step('validating')], null, 2));
    expect(missing.message).toBe(`commit: execution ${KEY.executionId} / action typo is not in the journal ${file}.`);
    expect(missing.detail.context).toEqual({ file, executionId: KEY.executionId, actionId: 'typo', operation: 'commit' });
    expect(journal.db.prepare('SELECT COUNT(*) FROM transitions').pluck().get()).toBe(0);
  });

  it('a constraint failing in the last write of a commit rolls back the whole commit (outbox CHECK)', async () => {
    const journal = open();
    await create(journal);
    await journal.commit(KEY, [step('validating')], null, 2);
    const before = await journal.get(KEY);
    // An empty event type violates the outbox CHECK constraint: the last statement of the commit.
    await expect(journal.commit(KEY, [step('completed', { status: 'completed', result: { ok: 1 }, outbox: { type: '', payload: {} } })], null, 3)).rejects.toThrow(/CHECK constraint failed/);
    expect(await journal.get(KEY)).toEqual(before);
    expect((await journal.listTransitions(KEY)).map((t) => t.seq)).toEqual([1]);
    expect(await journal.pendingOutbox()).toEqual([]);
    await journal.commit(KEY, [step('completed', { status: 'completed' })], null, 4);
    expect((await journal.listTransitions(KEY)).map((t) => t.seq)).toEqual([1, 2]);
  });

  it('a status the schema does not know is refused by the CHECK constraint and nothing is appended', async () => {
    const journal = open();
    await create(journal);
    await expect(journal.commit(KEY, [step('weird', { status: 'exploded' as never })], null, 2)).rejects.toThrow(/CHECK constraint failed/);
    expect(await journal.listTransitions(KEY)).toEqual([]);
    expect((await journal.get(KEY))?.status).toBe('pending');
  });

  it('a write blocked by another connection past the busy timeout fails with JOURNAL_BUSY and writes nothing', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file, { busyTimeoutMs: 20 });
    await create(journal);
    const before = { ...journal.stats };
    const blocker = new Database(file);
    cleanups.push(() => blocker.close());
    blocker.exec('BEGIN IMMEDIATE');
    const error = await rejectedActionError(journal.commit(KEY, [step('validating')], null, 2));
    blocker.exec('ROLLBACK');
    expect(error.detail.code).toBe('JOURNAL_BUSY');
    expect(error.detail.retryable).toBe(true);
    expect(error.message).toBe(`Journal ${file} stayed locked by another process; 1 write(s) were not committed.`);
    expect(await journal.listTransitions(KEY)).toEqual([]);
    expect(journal.stats).toEqual(before);
  });

  it('integrityCheck() is ok after every kind of write and a reopen', async () => {
    const file = join(tempDir(), 'journal.db');
    const first = openSqliteJournal(file);
    await create(first);
    await first.commit(KEY, [step('requesting', { attemptCount: 1 }), { type: 'beginAttempt', attempt: 1, idempotencyKey: 'k', request: {} }], null, 2);
    await first.commit(KEY, [{ type: 'finishAttempt', attempt: 1, state: 'responded', outcome: { status: 200 } }, step('completed', { status: 'completed', outbox: { type: 'action.execute.completed', payload: {} } })], null, 3);
    await first.acquireLease(KEY, 4, 1000);
    await first.takeRateToken('b', 1, 1000, 4);
    expect(first.integrityCheck()).toBe('ok');
    await first.close();
    expect(open(file).integrityCheck()).toBe('ok');
  });
});

describe('sqlite owner locks', () => {
  it('<journal>.owners/<ownerId>.lock exists while the journal is open and is removed on close; unsafe characters are replaced', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = openSqliteJournal(file, { ownerId: 'owner-a' });
    const odd = openSqliteJournal(file, { ownerId: '../owner b' });
    expect(lockFiles(file)).toEqual(['___owner_b.lock', 'owner-a.lock']);
    await journal.close();
    expect(lockFiles(file)).toEqual(['___owner_b.lock']);
    await odd.close();
    expect(lockFiles(file)).toEqual([]);
  });

  it("a dead owner's stale lock file is swept on open when it holds no lease; one a lease still names, and a live owner's, are kept", async () => {
    const file = join(tempDir(), 'journal.db');
    const live = open(file, { ownerId: 'live' });
    await create(live);
    const dir = `${file}.owners`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ghost.lock'), ''); // left by a process that died: nothing holds its lock
    writeFileSync(join(dir, 'named.lock'), '');
    live.db.prepare("UPDATE action_executions SET lease_owner_id = 'named', lease_owner_pid = 1, lease_owner_host = 'h', lease_owner_lock = 'named.lock', lease_expires_at = 600000").run();
    open(file, { ownerId: 'newcomer' });
    expect(lockFiles(file)).toEqual(['live.lock', 'named.lock', 'newcomer.lock']);
    // The lease names a lock nobody holds: its owner is dead, so the lease is taken at once.
    expect(await live.acquireLease(KEY, 1001, 30_000)).toMatchObject({ acquired: true, tookOverFrom: { id: 'named' } });
    open(file, { ownerId: 'third' });
    expect(lockFiles(file)).toEqual(['live.lock', 'newcomer.lock', 'third.lock']);
  });
});

describe('sqlite journal across processes', () => {
  const CHILD = fileURLToPath(new URL('./fixtures/journal-child.ts', import.meta.url));
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const leaseKey = { executionId: 'exec-lease', actionId: 'a' };

  /**
   * Spawns journal-child.ts in a process group of its own (killed whole after the test); with
   * `zombie`, under a parent that never reaps it (`sh` exec'ing `sleep`), so its death stays unreaped.
   */
  function runChild(file: string, mode: string, opts: { zombie?: boolean } = {}): { child: ChildProcessByStdio<null, Readable, null>; lines: AsyncIterator<string> } {
    const node = [process.execPath, '--import', 'tsx', CHILD, file, mode];
    const spawnOptions: SpawnOptionsWithStdioTuple<'ignore', 'pipe', 'inherit'> = { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true };
    const child = opts.zombie ? spawn('/bin/sh', ['-c', '"$@" & exec sleep 600', 'sh', ...node], spawnOptions) : spawn(node[0]!, node.slice(1), spawnOptions);
    cleanups.push(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    });
    return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  }

  const nextJson = async <T>(lines: AsyncIterator<string>): Promise<T> => JSON.parse((await lines.next()).value as string) as T;

  /**
   * Whether `pid` is dead but unreaped: a zombie whose every thread has exited (the thread-group
   * leader shows `Z` while node's other threads are still closing its files, and so its locks).
   */
  function isDeadZombie(pid: number): boolean {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return /^State:\s+Z/m.test(status) && /^Threads:\s+1$/m.test(status);
    } catch {
      return false;
    }
  }

  it("two processes see each other's committed writes in the same journal file", async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file);
    const parentKey = { executionId: 'exec-parent', actionId: 'a' };
    await create(journal, parentKey);
    await journal.commit(parentKey, [step('validating')], null, 2);
    const { child, lines } = runChild(file, 'read-then-write');
    const seen = await nextJson<unknown>(lines);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(child.exitCode).toBe(0);
    expect(seen).toEqual({ sawParent: 'validating', parentTransitions: 1 });
    const childRecord = await journal.get({ executionId: 'exec-child', actionId: 'a' });
    expect(childRecord).toMatchObject({ status: 'completed', definitionId: 'child-def', result: { by: 'child' }, request: { from: 'child' } });
    expect(childRecord?.snapshot).toEqual({ pid: child.pid });
    expect(journal.integrityCheck()).toBe('ok');
  });

  it("a live process's lease is refused; once it is SIGKILLed the lease is taken over at once, and its stale lock is swept later", async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file, { ownerId: 'parent-owner' });
    await create(journal, leaseKey);
    const { child, lines } = runChild(file, 'hold-lease');
    expect(await nextJson(lines)).toEqual({ leased: true, pid: child.pid });
    const holder = { id: 'child-owner', pid: child.pid, host: hostname() };
    expect(await journal.acquireLease(leaseKey, Date.now(), 30_000)).toMatchObject({ acquired: false, heldBy: holder });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await journal.acquireLease(leaseKey, Date.now(), 30_000)).toMatchObject({ acquired: true, tookOverFrom: holder });
    // Killed, the child never removed its lock file; now that no lease names it, the next open sweeps it.
    expect(lockFiles(file)).toEqual(['child-owner.lock', 'parent-owner.lock']);
    open(file, { ownerId: 'later' });
    expect(lockFiles(file)).toEqual(['later.lock', 'parent-owner.lock']);
  });

  it.skipIf(!existsSync('/proc/self/status'))('a lease holder killed while it holds the lease is taken over at once even while it is still an unreaped zombie (issue 13 item 2)', async () => {
    const file = join(tempDir(), 'journal.db');
    const journal = open(file, { ownerId: 'parent-owner' });
    await create(journal, leaseKey);
    const { lines } = runChild(file, 'hold-lease', { zombie: true });
    const { pid } = await nextJson<{ leased: boolean; pid: number }>(lines);
    const holder = { id: 'child-owner', pid, host: hostname() };
    expect(await journal.acquireLease(leaseKey, Date.now(), 30_000)).toMatchObject({ acquired: false, heldBy: holder });
    process.kill(pid, 'SIGKILL');
    for (let waited = 0; !isDeadZombie(pid) && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(isDeadZombie(pid)).toBe(true);
    expect(() => process.kill(pid, 0)).not.toThrow(); // a zombie still answers signal 0: a pid check would call it alive
    expect(await journal.acquireLease(leaseKey, Date.now(), 30_000)).toMatchObject({ acquired: true, tookOverFrom: holder });
    expect(isDeadZombie(pid)).toBe(true); // still unreaped when the lease was taken
  });
});
