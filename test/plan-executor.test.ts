/**
 * Issue 11, the plan executor's library surface: identity (a plan runs once per id), validation
 * before anything runs, the reserved "@plan" row kept apart from action executions, and the dry run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createPlanHarness, planDefinitions, type PlanHarness } from './support/plan-harness.ts';
import { action, plan, PLAN_ID, rawPlan } from './support/plan-fixtures.ts';
import { rejectedActionError } from './support/thrown.ts';
import { executeRequest } from './support/executor-harness.ts';
import { isPlanInvalidError } from '../src/plans/plan-invalid-error.ts';
import { loadDefinitionsFromDir } from '../src/definitions/definition-registry.ts';
import { createPlanExecutor } from '../src/plans/plan-executor.ts';
import { ExecutionStateSchema } from '../src/schemas/execution-state.ts';

let api: ScriptedApi;
let h: PlanHarness;
afterEach(async () => {
  await h?.cleanup();
  await api?.close();
});

async function setup(): Promise<void> {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
  h = createPlanHarness(planDefinitions(api.url));
}

const twoSteps = () => plan([
  action('get_user', { inputs: { userId: 'u_1' } }),
  action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 } }),
]);

describe('plan executor: identity', () => {
  it('resubmitting the same plan returns the recorded run: nothing is sent again', async () => {
    await setup();
    const first = await h.plans.executePlan(twoSteps());
    expect(ExecutionStateSchema.parse(first)).toEqual(first);
    const again = await h.reopenPlans().executePlan(twoSteps());
    expect(again).toEqual(first);
    expect(api.hits).toHaveLength(2);
  });

  it('resubmitting a paused plan resumes it where it waits, without asking twice', async () => {
    await setup();
    const p = plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: 'u_1', amount: 5 }, confirm: {} })]);
    const paused = await h.plans.executePlan(p);
    const again = await h.reopenPlans().executePlan(p);
    expect(again.status).toBe('paused_for_confirmation');
    expect(again.confirmations).toEqual(paused.confirmations);
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(1);
  });

  it('the same id with a different plan is refused (REQUEST_MISMATCH) and the recorded run is left untouched', async () => {
    await setup();
    const first = await h.plans.executePlan(twoSteps());
    const changed = { ...twoSteps(), name: 'Another plan' };
    const error = await rejectedActionError(h.plans.executePlan(changed));
    expect(error.detail).toMatchObject({ category: 'state_inconsistent', code: 'REQUEST_MISMATCH', context: { planId: PLAN_ID } });
    expect(await h.plans.getPlan(PLAN_ID)).toEqual(first);
  });

  it('getPlan of an id with no run is undefined', async () => {
    await setup();
    expect(await h.plans.getPlan(PLAN_ID)).toBeUndefined();
  });
});

describe('plan executor: validation before anything runs', () => {
  it('every problem with its JSON path, the cycle printed as a cycle; nothing is journaled or sent', async () => {
    const examples = resolve(import.meta.dirname, '../examples/definitions');
    const { registry } = loadDefinitionsFromDir(examples);
    api = await startScriptedApi();
    h = createPlanHarness(registry.list());
    const mistakes = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures/plans/onboarding-mistakes.json'), 'utf8'));
    const error = await h.plans.executePlan(mistakes).then(() => undefined, (caught: unknown) => caught);
    if (!isPlanInvalidError(error)) throw new Error(`expected a PlanInvalidError, got ${String(error)}`);
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'PLAN_INVALID' });
    expect(error.problems.map((problem) => problem.path)).toContain('$.actions[1].dependencies[1]');
    expect(error.message).toContain('dependency cycle: create_order → send_welcome → create_order');
    expect(error.problems).toHaveLength(7);
    expect((await h.executor.journal.listExecutions()).total).toBe(0);
    expect(api.hits).toHaveLength(0);
  });

  it('an action id starting with "@" is refused by plan validation (it names the journal\'s own rows)', async () => {
    await setup();
    const error = await h.plans.executePlan(rawPlan([action('@plan', { inputs: { userId: 'u_1' } })])).then(() => undefined, (caught: unknown) => caught);
    if (!isPlanInvalidError(error)) throw new Error('expected a PlanInvalidError');
    expect(error.problems).toEqual([{ path: '$.actions[0].id', message: expect.stringContaining('action id "@plan" is reserved') }]);
  });

  it('maxConcurrency must be a positive integer, refused before anything runs', async () => {
    await setup();
    expect((await rejectedActionError(h.plans.executePlan(twoSteps(), { maxConcurrency: 0 }))).detail).toMatchObject({ code: 'INVALID_OPTION', context: { option: 'maxConcurrency' } });
    expect(() => createPlanExecutor({ executor: h.executor, definitions: [], maxConcurrency: 1.5 })).toThrow(/maxConcurrency must be a positive integer, got 1.5/);
  });
});

describe('plan executor: the plan row beside the action executions', () => {
  it('execute refuses a single action whose id is reserved, so no action can collide with a plan\'s row', async () => {
    await setup();
    const error = await rejectedActionError(h.executor.execute(executeRequest('@plan', 'get-user', { userId: 'u_1' }, {}, PLAN_ID)));
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'RESERVED_ACTION_ID', message: expect.stringContaining('$.action.id: action id "@plan" is reserved') });
  });

  it('an execution recorded under a plan action\'s key with another request fails that action (REQUEST_MISMATCH) rather than lending it its result', async () => {
    await setup();
    // Someone ran get_user by hand under the plan's id, with other inputs.
    await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1', includeOrders: true }, {}, PLAN_ID));
    const state = await h.plans.executePlan(twoSteps());
    expect(state.actionStates['get_user']).toMatchObject({ status: 'failed', result: { status: 'failure', error: { code: 'REQUEST_MISMATCH', context: { actionId: 'get_user' } } } });
    expect(state.status).toBe('failed');
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('executor.list and executor.resumeAll leave plan rows out; resume and cancel of the row are refused with a pointer to the plan commands', async () => {
    await setup();
    const p = plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: 'u_1', amount: 5 }, confirm: {} })]);
    await h.plans.executePlan(p);
    const listed = await h.executor.list();
    expect(listed).toMatchObject({ total: 1, executions: [{ executionId: PLAN_ID, actionId: 'get_user' }] });
    expect(await h.reopen().resumeAll()).toMatchObject({ resumed: 0, errors: [] }); // the paused plan row is unfinished, and skipped
    for (const call of [h.executor.resume(PLAN_ID, '@plan'), h.executor.cancel(PLAN_ID, '@plan')]) {
      expect((await rejectedActionError(call)).detail).toMatchObject({ code: 'RESERVED_ACTION_ID', suggestion: expect.stringContaining(`plan show ${PLAN_ID}`) });
    }
  });
});

describe('plan executor: listPlans', () => {
  it('lists the plan rows alone, newest first, by plan status (paused apart from running), paged with the total; bad options are INVALID_OPTION', async () => {
    await setup();
    const asks = (id: string) => ({ ...plan([action('get_user', { inputs: { userId: 'u_1' } }), action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: 'u_1', amount: 5 }, confirm: {} })]), id });
    const [first, second, third] = ['aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b', 'cccccccc-0000-4000-8000-00000000000c'] as const;
    await h.plans.executePlan(asks(first));
    h.clock.advance(10);
    await h.plans.executePlan({ ...twoSteps(), id: second });
    h.clock.advance(10);
    await h.plans.executePlan(asks(third));
    await h.plans.cancelPlan(third, 'no');
    const all = await h.plans.listPlans();
    expect(all.total).toBe(3);
    expect(all.plans.map((p) => [p.planId, p.status, p.awaitingConfirmation])).toEqual([[third, 'cancelled', []], [second, 'completed', []], [first, 'paused_for_confirmation', ['order']]]);
    expect(all.plans[2]).toMatchObject({ name: 'Customer onboarding', metrics: { totalActions: 2, completedActions: 1 }, lease: null, createdAt: new Date(h.clock.now() - 20).toISOString() });
    expect((await h.plans.listPlans({ statuses: ['paused_for_confirmation'] })).plans.map((p) => p.planId)).toEqual([first]);
    expect(await h.plans.listPlans({ statuses: ['running'] })).toEqual({ plans: [], total: 0 });
    expect(await h.plans.listPlans({ statuses: ['failed'] })).toEqual({ plans: [], total: 0 }); // cancelled is not failed, though the journal status is
    expect((await h.plans.listPlans({ limit: 1, offset: 1 })).plans.map((p) => p.planId)).toEqual([second]);
    expect((await h.plans.listPlans({ search: 'bbbb' })).plans.map((p) => p.planId)).toEqual([second]);
    expect((await rejectedActionError(h.plans.listPlans({ statuses: ['paused' as never] }))).detail).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('"paused", which is not a plan status') });
    expect((await rejectedActionError(h.plans.listPlans({ limit: -1 }))).detail.code).toBe('INVALID_OPTION');
  });
});

describe('plan executor: dry run', () => {
  it('validates, prints the levels and the requests it would send, redacted, with unresolved references as written — sending and journaling nothing', async () => {
    const examples = resolve(import.meta.dirname, '../examples/definitions');
    const { registry } = loadDefinitionsFromDir(examples);
    api = await startScriptedApi();
    h = createPlanHarness(registry.list());
    const onboarding = JSON.parse(readFileSync(resolve(import.meta.dirname, '../examples/plans/customer-onboarding.json'), 'utf8'));
    const dry = await h.plans.executePlan(onboarding, { dryRun: true, credentials: { DEMO_TOKEN: 'tok-secret-1234', DEMO_API_KEY: 'key-secret-5678' } });
    expect(dry.levels).toEqual([['get_user'], ['create_order'], ['send_welcome']]);
    const byId = Object.fromEntries(dry.actions.map((entry) => [entry.actionId, entry]));
    expect(byId['get_user']?.request).toMatchObject({ method: 'GET', url: 'http://127.0.0.1:4010/users/u_42', authentication: 'bearer: Authorization: Bearer [REDACTED]' });
    expect(byId['create_order']).toMatchObject({
      level: 1,
      confirmation: { title: 'Place the first order?', timeoutMs: 86_400_000 },
      unresolved: ['${get_user.output.id}', '${get_user.output.name}'],
      request: { method: 'POST', url: 'http://127.0.0.1:4010/customers/${get_user.output.id}/orders', body: JSON.stringify({ amount: 4900, currency: 'EUR', note: 'first order of ${get_user.output.name}' }) },
    });
    expect(byId['create_order']?.request?.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(byId['send_welcome_plain']).toMatchObject({ level: null, alternativeFor: 'send_welcome', request: { authentication: 'api_key: X-Api-Key: [REDACTED]' } });
    expect(JSON.stringify(dry)).not.toMatch(/tok-secret|key-secret/);
    expect(api.hits).toHaveLength(0);
    expect((await h.executor.journal.listExecutions()).total).toBe(0);
  });
});
