/**
 * `action-executor plan run|confirm|cancel|show` (issue 11; the contract users script against):
 *
 *   plan run <plan.json|-> [--credentials FILE] [--max-concurrency N] [--dry-run] [--json]
 *   plan confirm <executionId> <actionId> [--reject] [--user ID] [--json]
 *   plan cancel <executionId> [--json]
 *   plan show <executionId> [--json]
 *
 * `run` and `confirm` drive the plan until it is terminal or waits for a confirmation. With `--json`,
 * stdout is exactly the plan's ExecutionState (the dry run prints its report). Exit codes: 0
 * completed (or still running, for `show`), 1 failed or cancelled, 2 bad input, 3 internal error,
 * 4 another live process drives the plan, 5 paused for confirmation.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { isActionError } from '../../failure/errors.ts';
import { silentLogger } from '../../support/logger.ts';
import type { ActionExecutor } from '../../execution/executor.ts';
import { createPlanExecutor, PLAN_EXECUTOR_DEFAULTS, type PlanExecutor, type PlanResumeReport } from '../../plans/plan-executor.ts';
import { isPlanInvalidError } from '../../plans/plan-invalid-error.ts';
import { planKey } from '../../plans/plan-record.ts';
import type { ExecutionState } from '../../schemas/execution-state.ts';
import { readJsonInput, UsageError } from '../cli-input.ts';
import { dryRunLines, planProgressLines, planStateLines, planTimelineLines } from '../plan-render.ts';
import { EXIT, loadCredentials, loadDefinitions, openExecutor, say, write, type CliIo, type Flags } from '../cli.ts';

/** DESIGN §8's exit codes beyond the ones every command uses. */
const EXIT_BUSY = 4;
const EXIT_PAUSED = 5;

