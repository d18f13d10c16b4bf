/**
 * `action-executor ui` and the offline inspector end to end (issue 12): the command serves the viewer on
 * loopback and prints its URL, refuses a remote host without --allow-remote, leaves a state file that
 * `execute --inspect` finds — whose events then show up in the viewer — and stops cleanly on Ctrl-C.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main, EXIT } from '../src/cli/cli.ts';
import { createActionExecutor } from '../src/execution/executor.ts';
import { startViewer } from '../src/viewer/viewer-server.ts';
import { viewerStateFile } from '../src/viewer/viewer-state-file.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { rawRequest } from './support/viewer-client.ts';
import { createViewerScenario, IDS } from './support/viewer-scenario.ts';

const BIN = resolve(import.meta.dirname, '../bin/action-executor.js');
let api: ScriptedApi;
let dir: string;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await main(args, { stdout: out, stderr: err, stdin: Readable.from(['']), cwd: dir });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-ui-'));
  mkdirSync(join(dir, 'defs'));
  writeFileSync(join(dir, 'defs', 'get-user.json'), JSON.stringify(definition(api.url)));
  writeFileSync(join(dir, 'request.json'), JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'u_1' })));
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('action-executor ui', () => {
  it('refuses a non-loopback --host without --allow-remote, and a bad --port, with exit 2', async () => {
    const remote = await run(['ui', '--host', '0.0.0.0', '--port', '0', '--db', 'state/j.db']);
    expect(remote.code).toBe(EXIT.usage);
    expect(remote.stderr).toContain('--host 0.0.0.0 is not a loopback address');
    expect(remote.stderr).toContain('--allow-remote');
    const port = await run(['ui', '--port', 'http', '--db', 'state/j.db']);
    expect(port.code).toBe(EXIT.usage);
    expect(port.stderr).toContain('--port must be an integer from 0 to 65535');
  });

  it('serves on 127.0.0.1, prints the URL, writes the state file, and exits 0 on SIGINT removing it', async () => {
    const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', '--db', 'state/j.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout} ${stderr}`)), 15_000);
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const match = /viewer: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
          if (match?.[1]) {
            clearTimeout(timer);
            resolveUrl(match[1]);
          }
        });
      });
      const port = Number(new URL(url).port);
      const page = await rawRequest(port, { path: '/' });
      expect(page.status).toBe(200);
      const state = JSON.parse(readFileSync(join(dir, 'state/j.db.viewer.json'), 'utf8'));
      expect(state.url).toBe(url);
      expect(page.text).toContain(`content="${state.token}"`);
      // The plans pages come with the command.
      expect((await rawRequest(port, { path: '/plans' })).status).toBe(200);
      expect((await rawRequest(port, { path: '/api/plans' })).json()).toMatchObject({ plans: [], total: 0 });
      const stoppedAt = Date.now();
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(2000);
      expect(existsSync(join(dir, 'state/j.db.viewer.json'))).toBe(false);
      expect(stdout).toContain(`plans: ${url}/plans`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('execute --inspect with a viewer running on the same journal', () => {
  it('streams the inspection events to the viewer, which shows the session reaching its final state', async () => {
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
    const dbPath = join(dir, 'state/j.db');
    mkdirSync(join(dir, 'state'));
    const executor = createActionExecutor({ db: dbPath, storage: join(dir, 'state/s'), definitions: [] });
    const viewer = await startViewer({ executor, port: 0, pollMs: 0, stateFile: viewerStateFile(dbPath) });
    try {
      const { code, stderr } = await run(['execute', 'request.json', '--inspect', '--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s', '--log-level', 'silent']);
      expect(code).toBe(EXIT.ok);
      expect(stderr).toContain(`inspecting: streaming inspection events to the viewer at ${viewer.url}/inspect`);
      expect(stderr).not.toContain('warning');
      const session = viewer.context.inspect.session(`${EXEC_ID}/get_user`);
      expect(session).toMatchObject({ executionId: EXEC_ID, actionId: 'get_user', state: 'completed', status: 'done' });
      const types = new Set(session!.recent.map((r) => r.type));
      expect([...types].sort()).toEqual(['@xstate.action', '@xstate.actor', '@xstate.event', '@xstate.snapshot']);
      expect(session!.recent.filter((r) => r.type === '@xstate.event').map((r) => r.event?.type)).toEqual(['RESOLVED', 'VALIDATED', 'SENT', 'RETRY', 'WAITED', 'SENT', 'SUCCEEDED', 'STORED']);
      const listed = (await rawRequest(viewer.port, { path: '/api/inspect/sessions' })).json();
      expect(listed.sessions[0]).toMatchObject({ sessionId: `${EXEC_ID}/get_user`, state: 'completed' });
    } finally {
      await viewer.close();
      await executor.close();
    }
  });

  it('resume --inspect streams the resumed execution to the viewer too', async () => {
    const scenario = await createViewerScenario();
    const { harness } = scenario;
    const viewer = await startViewer({ executor: harness.executor, port: 0, pollMs: 0, stateFile: viewerStateFile(harness.dbPath) });
    try {
      await scenario.crashInBackoff(IDS.dormant, 'u_resumed');
      const { code, stderr } = await run(['resume', IDS.dormant, 'get_user', '--inspect', '--db', harness.dbPath, '--storage', harness.storageDir, '--log-level', 'silent']);
      expect(code, stderr).toBe(EXIT.ok);
      const session = viewer.context.inspect.session(`${IDS.dormant}/get_user`);
      expect(session?.state).toBe('completed');
      // A resume starts from the journaled backoff: its first snapshot is backingOff, not resolving.
      expect(session?.recent.find((r) => r.type === '@xstate.snapshot')?.state).toBe('backingOff');
    } finally {
      await viewer.close();
      await scenario.cleanup();
    }
  });

  it('a stale state file (viewer gone) costs one warning, and the action still completes', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    mkdirSync(join(dir, 'state'));
    // A viewer that stopped without removing its state file: its port has nobody on it now.
    const gone = await startViewer({ executor: createActionExecutor({ db: join(dir, 'state/other.db'), storage: join(dir, 'state/os'), definitions: [] }), port: 0 });
    const goneUrl = gone.url;
    await gone.close();
    await gone.context.executor.close();
    writeFileSync(join(dir, 'state/j.db.viewer.json'), JSON.stringify({ url: goneUrl, token: 'x'.repeat(43), pid: 1, startedAt: new Date(0).toISOString() }));
    const { code, stderr } = await run(['execute', 'request.json', '--inspect', '--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s', '--log-level', 'silent']);
    expect(code).toBe(EXIT.ok);
    expect(stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([expect.stringMatching(new RegExp(`the viewer at ${goneUrl} did not take inspection events \\(ECONNREFUSED\\)`))]);
  });
});
