/**
 * The demo's plan part (issue 11): the customer-onboarding example plan runs through the plan
 * executor over the demo's own executor. It looks the customer up, then pauses for an operator to
 * confirm the first order — the point where `plan run` exits 5 — is confirmed, places the order once
 * (the API counts it per idempotency key), and, when the welcome mail fails, sends the plain one in
 * its place.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { ActionExecutor } from '../execution/executor.ts';
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import { createPlanExecutor } from '../plans/plan-executor.ts';
import { planProgressLines, planStateLines } from '../cli/plan-render.ts';
import type { DemoApi } from './demo-api.ts';

const PLAN_FILE = resolve(import.meta.dirname, '../../examples/plans/customer-onboarding.json');

/** What the plan part needs from the demo around it. */
export interface DemoPlanContext {
  executor: ActionExecutor;
  registry: DefinitionRegistry;
  api: DemoApi;
  credentials: Record<string, string>;
  out: (line?: string) => void;
  check: (name: string, ok: boolean) => void;
  /** For the commands it prints. */
  dbPath: string;
  cwd: string;
}

/** Runs the onboarding plan to its pause, confirms it, and runs it to its end. Returns the plan id. */
export async function runOnboardingPlan(context: DemoPlanContext): Promise<string> {
  const { out, check } = context;
  const plan = JSON.parse(readFileSync(PLAN_FILE, 'utf8')) as { id: string };
  const plans = createPlanExecutor({
    executor: context.executor,
    definitions: context.registry,
    onProgress: (event) => {
      for (const line of planProgressLines(event)) out(line);
    },
  });
  try {
    out();
    out('━━ 7. A plan: examples/plans/customer-onboarding.json — look the customer up, confirm, order, welcome');
    const paused = await plans.executePlan(plan, { credentials: context.credentials });
    for (const line of planStateLines(paused)) out(`  ${line}`);
    check('the onboarding plan pauses for confirmation before placing the order', paused.status === 'paused_for_confirmation' && Object.keys(context.api.stats.ordersCreated).length === 0);
    out(`  (\`plan run\` exits 5 here; the plan waits in ${relative(context.cwd, context.dbPath)} until someone answers)`);
    out('  confirming create_order as demo-operator:');
    const done = await plans.confirm(plan.id, 'create_order', { confirmed: true, userId: 'demo-operator', credentials: context.credentials });
    for (const line of planStateLines(done)) out(`  ${line}`);
    check('the confirmed plan completes: every expected-outcome check holds', done.status === 'completed');
    check('send_welcome_plain stood in for the failed send_welcome', done.actionStates['send_welcome']?.status === 'failed' && done.actionStates['send_welcome_plain']?.status === 'completed');
    const orders = Object.values(context.api.stats.ordersCreated);
    check('the order was created exactly once', orders.length === 1 && orders[0] === 1);
    return plan.id;
  } finally {
    await plans.close();
  }
}
