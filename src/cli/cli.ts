/**
 * The `action-executor` command line (DESIGN §7). Exit codes: 0 completed or skipped, 1 the action
 * failed, 2 bad input or usage, 3 internal error. Bad input prints the file, the JSON path and what
 * was expected — a stack trace only with --debug. `--json` prints the final ActionExecutionState and
 * nothing else on stdout; logs go to stderr.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isActionError, isInfrastructureError } from '../failure/errors.ts';
import type { ActionExecutor, ActionExecutorOptions } from '../execution/executor.ts';
import { openActionExecutor } from '../execution/open-action-executor.ts';
import { hasUrlScheme, isPostgresUrl } from '../../storage/open-journal.ts';
import { createDefinitionRegistry, loadDefinitionsFromDir } from '../definitions/definition-registry.ts';
import { formatProblem } from '../definitions/load-problem.ts';
import { loadCatalogFromDir } from '../catalog/catalog-registry.ts';
import { ActionExecuteRequestSchema } from '../schemas/job.ts';
import { checkWellFormedIds } from '../validation/well-formed-ids.ts';
import { checkRequestLimits, resolveRequestLimits } from '../validation/request-limits.ts';
import { actionExecutionMachine } from '../../machines/action-execution.ts';
import { toJson, toMermaid } from './machine-diagram.ts';
import { readJsonInput, parseWith, UsageError, type InputCap } from './cli-input.ts';
import { describeState, progressLines, timelineLines, waitTicker } from './cli-render.ts';
import { createLogger, silentLogger } from '../support/logger.ts';
import { systemClock } from '../support/clock.ts';
import { escapeForTerminal, terminalLines } from '../support/terminal-text.ts';
import { z } from 'zod';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
}

export const EXIT = { ok: 0, actionFailed: 1, usage: 2, internal: 3 } as const;

const USAGE = `Usage: action-executor <command> [options]

Commands:
  execute <request.json|->             run one action request (spec §3.2 payload)
  resume --all | <executionId> <actionId>
                                       continue executions from their last journaled state
  show <executionId> [<actionId>]      the journal timeline of an execution
  list                                 recorded executions
  machine --format json|mermaid        export the execution machine (no network)
  validate [request.json]              check definitions, catalog and optionally a request
  demo                                 run the demo against a local API with realistic faults

Options:
  --definitions <dir>   action definitions (*.json)          default ./definitions
  --catalog <dir>       API catalog entries (*.json)         default ./catalog when it exists
  --db <file|url>       SQLite journal file, or postgres://USER:PASSWORD@HOST:PORT/DB
                                                             default ./.action-executor/journal.db
  --storage <dir>       local storage root                   default ./.action-executor/storage
                                                             (with a postgres:// --db: that database)
  --credentials <file>  JSON object of credential values (merged into the request; used by resume)
  --json                print only the final ActionExecutionState as JSON on stdout
  --inspect             stream XState inspection events to a Stately inspector over WebSocket
  --inspect-url <url>   inspector WebSocket URL              default ws://127.0.0.1:8080
  --format <fmt>        machine export format: json | mermaid
  --all                 resume every unfinished execution
  --serve               demo: only start the demo API on 127.0.0.1:4010 and keep it running
  --log-level <level>   pino log level on stderr             default warn
  --debug               print stack traces of internal errors
  -h, --help            this help
`;

const OPTIONS = {
  definitions: { type: 'string' },
  catalog: { type: 'string' },
  db: { type: 'string' },
  storage: { type: 'string' },
  credentials: { type: 'string' },
  json: { type: 'boolean', default: false },
  inspect: { type: 'boolean', default: false },
  'inspect-url': { type: 'string' },
  format: { type: 'string' },
  all: { type: 'boolean', default: false },
  serve: { type: 'boolean', default: false },
  'log-level': { type: 'string' },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const write = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
};

/**
 * Human output: every line escaped for the terminal, since ids, file names and API texts are data
 * (see terminal-text.ts). Escaping is idempotent, so lines the renderers already escaped pass as they
 * are. `--json` output goes through `write` untouched.
 */
