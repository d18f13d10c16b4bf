/**
 * `action-executor replay` (issue 12) as a person and a script use it: what it prints, its exit codes
 * (0 same, 1 diverged, 2 bad input), one JSON document with --json, a read-only journal, and no
 * credential given on the command line in anything it prints or writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

const PLAN = '9c5e8f1a-8d3e-4a6b-8c92-b3c4d5e6f708';
const SECRET = 'sk-live-cli-7e3a9d1f5b2c';

let api: ScriptedApi;
let harness: Harness;
let sandbox: CliSandbox;
let withToken: ActionDefinition;
let db: string;

beforeAll(async () => {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('GET /users/u_2', [{ status: 403, body: { message: 'You have exceeded a secondary rate limit' } }]);
  withToken = { ...definition(api.url), authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' } };
  harness = createHarness([withToken]);
  const credentials = { context: { credentials: { API_TOKEN: SECRET }, previousResults: {} } };
  await harness.executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, credentials, PLAN));
  await harness.executor.execute(executeRequest('get_blocked', 'get-user', { userId: 'u_2' }, credentials, PLAN));
  db = harness.dbPath;
  sandbox = createCliSandbox([]);
  for (const sub of ['cat', 'other']) mkdirSync(join(sandbox.dir, sub));
});

afterAll(async () => {
  sandbox?.cleanup();
  await harness?.cleanup();
  await api?.close();
});

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('replay on the command line', () => {
  it('one action: exit 0, the verdict, then each step beside the journal', async () => {
    const run = await sandbox.run(['replay', PLAN, 'get_user', '--db', db]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`✓ ${PLAN} / get_user (get-user): same — completed after 2 attempts (8 transitions)`);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      '✓ resolving → validating    RESOLVED',
      '✓ validating → requesting   VALIDATED',
      '✓ requesting → classifying  SENT        attempt 1',
      '✓ classifying → backingOff  RETRY       attempt 1: 503 api_unexpected_status, retryable → retry after 100 ms',
      '✓ backingOff → requesting   WAITED',
      '✓ requesting → classifying  SENT        attempt 2',
      '✓ classifying → storing     SUCCEEDED   attempt 2: a success → store the output',
      '✓ storing → completed       STORED',
    ]);
    expect(run.stderr).toBe('');
  });

  it('a catalog what-if: exit 1, the first divergence in words and what would follow', async () => {
    sandbox.write('cat/users.json', { apiId: 'users', name: 'Users', version: '1', baseUrl: api.url, errorMappings: [{ status: 403, pattern: 'secondary rate limit', category: 'rate_limit_burst', retryable: true }], quirks: {} });
    const run = await sandbox.run(['replay', PLAN, 'get_blocked', '--db', db, '--catalog', 'cat']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain(`✗ ${PLAN} / get_blocked (get-user) with this catalog: diverged at attempt 1 — the journal ends failed, the replay stops in requesting`);
    expect(run.stdout).toContain('first divergence: attempt 1: with this catalog the 403 is rate_limit_burst, retryable → would retry after 100 ms; it was auth_invalid, not retryable → failed');
    expect(run.stdout).toContain('what would follow:\n    backingOff: would wait 100 ms, then send again (backingOff → requesting)\n    attempt 2 was never sent');
  });

  it('a definitions what-if: exit 1; the definition comes from --definitions', async () => {
    sandbox.write('defs/get-user.json', { ...withToken, retryPolicy: { ...withToken.retryPolicy, maxAttempts: 1 } });
    const run = await sandbox.run(['replay', PLAN, 'get_user', '--db', db, '--definitions', 'defs']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('first divergence: attempt 1: with this definition the 503 is api_unexpected_status, retryable, but maxAttempts is 1 → would fail');
  });

  it('an execution id alone replays each of its actions; --all replays every execution and sums up', async () => {
    const both = await sandbox.run(['replay', PLAN, '--db', db]);
    expect(both.code).toBe(0);
    expect(both.stdout).toContain(`✓ ${PLAN} / get_user (get-user): same`);
    expect(both.stdout).toContain(`✓ ${PLAN} / get_blocked (get-user): same — failed after 1 attempt (4 transitions)`);
    expect(both.stdout).toContain('replayed 2 executions: 2 same, 0 diverged; no request sent');
    const all = await sandbox.run(['replay', '--all', '--db', db]);
    expect(all.code).toBe(0);
    expect(all.stdout.trimEnd().split('\n').at(-1)).toBe('replayed 2 executions: 2 same, 0 diverged; no request sent');
    // --all prints a line per execution, and its steps only when it diverged.
    expect(all.stdout).not.toContain('RESOLVED');
  });

  it('--json prints one JSON document: the verdict and each report', async () => {
    const run = await sandbox.run(['replay', '--all', '--db', db, '--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { outcome: string; replayed: number; same: number; diverged: number; reports: { actionId: string; outcome: string; steps: unknown[]; requestsRefused: number }[] };
    expect(document).toMatchObject({ outcome: 'same', replayed: 2, same: 2, diverged: 0 });
    expect(document.reports.map((r) => [r.actionId, r.outcome, r.steps.length, r.requestsRefused])).toEqual([
      ['get_user', 'same', 8, 0],
      ['get_blocked', 'same', 4, 0],
    ]);
  });

  it('reads the journal only: its file is unchanged, no state directory or storage appears, the API sees nothing', async () => {
    const before = sha(db);
    const hits = api.hits.length;
    const run = await sandbox.run(['replay', '--all', '--db', db, '--emit-test', 'out/all.test.ts']);
    expect(run.code).toBe(0);
    expect(sha(db)).toBe(before);
    expect(existsSync(join(sandbox.dir, '.action-executor'))).toBe(false);
    expect(api.hits.length).toBe(hits);
  });

  it('a credential given with --credentials appears nowhere: not in the output, the JSON or the emitted test', async () => {
    sandbox.write('creds.json', { API_TOKEN: SECRET });
    const human = await sandbox.run(['replay', '--all', '--db', db, '--credentials', 'creds.json', '--emit-test', 'out/creds.test.ts']);
    const json = await sandbox.run(['replay', '--all', '--db', db, '--credentials', 'creds.json', '--json']);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    const emitted = readFileSync(join(sandbox.dir, 'out/creds.test.ts'), 'utf8');
    for (const text of [human.stdout, human.stderr, json.stdout, json.stderr, emitted]) expect(text).not.toContain(SECRET);
    expect(emitted).toContain('[REDACTED]');
  });
});

describe('replay: bad input exits 2 with one clear line', () => {
  const cases: [string, string[], RegExp][] = [
    ['no execution id and no --all', ['replay'], /^error: replay needs an execution id \(and optionally an action id\), or --all/],
    ['both an execution id and --all', ['replay', PLAN, '--all'], /^error: replay takes an execution id or --all, not both/],
    ['an execution the journal does not have', ['replay', '00000000-0000-4000-8000-000000000000'], /^error: no execution 00000000-0000-4000-8000-000000000000 in /],
    ['a journal that does not exist', ['replay', PLAN, '--db', 'missing/journal.db'], /^error: missing\/journal\.db: No journal at .*missing\/journal\.db: nothing has been recorded there\. Pass --db <file>/],
    ['a definitions directory that does not exist', ['replay', PLAN, '--definitions', 'nowhere'], /^error: definitions directory nowhere does not exist/],
    ['a catalog directory that does not exist', ['replay', PLAN, '--catalog', 'nowhere'], /^error: catalog directory nowhere does not exist/],
    ['a Postgres URL for --db', ['replay', PLAN, '--db', 'postgres://app:s3cretpw@127.0.0.1/x'], /^error: replay reads SQLite journals \(--db <file>\)/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const run = await sandbox.run([...args, ...(args.includes('--db') ? [] : ['--db', db])]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(run.stderr).not.toContain('s3cretpw'); // a database password is never echoed
      expect(run.stdout).toBe('');
    });
  }

  it('a definitions directory without the execution\'s definition names it and what the directory has', async () => {
    sandbox.write('other/list-orders.json', { ...definition(api.url), id: 'list-orders' });
    const run = await sandbox.run(['replay', PLAN, 'get_user', '--db', db, '--definitions', 'other']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: ${PLAN} / get_user ran definition "get-user", which other does not hold (it has: list-orders)\n`);
  });
});
