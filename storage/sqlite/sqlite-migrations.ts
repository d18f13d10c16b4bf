/**
 * Versioned, ordered, named schema migrations for the journal (DESIGN §6). Each migration runs in its
 * own IMMEDIATE transaction and is recorded in `schema_migrations` in that same transaction, so a
 * crash mid-migration leaves the previous version intact, and two processes opening a fresh file at
 * once cannot both apply it (the second re-checks under the write lock and finds it done).
 */
import type Database from 'better-sqlite3';
import { actionError } from '../../src/failure/errors.ts';

/** One schema change. Versions start at 1 and increase by exactly 1; a released one never changes. */
export interface Migration {
  version: number;
  /** Recorded next to the version; a mismatch on open means the file came from a different build. */
  name: string;
  /** SQL run with `exec` (may hold several statements), or a function for changes SQL cannot express. */
  up: string | ((db: Database.Database) => void);
}

const STATUSES = "'pending', 'running', 'completed', 'failed', 'skipped'";

/**
 * The journal's migrations, oldest first. Why these tables: DESIGN §6 names them. JSON columns are
 * TEXT written by JSON.stringify. Times are integer milliseconds since the epoch (what callers pass as
 * `now`). The lease lives on the execution row because it is taken and checked with that row.
 */
export const JOURNAL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial_schema',
    up: `
      CREATE TABLE action_executions (
        execution_id     TEXT    NOT NULL,
        action_id        TEXT    NOT NULL,
        request_hash     TEXT    NOT NULL,
        request_json     TEXT    NOT NULL,
        definition_json  TEXT    NOT NULL,
        machine_version  TEXT    NOT NULL,
        status           TEXT    NOT NULL CHECK (status IN (${STATUSES})),
        state_value      TEXT    NOT NULL,
        snapshot_json    TEXT    NOT NULL,
        attempt_count    INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
        wake_at          INTEGER,
        result_json      TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        lease_owner_id   TEXT,
        lease_owner_pid  INTEGER,
        lease_owner_host TEXT,
        lease_expires_at INTEGER,
        PRIMARY KEY (execution_id, action_id),
        CHECK ((lease_owner_id IS NULL) = (lease_expires_at IS NULL))
      );
      CREATE INDEX action_executions_by_status ON action_executions (status, created_at);

      CREATE TABLE transitions (
        execution_id  TEXT    NOT NULL,
        action_id     TEXT    NOT NULL,
        seq           INTEGER NOT NULL CHECK (seq >= 1),
        from_state    TEXT    NOT NULL,
        to_state      TEXT    NOT NULL,
        event         TEXT    NOT NULL,
        snapshot_json TEXT    NOT NULL,
        at            INTEGER NOT NULL,
        PRIMARY KEY (execution_id, action_id, seq),
        FOREIGN KEY (execution_id, action_id) REFERENCES action_executions (execution_id, action_id)
          ON DELETE CASCADE
      ) WITHOUT ROWID;

      CREATE TABLE http_attempts (
        execution_id    TEXT    NOT NULL,
        action_id       TEXT    NOT NULL,
        attempt         INTEGER NOT NULL CHECK (attempt >= 1),
        idempotency_key TEXT,
        state           TEXT    NOT NULL CHECK (state IN ('in_flight', 'responded', 'failed')),
        request_json    TEXT    NOT NULL,
        outcome_json    TEXT,
        started_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        PRIMARY KEY (execution_id, action_id, attempt),
        FOREIGN KEY (execution_id, action_id) REFERENCES action_executions (execution_id, action_id)
          ON DELETE CASCADE
      ) WITHOUT ROWID;

      CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        execution_id    TEXT    NOT NULL,
        action_id       TEXT    NOT NULL,
        type            TEXT    NOT NULL CHECK (length(type) > 0),
        payload_json    TEXT    NOT NULL,
        created_at      INTEGER NOT NULL,
        delivered_at    INTEGER,
        deliveries      INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        last_attempt_at INTEGER,
        FOREIGN KEY (execution_id, action_id) REFERENCES action_executions (execution_id, action_id)
          ON DELETE CASCADE
      );
      CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
      CREATE INDEX outbox_by_execution ON outbox (execution_id, action_id);

      CREATE TABLE rate_buckets (
        bucket     TEXT    PRIMARY KEY,
        tokens     REAL    NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'fenced_leases_events_definitions',
    // Lease epochs fence out a previous holder's writes; lease_owner_lock names the OS lock that proves
    // the holder alive; event_json keeps each event's payload and observed facts (replay);
    // definition_id lets lists filter by definition without parsing request_json.
    up: `
      ALTER TABLE action_executions ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE action_executions ADD COLUMN lease_owner_lock TEXT;
      ALTER TABLE action_executions ADD COLUMN definition_id TEXT NOT NULL DEFAULT '';
      UPDATE action_executions SET definition_id = COALESCE(json_extract(request_json, '$.action.actionDefinitionId'), '');
      ALTER TABLE transitions ADD COLUMN event_json TEXT;
      CREATE INDEX action_executions_by_created ON action_executions (created_at);
      CREATE INDEX action_executions_by_lease_lock ON action_executions (lease_owner_lock) WHERE lease_owner_lock IS NOT NULL;
    `,
  },
];

interface AppliedRow {
  version: number;
  name: string;
}

/** Throws unless versions are 1, 2, 3, … in order: a gap or reordering is a build mistake. */
function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw actionError(
        'state_inconsistent',
        `Journal migration list is malformed: entry ${index} ("${migration.name}") has version ${migration.version}, expected ${index + 1}.`,
        { code: 'JOURNAL_MIGRATIONS_MALFORMED', context: { name: migration.name }, suggestion: 'Migrations must be numbered 1, 2, 3, … with no gaps; fix the list in storage/sqlite/sqlite-migrations.ts.' },
      );
    }
  });
}

/**
 * Brings the database up to the newest migration. Returns the versions applied by this call (empty
 * when already current). Refuses a file written by a newer build (its schema may mean things this
 * build does not know) and a file whose recorded names disagree with ours.
 */
export function migrate(
  db: Database.Database,
  opts: { file: string; now: number; migrations?: readonly Migration[] },
): number[] {
  const migrations = opts.migrations ?? JOURNAL_MIGRATIONS;
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const readApplied = db.prepare<[], AppliedRow>('SELECT version, name FROM schema_migrations ORDER BY version');
  const record = db.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');

  const check = (applied: AppliedRow[]): void => {
    const newest = applied.at(-1);
    const known = migrations.length;
    if (newest !== undefined && newest.version > known) {
      throw actionError(
        'state_inconsistent',
        `Journal ${opts.file} has schema version ${newest.version} ("${newest.name}"), but this build of action-executor knows versions up to ${known}. Refusing to open it, so nothing written by the newer build is misread or damaged.`,
        {
          code: 'JOURNAL_VERSION_TOO_NEW',
          context: { file: opts.file, fileVersion: String(newest.version), supportedVersion: String(known) },
          suggestion: 'Upgrade action-executor to the version that wrote this journal, or point --db at a different file.',
        },
      );
    }
    for (const row of applied) {
      const ours = migrations[row.version - 1];
      if (ours !== undefined && ours.name !== row.name) {
        throw actionError(
          'state_inconsistent',
          `Journal ${opts.file} records migration ${row.version} as "${row.name}", but this build calls migration ${row.version} "${ours.name}". The file was written by an incompatible build.`,
          { code: 'JOURNAL_MIGRATION_MISMATCH', context: { file: opts.file, version: String(row.version) }, suggestion: 'Open it with the build that created it, or start a new journal file.' },
        );
      }
    }
  };

  const initial = readApplied.all();
  check(initial);
  const appliedNow: number[] = [];
  for (const migration of migrations) {
    if (initial.some((row) => row.version === migration.version)) continue;
    const apply = db.transaction(() => {
      // Re-read under the write lock: another process may have applied it since we looked.
      const applied = readApplied.all();
      check(applied);
      if (applied.some((row) => row.version === migration.version)) return false;
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      record.run(migration.version, migration.name, opts.now);
      return true;
    });
    if (apply.immediate()) appliedNow.push(migration.version);
  }
  return appliedNow;
}
