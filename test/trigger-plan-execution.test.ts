/**
 * The plan trigger helper (src/trigger/trigger-plan-execution.ts): the platform idempotency key it
 * sets from the plan id, against a local platform API that deduplicates keys as the platform does — so
 * two runs of one plan, which would wait for the same confirmation tokens, are never started.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { runInMockTaskContext } from '@trigger.dev/core/v3/test';
import { parsePacket } from '@trigger.dev/core/v3/utils/ioSerialization';
import { planExecutionIdempotencyKey, triggerPlanExecution } from '../src/trigger/trigger-plan-execution.ts';
import { isActionError } from '../src/failure/errors.ts';
import { action, plan, PLAN_ID } from './support/plan-fixtures.ts';
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

const onePlan = plan([action('get_user', { inputs: { userId: 'u_1' } })]);
const TRIGGER = /^\/api\/v1\/tasks\/plan-execute\/trigger$/;

interface TriggerBody {
  payload: string;
  options: { idempotencyKey?: string; idempotencyKeyOptions?: unknown; tags?: string[]; payloadType?: string };
}
const bodies = (): TriggerBody[] => platform.callsTo(TRIGGER).map((call) => call.body as TriggerBody);

describe('triggerPlanExecution', () => {
  it('triggers plan-execute with the global idempotency key of the plan id, tagged plan:<id> before the caller\'s tags', async () => {
    const handle = await triggerPlanExecution({ plan: onePlan, credentials: ['DEMO_TOKEN'] }, { tags: ['tenant:acme'] });
    expect(handle.id).toBe('run_1');
    const [body] = bodies();
    expect(body?.options.idempotencyKey).toBe(createHash('sha256').update(`${PLAN_ID}-plan-execute`).digest('hex'));
    expect(body?.options.idempotencyKeyOptions).toEqual({ key: `${PLAN_ID}-plan-execute`, scope: 'global' });
    expect(await planExecutionIdempotencyKey(PLAN_ID)).toBe(body?.options.idempotencyKey);
    expect(body?.options.tags).toEqual([`plan:${PLAN_ID}`, 'tenant:acme']);
    expect(await parsePacket({ data: body?.payload, dataType: body?.options.payloadType ?? '' })).toEqual({ plan: onePlan, credentials: ['DEMO_TOKEN'] });
  });

  it('two triggers of one plan, from two parent runs, start one run', async () => {
    const fromParent = (runId: string) => runInMockTaskContext(() => triggerPlanExecution({ plan: onePlan }), { ctx: { run: { id: runId } } });
    const first = await fromParent('run_parent_a');
    const second = await fromParent('run_parent_b');
    expect(second.id).toBe(first.id);
  });

  it('refuses a payload the task would refuse, with INVALID_REQUEST naming each JSON path, before calling the platform', async () => {
    const error = await triggerPlanExecution({ plan: { ...onePlan, id: 'not-a-uuid' }, credentials: ['has space'] }).catch((e: unknown) => e);
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_REQUEST' });
    expect((error as Error).message).toContain('$.credentials[0]: a credential name is letters, digits, "_" and "-", as in ${credentials.NAME}');
    expect((error as Error).message).toMatch(/\$\.plan\.id: /);
    expect(platform.calls).toHaveLength(0);
  });
});
