/**
 * The examples docs/plans.md shows, computed by the code itself: test/plan-docs.test.ts checks that
 * the page still contains exactly this output, so the docs cannot drift from the behaviour.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDefinitionsFromDir } from '../../src/definitions/definition-registry.ts';
import { errorDetail } from '../../src/failure/errors.ts';
import type { ActionRuntimeState } from '../../src/plans/action-runtime-state.ts';
import { applyPlanDecision, type PlanRunRecords } from '../../src/plans/plan-decision-apply.ts';
import { planLevels } from '../../src/plans/plan-levels.ts';
import { decidePlan, type PlanDecision } from '../../src/plans/plan-scheduler.ts';
import { validatePlan } from '../../src/plans/plan-validation.ts';

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const readJson = (path: string): unknown => JSON.parse(readFileSync(root(path), 'utf8'));

function definitions() {
  const { registry } = loadDefinitionsFromDir(root('examples/definitions'));
  const ids = registry.list().map((definition) => definition.id);
  return { hasDefinition: (id: string) => registry.get(id) !== undefined, definitionIds: ids };
}

/** The problems validatePlan lists for test/fixtures/plans/onboarding-mistakes.json, one per line. */
export function validationExample(): string {
  const result = validatePlan(readJson('test/fixtures/plans/onboarding-mistakes.json'), definitions());
  if (result.ok) throw new Error('the mistakes fixture validated');
  return result.problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n');
}

/** The dry-run levels of examples/plans/customer-onboarding.json. */
export function levelsExample(): string {
  const result = validatePlan(readJson('examples/plans/customer-onboarding.json'), definitions());
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return JSON.stringify(planLevels(result.plan));
}

/** One line per decision: what the scheduler said, in the order a runner would see it. */
function line(step: string, decision: PlanDecision): string {
  const parts = [`${step.padEnd(34)} → ${decision.status}`];
  for (const start of decision.start) {
    const inPlace = start.standingInFor === undefined ? '' : ` in place of ${start.standingInFor}`;
    parts.push(`start ${start.actionId}${inPlace} with previousResults of [${Object.keys(start.previousResults).join(', ')}]`);
  }
  for (const request of decision.requestConfirmations) parts.push(`ask to confirm ${request.actionId}`);
  if (decision.wakeAt !== undefined) parts.push(`wake at ${new Date(decision.wakeAt).toISOString()}`);
  for (const ending of decision.end) parts.push(`${ending.actionId} ${ending.status}`);
  return parts.join('; ');
}

/** The customer-onboarding plan driven to its end by hand: each recorded event, then the decision it leads to. */
function walkthrough(): { lines: string[]; decisions: PlanDecision[] } {
  const result = validatePlan(readJson('examples/plans/customer-onboarding.json'), definitions());
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const plan = result.plan;
  let now = Date.parse('2026-01-01T09:00:00Z');
  let records: PlanRunRecords = { actions: {}, confirmations: [] };
  const lines: string[] = [];
  const decisions: PlanDecision[] = [];
  let last: PlanDecision | undefined;
  const decide = (step: string): void => {
    last = decidePlan({ plan, actions: records.actions, confirmations: records.confirmations, now, maxConcurrency: 4, startedAt: Date.parse('2026-01-01T09:00:00Z') });
    records = applyPlanDecision(records, last);
    decisions.push(last);
    lines.push(line(step, last));
  };
  const ended = (id: string, state: Partial<ActionRuntimeState>): void => {
    now += 400;
    records = { ...records, actions: { ...records.actions, [id]: { ...records.actions[id], status: 'completed', endedAt: now, ...state } } };
  };

  decide('submitted');
  ended('get_user', { output: { id: 'u_42', email: 'ada@example.com', name: 'Ada' } });
  decide('get_user completed');
  now += 90_000;
  records = { ...records, confirmations: records.confirmations.map((entry) => ({ ...entry, respondedAt: new Date(now).toISOString(), confirmed: true, userId: 'ops@example.com' })) };
  decide('ops@example.com confirmed');
  ended('create_order', { output: { orderId: 'ord_981', status: 'pending', amount: '4900' } });
  decide('create_order completed');
  ended('send_welcome', { status: 'failed', error: errorDetail('api_unexpected_status', 'POST /notifications answered 503', { statusCode: 503, retryable: true }) });
  decide('send_welcome failed (503)');
  ended('send_welcome_plain', { output: { notificationId: '5f0c8a52-8a8e-4a55-9d55-1d1b6c0e7f3a', status: 'queued' } });
  decide('send_welcome_plain completed');
  lines.push('', `metrics: ${JSON.stringify(last?.metrics)}`, `standIns: ${JSON.stringify(last?.standIns)}`);
  return { lines, decisions };
}

/** The walk-through, one line per decision. */
export function walkthroughExample(): string {
  return walkthrough().lines.join('\n');
}

/** The whole decision that pauses the plan for its confirmation, as JSON. */
export function pausedDecisionExample(): string {
  return JSON.stringify(walkthrough().decisions[1], null, 2);
}
