/**
 * Drives a plan in a child process and SIGKILLs itself at a named durable point — the plan crash
 * matrix's fault injection. Configured through the environment: AE_DB (a file, or a postgres:// URL),
 * AE_STORAGE (a directory; unset with a postgres:// AE_DB), AE_DEFINITIONS
 * (JSON array), AE_PLAN (JSON), AE_MODE (`run`: submit the plan; `confirm`: answer AE_CONFIRM_ACTION),
 * AE_KILL_AT (a point: `plan:<events>:<status>` after a plan commit, or an action point such as
 * `attempt:begun`), AE_KILL_NTH (which occurrence, default 1). Both executors report to one hook, so
 * the occurrences count in the order a clean run passes them.
 */
import { openActionExecutor } from '../../src/execution/open-action-executor.ts';
import { withTestHooks } from '../../src/execution/test-hooks.ts';
import { createPlanExecutor } from '../../src/plans/plan-executor.ts';

const env = process.env;
const killAt = env['AE_KILL_AT'];
const nth = Number(env['AE_KILL_NTH'] ?? '1');
let seen = 0;
const faultHook = (point: string): void => {
  if (point === killAt && ++seen === nth) process.kill(process.pid, 'SIGKILL');
};

const definitions = JSON.parse(env['AE_DEFINITIONS']!);
// AE_DB may be a postgres:// URL: then results live in that database too (AE_STORAGE unset).
const storage = env['AE_STORAGE'];
const executor = await openActionExecutor(withTestHooks({ db: env['AE_DB']!, ...(storage === undefined ? {} : { storage }), definitions }, { faultHook }));
const plans = createPlanExecutor(withTestHooks({ executor, definitions }, { faultHook }));
const plan = JSON.parse(env['AE_PLAN']!);
const state = env['AE_MODE'] === 'confirm'
  ? await plans.confirm(plan.id, env['AE_CONFIRM_ACTION']!, { confirmed: true, userId: 'crash-child' })
  : await plans.executePlan(plan);
await plans.close();
await executor.close();
process.stdout.write(`${JSON.stringify({ finished: state.status })}\n`);
