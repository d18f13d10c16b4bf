/**
 * The registered `action-execute` task in a realistic Trigger.dev context (issue 10, "The Trigger.dev
 * task, done properly"): loaded as a worker loads it, run by the platform's own TaskExecutor inside
 * `runInMockTaskContext`, its payload parsed through the task's schema, `wait.until` answered by a
 * local platform API, retries decided by the platform — and retried on a fresh machine.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionExecutionStateSchema, type ActionExecutionState } from '../src/schemas/execution-state.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ActionProgress } from '../src/trigger/run-progress.ts';
import { runActionExecuteJob } from '../src/trigger/action-executor-jobs.ts';
import { ActionRunFailure } from '../src/trigger/action-run-failure.ts';
import { openTaskWorker } from '../src/trigger/task-worker.ts';
import { workerEnvironment } from '../src/trigger/worker-environment.ts';
import { silentLogger } from '../src/support/logger.ts';
import type * as TaskWorkerModule from '../src/trigger/task-worker.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';
import { createSupervisor, loadTaskOnFreshWorker, outputOf, runAttempt, startPlatformApi, type PlatformApi, type WorkerTask } from './support/trigger-platform.ts';
import { SHARED_DATABASES } from './support/shared-database.ts';

const TASK_MODULE = '../../src/trigger/action-executor-jobs.ts';
const WORKER_MODULE = '../../src/trigger/task-worker.ts';

let api: ScriptedApi;
let platform: PlatformApi;
let root: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  api = await startScriptedApi();
  platform = await startPlatformApi();
  root = mkdtempSync(join(tmpdir(), 'ae-trigger-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
  await api.close();
  await platform.close();
  rmSync(root, { recursive: true, force: true });
});

/** A worker machine: its own local directory with the definitions shipped to it and its storage. */
interface Machine {
  definitions: string;
  storage: string;
}

function machine(name: string, definitions: ActionDefinition[], options: { storage?: string } = {}): Machine {
  const dir = join(root, name);
  const definitionsDir = join(dir, 'definitions');
  mkdirSync(definitionsDir, { recursive: true });
  for (const def of definitions) writeFileSync(join(definitionsDir, `${def.id}.json`), JSON.stringify(def));
  return { definitions: definitionsDir, storage: options.storage ?? join(dir, 'storage') };
}

/** Starts a worker process on `host` (a fresh module registry: no state from earlier workers) over `db`. */
async function startWorker(host: Machine, db: string): Promise<WorkerTask> {
  vi.stubEnv('ACTION_EXECUTOR_DEFINITIONS', host.definitions);
  vi.stubEnv('ACTION_EXECUTOR_CATALOG', '');
  vi.stubEnv('ACTION_EXECUTOR_DB', db);
  vi.stubEnv('ACTION_EXECUTOR_STORAGE', host.storage);
  vi.stubEnv('ACTION_EXECUTOR_LOG_LEVEL', 'silent');
  for (const [name, value] of Object.entries(platform.env)) vi.stubEnv(name, value);
  const task = await loadTaskOnFreshWorker(TASK_MODULE, 'action-execute');
  const worker = (await import(/* @vite-ignore */ WORKER_MODULE)) as typeof TaskWorkerModule;
  cleanups.push(() => worker.closeTaskWorker());
  return task;
}

const journalIn = (name: string): string => join(root, `${name}.db`);
const getUser = executeRequest('get_user', 'get-user', { userId: 'u_1' });
const progressIn = (metadata: Record<string, unknown>): ActionProgress => metadata['action'] as ActionProgress;
const resultIn = (metadata: Record<string, unknown>): ActionExecutionState => ActionExecutionStateSchema.parse(metadata['result']);

/** A POST without an idempotency key: repeating it could apply it twice. */
const unkeyedPost = (url: string): ActionDefinition => ({
  ...definition(url),
  id: 'create-order',
  endpoint: { url: `${url}/orders`, method: 'POST', headers: {}, timeout: 2000 },
  inputSchema: { item: 'string' },
});
const createOrder = executeRequest('create_order', 'create-order', { item: 'book' });

