/**
 * One platform wait at a time in a worker process (docs/trigger-dev.md "Waits").
 *
 * The v4 runtime refuses a wait while another is in progress: "Parallel waits are not supported",
 * `TASK_DID_CONCURRENT_WAIT`, which fails the run without retries. A single action never waits twice
 * at once, but a plan runs several actions at the same time, and each may back off through
 * `wait.until`; the plan task also waits for confirmation tokens. The lane queues them: a platform
 * wait starts once the one before it has ended — also one whose caller gave up on it (a cancel ends
 * the caller's sleep at once, but the runtime still counts that wait until the platform ends it).
 *
 * Queued behind a longer wait, a backoff ends later than its journaled time, never earlier: a
 * `wait.until` whose date has passed by its turn returns at once, one within 5 s sleeps in-process.
 */

/** Runs platform waits one after the other. */
export interface PlatformWaitLane {
  /**
   * Runs `wait` once every wait queued before it has settled. Rejects with the signal's reason, without
   * calling `wait`, when `signal` aborts first; once called, `wait` runs to its end (the runtime offers
   * no way to withdraw a wait), so the caller should race it with its own signal.
   */
  run<T>(wait: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Waits started or queued and not settled yet. */
  readonly pending: number;
}

const abortError = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));

/** A new, empty lane (tests; a worker uses {@link platformWaitLane}). */
export function createPlatformWaitLane(): PlatformWaitLane {
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;
  return {
    get pending() {
      return pending;
    },
    run<T>(wait: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      pending += 1;
      const turn = tail.then(
        () => (signal?.aborted ? Promise.reject(abortError(signal)) : wait()),
      );
      // The next wait queues behind this one however it ends.
      tail = turn.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        pending -= 1;
      });
      return turn;
    },
  };
}

/** This process's lane: every platform wait of the worker goes through it. */
export const platformWaitLane: PlatformWaitLane = createPlatformWaitLane();
