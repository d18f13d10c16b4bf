/**
 * The spec's ActionExecutionState (§4.1), built from the machine context and the recorded HTTP
 * attempts: by the driver for a terminal state, and read back from the journal for executions that
 * are not running in this process (`get`, `show`, the viewer).
 */
import { ExecutionContextSchema, initialContext, type ExecutionContext } from '../../machines/action-execution-context.ts';
import { isTerminalStatus, type ExecutionKey, type ExecutionRecord, type ExecutionStatus, type Journal } from '../../storage/journal.ts';
import type { AttemptOutcome } from '../http/http-types.ts';
import type { ActionExecutionState, HttpTraceEntry } from '../schemas/execution-state.ts';

/** Maps a machine state to the spec's status (`created`: journaled, machine not started yet). */
export function statusOf(stateValue: string): ExecutionStatus {
  // The machine's final states are named after the terminal statuses they map to.
  if (isTerminalStatus(stateValue)) return stateValue;
  return stateValue === 'created' ? 'pending' : 'running';
}

export interface StateBuildInput {
  actionId: string;
  stateValue: string;
  context: ExecutionContext;
  startedAt: number;
  /** When the terminal transition happened (terminal states only). */
  finishedAt?: number;
  traces: HttpTraceEntry[];
}

export function buildActionExecutionState(input: StateBuildInput): ActionExecutionState {
  const { context } = input;
  const status = statusOf(input.stateValue);
  const state: ActionExecutionState = {
    actionId: input.actionId,
    status,
    startedAt: new Date(input.startedAt).toISOString(),
    attempts: context.attempt,
    httpTrace: input.traces,
  };
  if (isTerminalStatus(status) && input.finishedAt !== undefined) {
    state.completedAt = new Date(input.finishedAt).toISOString();
    state.duration = Math.max(0, Math.round(input.finishedAt - input.startedAt));
  }
  if (status === 'completed' && context.output && context.outputLocation) {
    state.result = { status: 'success', output: context.output, outputLocation: context.outputLocation };
  } else if (status === 'failed' && context.error) {
    state.result = { status: 'failure', error: context.error };
  } else if (status === 'skipped') {
    state.result = { status: 'skipped', reason: context.skipReason ?? 'skipped' };
  }
  return state;
}

/** Outcomes known in memory but perhaps not yet committed (the driver's staged writes). */
export interface OutcomeOverlay {
  attemptRecord(attempt: number): { outcome: unknown } | undefined;
}

/**
 * The httpTrace of an execution: every attempt's redirect hops, then its final request/response.
 * `overlay` supplies outcomes staged in the commit being built, which the journal cannot show yet
 * (every such attempt's intent is already committed: it precedes the send).
 */
export async function tracesOf(journal: Journal, key: ExecutionKey, overlay?: OutcomeOverlay): Promise<HttpTraceEntry[]> {
  const attempts = await journal.listAttempts(key);
  return attempts.flatMap((attempt) => {
    const outcome = (overlay?.attemptRecord(attempt.attempt)?.outcome ?? attempt.outcome) as (AttemptOutcome & { redirectTraces?: HttpTraceEntry[] }) | null;
    if (outcome?.trace) return [...(outcome.redirectTraces ?? []), outcome.trace];
    // Sent, outcome not (yet) recorded: the request alone.
    return [{ timestamp: new Date(attempt.startedAt).toISOString(), request: attempt.request as HttpTraceEntry['request'] }];
  });
}

/** The machine context of the latest snapshot (a fresh one when the machine never started). */
export function contextOf(record: ExecutionRecord): ExecutionContext {
  const snapshot = record.snapshot as { context?: unknown } | null;
  const parsed = ExecutionContextSchema.safeParse(snapshot?.context);
  return parsed.success ? parsed.data : { ...initialContext(record), attempt: record.attemptCount };
}

/** The recorded state: the terminal result, or the state so far. */
export async function stateOf(journal: Journal, record: ExecutionRecord): Promise<ActionExecutionState> {
  if (record.result) return record.result as ActionExecutionState;
  return {
    ...buildActionExecutionState({
      actionId: record.actionId,
      stateValue: record.stateValue,
      context: contextOf(record),
      startedAt: record.createdAt,
      traces: await tracesOf(journal, record),
    }),
    status: statusOf(record.stateValue),
  };
}
