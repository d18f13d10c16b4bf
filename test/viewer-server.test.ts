/**
 * The viewer's server without a browser (issue 12): routes, paging and filters, the session token,
 * the Host and Origin checks, redaction, live streams, and the inspector's intake — all against a
 * journal the real executor wrote, over real sockets on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewer, RemoteHostRefusedError, type Viewer } from '../src/viewer/viewer-server.ts';
import { createManualClock } from '../src/support/clock.ts';
import { createHarness, definition, executeRequest } from './support/executor-harness.ts';
import { createViewerScenario, IDS, seedExecutions, type ViewerScenario } from './support/viewer-scenario.ts';
import { openSse, pagePost, rawRequest } from './support/viewer-client.ts';
import { startScriptedApi } from './support/scripted-api.ts';
import { until } from './support/until.ts';

let scenario: ViewerScenario;
let viewer: Viewer;
let port: number;
const api = (id: string, action = 'get_user') => `/api/executions/${id}/${action}`;

beforeAll(async () => {
  scenario = await createViewerScenario();
  await seedExecutions(scenario);
  viewer = await startViewer({ executor: scenario.harness.executor, port: 0, pollMs: 0, clock: scenario.harness.clock, definitionIds: ['get-user', 'create-order'] });
  port = viewer.port;
});
afterAll(async () => {
  await viewer.close();
  await scenario.cleanup();
});

describe('viewer: executions list (GET /api/executions)', () => {
  it('lists newest first with the total', async () => {
    const page = (await rawRequest(port, { path: '/api/executions' })).json();
    expect(page.total).toBe(4);
    expect(page.executions.map((e: { executionId: string }) => e.executionId)).toEqual([IDS.dormant, IDS.order, IDS.failed, IDS.retried]);
    expect(page.definitions).toEqual(['create-order', 'get-user']);
  });

  it('filters by status and by definition, and searches by execution id', async () => {
    const failed = (await rawRequest(port, { path: '/api/executions?status=failed' })).json();
    expect(failed.executions.map((e: { executionId: string }) => e.executionId)).toEqual([IDS.failed]);
    const orders = (await rawRequest(port, { path: '/api/executions?definition=create-order' })).json();
    expect(orders.executions.map((e: { actionId: string }) => e.actionId)).toEqual(['create_order']);
    const found = (await rawRequest(port, { path: `/api/executions?q=${IDS.retried.slice(0, 8)}` })).json();
    expect(found.executions.map((e: { executionId: string }) => e.executionId)).toEqual([IDS.retried]);
    const both = (await rawRequest(port, { path: '/api/executions?status=completed,failed&definition=get-user' })).json();
    expect(both.total).toBe(2);
  });

  it('pages with limit and offset', async () => {
    const second = (await rawRequest(port, { path: '/api/executions?limit=1&offset=1' })).json();
    expect(second).toMatchObject({ total: 4, limit: 1, offset: 1 });
    expect(second.executions.map((e: { executionId: string }) => e.executionId)).toEqual([IDS.order]);
  });

  it('a bad query parameter is a 400 that names it and what it takes', async () => {
    const status = await rawRequest(port, { path: '/api/executions?status=runing' });
    expect(status.status).toBe(400);
    expect(status.json().error.message).toMatch(/status: "runing" is not one of pending, running, completed, failed, skipped/);
    const limit = await rawRequest(port, { path: '/api/executions?limit=0' });
    expect(limit.status).toBe(400);
    expect(limit.json().error.message).toContain('limit');
  });
});

describe('viewer: one execution (GET /api/executions/:executionId/:actionId)', () => {
  it('shows the timeline with named events, the retried attempt with why, and the wait it caused', async () => {
    const view = (await rawRequest(port, { path: api(IDS.retried) })).json();
    expect(view.transitions.map((t: { event: string }) => t.event)).toEqual(['xstate.init', 'RESOLVED', 'VALIDATED', 'SENT', 'RETRY', 'WAITED', 'SENT', 'SUCCEEDED', 'STORED']);
    const [first, second] = view.attempts;
    expect(first).toMatchObject({ attempt: 1, response: { status: 503 }, classification: { outcome: 'retried', retryable: true } });
    expect(first.classification.why).toMatch(/503 api_unexpected_status is retryable and GET is idempotent/);
    expect(first.response.body.text).toContain('busy');
    expect(second).toMatchObject({ attempt: 2, response: { status: 200 }, classification: { outcome: 'succeeded' } });
    expect(view.waits).toHaveLength(1);
    expect(view.waits[0]).toMatchObject({ kind: 'retry', delayMs: 100, endedBy: 'WAITED' });
    expect(view.waits[0].reason).toContain('attempt 2 of 3');
  });

  it('gives the path taken (edges with counts) and the current state; no buttons once terminal', async () => {
    const view = (await rawRequest(port, { path: api(IDS.retried) })).json();
    expect(view.path.current).toBe('completed');
    expect(view.path.edges).toMatchObject({ 'requesting|SENT|classifying': 2, 'classifying|RETRY|backingOff': 1, 'backingOff|WAITED|requesting': 1, 'storing|STORED|completed': 1 });
    expect(view.path.states).not.toContain('failed');
    expect(view.actions).toEqual({ cancel: false, resume: false });
  });

  it('a failed attempt says why it was not retried, with the retry rule that refused it', async () => {
    const view = (await rawRequest(port, { path: api(IDS.failed) })).json();
    expect(view.attempts[0].classification).toMatchObject({ outcome: 'failed', category: 'api_endpoint_removed', retryable: false, refusedBecause: 'not_retryable' });
    expect(view.result.status).toBe('failed');
  });

  it('a dormant execution offers Cancel and Resume; no live process holds it', async () => {
    const view = (await rawRequest(port, { path: api(IDS.dormant) })).json();
    expect(view).toMatchObject({ state: 'backingOff', terminal: false, lease: { holder: 'none' }, actions: { cancel: true, resume: true } });
    expect(view.waits[0].endedAt).toBeUndefined();
  });

  it('an unknown execution is a 404 that says so', async () => {
    const missing = await rawRequest(port, { path: api('00000000-0000-4000-8000-000000000000') });
    expect(missing.status).toBe(404);
    expect(missing.json().error.message).toContain('no execution 00000000-0000-4000-8000-000000000000 / get_user');
  });
});

describe('viewer: pages and assets', () => {
  it('pages carry the session token and a CSP that allows nothing but this origin', async () => {
    for (const path of ['/', `/executions/${IDS.retried}/get_user`, '/inspect']) {
      const page = await rawRequest(port, { path });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.text).toContain(`<meta name="viewer-token" content="${viewer.token}">`);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      // Nothing is fetched from the internet: every script and stylesheet is ours.
      expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('serves assets from disk by plain name only', async () => {
    const css = await rawRequest(port, { path: '/assets/viewer.css' });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.text).toBe(readFileSync(join(import.meta.dirname, '../src/viewer/assets/viewer.css'), 'utf8'));
    for (const path of ['/assets/..%2Fviewer-server.ts', '/assets/%2e%2e%2fhttp-io.ts', '/assets/execution.html', '/assets/nope.js']) {
      expect((await rawRequest(port, { path })).status, path).toBe(404);
    }
  });

  it('/machine.svg draws every state and names every edge as from|EVENT|to', async () => {
    const svg = (await rawRequest(port, { path: '/machine.svg' })).text;
    for (const state of ['resolving', 'validating', 'requesting', 'classifying', 'backingOff', 'storing', 'completed', 'failed', 'skipped']) expect(svg).toContain(`data-state="${state}"`);
    for (const edge of ['classifying|RETRY|backingOff', 'backingOff|WAITED|requesting', 'requesting|CANCEL|failed', 'created|xstate.init|resolving']) expect(svg).toContain(`data-edge="${edge}"`);
  });

  it('unknown routes are 404 and other methods 405, in JSON', async () => {
    expect((await rawRequest(port, { path: '/nope' })).status).toBe(404);
    const put = await rawRequest(port, { method: 'PUT', path: '/api/executions' });
    expect(put.status).toBe(405);
    expect(put.json().error.message).toContain('allowed: GET');
  });
});

describe('viewer: security checks', () => {
  it('a POST without the token is refused with 403 and changes nothing', async () => {
    const refused = await rawRequest(port, { method: 'POST', path: `${api(IDS.dormant)}/cancel`, headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` }, body: '{}' });
    expect(refused.status).toBe(403);
    expect(refused.json().error.message).toContain('x-viewer-token header is missing');
    expect((await scenario.harness.executor.journal.get({ executionId: IDS.dormant, actionId: 'get_user' }))?.stateValue).toBe('backingOff');
  });

  it('a POST with a wrong token, a foreign Origin or a cross-site fetch is refused', async () => {
    const wrong = await pagePost(port, `${api(IDS.dormant)}/cancel`, 'not-the-token');
    expect(wrong.status).toBe(403);
    expect(wrong.json().error.message).toContain('does not match this viewer session');
    const foreign = await pagePost(port, `${api(IDS.dormant)}/cancel`, viewer.token, {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.json().error.message).toContain('Origin "http://evil.example" is not this viewer');
    const crossSite = await pagePost(port, `${api(IDS.dormant)}/cancel`, viewer.token, {}, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await scenario.harness.executor.journal.get({ executionId: IDS.dormant, actionId: 'get_user' }))?.stateValue).toBe('backingOff');
  });

  it('a Host header that is not the bound address is refused, reads included (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `192.168.1.10:${port}`]) {
      const refused = await rawRequest(port, { path: '/api/executions', headers: { host } });
      expect(refused.status, host).toBe(421);
      expect(refused.json().error.message).toContain('DNS-rebinding');
      expect(refused.text).not.toContain(IDS.retried);
    }
    expect((await rawRequest(port, { path: '/', headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('reports refused requests to the operator, each distinct one at most once a minute', async () => {
    const clock = createManualClock(Date.UTC(2026, 5, 1));
    const lines: string[] = [];
    const watched = await startViewer({ executor: scenario.harness.executor, port: 0, pollMs: 0, clock, warn: (line) => lines.push(line) });
    try {
      for (let i = 0; i < 3; i++) await rawRequest(watched.port, { path: '/api/executions', headers: { host: 'rebind.attacker.example' } });
      await pagePost(watched.port, `${api(IDS.dormant)}/cancel`, 'guess');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^viewer: GET \/api\/executions: Host header "rebind.attacker.example" refused/);
      expect(lines[1]).toContain('does not match this viewer session');
      clock.advance(61_000);
      await rawRequest(watched.port, { path: '/api/executions', headers: { host: 'rebind.attacker.example' } });
      expect(lines).toHaveLength(3);
    } finally {
      await watched.close();
    }
  });

  it('refuses to bind a non-loopback host without allowRemote', async () => {
    await expect(startViewer({ executor: scenario.harness.executor, host: '0.0.0.0', port: 0 })).rejects.toThrow(RemoteHostRefusedError);
    await expect(startViewer({ executor: scenario.harness.executor, host: '0.0.0.0', port: 0 })).rejects.toThrow(/--allow-remote/);
  });

  it('writes its state file readable by its owner only, and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-viewer-state-'));
    try {
      const stateFile = join(dir, 'journal.db.viewer.json');
      const other = await startViewer({ executor: scenario.harness.executor, port: 0, pollMs: 0, stateFile });
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ url: other.url, token: other.token, pid: process.pid });
      await other.close();
      expect(existsSync(stateFile)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('viewer: Cancel and Resume', () => {
  it('Cancel with the token ends a dormant execution as user_cancelled, recorded in the journal', async () => {
    const id = '55555555-5555-4555-8555-555555555555';
    await scenario.crashInBackoff(id, 'u_cancel');
    const done = await pagePost(port, `${api(id)}/cancel`, viewer.token, { reason: 'operator said so' });
    expect(done.status).toBe(200);
    expect(done.json().state).toMatchObject({ status: 'failed', result: { error: { category: 'user_cancelled' } } });
    const view = (await rawRequest(port, { path: api(id) })).json();
    expect(view.path.edges['backingOff|CANCEL|failed']).toBe(1);
    expect(view.waits[0].endedBy).toBe('CANCEL');
    expect(view.actions).toEqual({ cancel: false, resume: false });
    expect((await pagePost(port, `${api(id)}/cancel`, viewer.token)).status).toBe(409);
  });

  it('Resume with the token drives a dormant execution to its end in the viewer', async () => {
    const id = '66666666-6666-4666-8666-666666666666';
    await scenario.crashInBackoff(id, 'u_resume');
    const started = await pagePost(port, `${api(id)}/resume`, viewer.token);
    expect(started.status).toBe(202);
    let state = '';
    for (let i = 0; i < 200 && state !== 'completed'; i++) {
      state = (await scenario.harness.executor.journal.get({ executionId: id, actionId: 'get_user' }))?.stateValue ?? '';
      if (state !== 'completed') await new Promise((r) => setTimeout(r, 5));
    }
    expect(state).toBe('completed');
    expect(scenario.api.hitsFor('GET /users/u_resume')).toHaveLength(2);
    const again = await pagePost(port, `${api(id)}/resume`, viewer.token);
    expect(again.status).toBe(409);
    expect(again.json().error.message).toContain('already ended (completed)');
  });

  it('Cancel of an execution another live process drives answers 409 naming that process', async () => {
    const clock = createManualClock(scenario.harness.clock.now());
    const driver = scenario.harness.reopen({ clock });
    const id = '77777777-7777-4777-8777-777777777777';
    scenario.api.script('GET /users/u_live', [{ status: 503 }, { status: 200, body: { id: 'u_live' } }]);
    const running = driver.execute(executeRequest('get_user', 'get-user', { userId: 'u_live' }, {}, id));
    await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
    const view = (await rawRequest(port, { path: api(id) })).json();
    expect(view).toMatchObject({ state: 'backingOff', lease: { holder: 'another process', pid: process.pid }, actions: { cancel: true, resume: false } });
    const refused = await pagePost(port, `${api(id)}/cancel`, viewer.token);
    expect(refused.status).toBe(409);
    expect(refused.json().error.message).toMatch(/being run by another live process \(pid \d+/);
    expect((await pagePost(port, `${api(id)}/resume`, viewer.token)).status).toBe(409);
    clock.advance(60_000);
    expect((await running).status).toBe('completed');
  });
});

describe('viewer: live updates (server-sent events)', () => {
  it('an execution stream sends the current view, then the next transition once it is journaled', async () => {
    const clock = createManualClock(scenario.harness.clock.now());
    const driver = scenario.harness.reopen({ clock });
    const id = '88888888-8888-4888-8888-888888888888';
    scenario.api.script('GET /users/u_sse', [{ status: 503 }, { status: 200, body: { id: 'u_sse' } }]);
    const running = driver.execute(executeRequest('get_user', 'get-user', { userId: 'u_sse' }, {}, id));
    await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
    const stream = await openSse(port, `${api(id)}/stream`);
    try {
      const first = await stream.next();
      expect(first).toMatchObject({ event: 'execution', data: { state: 'backingOff', path: { current: 'backingOff' } } });
      clock.advance(60_000);
      await running;
      await viewer.context.feed.tick();
      const next = await stream.next();
      expect(next.data.state).toBe('completed');
      expect(next.data.transitions.at(-1).event).toBe('STORED');
    } finally {
      stream.close();
    }
  });

  it('a list stream pushes a new execution as it appears, and only on change', async () => {
    const stream = await openSse(port, '/api/executions/stream?status=running');
    try {
      const first = await stream.next();
      const before = first.data.total as number;
      await viewer.context.feed.tick(); // nothing changed: nothing sent
      await scenario.crashInBackoff('99999999-9999-4999-8999-999999999999', 'u_new');
      await viewer.context.feed.tick();
      const next = await stream.next();
      expect(next.data.total).toBe(before + 1);
      expect(next.data.executions[0].executionId).toBe('99999999-9999-4999-8999-999999999999');
      expect(stream.raw.match(/event: list/g)).toHaveLength(2);
    } finally {
      stream.close();
    }
  });
});

describe('viewer: the offline inspector intake (POST /api/inspect)', () => {
  const batch = (sessionId: string, state: string, extra: Record<string, unknown> = {}) => ({
    source: { pid: 4242, command: 'execute' },
    events: [{ type: '@xstate.snapshot', sessionId, at: 1, state, status: 'active', event: { type: 'RETRY', delayMs: 100 }, ...extra }],
  });

  it('takes a token-carrying batch and serves the session with its newest state', async () => {
    const taken = await pagePost(port, '/api/inspect', viewer.token, batch('e1/a1', 'backingOff'));
    expect(taken.status).toBe(200);
    expect(taken.json()).toEqual({ accepted: 1 });
    const sessions = (await rawRequest(port, { path: '/api/inspect/sessions' })).json().sessions;
    expect(sessions).toContainEqual(expect.objectContaining({ sessionId: 'e1/a1', state: 'backingOff', source: 'execute (pid 4242)' }));
    const session = (await rawRequest(port, { path: `/api/inspect/sessions/${encodeURIComponent('e1/a1')}` })).json();
    expect(session.recent[0].event).toEqual({ type: 'RETRY', delayMs: 100 });
  });

  it('refuses a batch without the token, and one that is not a batch with the JSON path at fault', async () => {
    const noToken = await rawRequest(port, { method: 'POST', path: '/api/inspect', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch('e2/a2', 'requesting')) });
    expect(noToken.status).toBe(403);
    const bad = await pagePost(port, '/api/inspect', viewer.token, { events: [{ type: '@xstate.nonsense', sessionId: 'x', at: 1 }] });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toContain('$.events.0.type');
    const sessions = (await rawRequest(port, { path: '/api/inspect/sessions' })).json().sessions;
    expect(sessions.map((s: { sessionId: string }) => s.sessionId)).not.toContain('e2/a2');
  });
});

describe('viewer: nothing unredacted is ever served', () => {
  it('a canary credential sent in a request and echoed by the API appears in no response', async () => {
    const CANARY = 'canary-7f3e9a1c5b2d';
    const echo = await startScriptedApi();
    const harness = createHarness([
      definition(echo.url, { endpoint: { url: `${echo.url}/users/{userId}`, method: 'GET', headers: { Accept: 'application/json', Authorization: 'Bearer ${credentials.TOKEN}' }, timeout: 2000 } }),
    ]);
    const id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
    // The API echoes the credential back in a header and in the body, in a field that does not look secret.
    echo.script('GET /users/u_1', [
      { status: 503, body: { echoed: `Bearer ${CANARY}` }, headers: { 'x-echo': CANARY } },
      { status: 200, body: { id: 'u_1', note: `you sent ${CANARY}` } },
    ]);
    const request = executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, id);
    request.context.credentials = { TOKEN: CANARY };
    await harness.executor.execute(request);
    expect(echo.hits[0]?.headers.authorization).toBe(`Bearer ${CANARY}`); // it was really sent
    const own = await startViewer({ executor: harness.executor, port: 0, pollMs: 0, secrets: [CANARY] });
    try {
      await pagePost(own.port, '/api/inspect', own.token, { events: [{ type: '@xstate.snapshot', sessionId: `${id}/get_user`, at: 1, state: 'storing', context: { output: { note: CANARY } } }] });
      const bodies: string[] = [];
      for (const path of ['/', `/executions/${id}/get_user`, '/inspect', '/api/executions', `/api/executions/${id}/get_user`, '/api/inspect/sessions', `/api/inspect/sessions/${encodeURIComponent(`${id}/get_user`)}`, '/machine.svg']) {
        const response = await rawRequest(own.port, { path });
        expect(response.status, path).toBe(200);
        bodies.push(response.text, JSON.stringify(response.headers));
      }
      const stream = await openSse(own.port, `/api/executions/${id}/get_user/stream`);
      await stream.next();
      bodies.push(stream.raw);
      stream.close();
      const everything = bodies.join('\n');
      expect(everything).toContain('[REDACTED]');
      expect(everything).toContain(id);
      expect(everything).not.toContain(CANARY);
    } finally {
      await own.close();
      await harness.cleanup();
      await echo.close();
    }
  });
});
