/**
 * Starting `plan-execute` runs from your backend or another task (docs/trigger-dev.md "plan-execute").
 *
 * The plan executor already makes a plan id one durable run; the platform idempotency key set here
 * makes it one *Trigger.dev run* too: while a run of the plan is queued, running, waiting for a
 * confirmation or retrying, triggering it again returns that run instead of starting a second one —
 * which would wait for the same confirmation tokens beside the first. The key is global, not scoped to
 * a parent run. The platform clears a key when its run fails, so triggering a failed plan again
 * starts a run that returns the recorded failure at once: the journal is what never repeats a request.
 */
import { idempotencyKeys, tasks, type TriggerOptions } from '@trigger.dev/sdk';
import { parsePlanExecutePayload } from './plan-execute-payload.ts';
import type { executePlanJob } from './plan-execute-job.ts';
import { PLAN_EXECUTE_TASK_ID } from './plan-execute-task-id.ts';

/** Options of {@link triggerPlanExecution}: the platform's trigger options, except the key it sets. */
export type TriggerPlanExecutionOptions = Omit<TriggerOptions, 'idempotencyKey'>;

/** The platform idempotency key of a plan's run: `idempotencyKeys.create([planId, 'plan-execute'], { scope: 'global' })`. */
export function planExecutionIdempotencyKey(planId: string): ReturnType<typeof idempotencyKeys.create> {
  return idempotencyKeys.create([planId, PLAN_EXECUTE_TASK_ID], { scope: 'global' });
}

/** The tag that finds a plan's runs — and, on its confirmation tokens, the tokens (`wait.listTokens`). */
export function planExecutionTag(planId: string): string {
  return `plan:${planId}`;
}

/**
 * Triggers `plan-execute` for `payload` (`{ plan, credentials?, maxConcurrency? }`) with the plan's
 * idempotency key and tag (your tags are added after it). A payload the task would refuse is refused
 * here, with the JSON paths, before anything reaches the platform.
 *
 * @example
 * ```ts
 * const handle = await triggerPlanExecution({ plan, credentials: ['DEMO_TOKEN'] });
 * const again = await triggerPlanExecution({ plan, credentials: ['DEMO_TOKEN'] }); // again.id === handle.id
 * ```
 * @throws ActionError `validation_failed`, code `INVALID_REQUEST`
 */
export async function triggerPlanExecution(payload: unknown, options: TriggerPlanExecutionOptions = {}) {
  const parsed = parsePlanExecutePayload(payload);
  const idempotencyKey = await planExecutionIdempotencyKey(parsed.plan.id);
  return tasks.trigger<typeof executePlanJob>(PLAN_EXECUTE_TASK_ID, parsed, {
    ...options,
    idempotencyKey,
    tags: [planExecutionTag(parsed.plan.id), ...(typeof options.tags === 'string' ? [options.tags] : (options.tags ?? []))],
  });
}