describe('action-execute, the registered task in a task context', () => {
  it('completes a GET; the run output is the whole ActionExecutionState and metadata shows the final state', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
    const { result, metadata } = await runAttempt(task, getUser, { runId: 'run_get' });
    const state = ActionExecutionStateSchema.parse(await outputOf(result));
    expect(state).toMatchObject({ actionId: 'get_user', status: 'completed', attempts: 1, result: { status: 'success', output: { id: 'u_1', name: 'Ada' } } });
    expect(progressIn(metadata)).toEqual({ executionId: getUser.executionId, actionId: 'get_user', definitionId: 'get-user', state: 'completed', status: 'completed', attempt: 1, nextAttemptAt: null, waitReason: null, event: 'STORED' });
    expect(metadata['result']).toBeUndefined();
  });

  it('INVALID_REQUEST: a payload the schema refuses fails the run without platform retries, naming each JSON path, before anything runs', async () => {
    const db = journalIn('a');
    const task = await startWorker(machine('a', [definition(api.url)]), db);
    const { result } = await runAttempt(task, { ...getUser, executionId: 'not-a-uuid', context: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(result.error).toMatchObject({ type: 'INTERNAL_ERROR', code: 'TASK_INPUT_ERROR' });
    const message = 'message' in result.error ? result.error.message : '';
    expect(message).toContain('The action.execute.requested payload is invalid:');
    expect(message).toContain('$.executionId: Invalid UUID');
    expect(message).toContain('$.context.credentials:');
    expect(existsSync(db)).toBe(false);
    expect(api.hits).toHaveLength(0);
  });

  it('UNKNOWN_DEFINITION fails the run without platform retries; the ErrorDetail is its error and the whole state is metadata `result`', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    const { result, metadata } = await runAttempt(task, executeRequest('get_user', 'no-such-definition', { userId: 'u_1' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(result.error).toMatchObject({ type: 'BUILT_IN_ERROR', name: 'AbortTaskRunError' });
    expect('message' in result.error && result.error.message).toMatch(/^validation_failed \(UNKNOWN_DEFINITION\): Action "get_user" refers to the definition "no-such-definition", which is not registered\./);
    expect(resultIn(metadata)).toMatchObject({ status: 'failed', result: { status: 'failure', error: { code: 'UNKNOWN_DEFINITION' } } });
    expect(progressIn(metadata)).toMatchObject({ state: 'failed', status: 'failed', error: { code: 'UNKNOWN_DEFINITION' } });
  });

  it('REQUEST_MISMATCH: a changed resubmission fails the run without platform retries and leaves the recorded execution alone', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    expect((await runAttempt(task, getUser, { runId: 'run_1' })).result.ok).toBe(true);
    const changed = executeRequest('get_user', 'get-user', { userId: 'u_2' });
    const { result } = await runAttempt(task, changed, { runId: 'run_2' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect('message' in result.error && result.error.message).toMatch(/^state_inconsistent \(REQUEST_MISMATCH\): /);
    // Resubmitting the original still returns its recorded result, without a request.
    const again = await runAttempt(task, getUser, { runId: 'run_3' });
    expect(ActionExecutionStateSchema.parse(await outputOf(again.result)).status).toBe('completed');
    expect(api.hits).toHaveLength(1);
  });

  it('a classified failure (403) fails the run with its ErrorDetail and no platform retry: the executor already applied the retry policy', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 403, body: { message: 'forbidden' } }]);
    const { result, metadata } = await runAttempt(task, getUser);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect('message' in result.error && result.error.message).toMatch(/^auth_invalid/);
    expect(resultIn(metadata)).toMatchObject({ status: 'failed', attempts: 1, result: { error: { category: 'auth_invalid', statusCode: 403 } } });
    expect(resultIn(metadata).httpTrace).toHaveLength(1);
    expect(api.hits).toHaveLength(1);
  });

  it('a worker whose definitions do not load fails its first run, without platform retries, naming the file and the JSON path', async () => {
    const host = machine('a', [definition(api.url)]);
    const good = definition(api.url);
    writeFileSync(join(host.definitions, 'broken.json'), JSON.stringify({ ...good, id: 'broken', retryPolicy: { ...good.retryPolicy, maxAttempts: 'three' } }));
    const task = await startWorker(host, journalIn('a'));
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const { result } = await runAttempt(task, getUser);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    const message = 'message' in result.error ? result.error.message : '';
    expect(message).toMatch(/^validation_failed \(WORKER_CONFIGURATION_INVALID\): The worker could not load its action definitions from .* \(ACTION_EXECUTOR_DEFINITIONS\): 1 problem:/);
    expect(message).toContain(`${join(host.definitions, 'broken.json')}: $.retryPolicy.maxAttempts: Invalid input: expected number, received string`);
    expect(api.hits).toHaveLength(0);
  });

  it('a worker without definitions (a directory not shipped) fails at start, not with a completed run', async () => {
    const host = machine('a', []);
    rmSync(host.definitions, { recursive: true });
    const task = await startWorker(host, journalIn('a'));
    const { result } = await runAttempt(task, getUser);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect('message' in result.error && result.error.message).toContain('cannot read the directory');
  });
});

