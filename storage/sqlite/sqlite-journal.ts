/**
 * The SQLite journal (DESIGN §6): every transition, HTTP attempt intent/outcome, lease, outbox event
 * and rate-limit bucket of every action execution. Each method is ONE synchronous better-sqlite3
 * transaction, so a crash leaves either all of a step or none of it, and nothing can interleave an
 * `await` between its reads and writes. Callers pass already-redacted data; this module stores what
 * it is given and never sees credentials.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ActionError, actionError, errorDetail, isActionError } from '../../src/failure/action-error.ts';
import { decideLease, isProcessAlive as defaultIsProcessAlive } from '../lease.ts';
import { migrate } from './sqlite-migrations.ts';
import { attemptFromRow, executionFromRow, outboxFromRow, toJson, transitionFromRow } from './sqlite-rows.ts';
import { prepareJournalStatements, type JournalStatements } from './sqlite-statements.ts';
import { takeToken } from '../token-bucket.ts';

/** A durable execution's identity (DESIGN §4 "Identity"). */
export interface ExecutionKey {
  executionId: string;
  actionId: string;
}

/** Mirrors ActionExecutionState.status; completed, failed and skipped are terminal. */
export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** Who holds a lease: a per-executor id plus enough to tell whether the holder process still lives. */
export interface LeaseOwner {
  id: string;
  pid: number;
  host: string;
}

/** One `action_executions` row: the latest state of an execution and its lease. */
export interface ExecutionRecord extends ExecutionKey {
  requestHash: string;
  request: unknown;
  definition: unknown;
  machineVersion: string;
  status: ExecutionStatus;
  stateValue: string;
  snapshot: unknown;
  attemptCount: number;
  wakeAt: number | null;
  /** null until a transition records one. */
  result: unknown;
  createdAt: number;
  updatedAt: number;
  /** The last holder, even when expired: compare `expiresAt` with the clock. */
  lease: (LeaseOwner & { expiresAt: number }) | null;
}

/** One append-only `transitions` row; `seq` counts from 1 per execution. */
export interface TransitionRecord {
  seq: number;
  from: string;
  to: string;
  event: string;
  at: number;
  snapshot: unknown;
}

/** One `http_attempts` row: the write-ahead record of a request (DESIGN §6 "Write-ahead rule"). */
export interface AttemptRecord {
  attempt: number;
  idempotencyKey: string | null;
  /** `in_flight` with no outcome after a crash means the request's fate is unknown. */
  state: 'in_flight' | 'responded' | 'failed';
  request: unknown;
  /** null while in flight. */
  outcome: unknown;
  startedAt: number;
  finishedAt: number | null;
}

/** One undelivered (or, from listOutbox, any) event of the outbox. */
export interface OutboxRecord {
  id: number;
  executionId: string;
  actionId: string;
  type: string;
  payload: unknown;
  createdAt: number;
  /** Delivery attempts so far, failed ones and the successful one. */
  deliveries: number;
  lastError: string | null;
}

