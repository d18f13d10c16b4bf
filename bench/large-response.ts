/**
 * Large response (issue 6 §1, EXEC-020): a binary body far larger than memory should hold, streamed
 * to storage. Measured side by side with a bare ky GET piped straight to a file, against the same
 * server: throughput and peak RSS growth over the baseline before the request.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import ky from 'ky';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { createBenchExecutor } from './bench-executor.ts';
import { sampleRss } from './bench-stats.ts';
import type { BenchServer } from './bench-server.ts';

/** One side of the large-response comparison. */
export interface LargeResponseSide {
  bytes: number;
  seconds: number;
  /** 10^6 bytes per second. */
  megabytesPerSecond: number;
  /** Peak resident set size minus the resident set size just before the request (MiB). */
  peakRssGrowthMiB: number;
}

export interface LargeResponseResult {
  bytes: number;
  bare: LargeResponseSide;
  durable: LargeResponseSide & { storedBytes: number; status: string };
}

const MiB = 1024 * 1024;

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure<T>(bytes: number, work: () => Promise<T>): Promise<{ side: LargeResponseSide; value: T }> {
  collect();
  const baseline = process.memoryUsage.rss();
  const sampler = sampleRss(5);
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  const peak = sampler.stop();
  return {
    side: { bytes, seconds, megabytesPerSecond: bytes / 1e6 / seconds, peakRssGrowthMiB: Math.max(0, peak - baseline) / MiB },
    value,
  };
}

/** Streams `bytes` through a bare client to a file, then through the durable executor to storage. */
export async function runLargeResponse(server: BenchServer, bytes: number): Promise<LargeResponseResult> {
  const def = definition(server.url, {
    id: 'get-blob',
    endpoint: { url: `${server.url}/blob`, method: 'GET', headers: { Accept: 'application/octet-stream' }, timeout: 30 * 60_000 },
    inputSchema: { bytes: 'integer' },
    retryPolicy: { ...definition(server.url).retryPolicy, maxAttempts: 1 },
  });
  const bench = createBenchExecutor([def]);
  try {
    const bareFile = join(bench.dir, 'bare.bin');
    const bare = await measure(bytes, async () => {
      const response = await ky.get(`${server.url}/blob`, { searchParams: { bytes }, retry: 0, timeout: false });
      if (!response.body) throw new Error('bare GET /blob returned no body');
      await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), createWriteStream(bareFile, { flush: true }));
    });
    rmSync(bareFile, { force: true });

    const durable = await measure(bytes, () => bench.executor.execute(executeRequest('blob', 'get-blob', { bytes }, {}, randomUUID())));
    const state = durable.value;
    let storedBytes = 0;
    if (state.result?.status === 'success') {
      // The body file itself, not the output's summary: it must hold every byte.
      const path = state.result.outputLocation.path;
      storedBytes = statSync(path).size;
      rmSync(path, { force: true });
    }
    return { bytes, bare: bare.side, durable: { ...durable.side, storedBytes, status: state.status } };
  } finally {
    await bench.cleanup();
  }
}