describe('action-execute waits through the platform (wait.until)', () => {
  const slowRetry = (url: string, initialDelay: number): ActionDefinition =>
    definition(url, { retryPolicy: { maxAttempts: 3, initialDelay, maxDelay: 300_000, backoffMultiplier: 2, retryableErrors: ['api_unexpected_status'], jitter: false } });

  it('a 90 s backoff is one platform wait for the journaled deadline; metadata shows state, attempt, next attempt time and wait reason meanwhile', async () => {
    const task = await startWorker(machine('a', [slowRetry(api.url, 90_000)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 503, body: { message: 'busy' } }, { status: 200, body: { id: 'u_1' } }]);
    const supervisor = createSupervisor();
    const { result } = await runAttempt(task, getUser, { runId: 'run_wait', supervisor });
    const state = ActionExecutionStateSchema.parse(await outputOf(result));
    expect(state).toMatchObject({ status: 'completed', attempts: 2 });

    const calls = platform.callsTo(/\/wait\/duration$/);
    expect(calls.map((call) => call.path)).toEqual(['/engine/v1/runs/run_wait/wait/duration']);
    const date = (calls[0]?.body as { date: string }).date;
    expect(supervisor.waits).toHaveLength(1);
    const wait = supervisor.waits[0];
    expect(wait?.waitpointFriendlyId).toBe('waitpoint_1');
    expect(wait?.finishDate?.toISOString()).toBe(date);
    // The deadline is the first attempt's time plus the 90 s delay.
    const firstAttempt = Date.parse(state.httpTrace[0]?.timestamp ?? '');
    expect(Date.parse(date) - firstAttempt).toBeGreaterThanOrEqual(90_000);
    expect(Date.parse(date) - firstAttempt).toBeLessThan(95_000);
    expect(progressIn(wait?.metadata ?? {})).toMatchObject({ state: 'backingOff', status: 'running', attempt: 1, nextAttemptAt: date, event: 'RETRY' });
    expect(progressIn(wait?.metadata ?? {}).waitReason).toMatch(/503/);
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(2);
  });

  it('a backoff of 5 s or less sleeps in-process: no platform wait is registered', async () => {
    const task = await startWorker(machine('a', [slowRetry(api.url, 5)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 503, body: {} }, { status: 200, body: { id: 'u_1' } }]);
    const supervisor = createSupervisor();
    const { result } = await runAttempt(task, getUser, { supervisor });
    expect(result.ok).toBe(true);
    expect(platform.callsTo(/\/wait\/duration$/)).toHaveLength(0);
    expect(supervisor.waits).toHaveLength(0);
  });

  it('a platform wait that fails stops the run unrecorded; the platform retries it and the retry resumes the backoff without repeating the attempt', async () => {
    const task = await startWorker(machine('a', [slowRetry(api.url, 90_000)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 503, body: {} }, { status: 200, body: { id: 'u_1' } }]);
    platform.failNext(/\/wait\/duration$/, 400);
    const first = await runAttempt(task, getUser, { runId: 'run_w', attempt: 1, supervisor: createSupervisor() });
    expect(first.result.ok).toBe(false);
    if (first.result.ok) return;
    expect(first.result.skippedRetrying).toBeFalsy();
    expect(first.result.retry?.delay).toBeGreaterThan(0);
    expect('message' in first.result.error && first.result.error.message).toMatch(/^The platform wait until .* failed/);
    expect(first.metadata['result']).toBeUndefined();
    expect(progressIn(first.metadata)).toMatchObject({ state: 'backingOff', attempt: 1 });

    const retry = await runAttempt(task, getUser, { runId: 'run_w', attempt: 2, supervisor: createSupervisor() });
    expect(ActionExecutionStateSchema.parse(await outputOf(retry.result))).toMatchObject({ status: 'completed', attempts: 2 });
    expect(platform.callsTo(/\/wait\/duration$/)).toHaveLength(2);
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(2);
  });
});

