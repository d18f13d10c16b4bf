/**
 * The driver (DESIGN §6 "The driver is one explicit loop"): drives one execution's machine with
 * XState's pure `transition()` to a final state. Each turn:
 *
 *   1. ask the current state's effect for its step (pure work settles at once);
 *   2. if the step has a side effect, commit every staged write — the transitions so far and the
 *      effect's own intent — and await the commit: **journal before effect**;
 *   3. perform the side effect; its result is a named domain event (`SENT`, `RETRY`, …);
 *   4. `transition()` to the next snapshot and stage its transition write.
 *
 * Transitions between pure states share the commit that precedes the next side effect, and the
 * journal group-commits writes of concurrent executions, so a happy-path action costs three commits.
 * Failures of the effect become `FAILED` events; failures of the executor's own infrastructure (the
 * journal, storage, a lost lease) stop the loop without recording anything, so a resume carries on.
 */
import type { InspectionEvent, Observer } from 'xstate';
import {
  actionExecutionMachine,
  effectOf,
  type Effect,
  type ExecutionEvent,
  type ExecutionSnapshot,
} from '../../machines/action-execution.ts';
import type { ExecutionContext } from '../../machines/action-execution-context.ts';
import type { ExecutionKey, Fence, Journal, JournalWrite } from '../../storage/journal.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { Clock } from '../support/clock.ts';
import { isActionError, isInfrastructureError } from '../failure/errors.ts';
import { toErrorDetail } from './error-detail.ts';
import { pureTransition } from './pure-transition.ts';
import { buildActionExecutionState, statusOf, tracesOf } from './execution-state.ts';
import type { ExecutionRun } from './execution-run.ts';
import type { Settled, Step, StepFacts } from './step.ts';
import type { TransitionInfo } from './executor-api.ts';


/** Test-only crash points, named after what is durable when they fire. */
export type FaultHook = (point: string) => void;

export interface DriveInput {
  journal: Journal;
  key: ExecutionKey;
  /** The lease this driver writes under; null only before the execution's first (create) commit. */
  fence: Fence | null;
  run: ExecutionRun;
  snapshot: ExecutionSnapshot;
  /** Writes staged before the loop (the create write of a new execution). */
  staged: JournalWrite[];
  /** When the execution was created (for durations). */
  createdAt: number;
  clock: Clock;
  /** Aborting it cancels the execution at the next step (an act in progress is aborted). */
  cancel: AbortSignal;
  /**
   * Aborting it stops the run without recording anything more (a lost lease, an interrupt): an act in
   * progress is aborted and the driver throws the signal's reason. A resume carries on from the journal.
   */
  stop: AbortSignal;
  /**
   * Aborting it stops the run at its next journaled point without recording anything more (the
   * executor's `interrupt`): a wait ends at once, while a request in flight may finish and its outcome
   * is committed (a request whose intent is durable is always sent). Then the driver throws the reason.
   */
  interrupt?: AbortSignal | undefined;
  onTransition?: ((info: TransitionInfo) => void) | undefined;
  inspect?: ((event: InspectionEvent) => void) | Observer<InspectionEvent> | undefined;
  faultHook?: FaultHook | undefined;
  /** Called with the fence once the first commit created the execution leased to us. */
  onFence?: (fence: Fence) => void;
}

/** The first commit found the execution already created by someone else: nothing was written. */
export class ExecutionExistsError extends Error {
  constructor(readonly key: ExecutionKey) {
    super(`execution ${key.executionId} / ${key.actionId} was created concurrently by another submission`);
    this.name = 'ExecutionExistsError';
  }
}

/**
 * Runs an effect's first half (the run method its state names). Exported for replay
 * (src/replay/), which drives the same effects against a recorded world.
 */
