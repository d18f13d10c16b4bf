/**
 * Issue 11, end to end: plans run through the durable plan runner against a real local API. One test
 * per rule, titled after it; the pure scheduler's own table is test/plan-scheduler.test.ts, so these
 * check what only the runner does — what reaches the API, what the journal records, and when.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createPlanHarness, planDefinitions, type PlanHarness } from './support/plan-harness.ts';
import { action, plan, PLAN_ID } from './support/plan-fixtures.ts';
import { definition } from './support/executor-harness.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import { InfrastructureError } from '../src/failure/errors.ts';

let api: ScriptedApi;
let h: PlanHarness;
afterEach(async () => {
  await h?.cleanup();
  await api?.close();
});

async function setup(routes: Record<string, Parameters<ScriptedApi['script']>[1]> = {}, extra: Parameters<typeof createPlanHarness>[1] = {}): Promise<void> {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada', email: 'ada@example.com' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
  api.script('POST /notes', [{ status: 201, body: { noteId: 'n_1' } }]);
  for (const [route, responses] of Object.entries(routes)) api.script(route, responses);
  h = createPlanHarness(planDefinitions(api.url), extra);
}

const body = (route: string, index = 0): Record<string, unknown> => JSON.parse(api.hitsFor(route)[index]?.body ?? 'null') as Record<string, unknown>;

describe('plan runner: scheduling', () => {
  it('each action is a durable execution keyed (plan.id, action.id), started with its transitive dependencies\' outputs as previousResults', async () => {
    await setup();
    const p = plan([
      action('get_user', { inputs: { userId: 'u_1' } }),
      action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 } }),
      action('note', { definition: 'send-note', deps: ['order'], inputs: { to: '${get_user.output.email}', text: 'order ${order.output.orderId} for ${get_user.output.name}' } }),
    ]);
    const state = await h.plans.executePlan(p);
    expect(state.status).toBe('completed');
    expect(body('POST /orders')).toEqual({ customerId: 'u_1', amount: 5 });
    // ${get_user…} two levels down resolves: previousResults hold every transitive dependency.
    expect(body('POST /notes')).toEqual({ to: 'ada@example.com', text: 'order ord_1 for Ada' });
    for (const id of ['get_user', 'order', 'note']) {
      const timeline = await h.executor.timeline(PLAN_ID, id);
      expect(timeline?.summary.status, id).toBe('completed');
      expect(state.actionStates[id]).toEqual(await h.executor.get(PLAN_ID, id));
    }
    // The plan's own row keeps each action's status, not its output (the action's execution holds that).
    const row = await h.executor.journal.get({ executionId: PLAN_ID, actionId: '@plan' });
    expect((row?.snapshot as { actions: Record<string, object> }).actions['get_user']).toEqual({ status: 'completed', startedAt: expect.any(Number), endedAt: expect.any(Number) });
    const order = await h.executor.journal.get({ executionId: PLAN_ID, actionId: 'order' });
    expect((order?.request as { context: { previousResults: Record<string, string> } }).context.previousResults).toEqual({ get_user: JSON.stringify({ id: 'u_1', name: 'Ada', email: 'ada@example.com' }) });
  });

  it('independent actions run in parallel, at most maxConcurrency at once (default 4)', async () => {
    // A gate server: requests are held until the test lets one go, so "at once" is exact, not timing.
    const held: ServerResponse[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let arrived = 0;
    const gate = createServer((req, res) => {
      req.resume();
      arrived += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      held.push(res);
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
    /** Lets the requests go one at a time, each once `width` are held (or all that are left). */
    const release = async (count: number, width: number): Promise<void> => {
      for (let released = 0; released < count; released += 1) {
        const wanted = Math.min(width, count - released);
        // Bounded wait: the runner starts the next action as soon as a slot frees up.
        for (let tries = 0; held.length < wanted && tries < 400; tries += 1) await new Promise((r) => setTimeout(r, 5));
        const res = held.shift();
        if (!res) throw new Error(`no request arrived to release (${released} of ${count} released)`);
        inFlight -= 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    };
    api = await startScriptedApi();
    h = createPlanHarness([{ ...definition(url), id: 'slow', endpoint: { url: `${url}/slow/{n}`, method: 'GET', headers: {}, timeout: 10_000 }, inputSchema: { n: 'string' } }]);
    try {
      const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (const [limit, planId] of [[undefined, PLAN_ID], [2, '3b1d4c5e-6f70-4a81-9b2c-3d4e5f607182']] as const) {
        maxInFlight = 0;
        arrived = 0;
        const p = { ...plan(ids.map((id) => action(id, { definition: 'slow', inputs: { n: id } }))), id: planId as typeof PLAN_ID };
        const done = h.plans.executePlan(p, limit === undefined ? {} : { maxConcurrency: limit });
        await release(ids.length, limit ?? 4);
        const state = await done;
        expect(state.status).toBe('completed');
        expect(arrived).toBe(ids.length);
        expect(maxInFlight, `maxConcurrency ${limit ?? 'default'}`).toBe(limit ?? 4);
      }
    } finally {
      for (const res of held) res.destroy();
      gate.closeAllConnections();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
    }
  });

  it('journal before effect: the decision that starts an action is committed before its request reaches the API', async () => {
    await setup();
    const reader = () => new Database(h.dbPath, { readonly: true, fileMustExist: true });
    const seen: string[] = [];
    api.onRequest = (hit) => {
      // Read synchronously, from another connection, at the instant the request arrives.
      const db = reader();
      const rows = db.prepare("SELECT event, event_json FROM transitions WHERE execution_id = ? AND action_id = '@plan' ORDER BY seq").all(PLAN_ID) as { event: string; event_json: string | null }[];
      db.close();
      const started = rows.filter((row) => row.event === 'DECIDED').flatMap((row) => (JSON.parse(row.event_json ?? '{}') as { start?: string[] }).start ?? []);
      seen.push(`${hit.method} ${hit.path}: started ${started.join(',')}`);
    };
    const p = plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 } })]);
    expect((await h.plans.executePlan(p)).status).toBe('completed');
    expect(seen).toEqual(['GET /users/u_1: started get_user', 'POST /orders: started get_user,order']);
  });

  it('an action that ends and leads to nothing new is journaled with the next decision, not in a commit of its own', async () => {
    const commits: string[] = [];
    await setup({ 'POST /orders': [{ status: 201, body: { orderId: 'ord_1' }, delayMs: 30 }] }, withTestHooks({}, { faultHook: (point) => void commits.push(point) }));
    const p = plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', inputs: { customerId: 'u_1', amount: 5 } })]);
    expect((await h.plans.executePlan(p)).status).toBe('completed');
    // Whichever ends first starts nothing: its end waits for the commit of the decision the other one leads to.
    expect(commits).toEqual(['plan:DECIDED:running', 'plan:ACTION_COMPLETED+ACTION_COMPLETED+DECIDED:completed']);
  });
});

