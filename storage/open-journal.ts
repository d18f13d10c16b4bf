/**
 * Chooses the journal backend from what the user wrote (DESIGN §8 "`db` is a SQLite path or a
 * `postgres://` URL"): `--db` on the CLI, `ACTION_EXECUTOR_DB` for the Trigger.dev task, `db` in the
 * library. A `postgres://` or `postgresql://` URL opens the PostgreSQL journal; anything else that
 * looks like a URL is refused (a typo such as `postgress://` must not silently become a file named
 * after it); everything else is a SQLite file path.
 */
import type { Journal } from './journal.ts';
import { openPostgresJournal } from './postgres/postgres-journal.ts';
import { PostgresInfrastructureError } from './postgres/postgres-infrastructure-error.ts';
import { redactPostgresUrl } from './postgres/postgres-url.ts';
import { openSqliteJournal } from './sqlite/sqlite-journal.ts';

/** Options of {@link openJournal}; each applies to the backends that have it. */
export interface OpenJournalOptions {
  /** SQLite only: `process` or `machine` (docs/storage.md); on Postgres the server's synchronous_commit decides. @default 'process' */
  durability?: 'process' | 'machine';
  /** The journal's lease owner id. @default a random UUID */
  ownerId?: string;
  /** Postgres only: most pooled connections. @default 10 */
  maxConnections?: number;
  /** Postgres only: the schema of the journal's tables. @default the connection's search_path */
  schema?: string;
}

const POSTGRES_SCHEME = /^postgres(ql)?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Whether `db` is written as a URL (`scheme://…`) rather than a path. A caller that resolves paths
 * must pass such a string on unchanged, so that {@link openJournal} refuses an unknown scheme instead
 * of a file being created under a name that may hold a password.
 */
export function hasUrlScheme(db: string): boolean {
  return ANY_SCHEME.test(db.trim());
}

/** Whether `db` names a PostgreSQL database (a `postgres://` or `postgresql://` URL). */
export function isPostgresUrl(db: string): boolean {
  return POSTGRES_SCHEME.test(db.trim());
}

/**
 * Opens the journal `db` names, or returns `db` itself when it already is a Journal. Fails with a
 * PostgresInfrastructureError for an unusable database URL (POSTGRES_URL_INVALID for a scheme that
 * is neither postgres nor postgresql) and with the SQLite backend's errors for an unusable file.
 */
export async function openJournal(db: string | Journal, options: OpenJournalOptions = {}): Promise<Journal> {
  if (typeof db !== 'string') return db;
  if (isPostgresUrl(db)) {
    return openPostgresJournal({
      url: db.trim(),
      ...(options.ownerId === undefined ? {} : { ownerId: options.ownerId }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
  }
  if (hasUrlScheme(db)) {
    const scheme = db.trim().split(':')[0] ?? '';
    throw new PostgresInfrastructureError('POSTGRES_URL_INVALID', `Unsupported journal URL ${JSON.stringify(redactPostgresUrl(db))}: the scheme "${scheme}" is neither postgres nor postgresql.`, {
      suggestion: 'Pass postgres://USER:PASSWORD@HOST:PORT/DATABASE for a PostgreSQL journal, or a file path for a SQLite journal.',
    });
  }
  return openSqliteJournal(db, {
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    ...(options.ownerId === undefined ? {} : { ownerId: options.ownerId }),
  });
}
