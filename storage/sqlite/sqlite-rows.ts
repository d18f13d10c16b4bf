/**
 * Row shapes of the SQLite journal tables and their conversion to the records the journal returns.
 * Kept apart from the SqliteJournal class so the SQL-facing names (snake_case, *_json TEXT) stay in one place.
 */
import { actionError } from '../../src/failure/errors.ts';
import type { AttemptRecord, ExecutionKey, ExecutionRecord, ExecutionStatus, OutboxRecord, TransitionRecord } from '../journal.ts';

/** `action_executions` as SQLite returns it. */
export interface ExecutionRow {
  execution_id: string;
  action_id: string;
  request_hash: string;
  request_json: string;
  definition_json: string;
  machine_version: string;
  status: ExecutionStatus;
  state_value: string;
  snapshot_json: string;
  attempt_count: number;
  wake_at: number | null;
  result_json: string | null;
  created_at: number;
  updated_at: number;
  lease_owner_id: string | null;
  lease_owner_pid: number | null;
  lease_owner_host: string | null;
  lease_expires_at: number | null;
  lease_epoch: number;
  lease_owner_lock: string | null;
  definition_id: string;
}

/** `transitions` as SQLite returns it. */
export interface TransitionRow {
  seq: number;
  from_state: string;
  to_state: string;
  event: string;
  event_json: string | null;
  snapshot_json: string;
  at: number;
}

/** `http_attempts` as SQLite returns it. */
export interface AttemptRow {
  attempt: number;
  idempotency_key: string | null;
  state: AttemptRecord['state'];
  request_json: string;
  outcome_json: string | null;
  started_at: number;
  finished_at: number | null;
}

/** `outbox` as SQLite returns it. */
export interface OutboxRow {
  id: number;
  execution_id: string;
  action_id: string;
  type: string;
  payload_json: string;
  created_at: number;
  deliveries: number;
  last_error: string | null;
  delivered_at: number | null;
}

/**
 * JSON text for a TEXT column. `JSON.stringify` returns undefined for `undefined` and functions,
 * which would otherwise surface later as a bare NOT NULL failure with no hint of which value it was.
 */
export function toJson(value: unknown, what: string, key: ExecutionKey): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw actionError(
      'state_inconsistent',
      `Cannot journal ${what} of execution ${key.executionId} / action ${key.actionId}: the value (${typeof value}) has no JSON form.`,
      { code: 'JOURNAL_VALUE_NOT_JSON', context: { executionId: key.executionId, actionId: key.actionId, field: what }, suggestion: 'Pass plain JSON data (objects, arrays, strings, numbers, booleans, null).' },
    );
  }
  return text;
}

/** Parses a stored JSON column, naming the row and column when the file was damaged or hand-edited. */
export function fromJson(text: string, column: string, key: ExecutionKey): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw actionError(
      'state_inconsistent',
      `Journal column ${column} of execution ${key.executionId} / action ${key.actionId} does not hold valid JSON (${(error as Error).message}).`,
      { code: 'JOURNAL_CORRUPT_JSON', context: { executionId: key.executionId, actionId: key.actionId, column }, suggestion: 'The journal was modified outside action-executor; restore it from a backup or start the execution again under a new id.' },
    );
  }
}

/** Record view of an `action_executions` row. */
export function executionFromRow(row: ExecutionRow): ExecutionRecord {
  const key = { executionId: row.execution_id, actionId: row.action_id };
  return {
    ...key,
    definitionId: row.definition_id,
    requestHash: row.request_hash,
    request: fromJson(row.request_json, 'action_executions.request_json', key),
    definition: fromJson(row.definition_json, 'action_executions.definition_json', key),
    machineVersion: row.machine_version,
    status: row.status,
    stateValue: row.state_value,
    snapshot: fromJson(row.snapshot_json, 'action_executions.snapshot_json', key),
    attemptCount: row.attempt_count,
    wakeAt: row.wake_at,
    result: row.result_json === null ? null : fromJson(row.result_json, 'action_executions.result_json', key),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lease:
      row.lease_owner_id === null || row.lease_expires_at === null
        ? null
        : { id: row.lease_owner_id, pid: row.lease_owner_pid ?? 0, host: row.lease_owner_host ?? '', epoch: row.lease_epoch, expiresAt: row.lease_expires_at },
  };
}

/** Record view of a `transitions` row. */
export function transitionFromRow(row: TransitionRow, key: ExecutionKey): TransitionRecord {
  return {
    seq: row.seq,
    from: row.from_state,
    to: row.to_state,
    event: row.event,
    data: row.event_json === null ? null : fromJson(row.event_json, 'transitions.event_json', key),
    at: row.at,
    snapshot: fromJson(row.snapshot_json, 'transitions.snapshot_json', key),
  };
}

/** Record view of an `http_attempts` row. */
export function attemptFromRow(row: AttemptRow, key: ExecutionKey): AttemptRecord {
  return {
    attempt: row.attempt,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    request: fromJson(row.request_json, 'http_attempts.request_json', key),
    outcome: row.outcome_json === null ? null : fromJson(row.outcome_json, 'http_attempts.outcome_json', key),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Record view of an `outbox` row. */
export function outboxFromRow(row: OutboxRow): OutboxRecord {
  const key = { executionId: row.execution_id, actionId: row.action_id };
  return {
    id: row.id,
    ...key,
    type: row.type,
    payload: fromJson(row.payload_json, 'outbox.payload_json', key),
    createdAt: row.created_at,
    deliveries: row.deliveries,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
  };
}
