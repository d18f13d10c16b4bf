/**
 * Starting `action-execute` runs from your backend or another task (docs/trigger-dev.md "Triggering").
 *
 * The executor already makes `(executionId, action.id)` one durable execution; the platform
 * idempotency key set here makes it one *run* too: while a run of that execution is queued, waiting or
 * retrying, triggering it again returns that run instead of starting a second one. The key is global
 * (not scoped to a parent run), because two parents triggering one execution must still share a run.
 * The platform clears a key when its run fails, so triggering a failed execution again starts a run
 * that returns the recorded failure at once — the journal, not the key, is what never repeats a request.
 */
import { idempotencyKeys, tasks, type TriggerOptions } from '@trigger.dev/sdk';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import { parseActionExecutePayload } from './action-execute-payload-schema.ts';
import type { executeActionJob } from './action-executor-jobs.ts';
import { ACTION_EXECUTE_TASK_ID } from './action-execute-task-id.ts';

/** The platform's limit on a tag's length (tags must be shorter than 128 characters). */
const TAG_MAX_CHARS = 127;

/** Options of {@link triggerActionExecution}: the platform's trigger options, except the key it sets. */
export type TriggerActionExecutionOptions = Omit<TriggerOptions, 'idempotencyKey'>;

/**
 * The platform idempotency key of one durable execution: `idempotencyKeys.create([executionId,
 * actionId], { scope: 'global' })`, the SHA-256 of `<executionId>-<actionId>`. The join is
 * unambiguous because an executionId is a UUID of fixed length.
 */
export function actionExecutionIdempotencyKey(executionId: string, actionId: string): ReturnType<typeof idempotencyKeys.create> {
  return idempotencyKeys.create([executionId, actionId], { scope: 'global' });
}

/** Tags that let the dashboard find every run of an execution and of a definition. */
export function actionExecutionTags(request: Pick<ActionExecuteRequest, 'executionId' | 'action'>): string[] {
  return [`execution:${request.executionId}`, `definition:${request.action.actionDefinitionId}`].map((tag) => tag.slice(0, TAG_MAX_CHARS));
}

/**
 * Triggers `action-execute` for `request` with the execution's idempotency key and tags (your tags
 * are added after them). A request that does not match the `action.execute.requested` schema is
 * refused here, with the JSON paths, before anything reaches the platform.
 *
 * @example
 * ```ts
 * const handle = await triggerActionExecution(request);
 * const again = await triggerActionExecution(request); // the same run: again.id === handle.id
 * ```
 * @throws ActionError `validation_failed`, code `INVALID_REQUEST`
 */
export async function triggerActionExecution(request: ActionExecuteRequest, options: TriggerActionExecutionOptions = {}) {
  const payload = parseActionExecutePayload(request);
  const idempotencyKey = await actionExecutionIdempotencyKey(payload.executionId, String(payload.action.id));
  return tasks.trigger<typeof executeActionJob>(ACTION_EXECUTE_TASK_ID, payload, {
    ...options,
    idempotencyKey,
    tags: [...actionExecutionTags(payload), ...(typeof options.tags === 'string' ? [options.tags] : (options.tags ?? []))],
  });
}
