/**
 * What a plan run records about each of its actions, between scheduler decisions. Plain JSON (epoch
 * milliseconds, no Dates), so the runner can journal it and read it back through the schema; the
 * full story of an action (attempts, trace) stays in its own action execution journal.
 */
import { z } from 'zod';
import { ErrorDetailSchema } from '../schemas/errors.ts';

/** Statuses of an action inside a plan run, in the order an action can pass through them. */
export const ACTION_RUN_STATUSES = ['pending', 'waiting_confirmation', 'running', 'completed', 'failed', 'skipped'] as const;

/** The statuses an action never leaves. */
export const ENDED_ACTION_STATUSES = ['completed', 'failed', 'skipped'] as const;

/**
 * What stands in for a failed action's output, for its dependents and for expected-outcome checks:
 * the output of its alternative, or its `fallbackValue`.
 */
export const StandInSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('alternative'), actionId: z.string() }),
  z.object({ kind: z.literal('fallback') }),
]);

const EpochMsSchema = z.number().int().nonnegative();

export const ActionRuntimeStateSchema = z.object({
  status: z.enum(ACTION_RUN_STATUSES),
  /** The output record, when completed. */
  output: z.record(z.string(), z.string()).optional(),
  /** Why it failed, when failed. */
  error: ErrorDetailSchema.optional(),
  /** Why it was skipped, when skipped. */
  reason: z.string().optional(),
  /** When it started running (epoch ms). */
  startedAt: EpochMsSchema.optional(),
  /** When it ended (epoch ms), whether it ran or not. */
  endedAt: EpochMsSchema.optional(),
  /**
   * On a failed action: what stands in for its output. Informational (for `plan show`); the
   * scheduler always derives it again from the plan and the other actions' states.
   */
  standIn: StandInSchema.optional(),
});

export type ActionRunStatus = (typeof ACTION_RUN_STATUSES)[number];
export type StandIn = z.infer<typeof StandInSchema>;
export type ActionRuntimeState = z.infer<typeof ActionRuntimeStateSchema>;

/** Whether an action has ended (completed, failed or skipped) and will never run again. */
export function hasEnded(status: ActionRunStatus): status is (typeof ENDED_ACTION_STATUSES)[number] {
  return (ENDED_ACTION_STATUSES as readonly string[]).includes(status);
}
