/**
 * The plan scheduler as a table (issue 11 "Keep the scheduling decision pure … test it as a table"):
 * each row is (plan, action states, confirmations, now) → the decision, titled after the rule of the
 * issue's Semantics section it shows. Properties over random plans follow in
 * plan-scheduler-properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ActionRuntimeState } from '../src/plans/action-runtime-state.ts';
import type { PlanConfirmation } from '../src/plans/plan-confirmation.ts';
import { planLevels } from '../src/plans/plan-levels.ts';
import { decidePlan, type PlanDecision } from '../src/plans/plan-scheduler.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { ExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { action, failure, iso, plan, states } from './support/plan-fixtures.ts';

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const { running, completed, failed, skipped, waiting } = states;

/** The decision, reduced to what a row states. */
interface Summary {
  status: PlanDecision['status'];
  start: string[];
  end: string[];
  ask: string[];
  timeouts: string[];
  cancel: string[];
}

interface Row {
  rule: string;
  actions: Record<string, unknown>[];
  checks?: Parameters<typeof plan>[1];
  states?: Record<string, ActionRuntimeState>;
  confirmations?: PlanConfirmation[];
  now?: number;
  max?: number;
  cancelled?: boolean;
  expected: Partial<Summary>;
  /** Details the summary does not show: reasons, errors, previousResults. */
  also?: (decision: PlanDecision) => void;
}

function summarize(decision: PlanDecision): Summary {
  return {
    status: decision.status,
    start: decision.start.map((start) => start.actionId),
    end: decision.end.map((ending) => `${ending.actionId}:${ending.status}`),
    ask: decision.requestConfirmations.map((request) => request.actionId),
    timeouts: decision.confirmationTimeouts.map((entry) => entry.actionId),
    cancel: decision.cancelRunning,
  };
}

function decide(row: Row): PlanDecision {
  return decidePlan({
    plan: plan(row.actions, row.checks),
    actions: row.states ?? {},
    confirmations: row.confirmations ?? [],
    now: row.now ?? T,
    maxConcurrency: row.max ?? 4,
    cancelled: row.cancelled,
  });
}

const endingOf = (decision: PlanDecision, id: string) => decision.end.find((ending) => ending.actionId === id);
const reasonOf = (decision: PlanDecision, id: string): string => {
  const ending = endingOf(decision, id);
  return ending?.status === 'skipped' ? ending.reason : `(no skip for ${id})`;
};
const errorOf = (decision: PlanDecision, id: string) => {
  const ending = endingOf(decision, id);
  return ending?.status === 'failed' ? ending.error : undefined;
};
const previousOf = (decision: PlanDecision, id: string) => decision.start.find((start) => start.actionId === id)?.previousResults;
const asked = (actionId: string, at = T - 1_000): PlanConfirmation => ({ actionId, requestedAt: iso(at) });
const answered = (actionId: string, confirmed: boolean, at = T - 500, userId = 'ops@example.com'): PlanConfirmation => ({
  actionId, requestedAt: iso(T - 1_000), respondedAt: iso(at), confirmed, userId,
});

