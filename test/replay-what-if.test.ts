/**
 * Replay as a what-if (issue 12): the same journal replayed with a changed catalog or definition
 * says where the decisions diverge, in words, what would follow, and where it stops because the
 * journal has no outcome for a request that was never sent — while the API sees nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryCatalog } from '../src/catalog/catalog-registry.ts';
import { replayRecording } from '../src/replay/replay-recording.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ApiCatalogEntryInput } from '../src/schemas/catalog.ts';
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

/** Runs one GET /users/u_1 execution against `responses` and returns its recording. */
async function journaled(def: ActionDefinition, responses: Parameters<ScriptedApi['script']>[1], executionId: string) {
  api.script('GET /users/u_1', responses);
  harness = createHarness([def]);
  await harness.executor.execute(executeRequest('get_user', def.id, { userId: 'u_1' }, {}, executionId));
  return recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });
}

function catalog(entry: Partial<ApiCatalogEntryInput>) {
  return createInMemoryCatalog([{ apiId: 'users-api', name: 'Users API', version: '1', baseUrl: api.url, errorMappings: [], quirks: {}, ...entry }]);
}

const SIXTY_SECONDS = { detection: { statusCodes: [429], headers: [] }, extraction: {}, backoffStrategy: { type: 'exponential' as const, initialDelay: 60_000, maxDelay: 3_600_000 } };

describe('replay what-if: a changed catalog', () => {
  it('a catalog rule that reclassifies a recorded 403 as a retryable rate limit: diverges at attempt 1, would retry after 60 s, stops at the attempt never sent', async () => {
    const recording = await journaled(definition(api.url), [{ status: 403, body: { message: 'You have exceeded a secondary rate limit' } }], '1c7e0f3a-0d5e-4a8b-9c2d-3e4f5a6b7c8d');
    expect(recording.stateValue).toBe('failed');
    const hits = api.hits.length;

    const report = await replayRecording(recording, {
      catalog: catalog({ errorMappings: [{ status: 403, pattern: 'secondary rate limit', category: 'rate_limit_burst', retryable: true }], rateLimiting: SIXTY_SECONDS }),
      whatIf: 'with this catalog',
    });

    expect(report.outcome).toBe('diverged');
    expect(report.divergences).toHaveLength(1);
    expect(report.divergences[0]).toMatchObject({ where: 'attempt 1', kind: 'decision' });
    expect(report.divergences[0]!.message).toBe('attempt 1: with this catalog the 403 is rate_limit_burst, retryable → would retry after 60 s; it was auth_invalid, not retryable → failed');
    expect(report.followUp).toEqual([
      'backingOff: would wait 60 s, then send again (backingOff → requesting)',
      'attempt 2 was never sent, so the journal has no outcome for it: the replay stops here (it sends nothing).',
    ]);
    expect(report.stop?.reason).toBe('unrecorded_attempt');
    expect(report.steps.map((s) => s.verdict)).toEqual(['same', 'same', 'same', 'diverged', 'what-if']);
    expect(report.finalState).toBeNull();
    expect(api.hits.length).toBe(hits);
  });

  it('a catalog rule that reclassifies a recorded 429 as not retryable: the execution would fail at attempt 1 and its attempt 2 would not be sent', async () => {
    const recording = await journaled(definition(api.url), [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: { id: 'u_1' } }], '2d8f1a4b-1e6f-4b9c-8d3e-4f5a6b7c8d9e');
    expect(recording.stateValue).toBe('completed');
    const hits = api.hits.length;

    const report = await replayRecording(recording, { catalog: catalog({ errorMappings: [{ status: 429, category: 'auth_invalid', retryable: false }] }), whatIf: 'with this catalog' });

    expect(report.divergences[0]!.message).toBe('attempt 1: with this catalog the 429 is auth_invalid, not retryable → would fail; it was rate_limit_burst, retryable → retried after 1 s');
    expect(report.followUp).toEqual(['→ the execution ends failed', "the journal's attempt 2 would not have been sent"]);
    expect(report.stop).toBeNull();
    expect(report.replayedState).toBe('failed');
    expect(report.finalState?.result).toMatchObject({ status: 'failure', error: { category: 'auth_invalid', statusCode: 429 } });
    expect(api.hits.length).toBe(hits);
  });

  it('with the catalog the execution ran with, the same journal replays the same', async () => {
    const entry = { errorMappings: [{ status: 403, pattern: 'secondary rate limit', category: 'rate_limit_burst' as const, retryable: true }], rateLimiting: SIXTY_SECONDS };
    api.script('GET /users/u_1', [{ status: 403, body: { message: 'You have exceeded a secondary rate limit' } }, { status: 200, body: { id: 'u_1' } }]);
    harness = createHarness([definition(api.url)], { catalog: catalog(entry) });
    const executionId = '3e9a2b5c-2f7a-4c0d-9e4f-5a6b7c8d9e0f';
    await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    const recording = await recordingFrom(harness.dbPath, { executionId, actionId: 'get_user' });

    const same = await replayRecording(recording, { catalog: catalog(entry) });
    const without = await replayRecording(recording);

    expect(same.outcome).toBe('same');
    expect(same.steps.find((s) => s.event === 'RETRY')?.data.delayMs).toBe(60_000);
    expect(without.outcome).toBe('diverged');
    expect(without.divergences[0]!.message).toBe('attempt 1: on replay the 403 is auth_invalid, not retryable → would fail; it was rate_limit_burst, retryable → retried after 60 s');
  });
});

