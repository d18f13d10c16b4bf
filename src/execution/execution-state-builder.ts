/**
 * Builds the spec's ActionExecutionState (§4.1) from what the journal holds: the machine context of
 * the latest snapshot and the recorded HTTP attempts. Pure: the clock reading is passed in.
 */
import type { ActionExecutionState, HttpTraceEntry } from '../schemas/execution-state.ts';
import type { ExecutionContext } from '../../machines/action-execution-context.ts';
import type { ExecutionStatus } from '../../storage/sqlite/sqlite-journal.ts';

/** Maps a machine state to the spec's status (`created`: journaled, machine not started yet). */
export function statusOf(stateValue: string): ExecutionStatus {
  switch (stateValue) {
    case 'completed':
    case 'failed':
    case 'skipped':
      return stateValue;
    case 'created':
      return 'pending';
    default:
      return 'running';
  }
}

export function isTerminalStatus(status: string): status is 'completed' | 'failed' | 'skipped' {
  return status === 'completed' || status === 'failed' || status === 'skipped';
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
