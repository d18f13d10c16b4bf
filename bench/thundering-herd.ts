/**
 * Thundering herd (issue 6 §1, EXEC-009): N executions start at once against a server that answers
 * 503 whenever more than 20 requests arrived within 100 ms. Without jitter every refused execution
 * retries at the same instant and meets the same wall again; with jitter (a random delay in
 * [base/2, base], seeded) the retries spread out. Measured: requests the server received, how many
 * it refused, and the time until every execution is terminal.
 */
import { randomUUID } from 'node:crypto';
import { mulberry32 } from '../src/support/random.ts';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { createBenchExecutor } from './bench-executor.ts';
import type { BenchServer } from './bench-server.ts';

export interface HerdSide {
  jitter: boolean;
  executions: number;
  completed: number;
  failed: number;
  requests: number;
  refused: number;
  seconds: number;
}

/** The retry policy both sides use; only `jitter` differs. */
export const HERD_POLICY = {
  maxAttempts: 10,
  initialDelay: 100,
  maxDelay: 5000,
  backoffMultiplier: 2,
  retryableErrors: ['api_unexpected_status' as const],
} as const;

async function herd(server: BenchServer, executions: number, jitter: boolean, seed: number): Promise<HerdSide> {
  const def = definition(server.url, {
    id: 'get-herd',
    endpoint: { url: `${server.url}/herd/{userId}`, method: 'GET', headers: { Accept: 'application/json' }, timeout: 10_000 },
    retryPolicy: { ...HERD_POLICY, retryableErrors: [...HERD_POLICY.retryableErrors], jitter },
  });
  const bench = createBenchExecutor([def], { random: mulberry32(seed) });
  try {
    server.resetCounters();
    const started = performance.now();
    const states = await Promise.all(
      Array.from({ length: executions }, (_, i) => bench.executor.execute(executeRequest('get_user', 'get-herd', { userId: `u_${i}` }, {}, randomUUID()))),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      jitter,
      executions,
      completed: states.filter((s) => s.status === 'completed').length,
      failed: states.filter((s) => s.status === 'failed').length,
      requests: server.hits.get('herd') ?? 0,
      refused: server.herdRefused,
      seconds,
    };
  } finally {
    await bench.cleanup();
  }
}

/** Runs the herd without jitter, then with it. */
export async function runThunderingHerd(server: BenchServer, options: { executions: number; seed: number }): Promise<HerdSide[]> {
  return [await herd(server, options.executions, false, options.seed), await herd(server, options.executions, true, options.seed)];
}
