/**
 * Replay's recorded world (issue 12): nothing is sent — the transport refuses before a socket opens,
 * and a server that counts hits stays at its count —, nothing unredacted is reported, and the facts a
 * run recorded (an outside cancel, a client-side throttle, a health probe, a crash mid-way) are fed
 * back as they were.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor } from '../src/redaction/redaction.ts';
import { sendAttempt } from '../src/http/http.ts';
import { createNoNetwork } from '../src/replay/no-network.ts';
import { createReplayWorld } from '../src/replay/replay-world.ts';
import { replayRecording } from '../src/replay/replay-recording.ts';
import { ReplayInputError } from '../src/replay/replay-input-error.ts';
import { createInMemoryCatalog } from '../src/catalog/catalog-registry.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { recordingFrom } from './support/replay-fixtures.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

let api: ScriptedApi;
let harness: Harness | undefined;

beforeAll(async () => {
  api = await startScriptedApi();
});
afterAll(async () => api.close());
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const SECRET = 'sk-live-4f9d2a7c1e8b3f60';
const bearer = (url: string): ActionDefinition => ({ ...definition(url), authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' } });

describe('no request is ever sent', () => {
  it('the replay transport refuses before connecting: a live local server counts no hit', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const network = createNoNetwork();
    const hits = api.hits.length;
    const outcome = await sendAttempt({ method: 'GET', url: `${api.url}/users/u_1`, headers: {} }, { timeoutMs: 1000, redactor: createRedactor(), dispatcher: network.dispatcher });
    expect(outcome.kind).toBe('network_error');
    expect(network.refused).toBe(1);
    await expect(network.fetch(`${api.url}/health`)).rejects.toThrow(`replay sends no request, but something tried to reach ${api.url}/health`);
    expect(network.refused).toBe(2);
    expect(api.hits.length).toBe(hits);
  });

  it("an attempt the journal does not have, forced through the replay world's effects, never reaches the server", async () => {
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
    harness = createHarness([definition(api.url)]);
    const executionId = '9e5a8b1c-8f3a-4c6d-9e0f-1a2b3c4d5e6f';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
    const hits = api.hits.length;

    const world = createReplayWorld(recording);
    await world.run.resolve();
    await world.run.validate();
    const step = await world.run.request(3, false); // attempt 3 was never sent
    if (!('act' in step)) throw new Error('attempt 3 has no recorded outcome: the effect must ask to send it');
    const settled = await step.act(new AbortController().signal);

    expect(settled.writes?.[0]).toMatchObject({ type: 'finishAttempt', attempt: 3, state: 'failed' });
    expect(world.network.refused).toBe(1);
    expect(api.hits.length).toBe(hits);
    // …and the replay loop itself never gets that far: it stops first.
    const report = await replayRecording(recording, { definition: { ...definition(api.url), retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 3 } } });
    expect(report.requestsRefused).toBe(0);
  });
});

describe('authentication that would reach the network is never exercised', () => {
  it('oauth2: a recorded 401, refresh and repeat replays the same, and the token endpoint sees no request', async () => {
    api.script('POST /token', [{ status: 200, body: { access_token: 'tok-first-1234', expires_in: 3600 } }, { status: 200, body: { access_token: 'tok-second-5678', expires_in: 3600 } }]);
    api.script('GET /users/u_1', [{ status: 401, body: { message: 'token expired' } }, { status: 200, body: { id: 'u_1' } }]);
    const oauth: ActionDefinition = { ...definition(api.url), authentication: { type: 'oauth2', clientId: 'client-1', clientSecret: '${credentials.CLIENT_SECRET}', tokenUrl: `${api.url}/token`, scope: [] } };
    harness = createHarness([oauth]);
    const executionId = '8b4d7e0f-7c2d-4f5a-9b81-a2b3c4d5e6f8';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, { context: { credentials: { CLIENT_SECRET: SECRET }, previousResults: {} } }, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
    expect(recording.transitions.map((t) => t.event)).toContain('REFRESH_AUTH');
    const tokenHits = api.hitsFor('POST /token').length;

    const report = await replayRecording(recording);

    expect(report.outcome).toBe('same');
    expect(report.requestsRefused).toBe(0);
    expect(api.hitsFor('POST /token').length).toBe(tokenHits);
    expect(JSON.stringify(report)).not.toMatch(/tok-first|tok-second/);
  });

  it('custom auth: no handler is needed to replay (nothing is signed when nothing is sent)', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const custom: ActionDefinition = { ...definition(api.url), authentication: { type: 'custom', handler: 'hmac' } };
    harness = createHarness([custom], { customAuth: { hmac: () => ({ 'x-signature': 'sig-abcdef-123456' }) } });
    const executionId = '9c5e8f1a-8d3e-4a6b-8c92-b3c4d5e6f709';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });

    const report = await replayRecording(recording);

    expect(report.outcome).toBe('same');
    expect(report.finalState?.status).toBe('completed');
  });
});

describe('redaction', () => {
  it('a bearer token the API echoed is [REDACTED] in the journal and the report; credentials given to the replay never appear in it', async () => {
    api.script('GET /users/u_1', [{ status: 401, body: { message: `token ${SECRET} was revoked` } }]);
    harness = createHarness([bearer(api.url)]);
    const executionId = '0f6b9c2d-9a4b-4d7e-8f1a-2b3c4d5e6f70';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, { context: { credentials: { API_TOKEN: SECRET }, previousResults: {} } }, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
    expect(JSON.stringify(recording)).not.toContain(SECRET);

    const withPlaceholders = await replayRecording(recording);
    const withSecret = await replayRecording(recording, { credentials: { API_TOKEN: SECRET } });

    expect(withPlaceholders.outcome).toBe('same');
    expect(withSecret.outcome).toBe('same');
    for (const report of [withPlaceholders, withSecret]) {
      const text = JSON.stringify(report);
      expect(text).not.toContain(SECRET);
      expect(text).toContain('[REDACTED]');
    }
  });
});

describe('recorded facts fed back', () => {
  it('a cancel from outside is replayed as recorded: same failed state, user_cancelled', async () => {
    api.script('GET /users/u_1', [{ status: 503 }]);
    const executionId = '1a7c0d3e-0b5c-4e8f-9a2b-3c4d5e6f7081';
    harness = createHarness([definition(api.url)]);
    const dying = harness.reopen(withTestHooks({}, { faultHook: (point) => { if (point === 'transition:backingOff') throw new Error('stop here'); } }));
    await dying.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId)).catch(() => undefined);
    await dying.close();
    await harness.executor.cancel(executionId, 'get_user', 'operator gave up');
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });

    const report = await replayRecording(recording);

    expect(report.outcome).toBe('same');
    expect(report.steps.at(-1)).toMatchObject({ from: 'backingOff', to: 'failed', event: 'CANCEL', verdict: 'same' });
    expect(report.finalState?.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled' } });
  });

  it('a client-side rate limit that throttled the step is replayed from the journal, not from a bucket', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const limited: ActionDefinition = { ...definition(api.url), rateLimit: { requests: 1, window: 60_000, scope: 'global' } };
    harness = createHarness([limited]);
    const first = '2b8d1e4f-1c6d-4f9a-8b3c-4d5e6f708192';
    const second = '3c9e2f5a-2d7e-4a0b-9c4d-5e6f708192a3';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, first));
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, second));
    const recording = await recordingFrom(harness.dbPath, { executionId: second, actionId: 'get_user' });
    expect(recording.transitions.map((t) => t.event)).toContain('THROTTLED');

    const report = await replayRecording(recording);

    expect(report.outcome).toBe('same');
    expect(report.steps.filter((s) => s.event === 'THROTTLED')).toHaveLength(1);
  });

  it('a final failure followed by a health probe: the probe is not repeated offline, its journaled result is used', async () => {
    api.script('GET /users/u_1', [{ status: 503 }]);
    api.script('GET /health', [{ status: 200, body: { ok: true } }]);
    const entry = createInMemoryCatalog([{ apiId: 'users', name: 'Users', version: '1', baseUrl: api.url, errorMappings: [], quirks: {}, healthCheck: { endpoint: '/health', expectedStatus: 200, timeout: 1000 } }]);
    const once: ActionDefinition = { ...definition(api.url), retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 1 } };
    harness = createHarness([once], { catalog: entry });
    const executionId = '4d0f3a6b-3e8f-4b1c-8d5e-6f708192a3b4';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
    const hits = api.hits.length;

    const report = await replayRecording(recording, { catalog: entry });

    expect(report.outcome).toBe('same');
    expect(report.steps.at(-1)?.notes).toEqual(['health check not probed offline: the journaled result (healthy) is used']);
    expect(report.requestsRefused).toBe(0);
    expect(api.hits.length).toBe(hits);
  });

  it('a journal that ends mid-backoff (the process died, nobody resumed): the same so far, and says where it ends', async () => {
    api.script('GET /users/u_1', [{ status: 503 }]);
    harness = createHarness([definition(api.url)]);
    const executionId = '5e1a4b7c-4f9a-4c2d-9e6f-708192a3b4c5';
    const dying = harness.reopen(withTestHooks({}, { faultHook: (point) => { if (point === 'transition:backingOff') throw new Error('stop here'); } }));
    await dying.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId)).catch(() => undefined);
    await dying.close();
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });

    const report = await replayRecording(recording);

    expect(report.outcome).toBe('same');
    expect(report.stop).toEqual({ reason: 'journal_ends', message: 'the journal ends here: the execution has not finished and is in backingOff.' });
    expect(report.finalState).toBeNull();
  });

  it('an attempt sent whose outcome was never recorded: the replay stops there, in doubt', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    harness = createHarness([definition(api.url)]);
    const executionId = '6f2b5c8d-5a0b-4d3e-8f70-8192a3b4c5d6';
    const dying = harness.reopen(withTestHooks({}, { faultHook: (point) => { if (point === 'attempt:begun') throw new Error('stop here'); } }));
    await dying.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId)).catch(() => undefined);
    await dying.close();
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });

    const report = await replayRecording(recording);

    expect(report.stop?.reason).toBe('in_doubt');
    expect(report.stop?.message).toContain('attempt 1 was sent but its outcome was never recorded');
    expect(report.outcome).toBe('same');
  });

  it('an execution journaled by another machine version is refused as bad input', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    harness = createHarness([definition(api.url)]);
    const executionId = '7a3c6d9e-6b1c-4e4f-9a81-92a3b4c5d6e7';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
    const replaying = replayRecording({ ...recording, machineVersion: '1' });
    await expect(replaying).rejects.toBeInstanceOf(ReplayInputError);
    await expect(replaying).rejects.toThrow(`${executionId} / get_user was journaled by machine version 1; this replay runs version 2`);
  });
});
