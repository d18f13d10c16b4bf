/**
 * `--inspect` for `execute` and `resume` (docs/viewer.md "Offline inspector"). Two sinks for the
 * driver's XState inspection events, both of which **never hang the CLI**: with nothing listening they
 * warn once and drop events, and `close()` waits at most about a second before the process may exit.
 *
 * - default: the local viewer (`action-executor ui` on the same journal). Its URL and session token are
 *   read from `<journal>.viewer.json`; records are POSTed in batches to `/api/inspect`.
 * - `--inspect-url ws://…`: a Stately inspector the user runs, over one WebSocket (undici's), with
 *   `@statelyai/inspect`'s own event format — but no reconnect loop (its adapter retries forever, which
 *   is what kept the CLI alive).
 */
import type { InspectionEvent } from 'xstate';
import type { createInspector as CreateInspector } from '@statelyai/inspect';
import type { WebSocket as UndiciWebSocket } from 'undici';
import { createRedactor } from '../redaction/redaction.ts';
import { toInspectRecord, MAX_BATCH_RECORDS, type InspectRecord } from '../viewer/inspect-batch.ts';
import { TOKEN_HEADER } from '../viewer/session-token.ts';
import { readViewerState, viewerStateFile } from '../viewer/viewer-state-file.ts';

export interface CliInspector {
  /** The executor's `inspect` option. */
  inspect: (event: InspectionEvent) => void;
  /** Sends what is queued (waiting a bounded time) and lets go of every socket and timer. */
  close(): Promise<void>;
}

export interface CliInspectorOptions {
  /** `--inspect-url`: a Stately inspector's WebSocket URL; absent means the local viewer. */
  url?: string | undefined;
  /** The journal file: the viewer serving it is found beside it. */
  dbPath: string;
  /** Prints one line on stderr. */
  warn: (line: string) => void;
  /** Secret values to redact from every event (the credentials the CLI was given). @default none */
  secrets?: Iterable<string>;
  /** Names the sender on the viewer's inspector page. @default 'action-executor' */
  command?: string;
}

/** How long `close()` waits at most for the last batch or the socket. */
export const INSPECTOR_CLOSE_TIMEOUT_MS = 1000;
const FLUSH_EVERY_MS = 100;
const MAX_QUEUED = 5000;

const noop: CliInspector = { inspect: () => undefined, close: async () => undefined };

/** Opens the sink `--inspect` asked for; a sink with nowhere to send is a no-op after one warning. */
export async function openCliInspector(options: CliInspectorOptions): Promise<CliInspector> {
  if (!options.url) return viewerInspector(options);
  // Loaded only for --inspect-url, so no other command pays for them.
  const [{ createInspector }, { WebSocket }] = await Promise.all([import('@statelyai/inspect'), import('undici')]);
  return webSocketInspector(options.url, options, createInspector, WebSocket);
}

