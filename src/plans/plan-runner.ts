/**
 * The plan runner (issue 11): drives one plan run, under its lease, until it is terminal or waits for
 * a confirmation. One loop, as the action driver is:
 *
 *   1. record what happened since the last decision (actions that ended, answers, a cancel);
 *   2. decide (`decidePlan`, pure) and apply the decision to the records;
 *   3. commit the events and the decision and await the commit: **journal before effect**;
 *   4. perform the decision: start actions through the action executor, cancel running ones;
 *   5. wait for the next event (or the next confirmation deadline), and go round again.
 *
 * Every action is an ordinary durable execution keyed `(plan.id, action.id)`, so an action the
 * journal says is running is simply submitted again after a crash: the executor resumes it from its
 * own journal (a completed one returns its result, an in-flight one carries on), and nothing the
 * plan decided is done twice. See plan-record.ts for what the journal holds.
 */
import type { Logger } from 'pino';
import { errorDetail, isActionError, isInfrastructureError } from '../failure/errors.ts';
import type { ActionExecutor } from '../execution/executor-api.ts';
import type { FaultHook } from '../execution/driver.ts';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan, PlannedAction } from '../schemas/plan.ts';
import type { Clock } from '../support/clock.ts';
import type { ExecutionKey, Fence, JournalWrite, TransitionWrite } from '../../storage/journal.ts';
import type { PlanConfirmationRequest } from '../execution/outbox-delivery.ts';
import { applyPlanDecision } from './plan-decision-apply.ts';
import { applyPlanEvent } from './plan-event-apply.ts';
import { graphOfPlan, type PlanGraph } from './plan-graph.ts';
import { PlanInbox, type PlanEvent } from './plan-inbox.ts';
import { decidePlan, previousResultsOf, type PlanDecision } from './plan-scheduler.ts';
import { isPlanTerminal, journaledSnapshot, journalStatusOf, planKey, recordsOf, type PlanRunSnapshot } from './plan-record.ts';
import { buildPlanState } from './plan-state.ts';
import type { PlanProgressEvent } from './plan-executor-api.ts';

/** What a run needs from its plan executor. */
export interface PlanRunDependencies {
  executor: ActionExecutor;
  clock: Clock;
  logger: Logger;
  leaseTtlMs: number;
  onProgress?: ((event: PlanProgressEvent) => void) | undefined;
  /** Test-only: called with `plan:<events>:<status>` right after each plan commit. */
  faultHook?: FaultHook | undefined;
}

/** Where a run starts from: the journaled row (or the one its first commit creates). */
export interface PlanRunStart {
  plan: ExecutionPlan;
  snapshot: PlanRunSnapshot;
  /** The row's current stateValue. */
  stateValue: string;
  /** The lease the run writes under; null only when `staged` creates the row. */
  fence: Fence | null;
  /** The create write of a new run: it goes first in the run's first commit. */
  create?: JournalWrite | undefined;
  credentials: Record<string, string>;
  maxConcurrency: number;
  /** Recorded states of action executions already read (a resumed run's ended actions). @default none */
  executions?: ReadonlyMap<string, ActionExecutionState> | undefined;
}

/** A cancel that finds a just-submitted execution not registered yet tries again, this often, this many times. */
const CANCEL_RETRY_MS = 2;
const CANCEL_RETRIES = 500;

/** One plan run being driven by this process: its records as last committed, its lease, its inbox. */
export class PlanRun {
  readonly key: ExecutionKey;
  readonly plan: ExecutionPlan;
  private snapshot: PlanRunSnapshot;
  private stateValue: string;
  private fence: Fence | null;
  /** Transitions of events consumed since the last commit; they go in the next one. */
  private readonly staged: TransitionWrite[] = [];
  private readonly createWrites: JournalWrite[];
  private readonly inbox = new PlanInbox();
  /** Action executions this run has in progress (submitted, or being cancelled from the journal). */
  private readonly inflight = new Set<string>();
  /** Every submission this run made, settled or not: a run that stops waits for them first. */
  private readonly submissions: Promise<void>[] = [];
  private readonly cancelRequested = new Set<string>();
  /** States of action executions that ended while this run watched (saves a read at the end). */
  private readonly ended = new Map<string, ActionExecutionState>();
  private readonly byId = new Map<string, PlannedAction>();
  /** Built once: the scheduler would build it again for every decision. */
  private readonly graph: PlanGraph;
  private readonly credentials: Record<string, string>;
  private readonly maxConcurrency: number;
  /** Set, without an await in between, when the loop decides to return: later signals are refused. */
  private closed = false;

