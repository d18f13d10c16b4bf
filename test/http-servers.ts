/**
 * Real local servers for the HTTP attempt-layer tests (DESIGN §3: a mock cannot drop a socket).
 * Everything listens on 127.0.0.1 with an ephemeral port and is closed by the returned `close()`,
 * which also destroys open sockets so a stalled test server never keeps the process alive.
 */
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns';
import http from 'node:http';
import net, { type AddressInfo, type LookupFunction } from 'node:net';
import { Worker } from 'node:worker_threads';
import { expect } from 'vitest';
import type { BodySink, BodySinkWriter } from '../src/http/http-types.ts';
import type { AttemptOutcome } from '../src/http/http-types.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import type { StorageLocation } from '../src/schemas/storage.ts';

export interface LocalServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** An HTTP server with a handler; `requests` records what arrived (method, url, headers, body). */
export interface LocalHttpServer extends LocalServer {
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
}

export async function startHttpServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<LocalHttpServer> {
  const requests: LocalHttpServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw TCP server: the test writes whatever bytes (or faults) it wants to each socket. */
export async function startTcpServer(onSocket: (socket: net.Socket) => void): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls `respond` once the request head (and a small body) arrived on a raw socket. */
export function onRequest(socket: net.Socket, respond: (socket: net.Socket) => void): void {
  let received = '';
  const onData = (chunk: Buffer): void => {
    received += chunk.toString('latin1');
    if (received.includes('\r\n\r\n')) {
      socket.off('data', onData);
      respond(socket);
    }
  };
  socket.on('data', onData);
}

/** A port nothing listens on: bound, then closed, so connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A listening socket that never accepts, with its accept queue filled: Linux then drops further SYNs,
 * so a new connect hangs until a timeout. The listener lives in a worker thread blocked in
 * `Atomics.wait`, so its event loop never calls accept(); the filler connections complete the
 * handshake in the kernel and sit in the (tiny, backlog 1) queue.
 */
export async function startBlackholeServer(): Promise<LocalServer> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const net = require('node:net');
     const server = net.createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(new Int32Array(workerData), 0, 0);
     });`,
    { eval: true, workerData: new SharedArrayBuffer(4) },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers: net.Socket[] = [];
  let connected = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 4; i++) {
      const socket = net.connect(port, '127.0.0.1', () => {
        connected++;
        if (connected === 2) resolve();
      });
      socket.on('error', () => undefined);
      fillers.push(socket);
    }
  });
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      await worker.terminate();
    },
  };
}

/**
 * A DNS server on UDP 127.0.0.1 that answers every query with SERVFAIL (the resolver is up but cannot
 * answer), and a `lookup` for net.connect that asks it — the real fault behind DNS_TEMPORARY.
 */
/**
 * A DNS server on 127.0.0.1 that answers every query with one RCODE — 2 SERVFAIL (getaddrinfo's
 * EAI_AGAIN case) or 3 NXDOMAIN (ENOTFOUND) — and a lookup function that asks only it, so DNS
 * failures are real protocol answers yet do not depend on the machine's resolver or its speed.
 */
export async function startStubDns(rcode: 2 | 3): Promise<{ lookup: LookupFunction; queries: () => number; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (query, remote) => {
    queries++;
    const answer = Buffer.from(query);
    answer[2] = 0x80 | ((query[2] ?? 0) & 0x79); // QR=1, keep opcode and RD
    answer[3] = 0x80 | rcode; // RA=1, RCODE
    answer.writeUInt16BE(0, 6); // no answers
    answer.writeUInt16BE(0, 8);
    answer.writeUInt16BE(0, 10);
    socket.send(answer, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${socket.address().port}`]);
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (error: Error | null, address?: unknown, family?: number) => void) => {
    resolver.resolve4(hostname, (error, addresses) => {
      if (error) return callback(error);
      if (options.all) return callback(null, addresses.map((address) => ({ address, family: 4 })));
      return callback(null, addresses[0], 4);
    });
  }) as unknown as LookupFunction;
  return { lookup, queries: () => queries, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** A BodySink that keeps nothing but counts and hashes, recording how it was used. */
export interface RecordingSink extends BodySink {
  opened: number;
  bytes: number;
  chunks: number;
  aborted: number;
  finished: { size: number; sha256: string } | null;
  contentType: string | null;
  /** The received bytes, when created with `keep: true`. */
  data(): Buffer;
}

export function recordingSink(options: { keep?: boolean; failOnWrite?: number; onWrite?: (chunk: Uint8Array) => void } = {}): RecordingSink {
  const kept: Buffer[] = [];
  const sink: RecordingSink = {
    opened: 0,
    bytes: 0,
    chunks: 0,
    aborted: 0,
    finished: null,
    contentType: null,
    data: () => Buffer.concat(kept),
    async open(meta): Promise<BodySinkWriter> {
      sink.opened++;
      sink.contentType = meta.contentType;
      return {
        async write(chunk) {
          sink.chunks++;
          if (options.failOnWrite !== undefined && sink.chunks >= options.failOnWrite) throw new Error('the sink refused the chunk');
          sink.bytes += chunk.length;
          options.onWrite?.(chunk);
          if (options.keep) kept.push(Buffer.from(chunk));
        },
        async finish(summary): Promise<StorageLocation> {
          sink.finished = summary;
          return { provider: 'local', path: '/tmp/bodies/test.body', size: summary.size, checksum: summary.sha256, contentType: meta.contentType, metadata: {} };
        },
        async abort() {
          sink.aborted++;
        },
      };
    },
  };
  return sink;
}

const TraceEntrySchema = ActionExecutionStateSchema.shape.httpTrace.element;

/** Asserts that every trace entry of an outcome parses with the spec's httpTrace schema. */
export function expectValidTraces(outcome: AttemptOutcome): void {
  for (const entry of [...(outcome.redirectTraces ?? []), outcome.trace]) {
    const parsed = TraceEntrySchema.safeParse(entry);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  }
}
