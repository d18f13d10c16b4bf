/**
 * A plan refused by validation before anything ran (issue 11): an ActionError (`validation_failed`,
 * code `PLAN_INVALID`) that also carries every problem with its JSON path, so the CLI can print one
 * line per problem and a program can show them next to the offending fields.
 */
import { ActionError } from '../failure/errors.ts';
import { errorDetail } from '../failure/errors.ts';
import type { PlanProblem } from './plan-validation.ts';

const BRAND = Symbol.for('action-executor.PlanInvalidError');

/** How many problems the message lists before it says how many more there are. */
const LISTED = 20;

export class PlanInvalidError extends ActionError {
  readonly problems: readonly PlanProblem[];
  readonly [BRAND] = true;

  constructor(problems: readonly PlanProblem[]) {
    const lines = problems.slice(0, LISTED).map((problem) => `  ${problem.path}: ${problem.message}`);
    if (problems.length > LISTED) lines.push(`  … and ${problems.length - LISTED} more`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(errorDetail('validation_failed', `The execution plan is invalid (${count}); nothing was run:\n${lines.join('\n')}`, {
      code: 'PLAN_INVALID',
      context: { problems: String(problems.length), first: problems[0] === undefined ? '' : `${problems[0].path}: ${problems[0].message}` },
      suggestion: 'Fix every problem listed (each names the JSON path of the value at fault) and submit the plan again.',
    }));
    this.name = 'PlanInvalidError';
    this.problems = problems;
  }
}

/** True for a PlanInvalidError, even one created by another copy of this module. */
export function isPlanInvalidError(value: unknown): value is PlanInvalidError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
