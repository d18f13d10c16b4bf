/**
 * The plan executor (issue 11, DESIGN §7–8): plans as durable executions beside the action executor.
 * Identity (a plan runs once per id; the same id with another plan is refused), the plan's lease
 * (one process drives a plan at a time, fenced like an action), confirmations, cancel, reads and
 * `resumeAll`. The loop itself is plan-runner.ts; what the journal holds is plan-record.ts.
 */
import { actionError, isActionError } from '../failure/errors.ts';
import { createDefinitionRegistry } from '../definitions/definition-registry.ts';
import { testHooksOf } from '../execution/test-hooks.ts';
import { PLAN_ROW_ACTION_ID } from '../execution/reserved-action-ids.ts';
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';
import { ExecutionPlanSchema, type ExecutionPlan } from '../schemas/plan.ts';
import { systemClock } from '../support/clock.ts';
import { silentLogger } from '../support/logger.ts';
import { formatZodIssues } from '../support/zod-issues.ts';
import { isTerminalStatus, type CreateWrite, type ExecutionRecord, type Fence } from '../../storage/journal.ts';
import { confirmationDueAt, latestConfirmations } from './plan-confirmation.ts';
import { dryRunPlan, type PlanDryRun } from './plan-dry-run.ts';
import type { PlanEvent } from './plan-inbox.ts';
import { PlanInvalidError } from './plan-invalid-error.ts';
import { listPlans } from './plan-list.ts';
import {
  initialPlanSnapshot,
  parsePlanResult,
  PLAN_DEFINITION_ID,
  PLAN_RECORD_VERSION,
  planHash,
  planKey,
  PlanRunSnapshotSchema,
  recordsOf,
  type PlanRunSnapshot,
  type StoredPlanRequest,
} from './plan-record.ts';
import { PlanExistsError, PlanRun, type PlanRunDependencies } from './plan-runner.ts';
import { decidePlan } from './plan-scheduler.ts';
import { buildPlanState } from './plan-state.ts';
import { validatePlan } from './plan-validation.ts';
import { PLAN_EXECUTOR_DEFAULTS, type ExecutePlanOptions, type PlanExecutor, type PlanExecutorOptions, type PlanResumeReport } from './plan-executor-api.ts';

export type { ConfirmOptions, ExecutePlanOptions, PlanExecutor, PlanExecutorOptions, PlanProgressEvent, PlanResumeReport } from './plan-executor-api.ts';
export type { PlanDryRun, DryRunAction, DryRunRequest } from './plan-dry-run.ts';
export type { PlanListPage, PlanListQuery, PlanSummary } from './plan-list.ts';
export { PLAN_EXECUTOR_DEFAULTS } from './plan-executor-api.ts';

type Signal = Extract<PlanEvent, { type: 'CONFIRMED' | 'REJECTED' | 'CANCEL' }>;

function unknownPlan(planId: string): never {
  throw actionError('validation_failed', `No plan run ${planId} is recorded in the journal.`, {
    code: 'UNKNOWN_PLAN',
    context: { planId },
    suggestion: 'Check the id (it is the plan\'s "id" field), and that --db points at the journal the plan ran with.',
  });
}

function checkConcurrency(value: number): number {
  if (Number.isInteger(value) && value >= 1) return value;
  throw actionError('validation_failed', `maxConcurrency must be a positive integer, got ${String(value)}.`, {
    code: 'INVALID_OPTION',
    context: { option: 'maxConcurrency', value: String(value) },
    suggestion: `Pass a whole number of actions to run at once, 1 or more (default ${PLAN_EXECUTOR_DEFAULTS.maxConcurrency}).`,
  });
}

