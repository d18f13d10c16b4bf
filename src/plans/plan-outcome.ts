/**
 * `expectedOutcome.validations` (spec §4.1, issue 11): the checks that decide, once every action has
 * ended, whether a plan did what it was for. References resolve exactly as action inputs do (the
 * resolver in references.ts, with JSON-text hopping), against the outputs that stand for each action
 * (its own, or its stand-in's). What a failed check found is redacted before it is cut short, and the
 * whole message is redacted again, so no credential value can reach the journal through a check.
 */
import { errorDetail, isActionError } from '../failure/errors.ts';
import { isSecretName, REDACTED, type Redactor } from '../redaction/redaction.ts';
import { resolveValue } from '../references/references.ts';
import { parseTemplate } from '../references/reference-syntax.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';
import { jsonTypeOf, MAX_QUOTED_CHARS, quoteTruncated } from '../support/describe-value.ts';
import { compileSafePattern, type SafePattern } from '../support/safe-pattern.ts';

/** Operators that compare the output with the check's `value` (so a check with one of them needs it). */
export const OPERATORS_WITH_VALUE = ['equals', 'contains', 'matches'] as const;

/**
 * Compiles a `matches` value. Case-sensitive, as regular expressions are by default (the classifier's
 * patterns are case-insensitive because API messages vary in case; a check states what it wants, and
 * `(?i)` makes it case-insensitive). Returns the reason when RE2 cannot compile it.
 */
export function compileOutcomePattern(source: string): SafePattern | string {
  return compileSafePattern(source, { caseInsensitive: false });
}

/** One check that did not hold. */
export interface OutcomeFailure {
  /** The check's `name`. */
  check: string;
  /** The reference as written, e.g. `${create_user.output.id}`. */
  reference: string;
  operator: ExecutionPlan['expectedOutcome']['validations'][number]['operator'];
  /** The check's `value`, when it has one. */
  expected?: string;
  /** What the reference resolved to, described and redacted (`string "abc"`, `nothing: …`). */
  found: string;
}

/** Every check held, or the plan fails with `error` (validation_failed, code EXPECTED_OUTCOME_FAILED). */
export type OutcomeVerdict = { ok: true } | { ok: false; error: ErrorDetail; failures: OutcomeFailure[] };

/** The outputs checks read: action id → the output record standing for that action. */
export type PlanOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** A resolved value as text: strings as they are, everything else as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeFound(value: unknown, fieldName: string | undefined, redactor: Pick<Redactor, 'text'>): string {
  const type = jsonTypeOf(value);
  if (fieldName !== undefined && isSecretName(fieldName)) return `${type} ${REDACTED}`;
  if (typeof value === 'string') return `string ${quoteTruncated(redactor.text(value))}`;
  const text = redactor.text(textOf(value));
  return `${type} ${text.length <= MAX_QUOTED_CHARS ? text : `${text.slice(0, MAX_QUOTED_CHARS)}… (${text.length} chars)`}`;
}

function holds(operator: OutcomeFailure['operator'], value: unknown, expected: string | undefined): boolean {
  if (operator === 'exists') return true;
  if (expected === undefined) return false;
  switch (operator) {
    case 'equals':
      return textOf(value) === expected;
    case 'contains':
      if (Array.isArray(value)) return value.some((item) => textOf(item) === expected);
      if (typeof value === 'object' && value !== null) return Object.hasOwn(value, expected);
      return textOf(value).includes(expected);
    case 'matches': {
      const pattern = compileOutcomePattern(expected);
      return typeof pattern !== 'string' && pattern.test(textOf(value));
    }
  }
}

function wanted(failure: OutcomeFailure): string {
  switch (failure.operator) {
    case 'exists':
      return 'should exist';
    case 'equals':
      return `should equal ${JSON.stringify(failure.expected ?? '')}`;
    case 'contains':
      return `should contain ${JSON.stringify(failure.expected ?? '')}`;
    case 'matches':
      return `should match the pattern ${JSON.stringify(failure.expected ?? '')}`;
  }
}

/** The output record behind a reference, and the last key it names (to hide secret-named fields). */
function target(reference: string): { actionId: string; lastKey: string | undefined } | undefined {
  const parsed = parseTemplate(reference);
  if (!parsed.ok) return undefined;
  const [part] = parsed.parts;
  if (parsed.parts.length !== 1 || part?.kind !== 'ref' || part.ref.kind !== 'action') return undefined;
  const last = part.ref.path.at(-1);
  return { actionId: part.ref.actionId, lastKey: last?.kind === 'key' ? last.key : undefined };
}

/**
 * Runs every expected-outcome check against `outputs` and reports every one that fails. An action
 * with no entry in `outputs` (skipped, or failed with nothing standing in) fails every check that
 * reads it, `exists` included. `redactor` scrubs what the message quotes.
 */
export function checkExpectedOutcome(
  plan: Pick<ExecutionPlan, 'expectedOutcome'>,
  outputs: PlanOutputs,
  redactor: Pick<Redactor, 'text'>,
): OutcomeVerdict {
  const previousResults: Record<string, string> = {};
  for (const [id, output] of Object.entries(outputs)) previousResults[id] = JSON.stringify(output);
  const failures: OutcomeFailure[] = [];
  const validations = plan.expectedOutcome.validations;

  validations.forEach((check, index) => {
    const fail = (found: string): void => {
      const failure: OutcomeFailure = { check: check.name, reference: check.reference, operator: check.operator, found };
      if (check.value !== undefined) failure.expected = check.value;
      failures.push(failure);
    };
    const reads = target(check.reference);
    if (reads !== undefined && !Object.hasOwn(outputs, reads.actionId)) {
      fail(`nothing: "${reads.actionId}" has no output (it did not complete, and nothing stood in for it)`);
      return;
    }
    let value: unknown;
    try {
      value = resolveValue(check.reference, { previousResults, credentials: {} }, { field: `expectedOutcome.validations[${index}]` });
    } catch (error) {
      if (!isActionError(error)) throw error;
      fail(`nothing: ${redactor.text(error.detail.message)}`);
      return;
    }
    if (!holds(check.operator, value, check.value)) fail(describeFound(value, reads?.lastKey, redactor));
  });

  if (failures.length === 0) return { ok: true };
  const lines = failures.map((failure) => `"${failure.check}": ${failure.reference} ${wanted(failure)}; found ${failure.found}`);
  const [first] = failures as [OutcomeFailure, ...OutcomeFailure[]];
  const message = failures.length === 1
    ? `Expected outcome check ${lines[0]}.`
    : `${failures.length} of ${validations.length} expected outcome checks failed: ${lines.join('; ')}.`;
  const context: Record<string, string> = {
    check: first.check,
    reference: first.reference,
    operator: first.operator,
    found: first.found,
    failedChecks: failures.map((failure) => failure.check).join(', '),
  };
  if (first.expected !== undefined) context['expected'] = first.expected;
  for (const key of Object.keys(context)) context[key] = redactor.text(context[key] ?? '');
  const error = errorDetail('validation_failed', redactor.text(message), {
    code: 'EXPECTED_OUTCOME_FAILED',
    context,
    suggestion: 'Every action ended, but the plan did not produce what expectedOutcome describes: compare the outputs these references read (plan show) with the checks; the API may have changed what it returns.',
  });
  return { ok: false, error, failures };
}
