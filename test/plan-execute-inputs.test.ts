/**
 * What the `plan-execute` task takes in, as plain functions: its payload, the credentials it reads
 * from the worker's environment, the answers its tokens bring back, the tokens' timeouts and keys,
 * and the order in which it waits for pending confirmations.
 */
import { describe, expect, it } from 'vitest';
import { isActionError } from '../src/failure/errors.ts';
import { parsePlanExecutePayload } from '../src/trigger/plan-execute-payload.ts';
import { credentialsFromEnvironment } from '../src/trigger/plan-credentials.ts';
import { parseConfirmationAnswer } from '../src/trigger/confirmation-answer.ts';
import { confirmationTokenKey, tokenKeyTtl, tokenTimeout } from '../src/trigger/confirmation-tokens.ts';
import { pendingConfirmationsOf } from '../src/trigger/pending-confirmations.ts';
import type { ExecutionState } from '../src/schemas/execution-state.ts';
import { action, plan, PLAN_ID, rawPlan } from './support/plan-fixtures.ts';

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
};

describe('the plan-execute payload', () => {
  const valid = rawPlan([action('get_user', { inputs: { userId: 'u_1' } })]);

  it('is { plan, credentials?, maxConcurrency? }: a valid one parses as it is', () => {
    expect(parsePlanExecutePayload({ plan: valid, credentials: ['DEMO_TOKEN'], maxConcurrency: 2 })).toEqual({ plan: valid, credentials: ['DEMO_TOKEN'], maxConcurrency: 2 });
    expect(parsePlanExecutePayload({ plan: valid })).toEqual({ plan: valid });
  });

  it('lists every problem with its JSON path, the plan\'s under $.plan, including unknown fields zod would drop', () => {
    const bad = { ...valid, actions: [{ ...(valid['actions'] as Record<string, unknown>[])[0], dependancies: [] }] };
    const error = thrown(() => parsePlanExecutePayload({ plan: bad, maxConcurrency: 0, credentialValues: { X: 'y' } }));
    expect(isActionError(error) && error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_REQUEST' });
    const message = (error as Error).message;
    expect(message.split('\n')[0]).toBe('The plan-execute payload is invalid:');
    expect(message).toContain('  $: Unrecognized key: "credentialValues"');
    expect(message).toContain('  $.maxConcurrency: Too small: expected number to be >=1');
    expect(message).toContain('  $.plan.actions[0].dependancies: unknown field "dependancies" is not part of an execution plan; did you mean "dependencies"?');
  });

  it('a payload that is not an object, or has no plan, says so', () => {
    expect((thrown(() => parsePlanExecutePayload('plan.json')) as Error).message).toBe('The plan-execute payload is invalid:\n  $: Invalid input: expected object, received string');
    expect((thrown(() => parsePlanExecutePayload({})) as Error).message).toBe('The plan-execute payload is invalid:\n  $.plan: missing: the payload carries the ExecutionPlan to run as "plan"');
    expect((thrown(() => parsePlanExecutePayload({ plan: [] })) as Error).message).toBe('The plan-execute payload is invalid:\n  $.plan: expected an execution plan object, found an array');
  });
});

describe('credentials from the worker environment', () => {
  const env = { ACTION_EXECUTOR_CREDENTIAL_DEMO_TOKEN: 'demo-secret', ACTION_EXECUTOR_CREDENTIAL_EMPTY: '', ACTION_EXECUTOR_DB: 'postgres://ae:db-password@db/x', PATH: '/usr/bin' };

  it('without names: every non-empty ACTION_EXECUTOR_CREDENTIAL_* variable, under its name, and nothing else', () => {
    expect(credentialsFromEnvironment(undefined, env)).toEqual({ DEMO_TOKEN: 'demo-secret' });
  });

  it('with names: exactly those, each from ACTION_EXECUTOR_CREDENTIAL_<NAME>', () => {
    expect(credentialsFromEnvironment(['DEMO_TOKEN'], env)).toEqual({ DEMO_TOKEN: 'demo-secret' });
  });

  it('CREDENTIAL_MISSING names each missing variable and no value; naming another variable of the worker cannot reach it', () => {
    const error = thrown(() => credentialsFromEnvironment(['EMPTY', 'ACTION_EXECUTOR_DB'], env));
    expect(isActionError(error) && error.detail).toMatchObject({ code: 'CREDENTIAL_MISSING', context: { variables: 'ACTION_EXECUTOR_CREDENTIAL_EMPTY, ACTION_EXECUTOR_CREDENTIAL_ACTION_EXECUTOR_DB' } });
    expect((error as Error).message).toBe('The plan needs the credentials "EMPTY", "ACTION_EXECUTOR_DB", but the worker\'s environment has no ACTION_EXECUTOR_CREDENTIAL_EMPTY, ACTION_EXECUTOR_CREDENTIAL_ACTION_EXECUTOR_DB (unset or empty); nothing was run.');
    expect(JSON.stringify(isActionError(error) && error.detail)).not.toContain('db-password');
  });
});

describe('confirmation answers', () => {
  it('{ confirmed, userId? } is an answer; extra fields are ignored', () => {
    expect(parseConfirmationAnswer({ confirmed: true, userId: 'ops', comment: 'fine' })).toEqual({ ok: true, answer: { confirmed: true, userId: 'ops' } });
    expect(parseConfirmationAnswer({ confirmed: false })).toEqual({ ok: true, answer: { confirmed: false } });
  });

  it('anything else is refused with the reason, never guessed ("true", {}, no data)', () => {
    for (const output of [{ confirmed: 'true' }, {}, undefined, { confirmed: true, userId: '' }]) {
      const parsed = parseConfirmationAnswer(output);
      expect(parsed.ok, JSON.stringify(output)).toBe(false);
    }
    const empty = parseConfirmationAnswer({});
    expect(!empty.ok && empty.problem).toBe('the token was completed with {}, which is not an answer: expected { "confirmed": true | false, "userId"?: string }:\n  $.confirmed: Invalid input: expected boolean, received undefined');
  });
});

describe('confirmation tokens', () => {
  it('time out with what is left of the plan\'s deadline, in whole seconds rounded up, at least 1 s', () => {
    expect(tokenTimeout(86_400_000, 0)).toBe('86400s');
    expect(tokenTimeout(1_500, 0)).toBe('2s');
    expect(tokenTimeout(40, 0)).toBe('1s');
    expect(tokenTimeout(0, 5_000)).toBe('1s');
  });

  it('keep their idempotency key a week past the deadline, 30 days without one', () => {
    expect(tokenKeyTtl(86_400_000, 0)).toBe('8d');
    expect(tokenKeyTtl(40, 0)).toBe('8d');
    expect(tokenKeyTtl(undefined, 0)).toBe('30d');
  });

  it('are keyed by the request and the round, so a retry gets the same token and a refused answer a new one', () => {
    const request = { planId: PLAN_ID, actionId: 'create_order', requestedAt: '2026-01-01T09:00:00.000Z' };
    expect(confirmationTokenKey(request, 0)).toBe(`plan-confirmation:${PLAN_ID}:create_order:2026-01-01T09:00:00.000Z:0`);
    expect(confirmationTokenKey(request, 1)).not.toBe(confirmationTokenKey(request, 0));
    expect(confirmationTokenKey({ ...request, requestedAt: '2026-01-02T09:00:00.000Z' }, 0)).not.toBe(confirmationTokenKey(request, 0));
  });
});

describe('pending confirmations', () => {
  const three = plan([
    action('a', { confirm: {} }),
    action('b', { confirm: { timeout: 7_200_000 } }),
    action('c', { confirm: { timeout: 3_600_000 } }),
    action('d', { confirm: { timeout: 60_000 } }),
  ]);
  const at = '2026-01-01T09:00:00.000Z';
  const state = (confirmations: ExecutionState['confirmations']): ExecutionState => ({ id: PLAN_ID, planId: PLAN_ID, status: 'paused_for_confirmation', startedAt: at, actionStates: {}, confirmations, metrics: { totalActions: 4, completedActions: 0, failedActions: 0, skippedActions: 0 } });

  it('are the unanswered requests, the one due first first, those without a deadline last in plan order', () => {
    const pending = pendingConfirmationsOf(three, state([
      { actionId: 'a', requestedAt: at },
      { actionId: 'b', requestedAt: at },
      { actionId: 'c', requestedAt: at },
      { actionId: 'd', requestedAt: at, respondedAt: at, confirmed: true },
    ]), Date.parse(at));
    expect(pending.map((entry) => [entry.actionId, entry.dueAt === undefined ? null : entry.dueAt - Date.parse(at)])).toEqual([['c', 3_600_000], ['b', 7_200_000], ['a', null]]);
    expect(pending[0]).toMatchObject({ planId: PLAN_ID, title: 'Run c?', message: 'About to run c', requestedAt: at });
  });
});
