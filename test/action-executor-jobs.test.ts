/**
 * The `action-execute` run body as a plain function (src/trigger/action-executor-jobs.ts) and the
 * pieces the task is made of: the platform-wait clock, run progress, the transition feed and the
 * worker's configuration. The registered task in a task context: trigger-task-context.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AbortTaskRunError } from '@trigger.dev/sdk';
import { z } from 'zod';
import { ActionExecutePayloadSchema } from '../src/trigger/action-execute-payload-schema.ts';
import { ActionExecuteRequestSchema } from '../src/schemas/job.ts';
import { executeActionJob, runActionExecuteJob } from '../src/trigger/action-executor-jobs.ts';
import { ActionRunFailure, runErrorMessage, RUN_ERROR_MESSAGE_LIMIT } from '../src/trigger/action-run-failure.ts';
import { platformWaitClock, PLATFORM_WAIT_THRESHOLD_MS } from '../src/trigger/platform-wait-clock.ts';
import { CLIPPED_STRING_CHARS, metadataResultOf, type ActionProgress, type RunProgressSink } from '../src/trigger/run-progress.ts';
import { createTransitionFeed } from '../src/trigger/transition-feed.ts';
import { isPostgresUrl, workerEnvironment, WORKER_DEFAULTS } from '../src/trigger/worker-environment.ts';
import { openTaskWorker } from '../src/trigger/task-worker.ts';
import { silentLogger } from '../src/support/logger.ts';
import { errorDetail, InfrastructureError, isActionError, isInfrastructureError } from '../src/failure/errors.ts';
import { ActionExecutionStateSchema, type ActionExecutionState } from '../src/schemas/execution-state.ts';
import type { TransitionInfo } from '../src/execution/executor-api.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';

let api: ScriptedApi;
let h: Harness | undefined;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await api.close();
});

const payment = (url: string) => ({
  ...definition(url),
  id: 'pay',
  endpoint: { url: `${url}/payments`, method: 'POST' as const, headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
});
const getUser = executeRequest('get_user', 'get-user', { userId: 'u_1' });

/** A harness whose executor reports transitions to a feed, and a sink that records what the run reports. */
function withFeed(definitions: Parameters<typeof createHarness>[0], extra: Parameters<typeof createHarness>[1] = {}) {
  const transitions = createTransitionFeed();
  const harness = createHarness(definitions, { onTransition: transitions.emit, ...extra });
  const updates: ActionProgress[] = [];
  const failed: ActionExecutionState[] = [];
  const progress: RunProgressSink = { update: (p) => void updates.push(p), failed: (s) => void failed.push(s) };
  return { harness, transitions, progress, updates, failed };
}

/** What `promise` rejects with (a resolution fails the test). */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

async function failureOf(promise: Promise<unknown>): Promise<ActionRunFailure> {
  const error = await thrown(promise);
  expect(error).toBeInstanceOf(ActionRunFailure);
  return error as ActionRunFailure;
}

