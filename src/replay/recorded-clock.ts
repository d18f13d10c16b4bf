/**
 * The clock of a replay: it reads what the journal recorded. Before each step the replay sets it to
 * the clock reading that step recorded (its `facts.now`, else the transition's time); a wait returns
 * at once and moves it to the deadline, so a what-if that backs off longer still never sleeps.
 */
import type { Clock } from '../support/clock.ts';

/** A {@link Clock} the replay sets step by step. */
export interface RecordedClock extends Clock {
  /** Sets the reading for the step about to be replayed. */
  set(now: number): void;
}

/** A recorded clock reading `start` (the execution's creation time) until the first step sets it. */
export function createRecordedClock(start: number): RecordedClock {
  let current = start;
  return {
    now: () => current,
    set(now) {
      current = now;
    },
    async sleepUntil(until) {
      current = Math.max(current, until);
    },
  };
}
