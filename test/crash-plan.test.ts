/**
 * The crash matrix over a plan (issue 11 "Identity and crashes"): a child process drives the plan
 * and SIGKILLs itself at every plan commit — including the pause and the commit that records a
 * confirmation — at each action's write-ahead intent and recorded outcome, and while the API holds a
 * POST it already applied (the outcome in doubt). A fresh process then does what `resume --all`
 * does, answers the confirmation if it is still pending, and the plan must end as a clean run does,
 * with 0 repeated effects (the local API counts them per idempotency key and per unkeyed POST).
 *
 * The plan: get_user (GET) → order (POST with an Idempotency-Key; asks for confirmation first) →
 * note (POST without a key; continueOnFailure, so a note whose fate is unknown does not fail the plan).
 * `PLAN_CRASH_FULL=1` kills at every action point too (each intent, outcome, classifying, storing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createActionExecutor } from '../src/execution/executor.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import { createPlanExecutor } from '../src/plans/plan-executor.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import type { ExecutionState } from '../src/schemas/execution-state.ts';
import { startScriptedApi, type ScriptedApi, type ScriptedResponse } from './support/scripted-api.ts';
import { planDefinitions } from './support/plan-harness.ts';
import { action, plan } from './support/plan-fixtures.ts';

const CHILD = resolve(import.meta.dirname, 'support/plan-crash-child.ts');
const FULL = process.env['PLAN_CRASH_FULL'] === '1';
const root = mkdtempSync(join(tmpdir(), 'ae-plan-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PLAN = plan([
  action('get_user', { inputs: { userId: 'u_1' } }),
  action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm: {} }),
  action('note', { definition: 'send-note', deps: ['order'], inputs: { to: 'ada', text: 'order ${order.output.orderId}' }, continueOnFailure: true }),
]);

type Phase = 'run' | 'confirm';
interface Point { phase: Phase; point: string; nth: number }

/** The API's answers; `holdRoute`'s first request is applied and then never answered. */
function scriptApi(api: ScriptedApi, holdRoute?: string): void {
  const answers = (route: string, response: ScriptedResponse): ScriptedResponse[] => (route === holdRoute ? [{ ...response, hang: true }, response] : [response]);
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('POST /orders', answers('POST /orders', { status: 201, body: { orderId: 'ord_1', status: 'pending' } }));
  api.script('POST /notes', answers('POST /notes', { status: 201, body: { noteId: 'n_1' } }));
}

function open(dir: string, url: string, faultHook?: (point: string) => void) {
  const definitions = planDefinitions(url);
  const hooks = faultHook ? { faultHook } : {};
  const executor = createActionExecutor(withTestHooks({ dbPath: join(dir, 'j.db'), storageDir: join(dir, 's'), definitions }, hooks));
  return { executor, plans: createPlanExecutor(withTestHooks({ executor, definitions }, hooks)) };
}

/** The durable points a clean run passes, per phase, numbered by occurrence. */
async function cleanRunPoints(): Promise<Point[]> {
  const api = await startScriptedApi();
  scriptApi(api);
  const dir = mkdtempSync(join(root, 'clean-'));
  const seen: Point[] = [];
  let phase: Phase = 'run';
  const counts = new Map<string, number>();
  const { executor, plans } = open(dir, api.url, (point) => {
    const key = `${phase} ${point}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    seen.push({ phase, point, nth: counts.get(key) ?? 1 });
  });
  expect((await plans.executePlan(PLAN)).status).toBe('paused_for_confirmation');
  phase = 'confirm';
  expect((await plans.confirm(PLAN.id, 'order', { confirmed: true })).status).toBe('completed');
  await plans.close();
  await executor.close();
  await api.close();
  return seen;
}

interface Outcome {
  at: string;
  before: { completed: string[]; confirmations: ExecutionState['confirmations'] | undefined };
  final: ExecutionState | undefined;
  effects: number[];
  hits: Record<string, { before: number; after: number }>;
  orderBodies: string[];
  integrity: string;
}

const ROUTES = ['GET /users/u_1', 'POST /orders', 'POST /notes'];

/** Kills a child at `target`, then recovers as `resume --all` (and a late `plan confirm`) would. */
async function crashAndRecover(target: Point): Promise<Outcome> {
  const at = `${target.phase}: ${target.point}#${target.nth}`;
  const api = await startScriptedApi();
  const held = target.point.startsWith('server:') ? target.point.slice('server:'.length) : undefined;
  scriptApi(api, held);
  const dir = mkdtempSync(join(root, 'run-'));
  if (target.phase === 'confirm') {
    // Phase one runs to the pause here, cleanly; the child only answers.
    const first = open(dir, api.url);
    await first.plans.executePlan(PLAN);
    await first.plans.close();
    await first.executor.close();
  }
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      AE_DB: join(dir, 'j.db'),
      AE_STORAGE: join(dir, 's'),
      AE_DEFINITIONS: JSON.stringify(planDefinitions(api.url)),
      AE_PLAN: JSON.stringify(PLAN),
      AE_MODE: target.phase,
      AE_CONFIRM_ACTION: 'order',
      AE_KILL_AT: held ? 'never' : target.point,
      AE_KILL_NTH: String(target.nth),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (held) api.onRequest = (hit) => void (`${hit.method} ${hit.path}` === held && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, sig) => done(sig)));
  if (signal !== 'SIGKILL') throw new Error(`child was not killed at ${at} (exit signal ${signal}): ${stderr.slice(0, 800)}`);
  delete api.onRequest;
  const hitsBefore = Object.fromEntries(ROUTES.map((route) => [route, api.hitsFor(route).length]));

  const { executor, plans } = open(dir, api.url);
  try {
    const recorded = await plans.getPlan(PLAN.id);
    const before = {
      completed: Object.entries(recorded?.actionStates ?? {}).filter(([, state]) => state.status === 'completed').map(([id]) => id),
      confirmations: recorded?.confirmations,
    };
    // What `resume --all` does: plans first, then any action left unfinished.
    const report = await plans.resumeAll();
    expect(report.errors, at).toEqual([]);
    expect((await executor.resumeAll()).errors, at).toEqual([]);
    let final = await plans.getPlan(PLAN.id);
    if (final?.status === 'paused_for_confirmation') final = await plans.confirm(PLAN.id, 'order', { confirmed: true });
    return {
      at,
      before,
      final,
      effects: [...api.effects.values()],
      hits: Object.fromEntries(ROUTES.map((route) => [route, { before: hitsBefore[route] ?? 0, after: api.hitsFor(route).length }])),
      orderBodies: api.hitsFor('POST /orders').map((hit) => hit.body),
      integrity: (executor.journal as SqliteJournal).integrityCheck(),
    };
  } finally {
    await plans.close();
    await executor.close();
    await api.close();
  }
}

