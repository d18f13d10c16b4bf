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
import { ActionError } from '../../failure/errors.ts';
import type { ActionExecutor } from '../../execution/executor.ts';
import { createPlanExecutor, PLAN_EXECUTOR_DEFAULTS, type PlanExecutor, type PlanResumeReport } from '../../plans/plan-executor.ts';
import { isPlanInvalidError } from '../../plans/plan-invalid-error.ts';
import { planKey } from '../../plans/plan-record.ts';
import type { ExecutionState } from '../../schemas/execution-state.ts';
import { silentLogger } from '../../support/logger.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { readJsonInput, UsageError } from '../cli-input.ts';
import { cliOutput, type CliOutput } from '../cli-output.ts';
import type { CliIo } from '../cli-io.ts';
import { journalPath, loadCredentials, loadDefinitions, openExecutor, type ProjectFlags } from '../cli-project.ts';
import { openJournalReader } from '../journal-reader.ts';
import { dryRunLines, planProgressLines, planStateLines, planTimelineLines } from '../plan-render.ts';
import { EXIT } from '../exit-codes.ts';

const PLAN_FLAGS = [
  ...STATE_FLAGS,
  { ...FLAGS.json, description: "print exactly the plan's ExecutionState (plan run --dry-run: its report; errors: {\"error\": …}) on stdout" },
  { name: 'max-concurrency', type: 'string', value: '<n>', description: 'plan run: actions of the plan running at once', default: String(PLAN_EXECUTOR_DEFAULTS.maxConcurrency) },
  { name: 'dry-run', type: 'boolean', description: 'plan run: validate, print the order and the requests it would send (redacted); send nothing' },
  { name: 'reject', type: 'boolean', description: 'plan confirm: reject instead of confirming (the action ends failed, user_cancelled)' },
  { name: 'user', type: 'string', value: '<id>', description: 'plan confirm: who answers, recorded with the answer', default: 'the OS user name' },
] as const;

/** Which subcommand each plan-only flag belongs to (the others are refused there). */
const FLAG_OWNERS: Readonly<Record<string, { flag: 'max-concurrency' | 'dry-run' | 'reject' | 'user'; subcommand: string }[]>> = {
  run: [{ flag: 'reject', subcommand: 'confirm' }, { flag: 'user', subcommand: 'confirm' }],
  confirm: [{ flag: 'max-concurrency', subcommand: 'run' }, { flag: 'dry-run', subcommand: 'run' }],
  cancel: [{ flag: 'max-concurrency', subcommand: 'run' }, { flag: 'dry-run', subcommand: 'run' }, { flag: 'reject', subcommand: 'confirm' }, { flag: 'user', subcommand: 'confirm' }],
  show: [{ flag: 'max-concurrency', subcommand: 'run' }, { flag: 'dry-run', subcommand: 'run' }, { flag: 'reject', subcommand: 'confirm' }, { flag: 'user', subcommand: 'confirm' }],
};

interface PlanFlags extends ProjectFlags {
  json: boolean;
  'max-concurrency': string | undefined;
  'dry-run': boolean;
  reject: boolean;
  user: string | undefined;
}

