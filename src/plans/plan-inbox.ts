/**
 * What a plan run waits for between decisions: its actions ending, and signals from the same process
 * (a confirmation, a cancel). The runner takes everything that arrived at once, so actions that end
 * together are recorded, and decided on, in one journal commit.
 */
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { Clock } from '../support/clock.ts';

/** Something that happened to a plan run, to be journaled before the next decision. */
export type PlanEvent =
  /** An action execution ended; `state` is what it recorded. */
  | { type: 'ACTION_ENDED'; actionId: string; state: ActionExecutionState }
  /** An action ended without an execution of its own (refused before it was journaled, cancelled before it began). */
  | { type: 'ACTION_REFUSED'; actionId: string; error: ErrorDetail }
  /** The executor could not carry an action on (infrastructure, a lost lease): the run stops unrecorded. */
  | { type: 'ACTION_STOPPED'; actionId: string; error: unknown }
  | { type: 'CONFIRMED' | 'REJECTED'; actionId: string; userId?: string; respondedAt: number }
  | { type: 'CANCEL'; reason?: string };

/** A queue of plan events with one waiting reader. */
export class PlanInbox {
  private readonly queue: PlanEvent[] = [];
  private wake: (() => void) | undefined;

  push(event: PlanEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  /** Everything queued, in arrival order (empties the queue). */
  drain(): PlanEvent[] {
    return this.queue.splice(0);
  }

  get size(): number {
    return this.queue.length;
  }

  /**
   * Waits until something arrives, or until `wakeAt` (epoch ms, on `clock`) when given, and returns
   * what arrived (nothing when only the time came).
   */
  async next(clock: Clock, wakeAt?: number): Promise<PlanEvent[]> {
    if (this.queue.length > 0) return this.drain();
    const arrived = new Promise<void>((resolve) => (this.wake = resolve));
    if (wakeAt === undefined) {
      await arrived;
    } else {
      const timer = new AbortController();
      await Promise.race([arrived, clock.sleepUntil(wakeAt, timer.signal).catch(() => undefined)]);
      timer.abort();
    }
    this.wake = undefined;
    return this.drain();
  }
}
