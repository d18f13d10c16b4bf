/**
 * Token-bucket arithmetic for the client-side rate limit of `ActionDefinition.rateLimit`, pure so the
 * refill math is tested with plain numbers; the journal keeps the state in SQLite so the limit holds
 * across restarts and across processes sharing the journal.
 */

const TOLERANCE_MS = 1e-6;

/** Stored bucket: fractional tokens left and the time they were computed for. */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** Result of one take: the state to store and either a grant or how long until a token exists. */
export type TakeResult =
  | { granted: true; state: BucketState }
  | { granted: false; waitMs: number; state: BucketState };

/**
 * Takes one token. The bucket holds at most `capacity` tokens and refills continuously at
 * `capacity / windowMs` per millisecond, so `capacity` requests may burst and the long-run rate is
 * `capacity` per window. A bucket never seen starts full. A clock that moves backwards adds nothing
 * (elapsed time is clamped at 0 and `updatedAt` never decreases). `windowMs <= 0` means no limit.
 */
export function takeToken(state: BucketState | undefined, capacity: number, windowMs: number, now: number): TakeResult {
  if (windowMs <= 0) return { granted: true, state: { tokens: capacity, updatedAt: Math.max(now, state?.updatedAt ?? now) } };
  const start = state ?? { tokens: capacity, updatedAt: now };
  const elapsed = Math.max(0, now - start.updatedAt);
  const tokens = Math.min(capacity, start.tokens + (elapsed * capacity) / windowMs);
  const updatedAt = Math.max(now, start.updatedAt);
  // Decide in time units: how long until one whole token exists. Float error in `tokens` is ~1e-15;
  // a millionth of a millisecond of tolerance absorbs it, so `waitMs` is not rounded up a whole
  // millisecond by noise and waking exactly `waitMs` later always finds a token.
  const shortfallMs = ((1 - tokens) * windowMs) / capacity;
  if (shortfallMs <= TOLERANCE_MS) return { granted: true, state: { tokens: Math.max(0, tokens - 1), updatedAt } };
  const waitMs = Math.ceil(shortfallMs - TOLERANCE_MS);
  return { granted: false, waitMs, state: { tokens, updatedAt } };
}
