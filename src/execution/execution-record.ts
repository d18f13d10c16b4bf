/**
 * Reading an execution back from its journal row: the machine snapshot to resume from (refused when
 * another machine version wrote it, or its context is not what the schema says), and the summary row
 * `list` shows.
 */
import { actionExecutionMachine, MACHINE_VERSION, type ExecutionSnapshot } from '../../machines/action-execution.ts';
import { ExecutionContextSchema } from '../../machines/action-execution-context.ts';
import { actionError } from '../failure/errors.ts';
import { formatZodIssues } from '../support/zod-issues.ts';
import type { ExecutionRecord } from '../../storage/journal.ts';
import type { ExecutionSummary } from './executor-api.ts';
import { pureInitialTransition } from './pure-transition.ts';

/**
 * A journaled snapshot is restored only when this machine version wrote it and its context is
 * what the context schema says: restoring anything else could re-run the wrong effect.
 */
export function restoreSnapshot(record: ExecutionRecord): ExecutionSnapshot {
  const where = { executionId: record.executionId, actionId: record.actionId };
  if (record.machineVersion !== MACHINE_VERSION) {
    throw actionError(
      'state_inconsistent',
      `Execution ${record.executionId} / ${record.actionId} was journaled by machine version ${record.machineVersion}; this executor runs version ${MACHINE_VERSION} and cannot restore it.`,
      {
        code: 'MACHINE_VERSION_MISMATCH',
        context: { ...where, journaled: record.machineVersion, running: MACHINE_VERSION },
        suggestion: 'Resume it with the executor version that started it, or cancel it.',
      },
    );
  }
  const snapshot = record.snapshot as { value?: unknown; context?: unknown } | null;
  if (!snapshot) return pureInitialTransition(where)[0];
  const parsed = ExecutionContextSchema.safeParse(snapshot.context);
  if (!parsed.success || typeof snapshot.value !== 'string') {
    const issues = parsed.success ? '$.value: expected a state name' : formatZodIssues(parsed.error.issues);
    throw actionError('state_inconsistent', `The journaled snapshot of ${record.executionId} / ${record.actionId} is not a valid machine context:\n${issues}`, {
      code: 'SNAPSHOT_INVALID',
      context: where,
      suggestion: 'The journal row was changed outside the executor; cancel the execution and resubmit it.',
    });
  }
  return actionExecutionMachine.resolveState({ value: snapshot.value, context: parsed.data });
}

/** The row `list` shows for an execution. */
export function summaryOf(record: ExecutionRecord): ExecutionSummary {
  return {
    executionId: record.executionId,
    actionId: record.actionId,
    definitionId: record.definitionId,
    status: record.status,
    state: record.stateValue,
    attempts: record.attemptCount,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    ...(record.wakeAt !== null && record.stateValue === 'backingOff' ? { wakeAt: new Date(record.wakeAt).toISOString() } : {}),
  };
}
