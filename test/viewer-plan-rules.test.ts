/**
 * The plans pages' pure rules (issue 12 "Plans"): where the DAG puts each action (levels as columns,
 * alternatives beside their primary, no overlaps), how an action's status and reason are told on the
 * page, which buttons apply, what the viewer lacks to run a plan on, and the bounded wait for a plan
 * commit that the Confirm / Cancel requests use.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExecutionPlanSchema, type ExecutionPlan } from '../src/schemas/plan.ts';
import { initialPlanSnapshot, type PlanRunSnapshot } from '../src/plans/plan-record.ts';
import { buildPlanState } from '../src/plans/plan-state.ts';
import type { HeldLease } from '../storage/journal.ts';
import { layoutPlan, type PlanBox } from '../src/viewer/plan-layout.ts';
import { planView, type PlanViewInput } from '../src/viewer/plan-view.ts';
import { createPlanActivity } from '../src/viewer/plan-activity.ts';
import { action, iso, plan, PLAN_ID, states } from './support/plan-fixtures.ts';

const onboarding = ExecutionPlanSchema.parse(JSON.parse(readFileSync(resolve(import.meta.dirname, '../examples/plans/customer-onboarding.json'), 'utf8')));
const overlaps = (a: PlanBox, b: PlanBox) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('plan DAG layout', () => {
  it('columns are the dependency levels; an alternative sits in its primary\'s column, below it, joined by an alternative edge', () => {
    const layout = layoutPlan(onboarding);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.actionId, n]));
    expect(layout.levels).toEqual([['get_user'], ['create_order'], ['send_welcome']]);
    expect(Object.fromEntries(layout.nodes.map((n) => [n.actionId, [n.column, n.row]]))).toEqual({ get_user: [0, 0], create_order: [1, 0], send_welcome: [2, 0], send_welcome_plain: [2, 1] });
    expect(at['send_welcome_plain']?.alternativeFor).toBe('send_welcome');
    expect(layout.edges.map((e) => `${e.from}→${e.to} ${e.kind}`)).toEqual(['get_user→create_order dependency', 'create_order→send_welcome dependency', 'get_user→send_welcome_plain dependency', 'send_welcome→send_welcome_plain alternative']);
    // Every edge starts on its source box's right edge, and stays inside the drawing (the loop from
    // send_welcome down to its alternative, in the last column, too).
    for (const edge of layout.edges) {
      const from = at[edge.from]!.box;
      expect(edge.d.startsWith(`M${from.x + from.width} ${from.y + from.height / 2} `), `${edge.from}→${edge.to}`).toBe(true);
      const numbers = (edge.d.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
      const xs = numbers.filter((_, i) => i % 2 === 0);
      const ys = numbers.filter((_, i) => i % 2 === 1);
      expect(Math.max(...xs), `${edge.from}→${edge.to}`).toBeLessThanOrEqual(layout.width);
      expect(Math.max(...ys), `${edge.from}→${edge.to}`).toBeLessThanOrEqual(layout.height);
    }
  });

  it('no two actions overlap and every box lies inside the drawing, for a wide plan with alternatives of alternatives', () => {
    const wide = plan([
      ...Array.from({ length: 6 }, (_, i) => action(`root_${i}`)),
      action('a', { deps: ['root_0'], alternative: 'b' }),
      action('b', { deps: ['root_1'], alternative: 'c' }),
      action('c', { deps: ['a_dep'] }),
      action('a_dep', { deps: ['root_2', 'root_3'] }),
      action('last', { deps: ['a', 'a_dep'] }),
    ]);
    const layout = layoutPlan(wide);
    expect(layout.nodes.map((n) => n.actionId).sort()).toEqual(wide.actions.map((a) => a.id).sort());
    for (const [i, one] of layout.nodes.entries()) {
      expect(one.box.x + one.box.width).toBeLessThanOrEqual(layout.width);
      expect(one.box.y + one.box.height).toBeLessThanOrEqual(layout.height);
      for (const other of layout.nodes.slice(i + 1)) expect(overlaps(one.box, other.box), `${one.actionId} / ${other.actionId}`).toBe(false);
    }
    const column = (id: string) => layout.nodes.find((n) => n.actionId === id)?.column;
    // b stands in for a (column 1); c for b, and c depends on a_dep (column 1): so c goes right of it.
    expect([column('a'), column('b'), column('a_dep'), column('c'), column('last')]).toEqual([1, 1, 1, 2, 2]);
  });
});

const lease = (id: string, expiresAt: number): HeldLease => ({ id, pid: 4242, host: 'box', epoch: 3, expiresAt });

function viewOf(p: ExecutionPlan, snapshot: PlanRunSnapshot, more: Partial<PlanViewInput> = {}) {
  return planView({
    plan: p,
    state: buildPlanState({ plan: p, snapshot, executions: new Map() }),
    record: { updatedAt: 5_000, wakeAt: null, lease: null },
    ownerId: 'viewer',
    now: 10_000,
    credentialNames: [],
    availableCredentials: [],
    hasDefinition: () => true,
    executions: new Set(),
    ...more,
  });
}

describe('plan page model', () => {
  const asks = plan([
    action('first'),
    action('ask', { deps: ['first'], confirm: { timeout: 60_000 }, definition: 'create-order' }),
    action('after', { deps: ['ask'], definition: 'send-note' }),
  ]);
  const paused = (): PlanRunSnapshot => ({
    ...initialPlanSnapshot(asks, 0, 4),
    status: 'paused_for_confirmation',
    actions: { first: states.completed({}, 0, 10), ask: states.waiting() },
    confirmations: [{ actionId: 'ask', requestedAt: iso(1_000) }],
  });

  it('an asked, unanswered action is waiting_confirmation with its deadline; one confirmed but not started yet is pending, saying so', () => {
    const view = viewOf(asks, paused());
    expect(view.graph.nodes.map((n) => [n.actionId, n.status, n.reason])).toEqual([
      ['first', 'completed', undefined],
      ['ask', 'waiting_confirmation', 'waits for an answer to "Run ask?"'],
      ['after', 'pending', 'waits for ask'],
    ]);
    expect(view.pending).toEqual([{ actionId: 'ask', title: 'Run ask?', message: 'About to run ask', requestedAt: iso(1_000), dueAt: iso(61_000) }]);
    const answered = viewOf(asks, { ...paused(), status: 'running', actions: { first: states.completed({}, 0, 10), ask: { status: 'pending' } }, confirmations: [{ actionId: 'ask', requestedAt: iso(1_000), respondedAt: iso(2_000), confirmed: true, userId: 'ops' }] });
    expect(answered.graph.nodes[1]).toMatchObject({ status: 'pending', reason: 'confirmed by ops; starts when a slot is free' });
    expect(answered.pending).toEqual([]);
  });

  it('buttons: Confirm / Reject off while another live process holds the plan\'s lease (saying why), on when the lease is ours or expired; everything off once the plan is over', () => {
    const elsewhere = viewOf(asks, paused(), { record: { updatedAt: 5_000, wakeAt: 61_000, lease: lease('cli', 20_000) } });
    expect(elsewhere.lease).toEqual({ holder: 'another process', pid: 4242, host: 'box', expiresAt: iso(20_000) });
    expect(elsewhere.actions).toMatchObject({ cancel: true, answer: false });
    expect(elsewhere.actions.why).toContain('pid 4242 on box drives this plan');
    expect(elsewhere.wakeAt).toBe(iso(61_000));
    expect(viewOf(asks, paused(), { record: { updatedAt: 5_000, wakeAt: null, lease: lease('viewer', 20_000) } }).actions).toEqual({ cancel: true, answer: true });
    expect(viewOf(asks, paused(), { record: { updatedAt: 5_000, wakeAt: null, lease: lease('cli', 9_000) } }).actions).toEqual({ cancel: true, answer: true });
    const over = viewOf(asks, { ...paused(), status: 'cancelled', cancelled: true, endedAt: 3_000, actions: { first: states.completed({}, 0, 10), ask: states.skipped('its plan was cancelled'), after: states.skipped('its plan was cancelled') } });
    expect(over.actions).toEqual({ cancel: false, answer: false, why: 'the plan is cancelled' });
    expect(over.pending).toEqual([]);
  });

  it('names what the viewer lacks to run the plan on: credentials it was submitted with, definitions of actions not started yet — never of actions that ran', () => {
    const view = viewOf(asks, paused(), { credentialNames: ['API_TOKEN', 'DEMO_TOKEN'], availableCredentials: ['DEMO_TOKEN'], hasDefinition: (id) => id === 'send-note' });
    expect(view.missing).toEqual({ auth: ['API_TOKEN'], definitions: ['create-order'] }); // get-user ran already
  });

  it('links an action to its execution page only when the journal has one', () => {
    const view = viewOf(asks, paused(), { executions: new Set(['first']) });
    expect(view.graph.nodes.map((n) => n.execution)).toEqual([`/executions/${PLAN_ID}/first`, undefined, undefined]);
  });
});

describe('plan commit waits (PlanActivity)', () => {
  const status = (planId: string) => ({ type: 'plan-status' as const, planId, status: 'running' as const });

  it('checks at once, then again after each commit of that plan only, and resolves with the first answer', async () => {
    const activity = createPlanActivity();
    let checks = 0;
    let ready = false;
    const waited = activity.waitFor('p1', async () => {
      checks += 1;
      return ready ? 'recorded' : undefined;
    }, 5_000);
    await Promise.resolve();
    expect(checks).toBe(1);
    activity.onProgress(status('p2')); // another plan's commit
    activity.onProgress({ type: 'action-started', planId: 'p1', actionId: 'a', definitionId: 'd', resumed: false }); // not a commit
    await new Promise((r) => setTimeout(r, 1));
    expect(checks).toBe(1);
    ready = true;
    activity.onProgress(status('p1'));
    expect(await waited).toBe('recorded');
    expect(checks).toBe(2);
    expect(activity.waiting).toBe(0);
  });

  it('resolves undefined when the time is up or the caller stops waiting, and leaves nothing behind', async () => {
    const activity = createPlanActivity();
    expect(await activity.waitFor('p1', async () => undefined, 5)).toBeUndefined();
    const stop = new AbortController();
    const waited = activity.waitFor('p1', async () => undefined, 60_000, stop.signal);
    expect(activity.waiting).toBe(1);
    stop.abort();
    expect(await waited).toBeUndefined();
    expect(activity.waiting).toBe(0);
  });
});
