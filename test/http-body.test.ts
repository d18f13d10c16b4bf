/**
 * Body handling of one attempt against real local servers: JSON detection, strict decoding in the
 * declared charset (edge case 7), the HTML-instead-of-JSON and malformed-JSON problems (EXEC-011,
 * edge case 1), empty bodies, binary as base64 (EXEC-012), SHA-256 while streaming, and the sink.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt, type SendOptions } from '../src/http/http.ts';
import type { AttemptOutcome, NetworkErrorOutcome, ResponseOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { expectValidTraces, recordingSink, startHttpServer, type LocalHttpServer } from './http-servers.ts';

const agent = createHttpAgent({ keepAliveTimeoutMs: 200 });
let server: LocalHttpServer;
/** path → [status, headers, body] served by the shared server. */
const routes = new Map<string, [number, Record<string, string>, Buffer | string]>();

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const route = routes.get(req.url ?? '');
    if (route === undefined) {
      res.writeHead(500).end('no route');
      return;
    }
    const [status, headers, body] = route;
    res.writeHead(status, headers).end(body);
  });
});
afterAll(async () => {
  await server.close();
  await agent.close();
});

let routeCounter = 0;
/** Serves one response on a fresh path and returns its URL. */
function serve(status: number, headers: Record<string, string>, body: Buffer | string): string {
  const path = `/r${++routeCounter}`;
  routes.set(path, [status, headers, body]);
  return `${server.origin}${path}`;
}

async function fetchBody(url: string, options: Partial<SendOptions> = {}): Promise<ResponseOutcome> {
  const outcome: AttemptOutcome = await sendAttempt({ method: 'GET', url, headers: {} }, { timeoutMs: 1_000, redactor: createRedactor(), dispatcher: agent, ...options });
  expect(outcome.kind, JSON.stringify(outcome)).toBe('response');
  expectValidTraces(outcome);
  return outcome as ResponseOutcome;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('JSON detection', () => {
  it('parses an application/json body and reports its size and SHA-256 computed while streaming', async () => {
    const text = JSON.stringify({ id: 'usr_1', tags: ['a', 'b'], nested: { n: 1 } });
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json; charset=utf-8' }, text));
    expect(outcome.body).toMatchObject({ kind: 'json', contentType: 'application/json', json: JSON.parse(text), size: Buffer.byteLength(text), sha256: sha256(text) });
    expect(outcome.body.problem).toBeUndefined();
  });

  it('treats any +json media type (application/problem+json) as JSON', async () => {
    const outcome = await fetchBody(serve(422, { 'Content-Type': 'application/problem+json' }, '{"title":"Invalid","detail":"email is taken"}'));
    expect(outcome.status).toBe(422);
    expect(outcome.body.kind).toBe('json');
    expect(outcome.body.json).toEqual({ title: 'Invalid', detail: 'email is taken' });
  });

  it('honours quirks.nonStandardJsonContentType (text/json) and treats the same type as text without it', async () => {
    const url = serve(200, { 'Content-Type': 'text/json' }, '{"ok":true}');
    const withQuirk = await fetchBody(url, { quirks: { nonStandardJsonContentType: 'text/json' } });
    expect(withQuirk.body).toMatchObject({ kind: 'json', json: { ok: true } });
    const without = await fetchBody(url);
    expect(without.body).toMatchObject({ kind: 'text', text: '{"ok":true}' });
  });

  it('sniffs JSON when the server sends no content type; plain text without a type stays text', async () => {
    const json = await fetchBody(serve(200, {}, ' [1, 2, 3]'));
    expect(json.body).toMatchObject({ kind: 'json', json: [1, 2, 3], contentType: '' });
    const text = await fetchBody(serve(200, {}, 'OK'));
    expect(text.body).toMatchObject({ kind: 'text', text: 'OK' });
  });

  it('decodes a gzip-encoded JSON body (the cap and digest apply to the decoded bytes)', async () => {
    const text = JSON.stringify({ compressed: 'yes'.repeat(100) });
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, gzipSync(text)));
    expect(outcome.body.json).toEqual(JSON.parse(text));
    expect(outcome.body.sha256).toBe(sha256(text));
  });
});

