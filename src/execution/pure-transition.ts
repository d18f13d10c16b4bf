/**
 * XState's pure `transition()` for the action machine, without its per-call cost: `xstate`'s
 * `transition(logic, snapshot, event)` builds a fresh inert actor scope on every call — a whole
 * actor, whose construction computes the machine's initial snapshot — which was ~45 µs of the ~50 µs
 * a transition took. This builds that inert scope once and reuses it. Same contract: nothing is
 * executed, the effects come back as the list of actions the transition would run, and the
 * snapshot is a plain value.
 */
import { createActor, type ActorScope, type AnyEventObject, type ExecutableActionObject } from 'xstate';
import { actionExecutionMachine, type ExecutionEvent, type ExecutionSnapshot } from '../../machines/action-execution.ts';

type MachineScope = ActorScope<ExecutionSnapshot, AnyEventObject>;

let scope: (MachineScope & { actionExecutor: (action: ExecutableActionObject) => void }) | undefined;
let collected: ExecutableActionObject[] = [];

function inertScope(): MachineScope {
  if (scope) return scope;
  const self = createActor(actionExecutionMachine, { input: { executionId: '', actionId: '' } });
  scope = {
    self: self as never,
    defer: () => undefined,
    id: '',
    logger: () => undefined,
    sessionId: '',
    stopChild: () => undefined,
    system: self.system as never,
    emit: () => undefined,
    actionExecutor: (action) => void collected.push(action),
  } as MachineScope & { actionExecutor: (action: ExecutableActionObject) => void };
  return scope;
}

/** The next snapshot and the actions the transition asks for (not executed). */
export function pureTransition(snapshot: ExecutionSnapshot, event: ExecutionEvent): [ExecutionSnapshot, ExecutableActionObject[]] {
  const actorScope = inertScope();
  collected = [];
  const next = actionExecutionMachine.transition(snapshot, event, actorScope);
  const actions = collected;
  collected = [];
  return [next, actions];
}

/** The initial snapshot for an execution and the actions it asks for (not executed). */
export function pureInitialTransition(input: { executionId: string; actionId: string }): [ExecutionSnapshot, ExecutableActionObject[]] {
  const actorScope = inertScope();
  collected = [];
  const first = actionExecutionMachine.getInitialSnapshot(actorScope, input);
  const actions = collected;
  collected = [];
  return [first, actions];
}
