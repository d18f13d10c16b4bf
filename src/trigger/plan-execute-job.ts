/**
 * The `plan-execute` Trigger.dev v4 task (issue 11, DESIGN §8; docs/trigger-dev.md "plan-execute"):
 * a plan driven by the plan executor, its confirmations answered through waitpoint tokens. The run
 * body is the exported plain function {@link runPlanExecuteJob}; the registered task only wires the
 * platform into it.
 *
 * One loop: drive the plan until it is terminal or paused; while paused, issue (or get back) a token
 * per pending confirmation, publish them in run metadata, block on the one due first, and hand its
 * answer to the plan executor — `confirm` for `{ confirmed, userId }`, and for a timed-out token
 * the plan itself, whose durable deadline rejects the action. Everything the plan decides is in the
 * journal before it is done, so a platform retry re-runs `run()` from the top and resumes: completed
 * actions are not run again, recorded answers hold, and pending tokens come back by idempotency key.
 *
 * What a run ends as, as for `action-execute`: a completed plan completes the run (its ExecutionState
 * is the output); a failed or cancelled plan, a refused payload or plan, a missing credential fail it
 * without platform retries (PlanRunFailure, an AbortTaskRunError with the ErrorDetail); an
 * infrastructure failure throws as it is and the platform retries.
 */
import { schemaTask } from '@trigger.dev/sdk';
import type { Logger } from 'pino';
import type { ActionExecutor } from '../execution/executor.ts';
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import { errorDetail, isActionError, isInfrastructureError } from '../failure/errors.ts';
import { createPlanExecutor } from '../plans/plan-executor.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import { sleepFor, systemClock, type Clock } from '../support/clock.ts';
import { silentLogger } from '../support/logger.ts';
import { parseConfirmationAnswer } from './confirmation-answer.ts';
import { confirmationTokenKey, platformConfirmationTokens, type ConfirmationTokens, type PendingConfirmation } from './confirmation-tokens.ts';
import { pendingConfirmationsOf } from './pending-confirmations.ts';
import { credentialsFromEnvironment } from './plan-credentials.ts';
import { PLAN_EXECUTE_TASK_ID } from './plan-execute-task-id.ts';
import { PlanExecuteTaskSchema, type PlanExecutePayload } from './plan-execute-payload.ts';
import { PlanRunFailure } from './plan-run-failure.ts';
import {
  answeredConfirmation,
  applyPlanProgressEvent,
  planProgressOf,
  planRunMetadataSink,
  publishedConfirmation,
  submittedPlanProgress,
  type PlanProgress,
  type PlanRunProgressSink,
  type PublishedConfirmation,
} from './plan-run-progress.ts';
import { abortReasonText } from './run-abort-reason.ts';
import { taskWorker } from './task-worker.ts';

/** What {@link runPlanExecuteJob} runs with. */
export interface PlanExecuteJobDeps {
  /** The action executor every action runs through; its journal holds the plan run too. */
  executor: ActionExecutor;
  /** The definitions the plan is validated against (the executor's). */
  definitions: DefinitionRegistry;
  /** Confirmation tokens. @default platformConfirmationTokens() (`wait.createToken` / `wait.forToken`) */
  tokens?: ConfirmationTokens;
  /** Where credentials are read (plan-credentials.ts). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Waits for a deadline a token's timeout reached a moment early. @default systemClock */
  clock?: Clock;
  /** The run's abort signal (a cancel, `maxDuration`): aborting it cancels the plan. @default none */
  signal?: AbortSignal;
  /** Where the live state, the tokens and a failed plan's state go (run metadata on the platform). @default none */
  progress?: PlanRunProgressSink;
  /** @default silent */
  logger?: Logger;
}

/** Answers that say the journal already holds an answer: it wins, and the plan goes on from there. */
const ANSWERED_ELSEWHERE = new Set(['ALREADY_ANSWERED', 'CONFIRMATION_TIMED_OUT', 'NOT_WAITING_FOR_CONFIRMATION']);

/** Why a plan that did not complete failed. */
function failureOf(state: ExecutionState, cancelReason: string | undefined): ErrorDetail {
  if (state.status === 'cancelled') {
    return errorDetail('user_cancelled', `Plan ${state.planId} was cancelled${cancelReason === undefined ? '' : `: ${cancelReason}`}.`, {
      code: 'CANCELLED',
      context: { planId: state.planId },
      suggestion: 'Actions that had completed stay completed; the others were cancelled or did not run (see run metadata result).',
    });
  }
  return state.error ?? errorDetail('state_inconsistent', `Plan ${state.planId} is recorded as ${state.status} without an error.`, { context: { planId: state.planId } });
}

