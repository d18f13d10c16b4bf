/**
 * Listing plan runs (the viewer's plans list, `PlanExecutor.listPlans`). A plan run is a
 * `(plan.id, "@plan")` journal row (plan-record.ts) that `executor.list` leaves out; this reads those
 * rows alone, newest first, filtered by the plan's own status. The row's `stateValue` is that status,
 * so the journal filters and counts it (`stateValues`): pages are exact even where the journal status
 * cannot tell a paused plan from a running one, or a cancelled one from a failed one.
 */
import { actionError } from '../failure/errors.ts';
import { ExecutionStateSchema, type ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionRecord, HeldLease, Journal } from '../../storage/journal.ts';
import { isPlanTerminal, PLAN_DEFINITION_ID, PlanRunSnapshotSchema } from './plan-record.ts';
import type { PlanStatus } from './plan-scheduler.ts';

/** Every status a plan run can have, in the order a run passes through them. */
export const PLAN_STATUSES: readonly PlanStatus[] = ExecutionStateSchema.shape.status.options;

/** The defaults of {@link PlanListQuery}. */
export const PLAN_LIST_DEFAULTS = { limit: 50 } as const;

/** Filters and paging of {@link listPlans}. */
export interface PlanListQuery {
  /** Plans in one of these statuses. @default every status */
  statuses?: readonly PlanStatus[];
  /** Plans whose id contains this text. @default none */
  search?: string;
  /** @default 50 */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** One plan run as the list shows it, read from its row alone (no action rows). */
export interface PlanSummary {
  planId: string;
  name: string;
  /** The plan's status; `unknown` when the row is not one this version can read (see `problem`). */
  status: PlanStatus | 'unknown';
  metrics: ExecutionState['metrics'];
  /** Actions whose confirmation is asked and not answered yet, in the order they were asked (none once the plan is over). */
  awaitingConfirmation: string[];
  createdAt: string;
  updatedAt: string;
  /** The earliest open confirmation deadline. */
  wakeAt?: string;
  /** The row's last lease holder, even when expired (compare `expiresAt` with the clock). */
  lease: HeldLease | null;
  /** Why the row could not be read in full. */
  problem?: string;
}

/** A page of plan runs and how many match in all. */
export interface PlanListPage {
  plans: PlanSummary[];
  total: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The summary of a plan row; never throws (an unreadable row says so in `problem`). */
export function planSummaryOf(record: ExecutionRecord): PlanSummary {
  const request = record.request as { plan?: { name?: unknown } } | null;
  const snapshot = PlanRunSnapshotSchema.safeParse(record.snapshot);
  const status = (PLAN_STATUSES as readonly string[]).includes(record.stateValue) ? (record.stateValue as PlanStatus) : 'unknown';
  const summary: PlanSummary = {
    planId: record.executionId,
    name: typeof request?.plan?.name === 'string' ? request.plan.name : '',
    status,
    metrics: snapshot.success ? snapshot.data.metrics : { totalActions: 0, completedActions: 0, failedActions: 0, skippedActions: 0 },
    // A plan that ended (cancelled while it waited, say) waits for nothing, answered or not.
    awaitingConfirmation: snapshot.success && !isPlanTerminal(snapshot.data.status) ? snapshot.data.confirmations.filter((entry) => entry.confirmed === undefined).map((entry) => entry.actionId) : [],
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    lease: record.lease,
  };
  if (record.wakeAt !== null) summary.wakeAt = iso(record.wakeAt);
  if (!snapshot.success || status === 'unknown') summary.problem = `the plan row is not in a format this version reads (${record.machineVersion}, state ${JSON.stringify(record.stateValue)})`;
  return summary;
}

function invalid(option: string, message: string, value: string): never {
  throw actionError('validation_failed', `listPlans: ${option} ${message}`, { code: 'INVALID_OPTION', context: { option, value } });
}

/** Plan runs newest first, filtered and paged (see {@link PlanListQuery}). */
export async function listPlans(journal: Journal, query: PlanListQuery = {}): Promise<PlanListPage> {
  for (const status of query.statuses ?? []) {
    if (!(PLAN_STATUSES as readonly string[]).includes(status)) invalid('statuses', `holds ${JSON.stringify(status)}, which is not a plan status (${PLAN_STATUSES.join(', ')})`, String(status));
  }
  const limit = query.limit ?? PLAN_LIST_DEFAULTS.limit;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0) invalid('limit', `must be a whole number of plans, 0 or more, not ${String(limit)}`, String(limit));
  if (!Number.isInteger(offset) || offset < 0) invalid('offset', `must be a whole number, 0 or more, not ${String(offset)}`, String(offset));
  const page = await journal.listExecutions({
    definitionId: PLAN_DEFINITION_ID,
    ...(query.statuses === undefined ? {} : { stateValues: query.statuses }),
    ...(query.search ? { search: query.search } : {}),
    limit,
    offset,
  });
  return { plans: page.records.map(planSummaryOf), total: page.total };
}
