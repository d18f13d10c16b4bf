/**
 * The plan page's model, built from what the journal records (the plan row and each action's own
 * execution, through `getPlan`): the DAG with each action's status and why, the confirmations asked
 * and answered, the metrics, which buttons apply, and what this viewer lacks to run the actions an
 * answer would start. Pure, so every rule here is tested without a server.
 */
import { latestConfirmations, confirmationDueAt } from '../plans/plan-confirmation.ts';
import { isPlanTerminal } from '../plans/plan-record.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan, PlannedAction } from '../schemas/plan.ts';
import type { HeldLease } from '../../storage/journal.ts';
import type { LeaseView } from './execution-view.ts';
import { layoutPlan, type PlanBox, type PlanEdge } from './plan-layout.ts';

/** An action's status on the page: the executor's, with `waiting_confirmation` told apart from `pending`. */
export type PlanNodeStatus = 'pending' | 'waiting_confirmation' | 'running' | 'completed' | 'failed' | 'skipped';

export interface PlanNodeView {
  actionId: string;
  definitionId: string;
  status: PlanNodeStatus;
  /** One line saying why it is in that status (the skip reason, the failure, what it waits for). */
  reason?: string;
  error?: { category: string; code?: string; message: string };
  attempts: number;
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  dependencies: string[];
  /** This action runs only in place of that one, when it fails. */
  alternativeFor?: string;
  /** The action that runs in this one's place if it fails. */
  alternative?: string;
  condition?: string;
  confirmation?: { title: string; message: string; timeoutMs?: number };
  /** The path of its own execution page, once it has an execution. */
  execution?: string;
  column: number;
  box: PlanBox;
}

export interface PendingConfirmationView {
  actionId: string;
  title: string;
  message: string;
  requestedAt: string;
  /** When it is rejected automatically, if it has a timeout. */
  dueAt?: string;
}

export interface PlanView {
  planId: string;
  name: string;
  description: string;
  intent: string;
  status: ExecutionState['status'];
  terminal: boolean;
  startedAt: string;
  completedAt?: string;
  updatedAt: string;
  /** The earliest open confirmation deadline. */
  wakeAt?: string;
  lease: LeaseView;
  /**
   * Which buttons apply: Cancel while not terminal; Confirm / Reject while not terminal and no other
   * live process drives the plan (that process would refuse the answer); `why` says why not.
   */
  actions: { cancel: boolean; answer: boolean; why?: string };
  graph: { width: number; height: number; levels: string[][]; nodes: PlanNodeView[]; edges: PlanEdge[] };
  pending: PendingConfirmationView[];
  confirmations: ExecutionState['confirmations'];
  metrics: ExecutionState['metrics'];
  error?: ExecutionState['error'];
  /**
   * What running the plan on needs that this viewer lacks. `auth`: the names of credentials it was
   * submitted with that `--credentials` did not give (a key named like "credentials" would be
   * redacted as a secret); `definitions`: definitions of actions yet to run that `--definitions` did
   * not load.
   */
  missing: { auth: string[]; definitions: string[] };
  /** The plan's ExecutionState as recorded now. */
  state: ExecutionState;
  /** The viewer's clock when the view was built (countdowns run on it). */
  now: string;
}

