/**
 * What the plans pages load from the journal, and how their live streams notice a change. A plan
 * page's fingerprint is one read of the plan row plus one of each action recorded as running: an
 * action that ends without leading to anything new is journaled on its own row first (its plan
 * records it with the next decision), and the page shows it ended at once.
 */
import type { ExecutionRecord } from '../../storage/journal.ts';
import type { PlanExecutor } from '../plans/plan-executor-api.ts';
import { PLAN_STATUSES, type PlanSummary } from '../plans/plan-list.ts';
import { planKey, PlanRunSnapshotSchema, type StoredPlanRequest } from '../plans/plan-record.ts';
import { ExecutionPlanSchema } from '../schemas/plan.ts';
import type { LeaseView } from './execution-view.ts';
import { HttpError } from './http-io.ts';
import type { WatchSource } from './live-feed.ts';
import type { PlanPageQuery } from './plan-list-query.ts';
import { planView, type PlanView } from './plan-view.ts';
import type { ViewerContext } from './viewer-context.ts';

/** What the plans pages need beyond the viewer. */
export interface PlanPagesDependencies {
  plans: PlanExecutor;
  /** Credential names this viewer has (`--credentials`), never their values. */
  credentialNames: readonly string[];
  hasDefinition: (definitionId: string) => boolean;
}

/** Notes the viewer adds to a plan's page (work it started that failed later), by plan id. */
export type PlanNotes = Map<string, { at: string; message: string }>;

export type PlanPage = PlanView & { note?: { at: string; message: string } };

/** A plan's list row as served: the lease as the executions pages show it (no owner ids). */
export type PlanRow = Omit<PlanSummary, 'lease'> & { lease: LeaseView };

function leaseOf(summary: PlanSummary, viewer: ViewerContext): LeaseView {
  const lease = summary.lease;
  if (!lease || lease.expiresAt <= viewer.clock.now()) return { holder: 'none' };
  return { holder: lease.id === viewer.executor.journal.owner.id ? 'this viewer' : 'another process', pid: lease.pid, host: lease.host, expiresAt: new Date(lease.expiresAt).toISOString() };
}

/** The plan page's model, redacted; undefined when no plan run has this id. */
export async function loadPlanView(viewer: ViewerContext, deps: PlanPagesDependencies, planId: string, notes: PlanNotes): Promise<PlanPage | undefined> {
  const { journal } = viewer.executor;
  const record = await journal.get(planKey(planId));
  if (!record) return undefined;
  const stored = record.request as Partial<StoredPlanRequest> | null;
  const plan = ExecutionPlanSchema.safeParse(stored?.plan);
  if (!plan.success) throw new HttpError(500, `plan run ${planId}: the plan journaled with it is not readable by this version (${record.machineVersion}); see \`action-executor plan show ${planId}\``, 'PLAN_RECORD_INVALID');
  const [state, rows] = await Promise.all([deps.plans.getPlan(planId), journal.listExecutions({ executionId: planId })]);
  if (!state) return undefined;
  const view = planView({
    plan: plan.data,
    state,
    record,
    ownerId: journal.owner.id,
    now: viewer.clock.now(),
    credentialNames: Array.isArray(stored?.credentialNames) ? stored.credentialNames : [],
    availableCredentials: deps.credentialNames,
    hasDefinition: deps.hasDefinition,
    executions: new Set(rows.records.map((row) => row.actionId)),
  });
  const note = notes.get(planId);
  return viewer.redact(note ? { ...view, note } : view);
}

/** A page of the plans list, redacted. */
export async function loadPlanList(viewer: ViewerContext, deps: PlanPagesDependencies, query: PlanPageQuery) {
  const page = await deps.plans.listPlans(query);
  const plans: PlanRow[] = page.plans.map((summary) => ({ ...summary, lease: leaseOf(summary, viewer) }));
  return viewer.redact({ plans, total: page.total, limit: query.limit, offset: query.offset, statuses: PLAN_STATUSES });
}

/** Running actions' row fingerprints, from the plan row's snapshot. */
async function runningActions(viewer: ViewerContext, record: ExecutionRecord): Promise<string[]> {
  const snapshot = PlanRunSnapshotSchema.safeParse(record.snapshot);
  if (!snapshot.success) return [];
  const running = Object.entries(snapshot.data.actions).filter(([, state]) => state.status === 'running').map(([id]) => id);
  return Promise.all(running.map(async (actionId) => {
    const row = await viewer.executor.journal.get({ executionId: record.executionId, actionId });
    return row ? `${actionId}:${row.updatedAt}:${row.stateValue}:${row.attemptCount}` : `${actionId}:-`;
  }));
}

export function planSource(viewer: ViewerContext, deps: PlanPagesDependencies, planId: string, notes: PlanNotes): WatchSource {
  return {
    async read() {
      const record = await viewer.executor.journal.get(planKey(planId));
      if (!record) return undefined;
      const live = record.lease !== null && record.lease.expiresAt > viewer.clock.now();
      const fingerprint = [record.updatedAt, record.stateValue, live, record.lease?.id ?? '', notes.get(planId)?.at ?? '', ...(await runningActions(viewer, record))].join('|');
      return { fingerprint, load: () => loadPlanView(viewer, deps, planId, notes) };
    },
  };
}

export function planListSource(viewer: ViewerContext, deps: PlanPagesDependencies, query: PlanPageQuery): WatchSource {
  return {
    async read() {
      const page = await loadPlanList(viewer, deps, query);
      return { fingerprint: JSON.stringify(page), load: async () => page };
    },
  };
}