describe('replay what-if: a changed definition', () => {
  const fast = (url: string, retry: Partial<ActionDefinition['retryPolicy']> = {}): ActionDefinition => ({ ...definition(url), retryPolicy: { ...definition(url).retryPolicy, ...retry } });

  it('fewer attempts: the 503 that was retried would fail, and the later attempt would not be sent', async () => {
    const recording = await journaled(fast(api.url), [{ status: 503 }, { status: 200, body: { id: 'u_1' } }], '4f0b3c6d-3a8b-4d1e-8f5a-6b7c8d9e0f1a');
    const report = await replayRecording(recording, { definition: fast(api.url, { maxAttempts: 1 }) });
    expect(report.divergences[0]!.message).toBe('attempt 1: with this definition the 503 is api_unexpected_status, retryable, but maxAttempts is 1 → would fail; it was api_unexpected_status, retryable → retried after 100 ms');
    expect(report.followUp).toContain("the journal's attempt 2 would not have been sent");
  });

  it('more attempts on an exhausted failure: would retry after the base delay (no jitter draw was recorded: the longest is assumed, and said)', async () => {
    const recording = await journaled(fast(api.url, { maxAttempts: 1, jitter: true }), [{ status: 503 }], '5a1c4d7e-4b9c-4e2f-9a6b-7c8d9e0f1a2b');
    expect(recording.stateValue).toBe('failed');
    const report = await replayRecording(recording, { definition: fast(api.url, { maxAttempts: 2, jitter: true }) });
    const step = report.steps.find((s) => s.verdict === 'diverged');
    expect(step?.data.delayMs).toBe(100);
    expect(step?.notes).toEqual(['1 jitter draw(s) the journal does not have: assumed 1, the longest delay']);
    expect(report.stop?.reason).toBe('unrecorded_attempt');
  });

  it('a changed retry delay is the same decision with another payload: named field by field, and the replay goes on to the end', async () => {
    const recording = await journaled(fast(api.url), [{ status: 503 }, { status: 200, body: { id: 'u_1' } }], '6b2d5e8f-5c0d-4f3a-8b7c-8d9e0f1a2b3c');
    const report = await replayRecording(recording, { definition: fast(api.url, { initialDelay: 400 }) });
    expect(report.outcome).toBe('diverged');
    expect(report.divergences.map((d) => d.kind)).toEqual(['detail']);
    expect(report.divergences[0]!.message).toBe('attempt 1: with this definition the 503 is api_unexpected_status, retryable → would retry after 400 ms; it was api_unexpected_status, retryable → retried after 100 ms');
    expect(report.steps.map((s) => s.verdict)).toEqual(['same', 'same', 'same', 'changed', 'same', 'same', 'same', 'same']);
    expect(report.finalState?.status).toBe('completed');
  });

  it('a definition that sends another request: the recorded response answers a different request, so the replay stops before using it', async () => {
    const recording = await journaled(fast(api.url), [{ status: 200, body: { id: 'u_1' } }], '7c3e6f9a-6d1e-4a4b-9c8d-9e0f1a2b3c4d');
    const moved = { ...fast(api.url), endpoint: { ...fast(api.url).endpoint, url: `${api.url}/v2/users/{userId}` } };
    const report = await replayRecording(recording, { definition: moved });
    expect(report.divergences[0]).toMatchObject({ kind: 'request', where: 'attempt 1' });
    expect(report.divergences[0]!.message).toBe(`attempt 1: with this definition the request would be GET ${api.url}/v2/users/u_1 (different url); the journal's attempt 1 was GET ${api.url}/users/u_1`);
    expect(report.stop?.reason).toBe('different_request');
    expect(report.steps.map((s) => s.event)).toEqual(['RESOLVED', 'VALIDATED']);
  });

  it('an invalid what-if definition is refused, naming the field', async () => {
    const recording = await journaled(fast(api.url), [{ status: 200, body: { id: 'u_1' } }], '8d4f7a0b-7e2f-4b5c-8d9e-0f1a2b3c4d5e');
    const broken = { ...fast(api.url), retryPolicy: { ...fast(api.url).retryPolicy, maxAttempts: -1 } };
    await expect(replayRecording(recording, { definition: broken })).rejects.toThrow(/the definition given to the replay is invalid:\n.*retryPolicy\.maxAttempts/);
  });
});