/** The exit code a plan's state stands for. */
export function planExitCode(state: ExecutionState): number {
  switch (state.status) {
    case 'completed':
    case 'running':
    case 'initializing':
      return EXIT.ok;
    case 'paused_for_confirmation':
      return EXIT.awaitingConfirmation;
    case 'failed':
    case 'cancelled':
      return EXIT.actionFailed;
  }
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--max-concurrency must be a positive integer (actions running at once), not "${text}"`, { code: 'INVALID_FLAG_VALUE', context: { flag: '--max-concurrency' } });
  }
  return value;
}

/**
 * A plan executor over the project's executor, printing progress unless `--json`. `before` prints once,
 * ahead of the first progress line (a plan refused by validation shows none).
 */
async function withPlans<T>(flags: PlanFlags, io: CliIo, definitionsRequired: boolean, use: (plans: PlanExecutor, executor: ActionExecutor) => Promise<T>, before?: () => void): Promise<T> {
  const out = cliOutput(io);
  const { registry } = loadDefinitions(flags, io, definitionsRequired);
  // The progress lines already say what failed and why: no log lines beside them unless asked for.
  const executor = await openExecutor(flags, io, flags['log-level'] === undefined ? { logger: silentLogger() } : {}, definitionsRequired);
  const credentials = await loadCredentials(flags, io);
  let header = before;
  const plans = createPlanExecutor({
    executor,
    definitions: registry,
    credentials,
    onProgress: (event) => {
      if (flags.json) return;
      header?.();
      header = undefined;
      for (const line of planProgressLines(event)) out.say(line);
    },
  });
  try {
    return await use(plans, executor);
  } finally {
    await plans.close();
    await executor.close();
  }
}

function printState(state: ExecutionState, flags: PlanFlags, out: CliOutput): number {
  if (flags.json) out.json(state);
  else out.say(planStateLines(state).join('\n'));
  return planExitCode(state);
}

async function planRun(positionals: string[], flags: PlanFlags, io: CliIo): Promise<number> {
  const source = positionals[0];
  if (!source) throw new UsageError('plan run needs a plan file (or - for stdin): action-executor plan run plan.json', { code: 'MISSING_ARGUMENT' });
  const out = cliOutput(io);
  const maxConcurrency = parseConcurrency(flags['max-concurrency']);
  const input = await readJsonInput(source === '-' ? '-' : resolve(io.cwd, source), io.stdin, source);
  const credentials = await loadCredentials(flags, io);
  const shownAs = source === '-' ? '<stdin>' : source;
  const header = (): void => {
    // Progress follows validation, so the plan has these fields.
    const plan = input as { id: string; name: string; actions: unknown[] };
    out.say(`▶ plan ${plan.id} ${JSON.stringify(plan.name)}: ${plan.actions.length} actions, at most ${maxConcurrency ?? PLAN_EXECUTOR_DEFAULTS.maxConcurrency} at once`);
  };
  return withPlans(flags, io, true, async (plans) => {
    try {
      if (flags['dry-run']) {
        const dry = await plans.executePlan(input, { dryRun: true, credentials });
        if (flags.json) out.json(dry);
        else out.say(dryRunLines(dry).join('\n'));
        return EXIT.ok;
      }
      return printState(await plans.executePlan(input, { credentials, ...(maxConcurrency === undefined ? {} : { maxConcurrency }) }), flags, out);
    } catch (error) {
      if (!isPlanInvalidError(error) || flags.json) throw error;
      // Every problem on its own line, named by file and JSON path; nothing ran.
      for (const problem of error.problems) out.warn(`${shownAs}: ${problem.path}: ${problem.message}`);
      out.warn(`error: the plan is invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}); nothing was run`);
      return EXIT.usage;
    }
  }, header);
}

async function planConfirm(positionals: string[], flags: PlanFlags, io: CliIo): Promise<number> {
  const [planId, actionId] = positionals;
  if (!planId || !actionId) throw new UsageError('plan confirm needs the plan\'s execution id and the action id: action-executor plan confirm <executionId> <actionId> [--reject]', { code: 'MISSING_ARGUMENT' });
  const out = cliOutput(io);
  const userId = flags.user ?? userInfo().username;
  const credentials = await loadCredentials(flags, io);
  return withPlans(flags, io, true, async (plans) => {
    if (!flags.json) out.say(`▶ ${flags.reject ? 'rejecting' : 'confirming'} ${actionId} of plan ${planId} as ${userId}`);
    return printState(await plans.confirm(planId, actionId, { confirmed: !flags.reject, userId, credentials }), flags, out);
  });
}

async function planCancel(positionals: string[], flags: PlanFlags, io: CliIo): Promise<number> {
  const [planId] = positionals;
  if (!planId) throw new UsageError('plan cancel needs the plan\'s execution id: action-executor plan cancel <executionId>', { code: 'MISSING_ARGUMENT' });
  return withPlans(flags, io, false, async (plans) => printState(await plans.cancelPlan(planId, 'cancelled from the command line'), flags, cliOutput(io)));
}

/** Reads only, like `show`: no journal is created, and an unknown plan is exit 2. */
async function planShow(positionals: string[], flags: PlanFlags, io: CliIo): Promise<number> {
  const [planId] = positionals;
  if (!planId) throw new UsageError('plan show needs the plan\'s execution id: action-executor plan show <executionId>', { code: 'MISSING_ARGUMENT' });
  const out = cliOutput(io);
  const opened = await openJournalReader(flags, io);
  if ('missing' in opened) {
    const { detail } = opened.missing;
    throw new ActionError({ ...detail, message: `no plan run ${planId}: there is no journal at ${journalPath(flags, io)}, so nothing has been recorded there`, context: { ...detail.context, planId } });
  }
  const { executor, path } = opened.reader;
  try {
    const state = await createPlanExecutor({ executor, definitions: [] }).getPlan(planId);
    if (!state) throw new UsageError(`no plan run ${planId} in ${path}`, { code: 'UNKNOWN_PLAN', context: { planId } });
    const code = printState(state, flags, out);
    if (!flags.json) {
      out.say(['decisions:', ...planTimelineLines(await executor.journal.listTransitions(planKey(planId)))].join('\n'));
      out.say(`each action's own timeline: action-executor show ${planId} <actionId>`);
    }
    return code;
  } finally {
    await opened.reader.close();
  }
}

