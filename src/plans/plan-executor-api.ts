/**
 * The plan executor's public API (issue 11, DESIGN §8 "the plan API"): its options, its methods and
 * what they report. The implementation is src/plans/plan-executor.ts, which re-exports these types.
 */
import type { Logger } from 'pino';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { Clock } from '../support/clock.ts';
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import type { ActionExecutor } from '../execution/executor-api.ts';
import type { PlanDryRun } from './plan-dry-run.ts';
import type { PlanListPage, PlanListQuery } from './plan-list.ts';

export interface PlanExecutorOptions {
  /** The action executor every action of a plan runs through; its journal also holds the plan runs. */
  executor: ActionExecutor;
  /** The definitions plans are validated against (the executor's own, usually). */
  definitions: DefinitionRegistry | ActionDefinition[];
  /** Pass the executor's clock, so plan and action times agree. @default the system clock */
  clock?: Clock;
  /** @default a silent logger */
  logger?: Logger;
  /** Actions of one plan running at once, when `executePlan` is not told otherwise. @default 4 */
  maxConcurrency?: number;
  /**
   * Credential values for plans continued without a submission (`resumeAll`, `confirm`, `cancelPlan`):
   * the journal never stores them. Called with the plan id and the names it was submitted with.
   * @default none
   */
  credentials?: Record<string, string> | ((planId: string, names: string[]) => Record<string, string> | undefined);
  /** Lease time-to-live of a plan run; renewed at a third of it while the run is driven. @default 30000 */
  leaseTtlMs?: number;
  /** Progress of every plan this executor drives (the CLI prints it). @default none */
  onProgress?: (event: PlanProgressEvent) => void;
}

/** The defaults of every option that has one, in one place. */
export const PLAN_EXECUTOR_DEFAULTS = {
  maxConcurrency: 4,
  leaseTtlMs: 30_000,
} as const;

/** Options of {@link PlanExecutor.executePlan}. */
export interface ExecutePlanOptions {
  /** Credential values by name (`${credentials.NAME}` in definitions); never journaled. @default none */
  credentials?: Record<string, string>;
  /** Actions running at once. @default the executor's `maxConcurrency` (4) */
  maxConcurrency?: number;
  /** Validate and show what would be sent, sending nothing and journaling nothing. @default false */
  dryRun?: boolean;
}

/** Options of {@link PlanExecutor.confirm}. */
export interface ConfirmOptions {
  /** true: the action runs; false: it ends `failed` (`user_cancelled`) and its errorHandling applies. */
  confirmed: boolean;
  /** Who answered; recorded with the answer. @default none */
  userId?: string;
  /** Credential values for the actions that run next. @default the executor's `credentials` option */
  credentials?: Record<string, string>;
}

/** What happened while a plan was driven, reported after the commit that recorded it. */
export type PlanProgressEvent =
  | { type: 'action-started'; planId: string; actionId: string; definitionId: string; standingInFor?: string; resumed: boolean }
  | { type: 'action-ended'; planId: string; actionId: string; state: ActionExecutionState }
  | { type: 'action-ended-unrun'; planId: string; actionId: string; status: 'skipped' | 'failed'; reason?: string; error?: ErrorDetail }
  | { type: 'confirmation-requested'; planId: string; actionId: string; title: string; message: string; requestedAt: string; timeoutAt?: string }
  | { type: 'plan-status'; planId: string; status: ExecutionState['status'] };

/** What {@link PlanExecutor.resumeAll} did. */
export interface PlanResumeReport {
  /** Unfinished plans found. */
  plans: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Still waiting for an answer (nothing else could run). */
  paused: number;
  /** Confirmations rejected automatically because their timeout had passed. */
  timeoutsFired: number;
  /** Plans another live process drives. */
  busy: number;
  errors: { planId: string; message: string; code?: string }[];
}

export interface PlanExecutor {
  /**
   * Runs a plan (validated first: every problem with its JSON path), or returns / continues the run
   * recorded under its id; the same id with a different plan is refused (`REQUEST_MISMATCH`). Resolves
   * when the plan is terminal or waits for a confirmation (`paused_for_confirmation`).
   */
  executePlan(plan: unknown, options: ExecutePlanOptions & { dryRun: true }): Promise<PlanDryRun>;
  executePlan(plan: unknown, options?: ExecutePlanOptions & { dryRun?: false }): Promise<ExecutionState>;
  /** Answers an action's pending confirmation, then drives the plan on (as `executePlan`). */
  confirm(planId: string, actionId: string, options: ConfirmOptions): Promise<ExecutionState>;
  /** Cancels a plan: running actions are cancelled, nothing new starts, the plan ends `cancelled`. */
  cancelPlan(planId: string, reason?: string): Promise<ExecutionState>;
  /** The plan's state as recorded (metrics current), or undefined when no run has this id. */
  getPlan(planId: string): Promise<ExecutionState | undefined>;
  /** Plan runs in the journal, newest first, filtered by status and id, paged (their rows alone). */
  listPlans(query?: PlanListQuery): Promise<PlanListPage>;
  /** Continues every unfinished plan, firing confirmation timeouts that fell due meanwhile. */
  resumeAll(): Promise<PlanResumeReport>;
  /** Waits for the plans this executor drives to settle (the action executor stays open). */
  close(): Promise<void>;
}
