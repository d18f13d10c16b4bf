/**
 * The chaos soak (issue 6 §2): N executions — GETs, POSTs with an idempotency key, POSTs without —
 * against a local API that honours Idempotency-Key and counts effects (test/support/scripted-api.ts),
 * driven by an executor in a child process that is SIGKILLed at random (seeded) moments and restarted,
 * resuming with `resumeAll`, until every execution is terminal. Then the journal and the API's
 * counters are compared: nothing lost, no effect applied twice where repeating was claimed safe,
 * in-doubt unkeyed POSTs ended OUTCOME_UNKNOWN, and SQLite's integrity_check.
 *
 * Kill timing adapts to the work left (estimated from earlier lives) so the kills spread over the
 * whole run instead of all landing in its first seconds.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createActionExecutor } from '../src/execution/executor.ts';
import { mulberry32 } from '../src/support/random.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';
import { openSqliteJournal, type SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { startScriptedApi, type ScriptedApi, type ScriptedResponse } from '../test/support/scripted-api.ts';

const CHILD = resolve(import.meta.dirname, 'chaos-child.ts');

export type ChaosKind = 'get' | 'post_keyed' | 'post_unkeyed';

export interface ChaosOptions {
  executions: number;
  /** Kills to reach (the run keeps killing at random until then, while work is left). */
  kills: number;
  seed: number;
  /** Executions a child drives at once. @default 8 */
  concurrency?: number;
  /** The executor's durability mode in every life. @default 'process' */
  durability?: 'process' | 'machine';
  progress?: (line: string) => void;
}

export interface ChaosReport {
  executions: number;
  durability: 'process' | 'machine';
  byKind: Record<ChaosKind, number>;
  kills: number;
  /** Child processes started (kills + lives that ended on their own). */
  lives: number;
  seconds: number;
  completed: number;
  failed: number;
  /** Executions missing from the journal or not terminal at the end (must be 0). */
  lost: number;
  /** Keyed POSTs applied more than once, or under more than one key (must be 0). */
  duplicateKeyedEffects: number;
  /** GETs whose executions were re-sent after a crash (harmless: idempotent); GETs have no effect to duplicate. */
  getResends: number;
  /** Unkeyed POSTs that reached the server more than once (must be 0: an in-doubt one is never re-sent). */
  duplicateUnkeyedEffects: number;
  /** Unkeyed POSTs whose outcome was in doubt after a kill, ended failed with OUTCOME_UNKNOWN. */
  outcomeUnknown: number;
  /** Final states that fail ActionExecutionStateSchema (must be 0). */
  invalidStates: number;
  integrityCheck: string;
  seed: number;
}

export interface Planned {
  kind: ChaosKind;
  route: string;
  request: ActionExecuteRequest;
}

const fast = { maxAttempts: 4, initialDelay: 40, maxDelay: 200, backoffMultiplier: 2, jitter: true, retryableErrors: ['api_unexpected_status' as const, 'network_timeout' as const, 'network_connection_refused' as const] };

export function chaosDefinitions(url: string): ActionDefinition[] {
  const base = definition(url, { retryPolicy: fast, inputSchema: { n: 'string' } });
  return [
    { ...base, id: 'chaos-get', endpoint: { url: `${url}/items/{n}`, method: 'GET', headers: { Accept: 'application/json' }, timeout: 5000 } },
    { ...base, id: 'chaos-pay', endpoint: { url: `${url}/payments/{n}`, method: 'POST', headers: { 'Idempotency-Key': '{idempotencyKey}' }, timeout: 5000 } },
    { ...base, id: 'chaos-note', endpoint: { url: `${url}/notes/{n}`, method: 'POST', headers: {}, timeout: 5000 } },
  ];
}

/** The workload: a seeded mix of kinds, each with a script of (sometimes slow, sometimes failing) answers. */
export function plan(api: ScriptedApi, count: number, random: () => number): Planned[] {
  const slow = (): number => (random() < 0.5 ? Math.floor(random() * 60) : 0);
  return Array.from({ length: count }, (_, i) => {
    const pick = random();
    const kind: ChaosKind = pick < 0.4 ? 'get' : pick < 0.75 ? 'post_keyed' : 'post_unkeyed';
    const fail = random() < 0.4;
    const ok = (status: number): ScriptedResponse => ({ status, body: { id: `r_${i}` }, delayMs: slow() });
    const first: ScriptedResponse[] = fail && kind !== 'post_unkeyed' ? [{ status: 503, body: { error: 'busy' }, delayMs: slow() }] : [];
    const [route, definitionId, actionId] =
      kind === 'get' ? [`GET /items/${i}`, 'chaos-get', 'fetch'] : kind === 'post_keyed' ? [`POST /payments/${i}`, 'chaos-pay', 'pay'] : [`POST /notes/${i}`, 'chaos-note', 'note'];
    api.script(route, [...first, ok(kind === 'get' ? 200 : 201)]);
    return { kind, route, request: executeRequest(actionId, definitionId, { n: String(i) }, {}, randomUUID()) };
  });
}

