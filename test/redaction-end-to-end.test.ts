/**
 * Secrets never reach disk or logs: a canary credential, echoed back by the API in every way an API
 * can echo it, must not appear in the returned state, the journal files, stored files or log lines.
 *
 * The second block holds leaks the fuzz test (test/fuzz.test.ts) found, reduced to minimal
 * reproductions and kept as regressions (fixed in 43bce93 and 67ce8e6):
 * 1. Response *bytes* were recorded without redaction (redaction worked on text): the base64 of a
 *    binary body (output `body`, the trace's response preview, the journaled outcome) and body files
 *    streamed to storage.
 * 2. A URL parsed by WHATWG URL percent-encodes the query differently from encodeURIComponent
 *    (`'` → `%27`): a redirect Location carrying the credential became a next-hop URL, recorded in a
 *    form the redactor did not know.
 * 3. A credential with a `\` or `"` echoed in a JSON body whose charset cannot be decoded sat
 *    JSON-escaped in the raw bytes kept for debugging.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';

const CANARY = 'canary-Sk9xQ2wZ7fLm';
let api: ScriptedApi;
let h: Harness;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  await api.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('redaction end to end', () => {
  it('a canary credential echoed back by the API is in no state, journal file, stored file or log line', async () => {
    const def = definition(api.url, {
      endpoint: {
        url: `${api.url}/users/{userId}`,
        method: 'GET',
        headers: { 'X-Client-Secret': '${credentials.API_TOKEN}', 'X-Trace': 'abc' },
        timeout: 2000,
      },
      authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' },
      outputSchema: { id: 'string' },
    });
    h = createHarness([def]);
    const echo = { message: `invalid token ${CANARY}`, token: CANARY, detail: `Bearer ${CANARY} rejected` };
    api.script('GET /users/u_1', [
      { status: 503, body: echo, headers: { 'set-cookie': `session=${CANARY}`, 'x-echo': CANARY } },
      { status: 200, body: { id: 'u_1', note: `your key is ${CANARY}`, apiKey: CANARY }, headers: { 'x-echo': CANARY } },
    ]);
    const state = await h.executor.execute(
      executeRequest('get_user', 'get-user', { userId: 'u_1' }, { context: { credentials: { API_TOKEN: CANARY }, previousResults: {} } }),
    );
    expect(state.status).toBe('completed');
    // The credential did reach the API...
    expect(api.hits[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
    // ...and nothing recorded holds it.
    expect(JSON.stringify(state)).not.toContain(CANARY);
    expect(h.logs.join('\n')).not.toContain(CANARY);
    await h.executor.close();
    for (const file of filesUnder(h.dir)) {
      expect(readFileSync(file).includes(CANARY), file).toBe(false);
    }
    expect(JSON.stringify(state)).toContain('[REDACTED]');
  });
});

/** Every base64 run in a text, decoded. */
function decodedBase64(text: string): string {
  return (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((run) => Buffer.from(run, 'base64').toString('latin1')).join('\n');
}

function bearerDefinition() {
  return definition(api.url, {
    endpoint: { url: `${api.url}/files/{userId}`, method: 'GET', headers: {}, timeout: 2000 },
    authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' },
    retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 1 },
  });
}

const request = () => executeRequest('get_file', 'get-user', { userId: 'f_1' }, { context: { credentials: { API_TOKEN: CANARY }, previousResults: {} } });

describe('leaks the fuzz test found (regressions)', () => {
  it('a credential echoed in a small binary body is not in the base64 output or trace', async () => {
    h = createHarness([bearerDefinition()]);
    api.script('GET /files/f_1', [{ status: 200, raw: `\u0000\u0001 you sent: Bearer ${CANARY}`, headers: { 'content-type': 'application/octet-stream' } }]);
    const state = await h.executor.execute(request());
    expect(state.status).toBe('completed');
    // It was: output.body and httpTrace[0].response.body held base64 of the raw bytes, canary included.
    expect(decodedBase64(JSON.stringify(state))).not.toContain(CANARY);
  });

  it('a credential echoed in a body streamed to storage is not written to the body file', async () => {
    h = createHarness([bearerDefinition()], { inlineBodyLimit: 1024 });
    api.script('GET /files/f_1', [{ status: 200, raw: `${'x'.repeat(4096)} you sent: Bearer ${CANARY}`, headers: { 'content-type': 'application/octet-stream' } }]);
    const state = await h.executor.execute(request());
    expect(state.status).toBe('completed');
    await h.executor.close();
    // It was: storage/bodies/<execution>.get_file.attempt-1.body held the raw bytes, canary included.
    for (const file of filesUnder(h.storageDir)) expect(readFileSync(file).includes(CANARY), file).toBe(false);
  });

  it("a credential with a ' echoed into a redirect Location is not recorded %27-encoded in the next hop's URL", async () => {
    const token = "tok'en-Qm7vX2pL9sKd";
    h = createHarness([bearerDefinition()]);
    api.script('GET /files/f_1', [{ status: 302, headers: { location: `${api.url}/moved?t=${encodeURIComponent(`Bearer ${token}`)}` } }]);
    api.script('GET /moved', [{ status: 200, body: { ok: true } }]);
    const state = await h.executor.execute(executeRequest('get_file', 'get-user', { userId: 'f_1' }, { context: { credentials: { API_TOKEN: token }, previousResults: {} } }));
    expect(state.status).toBe('completed');
    // It was: httpTrace[1].request.url …/moved?t=Bearer%20tok%27en-Qm7vX2pL9sKd (the Location itself was redacted).
    expect(JSON.stringify(state)).not.toContain('tok%27en-Qm7vX2pL9sKd');
  });

  it('a credential with a backslash echoed JSON-escaped in an undecodable body is not in the recorded bytes', async () => {
    const token = 'tok\\en-Qm7vX2pL9sKd';
    h = createHarness([bearerDefinition()]);
    api.script('GET /files/f_1', [{ status: 200, raw: JSON.stringify({ echo: `Bearer ${token}` }), headers: { 'content-type': 'text/plain; charset=bogus' } }]);
    const state = await h.executor.execute(executeRequest('get_file', 'get-user', { userId: 'f_1' }, { context: { credentials: { API_TOKEN: token }, previousResults: {} } }));
    const recorded = `${JSON.stringify(state)}\n${decodedBase64(JSON.stringify(state))}`;
    // It was: the raw body, kept base64 for debugging, held "tok\\\\en-…" (JSON-escaped) unredacted.
    expect(recorded).not.toContain(JSON.stringify(token).slice(1, -1));
    expect(recorded).not.toContain(token);
  });
});
