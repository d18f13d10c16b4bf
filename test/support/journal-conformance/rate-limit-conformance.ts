/**
 * Conformance: the durable token bucket behind `ActionDefinition.rateLimit`. The refill arithmetic is
 * storage/token-bucket.ts (tested on its own); these tests check that a backend stores the bucket
 * faithfully — per bucket, across reopen, and atomically when takes arrive together.
 */
import { describe, expect, it } from 'vitest';
import { rejectedActionError } from '../thrown.ts';
import type { ConformanceHarness } from './conformance-harness.ts';

/** Registers the rate-limit tests. */
export function describeRateLimitConformance(h: ConformanceHarness): void {
  describe('rate-limit token bucket', () => {
    it('capacity requests burst at once, then the wait is exactly the time to refill one token', async () => {
      const journal = await h.open();
      const take = (now: number) => journal.takeRateToken('global:get-user', 3, 3000, now);
      expect([await take(0), await take(0), await take(0)]).toEqual([{ granted: true }, { granted: true }, { granted: true }]);
      expect(await take(0)).toEqual({ granted: false, waitMs: 1000 });
      expect(await take(999)).toEqual({ granted: false, waitMs: 1 });
      expect(await take(1000)).toEqual({ granted: true });
      expect(await take(1000)).toEqual({ granted: false, waitMs: 1000 });
    });

    it('takes issued together are applied one after another: never more grants than tokens', async () => {
      const journal = await h.open();
      const results = await Promise.all(Array.from({ length: 5 }, () => journal.takeRateToken('b', 3, 3000, 0)));
      expect(results).toEqual([{ granted: true }, { granted: true }, { granted: true }, { granted: false, waitMs: 1000 }, { granted: false, waitMs: 1000 }]);
    });

    it('refills continuously and never above capacity after a long idle period', async () => {
      const journal = await h.open();
      const take = (now: number) => journal.takeRateToken('b', 4, 1000, now);
      for (let i = 0; i < 4; i += 1) await take(0);
      expect(await take(125)).toEqual({ granted: false, waitMs: 125 }); // 0.5 token after 125 ms at 4/s
      expect(await take(250)).toEqual({ granted: true });
      let grants = 0;
      for (let i = 0; i < 6; i += 1) if ((await take(1_000_000)).granted) grants += 1;
      expect(grants).toBe(4);
    });

    it('buckets are independent and durable across close and reopen', async () => {
      const shared = h.database();
      const first = await h.open({ shared });
      expect(await first.takeRateToken('user:alice', 1, 60_000, 0)).toEqual({ granted: true });
      await h.close(first);
      const second = await h.open({ shared });
      expect(await second.takeRateToken('user:alice', 1, 60_000, 30_000)).toEqual({ granted: false, waitMs: 30_000 });
      expect(await second.takeRateToken('user:bob', 1, 60_000, 30_000)).toEqual({ granted: true });
    });

    it('a clock that moves backwards adds no tokens', async () => {
      const journal = await h.open();
      await journal.takeRateToken('b', 1, 1000, 10_000);
      expect(await journal.takeRateToken('b', 1, 1000, 5_000)).toEqual({ granted: false, waitMs: 1000 });
      expect(await journal.takeRateToken('b', 1, 1000, 10_999)).toEqual({ granted: false, waitMs: 1 });
    });

    it('a zero window means no limit; a non-positive capacity is INVALID_RATE_LIMIT naming the bucket', async () => {
      const journal = await h.open();
      for (let i = 0; i < 5; i += 1) expect(await journal.takeRateToken('free', 1, 0, 0)).toEqual({ granted: true });
      for (const capacity of [0, -1, Number.NaN]) {
        const error = await rejectedActionError(journal.takeRateToken('per_user:get-user:alice', capacity, 1000, 0));
        expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_RATE_LIMIT', context: { bucket: 'per_user:get-user:alice', capacity: String(capacity) } });
        expect(error.message).toBe(`Rate limit bucket "per_user:get-user:alice" has capacity ${capacity} per 1000 ms; capacity must be a positive number and the window a finite number of milliseconds.`);
      }
    });
  });
}