  constructor(private readonly deps: PlanRunDependencies, start: PlanRunStart) {
    this.plan = start.plan;
    this.key = planKey(start.plan.id);
    this.snapshot = start.snapshot;
    this.stateValue = start.stateValue;
    this.fence = start.fence;
    this.createWrites = start.create === undefined ? [] : [start.create];
    this.credentials = start.credentials;
    this.maxConcurrency = start.maxConcurrency;
    for (const action of start.plan.actions) if (!this.byId.has(action.id)) this.byId.set(action.id, action);
    this.graph = graphOfPlan(start.plan);
    for (const [id, state] of start.executions ?? []) if (state.status !== 'running' && state.status !== 'pending') this.ended.set(id, state);
  }

  /** The records as this run last committed them. */
  get current(): PlanRunSnapshot {
    return this.snapshot;
  }

  /**
   * Hands an answer or a cancel to the run; it is journaled before the next decision. False when the
   * run is stopping (terminal, or paused with nothing to do): continue from the journal instead.
   */
  signal(event: Extract<PlanEvent, { type: 'CONFIRMED' | 'REJECTED' | 'CANCEL' }>): boolean {
    if (this.closed) return false;
    this.inbox.push(event);
    return true;
  }

  /** Drives the plan until it is terminal or waits for a confirmation with nothing else to do. */
  async drive(): Promise<ExecutionState> {
    const { journal } = this.deps.executor;
    const renew = setInterval(() => {
      if (!this.fence) return;
      journal.renewLease(this.key, this.fence, this.deps.clock.now(), this.deps.leaseTtlMs).catch((error: unknown) => this.deps.logger.warn({ ...this.key }, `plan lease renewal failed: ${String(error)}`));
    }, Math.max(1000, Math.floor(this.deps.leaseTtlMs / 3)));
    renew.unref();
    try {
      this.consume(this.inbox.drain());
      // After a crash: actions recorded as running are submitted again; each resumes from its journal.
      if (!this.snapshot.cancelled) for (const [id, state] of Object.entries(this.snapshot.actions)) if (state.status === 'running') this.launch(id, true);
      for (;;) {
        const decision = decidePlan({ plan: this.plan, graph: this.graph, ...recordsOf(this.snapshot), now: this.deps.clock.now(), maxConcurrency: this.maxConcurrency, cancelled: this.snapshot.cancelled, startedAt: this.snapshot.startedAt });
        const cancels = decision.cancelRunning.filter((id) => !this.cancelRequested.has(id));
        if (this.mustCommit(decision, cancels)) await this.commitDecision(decision); // write-ahead: decided, then done
        for (const start of decision.start) this.launch(start.actionId, false, start.previousResults);
        for (const id of cancels) this.cancelAction(id);
        if (isPlanTerminal(decision.status)) {
          this.closed = true;
          return await this.stateNow();
        }
        if (this.inflight.size === 0 && this.inbox.size === 0) {
          this.closed = true;
          return await this.pause();
        }
        this.consume(await this.inbox.next(this.deps.clock, decision.wakeAt));
      }
    } catch (error) {
      this.closed = true;
      // Nothing of the plan runs on after the call returns: the actions already started end (or stop
      // on the same fault) in their own journals, which the next run adopts.
      await Promise.allSettled(this.submissions);
      if (this.fence) await journal.releaseLease(this.key, this.fence).catch(() => undefined);
      this.fence = null;
      throw error;
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * Whether this decision must be durable before the loop goes on: it does something (starts, ends,
   * asks, times out, cancels), changes the plan's status, or follows an answer or a cancel. An action
   * that ended and led to nothing new is recorded with the next commit instead: nothing waits on it,
   * and after a crash the action is submitted again and returns what its own journal recorded.
   */
  private mustCommit(decision: PlanDecision, cancels: readonly string[]): boolean {
    return this.createWrites.length > 0
      || decision.start.length > 0
      || decision.end.length > 0
      || decision.requestConfirmations.length > 0
      || decision.confirmationTimeouts.length > 0
      || cancels.length > 0
      || decision.status !== this.snapshot.status
      || this.staged.some((write) => !write.event.startsWith('ACTION_'));
  }

  /** Applies events to the records and stages their transitions (snapshot-free: the decision's carries it). */
  private consume(events: PlanEvent[]): void {
    const now = this.deps.clock.now();
    for (const event of events) {
      if (event.type === 'ACTION_STOPPED') throw event.error;
      if (event.type === 'ACTION_ENDED') this.ended.set(event.actionId, event.state);
      const applied = applyPlanEvent(this.snapshot, event, now);
      if (applied === undefined) continue;
      this.snapshot = applied.snapshot;
      this.staged.push(this.transition(applied.name, this.stateValue, this.stateValue, applied.data, now));
    }
  }

  private transition(event: string, from: string, to: string, data: Record<string, unknown>, at: number): TransitionWrite {
    const status = this.snapshot.status;
    return { type: 'transition', from, to, event, data, at, snapshot: null, stateValue: to, status: journalStatusOf(status), attemptCount: this.startedCount(), wakeAt: null };
  }

  private startedCount(): number {
    return Object.values(this.snapshot.actions).filter((state) => state.startedAt !== undefined).length;
  }

  /** Commits the staged events and the decision in one unit, fenced, and reports what it recorded. */
  private async commitDecision(decision: PlanDecision): Promise<void> {
    const now = this.deps.clock.now();
    const next = applyPlanDecision(recordsOf(this.snapshot), decision);
    const terminal = isPlanTerminal(decision.status);
    const ends = Object.values(next.actions).flatMap((state) => (state.endedAt === undefined ? [] : [state.endedAt]));
    const snapshot: PlanRunSnapshot = { ...this.snapshot, ...next, status: decision.status, metrics: decision.metrics };
    delete snapshot.error;
    if (decision.error !== undefined) snapshot.error = decision.error;
    if (terminal) snapshot.endedAt = ends.length > 0 ? Math.max(...ends) : now;
    const from = this.stateValue;
    this.snapshot = snapshot;

    // Event transitions first, then the decision, then its confirmation requests; every one carries the
    // row's new fields, the last one the snapshot (only the last transition of a unit updates the row).
    const writes: TransitionWrite[] = this.staged.splice(0);
    writes.push(this.transition('DECIDED', from, decision.status, summaryOf(decision), now));
    for (const request of decision.requestConfirmations) {
      const action = this.byId.get(request.actionId);
      const timeout = action?.userConfirmation?.timeout;
      const payload: PlanConfirmationRequest = {
        planId: this.plan.id,
        actionId: request.actionId,
        title: action?.userConfirmation?.title ?? '',
        message: action?.userConfirmation?.message ?? '',
        requestedAt: request.requestedAt,
        ...(timeout === undefined ? {} : { timeoutAt: new Date(Date.parse(request.requestedAt) + timeout).toISOString() }),
        status: 'requested',
      };
      writes.push({ ...this.transition('CONFIRMATION_REQUESTED', decision.status, decision.status, { actionId: request.actionId }, now), outbox: { type: 'plan.confirmation.requested', payload } });
    }
    for (const write of writes) {
      write.status = journalStatusOf(decision.status);
      write.wakeAt = decision.wakeAt ?? null;
      write.attemptCount = this.startedCount();
    }
    const last = writes[writes.length - 1] as TransitionWrite;
    last.snapshot = journaledSnapshot(snapshot);
    if (terminal) {
      const result = await this.stateNow();
      last.result = result;
      last.outbox = { type: decision.status === 'completed' ? 'plan.execute.completed' : 'plan.execute.failed', payload: result };
      last.releaseLease = true;
    }
    const result = await this.deps.executor.journal.commit(this.key, [...this.createWrites.splice(0), ...writes], this.fence, now);
    if (result.created === false) throw new PlanExistsError(this.plan.id);
    if (result.fence) this.fence = result.fence;
    if (terminal) this.fence = null;
    this.stateValue = decision.status;
    this.report(decision);
    this.deps.faultHook?.(`plan:${writes.map((write) => write.event).join('+')}:${decision.status}`);
    if (terminal || decision.requestConfirmations.length > 0) await this.deps.executor.deliverPendingEvents();
  }

  private report(decision: PlanDecision): void {
    const progress = this.deps.onProgress;
    if (!progress) return;
    const planId = this.plan.id;
    for (const ending of decision.end) {
      progress(ending.status === 'skipped'
        ? { type: 'action-ended-unrun', planId, actionId: ending.actionId, status: 'skipped', reason: ending.reason }
        : { type: 'action-ended-unrun', planId, actionId: ending.actionId, status: 'failed', error: ending.error });
    }
    for (const request of decision.requestConfirmations) {
      const confirmation = this.byId.get(request.actionId)?.userConfirmation;
      const timeout = confirmation?.timeout;
      progress({
        type: 'confirmation-requested',
        planId,
        actionId: request.actionId,
        title: confirmation?.title ?? '',
        message: confirmation?.message ?? '',
        requestedAt: request.requestedAt,
        ...(timeout === undefined ? {} : { timeoutAt: new Date(Date.parse(request.requestedAt) + timeout).toISOString() }),
      });
    }
    progress({ type: 'plan-status', planId, status: decision.status });
  }

  /** Submits an action's execution (again, after a crash: it resumes from its own journal). */
  private launch(actionId: string, resumed: boolean, previousResults?: Record<string, string>): void {
    const action = this.byId.get(actionId);
    if (action === undefined || this.inflight.has(actionId)) return;
    const request: ActionExecuteRequest = {
      executionId: this.plan.id,
      action,
      context: { credentials: this.credentials, previousResults: previousResults ?? previousResultsOf(this.plan, this.snapshot.actions, actionId) },
    };
    this.inflight.add(actionId);
    const standingInFor = this.plan.actions.find((candidate) => candidate.errorHandling.alternativeActionId === actionId)?.id;
    this.deps.onProgress?.({ type: 'action-started', planId: this.plan.id, actionId, definitionId: action.actionDefinitionId, resumed, ...(standingInFor === undefined ? {} : { standingInFor }) });
    this.submissions.push(this.deps.executor.execute(request).then(
      (state) => this.settle({ type: 'ACTION_ENDED', actionId, state }),
      (error: unknown) => this.failedLaunch(actionId, error),
    ));
  }

  private settle(event: PlanEvent & { actionId: string }): void {
    this.inflight.delete(event.actionId);
    if (event.type === 'ACTION_ENDED') this.deps.onProgress?.({ type: 'action-ended', planId: this.plan.id, actionId: event.actionId, state: event.state });
    this.inbox.push(event);
  }

  /**
   * `execute` threw instead of recording a result. Bad input (a request over the size limits, say)
   * or a different request recorded under the key is the action's failure; anything else (infrastructure, a lease another process holds) stops the
   * run unrecorded — unless the action's own journal shows it ended (a cancel raced its start).
   */
  private async failedLaunch(actionId: string, error: unknown): Promise<void> {
    // REQUEST_MISMATCH: an execution under this key was submitted with another request (outside the
    // plan); its result is not this action's, so the action fails saying so instead of adopting it.
    if (isActionError(error) && (error.detail.category === 'validation_failed' || error.detail.code === 'REQUEST_MISMATCH')) {
      this.settle({ type: 'ACTION_REFUSED', actionId, error: { ...error.detail, context: { ...error.detail.context, actionId } } });
      return;
    }
    if (!isInfrastructureError(error)) {
      const recorded = await this.deps.executor.get(this.plan.id, actionId).catch(() => undefined);
      if (recorded && recorded.status !== 'running' && recorded.status !== 'pending') {
        this.settle({ type: 'ACTION_ENDED', actionId, state: recorded });
        return;
      }
    }
    this.settle({ type: 'ACTION_STOPPED', actionId, error });
  }

  /**
   * Cancels a running action. One this run submitted is cancelled in the executor (its in-flight
   * request aborted) and reports through its submission; one recorded as running but not submitted
   * (the plan was cancelled after a crash) is ended from its journal without running its effect.
   */
  private cancelAction(actionId: string): void {
    this.cancelRequested.add(actionId);
    const reason = 'its plan was cancelled';
    const { executor } = this.deps;
    if (this.inflight.has(actionId)) {
      void (async () => {
        // Submitted moments ago, the execution may not be registered yet: try again briefly.
        for (let tries = 0; tries < CANCEL_RETRIES && this.inflight.has(actionId); tries += 1) {
          try {
            await executor.cancel(this.plan.id, actionId, reason);
            return;
          } catch (error) {
            const code = isActionError(error) ? error.detail.code : undefined;
            if (code !== 'UNKNOWN_EXECUTION' && code !== 'LEASE_HELD') return;
            await new Promise((resolve) => setTimeout(resolve, CANCEL_RETRY_MS));
          }
        }
      })();
      return;
    }
    this.inflight.add(actionId);
    void executor.cancel(this.plan.id, actionId, reason).then(
      (state) => this.settle({ type: 'ACTION_ENDED', actionId, state }),
      (error: unknown) => {
        if (isActionError(error) && error.detail.code === 'UNKNOWN_EXECUTION') {
          // Decided to start, then the process died before the execution was created: it never began.
          this.settle({ type: 'ACTION_REFUSED', actionId, error: errorDetail('user_cancelled', `"${actionId}" was cancelled with its plan before its execution began.`, { code: 'CANCELLED', context: { actionId } }) });
        } else this.settle({ type: 'ACTION_STOPPED', actionId, error });
      },
    );
  }

  /** Nothing runs and nothing can start before an answer: the run stops here, its lease released. */
  private async pause(): Promise<ExecutionState> {
    if (this.fence) await this.deps.executor.journal.releaseLease(this.key, this.fence);
    this.fence = null;
    return this.stateNow();
  }

  /** The ExecutionState of the records as they stand, each action as its own execution recorded it. */
  async stateNow(): Promise<ExecutionState> {
    const executions = new Map<string, ActionExecutionState>();
    await Promise.all(Object.entries(this.snapshot.actions).map(async ([id, runtime]) => {
      if (runtime.startedAt === undefined) return;
      const known = this.ended.get(id) ?? (await this.deps.executor.get(this.plan.id, id));
      if (known) executions.set(id, known);
    }));
    return buildPlanState({ plan: this.plan, snapshot: this.snapshot, executions });
  }
}

/** The first commit found the run already created by another submission: nothing was written. */
export class PlanExistsError extends Error {
  constructor(readonly planId: string) {
    super(`plan run ${planId} was created concurrently by another submission`);
    this.name = 'PlanExistsError';
  }
}

/** The journal form of a decision: what it did, by action id (the snapshot holds the records). */
function summaryOf(decision: PlanDecision): Record<string, unknown> {
  const summary: Record<string, unknown> = { status: decision.status };
  if (decision.start.length > 0) summary['start'] = decision.start.map((start) => (start.standingInFor === undefined ? start.actionId : `${start.actionId} (in place of ${start.standingInFor})`));
  if (decision.requestConfirmations.length > 0) summary['requestConfirmations'] = decision.requestConfirmations.map((entry) => entry.actionId);
  if (decision.confirmationTimeouts.length > 0) summary['confirmationTimeouts'] = decision.confirmationTimeouts.map((entry) => entry.actionId);
  if (decision.end.length > 0) summary['end'] = decision.end.map((ending) => ({ actionId: ending.actionId, status: ending.status }));
  if (decision.cancelRunning.length > 0) summary['cancelRunning'] = decision.cancelRunning;
  if (Object.keys(decision.standIns).length > 0) summary['standIns'] = decision.standIns;
  if (decision.wakeAt !== undefined) summary['wakeAt'] = new Date(decision.wakeAt).toISOString();
  if (decision.error !== undefined) summary['error'] = { category: decision.error.category, code: decision.error.code };
  return summary;
}
