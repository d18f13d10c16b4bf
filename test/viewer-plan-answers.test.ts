/**
 * Answering plans in the viewer, without a browser (issue 12 "Plans"): the Confirm / Reject / Cancel
 * POSTs through the plan executor — refused without the session token, answered at the commit that
 * records them while the plan runs on in the viewer — every refusal with its status, the live stream,
 * the bounds, a failure after the answer noted on the page, what the viewer lacks to run a plan on,
 * and the canary credential that never appears in any response. Plans are run by a "CLI" process on a
 * real local API until they pause; the viewer, another lease owner on the same journal, answers them
 * over real sockets on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planKey } from '../src/plans/plan-record.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import { action, plan } from './support/plan-fixtures.ts';
import { createPlanViewerScenario, onboardingPlan, PLAN_IDS, type PlanViewerScenario, type PlanViewerScenarioOptions } from './support/plan-viewer-scenario.ts';
import { openSse, pagePost, rawRequest } from './support/viewer-client.ts';
import { until } from './support/until.ts';

const confirmPath = (planId: string, actionId: string) => `/api/plans/${planId}/confirm/${actionId}`;
const row = async (sc: PlanViewerScenario, planId: string) => sc.h.executor.journal.get(planKey(planId));

describe('viewer plans: Confirm, Reject and Cancel', () => {
  let s: PlanViewerScenario | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });
  async function paused(planId: string = PLAN_IDS.confirm, options: PlanViewerScenarioOptions = {}, confirm: { timeout?: number } = {}): Promise<PlanViewerScenario> {
    s = await createPlanViewerScenario(options);
    await s.cli.executePlan(onboardingPlan(planId, 'Onboarding', confirm));
    return s;
  }

  it('a Confirm, Reject or Cancel POST without the session token, or from another origin, is refused (403) and changes nothing', async () => {
    const sc = await paused();
    const before = await row(sc, PLAN_IDS.confirm);
    const json = { 'content-type': 'application/json' };
    for (const path of [confirmPath(PLAN_IDS.confirm, 'order'), `/api/plans/${PLAN_IDS.confirm}/cancel`]) {
      const bare = await rawRequest(sc.viewer.port, { method: 'POST', path, headers: json, body: '{"confirmed":true}' });
      expect(bare.status, path).toBe(403);
      expect(bare.json().error.message).toContain('x-viewer-token');
      const foreign = await pagePost(sc.viewer.port, path, sc.viewer.token, { confirmed: true }, { origin: 'http://evil.example' });
      expect(foreign.status, path).toBe(403);
      expect(foreign.json().error.message).toContain('Origin "http://evil.example" is not this viewer');
    }
    const after = await row(sc, PLAN_IDS.confirm);
    expect(after?.updatedAt).toBe(before?.updatedAt);
    expect(after?.stateValue).toBe('paused_for_confirmation');
    expect(sc.api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('Confirm answers once the answer is journaled; the plan then runs on in the viewer (its lease) to completed, the order placed once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sc = await paused(PLAN_IDS.confirm, { routes: { 'POST /orders': [{ status: 201, body: { orderId: 'ord_9', status: 'pending' }, gate }] } });
    const answered = await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.confirm, 'order'), sc.viewer.token, { confirmed: true, userId: 'ops@example.com' });
    expect(answered.status).toBe(202); // the order is held by the API: the plan is not over
    expect(answered.json()).toMatchObject({ recorded: true, confirmation: { actionId: 'order', confirmed: true, userId: 'ops@example.com' } });
    await until(() => sc.api.hitsFor('POST /orders').length === 1, 'the confirmed order to reach the API');
    const running = (await rawRequest(sc.viewer.port, { path: `/api/plans/${PLAN_IDS.confirm}` })).json();
    expect(running).toMatchObject({ status: 'running', lease: { holder: 'this viewer' }, pending: [] });
    expect(running.graph.nodes.find((n: { actionId: string }) => n.actionId === 'order').status).toBe('running');
    release();
    await until(async () => (await row(sc, PLAN_IDS.confirm))?.stateValue === 'completed', 'the plan to complete in the viewer');
    expect(sc.api.effects.size).toBe(2); // one order, one note
    expect([...sc.api.effects.values()]).toEqual([1, 1]);
    const done = (await rawRequest(sc.viewer.port, { path: `/api/plans/${PLAN_IDS.confirm}` })).json();
    expect(done.graph.nodes.map((n: { status: string }) => n.status)).toEqual(['completed', 'completed', 'completed']);
    expect(done.note).toBeUndefined();
    expect(sc.feature.activity.waiting).toBe(0);
  });

  it('Reject ends the action failed (user_cancelled, CONFIRMATION_REJECTED) with who rejected it; its dependent is skipped and nothing is sent', async () => {
    const sc = await paused(PLAN_IDS.reject);
    const answered = await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.reject, 'order'), sc.viewer.token, { confirmed: false, userId: 'ops@example.com' });
    expect([200, 202]).toContain(answered.status);
    expect(answered.json()).toMatchObject({ recorded: true, confirmation: { confirmed: false, userId: 'ops@example.com' } });
    await until(async () => (await row(sc, PLAN_IDS.reject))?.stateValue === 'failed', 'the plan to end');
    const view = (await rawRequest(sc.viewer.port, { path: `/api/plans/${PLAN_IDS.reject}` })).json();
    const order = view.graph.nodes.find((n: { actionId: string }) => n.actionId === 'order');
    expect(order).toMatchObject({ status: 'failed', error: { category: 'user_cancelled', code: 'CONFIRMATION_REJECTED' } });
    expect(order.reason).toContain('user ops@example.com rejected the confirmation "Run order?"');
    expect(view.graph.nodes.find((n: { actionId: string }) => n.actionId === 'note').status).toBe('skipped');
    expect(sc.api.hitsFor('POST /orders')).toHaveLength(0);
    expect(sc.api.hitsFor('POST /notes')).toHaveLength(0);
  });

  it('Cancel ends a paused plan cancelled through cancelPlan; a second Cancel is a 409', async () => {
    const sc = await paused(PLAN_IDS.cancel);
    const cancelled = await pagePost(sc.viewer.port, `/api/plans/${PLAN_IDS.cancel}/cancel`, sc.viewer.token, { reason: 'changed my mind' });
    expect([200, 202]).toContain(cancelled.status);
    expect(cancelled.json()).toMatchObject({ recorded: true, planId: PLAN_IDS.cancel });
    await until(async () => (await row(sc, PLAN_IDS.cancel))?.stateValue === 'cancelled', 'the plan to be cancelled');
    const transitions = await sc.h.executor.journal.listTransitions(planKey(PLAN_IDS.cancel));
    expect(transitions.find((t) => t.event === 'CANCEL')?.data).toEqual({ reason: 'changed my mind' });
    const again = await pagePost(sc.viewer.port, `/api/plans/${PLAN_IDS.cancel}/cancel`, sc.viewer.token, {});
    expect(again.status).toBe(409);
    expect(again.json().error).toEqual({ message: `plan ${PLAN_IDS.cancel} already ended (cancelled); there is nothing to cancel`, code: 'ALREADY_ENDED' });
    expect(sc.api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('answers the plan executor refuses are answered with its reason: unknown plan or action 404, nothing asked 409, a changed answer 409, a bad body 400', async () => {
    const sc = await paused();
    const ask = (planId: string, actionId: string, payload: unknown) => pagePost(sc.viewer.port, confirmPath(planId, actionId), sc.viewer.token, payload);
    const unknownPlan = await ask('99999999-0000-4000-8000-000000000009', 'order', { confirmed: true });
    expect(unknownPlan.status).toBe(404);
    const unknownAction = await ask(PLAN_IDS.confirm, 'nope', { confirmed: true });
    expect(unknownAction.status).toBe(404);
    expect(unknownAction.json().error).toMatchObject({ code: 'UNKNOWN_ACTION', message: expect.stringContaining('has no action "nope" (its actions: get_user, order, note)') });
    const nothingAsked = await ask(PLAN_IDS.confirm, 'get_user', { confirmed: true });
    expect(nothingAsked.status).toBe(409);
    expect(nothingAsked.json().error.code).toBe('NO_CONFIRMATION');
    const badBody = await ask(PLAN_IDS.confirm, 'order', { confirmed: 'yes' });
    expect(badBody.status).toBe(400);
    expect(badBody.json().error.message).toMatch(/^answer .* \/ order: the body must be \{"confirmed": boolean, "userId"\?: string\}: \$\.confirmed: /);
    expect((await ask(PLAN_IDS.confirm, 'order', { confirmed: true, extra: 1 })).status).toBe(400);
    expect(await row(sc, PLAN_IDS.confirm)).toMatchObject({ stateValue: 'paused_for_confirmation' });
    // Answered, then answered the other way: refused, naming the first answer.
    await ask(PLAN_IDS.confirm, 'order', { confirmed: false, userId: 'first' });
    await until(async () => (await row(sc, PLAN_IDS.confirm))?.stateValue === 'failed', 'the rejected plan to end');
    const changed = await ask(PLAN_IDS.confirm, 'order', { confirmed: true, userId: 'second' });
    expect(changed.status).toBe(409);
    expect(changed.json().error).toMatchObject({ code: 'ALREADY_ANSWERED', message: expect.stringContaining('rejected by first') });
    const same = await ask(PLAN_IDS.confirm, 'order', { confirmed: false, userId: 'first' });
    // The same answer again is harmless: it says what is recorded.
    expect([200, 202]).toContain(same.status);
    expect(same.json()).toMatchObject({ recorded: true, confirmation: { confirmed: false, userId: 'first' } });
  });

  it('an answer after the deadline is a 409 saying it timed out; the automatic rejection is what the journal records', async () => {
    const sc = await paused(PLAN_IDS.confirm, {}, { timeout: 60_000 });
    sc.h.clock.advance(120_000);
    const late = await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.confirm, 'order'), sc.viewer.token, { confirmed: true, userId: 'late' });
    expect(late.status).toBe(409);
    expect(late.json().error.code).toBe('CONFIRMATION_TIMED_OUT');
    await until(async () => (await row(sc, PLAN_IDS.confirm))?.stateValue === 'failed', 'the timed-out plan to end');
    const view = (await rawRequest(sc.viewer.port, { path: `/api/plans/${PLAN_IDS.confirm}` })).json();
    expect(view.confirmations).toEqual([{ actionId: 'order', requestedAt: expect.any(String), respondedAt: expect.any(String), confirmed: false }]);
    expect(view.graph.nodes.find((n: { actionId: string }) => n.actionId === 'order').error.code).toBe('CONFIRMATION_TIMEOUT');
    expect(sc.api.hitsFor('POST /orders')).toHaveLength(0);
    expect(view.note).toBeUndefined(); // the 409 said it; no second report
  });

  it('a plan another live process drives cannot be answered here: the page says why the buttons are off, and a POST is a 409 LEASE_HELD naming that process', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    s = await createPlanViewerScenario({ routes: { 'GET /users/u_slow': [{ status: 200, body: { id: 'u_slow' }, gate }] } });
    const sc = s;
    // The CLI drives a slow branch while the other one waits for its answer.
    const driving = sc.cli.executePlan(plan([action('slow', { inputs: { userId: 'u_slow' } }), action('ask', { definition: 'send-note', inputs: { to: 'ops' }, confirm: {} })]));
    try {
      await until(() => sc.api.hitsFor('GET /users/u_slow').length === 1, 'the slow branch to be in flight');
      const planId = (await sc.feature.plans.listPlans()).plans[0]?.planId ?? '';
      await until(async () => ((await sc.feature.plans.getPlan(planId))?.confirmations.length ?? 0) === 1, 'the confirmation request');
      const view = (await rawRequest(sc.viewer.port, { path: `/api/plans/${planId}` })).json();
      expect(view).toMatchObject({ status: 'running', lease: { holder: 'another process', pid: process.pid }, actions: { cancel: true, answer: false } });
      expect(view.actions.why).toMatch(/^pid \d+ on .* drives this plan \(lease until .*\): it takes answers only once it stops or waits with nothing running/);
      const refused = await pagePost(sc.viewer.port, confirmPath(planId, 'ask'), sc.viewer.token, { confirmed: true });
      expect(refused.status).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'LEASE_HELD', message: expect.stringMatching(/is being driven by another live process \(pid \d+ on /) });
      expect(sc.api.hitsFor('POST /notes')).toHaveLength(0);
    } finally {
      release();
      await driving;
    }
  });

  it('the plan stream sends the page at once and again as the plan changes: paused, the answered action running, completed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sc = await paused(PLAN_IDS.confirm, { routes: { 'POST /orders': [{ status: 201, body: { orderId: 'ord_2', status: 'pending' }, gate }] } });
    const stream = await openSse(sc.viewer.port, `/api/plans/${PLAN_IDS.confirm}/stream`);
    try {
      const first = await stream.next();
      expect(first.event).toBe('plan');
      expect(first.data).toMatchObject({ status: 'paused_for_confirmation', pending: [{ actionId: 'order' }] });
      await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.confirm, 'order'), sc.viewer.token, { confirmed: true });
      await until(() => sc.api.hitsFor('POST /orders').length === 1, 'the order in flight');
      await sc.viewer.context.feed.tick();
      const running = await stream.next();
      expect(running.data.graph.nodes.find((n: { actionId: string }) => n.actionId === 'order').status).toBe('running');
      release();
      await until(async () => (await row(sc, PLAN_IDS.confirm))?.stateValue === 'completed', 'the plan to complete');
      await sc.viewer.context.feed.tick();
      const done = await stream.next();
      expect(done.data).toMatchObject({ status: 'completed', terminal: true });
    } finally {
      release();
      stream.close();
    }
  });

  it('a failure after the answer was recorded is put on the plan page as a note and reported on the terminal, never left unhandled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const warnings: string[] = [];
    // The commit that records the order's end fails, as a journal that went away would.
    const feature = withTestHooks({}, {
      faultHook: (point) => {
        if (point.startsWith('plan:ACTION_COMPLETED')) throw new Error('simulated journal failure');
      },
    });
    const sc = await paused(PLAN_IDS.confirm, { feature, viewer: { warn: (line) => warnings.push(line) }, routes: { 'POST /orders': [{ status: 201, body: { orderId: 'ord_4', status: 'pending' }, gate }] } });
    const answered = await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.confirm, 'order'), sc.viewer.token, { confirmed: true, userId: 'ops' });
    expect(answered.json()).toMatchObject({ recorded: true });
    release();
    await until(() => sc.viewer.backgroundWork === 0, 'the plan drive to stop');
    const view = (await rawRequest(sc.viewer.port, { path: `/api/plans/${PLAN_IDS.confirm}` })).json();
    expect(view.note).toEqual({ at: expect.any(String), message: 'confirm failed: simulated journal failure' });
    expect(warnings).toEqual([`viewer: confirm (plan ${PLAN_IDS.confirm}) failed: simulated journal failure`]);
    // The answer holds; the plan continues from the journal on the next resume, as after any crash.
    expect(view.confirmations[0]).toMatchObject({ confirmed: true, userId: 'ops' });
    expect(view.lease).toEqual({ holder: 'none' });
  });

  it('more plans driven at once than maxDriven: the next answer is a 503, and the plan is left as it was', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sc = await paused(PLAN_IDS.confirm, { feature: { maxDriven: 1 }, routes: { 'POST /orders': [{ status: 201, body: { orderId: 'ord_3', status: 'pending' }, gate }] } });
    await sc.cli.executePlan(onboardingPlan(PLAN_IDS.reject, 'Second'));
    try {
      expect((await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.confirm, 'order'), sc.viewer.token, { confirmed: true })).status).toBe(202);
      const second = await pagePost(sc.viewer.port, confirmPath(PLAN_IDS.reject, 'order'), sc.viewer.token, { confirmed: true });
      expect(second.status).toBe(503);
      expect(second.json().error).toEqual({ message: 'this viewer drives 1 plans already (the limit); wait for one to pause or end', code: 'TOO_MANY_PLANS' });
      expect(await row(sc, PLAN_IDS.reject)).toMatchObject({ stateValue: 'paused_for_confirmation' });
    } finally {
      release();
      await until(async () => (await row(sc, PLAN_IDS.confirm))?.stateValue === 'completed', 'the first plan to complete');
    }
  });
});

describe('viewer plans: credentials', () => {
  const CANARY = 'canary-plan-5d1e8f2a9c';
  let s: PlanViewerScenario | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });
  /** lookup → order (asks first) → secret, which sends the TOKEN credential and gets it echoed back. */
  const secretPlan = () =>
    plan([
      action('lookup', { inputs: { userId: 'u_1' } }),
      action('order', { definition: 'create-order', deps: ['lookup'], inputs: { customerId: '${lookup.output.id}', amount: 5 }, confirm: {} }),
      action('secret', { definition: 'get-secret', deps: ['order'] }),
    ]);
  const echo = { 'GET /secret': [{ status: 200, body: { echoed: `Bearer ${CANARY}`, note: `you sent ${CANARY}` }, headers: { 'x-echo': CANARY } }] };

  it('a canary credential sent by an action the viewer ran after a Confirm, and echoed by the API, appears in no response', async () => {
    s = await createPlanViewerScenario({ feature: { credentials: { TOKEN: CANARY } }, routes: echo });
    const sc = s;
    const paused = await sc.cli.executePlan(secretPlan(), { credentials: { TOKEN: CANARY } });
    await pagePost(sc.viewer.port, confirmPath(paused.id, 'order'), sc.viewer.token, { confirmed: true, userId: 'ops' });
    await until(async () => (await row(sc, paused.id))?.stateValue === 'completed', 'the plan to complete');
    expect(sc.api.hitsFor('GET /secret')[0]?.headers.authorization).toBe(`Bearer ${CANARY}`); // it was really sent, by the viewer
    const bodies: string[] = [];
    for (const path of ['/plans', `/plans/${paused.id}`, '/api/plans', `/api/plans/${paused.id}`, `/api/executions/${paused.id}/secret`]) {
      const response = await rawRequest(sc.viewer.port, { path });
      expect(response.status, path).toBe(200);
      bodies.push(response.text, JSON.stringify(response.headers));
    }
    for (const path of [`/api/plans/${paused.id}/stream`, '/api/plans/stream']) {
      const stream = await openSse(sc.viewer.port, path);
      await stream.next();
      bodies.push(stream.raw);
      stream.close();
    }
    const everything = bodies.join('\n');
    expect(everything).toContain('[REDACTED]');
    expect(everything).toContain('"secret"');
    expect(everything).not.toContain(CANARY);
  });

  it('without --credentials the page names the credentials the plan was given that the viewer lacks, and the action they were for fails saying which', async () => {
    s = await createPlanViewerScenario({ routes: echo });
    const sc = s;
    const paused = await sc.cli.executePlan(secretPlan(), { credentials: { TOKEN: CANARY } });
    const before = (await rawRequest(sc.viewer.port, { path: `/api/plans/${paused.id}` })).json();
    expect(before.missing).toEqual({ auth: ['TOKEN'], definitions: [] });
    await pagePost(sc.viewer.port, confirmPath(paused.id, 'order'), sc.viewer.token, { confirmed: true });
    await until(async () => (await row(sc, paused.id))?.stateValue === 'failed', 'the plan to end');
    const after = (await rawRequest(sc.viewer.port, { path: `/api/plans/${paused.id}` })).json();
    const secret = after.graph.nodes.find((n: { actionId: string }) => n.actionId === 'secret');
    expect(secret.status).toBe('failed');
    expect(secret.error).toMatchObject({ category: 'auth_invalid', code: 'CREDENTIAL_MISSING' });
    expect(secret.reason).toContain('needs credential "TOKEN"');
    expect(sc.api.hitsFor('GET /secret')).toHaveLength(0);
    expect(sc.api.hitsFor('POST /orders')).toHaveLength(1);
  });
});
