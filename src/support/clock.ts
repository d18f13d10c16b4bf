/**
 * Time as an injected dependency: the executor never reads `Date.now()` or calls `setTimeout` directly,
 * so tests drive time and the Trigger.dev task can replace long sleeps with a checkpointing wait.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves once `until` (epoch ms) has passed, or rejects with the signal's reason when aborted.
   * The platform waiter (Trigger.dev `wait.until`) lives here.
   */
  sleepUntil(until: number, signal?: AbortSignal): Promise<void>;
}

/** Real time with timers. Timers are not unref'd: a pending backoff keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil: (until, signal) => sleepFor(Math.max(0, until - Date.now()), signal),
};

/** Sleeps `ms` real milliseconds, abortable. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A manual clock for tests: `now` only moves when the test says so, and sleepers wake when it
 * passes their deadline. `onSleep` lets a test see (and answer) every wait the executor asks for.
 */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(now: number): void;
  /** Deadlines currently waited on. */
  readonly pending: number[];
}

export function createManualClock(start = Date.UTC(2026, 0, 1), options: { autoAdvance?: boolean } = {}): ManualClock {
  let current = start;
  const sleepers: { until: number; resolve: () => void }[] = [];
  const wake = (): void => {
    for (let i = sleepers.length - 1; i >= 0; i -= 1) {
      const sleeper = sleepers[i];
      if (sleeper && sleeper.until <= current) {
        sleepers.splice(i, 1);
        sleeper.resolve();
      }
    }
  };
  return {
    now: () => current,
    advance(ms) {
      current += ms;
      wake();
    },
    set(now) {
      current = now;
      wake();
    },
    get pending() {
      return sleepers.map((s) => s.until);
    },
    sleepUntil(until, signal) {
      if (until <= current) return Promise.resolve();
      // autoAdvance: jump straight to the deadline, so a test sees every wait without waiting.
      if (options.autoAdvance) {
        current = until;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const entry = { until, resolve };
        sleepers.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const index = sleepers.indexOf(entry);
            if (index >= 0) sleepers.splice(index, 1);
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          },
          { once: true },
        );
      });
    },
  };
}
