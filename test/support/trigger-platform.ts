/**
 * The Trigger.dev platform as a task run meets it, on this machine and without network:
 *
 * - a **worker** that loads the task file the way a deployed worker does (a resource catalog, the
 *   module imported under a file context, the task looked up by id) — each load a fresh module, so a
 *   new "machine" has no process-level state;
 * - the platform's own **TaskExecutor** (`@trigger.dev/core/v3/workers`) running one attempt inside
 *   `runInMockTaskContext`: the payload travels as a JSON packet and is parsed through the task's
 *   schema, errors are serialized and the retry decision is the platform's (`skippedRetrying` for an
 *   AbortTaskRunError or a payload that fails the schema, `retry` otherwise);
 * - a **platform API** on 127.0.0.1 (node:http) answering the calls the SDK makes — `wait.until`'s
 *   `POST /engine/v1/runs/{runId}/wait/duration` and `tasks.trigger`'s `POST /api/v1/tasks/{id}/trigger`
 *   (deduplicating idempotency keys as the platform does) — and recording each;
 * - a **supervisor** (the RuntimeManager a run waits through) that records every waitpoint.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { resourceCatalog, type TaskRunContext, type TaskRunExecution, type TaskRunExecutionResult, type WaitpointTokenResult } from '@trigger.dev/core/v3';
import { runInMockTaskContext } from '@trigger.dev/core/v3/test';
import { TriggerTracer } from '@trigger.dev/core/v3/tracer';
import { parsePacket } from '@trigger.dev/core/v3/utils/ioSerialization';
import { ConsoleInterceptor, StandardResourceCatalog, TaskExecutor, type RuntimeManager, type TracingSDK } from '@trigger.dev/core/v3/workers';
import { metadata } from '@trigger.dev/sdk';

/** One request the platform API received. */
export interface PlatformCall {
  method: string;
  path: string;
  body: unknown;
}

