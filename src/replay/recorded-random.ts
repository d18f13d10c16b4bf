/**
 * The random source of a replay: it returns the draws the replayed step recorded (`facts.random`), in
 * order. A step that draws more than was recorded — a what-if whose changed policy adds jitter, or
 * a retry the original never made — gets `UNRECORDED_DRAW`, the top of the jitter range (the longest
 * delay), and the replay says so.
 */

/** What a draw the journal does not have is assumed to be: the longest jittered delay. */
export const UNRECORDED_DRAW = 1;

/** The replay's random source and how it is fed. */
export interface RecordedRandom {
  /** The source handed to the effects. */
  next: () => number;
  /** Loads the draws of the step about to be replayed (and forgets any left over). */
  load(draws: readonly number[]): void;
  /** Draws taken since the last load that the journal did not have. */
  readonly unrecorded: number;
}

/** A random source with no draws loaded (every draw is unrecorded until `load`). */
export function createRecordedRandom(): RecordedRandom {
  let queue: number[] = [];
  let unrecorded = 0;
  return {
    next() {
      const draw = queue.shift();
      if (draw !== undefined) return draw;
      unrecorded += 1;
      return UNRECORDED_DRAW;
    },
    load(draws) {
      queue = [...draws];
      unrecorded = 0;
    },
    get unrecorded() {
      return unrecorded;
    },
  };
}