function viewerInspector(options: CliInspectorOptions): CliInspector {
  const file = viewerStateFile(options.dbPath);
  const found = readViewerState(file);
  if ('problem' in found) {
    options.warn(`warning: --inspect: ${found.problem}; start \`action-executor ui\` with the same --db to watch executions live. Continuing without inspection.`);
    return noop;
  }
  const { url, token } = found.state;
  options.warn(`inspecting: streaming inspection events to the viewer at ${url}/inspect`);
  const redactor = createRedactor(options.secrets ?? []);
  const redact = <T>(value: T): T => redactor.json(value);
  let queue: InspectRecord[] = [];
  let dead = false;
  let sending: Promise<void> = Promise.resolve();

  const giveUp = (why: string): void => {
    if (dead) return;
    dead = true;
    queue = [];
    options.warn(`warning: --inspect: the viewer at ${url} did not take inspection events (${why}); continuing without inspection.`);
  };

  const flush = (): Promise<void> => {
    sending = sending.then(async () => {
      while (!dead && queue.length > 0) {
        const events = queue.splice(0, MAX_BATCH_RECORDS);
        try {
          const response = await fetch(`${url}/api/inspect`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
            body: JSON.stringify({ source: { pid: process.pid, command: options.command ?? 'action-executor' }, events }),
            signal: AbortSignal.timeout(INSPECTOR_CLOSE_TIMEOUT_MS),
          });
          await response.arrayBuffer().catch(() => undefined);
          if (!response.ok) giveUp(`HTTP ${response.status}`);
        } catch (error) {
          giveUp(describeFetchError(error));
        }
      }
    });
    return sending;
  };

  const timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
  timer.unref();
  return {
    inspect(event) {
      if (dead) return;
      const record = toInspectRecord(event, Date.now(), redact);
      if (!record) return;
      queue.push(record);
      if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED);
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${INSPECTOR_CLOSE_TIMEOUT_MS} ms`;
  return error instanceof Error ? error.message : String(error);
}

/** `@statelyai/inspect` does not export its adapter type; it is what `createInspector` takes. */
type Adapter = Parameters<typeof CreateInspector>[0];
type StatelyEvent = Parameters<Adapter['send']>[0];

/** Keeps a snapshot's data (status, state, context) and drops the live machine object it refers to. */
function plainStatelyEvent(event: StatelyEvent, redact: <T>(value: T) => T): StatelyEvent {
  const out = { ...event } as Record<string, unknown>;
  const snapshot = out.snapshot as Record<string, unknown> | undefined;
  if (snapshot && typeof snapshot === 'object') {
    out.snapshot = { status: snapshot.status, value: snapshot.value, context: redact(snapshot.context), ...(snapshot.output === undefined ? {} : { output: redact(snapshot.output) }) };
  }
  if (out.event && typeof out.event === 'object') out.event = redact(out.event);
  return out as unknown as StatelyEvent;
}

function webSocketInspector(url: string, options: CliInspectorOptions, createInspector: typeof CreateInspector, WebSocket: typeof UndiciWebSocket): CliInspector {
  const redactor = createRedactor(options.secrets ?? []);
  const redact = <T>(value: T): T => redactor.json(value);
  let status: 'connecting' | 'open' | 'dead' = 'connecting';
  let closing = false;
  const deferred: string[] = [];
  let socket: UndiciWebSocket | undefined;
  const settled = new Set<() => void>();
  const notify = (): void => {
    for (const wake of settled) wake();
    settled.clear();
  };
  const warnOnce = (why: string): void => {
    if (status === 'dead') return;
    status = 'dead';
    deferred.length = 0;
    if (!closing) options.warn(`warning: --inspect: the inspector at ${url} ${why}; continuing without inspection.`);
  };

  const adapter: Adapter = {
    start() {
      try {
        socket = new WebSocket(url);
      } catch (error) {
        warnOnce(`is not a usable WebSocket URL (${error instanceof Error ? error.message : String(error)})`);
        return;
      }
      socket.onopen = () => {
        status = 'open';
        for (const text of deferred.splice(0)) socket?.send(text);
        notify();
      };
      socket.onerror = () => {
        warnOnce(status === 'open' ? 'failed' : 'cannot be reached');
        notify();
      };
      socket.onclose = (event) => {
        warnOnce(`closed the connection (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        notify();
      };
    },
    stop() {
      closing = true;
      socket?.close();
    },
    send(event) {
      const text = JSON.stringify(plainStatelyEvent(event, redact));
      if (status === 'open') socket?.send(text);
      else if (status === 'connecting' && deferred.push(text) > 200) deferred.shift();
    },
  };
  const inspector = createInspector(adapter);
  inspector.start();
  const waitFor = (done: () => boolean, ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (done()) return resolve();
      // Not unref'd: the CLI awaits this, and a bounded wait must end by itself, not by an empty event loop.
      const timer = setTimeout(resolve, ms);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else settled.add(check);
      };
      settled.add(check);
    });

  return {
    inspect: (event) => inspector.inspect.next?.(event),
    async close() {
      // @statelyai/inspect converts events on a zero-delay timer: let the last ones through first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await waitFor(() => status !== 'connecting', INSPECTOR_CLOSE_TIMEOUT_MS);
      const wasOpen = status === 'open';
      inspector.stop();
      if (wasOpen) await waitFor(() => socket?.readyState === WebSocket.CLOSED, INSPECTOR_CLOSE_TIMEOUT_MS / 2);
    },
  };
}
