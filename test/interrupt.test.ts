/**
 * Issue 13 "Signals", the library side: `executor.interrupt(reason)` stops every run at its next
 * journaled point without recording anything more and releases its lease; each interrupted call
 * rejects with an InterruptedError the CLI can recognise; a resume carries on from the journal. A
 * request already in flight may finish — its outcome is committed, so the resume does not send it again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import { isInterruptedError, type InterruptedError } from '../src/failure/errors.ts';
import { createManualClock, type ManualClock } from '../src/support/clock.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';

let api: ScriptedApi;
let dir: string;
const opened: ActionExecutor[] = [];
beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-interrupt-'));
});
afterEach(async () => {
  for (const executor of opened.splice(0)) await executor.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = { executionId: EXEC_ID, actionId: 'get_user' };

function open(definitions: ActionDefinition[], clock: ManualClock): ActionExecutor {
  const executor = createActionExecutor({ dbPath: join(dir, 'journal.db'), storageDir: join(dir, 'storage'), definitions, clock });
  opened.push(executor);
  return executor;
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value).slice(0, 300)}`);
    },
    (error: unknown) => error,
  );
}

describe('executor.interrupt', () => {
  it('during a backoff: execute rejects with an InterruptedError naming the execution, the lease is released, nothing more is recorded, and a resume completes', async () => {
    const defs = [definition(api.url)];
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
    const clock = createManualClock(Date.UTC(2026, 0, 1)); // not auto-advancing: the backoff waits
    const executor = open(defs, clock);
    const running = executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 5 });
    const before = await executor.journal.listTransitions(KEY);
    expect(before.at(-1)?.to).toBe('backingOff');

    await executor.interrupt('SIGTERM');
    const error = (await rejectionOf(running)) as InterruptedError;
    expect(isInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'SIGTERM', executionId: EXEC_ID, actionId: 'get_user' });
    expect(error.message).toContain('resume it to carry on');

    const record = await executor.journal.get(KEY);
    expect(record).toMatchObject({ status: 'running', stateValue: 'backingOff', lease: null, result: null });
    expect(await executor.journal.listTransitions(KEY)).toEqual(before);
    expect(api.hits).toHaveLength(1);

    const resumed = await open(defs, createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true })).resume(EXEC_ID, 'get_user');
    expect(resumed).toMatchObject({ status: 'completed', attempts: 2, result: { status: 'success', output: { id: 'u_1' } } });
    expect(api.hits).toHaveLength(2);
  });

  it('a request in flight finishes and its outcome is committed before the run stops: the resume does not send an unkeyed POST again', async () => {
    const post: ActionDefinition = { ...definition(api.url), id: 'note', endpoint: { url: `${api.url}/notes`, method: 'POST', headers: {}, timeout: 5000 } };
    api.script('POST /notes', [{ status: 201, body: { id: 'note_1' }, delayMs: 30 }]);
    const executor = open([post], createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }));
    let interrupted: Promise<void> | undefined;
    api.onRequest = () => void (interrupted = executor.interrupt('SIGINT'));
    const error = await rejectionOf(executor.execute(executeRequest('write', 'note', { userId: 'u_1' })));
    expect(isInterruptedError(error)).toBe(true);
    await interrupted;

    const key = { executionId: EXEC_ID, actionId: 'write' };
    expect(await executor.journal.getAttempt(key, 1)).toMatchObject({ state: 'responded', outcome: { kind: 'response', status: 201 } });
    expect((await executor.journal.get(key))?.lease).toBeNull();
    delete api.onRequest;

    const resumed = await open([post], createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true })).resume(EXEC_ID, 'write');
    expect(resumed).toMatchObject({ status: 'completed', result: { output: { id: 'note_1' } } });
    expect(api.hitsFor('POST /notes')).toHaveLength(1);
  });

  it('after an interrupt, execute, resume and resumeAll reject with an InterruptedError before touching the journal; reads still work', async () => {
    const executor = open([definition(api.url)], createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }));
    await executor.interrupt('shutting down');
    for (const call of [executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' })), executor.resume(EXEC_ID, 'get_user'), executor.resumeAll()]) {
      const error = await rejectionOf(call);
      expect(isInterruptedError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ reason: 'shutting down' });
    }
    expect(await executor.get(EXEC_ID, 'get_user')).toBeUndefined();
    expect(await executor.list()).toEqual({ executions: [], total: 0 });
    expect(api.hits).toHaveLength(0);
  });

  it('resumeAll interrupted while resuming: rejects with an InterruptedError; the executions it reached are left resumable', async () => {
    const defs = [definition(api.url)];
    api.script('GET /users/u_1', [{ status: 503 }]);
    const first = open(defs, createManualClock(Date.UTC(2026, 0, 1)));
    const crashed = first.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
    await vi.waitFor(() => expect(first.journal.listTransitions(KEY).then((t) => t.at(-1)?.to)).resolves.toBe('backingOff'), { timeout: 5000, interval: 5 });
    await first.interrupt('SIGTERM');
    await rejectionOf(crashed);

    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const second = open(defs, clock);
    const report = second.resumeAll();
    await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 5000, interval: 5 });
    await second.interrupt('SIGTERM');
    expect(isInterruptedError(await rejectionOf(report))).toBe(true);
    expect(await second.journal.get(KEY)).toMatchObject({ stateValue: 'backingOff', lease: null });
  });
});
