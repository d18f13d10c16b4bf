/**
 * The `action-execute` Trigger.dev v4 task (spec §3.2, DESIGN §8; docs/trigger-dev.md). The run body
 * is the exported plain function {@link runActionExecuteJob}; the registered task only wires the
 * platform into it: this process's executor (task-worker.ts), run metadata and the run's signal.
 *
 * What a run ends as (why: docs/decisions.md "The Trigger.dev task"):
 * - a **completed or skipped** action completes the run; its ActionExecutionState is the output;
 * - a **failed** action fails the run without platform retries (`ActionRunFailure`, an
 *   AbortTaskRunError carrying the ErrorDetail) — the executor already applied the definition's retry
 *   policy — and its whole state is run metadata `result`;
 * - a refused **submission** (`INVALID_REQUEST`, `REQUEST_MISMATCH`, a request over the limits) or a
 *   broken **worker configuration** fails the run the same way, before anything is sent;
 * - an **infrastructure** failure (journal, storage, database, a lease held by a live run) throws as
 *   it is, so the platform retries the run, and the retry — on this machine or a fresh one sharing the
 *   database — resumes the journal without repeating what was recorded.
 */
import { schemaTask } from '@trigger.dev/sdk';
import type { ActionExecutor } from '../execution/executor.ts';
import { statusOf } from '../execution/execution-state.ts';
import { errorDetail, isActionError, isInfrastructureError } from '../failure/errors.ts';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import { isTerminalStatus } from '../../storage/journal.ts';
import { ActionExecutePayloadSchema } from './action-execute-payload-schema.ts';
import { ACTION_EXECUTE_TASK_ID } from './action-execute-task-id.ts';
import { ActionRunFailure } from './action-run-failure.ts';
import { abortReasonText } from './run-abort-reason.ts';
import { finalProgress, progressOf, runMetadataSink, submittedProgress, type RunProgressSink } from './run-progress.ts';
import { taskWorker } from './task-worker.ts';
import type { TransitionFeed } from './transition-feed.ts';

/** What {@link runActionExecuteJob} runs with. */
export interface ActionExecuteJobDeps {
  executor: ActionExecutor;
  /** The run's abort signal (a cancel, `maxDuration`): aborting it cancels the action. @default none */
  signal?: AbortSignal;
  /** The executor's transitions by execution, for progress and for cancels that race the start. @default none */
  transitions?: TransitionFeed;
  /** Where the live progress and a failed action's state go (run metadata on the platform). @default none */
  progress?: RunProgressSink;
}

/**
 * The task's run body: executes (or resumes, or returns the recorded) execution of `payload`.
 * Resolves with the state of a completed or skipped action; rejects with an {@link ActionRunFailure}
 * for a failed action or a refused submission, and with the error itself for an infrastructure failure.
 */
export async function runActionExecuteJob(payload: ActionExecuteRequest, deps: ActionExecuteJobDeps): Promise<ActionExecutionState> {
  const { executor, signal, progress } = deps;
  const key = { executionId: payload.executionId, actionId: String(payload.action.id) };
  const definitionId = payload.action.actionDefinitionId;
  if (signal?.aborted) {
    throw new ActionRunFailure(errorDetail('user_cancelled', `Action "${key.actionId}" was not started: ${abortReasonText(signal)} before it began; nothing was sent.`, { code: 'CANCELLED', context: { ...key } }));
  }
  progress?.update(submittedProgress(key, definitionId));

  // A cancel is delivered through executor.cancel, which finds the execution only once it runs here;
  // until the execution reaches a final state, every later transition delivers it again.
  let cancelRequested = false;
  let lastEvent: string | null = null;
  const deliverCancel = (): void => {
    if (!signal) return;
    executor.cancel(key.executionId, key.actionId, abortReasonText(signal)).catch(() => undefined);
  };
  const onAbort = (): void => {
    cancelRequested = true;
    deliverCancel();
  };
  const unsubscribe = deps.transitions?.subscribe(key, (info) => {
    lastEvent = info.event;
    progress?.update(progressOf(info, definitionId));
    if (cancelRequested && !isTerminalStatus(statusOf(info.to))) deliverCancel();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const state = await executor.execute(payload);
    progress?.update(finalProgress(key, definitionId, state, lastEvent));
    if (state.status === 'failed') {
      progress?.failed(state);
      const detail = state.result?.status === 'failure' ? state.result.error : errorDetail('state_inconsistent', `Action "${key.actionId}" is recorded as failed without an error.`, { context: { ...key } });
      throw new ActionRunFailure(detail, state);
    }
    return state;
  } catch (error) {
    if (error instanceof ActionRunFailure) throw error;
    // Refused before anything ran (INVALID_REQUEST, REQUEST_MISMATCH, limits, a machine version this
    // build cannot restore): the same payload on the same deployment would be refused again.
    if (isActionError(error) && !isInfrastructureError(error) && !error.detail.retryable) throw new ActionRunFailure(error.detail);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe?.();
  }
}

/**
 * The registered task. Platform retries are for infrastructure failures only (every other failure is
 * an AbortTaskRunError); each retry re-runs `run()` from the top and resumes the journal.
 */
export const executeActionJob = schemaTask({
  id: ACTION_EXECUTE_TASK_ID,
  schema: ActionExecutePayloadSchema,
  retry: { maxAttempts: 5, minTimeoutInMs: 1_000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async (payload, { signal }) => {
    const worker = await taskWorker();
    return runActionExecuteJob(payload, { executor: worker.executor, transitions: worker.transitions, progress: runMetadataSink(), signal });
  },
});
