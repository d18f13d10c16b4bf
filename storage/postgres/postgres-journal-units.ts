/**
 * The client side of the Postgres journal's group commit: one `commit` call becomes one unit of the
 * JSON array `ae_journal_commit` takes (postgres-journal-commit-function.ts documents the format),
 * and the unit's result becomes the CommitResult — or the same ActionError the SQLite backend
 * raises for the same refusal. Every value is serialized here, before anything is queued, so a value
 * with no JSON form is refused without a round trip.
 */
import type { CommitResult, ExecutionKey, Fence, JournalWrite } from '../journal.ts';
import { attemptAlreadyFinishedError, attemptNotStartedError, executionNotFoundError, leaseLostError } from '../journal-errors.ts';
import { toJson } from '../sqlite/sqlite-rows.ts';
import { recordFromRow, type PostgresExecutionRow } from './postgres-journal-rows.ts';

/** One write, as the commit function reads it (short keys: a batch carries many). */
type EncodedWrite = Record<string, string | number | boolean | null>;

/** One unit of a batch. */
export interface EncodedUnit {
  k: [executionId: string, actionId: string];
  f: [ownerId: string, epoch: number] | null;
  n: number;
  w: EncodedWrite[];
}

/** What the commit function returned for one unit. */
export interface UnitResult {
  ok: boolean;
  code?: string;
  created?: boolean;
  epoch?: number;
  attempt?: number;
  state?: string;
  type?: string;
  row?: PostgresExecutionRow;
}

const jsonOrNull = (value: unknown, what: string, key: ExecutionKey): string | null => (value === undefined || value === null ? null : toJson(value, what, key));

function encodeWrite(key: ExecutionKey, write: JournalWrite): EncodedWrite {
  switch (write.type) {
    case 'create':
      return {
        t: 'c',
        d: write.definitionId,
        h: write.requestHash,
        rq: toJson(write.request, 'request', key),
        df: toJson(write.definition, 'definition', key),
        mv: write.machineVersion,
        sv: write.stateValue,
        sn: toJson(write.snapshot, 'snapshot', key),
        l: write.leaseTtlMs ?? null,
      };
    case 'transition':
      return {
        t: 't',
        fr: write.from,
        to: write.to,
        ev: write.event,
        ej: jsonOrNull(write.data, `data of event ${write.event}`, key),
        at: write.at ?? null,
        sn: toJson(write.snapshot, 'snapshot', key),
        sv: write.stateValue,
        st: write.status,
        ac: write.attemptCount,
        wk: write.wakeAt,
        sr: write.result !== undefined,
        rj: jsonOrNull(write.result, 'result', key),
        ot: write.outbox?.type ?? null,
        op: write.outbox === undefined ? null : toJson(write.outbox.payload, `outbox payload (${write.outbox.type})`, key),
        rl: write.releaseLease === true,
      };
    case 'beginAttempt':
      return { t: 'b', a: write.attempt, ik: write.idempotencyKey, rq: toJson(write.request, `request of attempt ${write.attempt}`, key) };
    case 'finishAttempt':
      return { t: 'f', a: write.attempt, st: write.state, oj: toJson(write.outcome, `outcome of attempt ${write.attempt}`, key) };
  }
}

/** Serializes one commit; throws JOURNAL_VALUE_NOT_JSON naming the field when a value has no JSON form. */
export function encodeUnit(key: ExecutionKey, writes: readonly JournalWrite[], fence: Fence | null, now: number): EncodedUnit {
  return { k: [key.executionId, key.actionId], f: fence === null ? null : [fence.ownerId, fence.epoch], n: now, w: writes.map((write) => encodeWrite(key, write)) };
}

/**
 * The CommitResult of a unit the function accepted, or the error it was refused with (the same
 * codes, messages and context as the SQLite backend).
 */
export function decodeUnitResult(result: UnitResult, unit: { key: ExecutionKey; fence: Fence | null; ownerId: string; location: string }): CommitResult {
  const { key, location } = unit;
  if (!result.ok) {
    switch (result.code) {
      case 'LEASE_LOST':
        throw leaseLostError(location, key, unit.fence ?? { ownerId: '', epoch: 0 });
      case 'EXECUTION_NOT_FOUND':
        throw executionNotFoundError(location, 'commit', key);
      case 'ATTEMPT_ALREADY_FINISHED':
        throw attemptAlreadyFinishedError(key, result.attempt ?? 0, result.state ?? 'unknown');
      case 'ATTEMPT_NOT_STARTED':
        throw attemptNotStartedError(key, result.attempt ?? 0);
      case 'CREATE_NOT_FIRST':
        throw new Error('a create write must come first in its commit');
      default:
        throw new Error(`the journal's commit function refused a write it does not know (${result.type ?? result.code ?? 'no code'}); this build and the database's function disagree`);
    }
  }
  const commit: CommitResult = {};
  if (result.created !== undefined) commit.created = result.created;
  if (result.row !== undefined) commit.record = recordFromRow(result.row);
  if (result.epoch !== undefined) commit.fence = { ownerId: unit.ownerId, epoch: result.epoch };
  return commit;
}
