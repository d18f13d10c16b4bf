/**
 * `action-executor list`: recorded executions, newest first, under a header row, filtered by
 * `--status`, at most `--limit`, with a last line saying how many more match (issue 13 item 5: the
 * old list showed the 200 oldest and said nothing of the rest). Reads the journal read-only; with no
 * journal there is nothing recorded (exit 0) and nothing is created.
 */
import type { ExecutionSummary } from '../../execution/executor-api.ts';
import type { ExecutionStatus } from '../../../storage/journal.ts';
import { findSimilarNames } from '../../support/similar-names.ts';
import { escapeForTerminal as t } from '../../support/terminal-text.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { journalPath } from '../cli-project.ts';
import { openJournalReader } from '../journal-reader.ts';
import { EXIT } from '../exit-codes.ts';

/** How many rows `list` shows unless `--limit` says otherwise. */
export const LIST_DEFAULT_LIMIT = 50;

const STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'completed', 'failed', 'skipped'];

function parseStatuses(raw: string | undefined): ExecutionStatus[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const status = part.trim();
    if ((STATUSES as readonly string[]).includes(status)) return status as ExecutionStatus;
    const similar = findSimilarNames(status, STATUSES);
    throw new UsageError(
      `--status: unknown status ${JSON.stringify(status)}${similar.length > 0 ? `; did you mean ${similar.map((s) => JSON.stringify(s)).join(' or ')}?` : ''} (statuses: ${STATUSES.join(', ')})`,
      { code: 'INVALID_FLAG_VALUE', context: { flag: '--status', value: status } },
    );
  });
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return LIST_DEFAULT_LIMIT;
  if (!/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`--limit must be a positive whole number, not ${JSON.stringify(raw)}`, { code: 'INVALID_FLAG_VALUE', context: { flag: '--limit', value: raw } });
  }
  return Number(raw);
}

/** Column widths: a UUID, then room for typical action ids and state names (longer ones push right). */
const COLUMNS = { executionId: 36, actionId: 20, status: 9, state: 11, attempts: 8 } as const;

function row(cells: { executionId: string; actionId: string; status: string; state: string; attempts: string; updatedAt: string }): string {
  return [
    cells.executionId.padEnd(COLUMNS.executionId),
    cells.actionId.padEnd(COLUMNS.actionId),
    cells.status.padEnd(COLUMNS.status),
    cells.state.padEnd(COLUMNS.state),
    cells.attempts.padStart(COLUMNS.attempts),
    cells.updatedAt,
  ].join('  ');
}

const HEADER = row({ executionId: 'EXECUTION', actionId: 'ACTION', status: 'STATUS', state: 'STATE', attempts: 'ATTEMPTS', updatedAt: 'UPDATED' });

const rowOf = (r: ExecutionSummary): string =>
  row({ executionId: t(r.executionId), actionId: t(r.actionId), status: r.status, state: t(r.state), attempts: String(r.attempts), updatedAt: r.updatedAt });

export const listCommand = defineCommand({
  name: 'list',
  summary: 'recorded executions, newest first',
  usage: '',
  details: `Shows the ${LIST_DEFAULT_LIMIT} newest unless --limit, and says how many more match. Of the project options it reads\nonly --db, and it never creates a journal: with none there, nothing has been recorded (exit 0).`,
  flags: [
    ...STATE_FLAGS,
    { name: 'status', type: 'string', value: '<status>[,<status>]', description: `only executions with these statuses (${STATUSES.join(', ')})` },
    { name: 'limit', type: 'string', value: '<n>', description: 'show at most n executions', default: String(LIST_DEFAULT_LIMIT) },
    { ...FLAGS.json, description: 'print the rows as a JSON array on stdout (the note on what was left out goes to stderr)' },
  ],
  example: 'action-executor list --status failed,running --limit 20',
  async run(_positionals, flags, io) {
    const statuses = parseStatuses(flags.status);
    const limit = parseLimit(flags.limit);
    const out = cliOutput(io);
    const opened = await openJournalReader(flags, io);
    if ('missing' in opened) {
      if (flags.json) out.json([]);
      else out.say(`no journal at ${journalPath(flags, io)}: nothing has been recorded there`);
      return EXIT.ok;
    }
    try {
      const { executions, total } = await opened.reader.executor.list({ ...(statuses ? { status: statuses } : {}), limit });
      const more = total - executions.length;
      const note = more > 0 ? `… ${more} more; use --limit or --status` : undefined;
      if (flags.json) {
        out.json(executions.map(({ executionId, actionId, status, state, attempts, updatedAt }) => ({ executionId, actionId, status, state, attempts, updatedAt })));
        if (note) out.warn(`note: ${note}`);
        return EXIT.ok;
      }
      if (executions.length === 0) {
        out.say(statuses ? `no executions with status ${statuses.join(' or ')}` : 'no executions recorded');
        return EXIT.ok;
      }
      out.say([HEADER, ...executions.map(rowOf), ...(note ? [note] : [])].join('\n'));
      return EXIT.ok;
    } finally {
      await opened.reader.close();
    }
  },
});
