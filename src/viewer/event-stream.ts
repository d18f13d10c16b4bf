/**
 * Server-sent events for the viewer's live pages: `event: <name>` + one JSON `data:` line per message,
 * a comment every few seconds so a dead connection is noticed, and the browser's EventSource
 * reconnecting by itself if the viewer restarts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './http-io.ts';

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Called once when the client goes away or the stream is closed. */
  onClose(listener: () => void): void;
  close(): void;
}

/** Opens an event stream on a response. */
export function openEventStream(req: IncomingMessage, res: ServerResponse, heartbeatMs = 15_000): EventStream {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 2000\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();
  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const closer of closers.splice(0)) closer();
  };
  req.on('close', finish);
  res.on('close', finish);
  return {
    send(event, data) {
      if (closed) return;
      // JSON.stringify never emits a raw newline, so one data line always holds the whole message.
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      if (closed) listener();
      else closers.push(listener);
    },
    close() {
      finish();
      res.end();
    },
  };
}
