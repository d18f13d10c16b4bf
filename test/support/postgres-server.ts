/**
 * The real PostgreSQL the tests and benchmarks use (issue 10), without any test framework, so the
 * benchmarks can use it too: `ACTION_EXECUTOR_TEST_PG` (set by .ci/run), else the server
 * `npm run pg:start` recorded in `.pg-test/env`. {@link freshDatabase} gives each test file (or
 * benchmark run) a database of its own, so they can run in parallel against one server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { redactPostgresUrl } from '../../storage/postgres/postgres-url.ts';

/** The environment variable .ci/run sets to the server's URL. */
export const TEST_PG_VARIABLE = 'ACTION_EXECUTOR_TEST_PG';

/** The state file scripts/pg.sh writes (it honours the same override). */
function stateFile(): string {
  const dir = process.env['ACTION_EXECUTOR_PG_STATE_DIR'] ?? fileURLToPath(new URL('../../.pg-test', import.meta.url));
  return `${dir}/env`;
}

/** The test server's URL, or undefined when neither the variable nor a pg:start state file names one. */
export function postgresUrl(): string | undefined {
  const fromEnv = process.env[TEST_PG_VARIABLE];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  let text: string;
  try {
    text = readFileSync(stateFile(), 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((entry) => entry.startsWith('PG_URL='));
  return line?.slice('PG_URL='.length).trim() || undefined;
}

const NOT_RUNNING = 'PostgreSQL not running: npm run pg:start';

/** Whether the server answers; when not, why, in words a person can act on (the password redacted). */
export async function probePostgres(): Promise<{ available: true } | { available: false; reason: string }> {
  const url = postgresUrl();
  if (url === undefined) return { available: false, reason: `${NOT_RUNNING} (or set ${TEST_PG_VARIABLE} to a postgres:// URL)` };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true };
  } catch (error) {
    const why = (error as { code?: string }).code ?? (error as Error).message;
    return { available: false, reason: `${NOT_RUNNING} (${redactPostgresUrl(url)} did not answer: ${why})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A database of one's own on the test server. */
export interface FreshDatabase {
  readonly name: string;
  /** The server's URL with this database as its path. */
  readonly url: string;
  /** Drops it, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function asAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = postgresUrl();
  if (url === undefined) throw new Error(NOT_RUNNING);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a uniquely named database (`ae_<label>_<pid>_<random>`) for one test file; call `drop()`
 * in afterAll. Names never collide between parallel files, processes or runs.
 */
export async function freshDatabase(label: string): Promise<FreshDatabase> {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  const name = `ae_${safeLabel}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await asAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresUrl() as string);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await asAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
