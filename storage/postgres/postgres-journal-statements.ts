/**
 * The SQL of the Postgres journal outside the commit function, as named statements: `pg` prepares a
 * named statement once per connection and then sends only its parameters. Table and column names
 * come from postgres-journal-schema.ts.
 */
import type { QueryConfig } from 'pg';
import { ATTEMPTS_TABLE, BUCKETS_TABLE, COMMIT_FUNCTION, EXECUTIONS_TABLE, OUTBOX_TABLE, OWNER_LOCK_NAMESPACE, TRANSITIONS_TABLE } from './postgres-journal-schema.ts';

type Values = unknown[];

/** A named statement with its parameters. */
const named = (name: string, text: string) => (values: Values): QueryConfig<Values> => ({ name: `ae_journal_${name}`, text, values });

// ILIKE: SQLite's LIKE ignores ASCII case, so `list --search` finds the same executions on both backends.
const LIST_FILTER = `
  WHERE ($1::text IS NULL OR execution_id = $1)
    AND ($2::text IS NULL OR execution_id ILIKE $2 ESCAPE '\\')
    AND ($3::text[] IS NULL OR status = ANY ($3))
    AND ($4::text IS NULL OR definition_id = $4)
    AND ($5::text[] IS NULL OR state_value = ANY ($5))`;

const ATTEMPT_COLUMNS = 'attempt, idempotency_key, state, request_json, outcome_json, started_at, finished_at';
const OUTBOX_COLUMNS = 'id, execution_id, action_id, type, payload_json, created_at, deliveries, last_error, delivered_at';

export const SQL = {
  /** One group commit: units (jsonb), owner id, pid, host, lock key → one result per unit. */
  commit: named('commit', `SELECT ${COMMIT_FUNCTION}($1::jsonb, $2, $3, $4, $5) AS results`),

  selectExecution: named('select_execution', `SELECT * FROM ${EXECUTIONS_TABLE} WHERE execution_id = $1 AND action_id = $2`),
  /** Locks the row for a lease decision; the lock is held until the transaction ends. */
  lockExecution: named('lock_execution', `SELECT * FROM ${EXECUTIONS_TABLE} WHERE execution_id = $1 AND action_id = $2 FOR NO KEY UPDATE`),
  listNewest: named('list_newest', `SELECT * FROM ${EXECUTIONS_TABLE} ${LIST_FILTER} ORDER BY created_at DESC, row_id DESC LIMIT $6 OFFSET $7`),
  listOldest: named('list_oldest', `SELECT * FROM ${EXECUTIONS_TABLE} ${LIST_FILTER} ORDER BY created_at, row_id LIMIT $6 OFFSET $7`),
  countExecutions: named('count_executions', `SELECT count(*)::integer AS total FROM ${EXECUTIONS_TABLE} ${LIST_FILTER}`),
  listUnfinished: named('list_unfinished', `
    SELECT execution_id, action_id FROM ${EXECUTIONS_TABLE}
    WHERE status IN ('pending', 'running') ORDER BY created_at, row_id LIMIT $1`),

  listTransitions: named('list_transitions', `
    SELECT seq, from_state, to_state, event, event_json, snapshot_json, at FROM ${TRANSITIONS_TABLE}
    WHERE execution_id = $1 AND action_id = $2 ORDER BY seq`),
  selectAttempt: named('select_attempt', `SELECT ${ATTEMPT_COLUMNS} FROM ${ATTEMPTS_TABLE} WHERE execution_id = $1 AND action_id = $2 AND attempt = $3`),
  listAttempts: named('list_attempts', `SELECT ${ATTEMPT_COLUMNS} FROM ${ATTEMPTS_TABLE} WHERE execution_id = $1 AND action_id = $2 ORDER BY attempt`),

  /**
   * Whether the holder of owner-lock key $1 is gone: true when no session holds its lock. Taken as a
   * transaction lock, so the key stays ours until the takeover commits — a holder cannot come back
   * between the probe and the take.
   */
  probeOwner: named('probe_owner', `SELECT pg_try_advisory_xact_lock(${OWNER_LOCK_NAMESPACE}, $1) AS free`),
  /** Takes the lease and bumps its epoch, which fences out the previous holder's writes. */
  setLease: named('set_lease', `
    UPDATE ${EXECUTIONS_TABLE} SET lease_owner_id = $1, lease_owner_pid = $2, lease_owner_host = $3, lease_owner_lock = $4,
      lease_expires_at = $5, lease_epoch = lease_epoch + 1
    WHERE execution_id = $6 AND action_id = $7 RETURNING lease_epoch`),
  /** Extends the lease while the fence holds it, and records the lock key the owner holds now. */
  renewLease: named('renew_lease', `
    UPDATE ${EXECUTIONS_TABLE} SET lease_expires_at = $1, lease_owner_lock = $2
    WHERE execution_id = $3 AND action_id = $4 AND lease_owner_id = $5 AND lease_epoch = $6`),
  releaseLease: named('release_lease', `
    UPDATE ${EXECUTIONS_TABLE} SET lease_owner_id = NULL, lease_owner_pid = NULL, lease_owner_host = NULL,
      lease_owner_lock = NULL, lease_expires_at = NULL
    WHERE execution_id = $1 AND action_id = $2 AND lease_owner_id = $3 AND lease_epoch = $4`),

  pendingOutbox: named('pending_outbox', `SELECT ${OUTBOX_COLUMNS} FROM ${OUTBOX_TABLE} WHERE delivered_at IS NULL ORDER BY id LIMIT $1`),
  listOutbox: named('list_outbox', `SELECT ${OUTBOX_COLUMNS} FROM ${OUTBOX_TABLE} WHERE execution_id = $1 AND action_id = $2 ORDER BY id`),
  markDelivered: named('mark_delivered', `
    UPDATE ${OUTBOX_TABLE} SET delivered_at = $1, last_attempt_at = $1, deliveries = deliveries + 1
    WHERE id = $2 AND delivered_at IS NULL`),
  deliveryFailure: named('delivery_failure', `
    UPDATE ${OUTBOX_TABLE} SET last_error = $1, last_attempt_at = $2, deliveries = deliveries + 1
    WHERE id = $3 AND delivered_at IS NULL`),

  /**
   * Locks a bucket row, creating it full ($2 tokens at $3) when it is new, and returns its state. The
   * no-op update is what takes the row lock on an existing bucket; concurrent takes wait on it.
   */
  lockBucket: named('lock_bucket', `
    INSERT INTO ${BUCKETS_TABLE} AS b (bucket, tokens, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (bucket) DO UPDATE SET bucket = b.bucket
    RETURNING tokens, updated_at`),
  storeBucket: named('store_bucket', `UPDATE ${BUCKETS_TABLE} SET tokens = $2, updated_at = $3 WHERE bucket = $1`),
};
