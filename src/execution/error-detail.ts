/**
 * The last line of defence of "every failure is classified and explained": whatever an effect threw
 * that is not an ActionError becomes a schema-valid `state_inconsistent` INTERNAL_ERROR, never a crash.
 */
import { errorDetail, isActionError } from '../failure/errors.ts';
import type { ErrorDetail } from '../schemas/errors.ts';

/** Turns whatever an effect threw into an ErrorDetail, without losing an ActionError's detail. */
export function toErrorDetail(error: unknown): ErrorDetail {
  if (isActionError(error)) return error.detail;
  const message = error instanceof Error ? error.message : String(error);
  return errorDetail('state_inconsistent', `Internal executor error: ${message}`, {
    code: 'INTERNAL_ERROR',
    context: { errorName: error instanceof Error ? error.name : typeof error },
    suggestion: 'This is a bug in the executor or an effect it runs; report it with the execution id.',
  });
}