const say = (stream: NodeJS.WritableStream, text: string): void => {
  write(stream, terminalLines(text.endsWith('\n') ? text.slice(0, -1) : text).join('\n'));
};

/**
 * Loads the definitions directory. `execute` and `validate` need it; `resume`, `show` and `list` do
 * not (a journaled execution keeps the definition it started with), so a missing default is fine there.
 */
function loadDefinitions(flags: Flags, io: CliIo, required = true) {
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

function loadCatalog(flags: Flags, io: CliIo) {
  const explicit = flags.catalog !== undefined;
  const dir = resolve(io.cwd, flags.catalog ?? 'catalog');
  if (!existsSync(dir)) {
    if (explicit) throw new UsageError(`catalog directory ${dir} does not exist`);
    return { catalog: undefined, problems: [] };
  }
  return loadCatalogFromDir(dir);
}

/** Credential files are small; the cap keeps a wrong path (a log, a device) from being read whole. */
const CREDENTIALS_INPUT_CAP: InputCap = { maxBytes: 1024 * 1024, what: 'credential files' };

async function loadCredentials(flags: Flags, io: CliIo): Promise<Record<string, string>> {
  if (!flags.credentials) return {};
  const path = resolve(io.cwd, flags.credentials);
  return parseWith(z.record(z.string(), z.string()), await readJsonInput(path, io.stdin, flags.credentials, CREDENTIALS_INPUT_CAP), flags.credentials);
}

async function openExecutor(flags: Flags, io: CliIo, extra: Partial<ActionExecutorOptions> = {}, definitionsRequired = false): Promise<ActionExecutor> {
  const { registry, problems } = loadDefinitions(flags, io, definitionsRequired);
  const catalog = loadCatalog(flags, io);
  for (const problem of [...problems, ...catalog.problems]) say(io.stderr, `warning: ${formatProblem(problem)} (skipped)`);
  const credentials = await loadCredentials(flags, io);
  const level = flags['log-level'] ?? 'warn';
  // A postgres:// --db keeps results and bodies in that database too, unless --storage says otherwise.
  const postgres = flags.db !== undefined && isPostgresUrl(flags.db);
  // A URL is passed on as written (an unknown scheme is refused), never resolved into a file path.
  const url = flags.db !== undefined && hasUrlScheme(flags.db);
  const db = url ? (flags.db ?? '') : resolve(io.cwd, flags.db ?? '.action-executor/journal.db');
  const options: ActionExecutorOptions = {
    db,
    ...(postgres && flags.storage === undefined ? {} : { storage: resolve(io.cwd, flags.storage ?? '.action-executor/storage') }),
    definitions: registry,
    credentials,
    logger: level === 'silent' ? silentLogger() : createLogger({ level, destination: io.stderr }),
    ...extra,
  };
  if (catalog.catalog) options.catalog = catalog.catalog;
  let stopInspector: (() => void) | undefined;
  if (flags.inspect) {
    const { createWebSocketInspector } = await import('@statelyai/inspect');
    const url = flags['inspect-url'] ?? 'ws://127.0.0.1:8080';
    const inspector = createWebSocketInspector({ url });
    say(io.stderr, `inspecting: streaming XState inspection events to ${url}`);
    options.inspect = inspector.inspect;
    stopInspector = () => inspector.stop();
  }
  if (!url) mkdirSync(dirname(db), { recursive: true });
  const executor = await openActionExecutor(options);
  if (!stopInspector) return executor;
  const stop = stopInspector;
  return {
    ...executor,
    close: async () => {
      await executor.close();
      stop();
    },
  };
}

async function commandExecute(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const source = positionals[0];
  if (!source) throw new UsageError('execute needs a request file (or - for stdin): action-executor execute request.json');
  const path = source === '-' ? '-' : resolve(io.cwd, source);
  const request = parseWith(ActionExecuteRequestSchema, await readJsonInput(path, io.stdin, source), source);
  const credentials = await loadCredentials(flags, io);
  request.context.credentials = { ...credentials, ...request.context.credentials };
  const human = !flags.json;
  const ticker = waitTicker((line) => say(io.stdout, line), () => systemClock.now());
  const executor: ActionExecutor = await openExecutor(
    flags,
    io,
    {
      onTransition: (info) => {
        if (!human) return;
        for (const line of progressLines(info, systemClock.now())) say(io.stdout, line);
        ticker.follow(info.to === 'backingOff' ? info.context.nextAttemptAt : null);
      },
    },
    true,
  );
  try {
    if (human) say(io.stdout, `▶ ${request.action.id} (${request.action.actionDefinitionId}), execution ${request.executionId}`);
    const state = await executor.execute(request);
    if (human) say(io.stdout, describeState(state).join('\n'));
    else write(io.stdout, JSON.stringify(state, null, 2));
    return state.status === 'failed' ? EXIT.actionFailed : EXIT.ok;
  } finally {
    ticker.follow(null);
    await executor.close();
  }
}

async function commandResume(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const executor = await openExecutor(flags, io);
  try {
    if (flags.all) {
      const report = await executor.resumeAll();
      if (flags.json) write(io.stdout, JSON.stringify(report, null, 2));
      else {
        say(io.stdout, `resumed ${report.resumed}: ${report.completed} completed, ${report.failed} failed, ${report.skipped} skipped; ${report.busy} held by another process`);
        for (const error of report.errors) say(io.stdout, `  ${error.executionId} / ${error.actionId}: ${error.message}`);
      }
      return report.errors.length > 0 ? EXIT.internal : report.failed > 0 ? EXIT.actionFailed : EXIT.ok;
    }
    const [executionId, actionId] = positionals;
    if (!executionId || !actionId) throw new UsageError('resume needs --all, or an execution id and an action id');
    const state = await executor.resume(executionId, actionId);
    if (flags.json) write(io.stdout, JSON.stringify(state, null, 2));
    else say(io.stdout, describeState(state).join('\n'));
    return state.status === 'failed' ? EXIT.actionFailed : EXIT.ok;
  } finally {
    await executor.close();
  }
}

async function commandShow(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [executionId, actionId] = positionals;
  if (!executionId) throw new UsageError('show needs an execution id (and optionally an action id)');
  const executor = await openExecutor(flags, io);
  try {
    const { executions } = await executor.list({ search: executionId, limit: 1000 });
    const keys = executions.filter((e) => e.executionId === executionId && (!actionId || e.actionId === actionId)).reverse();
    if (keys.length === 0) throw new UsageError(`no execution ${executionId}${actionId ? ` / ${actionId}` : ''} in ${executor.journal.location}`);
    if (flags.json) {
      write(io.stdout, JSON.stringify(await Promise.all(keys.map((k) => executor.get(k.executionId, k.actionId))), null, 2));
      return EXIT.ok;
    }
    for (const key of keys) {
      const timeline = await executor.timeline(key.executionId, key.actionId);
      if (!timeline) continue;
      say(io.stdout, timelineLines(timeline).join('\n'));
      say(io.stdout, describeState(timeline.state).join('\n'));
    }
    return EXIT.ok;
  } finally {
    await executor.close();
  }
}

async function commandList(flags: Flags, io: CliIo): Promise<number> {
  const executor = await openExecutor(flags, io);
  try {
    const { executions } = await executor.list({ limit: 200 });
    if (flags.json) {
      write(io.stdout, JSON.stringify(executions.map(({ executionId, actionId, status, state, attempts, updatedAt }) => ({ executionId, actionId, status, state, attempts, updatedAt })), null, 2));
      return EXIT.ok;
    }
    if (executions.length === 0) say(io.stdout, 'no executions recorded');
    for (const r of executions) {
      say(io.stdout, `${escapeForTerminal(r.executionId)}  ${escapeForTerminal(r.actionId).padEnd(20)} ${r.status.padEnd(9)} ${escapeForTerminal(r.state).padEnd(11)} attempts=${r.attempts}  updated ${r.updatedAt}`);
    }
    return EXIT.ok;
  } finally {
    await executor.close();
  }
}

async function commandValidate(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const { registry, problems, dir } = loadDefinitions(flags, io);
  const catalog = loadCatalog(flags, io);
  const all = [...problems, ...catalog.problems];
  for (const problem of all) say(io.stderr, `error: ${formatProblem(problem)}`);
  say(io.stdout, `${registry.list().length} definition(s) valid in ${dir}${catalog.catalog ? `, ${(await catalog.catalog.getAllApis()).length} catalog entr(ies) valid` : ''}`);
  const requestPath = positionals[0];
  if (requestPath) {
    const request = parseWith(ActionExecuteRequestSchema, await readJsonInput(resolve(io.cwd, requestPath), io.stdin, requestPath), requestPath);
    // What execute would refuse before journaling, validate refuses too.
    checkWellFormedIds(request);
    checkRequestLimits(request, resolveRequestLimits());
    if (!registry.get(request.action.actionDefinitionId)) {
      throw new UsageError(`${requestPath}: $.action.actionDefinitionId: no definition "${request.action.actionDefinitionId}" (known: ${registry.list().map((d) => d.id).join(', ') || 'none'})`);
    }
    say(io.stdout, `${requestPath}: valid request for ${request.action.actionDefinitionId}`);
  }
  return all.length > 0 ? EXIT.usage : EXIT.ok;
}

function commandMachine(flags: Flags, io: CliIo): number {
  const format = flags.format ?? 'mermaid';
  if (format !== 'json' && format !== 'mermaid') throw new UsageError(`--format must be json or mermaid, not "${format}"`);
  write(io.stdout, format === 'json' ? toJson(actionExecutionMachine) : toMermaid(actionExecutionMachine));
  return EXIT.ok;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd() }): Promise<number> {
  let flags: Flags | undefined;
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    flags = parsed.values;
    const [command, ...rest] = parsed.positionals;
    if (flags.help || !command) {
      write(command || flags.help ? io.stdout : io.stderr, USAGE);
      return flags.help ? EXIT.ok : EXIT.usage;
    }
    switch (command) {
      case 'execute':
        return await commandExecute(rest, flags, io);
      case 'resume':
        return await commandResume(rest, flags, io);
      case 'show':
        return await commandShow(rest, flags, io);
      case 'list':
        return await commandList(flags, io);
      case 'validate':
        return await commandValidate(rest, flags, io);
      case 'machine':
        return commandMachine(flags, io);
      case 'demo': {
        if (flags.serve) {
          const { serveDemoApi } = await import('../demo/demo.ts');
          return await serveDemoApi(io);
        }
        const { runDemo } = await import('../demo/demo.ts');
        return await runDemo(io);
      }
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      say(io.stderr, `error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      say(io.stderr, `error: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (isActionError(error)) {
      const detail = error.detail;
      const badInput = detail.category === 'validation_failed' || detail.code === 'REQUEST_MISMATCH';
      say(io.stderr, `error: ${detail.message}${detail.suggestion ? `\n  suggestion: ${detail.suggestion}` : ''}`);
      if (flags?.debug && error.stack) say(io.stderr, error.stack);
      return badInput ? EXIT.usage : EXIT.internal;
    }
    if (isInfrastructureError(error) && error instanceof Error) {
      // The journal, storage or database failed (its message says where and what to do): exit 3, no stack.
      say(io.stderr, `error: ${error.message}`);
      if (flags?.debug && error.stack) say(io.stderr, error.stack);
      return EXIT.internal;
    }
    say(io.stderr, `internal error: ${error instanceof Error ? error.message : String(error)}${flags?.debug ? '' : ' (run with --debug for the stack trace)'}`);
    if (flags?.debug && error instanceof Error && error.stack) say(io.stderr, error.stack);
    return EXIT.internal;
  }
}
