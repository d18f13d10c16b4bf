/**
 * Issue 12, offline inspector: `execute --inspect` never hangs. With nothing listening, the CLI warns
 * once and exits as soon as the action ends — in a real child process, where a reconnect loop would
 * keep the event loop alive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';
import { runCliChild } from './support/cli-child.ts';

let api: ScriptedApi;
let dir: string;

const FINISHED = /✓ get_user: completed/;
const flags = ['--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s'];

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const inspectorWarnings = (stderr: string): string[] => stderr.split('\n').filter((line) => /^warning: .*inspect/i.test(line));

beforeEach(async () => {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
  dir = mkdtempSync(join(tmpdir(), 'ae-inspect-'));
  mkdirSync(join(dir, 'defs'));
  writeFileSync(join(dir, 'defs', 'get-user.json'), JSON.stringify(definition(api.url)));
  writeFileSync(join(dir, 'request.json'), JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'u_1' })));
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('execute --inspect never hangs the CLI (issue 12)', () => {
  it('with no viewer running, warns once and exits within 2 s of the action ending', async () => {
    const run = await runCliChild(['execute', 'request.json', '--inspect', ...flags], { cwd: dir, mark: FINISHED, deadlineMs: 12_000 });
    expect(run.markedAt, run.stdout + run.stderr).toBeDefined();
    expect(run.code).toBe(0);
    expect(run.exitedAt - run.markedAt!).toBeLessThan(2000);
    expect(inspectorWarnings(run.stderr)).toHaveLength(1);
  });

  it('--inspect-url with no server listening warns once and exits within 2 s of the action ending', async () => {
    const port = await closedPort();
    const run = await runCliChild(['execute', 'request.json', '--inspect', '--inspect-url', `ws://127.0.0.1:${port}`, ...flags], { cwd: dir, mark: FINISHED, deadlineMs: 12_000 });
    expect(run.markedAt, run.stdout + run.stderr).toBeDefined();
    expect(run.code).toBe(0);
    expect(run.exitedAt - run.markedAt!).toBeLessThan(2000);
    expect(inspectorWarnings(run.stderr)).toHaveLength(1);
  });

  it('--inspect-url to a WebSocket server that closes every connection exits within 2 s of the action ending', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.close(1011, 'not today'));
    try {
      const { port } = server.address() as AddressInfo;
      const run = await runCliChild(['execute', 'request.json', '--inspect', '--inspect-url', `ws://127.0.0.1:${port}`, ...flags], { cwd: dir, mark: FINISHED, deadlineMs: 12_000 });
      expect(run.markedAt, run.stdout + run.stderr).toBeDefined();
      expect(run.code).toBe(0);
      expect(run.exitedAt - run.markedAt!).toBeLessThan(2000);
    } finally {
      server.close();
    }
  });
});
