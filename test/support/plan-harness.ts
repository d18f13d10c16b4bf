/**
 * A plan executor over a test executor (test/support/executor-harness.ts): one temp journal, one
 * manual clock for both (so plan and action times agree), definitions against a local API, and the
 * progress events of every plan driven.
 */
import { createHarness, definition, type Harness } from './executor-harness.ts';
import { createPlanExecutor, type PlanExecutor, type PlanExecutorOptions, type PlanProgressEvent } from '../../src/plans/plan-executor.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ActionExecutorOptions } from '../../src/execution/executor.ts';

export interface PlanHarness extends Harness {
  plans: PlanExecutor;
  progress: PlanProgressEvent[];
  /** Another plan executor over a reopened executor on the same files (another "process"). */
  reopenPlans(extra?: Partial<PlanExecutorOptions>, executorExtra?: Partial<ActionExecutorOptions>): PlanExecutor;
}

/** Fast retries without jitter: a 503 is retried once after 10 ms (on the manual clock). */
const quickRetry = (url: string): ActionDefinition['retryPolicy'] => ({ ...definition(url).retryPolicy, maxAttempts: 2, initialDelay: 10, maxDelay: 50 });

/**
 * The definitions plan tests use, against `url`:
 * `get-user` GET /users/{userId}; `create-order` POST /orders with an Idempotency-Key;
 * `send-note` POST /notes without one; `get-flag` GET /flags/{flag}; `get-status` GET /status/{code}.
 */
export function planDefinitions(url: string): ActionDefinition[] {
  return [
    { ...definition(url), retryPolicy: quickRetry(url) },
    {
      ...definition(url),
      id: 'create-order',
      endpoint: { url: `${url}/orders`, method: 'POST', headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
      inputSchema: { customerId: 'string', amount: 'integer' },
      retryPolicy: quickRetry(url),
    },
    { ...definition(url), id: 'send-note', endpoint: { url: `${url}/notes`, method: 'POST', headers: {}, timeout: 2000 }, inputSchema: { to: 'string', text: 'string?' }, retryPolicy: { ...quickRetry(url), maxAttempts: 1 } },
    { ...definition(url), id: 'get-flag', endpoint: { url: `${url}/flags/{flag}`, method: 'GET', headers: {}, timeout: 2000 }, inputSchema: { flag: 'string' }, retryPolicy: { ...quickRetry(url), maxAttempts: 1 } },
    { ...definition(url), id: 'get-status', endpoint: { url: `${url}/status/{code}`, method: 'GET', headers: {}, timeout: 2000 }, inputSchema: { code: 'string' }, retryPolicy: { ...quickRetry(url), maxAttempts: 1 } },
  ];
}

export function createPlanHarness(definitions: ActionDefinition[], extra: Partial<PlanExecutorOptions> = {}, executorExtra: Partial<ActionExecutorOptions> = {}): PlanHarness {
  const harness = createHarness(definitions, executorExtra);
  const progress: PlanProgressEvent[] = [];
  const open = (executor = harness.executor, more: Partial<PlanExecutorOptions> = {}): PlanExecutor =>
    createPlanExecutor({ executor, definitions, clock: harness.clock, onProgress: (event) => void progress.push(event), ...extra, ...more });
  const opened: PlanExecutor[] = [];
  const plans = open();
  opened.push(plans);
  return {
    ...harness,
    plans,
    progress,
    reopenPlans(more = {}, executorMore = {}) {
      const next = open(harness.reopen(executorMore), more);
      opened.push(next);
      return next;
    },
    cleanup: async () => {
      for (const p of opened) await p.close();
      await harness.cleanup();
    },
  };
}
