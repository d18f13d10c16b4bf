/**
 * How long a server asked us to wait, read from its response headers. Pure: the current time is a
 * parameter, and every result is a delay in milliseconds from that `now` (never negative).
 *
 * Formats understood (DESIGN §5, issue 4):
 * - `Retry-After`: delta seconds (`120`), float seconds (Shopify's `2.0`) or an HTTP-date.
 * - a catalog reset header: `unix_seconds`, `unix_ms`, `iso8601`, or a Go-style duration
 *   (OpenAI's `x-ratelimit-reset-requests: 6m0s`).
 * - the IETF `RateLimit` header, draft-07 (`limit=100, remaining=0, reset=30`) and draft-08+
 *   structured fields (`"default";r=0;t=30`), plus the older `RateLimit-Limit/-Remaining/-Reset` trio
 *   and `RateLimit-Policy` (`"daily";q=1000;w=86400`) for the window.
 */
import { parseDictionary, parseList } from 'structured-headers';
import type { ApiRateLimitConfig } from '../schemas/catalog.ts';

/** Unix timestamps below this (2001-09-09) cannot be a future reset: such values are deltas. */
const MIN_UNIX_SECONDS = 1e9;
/** Numbers at or above this are milliseconds since the epoch when the format is not given. */
const MIN_UNIX_MS = 1e12;

const GO_UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ns: 1e-6,
};
const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns))*$/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/g;
const DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * Parses a Go `time.Duration` string (`6m0s`, `12ms`, `1h2m3.5s`, `0`) into milliseconds, rounded up
 * so a caller never retries earlier than asked. Undefined when the text is not a duration.
 */
export function parseGoDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '0') return 0;
  if (!GO_DURATION.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(GO_PART)) {
    const unit = GO_UNIT_MS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  return Math.ceil(total);
}

/** Seconds (possibly fractional) → whole milliseconds, rounded up. */
function secondsToMs(seconds: number): number {
  return Math.ceil(seconds * 1000);
}

/** Parses an HTTP-date or ISO 8601 text; undefined unless it is clearly a date. */
function parseDate(text: string): number | undefined {
  if (!/[a-z]/i.test(text) && !/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * `Retry-After` → delay in ms from `now`: delta seconds (integer or float) or an HTTP-date (a date in
 * the past means "now", 0). Undefined when the value is neither.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (DECIMAL.test(text)) return secondsToMs(Number(text));
  const at = parseDate(text);
  return at === undefined ? undefined : Math.max(0, at - now);
}

/** The reset timestamp formats a catalog entry can declare. */
export type ResetFormat = NonNullable<ApiRateLimitConfig['extraction']['resetFormat']>;

/**
 * A reset header → delay in ms from `now`. With a declared format the value is read that way, except
 * that a Go duration is always a duration and a `unix_seconds` value below 10^9 is a delta in seconds
 * (no reset lies in 2001). Without a format: durations, then numbers by magnitude (≥10^12 epoch ms,
 * ≥10^9 epoch seconds, else delta seconds), then dates.
 */
export function parseResetHeader(value: string, format: ResetFormat | undefined, now: number): number | undefined {
  const text = value.trim();
  const duration = /[a-zµμ]/i.test(text) && !/[-:]/.test(text) ? parseGoDuration(text) : undefined;
  if (duration !== undefined) return duration;
  const numeric = DECIMAL.test(text) ? Number(text) : undefined;
  switch (format) {
    case 'unix_seconds':
      if (numeric === undefined) return undefined;
      return numeric < MIN_UNIX_SECONDS ? secondsToMs(numeric) : Math.max(0, Math.ceil(numeric * 1000 - now));
    case 'unix_ms':
      return numeric === undefined ? undefined : Math.max(0, Math.ceil(numeric - now));
    case 'iso8601': {
      const at = parseDate(text);
      return at === undefined ? undefined : Math.max(0, at - now);
    }
    case undefined: {
      if (numeric !== undefined) {
        if (numeric >= MIN_UNIX_MS) return Math.max(0, Math.ceil(numeric - now));
        if (numeric >= MIN_UNIX_SECONDS) return Math.max(0, Math.ceil(numeric * 1000 - now));
        return secondsToMs(numeric);
      }
      const at = parseDate(text);
      return at === undefined ? undefined : Math.max(0, at - now);
    }
  }
}

/** What an IETF `RateLimit` header says. */
export interface RateLimitFields {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the quota resets. */
  resetMs?: number;
}

/**
 * The IETF `RateLimit` fields are RFC 9651 Structured Fields, parsed by `structured-headers` rather
 * than by hand. Each list member becomes its parameters (plus the bare item under `""`), with
 * non-negative numbers kept as numbers. A field that is not a valid Structured Field parses to nothing.
 */
function listItems(value: string): Map<string, unknown>[] | undefined {
  try {
    return parseList(value).map(([bare, params]) => {
      const item = new Map<string, unknown>(params);
      if (!Array.isArray(bare)) item.set('', bare);
      return item;
    });
  } catch {
    return undefined;
  }
}

/** draft-07's `limit=100, remaining=0, reset=30`: a Structured Field Dictionary. */
function dictionaryOf(value: string): Map<string, unknown> | undefined {
  try {
    return new Map([...parseDictionary(value)].map(([key, member]) => [key, Array.isArray(member[0]) ? undefined : member[0]]));
  } catch {
    return undefined;
  }
}

const countOf = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  return Number(text);
}

