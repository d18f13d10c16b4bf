/**
 * `action-executor demo`: runs the example actions against a local API with realistic faults, then
 * proves the durability promise — a child process is SIGKILLed in the middle of a backoff, the
 * execution is resumed here, and the API's own counters show the payment was created exactly once —
 * and runs the customer-onboarding plan, which pauses for a confirmation and is confirmed (demo-plan.ts).
 * Exits 0 only when every outcome is the expected one, so the demo doubles as an end-to-end check.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createActionExecutor, type ActionExecutor } from '../execution/executor.ts';
import { loadDefinitionsFromDir } from '../definitions/definition-registry.ts';
import type { Journal } from '../../storage/journal.ts';
import { describeState, progressLines } from '../cli/cli-render.ts';
import { systemClock } from '../support/clock.ts';
import { startDemoApi, type DemoApi } from './demo-api.ts';
import { runOnboardingPlan } from './demo-plan.ts';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';

export interface DemoIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const EXAMPLES = resolve(import.meta.dirname, '../../examples/definitions');
const BIN = resolve(import.meta.dirname, '../../bin/action-executor.js');
const DEMO_CREDENTIALS = { DEMO_TOKEN: 'demo-secret-token-123', DEMO_API_KEY: 'demo-api-key-456' };

/** Copies the example definitions, pointing them at the port the demo API actually got. */
function writeDefinitions(target: string, api: DemoApi): void {
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(join(EXAMPLES, file), 'utf8').replaceAll('http://127.0.0.1:4010', api.url);
    writeFileSync(join(target, file), text);
  }
}

function request(executionId: string, actionId: string, definitionId: string, inputs: Record<string, string | number | boolean>, previousResults: Record<string, string> = {}): ActionExecuteRequest {
  return {
    executionId,
    action: { id: actionId as never, actionDefinitionId: definitionId, inputs, dependencies: [], errorHandling: { continueOnFailure: false } },
    context: { credentials: { ...DEMO_CREDENTIALS }, previousResults },
  };
}

/** Polls the journal (another process writes it) until the execution is in `state`, or the time is up. */
async function waitForState(journal: Journal, key: { executionId: string; actionId: string }, state: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await journal.get(key))?.stateValue === state) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

