import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition, type AnyEventObject } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import {
  actionExecutionMachine,
  MACHINE_VERSION,
  toErrorDetail,
  type ClassifyInput,
  type ClassifyOutput,
  type EffectInput,
  type RequestInput,
  type RequestOutput,
  type ResolveOutput,
  type StoreInput,
  type StoreOutput,
  type WaitInput,
} from '../machines/action-execution.ts';
import { ExecutionContextSchema } from '../machines/action-execution-context.ts';
import { actionError } from '../src/failure/action-error.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';

const input = { executionId: '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21', actionId: 'get_user' };
const location = { provider: 'local' as const, path: '/tmp/x.json', size: 2, checksum: 'ab', contentType: 'application/json', metadata: {} };
const done = (actor: string, output: unknown): AnyEventObject => ({ type: `xstate.done.actor.${actor}`, output, actorId: actor });
const failed = (actor: string, error: unknown): AnyEventObject => ({ type: `xstate.error.actor.${actor}`, error, actorId: actor });

type Snapshot = ReturnType<typeof initialTransition<typeof actionExecutionMachine>>[0];

function walk(events: AnyEventObject[]): Snapshot {
  let [snapshot] = initialTransition(actionExecutionMachine, input);
  for (const event of events) [snapshot] = transition(actionExecutionMachine, snapshot, event as never);
  return snapshot;
}

const toRequesting = [done('resolve', { kind: 'execute' }), done('validate', undefined)];
const toClassifying = [...toRequesting, done('request', { kind: 'sent', attempt: 1 })];

