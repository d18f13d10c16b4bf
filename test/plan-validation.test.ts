/**
 * Issue 11 "Validation before anything runs": every problem of a plan at once, each with its JSON
 * path. One test per rule, titled after it; a property that no input makes validation throw.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validatePlan, type PlanProblem, type PlanValidation } from '../src/plans/plan-validation.ts';
import { action, rawPlan } from './support/plan-fixtures.ts';

const definitions = ['get-user', 'create-order', 'send-notification'];
const opts = { hasDefinition: (id: string) => definitions.includes(id), definitionIds: definitions };

function problemsOf(result: PlanValidation): PlanProblem[] {
  if (result.ok) throw new Error('expected the plan to be refused');
  return result.problems;
}

/** The problems of a plan built from these actions (and checks). */
function problems(actions: unknown[], validations: Parameters<typeof rawPlan>[1] = []): PlanProblem[] {
  return problemsOf(validatePlan(rawPlan(actions, validations), opts));
}

function at(list: PlanProblem[], path: string): string[] {
  return list.filter((problem) => problem.path === path).map((problem) => problem.message);
}

describe('plan validation (issue 11)', () => {
  it('accepts a valid plan and returns it parsed', () => {
    const input = rawPlan(
      [
        action('create', { definition: 'create-order' }),
        action('notify', { deps: ['create'], inputs: { orderId: '${create.output.id}', note: 'order ${create.output.id} placed' }, alternative: 'sms' }),
        action('sms', { definition: 'send-notification' }),
        action('audit', { deps: ['notify'], inputs: { orderId: '${create.output.id}' }, condition: { if: '${notify.output.sent}', else: 'skip' } }),
      ],
      [{ name: 'order exists', reference: '${create.output.id}', operator: 'exists' }],
    );
    const result = validatePlan(input, opts);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.plan.actions.map((a) => a.id)).toEqual(['create', 'notify', 'sms', 'audit']);
  });

  it('refuses a value that is not a plan object, saying what it found', () => {
    expect(problemsOf(validatePlan([], opts))).toEqual([{ path: '$', message: 'expected an execution plan object, found an array' }]);
    expect(problemsOf(validatePlan('plan', opts))[0]?.message).toContain('found a string');
  });

  it('the spec schema: zod issues become problems with JSON paths', () => {
    const input = rawPlan([{ ...action('a'), dependencies: 'b' }]);
    input['id'] = 'not-a-uuid';
    const list = problemsOf(validatePlan(input, opts));
    expect(at(list, '$.id').join()).toMatch(/uuid/i);
    expect(at(list, '$.actions[0].dependencies').join()).toMatch(/expected array/);
  });

  it('the spec schema: an input that is neither string, number nor boolean says what inputs may be', () => {
    const list = problems([action('a', { inputs: { user: { id: 1 } as never } })]);
    expect(at(list, '$.actions[0].inputs.user')).toEqual(['expected a string (which may hold ${action.output.field} references), a number or a boolean; received object with keys id']);
  });

  it('unknown fields are reported with a suggestion, even when the schema fails elsewhere', () => {
    const input = rawPlan([{ ...action('a'), conditon: { if: '${b.output.ok}' } }]);
    input['name'] = 42;
    const list = problemsOf(validatePlan(input, opts));
    expect(at(list, '$.actions[0].conditon')[0]).toContain('did you mean "condition"?');
    expect(at(list, '$.name')).toHaveLength(1);
  });

  it('reserved action ids: an id starting with "@" is refused, since it names the journal\'s own rows (a plan run is "@plan")', () => {
    const list = problems([action('@plan'), action('@later'), action('plain@id')]);
    expect(at(list, '$.actions[0].id')).toEqual(['action id "@plan" is reserved: ids starting with "@" name the journal\'s own records (a plan run is recorded as "@plan"); rename the action']);
    expect(at(list, '$.actions[1].id')).toHaveLength(1);
    expect(at(list, '$.actions[2].id')).toEqual([]);
  });

  it('duplicate action ids: the later one is reported, naming the first', () => {
    const list = problems([action('a'), action('b'), action('a')]);
    expect(list).toEqual([{ path: '$.actions[2].id', message: 'duplicate action id "a": $.actions[0] already has it; action ids must be unique within a plan' }]);
  });

  it('an unknown actionDefinitionId is reported with the closest loaded definition', () => {
    const list = problems([action('a', { definition: 'get-usr' })]);
    expect(at(list, '$.actions[0].actionDefinitionId')).toEqual(['unknown action definition "get-usr": no definition with this id is loaded; did you mean "get-user"?']);
  });

  it('a dependency on an unknown action is reported at the dependency entry', () => {
    const list = problems([action('create'), action('notify', { deps: ['create', 'craete'] })]);
    expect(list).toEqual([{ path: '$.actions[1].dependencies[1]', message: '"notify" depends on "craete", which is not an action of this plan; did you mean "create"?' }]);
  });

  it('a dependency cycle is printed as the cycle, once, from its first action in plan order', () => {
    const list = problems([action('a', { deps: ['c'] }), action('b', { deps: ['a'] }), action('c', { deps: ['b'] })]);
    expect(list).toEqual([{ path: '$.actions[0].dependencies[0]', message: 'dependency cycle: a → c → b → a (each action waits for the next, so none of them can ever start)' }]);
  });

  it('each distinct cycle is reported once, and an action depending on itself is a cycle too', () => {
    const list = problems([
      action('a', { deps: ['b'] }), action('b', { deps: ['a', 'c'] }), action('c', { deps: ['b'] }), action('d', { deps: ['d'] }),
    ]);
    expect(list.map((problem) => problem.message.match(/[a-z]( → [a-z])+/)?.[0])).toEqual(['a → b → a', 'b → c → b', 'd → d']);
    expect(at(list, '$.actions[3].dependencies[0]')).toEqual(['"d" depends on itself (d → d), so it can never start']);
  });

  it('an input reference to an action that is not a dependency is refused, naming what to add', () => {
    const list = problems([action('a'), action('b'), action('c', { deps: ['b'], inputs: { id: 'user ${a.output.id}' } })]);
    expect(list).toEqual([{
      path: '$.actions[2].inputs.id',
      message: '${a.output.id} reads the output of "a", which "c" does not depend on (directly or transitively), so it may not have run yet; add "a" to $.actions[2].dependencies',
    }]);
  });

  it('a reference to a transitive dependency is allowed', () => {
    const result = validatePlan(rawPlan([action('a'), action('b', { deps: ['a'] }), action('c', { deps: ['b'], inputs: { id: '${a.output.id}' } })]), opts);
    expect(result.ok).toBe(true);
  });

  it('a condition reference must read a dependency too', () => {
    const list = problems([action('a'), action('b', { condition: { if: '${a.output.ok}', else: 'skip' } })]);
    expect(at(list, '$.actions[1].condition.if')[0]).toContain('which "b" does not depend on');
  });

  it('references to the action itself, to unknown actions, to credentials or env, and malformed ones are each explained', () => {
    const list = problems([action('users'), action('a', {
      deps: ['users'],
      inputs: { self: '${a.output.x}', unknown: '${usres.output.x}', secret: '${credentials.TOKEN}', env: '${env.HOME}', bad: '${users.outptu.x}' },
    })]);
    expect(at(list, '$.actions[1].inputs.self')[0]).toContain('reads the output of "a" itself');
    expect(at(list, '$.actions[1].inputs.unknown')[0]).toContain('"usres", which is not an action of this plan; did you mean "users"?');
    expect(at(list, '$.actions[1].inputs.secret')[0]).toContain('credentials may only be used in a definition\'s authentication fields and headers');
    expect(at(list, '$.actions[1].inputs.env')[0]).toContain('can never read environment variables');
    expect(at(list, '$.actions[1].inputs.bad')[0]).toMatch(/^malformed reference \$\{users\.outptu\.x\}: expected "output"/);
  });

  it('an unknown alternativeActionId is reported', () => {
    const list = problems([action('email', { alternative: 'sms_fallbak' }), action('sms_fallback')]);
    expect(at(list, '$.actions[0].errorHandling.alternativeActionId')).toEqual(['"email" names "sms_fallbak" as its alternative, which is not an action of this plan; did you mean "sms_fallback"?']);
  });

  it('a self-referencing alternativeActionId is reported', () => {
    const list = problems([action('a', { alternative: 'a' })]);
    expect(at(list, '$.actions[0].errorHandling.alternativeActionId')[0]).toContain('"a" names itself as its alternative');
  });

  it('an alternative stands in for one action only', () => {
    const list = problems([action('a', { alternative: 'x' }), action('b', { alternative: 'x' }), action('x')]);
    expect(at(list, '$.actions[1].errorHandling.alternativeActionId')).toEqual(['"x" is already the alternative of "a"; an alternative runs once, in the place of one action only']);
  });

  it('alternatives that replace each other in a loop are reported once', () => {
    const list = problems([action('a', { alternative: 'b' }), action('b', { alternative: 'a' })]);
    const loops = list.filter((problem) => problem.message.startsWith('alternatives form a loop'));
    expect(loops).toEqual([{ path: '$.actions[0].errorHandling.alternativeActionId', message: expect.stringContaining('a → b → a') }]);
  });

  it('no action may depend on an alternative (it depends on the primary instead)', () => {
    const list = problems([action('a', { alternative: 'x' }), action('x'), action('d', { deps: ['x'] })]);
    expect(at(list, '$.actions[2].dependencies[0]')[0]).toContain('"x" is the alternative of "a": it runs only in "a"\'s place, so no action may depend on it; depend on "a" instead');
  });

  it('an alternative may not wait for the action it stands in for', () => {
    const list = problems([action('a', { alternative: 'x' }), action('b', { deps: ['a'] }), action('x', { deps: ['b'] })]);
    expect(at(list, '$.actions[2].dependencies[0]')).toEqual(['"x" stands in for "a" but depends on it (through "b"), so it would wait for itself; an alternative must not depend on the action it replaces, directly or through other actions']);
  });

  it('an alternative may depend on what its primary depends on', () => {
    const result = validatePlan(rawPlan([
      action('user'),
      action('email', { deps: ['user'], inputs: { to: '${user.output.email}' }, alternative: 'sms' }),
      action('sms', { deps: ['user'], inputs: { to: '${user.output.phone}' } }),
    ]), opts);
    expect(result).toMatchObject({ ok: true });
  });

  it('a reference to an alternative suggests reading its primary, whose output it stands in for', () => {
    const list = problems([action('a', { alternative: 'x' }), action('x'), action('d', { deps: ['a'], inputs: { id: '${x.output.id}' } })]);
    expect(at(list, '$.actions[2].inputs.id')[0]).toContain('read ${a.output.id} instead');
  });

  it('an expected-outcome reference may read any action of the plan, but it must exist', () => {
    const ok = validatePlan(rawPlan([action('a'), action('b')], [{ name: 'a ran', reference: '${a.output.id}', operator: 'exists' }]), opts);
    expect(ok.ok).toBe(true);
    const list = problems([action('a')], [{ name: 'b ran', reference: '${b.output.id}', operator: 'exists' }]);
    expect(at(list, '$.expectedOutcome.validations[0].reference')).toEqual(['${b.output.id} reads the output of "b", which is not an action of this plan']);
  });

  it('equals, contains and matches need a value to compare with', () => {
    const list = problems([action('a')], [{ name: 'x', reference: '${a.output.id}', operator: 'equals' }]);
    expect(at(list, '$.expectedOutcome.validations[0].value')).toEqual(['operator "equals" compares the output with a value, but this check gives none']);
  });

  it('a matches pattern RE2 cannot compile is refused (RE2: no lookaround, linear time)', () => {
    const list = problems([action('a')], [
      { name: 'lookahead', reference: '${a.output.id}', operator: 'matches', value: '^(?=u)' },
      { name: 'fine', reference: '${a.output.id}', operator: 'matches', value: '^usr_[0-9]+$' },
    ]);
    expect(list.map((problem) => problem.path)).toEqual(['$.expectedOutcome.validations[0].value']);
    expect(list[0]?.message).toMatch(/^is not a valid pattern: .*RE2 syntax/);
  });

  it('lists every problem at once, sorted by path in natural order', () => {
    const actions = Array.from({ length: 12 }, (_, i) => action(`a${i}`));
    actions[2] = action('a2', { deps: ['nope'] });
    actions[10] = action('a10', { definition: 'nope' });
    const list = problems(actions, [{ name: 'x', reference: '${gone.output.id}', operator: 'exists' }]);
    expect(list.map((problem) => problem.path)).toEqual(['$.actions[2].dependencies[0]', '$.actions[10].actionDefinitionId', '$.expectedOutcome.validations[0].reference']);
  });

  it('never throws, whatever the input: every answer is a plan or problems with a $ path', () => {
    const actionLike = fc.record({
      id: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.anything()),
      actionDefinitionId: fc.oneof(fc.constant('get-user'), fc.anything()),
      inputs: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.constantFrom('${a.output.x}', '${', '${b.output}'), fc.anything())), fc.anything()),
      dependencies: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'c', 'z')), fc.anything()),
      errorHandling: fc.oneof(fc.record({ continueOnFailure: fc.boolean(), alternativeActionId: fc.constantFrom('a', 'b', 'c') }), fc.anything()),
    }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(actionLike, { maxLength: 5 }).map((actions) => rawPlan(actions))), (input) => {
        const result = validatePlan(input, opts);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems) expect(problem.path.startsWith('$')).toBe(true);
        }
      }),
      { seed: 20260111, numRuns: 300 },
    );
  });
});
