/**
 * The trigger helper (src/trigger/trigger-action-execution.ts): the platform idempotency key it sets
 * from (executionId, action.id), against a local platform API that deduplicates keys as the platform
 * does — so two runs of one execution are never started.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { runInMockTaskContext } from '@trigger.dev/core/v3/test';
import { parsePacket } from '@trigger.dev/core/v3/utils/ioSerialization';
import { actionExecutionIdempotencyKey, actionExecutionTags, triggerActionExecution } from '../src/trigger/trigger-action-execution.ts';
import { isActionError } from '../src/failure/errors.ts';
import { EXEC_ID, executeRequest } from './support/executor-harness.ts';
import { startPlatformApi, type PlatformApi } from './support/trigger-platform.ts';

let platform: PlatformApi;
beforeEach(async () => {
  platform = await startPlatformApi();
  for (const [name, value] of Object.entries(platform.env)) vi.stubEnv(name, value);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await platform.close();
});

const getUser = executeRequest('get_user', 'get-user', { userId: 'u_1' });
const TRIGGER = /^\/api\/v1\/tasks\/action-execute\/trigger$/;

interface TriggerBody {
  payload: string;
  options: { idempotencyKey?: string; idempotencyKeyOptions?: unknown; tags?: string[]; maxAttempts?: number; payloadType?: string };
}
const bodies = (): TriggerBody[] => platform.callsTo(TRIGGER).map((call) => call.body as TriggerBody);

describe('triggerActionExecution', () => {
  it('triggers action-execute with the global idempotency key of (executionId, action.id): the SHA-256 of "<executionId>-<actionId>"', async () => {
    const handle = await triggerActionExecution(getUser);
    expect(handle.id).toBe('run_1');
    const [body] = bodies();
    expect(body?.options.idempotencyKey).toBe(createHash('sha256').update(`${EXEC_ID}-get_user`).digest('hex'));
    expect(body?.options.idempotencyKeyOptions).toEqual({ key: `${EXEC_ID}-get_user`, scope: 'global' });
    expect(await actionExecutionIdempotencyKey(EXEC_ID, 'get_user')).toBe(body?.options.idempotencyKey);
    expect(await parsePacket({ data: body?.payload, dataType: body?.options.payloadType ?? '' })).toEqual(getUser);
  });

  it('two triggers of one execution start one run — even from two different parent runs; another action starts its own', async () => {
    const fromParent = (runId: string, request = getUser) => runInMockTaskContext(() => triggerActionExecution(request), { ctx: { run: { id: runId } } });
    const first = await fromParent('run_parent_a');
    const second = await fromParent('run_parent_b');
    expect(second.id).toBe(first.id);
    const keys = bodies().map((body) => body.options.idempotencyKey);
    expect(keys[0]).toBe(keys[1]);
    const other = await fromParent('run_parent_a', executeRequest('send_receipt', 'get-user', { userId: 'u_1' }));
    expect(other.id).not.toBe(first.id);
  });

  it("tags the run with its execution and definition, before the caller's tags, and passes the caller's other options", async () => {
    await triggerActionExecution(getUser, { tags: ['tenant:acme'], maxAttempts: 2 });
    expect(bodies()[0]?.options).toMatchObject({ tags: [`execution:${EXEC_ID}`, 'definition:get-user', 'tenant:acme'], maxAttempts: 2 });
    expect(actionExecutionTags({ executionId: EXEC_ID, action: { ...getUser.action, actionDefinitionId: 'd'.repeat(300) } })[1]).toHaveLength(127);
  });

  it('refuses an invalid request with INVALID_REQUEST naming each JSON path, before calling the platform', async () => {
    const error = await triggerActionExecution({ ...getUser, executionId: 'not-a-uuid' }).catch((e: unknown) => e);
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_REQUEST' });
    expect((error as Error).message).toBe('The action.execute.requested payload is invalid:\n  $.executionId: Invalid UUID');
    expect(platform.calls).toHaveLength(0);
  });
});
