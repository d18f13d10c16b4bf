/**
 * What opening a Postgres journal needs besides its migrations: checked options, the journal's type
 * parsers, and — for a journal in a schema of its own — a schema name that can be spliced into SQL
 * and a connection option, and the schema itself, created once even when several workers open the
 * journal at the same moment.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import { JOURNAL_MIGRATIONS } from './postgres-journal-schema.ts';

/** `pg` returns int8 (bigint, count(*)) as strings; every int8 here (outbox ids) fits a double. */
export const JOURNAL_TYPES = new pg.TypeOverrides();
JOURNAL_TYPES.setTypeParser(pg.types.builtins.INT8, 'text', Number);

/** Returns an integer option within its range, or throws a RangeError naming the option. */
export function checkOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`PostgreSQL journal option ${name} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
  return value;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Returns the name, or throws a RangeError saying what a schema name may hold. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`PostgreSQL journal option schema must be a lower-case identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit); got ${JSON.stringify(schema)}.`);
  }
  return schema;
}

/**
 * Creates `schema` when it does not exist yet. Asked first, so a user without CREATE on the database
 * can open a journal in a schema its owner made; created under the journal's migration lock, so two
 * workers creating it at once do not collide.
 */
export async function ensureSchema(client: PoolClient, schema: string): Promise<void> {
  const present = await client.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [schema]);
  if (present.rows[0]?.present === true) return;
  const [namespace, key] = JOURNAL_MIGRATIONS.lockKey;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [namespace, key]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
