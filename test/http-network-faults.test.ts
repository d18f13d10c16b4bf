/**
 * Every row of the DESIGN §5 network table produced by a real fault against a real local server
 * (EXEC-007, EXEC-017, EXEC-018, edge cases 2 and 6), with its code, category, retryability and
 * reached-server verdict.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt, type SendOptions } from '../src/http/http.ts';
import type { AttemptOutcome, NetworkErrorOutcome, PreparedRequest } from '../src/http/http-types.ts';
import { describeNetworkFailure, NETWORK_ERROR_TABLE } from '../src/http/network-errors.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import {
  closedPort,
  expectValidTraces,
  onRequest,
  startBlackholeServer,
  startHttpServer,
  startStubDns,
  startTcpServer,
} from './http-servers.ts';

const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
afterAll(async () => {
  await agent.close();
});

function get(url: string, extra: Partial<PreparedRequest> = {}): PreparedRequest {
  return { method: 'GET', url, headers: { Accept: 'application/json' }, ...extra };
}

function send(request: PreparedRequest, options: Partial<SendOptions> = {}): Promise<AttemptOutcome> {
  return sendAttempt(request, { timeoutMs: 150, redactor: createRedactor(), dispatcher: agent, ...options });
}

/** Asserts a network error with the table row of its code, and returns it narrowed. */
function expectNetworkError(outcome: AttemptOutcome, code: keyof typeof NETWORK_ERROR_TABLE): NetworkErrorOutcome {
  expect(outcome.kind, JSON.stringify(outcome)).toBe('network_error');
  const failure = outcome as NetworkErrorOutcome;
  const row = NETWORK_ERROR_TABLE[code];
  expect(failure.error.code).toBe(code);
  expect(failure.error.category).toBe(row.category);
  expect(failure.error.retryable).toBe(row.retryable);
  expect(failure.reachedServer).toBe(row.reachedServer);
  expect(ErrorDetailSchema.safeParse(failure.error).success).toBe(true);
  expect(failure.trace.error).toEqual(failure.error);
  expectValidTraces(failure);
  return failure;
}

