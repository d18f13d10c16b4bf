/**
 * The tables of the PostgreSQL journal and their migrations (DESIGN §6 "Journal"): the same five
 * tables as the SQLite backend (storage/sqlite/sqlite-migrations.ts) with the same column names, so
 * one set of row converters reads both, plus the function that applies a whole group commit in one
 * round trip (postgres-journal-commit-function.ts).
 *
 * Times are `double precision` milliseconds since the epoch: exact for every integer a clock returns
 * (up to 2^53) and, like SQLite's dynamic typing, faithful to a fractional one. JSON columns are
 * `text` holding what JSON.stringify wrote: `jsonb` would reorder object keys (an output's fields
 * would come back in another order) and spend CPU validating what the journal never queries into.
 */
import type { PostgresMigrationSet } from './postgres-migrations.ts';
import { MIGRATION_LOCK_NAMESPACE } from './postgres-storage-schema.ts';
import { COMMIT_FUNCTION_SQL } from './postgres-journal-commit-function.ts';

export const EXECUTIONS_TABLE = 'ae_journal_executions';
export const TRANSITIONS_TABLE = 'ae_journal_transitions';
export const ATTEMPTS_TABLE = 'ae_journal_attempts';
export const OUTBOX_TABLE = 'ae_journal_outbox';
export const BUCKETS_TABLE = 'ae_journal_rate_buckets';
export const COMMIT_FUNCTION = 'ae_journal_commit';

/**
 * Advisory-lock namespace of the owner locks (the first int4 of `pg_advisory_lock(int4, int4)`):
 * 'AElk'. Every open journal holds the session lock (AElk, its key) for its lifetime; the storage
 * provider's namespaces ('AEmg', 'AEst') are different, so the two never meet.
 */
export const OWNER_LOCK_NAMESPACE = 0x41456c6b;

const STATUSES = "'pending', 'running', 'completed', 'failed', 'skipped'";

export const JOURNAL_MIGRATIONS: PostgresMigrationSet = {
  subject: 'journal',
  table: 'ae_journal_migrations',
  lockKey: [MIGRATION_LOCK_NAMESPACE, 2],
  migrations: [
    {
      version: 1,
      name: 'initial_schema',
      // row_id orders executions created in the same millisecond (SQLite's rowid). last_seq is the
      // newest transition's seq, kept on the row the commit already holds locked, so appending a
      // transition needs no MAX(seq) lookup. lease_owner_lock is the owner-lock key of the holder:
      // the probe that proves it dead. fillfactor 80 leaves room on each page for HOT updates (a
      // transition that keeps the status rewrites the row without touching an index).
      sql: `
        CREATE TABLE ${EXECUTIONS_TABLE} (
          execution_id     text COLLATE "C" NOT NULL,
          action_id        text COLLATE "C" NOT NULL,
          row_id           bigint GENERATED ALWAYS AS IDENTITY,
          definition_id    text NOT NULL,
          request_hash     text NOT NULL,
          request_json     text NOT NULL,
          definition_json  text NOT NULL,
          machine_version  text NOT NULL,
          status           text NOT NULL CHECK (status IN (${STATUSES})),
          state_value      text NOT NULL,
          snapshot_json    text NOT NULL,
          attempt_count    integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
          wake_at          double precision,
          result_json      text,
          created_at       double precision NOT NULL,
          updated_at       double precision NOT NULL,
          last_seq         integer NOT NULL DEFAULT 0,
          lease_owner_id   text,
          lease_owner_pid  integer,
          lease_owner_host text,
          lease_owner_lock integer,
          lease_expires_at double precision,
          lease_epoch      integer NOT NULL DEFAULT 0,
          PRIMARY KEY (execution_id, action_id),
          CHECK ((lease_owner_id IS NULL) = (lease_expires_at IS NULL))
        ) WITH (fillfactor = 80);
        CREATE INDEX ${EXECUTIONS_TABLE}_by_created ON ${EXECUTIONS_TABLE} (created_at, row_id);
        CREATE INDEX ${EXECUTIONS_TABLE}_unfinished ON ${EXECUTIONS_TABLE} (created_at, row_id) WHERE status IN ('pending', 'running');

        CREATE TABLE ${TRANSITIONS_TABLE} (
          execution_id  text COLLATE "C" NOT NULL,
          action_id     text COLLATE "C" NOT NULL,
          seq           integer NOT NULL CHECK (seq >= 1),
          from_state    text NOT NULL,
          to_state      text NOT NULL,
          event         text NOT NULL,
          event_json    text,
          snapshot_json text NOT NULL,
          at            double precision NOT NULL,
          PRIMARY KEY (execution_id, action_id, seq),
          FOREIGN KEY (execution_id, action_id) REFERENCES ${EXECUTIONS_TABLE} (execution_id, action_id) ON DELETE CASCADE
        );

        CREATE TABLE ${ATTEMPTS_TABLE} (
          execution_id    text COLLATE "C" NOT NULL,
          action_id       text COLLATE "C" NOT NULL,
          attempt         integer NOT NULL CHECK (attempt >= 1),
          idempotency_key text,
          state           text NOT NULL CHECK (state IN ('in_flight', 'responded', 'failed')),
          request_json    text NOT NULL,
          outcome_json    text,
          started_at      double precision NOT NULL,
          finished_at     double precision,
          PRIMARY KEY (execution_id, action_id, attempt),
          FOREIGN KEY (execution_id, action_id) REFERENCES ${EXECUTIONS_TABLE} (execution_id, action_id) ON DELETE CASCADE
        );

        CREATE TABLE ${OUTBOX_TABLE} (
          id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          execution_id    text COLLATE "C" NOT NULL,
          action_id       text COLLATE "C" NOT NULL,
          type            text NOT NULL CHECK (length(type) > 0),
          payload_json    text NOT NULL,
          created_at      double precision NOT NULL,
          delivered_at    double precision,
          deliveries      integer NOT NULL DEFAULT 0,
          last_error      text,
          last_attempt_at double precision,
          FOREIGN KEY (execution_id, action_id) REFERENCES ${EXECUTIONS_TABLE} (execution_id, action_id) ON DELETE CASCADE
        );
        CREATE INDEX ${OUTBOX_TABLE}_pending ON ${OUTBOX_TABLE} (id) WHERE delivered_at IS NULL;
        CREATE INDEX ${OUTBOX_TABLE}_by_execution ON ${OUTBOX_TABLE} (execution_id, action_id);

        CREATE TABLE ${BUCKETS_TABLE} (
          bucket     text COLLATE "C" PRIMARY KEY,
          tokens     double precision NOT NULL,
          updated_at double precision NOT NULL
        );

        ${COMMIT_FUNCTION_SQL}
      `,
    },
  ],
};
