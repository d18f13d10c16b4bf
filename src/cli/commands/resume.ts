/**
 * `action-executor resume --all | <executionId> <actionId>`: continues executions from their last
 * journaled state (docs/resume.md).
 */
import { systemClock } from '../../support/clock.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { openExecutor } from '../cli-project.ts';
import { describeState } from '../cli-render.ts';
import { parseBusyWait, retryWhileBusy, waitingLine } from '../busy-wait.ts';
import { EXIT } from '../exit-codes.ts';
import { resumePlans } from './plan.ts';
import { planResumeLine } from '../plan-render.ts';

export const resumeCommand = defineCommand({
  name: 'resume',
  summary: 'continue executions from their last journaled state',
  usage: '--all | <executionId> <actionId>',
  details:
    'A process that died holding an execution is detected and its lease taken over at once. Credentials\n' +
    'are not in the journal: pass --credentials when the actions need them. `resume --all` exits 3 when\n' +
    'an execution could not be resumed, 1 when one failed; busy ones (driven by a live process) are counted.',
  flags: [
    ...STATE_FLAGS,
    { name: 'all', type: 'boolean', description: 'resume every unfinished execution, and every unfinished plan (firing confirmation timeouts that fell due)' },
    { ...FLAGS.json, description: 'print the final ActionExecutionState (with --all: the report, plans under "plans") as JSON on stdout' },
    FLAGS.inspect,
    FLAGS.inspectUrl,
    FLAGS.wait,
  ],
  example: 'action-executor resume --all --credentials secrets.json\naction-executor resume 6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21 get_user --wait 60',
  async run(positionals, flags, io) {
    const out = cliOutput(io);
    const wait = parseBusyWait(flags.wait);
    if (flags.all && wait) {
      throw new UsageError('--wait applies to one execution (execute, or resume <executionId> <actionId>); resume --all counts busy executions in its report', {
        code: 'INVALID_FLAG_VALUE',
        context: { flag: '--wait' },
      });
    }
    const [executionId, actionId] = positionals;
    if (!flags.all && (!executionId || !actionId)) throw new UsageError('resume needs --all, or an execution id and an action id', { code: 'MISSING_ARGUMENT' });
    const executor = await openExecutor(flags, io);
    try {
      if (flags.all || !executionId || !actionId) {
        // Plans first: they carry their in-flight actions on themselves; the rest are resumed after.
        const plans = await resumePlans(executor, flags, io);
        const report = await executor.resumeAll();
        if (flags.json) out.json({ ...report, plans });
        else {
          out.say(`resumed ${report.resumed}: ${report.completed} completed, ${report.failed} failed, ${report.skipped} skipped; ${report.busy} held by another process`);
          for (const error of report.errors) out.say(`  ${error.executionId} / ${error.actionId}: ${error.message}`);
          out.say(planResumeLine(plans).join('\n'));
        }
        return report.errors.length + plans.errors.length > 0 ? EXIT.internal : report.failed + plans.failed > 0 ? EXIT.actionFailed : EXIT.ok;
      }
      const state = await retryWhileBusy(() => executor.resume(executionId, actionId), wait, io.clock ?? systemClock, (busy, waiting) => out.warn(waitingLine(busy, waiting)));
      if (flags.json) out.json(state);
      else out.say(describeState(state).join('\n'));
      return state.status === 'failed' ? EXIT.actionFailed : EXIT.ok;
    } finally {
      await executor.close();
    }
  },
});
