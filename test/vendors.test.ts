/**
 * Vendor behaviours from their public documentation, each played by a local server (127.0.0.1,
 * ephemeral port) against the catalog entry shipped in examples/catalog/. A real attempt goes through
 * sendAttempt, then classification and the retry decision, exactly as the executor chains them; the
 * clock and random source are injected, so no test waits out a backoff.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCatalogFromDir, createInMemoryCatalog } from '../src/catalog/catalog-registry.ts';
import { createCatalogLookup, needsHealthProbe, probeHealth } from '../src/catalog/catalog-integration.ts';
import { classifyOutcome } from '../src/failure/classification.ts';
import type { Classification } from '../src/failure/classification.ts';
import { decideRetry } from '../src/failure/retry-decision.ts';
import type { RetryDecision } from '../src/failure/retry-decision.ts';
import { sendAttempt } from '../src/http/http.ts';
import { createAuthenticator } from '../src/auth/auth.ts';
import type { Authenticator } from '../src/auth/auth.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { mulberry32 } from '../src/support/random.ts';
import type { ApiCatalogEntry } from '../src/schemas/catalog.ts';
import type { Authentication } from '../src/schemas/auth.ts';
import type { AttemptOutcome, HttpMethod, PreparedRequest } from '../src/http/http-types.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { makeActionDefinition, makeRetryPolicy } from './fixtures.ts';
import { NOW } from './outcome-fixtures.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let routes: Map<string, Handler>;
let hits: Map<string, number>;
let shipped: Map<string, ApiCatalogEntry>;

beforeAll(async () => {
  const { catalog, problems } = loadCatalogFromDir(new URL('../examples/catalog', import.meta.url).pathname);
  expect(problems).toEqual([]);
  shipped = new Map();
  for (const id of await catalog.getAllApis()) shipped.set(id, (await catalog.getApiEntry(id))!);

  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const key = `${req.method} ${req.url?.split('?')[0]}`;
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const handler = routes.get(key);
      if (handler) handler(req, res, body);
      else res.writeHead(599).end(`no route for ${key}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  routes = new Map();
  hits = new Map();
});

/** The shipped entry with its origin moved to the local server (path kept). */
function local(apiId: string): ApiCatalogEntry {
  const entry = shipped.get(apiId);
  if (!entry) throw new Error(`examples/catalog has no ${apiId}`);
  return { ...entry, baseUrl: `${base}${new URL(entry.baseUrl).pathname.replace(/\/$/, '')}` };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

const policy = makeRetryPolicy({
  maxAttempts: 4,
  initialDelay: 200,
  maxDelay: 5_000,
  backoffMultiplier: 2,
  jitter: false,
  retryableErrors: ['network_timeout', 'network_connection_refused', 'rate_limit_burst', 'rate_limit_daily', 'api_unexpected_status', 'auth_expired'],
});

interface Run {
  outcome: AttemptOutcome;
  classification: Classification;
  decision?: RetryDecision;
}

/** One attempt through the real pipeline: catalog lookup → sendAttempt → classify → decideRetry. */
async function attempt(
  apiId: string,
  method: HttpMethod,
  path: string,
  opts: { body?: unknown; idempotencyKey?: string; auth?: Authenticator; attemptNumber?: number; refreshable?: boolean } = {},
): Promise<Run> {
  const entry = local(apiId);
  const match = await createCatalogLookup(createInMemoryCatalog([entry])).match(`${entry.baseUrl}${path}`);
  expect(match.entry?.apiId).toBe(apiId);
  const request: PreparedRequest = { method, url: `${entry.baseUrl}${path}`, headers: { accept: 'application/json' } };
  if (opts.body !== undefined) {
    request.body = JSON.stringify(opts.body);
    request.headers['content-type'] = 'application/json';
  }
  if (opts.idempotencyKey !== undefined) {
    request.idempotencyKey = opts.idempotencyKey;
    request.headers['idempotency-key'] = opts.idempotencyKey;
  }
  const redactor = createRedactor(opts.auth?.secrets() ?? []);
  const outcome = await sendAttempt(request, {
    timeoutMs: 2_000,
    redactor,
    ...(opts.auth ? { auth: opts.auth.hook, authHeaderNames: opts.auth.headerNames() } : {}),
    quirks: match.entry!.quirks,
    now: () => NOW,
  });
  const classification = classifyOutcome(outcome, {
    definition: makeActionDefinition({ knownErrors: [], rateLimit: undefined }),
    entry: match.entry,
    method,
    refreshableAuth: opts.refreshable ?? opts.auth?.refreshable ?? false,
    idempotencyKeySent: opts.idempotencyKey !== undefined,
    now: NOW,
    redactor,
  });
  if (classification.ok) return { outcome, classification };
  expect(ErrorDetailSchema.safeParse(classification.error).success).toBe(true);
  const decision = decideRetry({
    classification,
    attempt: opts.attemptNumber ?? 1,
    policy,
    method,
    idempotencyKeySent: opts.idempotencyKey !== undefined,
    random: mulberry32(1),
    now: NOW,
  });
  return { outcome, classification, decision };
}

function failure(run: Run): Extract<Classification, { ok: false }> {
  if (run.classification.ok) throw new Error(`expected a failure, got success (status ${run.outcome.kind === 'response' ? run.outcome.status : run.outcome.kind})`);
  return run.classification;
}

describe('Slack: HTTP 200 {"ok":false} and 429 + Retry-After', () => {
  it('200 {"ok":false,"error":"channel_not_found"} is a failure, not a success, and is not retried', async () => {
    routes.set('POST /api/chat.postMessage', (_q, res) => json(res, 200, { ok: false, error: 'channel_not_found' }));
    const run = await attempt('slack', 'POST', '/chat.postMessage', { body: { channel: 'C0', text: 'hi' } });
    expect(failure(run).error).toMatchObject({ category: 'validation_failed', code: 'channel_not_found', statusCode: 200, retryable: false });
    expect(failure(run).error.message).toContain('returned 200 OK with an error body: channel_not_found');
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'not_retryable' });
  });

  it('200 {"ok":true} is a success', async () => {
    routes.set('POST /api/chat.postMessage', (_q, res) => json(res, 200, { ok: true, ts: '1712345678.000100' }));
    expect((await attempt('slack', 'POST', '/chat.postMessage', { body: { text: 'hi' } })).classification).toEqual({ ok: true });
  });

  it('an unknown ok:false error falls to the catch-all rule', async () => {
    routes.set('POST /api/chat.postMessage', (_q, res) => json(res, 200, { ok: false, error: 'brand_new_error' }));
    const run = await attempt('slack', 'POST', '/chat.postMessage', { body: {} });
    expect(failure(run).error).toMatchObject({ category: 'api_unexpected_status', code: 'brand_new_error' });
    expect(failure(run).error.context.classifiedBy).toContain('errorMappings[5]');
  });

  it('429 with Retry-After: a POST is repeated (provably unprocessed) after exactly the server’s wish', async () => {
    routes.set('POST /api/chat.postMessage', (_q, res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '3' }));
    const run = await attempt('slack', 'POST', '/chat.postMessage', { body: { text: 'hi' } });
    expect(failure(run)).toMatchObject({ notProcessed: true, serverDelayMs: 3_000, backoffStrategy: 'respect_reset' });
    expect(failure(run).error).toMatchObject({ category: 'rate_limit_burst', retryAfter: '2026-01-01T00:00:03.000Z' });
    expect(run.decision).toMatchObject({ retry: true, delayMs: 3_000 });
    expect(hits.get('POST /api/chat.postMessage')).toBe(1);
  });

  it('invalid_auth is auth_invalid; token_expired with a bearer token is auth_expired but not repeated', async () => {
    routes.set('POST /api/auth.test', (_q, res) => json(res, 200, { ok: false, error: 'invalid_auth' }));
    expect(failure(await attempt('slack', 'POST', '/auth.test')).error.category).toBe('auth_invalid');
    routes.set('POST /api/auth.test', (_q, res) => json(res, 200, { ok: false, error: 'token_expired' }));
    const expired = failure(await attempt('slack', 'POST', '/auth.test'));
    expect(expired.error).toMatchObject({ category: 'auth_expired', retryable: false });
    expect(expired.error.suggestion).toContain('cannot be refreshed automatically');
  });

  it('healthCheck api.test is probed under the base URL', async () => {
    routes.set('GET /api/api.test', (_q, res) => json(res, 200, { ok: true }));
    expect(await probeHealth(local('slack'))).toMatchObject({ healthCheck: 'healthy', healthCheckUrl: `${base}/api/api.test` });
  });

  it('no credential canary in the attempt record, the classification or the decision', async () => {
    const CANARY = 'xoxb-canary-1234567890';
    const auth = createAuthenticator({ type: 'bearer', token: '${credentials.SLACK_TOKEN}', tokenFrom: 'env' }, { credentials: { SLACK_TOKEN: CANARY } });
    routes.set('POST /api/chat.postMessage', (req, res) => json(res, 200, { ok: false, error: 'invalid_auth', echoed: req.headers.authorization }));
    const run = await attempt('slack', 'POST', '/chat.postMessage', { body: { text: 'hi' }, auth });
    expect(failure(run).error.category).toBe('auth_invalid');
    // The parsed body in memory is the API's data; what is recorded is the trace and the error.
    expect(JSON.stringify({ trace: run.outcome.trace, classification: run.classification, decision: run.decision })).not.toContain(CANARY);
    expect(JSON.stringify(run.outcome.trace)).toContain('[REDACTED]');
  });
});