/**
 * The IETF `RateLimit` header: draft-07 `limit=100, remaining=0, reset=30` or draft-08+
 * `"default";r=0;t=30` (several quota items: the most restrictive wins — an exhausted item's reset,
 * else the smallest remaining). Undefined when nothing in it parses.
 */
export function parseRateLimitHeader(value: string): RateLimitFields | undefined {
  // draft-07: one dictionary with limit / remaining / reset.
  const dictionary = dictionaryOf(value);
  if (dictionary && (dictionary.has('limit') || dictionary.has('remaining') || dictionary.has('reset'))) {
    const out: RateLimitFields = {};
    const limit = countOf(dictionary.get('limit'));
    const remaining = countOf(dictionary.get('remaining'));
    const reset = countOf(dictionary.get('reset'));
    if (limit !== undefined) out.limit = limit;
    if (remaining !== undefined) out.remaining = remaining;
    if (reset !== undefined) out.resetMs = secondsToMs(reset);
    return Object.keys(out).length > 0 ? out : undefined;
  }

  // draft-08+: a list of quota items with r (remaining) and t (seconds to reset).
  let best: RateLimitFields | undefined;
  for (const item of listItems(value) ?? []) {
    const remaining = countOf(item.get('r'));
    const reset = countOf(item.get('t'));
    if (remaining === undefined && reset === undefined) continue;
    const candidate: RateLimitFields = {};
    if (remaining !== undefined) candidate.remaining = remaining;
    if (reset !== undefined) candidate.resetMs = secondsToMs(reset);
    const worse =
      best === undefined ||
      (candidate.remaining ?? Infinity) < (best.remaining ?? Infinity) ||
      (candidate.remaining === 0 && best.remaining === 0 && (candidate.resetMs ?? 0) > (best.resetMs ?? 0));
    if (worse) best = candidate;
  }
  return best;
}

/** `RateLimit-Policy` (`100;w=60` or `"daily";q=1000;w=86400`) → the longest window in ms. */
export function parseRateLimitPolicyWindow(value: string): number | undefined {
  let longest: number | undefined;
  for (const item of listItems(value) ?? []) {
    const window = countOf(item.get('w'));
    if (window !== undefined && (longest === undefined || window * 1000 > longest)) longest = window * 1000;
  }
  return longest;
}

