/**
 * The durable executor (DESIGN §6, §7): runs each action as an XState machine whose every transition
 * is journaled to SQLite before the next effect starts, and resumes any execution from its last
 * journaled state.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createActor, type InspectionEvent } from 'xstate';
import { actionExecutionMachine, MACHINE_VERSION, type ActionExecutionMachine } from '../../machines/action-execution.ts';
import { ExecutionContextSchema } from '../../machines/action-execution-context.ts';
import { actionError, isActionError } from '../failure/action-error.ts';
import { ActionExecuteRequestSchema, type ActionExecuteRequest } from '../schemas/job.ts';
import { ActionDefinitionSchema, type ActionDefinition } from '../schemas/action-definition.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import { systemClock } from '../support/clock.ts';
import { requestHash, toStoredRequest, type StoredRequest } from './request-identity.ts';
import { buildActionExecutionState, isTerminalStatus, statusOf } from './execution-state-builder.ts';
import { ExecutionRun } from './execution-run.ts';
import { effectActors } from './execution-effects.ts';
import { silentLogger } from '../support/logger.ts';
import { createDefinitionRegistry } from '../definitions/definition-registry.ts';
import { createCatalogLookup } from '../catalog/catalog-integration.ts';
import { createTokenCache } from '../auth/auth.ts';
import { formatZodIssues } from '../support/zod-issues.ts';
import { openJournal, type ExecutionKey, type ExecutionRecord, type LeaseOwner } from '../../storage/sqlite/sqlite-journal.ts';
import { createLocalStorageProvider } from '../../storage/local-storage-provider.ts';
import { storageIdFor } from './storage-ids.ts';
import { cancelDormant, stateOf, tracesOf } from './journal-state.ts';
import { deliverOutbox, type ExecutorEventListener } from './outbox-delivery.ts';
import { checkWellFormedIds } from '../validation/well-formed-ids.ts';
import { checkRequestLimits, resolveRequestLimits } from '../validation/request-limits.ts';

import type { ActionExecutor, ActionExecutorOptions, ResumeAllReport } from './executor-api.ts';

/** The API types, so callers import the executor from one place. */
export type { ActionExecutor, ActionExecutorOptions, ResumeAllReport, TransitionInfo } from './executor-api.ts';
export type { ExecutorEvent, ExecutorEventListener } from './outbox-delivery.ts';

const keyString = (key: ExecutionKey): string => `${key.executionId}\u0000${key.actionId}`;

