/**
 * What one event does to a plan run's records, purely: an action that ended becomes completed /
 * failed / skipped with its output, error or reason; an answer fills in the pending confirmation; a
 * cancel sets the flag. The runner journals the result as a transition named after the event, in the
 * same commit as the decision the event leads to.
 */
import { errorDetail } from '../failure/errors.ts';
import type { ActionRuntimeState } from './action-runtime-state.ts';
import type { PlanEvent } from './plan-inbox.ts';
import type { PlanRunSnapshot } from './plan-record.ts';

/** The events that are recorded (a stopped action stops the run instead). */
export type RecordedPlanEvent = Exclude<PlanEvent, { type: 'ACTION_STOPPED' }>;

/** The records after an event, and the transition's event name and data. */
export interface AppliedPlanEvent {
  snapshot: PlanRunSnapshot;
  /** `ACTION_COMPLETED`, `ACTION_FAILED`, `ACTION_SKIPPED`, `CONFIRMED`, `REJECTED` or `CANCEL`. */
  name: string;
  data: Record<string, unknown>;
}

function withAction(snapshot: PlanRunSnapshot, actionId: string, change: (before: ActionRuntimeState) => ActionRuntimeState): PlanRunSnapshot {
  const before = (Object.hasOwn(snapshot.actions, actionId) ? snapshot.actions[actionId] : undefined) ?? { status: 'pending' };
  return { ...snapshot, actions: { ...snapshot.actions, [actionId]: change(before) } };
}

/**
 * Applies one event at `now` (epoch ms). Undefined when it changes nothing: an answer to a request
 * that was answered meanwhile (a timeout won the race), a second cancel.
 */
export function applyPlanEvent(snapshot: PlanRunSnapshot, event: RecordedPlanEvent, now: number): AppliedPlanEvent | undefined {
  switch (event.type) {
    case 'ACTION_ENDED': {
      const { state, actionId } = event;
      const result = state.result;
      let next: PlanRunSnapshot;
      if (state.status === 'completed' && result?.status === 'success') {
        next = withAction(snapshot, actionId, (before) => ({ ...before, status: 'completed', output: result.output, endedAt: now }));
      } else if (state.status === 'skipped') {
        next = withAction(snapshot, actionId, (before) => ({ ...before, status: 'skipped', reason: result?.status === 'skipped' ? result.reason : 'skipped', endedAt: now }));
      } else {
        const error = result?.status === 'failure' ? result.error : errorDetail('state_inconsistent', `"${actionId}" ended ${state.status} without a recorded result.`, { code: 'RESULT_MISSING', context: { actionId } });
        next = withAction(snapshot, actionId, (before) => ({ ...before, status: 'failed', error, endedAt: now }));
      }
      const after = next.actions[actionId];
      const name = after?.status === 'completed' ? 'ACTION_COMPLETED' : after?.status === 'skipped' ? 'ACTION_SKIPPED' : 'ACTION_FAILED';
      return { snapshot: next, name, data: { actionId, status: state.status, ...(after?.error ? { category: after.error.category, code: after.error.code } : {}) } };
    }
    case 'ACTION_REFUSED':
      return {
        // It never began: without a startedAt, readers do not look for an execution of its own (the
        // one under its key, if any, is not this action's).
        snapshot: withAction(snapshot, event.actionId, ({ startedAt: _startedAt, ...before }) => ({ ...before, status: 'failed', error: event.error, endedAt: now })),
        name: 'ACTION_FAILED',
        data: { actionId: event.actionId, category: event.error.category, code: event.error.code, refused: true },
      };
    case 'CONFIRMED':
    case 'REJECTED': {
      const index = snapshot.confirmations.findLastIndex((entry) => entry.actionId === event.actionId);
      const entry = snapshot.confirmations[index];
      if (entry === undefined || entry.confirmed !== undefined) return undefined;
      const answered = { ...entry, respondedAt: new Date(event.respondedAt).toISOString(), confirmed: event.type === 'CONFIRMED', ...(event.userId === undefined ? {} : { userId: event.userId }) };
      return {
        snapshot: { ...snapshot, confirmations: snapshot.confirmations.map((item, i) => (i === index ? answered : item)) },
        name: event.type,
        data: { actionId: event.actionId, ...(event.userId === undefined ? {} : { userId: event.userId }) },
      };
    }
    case 'CANCEL':
      if (snapshot.cancelled) return undefined;
      return { snapshot: { ...snapshot, cancelled: true }, name: 'CANCEL', data: event.reason === undefined ? {} : { reason: event.reason } };
  }
}
