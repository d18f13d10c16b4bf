/**
 * The action execution machine (DESIGN §1, §6): resolving → validating → requesting → classifying →
 * (backingOff → requesting)* → storing → completed | failed | skipped.
 *
 * Pure and driven from outside: the executor's driver (src/execution/driver.ts) calls XState's pure
 * `transition()` and performs the effect each state names. A state's effect is its entry action
 * (`resolve`, `validate`, `request`, `classify`, `wait`, `store`) — a no-op here, so `transition()`
 * only *returns* it for the driver to run after the new snapshot is journaled. Effects answer with
 * named domain events (`RESOLVED`, `SENT`, `RETRY`, …), so every transition is a plain `on:` entry and
 * the journal's event column reads like the flow. The machine reads no clock and no randomness:
 * deadlines (`nextAttemptAt`) arrive in events and live in context, because XState does not persist
 * `after` timers.
 */
import { assign, setup, type SnapshotFrom } from 'xstate';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import type { StorageLocation } from '../src/schemas/storage.ts';
import { errorDetail } from '../src/failure/errors.ts';
import { initialContext, type ExecutionContext, type ExecutionInput } from './action-execution-context.ts';

/**
 * Bumped whenever states, events or context change shape; stored with every execution, and a journaled
 * execution of another version is refused rather than misread. 2: named domain events, no `step`.
 */
export const MACHINE_VERSION = '2';

/** The events effects answer with, and `CANCEL` from outside. */
export type ExecutionEvent =
  | { type: 'RESOLVED' }
  | { type: 'SKIPPED'; reason: string }
  | { type: 'VALIDATED' }
  | { type: 'SENT'; attempt: number }
  | { type: 'THROTTLED'; until: number; delayMs: number; reason: string }
  | { type: 'SUCCEEDED'; output: Record<string, string> }
  | { type: 'REFRESH_AUTH'; reason: string }
  | { type: 'RETRY'; until: number; delayMs: number; reason: string }
  | { type: 'WAITED' }
  | { type: 'STORED'; location: StorageLocation }
  | { type: 'FAILED'; error: ErrorDetail }
  | { type: 'CANCEL'; reason?: string; cancelledIn?: string };

export type ExecutionEventType = ExecutionEvent['type'];

/**
 * What each non-final state asks the driver to do, computed from context alone — the same on a fresh
 * transition and on a snapshot restored from the journal.
 */
export type Effect =
  | { type: 'resolve' }
  | { type: 'validate' }
  | { type: 'request'; attempt: number; authRefreshed: boolean }
  | { type: 'classify'; attempt: number; authRefreshed: boolean }
  | { type: 'wait'; until: number; delayMs: number; reason: string }
  | { type: 'store'; attempt: number; output: Record<string, string> };

export type EffectType = Effect['type'];

/** One definition of which state runs which effect, with what input. */
const EFFECTS = {
  resolving: () => ({ type: 'resolve' }),
  validating: () => ({ type: 'validate' }),
  requesting: (c) => ({ type: 'request', attempt: c.attempt + 1, authRefreshed: c.authRefreshed }),
  classifying: (c) => ({ type: 'classify', attempt: c.attempt, authRefreshed: c.authRefreshed }),
  backingOff: (c) => ({ type: 'wait', until: c.nextAttemptAt ?? 0, delayMs: c.waitMs ?? 0, reason: c.waitReason ?? '' }),
  storing: (c) => ({ type: 'store', attempt: c.attempt, output: c.output ?? {} }),
} as const satisfies Record<string, (context: ExecutionContext) => Effect>;

export type EffectState = keyof typeof EFFECTS;

/** The effect the machine waits for in `stateValue`, or null in a final (or unknown) state. */
export function effectOf(stateValue: string, context: ExecutionContext): Effect | null {
  const make = (EFFECTS as Record<string, ((c: ExecutionContext) => Effect) | undefined>)[stateValue];
  return make ? make(context) : null;
}

