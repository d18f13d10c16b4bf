/**
 * Runs every benchmark workload (issue 6, and issue 11's plan overhead) in one process against one local server, and returns the
 * figures. `quick` shrinks each workload so the whole run takes seconds: it proves the benchmarks
 * still work (CI's smoke test), its timings mean nothing.
 */
import { machineFacts, type MachineFacts } from './bench-stats.ts';
import { startBenchServer } from './bench-server.ts';
import { runDurabilityOverhead, type OverheadRow } from './durability-overhead.ts';
import { openBenchDatabase, type PostgresFacts } from './bench-postgres.ts';
import { runLargeResponse, type LargeResponseResult } from './large-response.ts';
import { runResumeBacklog, type ResumeResult } from './resume-backlog.ts';
import { runThunderingHerd, type HerdSide } from './thundering-herd.ts';
import { runPlanOverhead, type PlanOverheadResult } from './plan-overhead.ts';
import { DEFAULT_BASELINE, runComparison, type CompareReport } from './compare.ts';

/** The workloads, by the name `--only` takes. */
export const WORKLOADS = ['compare', 'overhead', 'large', 'resume', 'herd', 'plan'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchOptions {
  quick: boolean;
  only?: readonly Workload[];
  /** Seed of the jitter random source. @default 42 */
  seed?: number;
  /** Progress lines (to stderr in the CLI). */
  progress?: (line: string) => void;
  /** Git ref of the "before" side of the comparison; null: none. @default DEFAULT_BASELINE (full), null (quick) */
  baseline?: string | null;
}

/** Sizes of each workload, full and quick. */
export interface BenchSizes {
  overheadActions: number;
  overheadRounds: number;
  largeBytes: number;
  resumeExecutions: number;
  herdExecutions: number;
  /** Alternating plan / direct rounds of the 50-action plan. */
  planRounds: number;
}

export const FULL_SIZES: BenchSizes = {
  overheadActions: 3000,
  overheadRounds: 3,
  largeBytes: 1024 ** 3,
  resumeExecutions: 10_000,
  herdExecutions: 200,
  planRounds: 30,
};

export const QUICK_SIZES: BenchSizes = {
  overheadActions: 60,
  overheadRounds: 1,
  largeBytes: 8 * 1024 ** 2,
  resumeExecutions: 50,
  herdExecutions: 30,
  planRounds: 1,
};

export interface BenchReport {
  quick: boolean;
  facts: MachineFacts;
  sizes: BenchSizes;
  seed: number;
  startedAt: string;
  totalSeconds: number;
  overhead?: OverheadRow[];
  /** Why the overhead workload has no Postgres side, when it has none (no server answered). */
  postgresSkipped?: string;
  /** The server the Postgres side ran on. */
  postgres?: PostgresFacts;
  large?: LargeResponseResult;
  resume?: ResumeResult;
  herd?: HerdSide[];
  plan?: PlanOverheadResult;
  compare?: CompareReport;
}

/** Runs the selected workloads (all by default) in a fixed order. */
export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const selected = new Set<Workload>(options.only ?? WORKLOADS);
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const seed = options.seed ?? 42;
  const progress = options.progress ?? ((): void => undefined);
  const report: BenchReport = { quick: options.quick, facts: machineFacts(), sizes, seed, startedAt: new Date().toISOString(), totalSeconds: 0 };
  const started = performance.now();
  const server = await startBenchServer();
  try {
    // Large response first: its RSS baseline is cleanest before the other workloads grow the heap.
    if (selected.has('large')) {
      progress(`large response: ${sizes.largeBytes} bytes`);
      report.large = await runLargeResponse(server, sizes.largeBytes);
    }
    if (selected.has('compare')) {
      progress(`side by side: ${sizes.overheadActions} actions per side and concurrency, resume of ${sizes.resumeExecutions}`);
      report.compare = await runComparison(server, {
        actions: sizes.overheadActions,
        rounds: sizes.overheadRounds,
        concurrencies: [1, 64],
        resumeExecutions: sizes.resumeExecutions,
        fsyncActions: options.quick ? 30 : 300,
        baseline: options.baseline === undefined ? (options.quick ? null : DEFAULT_BASELINE) : options.baseline,
        progress,
      });
    }
    if (selected.has('overhead')) {
      const postgres = await openBenchDatabase();
      if (postgres.available) report.postgres = postgres.facts;
      else {
        report.postgresSkipped = postgres.reason;
        progress(`durability overhead: no Postgres side (${postgres.reason})`);
      }
      progress(`durability overhead: ${sizes.overheadActions} actions per side and concurrency`);
      try {
        report.overhead = await runDurabilityOverhead(server, { actions: sizes.overheadActions, rounds: sizes.overheadRounds, ...(postgres.available ? { postgresUrl: postgres.database.url } : {}) });
      } finally {
        if (postgres.available) await postgres.database.drop();
      }
    }
    if (selected.has('resume')) {
      progress(`resume: ${sizes.resumeExecutions} executions in backingOff`);
      report.resume = await runResumeBacklog(server, { executions: sizes.resumeExecutions });
    }
    if (selected.has('herd')) {
      progress(`thundering herd: ${sizes.herdExecutions} executions`);
      report.herd = await runThunderingHerd(server, { executions: sizes.herdExecutions, seed });
    }
    if (selected.has('plan')) {
      progress(`plan overhead: a 50-action plan in 4 levels vs the same actions direct, ${sizes.planRounds} round(s) each`);
      report.plan = await runPlanOverhead(server, { rounds: sizes.planRounds });
    }
  } finally {
    await server.close();
  }
  report.totalSeconds = (performance.now() - started) / 1000;
  return report;
}
