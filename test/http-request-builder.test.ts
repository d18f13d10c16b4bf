/**
 * Request building (DESIGN §4, EXEC-005) and the authentication hook on the wire (EXEC-006): what the
 * definition and inputs turn into, checked on the PreparedRequest and on what a real server received.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isActionError } from '../src/failure/errors.ts';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt } from '../src/http/http.ts';
import type { AuthHook, NetworkErrorOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { buildRequest, idempotencyKeyFor } from '../src/http/request-builder.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import { EXECUTION_ID, makeActionDefinition } from './fixtures.ts';
import { startHttpServer, type LocalHttpServer } from './http-servers.ts';

const CREDENTIALS = { ORDERS_API_KEY: 'sk_test_51HxYzFixtureKey', TENANT_TOKEN: 'tnt_9a8b7c6d5e' };
const OPTS = { executionId: EXECUTION_ID, actionId: 'create_order', credentials: CREDENTIALS };

function definition(endpoint: Partial<ActionDefinition['endpoint']>): ActionDefinition {
  const base = makeActionDefinition();
  return makeActionDefinition({ endpoint: { ...base.endpoint, ...endpoint } });
}

/** Runs `fn` and returns the ActionError detail it throws. */
function thrown(fn: () => unknown): ErrorDetail {
  try {
    fn();
  } catch (error) {
    if (isActionError(error)) return error.detail;
    throw error;
  }
  throw new Error('expected an ActionError');
}

describe('URL placeholders and the rest of the inputs', () => {
  it('fills {param} placeholders URL-encoded, so an input cannot change the path', () => {
    const request = buildRequest(definition({ url: 'https://api.example.com/v1/customers/{customerId}/orders' }), { customerId: 'cus 42/../admin?x=ü', amount: 5 }, OPTS);
    expect(request.url).toBe('https://api.example.com/v1/customers/cus%2042%2F..%2Fadmin%3Fx%3D%C3%BC/orders');
  });

  it('a missing placeholder input is validation_failed naming the placeholder and the inputs given', () => {
    const detail = thrown(() => buildRequest(definition({}), { amount: 5, currency: 'EUR' }, OPTS));
    expect(detail).toMatchObject({ category: 'validation_failed', code: 'MISSING_PLACEHOLDER_INPUT', context: { placeholder: 'customerId', field: 'endpoint.url' } });
    expect(detail.message).toBe(
      'Definition "create_order"@1.2.0: endpoint.url needs input "customerId" for its {customerId} placeholder, but the inputs have no value for it (inputs given: amount, currency).',
    );
  });

  it('an object for a path placeholder is refused (INVALID_PLACEHOLDER_INPUT)', () => {
    const detail = thrown(() => buildRequest(definition({}), { customerId: { id: 1 } }, OPTS));
    expect(detail.code).toBe('INVALID_PLACEHOLDER_INPUT');
    expect(detail.message).toContain('needs a string, number or boolean, but the input is a object');
  });

  it('GET: the inputs no placeholder used go to the query string (arrays repeat, objects as JSON), after any query the URL has', () => {
    const request = buildRequest(
      definition({ url: 'https://api.example.com/v1/users/{id}?expand=profile', method: 'GET' }),
      { id: 'u1', role: ['admin', 'billing'], filter: { active: true }, limit: 10, skip: null },
      OPTS,
    );
    const url = new URL(request.url);
    expect(url.pathname).toBe('/v1/users/u1');
    expect(url.searchParams.getAll('role')).toEqual(['admin', 'billing']);
    expect(url.searchParams.get('filter')).toBe('{"active":true}');
    expect(url.searchParams.get('limit')).toBe('10');
    expect(url.searchParams.get('expand')).toBe('profile');
    expect(url.searchParams.has('skip')).toBe(false);
    expect(url.searchParams.has('id')).toBe(false);
    expect(request.body).toBeUndefined();
  });

  it('DELETE also sends its inputs as the query string', () => {
    const request = buildRequest(definition({ url: 'https://api.example.com/v1/orders/{orderId}', method: 'DELETE' }), { orderId: 'o1', reason: 'duplicate' }, OPTS);
    expect(request.url).toBe('https://api.example.com/v1/orders/o1?reason=duplicate');
    expect(request.body).toBeUndefined();
  });

  it.each(['POST', 'PUT', 'PATCH'] as const)('%s: the remaining inputs are the JSON body, typed as JSON', (method) => {
    const request = buildRequest(definition({ method, headers: {} }), { customerId: 'cus_42', amount: 1999, currency: 'EUR', items: [{ sku: 'a' }] }, OPTS);
    expect(JSON.parse(request.body!)).toEqual({ amount: 1999, currency: 'EUR', items: [{ sku: 'a' }] });
    expect(request.headers['Content-Type']).toBe('application/json');
    expect(request.url).toBe('https://api.example.com/v1/customers/cus_42/orders');
  });
});

