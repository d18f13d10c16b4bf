/**
 * The plan scheduler (issue 11, DESIGN §7): one pure decision — (plan, action states, confirmation
 * history, now) → what to start, what to ask, what ends without running, and the plan's status. It
 * reads no clock and keeps no memory: the runner journals what it decides, performs it, records what
 * happened, and asks again. Deciding twice from the same records gives the same answer, which is what
 * makes a crash at any point harmless.
 *
 * One decision settles everything that follows from the records without running anything: a
 * rejection ends an action failed, which may skip its dependents, which may let an alternative start,
 * all in the same decision (it iterates to a fixed point). Starts and confirmation requests are taken
 * from the final round only, so nothing starts that a later consequence would have stopped.
 */
import { errorDetail } from '../failure/errors.ts';
import type { Redactor } from '../redaction/redaction.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan, PlannedAction } from '../schemas/plan.ts';
import { hasEnded, type ActionRuntimeState, type StandIn } from './action-runtime-state.ts';
import { judgeConfirmation, latestConfirmations, type PlanConfirmation } from './plan-confirmation.ts';
import { graphOfPlan, type PlanGraph } from './plan-graph.ts';
import { checkExpectedOutcome } from './plan-outcome.ts';
import { describeError, standingOf, type PlanView } from './plan-stand-in.ts';

/** The plan's status, exactly the spec's `ExecutionState.status` enum. */
export type PlanStatus = ExecutionState['status'];

/** The spec's `ExecutionState.metrics`. */
export type PlanMetrics = ExecutionState['metrics'];

/** What a decision is made from. */
export interface PlanDecisionInput {
  /** A plan `validatePlan` accepted. */
  plan: ExecutionPlan;
  /** The recorded state of each action by id; a missing entry means `pending`. */
  actions: Readonly<Record<string, ActionRuntimeState>>;
  /** The confirmation history (spec `ExecutionState.confirmations`). */
  confirmations: readonly PlanConfirmation[];
  /** The instant of the decision, epoch ms (the runner's injected clock). */
  now: number;
  /** At most this many actions run at once, counting those already running. */
  maxConcurrency: number;
  /**
   * The plan was cancelled: nothing new starts, running actions are to be cancelled, and the plan
   * ends `cancelled` once none runs, whatever the actions' results.
   * @default false
   */
  cancelled?: boolean | undefined;
  /** When the plan run began (epoch ms), for `metrics.totalDuration`; by default its first recorded activity. */
  startedAt?: number | undefined;
  /**
   * The plan's graph (`graphOfPlan(plan)`), when the caller keeps one: a runner deciding after every
   * action that ends saves building it each time. @default built from `plan`
   */
  graph?: PlanGraph | undefined;
  /**
   * Scrubs what a failed expected-outcome check quotes. Outputs are redacted before they are recorded
   * (docs/decisions.md), so the default (no change) is safe; pass the run's redactor for defence in depth.
   */
  redactor?: Pick<Redactor, 'text'> | undefined;
}

/** An action to start now. */
export interface ActionStart {
  actionId: string;
  /** Action id → JSON text of the output standing for it: every transitive dependency that has one. */
  previousResults: Record<string, string>;
  /** When it runs as an alternative: the failed action whose place it takes. */
  standingInFor?: string;
}

/** An action that ends now without running. */
export type ActionEnding =
  | { actionId: string; status: 'skipped'; reason: string }
  | { actionId: string; status: 'failed'; error: ErrorDetail };

/** The decision. Apply it with `applyPlanDecision` (or the same steps, journaled). */
export interface PlanDecision {
  /** The `now` it was made at: the time for every start, end and request it contains. */
  decidedAt: number;
  /** The plan's status once this decision is applied. */
  status: PlanStatus;
  /** Actions to start, in plan order, within `maxConcurrency`. */
  start: ActionStart[];
  /** Confirmation requests to record (`requestedAt` = now); their actions wait. */
  requestConfirmations: PlanConfirmation[];
  /** Unanswered requests that timed out: the history entry with its automatic rejection. */
  confirmationTimeouts: PlanConfirmation[];
  /** Actions that end without running (skipped, or failed: rejected, timed out), in decision order. */
  end: ActionEnding[];
  /** Running actions to cancel (the plan was cancelled). */
  cancelRunning: string[];
  /** For each failed action whose output something stands in for: what. */
  standIns: Record<string, StandIn>;
  /** Why the plan failed, when `status` is `failed`. */
  error?: ErrorDetail;
  /** The earliest confirmation deadline still pending (epoch ms): decide again then. */
  wakeAt?: number;
  metrics: PlanMetrics;
}

