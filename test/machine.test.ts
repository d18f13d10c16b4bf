import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { actionExecutionMachine, effectOf, MACHINE_VERSION, type ExecutionEvent, type ExecutionSnapshot } from '../machines/action-execution.ts';
import { ExecutionContextSchema } from '../machines/action-execution-context.ts';
import { actionError } from '../src/failure/errors.ts';
import { toErrorDetail } from '../src/execution/error-detail.ts';
import { pureInitialTransition, pureTransition } from '../src/execution/pure-transition.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';

const input = { executionId: '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21', actionId: 'get_user' };
const location = { provider: 'local' as const, path: '/tmp/x.json', size: 2, checksum: 'ab', contentType: 'application/json', metadata: {} };

function walk(events: ExecutionEvent[]): ExecutionSnapshot {
  let [snapshot] = initialTransition(actionExecutionMachine, input);
  for (const event of events) [snapshot] = transition(actionExecutionMachine, snapshot, event);
  return snapshot;
}

/** The effect actions a transition returns for the driver (entry actions named after the effect). */
const effectsOf = (actions: readonly { type: string }[]): string[] =>
  actions.map((a) => a.type).filter((type) => ['resolve', 'validate', 'request', 'classify', 'wait', 'store'].includes(type));

const toRequesting: ExecutionEvent[] = [{ type: 'RESOLVED' }, { type: 'VALIDATED' }];
const toClassifying: ExecutionEvent[] = [...toRequesting, { type: 'SENT', attempt: 1 }];

