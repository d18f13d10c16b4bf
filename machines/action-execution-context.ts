/**
 * The machine's context: plain JSON only (no Date, Map or class instances), because it is journaled
 * after every transition and restored on resume. Validated by zod when a snapshot is loaded.
 */
import { z } from 'zod';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { StorageLocationSchema } from '../src/schemas/storage.ts';

export const ExecutionContextSchema = z.object({
  executionId: z.string(),
  actionId: z.string(),
  /** HTTP attempts started so far (the one in flight included). */
  attempt: z.number().int().nonnegative(),
  /** Whether the current attempt is the one repeat allowed after refreshing an expired credential. */
  authRefreshed: z.boolean(),
  /** Epoch ms when backingOff ends; lives in context because XState loses `after` timers on restore. */
  nextAttemptAt: z.number().nullable(),
  /**
   * The delay decided when the wait began. On resume the wait never lasts longer than this from now,
   * so a clock stepped back after a crash cannot stretch a 20 s backoff into an hour.
   */
  waitMs: z.number().nonnegative().nullable(),
  /** Why the machine is waiting (retry decision or client-side rate limit). */
  waitReason: z.string().nullable(),
  output: z.record(z.string(), z.string()).nullable(),
  outputLocation: StorageLocationSchema.nullable(),
  error: ErrorDetailSchema.nullable(),
  skipReason: z.string().nullable(),
});

export type ExecutionContext = z.infer<typeof ExecutionContextSchema>;

/** Input that creates a fresh execution. */
export interface ExecutionInput {
  executionId: string;
  actionId: string;
}

export function initialContext(input: ExecutionInput): ExecutionContext {
  return {
    executionId: input.executionId,
    actionId: input.actionId,
    attempt: 0,
    authRefreshed: false,
    nextAttemptAt: null,
    waitMs: null,
    waitReason: null,
    output: null,
    outputLocation: null,
    error: null,
    skipReason: null,
  };
}
