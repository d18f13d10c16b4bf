/**
 * The action execution machine (DESIGN §1, §6): resolving → validating → requesting → classifying →
 * (backingOff → requesting)* → storing → completed | failed | skipped.
 *
 * Pure: every effect is a *named* actor whose implementation the executor supplies through
 * `machine.provide({ actors })`. The placeholders below only fail loudly. The machine reads no clock
 * and no randomness: deadlines (`nextAttemptAt`) are computed by the effect actors and kept in
 * context, because XState does not persist `after` timers, and a restored snapshot re-runs the
 * in-flight actor from the start — so every effect actor consults the journal before acting.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import type { StorageLocation } from '../src/schemas/storage.ts';
import { errorDetail, isActionError } from '../src/failure/action-error.ts';
import { initialContext, type ExecutionContext, type ExecutionInput } from './action-execution-context.ts';

/** Bumped whenever states, events or context change shape; stored with every execution. */
export const MACHINE_VERSION = '1';

export type ResolveOutput = { kind: 'execute' } | { kind: 'skip'; reason: string };
export type RequestOutput =
  | { kind: 'sent'; attempt: number }
  | { kind: 'throttled'; until: number; reason: string };
export type ClassifyOutput =
  | { kind: 'success'; output: Record<string, string> }
  | { kind: 'refresh_auth'; reason: string }
  | { kind: 'retry'; until: number; reason: string }
  | { kind: 'fail'; error: ErrorDetail };
export interface StoreOutput {
  location: StorageLocation;
}

export interface EffectInput {
  executionId: string;
  actionId: string;
}
export interface RequestInput extends EffectInput {
  /** The attempt number to run (1-based). */
  attempt: number;
  authRefreshed: boolean;
}
export interface ClassifyInput extends EffectInput {
  attempt: number;
  authRefreshed: boolean;
}
export interface WaitInput extends EffectInput {
  until: number;
  reason: string;
}
export interface StoreInput extends EffectInput {
  /** The attempt whose response produced the output (its body may already be in storage). */
  attempt: number;
  output: Record<string, string>;
}

export type ExecutionEvent = { type: 'CANCEL'; reason?: string };

function notProvided(name: string): never {
  throw new Error(`the "${name}" actor must be provided by the executor (machine.provide)`);
}

/** Turns whatever an effect actor rejected with into an ErrorDetail, without losing an ActionError's detail. */
export function toErrorDetail(error: unknown): ErrorDetail {
  if (isActionError(error)) return error.detail;
  const message = error instanceof Error ? error.message : String(error);
  return errorDetail('state_inconsistent', `Internal executor error: ${message}`, {
    code: 'INTERNAL_ERROR',
    context: { errorName: error instanceof Error ? error.name : typeof error },
    suggestion: 'This is a bug in the executor or an effect it runs; report it with the execution id.',
  });
}

const effect = (executionId: string, actionId: string): EffectInput => ({ executionId, actionId });

