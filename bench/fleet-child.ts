/**
 * One worker of the fleet soak (bench/fleet-soak.ts): an executor process on the shared Postgres
 * journal and storage, under a host name of its own. It submits every request of the workload in its
 * own shuffled order — competing with the other workers for each execution: the first to create it
 * drives it, the others are told it is busy — and meanwhile resumes whatever is unfinished (the work
 * of killed workers, taken over at once because their database session is gone), until every
 * execution is terminal. Each request it sends carries `x-fleet-worker: <id>`, through a custom
 * authentication handler, so the API can tell which process drove which attempt.
 *
 * Environment: FLEET_DB (postgres:// URL), FLEET_DEFINITIONS (JSON), FLEET_REQUESTS (path of a JSON
 * array of requests), FLEET_WORKER (the worker's id), FLEET_SEED, FLEET_CONCURRENCY.
 */
import { readFileSync } from 'node:fs';
import { openActionExecutor } from '../src/execution/open-action-executor.ts';
import { isActionError } from '../src/failure/errors.ts';
import { mulberry32 } from '../src/support/random.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';
import { runPool } from './bench-stats.ts';

const env = process.env;
const worker = env['FLEET_WORKER'] ?? 'worker';
const requests = JSON.parse(readFileSync(env['FLEET_REQUESTS']!, 'utf8')) as ActionExecuteRequest[];
const concurrency = Number(env['FLEET_CONCURRENCY'] ?? '8');
const random = mulberry32(Number(env['FLEET_SEED'] ?? '1'));
const executor = await openActionExecutor({
  db: env['FLEET_DB']!,
  definitions: JSON.parse(env['FLEET_DEFINITIONS']!),
  random,
  customAuth: { fleet: () => ({ 'x-fleet-worker': worker }) },
});
process.stdout.write('ready\n');

const order = requests.map((request) => ({ request, key: random() })).sort((a, b) => a.key - b.key);
const terminal = async (): Promise<number> => (await executor.list({ status: ['completed', 'failed', 'skipped'], limit: 1 })).total;

/** Busy (another worker drives it) and infrastructure hiccups are not this worker's business: move on. */
const tolerate = (error: unknown): void => {
  if (isActionError(error) && (error.detail.code === 'LEASE_HELD' || error.detail.code === 'LEASE_LOST')) return;
  if (isActionError(error) && error.detail.category !== 'state_inconsistent') throw error;
};

await runPool(order.length, concurrency, async (index) => {
  await executor.execute(order[index]!.request).catch(tolerate);
});
let idle = 0;
while ((await terminal()) < requests.length) {
  const report = await executor.resumeAll({ concurrency });
  if (report.resumed === 0) {
    idle += 1;
    // Another worker holds what is left; look again shortly (bounded: the parent ends stuck runs).
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * idle)));
  } else idle = 0;
}
await executor.close();
process.stdout.write('done\n');
