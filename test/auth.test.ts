import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, createTokenCache } from '../src/auth/auth.ts';
import type { CustomAuthHandler } from '../src/auth/auth.ts';
import { isActionError } from '../src/failure/errors.ts';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import type { Authentication } from '../src/schemas/auth.ts';
import { classifyOutcome } from '../src/failure/classification.ts';
import { makeActionDefinition } from './fixtures.ts';
import { NOW, jsonBody, responseOutcome } from './outcome-fixtures.ts';

const CANARY = 'canary-secret-9f8e7d6c';
const REQ = { method: 'GET' as const, url: 'https://api.example.com/v1/me' };

/** Runs `fn` and returns the ActionError detail it throws (sync or async). */
async function caught(fn: () => unknown): Promise<ErrorDetail> {
  try {
    await fn();
  } catch (error) {
    if (isActionError(error)) {
      expect(ErrorDetailSchema.safeParse(error.detail).success).toBe(true);
      return error.detail;
    }
    throw error;
  }
  throw new Error('expected an ActionError');
}

describe('EXEC-006: authentication headers by scheme', () => {
  it('bearer → Authorization: Bearer <credential>', async () => {
    const auth = createAuthenticator({ type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' }, { credentials: { API_TOKEN: 'tok_123' } });
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer tok_123' });
    expect(auth.headerNames()).toEqual(['authorization']);
    expect(auth.refreshable).toBe(false);
    expect(auth.secrets()).toContain('tok_123');
  });

  it('bearer: a credential that already starts with "Bearer " is not prefixed twice', async () => {
    const auth = createAuthenticator({ type: 'bearer', token: '${credentials.T}', tokenFrom: 'env' }, { credentials: { T: 'Bearer abc.def' } });
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer abc.def' });
  });

  it('api_key → the named header', async () => {
    const auth = createAuthenticator({ type: 'api_key', header: 'X-Api-Key', value: '${credentials.ORDERS_API_KEY}', valueFrom: 'user_input' }, { credentials: { ORDERS_API_KEY: 'key_42' } });
    expect(await auth.hook.headers(REQ)).toEqual({ 'x-api-key': 'key_42' });
    expect(auth.headerNames()).toEqual(['x-api-key']);
  });

  it('api_key may embed the credential in a longer template', async () => {
    const auth = createAuthenticator({ type: 'api_key', header: 'Authorization', value: 'Token token=${credentials.K}', valueFrom: 'env' }, { credentials: { K: 'abcd1234' } });
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Token token=abcd1234' });
    expect(auth.secrets()).toEqual(expect.arrayContaining(['abcd1234', 'Token token=abcd1234']));
  });

  it('no authentication → no headers, and nothing to refresh', async () => {
    const auth = createAuthenticator(undefined, { credentials: {} });
    expect(await auth.hook.headers(REQ)).toEqual({});
    expect((await caught(() => auth.refresh())).code).toBe('AUTH_NOT_REFRESHABLE');
  });

  it('a missing credential → auth_invalid naming it, never any value', async () => {
    const detail = await caught(() =>
      createAuthenticator({ type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' }, { credentials: { OTHER: CANARY } }),
    );
    expect(detail.category).toBe('auth_invalid');
    expect(detail.code).toBe('CREDENTIAL_MISSING');
    expect(detail.message).toContain('API_TOKEN');
    expect(JSON.stringify(detail)).not.toContain(CANARY);
  });

  it('a literal secret in the definition is refused without echoing it', async () => {
    const detail = await caught(() => createAuthenticator({ type: 'bearer', token: CANARY, tokenFrom: 'env' }, { credentials: {} }));
    expect(detail).toMatchObject({ category: 'auth_invalid', code: 'CREDENTIAL_NOT_REFERENCED', context: { field: 'authentication.token' } });
    expect(detail.message).toContain('authentication.token must reference a credential');
    expect(JSON.stringify(detail)).not.toContain(CANARY);
  });

  it('bearer and api_key cannot be refreshed', async () => {
    const auth = createAuthenticator({ type: 'bearer', token: '${credentials.T}', tokenFrom: 'env' }, { credentials: { T: 'abcdef' } });
    expect(await caught(() => auth.refresh())).toMatchObject({ category: 'auth_invalid', code: 'AUTH_NOT_REFRESHABLE' });
  });
});

describe('custom auth handlers registered by name', () => {
  it('the handler receives method, URL and credentials and its headers are added', async () => {
    const seen: Parameters<CustomAuthHandler>[0][] = [];
    const hmac: CustomAuthHandler = (req) => {
      seen.push(req);
      return { 'X-Signature': `sig(${req.method} ${req.url} ${req.credentials.SIGNING_KEY})` };
    };
    const auth = createAuthenticator({ type: 'custom', handler: 'hmac' }, { credentials: { SIGNING_KEY: 'sk-1234' }, customHandlers: { hmac } });
    expect(await auth.hook.headers(REQ)).toEqual({ 'x-signature': 'sig(GET https://api.example.com/v1/me sk-1234)' });
    expect(seen[0]).toMatchObject({ method: 'GET', url: REQ.url, credentials: { SIGNING_KEY: 'sk-1234' } });
    expect(Object.isFrozen(seen[0]?.credentials)).toBe(true);
    expect(auth.headerNames()).toEqual(['x-signature']);
    expect(auth.secrets()).toEqual(expect.arrayContaining(['sk-1234', 'sig(GET https://api.example.com/v1/me sk-1234)']));
  });

  it('async handlers are awaited', async () => {
    const auth = createAuthenticator({ type: 'custom', handler: 'later' }, { credentials: {}, customHandlers: { later: async () => ({ 'X-Session': 'abc12345' }) } });
    expect(await auth.hook.headers(REQ)).toEqual({ 'x-session': 'abc12345' });
  });

  it('an unknown handler → auth_invalid listing the registered names', async () => {
    const detail = await caught(() => createAuthenticator({ type: 'custom', handler: 'hmca' }, { credentials: {}, customHandlers: { hmac: () => ({}), sigv4: () => ({}) } }));
    expect(detail).toMatchObject({ category: 'auth_invalid', code: 'CUSTOM_AUTH_UNKNOWN' });
    expect(detail.message).toBe('authentication.handler "hmca" is not a registered custom auth handler; registered: hmac, sigv4');
  });

  it('with no handlers registered the message says "none"', async () => {
    const detail = await caught(() => createAuthenticator({ type: 'custom', handler: 'x' }, { credentials: {} }));
    expect(detail.message).toContain('registered: none');
  });

  it('a handler that throws → auth_invalid CUSTOM_AUTH_FAILED with credential values redacted', async () => {
    const auth = createAuthenticator({ type: 'custom', handler: 'leaky' }, {
      credentials: { KEY: CANARY },
      customHandlers: {
        leaky: ({ credentials }) => {
          throw new Error(`cannot sign with ${credentials.KEY}`);
        },
      },
    });
    const detail = await caught(() => auth.hook.headers(REQ));
    expect(detail.code).toBe('CUSTOM_AUTH_FAILED');
    expect(detail.message).toBe(`custom auth handler "leaky" failed for GET ${REQ.url}: cannot sign with [REDACTED]`);
  });

  it('an ActionError thrown by a handler keeps its own category', async () => {
    const { actionError } = await import('../src/failure/errors.ts');
    const auth = createAuthenticator({ type: 'custom', handler: 'vault' }, {
      credentials: {},
      customHandlers: { vault: () => Promise.reject(actionError('network_timeout', 'vault did not answer', { retryable: true })) },
    });
    expect(await caught(() => auth.hook.headers(REQ))).toMatchObject({ category: 'network_timeout', retryable: true });
  });

  it('a handler returning non-string header values is rejected', async () => {
    const auth = createAuthenticator({ type: 'custom', handler: 'bad' }, { credentials: {}, customHandlers: { bad: () => ({ 'X-N': 5 }) as unknown as Record<string, string> } });
    expect(await caught(() => auth.hook.headers(REQ))).toMatchObject({ code: 'CUSTOM_AUTH_BAD_HEADERS', message: 'custom auth handler "bad" must return an object of string header values; bad: X-N' });
  });
});

describe('oauth2 against a local token server', () => {
  interface TokenCall { form: URLSearchParams; authorization: string | undefined; contentType: string | undefined }
  let server: Server;
  let tokenUrl: string;
  let calls: TokenCall[];
  let respond: (call: TokenCall, res: ServerResponse) => void;
  let issued: number;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const call = { form: new URLSearchParams(body), authorization: req.headers.authorization, contentType: req.headers['content-type'] };
        calls.push(call);
        respond(call, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    calls = [];
    issued = 0;
    respond = (_call, res) => {
      issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `at-${issued}-xyz`, token_type: 'Bearer', expires_in: 3600 }));
    };
  });

  const oauth = (overrides: Partial<Extract<Authentication, { type: 'oauth2' }>> = {}): Authentication => ({
    type: 'oauth2',
    clientId: 'client-abc',
    clientSecret: '${credentials.CLIENT_SECRET}',
    tokenUrl,
    scope: ['orders:read', 'orders:write'],
    ...overrides,
  });
  const credentials = { CLIENT_SECRET: CANARY, REFRESH: 'rt-original-123' };

  it('client-credentials grant: form fields, scope, and the token as a Bearer header', async () => {
    const auth = createAuthenticator(oauth(), { credentials });
    expect(auth.refreshable).toBe(true);
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-1-xyz' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(calls[0]!.form)).toEqual({ grant_type: 'client_credentials', scope: 'orders:read orders:write', client_id: 'client-abc', client_secret: CANARY });
  });

  it('HTTP Basic client authentication when asked (RFC 6749 §2.3.1)', async () => {
    const auth = createAuthenticator(oauth(), { credentials, oauthClientAuth: 'basic' });
    await auth.hook.headers(REQ);
    expect(calls[0]!.authorization).toBe(`Basic ${Buffer.from(`client-abc:${CANARY}`).toString('base64')}`);
    expect(calls[0]!.form.get('client_secret')).toBeNull();
  });

  it('tokens are cached in memory: many requests, one token request, shared across actions by the cache', async () => {
    const cache = createTokenCache();
    const a = createAuthenticator(oauth(), { credentials, tokenCache: cache });
    const b = createAuthenticator(oauth(), { credentials, tokenCache: cache });
    await Promise.all([a.hook.headers(REQ), a.hook.headers(REQ), b.hook.headers(REQ)]);
    await b.hook.headers(REQ);
    expect(calls).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('a cached token is replaced shortly before expires_in (injected clock)', async () => {
    let now = NOW;
    const auth = createAuthenticator(oauth(), { credentials, now: () => now });
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-1-xyz' });
    now += 3_600_000 - 61_000; // still outside the 60 s safety margin
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-1-xyz' });
    now += 2_000; // inside the margin: fetch a new one before it dies in flight
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-2-xyz' });
    expect(calls).toHaveLength(2);
  });

  it('edge case 3: the token expires mid-execution — 401 → auth_expired, refresh() fetches a new token, the repeat uses it', async () => {
    const cache = createTokenCache();
    const auth = createAuthenticator(oauth(), { credentials, tokenCache: cache });
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-1-xyz' });
    const classification = classifyOutcome(responseOutcome({ status: 401, body: jsonBody({ error: 'invalid_token' }) }), {
      definition: makeActionDefinition({ knownErrors: [] }),
      entry: null,
      method: 'POST',
      refreshableAuth: auth.refreshable,
      idempotencyKeySent: false,
      now: NOW,
    });
    expect(classification).toMatchObject({ ok: false, error: { category: 'auth_expired', retryable: true } });
    await auth.refresh();
    expect(await auth.hook.headers(REQ)).toEqual({ authorization: 'Bearer at-2-xyz' });
    expect(calls).toHaveLength(2);
  });

  it('two actions refreshing at once share one token request; a fresh token is not thrown away', async () => {
    const cache = createTokenCache();
    const a = createAuthenticator(oauth(), { credentials, tokenCache: cache });
    const b = createAuthenticator(oauth(), { credentials, tokenCache: cache });
    await a.hook.headers(REQ);
    await b.hook.headers(REQ);
    await Promise.all([a.refresh(), b.refresh()]);
    expect(calls).toHaveLength(2);
    expect(await a.hook.headers(REQ)).toEqual(await b.hook.headers(REQ));
  });

  it('refresh-token grant when refreshToken is set; a rotated refresh token is used next time', async () => {
    respond = (call, res) => {
      issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `at-${issued}`, expires_in: 60, refresh_token: `rt-rotated-${issued}` }));
      void call;
    };
    const auth = createAuthenticator(oauth({ refreshToken: '${credentials.REFRESH}' }), { credentials });
    await auth.hook.headers(REQ);
    await auth.refresh();
    expect(calls.map((c) => [c.form.get('grant_type'), c.form.get('refresh_token')])).toEqual([
      ['refresh_token', 'rt-original-123'],
      ['refresh_token', 'rt-rotated-1'],
    ]);
    expect(auth.secrets()).toEqual(expect.arrayContaining([CANARY, 'rt-original-123', 'at-1', 'at-2', 'rt-rotated-1', 'rt-rotated-2']));
  });

  it('fetched tokens are announced through onSecret so the redactor learns them at once', async () => {
    const learned: string[] = [];
    const auth = createAuthenticator(oauth(), { credentials, onSecret: (s) => learned.push(s) });
    expect(learned).toContain(CANARY);
    await auth.hook.headers(REQ);
    expect(learned).toContain('at-1-xyz');
  });

  it.each([
    ['invalid_client', 401, 'Client authentication failed'],
    ['invalid_grant', 400, 'Refresh token expired'],
  ])('token endpoint %s → auth_invalid, not retryable, secrets redacted', async (code, status, description) => {
    respond = (_call, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: code, error_description: `${description} (${CANARY})` }));
    const auth = createAuthenticator(oauth(), { credentials });
    const detail = await caught(() => auth.hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'auth_invalid', code, retryable: false, statusCode: status });
    expect(detail.message).toContain(`OAuth2 token request (client_credentials grant) to ${tokenUrl} was rejected with ${status}`);
    expect(detail.message).toContain(`${code}: ${description} ([REDACTED])`);
    expect(JSON.stringify(detail)).not.toContain(CANARY);
  });

  it('invalid_grant on a refresh token says to re-authorize and names the credential', async () => {
    respond = (_call, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
    const auth = createAuthenticator(oauth({ refreshToken: '${credentials.REFRESH}' }), { credentials });
    const detail = await caught(() => auth.hook.headers(REQ));
    expect(detail.suggestion).toContain('Re-authorize to obtain a new refresh token and update the credential (CLIENT_SECRET, REFRESH)');
  });

  it('token endpoint 5xx → retryable api_unexpected_status', async () => {
    respond = (_call, res) => res.writeHead(503).end('upstream down');
    const detail = await caught(() => createAuthenticator(oauth(), { credentials }).hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'api_unexpected_status', retryable: true, statusCode: 503, code: 'TOKEN_HTTP_503' });
    expect(detail.message).toContain('failed with 503 Service Unavailable: upstream down');
  });

  it('token endpoint 429 → retryable rate_limit_burst with retryAfter', async () => {
    respond = (_call, res) => res.writeHead(429, { 'retry-after': '5' }).end();
    const detail = await caught(() => createAuthenticator(oauth(), { credentials, now: () => NOW }).hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'rate_limit_burst', retryable: true, retryAfter: '2026-01-01T00:00:05.000Z' });
  });

  it('a 200 without access_token → api_response_malformed naming the fields it did get', async () => {
    respond = (_call, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"x","expires":1}');
    const detail = await caught(() => createAuthenticator(oauth(), { credentials }).hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'api_response_malformed', code: 'TOKEN_RESPONSE_INVALID', retryable: false });
    expect(detail.message).toContain('without an access_token (fields: token, expires)');
  });

  it('a token endpoint that does not answer in time → retryable network_timeout', async () => {
    respond = () => undefined;
    const detail = await caught(() => createAuthenticator(oauth(), { credentials, timeoutMs: 50 }).hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'network_timeout', code: 'TOKEN_ENDPOINT_TIMEOUT', retryable: true });
    server.closeAllConnections();
  });

  it('a token endpoint that refuses connections → retryable network_connection_refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const detail = await caught(() => createAuthenticator(oauth({ tokenUrl: `http://127.0.0.1:${port}/token` }), { credentials }).hook.headers(REQ));
    expect(detail).toMatchObject({ category: 'network_connection_refused', code: 'TOKEN_ENDPOINT_UNREACHABLE', retryable: true });
    expect(detail.message).toContain('ECONNREFUSED');
  });

  it('a missing client secret credential fails before any token request', async () => {
    const detail = await caught(() => createAuthenticator(oauth(), { credentials: {} }));
    expect(detail).toMatchObject({ category: 'auth_invalid', code: 'CREDENTIAL_MISSING' });
    expect(detail.message).toContain('CLIENT_SECRET');
    expect(calls).toHaveLength(0);
  });
});
