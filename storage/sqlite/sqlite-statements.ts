/**
 * Every SQL statement the journal runs, prepared once per connection: preparing is the expensive
 * part of a small query, and the journal sits on the hot path of every transition.
 */
import type Database from 'better-sqlite3';
import type { AttemptRow, ExecutionRow, OutboxRow, TransitionRow } from './sqlite-rows.ts';

type Key = [executionId: string, actionId: string];

/** Named parameters of the execution insert. */
export interface InsertExecutionParams {
  execution_id: string;
  action_id: string;
  request_hash: string;
  request_json: string;
  definition_json: string;
  machine_version: string;
  state_value: string;
  snapshot_json: string;
  definition_id: string;
  now: number;
}

/** Named parameters of the state update done by every transition. */
export interface UpdateStateParams {
  execution_id: string;
  action_id: string;
  status: string;
  state_value: string;
  snapshot_json: string;
  attempt_count: number;
  wake_at: number | null;
  /** 1 to overwrite result_json with `result_json`, 0 to keep the stored result. */
  set_result: 0 | 1;
  result_json: string | null;
  now: number;
}

/** Named parameters of the execution listing; null means "no filter", limit -1 means "no limit". */
export interface ListExecutionsParams {
  execution_id: string | null;
  /** A LIKE pattern (already escaped) matched against execution_id. */
  search: string | null;
  statuses: string | null;
  /** A JSON array of state values. */
  state_values: string | null;
  definition_id: string | null;
  limit: number;
  offset: number;
}

const LIST_FILTER = `
      WHERE (@execution_id IS NULL OR execution_id = @execution_id)
        AND (@search IS NULL OR execution_id LIKE @search ESCAPE '\\')
        AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
        AND (@state_values IS NULL OR state_value IN (SELECT value FROM json_each(@state_values)))
        AND (@definition_id IS NULL OR definition_id = @definition_id)`;

