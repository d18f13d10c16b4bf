/**
 * The token-bucket arithmetic (storage/token-bucket.ts) on plain numbers; the durable bucket every
 * journal keeps is in the conformance suite (test/support/journal-conformance/rate-limit-conformance.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { takeToken, type BucketState } from '../storage/token-bucket.ts';

describe('takeToken', () => {
  it('a bucket never seen starts full; a refusal keeps the refilled state so the wait is exact', () => {
    let state: BucketState | undefined;
    for (let i = 0; i < 2; i += 1) {
      const taken = takeToken(state, 2, 1000, 0);
      expect(taken.granted).toBe(true);
      state = taken.state;
    }
    const refused = takeToken(state, 2, 1000, 250);
    expect(refused).toEqual({ granted: false, waitMs: 250, state: { tokens: 0.5, updatedAt: 250 } });
    expect(takeToken(refused.state, 2, 1000, 500).granted).toBe(true);
  });

  it('property: waiting exactly waitMs always yields a token, and grants never exceed capacity plus refill', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100_000 }), fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), (capacity, windowMs, gaps) => {
        let state: BucketState | undefined;
        let now = 0;
        let granted = 0;
        for (const gap of gaps) {
          now += gap;
          const result = takeToken(state, capacity, windowMs, now);
          state = result.state;
          if (result.granted) granted += 1;
          else {
            const retry = takeToken(state, capacity, windowMs, now + result.waitMs);
            expect(retry.granted).toBe(true);
            state = retry.state;
            now += result.waitMs;
            granted += 1;
          }
        }
        expect(granted).toBeLessThanOrEqual(capacity + Math.floor((now * capacity) / windowMs) + 1);
      }),
    );
  });

  it('property: a clock going backwards never adds tokens nor moves updatedAt back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 20, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), (capacity, windowMs, tokens, updatedAt, back) => {
        const start = { tokens: Math.min(tokens, capacity), updatedAt };
        const result = takeToken(start, capacity, windowMs, updatedAt - back);
        expect(result.state.updatedAt).toBe(updatedAt);
        expect(result.state.tokens).toBeLessThanOrEqual(start.tokens);
      }),
    );
  });
});
