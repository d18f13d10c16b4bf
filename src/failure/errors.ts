/**
 * The executor's errors (the `action-executor/errors` export):
 *
 * - `ActionError` carries a complete, schema-valid ErrorDetail so every failure of an action can be
 *   recorded as data.
 * - `InfrastructureError` is a failure of the executor's own infrastructure (the journal, the disk,
 *   the database connection), as opposed to a failure of the action. It is never recorded as the
 *   action's result: the run stops without a terminal state and throws, so the caller (or the
 *   platform's retry) resumes it from the journal later.
 * - `InterruptedError`: the executor was asked to stop (`interrupt`); the run stopped unrecorded at a
 *   journaled point, and resuming carries on.
 *
 * All are branded with a global symbol, so `isActionError`, `isInfrastructureError` and
 * `isInterruptedError` hold across bundles and duplicated copies of this module.
 */
import type { ErrorCategory, ErrorDetail } from '../schemas/errors.ts';
import { isStorageProviderFailure } from './storage-fault.ts';

const BRAND = Symbol.for('action-executor.ActionError');

export class ActionError extends Error {
  readonly detail: ErrorDetail;
  readonly [BRAND] = true;

  constructor(detail: ErrorDetail, options?: { cause?: unknown }) {
    super(detail.message, options);
    this.name = 'ActionError';
    this.detail = detail;
  }
}

/** True for any ActionError, even one created by another copy of this module. */
export function isActionError(value: unknown): value is ActionError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Optional fields of an ErrorDetail, given when building one. */
export interface ErrorFields {
  code?: string | undefined;
  statusCode?: number | undefined;
  retryable?: boolean | undefined;
  retryAfter?: string | undefined;
  context?: Record<string, string> | undefined;
  suggestion?: string | undefined;
}

/** Builds a schema-valid ErrorDetail, leaving unset optional fields absent (not `undefined`). */
export function errorDetail(category: ErrorCategory, message: string, fields: ErrorFields = {}): ErrorDetail {
  const detail: ErrorDetail = {
    category,
    message,
    retryable: fields.retryable ?? false,
    context: fields.context ?? {},
  };
  if (fields.code !== undefined) detail.code = fields.code;
  if (fields.statusCode !== undefined) detail.statusCode = fields.statusCode;
  if (fields.retryAfter !== undefined) detail.retryAfter = fields.retryAfter;
  if (fields.suggestion !== undefined) detail.suggestion = fields.suggestion;
  return detail;
}

/** Shorthand: `throw actionError('validation_failed', 'message', { code: 'X' })`. */
export function actionError(category: ErrorCategory, message: string, fields: ErrorFields = {}): ActionError {
  return new ActionError(errorDetail(category, message, fields));
}

const INFRASTRUCTURE_BRAND = Symbol.for('action-executor.InfrastructureError');

export class InfrastructureError extends Error {
  readonly [INFRASTRUCTURE_BRAND] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

const INTERRUPTED_BRAND = Symbol.for('action-executor.InterruptedError');

/**
 * The executor was interrupted (`executor.interrupt(reason)`, e.g. on SIGTERM): the run stopped at its
 * next journaled point without recording anything more and released its lease. Not a failure of the
 * action and nothing to fix: resuming carries on from the journal. `executionId` / `actionId` name the
 * execution it stopped (absent when the call was refused before one started).
 */
export class InterruptedError extends Error {
  readonly [INTERRUPTED_BRAND] = true;
  /** What interrupted it, as given to `interrupt` (`SIGTERM`, `shutting down`, …). */
  readonly reason: string;
  readonly executionId: string | undefined;
  readonly actionId: string | undefined;

  constructor(reason: string, key?: { executionId: string; actionId: string }) {
    super(
      key === undefined
        ? `Interrupted (${reason}): the executor stops every run at its next journaled point and starts no new one.`
        : `Interrupted (${reason}): execution ${key.executionId} / ${key.actionId} stopped at its last journaled point without recording a result; resume it to carry on.`,
    );
    this.name = 'InterruptedError';
    this.reason = reason;
    this.executionId = key?.executionId;
    this.actionId = key?.actionId;
  }
}

/** True for any InterruptedError, even one created by another copy of this module. */
export function isInterruptedError(value: unknown): value is InterruptedError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[INTERRUPTED_BRAND] === true;
}

/**
 * SQLite errors (SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR…), a busy journal, the storage provider's I/O
 * failures (STORAGE_SAVE_FAILED…: a full disk is not the action's fault), or an InfrastructureError.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[INFRASTRUCTURE_BRAND] === true) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return true;
  return isActionError(error) && (error.detail.code === 'JOURNAL_BUSY' || isStorageProviderFailure(error.detail));
}
