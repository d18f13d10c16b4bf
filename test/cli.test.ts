import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { WebSocketServer } from 'ws';
import { main, EXIT } from '../src/cli/cli.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';

let api: ScriptedApi;
let dir: string;

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, stdin: Readable.from([stdin]), cwd: dir });
  return { code, stdout: out.text(), stderr: err.text() };
}

const user = { id: 'u_1', name: 'Ada', email: 'ada@example.com' };
const flags = () => ['--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s', '--log-level', 'silent'];

beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-cli-'));
  mkdirSync(join(dir, 'defs'));
  writeFileSync(join(dir, 'defs', 'get-user.json'), JSON.stringify(definition(api.url)));
  writeFileSync(join(dir, 'request.json'), JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'u_1' })));
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI action-executor', () => {
  it('execute --json prints only the final ActionExecutionState on stdout and exits 0 when completed', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const { code, stdout } = await run(['execute', 'request.json', '--json', ...flags()]);
    expect(code).toBe(EXIT.ok);
    const state = ActionExecutionStateSchema.parse(JSON.parse(stdout));
    expect(state).toMatchObject({ status: 'completed', actionId: 'get_user' });
  });

  it('execute exits 1 when the action fails, and prints the error with its suggestion', async () => {
    api.script('GET /users/u_1', [{ status: 404, body: { message: 'no such user' } }]);
    const { code, stdout } = await run(['execute', 'request.json', ...flags()]);
    expect(code).toBe(EXIT.actionFailed);
    expect(stdout).toContain('requesting → classifying');
    expect(stdout).toMatch(/attempt 1: GET .*\/users\/u_1 → 404/);
    expect(stdout).toContain('error: api_endpoint_removed');
    expect(stdout).toContain('suggestion:');
  });

  it('human output shows each attempt, the delay chosen and why', async () => {
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    const { code, stdout } = await run(['execute', 'request.json', ...flags()]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/attempt 1: GET .* → 503/);
    expect(stdout).toMatch(/waiting \d+ ms: .*503/);
    expect(stdout).toMatch(/✓ get_user: completed .* after 2 attempts/);
  });

  it('reads the request from stdin with -', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: user }]);
    const { code, stdout } = await run(['execute', '-', '--json', ...flags()], JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'u_1' })));
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).status).toBe('completed');
  });

  it('a request file that is not JSON exits 2 naming the file, line and column, without a stack trace', async () => {
    writeFileSync(join(dir, 'bad.json'), '{\n  "executionId": "x",\n  oops\n}');
    const { code, stderr } = await run(['execute', 'bad.json', ...flags()]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(/bad\.json:3:\d+: not valid JSON/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a request that does not match the payload schema exits 2 with the JSON paths', async () => {
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ executionId: 'not-a-uuid', action: { id: 'a' }, context: {} }));
    const { code, stderr } = await run(['execute', 'wrong.json', ...flags()]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('wrong.json: does not match the expected shape');
    expect(stderr).toContain('$.executionId');
    expect(stderr).toContain('$.action.actionDefinitionId');
    expect(stderr).toContain('$.context.credentials');
  });

  it('a missing request file exits 2 saying so', async () => {
    const { code, stderr } = await run(['execute', 'nope.json', ...flags()]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('nope.json: cannot read the file (no such file)');
  });

  it('a missing definitions directory exits 2 and says which flag to pass', async () => {
    const { code, stderr } = await run(['execute', 'request.json', '--definitions', 'missing']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('--definitions');
  });

  it('unknown commands and flags exit 2 with usage; --help exits 0', async () => {
    expect((await run(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await run(['list', '--bogus'])).code).toBe(EXIT.usage);
    const help = await run(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('Usage: action-executor');
  });

  it('machine --format mermaid draws every state without network; json parses; other formats exit 2', async () => {
    const mermaid = await run(['machine', '--format', 'mermaid']);
    expect(mermaid.code).toBe(EXIT.ok);
    expect(mermaid.stdout.startsWith('stateDiagram-v2')).toBe(true);
    for (const state of ['resolving', 'validating', 'requesting', 'classifying', 'backingOff', 'storing', 'completed', 'failed', 'skipped']) {
      expect(mermaid.stdout).toContain(state);
    }
    const json = await run(['machine', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'actionExecution' });
    expect((await run(['machine', '--format', 'svg'])).code).toBe(EXIT.usage);
  });

  it('show prints the journal timeline; list prints the executions', async () => {
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: user }]);
    await run(['execute', 'request.json', '--json', ...flags()]);
    const show = await run(['show', EXEC_ID, ...flags()]);
    expect(show.code).toBe(EXIT.ok);
    expect(show.stdout).toContain(`execution ${EXEC_ID} / get_user: completed`);
    expect(show.stdout).toContain('classifying → backingOff');
    expect(show.stdout).toMatch(/attempt 2: GET .* → 200/);
    const list = await run(['list', ...flags()]);
    expect(list.stdout).toContain(EXEC_ID);
    expect(list.stdout).toContain('completed');
    expect((await run(['show', '00000000-0000-4000-8000-000000000000', ...flags()])).code).toBe(EXIT.usage);
  });

  it('validate reports a bad definition file with its JSON path and exits 2, while good ones load', async () => {
    writeFileSync(join(dir, 'defs', 'broken.json'), JSON.stringify({ ...definition(api.url), id: 'broken', retryPolicy: { ...definition(api.url).retryPolicy, maxAttempts: 0 } }));
    const { code, stdout, stderr } = await run(['validate', ...flags()]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(/broken\.json: \$\.retryPolicy\.maxAttempts: /);
    expect(stdout).toContain('1 definition(s) valid');
  });

  it('resume --all finishes nothing-to-do cleanly and reports counts', async () => {
    const { code, stdout } = await run(['resume', '--all', ...flags()]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('resumed 0');
  });

  it('--inspect streams XState inspection events to a WebSocket inspector', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const messages: string[] = [];
    server.on('connection', (socket) => socket.on('message', (m: Buffer) => messages.push(m.toString())));
    try {
      api.script('GET /users/u_1', [{ status: 200, body: user }]);
      const port = (server.address() as { port: number }).port;
      const { code } = await run(['execute', 'request.json', '--json', '--inspect', '--inspect-url', `ws://127.0.0.1:${port}`, ...flags()]);
      expect(code).toBe(EXIT.ok);
      for (let i = 0; i < 200 && !messages.some((m) => m.includes('storing')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(messages.some((m) => m.includes('actionExecution'))).toBe(true);
      expect(messages.some((m) => m.includes('storing'))).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('CLI progress during long waits', () => {
  it('prints how long is left every 5 s while a backoff is longer than that, and stops when it ends', async () => {
    const { vi } = await import('vitest');
    const { waitTicker } = await import('../src/cli/cli-render.ts');
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const ticker = waitTicker((l) => lines.push(l), () => Date.now());
      ticker.follow(Date.now() + 3_000); // short: no ticks
      vi.advanceTimersByTime(10_000);
      expect(lines).toEqual([]);
      ticker.follow(Date.now() + 17_000);
      vi.advanceTimersByTime(15_000);
      expect(lines).toEqual(['  … still waiting, 12 s left', '  … still waiting, 7 s left', '  … still waiting, 2 s left']);
      ticker.follow(null);
      vi.advanceTimersByTime(10_000);
      expect(lines).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