describe('strict text decoding (edge case 7)', () => {
  it('edge case 7: invalid UTF-8 is INVALID_ENCODING with the byte offset, and the raw body is kept as base64', async () => {
    const raw = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json' }, raw));
    const problem = outcome.body.problem!;
    expect(problem).toMatchObject({ category: 'api_response_malformed', code: 'INVALID_ENCODING', statusCode: 200 });
    expect(problem.context.byteOffset).toBe('12');
    expect(problem.message).toContain('byte 12 (0xE9) is not valid utf-8');
    expect(Buffer.from(outcome.body.base64!, 'base64').equals(raw)).toBe(true);
    expect(outcome.body.json).toBeUndefined();
    expect(ErrorDetailSchema.safeParse(problem).success).toBe(true);
  });

  it('edge case 7: a truncated multi-byte sequence at the very end is reported at its first byte', async () => {
    const raw = Buffer.concat([Buffer.from('price: 5 '), Buffer.from('€').subarray(0, 2)]);
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/plain; charset=utf-8' }, raw));
    expect(outcome.body.problem?.context.byteOffset).toBe('9');
  });

  it('decodes a latin-1 declared charset (as windows-1252, like browsers)', async () => {
    const raw = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x35]); // "café €5" in windows-1252
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/plain; charset=ISO-8859-1' }, raw));
    expect(outcome.body).toMatchObject({ kind: 'text', text: 'café €5' });
    expect(outcome.body.problem).toBeUndefined();
  });

  it('decodes a JSON body in a declared latin-1 charset before parsing it', async () => {
    const raw = Buffer.from('{"city":"Zürich"}', 'latin1');
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json; charset="latin1"' }, raw));
    expect(outcome.body.json).toEqual({ city: 'Zürich' });
  });

  it('a charset no decoder knows is INVALID_ENCODING naming it, with the raw body kept', async () => {
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/plain; charset=x-klingon' }, 'qapla'));
    expect(outcome.body.problem?.code).toBe('INVALID_ENCODING');
    expect(outcome.body.problem?.message).toContain('declares charset x-klingon, which this runtime cannot decode');
    expect(Buffer.from(outcome.body.base64!, 'base64').toString()).toBe('qapla');
  });
});

describe('malformed and HTML bodies (EXEC-011, edge case 1)', () => {
  it('edge case 1: an HTML page with 200 is INVALID_JSON with the proxy/gateway/login hint', async () => {
    const html = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please log in</body></html>';
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/html; charset=utf-8' }, html));
    const problem = outcome.body.problem!;
    expect(outcome.body.kind).toBe('text');
    expect(problem).toMatchObject({ code: 'INVALID_JSON', category: 'api_response_malformed', statusCode: 200 });
    expect(problem.message).toContain('expected JSON but the 200 response is an HTML page (content-type text/html, 89 bytes)');
    expect(problem.message).toContain('looks like an HTML error page from a proxy, gateway or login redirect');
    expect(problem.message).toContain('First 200 characters: "<!DOCTYPE html><html><head><title>Sign in</title>');
    expect(problem.context.looksLikeHtml).toBe('true');
  });

  it('edge case 1: HTML served as application/json is caught by sniffing, with parse position 0', async () => {
    const outcome = await fetchBody(serve(502, { 'Content-Type': 'application/json' }, '<html><body><h1>502 Bad Gateway</h1></body></html>'));
    expect(outcome.status).toBe(502);
    expect(outcome.body.problem?.message).toContain('at position 0 (line 1, column 1)');
    expect(outcome.body.problem?.message).toContain('looks like an HTML error page');
  });

  it('EXEC-011: malformed JSON says content type, size, parse position and quotes the start of the body', async () => {
    const text = '{\n  "id": 42,\n  "name": "Ada",,\n}';
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json' }, text));
    const problem = outcome.body.problem!;
    expect(problem.message).toContain(`the 200 response body is not valid JSON (content-type application/json, ${text.length} bytes)`);
    expect(problem.message).toContain('at position 30 (line 3, column 17)');
    expect(problem.message).toContain(`First 200 characters: ${JSON.stringify(text)}`);
    expect(problem.message).not.toContain('HTML');
    expect(outcome.body.text).toBe(text);
  });

  it('EXEC-011: only the first 200 characters of a long malformed body are quoted', async () => {
    const text = `{"items":[${'1,'.repeat(5_000)}`;
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json' }, text));
    const quoted = /First 200 characters: (".*")$/.exec(outcome.body.problem!.message)?.[1];
    expect(JSON.parse(quoted!)).toBe(`${text.slice(0, 200)}…`);
    expect(outcome.body.problem!.context.position).toBe(String(text.length));
  });

  it('a plain-text body is fine when JSON is not expected, even if it is HTML', async () => {
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/html' }, '<html>ok</html>'), { expectJson: false });
    expect(outcome.body).toMatchObject({ kind: 'text', text: '<html>ok</html>' });
    expect(outcome.body.problem).toBeUndefined();
  });
});