describe('headers (EXEC-005)', () => {
  it('EXEC-005: every static header of the definition is included verbatim, plus a JSON Accept default', () => {
    const headers = { 'X-Api-Version': '2024-06-01', 'X-Client': 'executor', Accept: 'application/vnd.api+json' };
    const request = buildRequest(definition({ headers }), { customerId: 'c' }, OPTS);
    expect(request.headers).toMatchObject(headers);
    expect(Object.keys(request.headers).filter((name) => name.toLowerCase() === 'accept')).toEqual(['Accept']);
    const plain = buildRequest(definition({ headers: {} }), { customerId: 'c' }, OPTS);
    expect(plain.headers.Accept).toBe('application/json, */*;q=0.5');
  });

  it('EXEC-005: a {param} in a header value is filled and that input is not also sent in the body', () => {
    const request = buildRequest(definition({ headers: { 'X-Tenant': 'tenant-{tenantId}' } }), { customerId: 'c', tenantId: 't9', amount: 1 }, OPTS);
    expect(request.headers['X-Tenant']).toBe('tenant-t9');
    expect(JSON.parse(request.body!)).toEqual({ amount: 1 });
  });

  it('{idempotencyKey} fills a deterministic key, sets idempotencyKey, and differs per action and execution', () => {
    const def = definition({ headers: { 'Idempotency-Key': '{idempotencyKey}' } });
    const first = buildRequest(def, { customerId: 'c' }, OPTS);
    const again = buildRequest(def, { customerId: 'c', amount: 99 }, OPTS);
    expect(first.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.headers['Idempotency-Key']).toBe(first.idempotencyKey);
    expect(again.idempotencyKey).toBe(first.idempotencyKey);
    expect(idempotencyKeyFor(EXECUTION_ID, 'other_action')).not.toBe(first.idempotencyKey);
    expect(idempotencyKeyFor('5c1f5d3e-0000-4000-8000-000000000000', 'create_order')).not.toBe(first.idempotencyKey);
    expect(buildRequest(definition({ headers: {} }), { customerId: 'c' }, OPTS).idempotencyKey).toBeUndefined();
  });

  it('the idempotency key is the same in a fresh process, as after a crash and resume', () => {
    const script = `import { idempotencyKeyFor } from './src/http/request-builder.ts'; process.stdout.write(idempotencyKeyFor(${JSON.stringify(EXECUTION_ID)}, 'create_order'));`;
    const fromChild = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    expect(fromChild).toBe(idempotencyKeyFor(EXECUTION_ID, 'create_order'));
  });

  it('${credentials.NAME} in a header is resolved and the header is marked as carrying a credential', () => {
    const request = buildRequest(definition({ headers: { 'X-Tenant-Token': 'Token ${credentials.TENANT_TOKEN}', 'X-Plain': 'v' } }), { customerId: 'c' }, OPTS);
    expect(request.headers['X-Tenant-Token']).toBe(`Token ${CREDENTIALS.TENANT_TOKEN}`);
    expect(request.credentialHeaders).toEqual(['X-Tenant-Token']);
  });

  it('a missing credential is auth_invalid naming it, never showing any credential value', () => {
    const detail = thrown(() => buildRequest(definition({ headers: { 'X-Key': '${credentials.MISSING_KEY}' } }), { customerId: 'c' }, OPTS));
    expect(detail.category).toBe('auth_invalid');
    expect(detail.message).toContain('MISSING_KEY');
    for (const value of Object.values(CREDENTIALS)) expect(JSON.stringify(detail)).not.toContain(value);
  });

  it('an input value that looks like a credential reference is sent literally, never resolved', () => {
    const request = buildRequest(definition({ headers: { 'X-Note': 'note: {note}' } }), { customerId: 'c', note: '${credentials.ORDERS_API_KEY}' }, OPTS);
    expect(request.headers['X-Note']).toBe('note: ${credentials.ORDERS_API_KEY}');
  });

  it('an input with a line break cannot inject a header: INVALID_HEADER, without echoing the value', () => {
    const detail = thrown(() => buildRequest(definition({ headers: { 'X-Note': '{note}' } }), { customerId: 'c', note: 'hi\r\nX-Admin: true' }, OPTS));
    expect(detail.code).toBe('INVALID_HEADER');
    expect(detail.message).not.toContain('X-Admin');
  });

  it('references are refused in the URL, where they would be logged and cached', () => {
    const detail = thrown(() => buildRequest(definition({ url: 'https://api.example.com/v1/x?key=${credentials.ORDERS_API_KEY}' }), {}, OPTS));
    expect(detail.code).toBe('REFERENCE_IN_URL');
  });

  it("quirks.requiresUserAgent sets User-Agent unless the definition sets its own", () => {
    expect(buildRequest(definition({ headers: {} }), { customerId: 'c' }, { ...OPTS, userAgent: 'MyApp/1.0 (ops@example.com)' }).headers['User-Agent']).toBe('MyApp/1.0 (ops@example.com)');
    const own = buildRequest(definition({ headers: { 'user-agent': 'Custom/2' } }), { customerId: 'c' }, { ...OPTS, userAgent: 'MyApp/1.0' });
    expect(own.headers['user-agent']).toBe('Custom/2');
    expect(own.headers['User-Agent']).toBeUndefined();
  });
});

