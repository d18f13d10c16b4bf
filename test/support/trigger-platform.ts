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
 *   (deduplicating idempotency keys as the platform does), and the waitpoint tokens: `wait.createToken`
 *   (idempotency keys, `x-trigger-jwt` public access token, HMAC callback URL), `wait.forToken`'s
 *   `…/waitpoints/tokens/{id}/wait`, `wait.completeToken` / the public `…/complete` endpoint (secret
 *   key or the token's own public access token) and the callback URL — and recording each;
 * - a **supervisor** (the RuntimeManager a run waits through) that records every waitpoint, resolves
 *   token waits when the platform API completes or times out the token, and refuses a wait while
 *   another is in progress, as the v4 runtime does (`TASK_DID_CONCURRENT_WAIT`).
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { InternalError, resourceCatalog, TaskRunErrorCodes, type TaskRunContext, type TaskRunExecution, type TaskRunExecutionResult, type WaitpointTokenResult } from '@trigger.dev/core/v3';
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

/** A waitpoint token the platform API issued. */
export interface FakeToken {
  id: string;
  /** What `wait.createToken` sent. */
  request: { idempotencyKey?: string; idempotencyKeyTTL?: string; timeout?: string; tags?: string[] };
  url: string;
  publicAccessToken: string;
  status: 'WAITING' | 'COMPLETED' | 'TIMED_OUT';
  /** The completion data (the output a waiting run gets). */
  output?: unknown;
  /** Settles once the token is completed or timed out. */
  settled: Promise<void>;
}

export interface PlatformApi {
  url: string;
  calls: PlatformCall[];
  /** Every token issued, in order (a cached key returns its token, it does not add one). */
  tokens: FakeToken[];
  token(id: string): FakeToken | undefined;
  /** Times a waiting token out, as the platform does when its timeout passes. */
  timeOutToken(id: string): void;
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
  const tokens: FakeToken[] = [];
  const settle = new Map<string, () => void>();
  const tokensByKey = new Map<string, FakeToken>();
  const secretKey = 'tr_dev_fake_platform_key';
  const finish = (token: FakeToken, status: 'COMPLETED' | 'TIMED_OUT', output: unknown): void => {
    if (token.status !== 'WAITING') return;
    token.status = status;
    token.output = output;
    settle.get(token.id)?.();
  };
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
      if (req.method === 'POST' && path === '/api/v1/waitpoints/tokens') {
        const request = (body ?? {}) as FakeToken['request'];
        const cached = request.idempotencyKey === undefined ? undefined : tokensByKey.get(request.idempotencyKey);
        const token = cached ?? newToken(request);
        send(200, { id: token.id, isCached: cached !== undefined, url: token.url }, { 'x-trigger-jwt': token.publicAccessToken });
        return;
      }
      const complete = /^\/api\/v1\/waitpoints\/tokens\/([^/]+)\/complete$/.exec(path);
      if (req.method === 'POST' && complete) {
        const token = tokens.find((candidate) => candidate.id === complete[1]);
        if (!token) return send(404, { error: 'Waitpoint not found' });
        const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (bearer !== secretKey && bearer !== token.publicAccessToken) return send(401, { error: 'Invalid or missing public access token' });
        finish(token, 'COMPLETED', (body as { data?: unknown } | undefined)?.data);
        return send(200, { success: true });
      }
      const callback = /^\/api\/v1\/waitpoints\/tokens\/([^/]+)\/callback\/([^/]+)$/.exec(path);
      if (req.method === 'POST' && callback) {
        const token = tokens.find((candidate) => candidate.id === callback[1]);
        if (!token) return send(404, { error: 'Waitpoint not found' });
        if (token.url !== `${url}${path}`) return send(401, { error: "Invalid URL, hash doesn't match" });
        // The callback's whole JSON body is the output; no body is {}.
        finish(token, 'COMPLETED', body ?? {});
        return send(200, { success: true });
      }
      const waitFor = /^\/engine\/v1\/runs\/[^/]+\/waitpoints\/tokens\/([^/]+)\/wait$/.exec(path);
      if (req.method === 'POST' && waitFor) {
        if (!tokens.some((candidate) => candidate.id === waitFor[1])) return send(404, { error: 'Waitpoint not found' });
        return send(200, { success: true });
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
  function newToken(request: FakeToken['request']): FakeToken {
    const id = `waitpoint_token_${tokens.length + 1}`;
    const hash = createHmac('sha256', secretKey).update(id).digest('hex');
    let resolve = (): void => undefined;
    const settled = new Promise<void>((done) => (resolve = done));
    const token: FakeToken = { id, request, url: `${url}/api/v1/waitpoints/tokens/${id}/callback/${hash}`, publicAccessToken: `pat_for_${id}`, status: 'WAITING', settled };
    settle.set(id, resolve);
    tokens.push(token);
    if (request.idempotencyKey !== undefined) tokensByKey.set(request.idempotencyKey, token);
    return token;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    tokens,
    token: (id) => tokens.find((token) => token.id === id),
    timeOutToken(id) {
      const token = tokens.find((candidate) => candidate.id === id);
      if (token) finish(token, 'TIMED_OUT', { code: 'WAITPOINT_TIMEOUT', message: `Waitpoint timed out at ${new Date().toISOString()}` });
    },
    env: { TRIGGER_API_URL: url, TRIGGER_SECRET_KEY: secretKey },
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
  /** Waits refused because another was in progress. */
  readonly refused: number;
}

/**
 * A supervisor that completes each waitpoint when `complete` (called with the wait) settles; by default
 * at once, as the platform does when the wait's date arrives. A token of `platform` is completed by the
 * platform API instead: the wait returns once `complete` has settled *and* the token was completed or
 * timed out, with its output. A wait that starts while another is in progress is refused, as the v4
 * runtime refuses it (preventMultipleWaits: "Parallel waits are not supported").
 */
export function createSupervisor(complete: (wait: RecordedWait) => Promise<void> = async () => undefined, platform?: PlatformApi): Supervisor {
  const waits: RecordedWait[] = [];
  let waiting = false;
  let refused = 0;
  const unsupported = (): never => {
    throw new Error('this test supervisor only completes waitpoints');
  };
  return {
    waits,
    get refused() {
      return refused;
    },
    disable: () => undefined,
    waitForTask: unsupported,
    waitForBatch: unsupported,
    async waitForWaitpoint(params): Promise<WaitpointTokenResult> {
      if (waiting) {
        refused += 1;
        throw new InternalError({ code: TaskRunErrorCodes.TASK_DID_CONCURRENT_WAIT, message: 'Parallel waits are not supported, e.g. using Promise.all() around our wait functions.', skipRetrying: true, showStackTrace: false });
      }
      waiting = true;
      try {
        const wait: RecordedWait = { waitpointFriendlyId: params.waitpointFriendlyId, finishDate: params.finishDate, metadata: { ...(metadata.current() ?? {}) } };
        waits.push(wait);
        await complete(wait);
        const token = platform?.token(params.waitpointFriendlyId);
        if (!token) return { ok: true };
        await token.settled;
        return { ok: token.status === 'COMPLETED', output: JSON.stringify(token.output ?? {}), outputType: 'application/json' };
      } finally {
        waiting = false;
      }
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