describe('runActionExecuteJob, the run body', () => {
  it('is registered as the spec id "action-execute"', () => {
    expect(executeActionJob.id).toBe('action-execute');
  });

  it('returns the state of a completed action and reports its progress after every journaled transition', async () => {
    const { harness, transitions, progress, updates } = withFeed([definition(api.url)]);
    h = harness;
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const state = await runActionExecuteJob(getUser, { executor: harness.executor, transitions, progress });
    expect(ActionExecutionStateSchema.parse(state).status).toBe('completed');
    expect(updates.map((u) => `${u.state}:${u.event ?? '-'}`)).toEqual(['submitted:-', 'validating:RESOLVED', 'requesting:VALIDATED', 'classifying:SENT', 'storing:SUCCEEDED', 'completed:STORED', 'completed:STORED']);
    expect(updates.at(-1)).toMatchObject({ status: 'completed', attempt: 1, nextAttemptAt: null });
  });

  it('reports a backoff with its next attempt time and reason, taken from the journaled context', async () => {
    const { harness, transitions, progress, updates } = withFeed([definition(api.url)]);
    h = harness;
    api.script('GET /users/u_1', [{ status: 503, body: {} }, { status: 200, body: { id: 'u_1' } }]);
    await runActionExecuteJob(getUser, { executor: harness.executor, transitions, progress });
    const waiting = updates.find((u) => u.state === 'backingOff');
    // The harness clock starts at 2026-01-01 and the first retry waits initialDelay (100 ms).
    expect(waiting).toMatchObject({ status: 'running', attempt: 1, event: 'RETRY', nextAttemptAt: '2026-01-01T00:00:00.100Z' });
    expect(waiting?.waitReason).toMatch(/503/);
    expect(updates.filter((u) => u.state !== 'backingOff').every((u) => u.nextAttemptAt === null && u.waitReason === null)).toBe(true);
  });

  it('a classified failure rejects with an ActionRunFailure — an AbortTaskRunError — carrying the ErrorDetail and the state', async () => {
    const { harness, transitions, progress, failed } = withFeed([definition(api.url)]);
    h = harness;
    api.script('GET /users/u_1', [{ status: 403, body: { message: 'forbidden' } }]);
    const failure = await failureOf(runActionExecuteJob(getUser, { executor: harness.executor, transitions, progress }));
    expect(failure).toBeInstanceOf(AbortTaskRunError);
    expect(failure.name).toBe('AbortTaskRunError');
    expect(failure.detail).toMatchObject({ category: 'auth_invalid', statusCode: 403 });
    expect(failure.state?.status).toBe('failed');
    expect(failure.message).toBe(runErrorMessage(failure.detail));
    expect(failed).toEqual([failure.state]);
  });

  it('REQUEST_MISMATCH rejects with an ActionRunFailure and leaves the recorded execution untouched', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const recorded = await runActionExecuteJob(getUser, { executor: h.executor });
    const failure = await failureOf(runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'other' }), { executor: h.executor }));
    expect(failure.detail.code).toBe('REQUEST_MISMATCH');
    expect(failure.state).toBeUndefined();
    expect(await h.executor.get(getUser.executionId, 'get_user')).toEqual(recorded);
  });

  it("the executor's own submission checks (a request over the size limit) reject with an ActionRunFailure before anything is journaled", async () => {
    h = createHarness([definition(api.url)], { limits: { maxRequestBytes: 200 } });
    const failure = await failureOf(runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'u'.repeat(500) }), { executor: h.executor }));
    expect(failure.detail).toMatchObject({ category: 'validation_failed', code: 'REQUEST_TOO_LARGE' });
    expect(await h.executor.get(getUser.executionId, 'get_user')).toBeUndefined();
  });

  it('an infrastructure failure rejects with the error itself, and the platform retry resumes the journal without repeating the POST', async () => {
    h = createHarness([payment(api.url)]);
    api.script('POST /payments', [{ status: 201, body: { id: 'pay_1' } }]);
    const broken = h.reopen(
      withTestHooks({}, {
        faultHook: (point) => {
          if (point === 'attempt:finished') throw new InfrastructureError('disk full');
        },
      }),
    );
    const request = executeRequest('pay', 'pay', { userId: 'u_1' });
    const failure = await thrown(runActionExecuteJob(request, { executor: broken }));
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).not.toBeInstanceOf(AbortTaskRunError);
    await broken.close();
    const state = await runActionExecuteJob(request, { executor: h.reopen() });
    expect(state.status).toBe('completed');
    expect(api.hitsFor('POST /payments')).toHaveLength(1);
    expect([...api.effects.values()]).toEqual([1]);
  });

  it('LEASE_HELD (another live process drives the execution) rejects as it is: retryable, so the platform retries later', async () => {
    h = createHarness([payment(api.url)]);
    // The answer is held longer than the journal's owner-exit grace (250 ms), so the holder is still live when the second run asks.
    api.script('POST /payments', [{ status: 201, body: { id: 'pay_1' }, delayMs: 800 }]);
    const request = executeRequest('pay', 'pay', { userId: 'u_1' });
    const arrived = new Promise<void>((resolve) => (api.onRequest = () => resolve()));
    const running = runActionExecuteJob(request, { executor: h.executor });
    await arrived;
    const busy = await thrown(runActionExecuteJob(request, { executor: h.reopen() }));
    expect(busy).not.toBeInstanceOf(AbortTaskRunError);
    expect(isActionError(busy) && busy.detail).toMatchObject({ code: 'LEASE_HELD', retryable: true });
    expect((await running).status).toBe('completed');
    expect(api.hitsFor('POST /payments')).toHaveLength(1);
  });

  it('a signal already aborted when the run starts starts nothing', async () => {
    h = createHarness([definition(api.url)]);
    const signal = AbortSignal.abort('run cancelled');
    const failure = await failureOf(runActionExecuteJob(getUser, { executor: h.executor, signal }));
    expect(failure.detail).toMatchObject({ category: 'user_cancelled', code: 'CANCELLED' });
    expect(await h.executor.get(getUser.executionId, 'get_user')).toBeUndefined();
    expect(api.hits).toHaveLength(0);
  });

  it('a cancel that arrives before the execution runs here is delivered at its first transition, before any request leaves', async () => {
    const { harness, transitions } = withFeed([definition(api.url)]);
    h = harness;
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const run = new AbortController();
    const pending = runActionExecuteJob(getUser, { executor: harness.executor, transitions, signal: run.signal });
    // execute() is still reading the journal: the executor does not know the execution yet.
    run.abort('run cancelled');
    const failure = await failureOf(pending);
    expect(failure.detail).toMatchObject({ category: 'user_cancelled', code: 'CANCELLED' });
    expect(api.hits).toHaveLength(0);
  });
});

