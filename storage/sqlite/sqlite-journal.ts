/**
 * The SQLite journal backend (DESIGN §6), the embedded default: one file in WAL mode, one connection
 * per process. better-sqlite3 is synchronous, so every unit of a group commit runs inside one
 * IMMEDIATE transaction with no `await` in it, each unit under its own savepoint so one failing unit
 * (a lost lease, a constraint) is undone alone while the others commit.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ActionError, actionError, errorDetail, isActionError } from '../../src/failure/errors.ts';
import type {
  AttemptRecord,
  CommitResult,
  ExecutionKey,
  ExecutionPage,
  ExecutionQuery,
  ExecutionRecord,
  Fence,
  Journal,
  JournalStats,
  JournalWrite,
  LeaseOwner,
  LeaseResult,
  OutboxRecord,
  TransitionRecord,
} from '../journal.ts';
import { decideLease } from '../lease.ts';
import { GroupCommitQueue, type UnitOutcome } from '../group-commit.ts';
import { takeToken } from '../token-bucket.ts';
import { leaseLostError, notFoundError, rateLimitConfigError } from '../journal-errors.ts';
import { acquireOwnerLock, ownerLockDir, probeOwner, sweepOwnerLocks, type OwnerLiveness, type OwnerLock } from './owner-lock.ts';
import { withOwnerExitGrace, type LeaseTry } from './owner-exit-grace.ts';
import { migrate } from './sqlite-migrations.ts';
import { attemptFromRow, executionFromRow, outboxFromRow, transitionFromRow } from './sqlite-rows.ts';
import { prepareJournalStatements, type JournalStatements } from './sqlite-statements.ts';
import { applyWrite, prepareWrite, type PreparedWrite } from './sqlite-writes.ts';

/** Options of {@link openSqliteJournal}. */
export interface SqliteJournalOptions {
  /** How long a write waits for another process's write lock before failing. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * `process`: survives a process crash (synchronous=NORMAL: commits reach the OS, the WAL is fsynced
   * at checkpoints). `machine`: survives power loss (synchronous=FULL: every group commit fsyncs).
   * @default 'process'
   */
  durability?: 'process' | 'machine';
  /** Open an existing file for reading only (`list`, `show`): never creates a file. @default false */
  readOnly?: boolean;
  /** This journal's lease owner id. @default a random UUID */
  ownerId?: string;
  /**
   * How long `acquireLease` keeps re-probing the owner lock of a holder on this host that still looks
   * alive before refusing. A process killed with SIGKILL is reported dead (its parent sees it exit) a
   * few milliseconds before the kernel has closed its files and released its lock, so a resubmission
   * right after a kill would otherwise be refused. A holder that really is alive costs this much
   * before the refusal. @default 250
   */
  ownerExitGraceMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_OWNER_EXIT_GRACE_MS = 250;

/**
 * Opens (creating if needed, with its directory) and migrates a journal file. ':memory:' gives a
 * private in-memory journal for tests. Fails with `state_inconsistent` naming the file when it cannot
 * be opened, is not a SQLite database, or was written by a newer build.
 */
export function openSqliteJournal(path: string, opts: SqliteJournalOptions = {}): SqliteJournal {
  const inMemory = path === ':memory:' || path === '';
  const file = inMemory ? ':memory:' : resolve(path);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Database.Database | undefined;
  try {
    if (!inMemory && !opts.readOnly) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: busyTimeoutMs, readonly: opts.readOnly ?? false, fileMustExist: opts.readOnly ?? false });
    if (!opts.readOnly) {
      db.pragma('journal_mode = WAL');
      // See docs/storage.md "Durability modes": NORMAL is durable against a process crash (the OS
      // holds the written pages); FULL adds an fsync per commit for power loss — per *group* commit here.
      db.pragma(`synchronous = ${opts.durability === 'machine' ? 'FULL' : 'NORMAL'}`);
      // A checkpoint runs inside whichever commit crosses this many WAL pages; 10,000 makes them ten
      // times rarer than SQLite's default and a page rewritten many times in between is copied once.
      db.pragma('wal_autocheckpoint = 10000');
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    if (!opts.readOnly) migrate(db, { file, now: Date.now() });
  } catch (error) {
    db?.close();
    if (isActionError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    // Asked of the file, not of the error: better-sqlite3 reports a missing directory as a TypeError
    // without SQLITE_CANTOPEN, and SQLITE_CANTOPEN also means "no permission", which is not "missing".
    const missing = opts.readOnly === true && !existsSync(file);
    const detail = errorDetail('state_inconsistent', missing ? `No journal at ${file}: nothing has been recorded there.` : `Cannot open the journal ${file}: ${reason}.`, {
      code: missing ? 'JOURNAL_NOT_FOUND' : 'JOURNAL_OPEN_FAILED',
      context: { file, reason },
      suggestion: missing
        ? 'Pass the --db path that execute used (default ./.action-executor/journal.db).'
        : 'Check that the path is a writable file (not a directory) on a local disk and that it is an action-executor journal; pass a different --db path otherwise.',
    });
    throw new ActionError(detail, { cause: error });
  }
  return new SqliteJournal(db, { file, ownerId: opts.ownerId ?? randomUUID(), readOnly: opts.readOnly ?? false, ownerExitGraceMs: opts.ownerExitGraceMs ?? DEFAULT_OWNER_EXIT_GRACE_MS });
}

/** The journal over one SQLite connection. Create it with {@link openSqliteJournal}. */
export class SqliteJournal implements Journal {
  readonly backend = 'sqlite' as const;
  /** The raw connection, for diagnostics and tests; write through the methods. */
  readonly db: Database.Database;
  /** Absolute path of the file (or ':memory:'). */
  readonly file: string;
  readonly owner: LeaseOwner;
  readonly stats: JournalStats = { commits: 0, writes: 0 };
  private readonly sql: JournalStatements;
  private readonly queue: GroupCommitQueue<null>;
  private readonly lockDir: string | null;
  private readonly lock: OwnerLock | null;
  private readonly ownerExitGraceMs: number;
  private closed = false;

