/**
 * The durable executor (DESIGN §6, §8): identity, leases and records around the driver loop
 * (driver.ts), which journals every transition before the next side effect and resumes any execution
 * from its last journaled state.
 */
import { MACHINE_VERSION, type ExecutionSnapshot } from '../../machines/action-execution.ts';
import { actionError, InterruptedError, isInterruptedError } from '../failure/errors.ts';
import { ActionExecuteRequestSchema, type ActionExecuteRequest } from '../schemas/job.ts';
import { ActionDefinitionSchema, type ActionDefinition } from '../schemas/action-definition.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import { systemClock } from '../support/clock.ts';
import { silentLogger } from '../support/logger.ts';
import { formatZodIssues } from '../support/zod-issues.ts';
import { requestHash, storedRequestOf, toStoredRequest, type StoredRequest } from './request-identity.ts';
import { buildActionExecutionState, stateOf, statusOf, tracesOf } from './execution-state.ts';
import { ExecutionRun } from './execution-run.ts';
import { driveExecution, ExecutionExistsError, persistedSnapshot, transitionWrite } from './driver.ts';
import { pureInitialTransition, pureTransition } from './pure-transition.ts';
import { restoreSnapshot, summaryOf } from './execution-record.ts';
import { createDefinitionRegistry } from '../definitions/definition-registry.ts';
import { createCatalogLookup } from '../catalog/catalog-integration.ts';
import { createTokenCache } from '../auth/auth.ts';
import { isTerminalStatus, type ExecutionKey, type ExecutionRecord, type Fence, type Journal, type JournalWrite } from '../../storage/journal.ts';
import { openSqliteJournal } from '../../storage/sqlite/sqlite-journal.ts';
import { hasUrlScheme, isPostgresUrl } from '../../storage/open-journal.ts';
import { redactPostgresUrl } from '../../storage/postgres/postgres-url.ts';
import { createLocalStorageProvider } from '../../storage/local-storage-provider.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import { storageIdFor } from './storage-ids.ts';
import { acquireExecutionLease } from './lease-acquisition.ts';
import { resumeAllUnfinished } from './resume-all.ts';
import { withStorageCheck, type CheckedExecutionState } from './stored-output-check.ts';
import { deliverOutbox, type ExecutorEventListener } from './outbox-delivery.ts';
import { testHooksOf } from './test-hooks.ts';
import { checkWellFormedIds } from '../validation/well-formed-ids.ts';
import { checkRequestLimits, resolveRequestLimits } from '../validation/request-limits.ts';
import { checkActionIdNotReserved, checkNotReservedKey, isReservedActionId, PLAN_ROW_ACTION_ID } from './reserved-action-ids.ts';
import { EXECUTOR_DEFAULTS, type ActionExecutor, type ActionExecutorOptions, type ExecuteOptions } from './executor-api.ts';

/** The API types, so callers import the executor from one place. */
export type { ActionExecutor, ActionExecutorOptions, ExecuteOptions, ExecutionSummary, ExecutionTimeline, ListOptions, ResumeAllReport, TransitionInfo } from './executor-api.ts';
export type { ExecutorEvent, ExecutorEventListener } from './outbox-delivery.ts';
export type { CheckedExecutionState, StorageWarning } from './stored-output-check.ts';
export { EXECUTOR_DEFAULTS } from './executor-api.ts';

const keyString = (key: ExecutionKey): string => `${key.executionId}\u0000${key.actionId}`;
/** Just the key of a record (or key): what goes into error contexts, log lines and transition infos. */
const keyOf = (key: ExecutionKey): ExecutionKey => ({ executionId: key.executionId, actionId: key.actionId });

/** `waitForLease`, checked: a number of milliseconds, 0 when absent. */
function leaseWaitOf(options: ExecuteOptions): number {
  const wait = options.waitForLease ?? 0;
  if (typeof wait === 'number' && Number.isFinite(wait) && wait >= 0) return wait;
  throw actionError('validation_failed', `options.waitForLease must be a non-negative number of milliseconds, got ${JSON.stringify(wait) ?? String(wait)}.`, {
    code: 'INVALID_OPTION',
    context: { option: 'waitForLease', value: String(wait) },
  });
}