interface Life {
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** When to kill a life: `delayMs` after the `hits`-th request of this life reaches the API. */
interface KillTrigger {
  hits: number;
  delayMs: number;
}

/** Starts a child; kills it when the trigger fires, unless it ends first. */
async function live(api: ScriptedApi, env: NodeJS.ProcessEnv, trigger: KillTrigger | undefined): Promise<Life> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.stdout.resume();
  let killed = false;
  let timer: NodeJS.Timeout | undefined;
  let seen = 0;
  if (trigger !== undefined) {
    api.onRequest = () => {
      seen += 1;
      if (seen !== trigger.hits) return;
      timer = setTimeout(() => {
        killed = child.kill('SIGKILL');
      }, trigger.delayMs);
    };
  }
  const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
  clearTimeout(timer);
  delete api.onRequest;
  return { killed, code, stderr };
}

/** Runs the soak and checks the journal against the API's counters. */
export async function runChaosSoak(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? ((): void => undefined);
  const random = mulberry32(options.seed);
  const api = await startScriptedApi();
  const dir = mkdtempSync(join(tmpdir(), 'ae-chaos-'));
  const dbPath = join(dir, 'journal.db');
  const storageDir = join(dir, 'storage');
  const started = performance.now();
  try {
    const definitions = chaosDefinitions(api.url);
    const planned = plan(api, options.executions, random);
    const requestsFile = join(dir, 'requests.json');
    writeFileSync(requestsFile, JSON.stringify(planned.map((p) => p.request)));
    const terminalCount = async (): Promise<number> => {
      if (!existsSync(dbPath)) return 0;
      const journal = openSqliteJournal(dbPath, { readOnly: true });
      try {
        return (await journal.listExecutions({ statuses: ['completed', 'failed', 'skipped'], limit: 0 })).total;
      } finally {
        await journal.close();
      }
    };

    // Requests the whole run sends (a 503 first for 40 % of GETs and keyed POSTs), spread over the
    // kills with room to spare, so the target is reached while work is left.
    const hitsPerLife = Math.max(2, (planned.length * 1.3) / (options.kills * 1.5));
    let kills = 0;
    let lives = 0;
    while ((await terminalCount()) < planned.length) {
      const trigger: KillTrigger | undefined =
        kills < options.kills ? { hits: 1 + Math.floor(random() * 2 * hitsPerLife), delayMs: Math.floor(random() * 30) } : undefined;
      lives += 1;
      const life = await live(
        api,
        {
          CHAOS_DB: dbPath,
          CHAOS_STORAGE: storageDir,
          CHAOS_DEFINITIONS: JSON.stringify(definitions),
          CHAOS_REQUESTS: requestsFile,
          CHAOS_CONCURRENCY: String(options.concurrency ?? 8),
          CHAOS_DURABILITY: options.durability ?? 'process',
          CHAOS_SEED: String(options.seed * 1000 + lives),
        },
        trigger,
      );
      if (life.killed) kills += 1;
      else if (life.code !== 0) throw new Error(`chaos child exited with code ${life.code} (not killed): ${life.stderr}`);
      if (lives % 10 === 0 || !life.killed) progress(`lives ${lives}, kills ${kills}, terminal ${await terminalCount()}/${planned.length}`);
      if (lives > options.kills * 4 + 50) throw new Error(`chaos soak did not converge after ${lives} child processes`);
    }

    // The verdict: a fresh executor over the same files reads every execution.
    const reader = createActionExecutor({ dbPath, storageDir, definitions, durability: options.durability ?? 'process' });
    try {
      const report: ChaosReport = {
        executions: planned.length,
        durability: options.durability ?? 'process',
        byKind: { get: 0, post_keyed: 0, post_unkeyed: 0 },
        kills,
        lives,
        seconds: (performance.now() - started) / 1000,
        completed: 0,
        failed: 0,
        lost: 0,
        duplicateKeyedEffects: 0,
        getResends: 0,
        duplicateUnkeyedEffects: 0,
        outcomeUnknown: 0,
        invalidStates: 0,
        integrityCheck: (reader.journal as SqliteJournal).integrityCheck(),
        seed: options.seed,
      };
      const effectKeys = [...api.effects.entries()];
      for (const p of planned) {
        report.byKind[p.kind] += 1;
        const state = await reader.get(p.request.executionId, p.request.action.id);
        if (!state || !['completed', 'failed', 'skipped'].includes(state.status)) {
          report.lost += 1;
          continue;
        }
        if (!ActionExecutionStateSchema.safeParse(state).success) report.invalidStates += 1;
        if (state.status === 'completed') report.completed += 1;
        if (state.status === 'failed') report.failed += 1;
        const hits = api.hitsFor(p.route).length;
        if (p.kind === 'post_keyed') {
          const applied = effectKeys.filter(([key]) => key.startsWith(`${p.route}|`));
          if (applied.length > 1 || applied.some(([, count]) => count > 1)) report.duplicateKeyedEffects += 1;
        } else if (p.kind === 'post_unkeyed') {
          // Every answer to an unkeyed POST is a 201: each hit applied the effect once.
          if (hits > 1) report.duplicateUnkeyedEffects += 1;
          if (state.result?.status === 'failure' && state.result.error.code === 'OUTCOME_UNKNOWN') report.outcomeUnknown += 1;
        } else if (hits > state.attempts) {
          report.getResends += 1;
        }
      }
      return report;
    } finally {
      await reader.close();
    }
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