/** The `plan` command of the command table (src/cli/command-table.ts). */
export const planCommand = defineCommand({
  name: 'plan',
  summary: 'run an execution plan, answer its confirmations, cancel it, show it',
  usage: 'run|confirm|cancel|show …',
  details:
    '  plan run <plan.json|-> [--credentials FILE] [--max-concurrency N] [--dry-run] [--json]\n' +
    '  plan confirm <executionId> <actionId> [--reject] [--user ID] [--json]\n' +
    '  plan cancel <executionId> [--json]\n' +
    '  plan show <executionId> [--json]\n\n' +
    '`plan run` and `plan confirm` drive the plan until it is over or waits for a confirmation (exit 5).\n' +
    'Each action runs as the execution (plan id, action id), so `show <planId> <actionId>` shows it;\n' +
    '`resume --all` also continues unfinished plans and fires confirmation timeouts that fell due.\n' +
    'Credentials come only from --credentials. Exit codes: 0 completed, 1 failed or cancelled, 2 bad\n' +
    'input, 3 internal error, 4 another live process drives the plan, 5 paused for confirmation.',
  flags: PLAN_FLAGS,
  example:
    'action-executor plan run examples/plans/customer-onboarding.json --definitions examples/definitions --credentials creds.json\n' +
    'action-executor plan confirm 0b7e4d2a-5c1f-4e8a-9d3b-2f6a8c4e1d90 create_order --user ops@example.com --credentials creds.json',
  async run(positionals, flags, io) {
    const [subcommand, ...rest] = positionals;
    for (const { flag, subcommand: owner } of FLAG_OWNERS[subcommand ?? ''] ?? []) {
      if (flags[flag] !== undefined && flags[flag] !== false) throw new UsageError(`--${flag} applies to plan ${owner}, not plan ${subcommand}`, { code: 'UNKNOWN_FLAG', context: { flag: `--${flag}` } });
    }
    switch (subcommand) {
      case 'run':
        return planRun(rest, flags, io);
      case 'confirm':
        return planConfirm(rest, flags, io);
      case 'cancel':
        return planCancel(rest, flags, io);
      case 'show':
        return planShow(rest, flags, io);
      default:
        throw new UsageError(`plan needs a subcommand: run, confirm, cancel or show${subcommand === undefined ? '' : ` (not "${subcommand}")`}`, { code: 'MISSING_ARGUMENT' });
    }
  },
});

/** `resume --all`, the plans' part: continues unfinished plans and fires due confirmation timeouts. */
export async function resumePlans(executor: ActionExecutor, flags: ProjectFlags, io: CliIo): Promise<PlanResumeReport> {
  const plans = createPlanExecutor({ executor, definitions: [], credentials: await loadCredentials(flags, io) });
  try {
    return await plans.resumeAll();
  } finally {
    await plans.close();
  }
}