describe('empty and binary bodies', () => {
  it('204 No Content is the empty body (quirks.emptyResponseOn204 default)', async () => {
    const outcome = await fetchBody(serve(204, {}, ''));
    expect(outcome.status).toBe(204);
    expect(outcome.body).toEqual({ contentType: '', kind: 'empty', size: 0, sha256: sha256('') });
  });

  it('an empty 200 declared as JSON is empty, not INVALID_JSON', async () => {
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json', 'Content-Length': '0' }, ''));
    expect(outcome.body.kind).toBe('empty');
    expect(outcome.body.problem).toBeUndefined();
  });

  it('EXEC-012: a binary body is base64-encoded and round-trips byte for byte', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x10]);
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'image/png' }, png));
    expect(outcome.body).toMatchObject({ kind: 'binary', contentType: 'image/png', size: png.length, sha256: sha256(png) });
    expect(Buffer.from(outcome.body.base64!, 'base64').equals(png)).toBe(true);
    expect(outcome.trace.response?.body).toBe(png.toString('base64'));
  });

  it('EXEC-012: bytes without a content type that are not UTF-8 are treated as binary', async () => {
    const raw = Buffer.from([0x00, 0x01, 0xff, 0x80]);
    const outcome = await fetchBody(serve(200, {}, raw));
    expect(outcome.body.kind).toBe('binary');
    expect(outcome.body.base64).toBe(raw.toString('base64'));
  });
});

describe('the streaming sink (EXEC-020)', () => {
  it('a body within inlineLimit stays in memory and never opens the sink', async () => {
    const sink = recordingSink();
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/json' }, '{"small":true}'), { sink, inlineLimit: 1024 });
    expect(sink.opened).toBe(0);
    expect(outcome.body.json).toEqual({ small: true });
  });

  it('a body over inlineLimit goes to the sink: every byte, in order, with the same size and SHA-256', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
    const sink = recordingSink({ keep: true });
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'application/octet-stream' }, data), { sink, inlineLimit: 10_000 });
    expect(sink.opened).toBe(1);
    expect(sink.contentType).toBe('application/octet-stream');
    expect(sink.data().equals(data)).toBe(true);
    expect(sink.finished).toEqual({ size: data.length, sha256: sha256(data) });
    expect(outcome.body).toMatchObject({ kind: 'binary', size: data.length, sha256: sha256(data), location: { path: '/tmp/bodies/test.body' } });
    expect(outcome.body.base64).toBeUndefined();
    expect(outcome.trace.response?.body).toMatch(/…\[truncated: base64 of the first 4096 of 300000 bytes\]$/);
  });

  it('edge case 7: a large text body streamed to the sink is still checked, with the exact offset of a bad byte', async () => {
    const text = Buffer.concat([Buffer.from('a'.repeat(50_000)), Buffer.from([0xc3, 0x28]), Buffer.from('b'.repeat(10_000))]);
    const sink = recordingSink();
    const outcome = await fetchBody(serve(200, { 'Content-Type': 'text/csv; charset=utf-8' }, text), { sink, inlineLimit: 4_096 });
    expect(outcome.body.kind).toBe('text');
    expect(outcome.body.location).toBeDefined();
    expect(outcome.body.problem?.code).toBe('INVALID_ENCODING');
    expect(outcome.body.problem?.context.byteOffset).toBe('50000');
    expect(outcome.body.problem?.message).toContain('kept in storage at /tmp/bodies/test.body');
  });

  it('a sink failing without a storage errno ends the attempt as BODY_SINK_FAILED and the partial body is discarded (abort)', async () => {
    const sink = recordingSink({ failOnWrite: 2 });
    const outcome = await sendAttempt(
      { method: 'GET', url: serve(200, { 'Content-Type': 'application/octet-stream' }, Buffer.alloc(200_000, 1)), headers: {} },
      { timeoutMs: 1_000, redactor: createRedactor(), dispatcher: agent, sink, inlineLimit: 1_000 },
    );
    const failure = outcome as NetworkErrorOutcome;
    expect(failure.kind).toBe('network_error');
    expect(failure.error).toMatchObject({ code: 'BODY_SINK_FAILED', category: 'state_inconsistent', retryable: false });
    expect(failure.error.message).toContain('its body could not be stored (Error: the sink refused the chunk)');
    expect(failure.reachedServer).toBe('yes');
    expect(sink.aborted).toBe(1);
  });

  it('a body over the cap while streaming to the sink aborts the sink writer', async () => {
    const sink = recordingSink();
    const outcome = (await sendAttempt(
      { method: 'GET', url: serve(200, { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' }, Buffer.alloc(500_000, 2)), headers: {} },
      { timeoutMs: 1_000, redactor: createRedactor(), dispatcher: agent, sink, inlineLimit: 1_000, quirks: { maxResponseSize: 100_000 } },
    )) as NetworkErrorOutcome;
    expect(outcome.error.code).toBe('RESPONSE_TOO_LARGE');
    expect(sink.opened).toBe(1);
    expect(sink.aborted).toBe(1);
    expect(sink.finished).toBeNull();
  });
});