/** The journaled run, read back through its schemas: a row another build wrote is refused, never misread. */
function readRun(record: ExecutionRecord): { plan: ExecutionPlan; snapshot: PlanRunSnapshot; credentialNames: string[] } {
  const where = { planId: record.executionId };
  if (record.machineVersion !== PLAN_RECORD_VERSION) {
    throw actionError('state_inconsistent', `Plan run ${record.executionId} was journaled in format ${record.machineVersion}; this executor reads ${PLAN_RECORD_VERSION}.`, {
      code: 'PLAN_VERSION_MISMATCH',
      context: { ...where, journaled: record.machineVersion, running: PLAN_RECORD_VERSION },
      suggestion: 'Continue it with the executor version that started it.',
    });
  }
  const stored = record.request as Partial<StoredPlanRequest> | null;
  const plan = ExecutionPlanSchema.safeParse(stored?.plan);
  const snapshot = PlanRunSnapshotSchema.safeParse(record.snapshot);
  if (!plan.success || !snapshot.success) {
    const issues = !plan.success ? formatZodIssues(plan.error.issues) : !snapshot.success ? formatZodIssues(snapshot.error.issues) : '';
    throw actionError('state_inconsistent', `The journaled plan run ${record.executionId} is not readable:\n${issues}`, {
      code: 'PLAN_RECORD_INVALID',
      context: where,
      suggestion: 'The journal row was changed outside the executor; submit the plan again under a new id.',
    });
  }
  return { plan: plan.data, snapshot: snapshot.data, credentialNames: Array.isArray(stored?.credentialNames) ? stored.credentialNames : [] };
}

/**
 * Creates a plan executor over an action executor (whose journal records the plan runs too).
 *
 * @example
 * ```ts
 * import { createActionExecutor } from 'action-executor/executor';
 * import { createPlanExecutor } from 'action-executor/plan-executor';
 * import { loadDefinitionsFromDir } from 'action-executor/definition-registry';
 *
 * const { registry } = loadDefinitionsFromDir('./definitions');
 * const executor = createActionExecutor({ definitions: registry });
 * const plans = createPlanExecutor({ executor, definitions: registry });
 * let state = await plans.executePlan(plan, { credentials: { DEMO_TOKEN: token } });
 * if (state.status === 'paused_for_confirmation') {
 *   state = await plans.confirm(plan.id, 'create_order', { confirmed: true, userId: 'ops@example.com', credentials: { DEMO_TOKEN: token } });
 * }
 * await plans.close();
 * await executor.close();
 * ```
 */
