/**
 * The local web viewer (docs/viewer.md): a `node:http` server over an executor's journal, with no
 * framework and no network beyond the socket it listens on. Requests pass, in order: the Host check
 * (DNS-rebinding defence), the route table, the session-token and Origin checks for every POST, then
 * the feature's handler. Features — executions, the inspector, later plans — are extensions that add
 * routes; see {@link ViewerContext}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionExecutor } from '../execution/executor-api.ts';
import { isActionError } from '../failure/errors.ts';
import { createRedactor } from '../redaction/redaction.ts';
import { systemClock, type Clock } from '../support/clock.ts';
import { openEventStream, type EventStream } from './event-stream.ts';
import { executionRoutes } from './execution-routes.ts';
import { HttpError, sendError } from './http-io.ts';
import { createInspectHub, type InspectHub } from './inspect-hub.ts';
import { inspectRoutes } from './inspect-routes.ts';
import { createLiveFeed } from './live-feed.ts';
import { renderMachineSvg } from './machine-svg.ts';
import { machineGraph } from './machine-graph.ts';
import { actionExecutionMachine } from '../../machines/action-execution.ts';
import { checkHost, checkStateChange, isLoopbackHost, viewerOrigin } from './request-guard.ts';
import { RouteTable } from './route-table.ts';
import { createSessionToken, TOKEN_HEADER } from './session-token.ts';
import { serveAsset, servePage, ASSETS_DIR } from './static-assets.ts';
import { send } from './http-io.ts';
import type { ViewerContext, ViewerExtension } from './viewer-context.ts';
import { removeViewerState, writeViewerState } from './viewer-state-file.ts';

export interface ViewerOptions {
  executor: ActionExecutor;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 4321 */
  port?: number;
  /** Serve on a non-loopback address. Refused without it. @default false */
  allowRemote?: boolean;
  /** @default a random token per start */
  token?: string;
  /** Reads "now" for lease liveness and inspector times. @default the system clock */
  clock?: Clock;
  /** Journal poll period of live pages; 0 polls only on `feed.tick()`. @default 250 */
  pollMs?: number;
  /** Definition ids for the list's filter (from `--definitions`). @default none */
  definitionIds?: readonly string[];
  /** Secret values redacted from everything served, on top of the journal's own redaction (the `--credentials` values). @default none */
  secrets?: Iterable<string>;
  /** Where to write the URL and token for `execute --inspect`; removed on close. @default none */
  stateFile?: string;
  /** Features beyond the built-in executions pages and inspector (the plans page). @default none */
  extensions?: readonly ViewerExtension[];
  /** Open event streams at most. @default 64 */
  maxStreams?: number;
  /** @default the shipped src/viewer/assets */
  assetsDir?: string;
  /**
   * Where the viewer reports what an operator should see: refused requests, failed resumes, journal
   * read errors (`ui` prints them on stderr as one line each). @default nowhere
   */
  warn?: (line: string) => void;
}

export interface Viewer {
  /** `http://127.0.0.1:4321` */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly context: ViewerContext;
  /** Work started by requests that has not finished (executions this viewer resumed). */
  readonly backgroundWork: number;
  /** Stops serving (open streams are ended). Does not close the executor. */
  close(): Promise<void>;
}

/** A `--host` that is not loopback, without `--allow-remote`. */
export class RemoteHostRefusedError extends Error {
  override readonly name = 'RemoteHostRefusedError';
}

export const VIEWER_DEFAULTS = { host: '127.0.0.1', port: 4321, maxStreams: 64 } as const;

const MACHINE_SVG = renderMachineSvg(machineGraph(actionExecutionMachine));

