import { describe, it, expect } from 'vitest';
import {
  parseGoDuration,
  parseRateLimitHeader,
  parseRateLimitPolicyWindow,
  parseResetHeader,
  parseRetryAfter,
  readRateLimitInfo,
  serverWishMs,
} from '../src/failure/rate-limit-headers.ts';

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);
const NOW_S = NOW / 1000;

describe('Retry-After', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['2.0', 2_000], // Shopify
    ['1.25', 1_250],
    ['0.0001', 1], // rounded up: never earlier than asked
  ])('delta seconds %s → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it('reads an HTTP-date relative to the injected clock', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', NOW)).toBe(90_000);
  });

  it('an HTTP-date in the past means retry now (0), not a negative delay', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', NOW)).toBe(0);
  });

  it.each(['soon', '-5', '', '1e3'])('rejects %j instead of guessing', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('Go-style durations (OpenAI x-ratelimit-reset-*)', () => {
  it.each([
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['1.5s', 1_500],
    ['20s', 20_000],
    ['0', 0],
    ['500us', 1],
    ['750µs', 1],
    ['2h', 7_200_000],
  ])('%s → %i ms', (value, ms) => {
    expect(parseGoDuration(value)).toBe(ms);
  });

  it.each(['6 minutes', 'm6', '1x', '', '5'])('%j is not a duration', (value) => {
    expect(parseGoDuration(value)).toBeUndefined();
  });
});

describe('reset headers', () => {
  it('unix_seconds (GitHub x-ratelimit-reset) → delay from now', () => {
    expect(parseResetHeader(String(NOW_S + 900), 'unix_seconds', NOW)).toBe(900_000);
  });

  it('unix_ms → delay from now', () => {
    expect(parseResetHeader(String(NOW + 4_321), 'unix_ms', NOW)).toBe(4_321);
  });

  it('iso8601 → delay from now', () => {
    expect(parseResetHeader('2026-01-01T00:00:45Z', 'iso8601', NOW)).toBe(45_000);
  });

  it('a unix_seconds value below 10^9 is a delta in seconds, not a date in 2001', () => {
    expect(parseResetHeader('30', 'unix_seconds', NOW)).toBe(30_000);
  });

  it('a Go duration is read as a duration whatever the declared format', () => {
    expect(parseResetHeader('6m0s', 'unix_seconds', NOW)).toBe(360_000);
    expect(parseResetHeader('6m0s', undefined, NOW)).toBe(360_000);
  });

  it('without a format, numbers are told apart by magnitude', () => {
    expect(parseResetHeader(String(NOW + 2_000), undefined, NOW)).toBe(2_000);
    expect(parseResetHeader(String(NOW_S + 2), undefined, NOW)).toBe(2_000);
    expect(parseResetHeader('7', undefined, NOW)).toBe(7_000);
    expect(parseResetHeader('2026-01-01T00:00:03.000Z', undefined, NOW)).toBe(3_000);
  });

  it('a reset in the past is 0; unparseable text is undefined', () => {
    expect(parseResetHeader(String(NOW_S - 60), 'unix_seconds', NOW)).toBe(0);
    expect(parseResetHeader('tomorrow-ish', 'iso8601', NOW)).toBeUndefined();
    expect(parseResetHeader('abc', 'unix_ms', NOW)).toBeUndefined();
  });
});

describe('IETF RateLimit header', () => {
  it('draft-07 dictionary: limit, remaining, reset (seconds)', () => {
    expect(parseRateLimitHeader('limit=100, remaining=0, reset=30')).toEqual({ limit: 100, remaining: 0, resetMs: 30_000 });
  });

  it('draft-08+ item: "default";r=0;t=12', () => {
    expect(parseRateLimitHeader('"default";r=0;t=12')).toEqual({ remaining: 0, resetMs: 12_000 });
  });

  it('several quota items: the exhausted one with the longest reset wins', () => {
    expect(parseRateLimitHeader('"burst";r=5;t=1, "hour";r=0;t=600, "minute";r=0;t=40')).toEqual({ remaining: 0, resetMs: 600_000 });
  });

  it('nothing parseable → undefined', () => {
    expect(parseRateLimitHeader('whatever')).toBeUndefined();
  });

  it('RateLimit-Policy gives the quota window', () => {
    expect(parseRateLimitPolicyWindow('"daily";q=1000;w=86400')).toBe(86_400_000);
    expect(parseRateLimitPolicyWindow('100;w=60, 5000;w=3600')).toBe(3_600_000);
  });
});

describe('readRateLimitInfo / serverWishMs', () => {
  it('reads the catalog extraction headers case-insensitively', () => {
    const info = readRateLimitInfo(
      { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 60) },
      { limitHeader: 'X-RateLimit-Limit', remainingHeader: 'X-RateLimit-Remaining', resetHeader: 'X-RateLimit-Reset', resetFormat: 'unix_seconds' },
      NOW,
    );
    expect(info).toMatchObject({ limit: 5000, remaining: 0, resetMs: 60_000, resetSource: `x-ratelimit-reset: ${NOW_S + 60}` });
  });

  it('falls back to the IETF headers, then the legacy RateLimit-Reset', () => {
    expect(readRateLimitInfo({ ratelimit: 'limit=10, remaining=0, reset=5' }, undefined, NOW)).toMatchObject({ limit: 10, remaining: 0, resetMs: 5_000 });
    expect(readRateLimitInfo({ 'ratelimit-remaining': '0', 'ratelimit-reset': '9' }, undefined, NOW)).toMatchObject({ remaining: 0, resetMs: 9_000 });
  });

  it('reports headers it could not parse instead of dropping them silently', () => {
    const info = readRateLimitInfo({ 'retry-after': 'later', 'x-reset': 'nope' }, { resetHeader: 'x-reset', resetFormat: 'unix_seconds' }, NOW);
    expect(info.unparsed).toEqual(['retry-after', 'x-reset']);
    expect(info.retryAfterMs).toBeUndefined();
  });

  it('Retry-After always counts; a quota reset counts only when the quota is exhausted (or unknown on a rate limit)', () => {
    const reset = { resetMs: 600_000, remaining: 42, unparsed: [] };
    expect(serverWishMs(reset, false)).toBeUndefined(); // e.g. GitHub's reset on a 500
    expect(serverWishMs(reset, true)).toBeUndefined(); // a secondary limit while the quota has room
    expect(serverWishMs({ resetMs: 600_000, unparsed: [] }, true)).toBe(600_000);
    expect(serverWishMs({ resetMs: 600_000, unparsed: [] }, false)).toBeUndefined();
    expect(serverWishMs({ ...reset, remaining: 0 }, false)).toBe(600_000);
    expect(serverWishMs({ retryAfterMs: 3_000, unparsed: [] }, false)).toBe(3_000);
    expect(serverWishMs({ retryAfterMs: 3_000, resetMs: 20_000, unparsed: [] }, true)).toBe(20_000);
  });
});
