/**
 * The writes of one commit unit on SQLite: serialized to JSON before the transaction (so a value with
 * no JSON form fails before anything is queued), then applied in order inside it. Only the last
 * transition of a unit updates the execution row; every transition appends its own row.
 */
import type { ExecutionKey, Fence, JournalWrite } from '../journal.ts';
import { attemptAlreadyFinishedError, attemptNotStartedError, notFoundError } from '../journal-errors.ts';
import { toJson } from './sqlite-rows.ts';
import type { JournalStatements } from './sqlite-statements.ts';

/** A write with its JSON columns serialized. */
export type PreparedWrite = ReturnType<typeof prepareWrite>;

export function prepareWrite(key: ExecutionKey, write: JournalWrite) {
  switch (write.type) {
    case 'create':
      return {
        type: 'create' as const,
        leaseTtlMs: write.leaseTtlMs,
        params: {
          execution_id: key.executionId,
          action_id: key.actionId,
          request_hash: write.requestHash,
          request_json: toJson(write.request, 'request', key),
          definition_json: toJson(write.definition, 'definition', key),
          machine_version: write.machineVersion,
          state_value: write.stateValue,
          snapshot_json: toJson(write.snapshot, 'snapshot', key),
          definition_id: write.definitionId,
        },
      };
    case 'transition': {
      const resultJson = write.result === undefined || write.result === null ? null : toJson(write.result, 'result', key);
      return {
        ...write,
        snapshotJson: toJson(write.snapshot, 'snapshot', key),
        eventJson: write.data === undefined || write.data === null ? null : toJson(write.data, `data of event ${write.event}`, key),
        resultJson,
        // A terminal event's payload is the result itself: serialize it once.
        payloadJson: write.outbox === undefined ? null : write.outbox.payload === write.result && resultJson !== null ? resultJson : toJson(write.outbox.payload, `outbox payload (${write.outbox.type})`, key),
      };
    }
    case 'beginAttempt':
      return { ...write, requestJson: toJson(write.request, `request of attempt ${write.attempt}`, key) };
    case 'finishAttempt':
      return { ...write, outcomeJson: toJson(write.outcome, `outcome of attempt ${write.attempt}`, key) };
  }
}

/**
 * Applies one write. `base` carries the unit's next transition seq and the row's status between
 * writes (read once per unit); `updateRow` is false for a transition a later one in the unit supersedes.
 */
export function applyWrite(
  sql: JournalStatements,
  file: string,
  key: ExecutionKey,
  write: Exclude<PreparedWrite, { type: 'create' }>,
  fence: Fence | null,
  now: number,
  base: { seq: number; status: string },
  updateRow: boolean,
): void {
  const { executionId, actionId } = key;
  switch (write.type) {
    case 'transition': {
      if (base.seq === 0) {
        const stored = sql.transitionBase.get(executionId, actionId);
        if (stored === undefined) return notFoundError(file, `transition ${write.from} → ${write.to}`, key);
        Object.assign(base, stored);
      }
      const seq = base.seq;
      base.seq += 1;
      sql.insertTransition.run(executionId, actionId, seq, write.from, write.to, write.event, write.eventJson, write.snapshotJson, write.at ?? now);
      if (write.outbox !== undefined && write.payloadJson !== null) sql.insertOutbox.run(executionId, actionId, write.outbox.type, write.payloadJson, now);
      if (write.releaseLease && fence) sql.releaseLease.run(executionId, actionId, fence.ownerId, fence.epoch);
      if (!updateRow) return;
      const update = {
        execution_id: executionId,
        action_id: actionId,
        state_value: write.stateValue,
        snapshot_json: write.snapshotJson,
        attempt_count: write.attemptCount,
        wake_at: write.wakeAt,
        set_result: write.result !== undefined ? (1 as const) : (0 as const),
        result_json: write.resultJson,
        now,
      };
      if (base.status === write.status) sql.updateStateSameStatus.run(update);
      else sql.updateState.run({ ...update, status: write.status });
      base.status = write.status;
      return;
    }
    case 'beginAttempt': {
      const existing = sql.selectAttempt.get(executionId, actionId, write.attempt);
      if (existing?.state === 'in_flight') return;
      if (existing !== undefined) throw attemptAlreadyFinishedError(key, write.attempt, existing.state);
      sql.insertAttempt.run(executionId, actionId, write.attempt, write.idempotencyKey, write.requestJson, now);
      return;
    }
    case 'finishAttempt': {
      if (sql.finishAttempt.run(write.state, write.outcomeJson, now, executionId, actionId, write.attempt).changes === 1) return;
      if (sql.selectAttempt.get(executionId, actionId, write.attempt) !== undefined) return;
      throw attemptNotStartedError(key, write.attempt);
    }
  }
}
