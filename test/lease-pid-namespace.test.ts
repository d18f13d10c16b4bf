/**
 * Issue 13 item 1 across pid namespaces (DESIGN §6 "Single writer, fenced"): process A runs an
 * execution inside `unshare -pf --mount-proc` — its own pid namespace, where it is pid 1, with the
 * host's hostname and file system, as a hostNetwork pod or a `--uts=host` container is — and backs
 * off; B runs the same request from the host namespace (this test process). A pid proves nothing
 * here: `kill(1, 0)` from the host asks about the host's init. What holds is A's owner lock, which the
 * kernel releases when A dies, and the fence every commit checks.
 *
 * A local node:http API records every hit with its time and the credential that sent it (A and B
 * submit the same request with different tokens: credentials are not part of a request's identity).
 * Shown: B is refused while A lives (LEASE_HELD, A's owner lock held); after A is killed B takes over
 * at once and the API sees exactly maxAttempts requests, none from A afterwards; and when A's lease is
 * taken while A lives (the test expires its row), A's next fenced commit is refused and A sends nothing.
 * Two more holders a pid cannot prove dead are taken over at once: a killed one its parent never
 * reaps (a zombie), and one that ran under another hostname (a container restarted under a new name).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { createActionExecutor } from '../src/execution/executor.ts';
import { isActionError } from '../src/failure/errors.ts';
import { createManualClock } from '../src/support/clock.ts';
import { ownerLockDir, probeOwner } from '../storage/sqlite/owner-lock.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { executeRequest } from './support/executor-harness.ts';

const CHILD = resolve(import.meta.dirname, 'support/lease-child.ts');
const MAX_ATTEMPTS = 3;

/** Whether this machine lets us make a pid namespace (root, or user namespaces allowed). */
const UNSHARE = spawnSync('unshare', ['-pf', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
if (!UNSHARE) console.warn('lease-pid-namespace: `unshare -pf --mount-proc` is not permitted here; process A runs in the host pid namespace instead (the owner lock and the fence are what is tested either way)');

interface Hit {
  at: number;
  token: string;
}

let server: Server;
let url = '';
const hits: Hit[] = [];
let root = '';
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ae-pidns-'));
  // Always 503: every attempt is made, so the count of hits is the count of sends.
  server = createServer((req, res) => {
    hits.push({ at: Date.now(), token: String(req.headers.authorization ?? '').replace(/^Bearer /, '') });
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(root, { recursive: true, force: true });
});

const definitionFor = (baseUrl: string): ActionDefinition => ({
  id: 'pay',
  name: 'Pay',
  description: 'A keyed POST: safe to retry, so every attempt is sent',
  version: '1.0.0',
  endpoint: { url: `${baseUrl}/payments`, method: 'POST', headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 5000 },
  authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' },
  inputSchema: { userId: 'string' },
  outputSchema: {},
  retryPolicy: { maxAttempts: MAX_ATTEMPTS, initialDelay: 1500, maxDelay: 1500, backoffMultiplier: 1, retryableErrors: ['api_unexpected_status'], jitter: false },
  knownErrors: [],
  examples: [],
});

const requestWith = (executionId: string, token: string) => executeRequest('pay', 'pay', { userId: 'u_1' }, { context: { credentials: { API_TOKEN: token }, previousResults: {} } }, executionId);

interface ProcessA {
  child: ChildProcess;
  /** A's own pid, as it sees it (1 inside its namespace). */
  pid: number;
  /** What A printed last, once it has exited. */
  result: Promise<{ error?: string; finished?: string; exit: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * How A is started: in a new pid namespace (when allowed); under a parent that never reaps it (`sh`
 * starts A, then becomes `sleep`), so a killed A stays a zombie; or with another hostname, as a
 * container restarted under a new name is (a new UTS namespace).
 */
type Setting = 'pid-namespace' | 'unreaped' | 'other-hostname';
const OTHER_HOSTNAME = 'restarted-container';

function commandFor(setting: Setting): [string, string[]] {
  const node = `"${process.execPath}" --import tsx "${CHILD}"`;
  switch (setting) {
    case 'pid-namespace':
      return UNSHARE ? ['unshare', ['-pf', '--mount-proc', process.execPath, '--import', 'tsx', CHILD]] : [process.execPath, ['--import', 'tsx', CHILD]];
    case 'unreaped':
      return ['sh', ['-c', `${node} & exec sleep 120`]];
    case 'other-hostname':
      return ['unshare', ['-u', 'sh', '-c', `hostname ${OTHER_HOSTNAME} && exec ${node}`]];
  }
}

/** Starts A and resolves once its first backoff is journaled. */
async function startA(dir: string, executionId: string, setting: Setting = 'pid-namespace'): Promise<ProcessA> {
  const [command, args] = commandFor(setting);
  const child = spawn(command, args, {
    env: { ...process.env, AE_DB: join(dir, 'journal.db'), AE_STORAGE: join(dir, 'storage'), AE_DEFINITIONS: JSON.stringify([definitionFor(url)]), AE_REQUEST: JSON.stringify(requestWith(executionId, 'token-A')) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, killed as a whole
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const lines: Record<string, unknown>[] = [];
  const backingOff = new Promise<number>((done, fail) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed['event'] === 'backingOff') done(Number(parsed['pid']));
    });
    child.once('exit', () => fail(new Error(`A exited before backing off: ${stderr.slice(0, 1000)}`)));
  });
  const result = new Promise<{ exit: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (exit, signal) => done({ exit, signal }))).then((end) => ({ ...(lines.at(-1) ?? {}), ...end }));
  return { child, pid: await backingOff, result };
}

/** B: an executor in this process, on the same files, whose clock jumps over every backoff. */
function openB(dir: string) {
  return createActionExecutor({ dbPath: join(dir, 'journal.db'), storageDir: join(dir, 'storage'), definitions: [definitionFor(url)], clock: createManualClock(Date.now(), { autoAdvance: true }) });
}

function leaseRow(dir: string, executionId: string): { lease_owner_lock: string | null; lease_owner_pid: number | null } {
  const db = new Database(join(dir, 'journal.db'), { readonly: true });
  try {
    return db.prepare('SELECT lease_owner_lock, lease_owner_pid FROM action_executions WHERE execution_id = ?').get(executionId) as { lease_owner_lock: string | null; lease_owner_pid: number | null };
  } finally {
    db.close();
  }
}

describe(`the lease across pid namespaces (A ${UNSHARE ? 'in its own pid namespace' : 'in the host pid namespace: unshare not permitted'})`, () => {
  it('B is refused while A lives; once A is killed B takes over at once; the API sees exactly maxAttempts sends, none by A afterwards', async () => {
    hits.length = 0;
    const dir = mkdtempSync(join(root, 'kill-'));
    const executionId = '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a31';
    const a = await startA(dir, executionId);
    const b = openB(dir);
    try {
      if (UNSHARE) expect(a.pid).toBe(1); // A's pid means nothing on the host
      const row = leaseRow(dir, executionId);
      expect(row.lease_owner_pid).toBe(a.pid);
      expect(probeOwner(ownerLockDir(join(dir, 'journal.db')), row.lease_owner_lock!)).toBe('alive');

      const refused = await b.execute(requestWith(executionId, 'token-B')).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (!isActionError(refused)) throw new Error(`B was not refused: ${String(refused)}`);
      expect(refused.detail).toMatchObject({ code: 'LEASE_HELD', context: { holderPid: String(a.pid), holderHost: hostname() } });
      expect(hits.map((h) => h.token)).toEqual(['token-A']);

      process.kill(-a.child.pid!, 'SIGKILL');
      const end = await a.result;
      const killedAt = Date.now();
      expect(end.signal ?? 'SIGKILL').toBe('SIGKILL');

      const state = await b.execute(requestWith(executionId, 'token-B'));
      expect(state).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, result: { error: { category: 'api_unexpected_status' } } });
      expect(hits).toHaveLength(MAX_ATTEMPTS);
      expect(hits.map((h) => h.token)).toEqual(['token-A', 'token-B', 'token-B']);
      expect(hits.filter((h) => h.token === 'token-A' && h.at >= killedAt)).toEqual([]);
    } finally {
      if (a.child.exitCode === null && a.child.signalCode === null) process.kill(-a.child.pid!, 'SIGKILL');
      await b.close();
    }
  }, 60_000);

  it("A's lease taken while A lives (its row expired by the test): A's next fenced commit is refused, LEASE_LOST, and A sends nothing more", async () => {
    hits.length = 0;
    const dir = mkdtempSync(join(root, 'taken-'));
    const executionId = '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a32';
    const a = await startA(dir, executionId);
    // B's clock stands still: B holds the lease through its backoff while A wakes up from its own.
    const clock = createManualClock(Date.now());
    const b = createActionExecutor({ dbPath: join(dir, 'journal.db'), storageDir: join(dir, 'storage'), definitions: [definitionFor(url)], clock });
    try {
      const db = new Database(join(dir, 'journal.db'));
      db.prepare('UPDATE action_executions SET lease_expires_at = 0 WHERE execution_id = ?').run(executionId);
      db.close();
      const takenAt = Date.now();
      const running = b.execute(requestWith(executionId, 'token-B'));
      await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 10_000, interval: 5 });

      // A wakes from its 1.5 s backoff still alive, and finds its fence gone: it stops without sending.
      const end = await a.result;
      expect(end).toMatchObject({ error: 'LEASE_LOST', exit: 0 });
      expect(hits.filter((h) => h.token === 'token-A' && h.at >= takenAt)).toEqual([]);

      // B carries on to the end: attempts 2 and 3.
      for (let wait = 0; wait < MAX_ATTEMPTS - 1; wait += 1) {
        await vi.waitFor(() => expect(clock.pending).toHaveLength(1), { timeout: 10_000, interval: 5 });
        clock.advance(1500);
      }
      expect(await running).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
      expect(hits).toHaveLength(MAX_ATTEMPTS);
      expect(hits.map((h) => h.token)).toEqual(['token-A', 'token-B', 'token-B']);
    } finally {
      if (a.child.exitCode === null && a.child.signalCode === null) process.kill(-a.child.pid!, 'SIGKILL');
      await b.close();
    }
  }, 60_000);
});

