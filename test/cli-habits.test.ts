/**
 * Issue 12 "CLI habits" and issue 13 item 5: the things people expect of a command line — help per
 * command, `--version`, a one-line answer to a mistyped flag, readable logs on stderr only, a JSON
 * report from `validate`, a `list` that shows the newest executions first and says what it left out,
 * `list`/`show` that never create a journal, colour only on a terminal that wants it, and one JSON
 * document on stdout for every `--json` run, errors included.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT } from '../src/cli/cli.ts';
import { COMMANDS } from '../src/cli/command-table.ts';
import { parseCommandLine } from '../src/cli/command-line.ts';
import { topLevelHelp } from '../src/cli/cli-help.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { ActionExecuteRequestSchema } from '../src/schemas/job.ts';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { requestHash, toStoredRequest } from '../src/execution/request-identity.ts';
import { MACHINE_VERSION } from '../machines/action-execution.ts';
import type { ExecutionStatus } from '../storage/journal.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';

const user = { id: 'u_1', name: 'Ada' };
const ESC = '\u001b';

let api: ScriptedApi;
let cli: CliSandbox;
beforeEach(async () => {
  api = await startScriptedApi();
  cli = createCliSandbox([definition(api.url)]);
  cli.write('request.json', executeRequest('get_user', 'get-user', { userId: 'u_1' }));
});
afterEach(async () => {
  cli.cleanup();
  await api.close();
});

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
/** `--json` runs must leave exactly one JSON document on stdout. */
const oneJsonDocument = (stdout: string): unknown => JSON.parse(stdout) as unknown;
/** Like cli.flags() but logging at the default level (warn), as a user runs it. */
const stateFlags = (): string[] => ['--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s'];

describe('--help per command, help <command>, --version (issue 12)', () => {
  it('execute --help and help execute print the same page: usage, every flag execute takes, an example; exit 0', async () => {
    const viaFlag = await cli.run(['execute', '--help']);
    const viaHelp = await cli.run(['help', 'execute']);
    expect(viaFlag.code).toBe(EXIT.ok);
    expect(viaHelp.code).toBe(EXIT.ok);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    const execute = COMMANDS.find((c) => c.name === 'execute')!;
    expect(viaFlag.stdout).toContain(`Usage: action-executor execute ${execute.usage}`);
    for (const flag of execute.flags) expect(viaFlag.stdout).toContain(`--${flag.name}`);
    expect(viaFlag.stdout).toContain('--wait');
    // Flags of other commands are not offered.
    expect(viaFlag.stdout).not.toContain('--port');
    expect(viaFlag.stdout).not.toContain('--status');
    expect(viaFlag.stdout).toMatch(/Example:\n {2}action-executor execute /);
  });

  it('every command in the table has a help page naming its own flags and an example that runs that command', async () => {
    for (const command of COMMANDS) {
      const page = await cli.run([command.name, '--help']);
      expect(page.code, command.name).toBe(EXIT.ok);
      for (const flag of command.flags) expect(page.stdout, `${command.name} --${flag.name}`).toContain(`--${flag.name}`);
      expect(page.stdout, command.name).toContain(`  action-executor ${command.name}`);
    }
  });

  it('the top-level help lists every command with its one-line summary', async () => {
    const help = await cli.run(['--help']);
    expect(help.code).toBe(EXIT.ok);
    for (const command of COMMANDS) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${command.name}\\b.*(\\n\\s+)?${command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    }
  });

  it('--version prints the version in package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    const result = await cli.run(['--version']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toBe(`action-executor ${version}\n`);
  });

  it('help for a command that does not exist is one line with the nearest command, exit 2', async () => {
    const result = await cli.run(['help', 'exectue']);
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: unknown command "exectue"; did you mean "execute"? (action-executor --help lists the commands)']);
  });
});

