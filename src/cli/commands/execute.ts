/**
 * `action-executor execute <request.json|->`: runs one action request, printing each state, attempt
 * and wait, then the result; `--json` prints only the final ActionExecutionState.
 */
import { resolve } from 'node:path';
import type { ActionExecutor } from '../../execution/executor.ts';
import { ActionExecuteRequestSchema } from '../../schemas/job.ts';
import { systemClock } from '../../support/clock.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { readJsonInput, parseWith, UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { loadCredentials, openExecutor } from '../cli-project.ts';
import { describeState, progressLines, waitTicker } from '../cli-render.ts';
import { parseBusyWait, retryWhileBusy, waitingLine } from '../busy-wait.ts';
import { EXIT } from '../exit-codes.ts';

export const executeCommand = defineCommand({
  name: 'execute',
  summary: 'run one action request (spec §3.2 payload)',
  usage: '<request.json|->',
  details:
    'Prints the states walked, each attempt and wait, and the result. Submitting the same request again\n' +
    'returns the recorded execution without sending anything; a changed request under the same ids is\n' +
    'refused (exit 2). `-` reads the request from stdin.',
  flags: [...STATE_FLAGS, { ...FLAGS.json, description: 'print only the final ActionExecutionState (or {"error": …}) on stdout' }, FLAGS.inspect, FLAGS.inspectUrl, FLAGS.wait],
  example: 'action-executor execute request.json --definitions examples/definitions --catalog examples/catalog',
  async run(positionals, flags, io) {
    const source = positionals[0];
    if (!source) throw new UsageError('execute needs a request file (or - for stdin): action-executor execute request.json', { code: 'MISSING_ARGUMENT' });
    const wait = parseBusyWait(flags.wait);
    const out = cliOutput(io);
    const path = source === '-' ? '-' : resolve(io.cwd, source);
    const request = parseWith(ActionExecuteRequestSchema, await readJsonInput(path, io.stdin, source), source);
    const credentials = await loadCredentials(flags, io);
    request.context.credentials = { ...credentials, ...request.context.credentials };
    const human = !flags.json;
    const ticker = waitTicker((line) => out.say(line), () => systemClock.now());
    const executor: ActionExecutor = await openExecutor(
      flags,
      io,
      {
        onTransition: (info) => {
          if (!human) return;
          for (const line of progressLines(info, systemClock.now())) out.say(line);
          ticker.follow(info.to === 'backingOff' ? info.context.nextAttemptAt : null);
        },
      },
      true,
    );
    try {
      if (human) out.say(`▶ ${request.action.id} (${request.action.actionDefinitionId}), execution ${request.executionId}`);
      const state = await retryWhileBusy(() => executor.execute(request), wait, io.clock ?? systemClock, (busy, waiting) => out.warn(waitingLine(busy, waiting)));
      if (human) out.say(describeState(state).join('\n'));
      else out.json(state);
      return state.status === 'failed' ? EXIT.actionFailed : EXIT.ok;
    } finally {
      ticker.follow(null);
      await executor.close();
    }
  },
});