/** A URL is no SQLite path, and a PostgreSQL journal is opened asynchronously (it connects and migrates): say how. */
function postgresNeedsOpen(url: string) {
  const what = isPostgresUrl(url) ? `the PostgreSQL journal ${redactPostgresUrl(url)}` : `${redactPostgresUrl(url)}, a URL and not a SQLite path`;
  return actionError('validation_failed', `createActionExecutor cannot open ${what}: opening one connects to the server, which a synchronous call cannot wait for.`, {
    code: 'ASYNC_OPEN_REQUIRED',
    context: { db: redactPostgresUrl(url) },
    suggestion: "Use `await openActionExecutor(options)` from 'action-executor/open-action-executor' for a postgres:// db, or pass an open Journal as db.",
  });
}

/**
 * Creates an executor over a journal and a storage provider. `db` is a SQLite path or an open
 * Journal; for a `postgres://` URL use `openActionExecutor` (src/execution/open-action-executor.ts).
 *
 * @example
 * ```ts
 * import { createActionExecutor } from 'action-executor/executor';
 * import { loadDefinitionsFromDir } from 'action-executor/definition-registry';
 *
 * const { registry } = loadDefinitionsFromDir('./definitions');
 * const executor = createActionExecutor({ definitions: registry }); // ./.action-executor/{journal.db,storage}
 * const state = await executor.execute(request); // completed, skipped or failed — always recorded
 * await executor.resumeAll();                    // after a crash: continue every unfinished execution
 * await executor.close();
 * ```
 */
