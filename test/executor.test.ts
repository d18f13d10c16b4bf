import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { isActionError } from '../src/failure/errors.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, EXEC_ID, type Harness } from './support/executor-harness.ts';
import type { ExecutorEvent } from '../src/execution/executor.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { until } from './support/until.ts';

let api: ScriptedApi;
let h: Harness;

beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  await api.close();
});

const user = { id: 'u_1', name: 'Ada', email: 'ada@example.com' };

describe('durable executor', () => {
  it('EXEC-008: retries a 503 with exponential backoff, completes, and journals every transition', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 503, body: { error: 'busy' } }, { status: 200, body: user }]);
    const start = h.clock.now();
    const state = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));

    expect(ActionExecutionStateSchema.parse(state)).toEqual(state);
    expect(state).toMatchObject({ status: 'completed', attempts: 2, result: { status: 'success', output: { id: 'u_1', name: 'Ada' } } });
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(2);
    // The backoff was the policy's first delay (100 ms, no jitter), waited on the injected clock.
    expect(h.clock.now() - start).toBe(100);
    const transitions = (await h.executor.journal.listTransitions({ executionId: EXEC_ID, actionId: 'get_user' })).map((t) => `${t.from}→${t.to}`);
    expect(transitions).toEqual([
      'created→resolving',
      'resolving→validating',
      'validating→requesting',
      'requesting→classifying',
      'classifying→backingOff',
      'backingOff→requesting',
      'requesting→classifying',
      'classifying→storing',
      'storing→completed',
    ]);
  });

  it('EXEC-013 / EXEC-014: every attempt is in the trace with its request, status and response headers', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 502, body: { error: 'bad gateway' }, headers: { 'x-request-id': 'req-1' } }, { status: 200, body: user, headers: { 'x-request-id': 'req-2' } }]);
    const state = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    expect(state.httpTrace.map((t) => t.response?.status)).toEqual([502, 200]);
    expect(state.httpTrace.map((t) => t.response?.headers['x-request-id'])).toEqual(['req-1', 'req-2']);
    expect(state.httpTrace[0]?.request).toMatchObject({ method: 'GET', url: `${api.url}/users/u_1` });
  });

  it('EXEC-019: the output and the final state are stored through the storage provider', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const state = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    if (state.result?.status !== 'success') throw new Error('expected success');
    const location = state.result.outputLocation;
    expect(JSON.parse(readFileSync(location.path, 'utf8'))).toEqual(state.result.output);
    const ids = await h.executor.storage.list('results');
    expect(ids).toHaveLength(1);
    const saved = await h.executor.storage.load('results', ids[0]!);
    expect(JSON.parse(saved!.data.toString('utf8'))).toEqual(state);
  });

  it('resubmitting the same request returns the recorded execution without sending again', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const request = executeRequest('get_user', 'get-user', { userId: 'u_1' });
    const first = await h.executor.execute(request);
    const second = await h.executor.execute(structuredClone(request));
    expect(second).toEqual(first);
    expect(api.hits).toHaveLength(1);
  });

  it('the same key with a different request is refused with state_inconsistent and nothing is overwritten', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const first = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    const error = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_2' })).catch((e: unknown) => e);
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'state_inconsistent', code: 'REQUEST_MISMATCH' });
    expect(await h.executor.get(EXEC_ID, 'get_user')).toEqual(first);
    expect(api.hits).toHaveLength(1);
  });

  it('a false condition with else "skip" ends skipped with the reason, sending nothing', async () => {
    h = createHarness([definition(api.url)]);
    const state = await h.executor.execute(
      executeRequest('get_user', 'get-user', { userId: 'u_1' }, {
        action: { ...executeRequest('get_user', 'get-user', { userId: 'u_1' }).action, condition: { if: '${check.output.ok}', then: 'execute', else: 'skip' } },
        context: { credentials: {}, previousResults: { check: JSON.stringify({ ok: 'false' }) } },
      }),
    );
    expect(state.status).toBe('skipped');
    expect(state.result).toMatchObject({ status: 'skipped', reason: expect.stringContaining('${check.output.ok}') });
    expect(api.hits).toHaveLength(0);
  });

  it('an unknown definition id ends failed with validation_failed naming it', async () => {
    h = createHarness([definition(api.url)]);
    const state = await h.executor.execute(executeRequest('x', 'no-such-definition', {}));
    expect(state.result).toMatchObject({ status: 'failure', error: { category: 'validation_failed', code: 'UNKNOWN_DEFINITION' } });
  });

  it('a request that is not a valid payload is rejected with the JSON paths that are wrong', async () => {
    h = createHarness([definition(api.url)]);
    const error = await h.executor.execute({ executionId: 'nope', action: {} }).catch((e: unknown) => e);
    expect(isActionError(error)).toBe(true);
    if (!isActionError(error)) return;
    expect(error.detail.code).toBe('INVALID_REQUEST');
    expect(error.detail.message).toContain('$.executionId');
    expect(error.detail.message).toContain('$.context');
  });

  it('spec step 8: emits action.execute.completed / failed through the outbox after commit', async () => {
    const events: ExecutorEvent[] = [];
    h = createHarness([definition(api.url, { retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 1 } })], { onEvent: (e) => void events.push(e) });
    api.script('GET /users/ok', [{ status: 200, body: user }]);
    api.script('GET /users/gone', [{ status: 404, body: { message: 'no such user' } }]);
    await h.executor.execute(executeRequest('a', 'get-user', { userId: 'ok' }));
    await h.executor.execute(executeRequest('b', 'get-user', { userId: 'gone' }));
    expect(events.map((e) => [e.type, e.actionId, e.payload.status])).toEqual([
      ['action.execute.completed', 'a', 'completed'],
      ['action.execute.failed', 'b', 'failed'],
    ]);
    expect(await h.executor.journal.pendingOutbox()).toHaveLength(0);
  });

  it('an event a listener fails to take stays in the outbox and is delivered on the next start', async () => {
    let fail = true;
    const seen: string[] = [];
    h = createHarness([definition(api.url)], {
      onEvent: (e) => {
        if (fail) throw new Error('listener down');
        seen.push(e.type);
      },
    });
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    expect(await h.executor.journal.pendingOutbox()).toHaveLength(1);
    fail = false;
    expect(await h.executor.deliverPendingEvents()).toBe(1);
    expect(seen).toEqual(['action.execute.completed']);
  });

  it('cancel during a backoff ends failed with user_cancelled and sends nothing more', async () => {
    h = createHarness([definition(api.url, { retryPolicy: { ...definition(api.url).retryPolicy, initialDelay: 60_000, maxDelay: 60_000 } })]);
    // A clock that does not jump: the backoff really waits, and the test cancels it.
    const { createManualClock } = await import('../src/support/clock.ts');
    const clock = createManualClock();
    const executor = h.reopen({ clock });
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    const running = executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
    const state = await executor.cancel(EXEC_ID, 'get_user', 'operator stopped it');
    expect(state.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CANCELLED' } });
    expect(await running).toEqual(state);
    expect(api.hits).toHaveLength(1);
  });

  it('logs carry executionId, actionId, attempt and state on every line', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line).toMatchObject({ executionId: EXEC_ID, actionId: 'get_user' });
      expect(typeof line['attempt']).toBe('number');
      expect(typeof line['state']).toBe('string');
    }
  });
});

