/**
 * Classification of one attempt's outcome (EXEC-015, EXEC-016, DESIGN §5 "Classification
 * precedence"). First match wins: (1) the catalog entry's `errorMappings`, in order; (2) its
 * `rateLimiting.detection`; (3) the definition's `knownErrors`; (4) the standard status table.
 * Pure: time is `ctx.now`; nothing here reads a clock, the network or randomness.
 */
import { STATUS_CODES } from 'node:http';
import { errorDetail } from './errors.ts';
import type { ErrorDetail, ErrorCategory } from '../schemas/errors.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiCatalogEntry } from '../schemas/catalog.ts';
import type { AttemptOutcome, HttpMethod, NetworkErrorOutcome, ReachedServer, ResponseOutcome } from '../http/http-types.ts';
import { createRedactor } from '../redaction/redaction.ts';
import type { Redactor } from '../redaction/redaction.ts';
import { CATEGORY_RETRYABLE, CATEGORY_SUGGESTION, isRateLimitCategory } from './error-categories.ts';
import { readErrorBody } from './error-body.ts';
import type { ErrorBodyInfo } from './error-body.ts';
import { describeMapping, detectRateLimit, matchErrorMapping, matchKnownError } from './error-rules.ts';
import type { RuleFacts } from './error-rules.ts';
import { readRateLimitInfo, serverWishMs } from './rate-limit-headers.ts';
import type { RateLimitInfo } from './rate-limit-headers.ts';
import { standardClassification } from './standard-status.ts';

/** What classification needs to know besides the outcome. */
export interface ClassifyContext {
  definition: ActionDefinition;
  /** The catalog entry matched for the request URL (catalog-integration.ts), or null. */
  entry: ApiCatalogEntry | null;
  method: HttpMethod;
  /** An oauth2 credential was used: a 401 is `auth_expired` (refresh once and repeat). */
  refreshableAuth: boolean;
  /** The request carried an idempotency-key header. */
  idempotencyKeySent: boolean;
  /** Epoch ms, for Retry-After dates and reset timestamps. */
  now: number;
  /** Redacts quoted bodies and messages; build it from the authenticator's secrets. */
  redactor?: Redactor;
  /** CatalogMatch.unavailable, so the error says standard handling applied because of it. */
  catalogUnavailable?: string;
}

/** A backoff strategy a rule can ask for. */
export type RuleBackoffStrategy = 'exponential' | 'linear' | 'respect_reset' | 'custom';

export type Classification =
  | { ok: true }
  | {
      ok: false;
      error: ErrorDetail;
      reachedServer: ReachedServer;
      /** 429, rate-limit detection, or a catalog rule marked retryable: provably not processed. */
      notProcessed: boolean;
      /** The server's wish (Retry-After, reset header, RateLimit), ms from `ctx.now`. */
      serverDelayMs?: number;
      backoffStrategy?: RuleBackoffStrategy;
      /** The catalog's rate-limit backoff bounds (they override the retry policy's for rate limits). */
      rateLimitBackoff?: { initialDelay?: number; maxDelay?: number };
    };

/** The failure variant, as the retry decision takes it. */
export type FailedClassification = Extract<Classification, { ok: false }>;

type ApiErrorMapping = ApiCatalogEntry['errorMappings'][number];

/** A reset further away than this makes a 429 `rate_limit_daily` (DESIGN §5). */
const LONG_WINDOW_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Headers vendors use to identify a request to their support (first present wins). */
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-github-request-id', 'x-amzn-requestid', 'x-amz-request-id', 'x-correlation-id', 'x-trace-id', 'cf-ray'];

interface Decision {
  category: ErrorCategory;
  retryable: boolean;
  notProcessed: boolean;
  classifiedBy: string;
  suggestion: string;
  backoffStrategy?: RuleBackoffStrategy | undefined;
}

function phrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown Status';
}

function redactDetail(detail: ErrorDetail, redactor: Redactor): ErrorDetail {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(detail.context)) context[key] = redactor.text(value);
  const out: ErrorDetail = { ...detail, message: redactor.text(detail.message), context };
  if (detail.code !== undefined) out.code = redactor.text(detail.code);
  if (detail.suggestion !== undefined) out.suggestion = redactor.text(detail.suggestion);
  return out;
}

function baseContext(ctx: ClassifyContext, url: string, redactor: Redactor): Record<string, string> {
  const context: Record<string, string> = {
    method: ctx.method,
    url: redactor.text(url),
    actionDefinition: `${ctx.definition.id}@${ctx.definition.version}`,
  };
  if (ctx.entry !== null) context.apiId = ctx.entry.apiId;
  if (ctx.catalogUnavailable !== undefined) context.catalogUnavailable = ctx.catalogUnavailable;
  return context;
}

