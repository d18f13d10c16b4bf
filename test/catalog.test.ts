import { describe, it, expect, afterEach } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCatalogLookup, needsHealthProbe, probeHealth } from '../src/catalog/catalog-integration.ts';
import { classifyOutcome } from '../src/failure/classification.ts';
import type { ClassifyContext, FailedClassification } from '../src/failure/classification.ts';
import { ApiCatalogEntrySchema, type ApiCatalog, type ApiCatalogEntry, type ApiCatalogEntryInput } from '../src/schemas/catalog.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { errorDetail } from '../src/failure/errors.ts';
import type { AttemptOutcome } from '../src/http/http-types.ts';
import { makeActionDefinition, makeCatalogEntry } from './fixtures.ts';
import { NOW, binaryBody, jsonBody, networkOutcome, responseOutcome, textBody } from './outcome-fixtures.ts';

function entry(overrides: Partial<ApiCatalogEntryInput> = {}): ApiCatalogEntry {
  return ApiCatalogEntrySchema.parse(makeCatalogEntry({ apiId: 'example', baseUrl: 'https://api.example.com/v1', errorMappings: [], rateLimiting: undefined, healthCheck: undefined, ...overrides }));
}

/** A catalog double that counts calls; entries are returned raw, as a remote catalog would. */
function catalogOf(entries: unknown[], behaviour: { failAll?: Error; hang?: boolean; failEntry?: string } = {}): ApiCatalog & { calls: number } {
  const byId = new Map(entries.map((e) => [(e as { apiId: string }).apiId, e]));
  const catalog = {
    calls: 0,
    async getAllApis() {
      catalog.calls += 1;
      if (behaviour.hang) return new Promise<string[]>(() => undefined);
      if (behaviour.failAll) throw behaviour.failAll;
      return [...byId.keys()];
    },
    async getApiEntry(id: string) {
      if (id === behaviour.failEntry) throw new Error('entry store timeout');
      return (byId.get(id) ?? null) as ApiCatalogEntry | null;
    },
  };
  return catalog;
}

function ctx(e: ApiCatalogEntry | null, overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return { definition: makeActionDefinition({ knownErrors: [], rateLimit: undefined }), entry: e, method: 'POST', refreshableAuth: false, idempotencyKeySent: false, now: NOW, ...overrides };
}

function failed(outcome: AttemptOutcome, context: ClassifyContext): FailedClassification {
  const result = classifyOutcome(outcome, context);
  if (result.ok) throw new Error('expected a failure classification');
  expect(ErrorDetailSchema.safeParse(result.error).success).toBe(true);
  return result;
}

