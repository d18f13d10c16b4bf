import { describe, it, expect } from 'vitest';
import { classifyOutcome } from '../src/failure/classification.ts';
import type { Classification, ClassifyContext, FailedClassification } from '../src/failure/classification.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import type { AttemptOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { makeActionDefinition } from './fixtures.ts';
import { NOW, TEST_URL, binaryBody, emptyBody, jsonBody, networkOutcome, responseOutcome, textBody } from './outcome-fixtures.ts';

function ctx(overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    definition: makeActionDefinition({ knownErrors: [], rateLimit: undefined }),
    entry: null,
    method: 'POST',
    refreshableAuth: false,
    idempotencyKeySent: false,
    now: NOW,
    ...overrides,
  };
}

function failed(outcome: AttemptOutcome, context: ClassifyContext = ctx()): FailedClassification {
  const result: Classification = classifyOutcome(outcome, context);
  if (result.ok) throw new Error('expected a failure classification');
  expect(ErrorDetailSchema.safeParse(result.error).success).toBe(true);
  return result;
}

describe('EXEC-016: standard HTTP errors without a catalog entry', () => {
  it.each([
    [400, 'validation_failed', false],
    [413, 'validation_failed', false],
    [422, 'validation_failed', false],
    [401, 'auth_invalid', false],
    [403, 'auth_invalid', false],
    [404, 'api_endpoint_removed', false],
    [405, 'api_endpoint_removed', false],
    [410, 'api_endpoint_removed', false],
    [501, 'api_endpoint_removed', false],
    [408, 'network_timeout', true],
    [409, 'api_unexpected_status', false],
    [429, 'rate_limit_burst', true],
    [418, 'api_unexpected_status', false],
    [402, 'api_unexpected_status', false],
    [500, 'api_unexpected_status', true],
    [502, 'api_unexpected_status', true],
    [503, 'api_unexpected_status', true],
    [504, 'api_unexpected_status', true],
    [304, 'api_unexpected_status', false],
  ] as const)('%i → %s (retryable: %s)', (status, category, retryable) => {
    const result = failed(responseOutcome({ status, body: jsonBody({ message: 'nope' }) }));
    expect(result.error).toMatchObject({ category, retryable, statusCode: status });
    expect(result.reachedServer).toBe('yes');
    expect(result.error.context.classifiedBy).toMatch(/^standard table/);
    expect(result.error.suggestion).toBeTruthy();
  });

  it('401 with a refreshable (oauth2) credential → auth_expired, retryable (refresh once and repeat)', () => {
    const result = failed(responseOutcome({ status: 401 }), ctx({ refreshableAuth: true }));
    expect(result.error).toMatchObject({ category: 'auth_expired', retryable: true });
    expect(result.error.context.classifiedBy).toBe('standard table (401 with a refreshable credential)');
  });

  it('409 with an idempotency key sent is retryable: the server is still processing that key', () => {
    const result = failed(responseOutcome({ status: 409 }), ctx({ idempotencyKeySent: true }));
    expect(result.error).toMatchObject({ category: 'api_unexpected_status', retryable: true });
    expect(result.notProcessed).toBe(false);
  });

  it('429 is provably not processed and carries the server’s wish from Retry-After', () => {
    const result = failed(responseOutcome({ status: 429, headers: { 'retry-after': '7' } }));
    expect(result.notProcessed).toBe(true);
    expect(result.serverDelayMs).toBe(7_000);
    expect(result.error.retryAfter).toBe('2026-01-01T00:00:07.000Z');
    expect(result.error.message).toContain('the server asks to wait 7000 ms (until 2026-01-01T00:00:07.000Z)');
  });

  it('429 whose reset is more than an hour away → rate_limit_daily', () => {
    const result = failed(responseOutcome({ status: 429, headers: { 'retry-after': String(2 * 3600) } }));
    expect(result.error.category).toBe('rate_limit_daily');
  });

  it('429 when the definition’s rate-limit window is a day → rate_limit_daily', () => {
    const definition = makeActionDefinition({ knownErrors: [], rateLimit: { requests: 1000, window: 86_400_000, scope: 'global' } });
    expect(failed(responseOutcome({ status: 429 }), ctx({ definition })).error.category).toBe('rate_limit_daily');
  });

  it('429 when RateLimit-Policy announces a daily window → rate_limit_daily', () => {
    const result = failed(responseOutcome({ status: 429, headers: { 'ratelimit-policy': '"day";q=1000;w=86400', ratelimit: '"day";r=0;t=50' } }));
    expect(result.error.category).toBe('rate_limit_daily');
    expect(result.serverDelayMs).toBe(50_000);
  });

  it('a 2xx with a readable body is success', () => {
    expect(classifyOutcome(responseOutcome({ status: 201, body: jsonBody({ id: 'ord_1' }) }), ctx())).toEqual({ ok: true });
    expect(classifyOutcome(responseOutcome({ status: 204, body: emptyBody() }), ctx())).toEqual({ ok: true });
  });

  it('a 2xx whose body could not be parsed → api_response_malformed, not retried (the effect has probably happened)', () => {
    const problem: ErrorDetail = {
      category: 'api_response_malformed',
      code: 'INVALID_JSON',
      message: 'response body is not valid JSON at position 0',
      retryable: false,
      context: { parsePosition: '0' },
    };
    const body = { ...textBody('<html><title>Login</title></html>', 'application/json'), problem };
    const result = failed(responseOutcome({ status: 200, body }));
    expect(result.error).toMatchObject({ category: 'api_response_malformed', code: 'INVALID_JSON', retryable: false, statusCode: 200 });
    expect(result.error.message).toBe(`POST ${TEST_URL} returned 200 OK but the body could not be read: response body is not valid JSON at position 0`);
    expect(result.error.context.parsePosition).toBe('0');
    expect(result.error.suggestion).toContain('not repeated automatically');
  });

  it('a non-2xx with an unreadable body is classified by its status; the body problem is context', () => {
    const problem: ErrorDetail = { category: 'api_response_malformed', code: 'INVALID_ENCODING', message: 'bad bytes', retryable: false, context: {} };
    const result = failed(responseOutcome({ status: 502, body: { ...binaryBody(Buffer.from([0xff, 0xfe, 0x41]), 'text/plain'), problem } }));
    expect(result.error).toMatchObject({ category: 'api_unexpected_status', retryable: true });
    expect(result.error.context.bodyProblem).toBe('INVALID_ENCODING');
  });
});

