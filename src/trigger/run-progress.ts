/**
 * The live state of a run's action, for the dashboard and realtime subscribers: run metadata `action`
 * is replaced after every journaled transition (state, attempt, next attempt time, wait reason, the
 * error once failed), and a failed action's whole ActionExecutionState goes to metadata `result`
 * (a completed or skipped one is the run's output). Metadata is capped by the platform (256 KiB by
 * default), so a result over {@link METADATA_RESULT_BUDGET_BYTES} has its long strings clipped; the
 * journal keeps the whole state.
 */
import { metadata } from '@trigger.dev/sdk';
import type { TransitionInfo } from '../execution/executor-api.ts';
import { statusOf } from '../execution/execution-state.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionKey, ExecutionStatus } from '../../storage/journal.ts';

/** The run metadata keys this task writes. */
export const RUN_METADATA_KEYS = {
  /** The live {@link ActionProgress}. */
  progress: 'action',
  /** The final ActionExecutionState of a failed action. */
  result: 'result',
} as const;

/** Largest `result` written to run metadata, in UTF-8 bytes of its JSON (half the platform's default cap). */
export const METADATA_RESULT_BUDGET_BYTES = 128 * 1024;

/** A string longer than this in an over-budget result keeps this many characters. */
export const CLIPPED_STRING_CHARS = 2_048;

/** What the dashboard shows of a running action (run metadata `action`). */
export type ActionProgress = {
  executionId: string;
  actionId: string;
  definitionId: string;
  /** The machine state: `resolving`, `requesting`, `backingOff`, `completed`, … (`submitted` before the first transition). */
  state: string;
  status: ExecutionStatus;
  /** HTTP attempts started so far. */
  attempt: number;
  /** When a backing-off action sends its next attempt (ISO 8601), else null. */
  nextAttemptAt: string | null;
  /** Why it is waiting (the retry decision or the client-side rate limit), while backing off. */
  waitReason: string | null;
  /** The event of the last transition (`RETRY`, `SENT`, …), null before the first. */
  event: string | null;
  /** Once failed: what failed. */
  error?: ErrorDetail;
};

/** Where a run's progress and failed result go: run metadata on the platform, a recorder in tests. */
export interface RunProgressSink {
  /** The live state, after each journaled transition. */
  update(progress: ActionProgress): void;
  /** The whole state of a failed action. */
  failed(state: ActionExecutionState): void;
}

/** Progress before the executor reported anything. */
export function submittedProgress(key: ExecutionKey, definitionId: string): ActionProgress {
  return { ...key, definitionId, state: 'submitted', status: 'pending', attempt: 0, nextAttemptAt: null, waitReason: null, event: null };
}

/** Progress after one journaled transition. */
export function progressOf(info: TransitionInfo, definitionId: string): ActionProgress {
  const { context } = info;
  const waiting = info.to === 'backingOff';
  return {
    executionId: info.executionId,
    actionId: info.actionId,
    definitionId,
    state: info.to,
    status: statusOf(info.to),
    attempt: context.attempt,
    nextAttemptAt: waiting && context.nextAttemptAt !== null ? new Date(context.nextAttemptAt).toISOString() : null,
    waitReason: waiting ? context.waitReason : null,
    event: info.event,
    ...(context.error ? { error: context.error } : {}),
  };
}

/** Progress of a finished state (a resubmission returns one without any transition). */
export function finalProgress(key: ExecutionKey, definitionId: string, state: ActionExecutionState, event: string | null): ActionProgress {
  const error = state.result?.status === 'failure' ? state.result.error : undefined;
  return { ...key, definitionId, state: state.status, status: state.status, attempt: state.attempts, nextAttemptAt: null, waitReason: null, event, ...(error ? { error } : {}) };
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Every string over the clip length shortened, saying how long it was and where the rest is (also for plan results). */
export function clipStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= CLIPPED_STRING_CHARS) return value;
    return `${value.slice(0, CLIPPED_STRING_CHARS)}…[clipped from ${value.length} characters to fit run metadata; the journal holds the whole state]`;
  }
  if (Array.isArray(value)) return value.map(clipStrings);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v)]));
  return value;
}

/**
 * The state as written to metadata `result`: whole when it fits the budget; else with long strings
 * clipped; else also with only the last HTTP trace entry, which holds the failing attempt.
 */
export function metadataResultOf(state: ActionExecutionState, budget = METADATA_RESULT_BUDGET_BYTES): ActionExecutionState {
  if (bytesOf(state) <= budget) return state;
  const clipped = clipStrings(state) as ActionExecutionState;
  if (bytesOf(clipped) <= budget) return clipped;
  return { ...clipped, httpTrace: clipped.httpTrace.slice(-1) };
}

type MetadataValue = Parameters<typeof metadata.set>[1];

/** Metadata travels as JSON: the JSON copy is the value the platform stores (absent fields dropped). */
const asMetadata = (value: unknown): MetadataValue => JSON.parse(JSON.stringify(value)) as MetadataValue;

/** The platform sink: run metadata through the SDK (a no-op outside a run). */
export function runMetadataSink(): RunProgressSink {
  return {
    update: (progress) => void metadata.set(RUN_METADATA_KEYS.progress, asMetadata(progress)),
    failed: (state) => void metadata.set(RUN_METADATA_KEYS.result, asMetadata(metadataResultOf(state))),
  };
}