describe('connect-phase failures (request never sent)', () => {
  it('EXEC-017: CONNECTION_REFUSED when nothing listens on the port; the message names the operation', async () => {
    const port = await closedPort();
    const outcome = expectNetworkError(await send(get(`http://127.0.0.1:${port}/x?q=1`)), 'CONNECTION_REFUSED');
    expect(outcome.phase).toBe('connect');
    expect(outcome.error.message).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/x\\?q=1: connection refused by 127\\.0\\.0\\.1:${port}`));
    expect(outcome.error.context).toMatchObject({ causeCode: 'ECONNREFUSED', phase: 'connect', reachedServer: 'no' });
    expect(outcome.status).toBeUndefined();
  });

  it('EXEC-017: DNS_NOT_FOUND for a .invalid host (NXDOMAIN from a local DNS server) is categorized apart from connection refused and not retryable', async () => {
    const dns = await startStubDns(3);
    const dnsAgent = createHttpAgent({ lookup: dns.lookup });
    try {
      const outcome = expectNetworkError(await send(get('http://api.does-not-exist.invalid/v1/users'), { dispatcher: dnsAgent }), 'DNS_NOT_FOUND');
      expect(dns.queries()).toBeGreaterThan(0);
      expect(outcome.error.message).toContain('DNS lookup of "api.does-not-exist.invalid" found no such host (ENOTFOUND)');
      expect(outcome.error.category).toBe('network_connection_refused');
      expect(outcome.error.retryable).toBe(false);
    } finally {
      await dnsAgent.close();
      await dns.close();
    }
  });

  it('EXEC-017: DNS_TEMPORARY when the resolver answers SERVFAIL (a local DNS server) — retryable, not sent', async () => {
    const dns = await startStubDns(2);
    const dnsAgent = createHttpAgent({ lookup: dns.lookup });
    try {
      const outcome = expectNetworkError(await send(get('http://api.example.test/v1/users'), { dispatcher: dnsAgent }), 'DNS_TEMPORARY');
      expect(dns.queries()).toBeGreaterThan(0);
      expect(outcome.error.message).toContain('DNS lookup of "api.example.test" failed temporarily (ESERVFAIL)');
    } finally {
      await dnsAgent.close();
      await dns.close();
    }
  });

  it("EXEC-017: CONNECT_TIMEOUT from undici's own connect timeout (UND_ERR_CONNECT_TIMEOUT) when SYNs are dropped", async () => {
    const blackhole = await startBlackholeServer();
    // undici's connect timer has ~1 s resolution, so this one test takes about a second of wall time.
    const slowAgent = createHttpAgent({ connectTimeoutMs: 100 });
    try {
      const outcome = expectNetworkError(await send(get(`${blackhole.origin}/x`), { dispatcher: slowAgent, timeoutMs: 5_000 }), 'CONNECT_TIMEOUT');
      expect(outcome.error.context.causeCode).toBe('UND_ERR_CONNECT_TIMEOUT');
      expect(outcome.phase).toBe('connect');
    } finally {
      await slowAgent.close();
      await blackhole.close();
    }
  });

  it('EXEC-007: CONNECT_TIMEOUT when the attempt deadline fires while still connecting (reachedServer no)', async () => {
    const blackhole = await startBlackholeServer();
    try {
      const started = Date.now();
      const outcome = expectNetworkError(await send(get(`${blackhole.origin}/x`), { timeoutMs: 100 }), 'CONNECT_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(outcome.error.message).toContain(`could not connect to 127.0.0.1:${blackhole.port} within the 100 ms attempt deadline (endpoint.timeout)`);
      expect(outcome.error.context.deadline).toBe('attempt');
    } finally {
      await blackhole.close();
    }
  });
});

describe('timeouts after connecting (EXEC-007, edge case 6: request vs response)', () => {
  it('edge case 6: REQUEST_TIMEOUT when the server accepts but never responds — reachedServer maybe', async () => {
    const server = await startTcpServer(() => undefined);
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/slow`), { timeoutMs: 120 }), 'REQUEST_TIMEOUT');
      expect(outcome.phase).toBe('request');
      expect(outcome.error.message).toContain('no response headers within the 120 ms attempt deadline');
      expect(outcome.status).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('edge case 6: RESPONSE_TIMEOUT when headers arrive and the body stalls — the deadline covers the body', async () => {
    const server = await startTcpServer((socket) =>
      onRequest(socket, (s) => s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":')),
    );
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/stall`), { timeoutMs: 120 }), 'RESPONSE_TIMEOUT');
      expect(outcome.phase).toBe('body');
      expect(outcome.status).toBe(200);
      expect(outcome.headers?.['content-length']).toBe('100');
      expect(outcome.error.message).toContain('received 11 of 100 promised bytes');
      expect(outcome.trace.response?.body).toBe('{"partial":');
    } finally {
      await server.close();
    }
  });
});

describe('dropped connections (EXEC-018, edge case 2)', () => {
  it('CONNECTION_RESET when the server resets the connection before response headers (ECONNRESET)', async () => {
    const server = await startTcpServer((socket) => onRequest(socket, (s) => s.resetAndDestroy()));
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/x`)), 'CONNECTION_RESET');
      expect(outcome.error.context.causeCode).toBe('ECONNRESET');
      expect(outcome.phase).toBe('request');
    } finally {
      await server.close();
    }
  });

  it('CONNECTION_RESET when the server closes the socket before response headers (UND_ERR_SOCKET)', async () => {
    const server = await startTcpServer((socket) => onRequest(socket, (s) => s.destroy()));
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/x`)), 'CONNECTION_RESET');
      expect(outcome.error.context.causeCode).toBe('UND_ERR_SOCKET');
    } finally {
      await server.close();
    }
  });

  it('EXEC-018: PARTIAL_RESPONSE when Content-Length is promised and the socket closes early', async () => {
    const server = await startTcpServer((socket) =>
      onRequest(socket, (s) => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{"id":1,"na');
        setTimeout(() => s.end(), 10);
      }),
    );
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/user`)), 'PARTIAL_RESPONSE');
      expect(outcome.phase).toBe('body');
      expect(outcome.status).toBe(200);
      expect(outcome.error.message).toContain('received 11 of 64 promised bytes before the connection dropped');
      expect(outcome.error.context).toMatchObject({ bytesReceived: '11', contentLength: '64', status: '200' });
    } finally {
      await server.close();
    }
  });

  it('EXEC-018: PARTIAL_RESPONSE when a chunked body is cut off before its last chunk', async () => {
    const server = await startTcpServer((socket) =>
      onRequest(socket, (s) => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n[1,2,3\r\n');
        setTimeout(() => s.end(), 10);
      }),
    );
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/list`)), 'PARTIAL_RESPONSE');
      expect(outcome.error.context.bytesReceived).toBe('6');
      expect(outcome.error.context.contentLength).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('edge case 2: PARTIAL_RESPONSE when the connection is reset mid-body (ECONNRESET)', async () => {
    const server = await startTcpServer((socket) =>
      onRequest(socket, (s) => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nhello');
        setTimeout(() => s.resetAndDestroy(), 10);
      }),
    );
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/x`)), 'PARTIAL_RESPONSE');
      expect(outcome.error.context.causeCode).toBe('ECONNRESET');
      expect(outcome.reachedServer).toBe('yes');
    } finally {
      await server.close();
    }
  });
});

