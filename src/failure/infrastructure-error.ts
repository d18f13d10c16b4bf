/**
 * Failures of the executor's own infrastructure (the journal, the disk), as opposed to failures of
 * the action. They must not be recorded as the action's result: the run stops without a terminal
 * state and throws, so the caller (or the platform's retry) resumes it from the journal later.
 */
import { isActionError } from './action-error.ts';
import { isStorageProviderFailure } from './storage-fault.ts';

const BRAND = Symbol.for('action-executor.InfrastructureError');

export class InfrastructureError extends Error {
  readonly [BRAND] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

/**
 * SQLite errors (SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR…), a busy journal, the storage provider's I/O
 * failures (STORAGE_SAVE_FAILED…: a full disk is not the action's fault), or an InfrastructureError.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[BRAND] === true) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return true;
  return isActionError(error) && (error.detail.code === 'JOURNAL_BUSY' || isStorageProviderFailure(error.detail));
}
