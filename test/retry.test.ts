import { describe, it, expect } from 'vitest';
import { backoffDelay, baseBackoffDelay } from '../src/failure/backoff.ts';
import { decideRetry } from '../src/failure/retry-decision.ts';
import type { RetryInput } from '../src/failure/retry-decision.ts';
import { mulberry32 } from '../src/support/random.ts';
import type { FailedClassification } from '../src/failure/classification.ts';
import type { RetryPolicy } from '../src/schemas/retry.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { errorDetail } from '../src/failure/errors.ts';
import { makeRetryPolicy } from './fixtures.ts';
import { NOW } from './outcome-fixtures.ts';

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy =>
  makeRetryPolicy({ maxAttempts: 4, initialDelay: 200, maxDelay: 5_000, backoffMultiplier: 2, jitter: false, ...overrides });

function failure(overrides: Partial<FailedClassification> = {}, error: Partial<ReturnType<typeof errorDetail>> = {}): FailedClassification {
  return {
    ok: false,
    error: { ...errorDetail('api_unexpected_status', 'POST https://api.example.com/v1/x returned 503 Service Unavailable: down', { statusCode: 503, retryable: true, context: { method: 'POST' } }), ...error },
    reachedServer: 'yes',
    notProcessed: false,
    ...overrides,
  };
}

function input(overrides: Partial<RetryInput> = {}): RetryInput {
  return { classification: failure(), attempt: 1, policy: policy(), method: 'GET', idempotencyKeySent: false, random: () => 0.5, now: NOW, ...overrides };
}

describe('EXEC-008: exponential backoff follows RetryPolicySchema', () => {
  it('base = min(maxDelay, initialDelay × multiplier^(attempt−1))', () => {
    const p = policy({ initialDelay: 100, backoffMultiplier: 3, maxDelay: 2_000 });
    expect([1, 2, 3, 4, 5].map((a) => baseBackoffDelay(p, a))).toEqual([100, 300, 900, 2_000, 2_000]);
  });

  it('without jitter the delay is exactly the base', () => {
    expect(backoffDelay(policy(), 3, () => 0.99)).toBe(800);
  });

  it('linear strategy: initialDelay × attempt, capped at maxDelay', () => {
    const p = policy({ initialDelay: 1_500 });
    expect([1, 2, 3, 4].map((a) => baseBackoffDelay(p, a, 'linear'))).toEqual([1_500, 3_000, 4_500, 5_000]);
  });
});

describe('EXEC-009: jitter prevents a thundering herd', () => {
  it('jittered delays lie in [base/2, base]; the extremes of random map to the ends', () => {
    const p = policy({ jitter: true });
    expect(backoffDelay(p, 2, () => 0)).toBe(200);
    expect(backoffDelay(p, 2, () => 0.999_999)).toBe(400);
  });

  it('herd: 1,000 seeded delays cover [base/2, base] evenly and are reproducible from the seed', () => {
    const p = policy({ jitter: true, initialDelay: 1_000, maxDelay: 60_000 });
    const run = (seed: number): number[] => {
      const random = mulberry32(seed);
      return Array.from({ length: 1_000 }, () => backoffDelay(p, 3, random));
    };
    const delays = run(42);
    const base = 4_000;
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(base / 2);
    expect(Math.max(...delays)).toBeLessThanOrEqual(base);
    // Ten equal buckets over the interval: every bucket is used, none holds a crowd.
    const buckets = new Array<number>(10).fill(0);
    for (const d of delays) buckets[Math.min(9, Math.floor(((d - base / 2) / (base / 2)) * 10))]! += 1;
    for (const count of buckets) {
      expect(count).toBeGreaterThan(60);
      expect(count).toBeLessThan(140);
    }
    expect(new Set(delays).size).toBeGreaterThan(600);
    expect(run(42)).toEqual(delays);
    expect(run(43)).not.toEqual(delays);
  });

  it('mulberry32 yields numbers in [0, 1)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 10_000; i += 1) {
      const r = random();
      expect(r >= 0 && r < 1).toBe(true);
    }
  });
});