describe('EXEC-015: catalog lookup by longest segment-boundary baseUrl prefix', () => {
  const entries = [
    makeCatalogEntry({ apiId: 'root', baseUrl: 'https://api.example.com' }),
    makeCatalogEntry({ apiId: 'v1', baseUrl: 'https://api.example.com/v1' }),
    makeCatalogEntry({ apiId: 'v1-billing', baseUrl: 'https://api.example.com/v1/billing/' }),
    makeCatalogEntry({ apiId: 'other-port', baseUrl: 'https://api.example.com:8443/v1' }),
  ];

  it.each([
    ['https://api.example.com/v1/billing/invoices/7', 'v1-billing'],
    ['https://api.example.com/v1/billing', 'v1-billing'],
    ['https://api.example.com/v1/users?x=1', 'v1'],
    ['https://api.example.com/v10/users', 'root'],
    ['https://api.example.com/v1billing', 'root'],
    ['https://API.EXAMPLE.COM/v1/users', 'v1'],
    ['https://api.example.com:443/v1/users', 'v1'],
    ['https://api.example.com:8443/v1/users', 'other-port'],
  ])('%s → %s', async (url, apiId) => {
    const match = await createCatalogLookup(catalogOf(entries)).match(url);
    expect(match.entry?.apiId).toBe(apiId);
  });

  it.each([['http://api.example.com/v1/users'], ['https://example.com/v1'], ['not a url']])('%s matches nothing', async (url) => {
    const match = await createCatalogLookup(catalogOf(entries)).match(url);
    expect(match.entry).toBeNull();
    expect(match.unavailable).toBeUndefined();
  });

  it('entries are fetched once and cached across lookups', async () => {
    const catalog = catalogOf(entries);
    const lookup = createCatalogLookup(catalog);
    await Promise.all([lookup.match('https://api.example.com/v1/a'), lookup.match('https://api.example.com/v1/b')]);
    await lookup.match('https://api.example.com/v1/c');
    expect(catalog.calls).toBe(1);
  });

  it('returned entries are parsed: quirks defaults are applied', async () => {
    const raw = { apiId: 'bare', name: 'Bare', version: '1', baseUrl: 'https://bare.example.com', errorMappings: [], quirks: {} };
    const match = await createCatalogLookup(catalogOf([raw])).match('https://bare.example.com/x');
    expect(match.entry?.quirks).toEqual({ successWithErrorBody: false, emptyResponseOn204: true, binaryErrorResponses: false });
  });

  it('no catalog configured → no entry, nothing unavailable', async () => {
    expect(await createCatalogLookup(undefined).match('https://api.example.com/v1')).toEqual({ entry: null });
  });

  it('a catalog that throws degrades to standard handling and says why', async () => {
    const match = await createCatalogLookup(catalogOf(entries, { failAll: new Error('ECONNREFUSED catalog-db:5432') })).match('https://api.example.com/v1/x');
    expect(match).toEqual({ entry: null, unavailable: 'API catalog unavailable (ECONNREFUSED catalog-db:5432); standard error handling applies' });
  });

  it('a catalog that hangs times out and degrades', async () => {
    const match = await createCatalogLookup(catalogOf(entries, { hang: true }), { timeoutMs: 20 }).match('https://api.example.com/v1/x');
    expect(match.entry).toBeNull();
    expect(match.unavailable).toBe('API catalog unavailable (the API catalog did not answer within 20 ms); standard error handling applies');
  });

  it('a hung catalog in a process with nothing else to do still degrades instead of exiting silently', async () => {
    // A never-settling promise does not keep Node alive; the timeout timer must.
    const script = [
      `import { createCatalogLookup } from ${JSON.stringify(new URL('../src/catalog/catalog-integration.ts', import.meta.url).href)};`,
      'const lookup = createCatalogLookup({ getAllApis: () => new Promise(() => {}), getApiEntry: async () => null }, { timeoutMs: 30 });',
      "console.log(JSON.stringify(await lookup.match('https://api.example.com/v1')));",
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() });
    expect(JSON.parse(stdout)).toMatchObject({ entry: null, unavailable: expect.stringContaining('did not answer within 30 ms') });
  });

  it('a failed load is not cached: a catalog that recovers is used again', async () => {
    let fail = true;
    const catalog: ApiCatalog = {
      getAllApis: async () => {
        if (fail) throw new Error('down');
        return ['v1'];
      },
      getApiEntry: async () => ApiCatalogEntrySchema.parse(entries[1]),
    };
    const lookup = createCatalogLookup(catalog);
    expect((await lookup.match('https://api.example.com/v1/x')).unavailable).toBeDefined();
    fail = false;
    expect((await lookup.match('https://api.example.com/v1/x')).entry?.apiId).toBe('v1');
  });

  it('an entry that does not parse is skipped with a warning naming it and the field; the rest still match', async () => {
    const bad = { ...makeCatalogEntry({ apiId: 'broken' }), baseUrl: 'not-a-url' };
    const match = await createCatalogLookup(catalogOf([bad, entries[1]])).match('https://api.example.com/v1/x');
    expect(match.entry?.apiId).toBe('v1');
    expect(match.warnings?.[0]).toMatch(/^catalog entry "broken" was ignored: baseUrl: /);
  });

  it('an entry that cannot be fetched is reported and retried on the next lookup', async () => {
    const catalog = catalogOf(entries, { failEntry: 'v1' });
    const lookup = createCatalogLookup(catalog);
    const match = await lookup.match('https://api.example.com/v1/x');
    expect(match.entry?.apiId).toBe('root');
    expect(match.warnings).toEqual(['catalog entry "v1" could not be fetched: entry store timeout']);
    await lookup.match('https://api.example.com/v1/x');
    expect(catalog.calls).toBe(2);
  });
});