/** The exit code a plan's state stands for. */
export function planExitCode(state: ExecutionState): number {
  switch (state.status) {
    case 'completed':
    case 'running':
    case 'initializing':
      return EXIT.ok;
    case 'paused_for_confirmation':
      return EXIT_PAUSED;
    case 'failed':
    case 'cancelled':
      return EXIT.actionFailed;
  }
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--max-concurrency must be a positive integer (actions running at once), not "${text}"`);
  return value;
}

/** `before` prints once, ahead of the first progress line (a plan refused by validation shows none). */
async function withPlans<T>(flags: Flags, io: CliIo, definitionsRequired: boolean, use: (plans: PlanExecutor, executor: ActionExecutor) => Promise<T>, before?: () => void): Promise<T> {
  const { registry } = loadDefinitions(flags, io, definitionsRequired);
  const human = !flags.json;
  // The progress lines already say what failed and why: no raw log lines beside them unless asked for.
  const executor = await openExecutor(flags, io, flags['log-level'] === undefined ? { logger: silentLogger() } : {}, definitionsRequired);
  const credentials = await loadCredentials(flags, io);
  const plans = createPlanExecutor({
    executor,
    definitions: registry,
    credentials,
    onProgress: (event) => {
      if (!human) return;
      before?.();
      before = undefined;
      for (const line of planProgressLines(event)) say(io.stdout, line);
    },
  });
  try {
    return await use(plans, executor);
  } finally {
    await plans.close();
    await executor.close();
  }
}

function printState(state: ExecutionState, flags: Flags, io: CliIo): number {
  if (flags.json) write(io.stdout, JSON.stringify(state, null, 2));
  else say(io.stdout, planStateLines(state).join('\n'));
  return planExitCode(state);
}

async function planRun(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const source = positionals[0];
  if (!source) throw new UsageError('plan run needs a plan file (or - for stdin): action-executor plan run plan.json');
  const maxConcurrency = parseConcurrency(flags['max-concurrency']);
  const input = await readJsonInput(source === '-' ? '-' : resolve(io.cwd, source), io.stdin, source);
  const credentials = await loadCredentials(flags, io);
  const shownAs = source === '-' ? '<stdin>' : source;
  return withPlans(flags, io, true, async (plans) => {
    try {
      if (flags['dry-run']) {
        const dry = await plans.executePlan(input, { dryRun: true, credentials });
        if (flags.json) write(io.stdout, JSON.stringify(dry, null, 2));
        else say(io.stdout, dryRunLines(dry).join('\n'));
        return EXIT.ok;
      }
      return printState(await plans.executePlan(input, { credentials, ...(maxConcurrency === undefined ? {} : { maxConcurrency }) }), flags, io);
    } catch (error) {
      if (!isPlanInvalidError(error)) throw error;
      // Every problem on its own line, named by file and JSON path; nothing ran.
      for (const problem of error.problems) say(io.stderr, `${shownAs}: ${problem.path}: ${problem.message}`);
      say(io.stderr, `error: the plan is invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}); nothing was run`);
      return EXIT.usage;
    }
  }, () => {
    // The plan passed validation (progress only follows it), so these fields are what they should be.
    const plan = input as { id: string; name: string; actions: unknown[] };
    say(io.stdout, `▶ plan ${plan.id} ${JSON.stringify(plan.name)}: ${plan.actions.length} actions, at most ${maxConcurrency ?? PLAN_EXECUTOR_DEFAULTS.maxConcurrency} at once`);
  });
}

async function planConfirm(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [planId, actionId] = positionals;
  if (!planId || !actionId) throw new UsageError('plan confirm needs the plan\'s execution id and the action id: action-executor plan confirm <executionId> <actionId> [--reject]');
  const userId = flags.user ?? userInfo().username;
  const credentials = await loadCredentials(flags, io);
  return withPlans(flags, io, true, async (plans) => {
    if (!flags.json) say(io.stdout, `▶ ${flags.reject ? 'rejecting' : 'confirming'} ${actionId} of plan ${planId} as ${userId}`);
    return printState(await plans.confirm(planId, actionId, { confirmed: !flags.reject, userId, credentials }), flags, io);
  });
}

async function planCancel(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [planId] = positionals;
  if (!planId) throw new UsageError('plan cancel needs the plan\'s execution id: action-executor plan cancel <executionId>');
  return withPlans(flags, io, false, async (plans) => printState(await plans.cancelPlan(planId, 'cancelled from the command line'), flags, io));
}

async function planShow(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [planId] = positionals;
  if (!planId) throw new UsageError('plan show needs the plan\'s execution id: action-executor plan show <executionId>');
  return withPlans(flags, io, false, async (plans, executor) => {
    const state = await plans.getPlan(planId);
    if (!state) throw new UsageError(`no plan run ${planId} in ${flags.db ?? '.action-executor/journal.db'}`);
    if (flags.json) return printState(state, flags, io);
    const code = printState(state, flags, io);
    say(io.stdout, ['decisions:', ...planTimelineLines(await executor.journal.listTransitions(planKey(planId)))].join('\n'));
    say(io.stdout, `each action's own timeline: action-executor show ${planId} <actionId>`);
    return code;
  });
}

/** `plan <subcommand> …`: see the module comment. */
export async function commandPlan(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [subcommand, ...rest] = positionals;
  try {
    switch (subcommand) {
      case 'run':
        return await planRun(rest, flags, io);
      case 'confirm':
        return await planConfirm(rest, flags, io);
      case 'cancel':
        return await planCancel(rest, flags, io);
      case 'show':
        return await planShow(rest, flags, io);
      default:
        throw new UsageError(`plan needs a subcommand: run, confirm, cancel or show${subcommand === undefined ? '' : ` (not "${subcommand}")`}`);
    }
  } catch (error) {
    if (!isActionError(error) || error.detail.code !== 'LEASE_HELD') throw error;
    say(io.stderr, `error: ${error.detail.message}${error.detail.suggestion ? `\n  suggestion: ${error.detail.suggestion}` : ''}`);
    return EXIT_BUSY;
  }
}

/** `resume --all`, the plans' part: continues unfinished plans and fires due confirmation timeouts. */
export async function resumePlans(executor: ActionExecutor, flags: Flags, io: CliIo): Promise<PlanResumeReport> {
  const credentials = await loadCredentials(flags, io);
  const plans = createPlanExecutor({ executor, definitions: [], credentials });
  try {
    return await plans.resumeAll();
  } finally {
    await plans.close();
  }
}