describe('GitHub: primary (x-ratelimit-remaining: 0 + epoch reset) and secondary (retry-after) limits', () => {
  const reset = String(NOW / 1000 + 600);

  it('403 with x-ratelimit-remaining: 0 waits until x-ratelimit-reset (epoch seconds)', async () => {
    routes.set('GET /repos/o/r', (_q, res) =>
      json(res, 403, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': reset,
        'x-github-request-id': 'CAFE:1234',
      }),
    );
    const run = await attempt('github', 'GET', '/repos/o/r');
    const f = failure(run);
    expect(f.error).toMatchObject({ category: 'rate_limit_burst', statusCode: 403, retryAfter: '2026-01-01T00:10:00.000Z' });
    expect(f.error.context).toMatchObject({ requestId: 'CAFE:1234', rateLimitRemaining: '0', rateLimitLimit: '5000' });
    // The catalog lets GitHub waits reach the hourly reset (maxDelay 3600000) despite the policy's 5 s.
    expect(run.decision).toMatchObject({ retry: true, delayMs: 600_000 });
  });

  it('429 with x-ratelimit-remaining: 0 is the same primary limit', async () => {
    routes.set('GET /user', (_q, res) => json(res, 429, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }));
    expect(failure(await attempt('github', 'GET', '/user')).serverDelayMs).toBe(600_000);
  });

  it('secondary rate limit: 403 with retry-after waits that many seconds', async () => {
    routes.set('POST /repos/o/r/issues', (_q, res) =>
      json(res, 403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': '60', 'x-ratelimit-remaining': '4990', 'x-ratelimit-reset': reset }),
    );
    const run = await attempt('github', 'POST', '/repos/o/r/issues', { body: { title: 't' } });
    // The hourly reset does not apply: the primary quota still has 4990 requests left.
    expect(failure(run)).toMatchObject({ serverDelayMs: 60_000, notProcessed: true });
    expect(run.decision).toMatchObject({ retry: true, delayMs: 60_000 });
  });

  it('secondary limit without retry-after: waits at least the catalog’s one-minute initial delay', async () => {
    routes.set('GET /search/code', (_q, res) => json(res, 403, { message: 'You have exceeded a secondary rate limit.' }, { 'x-ratelimit-remaining': '29' }));
    const run = await attempt('github', 'GET', '/search/code');
    expect(failure(run).error.category).toBe('rate_limit_burst');
    expect(run.decision).toMatchObject({ retry: true, delayMs: 60_000 });
  });

  it('a 403 with quota left is a permission problem, not retried', async () => {
    routes.set('GET /orgs/o/members', (_q, res) => json(res, 403, { message: 'Resource not accessible by integration' }, { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': reset }));
    const run = await attempt('github', 'GET', '/orgs/o/members');
    expect(failure(run).error).toMatchObject({ category: 'auth_invalid', retryable: false });
    expect(failure(run).error.message).toContain('Resource not accessible by integration');
  });
});

describe('Stripe: {"error":{type,code,message}}, 409 idempotency conflicts, Stripe-Should-Retry', () => {
  it('402 card_declined: message, code, type and request id are all in the error', async () => {
    routes.set('POST /v1/charges', (_q, res) =>
      json(res, 402, { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', doc_url: 'https://stripe.com/docs/error-codes/card-declined' } }, { 'request-id': 'req_8Hq2' }),
    );
    const run = await attempt('stripe', 'POST', '/v1/charges', { body: { amount: 1999 }, idempotencyKey: 'idem-1' });
    expect(failure(run).error).toMatchObject({ category: 'validation_failed', code: 'card_declined', statusCode: 402, retryable: false });
    expect(failure(run).error.context).toMatchObject({ apiErrorType: 'card_error', apiDeclineCode: 'insufficient_funds', requestId: 'req_8Hq2' });
    expect(failure(run).error.message).toContain('Your card has insufficient funds. (API code card_declined)');
  });

  it('409 idempotency_error (key reused with other parameters) is permanent even with an idempotency key', async () => {
    routes.set('POST /v1/charges', (_q, res) =>
      json(res, 409, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } }),
    );
    const run = await attempt('stripe', 'POST', '/v1/charges', { body: { amount: 5 }, idempotencyKey: 'idem-2' });
    expect(failure(run).error).toMatchObject({ category: 'state_inconsistent', retryable: false });
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'not_retryable' });
  });

  it('409 idempotency_key_in_use is retried with linear backoff', async () => {
    routes.set('POST /v1/charges', (_q, res) =>
      json(res, 409, { error: { type: 'invalid_request_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this idempotency key.' } }),
    );
    const run = await attempt('stripe', 'POST', '/v1/charges', { body: {}, idempotencyKey: 'idem-3', attemptNumber: 2 });
    expect(failure(run).backoffStrategy).toBe('linear');
    expect(run.decision).toMatchObject({ retry: true, delayMs: 400 });
  });

  it('Stripe-Should-Retry: true makes a 500 safe to repeat even for a POST without a key', async () => {
    routes.set('POST /v1/refunds', (_q, res) => json(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } }, { 'stripe-should-retry': 'true' }));
    const run = await attempt('stripe', 'POST', '/v1/refunds', { body: { charge: 'ch_1' } });
    expect(failure(run)).toMatchObject({ notProcessed: true });
    expect(run.decision).toMatchObject({ retry: true });
  });

  it('Stripe-Should-Retry: false stops the retry of an api_error', async () => {
    routes.set('POST /v1/refunds', (_q, res) => json(res, 500, { error: { type: 'api_error', message: 'Not retryable' } }, { 'stripe-should-retry': 'false' }));
    const run = await attempt('stripe', 'POST', '/v1/refunds', { body: {}, idempotencyKey: 'k' });
    expect(failure(run).error.retryable).toBe(false);
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'not_retryable' });
  });

  it('a plain 500 without the header on a POST without a key is refused as unsafe to repeat', async () => {
    routes.set('POST /v1/refunds', (_q, res) => json(res, 500, { error: { type: 'api_error', message: 'boom' } }));
    const run = await attempt('stripe', 'POST', '/v1/refunds', { body: {} });
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'unsafe_to_repeat' });
  });
});

