/**
 * The fleet soak (issue 10): several worker processes, each under a host name of its own
 * (`unshare --uts`, where the machine allows it), share one Postgres journal and storage and compete
 * for one workload of GETs, keyed POSTs and unkeyed POSTs against a local API that counts effects.
 * Workers are SIGKILLed at random moments and replaced by fresh ones, which take the dead workers'
 * executions over. The verdict: nothing lost; no effect applied twice where the executor claims
 * repeating is safe; unkeyed in-doubt POSTs end OUTCOME_UNKNOWN and are never re-sent; and no
 * execution was ever driven by two live workers at once — read from the API's hit log (which
 * worker sent each attempt, and when) against the kill times, and from the journal (no unkeyed POST
 * reached the API more often than the journal holds attempt intents for it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mulberry32 } from '../src/support/random.ts';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { startScriptedApi, type Hit } from '../test/support/scripted-api.ts';
import { chaosDefinitions, plan, type ChaosKind } from './chaos-soak.ts';

const CHILD = resolve(import.meta.dirname, 'fleet-child.ts');

export interface FleetOptions {
  /** A postgres:// URL of an empty database the fleet may use. */
  url: string;
  executions: number;
  kills: number;
  /** Workers alive at any time. @default 4 */
  workers?: number;
  seed: number;
  /** Executions a worker drives at once. @default 8 */
  concurrency?: number;
  progress?: (line: string) => void;
}

export interface FleetReport {
  executions: number;
  byKind: Record<ChaosKind, number>;
  workers: number;
  /** Distinct host names the workers ran under (unshare --uts), or 0 where that is not possible. */
  hostNames: number;
  kills: number;
  lives: number;
  seconds: number;
  completed: number;
  failed: number;
  lost: number;
  duplicateKeyedEffects: number;
  duplicateUnkeyedEffects: number;
  outcomeUnknown: number;
  /** Attempts sent by a worker while another live worker had already sent one for the same execution. */
  overlappingDrivers: number;
  /** Unkeyed POSTs the API received more often than the journal has attempts for them (two writers' intents). */
  unjournaledSends: number;
  /** Executions driven by more than one worker (taken over after a kill). */
  takenOver: number;
  invalidStates: number;
  seed: number;
}

/** Whether this machine lets us give a child its own host name. */
function canUnshareUts(): boolean {
  return spawnSync('unshare', ['--uts', 'true'], { stdio: 'ignore' }).status === 0;
}

interface Worker {
  id: string;
  child: ChildProcess;
  killedAt?: number;
  exited: Promise<number | null>;
}

function fleetDefinitions(url: string): ActionDefinition[] {
  return chaosDefinitions(url).map((definition) => ({ ...definition, authentication: { type: 'custom', handler: 'fleet' } }));
}

