/**
 * Delivers outbox events (`action.execute.completed` / `failed`, and the plan events) to listeners after their transition
 * committed. At least once: an event is marked delivered only when every listener took it; one a
 * listener threw on stays pending and is retried on the next delivery (the next execution, or start).
 */
import type { Logger } from 'pino';
import type { Journal } from '../../storage/journal.ts';
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';

/** What the outbox says when a plan asks for a confirmation (`plan.confirmation.requested`). */
export interface PlanConfirmationRequest {
  planId: string;
  actionId: string;
  title: string;
  message: string;
  requestedAt: string;
  /** When it is rejected automatically, if the action has a timeout. */
  timeoutAt?: string;
  status: 'requested';
}

interface OutboxEventBase {
  id: number;
  executionId: string;
  actionId: string;
}

/**
 * An event from the outbox, delivered after its transition committed (at least once): an action's
 * end, a plan's end (its row's actionId is "@plan"), or a plan's confirmation request.
 */
export type ExecutorEvent =
  | (OutboxEventBase & { type: 'action.execute.completed' | 'action.execute.failed'; payload: ActionExecutionState })
  | (OutboxEventBase & { type: 'plan.execute.completed' | 'plan.execute.failed'; payload: ExecutionState })
  | (OutboxEventBase & { type: 'plan.confirmation.requested'; payload: PlanConfirmationRequest });
export type ExecutorEventListener = (event: ExecutorEvent) => void | Promise<void>;

export async function deliverOutbox(journal: Journal, listeners: ReadonlySet<ExecutorEventListener>, now: () => number, logger: Logger): Promise<number> {
  if (listeners.size === 0) return 0;
  let delivered = 0;
  for (const event of await journal.pendingOutbox(1000)) {
    // The journal stores what the transition wrote: the type names the payload's shape.
    const message = { id: event.id, type: event.type, executionId: event.executionId, actionId: event.actionId, payload: event.payload } as ExecutorEvent;
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
