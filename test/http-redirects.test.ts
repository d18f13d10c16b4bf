/**
 * Manual redirects (DESIGN §4): same origin keeps authentication (the hook is asked again per hop),
 * another origin loses every credential header, at most 5 hops, loops detected, method rules.
 * Two real servers on different ports are two origins.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt, type SendOptions } from '../src/http/http.ts';
import type { AttemptOutcome, AuthHook, NetworkErrorOutcome, PreparedRequest, ResponseOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { expectValidTraces, startHttpServer, type LocalHttpServer } from './http-servers.ts';

const TOKEN = 'tok_live_7Q2x9ZcanaryR4';
const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
let api: LocalHttpServer;
let other: LocalHttpServer;

/** `/redirect/<status>?to=<url>` redirects; `/loop/<n>` redirects to `/loop/<n+1>` or back; anything else echoes. */
function handler(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://local');
  const redirect = /^\/redirect\/(\d{3})$/.exec(url.pathname);
  if (redirect) {
    res.writeHead(Number(redirect[1]), { Location: url.searchParams.get('to') ?? '/' }).end();
    return;
  }
  const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
  if (chain) {
    const n = Number(chain[1]);
    if (n > 0) res.writeHead(302, { Location: `/chain/${n - 1}` }).end();
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"arrived":true}');
    return;
  }
  if (url.pathname === '/loop/a') return void res.writeHead(302, { Location: '/loop/b' }).end();
  if (url.pathname === '/loop/b') return void res.writeHead(302, { Location: '/loop/a' }).end();
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, path: url.pathname, body }));
}

beforeAll(async () => {
  api = await startHttpServer(handler);
  other = await startHttpServer(handler);
});
afterAll(async () => {
  await api.close();
  await other.close();
  await agent.close();
});

function recordingAuth(): AuthHook & { calls: { method: string; url: string }[] } {
  const calls: { method: string; url: string }[] = [];
  return {
    calls,
    async headers(request) {
      calls.push(request);
      return { Authorization: `Bearer ${TOKEN}` };
    },
  };
}

function send(request: PreparedRequest, options: Partial<SendOptions> = {}): Promise<AttemptOutcome> {
  return sendAttempt(request, { timeoutMs: 1_000, redactor: createRedactor(), dispatcher: agent, ...options });
}

const redirectTo = (server: LocalHttpServer, status: number, to: string): string => `${server.origin}/redirect/${status}?to=${encodeURIComponent(to)}`;