describe('error messages a person can act on', () => {
  it.each([
    ['Stripe/OpenAI error.message + error.code', { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } }, 'Your card was declined.', 'card_declined'],
    ['GitHub message', { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, 'Not Found', undefined],
    ['Slack error string', { ok: false, error: 'channel_not_found' }, 'channel_not_found', 'channel_not_found'],
    ['OAuth error_description + error', { error: 'invalid_grant', error_description: 'Refresh token expired' }, 'Refresh token expired', 'invalid_grant'],
    ['GraphQL errors[0].message', { errors: [{ message: 'Field "x" missing', extensions: { code: 'BAD_USER_INPUT' } }] }, 'Field "x" missing', 'BAD_USER_INPUT'],
    ['problem+json detail', { type: 'https://example.com/probs/out-of-credit', title: 'You do not have enough credit.', detail: 'Your current balance is 30, but that costs 50.' }, 'Your current balance is 30, but that costs 50.', undefined],
    ['Salesforce array', [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], 'Session expired or invalid', 'INVALID_SESSION_ID'],
    ['Shopify errors string', { errors: 'Exceeded 2 calls per second for api client.' }, 'Exceeded 2 calls per second for api client.', undefined],
    ['Shopify field errors', { errors: { title: ["can't be blank"], price: ['must be positive'] } }, "title: can't be blank; price: must be positive", undefined],
  ])('%s', (_name, json, message, code) => {
    const result = failed(responseOutcome({ status: 422, body: jsonBody(json) }));
    expect(result.error.message).toContain(`POST ${TEST_URL} returned 422 Unprocessable Entity: ${message}`);
    expect(result.error.code).toBe(code);
  });

  it('API extras go into the context: error type, documentation URL, request id', () => {
    const body = jsonBody({ error: { type: 'invalid_request_error', code: 'parameter_missing', param: 'amount', message: 'Missing required param: amount.', doc_url: 'https://stripe.com/docs/error-codes/parameter-missing' } });
    const result = failed(responseOutcome({ status: 400, body, headers: { 'request-id': 'req_abc123' } }));
    expect(result.error.context).toMatchObject({
      apiErrorType: 'invalid_request_error',
      apiErrorParam: 'amount',
      documentationUrl: 'https://stripe.com/docs/error-codes/parameter-missing',
      requestId: 'req_abc123',
      requestIdHeader: 'request-id',
      method: 'POST',
      url: TEST_URL,
      actionDefinition: 'create_order@1.2.0',
      contentType: 'application/json',
    });
  });

  it('edge case 1: an HTML error page is named as such, with its title', () => {
    const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>';
    const result = failed(responseOutcome({ status: 502, body: textBody(html, 'text/html') }));
    expect(result.error.message).toContain('HTML page "502 Bad Gateway"');
    expect(result.error.message).toContain('looks like an error page from a proxy, gateway or login redirect');
    expect(result.error.context.body).toContain('HTML page');
  });

  it('a plain-text error body is quoted (collapsed and capped)', () => {
    const result = failed(responseOutcome({ status: 500, body: textBody(`Internal\n\n error ${'x'.repeat(500)}`) }));
    expect(result.error.message).toContain('Internal error xxx');
    expect(result.error.message.length).toBeLessThan(500);
  });

  it('an empty error body says so', () => {
    const result = failed(responseOutcome({ status: 404, body: emptyBody() }));
    expect(result.error.message).toBe(`POST ${TEST_URL} returned 404 Not Found: empty body`);
  });

  it('a binary error body is described, not dumped', () => {
    const result = failed(responseOutcome({ status: 500, body: binaryBody(Buffer.from([0, 1, 2, 3, 250])) }));
    expect(result.error.message).toContain('binary body (application/octet-stream, 5 bytes); set quirks.binaryErrorResponses');
    expect(result.error.context.bodyHexPrefix).toBe('00010203fa');
  });

  it('the API code is added to the message when the message does not already show it', () => {
    const result = failed(responseOutcome({ status: 402, body: jsonBody({ error: { code: 'card_declined', message: 'Your card was declined.' } }) }));
    expect(result.error.message).toMatch(/Your card was declined\. \(API code card_declined\)$/);
  });
});

