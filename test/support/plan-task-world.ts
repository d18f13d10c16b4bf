/**
 * The world of the `plan-execute` task tests: a scripted API the actions call, the local Trigger.dev
 * platform API (test/support/trigger-platform.ts), worker "machines" — each its own directory with the
 * definitions shipped to it — and the task loaded on a fresh worker over a journal. Plus the plan the
 * tests share and readers for what the run published.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionStateSchema, type ExecutionState } from '../../src/schemas/execution-state.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ExecutionPlan } from '../../src/schemas/plan.ts';
import type { PlanProgress, PublishedConfirmation } from '../../src/trigger/plan-run-progress.ts';
import type * as TaskWorkerModule from '../../src/trigger/task-worker.ts';
import { startScriptedApi, type ScriptedApi } from './scripted-api.ts';
import { action, plan } from './plan-fixtures.ts';
import { loadTaskOnFreshWorker, outputOf, startPlatformApi, type AttemptOutcome, type PlatformApi, type RecordedWait, type WorkerTask } from './trigger-platform.ts';

const TASK_MODULE = '../../src/trigger/plan-execute-job.ts';
const WORKER_MODULE = '../../src/trigger/task-worker.ts';

/** A worker machine: its definitions directory and its own storage. */
export interface Machine {
  definitions: string;
  storage: string;
}

export interface PlanTaskWorld {
  readonly api: ScriptedApi;
  readonly platform: PlatformApi;
  /** Run at the end of the test, last added first. */
  readonly cleanups: (() => Promise<void>)[];
  machine(name: string, definitions: ActionDefinition[]): Machine;
  /** Starts a worker process (a fresh module registry) over `db`, with `env` added to its environment. */
  startWorker(host: Machine, db: string, env?: Record<string, string>): Promise<WorkerTask>;
  /** A SQLite journal file of the test's own. */
  journalIn(name: string): string;
}

/** Registers the world's beforeEach/afterEach in the calling test file. */
export function usePlanTaskWorld(): PlanTaskWorld {
  let api: ScriptedApi | undefined;
  let platform: PlatformApi | undefined;
  let root = '';
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    api = await startScriptedApi();
    platform = await startPlatformApi();
    root = mkdtempSync(join(tmpdir(), 'ae-plan-task-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.unstubAllEnvs();
    await api?.close();
    await platform?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the plan task world is used outside a test');
    return value;
  };
  return {
    get api() {
      return started(api);
    },
    get platform() {
      return started(platform);
    },
    cleanups,
    machine(name, definitions) {
      const dir = join(root, name);
      const definitionsDir = join(dir, 'definitions');
      mkdirSync(definitionsDir, { recursive: true });
      for (const def of definitions) writeFileSync(join(definitionsDir, `${def.id}.json`), JSON.stringify(def));
      return { definitions: definitionsDir, storage: join(dir, 'storage') };
    },
    async startWorker(host, db, env = {}) {
      vi.stubEnv('ACTION_EXECUTOR_DEFINITIONS', host.definitions);
      vi.stubEnv('ACTION_EXECUTOR_CATALOG', '');
      vi.stubEnv('ACTION_EXECUTOR_DB', db);
      vi.stubEnv('ACTION_EXECUTOR_STORAGE', host.storage);
      vi.stubEnv('ACTION_EXECUTOR_LOG_LEVEL', 'silent');
      for (const [name, value] of Object.entries({ ...started(platform).env, ...env })) vi.stubEnv(name, value);
      const task = await loadTaskOnFreshWorker(TASK_MODULE, 'plan-execute');
      const worker = (await import(/* @vite-ignore */ WORKER_MODULE)) as typeof TaskWorkerModule;
      cleanups.push(() => worker.closeTaskWorker());
      return task;
    },
    journalIn: (name) => join(root, `${name}.db`),
  };
}

/** Run metadata `plan`. */
export const planIn = (metadata: Record<string, unknown>): PlanProgress => metadata['plan'] as PlanProgress;

/** Run metadata `confirmations`. */
export const confirmationsIn = (metadata: Record<string, unknown>): Record<string, PublishedConfirmation> => (metadata['confirmations'] ?? {}) as Record<string, PublishedConfirmation>;

/** A completed run's output, through its schema. */
export const stateOf = async (result: AttemptOutcome['result']): Promise<ExecutionState> => ExecutionStateSchema.parse(await outputOf(result));

/** A failed run's error message. */
export const messageOf = (result: AttemptOutcome['result']): string => (!result.ok && 'message' in result.error ? (result.error.message ?? '') : '');

/** The token a blocked run waits for, as its run metadata published it. */
export function publishedFor(blocked: RecordedWait, actionId: string): PublishedConfirmation {
  const entry = confirmationsIn(blocked.metadata)[actionId];
  if (!entry) throw new Error(`no token published for ${actionId} when the run waited (metadata: ${JSON.stringify(blocked.metadata)})`);
  return entry;
}

/** get_user, then create_order once confirmed (a POST with an idempotency key); `extra` actions after. */
export function onboarding(confirm: { timeout?: number } = { timeout: 86_400_000 }, errorHandling: { continueOnFailure?: boolean; alternative?: string } = {}, extra: Record<string, unknown>[] = []): ExecutionPlan {
  return plan([
    action('get_user', { inputs: { userId: 'u_1' } }),
    action('create_order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 4900 }, confirm, ...errorHandling }),
    ...extra,
  ]);
}

/** GET /users/u_1, POST /orders and POST /notes all succeed. */
export function scriptHappyApi(api: ScriptedApi): void {
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'o_1', status: 'placed' } }]);
  api.script('POST /notes', [{ status: 201, body: { sent: 'yes' } }]);
}
