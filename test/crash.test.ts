/**
 * The crash matrix (DESIGN §6, issue 5): the executor runs in a child process that SIGKILLs itself at
 * each journaled point — every transition, the write-ahead intent of an attempt, its recorded outcome
 * — and once more while the server holds the request (sent, outcome unknown). A fresh executor then
 * resumes from the journal. Asserted every time: a terminal state; effects exactly once where
 * repeating is safe; OUTCOME_UNKNOWN and no re-send where it is not; PRAGMA integrity_check ok.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createActionExecutor } from '../src/execution/executor.ts';
import type { Durability } from '../src/execution/executor-api.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { createManualClock } from '../src/support/clock.ts';
import { startScriptedApi, type ScriptedApi, type ScriptedResponse } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';

/** Both durability modes must give the same guarantees against a process crash (issue 9). */
const DURABILITIES: Durability[] = ['process', 'machine'];

const CHILD = resolve(import.meta.dirname, 'support/crash-child.ts');
const root = mkdtempSync(join(tmpdir(), 'ae-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Kind {
  name: string;
  route: string;
  definition: (url: string) => ActionDefinition;
  script: ScriptedResponse[];
  /** Repeating this request is safe (idempotent method or idempotency key). */
  safe: boolean;
  /** The durable points one clean run passes, in order: one commit each (three on a happy path). */
  points: string[];
}

const RETRIED = ['attempt:begun', 'attempt:finished', 'transition:classifying', 'transition:backingOff', 'attempt:begun', 'attempt:finished', 'transition:classifying', 'transition:storing', 'transition:completed'];

const fastRetry = (url: string) => ({ ...definition(url).retryPolicy, initialDelay: 10, maxDelay: 50 });
const KINDS: Kind[] = [
  {
    name: 'GET',
    route: 'GET /users/u_1',
    definition: (url) => ({ ...definition(url), retryPolicy: fastRetry(url) }),
    script: [{ status: 503 }, { status: 200, body: { id: 'u_1' } }],
    safe: true,
    points: RETRIED,
  },
  {
    name: 'POST with an idempotency key',
    route: 'POST /payments',
    definition: (url) => ({
      ...definition(url),
      id: 'pay',
      endpoint: { url: `${url}/payments`, method: 'POST', headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 2000 },
      retryPolicy: fastRetry(url),
    }),
    script: [{ status: 503 }, { status: 201, body: { id: 'pay_1' } }],
    safe: true,
    points: RETRIED,
  },
  {
    name: 'POST without an idempotency key',
    route: 'POST /notes',
    definition: (url) => ({
      ...definition(url),
      id: 'note',
      endpoint: { url: `${url}/notes`, method: 'POST', headers: {}, timeout: 2000 },
      retryPolicy: fastRetry(url),
    }),
    script: [{ status: 201, body: { id: 'note_1' } }],
    safe: false,
    points: ['attempt:begun', 'attempt:finished', 'transition:classifying', 'transition:storing', 'transition:completed'],
  },
];

const requestFor = (kind: Kind, executionId: string) =>
  executeRequest(kind.name === 'GET' ? 'get_user' : 'write', kind.definition('http://x').id, { userId: 'u_1' }, {}, executionId);

/** The journaled points one clean run passes, in order (with occurrence numbers). */
async function pointsOf(kind: Kind): Promise<{ point: string; nth: number }[]> {
  const api = await startScriptedApi();
  api.script(kind.route, kind.script);
  const dir = mkdtempSync(join(root, 'dry-'));
  const seen: string[] = [];
  const executor = createActionExecutor(
    withTestHooks(
      { dbPath: join(dir, 'j.db'), storageDir: join(dir, 's'), definitions: [kind.definition(api.url)], clock: createManualClock(Date.now(), { autoAdvance: true }) },
      { faultHook: (p) => void seen.push(p) },
    ),
  );
  await executor.execute(requestFor(kind, randomUUID()));
  await executor.close();
  await api.close();
  const counts = new Map<string, number>();
  return seen.map((point) => {
    const nth = (counts.get(point) ?? 0) + 1;
    counts.set(point, nth);
    return { point, nth };
  });
}

interface CrashResult {
  status: string;
  code: string | undefined;
  hitsBefore: number;
  hitsAfter: number;
  effects: number[];
  integrity: string;
  killed: boolean;
}

/** Runs a child that dies at `point` (or when the server receives the request), then resumes. */
async function crashAndResume(kind: Kind, point: string, nth: number, durability: Durability): Promise<CrashResult> {
  const api: ScriptedApi = await startScriptedApi();
  api.script(kind.route, point === 'server:received' ? [{ status: 201, body: { id: 'x' }, hang: true }, ...kind.script.slice(-1)] : kind.script);
  const dir = mkdtempSync(join(root, 'run-'));
  const executionId = randomUUID();
  const request = requestFor(kind, executionId);
  const defs = [kind.definition(api.url)];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      AE_DB: join(dir, 'j.db'),
      AE_STORAGE: join(dir, 's'),
      AE_DEFINITIONS: JSON.stringify(defs),
      AE_REQUEST: JSON.stringify(request),
      AE_KILL_AT: point,
      AE_KILL_NTH: String(nth),
      AE_DURABILITY: durability,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (point === 'server:received') {
    // Sent and applied by the server, never answered: the outcome is truly in doubt.
    api.onRequest = () => void child.kill('SIGKILL');
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, sig) => done(sig)));
  if (signal !== 'SIGKILL') throw new Error(`child was not killed at ${point}#${nth} (exit signal ${signal}): ${stderr.slice(0, 500)}`);
  const hitsBefore = api.hitsFor(kind.route).length;
  delete api.onRequest;

  const executor = createActionExecutor({
    dbPath: join(dir, 'j.db'),
    storageDir: join(dir, 's'),
    definitions: defs,
    durability,
    clock: createManualClock(Date.now(), { autoAdvance: true }),
  });
  try {
    const report = await executor.resumeAll();
    expect(report.errors).toEqual([]);
    const state = await executor.get(executionId, request.action.id);
    return {
      status: state?.status ?? 'missing',
      code: state?.result?.status === 'failure' ? state.result.error.code : undefined,
      hitsBefore,
      hitsAfter: api.hitsFor(kind.route).length,
      effects: [...api.effects.values()],
      integrity: (executor.journal as SqliteJournal).integrityCheck(),
      killed: true,
    };
  } finally {
    await executor.close();
    await api.close();
  }
}

