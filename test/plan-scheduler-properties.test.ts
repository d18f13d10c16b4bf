/**
 * Properties of the plan scheduler over random valid plans driven to the end by random outcomes
 * (fast-check, fixed seed): it never exceeds maxConcurrency, never starts an action before its
 * dependencies ended, always brings every action to an end, and once the plan is terminal its
 * decision no longer changes. The runner's loop is simulated with decidePlan + applyPlanDecision.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasEnded, type ActionRuntimeState } from '../src/plans/action-runtime-state.ts';
import { applyPlanDecision, type PlanRunRecords } from '../src/plans/plan-decision-apply.ts';
import { graphOfPlan } from '../src/plans/plan-graph.ts';
import { decidePlan, type PlanDecision } from '../src/plans/plan-scheduler.ts';
import { validatePlan } from '../src/plans/plan-validation.ts';
import type { ExecutionPlan } from '../src/schemas/plan.ts';
import { action, failure, iso, rawPlan, type ActionSpec } from './support/plan-fixtures.ts';

const RUNS = 200;
const T0 = 1_767_225_600_000;

interface CoreSpec {
  deps: number[];
  continueOnFailure: boolean;
  fallback: boolean;
  confirm: 'no' | 'yes' | 'timeout';
  /** Give it an alternative (which gets dependencies only on actions before this one's earliest). */
  alternative: boolean;
}

const coreSpec = (index: number): fc.Arbitrary<CoreSpec> => fc.record({
  deps: index === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat({ max: index - 1 }), { maxLength: 3 }),
  continueOnFailure: fc.boolean(),
  fallback: fc.boolean(),
  confirm: fc.constantFrom('no', 'no', 'yes', 'timeout'),
  alternative: fc.boolean(),
});

/**
 * Valid plans by construction: core actions depend only on earlier core actions; an alternative
 * for core action i is appended with no dependencies, or only on core action 0 when i does not
 * (transitively) depend on it, so it never waits for what it replaces.
 */
const planArb: fc.Arbitrary<ExecutionPlan> = fc.integer({ min: 1, max: 7 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => coreSpec(i))))
  .map((specs) => {
    const raw: Record<string, unknown>[] = [];
    const alternatives: Record<string, unknown>[] = [];
    const reaches = (from: number, target: number): boolean => from === target || (specs[from]?.deps ?? []).some((dep) => reaches(dep, target));
    specs.forEach((spec, i) => {
      const s: ActionSpec = { deps: spec.deps.map((dep) => `a${dep}`), continueOnFailure: spec.continueOnFailure };
      if (spec.fallback) s.fallback = { v: `fallback-${i}` };
      if (spec.confirm !== 'no') s.confirm = spec.confirm === 'timeout' ? { timeout: 5_000 } : {};
      if (spec.alternative) {
        s.alternative = `alt${i}`;
        alternatives.push(action(`alt${i}`, { deps: i > 0 && !reaches(i, 0) ? ['a0'] : [] }));
      }
      raw.push(action(`a${i}`, s));
    });
    const result = validatePlan(rawPlan([...raw, ...alternatives]), { hasDefinition: () => true });
    if (!result.ok) throw new Error(`generator made an invalid plan: ${JSON.stringify(result.problems)}`);
    return result.plan;
  });

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

interface Run {
  decisions: { before: PlanRunRecords; decision: PlanDecision }[];
  records: PlanRunRecords;
  now: number;
  cancelled: boolean;
}

/** The runner's loop: decide, apply, then let one thing happen (an action ends, a person answers, time passes). */
function simulate(plan: ExecutionPlan, tape: readonly number[], maxConcurrency: number): Run {
  let records: PlanRunRecords = { actions: {}, confirmations: [] };
  let now = T0;
  let cancelled = false;
  let t = 0;
  const draw = (): number => tape[t++ % tape.length] ?? 0;
  const decisions: Run['decisions'] = [];
  for (let step = 0; step < 200; step++) {
    const decision = decidePlan({ plan, actions: records.actions, confirmations: records.confirmations, now, maxConcurrency, cancelled });
    decisions.push({ before: records, decision });
    records = applyPlanDecision(records, decision);
    if (TERMINAL.has(decision.status)) return { decisions, records, now, cancelled };

    const running = Object.entries(records.actions).filter(([, state]) => state.status === 'running').map(([id]) => id);
    const unanswered = records.confirmations.filter((entry) => entry.confirmed === undefined && records.actions[entry.actionId]?.status === 'waiting_confirmation');
    const events: (() => void)[] = [
      ...running.map((id) => () => {
        const state = records.actions[id] as ActionRuntimeState;
        const ended: ActionRuntimeState = draw() % 3 === 0
          ? { ...state, status: 'failed', error: failure(`${id} failed`), endedAt: now }
          : { ...state, status: 'completed', output: { v: `${id}-${draw()}` }, endedAt: now };
        records = { ...records, actions: { ...records.actions, [id]: ended } };
      }),
      ...unanswered.map((entry) => () => {
        const response = { ...entry, respondedAt: iso(now), confirmed: draw() % 4 !== 0, userId: 'ops' };
        records = { ...records, confirmations: records.confirmations.map((e) => (e === entry ? response : e)) };
      }),
    ];
    if (decision.wakeAt !== undefined) events.push(() => { now = Math.max(now, decision.wakeAt ?? now); });
    if (!cancelled && draw() % 40 === 0) events.push(() => { cancelled = true; });
    if (events.length === 0) throw new Error(`no event possible in status ${decision.status}: ${JSON.stringify(records)}`);
    // A short tape repeats; past step 100 take the first event, so a periodic tape cannot starve progress.
    events[step > 100 ? 0 : draw() % events.length]?.();
    now += 1 + (draw() % 50);
  }
  throw new Error('the plan did not reach a terminal status in 200 steps');
}

