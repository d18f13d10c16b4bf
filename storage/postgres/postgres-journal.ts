/**
 * The PostgreSQL journal backend (DESIGN §6; issue 10): the `Journal` of storage/journal.ts on a
 * database several machines share, so an execution started on one machine resumes on any other.
 *
 * - **Group commit, one round trip per batch.** Commits that arrive in one tick (from any number of
 *   executions) queue in a GroupCommitQueue; a flush sends them as one JSON array to the
 *   `ae_journal_commit` function, which applies them in one transaction and answers per unit — a
 *   refused unit (a lost lease) writes nothing while the others commit.
 * - **Fenced.** The lease owner and epoch are checked under the execution's row lock in that same
 *   transaction, so a worker whose lease was taken over can never journal an attempt's intent, and
 *   so can never send.
 * - **Leases across machines.** Each open journal holds a session advisory lock for its owner
 *   (postgres-owner-lock.ts); a lease whose holder's lock is free is taken over at once.
 * - **Infrastructure failures** (connection refused or lost, authentication, permissions, disk) are
 *   PostgresInfrastructureErrors naming host, port, database and user — never the password — so a
 *   run stops unrecorded and resumes later. Durability is the server's `synchronous_commit`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { PoolClient, QueryConfig, QueryResultRow } from 'pg';
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
import { decideLease, type OwnerLiveness } from '../lease.ts';
import { GroupCommitQueue, type UnitOutcome } from '../group-commit.ts';
import { takeToken } from '../token-bucket.ts';
import { executionNotFoundError, rateLimitConfigError } from '../journal-errors.ts';
import { attemptFromRow, outboxFromRow, transitionFromRow, type AttemptRow, type OutboxRow, type TransitionRow } from '../sqlite/sqlite-rows.ts';
import { applyMigrations } from './postgres-migrations.ts';
import { postgresFailure } from './postgres-failure.ts';
import { parsePostgresUrl, type PostgresTarget } from './postgres-url.ts';
import { JOURNAL_MIGRATIONS } from './postgres-journal-schema.ts';
import { SQL } from './postgres-journal-statements.ts';
import { decodeUnitResult, encodeUnit, type EncodedUnit, type UnitResult } from './postgres-journal-units.ts';
import { recordFromRow, type PostgresExecutionRow } from './postgres-journal-rows.ts';
import { LOCK_KEEPALIVE_OPTIONS, PostgresOwnerLock } from './postgres-owner-lock.ts';
import { JOURNAL_TYPES, checkOption, checkSchemaName, ensureSchema } from './postgres-journal-open.ts';

/** Options of {@link openPostgresJournal}. */
export interface PostgresJournalOptions {
  /** `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`); the tables are created there on open. */
  url: string;
  /** This journal's lease owner id. @default a random UUID */
  ownerId?: string;
  /** Most pooled connections (the owner lock holds one more of its own). @default 10 */
  maxConnections?: number;
  /** How long to wait for a connection before failing with POSTGRES_UNREACHABLE. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * The schema holding the journal's tables (created when missing): several journals can share a
   * database, each in a schema of its own. @default the connection's search_path (normally `public`)
   */
  schema?: string;
}

/** One unit waiting in the group-commit queue, as the flush sees it. */
interface QueuedUnit {
  encoded: EncodedUnit;
  decode: (result: UnitResult) => CommitResult;
}

/**
 * SQLSTATE classes of failures that belong to one unit's data (a constraint it broke) rather than to
 * the database: when a batch fails with one of them, nothing of it was committed, and each unit is
 * retried on its own so the others still land.
 */
const UNIT_FAILURE_CLASSES = new Set(['22', '23', 'P0']);

/**
 * Connects to `options.url`, applies the journal's migrations (safe when several workers start at
 * once), takes this owner's advisory lock and returns the journal. Fails with a
 * PostgresInfrastructureError (code POSTGRES_URL_INVALID, POSTGRES_UNREACHABLE, POSTGRES_AUTH_FAILED,
 * POSTGRES_DATABASE_MISSING, POSTGRES_PERMISSION_DENIED, …) naming host, port, database and user.
 */
