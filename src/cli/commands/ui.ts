/**
 * `action-executor ui [--port N] [--host 127.0.0.1] [--allow-remote]`: serves the local web viewer over
 * the journal until Ctrl-C. Loopback only unless `--allow-remote` (then with a warning); writes the
 * state file `execute --inspect` finds it by, and removes it on the way out.
 */
import type { ActionExecutor } from '../../execution/executor-api.ts';
import { isLoopbackHost } from '../../viewer/request-guard.ts';
import { RemoteHostRefusedError, startViewer, VIEWER_DEFAULTS, type Viewer } from '../../viewer/viewer-server.ts';
import { viewerStateFile } from '../../viewer/viewer-state-file.ts';
import type { ViewerExtension } from '../../viewer/viewer-context.ts';
import { createPlanFeature } from '../../viewer/plan-feature.ts';
import { defineCommand } from '../cli-command.ts';
import { STATE_FLAGS } from '../cli-flags.ts';
import { UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { journalPath, loadCredentials, loadDefinitions, openExecutor } from '../cli-project.ts';

export interface UiCommandInput {
  executor: ActionExecutor;
  /** The journal file (the state file goes beside it). */
  dbPath: string;
  /** `--port`, as typed. */
  port?: string | undefined;
  /** `--host`. */
  host?: string | undefined;
  allowRemote: boolean;
  definitionIds: readonly string[];
  /** Credential values given with `--credentials`: redacted from everything served. */
  secrets: readonly string[];
  out: (line: string) => void;
  err: (line: string) => void;
  /** Features beyond the executions pages and the inspector (the plans pages). @default none */
  extensions?: readonly ViewerExtension[];
  /** Resolves when the viewer should stop. @default the first SIGINT or SIGTERM */
  stopped?: Promise<void>;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return VIEWER_DEFAULTS.port;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) throw new UsageError(`--port must be an integer from 0 to 65535 (0 picks a free port), not "${raw}"`);
  return port;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Serves until stopped; returns the exit code. The caller closes the executor afterwards. */
export async function runUiCommand(input: UiCommandInput): Promise<number> {
  const port = parsePort(input.port);
  const host = input.host ?? VIEWER_DEFAULTS.host;
  if (!isLoopbackHost(host) && input.allowRemote) {
    input.err(`warning: serving the viewer on ${host}: anyone who can reach port ${port} there can read every execution in the journal; only the session token guards cancel and resume.`);
  }
  let viewer: Viewer;
  try {
    viewer = await startViewer({
      executor: input.executor,
      host,
      port,
      allowRemote: input.allowRemote,
      definitionIds: input.definitionIds,
      secrets: input.secrets,
      stateFile: viewerStateFile(input.dbPath),
      extensions: input.extensions ?? [],
      warn: (line) => input.err(`warning: ${line}`),
    });
  } catch (error) {
    if (error instanceof RemoteHostRefusedError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is in use (another viewer?): pass --port <n>, or --port 0 for any free port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${host}: no such address on this machine (${code})`);
    throw error;
  }
  input.out(`viewer: ${viewer.url}/  (journal ${input.dbPath}; Ctrl-C to stop)`);
  if (input.extensions?.length) input.out(`plans: ${viewer.url}/plans  (confirm, reject and cancel plans; answered plans run on in this process)`);
  input.out(`inspector: ${viewer.url}/inspect  (run \`action-executor execute <request.json> --inspect\` with the same --db)`);
  await (input.stopped ?? signalled());
  await viewer.close();
  if (viewer.backgroundWork > 0) {
    input.err(`stopping: waiting for ${viewer.backgroundWork} execution(s) this viewer resumed or plan(s) it answered; Ctrl-C again stops at once (they resume later from the journal).`);
    process.once('SIGINT', () => process.exit(130));
  }
  return 0;
}

export const uiCommand = defineCommand({
  name: 'ui',
  summary: 'the local web viewer: executions, timelines, plans, live inspector',
  usage: '[--port N] [--host 127.0.0.1]',
  details: 'Serves the viewer over the journal (--db) until Ctrl-C. Loopback only unless --allow-remote; every state change needs the page\'s session token.',
  flags: [
    ...STATE_FLAGS,
    { name: 'port', type: 'string', value: '<n>', description: 'port to serve on (0: any free)', default: String(VIEWER_DEFAULTS.port) },
    { name: 'host', type: 'string', value: '<addr>', description: 'address to bind', default: VIEWER_DEFAULTS.host },
    { name: 'allow-remote', type: 'boolean', description: 'allow a --host that is not loopback' },
  ],
  example: 'action-executor ui --port 0',
  async run(_positionals, flags, io) {
    const out = cliOutput(io);
    const { registry } = loadDefinitions(flags, io, false);
    const definitionIds = registry.list().map((d) => d.id);
    const executor = await openExecutor(flags, io);
    try {
      const credentials = await loadCredentials(flags, io);
      const secrets = Object.values(credentials);
      // Plans answered in the viewer run on in this process, with these definitions and credentials.
      const plans = createPlanFeature({ executor, definitions: registry, credentials });
      return await runUiCommand({
        executor,
        dbPath: journalPath(flags, io),
        port: flags.port,
        host: flags.host,
        allowRemote: flags['allow-remote'],
        definitionIds,
        secrets,
        extensions: [plans.extension],
        out: (line) => out.say(line),
        err: (line) => out.warn(line),
      }).finally(() => plans.close());
    } finally {
      await executor.close();
    }
  },
});