describe('on the wire (EXEC-005, EXEC-006)', () => {
  let server: LocalHttpServer;
  const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"orderId":"ord_1","status":"pending"}'));
  });
  afterAll(async () => {
    await server.close();
    await agent.close();
  });

  it('EXEC-005/EXEC-006: the server receives the definition headers, the JSON body and the stub auth hook headers', async () => {
    const calls: { method: string; url: string }[] = [];
    const auth: AuthHook = {
      async headers(request) {
        calls.push(request);
        return { 'X-Api-Key': CREDENTIALS.ORDERS_API_KEY };
      },
    };
    const def = definition({ url: `${server.origin}/v1/customers/{customerId}/orders`, headers: { 'Idempotency-Key': '{idempotencyKey}', 'X-Api-Version': '2024-06-01' } });
    const request = buildRequest(def, { customerId: 'cus_42', amount: 1999, currency: 'EUR' }, OPTS);
    const outcome = await sendAttempt(request, { timeoutMs: 1_000, redactor: createRedactor(), auth, dispatcher: agent });
    expect(outcome.kind).toBe('response');
    const received = server.requests.at(-1)!;
    expect(received).toMatchObject({ method: 'POST', url: '/v1/customers/cus_42/orders' });
    expect(received.headers['x-api-key']).toBe(CREDENTIALS.ORDERS_API_KEY);
    expect(received.headers['idempotency-key']).toBe(request.idempotencyKey);
    expect(received.headers['x-api-version']).toBe('2024-06-01');
    expect(received.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received.body)).toEqual({ amount: 1999, currency: 'EUR' });
    expect(calls).toEqual([{ method: 'POST', url: request.url }]);
    expect(outcome.trace.request.headers['X-Api-Key']).toBe('[REDACTED]');
  });

  it('EXEC-006: an auth header replaces a definition header of the same name in any letter case', async () => {
    const auth: AuthHook = { headers: async () => ({ Authorization: 'Bearer fresh-token-value' }) };
    const request = { method: 'GET' as const, url: `${server.origin}/me`, headers: { authorization: 'Bearer stale' } };
    await sendAttempt(request, { timeoutMs: 1_000, redactor: createRedactor(), auth, dispatcher: agent });
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer fresh-token-value');
  });

  it('EXEC-006: an auth hook that throws ends the attempt before anything is sent (reachedServer no)', async () => {
    const before = server.requests.length;
    const auth: AuthHook = {
      headers: async () => {
        throw new Error('token endpoint said invalid_client');
      },
    };
    const outcome = (await sendAttempt({ method: 'POST', url: `${server.origin}/x`, headers: {}, body: '{}' }, { timeoutMs: 1_000, redactor: createRedactor(), auth, dispatcher: agent })) as NetworkErrorOutcome;
    expect(outcome.kind).toBe('network_error');
    expect(outcome.error).toMatchObject({ category: 'auth_invalid', code: 'AUTH_HOOK_FAILED' });
    expect(outcome.reachedServer).toBe('no');
    expect(server.requests.length).toBe(before);
  });

  it('a hanging auth hook cannot outlast the attempt deadline', async () => {
    const auth: AuthHook = { headers: () => new Promise(() => undefined) };
    const outcome = (await sendAttempt({ method: 'GET', url: `${server.origin}/x`, headers: {} }, { timeoutMs: 80, redactor: createRedactor(), auth, dispatcher: agent })) as NetworkErrorOutcome;
    expect(outcome.error.code).toBe('CONNECT_TIMEOUT');
    expect(outcome.error.message).toContain('the authentication hook did not return its headers within the 80 ms attempt deadline');
    expect(outcome.reachedServer).toBe('no');
  });

  it('an unusable request is refused up front with validation_failed (not a network outcome)', async () => {
    await expect(sendAttempt({ method: 'GET', url: 'ftp://example.com/x', headers: {} }, { timeoutMs: 100, redactor: createRedactor() })).rejects.toMatchObject({
      detail: { category: 'validation_failed', code: 'INVALID_REQUEST' },
    });
    await expect(sendAttempt({ method: 'GET', url: `${server.origin}/x`, headers: {} }, { timeoutMs: 0, redactor: createRedactor() })).rejects.toMatchObject({
      detail: { context: { field: 'endpoint.timeout' } },
    });
  });
});
