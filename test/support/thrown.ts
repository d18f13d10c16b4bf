/** Shared test helpers for failures and reference contexts. */
import { isActionError, type ActionError } from '../../src/failure/errors.ts';
import { ErrorDetailSchema } from '../../src/schemas/errors.ts';
import type { ReferenceContext } from '../../src/references/references.ts';

/**
 * Runs `fn`, expecting it to throw an ActionError whose detail passes ErrorDetailSchema (a parse
 * failure fails the test), and returns the error. Anything else thrown is rethrown; a return fails.
 */
export function thrownActionError(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (error) {
    if (!isActionError(error)) throw error;
    ErrorDetailSchema.parse(error.detail);
    return error;
  }
  throw new Error('expected an ActionError, but the call returned');
}

/** A reference context whose previous results are the given output records (as JSON text). */
export function contextWith(outputs: Record<string, Record<string, unknown>>, credentials: Record<string, string> = {}): ReferenceContext {
  const previousResults: Record<string, string> = {};
  for (const [id, output] of Object.entries(outputs)) previousResults[id] = JSON.stringify(output);
  return { previousResults, credentials };
}

/** The async twin of {@link thrownActionError}: awaits `promise`, expecting it to reject with a valid ActionError. */
export async function rejectedActionError(promise: Promise<unknown>): Promise<ActionError> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error('expected an ActionError, but the promise resolved');
  return thrownActionError(() => {
    throw outcome.error;
  });
}
