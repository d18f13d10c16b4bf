/**
 * Issue 11 "userConfirmation", "Cancel" and "Events", end to end through the plan runner: what is
 * recorded when a plan asks, waits, is answered, times out (durably, with no process running) or is
 * cancelled, and which events leave through the outbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createPlanHarness, planDefinitions, type PlanHarness } from './support/plan-harness.ts';
import { action, iso, plan, PLAN_ID } from './support/plan-fixtures.ts';
import { rejectedActionError as thrown } from './support/thrown.ts';
import type { ExecutorEvent } from '../src/execution/executor.ts';

let api: ScriptedApi;
let h: PlanHarness;
afterEach(async () => {
  await h?.cleanup();
  await api?.close();
});

async function setup(extra: Parameters<typeof createPlanHarness>[2] = {}): Promise<void> {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
  api.script('POST /notes', [{ status: 201, body: { noteId: 'n_1' } }]);
  h = createPlanHarness(planDefinitions(api.url), {}, extra);
}

/** get_user → order (asks first) → note. */
function onboarding(confirm: { timeout?: number } = {}) {
  return plan([
    action('get_user', { inputs: { userId: 'u_1' } }),
    action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm }),
    action('note', { definition: 'send-note', deps: ['order'], inputs: { to: 'ada', text: 'order ${order.output.orderId}' } }),
  ]);
}