  constructor(db: Database.Database, opts: { file: string; ownerId: string; readOnly: boolean; ownerExitGraceMs?: number }) {
    this.db = db;
    this.ownerExitGraceMs = opts.ownerExitGraceMs ?? DEFAULT_OWNER_EXIT_GRACE_MS;
    this.file = opts.file;
    this.owner = { id: opts.ownerId, pid: process.pid, host: hostname() };
    this.sql = prepareJournalStatements(db);
    this.queue = new GroupCommitQueue<null>((units) => this.flush(units));
    this.lockDir = opts.file === ':memory:' || opts.readOnly ? null : ownerLockDir(opts.file);
    this.lock = this.lockDir === null ? null : acquireOwnerLock(this.lockDir, opts.ownerId);
    if (this.lockDir !== null) {
      const dir = this.lockDir;
      sweepOwnerLocks(dir, (name) => this.sql.lockHoldsLeases.get(name) !== undefined);
    }
  }

  get location(): string {
    return this.file;
  }

  /** Runs a batch in one IMMEDIATE transaction, each unit under a savepoint. */
  private flush(units: readonly ((tx: null) => unknown)[]): UnitOutcome[] {
    const outcomes: UnitOutcome[] = [];
    try {
      this.db.transaction(() => {
        for (const unit of units) {
          this.db.exec('SAVEPOINT unit');
          try {
            outcomes.push({ ok: true, value: unit(null) });
            this.db.exec('RELEASE unit');
          } catch (error) {
            this.db.exec('ROLLBACK TO unit');
            this.db.exec('RELEASE unit');
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      throw this.transactionError(error, units.length);
    }
    // Count what was committed: a unit undone at its savepoint wrote nothing, and a batch whose every
    // unit was undone committed nothing (JournalStats counts applied work, for per-action figures).
    const applied = outcomes.filter((outcome) => outcome.ok).length;
    if (applied > 0) {
      this.stats.commits += 1;
      this.stats.writes += applied;
    }
    return outcomes;
  }

  private transactionError(error: unknown, units: number): unknown {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') return error;
    return actionError('state_inconsistent', `Journal ${this.file} stayed locked by another process; ${units} write(s) were not committed.`, {
      code: 'JOURNAL_BUSY',
      retryable: true,
      context: { file: this.file },
      suggestion: 'Another process is holding a long write transaction on the journal. Retry; if it persists, find the process holding the file open.',
    });
  }

  private write<T>(apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`the journal ${this.file} is closed`));
    return this.queue.submit(apply);
  }

  private requireFence(key: ExecutionKey, fence: Fence): void {
    const row = this.sql.fence.get(key.executionId, key.actionId);
    if (row === undefined) notFoundError(this.file, 'commit', key);
    if (row.lease_owner_id !== fence.ownerId || row.lease_epoch !== fence.epoch) throw leaseLostError(this.file, key, fence);
  }

  commit(key: ExecutionKey, writes: readonly JournalWrite[], fence: Fence | null, now: number): Promise<CommitResult> {
    // Serialize outside the transaction, so a value with no JSON form fails before anything is queued
    // — as a rejection, like every other failure of this Promise-returning method.
    let prepared: PreparedWrite[];
    try {
      prepared = writes.map((write) => prepareWrite(key, write));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.write(() => {
      const result: CommitResult = {};
      let effective = fence;
      let rest = prepared;
      const first = prepared[0];
      if (first?.type === 'create') {
        result.created = this.sql.insertExecution.run({ ...first.params, now }).changes === 1;
        if (result.created && first.leaseTtlMs !== undefined) {
          const leased = this.sql.setLease.get(this.owner.id, this.owner.pid, this.owner.host, this.lock?.name ?? null, now + first.leaseTtlMs, key.executionId, key.actionId);
          effective = { ownerId: this.owner.id, epoch: leased?.lease_epoch ?? 0 };
          result.fence = effective;
        }
        rest = prepared.slice(1);
      } else if (fence) {
        this.requireFence(key, fence);
      } else if (this.sql.fence.get(key.executionId, key.actionId) === undefined) {
        notFoundError(this.file, 'commit', key);
      }
      if (result.created !== false) {
        // Only the last transition of a unit updates the execution row; each one appends its own row.
        const lastTransition = rest.map((w) => w.type).lastIndexOf('transition');
        const base = { seq: 0, status: '' };
        rest.forEach((write, index) => {
          if (write.type === 'create') throw new Error('a create write must come first in its commit');
          applyWrite(this.sql, this.file, key, write, effective, now, base, index === lastTransition);
        });
      }
      if (first?.type === 'create') {
        const record = this.getSync(key);
        if (record) result.record = record;
      }
      return result;
    });
  }

  private getSync(key: ExecutionKey): ExecutionRecord | undefined {
    const row = this.sql.selectExecution.get(key.executionId, key.actionId);
    return row === undefined ? undefined : executionFromRow(row);
  }

  async get(key: ExecutionKey): Promise<ExecutionRecord | undefined> {
    return this.getSync(key);
  }

  async listExecutions(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    const params = {
      execution_id: query.executionId ?? null,
      search: query.search ? `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
      statuses: query.statuses === undefined ? null : JSON.stringify(query.statuses),
      state_values: query.stateValues === undefined ? null : JSON.stringify(query.stateValues),
      definition_id: query.definitionId ?? null,
      limit: query.limit ?? -1,
      offset: query.offset ?? 0,
    };
    const rows = (query.order === 'oldest' ? this.sql.listOldest : this.sql.listNewest).all(params);
    const total = query.limit === undefined && (query.offset ?? 0) === 0 ? rows.length : (this.sql.countExecutions.get(params)?.total ?? 0);
    return { records: rows.map(executionFromRow), total };
  }

  async listUnfinished(limit = -1): Promise<ExecutionKey[]> {
    return this.sql.listUnfinished.all(limit).map((row) => ({ executionId: row.execution_id, actionId: row.action_id }));
  }

  async listTransitions(key: ExecutionKey): Promise<TransitionRecord[]> {
    return this.sql.listTransitions.all(key.executionId, key.actionId).map((row) => transitionFromRow(row, key));
  }

  async getAttempt(key: ExecutionKey, attempt: number): Promise<AttemptRecord | undefined> {
    const row = this.sql.selectAttempt.get(key.executionId, key.actionId, attempt);
    return row === undefined ? undefined : attemptFromRow(row, key);
  }

  async listAttempts(key: ExecutionKey): Promise<AttemptRecord[]> {
    return this.sql.listAttempts.all(key.executionId, key.actionId).map((row) => attemptFromRow(row, key));
  }

  /** Takes the lease when {@link decideLease} allows, giving a dying holder on this host a short grace (owner-exit-grace.ts). */
  acquireLease(key: ExecutionKey, now: number, ttlMs: number): Promise<LeaseResult> {
    return withOwnerExitGrace(() => this.write(() => this.tryAcquireLease(key, now, ttlMs)), this.owner.host, this.ownerExitGraceMs);
  }

  /** One lease decision in one write unit; `liveness` is what the holder's owner lock said, if asked. */
  private tryAcquireLease(key: ExecutionKey, now: number, ttlMs: number): LeaseTry {
    let liveness: OwnerLiveness | undefined;
    const result = ((): LeaseResult => {
      const record = this.getSync(key);
      if (record === undefined) return notFoundError(this.file, 'acquireLease', key);
      const lockName = record.lease ? (this.sql.fence.get(key.executionId, key.actionId)?.lease_owner_lock ?? null) : null;
      const decision = decideLease(record.lease, this.owner.id, now, () => (liveness = this.lockDir && lockName ? probeOwner(this.lockDir, lockName) : 'unknown'));
      if (!decision.take) return { acquired: false, heldBy: decision.heldBy, expiresAt: decision.expiresAt };
      const leased = this.sql.setLease.get(this.owner.id, this.owner.pid, this.owner.host, this.lock?.name ?? null, now + ttlMs, key.executionId, key.actionId);
      const fence = { ownerId: this.owner.id, epoch: leased?.lease_epoch ?? 0 };
      const current: ExecutionRecord = { ...record, lease: { ...this.owner, epoch: fence.epoch, expiresAt: now + ttlMs } };
      return decision.tookOverFrom === undefined
        ? { acquired: true, fence, record: current }
        : { acquired: true, fence, record: current, tookOverFrom: decision.tookOverFrom, ...(decision.reason ? { reason: decision.reason } : {}) };
    })();
    return { result, liveness };
  }

  renewLease(key: ExecutionKey, fence: Fence, now: number, ttlMs: number): Promise<boolean> {
    return this.write(() => this.sql.renewLease.run(now + ttlMs, key.executionId, key.actionId, fence.ownerId, fence.epoch).changes === 1);
  }

  releaseLease(key: ExecutionKey, fence: Fence): Promise<void> {
    return this.write(() => void this.sql.releaseLease.run(key.executionId, key.actionId, fence.ownerId, fence.epoch));
  }

  async pendingOutbox(limit = 100): Promise<OutboxRecord[]> {
    return this.sql.pendingOutbox.all(limit).map(outboxFromRow);
  }

  async listOutbox(key: ExecutionKey): Promise<OutboxRecord[]> {
    return this.sql.listOutbox.all(key.executionId, key.actionId).map(outboxFromRow);
  }

  markDelivered(id: number, now: number): Promise<void> {
    return this.write(() => void this.sql.markDelivered.run(now, now, id));
  }

  recordDeliveryFailure(id: number, error: string, now: number): Promise<void> {
    return this.write(() => void this.sql.deliveryFailure.run(error, now, id));
  }

  takeRateToken(bucket: string, capacity: number, windowMs: number, now: number): Promise<{ granted: true } | { granted: false; waitMs: number }> {
    if (!Number.isFinite(capacity) || capacity <= 0 || !Number.isFinite(windowMs)) return Promise.reject(rateLimitConfigError(bucket, capacity, windowMs));
    return this.write(() => {
      const row = this.sql.selectBucket.get(bucket);
      const taken = takeToken(row === undefined ? undefined : { tokens: row.tokens, updatedAt: row.updated_at }, capacity, windowMs, now);
      this.sql.upsertBucket.run(bucket, taken.state.tokens, taken.state.updatedAt);
      return taken.granted ? { granted: true as const } : { granted: false as const, waitMs: taken.waitMs };
    });
  }

  /** PRAGMA integrity_check: 'ok', or SQLite's list of problems joined by newlines. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.drain();
    this.closed = true;
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}
