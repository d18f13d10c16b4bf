/**
 * Small measurement helpers shared by the benchmarks: the machine facts every figure is recorded
 * with, latency percentiles, a bounded-concurrency loop and an RSS sampler.
 */
import { availableParallelism, cpus, loadavg, totalmem, type as osType, release } from 'node:os';

/** What the figures were measured on. Load average matters: the machine may be shared. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGiB: number;
  /** 1-minute load average when the run started. */
  loadAverage: number;
}

/** Reads the machine facts now. */
export function machineFacts(): MachineFacts {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${osType()} ${release()}`,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The p-th percentile (0–100) of a list of numbers, nearest-rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/** Throughput and latency of `count` timed operations run `concurrency` at a time. */
export interface LoadResult {
  operations: number;
  concurrency: number;
  wallMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The raw timings of one run: its wall time and every operation's latency (ms). */
export interface TimedRun {
  concurrency: number;
  wallMs: number;
  latencies: number[];
}

/** Times each operation and the whole run. */
export async function timeLoad(count: number, concurrency: number, operation: (index: number) => Promise<void>): Promise<TimedRun> {
  const latencies: number[] = [];
  const started = performance.now();
  await runPool(count, concurrency, async (index) => {
    const t0 = performance.now();
    await operation(index);
    latencies.push(performance.now() - t0);
  });
  return { concurrency, wallMs: performance.now() - started, latencies };
}

/** Throughput over the summed wall time, percentiles over every latency of the runs. */
export function summarize(runs: readonly TimedRun[]): LoadResult {
  const latencies = runs.flatMap((run) => run.latencies);
  const wallMs = runs.reduce((sum, run) => sum + run.wallMs, 0);
  return {
    operations: latencies.length,
    concurrency: runs[0]?.concurrency ?? 0,
    wallMs,
    perSecond: latencies.length / (wallMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * Samples resident set size every `intervalMs` until stopped; returns the peak seen (bytes). The
 * sampler runs on the event loop, so it sees a workload that streams (awaits between chunks), which
 * is exactly the case whose memory must stay bounded.
 */
export function sampleRss(intervalMs = 5): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Rounds for a report: 2 decimals below 10, 1 below 100, none above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 2 : abs < 100 ? 1 : 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
