/**
 * Fixtures for the replay tests: the demo's example definitions pointed at a local demo API, a way
 * to read one execution's recording from a harness journal, and the demo's scenarios run through a
 * test harness (manual clock, seeded random) so each is journaled in milliseconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ActionDefinitionSchema, type ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ActionExecuteRequest } from '../../src/schemas/job.ts';
import { withTestHooks } from '../../src/execution/test-hooks.ts';
import { openSqliteJournal } from '../../storage/sqlite/sqlite-journal.ts';
import { readRecording, type Recording } from '../../src/replay/recording.ts';
import type { ExecutionKey } from '../../storage/journal.ts';
import type { Harness } from './executor-harness.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/definitions');

/** The example definitions with the demo API's URL; `timeoutMs` shortens slow-search's deadline. */
export function demoDefinitions(apiUrl: string, options: { slowSearchTimeoutMs?: number } = {}): ActionDefinition[] {
  return readdirSync(EXAMPLES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8').replaceAll('http://127.0.0.1:4010', apiUrl)) as Record<string, unknown>;
      const definition = ActionDefinitionSchema.parse(raw);
      if (definition.id === 'slow-search' && options.slowSearchTimeoutMs) definition.endpoint.timeout = options.slowSearchTimeoutMs;
      return definition;
    });
}

/** A request as the demo makes it (bearer token in the credentials). */
export function demoRequest(executionId: string, actionId: string, definitionId: string, inputs: Record<string, string | number | boolean>, previousResults: Record<string, string> = {}, token = 'demo-secret-token-123'): ActionExecuteRequest {
  return {
    executionId,
    action: { id: actionId as never, actionDefinitionId: definitionId, inputs, dependencies: [], errorHandling: { continueOnFailure: false } },
    context: { credentials: { DEMO_TOKEN: token }, previousResults },
  };
}

/** The recording of one execution, read through a read-only journal as `replay` does. */
export async function recordingFrom(dbPath: string, key: ExecutionKey): Promise<Recording> {
  const journal = openSqliteJournal(dbPath, { readOnly: true });
  try {
    const recording = await readRecording(journal, key);
    if (!recording) throw new Error(`no execution ${key.executionId} / ${key.actionId} in ${dbPath}`);
    return recording;
  } finally {
    await journal.close();
  }
}

/** One demo scenario: its key and the status the demo expects. */
export interface DemoScenario {
  title: string;
  key: ExecutionKey;
  status: 'completed' | 'failed';
}

/**
 * Runs the demo's six scenarios (src/demo/demo.ts) through `harness`: a 503 retried with jitter, a
 * 429 with Retry-After, an HTML page instead of JSON, a timeout, a keyed POST after a 503, and a
 * payment whose process dies mid-backoff (here: a fault hook stops the first executor at that
 * commit) and is resumed by a second executor on the same journal.
 */
export async function runDemoScenarios(harness: Harness, plan: string, crashPlan: string): Promise<DemoScenario[]> {
  const run = async (title: string, request: ActionExecuteRequest, status: DemoScenario['status']): Promise<DemoScenario> => {
    const state = await harness.executor.execute(request);
    if (state.status !== status) throw new Error(`demo scenario "${title}" ended ${state.status}, not ${status}`);
    return { title, key: { executionId: request.executionId, actionId: request.action.id }, status };
  };
  const scenarios: DemoScenario[] = [];
  scenarios.push(await run('1. GET a user: 503, retried with jitter', demoRequest(plan, 'get_user', 'get-user', { userId: 'u_42' }), 'completed'));
  const user = await harness.executor.get(plan, 'get_user');
  const previous = user?.result?.status === 'success' ? { get_user: JSON.stringify(user.result.output) } : {};
  scenarios.push(await run('2. GET orders: 429 with Retry-After: 1', demoRequest(plan, 'list_orders', 'list-orders', { userId: '${get_user.output.id}' }, previous), 'completed'));
  scenarios.push(await run('3. GET a report: an HTML page instead of JSON', demoRequest(plan, 'get_report', 'get-report', {}), 'failed'));
  scenarios.push(await run('4. GET search: slower than its timeout', demoRequest(plan, 'slow_search', 'slow-search', { q: 'ada' }), 'failed'));
  scenarios.push(await run('5. POST a payment with an idempotency key: 503, then created', demoRequest(plan, 'create_payment', 'create-payment', { userId: 'u_42', amount: 42, currency: 'EUR' }), 'completed'));

  const crash = demoRequest(crashPlan, 'create_payment', 'create-payment', { userId: 'u_7', amount: 99, currency: 'EUR' });
  const dying = harness.reopen(
    withTestHooks({}, {
      faultHook: (point) => {
        if (point === 'transition:backingOff') throw new Error('the process dies mid-backoff');
      },
    }),
  );
  await dying.execute(crash).then(
    () => {
      throw new Error('the dying executor was meant to stop mid-backoff');
    },
    () => undefined,
  );
  await dying.close();
  const resumed = await harness.executor.resume(crashPlan, 'create_payment');
  if (resumed.status !== 'completed') throw new Error(`the resumed payment ended ${resumed.status}`);
  scenarios.push({ title: '6. a payment whose process died mid-backoff, resumed from the journal', key: { executionId: crashPlan, actionId: 'create_payment' }, status: 'completed' });
  return scenarios;
}