export const actionExecutionMachine = setup({
  types: {
    context: {} as ExecutionContext,
    input: {} as ExecutionInput,
    events: {} as ExecutionEvent,
  },
  actors: {
    resolve: fromPromise<ResolveOutput, EffectInput>(async () => notProvided('resolve')),
    validate: fromPromise<void, EffectInput>(async () => notProvided('validate')),
    request: fromPromise<RequestOutput, RequestInput>(async () => notProvided('request')),
    classify: fromPromise<ClassifyOutput, ClassifyInput>(async () => notProvided('classify')),
    wait: fromPromise<void, WaitInput>(async () => notProvided('wait')),
    store: fromPromise<StoreOutput, StoreInput>(async () => notProvided('store')),
  },
  actions: {
    countStep: assign({ step: ({ context }) => context.step + 1 }),
    recordError: assign({ error: (_, params: { error: unknown }) => toErrorDetail(params.error) }),
  },
}).createMachine({
  id: 'actionExecution',
  context: ({ input }) => initialContext(input),
  initial: 'resolving',
  on: {
    CANCEL: {
      target: '.failed',
      actions: assign({
        error: ({ context, event }) =>
          errorDetail('user_cancelled', `Action "${context.actionId}" was cancelled${event.reason ? `: ${event.reason}` : ''}.`, {
            code: 'CANCELLED',
            context: { attempt: String(context.attempt) },
          }),
      }),
    },
  },
  states: {
    resolving: {
      entry: 'countStep',
      invoke: {
        id: 'resolve',
        src: 'resolve',
        input: ({ context }) => effect(context.executionId, context.actionId),
        onDone: [
          {
            guard: ({ event }) => event.output.kind === 'skip',
            description: 'condition false, else: skip',
            target: 'skipped',
            actions: assign({ skipReason: ({ event }) => (event.output.kind === 'skip' ? event.output.reason : null) }),
          },
          { target: 'validating', description: 'inputs resolved' },
        ],
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    validating: {
      entry: 'countStep',
      invoke: {
        id: 'validate',
        src: 'validate',
        input: ({ context }) => effect(context.executionId, context.actionId),
        onDone: { target: 'requesting' },
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    requesting: {
      entry: 'countStep',
      invoke: {
        id: 'request',
        src: 'request',
        input: ({ context }) => ({
          ...effect(context.executionId, context.actionId),
          attempt: context.attempt + 1,
          authRefreshed: context.authRefreshed,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.kind === 'throttled',
            description: 'client-side rate limit: wait for a token',
            target: 'backingOff',
            actions: assign(({ event }) =>
              event.output.kind === 'throttled' ? { nextAttemptAt: event.output.until, waitReason: event.output.reason } : {},
            ),
          },
          {
            target: 'classifying',
            description: 'outcome recorded',
            actions: assign({ attempt: ({ event, context }) => (event.output.kind === 'sent' ? event.output.attempt : context.attempt) }),
          },
        ],
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    classifying: {
      entry: 'countStep',
      invoke: {
        id: 'classify',
        src: 'classify',
        input: ({ context }) => ({
          ...effect(context.executionId, context.actionId),
          attempt: context.attempt,
          authRefreshed: context.authRefreshed,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.kind === 'success',
            description: 'success, output valid',
            target: 'storing',
            actions: assign({ output: ({ event }) => (event.output.kind === 'success' ? event.output.output : null) }),
          },
          {
            guard: ({ event }) => event.output.kind === 'refresh_auth',
            description: 'expired credential: refresh once and repeat',
            target: 'requesting',
            reenter: true,
            actions: assign({ authRefreshed: true, waitReason: ({ event }) => (event.output.kind === 'refresh_auth' ? event.output.reason : null) }),
          },
          {
            guard: ({ event }) => event.output.kind === 'retry',
            description: 'retryable and safe to repeat',
            target: 'backingOff',
            actions: assign(({ event }) =>
              event.output.kind === 'retry'
                ? { nextAttemptAt: event.output.until, waitReason: event.output.reason, authRefreshed: false }
                : {},
            ),
          },
          {
            target: 'failed',
            description: 'not retryable, unsafe, or out of attempts',
            actions: assign({ error: ({ event }) => (event.output.kind === 'fail' ? event.output.error : null) }),
          },
        ],
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    backingOff: {
      entry: 'countStep',
      invoke: {
        id: 'wait',
        src: 'wait',
        input: ({ context }) => ({
          ...effect(context.executionId, context.actionId),
          until: context.nextAttemptAt ?? 0,
          reason: context.waitReason ?? '',
        }),
        onDone: { target: 'requesting', actions: assign({ nextAttemptAt: null }) },
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    storing: {
      entry: 'countStep',
      invoke: {
        id: 'store',
        src: 'store',
        input: ({ context }) => ({
          ...effect(context.executionId, context.actionId),
          attempt: context.attempt,
          output: context.output ?? {},
        }),
        onDone: { target: 'completed', actions: assign({ outputLocation: ({ event }) => event.output.location }) },
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } },
      },
    },
    completed: { type: 'final', entry: 'countStep' },
    failed: { type: 'final', entry: 'countStep' },
    skipped: { type: 'final', entry: 'countStep' },
  },
});

export type ActionExecutionMachine = typeof actionExecutionMachine;
/** The states a journal row can name. */
export const TERMINAL_STATES = ['completed', 'failed', 'skipped'] as const;
export type TerminalState = (typeof TERMINAL_STATES)[number];
