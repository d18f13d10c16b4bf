/**
 * Runs one execution in a child process on a PostgreSQL journal (and, by default, Postgres storage)
 * and SIGKILLs itself at a named journaled point: a worker machine dying mid-run. Configured through
 * the environment: AE_DB (postgres:// URL), AE_REQUEST (JSON), AE_DEFINITIONS (JSON array),
 * AE_KILL_AT (point name, e.g. `attempt:begun`), AE_KILL_NTH (which occurrence, default 1).
 */
import { openActionExecutor } from '../../src/execution/open-action-executor.ts';
import { withTestHooks } from '../../src/execution/test-hooks.ts';

const env = process.env;
const killAt = env['AE_KILL_AT'];
const nth = Number(env['AE_KILL_NTH'] ?? '1');
let seen = 0;

const executor = await openActionExecutor(
  withTestHooks(
    { db: env['AE_DB']!, definitions: JSON.parse(env['AE_DEFINITIONS']!) },
    {
      faultHook: (point) => {
        if (point === killAt && ++seen === nth) process.kill(process.pid, 'SIGKILL');
      },
    },
  ),
);
const state = await executor.execute(JSON.parse(env['AE_REQUEST']!));
await executor.close();
process.stdout.write(`${JSON.stringify({ finished: state.status })}\n`);
