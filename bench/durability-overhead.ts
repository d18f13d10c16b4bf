/**
 * Durability overhead (issue 6 §1): a bare ky GET against the durable executor doing the same GET,
 * side by side against the same local server, at concurrency 1 and 64. The executor journals every
 * transition (one SQLite transaction each), writes each attempt ahead, and stores the output and the
 * final state through the storage provider; the bare client does none of that. With a PostgreSQL
 * URL (issue 10) a third side runs the same actions on a Postgres journal and Postgres storage.
 *
 * Each level alternates bare and durable rounds, so a load spike on a shared machine hits every side.
 */
import { randomUUID } from 'node:crypto';
import ky from 'ky';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import type { ActionExecutor } from '../src/execution/executor.ts';
import { PostgresJournal } from '../storage/postgres/postgres-journal.ts';
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
  /** The same actions on a Postgres journal and Postgres storage, when a server was given. */
  postgres?: PostgresSide;
}

/** The Postgres-backed side of one concurrency level. */
export interface PostgresSide {
  durable: LoadResult;
  /** Postgres throughput / SQLite throughput. */
  vsSqlite: number;
  journalTransactionsPerAction: number;
  /** The journal's round trips to the server per action (group commits, lease and read queries; storage's own not counted). */
  journalRoundTripsPerAction: number;
}

export interface OverheadOptions {
  /** Actions per side and level (split over the rounds). */
  actions: number;
  /** Alternating bare/durable rounds. @default 3 */
  rounds?: number;
  concurrencies?: number[];
  /** A database URL for the Postgres side. @default none: SQLite only */
  postgresUrl?: string;
}

/** Runs the comparison; every durable action must complete, or the run throws. */
export async function runDurabilityOverhead(server: BenchServer, options: OverheadOptions): Promise<OverheadRow[]> {
  const rounds = options.rounds ?? 3;
  const definitions = [definition(server.url)];
  const bench = createBenchExecutor(definitions);
  const postgres = options.postgresUrl === undefined ? undefined : await openActionExecutor({ db: options.postgresUrl, definitions });
  const bareClient = ky.create({ retry: 0, timeout: 10_000 });
  const rows: OverheadRow[] = [];
  try {
    const { executor } = bench;
    const durableOnce = (on: ActionExecutor) => async (): Promise<void> => {
      const state = await on.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, randomUUID()));
      if (state.status !== 'completed') throw new Error(`bench action ended ${state.status}: ${JSON.stringify(state.result)}`);
    };
    const bareOnce = async (): Promise<void> => {
      await bareClient.get(`${server.url}/users/u_1`, { headers: { Accept: 'application/json' } }).json();
    };
    // Warm-up: JIT, connection pools, SQLite page cache, storage directories, prepared statements.
    await timeLoad(200, 16, bareOnce);
    await timeLoad(200, 16, durableOnce(executor));
    if (postgres) await timeLoad(200, 16, durableOnce(postgres));

    for (const concurrency of options.concurrencies ?? [1, 64]) {
      const perRound = Math.max(concurrency, Math.ceil(options.actions / rounds));
      const bare: TimedRun[] = [];
      const durable: TimedRun[] = [];
      const onPostgres: TimedRun[] = [];
      const commitsBefore = executor.journal.stats.commits;
      const pgBefore = postgres ? { commits: postgres.journal.stats.commits, trips: roundTripsOf(postgres) } : undefined;
      for (let round = 0; round < rounds; round += 1) {
        bare.push(await timeLoad(perRound, concurrency, bareOnce));
        durable.push(await timeLoad(perRound, concurrency, durableOnce(executor)));
        if (postgres) onPostgres.push(await timeLoad(perRound, concurrency, durableOnce(postgres)));
      }
      const bareTotal = summarize(bare);
      const durableTotal = summarize(durable);
      const row: OverheadRow = {
        concurrency,
        bare: bareTotal,
        durable: durableTotal,
        ratio: durableTotal.perSecond / bareTotal.perSecond,
        journalTransactionsPerAction: (executor.journal.stats.commits - commitsBefore) / durableTotal.operations,
      };
      if (postgres && pgBefore) {
        const pgTotal = summarize(onPostgres);
        row.postgres = {
          durable: pgTotal,
          vsSqlite: pgTotal.perSecond / durableTotal.perSecond,
          journalTransactionsPerAction: (postgres.journal.stats.commits - pgBefore.commits) / pgTotal.operations,
          journalRoundTripsPerAction: (roundTripsOf(postgres) - pgBefore.trips) / pgTotal.operations,
        };
      }
      rows.push(row);
    }
  } finally {
    await bench.cleanup();
    await postgres?.close();
  }
  return rows;
}

/** Round trips the Postgres journal made so far. */
function roundTripsOf(executor: ActionExecutor): number {
  return executor.journal instanceof PostgresJournal ? executor.journal.roundTrips : 0;
}
