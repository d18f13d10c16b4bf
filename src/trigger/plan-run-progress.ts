/**
 * A `plan-execute` run's live state in run metadata, for the dashboard, realtime subscribers and
 * whoever answers confirmations (docs/trigger-dev.md "plan-execute"):
 *
 * - `plan`: the plan's status, each action's status and the metrics, replaced as the plan moves;
 * - `confirmations`: by action id, every confirmation this run asked for with its waitpoint token —
 *   id, callback URL, public access token — and its status. This is how a UI finds what to complete;
 * - `result`: the whole ExecutionState of a plan that failed or was cancelled (a completed plan's is
 *   the run's output), clipped like `action-execute`'s when it is over budget.
 *
 * The public access token and the URL can each complete their token: whoever can read the run's
 * metadata can answer its confirmations. Neither is logged or journaled.
 */
import { metadata } from '@trigger.dev/sdk';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';
import type { PlanProgressEvent } from '../plans/plan-executor-api.ts';
import { latestConfirmations } from '../plans/plan-confirmation.ts';
import { clipStrings, METADATA_RESULT_BUDGET_BYTES } from './run-progress.ts';
import type { IssuedToken, PendingConfirmation } from './confirmation-tokens.ts';

/** The run metadata keys this task writes. */
export const PLAN_RUN_METADATA_KEYS = {
  progress: 'plan',
  confirmations: 'confirmations',
  result: 'result',
} as const;

/** Run metadata `plan`. */
export type PlanProgress = {
  planId: string;
  name: string;
  status: ExecutionState['status'];
  /** Each action's status: `pending`, `waiting_confirmation`, `running`, `completed`, `failed`, `skipped`. */
  actions: Record<string, string>;
  metrics: ExecutionState['metrics'] | null;
  /** Once the plan failed: why. */
  error?: ErrorDetail;
};

/** One entry of run metadata `confirmations`. */
export type PublishedConfirmation = {
  actionId: string;
  title: string;
  message: string;
  requestedAt: string;
  /** When the plan rejects it automatically (ISO 8601), else null. */
  timeoutAt: string | null;
  tokenId: string;
  url: string;
  publicAccessToken: string;
  status: 'waiting' | 'confirmed' | 'rejected' | 'timed_out';
  /** Who answered, and when, once answered (an automatic rejection has no userId). */
  userId?: string;
  respondedAt?: string;
  /** Why the last answer was refused (the token above is a new one, waiting for a proper answer). */
  refusedAnswer?: string;
};

/** Where the progress goes: run metadata on the platform, a recorder in tests. */
export interface PlanRunProgressSink {
  plan(progress: PlanProgress): void;
  confirmations(published: Record<string, PublishedConfirmation>): void;
  /** The whole state of a plan that failed or was cancelled. */
  failed(state: ExecutionState): void;
}

/** Before the plan executor reported anything. */
export function submittedPlanProgress(plan: ExecutionPlan): PlanProgress {
  return { planId: plan.id, name: plan.name, status: 'initializing', actions: Object.fromEntries(plan.actions.map((action) => [action.id, 'pending'])), metrics: null };
}

/** The progress a recorded state shows (a waiting action is `waiting_confirmation`). */
export function planProgressOf(plan: ExecutionPlan, state: ExecutionState): PlanProgress {
  const waiting = new Set([...latestConfirmations(state.confirmations).values()].filter((entry) => entry.confirmed === undefined).map((entry) => entry.actionId));
  const actions: Record<string, string> = {};
  for (const action of plan.actions) {
    const status = state.actionStates[action.id]?.status ?? 'pending';
    actions[action.id] = status === 'pending' && waiting.has(action.id) && !isPlanOver(state) ? 'waiting_confirmation' : status;
  }
  return { planId: plan.id, name: plan.name, status: state.status, actions, metrics: state.metrics, ...(state.error ? { error: state.error } : {}) };
}