for (const [kind, durability] of KINDS.flatMap((k) => DURABILITIES.map((d) => [k, d] as const))) {
  describe(`crash matrix: ${kind.name} (durability ${durability})`, () => {
    let points: { point: string; nth: number }[] = [];
    beforeAll(async () => {
      points = [...(await pointsOf(kind)), { point: 'server:received', nth: 1 }];
    });

    it('SIGKILL at every journaled point, then resume: terminal, effects at most once, integrity ok', async () => {
      expect(points.map((p) => p.point)).toEqual([...kind.points, 'server:received']);
      const results: { at: string; result: CrashResult }[] = [];
      // Two children at a time: the machine has two cores.
      for (let i = 0; i < points.length; i += 2) {
        const batch = points.slice(i, i + 2);
        results.push(...(await Promise.all(batch.map(async (p) => ({ at: `${p.point}#${p.nth}`, result: await crashAndResume(kind, p.point, p.nth, durability) })))));
      }
      for (const { at, result } of results) {
        const where = `killed at ${at}`;
        expect(result.integrity, where).toBe('ok');
        expect(['completed', 'failed', 'skipped'], where).toContain(result.status);
        expect(result.effects.every((n) => n === 1), `${where}: effects ${JSON.stringify(result.effects)}`).toBe(true);
        const inDoubt = at.startsWith('attempt:begun') || at.startsWith('server:received');
        if (kind.safe || !inDoubt) {
          expect(result.status, where).toBe('completed');
          expect(result.effects.length, where).toBe(kind.name === 'GET' ? 0 : 1);
        } else {
          // Sent (or about to be), outcome unknown, and not safe to repeat: ended, never re-sent.
          expect(result, where).toMatchObject({ status: 'failed', code: 'OUTCOME_UNKNOWN' });
          expect(result.hitsAfter, where).toBe(result.hitsBefore);
        }
      }
    }, 240_000);
  });
}

describe('cancel after a crash', () => {
  it('a dormant execution (its process died mid-backoff) is cancelled from the journal without re-running its effect', async () => {
    const kind = KINDS[1]!; // the keyed POST: 503, then it would be created
    const api = await startScriptedApi();
    api.script(kind.route, kind.script);
    const dir = mkdtempSync(join(root, 'cancel-'));
    const executionId = randomUUID();
    const request = requestFor(kind, executionId);
    const defs = [kind.definition(api.url)];
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, AE_DB: join(dir, 'j.db'), AE_STORAGE: join(dir, 's'), AE_DEFINITIONS: JSON.stringify(defs), AE_REQUEST: JSON.stringify(request), AE_KILL_AT: 'transition:backingOff' },
      stdio: 'ignore',
    });
    expect(await new Promise((done) => child.once('exit', (_code, signal) => done(signal)))).toBe('SIGKILL');
    const executor = createActionExecutor({ dbPath: join(dir, 'j.db'), storageDir: join(dir, 's'), definitions: defs });
    try {
      const state = await executor.cancel(executionId, request.action.id, 'operator gave up');
      expect(state.result).toMatchObject({ status: 'failure', error: { category: 'user_cancelled', code: 'CANCELLED', context: { cancelledIn: 'backingOff' } } });
      expect(await executor.get(executionId, request.action.id)).toEqual(state);
      expect(api.hitsFor(kind.route)).toHaveLength(1);
      expect((executor.journal as SqliteJournal).integrityCheck()).toBe('ok');
    } finally {
      await executor.close();
      await api.close();
    }
  }, 30_000);
});