describe('Shopify: 429 with Retry-After: 2.0', () => {
  it('waits exactly 2 s (float seconds) and reads the {"errors": "..."} message', async () => {
    routes.set('POST /admin/api/2024-07/products.json', (_q, res) =>
      json(res, 429, { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, { 'retry-after': '2.0', 'x-shopify-shop-api-call-limit': '40/40' }),
    );
    const run = await attempt('shopify-admin-rest', 'POST', '/2024-07/products.json', { body: { product: { title: 'x' } } });
    expect(failure(run).error).toMatchObject({ category: 'rate_limit_burst', retryAfter: '2026-01-01T00:00:02.000Z' });
    expect(failure(run).error.message).toContain('Exceeded 2 calls per second for api client.');
    expect(run.decision).toMatchObject({ retry: true, delayMs: 2_000 });
  });

  it('423 Locked (shop locked) is not retried', async () => {
    routes.set('GET /admin/api/2024-07/shop.json', (_q, res) => json(res, 423, { errors: 'This shop is unavailable' }));
    expect((await attempt('shopify-admin-rest', 'GET', '/2024-07/shop.json')).decision).toMatchObject({ retry: false, refusedBecause: 'not_retryable' });
  });
});

describe('OpenAI: insufficient_quota is permanent, rate_limit_exceeded is retried, resets are Go durations', () => {
  it('429 insufficient_quota → rate_limit_daily, not retried', async () => {
    routes.set('POST /v1/chat/completions', (_q, res) =>
      json(res, 429, { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }),
    );
    const run = await attempt('openai', 'POST', '/chat/completions', { body: { model: 'm' } });
    expect(failure(run).error).toMatchObject({ category: 'rate_limit_daily', code: 'insufficient_quota', retryable: false });
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'not_retryable' });
  });

  it('429 rate_limit_exceeded with x-ratelimit-reset-requests: 6m0s → beyond maxDelay: fail with retryAfter 6 minutes out', async () => {
    routes.set('POST /v1/chat/completions', (_q, res) =>
      json(res, 429, { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '6m0s',
        'x-ratelimit-reset-tokens': '12ms',
      }),
    );
    const run = await attempt('openai', 'POST', '/chat/completions', { body: {} });
    expect(failure(run)).toMatchObject({ serverDelayMs: 360_000, error: { category: 'rate_limit_burst', retryAfter: '2026-01-01T00:06:00.000Z' } });
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'server_delay_exceeds_max_delay', error: { retryAfter: '2026-01-01T00:06:00.000Z' } });
  });

  it('429 rate_limit_exceeded with a 12ms reset is retried after the catalog’s backoff', async () => {
    routes.set('POST /v1/embeddings', (_q, res) =>
      json(res, 429, { error: { message: 'Rate limit reached for tokens', code: 'rate_limit_exceeded' } }, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '12ms' }),
    );
    const run = await attempt('openai', 'POST', '/embeddings', { body: {} });
    expect(failure(run).serverDelayMs).toBe(12);
    expect(run.decision).toMatchObject({ retry: true, delayMs: 1_000 });
  });
});

