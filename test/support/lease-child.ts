/**
 * An executor process for the lease tests across pid namespaces: runs one request and reports on
 * stdout, one JSON object a line — `{"event":"backingOff","pid":…}` when the first backoff is
 * journaled, then `{"finished":status}` or `{"error":code,"message":…}` — and exits 0 either way.
 * Configured through the environment: AE_DB, AE_STORAGE, AE_DEFINITIONS (JSON array), AE_REQUEST (JSON).
 */
import { createActionExecutor } from '../../src/execution/executor.ts';
import { isActionError } from '../../src/failure/errors.ts';

const env = process.env;
const say = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
let announced = false;
const executor = createActionExecutor({
  dbPath: env['AE_DB']!,
  storageDir: env['AE_STORAGE']!,
  definitions: JSON.parse(env['AE_DEFINITIONS']!),
  onTransition: (info) => {
    if (info.to !== 'backingOff' || announced) return;
    announced = true;
    say({ event: 'backingOff', pid: process.pid });
  },
});
try {
  const state = await executor.execute(JSON.parse(env['AE_REQUEST']!));
  say({ finished: state.status });
} catch (error) {
  say({ error: isActionError(error) ? error.detail.code : String(error), message: error instanceof Error ? error.message : String(error) });
} finally {
  await executor.close();
}
