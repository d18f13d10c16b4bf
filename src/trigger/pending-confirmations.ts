/**
 * The confirmations a paused plan waits for, in the order the `plan-execute` task waits for their
 * tokens: the runtime allows one wait at a time (platform-wait-lane.ts), so the task blocks on the
 * request that falls due first — it is the one that changes the plan without anybody's help — then
 * the others in plan order. Answers to the others are not lost meanwhile: their tokens stay
 * completed, and waiting for a completed token returns at once.
 */
import type { ExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';
import { confirmationDueAt, latestConfirmations } from '../plans/plan-confirmation.ts';
import type { PendingConfirmation } from './confirmation-tokens.ts';

/** The unanswered confirmation requests of `state`, earliest deadline first, then in plan order. */
export function pendingConfirmationsOf(plan: ExecutionPlan, state: ExecutionState, now: number): PendingConfirmation[] {
  const latest = latestConfirmations(state.confirmations);
  const pending: PendingConfirmation[] = [];
  for (const action of plan.actions) {
    const entry = latest.get(action.id);
    if (entry === undefined || entry.confirmed !== undefined || action.userConfirmation === undefined) continue;
    const dueAt = confirmationDueAt(action, entry, now);
    pending.push({
      planId: plan.id,
      actionId: action.id,
      title: action.userConfirmation.title,
      message: action.userConfirmation.message,
      requestedAt: entry.requestedAt,
      ...(dueAt === undefined ? {} : { dueAt }),
    });
  }
  // A stable sort keeps plan order among equal deadlines and among requests without one.
  return pending.sort((a, b) => {
    if (a.dueAt === b.dueAt) return 0;
    if (a.dueAt === undefined) return 1;
    if (b.dueAt === undefined) return -1;
    return a.dueAt - b.dueAt;
  });
}
