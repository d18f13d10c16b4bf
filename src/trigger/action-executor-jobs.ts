/**
 * The `action-execute` Trigger.dev v4 task (spec §3.2, DESIGN §7). The run body is the exported
 * plain function `runActionExecuteJob`, unit-tested without the platform.
 *
 * - Success and *classified* failure both return an ActionExecutionState: a failed action is a
 *   result, not a crash, and must not be retried by the platform on top of the executor's own policy.
 * - Infrastructure errors (journal unavailable, lease held by a live run, internal bugs) throw, so the
 *   platform retries the run; a retry re-runs `run()` from the top, which resumes the journal.
 * - Long backoffs go through `wait.until`, so the run checkpoints instead of holding a slot. Resuming
 *   on another machine needs the SQLite journal on a persistent volume (docs/trigger-dev.md).
 */
import { schemaTask, wait } from '@trigger.dev/sdk';
import { isActionError } from '../failure/errors.ts';
import type { ActionExecutor } from '../execution/executor.ts';
import { openActionExecutor } from '../execution/open-action-executor.ts';
import { isPostgresUrl } from '../../storage/open-journal.ts';
import { loadDefinitionsFromDir } from '../definitions/definition-registry.ts';
import { loadCatalogFromDir } from '../catalog/catalog-registry.ts';
import { createLogger } from '../support/logger.ts';
import { sleepFor, type Clock } from '../support/clock.ts';
import { ActionExecuteRequestSchema, type ActionExecuteRequest } from '../schemas/job.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';

/** Waits shorter than this sleep in-process; longer ones checkpoint through the platform waiter. */
export const CHECKPOINT_THRESHOLD_MS = 5_000;

/** A clock whose long sleeps use a platform waiter (`wait.until` on Trigger.dev). */
export function checkpointingClock(waitUntil: (until: Date) => Promise<void>, now: () => number = Date.now): Clock {
  return {
    now,
    async sleepUntil(until, signal) {
      const remaining = until - now();
      if (remaining <= 0) return;
      if (remaining < CHECKPOINT_THRESHOLD_MS) return sleepFor(remaining, signal);
      await waitUntil(new Date(until));
    },
  };
}

/** Error codes that mean "this submission is wrong", which no platform retry can fix. */
const SUBMISSION_ERRORS = new Set(['INVALID_REQUEST', 'REQUEST_MISMATCH']);

/**
 * The task's run body. Returns the ActionExecutionState for completed, skipped and failed actions
 * (a rejected submission is returned as a failed state too); throws on infrastructure errors.
 */
export async function runActionExecuteJob(payload: ActionExecuteRequest, deps: { executor: ActionExecutor }): Promise<ActionExecutionState> {
  try {
    return await deps.executor.execute(payload);
  } catch (error) {
    if (isActionError(error) && error.detail.code && SUBMISSION_ERRORS.has(error.detail.code)) {
      return { actionId: String(payload.action.id), status: 'failed', attempts: 0, httpTrace: [], result: { status: 'failure', error: error.detail } };
    }
    throw error;
  }
}

let shared: Promise<ActionExecutor> | undefined;

/**
 * The executor of this worker process, configured from the environment (see docs/trigger-dev.md).
 * `ACTION_EXECUTOR_DB=postgres://…` journals (and, unless ACTION_EXECUTOR_STORAGE is set, stores) in
 * that database, so a retry on a fresh machine resumes where the last one stopped.
 */
function executorFromEnvironment(): Promise<ActionExecutor> {
  if (shared) return shared;
  const env = process.env;
  const definitionsDir = env['ACTION_EXECUTOR_DEFINITIONS'] ?? './definitions';
  const { registry } = loadDefinitionsFromDir(definitionsDir);
  const catalog = env['ACTION_EXECUTOR_CATALOG'] ? loadCatalogFromDir(env['ACTION_EXECUTOR_CATALOG']).catalog : undefined;
  const db = env['ACTION_EXECUTOR_DB'] ?? './.action-executor/journal.db';
  const storage = env['ACTION_EXECUTOR_STORAGE'] ?? (isPostgresUrl(db) ? undefined : './.action-executor/storage');
  const opening = openActionExecutor({
    db,
    ...(storage === undefined ? {} : { storage }),
    definitions: registry,
    ...(catalog ? { catalog } : {}),
    logger: createLogger(),
    clock: checkpointingClock((date) => wait.until({ date })),
  });
  // A failed open (database down) is retried by the next run instead of being cached.
  shared = opening.catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

export const executeActionJob = schemaTask({
  id: 'action-execute',
  schema: ActionExecuteRequestSchema,
  // The executor retries inside the run; platform retries are for infrastructure failures only.
  retry: { maxAttempts: 5, minTimeoutInMs: 1_000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async (payload) => runActionExecuteJob(payload, { executor: await executorFromEnvironment() }),
});