/** The state letter of /proc/<pid>/stat (`Z` for a zombie), or undefined when there is no such process. */
function processState(pid: number): string | undefined {
  try {
    return /\) (\w)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

describe('dead holders a pid cannot prove dead are taken over at once (issue 13 item 2)', () => {
  it('a killed holder its parent never reaps (a zombie, which kill(pid, 0) calls alive)', async () => {
    const dir = mkdtempSync(join(root, 'zombie-'));
    const executionId = '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a33';
    const a = await startA(dir, executionId, 'unreaped');
    const b = openB(dir);
    try {
      process.kill(a.pid, 'SIGKILL');
      await vi.waitFor(() => expect(processState(a.pid)).toBe('Z'), { timeout: 5000, interval: 5 });
      expect(() => process.kill(a.pid, 0)).not.toThrow(); // what a pid check would have believed
      const state = await b.execute(requestWith(executionId, 'token-B'));
      expect(state).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    } finally {
      process.kill(-a.child.pid!, 'SIGKILL');
      await b.close();
    }
  }, 60_000);

  it.skipIf(!UNSHARE)('a killed holder that ran under another hostname (a container restarted under a new name)', async () => {
    const dir = mkdtempSync(join(root, 'hostname-'));
    const executionId = '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a34';
    const a = await startA(dir, executionId, 'other-hostname');
    const b = openB(dir);
    try {
      const refused = await b.execute(requestWith(executionId, 'token-B')).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isActionError(refused) && refused.detail).toMatchObject({ code: 'LEASE_HELD', context: { holderHost: OTHER_HOSTNAME } });
      process.kill(-a.child.pid!, 'SIGKILL');
      await a.result;
      const started = Date.now();
      const state = await b.execute(requestWith(executionId, 'token-B'));
      expect(state).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
      expect(Date.now() - started).toBeLessThan(10_000); // not the lease's 30 s
    } finally {
      if (a.child.exitCode === null && a.child.signalCode === null) process.kill(-a.child.pid!, 'SIGKILL');
      await b.close();
    }
  }, 60_000);
});
