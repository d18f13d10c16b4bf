/**
 * Versioned migrations for the PostgreSQL backends, applied on open. Several workers may start at
 * once: the whole check-and-apply runs in one transaction that first takes a transaction-level
 * advisory lock, so exactly one of them applies a missing migration while the others wait, then
 * find it recorded. A failure rolls everything back (Postgres DDL is transactional), so a crash
 * mid-migration leaves the previous version intact — as the SQLite journal's migrations do.
 */
import type { PoolClient } from 'pg';
import { PostgresInfrastructureError } from './postgres-infrastructure-error.ts';
import { describeTarget, type PostgresTarget } from './postgres-url.ts';

/** One numbered, named step. Versions run 1, 2, 3 …; a released migration is never edited. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/** A backend's migrations and where their history is kept. */
export interface PostgresMigrationSet {
  /** What the tables are, in messages: e.g. `storage`. */
  subject: string;
  /** The table recording applied versions (one per set, so backends migrate independently). */
  table: string;
  /** The advisory-lock key pair that serializes this set's migrations across processes. */
  lockKey: readonly [number, number];
  migrations: readonly PostgresMigration[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Refuses a set whose table name could not be spliced into SQL or whose versions have gaps. */
function checkSet(set: PostgresMigrationSet): void {
  if (!IDENTIFIER.test(set.table)) throw new Error(`Migration table name ${JSON.stringify(set.table)} must match ${String(IDENTIFIER)}`);
  set.migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`${set.subject} migration #${index + 1} has version ${migration.version}; versions must run 1, 2, 3 …`);
  });
}

/**
 * Brings the schema of `set` up to date on `client` (which must not be inside a transaction).
 * Returns the versions it applied (empty when another worker, or an earlier start, already had).
 * Refuses a database migrated by a newer build (`POSTGRES_SCHEMA_TOO_NEW`) or one whose recorded
 * migration names differ from this build's (`POSTGRES_MIGRATION_MISMATCH`), without changing it.
 */
export async function applyMigrations(client: PoolClient, set: PostgresMigrationSet, target: PostgresTarget): Promise<number[]> {
  checkSet(set);
  const latest = set.migrations.length;
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [set.lockKey[0], set.lockKey[1]]);
    // Not CREATE TABLE IF NOT EXISTS: Postgres checks CREATE on the schema even when the table
    // exists, which would lock out an application user that the owner granted table rights only.
    const history = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [set.table]);
    if (history.rows[0]?.present !== true) {
      await client.query(`CREATE TABLE ${set.table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const recorded = await client.query<{ version: number; name: string }>(`SELECT version, name FROM ${set.table} ORDER BY version`);
    for (const row of recorded.rows) {
      const known = set.migrations[row.version - 1];
      if (known === undefined) {
        throw new PostgresInfrastructureError('POSTGRES_SCHEMA_TOO_NEW', `The ${set.subject} tables at ${describeTarget(target)} have schema version ${row.version} ("${row.name}"), but this build of action-executor knows versions up to ${latest}. Refusing to use them, so nothing written by the newer build is misread or damaged.`, {
          target,
          suggestion: 'Upgrade action-executor to the version that migrated this database, or point the URL at another database.',
        });
      }
      if (known.name !== row.name) {
        throw new PostgresInfrastructureError('POSTGRES_MIGRATION_MISMATCH', `The ${set.subject} tables at ${describeTarget(target)} record migration ${row.version} as "${row.name}", but this build calls migration ${row.version} "${known.name}".`, {
          target,
          suggestion: 'Another build of action-executor created these tables; use that build, or another database.',
        });
      }
    }
    for (const migration of set.migrations.slice(recorded.rows.length)) {
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${set.table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
