/**
 * Applying a scheduler decision to the recorded state of a plan run, purely: what the runner journals
 * after each decision (and what the tests replay). Kept beside the scheduler so there is one
 * definition of what "start", "end", "request" and "time out" do to the records.
 */
import type { ActionRuntimeState } from './action-runtime-state.ts';
import type { PlanConfirmation } from './plan-confirmation.ts';
import type { PlanDecision } from './plan-scheduler.ts';

/** The records a decision reads and changes. */
export interface PlanRunRecords {
  actions: Record<string, ActionRuntimeState>;
  confirmations: PlanConfirmation[];
}

/**
 * The records after `decision`: endings and starts stamped with `decision.decidedAt`, confirmation
 * requests appended (their actions `waiting_confirmation`), timed-out requests answered with their
 * automatic rejection, and stand-ins noted on the failed actions. The input is not modified.
 */
export function applyPlanDecision(records: Readonly<PlanRunRecords>, decision: PlanDecision): PlanRunRecords {
  const at = decision.decidedAt;
  const actions: Record<string, ActionRuntimeState> = { ...records.actions };
  const stateOf = (id: string): ActionRuntimeState => (Object.hasOwn(actions, id) ? actions[id] : undefined) ?? { status: 'pending' };

  for (const ending of decision.end) {
    actions[ending.actionId] = ending.status === 'skipped'
      ? { ...stateOf(ending.actionId), status: 'skipped', reason: ending.reason, endedAt: at }
      : { ...stateOf(ending.actionId), status: 'failed', error: ending.error, endedAt: at };
  }
  const confirmations = records.confirmations.map((entry) => {
    const answered = decision.confirmationTimeouts.find((timeout) => timeout.actionId === entry.actionId && timeout.requestedAt === entry.requestedAt);
    return answered ?? entry;
  });
  for (const request of decision.requestConfirmations) {
    confirmations.push(request);
    actions[request.actionId] = { ...stateOf(request.actionId), status: 'waiting_confirmation' };
  }
  for (const start of decision.start) actions[start.actionId] = { ...stateOf(start.actionId), status: 'running', startedAt: at };
  for (const [id, standIn] of Object.entries(decision.standIns)) actions[id] = { ...stateOf(id), standIn };
  return { actions, confirmations };
}
