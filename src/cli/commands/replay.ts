/**
 * `action-executor replay <executionId> [<actionId>] | --all`: re-drives journaled executions offline
 * from their recorded outcomes, clock readings and random draws — no request is sent, the journal is
 * opened read-only and nothing is stored — and reports whether each reaches the same decisions and
 * final state. With `--definitions` or `--catalog` it is a what-if. `--emit-test FILE` writes a
 * vitest file asserting the recorded transitions. Exit 0 same, 1 diverged, 2 bad input.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { CliIo } from '../cli.ts';
import { readJsonInput, parseWith, UsageError } from '../cli-input.ts';
import { isActionError } from '../../failure/errors.ts';
import { loadDefinitionsFromDir, type DefinitionRegistry } from '../../definitions/definition-registry.ts';
import { loadCatalogFromDir } from '../../catalog/catalog-registry.ts';
import { formatProblem, type LoadProblem } from '../../definitions/load-problem.ts';
import { openSqliteJournal } from '../../../storage/sqlite/sqlite-journal.ts';
import type { Journal } from '../../../storage/journal.ts';
import type { ApiCatalog } from '../../schemas/catalog.ts';
import { createRedactor } from '../../redaction/redaction.ts';
import { terminalLines } from '../../support/terminal-text.ts';
import { recordingsOf } from '../../replay/replay-journal.ts';
import { runReplay } from '../../replay/replay-recording.ts';
import { ReplayInputError } from '../../replay/replay-input-error.ts';
import { recordedDefinition } from '../../replay/replay-world.ts';
import { emitReplayTest, type EmittedReplay } from '../../replay/emit-replay-test.ts';
import { replayLines, replaySummary } from '../../replay/replay-render.ts';
import type { ReplayReport } from '../../replay/replay-report.ts';
import type { Recording } from '../../replay/recording.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS } from '../cli-flags.ts';

/** The flags `replay` reads (a subset of the CLI's). */
export interface ReplayFlags {
  db?: string | undefined;
  definitions?: string | undefined;
  catalog?: string | undefined;
  credentials?: string | undefined;
  json?: boolean | undefined;
  all?: boolean | undefined;
  'emit-test'?: string | undefined;
}

const EXIT = { same: 0, diverged: 1 } as const;


const say = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(`${terminalLines(text).join('\n')}\n`);
};

