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
} from '../machines/action-execution.ts';
import type { ExecutionRun } from './execution-run.ts';

/** Yields to the microtask queue: the executor's observer has journaled the transition by then. */
export const journaled = (): Promise<void> => Promise.resolve();

export function effectActors(run: ExecutionRun) {
  return {
    resolve: fromPromise<ResolveOutput, EffectInput>(async () => {
      await journaled();
      return run.resolve();
    }),
    validate: fromPromise<void, EffectInput>(async () => {
      await journaled();
      await run.prepare();
    }),
    request: fromPromise<RequestOutput, RequestInput>(async ({ input, signal }) => {
      await journaled();
      return run.request(input.attempt, input.authRefreshed, signal);
    }),
    classify: fromPromise<ClassifyOutput, ClassifyInput>(async ({ input }) => {
      await journaled();
      return run.classify(input.attempt, input.authRefreshed);
    }),
    wait: fromPromise<void, WaitInput>(async ({ input, signal }) => {
      await journaled();
      await run.wait(input.until, input.reason, signal);
    }),
    store: fromPromise<StoreOutput, StoreInput>(async ({ input }) => {
      await journaled();
      return run.store(input.attempt, input.output);
    }),
  };
}
