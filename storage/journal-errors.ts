/**
 * The errors every journal backend raises in the same shape, so the driver and the CLI treat them
 * alike whatever the backend.
 */
import { actionError, type ActionError } from '../src/failure/errors.ts';
import type { ExecutionKey, Fence } from './journal.ts';

/**
 * A fenced write refused: another process took the lease over (or it was released). The run must stop
 * at once and send nothing more; it is not the action's failure.
 */
export function leaseLostError(location: string, key: ExecutionKey, fence: Fence): ActionError {
  return actionError('state_inconsistent', `Lost the lease on execution ${key.executionId} / ${key.actionId}: another process took it over, so this one stopped without writing or sending anything more.`, {
    code: 'LEASE_LOST',
    retryable: true,
    context: { journal: location, executionId: key.executionId, actionId: key.actionId, epoch: String(fence.epoch) },
    suggestion: 'Nothing to do: the process that holds the lease now drives the execution. If none does, resume it.',
  });
}

/** The error of a write or lease for an execution the journal does not hold. */
export function executionNotFoundError(location: string, operation: string, key: ExecutionKey): ActionError {
  return actionError('state_inconsistent', `${operation}: execution ${key.executionId} / action ${key.actionId} is not in the journal ${location}.`, {
    code: 'EXECUTION_NOT_FOUND',
    context: { file: location, executionId: key.executionId, actionId: key.actionId, operation },
    suggestion: 'Create the execution (a create write) before recording anything for it, and check that every process uses the same journal.',
  });
}

/** Throws {@link executionNotFoundError}. */
export function notFoundError(location: string, operation: string, key: ExecutionKey): never {
  throw executionNotFoundError(location, operation, key);
}

/** A beginAttempt for an attempt whose outcome is already recorded: starting it again could send twice. */
export function attemptAlreadyFinishedError(key: ExecutionKey, attempt: number, state: string): ActionError {
  const { executionId, actionId } = key;
  return actionError('state_inconsistent', `Attempt ${attempt} of execution ${executionId} / action ${actionId} already finished (${state}); refusing to start it again, which would send a request whose outcome is already recorded.`, {
    code: 'ATTEMPT_ALREADY_FINISHED',
    context: { executionId, actionId, attempt: String(attempt), state },
    suggestion: 'Feed the recorded outcome (getAttempt) to the machine instead, or begin attempt number attemptCount + 1.',
  });
}

/** A finishAttempt for an attempt whose intent was never journaled (the write-ahead rule was broken). */
export function attemptNotStartedError(key: ExecutionKey, attempt: number): ActionError {
  const { executionId, actionId } = key;
  return actionError('state_inconsistent', `Cannot record the outcome of attempt ${attempt} of execution ${executionId} / action ${actionId}: it was never begun, so its request intent is not in the journal.`, {
    code: 'ATTEMPT_NOT_STARTED',
    context: { executionId, actionId, attempt: String(attempt) },
    suggestion: 'Commit a beginAttempt write before sending the request (write-ahead rule, DESIGN §6).',
  });
}

/** A rate-limit bucket whose configuration cannot work. */
export function rateLimitConfigError(bucket: string, capacity: number, windowMs: number): ActionError {
  return actionError('validation_failed', `Rate limit bucket "${bucket}" has capacity ${capacity} per ${windowMs} ms; capacity must be a positive number and the window a finite number of milliseconds.`, {
    code: 'INVALID_RATE_LIMIT',
    context: { bucket, capacity: String(capacity), windowMs: String(windowMs) },
    suggestion: 'Fix rateLimit.requests (a positive integer) and rateLimit.window (milliseconds) in the action definition.',
  });
}
