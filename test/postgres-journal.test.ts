/**
 * What the PostgreSQL journal does beyond the conformance suite (issue 10): a group commit is one
 * round trip and one transaction; owner locks prove a holder dead across machines (its session
 * ended) and never make two live owners share a key; a connection lost mid-commit is an
 * infrastructure failure; several workers migrate one database at once; bad URLs and credentials get
 * messages that name host, port, database and user and never the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { isInfrastructureError } from '../src/failure/errors.ts';
import type { Journal, JournalWrite } from '../storage/journal.ts';
import { openJournal } from '../storage/open-journal.ts';
import { PostgresInfrastructureError } from '../storage/postgres/postgres-infrastructure-error.ts';
import { openPostgresJournal, PostgresJournal, type PostgresJournalOptions } from '../storage/postgres/postgres-journal.ts';
import { OWNER_LOCK_NAMESPACE } from '../storage/postgres/postgres-journal-schema.ts';
import { ownerLockKey } from '../storage/postgres/postgres-owner-lock.ts';
import { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { KEY, createLeased, createWrite, keyOf, step } from './support/journal-conformance/journal-write-fixtures.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { rejectedActionError } from './support/thrown.ts';

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

/** Polls `check` every 10 ms until it returns a value, failing after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const INTENT: readonly JournalWrite[] = [step('requesting', { attemptCount: 1 }), { type: 'beginAttempt', attempt: 1, idempotencyKey: null, request: { method: 'POST' } }];

describeWithPostgres('Postgres journal: group commit, owner locks, failures (issue 10)', () => {
  let database: FreshDatabase;
  let admin: pg.Client;
  const journals: Journal[] = [];

  beforeAll(async () => {
    database = await freshDatabase('journal');
    admin = new pg.Client({ connectionString: database.url });
    admin.on('error', () => undefined);
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(journals.map((journal) => journal.close()));
    await admin?.end();
    await database?.drop();
  });

  const schemaOf = (): string => `t_${randomBytes(6).toString('hex')}`;
  async function open(schema: string, more: Partial<PostgresJournalOptions> = {}): Promise<PostgresJournal> {
    const journal = await openPostgresJournal({ url: database.url, schema, ...more });
    journals.push(journal);
    return journal;
  }
  /** Advisory locks of the owner-lock namespace held by `pid`. */
  async function ownerLocksOf(pid: number): Promise<number[]> {
    const rows = await admin.query<{ objid: string }>("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND pid = $2 AND granted", [OWNER_LOCK_NAMESPACE, pid]);
    return rows.rows.map((row) => Number(row.objid) | 0);
  }

  describe('group commit', () => {
    it('64 commits of 64 executions issued in one tick cost one round trip and land in one transaction', async () => {
      const schema = schemaOf();
      const journal = await open(schema);
      const keys = Array.from({ length: 64 }, (_, index) => keyOf(index + 1));
      const fences = await Promise.all(keys.map((key) => createLeased(journal, key)));
      const trips = journal.roundTrips;
      const commits = journal.stats.commits;
      await Promise.all(keys.map((key, index) => journal.commit(key, INTENT, fences[index]!, 2000)));
      expect(journal.roundTrips - trips).toBe(1);
      expect(journal.stats.commits - commits).toBe(1);
      // Every row the batch wrote carries the same transaction id: one transaction, not 64.
      const xids = await admin.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::integer AS n FROM ${schema}.ae_journal_attempts`);
      expect(xids.rows[0]?.n).toBe(1);
      const attempts = await admin.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${schema}.ae_journal_attempts WHERE state = 'in_flight'`);
      expect(attempts.rows[0]?.n).toBe(64);
    });

    it('a unit that breaks a table constraint fails alone: the batch is retried unit by unit and the others land', async () => {
      const journal = await open(schemaOf());
      const keys = [1, 2, 3].map(keyOf);
      const fences = await Promise.all(keys.map((key) => createLeased(journal, key)));
      const trips = journal.roundTrips;
      const bad = step('requesting', { status: 'bogus' as never });
      const settled = await Promise.allSettled(keys.map((key, index) => journal.commit(key, index === 1 ? [bad] : INTENT, fences[index]!, 2000)));
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const error = (settled[1] as PromiseRejectedResult).reason as PostgresInfrastructureError;
      expect(error).toBeInstanceOf(PostgresInfrastructureError);
      expect(error.message).toContain('violates check constraint');
      expect(journal.roundTrips - trips).toBe(1 + keys.length);
      expect(await journal.getAttempt(keys[0]!, 1)).toMatchObject({ state: 'in_flight' });
      expect(await journal.getAttempt(keys[2]!, 1)).toMatchObject({ state: 'in_flight' });
      expect((await journal.get(keys[1]!))?.stateValue).toBe('resolving');
    });
  });

  describe('owner locks and takeovers', () => {
    it('an open journal holds its owner lock on a session of its own, and close releases it', async () => {
      const journal = await open(schemaOf(), { ownerId: `owner-${randomUUID()}` });
      const { key, backendPid, held } = journal.ownerLock;
      expect(held).toBe(true);
      expect(key).toBe(ownerLockKey(journal.owner.id));
      expect(await ownerLocksOf(backendPid)).toEqual([key]);
      await journal.close();
      await eventually('the lock session to end', async () => ((await ownerLocksOf(backendPid)).length === 0 ? true : undefined));
    });

    it('two journals with the same owner id never share a key: the second takes the next free one', async () => {
      const ownerId = `owner-${randomUUID()}`;
      const first = await open(schemaOf(), { ownerId });
      const second = await open(schemaOf(), { ownerId });
      expect(first.ownerLock.key).toBe(ownerLockKey(ownerId));
      expect(second.ownerLock.key).toBe((ownerLockKey(ownerId) + 1) | 0);
    });

    it("a holder whose session was terminated is taken over at once; its next fenced commit is refused, then its lock is taken again", async () => {
      const schema = schemaOf();
      const holder = await open(schema, { ownerId: 'holder' });
      const claimant = await open(schema, { ownerId: 'claimant' });
      const fence = await createLeased(holder, KEY, 1000, 600_000);
      expect(await claimant.acquireLease(KEY, 2000, 30_000)).toMatchObject({ acquired: false, heldBy: holder.owner });
      const killedPid = holder.ownerLock.backendPid;
      await admin.query('SELECT pg_terminate_backend($1)', [killedPid]);
      await eventually('the terminated session to release its lock', async () => ((await ownerLocksOf(killedPid)).length === 0 ? true : undefined));
      const taken = await claimant.acquireLease(KEY, 2001, 30_000);
      expect(taken).toMatchObject({ acquired: true, tookOverFrom: holder.owner, reason: 'its process is gone (its owner lock was released)' });
      const error = await rejectedActionError(holder.commit(KEY, INTENT, fence, 2002));
      expect(error.detail.code).toBe('LEASE_LOST');
      expect(await holder.listAttempts(KEY)).toEqual([]);
      // The refused commit re-took the holder's lock first: it proves itself alive again.
      expect(holder.ownerLock.held).toBe(true);
      expect(holder.ownerLock.backendPid).not.toBe(killedPid);
      expect(await ownerLocksOf(holder.ownerLock.backendPid)).toEqual([holder.ownerLock.key]);
    });

    it('a dead holder whose key a live journal now holds (a collision) keeps its lease until it expires: late, never early', async () => {
      const schema = schemaOf();
      const live = await open(schema, { ownerId: 'live-bystander' });
      const claimant = await open(schema, { ownerId: 'claimant' });
      const dead = await open(schema, { ownerId: 'dead-holder' });
      await createLeased(dead, KEY, 1000, 10_000);
      await dead.close();
      // Make the dead holder's recorded key the live bystander's, as a hash collision would.
      await admin.query(`UPDATE ${schema}.ae_journal_executions SET lease_owner_lock = $1`, [live.ownerLock.key]);
      expect(await claimant.acquireLease(KEY, 2000, 30_000)).toMatchObject({ acquired: false, heldBy: { id: 'dead-holder' }, expiresAt: 11_000 });
      expect(await claimant.acquireLease(KEY, 11_000, 30_000)).toMatchObject({ acquired: true, tookOverFrom: { id: 'dead-holder' }, reason: 'its lease expired' });
    });

    it('two claimants racing for a dead holder\'s lease: exactly one takes it, the other is told who holds it', async () => {
      const schema = schemaOf();
      const dead = await open(schema, { ownerId: 'dead-holder' });
      const a = await open(schema, { ownerId: 'claimant-a' });
      const b = await open(schema, { ownerId: 'claimant-b' });
      await createLeased(dead, KEY, 1000, 600_000);
      await dead.close();
      const [first, second] = await Promise.all([a.acquireLease(KEY, 2000, 30_000), b.acquireLease(KEY, 2000, 30_000)]);
      const results = [first, second];
      expect(results.filter((result) => result.acquired)).toHaveLength(1);
      const winner = first.acquired ? a : b;
      expect(results.find((result) => !result.acquired)).toEqual({ acquired: false, heldBy: winner.owner, expiresAt: 32_000 });
    });
  });

  describe('a connection lost mid-commit', () => {
    it('rejects the commit with POSTGRES_CONNECTION_LOST (an infrastructure failure), writes nothing, and the journal works again', async () => {
      const schema = schemaOf();
      const journal = await open(schema);
      const fence = await createLeased(journal, KEY, 1000, 600_000);
      // Hold the execution's row lock, so the commit waits inside the server where it can be cut.
      const blocker = new pg.Client({ connectionString: database.url });
      blocker.on('error', () => undefined);
      await blocker.connect();
      await blocker.query(`BEGIN; SELECT 1 FROM ${schema}.ae_journal_executions FOR UPDATE`);
      // Observed from the start: the commit may fail while the test is still awaiting the terminate.
      const failed = infrastructureFailure(journal.commit(KEY, INTENT, fence, 2000));
      const waiting = await eventually('the commit to wait on the row lock', async () => {
        const rows = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'action-executor journal' AND wait_event_type = 'Lock'", [database.name]);
        return rows.rows[0]?.pid;
      });
      await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
      const error = await failed;
      await blocker.query('ROLLBACK');
      await blocker.end();
      expect(isInfrastructureError(error)).toBe(true);
      expect(error.code).toBe('POSTGRES_CONNECTION_LOST');
      expect(error.message).toContain(`PostgreSQL journal commit failed at 127.0.0.1:${new URL(database.url).port}, database "${database.name}", user "ae"`);
      expect(error.message).not.toContain(decodeURIComponent(new URL(database.url).password));
      expect(await journal.listAttempts(KEY)).toEqual([]);
      await journal.commit(KEY, INTENT, fence, 3000);
      expect(await journal.getAttempt(KEY, 1)).toMatchObject({ state: 'in_flight', startedAt: 3000 });
    });
  });

  describe('migrations', () => {
    it('six workers opening one fresh schema at once all succeed, and the migration is recorded once', async () => {
      const schema = schemaOf();
      const opened = await Promise.all(Array.from({ length: 6 }, () => open(schema)));
      const rows = await admin.query(`SELECT version, name FROM ${schema}.ae_journal_migrations ORDER BY version`);
      expect(rows.rows).toEqual([{ version: 1, name: 'initial_schema' }]);
      await createLeased(opened[0]!, KEY);
      expect((await opened[5]!.get(KEY))?.lease?.id).toBe(opened[0]!.owner.id);
    });

    it('a schema migrated by a newer build is refused (POSTGRES_SCHEMA_TOO_NEW) and left unchanged', async () => {
      const schema = schemaOf();
      await (await open(schema)).close();
      await admin.query(`INSERT INTO ${schema}.ae_journal_migrations (version, name) VALUES (2, 'future_feature')`);
      const error = await infrastructureFailure(openPostgresJournal({ url: database.url, schema }));
      expect(error.code).toBe('POSTGRES_SCHEMA_TOO_NEW');
      expect(error.message).toContain('The journal tables at 127.0.0.1');
      expect(error.message).toContain('have schema version 2 ("future_feature"), but this build of action-executor knows versions up to 1');
    });
  });

  describe('bad input and an unavailable database', () => {
    const withUrl = (change: (url: URL) => void): string => {
      const url = new URL(database.url);
      change(url);
      return url.toString();
    };
    const port = (): number => Number(new URL(database.url).port);
    const password = (): string => decodeURIComponent(new URL(database.url).password);

    it('a malformed URL: POSTGRES_URL_INVALID before any connection, the password redacted', async () => {
      const error = await infrastructureFailure(openPostgresJournal({ url: 'postgres://ae:s3cret-value@127.0.0.1:5432' }));
      expect(error.code).toBe('POSTGRES_URL_INVALID');
      expect(error.message).toBe('Invalid PostgreSQL URL "postgres://ae:[REDACTED]@127.0.0.1:5432": it names no database (the path after the port). Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/app (percent-encode special characters in the password).');
    });

    it('a port nothing listens on: POSTGRES_UNREACHABLE naming host, port, database and user', async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const closed = (server.address() as { port: number }).port;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const error = await infrastructureFailure(openPostgresJournal({ url: withUrl((u) => (u.port = String(closed))) }));
      expect(error.code).toBe('POSTGRES_UNREACHABLE');
      expect(error.message).toContain(`PostgreSQL journal open failed at 127.0.0.1:${closed}, database "${database.name}", user "ae": cannot connect (ECONNREFUSED`);
      expect(error.message).not.toContain(password());
    });

    it('a wrong password: POSTGRES_AUTH_FAILED, and neither the wrong nor the right password appears', async () => {
      const wrong = `wrong-${randomBytes(6).toString('hex')}`;
      const error = await infrastructureFailure(openPostgresJournal({ url: withUrl((u) => (u.password = wrong)) }));
      expect(error.code).toBe('POSTGRES_AUTH_FAILED');
      expect(error.message).toContain(`127.0.0.1:${port()}, database "${database.name}", user "ae"`);
      for (const secret of [wrong, password()]) {
        expect(error.message).not.toContain(secret);
        expect(String(error.stack)).not.toContain(secret);
      }
    });

    it('a user without CREATE on the schema: POSTGRES_PERMISSION_DENIED saying what to grant', async () => {
      const role = `ae_journal_limited_${randomBytes(4).toString('hex')}`;
      const rolePassword = randomBytes(9).toString('hex');
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`);
      try {
        const error = await infrastructureFailure(openPostgresJournal({ url: withUrl((u) => ((u.username = role), (u.password = rolePassword))) }));
        expect(error.code).toBe('POSTGRES_PERMISSION_DENIED');
        expect(error.message).toContain('permission denied for schema public');
        expect(error.message).toContain(`GRANT CREATE, USAGE ON SCHEMA public TO "${role}"`);
        expect(error.message).not.toContain(rolePassword);
      } finally {
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
      }
    });

    it('a schema option that is not a plain identifier is refused before connecting, naming the option', async () => {
      await expect(openPostgresJournal({ url: database.url, schema: 'public; DROP TABLE x' })).rejects.toThrow(
        'PostgreSQL journal option schema must be a lower-case identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit); got "public; DROP TABLE x".',
      );
    });
  });

  describe('the same answers as SQLite', () => {
    it('search ignores case as SQLite\'s LIKE does, so list --search finds the same executions on both backends', async () => {
      const postgres = await open(schemaOf());
      const sqlite = await openJournal(':memory:');
      journals.push(sqlite);
      const ids = ['Order-7', 'order-8', 'ORDER-9', 'invoice-1'];
      for (const journal of [postgres, sqlite]) {
        for (const [index, executionId] of ids.entries()) await journal.commit({ executionId, actionId: 'a' }, [createWrite()], null, index);
      }
      for (const text of ['order', 'ORDER-', 'Invoice']) {
        const found = async (journal: Journal) => (await journal.listExecutions({ search: text, order: 'oldest' })).records.map((record) => record.executionId);
        expect(await found(postgres), text).toEqual(await found(sqlite));
      }
      expect((await postgres.listExecutions({ search: 'order' })).total).toBe(3);
    });
  });

  describe('openJournal: the backend is chosen by what db names', () => {
    it('postgres:// and postgresql:// open the Postgres journal, a path the SQLite one, and a Journal is returned as it is', async () => {
      for (const scheme of ['postgres', 'postgresql']) {
        const journal = await openJournal(database.url.replace(/^postgres(ql)?/, scheme));
        journals.push(journal);
        expect(journal).toBeInstanceOf(PostgresJournal);
        expect(journal.location).toBe(database.url.replace(/^postgres(ql)?/, scheme).replace(/:[^:@/]+@/, ':[REDACTED]@'));
      }
      const sqlite = await openJournal(':memory:');
      expect(sqlite).toBeInstanceOf(SqliteJournal);
      expect(await openJournal(sqlite)).toBe(sqlite);
      await sqlite.close();
    });

  });
});
