/**
 * The Trigger.dev task's clock: backoffs longer than the SDK's in-process threshold go through the
 * platform's waiter (`wait.until`), so the run is not charged compute while it waits and, on
 * Trigger.dev Cloud, is checkpointed once the wait passes 60 s (docs/trigger-dev.md "Waits").
 *
 * Two things the platform waiter does not do, and this clock does:
 * - **It honours the abort signal.** `wait.until` takes none, so a cancel during a long backoff would
 *   otherwise wait the backoff out first; here the sleep rejects at once and the driver records the
 *   cancel (the abandoned platform wait ends with the run).
 * - **A failure of the waiter is infrastructure.** The platform API being unreachable says nothing
 *   about the action: the run stops unrecorded (InfrastructureError) and the platform's retry resumes
 *   the backoff from the journal, waiting only what remains — never a recorded action failure.
 */
import { InfrastructureError } from '../failure/errors.ts';
import { sleepFor, type Clock } from '../support/clock.ts';

/**
 * Waits up to this long sleep in-process. It is the SDK's own threshold (`wait.until` sleeps in-process
 * for 5 s or less and charges the compute); longer waits are registered with the platform.
 */
export const PLATFORM_WAIT_THRESHOLD_MS = 5_000;

/** Options of {@link platformWaitClock}. */
export interface PlatformWaitClockOptions {
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Waits of at most this many ms sleep in-process. @default PLATFORM_WAIT_THRESHOLD_MS (5000) */
  thresholdMs?: number;
}

/** Rejects the way `sleepFor` does when a signal aborts, so the driver sees one kind of abort. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise is left to settle unobserved). */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * A clock whose long sleeps use `waitUntil` (on Trigger.dev: `(date) => wait.until({ date })`). It is
 * handed the sleep's signal too, so a wait queued behind others (platform-wait-lane.ts) can be dropped.
 *
 * @example
 * ```ts
 * const clock = platformWaitClock((date) => wait.until({ date }));
 * createActionExecutor({ definitions, clock });
 * ```
 */
export function platformWaitClock(waitUntil: (until: Date, signal?: AbortSignal) => Promise<void>, options: PlatformWaitClockOptions = {}): Clock {
  const now = options.now ?? Date.now;
  const threshold = options.thresholdMs ?? PLATFORM_WAIT_THRESHOLD_MS;
  return {
    now,
    async sleepUntil(until, signal) {
      const remaining = until - now();
      if (remaining <= 0) return;
      if (remaining <= threshold) return sleepFor(remaining, signal);
      if (signal?.aborted) throw abortReason(signal);
      const date = new Date(until);
      const waited = waitUntil(date, signal).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new InfrastructureError(
          `The platform wait until ${date.toISOString()} failed: ${reason}. The run stops without recording anything; the platform's retry resumes the backoff from the journal.`,
          { cause: error },
        );
      });
      await untilAborted(waited, signal);
    },
  };
}
