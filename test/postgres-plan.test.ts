/**
 * Plans on a PostgreSQL journal (issue 11 "it must go through the Journal interface so it runs on any
 * backend"): the same runner, unchanged, on the Postgres journal and storage, the way a fleet runs it —
 * a plan paused on one machine is answered on another, a timeout that fell due with no process running
 * fires on another machine's resumeAll, and a worker SIGKILLed right after recording a confirmation is
 * carried on elsewhere with its order placed exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import type { ActionExecutor } from '../src/execution/executor.ts';
import { createPlanExecutor } from '../src/plans/plan-executor.ts';
import { idempotencyKeyFor } from '../src/http/request-builder.ts';
import { createManualClock, type Clock } from '../src/support/clock.ts';
import { PostgresJournal } from '../storage/postgres/postgres-journal.ts';
import { action, plan } from './support/plan-fixtures.ts';
import { planDefinitions } from './support/plan-harness.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

const CHILD = resolve(import.meta.dirname, 'support/plan-crash-child.ts');

describeWithPostgres('plans on a Postgres journal (issue 11)', () => {
  let database: FreshDatabase;
  let api: ScriptedApi;
  const executors: ActionExecutor[] = [];

  beforeAll(async () => {
    database = await freshDatabase('plans');
    api = await startScriptedApi();
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
    api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
    api.script('POST /notes', [{ status: 201, body: { noteId: 'n_1' } }]);
  });
  afterAll(async () => {
    await Promise.all(executors.map((executor) => executor.close()));
    await api?.close();
    await database?.drop();
  });

  /** A "machine": its own journal connection (its own lease owner) on the shared database. */
  async function machine(clock: Clock = createManualClock(Date.now(), { autoAdvance: true })) {
    const definitions = planDefinitions(api.url);
    const executor = await openActionExecutor({ db: database.url, definitions, clock });
    executors.push(executor);
    return { executor, plans: createPlanExecutor({ executor, definitions, clock }) };
  }

  const onboarding = (timeout?: number) => ({
    ...plan([
      action('get_user', { inputs: { userId: 'u_1' } }),
      action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm: timeout === undefined ? {} : { timeout } }),
    ]),
    id: randomUUID() as ReturnType<typeof plan>['id'],
  });

  it('a plan paused on one machine is confirmed on another and completes there; plan row, actions and events live in Postgres', async () => {
    const p = onboarding();
    const a = await machine();
    expect(a.executor.journal).toBeInstanceOf(PostgresJournal);
    expect((await a.plans.executePlan(p)).status).toBe('paused_for_confirmation');
    await a.executor.close();
    const b = await machine();
    const done = await b.plans.confirm(p.id, 'order', { confirmed: true, userId: 'ops' });
    expect(done).toMatchObject({ status: 'completed', confirmations: [{ actionId: 'order', confirmed: true, userId: 'ops' }] });
    expect(await b.plans.getPlan(p.id)).toEqual(done);
    // Placed once, built from get_user's output, read back from its execution on the other machine.
    const orders = api.hitsFor('POST /orders').filter((hit) => hit.headers['idempotency-key'] === idempotencyKeyFor(p.id, 'order'));
    expect(orders.map((hit) => JSON.parse(hit.body) as unknown)).toEqual([{ customerId: 'u_1', amount: 5 }]);
    expect((await b.executor.journal.listOutbox({ executionId: p.id, actionId: '@plan' })).map((event) => event.type)).toEqual(['plan.confirmation.requested', 'plan.execute.completed']);
    // executor.list shows the plan's actions, not its own row, in the page and in the total.
    const listed = await b.executor.list({ search: p.id });
    expect({ ids: listed.executions.map((row) => row.actionId).sort(), total: listed.total }).toEqual({ ids: ['get_user', 'order'], total: 2 });
  });

  it('a confirmation timeout that fell due with no process running fires on another machine\'s resumeAll', async () => {
    const p = onboarding(60_000);
    const start = Date.now();
    const a = await machine(createManualClock(start));
    await a.plans.executePlan(p);
    await a.executor.close();
    const b = await machine(createManualClock(start + 3_600_000));
    const report = await b.plans.resumeAll();
    expect(report.timeoutsFired).toBeGreaterThanOrEqual(1);
    const state = await b.plans.getPlan(p.id);
    expect(state?.actionStates['order']?.result).toMatchObject({ status: 'failure', error: { code: 'CONFIRMATION_TIMEOUT' } });
    expect(state?.confirmations[0]?.respondedAt).toBe(new Date(start + 60_000).toISOString());
  });

  it('a worker SIGKILLed right after recording a confirmation is carried on by another machine: the order is placed exactly once', async () => {
    const p = onboarding();
    const a = await machine();
    await a.plans.executePlan(p);
    await a.executor.close();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, AE_DB: database.url, AE_DEFINITIONS: JSON.stringify(planDefinitions(api.url)), AE_PLAN: JSON.stringify(p), AE_MODE: 'confirm', AE_CONFIRM_ACTION: 'order', AE_KILL_AT: 'plan:CONFIRMED+DECIDED:running', AE_KILL_NTH: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((done) => child.once('exit', (_code, signal) => done(signal))), stderr).toBe('SIGKILL');
    const b = await machine();
    // The dead worker's session (and its lease's proof of life) goes once the server sees the socket close.
    let report = await b.plans.resumeAll();
    for (let tries = 0; report.busy > 0 && tries < 100; tries += 1) {
      await new Promise((done) => setTimeout(done, 20));
      report = await b.plans.resumeAll();
    }
    expect(report).toMatchObject({ completed: 1, busy: 0, errors: [] });
    const state = await b.plans.getPlan(p.id);
    expect(state?.confirmations[0]).toMatchObject({ confirmed: true, userId: 'crash-child' });
    const key = idempotencyKeyFor(p.id, 'order');
    expect(api.hitsFor('POST /orders').filter((hit) => hit.headers['idempotency-key'] === key)).toHaveLength(1);
    expect(api.effects.get(`POST /orders|${key}`)).toBe(1);
  }, 30_000);
});