export async function begin(run: ExecutionRun, effect: Effect): Promise<Step> {
  switch (effect.type) {
    case 'resolve':
      return run.resolve();
    case 'validate':
      return run.validate();
    case 'request':
      return run.request(effect.attempt, effect.authRefreshed);
    case 'classify':
      return run.classify(effect.attempt, effect.authRefreshed);
    case 'wait':
      return run.wait(effect.until, effect.delayMs, effect.reason);
    case 'store':
      return run.store(effect.attempt, effect.output);
  }
}

/** An effect that threw: infrastructure stops the run; anything else is the action's failure. */
export function failedEvent(error: unknown): Settled {
  if (isInfrastructureError(error)) throw error;
  return { event: { type: 'FAILED', error: isActionError(error) ? error.detail : toErrorDetail(error) } };
}

/** Journal form of a snapshot: plain JSON, restorable with `machine.resolveState`. */
export function persistedSnapshot(snapshot: ExecutionSnapshot): { status: string; value: string; context: ExecutionContext } {
  return { status: snapshot.status, value: String(snapshot.value), context: snapshot.context };
}

/** A minimal actor reference for inspection events, as `@statelyai/inspect` reads them. */
function inspectedActor(key: ExecutionKey, current: () => ExecutionSnapshot) {
  return { id: key.actionId, sessionId: `${key.executionId}/${key.actionId}`, logic: actionExecutionMachine, _parent: undefined, getSnapshot: current };
}

export async function driveExecution(input: DriveInput): Promise<ActionExecutionState> {
  const { journal, key, run, clock } = input;
  let fence = input.fence;
  let snapshot = input.snapshot;
  const staged: JournalWrite[] = [...input.staged];
  const announced: TransitionInfo[] = [];
  const actor = inspectedActor(key, () => snapshot);
  const emit = (event: Record<string, unknown>): void => {
    const sink = input.inspect;
    if (!sink) return;
    const full = { ...event, actorRef: actor, rootId: actor.sessionId } as unknown as InspectionEvent;
    if (typeof sink === 'function') sink(full);
    else sink.next?.(full);
  };

  /** Commits what is staged; names the crash point by what just became durable. */
  const commit = async (): Promise<void> => {
    if (staged.length === 0) return;
    const writes = staged.splice(0);
    const result = await journal.commit(key, writes, fence, clock.now());
    if (result.created === false) throw new ExecutionExistsError(key);
    if (result.fence) {
      fence = result.fence;
      input.onFence?.(result.fence);
    }
    for (const info of announced.splice(0)) input.onTransition?.(info);
    const hook = input.faultHook;
    if (!hook) return;
    if (writes.some((w) => w.type === 'beginAttempt')) hook('attempt:begun');
    else if (writes.some((w) => w.type === 'finishAttempt')) hook('attempt:finished');
    for (const write of writes) if (write.type === 'transition' && !writes.some((w) => w.type === 'beginAttempt')) hook(`transition:${write.to}`);
  };

  const actSignal = AbortSignal.any([input.cancel, input.stop]);
  // A wait is the one act an interrupt cuts short: nothing is in flight, and nothing is recorded.
  const waitSignal = input.interrupt ? AbortSignal.any([actSignal, input.interrupt]) : actSignal;
  const halted = (): boolean => input.stop.aborted || input.interrupt?.aborted === true;
  const haltReason = (): unknown => (input.stop.aborted ? input.stop.reason : input.interrupt?.reason);
  emit({ type: '@xstate.actor' });
  emit({ type: '@xstate.snapshot', snapshot, event: { type: 'xstate.init' } });
  while (snapshot.status !== 'done') {
    const from = String(snapshot.value);
    const effect = effectOf(from, snapshot.context);
    if (effect === null) throw new Error(`state "${from}" names no effect and is not final`);
    run.state = from;
    emit({ type: '@xstate.action', action: { type: effect.type, params: effect } });

    let settled: Settled;
    if (halted()) throw haltReason();
    if (input.cancel.aborted) {
      settled = { event: cancelEvent(input.cancel, from) };
    } else {
      const step = await begin(run, effect).catch(failedEvent);
      staged.push(...(step.writes ?? []));
      if ('act' in step) {
        // The last moment to stop with nothing written; once the intent below is durable, the act runs.
        if (halted()) throw haltReason();
        await commit(); // write-ahead: the state and the effect's intent are durable before it starts
        settled = await step.act(effect.type === 'wait' ? waitSignal : actSignal).catch((error: unknown) => (halted() || !input.cancel.aborted ? failedEvent(error) : { event: cancelEvent(input.cancel, from) }));
        if (halted()) {
          // Stopping: keep what the act learnt (an attempt's outcome) if the lease still allows, then stop.
          staged.splice(0, staged.length, ...(settled.writes ?? []));
          await commit().catch(() => undefined);
          throw haltReason();
        }
        // An aborted request still records its outcome; the cancel wins over the event it would have sent.
        if (input.cancel.aborted && settled.event.type !== 'CANCEL') settled = { ...settled, event: cancelEvent(input.cancel, from) };
      } else {
        settled = step;
      }
      staged.push(...(settled.writes ?? []));
    }

    const event = settled.event;
    emit({ type: '@xstate.event', event, sourceRef: undefined });
    const [next] = pureTransition(snapshot, event);
    snapshot = next;
    const to = String(next.value);
    const now = clock.now();
    const done = next.status === 'done';
    const result = done
      ? buildActionExecutionState({ actionId: key.actionId, stateValue: to, context: next.context, startedAt: input.createdAt, finishedAt: now, traces: run.traces() ?? (await tracesOf(journal, key, run)) })
      : undefined;
    staged.push(transitionWrite(from, to, event, settled.facts, next, now, result));
    announced.push({ ...key, from, to, event: event.type, context: next.context, ...attemptOf(run, to, next.context) });
    emit({ type: '@xstate.snapshot', snapshot: next, event });
    run.state = to;
    run.log('debug', `${from} → ${to}`, { event: event.type });
    if (result) {
      await commit(); // the terminal transition, its result, its outbox event and the lease release
      run.log(result.status === 'failed' ? 'warn' : 'info', `finished: ${result.status}`);
      return result;
    }
  }
  // A snapshot restored in a final state: nothing to drive.
  throw new Error(`execution ${key.executionId} / ${key.actionId} was restored in final state ${String(snapshot.value)}`);
}

