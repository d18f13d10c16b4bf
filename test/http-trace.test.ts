/**
 * The attempt record (EXEC-013, EXEC-014): everything about one attempt, schema-valid, and redacted
 * (DESIGN §5) — no credential value in any attempt record, wherever the server or the request put it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../src/http/attempt-trace.ts';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt, type SendOptions } from '../src/http/http.ts';
import type { AttemptOutcome, AuthHook, PreparedRequest, ResponseOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { expectValidTraces, onRequest, startHttpServer, startTcpServer, type LocalHttpServer } from './http-servers.ts';

const CANARY = 'sk_live_CANARY_5f4dcc3b5aa765d61d8327deb882cf99';
const TOKEN = 'ya29.CANARYTOKEN-a0AfH6SMB';
const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
let server: LocalHttpServer;

beforeAll(async () => {
  server = await startHttpServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/echo-secrets') {
      // A careless API: echoes the key, sets a session cookie, returns a token field.
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Set-Cookie': [`session=${CANARY}; HttpOnly`, 'theme=dark'],
        'X-Request-Id': 'req_123',
        'X-Echo-Key': CANARY,
        'X-Api-Token': 'opaque-server-token',
      });
      res.end(JSON.stringify({ access_token: 'server-issued-token-xyz', you_sent: req.headers['x-api-key'], note: `key ${CANARY} accepted`, body }));
      return;
    }
    if (url.pathname === '/large') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${'x'.repeat(10_000)}${CANARY}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '41', 'X-Custom': 'a' }).end('{"ok":true}');
  });
});
afterAll(async () => {
  await server.close();
  await agent.close();
});

function send(request: PreparedRequest, options: Partial<SendOptions> = {}): Promise<AttemptOutcome> {
  return sendAttempt(request, { timeoutMs: 1_000, redactor: createRedactor([CANARY]), dispatcher: agent, ...options });
}

const auth: AuthHook = { headers: async () => ({ Authorization: `Bearer ${TOKEN}` }) };

describe('the attempt record (EXEC-013, EXEC-014)', () => {
  it('EXEC-014: records timestamp, method, full URL with query, request headers and body, status, duration', async () => {
    const now = (): number => Date.UTC(2026, 0, 1, 12, 0, 0);
    const outcome = (await send(
      { method: 'POST', url: `${server.origin}/orders?dryRun=true`, headers: { 'Content-Type': 'application/json', 'X-Client': 'exec' }, body: '{"amount":1999}' },
      { now },
    )) as ResponseOutcome;
    expectValidTraces(outcome);
    const { trace } = outcome;
    expect(trace.timestamp).toBe('2026-01-01T12:00:00.000Z');
    expect(trace.request).toEqual({
      method: 'POST',
      url: `${server.origin}/orders?dryRun=true`,
      headers: { 'Content-Type': 'application/json', 'X-Client': 'exec' },
      body: '{"amount":1999}',
    });
    expect(trace.response?.status).toBe(200);
    expect(trace.response?.body).toBe('{"ok":true}');
    expect(trace.response?.duration).toBe(0);
    expect(outcome.durationMs).toBe(0);
  });

  it('EXEC-013: every response header is captured, lower-cased', async () => {
    const outcome = (await send({ method: 'GET', url: `${server.origin}/headers`, headers: {} })) as ResponseOutcome;
    expect(outcome.trace.response?.headers).toMatchObject({ 'x-ratelimit-remaining': '41', 'x-custom': 'a', 'content-type': 'application/json' });
    expect(outcome.trace.response?.headers.date).toMatch(/GMT$/);
    expect(outcome.headers).toEqual(outcome.trace.response?.headers);
  });

  it('the preview is capped, says how much was cut, and still redacts a secret past the cut-off region', async () => {
    const outcome = (await send({ method: 'GET', url: `${server.origin}/large`, headers: {} }, { previewBytes: 100 })) as ResponseOutcome;
    expect(outcome.trace.response?.body).toBe(`${'x'.repeat(100)}…[truncated: 100 characters shown of ${10_000 + CANARY.length} bytes]`);
    expect(outcome.body.text?.endsWith(CANARY)).toBe(true); // the body itself is for classification, not for records
  });

  it('a network failure after headers records the response received so far and the error', async () => {
    const tcp = await startTcpServer((socket) =>
      onRequest(socket, (s) => {
        s.write(`HTTP/1.1 503 Service Unavailable\r\nContent-Length: 500\r\nX-Echo: ${CANARY}\r\n\r\nupstream ${CANARY} down`);
        setTimeout(() => s.end(), 10);
      }),
    );
    try {
      const outcome = await send({ method: 'GET', url: `${tcp.origin}/x`, headers: {} });
      expectValidTraces(outcome);
      expect(outcome.trace.response).toMatchObject({ status: 503, body: 'upstream [REDACTED] down' });
      expect(outcome.trace.response?.headers['x-echo']).toBe('[REDACTED]');
      expect(outcome.trace.error?.code).toBe('PARTIAL_RESPONSE');
    } finally {
      await tcp.close();
    }
  });
});

describe('redaction: no credential value in any attempt record', () => {
  it('credentials never appear in the trace or the error, wherever they were (header, URL, body, cookies, echoes)', async () => {
    const redactor = createRedactor([CANARY]);
    const outcome = await sendAttempt(
      {
        method: 'POST',
        url: `${server.origin}/echo-secrets?api_key=${CANARY}&page=2`,
        headers: { 'X-Api-Key': CANARY, 'Content-Type': 'application/json', Cookie: `sid=${CANARY}` },
        body: JSON.stringify({ password: 'hunter2-password', name: 'Ada', apiKey: CANARY }),
        credentialHeaders: ['X-Api-Key'],
      },
      { timeoutMs: 1_000, redactor, auth, dispatcher: agent },
    );
    expectValidTraces(outcome);
    const record = JSON.stringify(outcome.trace);
    for (const secret of [CANARY, TOKEN, 'hunter2-password', 'server-issued-token-xyz', 'opaque-server-token']) expect(record).not.toContain(secret);
    expect(outcome.trace.request.url).toBe(`${server.origin}/echo-secrets?api_key=[REDACTED]&page=2`);
    expect(outcome.trace.request.headers).toMatchObject({ Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]', Cookie: '[REDACTED]' });
    expect(JSON.parse(outcome.trace.request.body!)).toEqual({ password: '[REDACTED]', name: 'Ada', apiKey: '[REDACTED]' });
    expect(outcome.trace.response?.headers['set-cookie']).toBe('[REDACTED]');
    expect(outcome.trace.response?.headers['x-request-id']).toBe('req_123');
    // The auth hook's token was unknown to the redactor before the attempt; the attempt taught it.
    expect(redactor.text(`Bearer ${TOKEN}`)).not.toContain(TOKEN);
  });

  it('error messages are redacted too (a secret in the URL of a refused connection)', async () => {
    const outcome = await send({ method: 'GET', url: `http://127.0.0.1:1/x?token=${CANARY}`, headers: {} });
    expect(outcome.kind).toBe('network_error');
    expect(JSON.stringify(outcome)).not.toContain(CANARY);
  });

  it('redactUrl hides user:password, secret-named query values and known secrets, and stays a URL', () => {
    const redactor = createRedactor(['s3cr3tvalue']);
    const redacted = redactUrl('https://bob:pa55word@api.example.com/v1/s3cr3tvalue/items?access_token=abc&sig=1&Signature=x&q=ok#frag', redactor);
    expect(redacted).toBe('https://bob:[REDACTED]@api.example.com/v1/[REDACTED]/items?access_token=[REDACTED]&sig=1&Signature=[REDACTED]&q=ok#frag');
    expect(() => new URL(redacted)).not.toThrow();
  });
});
