/**
 * One side of the side-by-side comparison (bench/compare.ts): a process of its own that loads an
 * executor from the source tree `AE_ROOT` — this checkout, or a worktree of the commit being compared
 * against — and runs what the parent asks over IPC. Both trees keep the same test harness
 * (`test/support/executor-harness.ts`) and bench files, which is what lets one child drive either.
 *
 * Environment: AE_ROOT (source tree), AE_KIND (`bare` | `durable`), AE_DURABILITY (`process` |
 * `machine`; a tree without durability modes ignores it), AE_API (the shared bench API's URL).
 * Messages in: `{ op: 'load', count, concurrency }`, `{ op: 'resume', executions }`, `{ op: 'exit' }`.
 * Messages out: `{ op: 'ready' }`, the result of each op, or `{ op: 'error', message }`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ky from 'ky';
import type * as BenchStats from './bench-stats.ts';
import type * as BenchServerModule from './bench-server.ts';

type Message = { op: 'load'; count: number; concurrency: number } | { op: 'resume'; executions: number } | { op: 'exit' };

interface Executor {
  execute(request: unknown): Promise<{ status: string; result?: unknown }>;
  close(): Promise<void>;
  journal: { stats?: { commits: number }; transactionCount?: number };
}

const root = process.env['AE_ROOT'] ?? process.cwd();
const kind = process.env['AE_KIND'] ?? 'durable';
const durability = process.env['AE_DURABILITY'] === 'machine' ? 'machine' : 'process';
const api = process.env['AE_API'] ?? '';
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, path)).href)) as T;
const send = (message: unknown): void => void process.send?.(message);

const harness = await load<{
  definition: (url: string) => unknown;
  executeRequest: (actionId: string, definitionId: string, inputs: Record<string, unknown>, previous: Record<string, string>, executionId: string) => unknown;
}>('test/support/executor-harness.ts');
const executorPath = existsSync(join(root, 'src/execution/executor.ts')) ? 'src/execution/executor.ts' : 'src/executor.ts';
const { createActionExecutor } = await load<{ createActionExecutor: (options: Record<string, unknown>) => Executor }>(executorPath);
const { timeLoad, summarize } = await load<typeof BenchStats>('bench/bench-stats.ts');

const dir = mkdtempSync(join(tmpdir(), 'ae-compare-'));
const executor = kind === 'durable' ? createActionExecutor({ dbPath: join(dir, 'journal.db'), storageDir: join(dir, 'storage'), definitions: [harness.definition(api)], durability }) : undefined;
const client = ky.create({ retry: 0, timeout: 10_000 });
const commits = (): number => executor?.journal.stats?.commits ?? executor?.journal.transactionCount ?? 0;

const once = async (): Promise<void> => {
  if (!executor) {
    await client.get(`${api}/users/u_1`, { headers: { Accept: 'application/json' } }).json();
    return;
  }
  const state = await executor.execute(harness.executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, randomUUID()));
  if (state.status !== 'completed') throw new Error(`bench action ended ${state.status}: ${JSON.stringify(state.result)}`);
};

async function handle(message: Message): Promise<void> {
  if (message.op === 'load') {
    const commitsBefore = commits();
    const cpuBefore = process.cpuUsage();
    const run = await timeLoad(message.count, message.concurrency, once);
    const cpu = process.cpuUsage(cpuBefore);
    send({ op: 'load', run, summary: summarize([run]), commits: commits() - commitsBefore, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (message.op === 'resume') {
    const { startBenchServer } = await load<typeof BenchServerModule>('bench/bench-server.ts');
    const { runResumeBacklog } = await load<{ runResumeBacklog: (server: unknown, options: Record<string, unknown>) => Promise<unknown> }>('bench/resume-backlog.ts');
    const server = await startBenchServer();
    try {
      send({ op: 'resume', result: await runResumeBacklog(server, { executions: message.executions, durability }) });
    } finally {
      await server.close();
    }
  } else {
    await executor?.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
}

process.on('message', (message: Message) => {
  handle(message).catch((error: unknown) => send({ op: 'error', message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }));
});
send({ op: 'ready' });
