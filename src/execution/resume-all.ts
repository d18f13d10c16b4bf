/**
 * `resumeAll` (the CLI's `resume --all`): every unfinished execution in the journal, resumed a few at a
 * time, with a report that names each one it could not resume and why (issue 13 item 6) — a row
 * journaled by another machine version, an unreadable snapshot or request, an infrastructure failure —
 * rather than skipping it or passing on a bare TypeError. Executions another live process holds are
 * counted as busy: they are being resumed, by someone else.
 */
import { isReservedActionId } from './reserved-action-ids.ts';
import { isActionError, isInfrastructureError, isInterruptedError } from '../failure/errors.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { ExecutionKey, ExecutionRecord, Journal } from '../../storage/journal.ts';
import type { ResumeAllReport } from './executor-api.ts';

export interface ResumeAllInput {
  journal: Journal;
  /** Resumes one execution (takes its lease, restores it, drives it). */
  resume(record: ExecutionRecord): Promise<ActionExecutionState>;
  concurrency: number;
  /** Once aborted, no further execution is started. */
  signal: AbortSignal;
}

/** The code of a failure to resume: the ActionError's code (or category), else what kind of error it was. */
function codeOf(error: unknown): string {
  if (isActionError(error)) return error.detail.code ?? error.detail.category.toUpperCase();
  if (isInterruptedError(error)) return 'INTERRUPTED';
  if (isInfrastructureError(error)) return 'INFRASTRUCTURE';
  return 'INTERNAL';
}

/** One `errors` entry; the message names the execution, whatever the error said. */
function errorEntry(key: ExecutionKey, error: unknown): ResumeAllReport['errors'][number] {
  const text = error instanceof Error ? error.message : String(error);
  const message = text.includes(key.executionId) ? text : `Execution ${key.executionId} / ${key.actionId} could not be resumed: ${text}`;
  return { ...key, code: codeOf(error), message };
}

export async function resumeAllUnfinished(input: ResumeAllInput): Promise<ResumeAllReport> {
  const report: ResumeAllReport = { resumed: 0, completed: 0, failed: 0, skipped: 0, busy: 0, errors: [] };
  const keys = await input.journal.listUnfinished();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length && !input.signal.aborted) {
      const key = keys[next++];
      if (!key) break;
      if (isReservedActionId(key.actionId)) continue; // a plan run: the plan executor continues it
      try {
        const record = await input.journal.get(key);
        if (!record) {
          report.errors.push({ ...key, code: 'EXECUTION_NOT_FOUND', message: `Execution ${key.executionId} / ${key.actionId} was listed as unfinished but is no longer in the journal ${input.journal.location}.` });
          continue;
        }
        const state = await input.resume(record);
        report.resumed += 1;
        if (state.status === 'completed') report.completed += 1;
        else if (state.status === 'failed') report.failed += 1;
        else if (state.status === 'skipped') report.skipped += 1;
      } catch (error) {
        if (isActionError(error) && error.detail.code === 'LEASE_HELD') report.busy += 1;
        else report.errors.push(errorEntry(key, error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, worker));
  return report;
}