/**
 * The task's run body: runs (or resumes, or returns the recorded run of) `payload.plan`, answering
 * its confirmations through tokens. Resolves with the ExecutionState of a completed plan; rejects
 * with a {@link PlanRunFailure} for a plan that failed or was cancelled and for a refused submission,
 * and with the error itself for an infrastructure failure.
 */
export async function runPlanExecuteJob(payload: PlanExecutePayload, deps: PlanExecuteJobDeps): Promise<ExecutionState> {
  const { plan } = payload;
  const { signal } = deps;
  const tokens = deps.tokens ?? platformConfirmationTokens();
  const clock = deps.clock ?? systemClock;
  const logger = (deps.logger ?? silentLogger()).child({ planId: plan.id });
  if (signal?.aborted) {
    throw new PlanRunFailure(errorDetail('user_cancelled', `Plan ${plan.id} was not started: ${abortReasonText(signal)} before it began; nothing was sent.`, { code: 'CANCELLED', context: { planId: plan.id } }));
  }
  // Progress is for the run: nothing is written once it is over (an action the plan run left behind
  // after an infrastructure stop may still report), and a failing sink never stops the plan.
  let over = false;
  const sink = (write: (sink: PlanRunProgressSink) => void): void => {
    if (over || !deps.progress) return;
    try {
      write(deps.progress);
    } catch (error) {
      logger.warn(`writing the run's progress failed: ${String(error)}`);
    }
  };
  let progress: PlanProgress = submittedPlanProgress(plan);
  const report = (next: PlanProgress): void => {
    progress = next;
    sink((to) => to.plan(next));
  };
  report(progress);
  const published: Record<string, PublishedConfirmation> = {};
  const publish = (state?: ExecutionState): void => {
    if (state) for (const [id, entry] of Object.entries(published)) published[id] = answeredConfirmation(entry, state);
    sink((to) => to.confirmations({ ...published }));
  };
  // The plan executor's own waits (between actions' ends) stay in-process: they overlap actions'
  // platform waits, and the runtime allows one wait at a time.
  const plans = createPlanExecutor({
    executor: deps.executor,
    definitions: deps.definitions,
    clock: { now: () => clock.now(), sleepUntil: (until, abort) => sleepFor(Math.max(0, until - clock.now()), abort) },
    logger,
    onProgress: (event) => {
      report(applyPlanProgressEvent(progress, event));
      deliverCancel();
    },
  });
  let cancelReason: string | undefined;
  let cancelDelivered = false;
  const cancel = async (): Promise<ExecutionState> => {
    const state = await plans.cancelPlan(plan.id, cancelReason);
    cancelDelivered = true;
    return state;
  };
  // A cancel that comes before the plan is journaled finds nothing to cancel: every progress event
  // delivers it again until one lands, as action-execute does with its transitions.
  let delivering = false;
  const deliverCancel = (): void => {
    if (cancelReason === undefined || cancelDelivered || delivering) return;
    delivering = true;
    cancel()
      .catch((error: unknown) => logger.debug(`cancelling the plan after the run's signal: ${String(error)}`))
      .finally(() => (delivering = false));
  };
  const onAbort = (): void => {
    cancelReason = signal ? abortReasonText(signal) : 'the Trigger.dev run was cancelled';
    deliverCancel();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  /** Rounds of each confirmation request: +1 when an answer is refused and a new token is issued. */
  const rounds = new Map<string, number>();
  const roundKey = (pending: PendingConfirmation): string => confirmationTokenKey(pending, 0);

  try {
    const credentials = credentialsFromEnvironment(payload.credentials, deps.env ?? process.env);
    const options = { credentials, ...(payload.maxConcurrency === undefined ? {} : { maxConcurrency: payload.maxConcurrency }) };
    const driveOn = (): Promise<ExecutionState> => plans.executePlan(plan, options);

    /** One pause: tokens issued and published, the first one waited for, its answer handed on. */
    const answerNext = async (state: ExecutionState): Promise<ExecutionState> => {
      const pending = pendingConfirmationsOf(plan, state, clock.now());
      const first = pending[0];
      if (first === undefined) throw stuckFailure(`Plan ${plan.id} is paused for confirmation, but no confirmation request is open.`);
      for (const request of pending) {
        const round = rounds.get(roundKey(request)) ?? 0;
        const token = await tokens.issue(request, round, clock.now());
        published[request.actionId] = publishedConfirmation(request, token, published[request.actionId]?.requestedAt === request.requestedAt ? published[request.actionId]?.refusedAnswer : undefined);
      }
      publish(state);
      const token = published[first.actionId];
      if (token === undefined) return state;
      logger.info({ actionId: first.actionId, tokenId: token.tokenId, timeoutAt: token.timeoutAt }, 'waiting for the confirmation token');
      let outcome;
      try {
        outcome = await tokens.wait(token.tokenId, signal);
      } catch (error) {
        if (signal?.aborted) return cancel();
        throw error;
      }
      if (!outcome.ok) {
        logger.info({ actionId: first.actionId, tokenId: token.tokenId }, `the confirmation token timed out: ${outcome.message}`);
        // The plan's deadline decides; the platform's clock may have been a moment ahead of ours.
        if (first.dueAt === undefined) rounds.set(roundKey(first), (rounds.get(roundKey(first)) ?? 0) + 1);
        else if (clock.now() < first.dueAt) {
          try {
            await clock.sleepUntil(first.dueAt, signal);
          } catch (error) {
            if (signal?.aborted) return cancel();
            throw error;
          }
        }
        return driveOn();
      }
      const answer = parseConfirmationAnswer(outcome.output);
      if (!answer.ok) {
        logger.warn({ actionId: first.actionId, tokenId: token.tokenId }, `refused the answer: ${answer.problem}`);
        rounds.set(roundKey(first), (rounds.get(roundKey(first)) ?? 0) + 1);
        published[first.actionId] = { ...token, refusedAnswer: answer.problem };
        return state;
      }
      const { confirmed, userId } = answer.answer;
      logger.info({ actionId: first.actionId, confirmed, ...(userId === undefined ? {} : { userId }) }, 'confirmation answered through its token');
      try {
        return await plans.confirm(plan.id, first.actionId, { confirmed, credentials, ...(userId === undefined ? {} : { userId }) });
      } catch (error) {
        // Answered in the journal meanwhile (plan confirm, or the deadline passed): that answer holds.
        if (isActionError(error) && ANSWERED_ELSEWHERE.has(error.detail.code ?? '')) return driveOn();
        throw error;
      }
    };

    let state = await driveOn();
    while (state.status === 'paused_for_confirmation' && !signal?.aborted) {
      report(planProgressOf(plan, state));
      state = await answerNext(state);
    }
    if (state.status === 'paused_for_confirmation') state = await cancel();
    report(planProgressOf(plan, state));
    publish(state);
    if (state.status === 'completed') return state;
    sink((to) => to.failed(state));
    throw new PlanRunFailure(failureOf(state, cancelReason), state);
  } catch (error) {
    if (error instanceof PlanRunFailure) throw error;
    // Refused before anything ran, or not runnable as it stands (PLAN_INVALID, REQUEST_MISMATCH,
    // CREDENTIAL_MISSING, a journaled format this build cannot read): a retry would be refused again.
    if (isActionError(error) && !isInfrastructureError(error) && !error.detail.retryable) throw new PlanRunFailure(error.detail);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await plans.close();
    over = true;
  }
}

/** A state the loop cannot go on from (a bug or a journal changed by hand): fails the run visibly. */
function stuckFailure(message: string): PlanRunFailure {
  return new PlanRunFailure(errorDetail('state_inconsistent', message, { code: 'PLAN_STUCK', suggestion: 'Inspect the plan with `action-executor plan show <planId>`; cancel it or answer it from there.' }));
}

/**
 * The registered task. Platform retries are for infrastructure failures only (every other failure is
 * an AbortTaskRunError); each retry re-runs `run()` from the top and resumes the journal.
 */
export const executePlanJob = schemaTask({
  id: PLAN_EXECUTE_TASK_ID,
  schema: PlanExecuteTaskSchema,
  retry: { maxAttempts: 5, minTimeoutInMs: 1_000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async (payload, { signal }) => {
    const worker = await taskWorker();
    return runPlanExecuteJob(payload, {
      executor: worker.executor,
      definitions: worker.definitions,
      clock: worker.clock,
      logger: worker.logger,
      progress: planRunMetadataSink(),
      signal,
    });
  },
});
