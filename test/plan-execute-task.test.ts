/**
 * The registered `plan-execute` task in a realistic Trigger.dev context (issue 11, "Surfaces":
 * confirmations are waitpoint tokens): loaded as a worker loads it, run by the platform's own
 * TaskExecutor inside `runInMockTaskContext`, its payload parsed through the task's schema. The local
 * platform API issues, completes and times out tokens; the supervisor blocks the run on them (one wait
 * at a time, as the runtime insists); answers come from outside the run — `wait.completeToken`, the
 * public access token's endpoint, the callback URL — as a UI or a script sends them.
 */
import { describe, expect, it } from 'vitest';
import { wait } from '@trigger.dev/sdk';
import { ExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { planDefinitions } from './support/plan-harness.ts';
import { action, PLAN_ID } from './support/plan-fixtures.ts';
import { createSupervisor, runAttempt } from './support/trigger-platform.ts';
import { confirmationsIn, messageOf, onboarding, planIn, publishedFor, scriptHappyApi, stateOf, usePlanTaskWorld } from './support/plan-task-world.ts';

const world = usePlanTaskWorld();

describe('plan-execute: confirmations are waitpoint tokens', () => {
  it('a plan that pauses publishes a token for its confirmation; completing it from outside (wait.completeToken) confirms it and the plan completes', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const supervisor = createSupervisor(async (blocked) => {
      await wait.completeToken(publishedFor(blocked, 'create_order').tokenId, { confirmed: true, userId: 'ops@example.com' });
    }, world.platform);
    const { result, metadata } = await runAttempt(task, { plan: onboarding() }, { runId: 'run_plan', supervisor });
    const state = await stateOf(result);

    expect(state).toMatchObject({ planId: PLAN_ID, status: 'completed', actionStates: { get_user: { status: 'completed' }, create_order: { status: 'completed' } } });
    expect(state.confirmations).toEqual([{ actionId: 'create_order', requestedAt: expect.any(String) as string, respondedAt: expect.any(String) as string, confirmed: true, userId: 'ops@example.com' }]);
    const requestedAt = state.confirmations[0]?.requestedAt ?? '';

    // One token, keyed by the request, timing out with the plan's 24 h deadline, tagged for lookups.
    expect(world.platform.tokens).toHaveLength(1);
    const token = world.platform.tokens[0];
    expect(token?.request).toMatchObject({ idempotencyKey: `plan-confirmation:${PLAN_ID}:create_order:${requestedAt}:0`, idempotencyKeyTTL: '8d', tags: [`plan:${PLAN_ID}`, 'action:create_order'] });
    expect(Number(/^(\d+)s$/.exec(token?.request.timeout ?? '')?.[1])).toBeGreaterThan(86_390);
    expect(Number(/^(\d+)s$/.exec(token?.request.timeout ?? '')?.[1])).toBeLessThanOrEqual(86_400);

    // While it waited, the run's metadata said what it waits for and how to answer.
    expect(supervisor.waits.map((blocked) => blocked.waitpointFriendlyId)).toEqual([token?.id]);
    const blocked = supervisor.waits[0];
    if (!blocked) throw new Error('the run never waited');
    expect(planIn(blocked.metadata)).toMatchObject({ planId: PLAN_ID, status: 'paused_for_confirmation', actions: { get_user: 'completed', create_order: 'waiting_confirmation' } });
    expect(publishedFor(blocked, 'create_order')).toEqual({
      actionId: 'create_order',
      title: 'Run create_order?',
      message: 'About to run create_order',
      requestedAt,
      timeoutAt: new Date(Date.parse(requestedAt) + 86_400_000).toISOString(),
      tokenId: token?.id,
      url: token?.url,
      publicAccessToken: token?.publicAccessToken,
      status: 'waiting',
    });
    expect(world.platform.callsTo(/\/waitpoints\/tokens\/[^/]+\/wait$/).map((call) => call.path)).toEqual([`/engine/v1/runs/run_plan/waitpoints/tokens/${token?.id}/wait`]);

    expect(planIn(metadata)).toMatchObject({ status: 'completed', actions: { get_user: 'completed', create_order: 'completed' }, metrics: { completedActions: 2 } });
    expect(confirmationsIn(metadata)['create_order']).toMatchObject({ status: 'confirmed', userId: 'ops@example.com' });
    expect(world.api.hitsFor('GET /users/u_1')).toHaveLength(1);
    expect(world.api.hitsFor('POST /orders')).toHaveLength(1);
  });

  it('two pending confirmations: one answered through the public access token endpoint, one through the callback URL; the run waits for the one due first, then the other', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const twoBranches = onboarding({ timeout: 7_200_000 }, {}, [action('send_note', { definition: 'send-note', deps: ['get_user'], inputs: { to: 'ada@example.com' }, confirm: { timeout: 3_600_000 } })]);
    const answers: number[] = [];
    const supervisor = createSupervisor(async (blocked) => {
      if (supervisor.waits.length > 1) return;
      const note = publishedFor(blocked, 'send_note');
      const order = publishedFor(blocked, 'create_order');
      // A token's public access token completes that token only.
      const foreign = await fetch(`${world.platform.url}/api/v1/waitpoints/tokens/${note.tokenId}/complete`, { method: 'POST', headers: { authorization: `Bearer ${order.publicAccessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: { confirmed: false } }) });
      answers.push(foreign.status);
      const browser = await fetch(`${world.platform.url}/api/v1/waitpoints/tokens/${note.tokenId}/complete`, { method: 'POST', headers: { authorization: `Bearer ${note.publicAccessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ data: { confirmed: true, userId: 'ops' } }) });
      answers.push(browser.status);
      const webhook = await fetch(order.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ confirmed: true, userId: 'sales' }) });
      answers.push(webhook.status);
    }, world.platform);
    const { result, metadata } = await runAttempt(task, { plan: twoBranches }, { supervisor });
    const state = await stateOf(result);

    expect(answers).toEqual([401, 200, 200]);
    expect(state.status).toBe('completed');
    expect(Object.fromEntries(state.confirmations.map((entry) => [entry.actionId, [entry.confirmed, entry.userId]]))).toEqual({ create_order: [true, 'sales'], send_note: [true, 'ops'] });
    const idOf = (actionId: string): string | undefined => confirmationsIn(metadata)[actionId]?.tokenId;
    // send_note falls due first (1 h against 2 h): the run blocked on it, then on create_order's, already completed.
    expect(supervisor.waits.map((blocked) => blocked.waitpointFriendlyId)).toEqual([idOf('send_note'), idOf('create_order')]);
    // Each request got one token: asking again for create_order's returned the same one.
    expect(world.platform.tokens).toHaveLength(2);
    expect(world.platform.callsTo(/^\/api\/v1\/waitpoints\/tokens$/)).toHaveLength(3);
    expect(world.api.hitsFor('POST /orders')).toHaveLength(1);
    expect(world.api.hitsFor('POST /notes')).toHaveLength(1);
  });

  it('a reject ({ confirmed: false }) ends the action user_cancelled (CONFIRMATION_REJECTED) naming the user, and its errorHandling applies: the alternative runs in its place', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const withAlternative = onboarding(undefined, { alternative: 'notify_sales' }, [action('notify_sales', { definition: 'send-note', deps: ['get_user'], inputs: { to: 'sales@example.com' } })]);
    const supervisor = createSupervisor(async (blocked) => {
      await wait.completeToken(publishedFor(blocked, 'create_order').tokenId, { confirmed: false, userId: 'ops@example.com' });
    }, world.platform);
    const { result, metadata } = await runAttempt(task, { plan: withAlternative }, { supervisor });
    const state = await stateOf(result);

    expect(state.status).toBe('completed');
    const order = state.actionStates['create_order'];
    expect(order?.status).toBe('failed');
    expect(order?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CONFIRMATION_REJECTED' } });
    expect(order?.result?.status === 'failure' && order.result.error.message).toMatch(/user ops@example\.com rejected the confirmation "Run create_order\?"/);
    expect(state.actionStates['notify_sales']?.status).toBe('completed');
    expect(confirmationsIn(metadata)['create_order']).toMatchObject({ status: 'rejected', userId: 'ops@example.com' });
    expect(world.api.hitsFor('POST /orders')).toHaveLength(0);
    expect(world.api.hitsFor('POST /notes')).toHaveLength(1);
  });

  it('a reject with nothing standing in fails the plan, and so the run, with the ErrorDetail and without platform retries; metadata result holds the state', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const supervisor = createSupervisor(async (blocked) => {
      await wait.completeToken(publishedFor(blocked, 'create_order').tokenId, { confirmed: false, userId: 'ops@example.com' });
    }, world.platform);
    const { result, metadata } = await runAttempt(task, { plan: onboarding() }, { supervisor });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(result.error).toMatchObject({ type: 'BUILT_IN_ERROR', name: 'AbortTaskRunError' });
    expect(messageOf(result)).toMatch(/^user_cancelled \(CONFIRMATION_REJECTED\): "create_order" did not run: user ops@example\.com rejected/);
    const recorded = ExecutionStateSchema.parse(metadata['result']);
    expect(recorded).toMatchObject({ status: 'failed', error: { code: 'CONFIRMATION_REJECTED', context: { actionId: 'create_order' } } });
    expect(planIn(metadata)).toMatchObject({ status: 'failed', error: { code: 'CONFIRMATION_REJECTED' } });
    expect(world.api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it("a token that times out leaves the rejection to the plan's durable deadline: CONFIRMATION_TIMEOUT dated requestedAt + timeout, and continueOnFailure lets the plan complete", async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    // The platform times the token out at once, ahead of the plan's 40 ms deadline: the task waits for the deadline.
    const supervisor = createSupervisor(async (blocked) => world.platform.timeOutToken(blocked.waitpointFriendlyId), world.platform);
    const { result, metadata } = await runAttempt(task, { plan: onboarding({ timeout: 40 }, { continueOnFailure: true }) }, { supervisor });
    const state = await stateOf(result);

    expect(world.platform.tokens[0]?.request.timeout).toBe('1s');
    expect(state.status).toBe('completed');
    const entry = state.confirmations[0];
    expect(entry).toMatchObject({ actionId: 'create_order', confirmed: false });
    expect(entry?.userId).toBeUndefined();
    expect(Date.parse(entry?.respondedAt ?? '') - Date.parse(entry?.requestedAt ?? '')).toBe(40);
    expect(state.actionStates['create_order']?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CONFIRMATION_TIMEOUT' } });
    expect(confirmationsIn(metadata)['create_order']).toMatchObject({ status: 'timed_out', respondedAt: entry?.respondedAt });
    expect(world.api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('an answer that is not { confirmed: boolean } is refused, not guessed: a new token is published with the reason, and the next proper answer counts', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const supervisor = createSupervisor(async (blocked) => {
      const published = publishedFor(blocked, 'create_order');
      if (supervisor.waits.length === 1) await wait.completeToken(published.tokenId, { confirmed: 'yes' });
      else await wait.completeToken(published.tokenId, { confirmed: true, userId: 'ops@example.com', comment: 'ok after all' });
    }, world.platform);
    const { result } = await runAttempt(task, { plan: onboarding() }, { supervisor });
    const state = await stateOf(result);

    expect(state.status).toBe('completed');
    expect(state.confirmations[0]).toMatchObject({ confirmed: true, userId: 'ops@example.com' });
    expect(world.platform.tokens.map((token) => token.request.idempotencyKey?.slice(-2))).toEqual([':0', ':1']);
    const second = supervisor.waits[1];
    if (!second) throw new Error('the run did not wait for a second token');
    expect(second.waitpointFriendlyId).toBe(world.platform.tokens[1]?.id);
    expect(publishedFor(second, 'create_order').refusedAnswer).toMatch(/^the token was completed with \{"confirmed":"yes"\}, which is not an answer: expected \{ "confirmed": true \| false, "userId"\?: string \}:\n {2}\$\.confirmed: Invalid input: expected boolean, received string/);
    expect(world.api.hitsFor('POST /orders')).toHaveLength(1);
  });

  it("cancelling the run while it waits for a token cancels the plan: the run fails user_cancelled (CANCELLED), nothing more is sent", async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    scriptHappyApi(world.api);
    const run = new AbortController();
    const supervisor = createSupervisor(async () => run.abort('run cancelled'), world.platform);
    const { result, metadata } = await runAttempt(task, { plan: onboarding() }, { supervisor, signal: run.signal });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(messageOf(result)).toMatch(/^user_cancelled \(CANCELLED\): Plan 6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21 was cancelled: the Trigger\.dev run was cancelled \(run cancelled\)\./);
    expect(ExecutionStateSchema.parse(metadata['result'])).toMatchObject({ status: 'cancelled', actionStates: { get_user: { status: 'completed' }, create_order: { status: 'skipped' } } });
    expect(world.api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('cancelling the run while an action is in flight aborts its request and cancels the plan; the run fails user_cancelled (CANCELLED)', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    world.api.script('GET /users/u_1', [{ status: 200, hang: true }]);
    const run = new AbortController();
    world.api.onRequest = () => run.abort('run cancelled');
    const { result, metadata } = await runAttempt(task, { plan: onboarding() }, { signal: run.signal, supervisor: createSupervisor(async () => undefined, world.platform) });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(messageOf(result)).toMatch(/^user_cancelled \(CANCELLED\): Plan .* was cancelled: the Trigger\.dev run was cancelled \(run cancelled\)\./);
    const recorded = ExecutionStateSchema.parse(metadata['result']);
    expect(recorded.status).toBe('cancelled');
    expect(recorded.actionStates['get_user']?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled' } });
    expect(world.platform.tokens).toHaveLength(0);
    expect(world.api.hits).toHaveLength(1);
  });
});
