/**
 * How a failure of the action shows on Trigger.dev (docs/decisions.md "The Trigger.dev task"): the
 * run **fails**, without platform retries, carrying the ErrorDetail. It is an
 * `AbortTaskRunError` — the platform recognises it by that name and skips its retries, because the
 * executor already applied the definition's retry policy, and configuration or submission errors
 * cannot be fixed by running the same payload on the same deployment again.
 *
 * Infrastructure failures never become one of these: they throw as they are, and the platform's retry
 * resumes the journal.
 */
import { AbortTaskRunError } from '@trigger.dev/sdk';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';

/** The platform truncates a run's error message after 1,000 characters; ours stay under it. */
export const RUN_ERROR_MESSAGE_LIMIT = 1_000;

/** One line of the run's error: `category (code): message` and the suggestion. */
export function runErrorMessage(detail: ErrorDetail): string {
  const head = `${detail.category}${detail.code ? ` (${detail.code})` : ''}: ${detail.message}`;
  const text = detail.suggestion ? `${head}\nSuggestion: ${detail.suggestion}` : head;
  return text.length <= RUN_ERROR_MESSAGE_LIMIT ? text : `${text.slice(0, RUN_ERROR_MESSAGE_LIMIT - 1)}…`;
}

/**
 * The error a run fails with when its action failed (or its submission or the worker's configuration
 * was refused). `name` stays `AbortTaskRunError`, so the platform does not retry it.
 */
export class ActionRunFailure extends AbortTaskRunError {
  /** What failed, as the executor classified it. */
  readonly detail: ErrorDetail;
  /** The recorded state when the action ran (also in the run's metadata `result`); absent when it never started. */
  readonly state: ActionExecutionState | undefined;

  constructor(detail: ErrorDetail, state?: ActionExecutionState) {
    super(runErrorMessage(detail));
    this.detail = detail;
    this.state = state;
  }
}