describe("action-execute and the run's signal (cancel, maxDuration)", () => {
  it('cancelling the run cancels the action: the in-flight request is aborted and the action ends user_cancelled, recorded', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 200, hang: true }]);
    const run = new AbortController();
    api.onRequest = () => run.abort('run cancelled');
    const { result, metadata } = await runAttempt(task, getUser, { signal: run.signal });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect('message' in result.error && result.error.message).toBe('user_cancelled (CANCELLED): Action "get_user" was cancelled: the Trigger.dev run was cancelled (run cancelled).');
    const state = resultIn(metadata);
    expect(state).toMatchObject({ status: 'failed', result: { error: { category: 'user_cancelled', context: { cancelledIn: 'requesting' } } } });
    expect(state.httpTrace).toHaveLength(1);
    expect(api.hits).toHaveLength(1);
  });

  it('a cancel during a platform wait ends the wait at once and cancels the action', async () => {
    const slow = definition(api.url, { retryPolicy: { maxAttempts: 3, initialDelay: 600_000, maxDelay: 600_000, backoffMultiplier: 2, retryableErrors: ['api_unexpected_status'], jitter: false } });
    const task = await startWorker(machine('a', [slow]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 503, body: {} }]);
    const run = new AbortController();
    let release = (): void => undefined;
    const neverCompleted = new Promise<void>((resolve) => (release = resolve));
    cleanups.push(async () => release());
    const supervisor = createSupervisor(async () => {
      run.abort('run cancelled');
      await neverCompleted;
    });
    const { result, metadata } = await runAttempt(task, getUser, { signal: run.signal, supervisor });
    expect(result.ok).toBe(false);
    expect(supervisor.waits).toHaveLength(1);
    expect(resultIn(metadata)).toMatchObject({ status: 'failed', result: { error: { category: 'user_cancelled', context: { cancelledIn: 'backingOff' } } } });
    expect(api.hits).toHaveLength(1);
  });

  it('exceeding maxDuration cancels the action with that reason', async () => {
    const task = await startWorker(machine('a', [definition(api.url)]), journalIn('a'));
    api.script('GET /users/u_1', [{ status: 200, hang: true }]);
    const run = new AbortController();
    // What the worker's timeout manager aborts with (core's TaskRunExceededMaxDuration, not exported).
    const exceeded = Object.assign(new Error('Run exceeded maxDuration of 60 seconds'), { name: 'TaskRunExceededMaxDuration', timeoutInSeconds: 60 });
    api.onRequest = () => run.abort(exceeded);
    const { result } = await runAttempt(task, getUser, { signal: run.signal });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect('message' in result.error && result.error.message).toContain('was cancelled: the Trigger.dev run exceeded its maxDuration of 60 s of compute');
  });
});

