/**
 * `replay --emit-test` (issue 12): real traffic becomes a transition unit test. The emitted file runs
 * in a child vitest and passes; the same file with its embedded definition changed fails, naming
 * the transition that differs. Its imports are the repository's source paths inside the repository
 * and the package's public paths outside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli/cli.ts';
import { emittedImports } from '../src/replay/emit-replay-test.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const EXECUTION = '8b4d7e0f-7c2d-4f5a-9b81-a2b3c4d5e6f7';

let api: ScriptedApi;
let harness: Harness;
/** Inside the repository (so the emitted imports resolve) and git-ignored. */
let dir: string;

beforeAll(async () => {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  harness = createHarness([{ ...definition(api.url), retryPolicy: { ...definition(api.url).retryPolicy, jitter: true } }]);
  await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, EXECUTION));
  mkdirSync(join(ROOT, '.action-executor'), { recursive: true });
  dir = mkdtempSync(join(ROOT, '.action-executor', 'replay-emit-'));
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await main(args, { stdout: out, stderr: err, stdin: Readable.from(['']), cwd: dir });
  return { code, stdout, stderr };
}

interface VitestJson {
  testResults: { name: string; status: string; assertionResults: { status: string; failureMessages: string[] }[] }[];
}

/** Runs vitest on the files of `dir` in a child process (bounded), returning its JSON report. */
function runVitest(cwd: string): Promise<VitestJson> {
  writeFileSync(join(cwd, 'vitest.config.mjs'), "export default { test: { include: ['*.test.ts'] } };\n");
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [VITEST, 'run', '--config', 'vitest.config.mjs', '--reporter=json', '--outputFile=report.json'], { cwd, stdio: 'ignore', env: { ...process.env, CI: '' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      try {
        resolveRun(JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8')) as VitestJson);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

describe('replay --emit-test', () => {
  it('writes a vitest file that passes as emitted, and fails once its embedded definition changes', async () => {
    const emitted = join(dir, 'get-user.replay.test.ts');
    const run = await cli(['replay', EXECUTION, '--db', harness.dbPath, '--emit-test', emitted]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote a vitest test replaying 1 execution(s) to ${emitted}`);
    const source = readFileSync(emitted, 'utf8');
    expect(source).toContain("from '../../src/replay/replay-recording.ts'");
    expect(source).not.toMatch(/from '(?!vitest|\.)/); // only vitest and repository paths
    // The what-if a person would try: allow one attempt only. The recorded RETRY becomes a FAILED.
    const changed = source.replace('"maxAttempts": 3', '"maxAttempts": 1');
    expect(changed).not.toBe(source);
    writeFileSync(join(dir, 'get-user-one-attempt.replay.test.ts'), changed);

    const report = await runVitest(dir);

    const byFile = Object.fromEntries(report.testResults.map((r) => [r.name.split('/').at(-1), r]));
    expect(byFile['get-user.replay.test.ts']?.status).toBe('passed');
    expect(byFile['get-user.replay.test.ts']?.assertionResults).toHaveLength(1);
    const failing = byFile['get-user-one-attempt.replay.test.ts'];
    expect(failing?.status).toBe('failed');
    // The transitions assertion is the one that fails: 4 replayed (… → failed) against 8 journaled.
    const message = failing?.assertionResults[0]?.failureMessages.join('\n') ?? '';
    expect(message).toMatch(/expected \[ \{ from: 'resolving', …\(3\) \}, …\(3\) \] to deeply equal \[ \{ from: 'resolving', …\(3\) \}, …\(7\) \]/);
  }, 60_000);
});

describe('emitted imports', () => {
  it('a file inside the repository imports its source paths; one outside imports the package public paths', () => {
    expect(emittedImports(join(ROOT, 'test', 'replays', 'x.test.ts'))).toMatchObject({ replay: '../../src/replay/replay-recording.ts', catalog: '../../src/catalog/catalog-registry.ts' });
    const outside = mkdtempSync(join(tmpdir(), 'ae-emit-'));
    try {
      expect(emittedImports(join(outside, 'x.test.ts'))).toEqual({
        replay: 'action-executor/replay',
        catalog: 'action-executor/catalog-registry',
        recordingType: 'action-executor/replay',
        definitionType: 'action-executor/schemas/action-definition',
        catalogType: 'action-executor/schemas/catalog',
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