const isPlanOver = (state: ExecutionState): boolean => state.status === 'completed' || state.status === 'failed' || state.status === 'cancelled';

/** The progress after one event of the plan executor. */
export function applyPlanProgressEvent(progress: PlanProgress, event: PlanProgressEvent): PlanProgress {
  switch (event.type) {
    case 'action-started':
      return { ...progress, actions: { ...progress.actions, [event.actionId]: 'running' } };
    case 'action-ended':
      return { ...progress, actions: { ...progress.actions, [event.actionId]: event.state.status } };
    case 'action-ended-unrun':
      return { ...progress, actions: { ...progress.actions, [event.actionId]: event.status } };
    case 'confirmation-requested':
      return { ...progress, actions: { ...progress.actions, [event.actionId]: 'waiting_confirmation' } };
    case 'plan-status':
      return { ...progress, status: event.status };
  }
}

/** A published confirmation for a freshly issued token (the refusal of an earlier answer kept). */
export function publishedConfirmation(confirmation: PendingConfirmation, token: IssuedToken, refusedAnswer?: string): PublishedConfirmation {
  return {
    actionId: confirmation.actionId,
    title: confirmation.title,
    message: confirmation.message,
    requestedAt: confirmation.requestedAt,
    timeoutAt: confirmation.dueAt === undefined ? null : new Date(confirmation.dueAt).toISOString(),
    tokenId: token.id,
    url: token.url,
    publicAccessToken: token.publicAccessToken,
    status: 'waiting',
    ...(refusedAnswer === undefined ? {} : { refusedAnswer }),
  };
}

/** A published confirmation brought up to date with what the plan recorded. */
export function answeredConfirmation(published: PublishedConfirmation, state: ExecutionState): PublishedConfirmation {
  const entry = latestConfirmations(state.confirmations).get(published.actionId);
  if (entry?.confirmed === undefined || entry.requestedAt !== published.requestedAt) return published;
  const result = state.actionStates[published.actionId]?.result;
  const timedOut = result?.status === 'failure' && result.error.code === 'CONFIRMATION_TIMEOUT';
  const status = entry.confirmed ? 'confirmed' : timedOut ? 'timed_out' : 'rejected';
  return { ...published, status, ...(entry.userId === undefined ? {} : { userId: entry.userId }), ...(entry.respondedAt === undefined ? {} : { respondedAt: entry.respondedAt }) };
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * The state as written to metadata `result`: whole when it fits the budget; else with long strings
 * clipped; else also with each action's HTTP trace cut to its last entry (the failing attempt).
 */
export function planMetadataResultOf(state: ExecutionState, budget = METADATA_RESULT_BUDGET_BYTES): ExecutionState {
  if (bytesOf(state) <= budget) return state;
  const clipped = clipStrings(state) as ExecutionState;
  if (bytesOf(clipped) <= budget) return clipped;
  const actionStates = Object.fromEntries(Object.entries(clipped.actionStates).map(([id, action]) => [id, { ...action, httpTrace: action.httpTrace.slice(-1) }]));
  return { ...clipped, actionStates };
}

type MetadataValue = Parameters<typeof metadata.set>[1];

/** Metadata travels as JSON: the JSON copy is what the platform stores (absent fields dropped). */
const asMetadata = (value: unknown): MetadataValue => JSON.parse(JSON.stringify(value)) as MetadataValue;

/** The platform sink: run metadata through the SDK (a no-op outside a run). */
export function planRunMetadataSink(): PlanRunProgressSink {
  return {
    plan: (progress) => void metadata.set(PLAN_RUN_METADATA_KEYS.progress, asMetadata(progress)),
    confirmations: (published) => void metadata.set(PLAN_RUN_METADATA_KEYS.confirmations, asMetadata(published)),
    failed: (state) => void metadata.set(PLAN_RUN_METADATA_KEYS.result, asMetadata(planMetadataResultOf(state))),
  };
}