for (const shared of SHARED_DATABASES) {
  shared.describe(`a platform retry on a fresh machine, sharing the database (${shared.label})`, () => {
    it('resumes an unkeyed POST whose response was recorded, on a new worker with an empty local directory, without sending it again', async () => {
      const database = await shared.open();
      cleanups.push(() => database.cleanup());
      api.script('POST /orders', [{ status: 201, body: { id: 'order_1' } }]);
      // Machine A's local disk is unusable: storing the output fails after the response was journaled.
      const brokenDisk = join(root, 'not-a-directory');
      writeFileSync(brokenDisk, '');
      const taskA = await startWorker(machine('a', [unkeyedPost(api.url)], { storage: join(brokenDisk, 'storage') }), database.db);
      const first = await runAttempt(taskA, createOrder, { runId: 'run_order', attempt: 1 });
      expect(first.result.ok).toBe(false);
      if (first.result.ok) return;
      expect(first.result.skippedRetrying).toBeFalsy();
      expect(first.result.retry).toBeDefined();
      expect(api.hitsFor('POST /orders')).toHaveLength(1);

      // The platform's retry lands on machine B: a new process, its own empty directory, the same database.
      const hostB = machine('b', [unkeyedPost(api.url)]);
      expect(existsSync(hostB.storage)).toBe(false);
      const taskB = await startWorker(hostB, database.db);
      const retry = await runAttempt(taskB, createOrder, { runId: 'run_order', attempt: 2 });
      const state = ActionExecutionStateSchema.parse(await outputOf(retry.result));
      expect(state).toMatchObject({ status: 'completed', attempts: 1, result: { status: 'success', output: { id: 'order_1' } } });
      expect(state.result?.status === 'success' && state.result.outputLocation.path.startsWith(hostB.storage)).toBe(true);
      expect(api.hitsFor('POST /orders')).toHaveLength(1);
      expect([...api.effects.values()]).toEqual([1]);
    });

    it('an unkeyed POST sent by a machine that died before recording its outcome is not re-sent by the fresh worker: OUTCOME_UNKNOWN, no platform retry', async () => {
      const database = await shared.open();
      cleanups.push(() => database.cleanup());
      api.script('POST /orders', [{ status: 201, body: { id: 'order_1' } }]);
      // Machine A sends the POST, then loses its journal before the response is recorded (its process died).
      const hostA = machine('a', [unkeyedPost(api.url)]);
      const workerA = await openTaskWorker({ ...workerEnvironment({}), definitionsDir: hostA.definitions, db: database.db, storage: hostA.storage }, { logger: silentLogger() });
      cleanups.push(() => workerA.close());
      api.onRequest = () => void workerA.executor.journal.close();
      const died = await runActionExecuteJob(createOrder, { executor: workerA.executor }).then(() => undefined, (error: unknown) => error);
      expect(died).toBeInstanceOf(Error);
      expect(died).not.toBeInstanceOf(ActionRunFailure);
      delete api.onRequest;
      expect(api.hitsFor('POST /orders')).toHaveLength(1);

      const taskB = await startWorker(machine('b', [unkeyedPost(api.url)]), database.db);
      const { result, metadata } = await runAttempt(taskB, createOrder, { runId: 'run_order', attempt: 2 });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.skippedRetrying).toBe(true);
      expect('message' in result.error && result.error.message).toMatch(/^state_inconsistent \(OUTCOME_UNKNOWN\): POST .*\/orders: the process stopped after sending this request/);
      expect(resultIn(metadata)).toMatchObject({ status: 'failed', result: { error: { code: 'OUTCOME_UNKNOWN' } } });
      expect(api.hitsFor('POST /orders')).toHaveLength(1);
    });
  });
}