describe('origins and credentials', () => {
  it('same-origin redirect keeps authentication: the hook is asked again for the new URL', async () => {
    const auth = recordingAuth();
    const outcome = (await send({ method: 'GET', url: redirectTo(api, 302, '/final'), headers: {} }, { auth })) as ResponseOutcome;
    expect(outcome.kind).toBe('response');
    expect(outcome.redirects).toEqual([`${api.origin}/final`]);
    expect(auth.calls.map((c) => c.url)).toEqual([redirectTo(api, 302, '/final'), `${api.origin}/final`]);
    expect(api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectValidTraces(outcome);
  });

  it('cross-origin redirect drops every credential header: the auth hook\'s, credential-templated ones and Cookie', async () => {
    const auth = recordingAuth();
    const before = other.requests.length;
    const outcome = (await send(
      {
        method: 'GET',
        url: redirectTo(api, 302, `${other.origin}/landing`),
        headers: { 'X-Tenant-Token': 'tnt_secret_value', Cookie: 'session=abc123', 'X-Trace': 'keep-me' },
        credentialHeaders: ['X-Tenant-Token'],
      },
      { auth, authHeaderNames: ['Authorization'] },
    )) as ResponseOutcome;
    expect(outcome.kind).toBe('response');
    expect(other.requests.length).toBe(before + 1);
    const landed = other.requests.at(-1)!.headers;
    expect(landed.authorization).toBeUndefined();
    expect(landed['x-tenant-token']).toBeUndefined();
    expect(landed.cookie).toBeUndefined();
    expect(landed['x-trace']).toBe('keep-me');
    expect(auth.calls).toHaveLength(1);
    expect(JSON.stringify(other.requests.at(-1))).not.toContain(TOKEN);
  });

  it('once an attempt has left its origin, a redirect back does not get the credentials again', async () => {
    const auth = recordingAuth();
    const back = redirectTo(other, 307, `${api.origin}/home`);
    await send({ method: 'GET', url: redirectTo(api, 302, back), headers: {} }, { auth });
    expect(api.requests.at(-1)!.url).toBe('/home');
    expect(api.requests.at(-1)!.headers.authorization).toBeUndefined();
    expect(auth.calls).toHaveLength(1);
  });
});

describe('methods and bodies', () => {
  it('303 turns a POST into a GET without body or Content-Type', async () => {
    const outcome = (await send({ method: 'POST', url: redirectTo(api, 303, '/created'), headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' })) as ResponseOutcome;
    expect(outcome.body.json).toEqual({ method: 'GET', path: '/created', body: '' });
    expect(api.requests.at(-1)!.headers['content-type']).toBeUndefined();
  });

  it.each([307, 308])('%i keeps the method and the body', async (status) => {
    const outcome = (await send({ method: 'PUT', url: redirectTo(api, status, '/moved'), headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' })) as ResponseOutcome;
    expect(outcome.body.json).toEqual({ method: 'PUT', path: '/moved', body: '{"a":1}' });
  });

  it('301 after a POST becomes a GET (as the Fetch standard does); after a PATCH it keeps the method', async () => {
    const post = (await send({ method: 'POST', url: redirectTo(api, 301, '/p'), headers: {}, body: '{}' })) as ResponseOutcome;
    expect(post.body.json).toMatchObject({ method: 'GET' });
    const patch = (await send({ method: 'PATCH', url: redirectTo(api, 301, '/p'), headers: {}, body: '{"b":2}' })) as ResponseOutcome;
    expect(patch.body.json).toEqual({ method: 'PATCH', path: '/p', body: '{"b":2}' });
  });
});

describe('limits', () => {
  it('exactly 5 redirects are followed, and each hop has its own trace entry', async () => {
    const outcome = (await send({ method: 'GET', url: `${api.origin}/chain/5`, headers: {} })) as ResponseOutcome;
    expect(outcome.kind).toBe('response');
    expect(outcome.redirects).toHaveLength(5);
    expect(outcome.redirectTraces?.map((t) => t.response?.status)).toEqual([302, 302, 302, 302, 302]);
    expect(outcome.trace.request.url).toBe(`${api.origin}/chain/0`);
    expectValidTraces(outcome);
  });

  it('a sixth redirect is TOO_MANY_REDIRECTS (api_unexpected_status), listing the chain', async () => {
    const outcome = (await send({ method: 'GET', url: `${api.origin}/chain/6`, headers: {} })) as NetworkErrorOutcome;
    expect(outcome.kind).toBe('network_error');
    expect(outcome.error).toMatchObject({ category: 'api_unexpected_status', code: 'TOO_MANY_REDIRECTS', statusCode: 302, retryable: false });
    expect(outcome.error.message).toBe(
      `GET ${api.origin}/chain/6: gave up after 5 redirects (${[6, 5, 4, 3, 2, 1, 0].map((n) => `${api.origin}/chain/${n}`).join(' → ')}).`,
    );
    expect(outcome.reachedServer).toBe('yes');
    expectValidTraces(outcome);
  });

  it('a redirect loop is REDIRECT_LOOP, detected before the hop limit', async () => {
    const outcome = (await send({ method: 'GET', url: `${api.origin}/loop/a`, headers: {} })) as NetworkErrorOutcome;
    expect(outcome.error).toMatchObject({ category: 'api_unexpected_status', code: 'REDIRECT_LOOP' });
    expect(outcome.error.message).toBe(`GET ${api.origin}/loop/a: redirect loop: ${api.origin}/loop/a → ${api.origin}/loop/b → ${api.origin}/loop/a.`);
    expect(outcome.redirectTraces).toHaveLength(1);
  });

  it('a redirect to another scheme is not followed (INVALID_REDIRECT)', async () => {
    const outcome = (await send({ method: 'GET', url: redirectTo(api, 302, 'file:///etc/passwd'), headers: {} })) as NetworkErrorOutcome;
    expect(outcome.error.code).toBe('INVALID_REDIRECT');
  });
});
