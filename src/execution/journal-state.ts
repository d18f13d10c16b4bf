/**
 * The spec's ActionExecutionState read back from the journal: for executions that are not running
 * in this process (`get`, `show`), and to end a dormant execution without restoring its machine.
 */
import { ExecutionContextSchema, initialContext, type ExecutionContext } from '../../machines/action-execution-context.ts';
import { errorDetail } from '../failure/action-error.ts';
import { buildActionExecutionState, statusOf } from './execution-state-builder.ts';
import type { ActionExecutionState, HttpTraceEntry } from '../schemas/execution-state.ts';
import type { ExecutionKey, ExecutionRecord, Journal } from '../../storage/sqlite/sqlite-journal.ts';

/** The httpTrace of an execution: every attempt's redirect hops, then its final request/response. */
export function tracesOf(journal: Journal, key: ExecutionKey): HttpTraceEntry[] {
  return journal.listAttempts(key).flatMap((attempt) => {
    const outcome = attempt.outcome as { trace?: HttpTraceEntry; redirectTraces?: HttpTraceEntry[] } | null;
    if (outcome?.trace) return [...(outcome.redirectTraces ?? []), outcome.trace];
    // Sent, outcome not (yet) recorded: the request alone.
    return [{ timestamp: new Date(attempt.startedAt).toISOString(), request: attempt.request as HttpTraceEntry['request'] }];
  });
}

/** The machine context of the latest snapshot (a fresh one when the machine never started). */
function contextOf(record: ExecutionRecord): ExecutionContext {
  const snapshot = record.snapshot as { context?: unknown } | null;
  const parsed = ExecutionContextSchema.safeParse(snapshot?.context);
  return parsed.success ? parsed.data : { ...initialContext(record), attempt: record.attemptCount };
}

/** The recorded state: the terminal result, or the state so far. */
export function stateOf(journal: Journal, record: ExecutionRecord): ActionExecutionState {
  if (record.result) return record.result as ActionExecutionState;
  return {
    ...buildActionExecutionState({
      actionId: record.actionId,
      stateValue: record.stateValue,
      context: contextOf(record),
      startedAt: record.createdAt,
      traces: tracesOf(journal, record),
    }),
    status: statusOf(record.stateValue),
  };
}

/**
 * Ends a dormant execution (crashed, or waiting in a process that died) as cancelled, straight in the
 * journal: restoring its machine would re-run the effect of the state it was in. The caller holds
 * the lease.
 */
export function cancelDormant(journal: Journal, record: ExecutionRecord, reason: string | undefined, now: number): ActionExecutionState {
  const snapshot = record.snapshot as Record<string, unknown> | null;
  const error = errorDetail('user_cancelled', `Action "${record.actionId}" was cancelled${reason ? `: ${reason}` : ''}.`, {
    code: 'CANCELLED',
    context: { attempt: String(record.attemptCount), cancelledIn: record.stateValue },
  });
  const previous = contextOf(record);
  const context: ExecutionContext = { ...previous, error, step: previous.step + 1 };
  const result = buildActionExecutionState({
    actionId: record.actionId,
    stateValue: 'failed',
    context,
    startedAt: record.createdAt,
    finishedAt: now,
    traces: tracesOf(journal, record),
  });
  journal.recordTransition(record, {
    from: record.stateValue,
    to: 'failed',
    event: 'CANCEL',
    snapshot: { ...(snapshot ?? {}), status: 'done', value: 'failed', context, children: {} },
    stateValue: 'failed',
    status: 'failed',
    attemptCount: record.attemptCount,
    wakeAt: null,
    result,
    outbox: { type: 'action.execute.failed', payload: result },
    now,
  });
  return result;
}
