/**
 * What the commands that work on a project share: its definitions, catalog and credentials, and an
 * executor over its journal and storage, all found from the state flags (STATE_FLAGS) relative to
 * the working directory.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { ActionExecutor, ActionExecutorOptions } from '../execution/executor.ts';
import { openActionExecutor } from '../execution/open-action-executor.ts';
import { interruptOnSignals } from './interrupts.ts';
import { hasUrlScheme, isPostgresUrl } from '../../storage/open-journal.ts';
import { DEFAULT_PATHS } from '../execution/executor-api.ts';
import { createDefinitionRegistry, loadDefinitionsFromDir, type DefinitionRegistry } from '../definitions/definition-registry.ts';
import { formatProblem, type LoadProblem } from '../definitions/load-problem.ts';
import { loadCatalogFromDir } from '../catalog/catalog-registry.ts';
import type { ApiCatalog } from '../schemas/catalog.ts';
import type { FlagValues, GlobalFlagValues, STATE_FLAGS } from './cli-flags.ts';
import { readJsonInput, parseWith, UsageError, type InputCap } from './cli-input.ts';
import type { CliIo } from './cli-io.ts';
import { createCliLogger } from './cli-logger.ts';
import { cliOutput } from './cli-output.ts';
import { openCliInspector } from './inspector.ts';

/** The flags these helpers read. */
export type ProjectFlags = FlagValues<typeof STATE_FLAGS> & GlobalFlagValues;

/** The journal file the flags name. */
/** The `--db` journal: a file path resolved against the working directory, or a URL passed on as written. */
export const journalPath = (flags: ProjectFlags, io: CliIo): string => (flags.db !== undefined && hasUrlScheme(flags.db) ? flags.db : resolve(io.cwd, flags.db ?? DEFAULT_PATHS.db));

export interface LoadedDefinitions {
  registry: DefinitionRegistry;
  problems: LoadProblem[];
  dir: string;
}

/**
 * Loads the definitions directory. `execute` and `validate` need it; `resume` and `ui` do not (a
 * journaled execution keeps the definition it started with), so a missing default is fine there.
 */
export function loadDefinitions(flags: ProjectFlags, io: CliIo, required = true): LoadedDefinitions {
  const dir = resolve(io.cwd, flags.definitions ?? 'definitions');
  if (!existsSync(dir) && !required && flags.definitions === undefined) {
    return { registry: createDefinitionRegistry([]), problems: [], dir };
  }
  if (!existsSync(dir)) {
    throw new UsageError(`definitions directory ${dir} does not exist: pass --definitions <dir> (a directory of action definition *.json files)`);
  }
  const { registry, problems } = loadDefinitionsFromDir(dir);
  return { registry, problems, dir };
}

/** The catalog directory: `--catalog`, or `./catalog` when it exists (then optional). */
export function loadCatalog(flags: ProjectFlags, io: CliIo): { catalog: ApiCatalog | undefined; problems: LoadProblem[]; dir: string } {
  const explicit = flags.catalog !== undefined;
  const dir = resolve(io.cwd, flags.catalog ?? 'catalog');
  if (!existsSync(dir)) {
    if (explicit) throw new UsageError(`catalog directory ${dir} does not exist`);
    return { catalog: undefined, problems: [], dir };
  }
  return { ...loadCatalogFromDir(dir), dir };
}

/** Credential files are small; the cap keeps a wrong path (a log, a device) from being read whole. */
const CREDENTIALS_INPUT_CAP: InputCap = { maxBytes: 1024 * 1024, what: 'credential files' };

export async function loadCredentials(flags: ProjectFlags, io: CliIo): Promise<Record<string, string>> {
  if (!flags.credentials) return {};
  const path = resolve(io.cwd, flags.credentials);
  return parseWith(z.record(z.string(), z.string()), await readJsonInput(path, io.stdin, flags.credentials, CREDENTIALS_INPUT_CAP), flags.credentials);
}

/** `--inspect` / `--inspect-url`, for the commands that take them. */
export interface InspectFlags {
  inspect: boolean;
  'inspect-url': string | undefined;
}

/**
 * An executor over the project's journal (created if needed) and storage, logging readable lines to
 * stderr. Definition and catalog files with problems are skipped with a warning each.
 */
export async function openExecutor(
  flags: ProjectFlags & Partial<InspectFlags>,
  io: CliIo,
  extra: Partial<ActionExecutorOptions> = {},
  definitionsRequired = false,
): Promise<ActionExecutor> {
  const out = cliOutput(io);
  const logger = createCliLogger(flags['log-level'], io.stderr);
  const { registry, problems } = loadDefinitions(flags, io, definitionsRequired);
  const catalog = loadCatalog(flags, io);
  for (const problem of [...problems, ...catalog.problems]) out.warn(`warning: ${formatProblem(problem)} (skipped)`);
  const credentials = await loadCredentials(flags, io);
  const dbPath = journalPath(flags, io);
  const url = hasUrlScheme(dbPath);
  // A postgres:// --db keeps results and bodies in that database too, unless --storage says otherwise.
  const options: ActionExecutorOptions = {
    db: dbPath,
    ...(isPostgresUrl(dbPath) && flags.storage === undefined ? {} : { storage: resolve(io.cwd, flags.storage ?? DEFAULT_PATHS.storage) }),
    definitions: registry,
    credentials,
    logger,
    ...extra,
  };
  if (catalog.catalog) options.catalog = catalog.catalog;
  const inspector =
    flags.inspect || flags['inspect-url'] ? await openCliInspector({ url: flags['inspect-url'], dbPath, warn: (line) => out.warn(line), secrets: Object.values(credentials) }) : undefined;
  if (inspector) options.inspect = inspector.inspect;
  if (!url) mkdirSync(dirname(dbPath), { recursive: true });
  const executor = await openActionExecutor(options);
  const stopListening = interruptOnSignals(executor, (line) => out.warn(line));
  return {
    ...executor,
    close: async () => {
      stopListening();
      await executor.close();
      await inspector?.close();
    },
  };
}