export interface PlanViewInput {
  plan: ExecutionPlan;
  state: ExecutionState;
  /** The plan row's times and lease. */
  record: { updatedAt: number; wakeAt: number | null; lease: HeldLease | null };
  /** The viewer's journal owner id, to tell "this viewer" from "another process". */
  ownerId: string;
  now: number;
  /** Credential names the plan was submitted with (journaled; never the values). */
  credentialNames: readonly string[];
  /** Credential names this viewer has (`--credentials`). */
  availableCredentials: readonly string[];
  hasDefinition: (definitionId: string) => boolean;
  /** Actions that have an execution of their own in the journal. */
  executions: ReadonlySet<string>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function leaseView(lease: HeldLease | null, now: number, ownerId: string): LeaseView {
  if (!lease || lease.expiresAt <= now) return { holder: 'none' };
  return { holder: lease.id === ownerId ? 'this viewer' : 'another process', pid: lease.pid, host: lease.host, expiresAt: iso(lease.expiresAt) };
}

/** Why an action that has not started has not, from the statuses around it. */
function pendingReason(action: PlannedAction, statuses: ReadonlyMap<string, PlanNodeStatus>, alternativeFor: string | undefined, answered: ExecutionState['confirmations'][number] | undefined): string {
  if (answered?.confirmed === true) return `confirmed${answered.userId === undefined ? '' : ` by ${answered.userId}`}; starts when a slot is free`;
  if (alternativeFor !== undefined && statuses.get(alternativeFor) !== 'failed') return `runs only if ${alternativeFor} fails`;
  const waiting = action.dependencies.filter((dep) => !['completed', 'failed', 'skipped'].includes(statuses.get(dep) ?? 'pending'));
  return waiting.length > 0 ? `waits for ${waiting.join(', ')}` : 'ready; starts when a slot is free';
}

export function planView(input: PlanViewInput): PlanView {
  const { plan, state, now } = input;
  const layout = layoutPlan(plan);
  const latest = latestConfirmations(state.confirmations);
  const byId = new Map<string, PlannedAction>(plan.actions.map((action) => [action.id, action]));
  const statusOf = (id: string): PlanNodeStatus => {
    const own = state.actionStates[id]?.status ?? 'pending';
    const entry = latest.get(id);
    return own === 'pending' && entry !== undefined && entry.confirmed === undefined ? 'waiting_confirmation' : own;
  };
  const statuses = new Map<string, PlanNodeStatus>(plan.actions.map((action) => [action.id, statusOf(action.id)]));

  const pending: PendingConfirmationView[] = [];
  for (const [actionId, entry] of latest) {
    const action = byId.get(actionId);
    if (entry.confirmed !== undefined || !action || statuses.get(actionId) !== 'waiting_confirmation') continue;
    const dueAt = confirmationDueAt(action, entry, now);
    pending.push({ actionId, title: action.userConfirmation?.title ?? '', message: action.userConfirmation?.message ?? '', requestedAt: entry.requestedAt, ...(dueAt === undefined ? {} : { dueAt: iso(dueAt) }) });
  }

  const nodes: PlanNodeView[] = layout.nodes.map((placed) => {
    const action = byId.get(placed.actionId);
    const own = state.actionStates[placed.actionId];
    const status = statuses.get(placed.actionId) ?? 'pending';
    const result = own?.result;
    const node: PlanNodeView = { actionId: placed.actionId, definitionId: action?.actionDefinitionId ?? '', status, attempts: own?.attempts ?? 0, dependencies: [...(action?.dependencies ?? [])], column: placed.column, box: placed.box };
    if (result?.status === 'skipped') node.reason = result.reason;
    if (result?.status === 'failure') {
      node.error = { category: result.error.category, message: result.error.message, ...(result.error.code === undefined ? {} : { code: result.error.code }) };
      node.reason = `${result.error.category}${result.error.code === undefined ? '' : ` (${result.error.code})`}: ${result.error.message}`;
    }
    if (status === 'waiting_confirmation') node.reason = `waits for an answer to "${action?.userConfirmation?.title ?? ''}"`;
    if (status === 'running') node.reason = own && own.attempts > 0 ? `attempt ${own.attempts}` : 'started';
    if (status === 'pending' && action) node.reason = pendingReason(action, statuses, placed.alternativeFor, latest.get(placed.actionId));
    if (status === 'completed' && placed.alternativeFor !== undefined) node.reason = `stood in for ${placed.alternativeFor}`;
    if (own?.startedAt !== undefined) node.startedAt = own.startedAt;
    if (own?.completedAt !== undefined) node.completedAt = own.completedAt;
    if (own?.duration !== undefined) node.durationMs = own.duration;
    if (placed.alternativeFor !== undefined) node.alternativeFor = placed.alternativeFor;
    const alternative = action?.errorHandling.alternativeActionId;
    if (alternative !== undefined) node.alternative = alternative;
    if (action?.condition) node.condition = `if ${action.condition.if} else ${action.condition.else}`;
    const confirmation = action?.userConfirmation;
    if (confirmation?.required) node.confirmation = { title: confirmation.title, message: confirmation.message, ...(confirmation.timeout === undefined ? {} : { timeoutMs: confirmation.timeout }) };
    if (input.executions.has(placed.actionId)) node.execution = `/executions/${encodeURIComponent(plan.id)}/${encodeURIComponent(placed.actionId)}`;
    return node;
  });

  const terminal = isPlanTerminal(state.status);
  const lease = leaseView(input.record.lease, now, input.ownerId);
  const drivenElsewhere = lease.holder === 'another process';
  const actions: PlanView['actions'] = { cancel: !terminal, answer: !terminal && !drivenElsewhere };
  if (terminal) actions.why = `the plan is ${state.status}`;
  else if (drivenElsewhere) actions.why = `pid ${lease.pid ?? '?'} on ${lease.host ?? '?'} drives this plan (lease until ${lease.expiresAt ?? '?'}): it takes answers only once it stops or waits with nothing running; answer there, or then`;

  const available = new Set(input.availableCredentials);
  const unstarted = plan.actions.filter((action) => ['pending', 'waiting_confirmation'].includes(statuses.get(action.id) ?? 'pending'));
  const view: PlanView = {
    planId: plan.id,
    name: plan.name,
    description: plan.description,
    intent: plan.intent.original,
    status: state.status,
    terminal,
    startedAt: state.startedAt,
    updatedAt: iso(input.record.updatedAt),
    lease,
    actions,
    graph: { width: layout.width, height: layout.height, levels: layout.levels, nodes, edges: layout.edges },
    pending,
    confirmations: state.confirmations,
    metrics: state.metrics,
    missing: {
      auth: terminal ? [] : input.credentialNames.filter((name) => !available.has(name)),
      definitions: terminal ? [] : [...new Set(unstarted.map((action) => action.actionDefinitionId).filter((id) => !input.hasDefinition(id)))],
    },
    state,
    now: iso(now),
  };
  if (state.completedAt !== undefined) view.completedAt = state.completedAt;
  if (input.record.wakeAt !== null && !terminal) view.wakeAt = iso(input.record.wakeAt);
  if (state.error !== undefined) view.error = state.error;
  return view;
}
