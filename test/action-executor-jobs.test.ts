import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointingClock, CHECKPOINT_THRESHOLD_MS, executeActionJob, runActionExecuteJob } from '../src/trigger/action-executor-jobs.ts';
import { InfrastructureError, isActionError } from '../src/failure/errors.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';

let api: ScriptedApi;
let h: Harness;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  await api.close();
});

const payment = (url: string) => ({
  ...definition(url),
  id: 'pay',
  endpoint: { url: `${url}/payments`, method: 'POST' as const, headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
});

describe('Trigger.dev task action-execute', () => {
  it('is registered with the spec id "action-execute"', () => {
    expect(executeActionJob.id).toBe('action-execute');
  });

  it('returns the ActionExecutionState of a completed action', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const state = await runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'u_1' }), { executor: h.executor });
    expect(ActionExecutionStateSchema.parse(state).status).toBe('completed');
  });

  it('returns (does not throw) a classified failure, so the platform does not retry on top of the policy', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 403, body: { message: 'forbidden' } }]);
    const state = await runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'u_1' }), { executor: h.executor });
    expect(state.result).toMatchObject({ status: 'failure', error: { category: 'auth_invalid', statusCode: 403 } });
  });

  it('returns a failed state for a changed resubmission (REQUEST_MISMATCH) instead of throwing', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    await runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'u_1' }), { executor: h.executor });
    const state = await runActionExecuteJob(executeRequest('get_user', 'get-user', { userId: 'other' }), { executor: h.executor });
    expect(state.result).toMatchObject({ status: 'failure', error: { code: 'REQUEST_MISMATCH' } });
  });

  it('throws on an infrastructure failure, and the platform retry resumes the journal without repeating the POST', async () => {
    h = createHarness([payment(api.url)]);
    api.script('POST /payments', [{ status: 201, body: { id: 'pay_1' } }]);
    // The first run's journal write fails right after the response was recorded.
    const broken = h.reopen(
      withTestHooks({}, {
        faultHook: (point) => {
          if (point === 'attempt:finished') throw new InfrastructureError('disk full');
        },
      }),
    );
    const request = executeRequest('pay', 'pay', { userId: 'u_1' });
    const failure = await runActionExecuteJob(request, { executor: broken }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(isActionError(failure)).toBe(false);
    await broken.close();
    // The platform re-runs run() from the top with the same payload.
    const state = await runActionExecuteJob(request, { executor: h.reopen() });
    expect(state.status).toBe('completed');
    expect(api.hitsFor('POST /payments')).toHaveLength(1);
    expect([...api.effects.values()]).toEqual([1]);
  });

  it('long waits go through the platform waiter (checkpoint); short ones sleep in-process', async () => {
    let now = 1_000_000;
    const waited: Date[] = [];
    const clock = checkpointingClock(async (until) => {
      waited.push(until);
      now = until.getTime();
    }, () => now);
    await clock.sleepUntil(now + CHECKPOINT_THRESHOLD_MS + 60_000);
    expect(waited.map((d) => d.getTime())).toEqual([1_000_000 + CHECKPOINT_THRESHOLD_MS + 60_000]);
    await clock.sleepUntil(now + 2);
    expect(waited).toHaveLength(1);
    await clock.sleepUntil(now - 10);
    expect(waited).toHaveLength(1);
  });
});