describe('plan crash matrix', () => {
  let points: Point[] = [];
  beforeAll(async () => {
    const clean = await cleanRunPoints();
    // By default one action point besides the in-doubt POSTs: the order's outcome recorded, its plan not
    // told yet. Every action point of a single execution is test/crash.test.ts's matrix.
    const actionPoint = FULL ? (p: Point) => !p.point.startsWith('plan:') : (p: Point) => p.phase === 'confirm' && p.point === 'attempt:finished' && p.nth === 1;
    points = [
      ...clean.filter((p) => p.point.startsWith('plan:') || actionPoint(p)),
      { phase: 'confirm', point: 'server:POST /orders', nth: 1 },
      { phase: 'confirm', point: 'server:POST /notes', nth: 1 },
    ];
  }, 60_000);

  it('SIGKILL at every plan commit (the pause and the recorded confirmation among them), after an action\'s outcome, and with a POST in doubt: the plan ends as a clean run does, 0 repeated effects', async () => {
    // Every plan commit of a clean run, by the events it holds: the pause and the recorded confirmation among them.
    expect(points.filter((p) => p.point.startsWith('plan:')).map((p) => `${p.phase} ${p.point}`)).toEqual([
      'run plan:DECIDED:running',
      'run plan:ACTION_COMPLETED+DECIDED+CONFIRMATION_REQUESTED:paused_for_confirmation',
      'confirm plan:CONFIRMED+DECIDED:running',
      'confirm plan:ACTION_COMPLETED+DECIDED:running',
      'confirm plan:ACTION_COMPLETED+DECIDED:completed',
    ]);
    const outcomes: Outcome[] = [];
    // Two children at a time: the machine has two cores.
    for (let i = 0; i < points.length; i += 2) outcomes.push(...(await Promise.all(points.slice(i, i + 2).map(crashAndRecover))));

    for (const outcome of outcomes) {
      const { at, final } = outcome;
      expect(outcome.integrity, at).toBe('ok');
      expect(final?.status, at).toBe('completed');
      // 0 repeated effects: one order per idempotency key, each unkeyed note applied at most once.
      expect(outcome.effects.every((count) => count === 1), `${at}: effects ${JSON.stringify(outcome.effects)}`).toBe(true);
      expect(outcome.hits['POST /notes']?.after, at).toBeLessThanOrEqual(1);
      expect(final?.actionStates['order']?.status, at).toBe('completed');
      // However the run was interrupted, the order was built from get_user's output.
      expect(outcome.orderBodies.every((body) => body === JSON.stringify({ customerId: 'u_1', amount: 5 })), `${at}: ${outcome.orderBodies.join(' | ')}`).toBe(true);
      // Completed actions never run again.
      for (const id of outcome.before.completed) {
        const route = { get_user: 'GET /users/u_1', order: 'POST /orders', note: 'POST /notes' }[id] ?? '';
        expect(outcome.hits[route]?.after, `${at}: ${id} completed before the kill, then ran again`).toBe(outcome.hits[route]?.before);
      }
      // A pending confirmation stays pending: recorded once, with its original requestedAt, answered once.
      expect(final?.confirmations, at).toHaveLength(1);
      const asked = outcome.before.confirmations?.[0];
      if (asked) expect(final?.confirmations[0]?.requestedAt, at).toBe(asked.requestedAt);
      // The note's intent was durable and its request sent (or about to be), its outcome never recorded:
      // unsafe to repeat, so it ends OUTCOME_UNKNOWN and is never sent again.
      const noteInDoubt = at === 'confirm: server:POST /notes#1' || at === 'confirm: attempt:begun#2';
      if (noteInDoubt) {
        expect(final?.actionStates['note']?.result, at).toMatchObject({ status: 'failure', error: { code: 'OUTCOME_UNKNOWN' } });
        expect(outcome.hits['POST /notes']?.after, at).toBe(outcome.hits['POST /notes']?.before);
      } else {
        expect(final?.actionStates['note']?.status, at).toBe('completed');
      }
    }
    expect(outcomes.length).toBe(points.length);
  }, 240_000);
});
