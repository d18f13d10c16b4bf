/**
 * The spec's ExecutionState (§4.1) of a plan run, built from its journaled snapshot and the recorded
 * states of its action executions. An action that ran is shown exactly as its own execution recorded
 * it (attempts, httpTrace, result); one that ended without running (skipped, rejected, timed out) is
 * shown from the plan's records; one that waits for a confirmation is `pending`, the spec's status
 * for "not started yet".
 */
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';
import type { ActionRuntimeState } from './action-runtime-state.ts';
import { isPlanTerminal, type PlanRunSnapshot } from './plan-record.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** An action's state from the plan's records alone (it has no execution of its own, or none was read). */
export function actionStateFromRecords(actionId: string, runtime: ActionRuntimeState | undefined): ActionExecutionState {
  const record = runtime ?? { status: 'pending' };
  const status = record.status === 'waiting_confirmation' ? 'pending' : record.status;
  const state: ActionExecutionState = { actionId, status, attempts: 0, httpTrace: [] };
  if (record.startedAt !== undefined) state.startedAt = iso(record.startedAt);
  if (record.endedAt !== undefined && status !== 'pending' && status !== 'running') {
    state.completedAt = iso(record.endedAt);
    if (record.startedAt !== undefined) state.duration = Math.max(0, record.endedAt - record.startedAt);
  }
  if (status === 'failed' && record.error !== undefined) state.result = { status: 'failure', error: record.error };
  if (status === 'skipped') state.result = { status: 'skipped', reason: record.reason ?? 'skipped' };
  return state;
}

/** What {@link buildPlanState} reads. */
export interface PlanStateInput {
  plan: ExecutionPlan;
  snapshot: PlanRunSnapshot;
  /** The recorded state of each action that has an execution of its own. */
  executions: ReadonlyMap<string, ActionExecutionState>;
  /** Metrics to show instead of the snapshot's (a live `totalDuration`). @default the snapshot's */
  metrics?: ExecutionState['metrics'];
}

/** The plan's ExecutionState. `id` and `planId` are both the plan's id: a plan runs once per id. */
export function buildPlanState(input: PlanStateInput): ExecutionState {
  const { plan, snapshot } = input;
  const actionStates: Record<string, ActionExecutionState> = {};
  for (const action of plan.actions) {
    if (Object.hasOwn(actionStates, action.id)) continue;
    const runtime = Object.hasOwn(snapshot.actions, action.id) ? snapshot.actions[action.id] : undefined;
    actionStates[action.id] = input.executions.get(action.id) ?? actionStateFromRecords(action.id, runtime);
  }
  const state: ExecutionState = {
    id: plan.id,
    planId: plan.id,
    status: snapshot.status,
    startedAt: iso(snapshot.startedAt),
    actionStates,
    confirmations: snapshot.confirmations.map((entry) => ({ ...entry })),
    metrics: { ...(input.metrics ?? snapshot.metrics) },
  };
  if (isPlanTerminal(snapshot.status)) state.completedAt = iso(snapshot.endedAt ?? snapshot.startedAt);
  if (snapshot.error !== undefined) state.error = snapshot.error;
  return state;
}
