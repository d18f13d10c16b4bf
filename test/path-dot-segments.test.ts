/**
 * Issue 13 item 4: an input of `..` (or `.`) in a URL placeholder must not climb the target's path.
 * Checked on the raw request line a real local server receives (`req.url`, before any routing).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpServer, type LocalHttpServer } from './http-servers.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';

let server: LocalHttpServer;
let h: Harness | undefined;

beforeEach(async () => {
  server = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":"yes"}');
  });
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await server.close();
});

function profileDefinition(url = `${server.origin}/api/users/{id}/profile`) {
  return definition(server.origin, {
    id: 'get-profile',
    endpoint: { url, method: 'GET', headers: {}, timeout: 2000 },
    inputSchema: { id: 'string' },
  });
}

async function run(inputs: Record<string, string>, url?: string) {
  h = createHarness([{ ...profileDefinition(url), inputSchema: Object.fromEntries(Object.keys(inputs).map((name) => [name, 'string'])) }]);
  return h.executor.execute(executeRequest('get_profile', 'get-profile', inputs));
}

describe('issue 13 item 4: dot segments from inputs never change the request path', () => {
  it.each(['..', '.'])('id = "%s" in /api/users/{id}/profile is refused as bad input and nothing is sent', async (id) => {
    const state = await run({ id });
    expect(server.requests.map((r) => r.url)).toEqual([]);
    expect(state.status).toBe('failed');
    if (state.result?.status !== 'failure') throw new Error('expected a failure result');
    expect(state.result.error).toMatchObject({ category: 'validation_failed', code: 'DOT_SEGMENT_INPUT', context: { field: 'endpoint.url', placeholder: 'id' } });
    expect(state.result.error.message).toContain(`input "id" is "${id}"`);
    expect(state.result.error.message).toContain('/api/users/{id}/profile');
  });

  it('two placeholders that together make a ".." segment are refused too', async () => {
    const state = await run({ a: '.', b: '.' }, `${server.origin}/api/users/{a}{b}/profile`);
    expect(server.requests).toEqual([]);
    expect(state.result?.status === 'failure' && state.result.error.code).toBe('DOT_SEGMENT_INPUT');
  });

  it.each([
    ['...', '/api/users/.../profile'],
    ['.hidden', '/api/users/.hidden/profile'],
    ['a..b', '/api/users/a..b/profile'],
    ['%2E%2E', '/api/users/%252E%252E/profile'],
    ['../admin', '/api/users/..%2Fadmin/profile'],
  ])('id = "%s" is sent as one segment: the server sees %s', async (id, path) => {
    const state = await run({ id });
    expect(state.status).toBe('completed');
    expect(server.requests.map((r) => r.url)).toEqual([path]);
  });

  it('a dot value outside the path (the query string) is sent as it is', async () => {
    const state = await run({ id: 'u_1', q: '..' }, `${server.origin}/api/users/{id}/profile?q={q}`);
    expect(state.status).toBe('completed');
    expect(server.requests.map((r) => r.url)).toEqual(['/api/users/u_1/profile?q=..']);
  });
});
