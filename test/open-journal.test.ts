/**
 * Choosing the journal by what `db` names (issue 10), without a database server: which strings are
 * Postgres URLs, a URL of another scheme refused instead of becoming a file, the synchronous
 * `createActionExecutor` refusing a postgres:// db with what to use instead, and `openActionExecutor`
 * closing the SQLite journal it opened.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../src/cli/cli.ts';
import { createActionExecutor } from '../src/execution/executor.ts';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import { isPostgresUrl, openJournal } from '../storage/open-journal.ts';
import { PostgresInfrastructureError } from '../storage/postgres/postgres-infrastructure-error.ts';
import { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { KEY, step } from './support/journal-conformance/journal-write-fixtures.ts';
import { createCliSandbox } from './support/cli-run.ts';
import { thrownActionError } from './support/thrown.ts';

const root = mkdtempSync(join(tmpdir(), 'ae-open-journal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openJournal: the backend is chosen by what db names', () => {
  it('postgres:// and postgresql:// (any case, surrounding blanks ignored) are Postgres URLs; paths are not', () => {
    for (const db of ['postgres://h/db', 'postgresql://u:p@h:5432/db', 'POSTGRES://h/db', '  postgres://h/db ']) expect(isPostgresUrl(db), db).toBe(true);
    for (const db of ['./journal.db', '/var/lib/ae/journal.db', 'postgres.db', 'postgres:/h/db', 'C:\\ae\\journal.db']) expect(isPostgresUrl(db), db).toBe(false);
  });

  it('another URL scheme is refused (POSTGRES_URL_INVALID), never taken for a file name, and the password is redacted', async () => {
    const error: unknown = await openJournal('postgress://ae:hunter2-secret@db.example/app').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PostgresInfrastructureError);
    expect((error as PostgresInfrastructureError).code).toBe('POSTGRES_URL_INVALID');
    expect((error as Error).message).toBe(
      'Unsupported journal URL "postgress://ae:[REDACTED]@db.example/app": the scheme "postgress" is neither postgres nor postgresql. Pass postgres://USER:PASSWORD@HOST:PORT/DATABASE for a PostgreSQL journal, or a file path for a SQLite journal.',
    );
    expect(existsSync('postgress:')).toBe(false);
  });

  it('a path opens a SQLite journal, and an open Journal is returned as it is', async () => {
    const journal = await openJournal(join(root, 'chosen.db'));
    expect(journal).toBeInstanceOf(SqliteJournal);
    expect(await openJournal(journal)).toBe(journal);
    await journal.close();
  });
});

describe('the CLI on a --db URL', () => {
  it('a --db URL of another scheme exits 3 and creates no file or directory named after it (the password would be in its name)', async () => {
    const sandbox = createCliSandbox([]);
    try {
      const result = await sandbox.run(['list', '--db', 'postgress://ae:hunter2-secret@127.0.0.1/app', '--log-level', 'silent']);
      expect(result.code).toBe(EXIT.internal);
      expect(result.stderr).toContain('error: Unsupported journal URL "postgress://ae:[REDACTED]@127.0.0.1/app"');
      expect(result.stdout + result.stderr).not.toContain('hunter2-secret');
      expect(readdirSync(sandbox.dir).sort()).toEqual(['defs']);
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('executors on a db string', () => {
  it('createActionExecutor refuses a postgres:// db (ASYNC_OPEN_REQUIRED) naming it redacted and saying to use openActionExecutor', () => {
    const cwd = mkdtempSync(join(root, 'cwd-'));
    const error = thrownActionError(() => createActionExecutor({ db: 'postgres://app:s3cret-pw@db.internal:5432/app', storage: join(cwd, 's'), definitions: [] }));
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'ASYNC_OPEN_REQUIRED', context: { db: 'postgres://app:[REDACTED]@db.internal:5432/app' } });
    expect(error.message).toBe('createActionExecutor cannot open the PostgreSQL journal postgres://app:[REDACTED]@db.internal:5432/app: opening one connects to the server, which a synchronous call cannot wait for.');
    expect(error.detail.suggestion).toContain('await openActionExecutor(options)');
    expect(JSON.stringify(error.detail)).not.toContain('s3cret-pw');
    expect(readdirSync(cwd)).toEqual([]);
    const typo = thrownActionError(() => createActionExecutor({ db: 'postgress://app:s3cret-pw@db.internal/app', storage: join(cwd, 's'), definitions: [] }));
    expect(typo.message).toBe('createActionExecutor cannot open postgress://app:[REDACTED]@db.internal/app, a URL and not a SQLite path: opening one connects to the server, which a synchronous call cannot wait for.');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('openActionExecutor on a SQLite path opens the journal and closes it with the executor', async () => {
    const executor = await openActionExecutor({ db: join(root, 'owned.db'), storage: join(root, 'owned-storage'), definitions: [] });
    expect(executor.journal).toBeInstanceOf(SqliteJournal);
    await executor.close();
    await executor.close();
    await expect(executor.journal.commit(KEY, [step('validating')], null, 1)).rejects.toThrow('is closed');
  });
});
