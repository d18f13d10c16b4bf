/**
 * Issue 11 "Surfaces": the plan commands exactly as users script against them — `plan run`,
 * `plan confirm`, `plan cancel`, `plan show`, `resume --all` — each exit code, `--json` printing
 * exactly the plan's ExecutionState, and bad input named by file and JSON path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';
import { planDefinitions } from './support/plan-harness.ts';
import { action, PLAN_ID, rawPlan } from './support/plan-fixtures.ts';
import { ExecutionStateSchema } from '../src/schemas/execution-state.ts';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';

let api: ScriptedApi;
let sandbox: CliSandbox;

const SECRET = 'cli-secret-token-0042';

beforeEach(async () => {
  api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
  const defs = planDefinitions(api.url);
  defs[0] = { ...defs[0]!, authentication: { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'user_input' } };
  sandbox = createCliSandbox(defs);
  sandbox.write('creds.json', { API_TOKEN: SECRET });
});
afterEach(async () => {
  sandbox.cleanup();
  await api.close();
});

const withConfirmation = (timeout?: number) => rawPlan([
  action('get_user', { inputs: { userId: 'u_1' } }),
  action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm: timeout === undefined ? {} : { timeout } }),
]);

const run = (...args: string[]) => sandbox.run([...args, ...sandbox.flags()]);

describe('CLI plan run', () => {
  it('plan run drives the plan until it waits for a confirmation: exit 5, the request and how to answer it printed', async () => {
    sandbox.write('plan.json', withConfirmation());
    const result = await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    expect(result.code, result.stderr).toBe(5);
    expect(result.stdout).toContain('✓ get_user: completed');
    expect(result.stdout).toContain('? order asks for confirmation: "Run order?" — About to run order');
    expect(result.stdout).toContain(`answer: action-executor plan confirm ${PLAN_ID} order [--reject] [--user ID]`);
    expect(api.hitsFor('GET /users/u_1')[0]?.headers['authorization']).toBe(`Bearer ${SECRET}`);
  });

  it('plan run --json prints exactly the plan\'s ExecutionState on stdout, and exit 0 when it completes', async () => {
    sandbox.write('plan.json', rawPlan([action('get_user', { inputs: { userId: 'u_1' } })]));
    const result = await run('plan', 'run', 'plan.json', '--credentials', 'creds.json', '--json');
    expect(result.code, result.stderr).toBe(0);
    const state = JSON.parse(result.stdout);
    expect(ExecutionStateSchema.strict().parse(state)).toEqual(state);
    expect(state).toMatchObject({ id: PLAN_ID, planId: PLAN_ID, status: 'completed', metrics: { completedActions: 1 } });
    const shown = await run('plan', 'show', PLAN_ID, '--json');
    expect(JSON.parse(shown.stdout)).toEqual(state);
  });

  it('plan run reads the plan from stdin with "-", and --max-concurrency is checked', async () => {
    const result = await sandbox.run(['plan', 'run', '-', '--credentials', 'creds.json', '--json', ...sandbox.flags()], JSON.stringify(rawPlan([action('get_user', { inputs: { userId: 'u_1' } })])));
    expect(result.code, result.stderr).toBe(0);
    const bad = await run('plan', 'run', 'plan.json', '--max-concurrency', 'lots');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toContain('--max-concurrency must be a positive integer (actions running at once), not "lots"');
  });

  it('an invalid plan: exit 2, every problem on its own line as file: JSON path: message (--json: the error object), nothing run', async () => {
    sandbox.write('plan.json', rawPlan([
      action('a', { deps: ['b'], inputs: { userId: 'u_1' } }),
      action('b', { deps: ['a'], definition: 'get-usr' }),
    ]));
    const result = await run('plan', 'run', 'plan.json');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('plan.json: $.actions[0].dependencies[0]: dependency cycle: a → b → a');
    expect(result.stderr).toContain('plan.json: $.actions[1].actionDefinitionId: unknown action definition "get-usr"');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // --json: one document on stdout, the error object, whose message lists every problem by path.
    const json = await run('plan', 'run', 'plan.json', '--json');
    expect(json.code).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error).toMatchObject({ category: 'validation_failed', code: 'PLAN_INVALID', message: expect.stringContaining('$.actions[0].dependencies[0]: dependency cycle: a → b → a') });
    expect(api.hits).toHaveLength(0);
  });

  it('plan run --dry-run prints the levels and the redacted requests, sends nothing, exit 0', async () => {
    sandbox.write('plan.json', withConfirmation());
    const result = await run('plan', 'run', 'plan.json', '--dry-run', '--credentials', 'creds.json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('level 0: get_user');
    expect(result.stdout).toContain('level 1: order');
    expect(result.stdout).toContain('+ bearer: Authorization: Bearer [REDACTED]');
    expect(result.stdout).toContain('body: {"customerId":"${get_user.output.id}","amount":5}');
    expect(result.stdout).not.toContain(SECRET);
    expect(api.hits).toHaveLength(0);
  });
});

describe('CLI plan confirm, cancel, show, resume --all', () => {
  it('plan confirm answers and drives the plan on: exit 0 completed, the answer recorded with --user', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const result = await run('plan', 'confirm', PLAN_ID, 'order', '--user', 'ops@example.com', '--credentials', 'creds.json', '--json');
    expect(result.code, result.stderr).toBe(0);
    const state = ExecutionStateSchema.parse(JSON.parse(result.stdout));
    expect(state.confirmations[0]).toMatchObject({ actionId: 'order', confirmed: true, userId: 'ops@example.com' });
    expect(api.hitsFor('POST /orders')).toHaveLength(1);
  });

  it('plan confirm --reject: the action fails user_cancelled and, nothing handling it, the plan fails: exit 1', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const result = await run('plan', 'confirm', PLAN_ID, 'order', '--reject', '--user', 'ops');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ order: failed — user_cancelled (CONFIRMATION_REJECTED)');
    expect(api.hitsFor('POST /orders')).toHaveLength(0);
  });

  it('a flag of another plan subcommand is refused, naming the subcommand that takes it: exit 2', async () => {
    const result = await run('plan', 'show', PLAN_ID, '--reject');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('--reject applies to plan confirm, not plan show');
    const bare = await run('plan');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('plan needs a subcommand: run, confirm, cancel or show');
  });

  it('plan confirm of an action that asks nothing is bad input: exit 2, saying why', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const result = await run('plan', 'confirm', PLAN_ID, 'get_user');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not ask for a confirmation');
  });

  it('plan confirm while another live process holds the plan: exit 4 (busy), naming the holder', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const other = openSqliteJournal(join(sandbox.dir, 'state/j.db'));
    try {
      expect((await other.acquireLease({ executionId: PLAN_ID, actionId: '@plan' }, Date.now(), 60_000)).acquired).toBe(true);
      const result = await run('plan', 'confirm', PLAN_ID, 'order');
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(`is being driven by another live process (pid ${process.pid}`);
    } finally {
      await other.close();
    }
  });

  it('plan cancel ends a paused plan cancelled: exit 1; plan show then prints its state and decisions', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const cancelled = await run('plan', 'cancel', PLAN_ID);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toContain(`plan ${PLAN_ID}: cancelled`);
    const shown = await run('plan', 'show', PLAN_ID);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/– order\s+skipped\s+Not run: the plan was cancelled\./);
    expect(shown.stdout).toMatch(/CANCEL\s+paused_for_confirmation\s+\(reason cancelled from the command line\)/);
    expect(shown.stdout).toMatch(/DECIDED\s+paused_for_confirmation → cancelled/);
    const unknown = await run('plan', 'show', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no plan run 00000000-0000-4000-8000-000000000000');
  });

  it('show <planId> <actionId> prints the action\'s own journal timeline; list shows actions, not the plan row', async () => {
    sandbox.write('plan.json', withConfirmation());
    await run('plan', 'run', 'plan.json', '--credentials', 'creds.json');
    const shown = await run('show', PLAN_ID, 'get_user');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`execution ${PLAN_ID} / get_user: completed`);
    expect(shown.stdout).toContain('requesting → classifying [SENT]');
    const listed = await run('list', '--json');
    expect(JSON.parse(listed.stdout).map((row: { actionId: string }) => row.actionId)).toEqual(['get_user']);
  });

  it('resume --all also continues unfinished plans and fires confirmation timeouts that fell due', async () => {
    sandbox.write('plan.json', withConfirmation(1));
    const paused = await run('plan', 'run', 'plan.json', '--credentials', 'creds.json', '--json');
    expect(paused.code).toBe(5);
    const due = Date.parse(JSON.parse(paused.stdout).confirmations[0].requestedAt) + 1;
    for (let spins = 0; Date.now() <= due && spins < 1000; spins += 1) await new Promise((r) => setTimeout(r, 1));
    const result = await run('resume', '--all', '--json');
    expect(result.code, result.stderr).toBe(1); // the plan failed: the rejection had nothing standing in
    expect(JSON.parse(result.stdout).plans).toMatchObject({ plans: 1, failed: 1, timeoutsFired: 1, errors: [] });
    const human = await run('resume', '--all');
    expect(human.stdout).toContain('plans: 0 unfinished');
  });

  it('credentials given with --credentials never reach the journal, the storage or the output', async () => {
    sandbox.write('plan.json', withConfirmation());
    const outputs = [await run('plan', 'run', 'plan.json', '--credentials', 'creds.json', '--json')];
    outputs.push(await run('plan', 'confirm', PLAN_ID, 'order', '--credentials', 'creds.json'));
    outputs.push(await run('plan', 'show', PLAN_ID));
    for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(SECRET);
    const files = readdirSync(join(sandbox.dir, 'state'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.map((entry) => entry.name)).toEqual(expect.arrayContaining(['j.db', `${PLAN_ID}.get_user.output.json`]));
    for (const file of files) expect(readFileSync(join(file.parentPath, file.name)).includes(SECRET), file.name).toBe(false);
  });
});