/** Starts the viewer and resolves once it listens. */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const host = options.host ?? VIEWER_DEFAULTS.host;
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new RemoteHostRefusedError(`--host ${host} is not a loopback address: the viewer shows every execution in the journal and can cancel them, so it serves 127.0.0.1 only unless you pass --allow-remote.`);
  }
  const token = options.token ?? createSessionToken();
  const clock = options.clock ?? systemClock;
  const sink = options.warn ?? (() => undefined);
  // A page hammering the viewer must not flood the terminal: each distinct line at most once a minute.
  const warned = new Map<string, number>();
  const warn = (line: string): void => {
    const now = clock.now();
    if ((warned.get(line) ?? -Infinity) > now - 60_000) return;
    if (warned.size >= 100) warned.clear();
    warned.set(line, now);
    sink(line);
  };
  const assetsDir = options.assetsDir ?? ASSETS_DIR;
  const maxStreams = options.maxStreams ?? VIEWER_DEFAULTS.maxStreams;
  const redactor = createRedactor(options.secrets ?? []);
  const routes = new RouteTable();
  const feed = createLiveFeed({ intervalMs: options.pollMs ?? 250, onError: (key, error) => warn(`viewer: reading ${key} failed: ${String(error)}`) });
  const hub: InspectHub = createInspectHub();
  const streams = new Set<EventStream>();
  let backgroundWork = 0;

  const context: ViewerContext = {
    routes,
    executor: options.executor,
    feed,
    inspect: hub,
    clock,
    definitionIds: options.definitionIds ?? [],
    redact: (value) => redactor.json(value),
    page: (res, name) => servePage(res, name, token, assetsDir),
    openStream(req, res) {
      if (streams.size >= maxStreams) throw new HttpError(503, `the viewer has ${streams.size} live streams open (the limit); close some tabs`, 'TOO_MANY_STREAMS');
      const stream = openEventStream(req, res);
      streams.add(stream);
      stream.onClose(() => streams.delete(stream));
      return stream;
    },
    background(what, work) {
      backgroundWork += 1;
      work
        .catch((error: unknown) => warn(`viewer: ${what} failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (backgroundWork -= 1));
    },
  };

  routes
    .add('GET', '/assets/:name', ({ res, params }) => serveAsset(res, params.name ?? '', assetsDir))
    .add('GET', '/machine.svg', ({ res }) => send(res, 200, 'image/svg+xml; charset=utf-8', MACHINE_SVG));
  for (const extension of [executionRoutes, inspectRoutes, ...(options.extensions ?? [])]) extension(context);

  let bound = { host, port: 0 };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hostRefusal = checkHost(req.headers.host, bound);
    if (hostRefusal) {
      warn(`viewer: ${req.method ?? 'GET'} ${req.url ?? '/'}: ${hostRefusal.message}`);
      return sendError(res, hostRefusal.status, hostRefusal.message, 'HOST_REFUSED');
    }
    const url = new URL(req.url ?? '/', viewerOrigin(bound));
    const method = req.method ?? 'GET';
    const found = routes.match(method === 'HEAD' ? 'GET' : method, url.pathname);
    if (!found) return sendError(res, 404, `no page or API at ${method} ${url.pathname}`, 'NOT_FOUND');
    if ('methodNotAllowed' in found) {
      res.setHeader('allow', found.methodNotAllowed.join(', '));
      return sendError(res, 405, `${method} ${url.pathname} is not allowed (allowed: ${found.methodNotAllowed.join(', ')})`, 'METHOD_NOT_ALLOWED');
    }
    if (found.route.method === 'POST') {
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const refusal = checkStateChange({ host: header('host'), origin: header('origin'), secFetchSite: header('sec-fetch-site'), token: header(TOKEN_HEADER) }, token, `${method} ${url.pathname}`);
      if (refusal) {
        // Worth a line on stderr: a refused state change is a stale page at best, an attack at worst.
        warn(`viewer: ${refusal.message}`);
        return sendError(res, refusal.status, refusal.message, 'FORBIDDEN');
      }
    }
    await found.route.handler({ req, res, url, params: found.params });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendError(res, error.status, error.message, error.code);
      if (isActionError(error)) {
        const status = error.detail.code === 'UNKNOWN_EXECUTION' ? 404 : error.detail.category === 'validation_failed' ? 400 : 409;
        return sendError(res, status, redactor.text(error.detail.message), error.detail.code);
      }
      warn(`viewer: ${req.method} ${req.url}: internal error: ${redactor.text(error instanceof Error ? error.message : String(error))}`);
      sendError(res, 500, `internal error: ${redactor.text(error instanceof Error ? error.message : String(error))}`, 'INTERNAL');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? VIEWER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  bound = { host, port };
  const url = viewerOrigin(bound);
  if (options.stateFile) writeViewerState(options.stateFile, { url, token, pid: process.pid, startedAt: new Date(clock.now()).toISOString() });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    context,
    get backgroundWork() {
      return backgroundWork;
    },
    close() {
      closing ??= (async () => {
        if (options.stateFile) removeViewerState(options.stateFile, token);
        feed.close();
        for (const stream of [...streams]) stream.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
