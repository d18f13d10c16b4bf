/**
 * How a plan that did not complete shows on Trigger.dev: the run **fails**, without platform retries,
 * carrying the plan's ErrorDetail — as `action-execute` fails with its action's (action-run-failure.ts,
 * docs/decisions.md "The Trigger.dev task"). A failed or cancelled plan, a refused payload or plan
 * (`INVALID_REQUEST`, `PLAN_INVALID`, `REQUEST_MISMATCH`), a missing credential: running the same
 * payload again gives the same answer, so the platform must not retry it. The name stays
 * `AbortTaskRunError`, which is how the platform recognises it.
 */
import { AbortTaskRunError } from '@trigger.dev/sdk';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import { runErrorMessage } from './action-run-failure.ts';

/** The error a `plan-execute` run fails with. */
export class PlanRunFailure extends AbortTaskRunError {
  /** Why the plan failed (a failed action's error carries `context.actionId`). */
  readonly detail: ErrorDetail;
  /** The plan's ExecutionState when it ran (also run metadata `result`); absent when it never started. */
  readonly state: ExecutionState | undefined;

  constructor(detail: ErrorDetail, state?: ExecutionState) {
    super(runErrorMessage(detail));
    this.detail = detail;
    this.state = state;
  }
}