describe('plan runner: userConfirmation', () => {
  it('when the action is otherwise ready, a request is recorded with requestedAt, its branch waits, and the plan is paused_for_confirmation', async () => {
    await setup();
    const start = h.clock.now();
    const state = await h.plans.executePlan(onboarding());
    expect(state.status).toBe('paused_for_confirmation');
    expect(state.confirmations).toEqual([{ actionId: 'order', requestedAt: iso(start) }]);
    expect(state.actionStates['order']).toMatchObject({ status: 'pending', attempts: 0 });
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
    // Durable: another process reads the same pause from the journal.
    expect((await h.reopenPlans().getPlan(PLAN_ID))?.confirmations).toEqual(state.confirmations);
    const row = await h.executor.journal.get({ executionId: PLAN_ID, actionId: '@plan' });
    // Paused with nothing to do, the process lets the plan go: anyone may answer at once.
    expect(row).toMatchObject({ stateValue: 'paused_for_confirmation', status: 'running', lease: null });
    expect(h.progress.filter((event) => event.type === 'confirmation-requested')).toEqual([{ type: 'confirmation-requested', planId: PLAN_ID, actionId: 'order', title: 'Run order?', message: 'About to run order', requestedAt: iso(start) }]);
  });

  it('confirm → the action runs; the response records respondedAt, confirmed and userId', async () => {
    await setup();
    await h.plans.executePlan(onboarding());
    h.clock.advance(90_000);
    const state = await h.plans.confirm(PLAN_ID, 'order', { confirmed: true, userId: 'ops@example.com' });
    expect(state.status).toBe('completed');
    expect(state.confirmations).toEqual([{ actionId: 'order', requestedAt: iso(h.clock.now() - 90_000), respondedAt: iso(h.clock.now()), confirmed: true, userId: 'ops@example.com' }]);
    expect(api.hitsFor('POST /orders')).toHaveLength(1);
    expect(api.hitsFor('POST /notes')).toHaveLength(1);
  });

  it('confirm from another process (the first one exited while paused) continues the plan there', async () => {
    await setup();
    await h.plans.executePlan(onboarding());
    const other = h.reopenPlans();
    const state = await other.confirm(PLAN_ID, 'order', { confirmed: true, userId: 'ops' });
    expect(state.status).toBe('completed');
    expect(api.hitsFor('POST /orders')).toHaveLength(1);
    // get_user's output is not in the plan's journaled records: the other process read it from get_user's own execution.
    expect(JSON.parse(api.hitsFor('POST /orders')[0]?.body ?? '{}')).toEqual({ customerId: 'u_1', amount: 5 });
  });

  it('reject → the action ends failed (user_cancelled, CONFIRMATION_REJECTED) and its errorHandling applies: the alternative starts', async () => {
    await setup();
    await h.plans.executePlan(plan([
      action('get_user', { inputs: { userId: 'u_1' } }),
      action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm: {}, alternative: 'plain_note' }),
      action('plain_note', { definition: 'send-note', deps: ['get_user'], inputs: { to: 'ada', text: 'no order' } }),
    ]));
    const state = await h.plans.confirm(PLAN_ID, 'order', { confirmed: false, userId: 'ops' });
    expect(state.actionStates['order']?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CONFIRMATION_REJECTED', message: expect.stringContaining('user ops rejected') } });
    expect(state.actionStates['plain_note']?.status).toBe('completed');
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
    expect(JSON.parse(api.hitsFor('POST /notes')[0]?.body ?? '{}')).toEqual({ to: 'ada', text: 'no order' });
    expect(state.status).toBe('completed');
  });

  it('timeout: a request left unanswered while no process ran is rejected automatically by the next resumeAll, dated requestedAt + timeout', async () => {
    await setup();
    const requested = h.clock.now();
    await h.plans.executePlan(onboarding({ timeout: 60_000 }));
    await h.plans.close();
    h.clock.advance(3_600_000); // an hour passes with nothing running
    const report = await h.reopenPlans().resumeAll();
    expect(report).toMatchObject({ plans: 1, failed: 1, timeoutsFired: 1, paused: 0, errors: [] });
    const state = await h.plans.getPlan(PLAN_ID);
    expect(state?.confirmations).toEqual([{ actionId: 'order', requestedAt: iso(requested), respondedAt: iso(requested + 60_000), confirmed: false }]);
    expect(state?.actionStates['order']?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CONFIRMATION_TIMEOUT' } });
    expect(state?.status).toBe('failed');
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('timeout: resumeAll leaves a paused plan whose deadline has not come alone', async () => {
    await setup();
    await h.plans.executePlan(onboarding({ timeout: 60_000 }));
    h.clock.advance(59_000);
    expect(await h.plans.resumeAll()).toMatchObject({ plans: 1, paused: 1, timeoutsFired: 0 });
    expect((await h.plans.getPlan(PLAN_ID))?.status).toBe('paused_for_confirmation');
  });

  it('timeout: a resubmission of the plan fires a timeout that fell due', async () => {
    await setup();
    const p = onboarding({ timeout: 1_000 });
    await h.plans.executePlan(p);
    h.clock.advance(1_000);
    const state = await h.reopenPlans().executePlan(p);
    expect(state.actionStates['order']?.result).toMatchObject({ status: 'failure', error: { code: 'CONFIRMATION_TIMEOUT' } });
  });

  it('timeout: one falling due while another branch runs fires without waiting for that branch', async () => {
    await setup();
    api.script('GET /users/u_2', [{ status: 200, body: { id: 'u_2' }, delayMs: 30 }]);
    const p = plan([
      action('asks', { definition: 'send-note', inputs: { to: 'x' }, confirm: { timeout: 5_000 }, continueOnFailure: true }),
      action('slow', { inputs: { userId: 'u_2' } }),
    ]);
    const start = h.clock.now();
    const state = await h.plans.executePlan(p);
    // The test clock jumps to each deadline asked for, so the runner's wake-up at requestedAt + timeout
    // comes while "slow" is still waiting for its (real-time) response.
    expect(state.confirmations).toEqual([{ actionId: 'asks', requestedAt: iso(start), respondedAt: iso(start + 5_000), confirmed: false }]);
    const events = (await h.executor.journal.listTransitions({ executionId: PLAN_ID, actionId: '@plan' })).map((t) => t.event);
    expect(events.indexOf('DECIDED', events.indexOf('CONFIRMATION_REQUESTED'))).toBeLessThan(events.indexOf('ACTION_COMPLETED'));
    expect(state.status).toBe('completed');
  });

  it('confirm refuses what it cannot answer, naming why: unknown action, no confirmation asked yet, an answer already given', async () => {
    await setup();
    await h.plans.executePlan(onboarding());
    expect(await thrown(h.plans.confirm(PLAN_ID, 'nope', { confirmed: true }))).toMatchObject({ detail: { code: 'UNKNOWN_ACTION', message: expect.stringContaining('its actions: get_user, order, note') } });
    expect(await thrown(h.plans.confirm(PLAN_ID, 'get_user', { confirmed: true }))).toMatchObject({ detail: { code: 'NO_CONFIRMATION' } });
    expect(await thrown(h.plans.confirm('00000000-0000-4000-8000-000000000000', 'order', { confirmed: true }))).toMatchObject({ detail: { code: 'UNKNOWN_PLAN' } });
    await h.plans.confirm(PLAN_ID, 'order', { confirmed: true, userId: 'ops' });
    expect(await thrown(h.plans.confirm(PLAN_ID, 'order', { confirmed: false }))).toMatchObject({ detail: { code: 'ALREADY_ANSWERED', message: expect.stringContaining('already confirmed by ops') } });
    // The same answer again (a retried command) is not an error: it returns the plan's state.
    expect((await h.plans.confirm(PLAN_ID, 'order', { confirmed: true })).status).toBe('completed');
    expect(api.hitsFor('POST /orders')).toHaveLength(1);
  });

  it('confirm after the deadline is refused (CONFIRMATION_TIMED_OUT), and the automatic rejection is recorded', async () => {
    await setup();
    await h.plans.executePlan(onboarding({ timeout: 1_000 }));
    h.clock.advance(2_000);
    expect(await thrown(h.plans.confirm(PLAN_ID, 'order', { confirmed: true }))).toMatchObject({ detail: { code: 'CONFIRMATION_TIMED_OUT' } });
    expect((await h.plans.getPlan(PLAN_ID))?.actionStates['order']?.result).toMatchObject({ error: { code: 'CONFIRMATION_TIMEOUT' } });
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
  });
});

describe('plan runner: cancel', () => {
  it('cancel: the running action is cancelled (its request aborted), nothing new starts, and the plan ends cancelled', async () => {
    await setup();
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' }, hang: true }]);
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    api.onRequest = () => arrived();
    const running = h.plans.executePlan(onboarding());
    await requestArrived;
    const cancelled = await h.plans.cancelPlan(PLAN_ID, 'operator changed their mind');
    expect(await running).toEqual(cancelled);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.actionStates['get_user']?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CANCELLED' } });
    expect(cancelled.actionStates['order']?.result).toEqual({ status: 'skipped', reason: 'Not run: the plan was cancelled.' });
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
    expect(await h.plans.getPlan(PLAN_ID)).toEqual(cancelled);
  });

  it('cancel a paused plan: its waiting action is skipped and the plan ends cancelled; cancelling again returns the same state', async () => {
    await setup();
    await h.plans.executePlan(onboarding());
    const state = await h.reopenPlans().cancelPlan(PLAN_ID);
    expect(state.status).toBe('cancelled');
    expect(state.actionStates['order']?.result).toEqual({ status: 'skipped', reason: 'Not run: the plan was cancelled.' });
    expect(state.confirmations[0]?.confirmed).toBeUndefined(); // the request stays unanswered
    expect(await h.plans.cancelPlan(PLAN_ID)).toEqual(state);
  });
});

describe('plan runner: events', () => {
  it('plan.confirmation.requested, then plan.execute.completed, go through the outbox beside the action events', async () => {
    const events: ExecutorEvent[] = [];
    await setup({ onEvent: (event) => void events.push(event) });
    await h.plans.executePlan(onboarding({ timeout: 60_000 }));
    const requested = events.find((event) => event.type === 'plan.confirmation.requested');
    expect(requested).toMatchObject({ executionId: PLAN_ID, actionId: '@plan', payload: { planId: PLAN_ID, actionId: 'order', title: 'Run order?', status: 'requested', timeoutAt: iso(h.clock.now() + 60_000) } });
    const final = await h.plans.confirm(PLAN_ID, 'order', { confirmed: true });
    expect(events.filter((event) => event.actionId === '@plan').map((event) => event.type)).toEqual(['plan.confirmation.requested', 'plan.execute.completed']);
    expect(events.find((event) => event.type === 'plan.execute.completed')?.payload).toEqual(final);
    expect(events.filter((event) => event.type === 'action.execute.completed').map((event) => event.actionId)).toEqual(['get_user', 'order', 'note']);
  });

  it('a failed or cancelled plan sends plan.execute.failed with its final state', async () => {
    const events: ExecutorEvent[] = [];
    await setup({ onEvent: (event) => void events.push(event) });
    await h.plans.executePlan(onboarding());
    const state = await h.plans.cancelPlan(PLAN_ID);
    expect(events.filter((event) => event.type === 'plan.execute.failed').map((event) => event.payload)).toEqual([state]);
  });
});