/** Options of {@link openJournal}. */
export interface JournalOptions {
  /** How long a write waits for another process's write lock before failing. @default 5000 */
  busyTimeoutMs?: number;
  /** Liveness probe for lease takeover; injected by tests. @default signal-0 probe of the pid */
  isProcessAlive?: (pid: number) => boolean;
  /** This machine's name, compared with a lease holder's host. @default os.hostname() */
  hostname?: string;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(['completed', 'failed', 'skipped']);

/** Whether a status is final (completed, failed or skipped). */
export function isTerminalStatus(status: ExecutionStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * Opens (creating if needed, with its directory) and migrates a journal file. ':memory:' gives a
 * private in-memory journal for tests. Fails with `state_inconsistent` naming the file when it cannot
 * be opened, is not a SQLite database, or was written by a newer build.
 */
export function openJournal(path: string, opts: JournalOptions = {}): Journal {
  const inMemory = path === ':memory:' || path === '';
  const file = inMemory ? path : resolve(path);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Database.Database | undefined;
  try {
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    // WAL + synchronous=NORMAL: a commit is appended to the WAL without an fsync; the WAL is synced at
    // checkpoints. That is fully durable against a crash of the *process* (the OS still holds the
    // written pages) — our failure model: SIGKILL, OOM, a thrown error. It costs well under a
    // millisecond per commit. FULL would also fsync every commit, which only adds durability against
    // power loss or a kernel crash (the last commits could roll back, never corrupt), at ~10× the cost.
    db.pragma('synchronous = NORMAL');
    // A checkpoint (WAL copied into the database, both fsynced) runs inside whichever commit crosses
    // this many WAL pages. SQLite's 1,000 means a checkpoint every ~200 transitions; 10,000 (~40 MB of
    // WAL) makes them ten times rarer, and a page rewritten many times in between is copied once:
    // ~75 → ~60 µs per transaction here (bench/, docs/benchmarks.md). A process crash still loses
    // nothing; only NORMAL's power-loss window (commits since the last checkpoint) grows with it.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    migrate(db, { file, now: Date.now() });
  } catch (error) {
    db?.close();
    if (isActionError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const detail = errorDetail('state_inconsistent', `Cannot open the journal ${file}: ${reason}.`, {
      code: 'JOURNAL_OPEN_FAILED',
      context: { file, reason },
      suggestion: 'Check that the path is a writable file (not a directory) on a local disk and that it is an action-executor journal; pass a different --db path otherwise.',
    });
    throw new ActionError(detail, { cause: error });
  }
  return new Journal(db, {
    file,
    host: opts.hostname ?? osHostname(),
    isProcessAlive: opts.isProcessAlive ?? defaultIsProcessAlive,
  });
}

/**
 * The journal over one connection. Create it with {@link openJournal}; one instance per process is
 * enough (better-sqlite3 is synchronous), several processes may share the file.
 */
export class Journal {
  /** The raw connection, for diagnostics and tests; write through the methods. */
  readonly db: Database.Database;
  /** Absolute path of the file (or ':memory:'). */
  readonly file: string;
  private readonly host: string;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly sql: JournalStatements;
  /** One cached wrapper: `runWrite.immediate(fn)` runs fn in BEGIN IMMEDIATE … COMMIT. */
  private readonly runWrite: Database.Transaction<(fn: () => unknown) => unknown>;
  private committed = 0;

  constructor(db: Database.Database, opts: { file: string; host: string; isProcessAlive: (pid: number) => boolean }) {
    this.db = db;
    this.file = opts.file;
    this.host = opts.host;
    this.isProcessAlive = opts.isProcessAlive;
    this.sql = prepareJournalStatements(db);
    this.runWrite = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Write transactions this connection committed (every write method is exactly one). The benchmarks
   * report it per action; it is also a cheap way to see that a code path does not write more than it should.
   */
  get transactionCount(): number {
    return this.committed;
  }

  /** Closes the connection; the WAL is checkpointed by SQLite when the last connection closes. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `fn` as one IMMEDIATE transaction: the write lock is taken up front, so a read-then-write
   * cannot fail half-way with SQLITE_BUSY when another process writes between the two.
   */
  private write<T>(operation: string, key: ExecutionKey | null, fn: () => T): T {
    try {
      const result = this.runWrite.immediate(fn) as T;
      this.committed += 1;
      return result;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
        const where = key === null ? '' : ` for execution ${key.executionId} / action ${key.actionId}`;
        throw actionError('state_inconsistent', `Journal ${this.file} stayed locked by another process during ${operation}${where}; nothing was written.`, {
          code: 'JOURNAL_BUSY',
          retryable: true,
          context: { file: this.file, operation, ...(key ?? {}) },
          suggestion: 'Another process is holding a long write transaction on the journal. Retry; if it persists, find the process holding the file open.',
        });
      }
      throw error;
    }
  }

  private notFound(operation: string, key: ExecutionKey): never {
    throw actionError('state_inconsistent', `${operation}: execution ${key.executionId} / action ${key.actionId} is not in the journal ${this.file}.`, {
      code: 'EXECUTION_NOT_FOUND',
      context: { file: this.file, executionId: key.executionId, actionId: key.actionId, operation },
      suggestion: 'Create the execution (createExecution) before recording anything for it, and check that every process uses the same --db file.',
    });
  }

  /**
   * Insert if absent (INSERT … ON CONFLICT DO NOTHING); returns the stored record either way, status
   * `pending` when new. With `lease`, a newly created execution is leased to that owner in the same
   * transaction (nobody else can have held it); an existing one is left alone — take its lease with
   * acquireLease, which decides whether the current holder may be overruled.
   */
  createExecution(init: ExecutionKey & { requestHash: string; request: unknown; definition: unknown; machineVersion: string; stateValue: string; snapshot: unknown; now: number; lease?: { owner: LeaseOwner; ttlMs: number } }): { created: boolean; record: ExecutionRecord } {
    const key: ExecutionKey = { executionId: init.executionId, actionId: init.actionId };
    const params = {
      execution_id: key.executionId,
      action_id: key.actionId,
      request_hash: init.requestHash,
      request_json: toJson(init.request, 'request', key),
      definition_json: toJson(init.definition, 'definition', key),
      machine_version: init.machineVersion,
      state_value: init.stateValue,
      snapshot_json: toJson(init.snapshot, 'snapshot', key),
      now: init.now,
    };
    return this.write('createExecution', key, () => {
      const created = this.sql.insertExecution.run(params).changes === 1;
      const lease = init.lease;
      if (created && lease !== undefined) {
        this.sql.setLease.run(lease.owner.id, lease.owner.pid, lease.owner.host, init.now + lease.ttlMs, key.executionId, key.actionId);
      }
      const row = this.sql.selectExecution.get(key.executionId, key.actionId);
      if (row === undefined) return this.notFound('createExecution', key);
      return { created, record: executionFromRow(row) };
    });
  }

  /** The execution's latest state, or undefined when it was never created. */
  get(key: ExecutionKey): ExecutionRecord | undefined {
    const row = this.sql.selectExecution.get(key.executionId, key.actionId);
    return row === undefined ? undefined : executionFromRow(row);
  }

  /**
   * ONE transaction: append a transitions row (seq = previous + 1), update the execution row, insert
   * the outbox event if given. Returns seq. `result` absent keeps the stored result; `null` clears it.
   * `releaseLeaseOf` gives up that owner's lease in the same transaction (a terminal transition: the
   * execution needs no writer any more), saving a transaction of its own.
   */
  recordTransition(
    key: ExecutionKey,
    t: { from: string; to: string; event: string; snapshot: unknown; stateValue: string; status: ExecutionStatus; attemptCount: number; wakeAt: number | null; result?: unknown; outbox?: { type: string; payload: unknown }; releaseLeaseOf?: string; now: number },
  ): number {
    const snapshotJson = toJson(t.snapshot, 'snapshot', key);
    const hasResult = t.result !== undefined;
    const resultJson = hasResult && t.result !== null ? toJson(t.result, 'result', key) : null;
    const payloadJson = t.outbox === undefined ? null : toJson(t.outbox.payload, `outbox payload (${t.outbox.type})`, key);
    return this.write('recordTransition', key, () => {
      const base = this.sql.transitionBase.get(key.executionId, key.actionId);
      if (base === undefined) return this.notFound(`recordTransition ${t.from} → ${t.to}`, key);
      const seq = base.seq;
      const update = {
        execution_id: key.executionId,
        action_id: key.actionId,
        state_value: t.stateValue,
        snapshot_json: snapshotJson,
        attempt_count: t.attemptCount,
        wake_at: t.wakeAt,
        set_result: hasResult ? (1 as const) : (0 as const),
        result_json: resultJson,
        now: t.now,
      };
      if (base.status === t.status) this.sql.updateStateSameStatus.run(update);
      else this.sql.updateState.run({ ...update, status: t.status });
      this.sql.insertTransition.run(key.executionId, key.actionId, seq, t.from, t.to, t.event, snapshotJson, t.now);
      if (t.outbox !== undefined && payloadJson !== null) {
        this.sql.insertOutbox.run(key.executionId, key.actionId, t.outbox.type, payloadJson, t.now);
      }
      if (t.releaseLeaseOf !== undefined) this.sql.releaseLease.run(key.executionId, key.actionId, t.releaseLeaseOf);
      return seq;
    });
  }

  /**
   * Write-ahead: commit the intent (in_flight) before the request is sent. Re-calling for an existing
   * in_flight attempt is a no-op (the first intent stays). Calling it for an attempt that already has
   * an outcome throws `ATTEMPT_ALREADY_FINISHED`: that would re-send a request whose answer is known.
   */
  beginAttempt(key: ExecutionKey, a: { attempt: number; idempotencyKey: string | null; request: unknown; now: number }): void {
    const requestJson = toJson(a.request, `request of attempt ${a.attempt}`, key);
    this.write('beginAttempt', key, () => {
      const existing = this.sql.selectAttempt.get(key.executionId, key.actionId, a.attempt);
      if (existing?.state === 'in_flight') return;
      if (existing !== undefined) {
        throw actionError('state_inconsistent', `Attempt ${a.attempt} of execution ${key.executionId} / action ${key.actionId} already finished (${existing.state}); refusing to start it again, which would send a request whose outcome is already recorded.`, {
          code: 'ATTEMPT_ALREADY_FINISHED',
          context: { executionId: key.executionId, actionId: key.actionId, attempt: String(a.attempt), state: existing.state },
          suggestion: 'Feed the recorded outcome (getAttempt) to the machine instead, or begin attempt number attemptCount + 1.',
        });
      }
      if (this.sql.selectExecution.get(key.executionId, key.actionId) === undefined) this.notFound('beginAttempt', key);
      this.sql.insertAttempt.run(key.executionId, key.actionId, a.attempt, a.idempotencyKey, requestJson, a.now);
    });
  }

  /**
   * Commit the outcome after the request. Returns true when recorded; false when the attempt already
   * had an outcome (the first one stays — it is what the machine may already have acted on). Throws
   * `ATTEMPT_NOT_STARTED` for an attempt never begun: its intent was never journaled.
   */
  finishAttempt(key: ExecutionKey, attempt: number, r: { state: 'responded' | 'failed'; outcome: unknown; now: number }): boolean {
    const outcomeJson = toJson(r.outcome, `outcome of attempt ${attempt}`, key);
    return this.write('finishAttempt', key, () => {
      if (this.sql.finishAttempt.run(r.state, outcomeJson, r.now, key.executionId, key.actionId, attempt).changes === 1) return true;
      if (this.sql.selectAttempt.get(key.executionId, key.actionId, attempt) !== undefined) return false;
      throw actionError('state_inconsistent', `Cannot record the outcome of attempt ${attempt} of execution ${key.executionId} / action ${key.actionId}: it was never begun, so its request intent is not in the journal.`, {
        code: 'ATTEMPT_NOT_STARTED',
        context: { executionId: key.executionId, actionId: key.actionId, attempt: String(attempt) },
        suggestion: 'Call beginAttempt before sending the request (write-ahead rule, DESIGN §6).',
      });
    });
  }

  /** One attempt's record, or undefined when it was never begun. */
  getAttempt(key: ExecutionKey, attempt: number): AttemptRecord | undefined {
    const row = this.sql.selectAttempt.get(key.executionId, key.actionId, attempt);
    return row === undefined ? undefined : attemptFromRow(row, key);
  }

  /** Every attempt of an execution, by attempt number. */
  listAttempts(key: ExecutionKey): AttemptRecord[] {
    return this.sql.listAttempts.all(key.executionId, key.actionId).map((row) => attemptFromRow(row, key));
  }

  /** The transition history of an execution, by seq. */
  listTransitions(key: ExecutionKey): TransitionRecord[] {
    return this.sql.listTransitions.all(key.executionId, key.actionId).map((row) => transitionFromRow(row, key));
  }

  /** Executions, oldest first, optionally of one executionId and/or some statuses. */
  listExecutions(opts: { executionId?: string; statuses?: ExecutionStatus[]; limit?: number } = {}): ExecutionRecord[] {
    return this.sql.listExecutions
      .all({ execution_id: opts.executionId ?? null, statuses: opts.statuses === undefined ? null : JSON.stringify(opts.statuses), limit: opts.limit ?? -1 })
      .map(executionFromRow);
  }

  /** Keys of every execution not in a terminal status (completed/failed/skipped), oldest first. */
  listUnfinished(limit = -1): ExecutionKey[] {
    return this.sql.listUnfinished.all(limit).map((row) => ({ executionId: row.execution_id, actionId: row.action_id }));
  }

  /** Takes the lease if free, expired, already ours, or held by a provably dead process (same host, pid not alive). */
  acquireLease(key: ExecutionKey, owner: LeaseOwner, now: number, ttlMs: number): { acquired: true; tookOverFrom?: LeaseOwner } | { acquired: false; heldBy: LeaseOwner; expiresAt: number } {
    return this.write('acquireLease', key, () => {
      const row = this.sql.selectExecution.get(key.executionId, key.actionId);
      if (row === undefined) return this.notFound('acquireLease', key);
      const current = executionFromRow(row).lease;
      const decision = decideLease(current, owner, now, { host: this.host, isProcessAlive: this.isProcessAlive });
      if (!decision.take) return { acquired: false, heldBy: decision.heldBy, expiresAt: decision.expiresAt };
      this.sql.setLease.run(owner.id, owner.pid, owner.host, now + ttlMs, key.executionId, key.actionId);
      return decision.tookOverFrom === undefined ? { acquired: true } : { acquired: true, tookOverFrom: decision.tookOverFrom };
    });
  }

  /** Extends our lease to now + ttl. False when it is no longer ours (taken over): stop driving the execution. */
  renewLease(key: ExecutionKey, ownerId: string, now: number, ttlMs: number): boolean {
    return this.write('renewLease', key, () => this.sql.renewLease.run(now + ttlMs, key.executionId, key.actionId, ownerId).changes === 1);
  }

  /** Gives the lease up if we hold it; a no-op otherwise, so it is safe in `finally`. */
  releaseLease(key: ExecutionKey, ownerId: string): void {
    this.write('releaseLease', key, () => this.sql.releaseLease.run(key.executionId, key.actionId, ownerId));
  }

  /** Undelivered outbox events, oldest first (at-least-once delivery re-reads them on every start). */
  pendingOutbox(limit = 100): OutboxRecord[] {
    return this.sql.pendingOutbox.all(limit).map(outboxFromRow);
  }

  /** Every outbox event of one execution, delivered or not, with its delivery time. */
  listOutbox(key: ExecutionKey): (OutboxRecord & { deliveredAt: number | null })[] {
    return this.sql.listOutbox.all(key.executionId, key.actionId).map(outboxFromRow);
  }

  /** Marks an event delivered; a second call (another process delivered it too) changes nothing. */
  markDelivered(id: number, now: number): void {
    this.write('markDelivered', null, () => this.sql.markDelivered.run(now, now, id));
  }

  /** Counts a failed delivery and keeps its (caller-redacted) error; the event stays pending. */
  recordDeliveryFailure(id: number, error: string, now: number): void {
    this.write('recordDeliveryFailure', null, () => this.sql.deliveryFailure.run(error, now, id));
  }

  /** Durable token bucket (capacity = requests, refilled continuously at requests/window). */
  takeRateToken(bucket: string, capacity: number, windowMs: number, now: number): { granted: true } | { granted: false; waitMs: number } {
    if (!Number.isFinite(capacity) || capacity <= 0 || !Number.isFinite(windowMs)) {
      throw actionError('validation_failed', `Rate limit bucket "${bucket}" has capacity ${capacity} per ${windowMs} ms; capacity must be a positive number and the window a finite number of milliseconds.`, {
        code: 'INVALID_RATE_LIMIT',
        context: { bucket, capacity: String(capacity), windowMs: String(windowMs) },
        suggestion: 'Fix rateLimit.requests (a positive integer) and rateLimit.window (milliseconds) in the action definition.',
      });
    }
    return this.write('takeRateToken', null, () => {
      const row = this.sql.selectBucket.get(bucket);
      const taken = takeToken(row === undefined ? undefined : { tokens: row.tokens, updatedAt: row.updated_at }, capacity, windowMs, now);
      this.sql.upsertBucket.run(bucket, taken.state.tokens, taken.state.updatedAt);
      return taken.granted ? { granted: true } : { granted: false, waitMs: taken.waitMs };
    });
  }

  /** PRAGMA integrity_check: 'ok', or SQLite's list of problems joined by newlines. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('\n');
  }
}