describe('definition knownErrors (precedence step 3)', () => {
  const definition = makeActionDefinition({
    knownErrors: [
      { pattern: 'card_declined', category: 'validation_failed', suggestion: 'Ask the customer for another payment method.' },
      { pattern: 'quota', category: 'rate_limit_daily', suggestion: 'Buy more quota.' },
      { pattern: 'certificate has expired', category: 'network_connection_refused', suggestion: 'Renew the TLS certificate of the API host.' },
    ],
  });

  it('a matching pattern sets the category and adds its suggestion', () => {
    const result = failed(responseOutcome({ status: 402, body: jsonBody({ error: { code: 'card_declined', message: 'Declined' } }) }), ctx({ definition }));
    expect(result.error).toMatchObject({ category: 'validation_failed', retryable: false, suggestion: 'Ask the customer for another payment method.' });
    expect(result.error.context.classifiedBy).toBe('definition knownErrors[0] (/card_declined/)');
  });

  it('retryability follows the category (a daily quota is a rate limit)', () => {
    const result = failed(responseOutcome({ status: 403, body: jsonBody({ message: 'Daily QUOTA exceeded' }) }), ctx({ definition }));
    expect(result.error).toMatchObject({ category: 'rate_limit_daily', retryable: true });
  });

  it('knownErrors match network errors by message too, keeping reachedServer from the attempt layer', () => {
    const outcome = networkOutcome({ category: 'network_connection_refused', code: 'TLS_ERROR', message: 'POST https://x: certificate has expired', retryable: false }, 'no');
    const result = failed(outcome, ctx({ definition }));
    expect(result.error).toMatchObject({ category: 'network_connection_refused', code: 'TLS_ERROR', retryable: false, suggestion: 'Renew the TLS certificate of the API host.' });
    expect(result.reachedServer).toBe('no');
  });

  it('knownErrors do not run on a success', () => {
    expect(classifyOutcome(responseOutcome({ status: 200, body: jsonBody({ note: 'card_declined last week' }) }), ctx({ definition }))).toEqual({ ok: true });
  });

  it('an invalid knownErrors regex never crashes: it does not match, and the context says so', () => {
    const broken = makeActionDefinition({ knownErrors: [{ pattern: '([unclosed', category: 'validation_failed', suggestion: 'x' }] });
    const result = failed(responseOutcome({ status: 500 }), ctx({ definition: broken }));
    expect(result.error.category).toBe('api_unexpected_status');
    expect(result.error.context.invalidPatterns).toMatch(/^knownErrors\[0\]\.pattern: error parsing regexp: missing closing \].*\(treated as not matching\)$/);
  });
});