export function createActionExecutor(options: ActionExecutorOptions): ActionExecutor {
  const hooks = testHooksOf(options);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger();
  const limits = resolveRequestLimits(options.limits);
  const durability = options.durability ?? EXECUTOR_DEFAULTS.durability;
  const ownsJournal = typeof options.db !== 'object';
  const dbPath = typeof options.db === 'object' ? undefined : (options.db ?? options.dbPath ?? EXECUTOR_DEFAULTS.db);
  if (dbPath !== undefined && hasUrlScheme(dbPath)) throw postgresNeedsOpen(dbPath);
  const journal: Journal = typeof options.db === 'object' ? options.db : openSqliteJournal(dbPath ?? EXECUTOR_DEFAULTS.db, { durability });
  const storage: StreamingStorageProvider =
    typeof options.storage === 'object' ? options.storage : createLocalStorageProvider(options.storage ?? options.storageDir ?? EXECUTOR_DEFAULTS.storage, { durability });
  const registry = Array.isArray(options.definitions) ? createDefinitionRegistry(options.definitions) : options.definitions;
  const catalog = createCatalogLookup(options.catalog);
  const tokenCache = createTokenCache();
  const leaseTtlMs = options.leaseTtlMs ?? EXECUTOR_DEFAULTS.leaseTtlMs;
  const listeners = new Set<ExecutorEventListener>(options.onEvent ? [options.onEvent] : []);
  /** Executions this executor drives now: their promise and how to cancel or stop them. */
  const running = new Map<string, { promise: Promise<ActionExecutionState>; cancel: AbortController; stop: AbortController }>();
  let closed = false;
  /** Aborted by `interrupt`: every run stops at its next journaled point, and no new one starts. */
  const interruption = new AbortController();

  const runDeps = {
    journal,
    storage,
    catalog,
    clock,
    random,
    logger,
    customAuth: options.customAuth ?? {},
    tokenCache,
    inlineBodyLimit: options.inlineBodyLimit ?? EXECUTOR_DEFAULTS.inlineBodyLimit,
    maxMappedBodyBytes: options.maxMappedBodyBytes ?? EXECUTOR_DEFAULTS.maxMappedBodyBytes,
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
      // The journal holds the result itself; it needs no second file describing it.
      sidecar: false,
    });
  }

  const deliverPendingEvents = (): Promise<number> => deliverOutbox(journal, listeners, () => clock.now(), logger);

  /** Takes the lease, waiting up to `waitMs` for a live holder (see lease-acquisition.ts). */
  function acquire(key: ExecutionKey, waitMs = 0): Promise<{ fence: Fence; record: ExecutionRecord }> {
    return acquireExecutionLease(keyOf(key), { journal, clock, logger, ttlMs: leaseTtlMs, waitMs, signal: interruption.signal });
  }

  /** Drives one execution to a final state (or until stopped), renewing its lease meanwhile. */
  function run(params: {
    key: ExecutionKey;
    stored: StoredRequest;
    definition: ActionDefinition | undefined;
    credentials: Record<string, string>;
    snapshot: ExecutionSnapshot;
    staged: JournalWrite[];
    fence: Fence | null;
    createdAt: number;
    /** This run creates the execution (see ExecutionRun's `fresh`). */
    fresh: boolean;
  }): Promise<ActionExecutionState> {
    const key = keyOf(params.key);
    const cancel = new AbortController();
    const stop = new AbortController();
    let fence = params.fence;
    const renew = setInterval(() => {
      if (!fence) return;
      journal.renewLease(key, fence, clock.now(), leaseTtlMs).then(
        (ours) => {
          if (!ours) stop.abort(actionError('state_inconsistent', `Lost the lease on ${key.executionId} / ${key.actionId} to another process; stopped without sending anything more.`, { code: 'LEASE_LOST', retryable: true, context: { ...key } }));
        },
        (error: unknown) => logger.warn({ ...key }, `lease renewal failed: ${String(error)}`),
      );
    }, Math.max(1000, Math.floor(leaseTtlMs / 3)));
    renew.unref();
    const promise = (async () => {
      try {
        const state = await driveExecution({
          journal,
          key,
          fence,
          run: new ExecutionRun(runDeps, params.stored, params.definition, params.credentials, params.fresh),
          snapshot: params.snapshot,
          staged: params.staged,
          createdAt: params.createdAt,
          clock,
          cancel: cancel.signal,
          stop: stop.signal,
          interrupt: interruption.signal,
          onTransition: options.onTransition,
          inspect: options.inspect,
          faultHook: hooks.faultHook,
          onFence: (created) => (fence = created),
        });
        fence = null; // released by the terminal commit
        await storeResult(key, state);
        await deliverPendingEvents();
        return state;
      } catch (error) {
        // Stopped unrecorded (infrastructure, lost lease, interrupt): free the lease so a resume can start at once.
        if (fence) await journal.releaseLease(key, fence).catch(() => undefined);
        if (isInterruptedError(error)) throw new InterruptedError(error.reason, key);
        throw error;
      } finally {
        clearInterval(renew);
        running.delete(keyString(key));
      }
    })();
    running.set(keyString(key), { promise, cancel, stop });
    return promise;
  }

  /** A recorded final state: its result stored, its events delivered, its stored output verified. */
  async function finishTerminal(record: ExecutionRecord): Promise<CheckedExecutionState> {
    const state = record.result as ActionExecutionState;
    await storeResult(record, state);
    await deliverPendingEvents();
    return withStorageCheck(storage, record, state);
  }

  /** Takes the lease and drives the execution on — unless, read under the lease, it already ended. */
  async function resumeLeased(record: ExecutionRecord, stored: StoredRequest, credentials: (current: ExecutionRecord) => Record<string, string>, waitMs = 0): Promise<ActionExecutionState> {
    if (isTerminalStatus(record.status)) return finishTerminal(record);
    const live = running.get(keyString(record));
    if (live) return live.promise;
    const { fence, record: current } = await acquire(record, waitMs);
    let snapshot: ExecutionSnapshot;
    try {
      if (isTerminalStatus(current.status)) {
        await journal.releaseLease(record, fence);
        return await finishTerminal(current);
      }
      snapshot = restoreSnapshot(current);
    } catch (error) {
      await journal.releaseLease(record, fence).catch(() => undefined);
      throw error;
    }
    return run({ key: record, stored, definition: definitionFor(stored, current), credentials: credentials(current), snapshot, staged: [], fence, createdAt: current.createdAt, fresh: false });
  }

  async function resumeRecord(record: ExecutionRecord, waitMs = 0): Promise<ActionExecutionState> {
    if (isTerminalStatus(record.status)) return finishTerminal(record);
    const stored = storedRequestOf(record);
    return resumeLeased(record, stored, (current) => credentialsFor(current, stored), waitMs);
  }

  /** Calls that start or continue executions are refused once the executor is closed or interrupted. */
  function ensureOpen(): void {
    if (closed) throw new Error('the executor is closed');
    if (interruption.signal.aborted) throw interruption.signal.reason;
  }

  function unknownExecution(key: ExecutionKey): never {
    throw actionError('validation_failed', `No execution ${key.executionId} / ${key.actionId} is recorded in the journal.`, {
      code: 'UNKNOWN_EXECUTION',
      context: { ...key },
      suggestion: 'Check the ids with `action-executor list`.',
    });
  }

  async function submit(request: ActionExecuteRequest, waitMs: number): Promise<ActionExecutionState> {
    const key: ExecutionKey = { executionId: request.executionId, actionId: request.action.id };
    const stored = toStoredRequest(request);
    const hash = requestHash(request);
    const record = await journal.get(key);
    if (record) {
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
      return resumeLeased(record, stored, () => request.context.credentials, waitMs);
    }
    const live = running.get(keyString(key));
    if (live) return live.promise;
    // A new execution: it is created, leased to us and carried to its first side effect in one commit.
    const definition = registry.get(request.action.actionDefinitionId);
    const [snapshot] = pureInitialTransition(key);
    const now = clock.now();
    const staged: JournalWrite[] = [
      {
        type: 'create',
        definitionId: request.action.actionDefinitionId,
        requestHash: hash,
        request: stored,
        definition: definition ?? null,
        machineVersion: MACHINE_VERSION,
        stateValue: 'created',
        snapshot: null,
        leaseTtlMs,
      },
      { type: 'transition', from: 'created', to: 'resolving', event: 'xstate.init', at: now, snapshot: persistedSnapshot(snapshot), stateValue: 'resolving', status: 'running', attemptCount: 0, wakeAt: null },
    ];
    try {
      return await run({ key, stored, definition, credentials: request.context.credentials, snapshot, staged, fence: null, createdAt: now, fresh: true });
    } catch (error) {
      // Another submission created it between our read and our commit: treat ours as a resubmission.
      if (error instanceof ExecutionExistsError) return submit(request, waitMs);
      throw error;
    }
  }

  /** Ends a dormant execution as cancelled: the machine's own CANCEL transition, journaled under the lease. */
  async function cancelDormant(record: ExecutionRecord, reason: string | undefined): Promise<ActionExecutionState> {
    const { fence, record: current } = await acquire(record);
    try {
      if (isTerminalStatus(current.status)) return current.result as ActionExecutionState;
      const snapshot = restoreSnapshot(current);
      const event = { type: 'CANCEL' as const, cancelledIn: current.stateValue, ...(reason === undefined ? {} : { reason }) };
      const [next] = pureTransition(snapshot, event);
      const now = clock.now();
      const result = buildActionExecutionState({ actionId: record.actionId, stateValue: 'failed', context: next.context, startedAt: current.createdAt, finishedAt: now, traces: await tracesOf(journal, record) });
      // The same transition write the driver makes for a live cancel: a replay feeds it back as recorded.
      await journal.commit(record, [transitionWrite(current.stateValue, 'failed', event, undefined, next, now, result)], fence, now);
      await storeResult(record, result);
      await deliverPendingEvents();
      return result;
    } finally {
      await journal.releaseLease(record, fence).catch(() => undefined);
    }
  }

  return {
    journal,
    storage,

    async execute(input, opts = {}) {
      ensureOpen();
      const parsed = ActionExecuteRequestSchema.safeParse(input);
      if (!parsed.success) {
        throw actionError('validation_failed', `The execution request is invalid:\n${formatZodIssues(parsed.error.issues)}`, {
          code: 'INVALID_REQUEST',
          context: Object.fromEntries(parsed.error.issues.slice(0, 10).map((issue) => [`$.${issue.path.join('.')}`, issue.message])),
          suggestion: 'Fix the request so it matches the action.execute.requested payload (spec §3.2).',
        });
      }
      // Bad input is refused before anything is journaled.
      checkWellFormedIds(parsed.data);
      checkActionIdNotReserved(parsed.data.action.id);
      checkRequestLimits(parsed.data, limits);
      return submit(parsed.data, leaseWaitOf(opts));
    },

    async resume(executionId, actionId, opts = {}) {
      ensureOpen();
      checkNotReservedKey({ executionId, actionId }, 'resumed');
      const record = await journal.get({ executionId, actionId });
      if (!record) return unknownExecution({ executionId, actionId });
      return resumeRecord(record, leaseWaitOf(opts));
    },

    async resumeAll(opts = {}) {
      ensureOpen();
      const concurrency = opts.concurrency ?? EXECUTOR_DEFAULTS.resumeConcurrency;
      const report = await resumeAllUnfinished({ journal, resume: (record) => resumeRecord(record), concurrency, signal: interruption.signal });
      // Interrupted: the runs it cut short and the rows it never reached resume next time.
      if (interruption.signal.aborted) throw interruption.signal.reason;
      return report;
    },

    async get(executionId, actionId) {
      const record = await journal.get({ executionId, actionId });
      return record ? withStorageCheck(storage, record, await stateOf(journal, record)) : undefined;
    },

    async list(opts = {}) {
      const statuses = opts.status === undefined ? undefined : typeof opts.status === 'string' ? [opts.status] : opts.status;
      const page = await journal.listExecutions({
        ...(statuses ? { statuses } : {}),
        ...(opts.definitionId ? { definitionId: opts.definitionId } : {}),
        ...(opts.search ? { search: opts.search } : {}),
        limit: opts.limit ?? 50,
        offset: opts.offset ?? 0,
      });
      // Plan runs' own rows are not action executions: left out, and out of the total (a page may come out short).
      const planRows = opts.definitionId === undefined ? (await journal.listExecutions({ ...(statuses ? { statuses } : {}), ...(opts.search ? { search: opts.search } : {}), definitionId: PLAN_ROW_ACTION_ID, limit: 0 })).total : 0;
      return { executions: page.records.filter((record) => !isReservedActionId(record.actionId)).map(summaryOf), total: page.total - planRows };
    },

    async timeline(executionId, actionId) {
      const key = { executionId, actionId };
      const record = await journal.get(key);
      if (!record) return undefined;
      const [transitions, attempts, state] = await Promise.all([journal.listTransitions(key), journal.listAttempts(key), stateOf(journal, record)]);
      return { summary: summaryOf(record), transitions, attempts, state: await withStorageCheck(storage, key, { ...state, status: statusOf(record.stateValue) }) };
    },

    async cancel(executionId, actionId, reason) {
      ensureOpen();
      checkNotReservedKey({ executionId, actionId }, 'cancelled');
      const key = { executionId, actionId };
      const live = running.get(keyString(key));
      if (live) {
        live.cancel.abort(reason);
        return live.promise;
      }
      const record = await journal.get(key);
      if (!record) return unknownExecution(key);
      if (isTerminalStatus(record.status)) return record.result as ActionExecutionState;
      // Dormant (crashed, or waiting in a process that died): end it from the journal without re-running its effect.
      return cancelDormant(record, reason);
    },

    async interrupt(reason = 'interrupted') {
      if (!interruption.signal.aborted) {
        interruption.abort(new InterruptedError(reason));
        logger.info({ reason, running: running.size }, `interrupted (${reason}): stopping ${running.size} run(s) at their next journaled point`);
      }
      await Promise.allSettled([...running.values()].map((entry) => entry.promise));
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
      if (ownsJournal) await journal.close();
    },
  };
}