describe('retry rule (DESIGN §5)', () => {
  it('retries a retryable 503 on an idempotent GET and says why, with the attempt number and delay', () => {
    const decision = decideRetry(input());
    expect(decision).toEqual({
      retry: true,
      delayMs: 200,
      reason: '503 api_unexpected_status is retryable and GET is idempotent; attempt 2 of 4 in 200 ms (exponential 200 ms)',
    });
  });

  it('reason names the jitter when it applies', () => {
    const decision = decideRetry(input({ attempt: 2, policy: policy({ jitter: true }), random: mulberry32(1) }));
    expect(decision.retry).toBe(true);
    if (decision.retry) {
      expect(decision.delayMs).toBeGreaterThanOrEqual(200);
      expect(decision.delayMs).toBeLessThanOrEqual(400);
      expect(decision.reason).toContain(`exponential 400 ms, jitter → ${decision.delayMs} ms`);
    }
  });

  it('refuses a non-retryable error and says so in message and context', () => {
    const decision = decideRetry(input({ classification: failure({}, { category: 'api_endpoint_removed', statusCode: 404, retryable: false }) }));
    expect(decision.retry).toBe(false);
    if (!decision.retry) {
      expect(decision.refusedBecause).toBe('not_retryable');
      expect(decision.error.context.retryRefusedBecause).toBe('not_retryable');
      expect(decision.error.message).toMatch(/— not retried: 404 api_endpoint_removed is not retryable$/);
      expect(ErrorDetailSchema.safeParse(decision.error).success).toBe(true);
    }
  });

  it('refuses a category missing from retryPolicy.retryableErrors and names the list', () => {
    const decision = decideRetry(input({ policy: policy({ retryableErrors: ['network_timeout'] }) }));
    expect(decision).toMatchObject({ retry: false, refusedBecause: 'category_not_in_policy' });
    if (!decision.retry) {
      expect(decision.error.message).toContain('retryPolicy.retryableErrors (network_timeout) does not include api_unexpected_status');
      expect(decision.error.suggestion).toContain('Add "api_unexpected_status" to retryPolicy.retryableErrors');
    }
  });

  it('maxAttempts counts the first attempt: attempt 4 of 4 is the last', () => {
    expect(decideRetry(input({ attempt: 3 })).retry).toBe(true);
    const last = decideRetry(input({ attempt: 4 }));
    expect(last).toMatchObject({ retry: false, refusedBecause: 'attempts_exhausted' });
    if (!last.retry) {
      expect(last.error.context).toMatchObject({ attempts: '4', maxAttempts: '4' });
      expect(last.error.message).toContain('all 4 attempts used (retryPolicy.maxAttempts = 4)');
    }
  });

  it('maxAttempts 1 means no retry at all', () => {
    expect(decideRetry(input({ policy: policy({ maxAttempts: 1 }) }))).toMatchObject({ retry: false, refusedBecause: 'attempts_exhausted' });
  });

  it('refuses to repeat a POST that may have reached the server, and says what would make it safe', () => {
    const decision = decideRetry(input({ method: 'POST', classification: failure({ reachedServer: 'maybe' }, { category: 'network_timeout', code: 'REQUEST_TIMEOUT', statusCode: undefined }) }));
    expect(decision).toMatchObject({ retry: false, refusedBecause: 'unsafe_to_repeat' });
    if (!decision.retry) {
      expect(decision.error.message).toContain('repeating POST is not provably safe: the request may have reached the server');
      expect(decision.error.retryable).toBe(false);
      expect(decision.error.suggestion).toContain('"Idempotency-Key": "{idempotencyKey}"');
    }
  });

  it.each([
    ['the request never reached the server', { method: 'POST' as const, classification: failure({ reachedServer: 'no' }) }],
    ['PUT is idempotent', { method: 'PUT' as const }],
    ['DELETE is idempotent', { method: 'DELETE' as const }],
    ['an idempotency key was sent', { method: 'POST' as const, idempotencyKeySent: true }],
    ['the response shows the request was not processed', { method: 'PATCH' as const, classification: failure({ notProcessed: true }) }],
  ])('a non-idempotent-looking retry is safe when %s', (why, overrides) => {
    const decision = decideRetry(input(overrides));
    expect(decision.retry).toBe(true);
    if (decision.retry) expect(decision.reason).toContain(why);
  });
});