const tapeArb = fc.array(fc.nat({ max: 1_000 }), { minLength: 1, maxLength: 64 });
const maxArb = fc.integer({ min: 1, max: 4 });

describe('plan scheduler properties', () => {
  it('never starts more than maxConcurrency actions at once, counting those already running', () => {
    fc.assert(fc.property(planArb, tapeArb, maxArb, (plan, tape, max) => {
      for (const { before, decision } of simulate(plan, tape, max).decisions) {
        const running = Object.values(before.actions).filter((state) => state.status === 'running').length;
        expect(decision.start.length === 0 || running + decision.start.length <= max).toBe(true);
      }
    }), { seed: 20260111, numRuns: RUNS });
  });

  it('never starts an action before its dependencies ended, nor an alternative before its primary failed', () => {
    fc.assert(fc.property(planArb, tapeArb, maxArb, (plan, tape, max) => {
      const graph = graphOfPlan(plan);
      for (const { before, decision } of simulate(plan, tape, max).decisions) {
        // Ended before the decision, or by it (a rejection ends an action and starts its alternative at once).
        const statusOf = (id: string): string => decision.end.find((ending) => ending.actionId === id)?.status ?? before.actions[id]?.status ?? 'pending';
        for (const start of decision.start) {
          for (const dep of graph.dependenciesOf(start.actionId)) expect(hasEnded(statusOf(dep) as ActionRuntimeState['status'])).toBe(true);
          const primary = graph.primaryOf(start.actionId);
          if (primary !== undefined) expect(statusOf(primary)).toBe('failed');
          // previousResults hold only what the action may read: its transitive dependencies.
          for (const id of Object.keys(start.previousResults)) expect(graph.transitiveDependencies(start.actionId).has(id)).toBe(true);
          expect(before.actions[start.actionId]?.status ?? 'pending').not.toMatch(/^(running|completed|failed|skipped)$/);
        }
      }
    }), { seed: 20260112, numRuns: RUNS });
  });

  it('always ends: every action ends recorded, and the metrics add up', () => {
    fc.assert(fc.property(planArb, tapeArb, maxArb, (plan, tape, max) => {
      const { decisions, records } = simulate(plan, tape, max);
      const last = decisions.at(-1)?.decision as PlanDecision;
      for (const item of plan.actions) expect(hasEnded(records.actions[item.id]?.status ?? 'pending')).toBe(true);
      const { totalActions, completedActions, failedActions, skippedActions } = last.metrics;
      expect(completedActions + failedActions + skippedActions).toBe(totalActions);
      expect(last.status === 'failed').toBe(last.error !== undefined);
    }), { seed: 20260113, numRuns: RUNS });
  });

  it('the decision for a terminal plan is stable: deciding again later changes nothing', () => {
    fc.assert(fc.property(planArb, tapeArb, maxArb, fc.nat({ max: 10_000_000 }), (plan, tape, max, later) => {
      const { decisions, records, now, cancelled } = simulate(plan, tape, max);
      const last = decisions.at(-1)?.decision as PlanDecision;
      const again = decidePlan({ plan, actions: records.actions, confirmations: records.confirmations, now: now + later, maxConcurrency: max, cancelled });
      expect({ ...again, decidedAt: 0, standIns: {} }).toEqual({ ...last, decidedAt: 0, start: [], end: [], requestConfirmations: [], confirmationTimeouts: [], standIns: {} });
      expect(applyPlanDecision(records, again)).toEqual(records);
    }), { seed: 20260114, numRuns: RUNS });
  });

  it('a decision, once applied, is complete: deciding again at the same instant adds nothing', () => {
    fc.assert(fc.property(planArb, tapeArb, maxArb, (plan, tape, max) => {
      for (const { before, decision } of simulate(plan, tape, max).decisions) {
        const applied = applyPlanDecision(before, decision);
        const cancelled = decision.cancelRunning.length > 0 || decision.status === 'cancelled' || undefined;
        const again = decidePlan({ plan, actions: applied.actions, confirmations: applied.confirmations, now: decision.decidedAt, maxConcurrency: max, cancelled });
        expect(again.start).toEqual([]);
        expect(again.end).toEqual([]);
        expect(again.requestConfirmations).toEqual([]);
        expect(again.confirmationTimeouts).toEqual([]);
        expect(again.status).toBe(decision.status);
      }
    }), { seed: 20260115, numRuns: RUNS });
  });
});
