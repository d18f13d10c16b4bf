/**
 * The retry rule and delay of DESIGN §5 (EXEC-008, EXEC-009, edge case 4), as one pure function.
 *
 * Retry only when all hold: the error is retryable; its category is in `retryPolicy.retryableErrors`;
 * attempts < `maxAttempts` (which counts the first attempt); and repeating is safe — the request did
 * not reach the server, or the method is idempotent, or an idempotency key was sent, or the response
 * proves it was not processed. The delay is never shorter than the server asked; a server wish longer
 * than the maximum delay ends the execution with `retryAfter` set, so the caller can reschedule
 * instead of retrying early into another 429.
 */
import type { ErrorDetail } from '../schemas/errors.ts';
import type { RetryPolicy } from '../schemas/retry.ts';
import type { HttpMethod } from '../http/http-types.ts';
import type { FailedClassification } from './classification.ts';
import { backoffDelay, baseBackoffDelay } from './backoff.ts';
import type { BackoffStrategy } from './backoff.ts';

export interface RetryInput {
  classification: FailedClassification;
  /** Attempts made so far, the failed one included (1 after the first attempt). */
  attempt: number;
  policy: RetryPolicy;
  method: HttpMethod;
  idempotencyKeySent: boolean;
  /** Uniform [0, 1) source for jitter (inject `mulberry32(seed)` for reproducible delays). */
  random: () => number;
  /** Epoch ms. */
  now: number;
}

/** Which condition of the retry rule refused the retry (also `error.context.retryRefusedBecause`). */
export type RetryRefusal =
  | 'not_retryable'
  | 'category_not_in_policy'
  | 'attempts_exhausted'
  | 'unsafe_to_repeat'
  | 'server_delay_exceeds_max_delay';

export type RetryDecision =
  | { retry: true; delayMs: number; reason: string }
  | { retry: false; reason: string; refusedBecause: RetryRefusal; error: ErrorDetail };

/** Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function label(error: ErrorDetail): string {
  if (error.statusCode !== undefined) return `${error.statusCode} ${error.category}`;
  return error.code !== undefined ? `${error.code} (${error.category})` : error.category;
}

function duration(ms: number): string {
  return ms >= 10_000 ? `${Math.ceil(ms / 1000)} s` : `${ms} ms`;
}

function refuse(input: RetryInput, refusedBecause: RetryRefusal, why: string, extra: Partial<ErrorDetail> = {}, shortWhy = why): RetryDecision {
  const original = input.classification.error;
  const error: ErrorDetail = {
    ...original,
    ...extra,
    message: `${original.message} — not retried: ${shortWhy}`,
    context: {
      ...original.context,
      retryRefusedBecause: refusedBecause,
      attempts: String(input.attempt),
      maxAttempts: String(input.policy.maxAttempts),
    },
  };
  return { retry: false, refusedBecause, reason: why, error };
}

/** Decides whether to repeat a failed attempt and after how long. */
export function decideRetry(input: RetryInput): RetryDecision {
  const { classification: c, attempt, policy, method } = input;
  const error = c.error;

  if (!error.retryable) return refuse(input, 'not_retryable', `${label(error)} is not retryable`);
  if (!policy.retryableErrors.includes(error.category)) {
    const listed = policy.retryableErrors.length === 0 ? 'is empty' : `(${policy.retryableErrors.join(', ')}) does not include ${error.category}`;
    return refuse(input, 'category_not_in_policy', `retryPolicy.retryableErrors ${listed}`, {
      suggestion: `${error.suggestion ?? ''}${error.suggestion === undefined ? '' : ' '}Add "${error.category}" to retryPolicy.retryableErrors if this error should be retried.`,
    });
  }
  if (attempt >= policy.maxAttempts) {
    return refuse(input, 'attempts_exhausted', `all ${policy.maxAttempts} attempts used (retryPolicy.maxAttempts = ${policy.maxAttempts})`);
  }

  const safe =
    c.reachedServer === 'no' ? 'the request never reached the server'
    : IDEMPOTENT_METHODS.has(method) ? `${method} is idempotent`
    : input.idempotencyKeySent ? 'an idempotency key was sent'
    : c.notProcessed ? 'the response shows the request was not processed'
    : undefined;
  if (safe === undefined) {
    const reached = c.reachedServer === 'yes' ? 'reached the server' : 'may have reached the server';
    return refuse(
      input,
      'unsafe_to_repeat',
      `repeating ${method} is not provably safe: the request ${reached}, ${method} is not idempotent, no idempotency-key header was sent and nothing shows the request was not processed`,
      {
        retryable: false,
        suggestion:
          'Check with the API whether the request took effect before running the action again. If the API supports idempotency keys, declare a header such as "Idempotency-Key": "{idempotencyKey}" in the definition so failed requests can be repeated safely.',
      },
    );
  }

  const bounds = c.rateLimitBackoff;
  const effective = {
    initialDelay: bounds?.initialDelay ?? policy.initialDelay,
    maxDelay: bounds?.maxDelay ?? policy.maxDelay,
    backoffMultiplier: policy.backoffMultiplier,
    jitter: policy.jitter,
  };
  const maxSource = bounds?.maxDelay !== undefined ? 'the catalog rateLimiting.backoffStrategy.maxDelay' : 'retryPolicy.maxDelay';
  const wish = c.serverDelayMs;
  if (wish !== undefined && wish > effective.maxDelay) {
    const retryAfter = error.retryAfter ?? new Date(input.now + wish).toISOString();
    return refuse(
      input,
      'server_delay_exceeds_max_delay',
      `the server asks to wait ${duration(wish)} (until ${retryAfter}), longer than ${maxSource} of ${duration(effective.maxDelay)}; reschedule the action at retryAfter instead of retrying early into another rejection`,
      { retryAfter },
      // Classification already quoted the wait in the message; say only why it stops here.
      error.message.includes('the server asks to wait')
        ? `that is longer than ${maxSource} of ${duration(effective.maxDelay)}; reschedule the action at retryAfter (${retryAfter}) instead of retrying early into another rejection`
        : undefined,
    );
  }

  const requested = c.backoffStrategy ?? 'exponential';
  const computed: BackoffStrategy = requested === 'linear' ? 'linear' : 'exponential';
  const base = baseBackoffDelay(effective, attempt, computed);
  const backoff = backoffDelay(effective, attempt, input.random, computed);
  let delayMs: number;
  let how: string;
  if (requested === 'respect_reset' && wish !== undefined) {
    delayMs = wish;
    how = `respect_reset: the server's wish ${delayMs} ms`;
  } else {
    delayMs = Math.max(backoff, wish ?? 0);
    how = `${computed} ${base} ms${policy.jitter ? `, jitter → ${backoff} ms` : ''}`;
    if (requested !== computed) how = `${requested} has no formula of its own, so ${how}`;
    if (wish !== undefined) how += wish > backoff ? `; raised to the server's wish of ${wish} ms` : `; server asked ${wish} ms`;
  }
  return {
    retry: true,
    delayMs,
    reason: `${label(error)} is retryable and ${safe}; attempt ${attempt + 1} of ${policy.maxAttempts} in ${delayMs} ms (${how})`,
  };
}
