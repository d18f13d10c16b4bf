/**
 * The viewer's plans pages without a browser (issue 12 "Plans"): the pages and the plans list, and
 * the plan page's model — the DAG with each action's status and why. Plans are run by a "CLI"
 * process on a real local API until they pause or end; the viewer, another lease owner on the same
 * journal, shows them over real sockets on 127.0.0.1. Answering them: viewer-plan-answers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanViewerScenario, mixedPlan, onboardingPlan, PLAN_IDS, type PlanViewerScenario } from './support/plan-viewer-scenario.ts';
import { rawRequest } from './support/viewer-client.ts';

const ids = (page: { plans: { planId: string }[] }) => page.plans.map((p) => p.planId);
/** A DAG node as served (the fields these tests read; the rest is loose JSON). */
type NodeJson = { actionId: string; status: string; reason?: string; execution?: string; [field: string]: unknown };

describe('viewer plans: the list and the plan page', () => {
  let s: PlanViewerScenario;
  let port: number;
  beforeAll(async () => {
    s = await createPlanViewerScenario();
    port = s.viewer.port;
    // Oldest first: mixed (paused), confirm (paused), done (confirmed, completed), cancel (cancelled).
    await s.cli.executePlan(mixedPlan());
    s.h.clock.advance(1000);
    await s.cli.executePlan(onboardingPlan(PLAN_IDS.confirm, 'Waiting'));
    s.h.clock.advance(1000);
    await s.cli.executePlan(onboardingPlan(PLAN_IDS.done, 'Done'));
    await s.cli.confirm(PLAN_IDS.done, 'order', { confirmed: true, userId: 'ops@example.com' });
    s.h.clock.advance(1000);
    await s.cli.executePlan(onboardingPlan(PLAN_IDS.cancel, 'Called off'));
    await s.cli.cancelPlan(PLAN_IDS.cancel, 'not today');
  });
  afterAll(async () => s?.cleanup());

  it('GET /plans and /plans/:planId serve pages with the session token and the CSP; their assets are shipped', async () => {
    for (const path of ['/plans', `/plans/${PLAN_IDS.mixed}`]) {
      const page = await rawRequest(port, { path });
      expect(page.status, path).toBe(200);
      expect(page.text).toContain(`<meta name="viewer-token" content="${s.viewer.token}">`);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    for (const asset of ['plan.js', 'plans.js', 'plan.css']) expect((await rawRequest(port, { path: `/assets/${asset}` })).status, asset).toBe(200);
    // Every page links to the plans list.
    expect((await rawRequest(port, { path: '/' })).text).toContain('<a href="/plans">Plans</a>');
  });

  it('GET /api/plans lists the plan runs alone, newest first, with status, metrics and the confirmations they wait for', async () => {
    const page = (await rawRequest(port, { path: '/api/plans' })).json();
    expect(ids(page)).toEqual([PLAN_IDS.cancel, PLAN_IDS.done, PLAN_IDS.confirm, PLAN_IDS.mixed]);
    expect(page.total).toBe(4);
    expect(page.plans.map((p: { status: string }) => p.status)).toEqual(['cancelled', 'completed', 'paused_for_confirmation', 'paused_for_confirmation']);
    expect(page.plans[3]).toMatchObject({ name: 'Every status', awaitingConfirmation: ['order'], metrics: { totalActions: 7, completedActions: 3, failedActions: 1, skippedActions: 1 }, lease: { holder: 'none' } });
    expect(page.plans[1].awaitingConfirmation).toEqual([]);
    // The executions list still shows the actions, and no plan row.
    const executions = (await rawRequest(port, { path: '/api/executions?limit=200' })).json();
    expect(executions.executions.some((e: { actionId: string }) => e.actionId === '@plan')).toBe(false);
    expect(executions.executions.some((e: { executionId: string; actionId: string }) => e.executionId === PLAN_IDS.mixed && e.actionId === 'lookup')).toBe(true);
  });

  it('the status filter tells a paused plan from a running one and a cancelled one from a failed one; limit, offset and q page and search', async () => {
    const list = async (query: string): Promise<{ plans: { planId: string }[] }> => (await rawRequest(port, { path: `/api/plans?${query}` })).json() as { plans: { planId: string }[] };
    expect(ids(await list('status=paused_for_confirmation'))).toEqual([PLAN_IDS.confirm, PLAN_IDS.mixed]);
    expect(ids(await list('status=cancelled'))).toEqual([PLAN_IDS.cancel]);
    expect(ids(await list('status=failed'))).toEqual([]);
    expect(ids(await list('status=running'))).toEqual([]);
    expect(ids(await list('status=completed,cancelled'))).toEqual([PLAN_IDS.cancel, PLAN_IDS.done]);
    const second = await list('limit=1&offset=1');
    expect(second).toMatchObject({ total: 4, limit: 1, offset: 1 });
    expect(ids(second)).toEqual([PLAN_IDS.done]);
    expect(ids(await list(`q=${PLAN_IDS.confirm.slice(0, 8)}`))).toEqual([PLAN_IDS.confirm]);
  });

  it('a bad query parameter is a 400 that names it and what it takes', async () => {
    const status = await rawRequest(port, { path: '/api/plans?status=paused' });
    expect(status.status).toBe(400);
    expect(status.json().error.message).toBe('query parameter status: "paused" is not one of initializing, running, paused_for_confirmation, completed, failed, cancelled');
    expect((await rawRequest(port, { path: '/api/plans?limit=0' })).json().error.message).toContain('query parameter limit');
  });

  it('GET /api/plans/:planId: each action of the DAG with its status and why, its level, its edges and the alternative marked', async () => {
    const view = (await rawRequest(port, { path: `/api/plans/${PLAN_IDS.mixed}` })).json();
    const nodes = view.graph.nodes as NodeJson[];
    const node = (id: string): NodeJson | undefined => nodes.find((n) => n.actionId === id);
    expect(Object.fromEntries(view.graph.nodes.map((n: { actionId: string; status: string }) => [n.actionId, n.status]))).toEqual({
      lookup: 'completed',
      flag: 'completed',
      gated: 'skipped',
      broken: 'failed',
      fallback_note: 'completed',
      order: 'waiting_confirmation',
      after_order: 'pending',
    });
    expect(node('gated')?.reason).toBe('Condition ${flag.output.enabled} is false, and the action says else: "skip".');
    expect(node('broken')).toMatchObject({ error: { category: 'api_endpoint_removed' }, alternative: 'fallback_note' });
    expect(node('broken')?.reason).toMatch(/^api_endpoint_removed: GET .*\/status\/404 returned 404/);
    expect(node('fallback_note')).toMatchObject({ alternativeFor: 'broken', reason: 'stood in for broken', column: 0 });
    expect(node('order')).toMatchObject({ reason: 'waits for an answer to "Run order?"', confirmation: { title: 'Run order?' }, column: 1 });
    expect(node('after_order')).toMatchObject({ reason: 'waits for order', column: 2 });
    expect(view.graph.levels).toEqual([['lookup', 'flag', 'broken'], ['gated', 'order'], ['after_order']]);
    expect(view.graph.edges.map((e: { from: string; to: string; kind: string }) => `${e.from}→${e.to} ${e.kind}`).sort()).toEqual(['broken→fallback_note alternative', 'flag→gated dependency', 'lookup→order dependency', 'order→after_order dependency']);
    // Links go to the executions the journal has: none for actions that never started.
    expect(node('lookup')?.execution).toBe(`/executions/${PLAN_IDS.mixed}/lookup`);
    expect(node('order')?.execution).toBeUndefined();
    expect(node('after_order')?.execution).toBeUndefined();
    expect(view).toMatchObject({ status: 'paused_for_confirmation', terminal: false, lease: { holder: 'none' }, actions: { cancel: true, answer: true } });
    expect(view.pending).toEqual([{ actionId: 'order', title: 'Run order?', message: 'About to run order', requestedAt: view.confirmations[0].requestedAt }]);
    expect(view.metrics).toMatchObject({ totalActions: 7, completedActions: 3, failedActions: 1, skippedActions: 1 });
    // The final section: the plan's ExecutionState as getPlan gives it.
    expect(view.state).toEqual(JSON.parse(JSON.stringify(await s.feature.plans.getPlan(PLAN_IDS.mixed))));
  });

  it('a plan that is over offers no buttons and keeps its confirmation history', async () => {
    const done = (await rawRequest(port, { path: `/api/plans/${PLAN_IDS.done}` })).json();
    expect(done).toMatchObject({ status: 'completed', terminal: true, actions: { cancel: false, answer: false }, pending: [], missing: { auth: [], definitions: [] } });
    expect(done.confirmations).toEqual([expect.objectContaining({ actionId: 'order', confirmed: true, userId: 'ops@example.com' })]);
    const cancelled = (await rawRequest(port, { path: `/api/plans/${PLAN_IDS.cancel}` })).json();
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.graph.nodes.map((n: { status: string }) => n.status)).toEqual(['completed', 'skipped', 'skipped']);
  });

  it('an unknown plan is a 404 that says so, for the page data and its stream', async () => {
    const missing = '99999999-0000-4000-8000-000000000009';
    for (const path of [`/api/plans/${missing}`, `/api/plans/${missing}/stream`]) {
      const response = await rawRequest(port, { path });
      expect(response.status, path).toBe(404);
      expect(response.json().error.message).toBe(`no plan run ${missing} in the journal`);
    }
  });
});