describe("the task's payload schema", () => {
  it('is ActionExecuteRequestSchema to the dashboard (the same JSON Schema) and refuses a payload with one line per JSON path', async () => {
    expect(z.toJSONSchema(ActionExecutePayloadSchema)).toEqual(z.toJSONSchema(ActionExecuteRequestSchema));
    expect(await ActionExecutePayloadSchema.parseAsync(getUser)).toEqual(getUser);
    const error = await thrown(ActionExecutePayloadSchema.parseAsync({ ...getUser, executionId: 42 }));
    expect(isActionError(error) && error.detail).toMatchObject({ code: 'INVALID_REQUEST', context: { '$.executionId': 'Invalid input: expected string, received number' } });
    expect((error as Error).message).toBe('The action.execute.requested payload is invalid:\n  $.executionId: Invalid input: expected string, received number');
  });
});

describe('platformWaitClock', () => {
  it('waits longer than the threshold go through the platform waiter, at the deadline; shorter ones and past ones do not', async () => {
    let now = 1_000_000;
    const waited: Date[] = [];
    const clock = platformWaitClock(
      async (until) => {
        waited.push(until);
        now = until.getTime();
      },
      { now: () => now },
    );
    await clock.sleepUntil(now + PLATFORM_WAIT_THRESHOLD_MS + 60_000);
    expect(waited.map((d) => d.getTime())).toEqual([1_000_000 + PLATFORM_WAIT_THRESHOLD_MS + 60_000]);
    await clock.sleepUntil(now + 2);
    await clock.sleepUntil(now - 10);
    expect(waited).toHaveLength(1);
  });

  it('an abort ends a platform wait at once, with the signal reason (wait.until itself takes no signal)', async () => {
    const clock = platformWaitClock(() => new Promise<void>(() => undefined), { now: () => 0 });
    const cancel = new AbortController();
    const sleeping = clock.sleepUntil(3_600_000, cancel.signal);
    cancel.abort(new Error('cancelled by the run'));
    await expect(sleeping).rejects.toThrow('cancelled by the run');
    await expect(clock.sleepUntil(3_600_000, cancel.signal)).rejects.toThrow('cancelled by the run');
  });

  it('a failing platform waiter is an InfrastructureError naming the deadline, so the run stops unrecorded', async () => {
    const clock = platformWaitClock(async () => Promise.reject(new Error('503 from the platform API')), { now: () => 0 });
    const error = await thrown(clock.sleepUntil(60_000));
    expect(isInfrastructureError(error)).toBe(true);
    expect((error as Error).message).toBe(
      "The platform wait until 1970-01-01T00:01:00.000Z failed: 503 from the platform API. The run stops without recording anything; the platform's retry resumes the backoff from the journal.",
    );
  });
});