/** Prepares the journal's statements on one connection. */
export function prepareJournalStatements(db: Database.Database) {
  return {
    insertExecution: db.prepare<InsertExecutionParams>(`
      INSERT INTO action_executions (execution_id, action_id, request_hash, request_json, definition_json,
        machine_version, status, state_value, snapshot_json, attempt_count, definition_id, created_at, updated_at)
      VALUES (@execution_id, @action_id, @request_hash, @request_json, @definition_json,
        @machine_version, 'pending', @state_value, @snapshot_json, 0, @definition_id, @now, @now)
      ON CONFLICT (execution_id, action_id) DO NOTHING`),
    selectExecution: db.prepare<Key, ExecutionRow>('SELECT * FROM action_executions WHERE execution_id = ? AND action_id = ?'),
    listNewest: db.prepare<ListExecutionsParams, ExecutionRow>(`SELECT * FROM action_executions ${LIST_FILTER}
      ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset`),
    listOldest: db.prepare<ListExecutionsParams, ExecutionRow>(`SELECT * FROM action_executions ${LIST_FILTER}
      ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`),
    countExecutions: db.prepare<ListExecutionsParams, { total: number }>(`SELECT count(*) AS total FROM action_executions ${LIST_FILTER}`),
    listUnfinished: db.prepare<[limit: number], { execution_id: string; action_id: string }>(`
      SELECT execution_id, action_id FROM action_executions
      WHERE status IN ('pending', 'running')
      ORDER BY created_at, rowid
      LIMIT ?`),
    updateState: db.prepare<UpdateStateParams>(`
      UPDATE action_executions SET
        status = @status, state_value = @state_value, snapshot_json = @snapshot_json,
        attempt_count = @attempt_count, wake_at = @wake_at,
        result_json = CASE WHEN @set_result = 1 THEN @result_json ELSE result_json END,
        updated_at = @now
      WHERE execution_id = @execution_id AND action_id = @action_id`),
    // The same update when the status stays: \`status\` is not assigned, so SQLite leaves the status
    // index alone instead of rewriting its entry (one page fewer in the WAL per transition).
    updateStateSameStatus: db.prepare<Omit<UpdateStateParams, 'status'>>(`
      UPDATE action_executions SET
        state_value = @state_value, snapshot_json = @snapshot_json,
        attempt_count = @attempt_count, wake_at = @wake_at,
        result_json = CASE WHEN @set_result = 1 THEN @result_json ELSE result_json END,
        updated_at = @now
      WHERE execution_id = @execution_id AND action_id = @action_id`),

    /** What a transition needs to know first: the current status and the next seq (undefined: no such execution). */
    transitionBase: db.prepare<Key, { status: string; seq: number }>(`
      SELECT status, (SELECT COALESCE(MAX(seq), 0) + 1 FROM transitions t
                      WHERE t.execution_id = e.execution_id AND t.action_id = e.action_id) AS seq
      FROM action_executions e WHERE execution_id = ? AND action_id = ?`),
    insertTransition: db.prepare<[...Key, seq: number, from: string, to: string, event: string, eventJson: string | null, snapshotJson: string, at: number]>(`
      INSERT INTO transitions (execution_id, action_id, seq, from_state, to_state, event, event_json, snapshot_json, at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    listTransitions: db.prepare<Key, TransitionRow>('SELECT seq, from_state, to_state, event, event_json, snapshot_json, at FROM transitions WHERE execution_id = ? AND action_id = ? ORDER BY seq'),

    selectAttempt: db.prepare<[...Key, attempt: number], AttemptRow>(`
      SELECT attempt, idempotency_key, state, request_json, outcome_json, started_at, finished_at
      FROM http_attempts WHERE execution_id = ? AND action_id = ? AND attempt = ?`),
    listAttempts: db.prepare<Key, AttemptRow>(`
      SELECT attempt, idempotency_key, state, request_json, outcome_json, started_at, finished_at
      FROM http_attempts WHERE execution_id = ? AND action_id = ? ORDER BY attempt`),
    insertAttempt: db.prepare<[...Key, attempt: number, idempotencyKey: string | null, requestJson: string, now: number]>(`
      INSERT INTO http_attempts (execution_id, action_id, attempt, idempotency_key, state, request_json, started_at)
      VALUES (?, ?, ?, ?, 'in_flight', ?, ?)`),
    finishAttempt: db.prepare<[state: string, outcomeJson: string, now: number, ...Key, attempt: number]>(`
      UPDATE http_attempts SET state = ?, outcome_json = ?, finished_at = ?
      WHERE execution_id = ? AND action_id = ? AND attempt = ? AND state = 'in_flight'`),

    /** Takes the lease and bumps its epoch (which fences out the previous holder); returns the new epoch. */
    setLease: db.prepare<[ownerId: string, pid: number, host: string, lock: string | null, expiresAt: number, ...Key], { lease_epoch: number }>(`
      UPDATE action_executions SET lease_owner_id = ?, lease_owner_pid = ?, lease_owner_host = ?, lease_owner_lock = ?,
        lease_expires_at = ?, lease_epoch = lease_epoch + 1
      WHERE execution_id = ? AND action_id = ? RETURNING lease_epoch`),
    /** The fence check: does this owner still hold this epoch of the lease? */
    fence: db.prepare<[...Key], { lease_owner_id: string | null; lease_epoch: number; lease_owner_lock: string | null }>(
      'SELECT lease_owner_id, lease_epoch, lease_owner_lock FROM action_executions WHERE execution_id = ? AND action_id = ?',
    ),
    renewLease: db.prepare<[expiresAt: number, ...Key, ownerId: string, epoch: number]>(`
      UPDATE action_executions SET lease_expires_at = ?
      WHERE execution_id = ? AND action_id = ? AND lease_owner_id = ? AND lease_epoch = ?`),
    releaseLease: db.prepare<[...Key, ownerId: string, epoch: number]>(`
      UPDATE action_executions SET lease_owner_id = NULL, lease_owner_pid = NULL, lease_owner_host = NULL,
        lease_owner_lock = NULL, lease_expires_at = NULL
      WHERE execution_id = ? AND action_id = ? AND lease_owner_id = ? AND lease_epoch = ?`),
    /** Whether an owner lock is still named by any lease (its file may be swept when not). */
    lockHoldsLeases: db.prepare<[lock: string], { n: number }>('SELECT 1 AS n FROM action_executions WHERE lease_owner_lock = ? LIMIT 1'),

    insertOutbox: db.prepare<[...Key, type: string, payloadJson: string, now: number]>(`
      INSERT INTO outbox (execution_id, action_id, type, payload_json, created_at) VALUES (?, ?, ?, ?, ?)`),
    pendingOutbox: db.prepare<[limit: number], OutboxRow>(`
      SELECT id, execution_id, action_id, type, payload_json, created_at, deliveries, last_error, delivered_at
      FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT ?`),
    listOutbox: db.prepare<Key, OutboxRow>(`
      SELECT id, execution_id, action_id, type, payload_json, created_at, deliveries, last_error, delivered_at
      FROM outbox WHERE execution_id = ? AND action_id = ? ORDER BY id`),
    markDelivered: db.prepare<[deliveredAt: number, attemptedAt: number, id: number]>(`
      UPDATE outbox SET delivered_at = ?, last_attempt_at = ?, deliveries = deliveries + 1
      WHERE id = ? AND delivered_at IS NULL`),
    deliveryFailure: db.prepare<[error: string, now: number, id: number]>(`
      UPDATE outbox SET last_error = ?, last_attempt_at = ?, deliveries = deliveries + 1
      WHERE id = ? AND delivered_at IS NULL`),

    selectBucket: db.prepare<[bucket: string], { tokens: number; updated_at: number }>('SELECT tokens, updated_at FROM rate_buckets WHERE bucket = ?'),
    upsertBucket: db.prepare<[bucket: string, tokens: number, updatedAt: number]>(`
      INSERT INTO rate_buckets (bucket, tokens, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (bucket) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`),
  };
}

/** The prepared statements of one connection. */
export type JournalStatements = ReturnType<typeof prepareJournalStatements>;
