/**
 * The registered `plan-execute` task against the platform's limits and failures, in the task context
 * (test/support/plan-task-world.ts): the runtime allows one wait at a time while a plan's actions back
 * off together, and a run that dies while it waits for a token is retried — on a fresh machine over a
 * shared database — and resumes from the journal.
 */
import { describe, expect, it } from 'vitest';
import { wait } from '@trigger.dev/sdk';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type * as LaneModule from '../src/trigger/platform-wait-lane.ts';
import { definition } from './support/executor-harness.ts';
import { planDefinitions } from './support/plan-harness.ts';
import { action, plan } from './support/plan-fixtures.ts';
import { createSupervisor, runAttempt } from './support/trigger-platform.ts';
import { SHARED_DATABASES } from './support/shared-database.ts';
import { until } from './support/until.ts';
import { confirmationsIn, messageOf, onboarding, scriptHappyApi, stateOf, usePlanTaskWorld } from './support/plan-task-world.ts';

const LANE_MODULE = '../src/trigger/platform-wait-lane.ts';

const world = usePlanTaskWorld();

describe('plan-execute: one platform wait at a time', () => {
  it('two actions backing off at once wait on the platform one after the other (the runtime refuses parallel waits), and both complete', async () => {
    const slow = (url: string): ActionDefinition => definition(url, { retryPolicy: { maxAttempts: 2, initialDelay: 90_000, maxDelay: 300_000, backoffMultiplier: 2, retryableErrors: ['api_unexpected_status'], jitter: false } });
    const task = await world.startWorker(world.machine('a', [slow(world.api.url)]), world.journalIn('a'));
    const lane = (await import(/* @vite-ignore */ LANE_MODULE)) as typeof LaneModule;
    world.api.script('GET /users/u_1', [{ status: 503, body: {} }, { status: 200, body: { id: 'u_1' } }]);
    world.api.script('GET /users/u_2', [{ status: 503, body: {} }, { status: 200, body: { id: 'u_2' } }]);
    const supervisor = createSupervisor(async () => {
      // Hold the first wait until the other action is queued behind it, or its wait was refused.
      if (supervisor.waits.length === 1) await until(() => lane.platformWaitLane.pending >= 2 || supervisor.refused > 0, 'the second backoff to reach the platform');
    }, world.platform);
    const parallel = plan([action('a', { inputs: { userId: 'u_1' } }), action('b', { inputs: { userId: 'u_2' } })]);
    const { result } = await runAttempt(task, { plan: parallel }, { supervisor });

    expect(supervisor.refused).toBe(0);
    expect((await stateOf(result)).status).toBe('completed');
    expect(supervisor.waits).toHaveLength(2);
    expect(world.platform.callsTo(/\/wait\/duration$/)).toHaveLength(2);
    expect(world.api.hitsFor('GET /users/u_1')).toHaveLength(2);
    expect(world.api.hitsFor('GET /users/u_2')).toHaveLength(2);
  });
});

for (const shared of SHARED_DATABASES) {
  shared.describe(`plan-execute: a platform retry after a crash while waiting (${shared.label})`, () => {
    it('resumes on a fresh machine: completed actions are not run again, the same token comes back by its key, and the answer given meanwhile confirms', async () => {
      const database = await shared.open();
      world.cleanups.push(() => database.cleanup());
      scriptHappyApi(world.api);
      const payload = { plan: onboarding() };

      // Machine A runs get_user, pauses and blocks on the token; then the worker dies while waiting.
      const taskA = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), database.db);
      const first = await runAttempt(taskA, payload, { runId: 'run_plan', attempt: 1, supervisor: createSupervisor(async () => Promise.reject(new Error('the worker process died while waiting')), world.platform) });
      expect(first.result.ok).toBe(false);
      if (first.result.ok) return;
      expect(first.result.skippedRetrying).toBeFalsy();
      expect(first.result.retry).toBeDefined();
      expect(messageOf(first.result)).toMatch(/^Waiting for the waitpoint token waitpoint_token_1 failed: the worker process died while waiting\./);
      expect(world.api.hitsFor('GET /users/u_1')).toHaveLength(1);

      // The operator answers while no run waits.
      const tokenId = confirmationsIn(first.metadata)['create_order']?.tokenId ?? '';
      await wait.completeToken(tokenId, { confirmed: true, userId: 'ops@example.com' });

      // The retry lands on machine B: a new process, its own empty directory, the same database.
      const taskB = await world.startWorker(world.machine('b', planDefinitions(world.api.url)), database.db);
      const supervisorB = createSupervisor(async () => undefined, world.platform);
      const retry = await runAttempt(taskB, payload, { runId: 'run_plan', attempt: 2, supervisor: supervisorB });
      const state = await stateOf(retry.result);

      expect(state).toMatchObject({ status: 'completed', actionStates: { get_user: { status: 'completed', attempts: 1 }, create_order: { status: 'completed' } } });
      expect(state.confirmations).toMatchObject([{ actionId: 'create_order', confirmed: true, userId: 'ops@example.com' }]);
      const creations = world.platform.callsTo(/^\/api\/v1\/waitpoints\/tokens$/).map((call) => (call.body as { idempotencyKey?: string }).idempotencyKey);
      expect(creations).toHaveLength(2);
      expect(new Set(creations).size).toBe(1);
      expect(world.platform.tokens).toHaveLength(1);
      expect(supervisorB.waits.map((blocked) => blocked.waitpointFriendlyId)).toEqual([tokenId]);
      expect(world.api.hitsFor('GET /users/u_1')).toHaveLength(1);
      expect(world.api.hitsFor('POST /orders')).toHaveLength(1);
      expect([...world.api.effects.values()]).toEqual([1]);
    });
  });
}