export async function runDemo(io: DemoIo): Promise<number> {
  const out = (line = ''): void => {
    io.stdout.write(`${line}\n`);
  };
  const work = resolve(io.cwd, '.action-executor/demo');
  rmSync(work, { recursive: true, force: true });
  const dbPath = join(work, 'journal.db');
  const storageDir = join(work, 'storage');
  const definitionsDir = join(work, 'definitions');
  const api = await startDemoApi();
  const checks: { name: string; ok: boolean }[] = [];
  let executor: ActionExecutor | undefined;
  try {
    writeDefinitions(definitionsDir, api);
    out(`demo API listening on ${api.url}; journal ${relative(io.cwd, dbPath)}`);
    const { registry } = loadDefinitionsFromDir(definitionsDir);
    executor = createActionExecutor({
      dbPath,
      storageDir,
      definitions: registry,
      credentials: DEMO_CREDENTIALS,
      onTransition: (info) => {
        if (executor) for (const line of progressLines(info, systemClock.now())) out(line);
      },
    });
    const run = async (title: string, req: ActionExecuteRequest, expect: ActionExecutionState['status']): Promise<ActionExecutionState> => {
      out();
      out(`━━ ${title}`);
      const state = await executor!.execute(req);
      for (const line of describeState(state)) out(line);
      checks.push({ name: `${req.action.id} ends ${expect}`, ok: state.status === expect });
      return state;
    };

    const plan = randomUUID();
    const user = await run('1. GET a user: 503 first, retried with exponential backoff and jitter', request(plan, 'get_user', 'get-user', { userId: 'u_42' }), 'completed');
    const previous = user.result?.status === 'success' ? { get_user: JSON.stringify(user.result.output) } : {};
    await run('2. GET orders for ${get_user.output.id}: 429 with Retry-After: 1 is honoured', request(plan, 'list_orders', 'list-orders', { userId: '${get_user.output.id}' }, previous), 'completed');
    await run('3. GET a report: 200 with an HTML error page instead of JSON', request(plan, 'get_report', 'get-report', {}), 'failed');
    await run('4. GET search: slower than the 300 ms timeout', request(plan, 'slow_search', 'slow-search', { q: 'ada' }), 'failed');
    await run('5. POST a payment with an idempotency key: 503, then created', request(plan, 'create_payment', 'create-payment', { userId: 'u_42', amount: 42, currency: 'EUR' }), 'completed');

    out();
    out('━━ 6. Crash mid-backoff: a child process runs a payment and is SIGKILLed while backing off');
    const crashPlan = randomUUID();
    const crashKey = { executionId: crashPlan, actionId: 'create_payment' };
    const requestFile = join(work, 'crash-request.json');
    writeFileSync(requestFile, JSON.stringify(request(crashPlan, 'create_payment', 'create-payment', { userId: 'u_7', amount: 99, currency: 'EUR' })));
    const child = spawn(process.execPath, [BIN, 'execute', requestFile, '--definitions', definitionsDir, '--db', dbPath, '--storage', storageDir, '--json', '--log-level', 'silent'], {
      stdio: 'ignore',
    });
    const reached = await waitForState(executor.journal, crashKey, 'backingOff', 15_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = await executor.get(crashKey.executionId, crashKey.actionId);
    out(`  child pid ${child.pid} killed with SIGKILL in state "${before?.status === 'running' ? 'backingOff' : before?.status}" after ${before?.attempts ?? 0} attempt(s)`);
    checks.push({ name: 'child reached backingOff before the kill', ok: reached });
    out(`  POST /payments requests so far: ${api.stats.requests['POST /payments'] ?? 0}`);
    out('  resuming from the journal in this process (the dead child\'s lease is taken over at once):');
    const resumed = await executor.resume(crashKey.executionId, crashKey.actionId);
    for (const line of describeState(resumed)) out(line);
    checks.push({ name: 'resumed payment completes', ok: resumed.status === 'completed' });

    const planId = await runOnboardingPlan({ executor, registry, api, credentials: DEMO_CREDENTIALS, out, check: (name, ok) => checks.push({ name, ok }), dbPath, cwd: io.cwd });

    out();
    out('━━ What the API saw');
    for (const [route, count] of Object.entries(api.stats.requests)) out(`  ${route.padEnd(26)} ${count} request(s)`);
    const created = Object.values(api.stats.paymentsCreated);
    const duplicates = created.filter((n) => n > 1).length;
    out(`  payments created: ${created.reduce((a, b) => a + b, 0)} for ${created.length} idempotency key(s); duplicates: ${duplicates}`);
    checks.push({ name: 'no payment created twice', ok: duplicates === 0 && created.length === 2 });

    out();
    const failedChecks = checks.filter((c) => !c.ok);
    for (const check of checks) out(`  ${check.ok ? '✓' : '✗'} ${check.name}`);
    out(failedChecks.length === 0 ? 'demo finished: every outcome as expected.' : `demo finished with ${failedChecks.length} unexpected outcome(s).`);
    out(`inspect it: npx action-executor show ${plan} --db ${relative(io.cwd, dbPath)}`);
    out(`and the plan: npx action-executor plan show ${planId} --db ${relative(io.cwd, dbPath)}`);
    out(`replay it offline: npx action-executor replay --all --db ${relative(io.cwd, dbPath)}`);
    return failedChecks.length === 0 ? 0 : 1;
  } finally {
    await executor?.close();
    await api.close();
  }
}

/** `demo --serve`: the demo API alone, for trying `execute` by hand; stops on SIGINT/SIGTERM. */
export async function serveDemoApi(io: DemoIo): Promise<number> {
  const api = await startDemoApi();
  io.stdout.write(`demo API listening on ${api.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  await api.close();
  return 0;
}