const PENDING: ActionRuntimeState = Object.freeze({ status: 'pending' });

interface Round {
  changed: boolean;
  ready: ActionStart[];
  /** Actions to ask for confirmation now. */
  asks: string[];
  /** Actions whose confirmation was asked and is not answered yet. */
  pending: number;
  /** When the unanswered and the newly asked confirmations time out. */
  dueTimes: number[];
}

/** The failed action that fails the plan: nothing stands in and it may not be ignored; the earliest to end. */
function planFailure(view: PlanView): { actionId: string; error: ErrorDetail } | undefined {
  let found: { actionId: string; error: ErrorDetail; endedAt: number } | undefined;
  for (const id of view.graph.ids) {
    const state = view.state(id);
    // An alternative's failure counts through the action it stands in for.
    if (state.status !== 'failed' || view.graph.primaryOf(id) !== undefined) continue;
    if (view.action(id)?.errorHandling.continueOnFailure === true) continue;
    if (standingOf(view, id).kind !== 'none') continue;
    const endedAt = state.endedAt ?? Number.MAX_SAFE_INTEGER;
    if (found !== undefined && found.endedAt <= endedAt) continue;
    const error = state.error ?? errorDetail('state_inconsistent', `"${id}" is recorded as failed without an error.`, { code: 'ERROR_MISSING' });
    found = { actionId: id, endedAt, error: { ...error, context: { ...error.context, actionId: id } } };
  }
  return found === undefined ? undefined : { actionId: found.actionId, error: found.error };
}

function previousResultsFor(view: PlanView, id: string): Record<string, string> {
  const reachable = view.graph.transitiveDependencies(id);
  const previousResults: Record<string, string> = {};
  for (const dep of view.graph.ids) {
    if (!reachable.has(dep)) continue;
    const standing = standingOf(view, dep);
    if (standing.kind === 'output') previousResults[dep] = JSON.stringify(standing.output);
  }
  return previousResults;
}

/**
 * The `previousResults` an action starts with: what a decision's `start` entry carries. The runner
 * asks again for an action recorded as running after a crash; its dependencies have ended, so the
 * answer is the same and the resubmitted request matches the one its execution journaled.
 */
export function previousResultsOf(plan: ExecutionPlan, actions: Readonly<Record<string, ActionRuntimeState>>, actionId: string): Record<string, string> {
  const byId = new Map<string, PlannedAction>();
  for (const action of plan.actions) if (!byId.has(action.id)) byId.set(action.id, action);
  const view: PlanView = { graph: graphOfPlan(plan), action: (id) => byId.get(id), state: (id) => (Object.hasOwn(actions, id) ? actions[id] : undefined) ?? PENDING };
  return previousResultsFor(view, actionId);
}

/** Why an action that has not started cannot start (a reason to skip it), if it cannot. */
function blockedReason(view: PlanView, id: string, cancelled: boolean, failure: { actionId: string; error: ErrorDetail } | undefined): { skip: string } | 'wait' | undefined {
  if (cancelled) return { skip: 'Not run: the plan was cancelled.' };
  if (failure !== undefined) {
    return { skip: `Not run: the plan failed because "${failure.actionId}" failed (${describeError(failure.error)}) and nothing stands in for it.` };
  }
  const primary = view.graph.primaryOf(id);
  if (primary !== undefined) {
    const status = view.state(primary).status;
    if (status === 'completed') return { skip: `Not needed: "${primary}" completed, so its alternative did not run.` };
    if (status === 'skipped') return { skip: `Not needed: "${primary}" was skipped, so there was nothing to stand in for.` };
    if (status !== 'failed') return 'wait';
  }
  let wait = false;
  for (const dep of view.graph.dependenciesOf(id)) {
    const standing = standingOf(view, dep);
    if (standing.kind === 'none') return { skip: `Not run: its dependency "${dep}" ${standing.why}.` };
    if (standing.kind === 'unsettled') wait = true;
  }
  return wait ? 'wait' : undefined;
}

