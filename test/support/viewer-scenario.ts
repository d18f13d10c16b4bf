/**
 * A journal with one execution of each kind the viewer shows, made by the real executor against a
 * real local API: completed after a retried 503, failed on a 404, a POST that completed, and one left
 * dormant mid-backoff by a simulated crash (its driver stopped unrecorded, as after a SIGKILL).
 */
import type { ActionExecutor } from '../../src/execution/executor-api.ts';
import { withTestHooks } from '../../src/execution/test-hooks.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import { createHarness, definition, executeRequest, type Harness } from './executor-harness.ts';
import { startScriptedApi, type ScriptedApi } from './scripted-api.ts';

export const IDS = {
  retried: '11111111-1111-4111-8111-111111111111',
  failed: '22222222-2222-4222-8222-222222222222',
  order: '33333333-3333-4333-8333-333333333333',
  dormant: '44444444-4444-4444-8444-444444444444',
} as const;

export interface ViewerScenario {
  api: ScriptedApi;
  harness: Harness;
  definitions: ActionDefinition[];
  /** Leaves a new execution of get-user for `userId` in backingOff with no live driver. */
  crashInBackoff(executionId: string, userId: string, responses?: { status: number; body?: unknown }[]): Promise<void>;
  cleanup(): Promise<void>;
}

export function definitionsFor(url: string): ActionDefinition[] {
  return [
    definition(url),
    definition(url, {
      id: 'create-order',
      name: 'Create order',
      endpoint: { url: `${url}/orders`, method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
      inputSchema: { item: 'string' },
    }),
  ];
}

/** Runs `execute` and ignores how it ended: the journal is what the viewer reads. */
async function settle(executor: ActionExecutor, request: unknown): Promise<void> {
  await executor.execute(request).catch(() => undefined);
}

export async function createViewerScenario(): Promise<ViewerScenario> {
  const api = await startScriptedApi();
  const definitions = definitionsFor(api.url);
  const harness = createHarness(definitions);
  const crashing = harness.reopen(
    withTestHooks(
      {},
      {
        faultHook: (point) => {
          if (point === 'transition:backingOff') throw new Error('simulated crash in backoff');
        },
      },
    ),
  );
  const crashInBackoff = async (executionId: string, userId: string, responses = [{ status: 503 }, { status: 200, body: { id: userId, name: 'Grace' } }]) => {
    api.script(`GET /users/${userId}`, responses);
    await settle(crashing, executeRequest('get_user', 'get-user', { userId }, {}, executionId));
  };
  return {
    api,
    harness,
    definitions,
    crashInBackoff,
    cleanup: async () => {
      await harness.cleanup();
      await api.close();
    },
  };
}

/** Seeds the four executions of {@link IDS}, oldest first (so the list shows `dormant` first). */
export async function seedExecutions(scenario: ViewerScenario): Promise<void> {
  const { api, harness } = scenario;
  api.script('GET /users/u_retry', [{ status: 503, body: { error: 'busy' } }, { status: 200, body: { id: 'u_retry', name: 'Ada' } }]);
  await settle(harness.executor, executeRequest('get_user', 'get-user', { userId: 'u_retry' }, {}, IDS.retried));
  harness.clock.advance(1000);
  api.script('GET /users/u_missing', [{ status: 404, body: { message: 'no such user' } }]);
  await settle(harness.executor, executeRequest('get_user', 'get-user', { userId: 'u_missing' }, {}, IDS.failed));
  harness.clock.advance(1000);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'o_1' } }]);
  await settle(harness.executor, executeRequest('create_order', 'create-order', { item: 'book' }, {}, IDS.order));
  harness.clock.advance(1000);
  await scenario.crashInBackoff(IDS.dormant, 'u_dormant');
}