describe('plan runner: conditions and errorHandling', () => {
  it('condition false with else "skip" ends the action skipped with the reason; else "fail" ends it failed (validation_failed) naming the condition', async () => {
    await setup({ 'GET /flags/beta': [{ status: 200, body: { enabled: false } }] });
    const p = plan([
      action('flag', { definition: 'get-flag', inputs: { flag: 'beta' } }),
      action('maybe', { definition: 'send-note', deps: ['flag'], inputs: { to: 'x' }, condition: { if: '${flag.output.enabled}', else: 'skip' } }),
      action('must', { definition: 'send-note', deps: ['flag'], inputs: { to: 'y' }, condition: { if: '${flag.output.enabled}', else: 'fail' }, continueOnFailure: true }),
    ]);
    const state = await h.plans.executePlan(p);
    expect(state.actionStates['maybe']?.result).toEqual({ status: 'skipped', reason: 'Condition ${flag.output.enabled} is false, and the action says else: "skip".' });
    expect(state.actionStates['must']?.result).toMatchObject({ status: 'failure', error: { category: 'validation_failed', code: 'CONDITION_FAILED', message: expect.stringContaining('${flag.output.enabled}') } });
    expect(api.hitsFor('POST /notes')).toHaveLength(0);
    expect(state.status).toBe('completed'); // "must" may fail: continueOnFailure
    expect(state.metrics).toMatchObject({ totalActions: 3, completedActions: 1, failedActions: 1, skippedActions: 1 });
  });

  it('an alternative runs once in place of the failed primary, and dependents read its output under the primary\'s id', async () => {
    await setup({ 'GET /status/503': [{ status: 503, body: { error: 'down' } }], 'GET /status/200': [{ status: 200, body: { via: 'alternative' } }] });
    const p = plan([
      action('primary', { definition: 'get-status', inputs: { code: '503' }, alternative: 'backup' }),
      action('backup', { definition: 'get-status', inputs: { code: '200' } }),
      action('after', { definition: 'send-note', deps: ['primary'], inputs: { to: 'ops', text: 'via ${primary.output.via}' } }),
    ]);
    const state = await h.plans.executePlan(p);
    expect(state.status).toBe('completed');
    expect(state.actionStates['primary']?.status).toBe('failed');
    expect(state.actionStates['backup']?.status).toBe('completed');
    expect(api.hitsFor('GET /status/200')).toHaveLength(1);
    expect(body('POST /notes')).toEqual({ to: 'ops', text: 'via alternative' });
    expect(state.metrics).toMatchObject({ completedActions: 2, failedActions: 1 });
  });

  it('fallbackValue stands in as the output for dependents when the action fails', async () => {
    await setup({ 'GET /status/500': [{ status: 500, body: {} }] });
    const p = plan([
      action('lookup', { definition: 'get-status', inputs: { code: '500' }, fallback: { via: 'fallback' } }),
      action('after', { definition: 'send-note', deps: ['lookup'], inputs: { to: 'ops', text: 'via ${lookup.output.via}' } }),
    ]);
    const state = await h.plans.executePlan(p);
    expect(state.status).toBe('completed');
    expect(body('POST /notes')).toEqual({ to: 'ops', text: 'via fallback' });
  });

  it('continueOnFailure lets the rest go on; an action whose dependency failed with nothing standing in is skipped naming it', async () => {
    await setup({ 'GET /status/500': [{ status: 500, body: {} }] });
    const p = plan([
      action('optional', { definition: 'get-status', inputs: { code: '500' }, continueOnFailure: true }),
      action('needs_it', { definition: 'send-note', deps: ['optional'], inputs: { to: 'a' } }),
      action('independent', { inputs: { userId: 'u_1' } }),
    ]);
    const state = await h.plans.executePlan(p);
    expect(state.status).toBe('completed');
    expect(state.actionStates['independent']?.status).toBe('completed');
    expect(state.actionStates['needs_it']?.result).toMatchObject({ status: 'skipped', reason: expect.stringContaining('its dependency "optional" failed (api_unexpected_status') });
    expect(api.hitsFor('POST /notes')).toHaveLength(0);
  });

  it('a failure nothing handles fails the plan: no new action starts, running ones finish, the plan ends failed with that action\'s error', async () => {
    await setup({ 'GET /status/500': [{ status: 500, body: {} }], 'GET /users/u_1': [{ status: 200, body: { id: 'u_1' }, delayMs: 40 }] });
    const p = plan([
      action('breaks', { definition: 'get-status', inputs: { code: '500' } }),
      action('slow', { inputs: { userId: 'u_1' } }),
      action('later', { definition: 'send-note', inputs: { to: 'x' } }),
    ]);
    const state = await h.plans.executePlan(p, { maxConcurrency: 2 });
    expect(state.status).toBe('failed');
    expect(state.error).toMatchObject({ category: 'api_unexpected_status', statusCode: 500, context: { actionId: 'breaks' } });
    expect(state.actionStates['slow']?.status).toBe('completed'); // was running: it finished
    expect(state.actionStates['later']?.result).toMatchObject({ status: 'skipped', reason: expect.stringContaining('Not run: the plan failed because "breaks" failed') });
    expect(api.hitsFor('POST /notes')).toHaveLength(0);
  });

  it('an infrastructure failure stops the run unrecorded, but only once the actions it started have settled: nothing of the plan runs on after the call returns', async () => {
    await setup({ 'GET /users/u_1': [{ status: 200, body: { id: 'u_1' }, delayMs: 60 }] });
    const execute = h.executor.execute.bind(h.executor);
    h.executor.execute = async (request: unknown) => {
      if ((request as { action: { id: string } }).action.id === 'broken') throw new InfrastructureError('disk I/O error (injected)');
      return execute(request);
    };
    const p = plan([action('slow', { inputs: { userId: 'u_1' } }), action('broken', { definition: 'send-note', inputs: { to: 'x' } })]);
    await expect(h.plans.executePlan(p)).rejects.toThrow('disk I/O error (injected)');
    // Read the moment the call rejected: the action it started has already ended, in its own journal.
    expect((await h.executor.get(PLAN_ID, 'slow'))?.status).toBe('completed');
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(1);
    // The plan's row still says running: a later run resumes it and adopts what "slow" recorded.
    h.executor.execute = execute;
    const resumed = await h.plans.executePlan(p);
    expect(resumed.status).toBe('completed');
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(1);
  });
});