describe('action execution machine: transitions (pure transition() API)', () => {
  it('starts in resolving and spawns only the named resolve actor', () => {
    const [snapshot, actions] = initialTransition(actionExecutionMachine, input);
    expect(snapshot.value).toBe('resolving');
    expect(snapshot.context).toMatchObject({ ...input, attempt: 0, step: 1, error: null });
    const spawned = actions.filter((a) => a.type === 'xstate.spawnChild').map((a) => (a.params as { id: string }).id);
    expect(spawned).toEqual(['resolve']);
  });

  it('skips with the reason when the condition is false and else is "skip"', () => {
    const snapshot = walk([done('resolve', { kind: 'skip', reason: 'Condition ${a.output.ok} is false' })]);
    expect(snapshot.value).toBe('skipped');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.skipReason).toBe('Condition ${a.output.ok} is false');
  });

  it('walks resolving → validating → requesting and asks the request actor for attempt 1', () => {
    const [snapshot, actions] = transition(actionExecutionMachine, walk([done('resolve', { kind: 'execute' })]), done('validate', undefined) as never);
    expect(snapshot.value).toBe('requesting');
    const spawn = actions.find((a) => a.type === 'xstate.spawnChild');
    expect((spawn?.params as unknown as { input: { attempt: number } }).input.attempt).toBe(1);
  });

  it('keeps the ErrorDetail of an ActionError thrown by an effect', () => {
    const error = actionError('validation_failed', 'input "userId" is missing', { code: 'INPUT_INVALID' });
    const snapshot = walk([failed('resolve', error)]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toEqual(error.detail);
  });

  it('turns an unexpected exception into a state_inconsistent INTERNAL_ERROR, never a crash', () => {
    const snapshot = walk([...toRequesting, failed('request', new TypeError('boom'))]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toMatchObject({ category: 'state_inconsistent', code: 'INTERNAL_ERROR' });
    expect(snapshot.context.error?.message).toContain('boom');
    expect(ErrorDetailSchema.safeParse(toErrorDetail('a string')).success).toBe(true);
  });

  it('records the attempt number the request actor reports', () => {
    const snapshot = walk([...toRequesting, done('request', { kind: 'sent', attempt: 1 })]);
    expect(snapshot.value).toBe('classifying');
    expect(snapshot.context.attempt).toBe(1);
  });

  it('backs off without consuming an attempt when the client-side rate limit throttles', () => {
    const snapshot = walk([...toRequesting, done('request', { kind: 'throttled', until: 5000, reason: 'bucket empty' })]);
    expect(snapshot.value).toBe('backingOff');
    expect(snapshot.context).toMatchObject({ attempt: 0, nextAttemptAt: 5000, waitReason: 'bucket empty' });
  });

  it('stores a successful output, then completes with its location', () => {
    const storing = walk([...toClassifying, done('classify', { kind: 'success', output: { id: '42' } })]);
    expect(storing.value).toBe('storing');
    expect(storing.context.output).toEqual({ id: '42' });
    const [completed] = transition(actionExecutionMachine, storing, done('store', { location }) as never);
    expect(completed.value).toBe('completed');
    expect(completed.context.outputLocation).toEqual(location);
  });

  it('keeps the backoff deadline in context and clears it when the wait ends', () => {
    const backingOff = walk([...toClassifying, done('classify', { kind: 'retry', until: 1234, reason: '503 is retryable' })]);
    expect(backingOff.value).toBe('backingOff');
    expect(backingOff.context.nextAttemptAt).toBe(1234);
    const [requesting, actions] = transition(actionExecutionMachine, backingOff, done('wait', undefined) as never);
    expect(requesting.value).toBe('requesting');
    expect(requesting.context.nextAttemptAt).toBeNull();
    const spawn = actions.find((a) => a.type === 'xstate.spawnChild');
    expect((spawn?.params as unknown as { input: { attempt: number } }).input.attempt).toBe(2);
  });

  it('repeats the request once with authRefreshed after an expired credential', () => {
    const [snapshot, actions] = transition(
      actionExecutionMachine,
      walk(toClassifying),
      done('classify', { kind: 'refresh_auth', reason: '401 with a refreshable credential' }) as never,
    );
    expect(snapshot.value).toBe('requesting');
    expect(snapshot.context.authRefreshed).toBe(true);
    const spawn = actions.find((a) => a.type === 'xstate.spawnChild');
    expect(spawn?.params).toMatchObject({ input: { attempt: 2, authRefreshed: true } });
  });

  it('fails with the classified error when classification says fail', () => {
    const error = { category: 'auth_invalid', message: '403 Forbidden', retryable: false, context: {} };
    const snapshot = walk([...toClassifying, done('classify', { kind: 'fail', error })]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toEqual(error);
  });

  it.each(['resolving', 'validating', 'requesting', 'classifying', 'backingOff', 'storing'])(
    'CANCEL from %s ends failed with user_cancelled',
    (state) => {
      const paths: Record<string, AnyEventObject[]> = {
        resolving: [],
        validating: [done('resolve', { kind: 'execute' })],
        requesting: toRequesting,
        classifying: toClassifying,
        backingOff: [...toClassifying, done('classify', { kind: 'retry', until: 1, reason: 'r' })],
        storing: [...toClassifying, done('classify', { kind: 'success', output: {} })],
      };
      const before = walk(paths[state]!);
      expect(before.value).toBe(state);
      const [after] = transition(actionExecutionMachine, before, { type: 'CANCEL', reason: 'operator request' });
      expect(after.value).toBe('failed');
      expect(after.context.error).toMatchObject({ category: 'user_cancelled', code: 'CANCELLED' });
      expect(after.context.error?.message).toContain('operator request');
    },
  );

  it('a finished actor ignores CANCEL (the executor never sends events to a final state)', () => {
    const completed = walk([...toClassifying, done('classify', { kind: 'success', output: {} }), done('store', { location })]);
    const actor = createActor(actionExecutionMachine, { snapshot: completed, input }).start();
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().value).toBe('completed');
    expect(actor.getSnapshot().context.error).toBeNull();
  });

  it('counts a step on every transition, re-entry included, so the journal sees each one', () => {
    const a = walk(toClassifying);
    const [b] = transition(actionExecutionMachine, a, done('classify', { kind: 'refresh_auth', reason: 'r' }) as never);
    expect(b.context.step).toBe(a.context.step + 1);
  });

  it('context stays plain JSON that the context schema accepts after a round trip', () => {
    const snapshot = walk([...toClassifying, done('classify', { kind: 'retry', until: 99, reason: 'r' })]);
    const restored = JSON.parse(JSON.stringify(snapshot.context));
    expect(ExecutionContextSchema.parse(restored)).toEqual(snapshot.context);
    expect(MACHINE_VERSION).toMatch(/^\d+$/);
  });
});

describe('action execution machine: model-based coverage (xstate/graph)', () => {
  const error = actionError('validation_failed', 'x');
  const events: AnyEventObject[] = [
    done('resolve', { kind: 'execute' }),
    done('resolve', { kind: 'skip', reason: 'r' }),
    failed('resolve', error),
    done('validate', undefined),
    failed('validate', error),
    done('request', { kind: 'sent', attempt: 1 }),
    done('request', { kind: 'throttled', until: 1, reason: 'r' }),
    failed('request', error),
    done('classify', { kind: 'success', output: {} }),
    done('classify', { kind: 'refresh_auth', reason: 'r' }),
    done('classify', { kind: 'retry', until: 1, reason: 'r' }),
    done('classify', { kind: 'fail', error: error.detail }),
    failed('classify', error),
    done('wait', undefined),
    failed('wait', error),
    done('store', { location }),
    failed('store', error),
    { type: 'CANCEL' },
  ];
  const adjacency = getAdjacencyMap(actionExecutionMachine, {
    input,
    events: events as never[],
    // Identify a state by its value only: step and attempt counters would make the graph infinite.
    serializeState: (snapshot) => JSON.stringify(snapshot.value),
  });
  const edges = new Set<string>();
  for (const node of Object.values(adjacency)) {
    // A final snapshot takes no more events; the traversal still probes them.
    if (node.state.status === 'done') continue;
    for (const next of Object.values<{ state: { value: unknown } }>(node.transitions)) {
      const from = String(node.state.value);
      const to = String(next.state.value);
      // Events a state does not handle leave it where it is; those are not transitions.
      if (from !== to) edges.add(`${from} -> ${to}`);
    }
  }

  it('reaches every state', () => {
    const reached = new Set(Object.values(adjacency).map((node) => String(node.state.value)));
    expect([...reached].sort()).toEqual(Object.keys(actionExecutionMachine.root.states).sort());
  });

  it('takes every transition the machine defines, and CANCEL from every non-final state', () => {
    const defined = new Set<string>();
    for (const [name, node] of Object.entries(actionExecutionMachine.root.states)) {
      for (const transitions of node.transitions.values()) {
        for (const t of transitions) for (const target of t.target ?? []) defined.add(`${name} -> ${target.key}`);
      }
      if (node.type !== 'final') defined.add(`${name} -> failed`);
    }
    expect([...edges].sort()).toEqual([...defined].sort());
  });
});

describe('action execution machine: running with provided actors', () => {
  function stubbed(overrides: Record<string, unknown> = {}) {
    const calls: string[] = [];
    let attempts = 0;
    const machine = actionExecutionMachine.provide({
      actors: {
        resolve: fromPromise<ResolveOutput, EffectInput>(async () => (calls.push('resolve'), { kind: 'execute' })),
        validate: fromPromise<void, EffectInput>(async () => void calls.push('validate')),
        request: fromPromise<RequestOutput, RequestInput>(async ({ input: i }) => (calls.push(`request:${i.attempt}`), (attempts = i.attempt), { kind: 'sent', attempt: i.attempt })),
        classify: fromPromise<ClassifyOutput, ClassifyInput>(async () =>
          attempts < 3 ? { kind: 'retry', until: 0, reason: '503' } : { kind: 'success', output: { ok: 'true' } },
        ),
        wait: fromPromise<void, WaitInput>(async () => void calls.push('wait')),
        store: fromPromise<StoreOutput, StoreInput>(async () => (calls.push('store'), { location })),
        ...overrides,
      },
    });
    return { machine, calls };
  }

  it('runs to completed through two backoffs, calling each effect in order', async () => {
    const { machine, calls } = stubbed();
    const actor = createActor(machine, { input }).start();
    await new Promise<void>((resolve) => actor.subscribe({ complete: resolve }));
    expect(actor.getSnapshot().value).toBe('completed');
    expect(calls).toEqual(['resolve', 'validate', 'request:1', 'wait', 'request:2', 'wait', 'request:3', 'store']);
    expect(actor.getSnapshot().context.attempt).toBe(3);
  });

  it('a persisted snapshot survives a JSON round trip and the restored actor re-runs the in-flight effect', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const first = stubbed({ wait: fromPromise<void, WaitInput>(async () => gate) });
    const actor = createActor(first.machine, { input }).start();
    await new Promise<void>((resolve) => {
      const sub = actor.subscribe((s) => s.value === 'backingOff' && (sub.unsubscribe(), resolve()));
    });
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();
    release();

    const second = stubbed();
    const restored = createActor(second.machine, { snapshot: persisted, input }).start();
    await new Promise<void>((resolve) => restored.subscribe({ complete: resolve }));
    expect(restored.getSnapshot().value).toBe('completed');
    // The restored actor starts with the effect of the state it was in (wait), then carries on from attempt 2.
    expect(second.calls).toEqual(['wait', 'request:2', 'wait', 'request:3', 'store']);
  });
});
