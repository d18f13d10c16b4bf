/**
 * The effect actors of one execution (the implementations `machine.provide` receives). Each effect
 * follows the write-ahead rule of DESIGN §6 and consults the journal before acting, because a
 * restored snapshot re-runs the in-flight actor from the start:
 *
 * - resolve / validate: pure recomputation (references, schemas, request building).
 * - request: a recorded outcome is fed back without sending; an `in_flight` attempt (sent, no outcome)
 *   is *in doubt* and is re-sent only when repeating is safe, else it ends OUTCOME_UNKNOWN.
 * - classify: reads the journaled (redacted) outcome, so it decides the same way after a crash.
 * - wait: sleeps only what remains of the journaled deadline.
 * - store: idempotent.
 *
 * Every actor yields once before acting: XState starts an invoked actor synchronously *before* it
 * notifies observers of the new state, and the executor journals that state in its observer. The
 * `await journaled()` at the top of each effect is what puts the transition on disk before the effect.
 * Infrastructure failures (journal, disk) are set aside so they are never recorded as the result.
 */
import { fromPromise } from 'xstate';
import type {
  ClassifyInput,
  ClassifyOutput,
  EffectInput,
  RequestInput,
  RequestOutput,
  ResolveOutput,
  StoreInput,
  StoreOutput,
  WaitInput,
} from '../../machines/action-execution.ts';
import type { ExecutionRun } from './execution-run.ts';
import { isInfrastructureError } from '../failure/infrastructure-error.ts';

/** Yields to the microtask queue: the executor's observer has journaled the transition by then. */
export const journaled = (): Promise<void> => Promise.resolve();

/**
 * Runs an effect of the execution `input` names; an infrastructure failure is remembered on its run,
 * which stops the machine without recording a terminal state (the executor throws and a later resume
 * carries on). The run is looked up after the yield, inside the promise, so a missing one rejects the
 * effect instead of throwing out of XState.
 */
async function guarded<T>(runFor: RunLookup, input: EffectInput, effect: (run: ExecutionRun) => Promise<T>): Promise<T> {
  await journaled();
  const run = runFor(input);
  try {
    return await effect(run);
  } catch (error) {
    if (isInfrastructureError(error)) run.infrastructureFailure ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  }
}

/** Finds the live run of an execution; throws when the executor is not driving it. */
export type RunLookup = (input: EffectInput) => ExecutionRun;

/**
 * The effect actors, once per executor: each finds its execution's run from the actor input
 * (executionId, actionId). Providing the machine once instead of once per execution spares building
 * a new machine (every state node and transition) for every action.
 */
export function effectActors(runFor: RunLookup) {
  return {
    resolve: fromPromise<ResolveOutput, EffectInput>(({ input }) => guarded(runFor, input, (run) => run.resolve())),
    validate: fromPromise<void, EffectInput>(({ input }) => guarded(runFor, input, async (run) => void (await run.prepare()))),
    request: fromPromise<RequestOutput, RequestInput>(({ input, signal }) =>
      guarded(runFor, input, (run) => run.request(input.attempt, input.authRefreshed, signal)),
    ),
    classify: fromPromise<ClassifyOutput, ClassifyInput>(({ input }) => guarded(runFor, input, (run) => run.classify(input.attempt, input.authRefreshed))),
    wait: fromPromise<void, WaitInput>(({ input, signal }) => guarded(runFor, input, (run) => run.wait(input.until, input.reason, signal))),
    store: fromPromise<StoreOutput, StoreInput>(({ input }) => guarded(runFor, input, (run) => run.store(input.attempt, input.output))),
  };
}