export function createPlanExecutor(options: PlanExecutorOptions): PlanExecutor {
  const { executor } = options;
  const { journal } = executor;
  const clock = options.clock ?? systemClock;
  const registry = Array.isArray(options.definitions) ? createDefinitionRegistry(options.definitions) : options.definitions;
  const leaseTtlMs = options.leaseTtlMs ?? PLAN_EXECUTOR_DEFAULTS.leaseTtlMs;
  const defaultConcurrency = checkConcurrency(options.maxConcurrency ?? PLAN_EXECUTOR_DEFAULTS.maxConcurrency);
  const deps: PlanRunDependencies = { executor, clock, logger: options.logger ?? silentLogger(), leaseTtlMs, onProgress: options.onProgress, faultHook: testHooksOf(options).faultHook };
  /** Plans this process drives now. */
  const live = new Map<string, { run: PlanRun; promise: Promise<ExecutionState> }>();

  function validated(input: unknown): ExecutionPlan {
    const result = validatePlan(input, { hasDefinition: (id) => registry.get(id) !== undefined, definitionIds: registry.list().map((definition) => definition.id) });
    if (!result.ok) throw new PlanInvalidError(result.problems);
    return result.plan;
  }

  /**
   * The journaled records with what they leave out put back: each completed action's output, from
   * its own execution (plan-record.ts `journaledSnapshot`). Returns the executions it read, too.
   */
  async function hydrate(planId: string, snapshot: PlanRunSnapshot): Promise<{ snapshot: PlanRunSnapshot; executions: Map<string, ActionExecutionState> }> {
    const executions = new Map<string, ActionExecutionState>();
    const actions = { ...snapshot.actions };
    await Promise.all(Object.entries(snapshot.actions).map(async ([id, runtime]) => {
      if (runtime.startedAt === undefined) return;
      const state = await executor.get(planId, id);
      if (state) executions.set(id, state);
      if (runtime.status !== 'completed' || runtime.output !== undefined) return;
      if (state?.result?.status !== 'success') {
        throw actionError('state_inconsistent', `Plan run ${planId} records "${id}" as completed, but its action execution holds no output (${state === undefined ? 'there is no execution' : `it is ${state.status}`}).`, {
          code: 'PLAN_RECORD_INVALID',
          context: { planId, actionId: id },
          suggestion: 'The journal was changed outside the executor; submit the plan again under a new id.',
        });
      }
      actions[id] = { ...runtime, output: state.result.output };
    }));
    return { snapshot: { ...snapshot, actions }, executions };
  }

  /** Metrics as of now: the scheduler computes them from the records alone (it writes nothing). */
  function liveMetrics(plan: ExecutionPlan, snapshot: PlanRunSnapshot): ExecutionState['metrics'] {
    if (snapshot.status === 'initializing') return snapshot.metrics;
    return decidePlan({ plan, ...recordsOf(snapshot), now: clock.now(), maxConcurrency: snapshot.maxConcurrency, cancelled: snapshot.cancelled, startedAt: snapshot.startedAt }).metrics;
  }

  function credentialsFor(planId: string, names: string[]): Record<string, string> {
    const source = options.credentials;
    if (source === undefined) return {};
    return typeof source === 'function' ? (source(planId, names) ?? {}) : source;
  }

  async function acquire(planId: string): Promise<{ fence: Fence; record: ExecutionRecord }> {
    const lease = await journal.acquireLease(planKey(planId), clock.now(), leaseTtlMs);
    if (lease.acquired) return { fence: lease.fence, record: lease.record };
    throw actionError('state_inconsistent', `Plan ${planId} is being driven by another live process (pid ${lease.heldBy.pid} on ${lease.heldBy.host}); its lease runs until ${new Date(lease.expiresAt).toISOString()} unless renewed.`, {
      code: 'LEASE_HELD',
      retryable: true,
      context: { planId, holderPid: String(lease.heldBy.pid), holderHost: lease.heldBy.host, expiresAt: new Date(lease.expiresAt).toISOString() },
      suggestion: 'That process stops driving the plan when it is over or waits for a confirmation; answer or cancel it then (or from that process).',
    });
  }

  function drive(run: PlanRun): Promise<ExecutionState> {
    const promise = run.drive().finally(() => live.delete(run.plan.id));
    live.set(run.plan.id, { run, promise });
    return promise;
  }

  /** The final state of a terminal row. */
  function terminalState(record: ExecutionRecord): ExecutionState {
    const result = parsePlanResult(record.result);
    if (result) return result;
    throw actionError('state_inconsistent', `Plan run ${record.executionId} ended ${record.stateValue} but its recorded result is not an ExecutionState.`, { code: 'PLAN_RECORD_INVALID', context: { planId: record.executionId } });
  }

  /** Drives a recorded run on (under its lease), first handing it `signals`; a live one gets them directly. */
  async function continueRun(record: ExecutionRecord, credentials: Record<string, string> | undefined, maxConcurrency: number | undefined, signals: Signal[]): Promise<ExecutionState> {
    const planId = record.executionId;
    if (isTerminalStatus(record.status)) return terminalState(record);
    const running = live.get(planId);
    if (running) {
      if (signals.every((signal) => running.run.signal(signal))) return running.promise;
      // It was stopping as the signal came: let it stop, then go on from the journal.
      await running.promise.catch(() => undefined);
      const again = await journal.get(record);
      return again ? continueRun(again, credentials, maxConcurrency, signals) : unknownPlan(planId);
    }
    const { fence, record: current } = await acquire(planId);
    let run: PlanRun;
    try {
      if (isTerminalStatus(current.status)) {
        await journal.releaseLease(current, fence);
        return terminalState(current);
      }
      const read = readRun(current);
      const { plan, credentialNames } = read;
      const { snapshot, executions } = await hydrate(planId, read.snapshot);
      run = new PlanRun(deps, {
        plan,
        snapshot,
        executions,
        stateValue: current.stateValue,
        fence,
        credentials: credentials ?? credentialsFor(planId, credentialNames),
        maxConcurrency: maxConcurrency ?? snapshot.maxConcurrency,
      });
    } catch (error) {
      await journal.releaseLease(current, fence).catch(() => undefined);
      throw error;
    }
    for (const signal of signals) run.signal(signal);
    return drive(run);
  }

  async function submit(plan: ExecutionPlan, options: ExecutePlanOptions, retried = false): Promise<ExecutionState> {
    const maxConcurrency = checkConcurrency(options.maxConcurrency ?? defaultConcurrency);
    const hash = planHash(plan);
    const record = await journal.get(planKey(plan.id));
    if (record) {
      if (record.requestHash !== hash) {
        throw actionError('state_inconsistent', `Plan ${plan.id} was already submitted with a different plan; the recorded run was left untouched.`, {
          code: 'REQUEST_MISMATCH',
          context: { planId: plan.id, recordedHash: record.requestHash, submittedHash: hash },
          suggestion: 'Give a changed plan a new id, or resubmit the original plan to get (or continue) its recorded run.',
        });
      }
      return continueRun(record, options.credentials, maxConcurrency, []);
    }
    const running = live.get(plan.id);
    if (running) return running.promise;
    const now = clock.now();
    const credentials = options.credentials ?? {};
    const snapshot = initialPlanSnapshot(plan, now, maxConcurrency);
    const stored: StoredPlanRequest = { plan, credentialNames: Object.keys(credentials).sort() };
    const create: CreateWrite = {
      type: 'create',
      definitionId: PLAN_DEFINITION_ID,
      requestHash: hash,
      request: stored,
      definition: null,
      machineVersion: PLAN_RECORD_VERSION,
      stateValue: 'initializing',
      snapshot,
      leaseTtlMs,
    };
    try {
      return await drive(new PlanRun(deps, { plan, snapshot, stateValue: 'initializing', fence: null, create, credentials, maxConcurrency }));
    } catch (error) {
      // Another submission created it between our read and our commit: ours is a resubmission.
      if (error instanceof PlanExistsError && !retried) return submit(plan, options, true);
      throw error;
    }
  }

  /** Why `confirm` cannot answer, or `answer` (record it), `same` (already answered so), `due` (timed out). */
  function judgeAnswer(plan: ExecutionPlan, snapshot: PlanRunSnapshot, actionId: string, confirmed: boolean): 'answer' | 'same' | 'due' {
    const action = plan.actions.find((candidate) => candidate.id === actionId);
    const refuse = (code: string, message: string, suggestion: string): never => {
      throw actionError('validation_failed', message, { code, context: { planId: plan.id, actionId }, suggestion });
    };
    if (action === undefined) {
      return refuse('UNKNOWN_ACTION', `Plan ${plan.id} has no action "${actionId}" (its actions: ${plan.actions.map((candidate) => candidate.id).join(', ')}).`, 'Check the action id with `action-executor plan show`.');
    }
    const entry = latestConfirmations(snapshot.confirmations).get(actionId);
    if (entry === undefined) {
      if (action.userConfirmation?.required !== true) return refuse('NO_CONFIRMATION', `Action "${actionId}" of plan ${plan.id} does not ask for a confirmation.`, 'Only actions with userConfirmation.required wait for an answer.');
      const status = snapshot.actions[actionId]?.status ?? 'pending';
      return refuse('NOT_WAITING_FOR_CONFIRMATION', `Action "${actionId}" of plan ${plan.id} has not asked for its confirmation (it is ${status}${status === 'pending' ? ': it asks once its dependencies have ended' : ''}).`, 'Answer once `plan show` lists the request.');
    }
    if (entry.confirmed === undefined) {
      const dueAt = confirmationDueAt(action, entry, clock.now());
      return dueAt !== undefined && dueAt <= clock.now() ? 'due' : 'answer';
    }
    if (entry.confirmed === confirmed) return 'same';
    const timedOut = snapshot.actions[actionId]?.error?.code === 'CONFIRMATION_TIMEOUT';
    if (timedOut) {
      return refuse('CONFIRMATION_TIMED_OUT', `The confirmation of "${actionId}" in plan ${plan.id} timed out at ${entry.respondedAt ?? 'an unrecorded time'} and was rejected automatically; an answer cannot be changed.`, 'The action did not run; its errorHandling applied. If it is still wanted, run it in a new plan.');
    }
    const who = entry.userId === undefined ? '' : ` by ${entry.userId}`;
    return refuse('ALREADY_ANSWERED', `The confirmation of "${actionId}" in plan ${plan.id} was already ${entry.confirmed ? 'confirmed' : 'rejected'}${who} at ${entry.respondedAt ?? 'an unrecorded time'}; an answer cannot be changed.`, 'If the action is still wanted, run it in a new plan.');
  }

  async function recordedOrLive(planId: string): Promise<{ record: ExecutionRecord; snapshot: PlanRunSnapshot; plan: ExecutionPlan }> {
    const record = await journal.get(planKey(planId));
    if (!record) return unknownPlan(planId);
    const read = readRun(record);
    return { record, plan: read.plan, snapshot: live.get(planId)?.run.current ?? read.snapshot };
  }

  async function executePlan(input: unknown, opts?: ExecutePlanOptions & { dryRun?: false }): Promise<ExecutionState>;
  async function executePlan(input: unknown, opts: ExecutePlanOptions & { dryRun: true }): Promise<PlanDryRun>;
  async function executePlan(input: unknown, opts: ExecutePlanOptions = {}): Promise<ExecutionState | PlanDryRun> {
    const plan = validated(input);
    if (opts.dryRun === true) return dryRunPlan(plan, (id) => registry.get(id), opts.credentials ?? {});
    return submit(plan, opts);
  }

  return {
    executePlan,

    async confirm(planId, actionId, answer) {
      const { record, plan, snapshot } = await recordedOrLive(planId);
      const verdict = judgeAnswer(plan, snapshot, actionId, answer.confirmed);
      if (verdict === 'due') {
        // Too late to answer: drive the plan, which records the automatic rejection, then say so.
        await continueRun(record, answer.credentials, undefined, []);
        throw actionError('validation_failed', `The confirmation of "${actionId}" in plan ${planId} timed out before this answer; it was rejected automatically (see plan show).`, {
          code: 'CONFIRMATION_TIMED_OUT',
          context: { planId, actionId },
          suggestion: 'The action did not run; its errorHandling applied. If it is still wanted, run it in a new plan.',
        });
      }
      const signals: Signal[] = verdict === 'same' ? [] : [{ type: answer.confirmed ? 'CONFIRMED' : 'REJECTED', actionId, respondedAt: clock.now(), ...(answer.userId === undefined ? {} : { userId: answer.userId }) }];
      return continueRun(record, answer.credentials, undefined, signals);
    },

    async cancelPlan(planId, reason) {
      const record = await journal.get(planKey(planId));
      if (!record) return unknownPlan(planId);
      return continueRun(record, undefined, undefined, [reason === undefined ? { type: 'CANCEL' } : { type: 'CANCEL', reason }]);
    },

    async getPlan(planId) {
      const record = await journal.get(planKey(planId));
      if (!record) return undefined;
      if (isTerminalStatus(record.status)) return terminalState(record);
      const running = live.get(planId);
      const read = readRun(record);
      if (running) {
        const current = running.run.current;
        return { ...(await running.run.stateNow()), metrics: liveMetrics(read.plan, current) };
      }
      const { plan } = read;
      const { snapshot, executions } = await hydrate(planId, read.snapshot);
      return buildPlanState({ plan, snapshot, executions, metrics: liveMetrics(plan, snapshot) });
    },

    listPlans: (query) => listPlans(journal, query),

    async resumeAll() {
      const report: PlanResumeReport = { plans: 0, completed: 0, failed: 0, cancelled: 0, paused: 0, timeoutsFired: 0, busy: 0, errors: [] };
      const keys = (await journal.listUnfinished()).filter((key) => key.actionId === PLAN_ROW_ACTION_ID);
      for (const key of keys) {
        report.plans += 1;
        try {
          const record = await journal.get(key);
          if (!record) continue;
          const before = readRun(record).snapshot;
          const idle = before.status === 'paused_for_confirmation' && (record.wakeAt === null || record.wakeAt > clock.now()) && !Object.values(before.actions).some((state) => state.status === 'running');
          // A paused plan with nothing due has nothing to do: it is left alone (and its lease free).
          const state = idle ? undefined : await continueRun(record, undefined, undefined, []);
          const status = state?.status ?? before.status;
          if (status === 'completed') report.completed += 1;
          else if (status === 'failed') report.failed += 1;
          else if (status === 'cancelled') report.cancelled += 1;
          else if (status === 'paused_for_confirmation') report.paused += 1;
          if (state) {
            // resumeAll answers nothing itself: a request open before and answered now timed out.
            const open = new Set(before.confirmations.filter((entry) => entry.confirmed === undefined).map((entry) => `${entry.actionId}\u0000${entry.requestedAt}`));
            report.timeoutsFired += state.confirmations.filter((entry) => entry.confirmed !== undefined && open.has(`${entry.actionId}\u0000${entry.requestedAt}`)).length;
          }
        } catch (error) {
          if (isActionError(error) && error.detail.code === 'LEASE_HELD') report.busy += 1;
          else {
            const code = isActionError(error) ? error.detail.code : undefined;
            report.errors.push({ planId: key.executionId, message: error instanceof Error ? error.message : String(error), ...(code === undefined ? {} : { code }) });
          }
        }
      }
      return report;
    },

    async close() {
      await Promise.allSettled([...live.values()].map((entry) => entry.promise));
    },
  };
}