export async function openPostgresJournal(options: PostgresJournalOptions): Promise<PostgresJournal> {
  const target = parsePostgresUrl(options.url);
  const schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
  const fail = (operation: string, error: unknown): Error => postgresFailure(error, target, options.url, `journal ${operation}`);
  const base: pg.ClientConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: checkOption('connectTimeoutMs', options.connectTimeoutMs ?? 5000, 1, 600_000),
    types: JOURNAL_TYPES,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
  const pool = new pg.Pool({ ...base, max: checkOption('maxConnections', options.maxConnections ?? 10, 1, 1000), application_name: 'action-executor journal' });
  // A connection that dies emits 'error' (on the pool while idle, on the client while checked out);
  // unheard, it would crash the process. The query in progress, or the next one, reports it instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  let lock: PostgresOwnerLock | undefined;
  try {
    const client = await pool.connect().catch((error: unknown) => {
      throw fail('open', error);
    });
    try {
      if (schema !== undefined) await ensureSchema(client, schema);
      await applyMigrations(client, JOURNAL_MIGRATIONS, target);
      client.release();
    } catch (error) {
      client.release(true);
      throw fail('open', error);
    }
    const ownerId = options.ownerId ?? randomUUID();
    lock = await PostgresOwnerLock.acquire({ ...base, application_name: 'action-executor journal lock', options: LOCK_KEEPALIVE_OPTIONS, keepAlive: true }, target, ownerId, fail);
    return new PostgresJournal(pool, lock, { target, ownerId, schema, fail });
  } catch (error) {
    await lock?.release();
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/** The journal over a PostgreSQL connection pool. Open it with {@link openPostgresJournal}. */
export class PostgresJournal implements Journal {
  readonly backend = 'postgres' as const;
  readonly owner: LeaseOwner;
  readonly stats: JournalStats = { commits: 0, writes: 0 };
  /** Host, port, database and user, and the URL with its password redacted. */
  readonly target: PostgresTarget;
  /** The schema of the tables, when one was chosen. */
  readonly schema: string | undefined;
  private readonly queue: GroupCommitQueue<QueuedUnit[]>;
  private readonly fail: (operation: string, error: unknown) => Error;
  private queries = 0;
  private closed = false;
  /** Rate-limit takes of this journal, one after another: grants go in the order the takes were asked. */
  private rateTakes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly lock: PostgresOwnerLock,
    opts: { target: PostgresTarget; ownerId: string; schema: string | undefined; fail: (operation: string, error: unknown) => Error },
  ) {
    this.target = opts.target;
    this.schema = opts.schema;
    this.fail = opts.fail;
    this.owner = { id: opts.ownerId, pid: process.pid, host: hostname() };
    this.queue = new GroupCommitQueue<QueuedUnit[]>((units) => this.flush(units));
  }

  get location(): string {
    return this.schema === undefined ? this.target.redactedUrl : `${this.target.redactedUrl} (schema ${this.schema})`;
  }

  /** Round trips to the server so far (every query; a group commit is one). For tests and benchmarks. */
  get roundTrips(): number {
    return this.queries;
  }

  /** The advisory-lock key this owner holds and the server process holding it (pg_stat_activity.pid). */
  get ownerLock(): { key: number; backendPid: number; held: boolean } {
    return { key: this.lock.key, backendPid: this.lock.backendPid, held: this.lock.isHeld };
  }

  private async query<R extends QueryResultRow>(operation: string, config: QueryConfig<unknown[]>, client?: PoolClient): Promise<pg.QueryResult<R>> {
    this.queries += 1;
    try {
      return await (client ?? this.pool).query<R>(config);
    } catch (error) {
      throw this.fail(operation, error);
    }
  }

  /** Runs `fn` in a transaction on one pooled connection; a failure rolls back (or drops a broken connection). */
  private async transaction<T>(operation: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.fail(operation, error);
    });
    try {
      await this.query(operation, { text: 'BEGIN' }, client);
      const result = await fn(client);
      await this.query(operation, { text: 'COMMIT' }, client);
      client.release();
      return result;
    } catch (error) {
      const healthy = await client.query('ROLLBACK').then(() => true, () => false);
      client.release(healthy ? undefined : true);
      throw this.fail(operation, error);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error(`the journal ${this.location} is closed`);
  }

  /** Sends one batch; an error of one unit's data (not of the database) is retried unit by unit. */
  private async flush(units: readonly ((batch: QueuedUnit[]) => unknown)[]): Promise<UnitOutcome[]> {
    const batch: QueuedUnit[] = [];
    for (const unit of units) unit(batch);
    await this.lock.ensure();
    let results: UnitResult[];
    try {
      results = await this.send(batch.map((entry) => entry.encoded));
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      const sqlState = typeof code === 'string' ? code : '';
      if (batch.length === 1 || !UNIT_FAILURE_CLASSES.has(sqlState.slice(0, 2))) throw error;
      // Nothing of the batch was committed (the statement failed as a whole): apply each alone.
      const outcomes: UnitOutcome[] = [];
      for (const entry of batch) {
        try {
          const [result] = await this.send([entry.encoded]);
          outcomes.push(this.outcome(entry, result));
        } catch (unitError) {
          outcomes.push({ ok: false, error: unitError });
        }
      }
      return outcomes;
    }
    return batch.map((entry, index) => this.outcome(entry, results[index]));
  }

  private async send(units: EncodedUnit[]): Promise<UnitResult[]> {
    const { id, pid, host } = this.owner;
    const result = await this.query<{ results: UnitResult[] }>('commit', SQL.commit([JSON.stringify(units), id, pid, host, this.lock.key]));
    const results = result.rows[0]?.results ?? [];
    const applied = results.filter((unit) => unit.ok).length;
    if (applied > 0) {
      this.stats.commits += 1;
      this.stats.writes += applied;
    }
    return results;
  }

  private outcome(entry: QueuedUnit, result: UnitResult | undefined): UnitOutcome {
    if (result === undefined) return { ok: false, error: new Error('the journal commit function returned no result for a unit') };
    try {
      return { ok: true, value: entry.decode(result) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  commit(key: ExecutionKey, writes: readonly JournalWrite[], fence: Fence | null, now: number): Promise<CommitResult> {
    if (this.closed) return Promise.reject(new Error(`the journal ${this.location} is closed`));
    // Serialize outside the queue, so a value with no JSON form is refused before anything is sent.
    let encoded: EncodedUnit;
    try {
      encoded = encodeUnit(key, writes, fence, now);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const context = { key, fence, ownerId: this.owner.id, location: this.location };
    const entry: QueuedUnit = { encoded, decode: (result) => decodeUnitResult(result, context) };
    // The queue resolves each unit with what its flush outcome holds: the decoded CommitResult.
    return this.queue.submit((batch) => void batch.push(entry)) as unknown as Promise<CommitResult>;
  }

  async get(key: ExecutionKey): Promise<ExecutionRecord | undefined> {
    const result = await this.query<PostgresExecutionRow>('read', SQL.selectExecution([key.executionId, key.actionId]));
    const row = result.rows[0];
    return row === undefined ? undefined : recordFromRow(row);
  }

  async listExecutions(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    const filter = [
      query.executionId ?? null,
      query.search ? `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
      query.statuses === undefined ? null : [...query.statuses],
      query.definitionId ?? null,
      query.stateValues === undefined ? null : [...query.stateValues],
    ];
    const paged = [...filter, query.limit ?? null, query.offset ?? 0];
    const rows = (await this.query<PostgresExecutionRow>('list', (query.order === 'oldest' ? SQL.listOldest : SQL.listNewest)(paged))).rows;
    const total = query.limit === undefined && (query.offset ?? 0) === 0 ? rows.length : ((await this.query<{ total: number }>('list', SQL.countExecutions(filter))).rows[0]?.total ?? 0);
    return { records: rows.map(recordFromRow), total };
  }

  async listUnfinished(limit = -1): Promise<ExecutionKey[]> {
    const result = await this.query<{ execution_id: string; action_id: string }>('list', SQL.listUnfinished([limit < 0 ? null : limit]));
    return result.rows.map((row) => ({ executionId: row.execution_id, actionId: row.action_id }));
  }

  async listTransitions(key: ExecutionKey): Promise<TransitionRecord[]> {
    const result = await this.query<TransitionRow>('read', SQL.listTransitions([key.executionId, key.actionId]));
    return result.rows.map((row) => transitionFromRow(row, key));
  }

  async getAttempt(key: ExecutionKey, attempt: number): Promise<AttemptRecord | undefined> {
    const row = (await this.query<AttemptRow>('read', SQL.selectAttempt([key.executionId, key.actionId, attempt]))).rows[0];
    return row === undefined ? undefined : attemptFromRow(row, key);
  }

  async listAttempts(key: ExecutionKey): Promise<AttemptRecord[]> {
    const result = await this.query<AttemptRow>('read', SQL.listAttempts([key.executionId, key.actionId]));
    return result.rows.map((row) => attemptFromRow(row, key));
  }

  async acquireLease(key: ExecutionKey, now: number, ttlMs: number): Promise<LeaseResult> {
    this.ensureOpen();
    // Our own proof of life first: a lease we take must not look abandoned to the next prober.
    await this.lock.ensure();
    const operation = 'lease acquisition';
    return this.transaction(operation, async (client): Promise<LeaseResult> => {
      const row = (await this.query<PostgresExecutionRow>(operation, SQL.lockExecution([key.executionId, key.actionId]), client)).rows[0];
      if (row === undefined) throw executionNotFoundError(this.location, 'acquireLease', key);
      const record = recordFromRow(row);
      const current = record.lease;
      let liveness: OwnerLiveness = 'unknown';
      // Probe only a live-looking lease of someone else; the probe's lock is held until we commit.
      if (current !== null && current.id !== this.owner.id && current.expiresAt > now && row.lease_owner_lock !== null) {
        const probe = await this.query<{ free: boolean }>(operation, SQL.probeOwner([row.lease_owner_lock]), client);
        liveness = probe.rows[0]?.free === true ? 'dead' : 'alive';
      }
      const decision = decideLease(current, this.owner.id, now, () => liveness);
      if (!decision.take) return { acquired: false, heldBy: decision.heldBy, expiresAt: decision.expiresAt };
      const { id, pid, host } = this.owner;
      const leased = await this.query<{ lease_epoch: number }>(operation, SQL.setLease([id, pid, host, this.lock.key, now + ttlMs, key.executionId, key.actionId]), client);
      const fence: Fence = { ownerId: id, epoch: leased.rows[0]?.lease_epoch ?? 0 };
      this.stats.commits += 1;
      this.stats.writes += 1;
      const leasedRecord: ExecutionRecord = { ...record, lease: { ...this.owner, epoch: fence.epoch, expiresAt: now + ttlMs } };
      return decision.tookOverFrom === undefined
        ? { acquired: true, fence, record: leasedRecord }
        : { acquired: true, fence, record: leasedRecord, tookOverFrom: decision.tookOverFrom, ...(decision.reason ? { reason: decision.reason } : {}) };
    });
  }

  async renewLease(key: ExecutionKey, fence: Fence, now: number, ttlMs: number): Promise<boolean> {
    this.ensureOpen();
    await this.lock.ensure();
    const result = await this.query('lease renewal', SQL.renewLease([now + ttlMs, this.lock.key, key.executionId, key.actionId, fence.ownerId, fence.epoch]));
    return this.counted(result.rowCount === 1);
  }

  async releaseLease(key: ExecutionKey, fence: Fence): Promise<void> {
    this.ensureOpen();
    this.counted(await this.query('lease release', SQL.releaseLease([key.executionId, key.actionId, fence.ownerId, fence.epoch])));
  }

  /** Counts one committed single-statement write (JournalStats counts applied work). */
  private counted<T>(value: T): T {
    this.stats.commits += 1;
    this.stats.writes += 1;
    return value;
  }

  async pendingOutbox(limit = 100): Promise<OutboxRecord[]> {
    return (await this.query<OutboxRow>('read', SQL.pendingOutbox([limit]))).rows.map(outboxFromRow);
  }

  async listOutbox(key: ExecutionKey): Promise<OutboxRecord[]> {
    return (await this.query<OutboxRow>('read', SQL.listOutbox([key.executionId, key.actionId]))).rows.map(outboxFromRow);
  }

  async markDelivered(id: number, now: number): Promise<void> {
    this.ensureOpen();
    this.counted(await this.query('outbox update', SQL.markDelivered([now, id])));
  }

  async recordDeliveryFailure(id: number, error: string, now: number): Promise<void> {
    this.ensureOpen();
    this.counted(await this.query('outbox update', SQL.deliveryFailure([error, now, id])));
  }

  async takeRateToken(bucket: string, capacity: number, windowMs: number, now: number): Promise<{ granted: true } | { granted: false; waitMs: number }> {
    if (!Number.isFinite(capacity) || capacity <= 0 || !Number.isFinite(windowMs)) throw rateLimitConfigError(bucket, capacity, windowMs);
    this.ensureOpen();
    const operation = `rate limit bucket ${bucket}`;
    const take = this.rateTakes.then(() => this.transaction(operation, async (client) => {
      // The row lock serializes takes on one bucket across every process sharing the database.
      const row = (await this.query<{ tokens: number; updated_at: number }>(operation, SQL.lockBucket([bucket, capacity, now]), client)).rows[0];
      const taken = takeToken(row === undefined ? undefined : { tokens: row.tokens, updatedAt: row.updated_at }, capacity, windowMs, now);
      await this.query(operation, SQL.storeBucket([bucket, taken.state.tokens, taken.state.updatedAt]), client);
      this.counted(null);
      return taken.granted ? { granted: true as const } : { granted: false as const, waitMs: taken.waitMs };
    }));
    this.rateTakes = take.catch(() => undefined);
    return take;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.drain();
    this.closed = true;
    await this.pool.end().catch(() => undefined);
    // Last: until the pending commits above were answered, this owner had to count as alive.
    await this.lock.release();
  }
}