export async function runFleetSoak(options: FleetOptions): Promise<FleetReport> {
  const progress = options.progress ?? ((): void => undefined);
  const random = mulberry32(options.seed);
  const size = options.workers ?? 4;
  const api = await startScriptedApi();
  const dir = mkdtempSync(join(tmpdir(), 'ae-fleet-'));
  const started = performance.now();
  const uts = canUnshareUts();
  const hostNames = new Set<string>();
  const workers: Worker[] = [];
  let lives = 0;
  try {
    const definitions = fleetDefinitions(api.url);
    const planned = plan(api, options.executions, random);
    const requestsFile = join(dir, 'requests.json');
    writeFileSync(requestsFile, JSON.stringify(planned.map((p) => p.request)));

    const start = (): Worker => {
      lives += 1;
      const id = `fleet-worker-${lives}-${Math.floor(random() * 1e9).toString(36)}`;
      const host = `fleet-${lives}`;
      const env = {
        ...process.env,
        FLEET_DB: options.url,
        FLEET_DEFINITIONS: JSON.stringify(definitions),
        FLEET_REQUESTS: requestsFile,
        FLEET_WORKER: id,
        FLEET_SEED: String(options.seed * 1000 + lives),
        FLEET_CONCURRENCY: String(options.concurrency ?? 8),
      };
      const node = [process.execPath, '--import', 'tsx', CHILD];
      // `exec` keeps one pid from unshare to node, so the kill reaches the worker itself.
      const child = uts
        ? spawn('unshare', ['--uts', 'sh', '-c', `hostname ${host} && exec "$@"`, 'sh', ...node], { env, stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn(node[0]!, node.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
      if (uts) hostNames.add(host);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      const worker: Worker = {
        id,
        child,
        exited: new Promise((done) =>
          child.once('exit', (code) => {
            if (code !== 0 && worker.killedAt === undefined) progress(`worker ${id} exited ${code}: ${stderr.slice(-800)}`);
            done(code);
          }),
        ),
      };
      workers.push(worker);
      return worker;
    };

    for (let i = 0; i < size; i += 1) start();
    // Kill a random live worker every `gap` requests the API receives, and start a fresh one.
    // Early enough that every kill lands while work is left (a run sends about 1.3 requests per execution).
    const gap = Math.max(3, Math.floor(planned.length / Math.max(1, options.kills + 5)));
    let kills = 0;
    let sinceKill = 0;
    api.onRequest = () => {
      sinceKill += 1;
      if (kills >= options.kills || sinceKill < gap) return;
      const alive = workers.filter((w) => w.killedAt === undefined && w.child.exitCode === null);
      const victim = alive[Math.floor(random() * alive.length)];
      if (!victim) return;
      sinceKill = 0;
      kills += 1;
      victim.killedAt = Date.now();
      victim.child.kill('SIGKILL');
      start();
      if (kills % 10 === 0) progress(`kills ${kills}/${options.kills}, lives ${lives}`);
    };
    // The fleet is done when every worker that was not killed has finished on its own.
    for (;;) {
      await Promise.all(workers.filter((w) => w.killedAt === undefined).map((w) => w.exited));
      const survivors = workers.filter((w) => w.killedAt === undefined);
      if (survivors.some((w) => w.child.exitCode === null)) continue; // started meanwhile
      const codes = survivors.map((w) => w.child.exitCode);
      if (codes.some((code) => code !== 0)) throw new Error(`a fleet worker exited with ${codes.join(', ')} without being killed`);
      break;
    }
    delete api.onRequest;

    // The verdict: a fresh executor over the same database reads every execution.
    const reader = await openActionExecutor({ db: options.url, definitions });
    try {
      const report: FleetReport = {
        executions: planned.length,
        byKind: { get: 0, post_keyed: 0, post_unkeyed: 0 },
        workers: size,
        hostNames: hostNames.size,
        kills,
        lives,
        seconds: (performance.now() - started) / 1000,
        completed: 0,
        failed: 0,
        lost: 0,
        duplicateKeyedEffects: 0,
        duplicateUnkeyedEffects: 0,
        outcomeUnknown: 0,
        overlappingDrivers: 0,
        unjournaledSends: 0,
        takenOver: 0,
        invalidStates: 0,
        seed: options.seed,
      };
      const killedAt = new Map(workers.map((w) => [w.id, w.killedAt]));
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
        const hits = api.hitsFor(p.route);
        if (p.kind === 'post_keyed') {
          const applied = effectKeys.filter(([key]) => key.startsWith(`${p.route}|`));
          if (applied.length > 1 || applied.some(([, count]) => count > 1)) report.duplicateKeyedEffects += 1;
        } else if (p.kind === 'post_unkeyed') {
          if (hits.length > 1) report.duplicateUnkeyedEffects += 1;
          if (state.result?.status === 'failure' && state.result.error.code === 'OUTCOME_UNKNOWN') report.outcomeUnknown += 1;
        }
        const drivers = driversOf(hits);
        if (drivers.length > 1) report.takenOver += 1;
        report.overlappingDrivers += overlaps(hits, killedAt);
        // From the journal: every send needs a committed intent first, and a fenced commit of a worker
        // that lost the lease is refused — so an unkeyed POST never reaches the API more often than
        // the journal holds attempts for it.
        if (p.kind === 'post_unkeyed') {
          const attempts = await reader.journal.listAttempts({ executionId: p.request.executionId, actionId: p.request.action.id });
          if (hits.length > attempts.length) report.unjournaledSends += 1;
        }
      }
      return report;
    } finally {
      await reader.close();
    }
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The workers that sent attempts for one execution, in the order they first did. */
function driversOf(hits: readonly Hit[]): string[] {
  const seen: string[] = [];
  for (const hit of hits) {
    const worker = String(hit.headers['x-fleet-worker'] ?? '');
    if (!seen.includes(worker)) seen.push(worker);
  }
  return seen;
}

/**
 * Hits sent by a worker after another worker had sent one for the same execution while that other
 * worker was still alive — two live drivers. A driver change is legitimate only once the previous
 * driver was killed before the new one's first attempt.
 */
function overlaps(hits: readonly Hit[], killedAt: ReadonlyMap<string, number | undefined>): number {
  let count = 0;
  for (let i = 1; i < hits.length; i += 1) {
    const before = String(hits[i - 1]!.headers['x-fleet-worker'] ?? '');
    const now = String(hits[i]!.headers['x-fleet-worker'] ?? '');
    if (before === now) continue;
    const death = killedAt.get(before);
    if (death === undefined || death > hits[i]!.at) count += 1;
  }
  return count;
}
