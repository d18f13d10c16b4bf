/**
 * Human confirmation of a planned action (`userConfirmation`, issue 11): what the recorded
 * confirmation history says about one action at a given instant. Timeouts are judged from the
 * record alone — `requestedAt + timeout` — so a deadline that passed while no process ran is
 * honoured on the next decision, and an answer recorded after the deadline does not count.
 */
import { errorDetail } from '../failure/errors.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import type { PlannedAction } from '../schemas/plan.ts';

/** One entry of the plan's confirmation history (spec §4.1 `ExecutionState.confirmations`). */
export type PlanConfirmation = ExecutionState['confirmations'][number];

/** What the history says about an action that is otherwise ready to run. */
export type ConfirmationVerdict =
  /** No confirmation needed, or one was given in time: run it. */
  | { kind: 'go' }
  /** Needed and never requested: request it now. */
  | { kind: 'request' }
  /** Requested, not answered, not yet due; `dueAt` (epoch ms) when it has a timeout. */
  | { kind: 'pending'; dueAt?: number }
  /**
   * Rejected, or timed out: the action ends failed with `error` (user_cancelled). `response` is the
   * auto-rejection to record when it timed out unanswered.
   */
  | { kind: 'refused'; error: ErrorDetail; response?: PlanConfirmation };

/** The latest history entry of each action (an action is asked at most once, but be robust). */
export function latestConfirmations(confirmations: readonly PlanConfirmation[]): Map<string, PlanConfirmation> {
  const latest = new Map<string, PlanConfirmation>();
  for (const entry of confirmations) latest.set(entry.actionId, entry);
  return latest;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * When an unanswered request is auto-rejected (epoch ms), or undefined without a timeout. A
 * `requestedAt` that does not parse counts as due at once: refusing is the safe side of not knowing.
 */
export function confirmationDueAt(action: Pick<PlannedAction, 'userConfirmation'>, entry: PlanConfirmation, now: number): number | undefined {
  const timeout = action.userConfirmation?.timeout;
  if (timeout === undefined) return undefined;
  const requested = Date.parse(entry.requestedAt);
  return Number.isNaN(requested) ? now : requested + timeout;
}

function refusal(action: PlannedAction, entry: PlanConfirmation, code: string, message: string, extra: Record<string, string>): ErrorDetail {
  return errorDetail('user_cancelled', message, {
    code,
    context: { actionId: action.id, confirmation: action.userConfirmation?.title ?? '', requestedAt: entry.requestedAt, ...extra },
    suggestion: 'The action did not run; its errorHandling applies (alternative, fallbackValue, continueOnFailure). If it is still wanted, run it in a new plan.',
  });
}

/** Judges the confirmation of an action that is otherwise ready to run, at `now` (epoch ms). */
export function judgeConfirmation(action: PlannedAction, entry: PlanConfirmation | undefined, now: number): ConfirmationVerdict {
  if (action.userConfirmation?.required !== true) return { kind: 'go' };
  if (entry === undefined) return { kind: 'request' };
  const title = JSON.stringify(action.userConfirmation.title);
  const dueAt = confirmationDueAt(action, entry, now);
  const timeout = action.userConfirmation.timeout ?? 0;

  if (entry.confirmed === undefined) {
    if (dueAt === undefined || now < dueAt) return dueAt === undefined ? { kind: 'pending' } : { kind: 'pending', dueAt };
    const respondedAt = iso(dueAt);
    const error = refusal(action, entry, 'CONFIRMATION_TIMEOUT',
      `"${action.id}" did not run: nobody answered the confirmation ${title} within ${timeout} ms of ${entry.requestedAt}, so it was rejected automatically at ${respondedAt}.`,
      { respondedAt, timeout: String(timeout) });
    return { kind: 'refused', error, response: { ...entry, respondedAt, confirmed: false } };
  }

  const answeredAt = entry.respondedAt === undefined ? Number.NaN : Date.parse(entry.respondedAt);
  if (dueAt !== undefined && !(answeredAt <= dueAt)) {
    return {
      kind: 'refused',
      error: refusal(action, entry, 'CONFIRMATION_TIMEOUT',
        `"${action.id}" did not run: the confirmation ${title} was answered at ${entry.respondedAt ?? 'an unrecorded time'}, after it timed out at ${iso(dueAt)} (${timeout} ms after ${entry.requestedAt}).`,
        { respondedAt: entry.respondedAt ?? '', timeout: String(timeout), ...(entry.userId === undefined ? {} : { userId: entry.userId }) }),
    };
  }
  if (entry.confirmed) return { kind: 'go' };
  const who = entry.userId === undefined ? 'the user' : `user ${entry.userId}`;
  return {
    kind: 'refused',
    error: refusal(action, entry, 'CONFIRMATION_REJECTED',
      `"${action.id}" did not run: ${who} rejected the confirmation ${title}${entry.respondedAt === undefined ? '' : ` at ${entry.respondedAt}`}.`,
      { respondedAt: entry.respondedAt ?? '', ...(entry.userId === undefined ? {} : { userId: entry.userId }) }),
  };
}