describe('run progress and results', () => {
  const failedState = (body: string, entries = 1): ActionExecutionState => ({
    actionId: 'a',
    status: 'failed',
    attempts: entries,
    result: { status: 'failure', error: errorDetail('api_unexpected_status', 'HTTP 500', { statusCode: 500 }) },
    httpTrace: Array.from({ length: entries }, (_, i) => ({
      timestamp: new Date(i).toISOString(),
      request: { method: 'GET', url: 'https://api.example.com/x', headers: {} },
      response: { status: 500, headers: {}, body, duration: 5 },
    })),
  });

  it('a result within the metadata budget is written whole', () => {
    const state = failedState('x'.repeat(10_000));
    expect(metadataResultOf(state, 64 * 1024)).toBe(state);
  });

  it('a result over the budget keeps every field, with long strings clipped and marked, and still is an ActionExecutionState', () => {
    const state = failedState('x'.repeat(100_000), 3);
    const written = metadataResultOf(state, 64 * 1024);
    expect(ActionExecutionStateSchema.parse(written).httpTrace).toHaveLength(3);
    const body = written.httpTrace[0]?.response?.body ?? '';
    expect(body.startsWith('x'.repeat(CLIPPED_STRING_CHARS))).toBe(true);
    expect(body).toContain('…[clipped from 100000 characters to fit run metadata; the journal holds the whole state]');
    expect(written.result).toEqual(state.result);
  });

  it('a result still over the budget after clipping keeps only the last HTTP attempt', () => {
    const written = metadataResultOf(failedState('x'.repeat(5_000), 40), 16 * 1024);
    expect(written.httpTrace.map((entry) => entry.timestamp)).toEqual([new Date(39).toISOString()]);
  });

  it("a run's error message is the category, code, message and suggestion, cut to the platform's 1,000 characters", () => {
    const detail = errorDetail('validation_failed', 'Bad field.', { code: 'X', suggestion: 'Fix it.' });
    expect(runErrorMessage(detail)).toBe('validation_failed (X): Bad field.\nSuggestion: Fix it.');
    expect(runErrorMessage(errorDetail('validation_failed', 'y'.repeat(5_000)))).toHaveLength(RUN_ERROR_MESSAGE_LIMIT);
  });

  it('the transition feed gives each subscriber its own execution only, until it unsubscribes; a throwing listener is isolated', () => {
    const errors: unknown[] = [];
    const feed = createTransitionFeed((error) => errors.push(error));
    const seen: string[] = [];
    const info = (executionId: string, to: string) => ({ executionId, actionId: 'a', to }) as TransitionInfo;
    feed.subscribe({ executionId: 'e1', actionId: 'a' }, () => {
      throw new Error('listener bug');
    });
    const stop = feed.subscribe({ executionId: 'e1', actionId: 'a' }, (i) => seen.push(i.to));
    feed.emit(info('e1', 'requesting'));
    feed.emit(info('e2', 'requesting'));
    stop();
    feed.emit(info('e1', 'classifying'));
    expect(seen).toEqual(['requesting']);
    expect(errors).toHaveLength(2);
  });
});

describe("the worker's configuration", () => {
  it('reads the environment, with an empty variable counted as unset', () => {
    expect(workerEnvironment({})).toEqual({ definitionsDir: WORKER_DEFAULTS.definitions, catalogDir: WORKER_DEFAULTS.catalog, catalogRequired: false, db: WORKER_DEFAULTS.db });
    expect(workerEnvironment({ ACTION_EXECUTOR_DB: ' ', ACTION_EXECUTOR_CATALOG: '/srv/catalog', ACTION_EXECUTOR_STORAGE: '/srv/storage' })).toMatchObject({ db: WORKER_DEFAULTS.db, catalogDir: '/srv/catalog', catalogRequired: true, storage: '/srv/storage' });
    expect(isPostgresUrl('postgresql://u@db:5432/x')).toBe(true);
    expect(isPostgresUrl('./postgres.db')).toBe(false);
  });

  function workerDir(): { definitionsDir: string; dir: string } {
    h = createHarness([]);
    const definitionsDir = join(h.dir, 'definitions');
    mkdirSync(definitionsDir);
    writeFileSync(join(definitionsDir, 'get-user.json'), JSON.stringify(definition(api.url)));
    return { definitionsDir, dir: h.dir };
  }

  it('an unreachable postgres:// journal fails the run as infrastructure (the platform retries), with the password redacted', async () => {
    const { definitionsDir } = workerDir();
    const error = await thrown(openTaskWorker({ ...workerEnvironment({}), definitionsDir, db: 'postgres://app:s3cret-pw@127.0.0.1:1/actions' }, { logger: silentLogger() }));
    expect(isInfrastructureError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(AbortTaskRunError);
    expect((error as Error).message).toContain('127.0.0.1');
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('s3cret-pw');
  });

  it('a journal URL of another scheme is refused, naming the variable', async () => {
    const { definitionsDir } = workerDir();
    const failure = await failureOf(openTaskWorker({ ...workerEnvironment({}), definitionsDir, db: 'mysql://root@localhost/db' }));
    expect(failure.message).toContain('ACTION_EXECUTOR_DB must be a SQLite file path or a postgres:// URL; got a URL with another scheme (mysql://…)');
  });

  it('a catalog directory named explicitly must exist; the default one is loaded only when present', async () => {
    const { definitionsDir, dir } = workerDir();
    const missing = join(dir, 'no-catalog');
    const failure = await failureOf(openTaskWorker({ ...workerEnvironment({}), definitionsDir, catalogDir: missing, catalogRequired: true, db: join(dir, 'j.db'), storage: join(dir, 's') }));
    expect(failure.message).toContain(`The worker could not load its API catalog entries from ${missing} (ACTION_EXECUTOR_CATALOG)`);
    const worker = await openTaskWorker({ ...workerEnvironment({}), definitionsDir, catalogDir: missing, catalogRequired: false, db: join(dir, 'j.db'), storage: join(dir, 's') });
    await worker.close();
  });
});
