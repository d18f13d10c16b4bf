/**
 * How a plan run is journaled (issue 11), through the ordinary `Journal` interface so it runs on every
 * backend unchanged: one execution row keyed `(plan.id, "@plan")` beside the rows of its actions.
 *
 * - `request` is the plan (and the credential *names* it was given), `requestHash` the SHA-256 of the
 *   plan's canonical JSON: resubmitting the same plan finds its run, a different plan under the same
 *   id is refused (`REQUEST_MISMATCH`);
 * - `snapshot` is a {@link PlanRunSnapshot}: the records the scheduler decides from (each action's
 *   runtime state, the confirmation history, the cancelled flag) plus the status and metrics of the
 *   last decision — without completed actions' outputs, which their own executions hold;
 * - `stateValue` is the plan's status, `wakeAt` the next confirmation deadline, `result` the final
 *   ExecutionState once the plan is over;
 * - each decision is a transition (`DECIDED`, after the events it consumed: `ACTION_COMPLETED`,
 *   `CONFIRMED`, `CANCEL`, …), committed under the plan's lease before anything it decided is done.
 *
 * Versioned: a row written by another snapshot version is refused, never misread.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorDetailSchema } from '../schemas/errors.ts';
import { ExecutionStateSchema, type ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';
import type { ExecutionStatus } from '../../storage/journal.ts';
import { canonicalJson } from '../execution/request-identity.ts';
import { PLAN_ROW_ACTION_ID } from '../execution/reserved-action-ids.ts';
import { ActionRuntimeStateSchema } from './action-runtime-state.ts';
import type { PlanRunRecords } from './plan-decision-apply.ts';
import type { PlanStatus } from './plan-scheduler.ts';

/** The `machineVersion` of plan rows: bumped when the snapshot changes shape. */
export const PLAN_RECORD_VERSION = 'plan-1';

/** The `definitionId` of plan rows (lists filter on it). */
export const PLAN_DEFINITION_ID = PLAN_ROW_ACTION_ID;

const EpochMsSchema = z.number().int().nonnegative();

/** What a plan row's snapshot holds (plain JSON, validated when read back). */
export const PlanRunSnapshotSchema = z.object({
  /** Each action's runtime state by id; a missing id is `pending`. */
  actions: z.record(z.string(), ActionRuntimeStateSchema),
  confirmations: ExecutionStateSchema.shape.confirmations,
  /** The plan was cancelled: nothing new starts, running actions are cancelled. */
  cancelled: z.boolean(),
  /** When the run began (epoch ms). */
  startedAt: EpochMsSchema,
  /** When it ended (epoch ms), once terminal. */
  endedAt: EpochMsSchema.optional(),
  /** The concurrency the run was started with (a resume without options keeps it). */
  maxConcurrency: z.number().int().min(1),
  status: ExecutionStateSchema.shape.status,
  metrics: ExecutionStateSchema.shape.metrics,
  error: ErrorDetailSchema.optional(),
});

export type PlanRunSnapshot = z.infer<typeof PlanRunSnapshotSchema>;

/** A plan row's `request`: the plan as submitted, and the names (never values) of its credentials. */
export interface StoredPlanRequest {
  plan: ExecutionPlan;
  credentialNames: string[];
}

/** The journal key of a plan run. */
export function planKey(planId: string): { executionId: string; actionId: string } {
  return { executionId: planId, actionId: PLAN_ROW_ACTION_ID };
}

/** The fingerprint of a plan: SHA-256 of its canonical JSON. */
export function planHash(plan: ExecutionPlan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

/** The journal status of a plan status: paused plans are unfinished (`running`), cancelled ones `failed`. */
export function journalStatusOf(status: PlanStatus): ExecutionStatus {
  switch (status) {
    case 'initializing':
      return 'pending';
    case 'running':
    case 'paused_for_confirmation':
      return 'running';
    case 'completed':
      return 'completed';
    case 'failed':
    case 'cancelled':
      return 'failed';
  }
}

/** The statuses a plan never leaves. */
export function isPlanTerminal(status: PlanStatus): status is 'completed' | 'failed' | 'cancelled' {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** The snapshot of a run that has not decided anything yet. */
export function initialPlanSnapshot(plan: ExecutionPlan, startedAt: number, maxConcurrency: number): PlanRunSnapshot {
  return {
    actions: {},
    confirmations: [],
    cancelled: false,
    startedAt,
    maxConcurrency,
    status: 'initializing',
    metrics: { totalActions: plan.actions.length, completedActions: 0, failedActions: 0, skippedActions: 0 },
  };
}

/**
 * The snapshot as journaled: the outputs of completed actions are left out. Each lives in the result
 * of its own action execution, which never changes once it ended; journaling it again with every
 * decision would make the plan's commits grow with the square of its size. A run read back from the
 * journal gets them again from there (`hydrate` in plan-executor.ts).
 */
export function journaledSnapshot(snapshot: PlanRunSnapshot): PlanRunSnapshot {
  const actions: PlanRunSnapshot['actions'] = {};
  for (const [id, state] of Object.entries(snapshot.actions)) {
    if (state.status !== 'completed' || state.output === undefined) {
      actions[id] = state;
      continue;
    }
    const { output: _output, ...rest } = state;
    actions[id] = rest;
  }
  return { ...snapshot, actions };
}

/** The scheduler's records inside a snapshot. */
export function recordsOf(snapshot: PlanRunSnapshot): PlanRunRecords {
  return { actions: snapshot.actions, confirmations: snapshot.confirmations };
}

/** A plan's final ExecutionState, as the `result` of its row (validated when read back). */
export function parsePlanResult(value: unknown): ExecutionState | undefined {
  const parsed = ExecutionStateSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