describe('action execution machine: transitions (pure transition() API)', () => {
  it('starts in resolving and asks only for the named resolve effect', () => {
    const [snapshot, actions] = initialTransition(actionExecutionMachine, input);
    expect(snapshot.value).toBe('resolving');
    expect(snapshot.context).toMatchObject({ ...input, attempt: 0, error: null });
    expect(effectsOf(actions)).toEqual(['resolve']);
    expect(effectOf('resolving', snapshot.context)).toEqual({ type: 'resolve' });
  });

  it('skips with the reason when the condition is false and else is "skip"', () => {
    const snapshot = walk([{ type: 'SKIPPED', reason: 'Condition ${a.output.ok} is false' }]);
    expect(snapshot.value).toBe('skipped');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.skipReason).toBe('Condition ${a.output.ok} is false');
  });

  it('walks resolving → validating → requesting and asks the request effect for attempt 1', () => {
    const [snapshot, actions] = transition(actionExecutionMachine, walk([{ type: 'RESOLVED' }]), { type: 'VALIDATED' });
    expect(snapshot.value).toBe('requesting');
    expect(effectsOf(actions)).toEqual(['request']);
    expect(effectOf('requesting', snapshot.context)).toEqual({ type: 'request', attempt: 1, authRefreshed: false });
  });

  it('keeps the ErrorDetail an effect failed with', () => {
    const error = actionError('validation_failed', 'input "userId" is missing', { code: 'INPUT_INVALID' });
    const snapshot = walk([{ type: 'FAILED', error: error.detail }]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toEqual(error.detail);
  });

  it('turns an unexpected exception into a state_inconsistent INTERNAL_ERROR, never a crash', () => {
    const snapshot = walk([...toRequesting, { type: 'FAILED', error: toErrorDetail(new TypeError('boom')) }]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toMatchObject({ category: 'state_inconsistent', code: 'INTERNAL_ERROR' });
    expect(snapshot.context.error?.message).toContain('boom');
    expect(ErrorDetailSchema.safeParse(toErrorDetail('a string')).success).toBe(true);
  });

  it('records the attempt number the request effect reports', () => {
    const snapshot = walk([...toRequesting, { type: 'SENT', attempt: 1 }]);
    expect(snapshot.value).toBe('classifying');
    expect(snapshot.context.attempt).toBe(1);
  });

  it('backs off without consuming an attempt when the client-side rate limit throttles', () => {
    const snapshot = walk([...toRequesting, { type: 'THROTTLED', until: 5000, delayMs: 500, reason: 'bucket empty' }]);
    expect(snapshot.value).toBe('backingOff');
    expect(snapshot.context).toMatchObject({ attempt: 0, nextAttemptAt: 5000, waitMs: 500, waitReason: 'bucket empty' });
  });

  it('stores a successful output, then completes with its location', () => {
    const storing = walk([...toClassifying, { type: 'SUCCEEDED', output: { id: '42' } }]);
    expect(storing.value).toBe('storing');
    expect(storing.context.output).toEqual({ id: '42' });
    const [completed] = transition(actionExecutionMachine, storing, { type: 'STORED', location });
    expect(completed.value).toBe('completed');
    expect(completed.context.outputLocation).toEqual(location);
  });

  it('keeps the backoff deadline in context and clears it when the wait ends', () => {
    const backingOff = walk([...toClassifying, { type: 'RETRY', until: 1234, delayMs: 200, reason: '503 is retryable' }]);
    expect(backingOff.value).toBe('backingOff');
    expect(backingOff.context.nextAttemptAt).toBe(1234);
    expect(effectOf('backingOff', backingOff.context)).toEqual({ type: 'wait', until: 1234, delayMs: 200, reason: '503 is retryable' });
    const [requesting, actions] = transition(actionExecutionMachine, backingOff, { type: 'WAITED' });
    expect(requesting.value).toBe('requesting');
    expect(requesting.context.nextAttemptAt).toBeNull();
    expect(requesting.context.waitMs).toBeNull();
    expect(effectsOf(actions)).toEqual(['request']);
    expect(effectOf('requesting', requesting.context)).toMatchObject({ attempt: 2 });
  });

  it('repeats the request once with authRefreshed after an expired credential', () => {
    const [snapshot, actions] = transition(actionExecutionMachine, walk(toClassifying), { type: 'REFRESH_AUTH', reason: '401 with a refreshable credential' });
    expect(snapshot.value).toBe('requesting');
    expect(snapshot.context.authRefreshed).toBe(true);
    // Re-entering requesting asks for the request effect again (a distinct journaled transition).
    expect(effectsOf(actions)).toEqual(['request']);
    expect(effectOf('requesting', snapshot.context)).toEqual({ type: 'request', attempt: 2, authRefreshed: true });
  });

  it('fails with the classified error when classification says fail', () => {
    const error = { category: 'auth_invalid', message: '403 Forbidden', retryable: false, context: {} };
    const snapshot = walk([...toClassifying, { type: 'FAILED', error: error as never }]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.error).toEqual(error);
  });

  it.each(['resolving', 'validating', 'requesting', 'classifying', 'backingOff', 'storing'])(
    'CANCEL from %s ends failed with user_cancelled',
    (state) => {
      const paths: Record<string, ExecutionEvent[]> = {
        resolving: [],
        validating: [{ type: 'RESOLVED' }],
        requesting: toRequesting,
        classifying: toClassifying,
        backingOff: [...toClassifying, { type: 'RETRY', until: 1, delayMs: 1, reason: 'r' }],
        storing: [...toClassifying, { type: 'SUCCEEDED', output: {} }],
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
    const completed = walk([...toClassifying, { type: 'SUCCEEDED', output: {} }, { type: 'STORED', location }]);
    const actor = createActor(actionExecutionMachine, { snapshot: completed, input }).start();
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().value).toBe('completed');
    expect(actor.getSnapshot().context.error).toBeNull();
  });

  it("a dormant execution is cancelled by the machine's own CANCEL transition, saying where it was", () => {
    const backingOff = walk([...toClassifying, { type: 'RETRY', until: 1, delayMs: 1, reason: 'r' }]);
    const [after] = transition(actionExecutionMachine, backingOff, { type: 'CANCEL', cancelledIn: 'backingOff' });
    expect(after.value).toBe('failed');
    expect(after.context.error?.context).toMatchObject({ attempt: '1', cancelledIn: 'backingOff' });
  });

  it('an event a state does not handle leaves the snapshot where it is (the driver never sends one)', () => {
    const requesting = walk(toRequesting);
    const [after, actions] = transition(actionExecutionMachine, requesting, { type: 'WAITED' });
    expect(after.value).toBe('requesting');
    expect(effectsOf(actions)).toEqual([]);
  });

  it('a snapshot restored from {value, context} asks for the same effect (resume)', () => {
    const backingOff = walk([...toClassifying, { type: 'RETRY', until: 9, delayMs: 5, reason: 'r' }]);
    const restored = actionExecutionMachine.resolveState({ value: 'backingOff', context: JSON.parse(JSON.stringify(backingOff.context)) });
    expect(effectOf(String(restored.value), restored.context)).toEqual(effectOf('backingOff', backingOff.context));
    const [next] = transition(actionExecutionMachine, restored, { type: 'WAITED' });
    expect(effectOf(String(next.value), next.context)).toMatchObject({ type: 'request', attempt: 2 });
  });

  it('context stays plain JSON that the context schema accepts after a round trip', () => {
    const snapshot = walk([...toClassifying, { type: 'RETRY', until: 99, delayMs: 9, reason: 'r' }]);
    const restored = JSON.parse(JSON.stringify(snapshot.context));
    expect(ExecutionContextSchema.parse(restored)).toEqual(snapshot.context);
    expect(MACHINE_VERSION).toMatch(/^\d+$/);
  });
});

describe('action execution machine: model-based coverage (xstate/graph)', () => {
  const error = actionError('validation_failed', 'x').detail;
  const events: ExecutionEvent[] = [
    { type: 'RESOLVED' },
    { type: 'SKIPPED', reason: 'r' },
    { type: 'VALIDATED' },
    { type: 'SENT', attempt: 1 },
    { type: 'THROTTLED', until: 1, delayMs: 1, reason: 'r' },
    { type: 'SUCCEEDED', output: {} },
    { type: 'REFRESH_AUTH', reason: 'r' },
    { type: 'RETRY', until: 1, delayMs: 1, reason: 'r' },
    { type: 'WAITED' },
    { type: 'STORED', location },
    { type: 'FAILED', error },
    { type: 'CANCEL' },
  ];
  const adjacency = getAdjacencyMap(actionExecutionMachine, {
    input,
    events,
    // Identify a state by its value only: the attempt counter would make the graph infinite.
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

  it("the driver's pureTransition (one reused inert scope) gives what xstate's transition() gives, from every reachable state and for every event", () => {
    let compared = 0;
    for (const node of Object.values(adjacency)) {
      if (node.state.status === 'done') continue;
      for (const event of events) {
        const [expected, expectedActions] = transition(actionExecutionMachine, node.state, event);
        const [actual, actualActions] = pureTransition(node.state, event);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
        expect(actualActions.map((a) => a.type)).toEqual(expectedActions.map((a) => a.type));
        compared += 1;
      }
    }
    const [first, firstActions] = pureInitialTransition(input);
    const [xFirst, xFirstActions] = initialTransition(actionExecutionMachine, input);
    expect(JSON.stringify(first)).toBe(JSON.stringify(xFirst));
    expect(firstActions.map((a) => a.type)).toEqual(xFirstActions.map((a) => a.type));
    expect(compared).toBeGreaterThan(50);
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

describe('action execution machine: driven like the executor drives it (pure transitions + effectOf)', () => {
  /** A tiny driver: asks effectOf for the effect, answers with a scripted event, transitions. */
  function drive(from: ExecutionSnapshot, answer: (effect: NonNullable<ReturnType<typeof effectOf>>) => ExecutionEvent, limit = 50): { snapshot: ExecutionSnapshot; calls: string[] } {
    let snapshot = from;
    const calls: string[] = [];
    for (let i = 0; snapshot.status !== 'done' && i < limit; i += 1) {
      const effect = effectOf(String(snapshot.value), snapshot.context)!;
      calls.push(effect.type === 'request' ? `request:${effect.attempt}` : effect.type);
      [snapshot] = transition(actionExecutionMachine, snapshot, answer(effect));
    }
    return { snapshot, calls };
  }
  const script = (effect: NonNullable<ReturnType<typeof effectOf>>, attempts: () => number): ExecutionEvent => {
    switch (effect.type) {
      case 'resolve':
        return { type: 'RESOLVED' };
      case 'validate':
        return { type: 'VALIDATED' };
      case 'request':
        return { type: 'SENT', attempt: effect.attempt };
      case 'classify':
        return attempts() < 3 ? { type: 'RETRY', until: 0, delayMs: 0, reason: '503' } : { type: 'SUCCEEDED', output: { ok: 'true' } };
      case 'wait':
        return { type: 'WAITED' };
      case 'store':
        return { type: 'STORED', location };
    }
  };

  it('runs to completed through two backoffs, asking for each effect in order', () => {
    let attempts = 0;
    const { snapshot, calls } = drive(initialTransition(actionExecutionMachine, input)[0], (effect) => {
      if (effect.type === 'request') attempts = effect.attempt;
      return script(effect, () => attempts);
    });
    expect(snapshot.value).toBe('completed');
    expect(calls).toEqual(['resolve', 'validate', 'request:1', 'classify', 'wait', 'request:2', 'classify', 'wait', 'request:3', 'classify', 'store']);
    expect(snapshot.context.attempt).toBe(3);
  });

  it('a persisted snapshot survives a JSON round trip and the restored machine asks for the effect it was waiting on', () => {
    let attempts = 0;
    const answer = (effect: NonNullable<ReturnType<typeof effectOf>>): ExecutionEvent => {
      if (effect.type === 'request') attempts = effect.attempt;
      return script(effect, () => attempts);
    };
    // Drive to the first backoff, then "crash": keep only {value, context} as JSON.
    let snapshot = initialTransition(actionExecutionMachine, input)[0];
    while (snapshot.value !== 'backingOff') [snapshot] = transition(actionExecutionMachine, snapshot, answer(effectOf(String(snapshot.value), snapshot.context)!));
    const persisted = JSON.parse(JSON.stringify({ value: snapshot.value, context: snapshot.context })) as { value: string; context: unknown };
    const restored = actionExecutionMachine.resolveState({ value: persisted.value, context: ExecutionContextSchema.parse(persisted.context) });
    const { snapshot: end, calls } = drive(restored, answer);
    expect(end.value).toBe('completed');
    // The restored machine starts with the effect of the state it was in (wait), then carries on from attempt 2.
    expect(calls).toEqual(['wait', 'request:2', 'classify', 'wait', 'request:3', 'classify', 'store']);
  });
});
