/**
 * Issue 11 "expectedOutcome.validations": exists, equals, contains and matches against the outputs
 * that stand for each action; a failed check is a validation_failed ErrorDetail naming the check, the
 * reference and the value found — redacted.
 */
import { describe, expect, it } from 'vitest';
import { checkExpectedOutcome, type OutcomeVerdict, type PlanOutputs } from '../src/plans/plan-outcome.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { action, plan } from './support/plan-fixtures.ts';

type Check = Parameters<typeof plan>[1] extends (infer C)[] | undefined ? C : never;

const noSecrets = createRedactor();
const outputs: PlanOutputs = {
  create: { id: 'usr_123', email: 'ada@example.com', tags: '["vip","beta"]', profile: '{"tier":"gold","seats":3}', active: 'true', count: '42' },
  notify: { status: 'sent' },
};

function check(one: Check, from: PlanOutputs = outputs, redactor = noSecrets): OutcomeVerdict {
  return checkExpectedOutcome(plan([action('create'), action('notify')], [one]), from, redactor);
}

function failed(verdict: OutcomeVerdict): Extract<OutcomeVerdict, { ok: false }> {
  if (verdict.ok) throw new Error('expected the check to fail');
  expect(ErrorDetailSchema.safeParse(verdict.error).success).toBe(true);
  return verdict;
}

describe('expected outcome checks (issue 11)', () => {
  it('exists holds when the path is present, and fails naming the missing key', () => {
    expect(check({ name: 'has id', reference: '${create.output.id}', operator: 'exists' }).ok).toBe(true);
    const verdict = failed(check({ name: 'has phone', reference: '${create.output.phone}', operator: 'exists' }));
    expect(verdict.failures[0]).toMatchObject({ check: 'has phone', reference: '${create.output.phone}', operator: 'exists' });
    expect(verdict.failures[0]?.found).toMatch(/^nothing: .*has no key "phone"/);
  });

  it('equals compares the value as text, so numbers and booleans compare with their text', () => {
    expect(check({ name: 'id', reference: '${create.output.id}', operator: 'equals', value: 'usr_123' }).ok).toBe(true);
    expect(check({ name: 'seats', reference: '${create.output.profile.seats}', operator: 'equals', value: '3' }).ok).toBe(true);
    expect(check({ name: 'active', reference: '${create.output.active}', operator: 'equals', value: 'true' }).ok).toBe(true);
    const verdict = failed(check({ name: 'tier', reference: '${create.output.profile.tier}', operator: 'equals', value: 'platinum' }));
    expect(verdict.error).toMatchObject({
      category: 'validation_failed',
      code: 'EXPECTED_OUTCOME_FAILED',
      message: 'Expected outcome check "tier": ${create.output.profile.tier} should equal "platinum"; found string "gold".',
      context: { check: 'tier', reference: '${create.output.profile.tier}', operator: 'equals', expected: 'platinum', found: 'string "gold"' },
    });
  });

  it('contains: a substring of a string, an element of an array, a key of an object', () => {
    expect(check({ name: 's', reference: '${create.output.email}', operator: 'contains', value: '@example' }).ok).toBe(true);
    expect(check({ name: 'a', reference: '${create.output.tags}', operator: 'contains', value: 'vip' }).ok).toBe(true);
    expect(check({ name: 'o', reference: '${create.output.profile}', operator: 'contains', value: 'tier' }).ok).toBe(true);
    // An array element must equal the value: "vi" is part of "vip" but not an element.
    const verdict = failed(check({ name: 'a', reference: '${create.output.tags}', operator: 'contains', value: 'vi' }));
    expect(verdict.failures[0]?.found).toBe('array ["vip","beta"]');
  });

  it('matches runs an RE2 pattern, case-sensitive unless it says (?i)', () => {
    expect(check({ name: 'm', reference: '${create.output.id}', operator: 'matches', value: '^usr_[0-9]+$' }).ok).toBe(true);
    expect(check({ name: 'm', reference: '${create.output.id}', operator: 'matches', value: '^USR_' }).ok).toBe(false);
    expect(check({ name: 'm', reference: '${create.output.id}', operator: 'matches', value: '(?i)^USR_' }).ok).toBe(true);
  });

  it('matches takes linear time on a pattern that backtracks catastrophically in RegExp', () => {
    const long = { create: { id: `${'a'.repeat(5_000)}!` } };
    const started = performance.now();
    expect(check({ name: 'redos', reference: '${create.output.id}', operator: 'matches', value: '^(a+)+$' }, long).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('a check on an action with no output fails, saying it has none', () => {
    const verdict = failed(check({ name: 'sent', reference: '${notify.output.status}', operator: 'exists' }, { create: outputs['create'] ?? {} }));
    expect(verdict.failures[0]?.found).toBe('nothing: "notify" has no output (it did not complete, and nothing stood in for it)');
  });

  it('the value found is redacted: a credential value never appears, a secret-named field is hidden', () => {
    const secret = 'sk_live_abcdef123456';
    const leaky: PlanOutputs = { create: { id: `id-${secret}`, api_token: 'tok_zzzzzzzz' } };
    const redactor = createRedactor([secret]);
    const verdict = failed(check({ name: 'id', reference: '${create.output.id}', operator: 'equals', value: 'x' }, leaky, redactor));
    expect(JSON.stringify(verdict)).not.toContain(secret);
    expect(verdict.error.context['found']).toBe('string "id-[REDACTED]"');
    const hidden = failed(check({ name: 't', reference: '${create.output.api_token}', operator: 'equals', value: 'x' }, leaky, redactor));
    expect(hidden.failures[0]?.found).toBe('string [REDACTED]');
    expect(JSON.stringify(hidden)).not.toContain('tok_zzzzzzzz');
  });

  it('every failing check is reported in one error; the context names the first', () => {
    const verdict = failed(checkExpectedOutcome(plan([action('create'), action('notify')], [
      { name: 'id', reference: '${create.output.id}', operator: 'exists' },
      { name: 'sent', reference: '${notify.output.status}', operator: 'equals', value: 'delivered' },
      { name: 'vip', reference: '${create.output.tags}', operator: 'contains', value: 'gold' },
    ]), outputs, noSecrets));
    expect(verdict.failures.map((failure) => failure.check)).toEqual(['sent', 'vip']);
    expect(verdict.error.message).toMatch(/^2 of 3 expected outcome checks failed: "sent": .*; "vip": /);
    expect(verdict.error.context).toMatchObject({ check: 'sent', failedChecks: 'sent, vip' });
  });

  it('a plan without checks holds trivially', () => {
    expect(checkExpectedOutcome(plan([action('create')]), {}, noSecrets)).toEqual({ ok: true });
  });
});
