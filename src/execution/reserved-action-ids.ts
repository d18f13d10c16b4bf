/**
 * Action ids the journal keeps for itself. A plan run is journaled as an execution row of its own,
 * keyed `(plan.id, "@plan")` (src/plans/plan-record.ts), next to the rows of its actions, keyed
 * `(plan.id, action.id)`. Ids starting with `@` are reserved for such rows, so no real action can
 * ever be mistaken for one: `execute` and plan validation refuse them.
 */
import { actionError } from '../failure/errors.ts';
import type { ExecutionKey } from '../../storage/journal.ts';

/** What every reserved action id starts with. */
export const RESERVED_ACTION_ID_PREFIX = '@';

/** Whether an action id is reserved for the journal's own rows (starts with `@`). */
export function isReservedActionId(actionId: string): boolean {
  return actionId.startsWith(RESERVED_ACTION_ID_PREFIX);
}

/** Why an action id is refused, for messages that name where it was found. */
export function reservedActionIdMessage(actionId: string): string {
  return `action id ${JSON.stringify(actionId)} is reserved: ids starting with "${RESERVED_ACTION_ID_PREFIX}" name the journal's own records (a plan run is recorded as "${PLAN_ROW_ACTION_ID}"); rename the action`;
}

/** The action id of a plan run's own journal row. */
export const PLAN_ROW_ACTION_ID = '@plan';

/** Refuses a single-action request whose action id is reserved (validation_failed, code RESERVED_ACTION_ID). */
export function checkActionIdNotReserved(actionId: string): void {
  if (!isReservedActionId(actionId)) return;
  throw actionError('validation_failed', `The execution request is invalid: $.action.id: ${reservedActionIdMessage(actionId)}.`, {
    code: 'RESERVED_ACTION_ID',
    context: { field: '$.action.id', actionId },
    suggestion: 'Give the action an id that does not start with "@".',
  });
}

/**
 * Refuses to drive or cancel a reserved row as if it were an action: a plan run is continued by the
 * plan executor (`plan confirm`, `plan cancel`, `resume --all`), never by the action machine.
 */
export function checkNotReservedKey(key: ExecutionKey, operation: string): void {
  if (!isReservedActionId(key.actionId)) return;
  throw actionError('validation_failed', `${key.executionId} / ${key.actionId} is a plan run's own record, not an action execution, so it cannot be ${operation} as one.`, {
    code: 'RESERVED_ACTION_ID',
    context: { ...key },
    suggestion: `Use the plan commands: action-executor plan show ${key.executionId} (plan confirm / plan cancel; resume --all continues plans).`,
  });
}
