/**
 * Backoff math of DESIGN §5 (EXEC-008, EXEC-009). Pure: the random source is a parameter so every
 * delay can be reproduced from a seed (see `mulberry32` in random.ts).
 */
import type { RetryPolicy } from '../schemas/retry.ts';

/** The computed strategies; `respect_reset` and `custom` fall back to one of these (retry-decision.ts). */
export type BackoffStrategy = 'exponential' | 'linear';

/** The parts of a RetryPolicy the delay depends on. */
export type BackoffPolicy = Pick<RetryPolicy, 'initialDelay' | 'maxDelay' | 'backoffMultiplier' | 'jitter'>;

/**
 * The delay before the next attempt, before jitter:
 * exponential `min(maxDelay, initialDelay × backoffMultiplier^(attempt−1))`,
 * linear `min(maxDelay, initialDelay × attempt)`.
 * `attempt` is the number of attempts made so far (1 after the first failure).
 */
export function baseBackoffDelay(policy: BackoffPolicy, attempt: number, strategy: BackoffStrategy = 'exponential'): number {
  const n = Math.max(1, Math.floor(attempt));
  const raw = strategy === 'linear' ? policy.initialDelay * n : policy.initialDelay * policy.backoffMultiplier ** (n - 1);
  return Math.max(0, Math.min(policy.maxDelay, Math.round(raw)));
}

/**
 * The delay before the next attempt. With `policy.jitter`, a uniform value in `[base/2, base]` so a
 * crowd of clients that failed together does not return together (EXEC-009); `random` must return
 * numbers in [0, 1). Whole milliseconds.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number, strategy: BackoffStrategy = 'exponential'): number {
  const base = baseBackoffDelay(policy, attempt, strategy);
  if (!policy.jitter) return base;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(base, Math.round(base / 2 + r * (base / 2)));
}
