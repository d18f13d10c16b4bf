/**
 * One life of the chaos soak's executor process (bench/chaos-soak.ts kills it at random moments).
 * On start it resumes every unfinished execution with `resumeAll`, and meanwhile submits the
 * requests the journal has never seen, in order, `CHAOS_CONCURRENCY` at a time. Prints `ready` once
 * the executor is open and `done` when nothing is left, then exits 0.
 *
 * Environment: CHAOS_DB, CHAOS_STORAGE, CHAOS_DEFINITIONS (JSON array), CHAOS_REQUESTS (path of a JSON
 * array of requests), CHAOS_CONCURRENCY, CHAOS_SEED (jitter seed of this life), CHAOS_DURABILITY.
 */
import { readFileSync } from 'node:fs';
import { createActionExecutor } from '../src/execution/executor.ts';
import { mulberry32 } from '../src/support/random.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';
import { runPool } from './bench-stats.ts';

const env = process.env;
const requests = JSON.parse(readFileSync(env['CHAOS_REQUESTS']!, 'utf8')) as ActionExecuteRequest[];
const concurrency = Number(env['CHAOS_CONCURRENCY'] ?? '8');
const executor = createActionExecutor({
  dbPath: env['CHAOS_DB']!,
  storageDir: env['CHAOS_STORAGE']!,
  definitions: JSON.parse(env['CHAOS_DEFINITIONS']!),
  random: mulberry32(Number(env['CHAOS_SEED'] ?? '1')),
  durability: env['CHAOS_DURABILITY'] === 'machine' ? 'machine' : 'process',
});
process.stdout.write('ready\n');

const known = await Promise.all(requests.map((request) => executor.journal.get({ executionId: request.executionId, actionId: request.action.id })));
// Never journaled (or killed before its first commit, which records nothing): submit it again.
const fresh = requests.filter((_, index) => known[index] === undefined);
const [resumed] = await Promise.all([
  executor.resumeAll({ concurrency }),
  runPool(fresh.length, concurrency, async (index) => {
    await executor.execute(fresh[index]);
  }),
]);
await executor.close();
process.stdout.write(`done ${JSON.stringify({ resumed: resumed.resumed, errors: resumed.errors.length, busy: resumed.busy })}\n`);
