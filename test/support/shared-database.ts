/**
 * "The same shared database" of the fresh-machine tests: a journal every worker reaches, while each
 * worker's local directory (storage) is its own and starts empty. The tests run over every factory in
 * {@link SHARED_DATABASES}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { describeWithPostgres, freshDatabase } from './postgres.ts';

export interface SharedDatabase {
  /** What `ACTION_EXECUTOR_DB` is set to on every worker. */
  readonly db: string;
  cleanup(): Promise<void>;
}

export interface SharedDatabaseFactory {
  readonly label: string;
  /** `describe`, or one that skips (or fails under CI) when the database server is absent. */
  describe(title: string, body: () => void): void;
  open(): Promise<SharedDatabase>;
}

/** A SQLite journal in a directory of its own, apart from every worker's local directory. */
export const sqliteSharedDatabase: SharedDatabaseFactory = {
  label: 'SQLite',
  describe: (title, body) => describe(title, body),
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'ae-shared-db-'));
    return { db: join(dir, 'journal.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

/** A database of its own on the test PostgreSQL server (test/support/postgres.ts). */
export const postgresSharedDatabase: SharedDatabaseFactory = {
  label: 'PostgreSQL',
  describe: (title, body) => describeWithPostgres(title, body),
  async open() {
    const database = await freshDatabase('trigger_task');
    return { db: database.url, cleanup: () => database.drop() };
  },
};

/** The shared databases the Trigger.dev task's fresh-machine tests run on. */
export const SHARED_DATABASES: readonly SharedDatabaseFactory[] = [sqliteSharedDatabase, postgresSharedDatabase];
