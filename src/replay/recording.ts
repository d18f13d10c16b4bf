/**
 * A recording: everything the journal knows of one action execution that a replay feeds back — the
 * stored request (credential names only), the definition it started with, every transition with its
 * event payload and the facts its step observed (clock reading, random draws), and every HTTP attempt
 * with its redacted request and recorded outcome. Plain JSON, so an emitted test can embed it.
 */
import type { AttemptRecord, ExecutionKey, ExecutionStatus, Journal, TransitionRecord } from '../../storage/journal.ts';
import type { StoredRequest } from '../execution/request-identity.ts';

/** One execution as journaled. */
export interface Recording extends ExecutionKey {
  definitionId: string;
  machineVersion: string;
  request: StoredRequest;
  /** The definition journaled when the execution was created; null when none was registered. */
  definition: unknown;
  status: ExecutionStatus;
  stateValue: string;
  /** The latest journaled snapshot (`{ status, value, context }`), null before the machine started. */
  snapshot: unknown;
  /** The final ActionExecutionState, null while the execution has not ended. */
  result: unknown;
  createdAt: number;
  transitions: Pick<TransitionRecord, 'seq' | 'from' | 'to' | 'event' | 'data' | 'at'>[];
  attempts: AttemptRecord[];
}

/** Reads one execution's recording, or undefined when the journal has no such execution. */
export async function readRecording(journal: Journal, key: ExecutionKey): Promise<Recording | undefined> {
  const record = await journal.get(key);
  if (!record) return undefined;
  const [transitions, attempts] = await Promise.all([journal.listTransitions(key), journal.listAttempts(key)]);
  return {
    executionId: record.executionId,
    actionId: record.actionId,
    definitionId: record.definitionId,
    machineVersion: record.machineVersion,
    request: record.request as StoredRequest,
    definition: record.definition,
    status: record.status,
    stateValue: record.stateValue,
    snapshot: record.snapshot,
    result: record.result,
    createdAt: record.createdAt,
    transitions: transitions.map(({ seq, from, to, event, data, at }) => ({ seq, from, to, event, data, at })),
    attempts,
  };
}