/**
 * Decides what a plan run does next (see the module comment and docs/plans.md for the rules).
 *
 * @throws RangeError when `maxConcurrency` is not a positive integer.
 */
export function decidePlan(input: PlanDecisionInput): PlanDecision {
  const { plan, now } = input;
  if (!Number.isInteger(input.maxConcurrency) || input.maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive integer, got ${String(input.maxConcurrency)}`);
  }
  const cancelled = input.cancelled === true;
  const graph = input.graph ?? graphOfPlan(plan);
  const byId = new Map<string, PlannedAction>();
  for (const action of plan.actions) if (!byId.has(action.id)) byId.set(action.id, action);
  const work = new Map<string, ActionRuntimeState>();
  for (const id of graph.ids) work.set(id, Object.hasOwn(input.actions, id) ? (input.actions[id] ?? PENDING) : PENDING);
  const view: PlanView = { graph, action: (id) => byId.get(id), state: (id) => work.get(id) ?? PENDING };
  const latest = latestConfirmations(input.confirmations);

  const end: ActionEnding[] = [];
  const confirmationTimeouts: PlanConfirmation[] = [];
  const finish = (ending: ActionEnding): void => {
    const before = view.state(ending.actionId);
    const after: ActionRuntimeState = ending.status === 'skipped'
      ? { ...before, status: 'skipped', reason: ending.reason, endedAt: now }
      : { ...before, status: 'failed', error: ending.error, endedAt: now };
    work.set(ending.actionId, after);
    end.push(ending);
  };

  let failure = cancelled ? undefined : planFailure(view);
  let round: Round;
  for (;;) {
    round = { changed: false, ready: [], asks: [], pending: 0, dueTimes: [] };
    for (const id of graph.ids) {
      const status = view.state(id).status;
      if (hasEnded(status) || status === 'running') continue;
      const blocked = blockedReason(view, id, cancelled, failure);
      if (blocked === 'wait') continue;
      if (blocked !== undefined) {
        finish({ actionId: id, status: 'skipped', reason: blocked.skip });
        round.changed = true;
        continue;
      }
      const action = byId.get(id) as PlannedAction;
      const verdict = judgeConfirmation(action, latest.get(id), now);
      if (verdict.kind === 'refused') {
        finish({ actionId: id, status: 'failed', error: verdict.error });
        if (verdict.response !== undefined) confirmationTimeouts.push(verdict.response);
        round.changed = true;
      } else if (verdict.kind === 'request') {
        round.asks.push(id);
        // Requested now, so due `timeout` from now; the runner must wake for it like for any pending one.
        const timeout = action.userConfirmation?.timeout;
        if (timeout !== undefined) round.dueTimes.push(now + timeout);
      } else if (verdict.kind === 'pending') {
        round.pending++;
        if (verdict.dueAt !== undefined) round.dueTimes.push(verdict.dueAt);
      } else {
        // previousResults are filled in below, for the ones that fit within maxConcurrency only.
        const start: ActionStart = { actionId: id, previousResults: {} };
        const primary = graph.primaryOf(id);
        if (primary !== undefined) start.standingInFor = primary;
        round.ready.push(start);
      }
    }
    if (!round.changed) break;
    failure = cancelled ? undefined : planFailure(view);
  }

  const running = graph.ids.filter((id) => view.state(id).status === 'running');
  const start = round.ready.slice(0, Math.max(0, input.maxConcurrency - running.length));
  for (const entry of start) entry.previousResults = previousResultsFor(view, entry.actionId);
  const waitingForAnswer = round.asks.length + round.pending;

  let stuck: ErrorDetail | undefined;
  const unended = graph.ids.filter((id) => !hasEnded(view.state(id).status));
  if (unended.length > 0 && running.length + start.length + waitingForAnswer === 0) {
    // Only a plan that validation refuses gets here: everything left waits on something that waits back.
    stuck = errorDetail('state_inconsistent', `No action can start: ${unended.map((id) => `"${id}"`).join(', ')} wait for each other.`, {
      code: 'PLAN_STUCK',
      context: { actions: unended.join(', ') },
      suggestion: 'Validate the plan before running it (validatePlan): it reports the dependency cycles and the alternatives that wait for the action they replace.',
    });
    for (const id of unended) finish({ actionId: id, status: 'skipped', reason: 'Not run: it waits for actions that can never end (see the plan error).' });
  }

  const allEnded = graph.ids.every((id) => hasEnded(view.state(id).status));
  let status: PlanStatus;
  let error: ErrorDetail | undefined;
  if (!allEnded) {
    status = running.length + start.length > 0 ? 'running' : 'paused_for_confirmation';
  } else if (cancelled) {
    status = 'cancelled';
  } else if (stuck !== undefined || failure !== undefined) {
    status = 'failed';
    error = stuck ?? failure?.error;
  } else {
    const outputs: Record<string, Readonly<Record<string, string>>> = {};
    for (const id of graph.ids) {
      const standing = standingOf(view, id);
      if (standing.kind === 'output') outputs[id] = standing.output;
    }
    const verdict = checkExpectedOutcome(plan, outputs, input.redactor ?? { text: (text) => text });
    status = verdict.ok ? 'completed' : 'failed';
    if (!verdict.ok) error = verdict.error;
  }

  const standIns: Record<string, StandIn> = {};
  for (const id of graph.ids) {
    if (view.state(id).status !== 'failed') continue;
    const standing = standingOf(view, id);
    if (standing.kind === 'output' && standing.standIn !== undefined) standIns[id] = standing.standIn;
  }

  const decision: PlanDecision = {
    decidedAt: now,
    status,
    start,
    requestConfirmations: round.asks.map((actionId) => ({ actionId, requestedAt: new Date(now).toISOString() })),
    confirmationTimeouts,
    end,
    cancelRunning: cancelled ? running : [],
    standIns,
    metrics: metricsOf(view, input, allEnded, start.length + round.asks.length > 0),
  };
  if (error !== undefined) decision.error = error;
  if (!allEnded && round.dueTimes.length > 0) decision.wakeAt = Math.min(...round.dueTimes);
  return decision;
}

/**
 * Counts over the states after the decision; the duration runs from the plan's start (or its first
 * recorded activity, `now` when this decision is the first) to its last end, or to now while it runs.
 */
function metricsOf(view: PlanView, input: PlanDecisionInput, allEnded: boolean, actsNow: boolean): PlanMetrics {
  // One pass over the states: a plan decides after every action that ends, so this runs often.
  const counts = { completed: 0, failed: 0, skipped: 0 };
  let firstActivity = actsNow ? input.now : Number.POSITIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const id of view.graph.ids) {
    const state = view.state(id);
    if (state.status === 'completed' || state.status === 'failed' || state.status === 'skipped') counts[state.status] += 1;
    if (state.startedAt !== undefined && state.startedAt < firstActivity) firstActivity = state.startedAt;
    if (state.endedAt !== undefined && state.endedAt > lastEnd) lastEnd = state.endedAt;
  }
  for (const entry of input.confirmations) {
    const requested = Date.parse(entry.requestedAt);
    if (!Number.isNaN(requested) && requested < firstActivity) firstActivity = requested;
  }
  const metrics: PlanMetrics = {
    totalActions: input.plan.actions.length,
    completedActions: counts.completed,
    failedActions: counts.failed,
    skippedActions: counts.skipped,
  };
  const begin = input.startedAt ?? (Number.isFinite(firstActivity) ? firstActivity : undefined);
  if (begin === undefined) return metrics;
  const finish = allEnded && Number.isFinite(lastEnd) ? lastEnd : input.now;
  metrics.totalDuration = Math.max(0, Math.round(finish - begin));
  return metrics;
}
