/**
 * Secrets never reach disk or logs: a canary credential, echoed back by the API in every way an API
 * can echo it, must not appear in the returned state, the journal files, stored files or log lines.
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
