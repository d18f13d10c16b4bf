/**
 * `action-executor ui [--port N] [--host 127.0.0.1] [--allow-remote]`: serves the local web viewer over
 * the journal until Ctrl-C. Loopback only unless `--allow-remote` (then with a warning); writes the
 * state file `execute --inspect` finds it by, and removes it on the way out.
 */
import type { ActionExecutor } from '../execution/executor-api.ts';
import { isLoopbackHost } from '../viewer/request-guard.ts';
import { RemoteHostRefusedError, startViewer, VIEWER_DEFAULTS, type Viewer } from '../viewer/viewer-server.ts';
import { viewerStateFile } from '../viewer/viewer-state-file.ts';
import { UsageError } from './cli-input.ts';

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
  input.out(`inspector: ${viewer.url}/inspect  (run \`action-executor execute <request.json> --inspect\` with the same --db)`);
  await (input.stopped ?? signalled());
  await viewer.close();
  if (viewer.backgroundWork > 0) {
    input.err(`stopping: waiting for ${viewer.backgroundWork} execution(s) this viewer resumed; Ctrl-C again stops at once (they resume later from the journal).`);
    process.once('SIGINT', () => process.exit(130));
  }
  return 0;
}
