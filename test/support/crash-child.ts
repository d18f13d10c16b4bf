/**
 * Runs one execution in a child process and SIGKILLs itself at a named journaled point — the
 * fault-injection hook the crash tests use. Configured through the environment:
 * AE_DB, AE_STORAGE, AE_REQUEST (JSON), AE_DEFINITIONS (JSON array), AE_KILL_AT (point name, e.g.
 * `transition:backingOff`, `attempt:begun`), AE_KILL_NTH (which occurrence, default 1), AE_DURABILITY
 * (`process`, the default, or `machine`).
 */
import { createActionExecutor } from '../../src/execution/executor.ts';
import { withTestHooks } from '../../src/execution/test-hooks.ts';

const env = process.env;
const killAt = env['AE_KILL_AT'];
const nth = Number(env['AE_KILL_NTH'] ?? '1');
let seen = 0;

const executor = createActionExecutor(
  withTestHooks(
    { dbPath: env['AE_DB']!, storageDir: env['AE_STORAGE']!, definitions: JSON.parse(env['AE_DEFINITIONS']!), durability: env['AE_DURABILITY'] === 'machine' ? 'machine' : 'process' },
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