function rateLimitContext(info: RateLimitInfo, headers: Readonly<Record<string, string>>, context: Record<string, string>): void {
  if (info.limit !== undefined) context.rateLimitLimit = String(info.limit);
  if (info.remaining !== undefined) context.rateLimitRemaining = String(info.remaining);
  if (info.resetSource !== undefined) context.rateLimitReset = info.resetSource;
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) context.retryAfterHeader = retryAfter;
  if (info.unparsed.length > 0) context.unparsedRateLimitHeaders = info.unparsed.join(', ');
}

/** Sets serverDelayMs / retryAfter / rate-limit fields on a failure, then redacts it. */
function finish(
  decision: Pick<Decision, 'category' | 'notProcessed' | 'backoffStrategy'>,
  detail: ErrorDetail,
  info: RateLimitInfo,
  ctx: ClassifyContext,
  reachedServer: ReachedServer,
  redactor: Redactor,
): FailedClassification {
  const result: FailedClassification = { ok: false, error: detail, reachedServer, notProcessed: decision.notProcessed };
  const wish = serverWishMs(info, isRateLimitCategory(decision.category));
  if (wish !== undefined) {
    result.serverDelayMs = wish;
    detail.retryAfter = new Date(ctx.now + wish).toISOString();
    detail.context.serverDelayMs = String(wish);
  }
  const limits = ctx.entry?.rateLimiting?.backoffStrategy;
  if (decision.backoffStrategy !== undefined) result.backoffStrategy = decision.backoffStrategy;
  else if (isRateLimitCategory(decision.category) && limits !== undefined) result.backoffStrategy = limits.type;
  if (isRateLimitCategory(decision.category) && limits !== undefined) {
    const bounds: { initialDelay?: number; maxDelay?: number } = {};
    if (limits.initialDelay !== undefined) bounds.initialDelay = limits.initialDelay;
    if (limits.maxDelay !== undefined) bounds.maxDelay = limits.maxDelay;
    if (Object.keys(bounds).length > 0) result.rateLimitBackoff = bounds;
  }
  result.error = redactDetail(detail, redactor);
  return result;
}

/** An `auth_expired` that nothing can refresh is not worth repeating with the same credential. */
function adjustAuthExpired(decision: Decision, refreshableAuth: boolean): Decision {
  if (decision.category !== 'auth_expired' || refreshableAuth) return decision;
  return {
    ...decision,
    retryable: false,
    suggestion:
      'The API says the credential expired, and it cannot be refreshed automatically (only oauth2 credentials are). Renew the credential, or configure oauth2 authentication so the executor can refresh it.',
  };
}

function fromMapping(index: number, rule: ApiErrorMapping, entry: ApiCatalogEntry): Decision {
  return {
    category: rule.category,
    retryable: rule.retryable,
    // DESIGN §5: a catalog rule marked retryable vouches that repeating is safe.
    notProcessed: rule.retryable,
    classifiedBy: `catalog "${entry.apiId}" errorMappings[${index}] (${describeMapping(rule)})`,
    suggestion: CATEGORY_SUGGESTION[rule.category],
    backoffStrategy: rule.backoffStrategy,
  };
}
function knownErrorRetryable(category: ErrorCategory, status: number | undefined): boolean {
  return category === 'api_unexpected_status' ? status !== undefined && status >= 500 : CATEGORY_RETRYABLE[category];
}

/** The response is a long-window limit: reset > 1 h away, or a day-long quota window. */
function isLongWindow(info: RateLimitInfo, definition: ActionDefinition): boolean {
  const wish = serverWishMs(info, true) ?? 0;
  return wish > LONG_WINDOW_MS || (definition.rateLimit?.window ?? 0) >= DAY_MS || (info.policyWindowMs ?? 0) >= DAY_MS;
}

function requestId(headers: Readonly<Record<string, string>>): [string, string] | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (value !== undefined && value !== '') return [name, value];
  }
  return undefined;
}

function responseContext(
  outcome: ResponseOutcome,
  ctx: ClassifyContext,
  body: ErrorBodyInfo,
  redactor: Redactor,
): Record<string, string> {
  const context = baseContext(ctx, outcome.trace.request.url, redactor);
  context.contentType = outcome.body.contentType === '' ? '(none)' : outcome.body.contentType;
  context.responseBytes = String(outcome.body.size);
  const id = requestId(outcome.headers);
  if (id !== undefined) {
    context.requestId = id[1];
    context.requestIdHeader = id[0];
  }
  for (const [key, value] of Object.entries(body.details)) context[key] = value;
  if (outcome.redirects.length > 0) context.redirectedVia = outcome.redirects.map((u) => redactor.text(u)).join(' → ');
  if (outcome.body.problem?.code !== undefined) context.bodyProblem = outcome.body.problem.code;
  const errorType = ctx.entry?.quirks.errorContentType?.toLowerCase();
  if (errorType !== undefined && outcome.body.contentType !== '' && outcome.body.contentType !== errorType && outcome.status >= 400) {
    context.contentTypeNote = `the API sends errors as ${errorType} but this response is ${outcome.body.contentType}: it probably came from a proxy or gateway in front of the API`;
  }
  return context;
}

