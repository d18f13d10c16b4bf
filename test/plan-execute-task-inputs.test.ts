/**
 * What the registered `plan-execute` task refuses, and where its credentials come from, in the task
 * context (test/support/plan-task-world.ts): a payload the schema refuses fails before `run()`, a plan
 * or a credential the worker cannot serve fails the run without platform retries — nothing sent.
 */
import { describe, expect, it } from 'vitest';
import { planDefinitions } from './support/plan-harness.ts';
import { action, plan } from './support/plan-fixtures.ts';
import { runAttempt } from './support/trigger-platform.ts';
import { messageOf, onboarding, stateOf, usePlanTaskWorld } from './support/plan-task-world.ts';

const world = usePlanTaskWorld();

describe('plan-execute: payload, plan and credentials', () => {
  it('a payload the schema refuses fails before run() with every JSON path — a misspelled userConfirmaton is not dropped, and credential values in the payload are refused', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    const raw = onboarding() as unknown as { actions: Record<string, unknown>[] };
    const misspelled = { ...raw, actions: raw.actions.map((entry) => (entry['id'] === 'create_order' ? { ...entry, userConfirmaton: entry['userConfirmation'], userConfirmation: undefined } : entry)) };
    const { result } = await runAttempt(task, { plan: misspelled, context: { credentials: { API_TOKEN: 'secret' } } });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(result.error).toMatchObject({ type: 'INTERNAL_ERROR', code: 'TASK_INPUT_ERROR' });
    const message = messageOf(result);
    expect(message).toContain('The plan-execute payload is invalid:');
    expect(message).toContain('$: Unrecognized key: "context"');
    expect(message).toContain('$.plan.actions[1].userConfirmaton: unknown field "userConfirmaton" is not part of an execution plan; did you mean "userConfirmation"?');
    expect(world.api.hits).toHaveLength(0);
  });

  it('PLAN_INVALID: a plan naming a definition the worker does not have fails the run without retries, nothing sent', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    const unknown = plan([action('get_user', { definition: 'get-usr', inputs: { userId: 'u_1' } })]);
    const { result } = await runAttempt(task, { plan: unknown });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(messageOf(result)).toMatch(/^validation_failed \(PLAN_INVALID\): The execution plan is invalid \(1 problem\); nothing was run:\n {2}\$\.actions\[0\]\.actionDefinitionId: unknown action definition "get-usr".*did you mean "get-user"\?/);
    expect(world.api.hits).toHaveLength(0);
  });

  it('credentials come from the worker environment (ACTION_EXECUTOR_CREDENTIAL_<NAME>), never from the payload; the value reaches the API and nothing the run returns or publishes', async () => {
    const secret = 's3cret-value-for-the-test';
    const authed = planDefinitions(world.api.url).map((def) => (def.id === 'get-user' ? { ...def, authentication: { type: 'bearer' as const, token: '${credentials.API_TOKEN}', tokenFrom: 'env' as const } } : def));
    const task = await world.startWorker(world.machine('a', authed), world.journalIn('a'), { ACTION_EXECUTOR_CREDENTIAL_API_TOKEN: secret });
    world.api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const { result, metadata } = await runAttempt(task, { plan: plan([action('get_user', { inputs: { userId: 'u_1' } })]), credentials: ['API_TOKEN'] });
    const state = await stateOf(result);

    expect(state.status).toBe('completed');
    expect(world.api.hitsFor('GET /users/u_1')[0]?.headers.authorization).toBe(`Bearer ${secret}`);
    expect(JSON.stringify(state)).not.toContain(secret);
    expect(JSON.stringify(metadata)).not.toContain(secret);
  });

  it('CREDENTIAL_MISSING: a named credential the worker environment lacks fails the run without retries, naming the variable, before anything is sent', async () => {
    const task = await world.startWorker(world.machine('a', planDefinitions(world.api.url)), world.journalIn('a'));
    const { result } = await runAttempt(task, { plan: onboarding(), credentials: ['API_TOKEN'] });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.skippedRetrying).toBe(true);
    expect(messageOf(result)).toMatch(/^validation_failed \(CREDENTIAL_MISSING\): The plan needs the credential "API_TOKEN", but the worker's environment has no ACTION_EXECUTOR_CREDENTIAL_API_TOKEN \(unset or empty\); nothing was run\./);
    expect(world.api.hits).toHaveLength(0);
  });
});
