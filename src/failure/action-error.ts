/**
 * The one error type the executor throws internally. It carries a complete, schema-valid ErrorDetail
 * so every failure can be recorded as data; the brand survives bundling and duplicated modules.
 */
import type { ErrorCategory, ErrorDetail } from '../schemas/errors.ts';

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
