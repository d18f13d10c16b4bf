/**
 * The real PostgreSQL in vitest (issue 10): suites that need it are declared with
 * {@link describeWithPostgres}: skipped with the reason printed when no server answers, failing
 * when `CI=true`. Finding the server and making a database per test file is postgres-server.ts
 * (free of vitest, so the benchmarks share it); its names are re-exported for the test files.
 */
import { probePostgres } from './postgres-server.ts';
import { describeWithService } from './service-guard.ts';

export { TEST_PG_VARIABLE, freshDatabase, postgresUrl, type FreshDatabase } from './postgres-server.ts';

const availability = await probePostgres();

/** describe() for tests that need the PostgreSQL server. */
export function describeWithPostgres(title: string, body: () => void): void {
  describeWithService(title, availability, body);
}