const rows: Row[] = [
  // Scheduling
  {
    rule: 'scheduling: an action starts when all its dependencies have ended, not before',
    actions: [action('a'), action('b'), action('c', { deps: ['a', 'b'] })],
    states: { a: completed(), b: running() },
    expected: { status: 'running', start: [], end: [] },
  },
  {
    rule: 'scheduling: previousResults are the outputs of the actions it depends on, transitive ones included',
    actions: [action('a'), action('b', { deps: ['a'] }), action('c', { deps: ['b'] }), action('z')],
    states: { a: completed({ users: '[{"name":"Ada"}]' }), b: completed({ id: '7' }), z: completed({ other: 'x' }) },
    expected: { status: 'running', start: ['c'] },
    also: (d) => expect(previousOf(d, 'c')).toEqual({ a: '{"users":"[{\\"name\\":\\"Ada\\"}]"}', b: '{"id":"7"}' }),
  },
  {
    rule: 'scheduling: independent actions run in parallel, at most maxConcurrency at once, counting running ones',
    actions: [action('a'), action('b'), action('c'), action('d')],
    states: { a: running() },
    max: 3,
    expected: { status: 'running', start: ['b', 'c'] },
  },
  {
    rule: 'scheduling: nothing starts while maxConcurrency actions run',
    actions: [action('a'), action('b'), action('c')],
    states: { a: running(), b: running() },
    max: 2,
    expected: { status: 'running', start: [] },
  },
  {
    rule: 'crash safety: completed and in-flight actions are never started again (in-flight ones resume through their own journal)',
    actions: [action('a'), action('b'), action('c')],
    states: { a: completed(), b: running() },
    expected: { status: 'running', start: ['c'] },
  },
  // condition (decided by the single-action executor; the scheduler sees its result)
  {
    rule: 'condition: an action its condition skipped makes its dependents skipped, naming it',
    actions: [action('a'), action('b', { deps: ['a'] })],
    states: { a: skipped('Condition ${x.output.ok} is false, and the action says else: "skip".') },
    expected: { status: 'completed', end: ['b:skipped'] },
    also: (d) => expect(reasonOf(d, 'b')).toBe('Not run: its dependency "a" was skipped (Condition ${x.output.ok} is false, and the action says else: "skip".).'),
  },
  {
    rule: 'condition: else "fail" is a failure like any other: with no errorHandling it fails the plan',
    actions: [action('a'), action('b')],
    states: { a: failed(failure('Condition ${x.output.ok} is false, and the action says else: "fail".', 'validation_failed')), b: completed() },
    expected: { status: 'failed' },
    also: (d) => expect(d.error).toMatchObject({ category: 'validation_failed', context: { actionId: 'a' } }),
  },
  // errorHandling
  {
    rule: 'errorHandling: on failure the alternative runs once in its place',
    actions: [action('p', { alternative: 'x' }), action('x')],
    states: { p: failed() },
    expected: { status: 'running', start: ['x'] },
    also: (d) => expect(d.start[0]?.standingInFor).toBe('p'),
  },
  {
    rule: 'errorHandling: an alternative never runs on its own schedule: it waits while its primary has not failed',
    actions: [action('p', { alternative: 'x' }), action('x')],
    states: { p: running() },
    expected: { status: 'running', start: [], end: [] },
  },
  {
    rule: 'errorHandling: an alternative does not start before its primary even when it is free to (the primary still waits)',
    actions: [action('a'), action('p', { deps: ['a'], alternative: 'x' }), action('x')],
    states: { a: running() },
    expected: { status: 'running', start: [], end: [] },
  },
  {
    rule: 'errorHandling: an alternative whose primary completed is not needed: it ends skipped',
    actions: [action('p', { alternative: 'x' }), action('x'), action('d', { deps: ['p'] })],
    states: { p: completed({ id: '1' }) },
    expected: { status: 'running', start: ['d'], end: ['x:skipped'] },
    also: (d) => expect(reasonOf(d, 'x')).toBe('Not needed: "p" completed, so its alternative did not run.'),
  },
  {
    rule: 'errorHandling: when the alternative completes, its output stands in for the primary\'s',
    actions: [action('p', { alternative: 'x' }), action('x'), action('d', { deps: ['p'] })],
    states: { p: failed(), x: completed({ id: 'from-x' }) },
    expected: { status: 'running', start: ['d'] },
    also: (d) => {
      expect(previousOf(d, 'd')).toEqual({ p: '{"id":"from-x"}' });
      expect(d.standIns).toEqual({ p: { kind: 'alternative', actionId: 'x' } });
    },
  },
  {
    rule: 'errorHandling: otherwise fallbackValue stands in as the output for dependents',
    actions: [action('p', { fallback: { id: 'fallback-id' } }), action('d', { deps: ['p'] })],
    states: { p: failed() },
    expected: { status: 'running', start: ['d'] },
    also: (d) => {
      expect(previousOf(d, 'd')).toEqual({ p: '{"id":"fallback-id"}' });
      expect(d.standIns).toEqual({ p: { kind: 'fallback' } });
    },
  },
  {
    rule: 'errorHandling: fallbackValue stands in when the alternative failed too',
    actions: [action('p', { alternative: 'x', fallback: { id: 'fb' } }), action('x'), action('d', { deps: ['p'] })],
    states: { p: failed(), x: failed() },
    expected: { status: 'running', start: ['d'] },
    also: (d) => expect(previousOf(d, 'd')).toEqual({ p: '{"id":"fb"}' }),
  },
  {
    rule: 'errorHandling: dependents wait while the alternative runs',
    actions: [action('p', { alternative: 'x', fallback: { id: 'fb' } }), action('x'), action('d', { deps: ['p'] })],
    states: { p: failed(), x: running() },
    expected: { status: 'running', start: [], end: [] },
  },
  {
    rule: 'errorHandling: continueOnFailure lets the rest of the plan go on; dependents are skipped naming the dependency',
    actions: [action('p', { continueOnFailure: true }), action('d', { deps: ['p'] }), action('e')],
    states: { p: failed(failure('POST /customers answered 500')) },
    expected: { status: 'running', start: ['e'], end: ['d:skipped'] },
    also: (d) => expect(reasonOf(d, 'd')).toBe('Not run: its dependency "p" failed (api_unexpected_status: POST /customers answered 500), and nothing stands in for it.'),
  },
  {
    rule: 'errorHandling: a plan whose failures were all allowed to continue completes',
    actions: [action('p', { continueOnFailure: true }), action('d', { deps: ['p'] }), action('e')],
    states: { p: failed(), d: skipped('Not run: its dependency "p" failed'), e: completed() },
    expected: { status: 'completed', start: [], end: [] },
    also: (d) => expect(d.error).toBeUndefined(),
  },
  {
    rule: 'errorHandling: a failure with none of these fails the plan: no new action starts, running ones finish',
    actions: [action('a'), action('b'), action('c'), action('d', { deps: ['a'] })],
    states: { a: failed(), b: running() },
    expected: { status: 'running', start: [], end: ['c:skipped', 'd:skipped'] },
    also: (d) => expect(reasonOf(d, 'c')).toBe('Not run: the plan failed because "a" failed (api_unexpected_status: POST /customers answered 500) and nothing stands in for it.'),
  },
  {
    rule: 'errorHandling: … then the plan ends failed with that action\'s error',
    actions: [action('a'), action('b'), action('c')],
    states: { a: failed(failure('POST /customers answered 500'), 0, 20), b: completed(), c: skipped('Not run: the plan failed') },
    expected: { status: 'failed', start: [], end: [] },
    also: (d) => expect(d.error).toEqual({ ...failure('POST /customers answered 500'), context: { actionId: 'a' } }),
  },
  {
    rule: 'errorHandling: with two unhandled failures the plan fails with the one that ended first',
    actions: [action('a'), action('b')],
    states: { a: failed(failure('second'), 0, 50), b: failed(failure('first'), 0, 30) },
    expected: { status: 'failed' },
    also: (d) => expect(d.error?.message).toBe('first'),
  },
  {
    rule: 'errorHandling: an alternative\'s failure counts through its primary: the primary\'s error fails the plan',
    actions: [action('p', { alternative: 'x' }), action('x')],
    states: { p: failed(failure('primary broke')), x: failed(failure('alternative broke')) },
    expected: { status: 'failed' },
    also: (d) => expect(d.error).toMatchObject({ message: 'primary broke', context: { actionId: 'p' } }),
  },
  {
    rule: 'skip propagation: an action whose dependency was skipped is skipped, and so on down the chain in one decision',
    actions: [action('a'), action('b', { deps: ['a'] }), action('c', { deps: ['b'] })],
    states: { a: skipped('Condition ${x.output.ok} is false') },
    expected: { status: 'completed', end: ['b:skipped', 'c:skipped'] },
    also: (d) => expect(reasonOf(d, 'c')).toMatch(/^Not run: its dependency "b" was skipped \(Not run: its dependency "a" was skipped/),
  },
  // userConfirmation
  {
    rule: 'userConfirmation: a ready action that needs confirmation is requested (requestedAt = now) and its branch waits',
    actions: [action('a', { confirm: {} }), action('b', { deps: ['a'] })],
    expected: { status: 'paused_for_confirmation', start: [], ask: ['a'] },
    also: (d) => expect(d.requestConfirmations).toEqual([{ actionId: 'a', requestedAt: iso(T) }]),
  },
  {
    rule: 'userConfirmation: a request with a timeout says when to wake for it',
    actions: [action('a', { confirm: { timeout: 60_000 } })],
    expected: { status: 'paused_for_confirmation', ask: ['a'] },
    also: (d) => expect(d.wakeAt).toBe(T + 60_000),
  },
  {
    rule: 'userConfirmation: the plan is running, not paused, while other branches can run',
    actions: [action('a', { confirm: {} }), action('b')],
    expected: { status: 'running', start: ['b'], ask: ['a'] },
  },
  {
    rule: 'userConfirmation: confirmation is requested only once the action is otherwise ready',
    actions: [action('a'), action('b', { deps: ['a'], confirm: {} })],
    states: { a: running() },
    expected: { status: 'running', ask: [] },
  },
  {
    rule: 'userConfirmation: a pending request is not asked again; the plan stays paused',
    actions: [action('a', { confirm: {} })],
    states: { a: waiting() },
    confirmations: [asked('a')],
    expected: { status: 'paused_for_confirmation', start: [], ask: [], end: [] },
  },
  {
    rule: 'userConfirmation: confirm → the action runs',
    actions: [action('a', { confirm: {} })],
    states: { a: waiting() },
    confirmations: [answered('a', true)],
    expected: { status: 'running', start: ['a'] },
  },
  {
    rule: 'userConfirmation: reject → it ends failed with user_cancelled, naming who rejected',
    actions: [action('a', { confirm: {} })],
    states: { a: waiting() },
    confirmations: [answered('a', false)],
    expected: { status: 'failed', end: ['a:failed'] },
    also: (d) => {
      expect(errorOf(d, 'a')).toMatchObject({ category: 'user_cancelled', code: 'CONFIRMATION_REJECTED', context: { userId: 'ops@example.com' } });
      expect(errorOf(d, 'a')?.message).toBe(`"a" did not run: user ops@example.com rejected the confirmation "Run a?" at ${iso(T - 500)}.`);
      expect(d.error?.code).toBe('CONFIRMATION_REJECTED');
    },
  },
  {
    rule: 'userConfirmation: after a rejection the action\'s errorHandling applies (its alternative starts in the same decision)',
    actions: [action('a', { confirm: {}, alternative: 'x' }), action('x')],
    states: { a: waiting() },
    confirmations: [answered('a', false)],
    expected: { status: 'running', end: ['a:failed'], start: ['x'] },
  },
  {
    rule: 'userConfirmation: timeout → auto-reject at requestedAt + timeout, recorded as the response',
    actions: [action('a', { confirm: { timeout: 60_000 } }), action('b', { deps: ['a'], continueOnFailure: true })],
    states: { a: waiting() },
    confirmations: [asked('a', T - 60_000)],
    expected: { status: 'failed', end: ['a:failed', 'b:skipped'], timeouts: ['a'] },
    also: (d) => {
      expect(d.confirmationTimeouts).toEqual([{ actionId: 'a', requestedAt: iso(T - 60_000), respondedAt: iso(T), confirmed: false }]);
      expect(errorOf(d, 'a')).toMatchObject({ category: 'user_cancelled', code: 'CONFIRMATION_TIMEOUT' });
    },
  },
  {
    rule: 'userConfirmation: a millisecond before the timeout it still waits, and the decision says when to wake',
    actions: [action('a', { confirm: { timeout: 60_000 } })],
    states: { a: waiting() },
    confirmations: [asked('a', T - 59_999)],
    expected: { status: 'paused_for_confirmation', end: [], timeouts: [] },
    also: (d) => expect(d.wakeAt).toBe(T + 1),
  },
  {
    rule: 'userConfirmation: a timeout that fell due while no process ran fires on the next decision, dated when it fell due',
    actions: [action('a', { confirm: { timeout: 1_000 } })],
    states: { a: waiting() },
    confirmations: [asked('a', T - 86_400_000)],
    expected: { status: 'failed', timeouts: ['a'] },
    also: (d) => expect(d.confirmationTimeouts[0]?.respondedAt).toBe(iso(T - 86_400_000 + 1_000)),
  },
  {
    rule: 'userConfirmation: an answer recorded after the deadline does not count',
    actions: [action('a', { confirm: { timeout: 1_000 } })],
    states: { a: waiting() },
    confirmations: [{ actionId: 'a', requestedAt: iso(T - 5_000), respondedAt: iso(T - 100), confirmed: true, userId: 'late@example.com' }],
    expected: { status: 'failed', start: [], end: ['a:failed'], timeouts: [] },
    also: (d) => expect(errorOf(d, 'a')?.code).toBe('CONFIRMATION_TIMEOUT'),
  },
  // expectedOutcome
  {
    rule: 'expectedOutcome: checks run when every action has ended; a failed check fails the plan with validation_failed',
    actions: [action('a')],
    checks: [{ name: 'customer created', reference: '${a.output.id}', operator: 'exists' }],
    states: { a: completed({ name: 'Ada' }) },
    expected: { status: 'failed' },
    also: (d) => expect(d.error).toMatchObject({ category: 'validation_failed', code: 'EXPECTED_OUTCOME_FAILED', context: { check: 'customer created' } }),
  },
  {
    rule: 'expectedOutcome: checks do not run while an action has not ended',
    actions: [action('a'), action('b')],
    checks: [{ name: 'customer created', reference: '${a.output.id}', operator: 'exists' }],
    states: { a: completed({ name: 'Ada' }), b: running() },
    expected: { status: 'running' },
    also: (d) => expect(d.error).toBeUndefined(),
  },
  {
    rule: 'expectedOutcome: checks read what stands in for a failed action',
    actions: [action('a', { fallback: { id: 'placeholder' } })],
    checks: [{ name: 'has id', reference: '${a.output.id}', operator: 'equals', value: 'placeholder' }],
    states: { a: failed() },
    expected: { status: 'completed' },
  },
  // cancel
  {
    rule: 'cancel: running actions are to be cancelled, nothing new starts, the rest end skipped',
    actions: [action('a'), action('b'), action('c', { confirm: {} })],
    states: { a: running(), c: waiting() },
    confirmations: [asked('c')],
    cancelled: true,
    expected: { status: 'running', start: [], cancel: ['a'], end: ['b:skipped', 'c:skipped'] },
    also: (d) => expect(reasonOf(d, 'b')).toBe('Not run: the plan was cancelled.'),
  },
  {
    rule: 'cancel: the plan ends cancelled once nothing runs, whatever the results',
    actions: [action('a'), action('b')],
    states: { a: failed(failure('cancelled by the plan', 'user_cancelled')), b: skipped('Not run: the plan was cancelled.') },
    cancelled: true,
    expected: { status: 'cancelled', start: [], end: [], cancel: [] },
    also: (d) => expect(d.error).toBeUndefined(),
  },
  // robustness
  {
    rule: 'an unvalidated plan whose actions wait for each other fails as PLAN_STUCK instead of hanging',
    actions: [action('a', { deps: ['b'] }), action('b', { deps: ['a'] })],
    expected: { status: 'failed', end: ['a:skipped', 'b:skipped'] },
    also: (d) => expect(d.error).toMatchObject({ category: 'state_inconsistent', code: 'PLAN_STUCK' }),
  },
];

describe('plan scheduler: the decision table (issue 11 Semantics)', () => {
  it.each(rows)('$rule', (row) => {
    const decision = decide(row);
    expect(summarize(decision)).toMatchObject(row.expected);
    row.also?.(decision);
    for (const ending of decision.end) if (ending.status === 'failed') ErrorDetailSchema.parse(ending.error);
    if (decision.error !== undefined) ErrorDetailSchema.parse(decision.error);
    expect(ExecutionStateSchema.shape.status.options).toContain(decision.status);
  });
});

describe('plan scheduler: metrics and limits', () => {
  it('metrics are kept current: counts after the decision, duration up to now while running', () => {
    const decision = decidePlan({
      plan: plan([action('a'), action('b', { deps: ['a'] }), action('c'), action('d', { deps: ['c'] })]),
      actions: { a: completed({}, T - 5_000, T - 4_000), c: skipped('Condition false', T - 4_500) },
      confirmations: [],
      now: T,
      maxConcurrency: 4,
      startedAt: T - 6_000,
    });
    expect(decision.metrics).toEqual({ totalActions: 4, completedActions: 1, failedActions: 0, skippedActions: 2, totalDuration: 6_000 });
  });

  it('metrics of an ended plan: the duration runs to the last end, so it does not grow on later decisions', () => {
    const input = {
      plan: plan([action('a'), action('b')]),
      actions: { a: completed({}, T - 5_000, T - 4_000), b: failed(failure(), T - 5_000, T - 3_000) },
      confirmations: [],
      maxConcurrency: 4,
    };
    const first = decidePlan({ ...input, now: T });
    expect(first.metrics).toEqual({ totalActions: 2, completedActions: 1, failedActions: 1, skippedActions: 0, totalDuration: 2_000 });
    expect(decidePlan({ ...input, now: T + 60_000 }).metrics).toEqual(first.metrics);
  });

  it('refuses a maxConcurrency below 1', () => {
    expect(() => decidePlan({ plan: plan([action('a')]), actions: {}, confirmations: [], now: T, maxConcurrency: 0 })).toThrow(/maxConcurrency must be a positive integer, got 0/);
  });
});

describe('plan levels (dry run order)', () => {
  it('levels follow the deepest dependency, in plan order within a level, without alternatives', () => {
    const levels = planLevels(plan([
      action('notify', { deps: ['create', 'profile'] }),
      action('create', { alternative: 'create_backup' }),
      action('profile', { deps: ['create'] }),
      action('audit'),
      action('create_backup'),
    ]));
    expect(levels).toEqual([['create', 'audit'], ['profile'], ['notify']]);
  });

  it('refuses a cyclic plan, naming the actions', () => {
    expect(() => planLevels(plan([action('a', { deps: ['b'] }), action('b', { deps: ['a'] })]))).toThrow(/"a", "b" cannot be placed/);
  });
});
