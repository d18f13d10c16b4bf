import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects (issue 9): `fast` — everything that runs in seconds, what a developer runs on every
 * change (`npm run test:fast`) — and `soak` — crash matrices, fuzzing, chaos, the demo, the bench
 * smoke run, large-body memory bounds, the browser and fleet tests. `npm test` (and CI) runs both.
 */
const SOAK = [
  'test/crash*.test.ts',
  'test/fuzz.test.ts',
  'test/chaos.test.ts',
  'test/demo.test.ts',
  'test/replay-emit.test.ts',
  'test/cli-signals.test.ts',
  // Real processes, real servers or real browsers beyond a quick check: seconds each.
  'test/cli-busy.test.ts',
  'test/cli-inspect.test.ts',
  'test/cli-ui.test.ts',
  'test/lease-pid-namespace.test.ts',
  'test/resubmit-after-sigkill.test.ts',
  'test/postgres-executor.test.ts',
  'test/postgres-plan.test.ts',
  'test/trigger-task-context.test.ts',
  'test/plan-execute-task*.test.ts',
  'test/test-services.test.ts',
  'test/bench-smoke.test.ts',
  'test/http-memory.test.ts',
  'test/postgres-storage.test.ts',
  'test/fleet*.test.ts',
  'test/**/*.browser.test.ts',
  'test/**/*.soak.test.ts',
];

export default defineConfig({
  test: {
    // Two cores on CI: forks keep native better-sqlite3 handles and child processes isolated per file.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SOAK] } },
      { extends: true, test: { name: 'soak', include: SOAK } },
    ],
  },
});
