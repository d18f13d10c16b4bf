/**
 * Side by side in one run (issue 9): the executor as it was before the redesign (a worktree of
 * `baseline`, default the last commit before it) against this checkout in both durability modes,
 * and a bare ky GET, each in a process of its own (bench/compare-child.ts) against one local API.
 * Rounds alternate between the sides so a load spike on a shared machine hits all of them. Reports
 * durable actions/s and latency at each concurrency, the durable/bare ratio, journal commits and
 * fsyncs per action (counted by strace on a separate pass, so counting costs no timing), and the
 * resume of a backlog of backed-off executions.
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarize, type LoadResult, type TimedRun } from './bench-stats.ts';
import type { BenchServer } from './bench-server.ts';

const CHILD = resolve(import.meta.dirname, 'compare-child.ts');
const REPO = resolve(import.meta.dirname, '..');
/** The last commit before the issue 9 redesign: "today" in the figures. */
export const DEFAULT_BASELINE = 'b01fafc';

export interface Side {
  label: string;
  root: string;
  kind: 'bare' | 'durable';
  durability: 'process' | 'machine';
}

export interface SideResult {
  side: Omit<Side, 'root'>;
  byConcurrency: { concurrency: number; load: LoadResult; commitsPerAction: number; cpuMsPerAction: number }[];
  fsyncsPerAction?: number;
  resume?: { executions: number; resumeSeconds: number; perSecond: number; completed: number };
}

export interface CompareReport {
  baseline: string;
  sides: SideResult[];
  strace: boolean;
  fsyncActions: number;
}

export interface CompareOptions {
  actions: number;
  rounds: number;
  concurrencies: number[];
  /** Executions of the resume backlog (0: skip). */
  resumeExecutions: number;
  /** Actions of the strace pass that counts fsyncs. @default 300 */
  fsyncActions?: number;
  /** Git ref of the "before" side; null: no before side. */
  baseline: string | null;
  progress: (line: string) => void;
}

interface Child {
  process: ChildProcess;
  request<T>(message: object): Promise<T>;
}

function startChild(side: Side, api: string): Promise<Child> {
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, AE_ROOT: side.root, AE_KIND: side.kind, AE_DURABILITY: side.durability, AE_API: api },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((ready, fail) => {
    const onFirst = (message: { op: string; message?: string }): void => {
      if (message.op === 'ready') ready({ process: child, request });
      else fail(new Error(`${side.label}: ${message.message ?? message.op}`));
    };
    child.once('message', onFirst);
    child.once('exit', (code) => fail(new Error(`${side.label} exited with ${code} before it was ready`)));
  });
  function request<T>(message: object): Promise<T> {
    return new Promise((done, fail) => {
      child.once('message', (reply: { op: string; message?: string }) => (reply.op === 'error' ? fail(new Error(`${side.label}: ${reply.message}`)) : done(reply as T)));
      child.send(message);
    });
  }
}

/** A worktree of `ref` beside the repository's temp files, sharing this checkout's node_modules. */
function baselineTree(ref: string): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'ae-baseline-'));
  rmSync(root, { recursive: true, force: true });
  execFileSync('git', ['worktree', 'add', '--detach', root, ref], { cwd: REPO, stdio: 'ignore' });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return {
    root,
    remove: () => {
      execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: REPO, stdio: 'ignore' });
    },
  };
}

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** fsync + fdatasync calls of every thread of `pid` while `during` runs (strace -c attached to it). */
async function countFsyncs(pid: number, during: () => Promise<unknown>): Promise<number> {
  const out = join(mkdtempSync(join(tmpdir(), 'ae-strace-')), 'summary.txt');
  const tracer = spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
  await new Promise((attached) => setTimeout(attached, 500));
  await during();
  tracer.kill('SIGINT');
  await new Promise((exited) => tracer.once('exit', exited));
  const summary = existsSync(out) ? readFileSync(out, 'utf8') : '';
  rmSync(join(out, '..'), { recursive: true, force: true });
  let calls = 0;
  for (const line of summary.split('\n')) {
    const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)\s*$/.exec(line);
    if (match) calls += Number(match[1]);
  }
  return calls;
}