/** Everything the response headers say about rate limiting, each with the header it came from. */
export interface RateLimitInfo {
  /** From `Retry-After`. */
  retryAfterMs?: number;
  limit?: number;
  remaining?: number;
  /** Delay until the quota resets (catalog reset header, else the IETF headers). */
  resetMs?: number;
  /** Which header gave `resetMs`, e.g. `x-ratelimit-reset: 1767225900`. */
  resetSource?: string;
  /** The quota window from `RateLimit-Policy`, when sent. */
  policyWindowMs?: number;
  /** Header names present that the reader could not parse (reported in the error context). */
  unparsed: string[];
}

/** Catalog extraction settings (header names are matched case-insensitively). */
export type RateLimitExtraction = ApiRateLimitConfig['extraction'];

/**
 * Reads `Retry-After`, the catalog's limit/remaining/reset headers and the IETF headers.
 * `headers` must have lower-cased names (as the attempt layer records them).
 */
export function readRateLimitInfo(
  headers: Readonly<Record<string, string>>,
  extraction: RateLimitExtraction | undefined,
  now: number,
): RateLimitInfo {
  const info: RateLimitInfo = { unparsed: [] };
  const get = (name: string | undefined): string | undefined => (name === undefined ? undefined : headers[name.toLowerCase()]);

  const retryAfter = get('retry-after');
  if (retryAfter !== undefined) {
    const ms = parseRetryAfter(retryAfter, now);
    if (ms === undefined) info.unparsed.push('retry-after');
    else info.retryAfterMs = ms;
  }

  const ietf = get('ratelimit');
  const ietfFields = ietf === undefined ? undefined : parseRateLimitHeader(ietf);
  if (ietf !== undefined && ietfFields === undefined) info.unparsed.push('ratelimit');
  const legacy = (name: string): number | undefined => numberOf(get(name)?.trim());

  const limit = numberOf(get(extraction?.limitHeader)?.trim()) ?? ietfFields?.limit ?? legacy('ratelimit-limit');
  const remaining = numberOf(get(extraction?.remainingHeader)?.trim()) ?? ietfFields?.remaining ?? legacy('ratelimit-remaining');
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;

  const resetRaw = get(extraction?.resetHeader);
  if (resetRaw !== undefined && extraction?.resetHeader !== undefined) {
    const ms = parseResetHeader(resetRaw, extraction.resetFormat, now);
    if (ms === undefined) info.unparsed.push(extraction.resetHeader.toLowerCase());
    else {
      info.resetMs = ms;
      info.resetSource = `${extraction.resetHeader.toLowerCase()}: ${resetRaw}`;
    }
  }
  if (info.resetMs === undefined && ietfFields?.resetMs !== undefined && ietf !== undefined) {
    info.resetMs = ietfFields.resetMs;
    info.resetSource = `ratelimit: ${ietf}`;
  }
  const legacyReset = get('ratelimit-reset');
  if (info.resetMs === undefined && legacyReset !== undefined) {
    const seconds = numberOf(legacyReset.trim());
    if (seconds === undefined) info.unparsed.push('ratelimit-reset');
    else {
      info.resetMs = secondsToMs(seconds);
      info.resetSource = `ratelimit-reset: ${legacyReset}`;
    }
  }

  const policy = get('ratelimit-policy');
  const window = policy === undefined ? undefined : parseRateLimitPolicyWindow(policy);
  if (window !== undefined) info.policyWindowMs = window;
  return info;
}

/**
 * The server's wish as one delay: `Retry-After` always counts; the quota reset counts when the quota
 * is exhausted (remaining 0), or when the response is a rate limit and the remaining count is unknown.
 * GitHub sends its reset on every response: a 500, or a secondary limit while the hourly quota still
 * has room, must not wait for it. The largest applicable value wins: never retry earlier than asked.
 */
export function serverWishMs(info: RateLimitInfo, rateLimited: boolean): number | undefined {
  const candidates: number[] = [];
  if (info.retryAfterMs !== undefined) candidates.push(info.retryAfterMs);
  const exhausted = info.remaining === 0 || (info.remaining === undefined && rateLimited);
  if (info.resetMs !== undefined && exhausted) candidates.push(info.resetMs);
  return candidates.length === 0 ? undefined : Math.max(...candidates);
}