describe('durable executor: redirects in the trace', () => {
  it('EXEC-013: a followed redirect appears in httpTrace before the final response', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 301, headers: { location: `${api.url}/users/u_1/v2` } }]);
    api.script('GET /users/u_1/v2', [{ status: 200, body: user }]);
    const state = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    expect(state.status).toBe('completed');
    expect(state.httpTrace.map((t) => t.response?.status)).toEqual([301, 200]);
    expect(state.httpTrace[1]?.request.url).toBe(`${api.url}/users/u_1/v2`);
  });
});

describe('durable executor: client-side rate limit and single writer', () => {
  it('ActionDefinition.rateLimit: a durable token bucket throttles the third call and waits it out in backingOff', async () => {
    h = createHarness([definition(api.url, { rateLimit: { requests: 2, window: 1000, scope: 'global' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const start = h.clock.now();
    for (const id of ['a', 'b', 'c']) await h.executor.execute(executeRequest(id, 'get-user', { userId: 'u_1' }));
    const third = await h.executor.journal.listTransitions({ executionId: EXEC_ID, actionId: 'c' });
    const throttled = third.find((t) => t.to === 'backingOff');
    expect(throttled, 'third call waited for a token').toBeDefined();
    expect((throttled!.snapshot as { context: { waitReason: string } }).context.waitReason).toContain('client-side rate limit of get-user (2 requests per 1000 ms, global)');
    // One token refills every 500 ms; the wait was exactly that, on the injected clock.
    expect(h.clock.now() - start).toBe(500);
    expect((await h.executor.get(EXEC_ID, 'c'))?.attempts).toBe(1);
    expect(api.hits).toHaveLength(3);
  });

  it('the bucket is shared through SQLite: a second executor on the same journal sees the tokens already taken', async () => {
    h = createHarness([definition(api.url, { rateLimit: { requests: 1, window: 60_000, scope: 'global' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    await h.executor.execute(executeRequest('a', 'get-user', { userId: 'u_1' }));
    const start = h.clock.now();
    await h.reopen().execute(executeRequest('b', 'get-user', { userId: 'u_1' }));
    expect(h.clock.now() - start).toBe(60_000);
  });

  it('a live lease held by another executor refuses a second driver with LEASE_HELD', async () => {
    h = createHarness([definition(api.url, { retryPolicy: { ...definition(api.url).retryPolicy, initialDelay: 60_000, maxDelay: 60_000 } })]);
    const { createManualClock } = await import('../src/support/clock.ts');
    const clock = createManualClock();
    const first = h.reopen({ clock });
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    const running = first.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
    const second = h.reopen({ clock });
    const error = await second.resume(EXEC_ID, 'get_user').catch((e: unknown) => e);
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'state_inconsistent', code: 'LEASE_HELD' });
    expect(api.hits).toHaveLength(1);
    clock.advance(60_000);
    expect((await running).status).toBe('completed');
  });
});

describe('durable executor: catalog failures degrade to standard handling', () => {
  it('EXEC-015 / EXEC-016: a catalog that throws does not fail the action; the error and the log say it was unavailable', async () => {
    const catalog = {
      getApiEntry: async () => {
        throw new Error('catalog service down');
      },
      getAllApis: async () => {
        throw new Error('catalog service down');
      },
    };
    h = createHarness([definition(api.url, { retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 1 } })], { catalog });
    api.script('GET /users/gone', [{ status: 404, body: { message: 'no such user' } }]);
    const state = await h.executor.execute(executeRequest('get_user', 'get-user', { userId: 'gone' }));
    // Standard table: 404 → api_endpoint_removed.
    expect(state.result).toMatchObject({ status: 'failure', error: { category: 'api_endpoint_removed', statusCode: 404 } });
    if (state.result?.status !== 'failure') return;
    expect(state.result.error.context['catalogUnavailable']).toContain('catalog service down');
    expect(h.logs.some((l) => l.includes('API catalog unavailable'))).toBe(true);
  });
});

describe('durable executor: refusing snapshots it cannot restore safely', () => {
  it('a snapshot journaled by another machine version is refused with MACHINE_VERSION_MISMATCH, not restored', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    const { createManualClock } = await import('../src/support/clock.ts');
    const clock = createManualClock();
    const first = h.reopen({ clock });
    const running = first.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
    // Pretend an older executor wrote it, and that its process is gone (lease released).
    const key = { executionId: EXEC_ID, actionId: 'get_user' };
    const journal = h.executor.journal as SqliteJournal;
    journal.db.prepare('UPDATE action_executions SET machine_version = ? WHERE execution_id = ?').run('0', EXEC_ID);
    const lease = (await journal.get(key))!.lease!;
    await journal.releaseLease(key, { ownerId: lease.id, epoch: lease.epoch });
    const error = await h.executor.resume(EXEC_ID, 'get_user').catch((e: unknown) => e);
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'state_inconsistent', code: 'MACHINE_VERSION_MISMATCH' });
    expect(api.hits).toHaveLength(1);
    // The first driver's lease was taken from it: fenced out, it can write (and send) nothing more.
    const stopped = await first.cancel(EXEC_ID, 'get_user').catch((e: unknown) => e);
    expect(isActionError(stopped) && stopped.detail.code).toBe('LEASE_LOST');
    await expect(running).rejects.toMatchObject({ detail: { code: 'LEASE_LOST' } });
  });
});