export function createActionExecutor(options: ActionExecutorOptions): ActionExecutor {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger();
  const limits = resolveRequestLimits(options.limits);
  const journal = openJournal(options.dbPath ?? './.action-executor/journal.db');
  const storage = createLocalStorageProvider(options.storageDir ?? './.action-executor/storage');
  const registry = Array.isArray(options.definitions)
    ? createDefinitionRegistry(options.definitions)
    : options.definitions;
  const catalog = createCatalogLookup(options.catalog);
  const tokenCache = createTokenCache();
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const owner: LeaseOwner = { id: randomUUID(), pid: process.pid, host: hostname() };
  const listeners = new Set<ExecutorEventListener>(options.onEvent ? [options.onEvent] : []);
  const running = new Map<string, { promise: Promise<ActionExecutionState>; cancel: (reason?: string) => void }>();
  /** The run of every execution this executor is driving, for the effect actors to find. */
  const runs = new Map<string, ExecutionRun>();
  const machine: ActionExecutionMachine = actionExecutionMachine.provide({
    actors: effectActors((input) => {
      const run = runs.get(keyString(input));
      if (!run) throw new Error(`no live run for execution ${input.executionId} / ${input.actionId}`);
      return run;
    }),
  });
  let closed = false;

  const runDeps = {
    journal,
    storage,
    catalog,
    clock,
    random,
    logger,
    customAuth: options.customAuth ?? {},
    tokenCache,
    inlineBodyLimit: options.inlineBodyLimit ?? 1024 * 1024,
    faultHook: options.faultHook,
  };

  function credentialsFor(record: ExecutionRecord, stored: StoredRequest): Record<string, string> {
    const source = options.credentials;
    if (!source) return {};
    if (typeof source === 'function') return source(record, stored.context.credentialNames) ?? {};
    return source;
  }

  function definitionFor(stored: StoredRequest, record?: ExecutionRecord): ActionDefinition | undefined {
    // A resumed execution keeps the definition it started with.
    if (record?.definition) {
      const parsed = ActionDefinitionSchema.safeParse(record.definition);
      if (parsed.success) return parsed.data;
    }
    return registry.get(stored.action.actionDefinitionId);
  }

  /** Saves the final state through the storage provider (EXEC-019); idempotent. */
  async function storeResult(key: ExecutionKey, state: ActionExecutionState): Promise<void> {
    await storage.save('results', storageIdFor(key, 'state.json'), Buffer.from(JSON.stringify(state)), {
      contentType: 'application/json',
      metadata: { executionId: key.executionId, actionId: key.actionId, status: state.status },
    });
  }

  const deliverPendingEvents = (): Promise<number> => deliverOutbox(journal, listeners, () => clock.now(), logger);

  function acquire(key: ExecutionKey): void {
    const lease = journal.acquireLease(key, owner, clock.now(), leaseTtlMs);
    if (!lease.acquired) {
      throw actionError(
        'state_inconsistent',
        `Execution ${key.executionId} / ${key.actionId} is being run by another process (pid ${lease.heldBy.pid} on ${lease.heldBy.host}) until ${new Date(lease.expiresAt).toISOString()}.`,
        {
          code: 'LEASE_HELD',
          context: { ...key, holderPid: String(lease.heldBy.pid), holderHost: lease.heldBy.host },
          suggestion: 'Wait for that process to finish, or resume after its lease expires.',
        },
      );
    }
    if (lease.tookOverFrom) {
      logger.warn({ ...key, previousOwner: lease.tookOverFrom }, 'took over the lease of a process that is no longer running');
    }
  }

  /**
   * A journaled snapshot is restored only when this machine version wrote it and its context is
   * what the context schema says: restoring anything else could re-run the wrong effect.
   */
  function checkRestorable(record: ExecutionRecord): void {
    if (!record.snapshot) return;
    const where = { executionId: record.executionId, actionId: record.actionId };
    if (record.machineVersion !== MACHINE_VERSION) {
      throw actionError(
        'state_inconsistent',
        `Execution ${record.executionId} / ${record.actionId} was journaled by machine version ${record.machineVersion}; this executor runs version ${MACHINE_VERSION} and cannot restore it.`,
        {
          code: 'MACHINE_VERSION_MISMATCH',
          context: { ...where, journaled: record.machineVersion, running: MACHINE_VERSION },
          suggestion: 'Resume it with the executor version that started it, or cancel it.',
        },
      );
    }
    const parsed = ExecutionContextSchema.safeParse((record.snapshot as { context?: unknown }).context);
    if (!parsed.success) {
      throw actionError('state_inconsistent', `The journaled snapshot of ${record.executionId} / ${record.actionId} is not a valid machine context:\n${formatZodIssues(parsed.error.issues)}`, {
        code: 'SNAPSHOT_INVALID',
        context: where,
        suggestion: 'The journal row was changed outside the executor; cancel the execution and resubmit it.',
      });
    }
  }

  /** Drives one execution's machine to a final state, journaling every transition. */
  function drive(record: ExecutionRecord, stored: StoredRequest, credentials: Record<string, string>): Promise<ActionExecutionState> {
    const key: ExecutionKey = { executionId: record.executionId, actionId: record.actionId };
    checkRestorable(record);
    const definition = definitionFor(stored, record);
    const run = new ExecutionRun(runDeps, stored, definition, credentials);
    runs.set(keyString(key), run);
    const snapshot = record.snapshot as { context?: { step?: number } } | null;
    let lastStep = snapshot?.context?.step ?? 0;
    let lastState = record.stateValue;
    let lastEvent = snapshot ? 'resume' : 'xstate.init';
    let journalFailure: Error | undefined;
    /** The terminal state, as journaled by the terminal transition (which also released the lease). */
    let terminal: ActionExecutionState | undefined;

    const inspect = (event: InspectionEvent): void => {
      if (event.type === '@xstate.event' && event.actorRef === actor) lastEvent = event.event.type;
      const external = options.inspect;
      if (typeof external === 'function') external(event);
      else external?.next?.(event);
    };
    const input = { executionId: key.executionId, actionId: key.actionId };
    const actor = snapshot
      ? createActor(machine, { snapshot: record.snapshot as never, input, inspect })
      : createActor(machine, { input, inspect });

    return new Promise<ActionExecutionState>((resolve, reject) => {
      const renew = setInterval(() => {
        if (terminal) return;
        if (!journal.renewLease(key, owner.id, clock.now(), leaseTtlMs)) {
          journalFailure = new Error('lost the lease on this execution to another process');
          actor.stop();
        }
      }, Math.max(1000, Math.floor(leaseTtlMs / 3)));
      renew.unref();

      const finish = (): void => {
        clearInterval(renew);
        running.delete(keyString(key));
        runs.delete(keyString(key));
        if (!terminal) journal.releaseLease(key, owner.id);
      };

      actor.subscribe({
        next: (snap) => {
          if (journalFailure) return;
          if (run.infrastructureFailure) {
            // Not the action's result: stop without journaling, so a resume carries on from here.
            journalFailure = run.infrastructureFailure;
            queueMicrotask(() => actor.stop());
            return;
          }
          const context = snap.context;
          if (context.step === lastStep) return;
          const to = String(snap.value);
          const from = lastState;
          run.state = to;
          try {
            const status = statusOf(to);
            const now = clock.now();
            let result: ActionExecutionState | undefined;
            if (snap.status === 'done') {
              result = buildActionExecutionState({
                actionId: key.actionId,
                stateValue: to,
                context,
                startedAt: record.createdAt,
                finishedAt: now,
                traces: tracesOf(journal, key),
              });
            }
            journal.recordTransition(key, {
              from,
              to,
              event: lastEvent,
              snapshot: actor.getPersistedSnapshot(),
              stateValue: to,
              status,
              attemptCount: context.attempt,
              wakeAt: to === 'backingOff' ? context.nextAttemptAt : null,
              ...(result
                ? {
                    result,
                    outbox: { type: status === 'failed' ? 'action.execute.failed' : 'action.execute.completed', payload: result },
                    // Nothing is left to drive: give the lease up in the same transaction.
                    releaseLeaseOf: owner.id,
                  }
                : {}),
              now,
            });
            if (result) terminal = result;
            run.log('debug', `${from} → ${to}`, { event: lastEvent });
            lastStep = context.step;
            lastState = to;
            options.faultHook?.(`transition:${to}`);
            options.onTransition?.({ ...key, from, to, event: lastEvent, context });
          } catch (error) {
            journalFailure = error instanceof Error ? error : new Error(String(error));
            queueMicrotask(() => actor.stop());
          }
        },
        error: (error) => {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
        complete: () => {
          void (async () => {
            await run.settle();
            finish();
            if (journalFailure) {
              reject(journalFailure);
              return;
            }
            if (!terminal) {
              reject(new Error(`execution ${key.executionId} / ${key.actionId} stopped without a terminal state`));
              return;
            }
            const state = terminal;
            await storeResult(key, state);
            run.log(state.status === 'failed' ? 'warn' : 'info', `finished: ${state.status}`);
            await deliverPendingEvents();
            resolve(state);
          })().catch(reject);
        },
      });
      running.set(keyString(key), {
        promise: Promise.resolve() as unknown as Promise<ActionExecutionState>,
        cancel: (reason) => actor.send(reason === undefined ? { type: 'CANCEL' } : { type: 'CANCEL', reason }),
      });
      actor.start();
    });
  }

  function track(key: ExecutionKey, work: () => Promise<ActionExecutionState>): Promise<ActionExecutionState> {
    const existing = running.get(keyString(key));
    if (existing) return existing.promise;
    const promise = work();
    const entry = running.get(keyString(key));
    if (entry) entry.promise = promise;
    return promise;
  }

  async function finishTerminal(record: ExecutionRecord): Promise<ActionExecutionState> {
    const state = record.result as ActionExecutionState;
    await storeResult(record, state);
    await deliverPendingEvents();
    return state;
  }

  /**
   * Takes the lease and drives the execution to its end — unless, re-read under the lease, it turns
   * out another process finished it meanwhile.
   */
  function runLeased(
    record: ExecutionRecord,
    stored: StoredRequest,
    credentials: (current: ExecutionRecord) => Record<string, string>,
  ): Promise<ActionExecutionState> {
    if (isTerminalStatus(record.status)) return finishTerminal(record);
    return track(record, async () => {
      acquire(record);
      const current = journal.get(record) ?? record;
      if (isTerminalStatus(current.status)) {
        journal.releaseLease(record, owner.id);
        return finishTerminal(current);
      }
      return drive(current, stored, credentials(current));
    });
  }

  function resumeRecord(record: ExecutionRecord): Promise<ActionExecutionState> {
    const stored = record.request as StoredRequest;
    return runLeased(record, stored, (current) => credentialsFor(current, stored));
  }

  function ensureOpen(): void {
    if (closed) throw new Error('the executor is closed');
  }

  return {
    journal,
    storage,

    async execute(input) {
      ensureOpen();
      const parsed = ActionExecuteRequestSchema.safeParse(input);
      if (!parsed.success) {
        throw actionError('validation_failed', `The execution request is invalid:\n${formatZodIssues(parsed.error.issues)}`, {
          code: 'INVALID_REQUEST',
          context: Object.fromEntries(parsed.error.issues.slice(0, 10).map((issue) => [`$.${issue.path.join('.')}`, issue.message])),
          suggestion: 'Fix the request so it matches the action.execute.requested payload (spec §3.2).',
        });
      }
      const request: ActionExecuteRequest = parsed.data;
      // Bad input is refused before anything is journaled.
      checkWellFormedIds(request);
      checkRequestLimits(request, limits);
      const key: ExecutionKey = { executionId: request.executionId, actionId: request.action.id };
      const stored = toStoredRequest(request);
      const hash = requestHash(request);
      const definition = registry.get(request.action.actionDefinitionId);
      const { created, record } = journal.createExecution({
        ...key,
        requestHash: hash,
        request: stored,
        definition: definition ?? null,
        machineVersion: MACHINE_VERSION,
        stateValue: 'created',
        snapshot: null,
        now: clock.now(),
        // A new execution is born leased to us (one transaction instead of create + acquire + re-read).
        lease: { owner, ttlMs: leaseTtlMs },
      });
      if (created) return track(key, async () => drive(record, stored, request.context.credentials));
      if (record.requestHash !== hash) {
        throw actionError(
          'state_inconsistent',
          `Execution ${key.executionId} / ${key.actionId} was already submitted with a different request; the recorded execution was left untouched.`,
          {
            code: 'REQUEST_MISMATCH',
            context: { ...key, recordedHash: record.requestHash, submittedHash: hash },
            suggestion: 'Use a new executionId for a changed request, or resubmit the original request to get its recorded result.',
          },
        );
      }
      return runLeased(record, stored, () => request.context.credentials);
    },

    async resume(executionId, actionId) {
      ensureOpen();
      const record = journal.get({ executionId, actionId });
      if (!record) {
        throw actionError('validation_failed', `No execution ${executionId} / ${actionId} is recorded in the journal.`, {
          code: 'UNKNOWN_EXECUTION',
          context: { executionId, actionId },
          suggestion: 'Check the ids with `action-executor list`.',
        });
      }
      return resumeRecord(record);
    },

    async resumeAll(opts = {}) {
      ensureOpen();
      const report: ResumeAllReport = { resumed: 0, completed: 0, failed: 0, skipped: 0, busy: 0, errors: [] };
      const keys = journal.listUnfinished();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < keys.length) {
          const key = keys[next++];
          if (!key) break;
          const record = journal.get(key);
          if (!record) continue;
          try {
            const state = await resumeRecord(record);
            report.resumed += 1;
            if (state.status === 'completed') report.completed += 1;
            else if (state.status === 'failed') report.failed += 1;
            else if (state.status === 'skipped') report.skipped += 1;
          } catch (error) {
            if (isActionError(error) && error.detail.code === 'LEASE_HELD') report.busy += 1;
            else report.errors.push({ ...key, message: error instanceof Error ? error.message : String(error) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 32) }, worker));
      return report;
    },

    get(executionId, actionId) {
      const record = journal.get({ executionId, actionId });
      return record ? stateOf(journal, record) : undefined;
    },

    async cancel(executionId, actionId, reason) {
      ensureOpen();
      const key = { executionId, actionId };
      const live = running.get(keyString(key));
      if (live) {
        live.cancel(reason);
        return live.promise;
      }
      const record = journal.get(key);
      if (!record) {
        throw actionError('validation_failed', `No execution ${executionId} / ${actionId} is recorded in the journal.`, {
          code: 'UNKNOWN_EXECUTION',
          context: key,
        });
      }
      if (isTerminalStatus(record.status)) return record.result as ActionExecutionState;
      // Dormant (crashed or waiting): end it without restoring the machine, which would re-run its effect.
      acquire(key);
      try {
        const result = cancelDormant(journal, record, reason, clock.now());
        await storeResult(key, result);
        await deliverPendingEvents();
        return result;
      } finally {
        journal.releaseLease(key, owner.id);
      }
    },

    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    deliverPendingEvents,

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...running.values()].map((entry) => entry.promise));
      journal.close();
    },
  };
}