function cancelEvent(signal: AbortSignal, cancelledIn: string): ExecutionEvent {
  const reason = typeof signal.reason === 'string' ? signal.reason : undefined;
  return reason === undefined ? { type: 'CANCEL', cancelledIn } : { type: 'CANCEL', reason, cancelledIn };
}

/** The attempt a transition into classifying consumed, for progress output before it is re-read. */
function attemptOf(run: ExecutionRun, to: string, context: ExecutionContext): Pick<TransitionInfo, 'attemptRecord'> {
  if (to !== 'classifying') return {};
  const record = run.attemptRecord(context.attempt);
  return record ? { attemptRecord: record } : {};
}

/** The journal write of one transition: the event with its payload and facts, the new snapshot, and on a final state its result. */
export function transitionWrite(from: string, to: string, event: ExecutionEvent, facts: StepFacts | undefined, next: ExecutionSnapshot, at: number, result: ActionExecutionState | undefined): JournalWrite {
  const { type, ...payload } = event;
  const data = Object.keys(payload).length > 0 || facts ? { ...payload, ...(facts ? { facts } : {}) } : undefined;
  const status = statusOf(to);
  return {
    type: 'transition',
    from,
    to,
    event: type,
    ...(data === undefined ? {} : { data }),
    at,
    snapshot: persistedSnapshot(next),
    stateValue: to,
    status,
    attemptCount: next.context.attempt,
    wakeAt: to === 'backingOff' ? next.context.nextAttemptAt : null,
    ...(result
      ? {
          result,
          outbox: { type: status === 'failed' ? 'action.execute.failed' : 'action.execute.completed', payload: result },
          // Nothing is left to drive: give the lease up in the same transaction.
          releaseLease: true,
        }
      : {}),
  };
}
