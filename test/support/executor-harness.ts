/**
 * Builds an executor for a test: a fresh temp directory for the journal and storage, a manual clock
 * that jumps straight to every deadline (so no test waits out a backoff, yet every wait is seen), a
 * seeded random source, and a captured pino log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createActionExecutor, type ActionExecutor, type ActionExecutorOptions } from '../../src/execution/executor.ts';
import { createManualClock, type ManualClock } from '../../src/support/clock.ts';
import { createLogger } from '../../src/support/logger.ts';
import { mulberry32 } from '../../src/support/random.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ActionExecuteRequest } from '../../src/schemas/job.ts';

export interface Harness {
  executor: ActionExecutor;
  clock: ManualClock;
  dir: string;
  dbPath: string;
  storageDir: string;
  logs: string[];
  /** A second executor on the same files (another "process"). */
  reopen(extra?: Partial<ActionExecutorOptions>): ActionExecutor;
  cleanup(): Promise<void>;
}

export function createHarness(definitions: ActionDefinition[], extra: Partial<ActionExecutorOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'ae-test-'));
  const dbPath = join(dir, 'journal.db');
  const storageDir = join(dir, 'storage');
  const clock = createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const opened: ActionExecutor[] = [];
  const open = (more: Partial<ActionExecutorOptions> = {}): ActionExecutor => {
    const executor = createActionExecutor({
      dbPath,
      storageDir,
      definitions,
      clock,
      random: mulberry32(42),
      logger: createLogger({ level: 'debug', destination }),
      ...extra,
      ...more,
    });
    opened.push(executor);
    return executor;
  };
  const executor = open();
  return {
    executor,
    clock,
    dir,
    dbPath,
    storageDir,
    logs,
    reopen: open,
    cleanup: async () => {
      for (const e of opened) await e.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const EXEC_ID = '7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';

/** A definition against the scripted API with fast, jitter-free retries. */
export function definition(baseUrl: string, overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return {
    id: 'get-user',
    name: 'Get user',
    description: 'Fetch a user',
    version: '1.0.0',
    endpoint: { url: `${baseUrl}/users/{userId}`, method: 'GET', headers: { Accept: 'application/json' }, timeout: 2000 },
    inputSchema: { userId: 'string' },
    outputSchema: {},
    retryPolicy: {
      maxAttempts: 3,
      initialDelay: 100,
      maxDelay: 10_000,
      backoffMultiplier: 2,
      retryableErrors: ['api_unexpected_status', 'network_timeout', 'network_connection_refused', 'rate_limit_burst', 'api_response_malformed'],
      jitter: false,
    },
    knownErrors: [],
    examples: [],
    ...overrides,
  };
}

export function executeRequest(actionId: string, definitionId: string, inputs: ActionExecuteRequest['action']['inputs'], more: Partial<ActionExecuteRequest> = {}, executionId = EXEC_ID): ActionExecuteRequest {
  return {
    executionId,
    action: { id: actionId as never, actionDefinitionId: definitionId, inputs, dependencies: [], errorHandling: { continueOnFailure: false } },
    context: { credentials: {}, previousResults: {} },
    ...more,
  };
}
