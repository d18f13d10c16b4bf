/**
 * `action-executor show <executionId> [<actionId>]`: the journal timeline of an execution — every
 * transition with its event and wait reason, every attempt — then its result. Reads the journal
 * read-only: an unknown execution, or no journal at all, is exit 2 and nothing is created.
 */
import { ActionError } from '../../failure/errors.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { describeState, timelineLines } from '../cli-render.ts';
import { journalPath } from '../cli-project.ts';
import { openJournalReader } from '../journal-reader.ts';
import { hasUrlScheme } from '../../../storage/open-journal.ts';
import { EXIT } from '../exit-codes.ts';

export const showCommand = defineCommand({
  name: 'show',
  summary: 'the journal timeline of an execution',
  usage: '<executionId> [<actionId>]',
  details:
    'Without an action id, shows every action of the execution. Of the project options it reads only --db,\n' +
    'and it never creates a journal: an unknown execution, or no journal at all, is exit 2.',
  flags: [...STATE_FLAGS, { ...FLAGS.json, description: 'print the recorded ActionExecutionStates as a JSON array on stdout' }],
  example: 'action-executor show 6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21 --db .action-executor/journal.db',
  async run(positionals, flags, io) {
    const [executionId, actionId] = positionals;
    if (!executionId) throw new UsageError('show needs an execution id (and optionally an action id)', { code: 'MISSING_ARGUMENT' });
    const out = cliOutput(io);
    const opened = await openJournalReader(flags, io);
    const shown = `${executionId}${actionId ? ` / ${actionId}` : ''}`;
    if ('missing' in opened) {
      const { detail } = opened.missing;
      throw new ActionError({ ...detail, message: `no execution ${shown}: there is no journal at ${journalPath(flags, io)}, so nothing has been recorded there`, context: { ...detail.context, executionId, ...(actionId ? { actionId } : {}) } });
    }
    const { executor, path } = opened.reader;
    try {
      const { executions } = await executor.list({ search: executionId, limit: 1000 });
      const keys = executions.filter((e) => e.executionId === executionId && (!actionId || e.actionId === actionId)).reverse();
      if (keys.length === 0) {
        // A database URL is named by the journal's own (password-redacted) location, never as typed.
        throw new UsageError(`no execution ${shown} in ${flags.db !== undefined && !hasUrlScheme(flags.db) ? flags.db : path}`, { code: 'UNKNOWN_EXECUTION', context: { executionId, ...(actionId ? { actionId } : {}) } });
      }
      if (flags.json) {
        out.json(await Promise.all(keys.map((k) => executor.get(k.executionId, k.actionId))));
        return EXIT.ok;
      }
      for (const key of keys) {
        const timeline = await executor.timeline(key.executionId, key.actionId);
        if (!timeline) continue;
        out.say(timelineLines(timeline).join('\n'));
        out.say(describeState(timeline.state).join('\n'));
      }
      return EXIT.ok;
    } finally {
      await opened.reader.close();
    }
  },
});