describe('protocol and size', () => {
  it('PROTOCOL_ERROR when something other than HTTP answers (an SSH banner), not retryable', async () => {
    const server = await startTcpServer((socket) => onRequest(socket, (s) => s.end('SSH-2.0-OpenSSH_9.6\r\n')));
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/`)), 'PROTOCOL_ERROR');
      expect(outcome.phase).toBe('headers');
      expect(outcome.error.message).toContain('is not valid HTTP/1.1');
      expect(outcome.error.message).toContain('Expected HTTP/');
    } finally {
      await server.close();
    }
  });

  it('RESPONSE_TOO_LARGE when a streamed body passes quirks.maxResponseSize; reading stops at the cap', async () => {
    let written = 0;
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 7);
      const pump = (): void => {
        while (written < 8 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/big`), { quirks: { maxResponseSize: 100_000 }, timeoutMs: 2_000 }), 'RESPONSE_TOO_LARGE');
      expect(outcome.error.message).toContain('over the 100000-byte limit (quirks.maxResponseSize)');
      expect(Number(outcome.error.context.bytesReceived)).toBeGreaterThan(100_000);
      expect(Number(outcome.error.context.bytesReceived)).toBeLessThan(100_000 + 128 * 1024);
    } finally {
      await server.close();
    }
  });

  it('RESPONSE_TOO_LARGE up front when Content-Length already declares more than the cap', async () => {
    const server = await startTcpServer((socket) =>
      onRequest(socket, (s) => s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n[')),
    );
    try {
      const outcome = expectNetworkError(await send(get(`${server.origin}/big`), { quirks: { maxResponseSize: 1_000 } }), 'RESPONSE_TOO_LARGE');
      expect(outcome.error.message).toContain('the server declared a 5000000-byte body (Content-Length), over the 1000-byte limit');
      expect(outcome.trace.response?.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('cancellation by the caller (user_cancelled)', () => {
  it('an already-aborted signal sends nothing: CANCELLED with reachedServer no', async () => {
    const server = await startHttpServer((_req, res) => res.end('{}'));
    try {
      const outcome = await send(get(`${server.origin}/x`), { signal: AbortSignal.abort() });
      expect(outcome.kind).toBe('network_error');
      const failure = outcome as NetworkErrorOutcome;
      expect(failure.error).toMatchObject({ category: 'user_cancelled', code: 'CANCELLED', retryable: false });
      expect(failure.reachedServer).toBe('no');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('aborting while waiting for headers gives reachedServer maybe; during the body, yes', async () => {
    const silent = await startTcpServer(() => undefined);
    const stalling = await startTcpServer((socket) => onRequest(socket, (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab')));
    try {
      const waiting = new AbortController();
      setTimeout(() => waiting.abort(), 30);
      const before = (await send(get(`${silent.origin}/x`), { signal: waiting.signal, timeoutMs: 1_000 })) as NetworkErrorOutcome;
      expect(before.error.code).toBe('CANCELLED');
      expect(before.reachedServer).toBe('maybe');

      const reading = new AbortController();
      setTimeout(() => reading.abort(), 30);
      const during = (await send(get(`${stalling.origin}/x`), { signal: reading.signal, timeoutMs: 1_000 })) as NetworkErrorOutcome;
      expect(during.error.code).toBe('CANCELLED');
      expect(during.reachedServer).toBe('yes');
      expect(during.status).toBe(200);
    } finally {
      await silent.close();
      await stalling.close();
    }
  });
});

describe('the classification of causes that a local test cannot provoke', () => {
  const base = { stage: 'connect' as const, operation: 'GET https://api.example.com/x', hostPort: 'api.example.com:443', timeoutMs: 1000, elapsedMs: 3 };

  it.each([
    ['EHOSTUNREACH', 'HOST_UNREACHABLE'],
    ['ENETUNREACH', 'HOST_UNREACHABLE'],
    ['CERT_HAS_EXPIRED', 'TLS_ERROR'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS_ERROR'],
    ['EAI_AGAIN', 'DNS_TEMPORARY'],
    ['UND_ERR_HEADERS_TIMEOUT', 'REQUEST_TIMEOUT'],
  ])('%s (wrapped by fetch as its cause) → %s', (cause, code) => {
    const inner = Object.assign(new Error(`${cause} happened`), { code: cause, ...(cause === 'EAI_AGAIN' ? { syscall: 'getaddrinfo', hostname: 'api.example.com' } : {}) });
    const failure = describeNetworkFailure({ ...base, stage: cause === 'UND_ERR_HEADERS_TIMEOUT' ? 'request' : 'connect', error: new TypeError('fetch failed', { cause: inner }) });
    expect(failure.detail.code).toBe(code);
    expect(failure.reachedServer).toBe(NETWORK_ERROR_TABLE[code as keyof typeof NETWORK_ERROR_TABLE].reachedServer);
  });

  it('an unknown error is NETWORK_ERROR with its cause in the context, and never throws for odd values', () => {
    for (const error of [undefined, null, 42, 'boom', { code: 123 }, new Error('weird')]) {
      const failure = describeNetworkFailure({ ...base, error });
      expect(ErrorDetailSchema.safeParse(failure.detail).success).toBe(true);
    }
    const failure = describeNetworkFailure({ ...base, stage: 'request', error: new TypeError('fetch failed', { cause: Object.assign(new Error('odd'), { code: 'EWHATEVER' }) }) });
    expect(failure.detail.code).toBe('NETWORK_ERROR');
    expect(failure.detail.context.causeCode).toBe('EWHATEVER');
    expect(failure.reachedServer).toBe('maybe');
  });
});
