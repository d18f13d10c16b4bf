/**
 * Replaying what a journal holds: one action execution, every action of one execution id, or every
 * execution (`replay --all`), read page by page so a large journal is never held in memory at once.
 * The journal is only read.
 */
import type { ExecutionKey, Journal } from '../../storage/journal.ts';
import { readRecording, type Recording } from './recording.ts';
import { isReservedActionId } from '../execution/reserved-action-ids.ts';

/** Which executions to replay: an execution id (and action id), or every execution when empty. */
export interface ReplaySelection {
  executionId?: string | undefined;
  actionId?: string | undefined;
}

const PAGE = 100;

/** The keys the selection names, oldest first. */
async function* keysOf(journal: Journal, selection: ReplaySelection): AsyncGenerator<ExecutionKey> {
  const { executionId, actionId } = selection;
  if (executionId !== undefined && actionId !== undefined) {
    yield { executionId, actionId };
    return;
  }
  for (let offset = 0; ; offset += PAGE) {
    const page = await journal.listExecutions({ ...(executionId === undefined ? {} : { executionId }), order: 'oldest', limit: PAGE, offset });
    // A plan run's own row ("@plan") is not an action execution: there is no machine run to replay.
    for (const record of page.records) if (!isReservedActionId(record.actionId)) yield { executionId: record.executionId, actionId: record.actionId };
    if (page.records.length < PAGE) return;
  }
}

/** The recordings the selection names, oldest first (none when the journal has no such execution). */
export async function* recordingsOf(journal: Journal, selection: ReplaySelection = {}): AsyncGenerator<Recording> {
  for await (const key of keysOf(journal, selection)) {
    const recording = await readRecording(journal, key);
    if (recording) yield recording;
  }
}