function openJournal(path: string, shownAs: string): Journal {
  if (/^postgres(ql)?:\/\//i.test(shownAs)) throw new UsageError('replay reads SQLite journals (--db <file>); a Postgres journal can be replayed through the library (recordingsOf / runReplay in src/replay/)');
  try {
    return openSqliteJournal(path, { readOnly: true });
  } catch (error) {
    if (isActionError(error)) throw new UsageError(`${shownAs}: ${error.detail.message} Pass --db <file> to name the journal to replay.`);
    throw error;
  }
}

function loadDefinitions(dir: string, shownAs: string): { registry: DefinitionRegistry; problems: LoadProblem[] } {
  if (!existsSync(dir)) throw new UsageError(`definitions directory ${shownAs} does not exist: --definitions names a directory of action definition *.json files`);
  return loadDefinitionsFromDir(dir);
}

function loadCatalog(flags: ReplayFlags, io: CliIo): { catalog: ApiCatalog | undefined; problems: LoadProblem[] } {
  const dir = resolve(io.cwd, flags.catalog ?? 'catalog');
  if (!existsSync(dir)) {
    if (flags.catalog !== undefined) throw new UsageError(`catalog directory ${flags.catalog} does not exist`);
    return { catalog: undefined, problems: [] };
  }
  return loadCatalogFromDir(dir);
}

function whatIfOf(flags: ReplayFlags): string | undefined {
  if (flags.definitions !== undefined && flags.catalog !== undefined) return 'with this definition and catalog';
  if (flags.definitions !== undefined) return 'with this definition';
  if (flags.catalog !== undefined) return 'with this catalog';
  return undefined;
}

/**
 * Runs `replay`; returns the exit code (0 same, 1 diverged). Bad input throws UsageError, which the
 * CLI prints as one line and exits 2.
 */
export async function commandReplay(positionals: string[], flags: ReplayFlags, io: CliIo): Promise<number> {
  const [executionId, actionId] = positionals;
  if (!executionId && !flags.all) throw new UsageError('replay needs an execution id (and optionally an action id), or --all: action-executor replay <executionId> [<actionId>]');
  if (executionId && flags.all) throw new UsageError('replay takes an execution id or --all, not both');
  const definitions = flags.definitions === undefined ? undefined : loadDefinitions(resolve(io.cwd, flags.definitions), flags.definitions);
  const catalog = loadCatalog(flags, io);
  for (const problem of [...(definitions?.problems ?? []), ...catalog.problems]) say(io.stderr, `warning: ${formatProblem(problem)} (skipped)`);
  const credentials = flags.credentials
    ? parseWith(z.record(z.string(), z.string()), await readJsonInput(resolve(io.cwd, flags.credentials), io.stdin, flags.credentials, { maxBytes: 1024 * 1024, what: 'credential files' }), flags.credentials)
    : undefined;
  const redactor = createRedactor(Object.values(credentials ?? {}));
  const dbShown = flags.db ?? '.action-executor/journal.db';
  const journal = openJournal(resolve(io.cwd, dbShown), dbShown);
  const whatIf = whatIfOf(flags);
  const reports: ReplayReport[] = [];
  const emitted: EmittedReplay[] = [];
  try {
    for await (const recording of recordingsOf(journal, { executionId, actionId })) {
      const definition = definitionFor(recording, definitions?.registry, flags.definitions);
      try {
        const { report, catalogEntry } = await runReplay(recording, { definition, catalog: catalog.catalog, credentials, whatIf });
        reports.push(report);
        if (flags['emit-test']) emitted.push({ recording, definition: definition ?? recordedDefinition(recording), catalogEntry, report });
        if (!flags.json) say(io.stdout, replayLines(report, { steps: executionId !== undefined || report.outcome === 'diverged' }).join('\n'));
      } catch (error) {
        if (error instanceof ReplayInputError) throw new UsageError(error.message);
        throw error;
      }
    }
  } finally {
    await journal.close();
  }
  if (reports.length === 0) {
    if (executionId) throw new UsageError(`no execution ${executionId}${actionId ? ` / ${actionId}` : ''} in ${dbShown}`);
    if (!flags.json) say(io.stdout, `no executions recorded in ${dbShown}`);
  }
  const diverged = reports.filter((r) => r.outcome === 'diverged').length;
  if (flags['emit-test'] && emitted.length > 0) {
    const file = resolve(io.cwd, flags['emit-test']);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, redactor.text(emitTest(emitted, file)));
    const note = diverged > 0 ? ' — it fails as it stands: the replay diverged from the journal' : '';
    say(flags.json ? io.stderr : io.stdout, `wrote a vitest test replaying ${emitted.length} execution(s) to ${flags['emit-test']}${note}`);
  }
  if (flags.json) {
    const document = { outcome: diverged > 0 ? 'diverged' : 'same', replayed: reports.length, same: reports.length - diverged, diverged, reports };
    io.stdout.write(`${JSON.stringify(redactor.json(document), null, 2)}\n`);
  } else if (reports.length > 1 || flags.all) {
    say(io.stdout, replaySummary(reports));
  }
  return diverged > 0 ? EXIT.diverged : EXIT.same;
}

function emitTest(items: EmittedReplay[], file: string): string {
  return emitReplayTest(items, file, new Date());
}

/** The what-if definition from --definitions, or undefined for the journaled one. */
function definitionFor(recording: Recording, registry: DefinitionRegistry | undefined, dir: string | undefined) {
  if (!registry) return undefined;
  const found = registry.get(recording.definitionId);
  if (found) return found;
  const known = registry.list().map((d) => d.id).join(', ') || 'none';
  throw new UsageError(`${recording.executionId} / ${recording.actionId} ran definition "${recording.definitionId}", which ${dir ?? 'the definitions directory'} does not hold (it has: ${known})`);
}

/** The `replay` entry of the command table. */
export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'replay executions offline: same decisions? (what-if: --definitions, --catalog)',
  usage: '<executionId> [<actionId>] | --all [options]',
  flags: [
    { ...FLAGS.db, description: 'SQLite journal (opened read-only)' },
    { ...FLAGS.definitions, description: 'what-if: replay with these definitions instead of the journaled ones', default: 'the journaled definitions' },
    { ...FLAGS.catalog, description: 'the catalog to classify with (not journaled)' },
    { ...FLAGS.credentials, description: 'credential values (never needed; redacted from all output)' },
    { name: 'all', type: 'boolean', description: 'replay every execution in the journal' },
    { ...FLAGS.json, description: 'print one JSON document: the verdict and each replay report' },
    { name: 'emit-test', type: 'string', value: '<file>', description: 'write a vitest test asserting the journaled transitions' },
  ],
  details: 'Re-drives journaled executions offline from their recorded outcomes, clock readings and random draws: no request is sent and nothing is written. Exit 0 same, 1 diverged, 2 bad input.',
  example: 'action-executor replay --all --db .action-executor/demo/journal.db',
  run: (positionals, flags, io) => commandReplay(positionals, flags, io),
});