describe('delay and the server’s wish (edge case 4)', () => {
  const rateLimited = (serverDelayMs: number | undefined, extra: Partial<FailedClassification> = {}): FailedClassification =>
    failure(
      { notProcessed: true, ...(serverDelayMs === undefined ? {} : { serverDelayMs }), ...extra },
      { category: 'rate_limit_burst', statusCode: 429, retryable: true, ...(serverDelayMs === undefined ? {} : { retryAfter: new Date(NOW + serverDelayMs).toISOString() }) },
    );
  const ratePolicy = policy({ retryableErrors: ['rate_limit_burst', 'rate_limit_daily'] });

  it('never retries earlier than the server asked: Retry-After raises the delay', () => {
    const decision = decideRetry(input({ method: 'POST', policy: ratePolicy, classification: rateLimited(3_000) }));
    expect(decision).toMatchObject({ retry: true, delayMs: 3_000 });
    if (decision.retry) expect(decision.reason).toContain("raised to the server's wish of 3000 ms");
  });

  it('a server wish shorter than the backoff keeps the backoff', () => {
    const decision = decideRetry(input({ attempt: 3, policy: ratePolicy, classification: rateLimited(100) }));
    expect(decision).toMatchObject({ retry: true, delayMs: 800 });
  });

  it('jitter never takes the delay below the server’s wish', () => {
    const p = policy({ retryableErrors: ['rate_limit_burst'], jitter: true, initialDelay: 4_000 });
    for (let seed = 0; seed < 50; seed += 1) {
      const decision = decideRetry(input({ policy: p, classification: rateLimited(3_900), random: mulberry32(seed) }));
      expect(decision.retry && decision.delayMs >= 3_900).toBe(true);
    }
  });

  it('a wish beyond maxDelay fails now with the rate-limit category and retryAfter, instead of retrying into another 429', () => {
    const decision = decideRetry(input({ policy: ratePolicy, classification: rateLimited(60_000) }));
    expect(decision).toMatchObject({ retry: false, refusedBecause: 'server_delay_exceeds_max_delay' });
    if (!decision.retry) {
      expect(decision.error.category).toBe('rate_limit_burst');
      expect(decision.error.retryAfter).toBe('2026-01-01T00:01:00.000Z');
      expect(decision.error.retryable).toBe(true);
      expect(decision.error.message).toContain('the server asks to wait 60 s (until 2026-01-01T00:01:00.000Z), longer than retryPolicy.maxDelay of 5000 ms');
    }
  });

  it('when the classification already quoted the wait, the refusal only adds why it stops', () => {
    const c = rateLimited(60_000);
    c.error.message += '; the server asks to wait 60 s (until 2026-01-01T00:01:00.000Z)';
    const decision = decideRetry(input({ policy: ratePolicy, classification: c }));
    expect(decision.retry).toBe(false);
    if (!decision.retry) {
      expect(decision.error.message).toMatch(/\(until 2026-01-01T00:01:00\.000Z\) — not retried: that is longer than retryPolicy\.maxDelay of 5000 ms; reschedule the action at retryAfter \(2026-01-01T00:01:00\.000Z\)/);
      expect(decision.reason).toContain('the server asks to wait 60 s');
    }
  });

  it('respect_reset waits exactly the server’s wish', () => {
    const decision = decideRetry(input({ policy: ratePolicy, classification: rateLimited(1_234, { backoffStrategy: 'respect_reset' }) }));
    expect(decision).toMatchObject({ retry: true, delayMs: 1_234 });
    if (decision.retry) expect(decision.reason).toContain("respect_reset: the server's wish 1234 ms");
  });

  it('respect_reset without a server wish falls back to exponential backoff', () => {
    const decision = decideRetry(input({ attempt: 2, policy: ratePolicy, classification: rateLimited(undefined, { backoffStrategy: 'respect_reset' }) }));
    expect(decision).toMatchObject({ retry: true, delayMs: 400 });
    if (decision.retry) expect(decision.reason).toContain('respect_reset has no formula of its own, so exponential 400 ms');
  });

  it('a catalog rule can ask for linear backoff', () => {
    const decision = decideRetry(input({ attempt: 3, classification: failure({ backoffStrategy: 'linear' }) }));
    expect(decision).toMatchObject({ retry: true, delayMs: 600 });
  });

  it('the catalog’s rate-limit bounds override the policy’s (initialDelay and maxDelay)', () => {
    const classification = rateLimited(30_000, { rateLimitBackoff: { initialDelay: 1_000, maxDelay: 60_000 } });
    const decision = decideRetry(input({ policy: ratePolicy, classification }));
    expect(decision).toMatchObject({ retry: true, delayMs: 30_000 });
    const beyond = decideRetry(input({ policy: ratePolicy, classification: rateLimited(90_000, { rateLimitBackoff: { maxDelay: 60_000 } }) }));
    expect(beyond.retry).toBe(false);
    if (!beyond.retry) expect(beyond.error.message).toContain('longer than the catalog rateLimiting.backoffStrategy.maxDelay of 60 s');
    const noWish = decideRetry(input({ policy: ratePolicy, classification: rateLimited(undefined, { rateLimitBackoff: { initialDelay: 1_000 } }) }));
    expect(noWish).toMatchObject({ retry: true, delayMs: 1_000 });
  });

  it('the same inputs always give the same decision (pure)', () => {
    const make = (): RetryInput => input({ policy: policy({ jitter: true }), random: mulberry32(9), attempt: 2 });
    expect(decideRetry(make())).toEqual(decideRetry(make()));
  });
});
