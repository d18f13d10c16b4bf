/**
 * The executor on a PostgreSQL journal (issue 10), the way a fleet uses it: no local state at all —
 * results and bodies go to Postgres storage — so any machine can resume any execution. Worker crashes
 * are child processes SIGKILLed at journaled points and resumed here on a new journal; a stale worker
 * (its lease taken over) is shown to send nothing, counted by a local API; a connection cut during a
 * commit stops the run unrecorded, and a fresh journal resumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import { storageIdFor } from '../src/execution/storage-ids.ts';
import type { ActionExecutor } from '../src/execution/executor.ts';
import { isActionError, isInfrastructureError } from '../src/failure/errors.ts';
import { createManualClock, type Clock } from '../src/support/clock.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { PostgresJournal } from '../storage/postgres/postgres-journal.ts';
import { OWNER_LOCK_NAMESPACE } from '../storage/postgres/postgres-journal-schema.ts';
import { definition, executeRequest } from './support/executor-harness.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

const CHILD = resolve(import.meta.dirname, 'support/postgres-crash-child.ts');
/** tsx by path: the child runs in an empty directory of its own, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(resolve(import.meta.dirname, '../node_modules/tsx/dist/loader.mjs')).href;
const fastRetry = (url: string) => ({ ...definition(url).retryPolicy, initialDelay: 10, maxDelay: 50 });
const keyedPost = (url: string): ActionDefinition => ({
  ...definition(url),
  id: 'pay',
  endpoint: { url: `${url}/payments`, method: 'POST', headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
  retryPolicy: fastRetry(url),
});
const unkeyedPost = (url: string): ActionDefinition => ({ ...definition(url), id: 'note', endpoint: { url: `${url}/notes`, method: 'POST', headers: {}, timeout: 2000 }, retryPolicy: fastRetry(url) });

/** A clock whose waits block until the test opens the gate: a worker paused mid-backoff. */
function pausingClock(): { clock: Clock; paused: Promise<void>; resume: () => void } {
  let reached!: () => void;
  let open!: () => void;
  const paused = new Promise<void>((done) => (reached = done));
  const gate = new Promise<void>((done) => (open = done));
  return { clock: { now: () => Date.now(), sleepUntil: async () => (reached(), gate) }, paused, resume: () => open() };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

describeWithPostgres('executor on a Postgres journal (issue 10)', () => {
  let database: FreshDatabase;
  let admin: pg.Client;
  let api: ScriptedApi;
  const executors: ActionExecutor[] = [];

  beforeAll(async () => {
    database = await freshDatabase('executor');
    admin = new pg.Client({ connectionString: database.url });
    admin.on('error', () => undefined);
    await admin.connect();
    api = await startScriptedApi();
  });
  afterAll(async () => {
    await Promise.all(executors.map((executor) => executor.close()));
    await api?.close();
    await admin?.end();
    await database?.drop();
  });

  /**
   * Waits until no session holds the owner lock recorded with the execution's lease: the server ends
   * a dead worker's session (and so its lock) once it sees the socket close, a moment after the kill.
   */
  async function untilOwnerLockFree(executionId: string): Promise<void> {
    const lease = await admin.query<{ key: number | null }>('SELECT lease_owner_lock AS key FROM ae_journal_executions WHERE execution_id = $1', [executionId]);
    const key = lease.rows[0]?.key;
    if (key === null || key === undefined) return;
    await eventually('the dead worker\'s owner lock to be released', async () => {
      const held = await admin.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND objid = ($2::bigint & 4294967295)::oid", [OWNER_LOCK_NAMESPACE, key]);
      return held.rowCount === 0 ? true : undefined;
    });
  }

  async function executorOn(definitions: ActionDefinition[], clock: Clock = createManualClock(Date.now(), { autoAdvance: true }), leaseTtlMs?: number): Promise<ActionExecutor> {
    const executor = await openActionExecutor({ db: database.url, definitions, clock, ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }) });
    executors.push(executor);
    return executor;
  }

  it('a retried GET completes; its result is stored in Postgres storage, not on this machine', async () => {
    api.script('GET /users/u_get', [{ status: 503 }, { status: 200, body: { id: 'u_get' } }]);
    const executor = await executorOn([{ ...definition(api.url), retryPolicy: fastRetry(api.url) }]);
    const request = executeRequest('get_user', 'get-user', { userId: 'u_get' }, {}, randomUUID());
    const state = await executor.execute(request);
    expect(state).toMatchObject({ status: 'completed', attempts: 2, result: { status: 'success', output: { id: 'u_get' } } });
    expect(executor.journal).toBeInstanceOf(PostgresJournal);
    expect(api.hitsFor('GET /users/u_get')).toHaveLength(2);
    const stored = await executor.storage.stat('results', storageIdFor({ executionId: request.executionId, actionId: 'get_user' }, 'state.json'));
    expect(stored).toMatchObject({ provider: 'postgres' });
  });

  describe('a worker SIGKILLed mid-run is resumed on another journal, with an empty local directory', () => {
    const cases = [
      { name: 'keyed POST', route: 'POST /payments', definition: keyedPost, at: 'attempt:begun', expect: 'completed' },
      { name: 'keyed POST', route: 'POST /payments', definition: keyedPost, at: 'attempt:finished', expect: 'completed' },
      { name: 'unkeyed POST', route: 'POST /notes', definition: unkeyedPost, at: 'attempt:begun', expect: 'OUTCOME_UNKNOWN' },
      { name: 'unkeyed POST', route: 'POST /notes', definition: unkeyedPost, at: 'attempt:finished', expect: 'completed' },
    ] as const;
    for (const crash of cases) {
      it(`${crash.name} killed at ${crash.at}: ${crash.expect === 'completed' ? 'completes, its effect applied exactly once' : 'ends OUTCOME_UNKNOWN and is never re-sent'}`, async () => {
        const definitions = [crash.definition(api.url)];
        const request = executeRequest('write', definitions[0]!.id, { userId: 'u_1' }, {}, randomUUID());
        api.script(crash.route, [{ status: 201, body: { id: 'created' } }]);
        const hitsBefore = api.hitsFor(crash.route).length;
        const effectsBefore = new Map(api.effects);
        const workdir = mkdtempSync(join(tmpdir(), 'ae-pg-worker-'));
        try {
          const child = spawn(process.execPath, ['--import', TSX, CHILD], {
            cwd: workdir,
            env: { ...process.env, AE_DB: database.url, AE_DEFINITIONS: JSON.stringify(definitions), AE_REQUEST: JSON.stringify(request), AE_KILL_AT: crash.at },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          const signal = await new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, sig) => done(sig)));
          expect(signal, stderr.slice(0, 500)).toBe('SIGKILL');
          // The worker kept nothing on its machine's disk: everything is in the database.
          expect(readdirSync(workdir)).toEqual([]);
          const sentByWorker = api.hitsFor(crash.route).length - hitsBefore;
          expect(sentByWorker).toBe(crash.at === 'attempt:begun' ? 0 : 1);
          // The server ends the dead worker's sessions (and so its owner lock) once it sees their sockets close.
          await untilOwnerLockFree(request.executionId);

          const resumer = await executorOn(definitions);
          const state = await resumer.resume(request.executionId, request.action.id);
          const newEffects = [...api.effects.entries()].filter(([key, count]) => effectsBefore.get(key) !== count);
          if (crash.expect === 'completed') {
            expect(state.status).toBe('completed');
            expect(newEffects.map(([, count]) => count)).toEqual([1]);
          } else {
            expect(state).toMatchObject({ status: 'failed', result: { status: 'failure', error: { code: 'OUTCOME_UNKNOWN' } } });
            expect(api.hitsFor(crash.route).length - hitsBefore).toBe(sentByWorker);
          }
          expect(await resumer.get(request.executionId, request.action.id)).toEqual(state);
        } finally {
          rmSync(workdir, { recursive: true, force: true });
        }
      }, 30_000);
    }
  });

  describe('a stale worker can never send', () => {
    async function staleWorker(takeOver: (worker: ActionExecutor, request: { executionId: string; actionId: string }) => Promise<ActionExecutor>): Promise<void> {
      const route = `GET /users/stale_${randomUUID().slice(0, 8)}`;
      const userId = route.split('/').pop()!;
      api.script(route, [{ status: 503 }, { status: 200, body: { id: userId } }]);
      const definitions = [{ ...definition(api.url), retryPolicy: fastRetry(api.url) }];
      const pause = pausingClock();
      const worker = await executorOn(definitions, pause.clock, 60_000);
      const request = executeRequest('get_user', 'get-user', { userId }, {}, randomUUID());
      const running = worker.execute(request);
      running.catch(() => undefined);
      let other: ActionExecutor;
      try {
        await pause.paused; // attempt 1 got its 503; the worker now waits in backingOff, holding the lease
        expect(api.hitsFor(route)).toHaveLength(1);
        other = await takeOver(worker, { executionId: request.executionId, actionId: request.action.id });
        expect(await other.resume(request.executionId, request.action.id)).toMatchObject({ status: 'completed' });
        expect(api.hitsFor(route)).toHaveLength(2);
      } finally {
        pause.resume(); // the stale worker wakes up and tries to journal attempt 2's intent (and never hangs the suite)
      }
      const error: unknown = await running.then(() => undefined, (reason: unknown) => reason);
      expect(isActionError(error) && error.detail.code).toBe('LEASE_LOST');
      expect(api.hitsFor(route)).toHaveLength(2);
      const attempts = await other.journal.listAttempts({ executionId: request.executionId, actionId: request.action.id });
      expect(attempts.map((attempt) => [attempt.attempt, attempt.state])).toEqual([[1, 'responded'], [2, 'responded']]);
    }

    it('its owner lock\'s session is killed: another worker takes over at once, and the stale one\'s attempt intent is refused', async () => {
      await staleWorker(async (worker) => {
        const pid = (worker.journal as PostgresJournal).ownerLock.backendPid;
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await eventually('the lock session to end', async () => ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0 ? true : undefined));
        return executorOn([{ ...definition(api.url), retryPolicy: fastRetry(api.url) }]);
      });
    }, 20_000);

    it('it is paused while alive: the lease is refused until it expires, then taken, and the stale one still sends nothing', async () => {
      await staleWorker(async (_worker, key) => {
        const definitions = [{ ...definition(api.url), retryPolicy: fastRetry(api.url) }];
        const early = await executorOn(definitions);
        await expect(early.resume(key.executionId, key.actionId)).rejects.toMatchObject({ detail: { code: 'LEASE_HELD' } });
        // A worker whose clock has passed the 60 s lease: the expiry hands it over.
        return executorOn(definitions, createManualClock(Date.now() + 61_000, { autoAdvance: true }));
      });
    }, 20_000);
  });

  it('a connection cut during a commit stops the run unrecorded (an infrastructure failure); a fresh journal resumes it', async () => {
    // The first request is held until the test has locked the row; later ones are answered at once.
    const reply = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"cut"}');
    let held: ServerResponse | undefined;
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      if (hits === 1) held = res;
      else reply(res);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let blocker: pg.Client | undefined;
    try {
      const definitions = [definition(url)];
      const executor = await executorOn(definitions);
      const request = executeRequest('get_user', 'get-user', { userId: 'cut' }, {}, randomUUID());
      const running = executor.execute(request);
      running.catch(() => undefined);
      await eventually('the request to arrive', async () => (held ? true : undefined));
      // Lock the row, answer the request, and cut the connection whose commit then waits on the lock.
      blocker = new pg.Client({ connectionString: database.url });
      blocker.on('error', () => undefined);
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM ae_journal_executions WHERE execution_id = $1 FOR UPDATE', [request.executionId]);
      reply(held!);
      const waiting = await eventually('the outcome commit to wait on the row lock', async () => {
        const rows = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'action-executor journal' AND wait_event_type = 'Lock'", [database.name]);
        return rows.rows[0]?.pid;
      });
      await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
      await blocker.end(); // ends its transaction: the run, on its way out, releases its lease on that row
      blocker = undefined;
      const error: unknown = await running.then(() => undefined, (reason: unknown) => reason);
      expect(isInfrastructureError(error)).toBe(true);
      expect((error as { code?: string }).code).toBe('POSTGRES_CONNECTION_LOST');
      const recorded = await executor.journal.get({ executionId: request.executionId, actionId: 'get_user' });
      expect(recorded).toMatchObject({ status: 'running', stateValue: 'requesting', result: null });

      const fresh = await executorOn(definitions);
      expect(await fresh.resume(request.executionId, 'get_user')).toMatchObject({ status: 'completed', result: { status: 'success', output: { id: 'cut' } } });
      expect(hits).toBe(2); // a GET whose outcome was lost is safe to send again
    } finally {
      await blocker?.end().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  }, 20_000);
});
