import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { isInfrastructureError } from '../src/failure/errors.ts';
import { PostgresInfrastructureError } from '../storage/postgres/postgres-infrastructure-error.ts';
import { openPostgresStorageProvider, type PostgresStorageProvider } from '../storage/postgres-storage-provider.ts';
import { describeWithPostgres, freshDatabase, postgresUrl, type FreshDatabase } from './support/postgres.ts';

/** The PostgresInfrastructureError `promise` rejects with (anything else fails the test). */
async function infrastructureFailure(promise: Promise<unknown>): Promise<PostgresInfrastructureError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PostgresInfrastructureError) return error;
    throw error;
  }
  throw new Error('expected a PostgresInfrastructureError, but the promise resolved');
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withUrl(base: string, change: (url: URL) => void): string {
  const url = new URL(base);
  change(url);
  return url.toString();
}

describeWithPostgres('Postgres storage: infrastructure failures are clear and never show the password (issue 10)', () => {
  const databases: FreshDatabase[] = [];
  const providers: PostgresStorageProvider[] = [];
  let database: FreshDatabase;
  let password: string;

  beforeAll(async () => {
    database = await freshDatabase('storage_failures');
    databases.push(database);
    password = decodeURIComponent(new URL(database.url).password);
  });
  afterAll(async () => {
    for (const provider of providers) await provider.close();
    for (const each of databases) await each.drop();
  });

  /** Asserts the message names where it tried and leaks neither the password nor the URL with it. */
  function expectNamesTargetWithoutSecrets(error: PostgresInfrastructureError, port: number, name: string, secrets: string[]): void {
    expect(isInfrastructureError(error)).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${port}, database "${name}", user "ae"`);
    for (const secret of secrets) {
      expect(error.message).not.toContain(secret);
      expect(error.suggestion).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
    }
    expect(error.target).toEqual({ host: '127.0.0.1', port, database: name, user: 'ae' });
  }

  describe('connecting', () => {
    it('a port nothing listens on: POSTGRES_UNREACHABLE naming host, port and database, not the password', async () => {
      const port = await closedPort();
      const url = withUrl(database.url, (u) => (u.port = String(port)));
      const error = await infrastructureFailure(openPostgresStorageProvider({ url }));
      expect(error.code).toBe('POSTGRES_UNREACHABLE');
      expect(error.message).toMatch(/^PostgreSQL storage open failed at 127\.0\.0\.1:\d+, database "[^"]+", user "ae": cannot connect \(ECONNREFUSED/);
      expect(error.message).toContain(`pg_isready -h 127.0.0.1 -p ${port}`);
      expectNamesTargetWithoutSecrets(error, port, database.name, [password]);
    });

    it('a wrong password: POSTGRES_AUTH_FAILED, and neither the wrong nor the right password appears', async () => {
      const wrong = `wrong-${randomBytes(6).toString('hex')}`;
      const url = withUrl(database.url, (u) => (u.password = wrong));
      const error = await infrastructureFailure(openPostgresStorageProvider({ url }));
      expect(error.code).toBe('POSTGRES_AUTH_FAILED');
      expect(error.message).toContain('password authentication failed for user "ae"');
      expect(error.message).toContain('(user "ae"; the password is not shown)');
      expectNamesTargetWithoutSecrets(error, Number(new URL(database.url).port), database.name, [wrong, password]);
    });

    it('a database that does not exist: POSTGRES_DATABASE_MISSING with the createdb command', async () => {
      const url = withUrl(database.url, (u) => (u.pathname = '/ae_no_such_database'));
      const error = await infrastructureFailure(openPostgresStorageProvider({ url }));
      expect(error.code).toBe('POSTGRES_DATABASE_MISSING');
      expect(error.message).toContain('createdb -h 127.0.0.1');
      expectNamesTargetWithoutSecrets(error, Number(new URL(database.url).port), 'ae_no_such_database', [password]);
    });

    it('a malformed URL: POSTGRES_URL_INVALID before any connection, the password redacted', async () => {
      const error = await infrastructureFailure(openPostgresStorageProvider({ url: 'mysql://ae:s3cret-value@127.0.0.1/app' }));
      expect(error.code).toBe('POSTGRES_URL_INVALID');
      expect(error.message).toBe('Invalid PostgreSQL URL "mysql://ae:[REDACTED]@127.0.0.1/app": the scheme is "mysql", not postgres or postgresql. Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/app (percent-encode special characters in the password).');
    });

    it('a user without CREATE on the schema: POSTGRES_PERMISSION_DENIED saying what to grant', async () => {
      const role = `ae_limited_${randomBytes(4).toString('hex')}`;
      const rolePassword = randomBytes(9).toString('hex');
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`);
        const restricted = await freshDatabase('storage_no_create');
        databases.push(restricted);
        // PostgreSQL 15 gives non-owners no CREATE on schema public: the migration must be refused.
        const url = withUrl(restricted.url, (u) => {
          u.username = role;
          u.password = rolePassword;
        });
        const error = await infrastructureFailure(openPostgresStorageProvider({ url }));
        expect(error.code).toBe('POSTGRES_PERMISSION_DENIED');
        expect(error.message).toContain('permission denied for schema public');
        expect(error.message).toContain(`GRANT CREATE, USAGE ON SCHEMA public TO "${role}"`);
        expect(error.message).not.toContain(rolePassword);
        await restricted.drop();
      } finally {
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.end();
      }
    });
  });

  describe('a connection lost mid-save', () => {
    it('ends the save with POSTGRES_CONNECTION_LOST, stores nothing, and the provider works again afterwards', async () => {
      const storage = await openPostgresStorageProvider({ url: database.url, chunkSize: 1024, maxConnections: 2 });
      providers.push(storage);
      const writer = await storage.bodySink('bodies', 'cut').open({ contentType: 'application/octet-stream' });
      await writer.write(randomBytes(4096));
      const admin = new pg.Client({ connectionString: postgresUrl() });
      await admin.connect();
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'action-executor storage' AND state = 'idle in transaction'",
        [database.name],
      );
      await admin.end();
      expect(killed.rows).toHaveLength(1);
      const error = await infrastructureFailure((async () => {
        await writer.write(randomBytes(4096));
        await writer.finish({ size: 8192, sha256: '0'.repeat(64) });
      })());
      expect(error.code).toBe('POSTGRES_CONNECTION_LOST');
      expect(error.message).toContain(`save of body bodies/cut failed at 127.0.0.1:${new URL(database.url).port}, database "${database.name}"`);
      expect(error.message).not.toContain(password);
      expect(await storage.exists('bodies', 'cut')).toBe(false);
      await storage.save('bodies', 'after', Buffer.from('still works'));
      expect((await storage.load('bodies', 'after'))?.data.toString()).toBe('still works');
    });
  });

  describe('migrations', () => {
    async function migrationRows(url: string): Promise<{ version: number; name: string }[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ version: number; name: string }>('SELECT version, name FROM ae_storage_migrations ORDER BY version')).rows;
      } finally {
        await client.end();
      }
    }

    it('six workers opening a fresh database at once all succeed, and each migration is applied once', async () => {
      const fresh = await freshDatabase('storage_migrate');
      databases.push(fresh);
      const opened = await Promise.all(Array.from({ length: 6 }, () => openPostgresStorageProvider({ url: fresh.url })));
      providers.push(...opened);
      expect(await migrationRows(fresh.url)).toEqual([{ version: 1, name: 'objects_and_chunks' }]);
      await opened[0]!.save('c', 'x', Buffer.from('1'));
      expect((await opened[5]!.load('c', 'x'))?.data.toString()).toBe('1');
    });

    it('a user with table privileges only (no CREATE on the schema) can open a database its owner migrated', async () => {
      const fresh = await freshDatabase('storage_owner_migrated');
      databases.push(fresh);
      await (await openPostgresStorageProvider({ url: fresh.url })).close();
      const role = `ae_app_${randomBytes(4).toString('hex')}`;
      const rolePassword = randomBytes(9).toString('hex');
      const owner = new pg.Client({ connectionString: fresh.url });
      await owner.connect();
      try {
        await owner.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`);
        await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
        const url = withUrl(fresh.url, (u) => {
          u.username = role;
          u.password = rolePassword;
        });
        const storage = await openPostgresStorageProvider({ url });
        await storage.save('c', 'x', Buffer.from('as the app user'));
        expect((await storage.load('c', 'x'))?.data.toString()).toBe('as the app user');
        await storage.close();
      } finally {
        await owner.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER; DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`);
        await owner.end();
      }
    });

    it('a database migrated by a newer build is refused (POSTGRES_SCHEMA_TOO_NEW) and left unchanged', async () => {
      const fresh = await freshDatabase('storage_too_new');
      databases.push(fresh);
      await (await openPostgresStorageProvider({ url: fresh.url })).close();
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      await client.query("INSERT INTO ae_storage_migrations (version, name) VALUES (2, 'future_feature')");
      await client.end();
      const error = await infrastructureFailure(openPostgresStorageProvider({ url: fresh.url }));
      expect(error.code).toBe('POSTGRES_SCHEMA_TOO_NEW');
      expect(error.message).toContain('have schema version 2 ("future_feature"), but this build of action-executor knows versions up to 1');
      expect(await migrationRows(fresh.url)).toEqual([{ version: 1, name: 'objects_and_chunks' }, { version: 2, name: 'future_feature' }]);
    });
  });
});