export interface PlatformApi {
  url: string;
  calls: PlatformCall[];
  /** The variables a worker (or a backend) gets to reach this API. */
  env: { TRIGGER_API_URL: string; TRIGGER_SECRET_KEY: string };
  callsTo(pathPattern: RegExp): PlatformCall[];
  /** The next request to a matching path is answered with this status and a JSON error body. */
  failNext(pathPattern: RegExp, status: number): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export async function startPlatformApi(): Promise<PlatformApi> {
  const calls: PlatformCall[] = [];
  const failures: { pattern: RegExp; status: number }[] = [];
  const runsByKey = new Map<string, string>();
  let waitpoints = 0;
  let runs = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const body = await readJson(req);
      calls.push({ method: req.method ?? 'GET', path, body });
      const send = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      const failure = failures.findIndex((f) => f.pattern.test(path));
      if (failure >= 0) {
        const status = failures.splice(failure, 1)[0]?.status ?? 500;
        send(status, { error: `the fake platform API was told to answer ${status}` });
        return;
      }
      if (req.method === 'POST' && /^\/engine\/v1\/runs\/[^/]+\/wait\/duration$/.test(path)) {
        waitpoints += 1;
        send(200, { waitUntil: (body as { date: string }).date, waitpoint: { id: `waitpoint_${waitpoints}` } });
        return;
      }
      if (req.method === 'POST' && /^\/api\/v1\/tasks\/[^/]+\/trigger$/.test(path)) {
        const key = (body as { options?: { idempotencyKey?: string } }).options?.idempotencyKey;
        const existing = key === undefined ? undefined : runsByKey.get(`${path}|${key}`);
        if (existing) {
          send(200, { id: existing, isCached: true }, { 'x-trigger-jwt': 'jwt-test' });
          return;
        }
        runs += 1;
        const id = `run_${runs}`;
        if (key !== undefined) runsByKey.set(`${path}|${key}`, id);
        send(200, { id }, { 'x-trigger-jwt': 'jwt-test' });
        return;
      }
      send(404, { error: `the fake platform API has no route ${req.method} ${path}` });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    env: { TRIGGER_API_URL: url, TRIGGER_SECRET_KEY: 'tr_dev_fake_platform_key' },
    callsTo: (pattern) => calls.filter((call) => pattern.test(call.path)),
    failNext: (pattern, status) => void failures.push({ pattern, status }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A waitpoint a run blocked on, with the run's metadata at that moment. */
export interface RecordedWait {
  waitpointFriendlyId: string;
  finishDate: Date | undefined;
  metadata: Record<string, unknown>;
}

export interface Supervisor extends RuntimeManager {
  waits: RecordedWait[];
}

/**
 * A supervisor that completes each waitpoint when `complete` (called with the wait) settles; by default
 * at once, as the platform does when the wait's date arrives.
 */
export function createSupervisor(complete: (wait: RecordedWait) => Promise<void> = async () => undefined): Supervisor {
  const waits: RecordedWait[] = [];
  const unsupported = (): never => {
    throw new Error('this test supervisor only completes waitpoints');
  };
  return {
    waits,
    disable: () => undefined,
    waitForTask: unsupported,
    waitForBatch: unsupported,
    async waitForWaitpoint(params): Promise<WaitpointTokenResult> {
      const wait: RecordedWait = { waitpointFriendlyId: params.waitpointFriendlyId, finishDate: params.finishDate, metadata: { ...(metadata.current() ?? {}) } };
      waits.push(wait);
      await complete(wait);
      return { ok: true };
    },
  };
}

/** A task as the worker's catalog holds it (`resourceCatalog.getTask`). */
export type WorkerTask = NonNullable<ReturnType<typeof resourceCatalog.getTask>>;

/**
 * Loads `modulePath` (relative to this file) in a fresh module registry, as a newly started worker
 * imports its task file, and returns the registered task `taskId`.
 */
export async function loadTaskOnFreshWorker(modulePath: string, taskId: string): Promise<WorkerTask> {
  resourceCatalog.disable();
  resourceCatalog.setGlobalResourceCatalog(new StandardResourceCatalog());
  vi.resetModules();
  resourceCatalog.setCurrentFileContext(modulePath, modulePath);
  try {
    await import(/* @vite-ignore */ modulePath);
  } finally {
    resourceCatalog.clearCurrentFileContext();
  }
  const task = resourceCatalog.getTask(taskId);
  if (!task) throw new Error(`${modulePath} registered no task "${taskId}"`);
  return task;
}

export interface AttemptOptions {
  /** @default 'run_test' */
  runId?: string;
  /** @default 1 */
  attempt?: number;
  /** The run's signal (the platform aborts it on cancel and maxDuration). @default never aborted */
  signal?: AbortSignal;
  supervisor?: Supervisor;
}

export interface AttemptOutcome {
  result: TaskRunExecutionResult;
  /** The run's metadata when the attempt ended. */
  metadata: Record<string, unknown>;
}

/** A discarding OpenTelemetry logger for the console interceptor (interception is off anyway). */
const silentOtelLogger = { emit: () => undefined } as unknown as ConstructorParameters<typeof ConsoleInterceptor>[0];

/** Runs one attempt of `task` with `payload` (any JSON: the platform parses it through the schema). */
export async function runAttempt(task: WorkerTask, payload: unknown, options: AttemptOptions = {}): Promise<AttemptOutcome> {
  const overrides = {
    // The catalog spreads the file it registered the task from into the task (not in its type).
    task: { id: task.id, filePath: (task as { filePath?: string }).filePath ?? task.id },
    run: { id: options.runId ?? 'run_test' },
    attempt: { number: options.attempt ?? 1 },
    environment: { type: 'PRODUCTION' as const },
  };
  return runInMockTaskContext(
    async ({ ctx }) => {
      const execution = executionOf(ctx, payload);
      const executor = new TaskExecutor(task, {
        tracingSDK: {} as TracingSDK,
        tracer: new TriggerTracer({ name: 'action-executor-test', version: '0' }),
        consoleInterceptor: new ConsoleInterceptor(silentOtelLogger, false, true),
      });
      const { result } = await executor.execute(execution, ctx, options.signal ?? new AbortController().signal);
      return { result, metadata: { ...(metadata.current() ?? {}) } };
    },
    { ctx: overrides, ...(options.supervisor ? { runtimeManager: options.supervisor } : {}) },
  );
}

/** The execution message a worker receives: the context plus the payload as a JSON packet. */
function executionOf(ctx: TaskRunContext, payload: unknown): TaskRunExecution {
  return {
    ...ctx,
    run: { ...ctx.run, payload: JSON.stringify(payload), payloadType: 'application/json', durationMs: 0, costInCents: 0, baseCostInCents: 0 },
  };
}

/** A successful attempt's output, parsed from its packet as the platform does. */
export async function outputOf(result: TaskRunExecutionResult): Promise<unknown> {
  if (!result.ok) throw new Error(`the attempt failed: ${JSON.stringify(result.error)}`);
  return parsePacket({ data: result.output, dataType: result.outputType });
}