export async function runComparison(server: BenchServer, options: CompareOptions): Promise<CompareReport> {
  const baseline = options.baseline === null ? null : baselineTree(options.baseline);
  const sides: Side[] = [
    { label: 'bare ky GET', root: REPO, kind: 'bare', durability: 'process' },
    ...(baseline ? [{ label: `before (${options.baseline})`, root: baseline.root, kind: 'durable' as const, durability: 'process' as const }] : []),
    { label: 'after, durability process', root: REPO, kind: 'durable', durability: 'process' },
    { label: 'after, durability machine', root: REPO, kind: 'durable', durability: 'machine' },
  ];
  const strace = hasStrace();
  const children: Child[] = [];
  try {
    for (const side of sides) children.push(await startChild(side, server.url));
    const results: SideResult[] = sides.map((side) => ({ side: { label: side.label, kind: side.kind, durability: side.durability }, byConcurrency: [] }));
    type LoadReply = { run: TimedRun; commits: number; cpuMs: number };
    // Warm-up: JIT, connection pools, SQLite page cache, storage directories.
    for (const child of children) await child.request<LoadReply>({ op: 'load', count: 200, concurrency: 16 });
    for (const concurrency of options.concurrencies) {
      const perRound = Math.max(concurrency, Math.ceil(options.actions / options.rounds));
      const runs: { runs: TimedRun[]; commits: number; cpuMs: number }[] = sides.map(() => ({ runs: [], commits: 0, cpuMs: 0 }));
      for (let round = 0; round < options.rounds; round += 1) {
        options.progress(`compare: concurrency ${concurrency}, round ${round + 1}/${options.rounds}`);
        // Rotate who goes first, so no side always runs on a warmer (or busier) machine.
        for (let k = 0; k < children.length; k += 1) {
          const index = (k + round) % children.length;
          const reply = await children[index]!.request<LoadReply>({ op: 'load', count: perRound, concurrency });
          const slot = runs[index]!;
          slot.runs.push(reply.run);
          slot.commits += reply.commits;
          slot.cpuMs += reply.cpuMs;
        }
      }
      runs.forEach((slot, index) => {
        const load = summarize(slot.runs);
        results[index]!.byConcurrency.push({ concurrency, load, commitsPerAction: slot.commits / load.operations, cpuMsPerAction: slot.cpuMs / load.operations });
      });
    }
    if (strace) {
      for (const [index, child] of children.entries()) {
        if (sides[index]!.kind !== 'durable') continue;
        options.progress(`compare: counting fsyncs of ${sides[index]!.label}`);
        const count = options.fsyncActions ?? 300;
        const calls = await countFsyncs(child.process.pid!, () => child.request({ op: 'load', count, concurrency: 16 }));
        results[index]!.fsyncsPerAction = calls / count;
      }
    }
    if (options.resumeExecutions > 0) {
      for (const [index, child] of children.entries()) {
        if (sides[index]!.kind !== 'durable') continue;
        options.progress(`compare: resume ${options.resumeExecutions} backed-off executions, ${sides[index]!.label}`);
        const reply = await child.request<{ result: { executions: number; resumeSeconds: number; perSecond: number; completed: number } }>({ op: 'resume', executions: options.resumeExecutions });
        const { executions, resumeSeconds, perSecond, completed } = reply.result;
        results[index]!.resume = { executions, resumeSeconds, perSecond, completed };
      }
    }
    return { baseline: options.baseline ?? '', sides: results, strace, fsyncActions: options.fsyncActions ?? 300 };
  } finally {
    for (const child of children) {
      child.process.send({ op: 'exit' });
      await new Promise((exited) => (child.process.exitCode !== null ? exited(undefined) : child.process.once('exit', exited)));
    }
    baseline?.remove();
  }
}
