/**
 * The one local API every benchmark runs against (node:http on 127.0.0.1, ephemeral port), so the
 * bare client and the durable executor are measured against the same server in the same process.
 *
 * Routes:
 * - `GET /users/:id` — a small JSON object (the durability-overhead and resume workloads).
 * - `GET /blob?bytes=N` — N bytes of `application/octet-stream`, streamed from one reused chunk so the
 *   server itself holds almost nothing (the large-response workload).
 * - `GET /herd/:id` — 503 whenever more than `herdLimit` requests arrived within the last
 *   `herdWindowMs`, else 200 (the thundering-herd workload). Every request counts, the refused too.
 * - `GET /flaky/:id` — 503 while `flaky` is true, else like /users (builds the resume backlog).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Counters and switches of a running bench server. */
export interface BenchServer {
  url: string;
  /** Requests received per route prefix (`users`, `blob`, `herd`, `flaky`). */
  readonly hits: Map<string, number>;
  /** Herd requests answered 503. */
  herdRefused: number;
  /** While true, `/flaky/*` answers 503. */
  flaky: boolean;
  resetCounters(): void;
  close(): Promise<void>;
}

/** Options of {@link startBenchServer}. */
export interface BenchServerOptions {
  /** More than this many herd requests within `herdWindowMs` are refused with 503. @default 20 */
  herdLimit?: number;
  /** @default 100 */
  herdWindowMs?: number;
}

const USER_BODY = JSON.stringify({ id: 'u_1', name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' });
const CHUNK = Buffer.alloc(64 * 1024, 0xab);

/** Streams `bytes` bytes with backpressure, from one shared chunk. */
function streamBlob(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      const more = res.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size));
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** Starts the bench API; close it when done. */
export async function startBenchServer(options: BenchServerOptions = {}): Promise<BenchServer> {
  const herdLimit = options.herdLimit ?? 20;
  const herdWindowMs = options.herdWindowMs ?? 100;
  /** Arrival times of recent herd requests (ms, monotonic), oldest first. */
  let herdArrivals: number[] = [];
  const hits = new Map<string, number>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = url.pathname.split('/')[1] ?? '';
    hits.set(route, (hits.get(route) ?? 0) + 1);
    // Drain any request body; the workloads only send GETs, but a client may still send one.
    req.resume();
    const json = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    switch (route) {
      case 'users':
        json(200, USER_BODY);
        return;
      case 'blob':
        streamBlob(res, Number(url.searchParams.get('bytes') ?? '0'));
        return;
      case 'herd': {
        const now = performance.now();
        herdArrivals = herdArrivals.filter((at) => now - at < herdWindowMs);
        herdArrivals.push(now);
        if (herdArrivals.length > herdLimit) {
          bench.herdRefused += 1;
          json(503, JSON.stringify({ error: `overloaded: more than ${herdLimit} requests within ${herdWindowMs} ms` }));
          return;
        }
        json(200, USER_BODY);
        return;
      }
      case 'flaky':
        if (bench.flaky) json(503, JSON.stringify({ error: 'warming up' }));
        else json(200, USER_BODY);
        return;
      default:
        json(404, JSON.stringify({ error: `no route ${url.pathname}` }));
    }
  });
  // Keep-alive connections stay open between workloads; the bench closes them at the end.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const bench: BenchServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    herdRefused: 0,
    flaky: false,
    resetCounters() {
      hits.clear();
      herdArrivals = [];
      bench.herdRefused = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return bench;
}