describe('EXEC-017 network errors pass through classification', () => {
  it.each([
    ['DNS_NOT_FOUND', 'network_connection_refused', false, 'no'],
    ['CONNECTION_REFUSED', 'network_connection_refused', true, 'no'],
    ['CONNECT_TIMEOUT', 'network_timeout', true, 'no'],
    ['REQUEST_TIMEOUT', 'network_timeout', true, 'maybe'],
    ['RESPONSE_TIMEOUT', 'network_timeout', true, 'yes'],
    ['PARTIAL_RESPONSE', 'api_response_malformed', true, 'yes'],
    ['PROTOCOL_ERROR', 'api_response_malformed', false, 'maybe'],
  ] as const)('%s keeps its category, retryability and reachedServer', (code, category, retryable, reached) => {
    const outcome = networkOutcome({ category, code, retryable, message: `POST ${TEST_URL}: ${code}`, context: { errno: 'E' } }, reached, { phase: 'headers' });
    const result = failed(outcome);
    expect(result.error).toMatchObject({ category, code, retryable, message: `POST ${TEST_URL}: ${code}` });
    expect(result.reachedServer).toBe(reached);
    expect(result.error.context).toMatchObject({ errno: 'E', reachedServer: reached, phase: 'headers', classifiedBy: `attempt layer (${code})` });
  });

  it('headers that arrived before the failure still give the server’s wish', () => {
    const outcome = networkOutcome({ category: 'network_timeout', code: 'RESPONSE_TIMEOUT', retryable: true }, 'yes', { status: 503, headers: { 'retry-after': '4' }, phase: 'body' });
    const result = failed(outcome);
    expect(result.serverDelayMs).toBe(4_000);
    expect(result.error.statusCode).toBe(503);
  });
});

describe('redaction', () => {
  const CANARY = 'sk_live_CANARY_7f3a9c';

  it('a credential value echoed in an error body never reaches the ErrorDetail', () => {
    const body = jsonBody({ error: { message: `Invalid API key provided: ${CANARY}`, code: 'invalid_api_key' } });
    const result = failed(responseOutcome({ status: 401, body, url: `${TEST_URL}?key=${CANARY}` }), ctx({ redactor: createRedactor([CANARY]) }));
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(result.error.message).toContain('Invalid API key provided: [REDACTED]');
  });

  it('network error messages and context are redacted too', () => {
    const outcome = networkOutcome({ category: 'network_timeout', message: `GET https://x/?token=${CANARY}: timeout`, context: { url: `https://x/?token=${CANARY}` } }, 'maybe', { url: `https://x/?token=${CANARY}` });
    const result = failed(outcome, ctx({ redactor: createRedactor([CANARY]) }));
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });

  it('the catalog being unavailable is stated in the context', () => {
    const result = failed(responseOutcome({ status: 500 }), ctx({ catalogUnavailable: 'API catalog unavailable (boom)' }));
    expect(result.error.context.catalogUnavailable).toBe('API catalog unavailable (boom)');
  });
});
