/**
 * Issue 13 item 3, fuzzed head-on: every case puts a catastrophic-backtracking pattern — nested
 * quantifiers such as `(a+)+$`, `(x|xx)+$`, `(w+w+)+z`, in a definition's knownErrors, a catalog
 * rule's message pattern or its header pattern — against an error response whose message and
 * `x-error` header are the text it backtracks on (`aaa…a!`, 28 to 5000 characters). A backtracking
 * engine takes seconds at 26 characters and doubles per character; every user pattern runs on RE2,
 * so each case must end, structured and recorded, in well under REDOS_LIMIT_MS. Patterns RE2 cannot
 * compile are refused with the definition that holds them, or (from a catalog that skipped the
 * loader) simply do not match.
 *
 * Runs a fifth of FUZZ_RUNS (at least 60): 60 in CI, 2000 in the long mode (`FUZZ_RUNS=10000`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import { isActionError } from '../src/failure/errors.ts';
import { createManualClock } from '../src/support/clock.ts';
import { ActionExecutionStateSchema } from '../src/schemas/execution-state.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ApiCatalog, ApiCatalogEntry } from '../src/schemas/catalog.ts';
import { startFuzzServer, type FuzzServer } from './support/fuzz-server.ts';
import { redosCaseArb, type RedosCase } from './support/fuzz-arbitraries.ts';

const RUNS = Math.max(60, Math.round(Number(process.env['FUZZ_RUNS'] ?? '300') / 5));
const SEED = Number(process.env['FUZZ_SEED'] ?? '20260611');
/** Far above an RE2 match on 5000 characters (milliseconds), far below a backtracking one (minutes). */
const REDOS_LIMIT_MS = 2000;

let server: FuzzServer;
let root: string;
beforeAll(async () => {
  server = await startFuzzServer();
  root = mkdtempSync(join(tmpdir(), 'ae-fuzz-redos-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function definitionFor(c: RedosCase): ActionDefinition {
  return {
    id: 'redos',
    name: 'ReDoS probe',
    description: 'A hostile pattern against a body built to trigger it',
    version: '1.0.0',
    endpoint: { url: `${server.url}/r/{id}`, method: 'GET', headers: {}, timeout: 3000 },
    inputSchema: { id: 'string' },
    outputSchema: {},
    retryPolicy: { maxAttempts: 1, initialDelay: 0, maxDelay: 0, backoffMultiplier: 1, retryableErrors: [], jitter: false },
    knownErrors: c.place === 'knownErrors' ? [{ pattern: c.pattern, category: 'api_unexpected_status', suggestion: 'Matched the hostile pattern.' }] : [],
    examples: [],
  };
}

function catalogFor(c: RedosCase): ApiCatalog | undefined {
  if (c.place === 'knownErrors') return undefined;
  const rule = c.place === 'catalog' ? { pattern: c.pattern, category: 'api_unexpected_status', retryable: false } : { header: { name: 'x-error', pattern: c.pattern }, category: 'api_unexpected_status', retryable: false };
  const entry = { apiId: 'redos', name: 'ReDoS API', version: '1', baseUrl: server.url, errorMappings: [rule], quirks: {} } as unknown as ApiCatalogEntry;
  return { getAllApis: async () => ['redos'], getApiEntry: async () => entry };
}

describe(`fuzz: catastrophic-backtracking patterns (${RUNS} cases, seed ${SEED})`, () => {
  it('every case ends recorded and schema-valid within REDOS_LIMIT_MS, whatever the pattern and the body', async () => {
    let n = 0;
    let slowest = 0;
    await fc.assert(
      fc.asyncProperty(redosCaseArb, async (c) => {
        n += 1;
        const body = Buffer.from(JSON.stringify({ message: c.text, error: { message: c.text } }));
        server.setCase({
          answers: [{ status: c.status, headers: [['content-type', 'application/json'], ['x-error', c.text]], body, echo: 'none', truncate: false, delayMs: 0, redirect: 'none' }],
          accessToken: 'unused-token-value',
          healthStatus: 200,
        });
        const catalog = catalogFor(c);
        let executor: ActionExecutor;
        try {
          executor = createActionExecutor({
            dbPath: ':memory:',
            storageDir: join(root, `case-${n}`),
            definitions: [definitionFor(c)],
            ...(catalog ? { catalog } : {}),
            clock: createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }),
          });
        } catch (error) {
          // A pattern RE2 cannot compile (lookaround, a backreference) is refused with the definition, naming it.
          if (!isActionError(error)) throw error;
          expect(error.message).toContain('$.knownErrors[0].pattern: is not a valid pattern');
          return;
        }
        const started = performance.now();
        try {
          const state = await executor.execute({
            executionId: '00000000-0000-4000-8000-000000000001',
            action: { id: 'probe', actionDefinitionId: 'redos', inputs: { id: 'r1' }, dependencies: [], errorHandling: { continueOnFailure: false } },
            context: { credentials: {}, previousResults: {} },
          });
          const elapsed = performance.now() - started;
          slowest = Math.max(slowest, elapsed);
          if (elapsed > REDOS_LIMIT_MS) throw new Error(`/${c.pattern}/ (${c.place}) against ${c.text.length} characters took ${Math.round(elapsed)} ms`);
          expect(ActionExecutionStateSchema.safeParse(state).success).toBe(true);
          expect(state.status).toBe('failed');
          expect(server.requests).toBe(1);
        } finally {
          await executor.close();
          rmSync(join(root, `case-${n}`), { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    if (process.env['FUZZ_STATS']) process.stderr.write(`fuzz-redos: ${n} cases, slowest ${Math.round(slowest)} ms\n`);
  }, Math.max(60_000, RUNS * 1_000));
});