function waitNote(wish: number | undefined, now: number): string {
  if (wish === undefined) return '';
  return `; the server asks to wait ${wish >= 10_000 ? `${Math.ceil(wish / 1000)} s` : `${wish} ms`} (until ${new Date(now + wish).toISOString()})`;
}

function classifyResponse(outcome: ResponseOutcome, ctx: ClassifyContext, redactor: Redactor): Classification {
  const { status, headers, body } = outcome;
  const entry = ctx.entry;
  const quirks = entry?.quirks;
  const invalidPatterns: string[] = [];
  const sink = (note: string): void => {
    if (!invalidPatterns.includes(note)) invalidPatterns.push(note);
  };
  const info = readRateLimitInfo(headers, entry?.rateLimiting?.extraction, ctx.now);
  const success = status >= 200 && status < 300;
  const url = redactor.text(outcome.trace.request.url);

  if (success && body.problem !== undefined) {
    // The server says it succeeded, so the effect has very likely happened: never repeat it blindly.
    const problem = body.problem;
    const context = { ...problem.context, ...responseContext(outcome, ctx, readErrorBody(body, { redactor }), redactor), classifiedBy: 'malformed 2xx body' };
    const message = problem.message.includes(url) ? problem.message : `${ctx.method} ${url} returned ${status} ${phrase(status)} but the body could not be read: ${problem.message}`;
    const detail = errorDetail('api_response_malformed', message, {
      code: problem.code ?? 'INVALID_BODY',
      statusCode: status,
      retryable: false,
      context,
      suggestion:
        problem.suggestion ??
        'The API reported success but its body could not be read. The request has probably taken effect, so it is not repeated automatically: check the recorded body preview and verify the result with the API.',
    });
    return finish({ category: 'api_response_malformed', notProcessed: false }, detail, info, ctx, 'yes', redactor);
  }
  if (success && quirks?.successWithErrorBody !== true) return { ok: true };

  const bodyInfo = readErrorBody(body, {
    redactor,
    errorContentType: quirks?.errorContentType,
    decodeBinary: quirks?.binaryErrorResponses === true,
  });
  const facts: RuleFacts = {
    status,
    headers,
    texts: [bodyInfo.message ?? '', bodyInfo.code ?? '', bodyInfo.matchText],
  };

  let decision: Decision | undefined;
  if (entry !== null) {
    const mapping = matchErrorMapping(entry.errorMappings, facts, sink, { successBody: success });
    if (mapping !== undefined) decision = fromMapping(mapping.index, mapping.rule, entry);
  }
  if (decision === undefined && entry?.rateLimiting !== undefined) {
    const why = detectRateLimit(entry.rateLimiting, facts, sink);
    if (why !== undefined) {
      const category = isLongWindow(info, ctx.definition) ? 'rate_limit_daily' : 'rate_limit_burst';
      decision = {
        category,
        retryable: true,
        notProcessed: true,
        classifiedBy: `catalog "${entry.apiId}" rateLimiting.detection (${why})`,
        suggestion: CATEGORY_SUGGESTION[category],
      };
    }
  }
  if (decision === undefined && !success) {
    const known = matchKnownError(ctx.definition.knownErrors, facts.texts, sink);
    if (known !== undefined) {
      decision = {
        category: known.rule.category,
        retryable: knownErrorRetryable(known.rule.category, status),
        notProcessed: false,
        classifiedBy: `definition knownErrors[${known.index}] (/${known.rule.pattern}/)`,
        suggestion: known.rule.suggestion,
      };
    }
  }
  if (decision === undefined && success) {
    const errorType = quirks?.errorContentType?.toLowerCase();
    if (errorType === undefined || body.contentType !== errorType) return { ok: true };
    decision = {
      category: 'api_unexpected_status',
      retryable: false,
      notProcessed: false,
      classifiedBy: `catalog "${entry?.apiId ?? ''}" quirks.errorContentType (${errorType} on a ${status})`,
      suggestion: 'The API reported an error in a success response (its error content type). Read the API message; add an errorMapping to the catalog entry to classify it more precisely.',
    };
  }
  if (decision === undefined) {
    const row = standardClassification(status, {
      refreshableAuth: ctx.refreshableAuth,
      idempotencyKeySent: ctx.idempotencyKeySent,
      longWindowRateLimit: isLongWindow(info, ctx.definition),
    });
    decision = { ...row, classifiedBy: `standard table (${row.row})` };
  }
  decision = adjustAuthExpired(decision, ctx.refreshableAuth);

  const context = responseContext(outcome, ctx, bodyInfo, redactor);
  context.classifiedBy = decision.classifiedBy;
  rateLimitContext(info, headers, context);
  if (bodyInfo.message === undefined || bodyInfo.looksLikeHtml) context.body = bodyInfo.summary;
  if (invalidPatterns.length > 0) context.invalidPatterns = `${invalidPatterns.join('; ')} (treated as not matching)`;

  const said = bodyInfo.message ?? bodyInfo.summary;
  const codeNote = bodyInfo.code !== undefined && !said.includes(bodyInfo.code) ? ` (API code ${bodyInfo.code})` : '';
  const wish = serverWishMs(info, isRateLimitCategory(decision.category));
  const what = success ? `returned ${status} ${phrase(status)} with an error body` : `returned ${status} ${phrase(status)}`;
  const message = `${ctx.method} ${url} ${what}: ${said}${codeNote}${waitNote(wish, ctx.now)}`;
  const detail = errorDetail(decision.category, message, {
    code: bodyInfo.code,
    statusCode: status,
    retryable: decision.retryable,
    context,
    suggestion: decision.suggestion,
  });
  return finish(decision, detail, info, ctx, 'yes', redactor);
}

