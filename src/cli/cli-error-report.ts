/**
 * How an error ends a CLI run. Every error is an ErrorDetail with an exit code: bad input and usage
 * (2), internal or infrastructure (3), busy — another live process drives the execution (4). A person
 * gets one line (`error: …`, `busy: …`, plus a suggestion when there is one) on stderr, a stack trace
 * only with --debug; under `--json` stdout also gets exactly one document, `{ "error": ErrorDetail }`.
 */
import { errorDetail, isActionError, isInfrastructureError, isInterruptedError } from '../failure/errors.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import { UsageError } from './cli-input.ts';
import type { CliIo } from './cli-io.ts';
import { cliOutput } from './cli-output.ts';
import { EXIT } from './exit-codes.ts';

export interface CliErrorOutcome {
  exitCode: number;
  /** The `--json` error object. */
  detail: ErrorDetail;
  /** How the human line starts. */
  label: 'error' | 'busy' | 'internal error' | 'interrupted';
}

/** ActionError codes that mean "what you asked for is wrong", not "the executor failed". */
const BAD_INPUT_CODES = new Set(['REQUEST_MISMATCH', 'JOURNAL_NOT_FOUND']);

export function describeCliError(error: unknown): CliErrorOutcome {
  if (isInterruptedError(error)) {
    const resume = error.executionId && error.actionId ? `; resume with: action-executor resume ${error.executionId} ${error.actionId}` : '; resume with: action-executor resume --all';
    return {
      exitCode: EXIT.interrupted,
      label: 'interrupted',
      detail: errorDetail('state_inconsistent', `${error.reason}: stopped at the last journaled point, nothing recorded as the result, lease released${resume}`, {
        code: 'INTERRUPTED',
        retryable: true,
        context: { reason: error.reason, ...(error.executionId ? { executionId: error.executionId } : {}), ...(error.actionId ? { actionId: error.actionId } : {}) },
      }),
    };
  }
  if (error instanceof UsageError) {
    return { exitCode: EXIT.usage, label: 'error', detail: errorDetail('validation_failed', error.message, { code: error.code, context: error.context }) };
  }
  if (isActionError(error)) {
    const { detail } = error;
    if (detail.code === 'LEASE_HELD') return { exitCode: EXIT.busy, label: 'busy', detail };
    const badInput = detail.category === 'validation_failed' || BAD_INPUT_CODES.has(detail.code ?? '');
    return { exitCode: badInput ? EXIT.usage : EXIT.internal, label: 'error', detail };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isInfrastructureError(error)) {
    // The journal, storage or database failed; its message says where and what to do: no stack hint.
    const code = (error as { code?: unknown }).code;
    return {
      exitCode: EXIT.internal,
      label: 'error',
      detail: errorDetail('state_inconsistent', message, {
        code: typeof code === 'string' ? code : 'INFRASTRUCTURE_FAILURE',
        retryable: true,
      }),
    };
  }
  return {
    exitCode: EXIT.internal,
    label: 'internal error',
    detail: errorDetail('state_inconsistent', message, {
      code: 'INTERNAL_ERROR',
      context: error instanceof Error ? { error: error.name } : {},
      suggestion: 'Run again with --debug for the stack trace; nothing was recorded as the result, so the same command can be rerun.',
    }),
  };
}

/** Prints the error (human line on stderr; the JSON object on stdout under --json) and returns the exit code. */
export function reportCliError(error: unknown, options: { io: CliIo; json: boolean; debug: boolean }): number {
  const outcome = describeCliError(error);
  const out = cliOutput(options.io);
  const { detail } = outcome;
  if (options.json) out.json({ error: detail });
  if (outcome.label === 'internal error') {
    out.warn(`internal error: ${detail.message}${options.debug ? '' : ' (run with --debug for the stack trace)'}`);
  } else {
    out.warn(`${outcome.label}: ${detail.message}${detail.suggestion && !(error instanceof UsageError) ? `\n  suggestion: ${detail.suggestion}` : ''}`);
  }
  if (options.debug && error instanceof Error && error.stack && !(error instanceof UsageError)) out.warn(error.stack);
  return outcome.exitCode;
}
