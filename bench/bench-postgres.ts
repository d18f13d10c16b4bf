/**
 * The PostgreSQL side of the benchmarks (issue 10): the same server the tests use
 * (test/support/postgres-server.ts), a database of the run's own, dropped at the end. When no server
 * answers, the Postgres figures are skipped and the report says why, instead of failing the run.
 */
import pg from 'pg';
import { freshDatabase, probePostgres, type FreshDatabase } from '../test/support/postgres-server.ts';

/** The server settings a Postgres figure depends on, recorded with it. */
export interface PostgresFacts {
  serverVersion: string;
  /** What decides Postgres durability (DESIGN §6): `on` waits for the WAL flush of every commit. */
  synchronousCommit: string;
}

/** A database for this run, or why there is none. */
export type BenchDatabase = { available: true; database: FreshDatabase; facts: PostgresFacts } | { available: false; reason: string };

/** Creates the run's database when a server answers. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const probe = await probePostgres();
  if (!probe.available) return { available: false, reason: probe.reason };
  const database = await freshDatabase('bench');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    const sync = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    return { available: true, database, facts: { serverVersion: version.rows[0]?.server_version ?? 'unknown', synchronousCommit: sync.rows[0]?.synchronous_commit ?? 'unknown' } };
  } finally {
    await client.end();
  }
}