describe('errorMappings (precedence step 1)', () => {
  const mapped = entry({
    errorMappings: [
      { status: 409, pattern: 'idempotency_error', category: 'state_inconsistent', retryable: false },
      { header: { name: 'Stripe-Should-Retry', pattern: '^true$' }, category: 'api_unexpected_status', retryable: true, backoffStrategy: 'linear' },
      { status: 400, header: { name: 'x-kind', pattern: 'lock' }, pattern: 'UNABLE_TO_LOCK_ROW', category: 'api_unexpected_status', retryable: true },
      { status: 503, category: 'network_timeout', retryable: true },
    ],
  });

  it('a rule matches when every criterion it sets matches (status + body pattern)', () => {
    const result = failed(responseOutcome({ status: 409, body: jsonBody({ error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters' } }) }), ctx(mapped));
    expect(result.error).toMatchObject({ category: 'state_inconsistent', retryable: false });
    expect(result.error.context.classifiedBy).toBe('catalog "example" errorMappings[0] (status=409 pattern=/idempotency_error/)');
    expect(result.error.context.apiId).toBe('example');
  });

  it('all three criteria (status, header, pattern) must hold — one missing and the rule is skipped', () => {
    const body = jsonBody([{ errorCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access' }]);
    expect(failed(responseOutcome({ status: 400, body, headers: { 'x-kind': 'lock' } }), ctx(mapped)).error.retryable).toBe(true);
    const noHeader = failed(responseOutcome({ status: 400, body }), ctx(mapped));
    expect(noHeader.error).toMatchObject({ category: 'validation_failed', retryable: false });
  });

  it('header criteria match case-insensitively on name and value; a retryable rule marks the request unprocessed', () => {
    const result = failed(responseOutcome({ status: 409, headers: { 'stripe-should-retry': 'TRUE' } }), ctx(mapped));
    expect(result.error).toMatchObject({ category: 'api_unexpected_status', retryable: true });
    expect(result.notProcessed).toBe(true);
    expect(result.backoffStrategy).toBe('linear');
  });

  it('rules are tried in order: the first match wins', () => {
    const result = failed(responseOutcome({ status: 409, headers: { 'stripe-should-retry': 'true' }, body: jsonBody({ error: { type: 'idempotency_error' } }) }), ctx(mapped));
    expect(result.error.context.classifiedBy).toContain('errorMappings[0]');
  });

  it('a status-only rule overrides the standard table', () => {
    expect(failed(responseOutcome({ status: 503 }), ctx(mapped)).error.category).toBe('network_timeout');
  });

  it('an invalid regex in a catalog entry never crashes: the rule does not match and the context says so', () => {
    const broken = entry({ errorMappings: [{ pattern: '(?<', category: 'auth_invalid', retryable: false }, { header: { name: 'x', pattern: '[' }, category: 'auth_invalid', retryable: false }] });
    const result = failed(responseOutcome({ status: 500, headers: { x: '1' } }), ctx(broken));
    expect(result.error.category).toBe('api_unexpected_status');
    expect(result.error.context.invalidPatterns).toContain('errorMappings[0].pattern: error parsing regexp: invalid named capture');
    expect(result.error.context.invalidPatterns).toContain('errorMappings[1].header.pattern: error parsing regexp: missing closing ]');
  });

  it('message-only mapping rules apply to network errors; status rules do not', () => {
    const e = entry({ errorMappings: [{ status: 503, category: 'auth_invalid', retryable: false }, { pattern: 'ECONNRESET', category: 'network_timeout', retryable: true }] });
    const outcome = networkOutcome({ category: 'network_connection_refused', code: 'CONNECTION_RESET', message: 'POST x: socket hang up (ECONNRESET)', retryable: true }, 'maybe', { status: 503 });
    const result = failed(outcome, ctx(e));
    expect(result.error).toMatchObject({ category: 'network_timeout', code: 'CONNECTION_RESET' });
    expect(result.notProcessed).toBe(true);
    expect(result.reachedServer).toBe('maybe');
  });

  it('mappings beat rate-limit detection, which beats knownErrors, which beat the standard table', () => {
    const e = entry({
      errorMappings: [{ status: 429, pattern: 'insufficient_quota', category: 'rate_limit_daily', retryable: false }],
      rateLimiting: { detection: { statusCodes: [429], headers: [] }, extraction: {}, backoffStrategy: { type: 'exponential' } },
    });
    const definition = makeActionDefinition({ rateLimit: undefined, knownErrors: [{ pattern: 'quota|slow down', category: 'validation_failed', suggestion: 'k' }] });
    const quota = failed(responseOutcome({ status: 429, body: jsonBody({ error: { code: 'insufficient_quota' } }) }), ctx(e, { definition }));
    expect(quota.error.context.classifiedBy).toContain('errorMappings[0]');
    const slow = failed(responseOutcome({ status: 429, body: jsonBody({ error: { message: 'slow down' } }) }), ctx(e, { definition }));
    expect(slow.error.context.classifiedBy).toContain('rateLimiting.detection');
    const known = failed(responseOutcome({ status: 400, body: jsonBody({ message: 'slow down' }) }), ctx(e, { definition }));
    expect(known.error.context.classifiedBy).toBe('definition knownErrors[0] (/quota|slow down/)');
  });
});

describe('quirks.successWithErrorBody (Slack-style 200 {"ok":false})', () => {
  const slackish = entry({
    quirks: { successWithErrorBody: true },
    errorMappings: [
      { status: 200, category: 'auth_invalid', retryable: false },
      { pattern: '"ok":\\s*false', category: 'api_unexpected_status', retryable: false },
    ],
  });

  it('pattern rules run on 2xx bodies and turn an error body into a failure', () => {
    const result = failed(responseOutcome({ status: 200, body: jsonBody({ ok: false, error: 'channel_not_found' }) }), ctx(slackish));
    expect(result.error).toMatchObject({ category: 'api_unexpected_status', code: 'channel_not_found', statusCode: 200 });
    expect(result.error.message).toContain('returned 200 OK with an error body: channel_not_found');
    expect(result.error.context.classifiedBy).toContain('errorMappings[1]');
  });

  it('status-only rules cannot tell an error body from success, so they are skipped on 2xx; a good body passes', () => {
    expect(classifyOutcome(responseOutcome({ status: 200, body: jsonBody({ ok: true, ts: '1.2' }) }), ctx(slackish))).toEqual({ ok: true });
  });

  it('without the quirk a 2xx is never examined by mappings', () => {
    const plain = entry({ errorMappings: [{ pattern: '"ok":\\s*false', category: 'api_unexpected_status', retryable: false }] });
    expect(classifyOutcome(responseOutcome({ status: 200, body: jsonBody({ ok: false }) }), ctx(plain))).toEqual({ ok: true });
  });
});

describe('rateLimiting detection and extraction (precedence step 2)', () => {
  const github = entry({
    rateLimiting: {
      detection: { statusCodes: [403, 429], headers: ['x-ratelimit-remaining', 'retry-after'], bodyPatterns: ['rate limit'] },
      extraction: { limitHeader: 'x-ratelimit-limit', remainingHeader: 'x-ratelimit-remaining', resetHeader: 'x-ratelimit-reset', resetFormat: 'unix_seconds' },
      backoffStrategy: { type: 'respect_reset', initialDelay: 60_000, maxDelay: 900_000 },
    },
  });
  const resetIn = (s: number): string => String(NOW / 1000 + s);

  it('a 403 with x-ratelimit-remaining: 0 is a rate limit, not a permission error; reset (unix_seconds) is the wish', () => {
    const result = failed(responseOutcome({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': resetIn(120) } }), ctx(github));
    expect(result.error).toMatchObject({ category: 'rate_limit_burst', retryable: true, retryAfter: '2026-01-01T00:02:00.000Z' });
    expect(result).toMatchObject({ notProcessed: true, serverDelayMs: 120_000, backoffStrategy: 'respect_reset', rateLimitBackoff: { initialDelay: 60_000, maxDelay: 900_000 } });
    expect(result.error.context).toMatchObject({ rateLimitLimit: '5000', rateLimitRemaining: '0', rateLimitReset: `x-ratelimit-reset: ${resetIn(120)}` });
  });

  it('a 403 with remaining quota is an ordinary permission error', () => {
    const result = failed(responseOutcome({ status: 403, headers: { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': resetIn(3000) }, body: jsonBody({ message: 'Resource not accessible by integration' }) }), ctx(github));
    expect(result.error.category).toBe('auth_invalid');
    expect(result.serverDelayMs).toBeUndefined();
  });

  it('a reset more than an hour away → rate_limit_daily', () => {
    const result = failed(responseOutcome({ status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(7200) } }), ctx(github));
    expect(result.error.category).toBe('rate_limit_daily');
  });

  it('a body pattern detects a limit the headers do not show', () => {
    const result = failed(responseOutcome({ status: 403, body: jsonBody({ message: 'You have exceeded a secondary rate limit' }) }), ctx(github));
    expect(result.error.context.classifiedBy).toBe('catalog "example" rateLimiting.detection (status 403 with a body matching /rate limit/)');
  });

  it('a status outside detection.statusCodes is not a rate limit', () => {
    expect(failed(responseOutcome({ status: 500, headers: { 'retry-after': '1' } }), ctx(github)).error.category).toBe('api_unexpected_status');
  });

  it.each([
    ['unix_ms', String(NOW + 2_500), 2_500],
    ['iso8601', '2026-01-01T00:00:09Z', 9_000],
  ] as const)('extraction resetFormat %s', (resetFormat, value, ms) => {
    const e = entry({ rateLimiting: { detection: { statusCodes: [429], headers: [] }, extraction: { resetHeader: 'x-reset', resetFormat }, backoffStrategy: { type: 'exponential' } } });
    expect(failed(responseOutcome({ status: 429, headers: { 'x-reset': value } }), ctx(e)).serverDelayMs).toBe(ms);
  });

  it('a Go-duration reset header (OpenAI) and the IETF RateLimit header are understood', () => {
    const e = entry({ rateLimiting: { detection: { statusCodes: [429], headers: [] }, extraction: { resetHeader: 'x-ratelimit-reset-requests' }, backoffStrategy: { type: 'exponential' } } });
    expect(failed(responseOutcome({ status: 429, headers: { 'x-ratelimit-reset-requests': '6m0s' } }), ctx(e)).serverDelayMs).toBe(360_000);
    expect(failed(responseOutcome({ status: 429, headers: { ratelimit: '"default";r=0;t=12' } }), ctx(null)).serverDelayMs).toBe(12_000);
  });

  it('an invalid detection body pattern is reported and ignored', () => {
    const e = entry({ rateLimiting: { detection: { statusCodes: [429], headers: [], bodyPatterns: ['(('] }, extraction: {}, backoffStrategy: { type: 'exponential' } } });
    const result = failed(responseOutcome({ status: 429 }), ctx(e));
    expect(result.error.category).toBe('rate_limit_burst');
    expect(result.error.context.classifiedBy).toBe('standard table (429)');
    expect(result.error.context.invalidPatterns).toContain('rateLimiting.detection.bodyPatterns[0]');
  });
});

describe('quirks.errorContentType and quirks.binaryErrorResponses', () => {
  it('an error body in the API’s error content type is parsed as JSON even when it is not a JSON media type', () => {
    const e = entry({ quirks: { errorContentType: 'application/vnd.error' } });
    const result = failed(responseOutcome({ status: 400, body: textBody('{"error":{"code":"BAD_SKU","message":"SKU 12 unknown"}}', 'application/vnd.error') }), ctx(e));
    expect(result.error).toMatchObject({ code: 'BAD_SKU' });
    expect(result.error.message).toContain('SKU 12 unknown');
  });

  it('an error in a different content type is flagged as probably coming from a proxy', () => {
    const e = entry({ quirks: { errorContentType: 'application/json' } });
    const result = failed(responseOutcome({ status: 502, body: textBody('<html><title>Bad Gateway</title></html>', 'text/html') }), ctx(e));
    expect(result.error.context.contentTypeNote).toBe('the API sends errors as application/json but this response is text/html: it probably came from a proxy or gateway in front of the API');
  });

  it('with successWithErrorBody, a 2xx in the error content type is an error', () => {
    const e = entry({ quirks: { successWithErrorBody: true, errorContentType: 'application/problem+json' } });
    const result = failed(responseOutcome({ status: 200, body: jsonBody({ title: 'Out of credit', detail: 'Balance 30, cost 50' }, 'application/problem+json') }), ctx(e));
    expect(result.error).toMatchObject({ category: 'api_unexpected_status', retryable: false });
    expect(result.error.message).toContain('Balance 30, cost 50');
    expect(classifyOutcome(responseOutcome({ status: 200, body: jsonBody({ ok: 1 }) }), ctx(e))).toEqual({ ok: true });
  });

  it('binaryErrorResponses: a binary error body that is really UTF-8 JSON is read', () => {
    const e = entry({ quirks: { binaryErrorResponses: true }, errorMappings: [{ pattern: 'EXPORT_TOO_LARGE', category: 'validation_failed', retryable: false }] });
    const bytes = Buffer.from(JSON.stringify({ error: { code: 'EXPORT_TOO_LARGE', message: 'Export exceeds 1 GiB' } }));
    const result = failed(responseOutcome({ status: 500, body: binaryBody(bytes) }), ctx(e));
    expect(result.error).toMatchObject({ category: 'validation_failed', code: 'EXPORT_TOO_LARGE' });
    expect(result.error.message).toContain('Export exceeds 1 GiB');
  });

  it('binaryErrorResponses: real binary is described, never dumped', () => {
    const e = entry({ quirks: { binaryErrorResponses: true } });
    const result = failed(responseOutcome({ status: 500, body: binaryBody(Buffer.from([0xff, 0xd8, 0xff, 0xe0])) }), ctx(e));
    expect(result.error.message).toContain('binary body (application/octet-stream, 4 bytes) that is not UTF-8 text');
  });
});

describe('healthCheck after a final network/5xx failure', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('needsHealthProbe: network failures and 5xx, not 4xx', () => {
    expect(needsHealthProbe(errorDetail('network_timeout', 'x'))).toBe(true);
    expect(needsHealthProbe(errorDetail('network_connection_refused', 'x'))).toBe(true);
    expect(needsHealthProbe(errorDetail('api_unexpected_status', 'x', { statusCode: 503 }))).toBe(true);
    expect(needsHealthProbe(errorDetail('api_endpoint_removed', 'x', { statusCode: 404 }))).toBe(false);
  });

  it('a healthy API: relative endpoint resolved under baseUrl, status compared', async () => {
    const paths: string[] = [];
    const base = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200).end('{"ok":true}');
    });
    let t = 1_000;
    const health = await probeHealth(entry({ baseUrl: `${base}/api`, healthCheck: { endpoint: 'api.test', expectedStatus: 200, timeout: 500 } }), { now: () => (t += 7) });
    expect(paths).toEqual(['/api/api.test']);
    expect(health).toEqual({ healthCheck: 'healthy', healthCheckUrl: `${base}/api/api.test`, healthCheckStatus: '200', healthCheckExpectedStatus: '200', healthCheckDurationMs: '7' });
  });

  it('an unhealthy API: the unexpected status is reported', async () => {
    const base = await serve((_req, res) => res.writeHead(503).end());
    const health = await probeHealth(entry({ baseUrl: base, healthCheck: { endpoint: '/status', expectedStatus: 200, timeout: 500 } }));
    expect(health).toMatchObject({ healthCheck: 'unhealthy', healthCheckStatus: '503', healthCheckUrl: `${base}/status` });
  });

  it('a health endpoint that does not answer in time is unreachable', async () => {
    const base = await serve(() => undefined);
    const health = await probeHealth(entry({ baseUrl: base, healthCheck: { endpoint: '/slow', expectedStatus: 200, timeout: 50 } }));
    expect(health).toMatchObject({ healthCheck: 'unreachable', healthCheckError: 'no answer within 50 ms' });
    server?.closeAllConnections();
  });

  it('a refused connection is unreachable, with the cause', async () => {
    const base = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const health = await probeHealth(entry({ baseUrl: base, healthCheck: { endpoint: '/h', expectedStatus: 200, timeout: 500 } }));
    expect(health.healthCheck).toBe('unreachable');
    expect(health.healthCheckError).toContain('ECONNREFUSED');
  });

  it('an entry without healthCheck gives no context', async () => {
    expect(await probeHealth(entry())).toEqual({});
  });
});