describe('plan runner: expected outcome and metrics', () => {
  it('expectedOutcome: a failed check fails the plan with validation_failed naming the check, the reference and the value found, redacted', async () => {
    const token = 'sk-live-0123456789';
    api = await startScriptedApi();
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', tier: 'gold', echo: `token ${token}` } }]);
    const defs = [{ ...definition(api.url), authentication: { type: 'bearer' as const, token: '${credentials.API_TOKEN}', tokenFrom: 'user_input' as const } }];
    h = createPlanHarness(defs);
    const p = plan([action('user', { inputs: { userId: 'u_1' } })], [
      { name: 'is platinum', reference: '${user.output.tier}', operator: 'equals', value: 'platinum' },
      { name: 'echo', reference: '${user.output.echo}', operator: 'equals', value: 'nothing' },
    ]);
    const state = await h.plans.executePlan(p, { credentials: { API_TOKEN: token } });
    expect(state.status).toBe('failed');
    expect(state.error).toMatchObject({ category: 'validation_failed', code: 'EXPECTED_OUTCOME_FAILED', context: { check: 'is platinum', reference: '${user.output.tier}' } });
    expect(state.error?.message).toContain('"is platinum": ${user.output.tier} should equal "platinum"; found string "gold"');
    expect(state.error?.message).toContain('[REDACTED]');
    expect(JSON.stringify(await h.executor.journal.listTransitions({ executionId: PLAN_ID, actionId: '@plan' }))).not.toContain(token);
  });

  it('metrics are kept current: counts after every decision, totalDuration growing while the plan waits', async () => {
    await setup();
    const p = plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: 'u_1', amount: 1 }, confirm: {} })]);
    const paused = await h.plans.executePlan(p);
    expect(paused.metrics).toMatchObject({ totalActions: 2, completedActions: 1, failedActions: 0, skippedActions: 0 });
    h.clock.advance(60_000);
    const later = await h.plans.getPlan(PLAN_ID);
    expect(later?.metrics.totalDuration).toBe((paused.metrics.totalDuration ?? 0) + 60_000);
    const done = await h.plans.confirm(PLAN_ID, 'order', { confirmed: true, userId: 'ops' });
    expect(done.metrics).toMatchObject({ completedActions: 2, totalDuration: 60_000 + (paused.metrics.totalDuration ?? 0) });
    h.clock.advance(5_000);
    expect((await h.plans.getPlan(PLAN_ID))?.metrics).toEqual(done.metrics); // over: it no longer grows
  });
});
