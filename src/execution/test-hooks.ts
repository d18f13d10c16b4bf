/**
 * Test-only seams of the executor, kept off its public options: the crash tests pass
 * `{ ...options, [TEST_HOOKS]: { faultHook } }` to SIGKILL a child at a named durable point.
 */
import type { FaultHook } from './driver.ts';

export const TEST_HOOKS = Symbol.for('action-executor.test-hooks');

export interface TestHooks {
  /** Called with `attempt:begun`, `attempt:finished` or `transition:<state>` right after that commit. */
  faultHook?: FaultHook;
}

/** Reads the hooks a test attached to an options object (none in production). */
export function testHooksOf(options: object): TestHooks {
  return (options as { [TEST_HOOKS]?: TestHooks })[TEST_HOOKS] ?? {};
}

/** Options with test hooks attached (typed as plain options, so they pass anywhere options do). */
export function withTestHooks<T extends object>(options: T, hooks: TestHooks): T {
  return { ...options, [TEST_HOOKS]: hooks };
}
