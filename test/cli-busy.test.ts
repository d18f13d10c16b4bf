/**
 * Issue 13 item 2 (the CLI half): when another live process drives the execution, the CLI exits with
 * the distinct code 4 ("busy"), prints a JSON error object under --json, and `--wait [SECONDS]` retries
 * with a bounded backoff until the holder ends (then returns its recorded result) or the time is up.
 * The holder is a real executor on the same journal, with its request parked on a local server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { EXIT } from '../src/cli/cli.ts';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import type { ActionExecutionState } from '../src/schemas/execution-state.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import type { Clock } from '../src/support/clock.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';

const BIN = resolve(import.meta.dirname, '../bin/action-executor.js');

/** An API whose GET /users/:id is held until `release()`: the holder's attempt stays in flight meanwhile. */
interface GatedApi {
  url: string;
  hits: number;
  /** Resolves when the first request has arrived (its intent is journaled by then). */
  arrived: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startGatedApi(): Promise<GatedApi> {
  const parked: ServerResponse[] = [];
  let released = false;
  let arrive!: () => void;
  const arrived = new Promise<void>((r) => (arrive = r));
  const answer = (res: ServerResponse): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'u_1', name: 'Ada' }));
  const server: Server = createServer((req, res) => {
    api.hits += 1;
    req.resume();
    arrive();
    if (released) answer(res);
    else parked.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api: GatedApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: 0,
    arrived,
    release() {
      released = true;
      for (const res of parked.splice(0)) answer(res);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return api;
}

/** The CLI's own clock for `--wait`: sleeps return at once, recording how long they asked for. */
function recordingClock(onSleep: () => Promise<void> = async () => undefined): Clock & { slept: number[] } {
  let now = Date.UTC(2026, 0, 1);
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    async sleepUntil(until) {
      slept.push(until - now);
      now = until;
      await onSleep();
    },
  };
}

let api: GatedApi;
let cli: CliSandbox;
let holder: ActionExecutor;
let held: Promise<ActionExecutionState | undefined>;

beforeEach(async () => {
  api = await startGatedApi();
  const def = definition(api.url, { endpoint: { url: `${api.url}/users/{userId}`, method: 'GET', headers: {}, timeout: 15_000 } });
  cli = createCliSandbox([def]);
  const request = executeRequest('get_user', 'get-user', { userId: 'u_1' });
  cli.write('request.json', request);
  // The holder: another executor (its own journal connection and owner lock) in the middle of a request.
  holder = createActionExecutor({ db: join(cli.dir, 'state/j.db'), storage: join(cli.dir, 'state/s'), definitions: [def] });
  held = holder.execute(request).catch(() => undefined);
  await api.arrived;
});
afterEach(async () => {
  api.release();
  await held;
  await holder.close();
  await api.close();
  cli.cleanup();
});

describe('busy: another live process drives the execution (issue 13 item 2)', () => {
  it('execute exits 4 with a "busy:" line naming the holder, and sends nothing', async () => {
    const result = await cli.run(['execute', 'request.json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.busy);
    expect(result.stderr).toMatch(new RegExp(`^busy: Execution ${EXEC_ID} / get_user is being run by another live process \\(pid ${process.pid} on .+\\)`));
    expect(result.stderr).toContain('--wait');
    expect(api.hits).toBe(1);
  });

  it('under --json the busy exit prints one { "error": ErrorDetail } document on stdout with code LEASE_HELD', async () => {
    const result = await cli.run(['execute', 'request.json', '--json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.busy);
    const document = JSON.parse(result.stdout) as { error: unknown };
    expect(Object.keys(document)).toEqual(['error']);
    expect(ErrorDetailSchema.parse(document.error)).toMatchObject({ category: 'state_inconsistent', code: 'LEASE_HELD', retryable: true, context: { executionId: EXEC_ID, actionId: 'get_user', holderPid: String(process.pid) } });
  });

  it('resume <executionId> <actionId> is busy the same way (exit 4)', async () => {
    const result = await cli.run(['resume', EXEC_ID, 'get_user', ...cli.flags()]);
    expect(result.code).toBe(EXIT.busy);
    expect(result.stderr).toMatch(/^busy: /);
  });

  it('--wait: once the holder finishes, the waiting execute returns its recorded result (exit 0) without sending again', async () => {
    const clock = recordingClock(async () => {
      // The first back-off: the holder's response arrives and it completes meanwhile.
      api.release();
      await held;
    });
    const result = await cli.run(['execute', 'request.json', '--wait', '30', ...cli.flags()], '', { clock });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/✓ get_user: completed/);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^busy: .* waiting up to 30 s for it \(--wait 30\)$/)]);
    expect(clock.slept).toEqual([200]);
    expect(api.hits).toBe(1);
  });

  it('--wait N gives up when N seconds have passed, exit 4, after a backoff that doubles and is capped at 2 s', async () => {
    const clock = recordingClock();
    const result = await cli.run(['execute', 'request.json', '--wait', '10', '--json', ...cli.flags()], '', { clock });
    expect(result.code).toBe(EXIT.busy);
    expect(clock.slept).toEqual([200, 400, 800, 1600, 2000, 2000, 2000, 1000]);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string; context: Record<string, string> } };
    expect(error.code).toBe('LEASE_HELD');
    expect(error.message).toContain('Waited 10 s (--wait 10); it is still held.');
    expect(error.context.waitedMs).toBe('10000');
    expect(api.hits).toBe(1);
  });

  it('bare --wait (no number) waits until the holder ends, and does not take the next argument as seconds', async () => {
    let sleeps = 0;
    const clock = recordingClock(async () => {
      sleeps += 1;
      if (sleeps === 12) {
        api.release();
        await held;
      }
    });
    const result = await cli.run(['execute', '--wait', 'request.json', ...cli.flags()], '', { clock });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(clock.slept).toHaveLength(12);
    expect(Math.max(...clock.slept)).toBe(2000);
    expect(result.stderr).toContain('waiting until it ends (--wait)');
  });

  it('a --wait that is not a number of seconds is bad input; resume --all refuses --wait', async () => {
    const bad = await cli.run(['execute', 'request.json', '--wait=soon', ...cli.flags()]);
    expect(bad.code).toBe(EXIT.usage);
    expect(lines(bad.stderr)).toEqual(['error: --wait takes a number of seconds (or nothing: wait until the holder ends), not "soon"']);
    const all = await cli.run(['resume', '--all', '--wait', '5', ...cli.flags()]);
    expect(all.code).toBe(EXIT.usage);
    expect(lines(all.stderr)).toEqual(['error: --wait applies to one execution (execute, or resume <executionId> <actionId>); resume --all counts busy executions in its report']);
  });

  it('through the real binary in another process: exit 4 and exactly one JSON document on stdout, no raw log lines', async () => {
    const child = spawn(process.execPath, [BIN, 'execute', 'request.json', '--json', ...cli.flags().filter((f) => f !== 'silent' && f !== '--log-level')], { cwd: cli.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(killer);
    expect(code, stderr).toBe(EXIT.busy);
    expect(ErrorDetailSchema.parse((JSON.parse(stdout) as { error: unknown }).error)).toMatchObject({ code: 'LEASE_HELD', context: { holderPid: String(process.pid) } });
    for (const line of lines(stderr)) expect(line).not.toMatch(/^\s*\{/);
    expect(api.hits).toBe(1);
  });
});

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
