/**
 * Durability overhead (issue 6 §1): a bare ky GET against the durable executor doing the same GET,
 * side by side against the same local server, at concurrency 1 and 64. The executor journals every
 * transition (one SQLite transaction each), writes each attempt ahead, and stores the output and the
 * final state through the storage provider; the bare client does none of that.
 *
 * Each pair alternates bare and durable rounds, so a load spike on a shared machine hits both sides.
 */
import { randomUUID } from 'node:crypto';
import ky from 'ky';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { createBenchExecutor } from './bench-executor.ts';
import { summarize, timeLoad, type LoadResult, type TimedRun } from './bench-stats.ts';
import type { BenchServer } from './bench-server.ts';

/** One concurrency level: both sides, and what the journal did per durable action. */
export interface OverheadRow {
  concurrency: number;
  bare: LoadResult;
  durable: LoadResult;
  /** durable throughput / bare throughput. */
  ratio: number;
  journalTransactionsPerAction: number;
}

export interface OverheadOptions {
  /** Actions per side and level (split over the rounds). */
  actions: number;
  /** Alternating bare/durable rounds. @default 3 */
  rounds?: number;
  concurrencies?: number[];
}

/** Runs the comparison; every durable action must complete, or the run throws. */
export async function runDurabilityOverhead(server: BenchServer, options: OverheadOptions): Promise<OverheadRow[]> {
  const rounds = options.rounds ?? 3;
  const bench = createBenchExecutor([definition(server.url)]);
  const bareClient = ky.create({ retry: 0, timeout: 10_000 });
  const rows: OverheadRow[] = [];
  try {
    const { executor } = bench;
    const durableOnce = async (): Promise<void> => {
      const state = await executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, randomUUID()));
      if (state.status !== 'completed') throw new Error(`bench action ended ${state.status}: ${JSON.stringify(state.result)}`);
    };
    const bareOnce = async (): Promise<void> => {
      await bareClient.get(`${server.url}/users/u_1`, { headers: { Accept: 'application/json' } }).json();
    };
    // Warm-up: JIT, connection pools, SQLite page cache, storage directories.
    await timeLoad(200, 16, bareOnce);
    await timeLoad(200, 16, durableOnce);

    for (const concurrency of options.concurrencies ?? [1, 64]) {
      const perRound = Math.max(concurrency, Math.ceil(options.actions / rounds));
      const bare: TimedRun[] = [];
      const durable: TimedRun[] = [];
      const commitsBefore = executor.journal.stats.commits;
      for (let round = 0; round < rounds; round += 1) {
        bare.push(await timeLoad(perRound, concurrency, bareOnce));
        durable.push(await timeLoad(perRound, concurrency, durableOnce));
      }
      const bareTotal = summarize(bare);
      const durableTotal = summarize(durable);
      rows.push({
        concurrency,
        bare: bareTotal,
        durable: durableTotal,
        ratio: durableTotal.perSecond / bareTotal.perSecond,
        journalTransactionsPerAction: (executor.journal.stats.commits - commitsBefore) / durableTotal.operations,
      });
    }
  } finally {
    await bench.cleanup();
  }
  return rows;
}
