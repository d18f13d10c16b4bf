/**
 * Signals (issue 13 "Weaknesses: Signals"): SIGTERM, SIGINT or SIGHUP during `execute` stops at the
 * next journaled point, releases the lease, says how to resume and exits 130 — instead of dying in
 * 10 ms with the lease held. Run against the real binary: signals only reach a real process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { until } from './support/until.ts';

const BIN = resolve(import.meta.dirname, '../bin/action-executor.js');
let api: ScriptedApi;
let dir: string;
beforeAll(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-signals-'));
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('signals during execute', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s during a backoff: stops, releases the lease, says how to resume, exits 130', async (signal) => {
    const work = mkdtempSync(join(dir, `${signal}-`));
    mkdirSync(join(work, 'definitions'));
    // A 503 first, then a 60 s backoff: the signal arrives while the execution waits.
    const slow = { ...definition(api.url), retryPolicy: { ...definition(api.url).retryPolicy, initialDelay: 60_000, maxDelay: 60_000 } };
    writeFileSync(join(work, 'definitions', 'get-user.json'), JSON.stringify(slow));
    const executionId = randomUUID();
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
    writeFileSync(join(work, 'request.json'), JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId)));
    const child = spawn(process.execPath, [BIN, 'execute', 'request.json'], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await until(() => /waiting \d/.test(stdout), 'the execution to start its backoff', 15_000);
    const sent = Date.now();
    child.kill(signal);
    const code = await exited;
    expect(code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(stderr).toContain(`interrupted: ${signal}: stopped at the last journaled point`);
    expect(stderr).toContain(`resume with: action-executor resume ${executionId} get_user`);
    // Stopped in backingOff, unrecorded, with its lease given up: a resume can start at once.
    const journal = openSqliteJournal(join(work, '.action-executor', 'journal.db'), { readOnly: true });
    const record = await journal.get({ executionId, actionId: 'get_user' });
    await journal.close();
    expect(record).toMatchObject({ stateValue: 'backingOff', status: 'running', result: null, lease: null });
    expect(api.hitsFor('GET /users/u_1').length).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