export const actionExecutionMachine = setup({
  types: {
    context: {} as ExecutionContext,
    input: {} as ExecutionInput,
    events: {} as ExecutionEvent,
  },
  actions: {
    // The effects. No-ops on purpose: the driver performs them after journaling the state.
    resolve: () => undefined,
    validate: () => undefined,
    request: () => undefined,
    classify: () => undefined,
    wait: () => undefined,
    store: () => undefined,
    recordError: assign({ error: ({ event }) => (event.type === 'FAILED' ? event.error : null) }),
  },
}).createMachine({
  id: 'actionExecution',
  context: ({ input }) => initialContext(input),
  initial: 'resolving',
  on: {
    CANCEL: {
      target: '.failed',
      description: 'cancelled from outside',
      actions: assign({
        error: ({ context, event }) =>
          errorDetail('user_cancelled', `Action "${context.actionId}" was cancelled${event.reason ? `: ${event.reason}` : ''}.`, {
            code: 'CANCELLED',
            context: { attempt: String(context.attempt), ...(event.cancelledIn ? { cancelledIn: event.cancelledIn } : {}) },
          }),
      }),
    },
  },
  states: {
    resolving: {
      entry: 'resolve',
      on: {
        RESOLVED: { target: 'validating', description: 'inputs resolved' },
        SKIPPED: { target: 'skipped', description: 'condition false, else: skip', actions: assign({ skipReason: ({ event }) => event.reason }) },
        FAILED: { target: 'failed', actions: 'recordError' },
      },
    },
    validating: {
      entry: 'validate',
      on: {
        VALIDATED: { target: 'requesting', description: 'inputs valid, request built' },
        FAILED: { target: 'failed', actions: 'recordError' },
      },
    },
    requesting: {
      entry: 'request',
      on: {
        SENT: { target: 'classifying', description: 'outcome recorded', actions: assign({ attempt: ({ event }) => event.attempt }) },
        THROTTLED: {
          target: 'backingOff',
          description: 'client-side rate limit: wait for a token',
          actions: assign({ nextAttemptAt: ({ event }) => event.until, waitMs: ({ event }) => event.delayMs, waitReason: ({ event }) => event.reason }),
        },
        FAILED: { target: 'failed', actions: 'recordError' },
      },
    },
    classifying: {
      entry: 'classify',
      on: {
        SUCCEEDED: { target: 'storing', description: 'success, output valid', actions: assign({ output: ({ event }) => event.output }) },
        REFRESH_AUTH: {
          target: 'requesting',
          reenter: true,
          description: 'expired credential: refresh once and repeat',
          actions: assign({ authRefreshed: true, waitReason: ({ event }) => event.reason }),
        },
        RETRY: {
          target: 'backingOff',
          description: 'retryable and safe to repeat',
          actions: assign({
            nextAttemptAt: ({ event }) => event.until,
            waitMs: ({ event }) => event.delayMs,
            waitReason: ({ event }) => event.reason,
            authRefreshed: false,
          }),
        },
        FAILED: { target: 'failed', actions: 'recordError', description: 'not retryable, unsafe, or out of attempts' },
      },
    },
    backingOff: {
      entry: 'wait',
      on: {
        WAITED: { target: 'requesting', description: 'deadline reached', actions: assign({ nextAttemptAt: null, waitMs: null }) },
        FAILED: { target: 'failed', actions: 'recordError' },
      },
    },
    storing: {
      entry: 'store',
      on: {
        STORED: { target: 'completed', description: 'output stored', actions: assign({ outputLocation: ({ event }) => event.location }) },
        FAILED: { target: 'failed', actions: 'recordError' },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    skipped: { type: 'final' },
  },
});

export type ActionExecutionMachine = typeof actionExecutionMachine;
export type ExecutionSnapshot = SnapshotFrom<ActionExecutionMachine>;