describe('Salesforce: 401 INVALID_SESSION_ID → refresh the oauth2 token once and repeat', () => {
  it('edge case 3 end to end: first token rejected, refreshed, the repeat succeeds', async () => {
    let issued = 0;
    routes.set('POST /services/oauth2/token', (_q, res, body) => {
      issued += 1;
      expect(new URLSearchParams(body).get('grant_type')).toBe('refresh_token');
      json(res, 200, { access_token: `00Dxx!session-${issued}`, token_type: 'Bearer', instance_url: base });
    });
    routes.set('GET /services/data/v60.0/sobjects/Account/001', (req, res) => {
      if (req.headers.authorization === 'Bearer 00Dxx!session-1') json(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      else json(res, 200, { Id: '001', Name: 'Acme' });
    });
    const authConfig: Authentication = {
      type: 'oauth2',
      clientId: '3MVG9-client',
      clientSecret: '${credentials.SF_CLIENT_SECRET}',
      tokenUrl: `${base}/services/oauth2/token`,
      scope: [],
      refreshToken: '${credentials.SF_REFRESH_TOKEN}',
    };
    const auth = createAuthenticator(authConfig, { credentials: { SF_CLIENT_SECRET: 'sf-secret-abc', SF_REFRESH_TOKEN: 'sf-refresh-xyz' } });

    const first = await attempt('salesforce', 'GET', '/v60.0/sobjects/Account/001', { auth });
    expect(failure(first).error).toMatchObject({ category: 'auth_expired', code: 'INVALID_SESSION_ID', retryable: true });
    expect(failure(first).error.context.classifiedBy).toContain('errorMappings[0]');
    expect(JSON.stringify({ trace: first.outcome.trace, classification: first.classification })).not.toContain('session-1');

    await auth.refresh();
    const second = await attempt('salesforce', 'GET', '/v60.0/sobjects/Account/001', { auth, attemptNumber: 2 });
    expect(second.classification).toEqual({ ok: true });
    expect(issued).toBe(2);
    expect(hits.get('GET /services/data/v60.0/sobjects/Account/001')).toBe(2);
  });

  it('REQUEST_LIMIT_EXCEEDED is the daily org limit, not retried', async () => {
    routes.set('GET /services/data/v60.0/limits', (_q, res) => json(res, 403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]));
    const run = await attempt('salesforce', 'GET', '/v60.0/limits');
    expect(failure(run).error).toMatchObject({ category: 'rate_limit_daily', code: 'REQUEST_LIMIT_EXCEEDED', retryable: false });
  });

  it('UNABLE_TO_LOCK_ROW was rolled back: repeated with linear backoff', async () => {
    routes.set('PATCH /services/data/v60.0/sobjects/Account/001', (_q, res) =>
      json(res, 400, [{ message: 'unable to obtain exclusive access to this record', errorCode: 'UNABLE_TO_LOCK_ROW', fields: [] }]),
    );
    const run = await attempt('salesforce', 'PATCH', '/v60.0/sobjects/Account/001', { body: { Name: 'x' }, attemptNumber: 3 });
    expect(failure(run)).toMatchObject({ notProcessed: true, backoffStrategy: 'linear' });
    expect(run.decision).toMatchObject({ retry: true, delayMs: 600 });
  });

  it('a final 5xx is followed by the health probe (unauthenticated /services/data/)', async () => {
    routes.set('GET /services/data/v60.0/query', (_q, res) => json(res, 503, [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }]));
    routes.set('GET /services/data/', (_q, res) => json(res, 200, [{ version: '60.0' }]));
    const run = await attempt('salesforce', 'GET', '/v60.0/query', { attemptNumber: 4 });
    expect(run.decision).toMatchObject({ retry: false, refusedBecause: 'attempts_exhausted' });
    expect(needsHealthProbe(failure(run).error)).toBe(true);
    expect(await probeHealth(local('salesforce'))).toMatchObject({ healthCheck: 'healthy', healthCheckUrl: `${base}/services/data/` });
  });
});