/** The arguments of a shell line: up to a comment, a redirection or a pipe. */
const argsOf = (line: string): string[] => line.replace(/\s#.*$/, '').split(/\s+/).filter(Boolean).filter((_, i, all) => !all.slice(0, i + 1).some((a) => /^(>|2>|\||2>&1|&&)/.test(a)));

describe('the command lines people copy are accepted (flags are per command now)', () => {
  it("every command's example parses as that command with its own flags", () => {
    for (const command of COMMANDS) {
      for (const line of command.example.split('\n')) {
        const parsed = parseCommandLine(argsOf(line).slice(1), COMMANDS);
        expect(parsed.kind === 'run' && parsed.command.name, line).toBe(command.name);
      }
    }
  });

  it('every `$ npx action-executor …` line in README.md and docs/*.md parses, or is refused with the very error the doc shows', () => {
    const root = resolve(import.meta.dirname, '..');
    const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const shown = files.flatMap((file) =>
      // The command line, and the output the doc shows for it (up to a blank line or the block's end).
      [...readFileSync(join(root, file), 'utf8').matchAll(/^\$ npx action-executor (.*)\n((?:(?!\$ |```).*\n)*)/gm)].map((m) => ({ file, line: m[1]!, output: m[2] ?? '' })),
    );
    expect(shown.length).toBeGreaterThan(10);
    let refused = 0;
    for (const { file, line, output } of shown) {
      let message: string | undefined;
      try {
        parseCommandLine(argsOf(line), COMMANDS);
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      if (message === undefined) continue;
      refused += 1;
      expect(output, `${file}: ${line}`).toContain(message);
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('docs/cli.md shows the top-level help as the CLI prints it today', () => {
    expect(readFileSync(resolve(import.meta.dirname, '../docs/cli.md'), 'utf8')).toContain(topLevelHelp(COMMANDS));
  });
});

describe('a bad flag is one line naming it and the nearest valid one, exit 2 (issue 12)', () => {
  it('a misspelt flag names the flag, the command and the nearest flag of that command', async () => {
    const result = await cli.run(['execute', 'request.json', '--defintions', 'defs']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual(['error: unknown flag --defintions for execute; did you mean --definitions?']);
    expect(api.hits).toEqual([]);
  });

  it('a flag of another command is refused for this one, saying which command takes it', async () => {
    const result = await cli.run(['list', '--all', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: unknown flag --all for list (it is a flag of resume, replay); see action-executor help list']);
  });

  it('an unknown command is one line with the nearest command', async () => {
    const result = await cli.run(['lsit']);
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: unknown command "lsit"; did you mean "list"? (action-executor --help lists the commands)']);
  });

  it('a flag missing its value, and a value that is not what the flag takes, are one line each naming the flag', async () => {
    const missing = await cli.run(['list', ...cli.flags(), '--limit']);
    expect(missing.code).toBe(EXIT.usage);
    expect(lines(missing.stderr)).toEqual(['error: --limit needs a value (--limit <n>)']);
    const notNumber = await cli.run(['list', '--limit', 'ten', ...cli.flags()]);
    expect(notNumber.code).toBe(EXIT.usage);
    expect(lines(notNumber.stderr)).toEqual(['error: --limit must be a positive whole number, not "ten"']);
    const boolWithValue = await cli.run(['list', '--json=yes', ...cli.flags()]);
    expect(boolWithValue.code).toBe(EXIT.usage);
    expect(lines(boolWithValue.stderr)).toEqual(['error: --json takes no value (remove "=yes")']);
  });

  it('under --json the same mistake is one JSON error object on stdout, a valid ErrorDetail', async () => {
    const result = await cli.run(['execute', 'request.json', '--json', '--defintions', 'defs']);
    expect(result.code).toBe(EXIT.usage);
    const document = oneJsonDocument(result.stdout) as { error: unknown };
    expect(Object.keys(document)).toEqual(['error']);
    expect(ErrorDetailSchema.parse(document.error)).toMatchObject({
      category: 'validation_failed',
      code: 'UNKNOWN_FLAG',
      message: 'unknown flag --defintions for execute; did you mean --definitions?',
      context: { flag: '--defintions', command: 'execute', suggestion: '--definitions' },
    });
  });
});

/** A lease left behind by a journal owner that is gone (as after a crash): the next run takes it over. */
async function leaveOrphanedLease(dbPath: string): Promise<void> {
  mkdirSync(join(dbPath, '..'), { recursive: true });
  const journal = openSqliteJournal(dbPath, { ownerId: 'crashed-owner' });
  const request = ActionExecuteRequestSchema.parse(executeRequest('get_user', 'get-user', { userId: 'u_1' }));
  const create = { type: 'create' as const, definitionId: 'get-user', requestHash: requestHash(request), request: toStoredRequest(request), definition: definition(api.url), machineVersion: MACHINE_VERSION, stateValue: 'created', snapshot: null, leaseTtlMs: 60_000 };
  await journal.commit({ executionId: EXEC_ID, actionId: 'get_user' }, [create], null, Date.now());
  await journal.close();
}

describe('logs: readable lines on stderr, at warn unless --log-level; never raw JSON (issue 12)', () => {
  it('the lease-takeover warning after a crash is one readable line on stderr; stdout has no log lines', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    await leaveOrphanedLease(join(cli.dir, 'state/j.db'));
    const result = await cli.run(['execute', 'request.json', ...stateFlags()]);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^warning: took over the lease of execution ${EXEC_ID} / get_user from pid \\d+ on .+: its process is gone`))]);
    expect(result.stdout).not.toContain('took over');
    for (const line of [...lines(result.stdout), ...lines(result.stderr)]) expect(line).not.toMatch(/^\s*\{/);
  });

  it('--log-level info prints the run log as one readable line per entry on stderr, and --json stdout stays one document', async () => {
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    const result = await cli.run(['execute', 'request.json', '--json', ...stateFlags(), '--log-level', 'info']);
    expect(result.code).toBe(EXIT.ok);
    expect(oneJsonDocument(result.stdout)).toMatchObject({ status: 'completed' });
    const logged = lines(result.stderr);
    expect(logged.some((line) => /^info: retrying: .*503/.test(line))).toBe(true);
    expect(logged.some((line) => /^info: finished: completed/.test(line))).toBe(true);
    for (const line of logged) expect(line).toMatch(/^(info|warning): [^{]/);
  });

  it('an unknown --log-level is bad input naming the levels', async () => {
    const result = await cli.run(['list', ...stateFlags(), '--log-level', 'loud']);
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: --log-level must be one of trace, debug, info, warn, error, fatal, silent; not "loud"']);
  });
});

describe('validate --json (issue 12)', () => {
  it('reports the definitions, catalog entries and the request verdict as one JSON document, exit 0 when all is valid', async () => {
    mkdirSync(join(cli.dir, 'catalog'));
    cli.write('catalog/github.json', readFileSync(resolve(import.meta.dirname, '../examples/catalog/github.json'), 'utf8'));
    const result = await cli.run(['validate', 'request.json', '--json', '--catalog', 'catalog', ...cli.flags()]);
    expect(result.code, result.stdout + result.stderr).toBe(EXIT.ok);
    expect(oneJsonDocument(result.stdout)).toEqual({
      valid: true,
      definitions: { dir: join(cli.dir, 'defs'), valid: ['get-user'] },
      catalog: { dir: join(cli.dir, 'catalog'), valid: ['github'] },
      problems: [],
      request: { file: 'request.json', valid: true, actionDefinitionId: 'get-user', problems: [] },
    });
  });

  it('lists every problem with its file, JSON path and message, and the request verdict with its own problems; exit 2', async () => {
    cli.write('defs/broken.json', { ...definition(api.url), id: 'broken', retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 0 } });
    cli.write('bad-request.json', { ...executeRequest('get_user', 'nope', { userId: 'u_1' }), executionId: 'not-a-uuid' });
    const result = await cli.run(['validate', 'bad-request.json', '--json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    const report = oneJsonDocument(result.stdout) as { valid: boolean; problems: unknown[]; request: { valid: boolean; problems: { path: string }[] } };
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual([{ file: join(cli.dir, 'defs', 'broken.json'), path: '$.retryPolicy.maxAttempts', message: expect.stringContaining('>=1') }]);
    expect(report.request).toMatchObject({ file: 'bad-request.json', valid: false });
    expect(report.request.problems.map((p) => p.path)).toEqual(['$.executionId']);
    expect(result.stderr).toBe('');
  });

  it('a request naming an unknown definition, or that is not JSON, is a verdict, not a crash', async () => {
    cli.write('unknown.json', executeRequest('get_user', 'get-usr', { userId: 'u_1' }));
    cli.write('broken.json', '{\n  "executionId": "x",\n  oops\n}');
    const unknown = oneJsonDocument((await cli.run(['validate', 'unknown.json', '--json', ...cli.flags()])).stdout) as { request: unknown };
    expect(unknown.request).toEqual({ file: 'unknown.json', valid: false, problems: [{ file: 'unknown.json', path: '$.action.actionDefinitionId', message: 'no definition "get-usr" (known: get-user)' }] });
    const broken = await cli.run(['validate', 'broken.json', '--json', ...cli.flags()]);
    expect(broken.code).toBe(EXIT.usage);
    expect((oneJsonDocument(broken.stdout) as { request: unknown }).request).toEqual({ file: 'broken.json', valid: false, problems: [{ file: 'broken.json', path: '$', message: expect.stringMatching(/^3:\d+: not valid JSON/) }] });
  });
});

/** Rows written straight through the journal, one per second: `list` is about reading them. */
async function seed(dbPath: string, rows: readonly { id: number; status: ExecutionStatus }[]): Promise<string[]> {
  mkdirSync(join(dbPath, '..'), { recursive: true });
  const journal = openSqliteJournal(dbPath);
  const ids: string[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (const row of rows) {
    const executionId = `00000000-0000-4000-8000-${String(row.id).padStart(12, '0')}`;
    ids.push(executionId);
    const at = start + row.id * 1000;
    await journal.commit(
      { executionId, actionId: 'get_user' },
      [
        { type: 'create', definitionId: 'get-user', requestHash: `h${row.id}`, request: {}, definition: null, machineVersion: MACHINE_VERSION, stateValue: 'created', snapshot: null },
        { type: 'transition', from: 'created', to: row.status, event: 'seed', at, snapshot: null, stateValue: row.status, status: row.status, attemptCount: 1, wakeAt: null },
      ],
      null,
      at,
    );
  }
  await journal.close();
  return ids;
}

const STATUSES: ExecutionStatus[] = ['completed', 'failed', 'skipped', 'running'];
const dataRows = (stdout: string): string[] => lines(stdout).filter((line) => /^[0-9a-f]{8}-/.test(line));

describe('list: newest first, a header, --status, --limit, and what it left out (issue 13 item 5)', () => {
  it('shows the 50 newest by default under a header row, then how many more exist', async () => {
    const ids = await seed(join(cli.dir, 'state/j.db'), Array.from({ length: 57 }, (_, i) => ({ id: i + 1, status: STATUSES[i % 4]! })));
    const result = await cli.run(['list', ...cli.flags()]);
    expect(result.code).toBe(EXIT.ok);
    const output = lines(result.stdout);
    expect(output[0]).toMatch(/^EXECUTION +ACTION +STATUS +STATE +ATTEMPTS +UPDATED$/);
    const shown = dataRows(result.stdout).map((line) => line.split(/\s+/)[0]);
    expect(shown).toEqual([...ids].reverse().slice(0, 50));
    expect(output.at(-1)).toBe('… 7 more; use --limit or --status');
  });

  it('--status with several statuses and --limit narrow it, and the note counts only what matches', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, status: STATUSES[i % 4]! }));
    const ids = await seed(join(cli.dir, 'state/j.db'), rows);
    const result = await cli.run(['list', '--status', 'failed,skipped', '--limit', '4', ...cli.flags()]);
    expect(result.code).toBe(EXIT.ok);
    const expected = rows.filter((r) => r.status === 'failed' || r.status === 'skipped').map((r) => ids[r.id - 1]).reverse();
    expect(dataRows(result.stdout).map((line) => line.split(/\s+/)[0])).toEqual(expected.slice(0, 4));
    for (const line of dataRows(result.stdout)) expect(line).toMatch(/ (failed|skipped) /);
    expect(lines(result.stdout).at(-1)).toBe(`… ${expected.length - 4} more; use --limit or --status`);
  });

  it('list --json is the same array of rows as before, newest first and limited; the note goes to stderr', async () => {
    const ids = await seed(join(cli.dir, 'state/j.db'), [1, 2, 3].map((id) => ({ id, status: 'completed' as const })));
    const result = await cli.run(['list', '--json', '--limit', '2', ...cli.flags()]);
    expect(result.code).toBe(EXIT.ok);
    const rows = oneJsonDocument(result.stdout) as { executionId: string }[];
    expect(rows.map((r) => r.executionId)).toEqual([ids[2], ids[1]]);
    expect(Object.keys(rows[0]!).sort()).toEqual(['actionId', 'attempts', 'executionId', 'state', 'status', 'updatedAt']);
    expect(lines(result.stderr)).toEqual(['note: … 1 more; use --limit or --status']);
  });

  it('an unknown --status is bad input naming the statuses and the nearest one', async () => {
    const result = await cli.run(['list', '--status', 'complete', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: --status: unknown status "complete"; did you mean "completed"? (statuses: pending, running, completed, failed, skipped)']);
  });
});

describe('list and show never create a journal (issue 12)', () => {
  it('list with no journal says so and exits 0 (nothing recorded), list --json prints []; no file or directory appears', async () => {
    const human = await cli.run(['list', ...cli.flags()]);
    expect(human.code).toBe(EXIT.ok);
    expect(lines(human.stdout)).toEqual([`no journal at ${join(cli.dir, 'state/j.db')}: nothing has been recorded there`]);
    const json = await cli.run(['list', '--json', ...cli.flags()]);
    expect(json.code).toBe(EXIT.ok);
    expect(oneJsonDocument(json.stdout)).toEqual([]);
    expect(existsSync(join(cli.dir, 'state'))).toBe(false);
  });

  it('show with no journal is exit 2 saying there is no journal (the execution is unknown); --json gives the error object', async () => {
    const human = await cli.run(['show', EXEC_ID, ...cli.flags()]);
    expect(human.code).toBe(EXIT.usage);
    expect(human.stderr).toContain(`error: no execution ${EXEC_ID}: there is no journal at ${join(cli.dir, 'state/j.db')}, so nothing has been recorded there`);
    const json = await cli.run(['show', EXEC_ID, '--json', ...cli.flags()]);
    expect(json.code).toBe(EXIT.usage);
    expect(ErrorDetailSchema.parse((oneJsonDocument(json.stdout) as { error: unknown }).error)).toMatchObject({ code: 'JOURNAL_NOT_FOUND' });
    expect(existsSync(join(cli.dir, 'state'))).toBe(false);
  });
});

describe('NO_COLOR and non-TTY output (issue 12)', () => {
  const hostile = `get${ESC}[31muser`;
  beforeEach(() => {
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    cli.write('request.json', executeRequest(hostile, 'get-user', { userId: 'u_1' }));
  });

  it('on a terminal the ✓ line is green, and ids inside it stay escaped', async () => {
    const result = await cli.run(['execute', 'request.json', ...cli.flags()], '', { tty: true, env: {} });
    const status = lines(result.stdout).find((line) => line.includes('✓'));
    expect(status?.startsWith(`${ESC}[32m✓ get\\x1b[31muser: completed in `)).toBe(true);
    expect(status?.endsWith(` ms after 1 attempt${ESC}[39m`)).toBe(true);
    // The only escapes printed are the colour's own.
    expect(result.stdout.replaceAll(`${ESC}[32m`, '').replaceAll(`${ESC}[39m`, '')).not.toContain(ESC);
  });

  it('no colour when NO_COLOR is set, nor when stdout is not a terminal', async () => {
    const noColor = await cli.run(['execute', 'request.json', ...cli.flags()], '', { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).toContain('✓ get\\x1b[31muser: completed');
    expect(noColor.stdout).not.toContain(ESC);
    const piped = await cli.run(['show', EXEC_ID, ...cli.flags()], '', { env: {} });
    expect(piped.stdout).toContain('✓ get\\x1b[31muser: completed');
    expect(piped.stdout).not.toContain(ESC);
  });
});

describe('every error under --json is one JSON document on stdout: { "error": ErrorDetail }', () => {
  it('bad input (a missing request file) is exit 2 with the error object', async () => {
    const result = await cli.run(['execute', 'nope.json', '--json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    const { error } = oneJsonDocument(result.stdout) as { error: unknown };
    expect(ErrorDetailSchema.parse(error)).toMatchObject({ category: 'validation_failed', code: 'BAD_INPUT', message: 'nope.json: cannot read the file (no such file)' });
    // The person watching still gets the one-line message on stderr.
    expect(lines(result.stderr)).toEqual(['error: nope.json: cannot read the file (no such file)']);
  });

  it('an internal error (a journal path that is a directory) is exit 3 with the error object', async () => {
    mkdirSync(join(cli.dir, 'adir'));
    const result = await cli.run(['execute', 'request.json', '--json', '--definitions', 'defs', '--db', 'adir', '--storage', 'state/s', '--log-level', 'silent']);
    expect(result.code).toBe(EXIT.internal);
    const { error } = oneJsonDocument(result.stdout) as { error: unknown };
    expect(ErrorDetailSchema.parse(error)).toMatchObject({ category: 'state_inconsistent', code: 'JOURNAL_OPEN_FAILED' });
  });
});