function classifyNetwork(outcome: NetworkErrorOutcome, ctx: ClassifyContext, redactor: Redactor): Classification {
  const original = outcome.error;
  const invalidPatterns: string[] = [];
  const sink = (note: string): void => {
    if (!invalidPatterns.includes(note)) invalidPatterns.push(note);
  };
  const headers = outcome.headers ?? {};
  const info = readRateLimitInfo(headers, ctx.entry?.rateLimiting?.extraction, ctx.now);
  // Only rules that read the message apply: a status rule must not turn a cut-off body into "5xx".
  const facts: RuleFacts = { status: outcome.status, headers, texts: [original.message, original.code ?? ''] };

  let decision: Decision | undefined;
  if (ctx.entry !== null) {
    const mapping = matchErrorMapping(ctx.entry.errorMappings, facts, sink, { messageOnly: true });
    if (mapping !== undefined) decision = fromMapping(mapping.index, mapping.rule, ctx.entry);
  }
  if (decision === undefined) {
    const known = matchKnownError(ctx.definition.knownErrors, facts.texts, sink);
    if (known !== undefined) {
      decision = {
        category: known.rule.category,
        retryable: known.rule.category === original.category ? original.retryable : knownErrorRetryable(known.rule.category, outcome.status),
        notProcessed: false,
        classifiedBy: `definition knownErrors[${known.index}] (/${known.rule.pattern}/)`,
        suggestion: known.rule.suggestion,
      };
    }
  }
  decision ??= {
    category: original.category,
    retryable: original.retryable,
    notProcessed: false,
    classifiedBy: `attempt layer (${original.code ?? original.category})`,
    suggestion: original.suggestion ?? CATEGORY_SUGGESTION[original.category],
  };

  const context: Record<string, string> = { ...original.context, ...baseContext(ctx, outcome.trace.request.url, redactor) };
  context.classifiedBy = decision.classifiedBy;
  context.reachedServer = outcome.reachedServer;
  context.phase = outcome.phase;
  rateLimitContext(info, headers, context);
  if (invalidPatterns.length > 0) context.invalidPatterns = `${invalidPatterns.join('; ')} (treated as not matching)`;
  const detail = errorDetail(decision.category, original.message, {
    code: original.code,
    statusCode: original.statusCode ?? outcome.status,
    retryable: decision.retryable,
    context,
    suggestion: decision.suggestion,
  });
  return finish(decision, detail, info, ctx, outcome.reachedServer, redactor);
}

/**
 * Classifies one attempt outcome. `{ ok: true }` for a usable 2xx; otherwise a complete, redacted
 * ErrorDetail plus what the retry decision needs (reached server, provably unprocessed, server wish).
 */
export function classifyOutcome(outcome: AttemptOutcome, ctx: ClassifyContext): Classification {
  const redactor = ctx.redactor ?? createRedactor();
  return outcome.kind === 'network_error' ? classifyNetwork(outcome, ctx, redactor) : classifyResponse(outcome, ctx, redactor);
}
