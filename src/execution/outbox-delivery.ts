/**
 * Delivers outbox events (`action.execute.completed` / `failed`) to listeners after their transition
 * committed. At least once: an event is marked delivered only when every listener took it; one a
 * listener threw on stays pending and is retried on the next delivery (the next execution, or start).
 */
import type { Logger } from 'pino';
import type { Journal } from '../../storage/journal.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';

/** An event from the outbox, delivered after its transition committed (at least once). */
export interface ExecutorEvent {
  id: number;
  type: 'action.execute.completed' | 'action.execute.failed';
  executionId: string;
  actionId: string;
  payload: ActionExecutionState;
}
export type ExecutorEventListener = (event: ExecutorEvent) => void | Promise<void>;

export async function deliverOutbox(journal: Journal, listeners: ReadonlySet<ExecutorEventListener>, now: () => number, logger: Logger): Promise<number> {
  if (listeners.size === 0) return 0;
  let delivered = 0;
  for (const event of await journal.pendingOutbox(1000)) {
    const message: ExecutorEvent = {
      id: event.id,
      type: event.type as ExecutorEvent['type'],
      executionId: event.executionId,
      actionId: event.actionId,
      payload: event.payload as ActionExecutionState,
    };
    try {
      for (const listener of listeners) await listener(message);
      await journal.markDelivered(event.id, now());
      delivered += 1;
    } catch (error) {
      await journal.recordDeliveryFailure(event.id, error instanceof Error ? error.message : String(error), now());
      logger.warn({ executionId: event.executionId, actionId: event.actionId, eventId: event.id }, `event delivery failed; it stays in the outbox: ${String(error)}`);
    }
  }
  return delivered;
}
