import { defineConfig } from '@trigger.dev/sdk';
import { additionalFiles } from '@trigger.dev/build/extensions/core';
import { WORKER_DEFAULTS } from './src/trigger/worker-environment.ts';

/**
 * The files a worker reads at run time, copied into the deployed image (and the `trigger dev` build)
 * at the same paths relative to the project root: the action definitions and the API catalog entries
 * in the directories the worker reads by default (`ACTION_EXECUTOR_DEFINITIONS`, `ACTION_EXECUTOR_CATALOG`).
 */
export const SHIPPED_FILES = [`${WORKER_DEFAULTS.definitions}/*.json`, `${WORKER_DEFAULTS.catalog}/*.json`];

/**
 * Trigger.dev v4 project configuration for the `action-execute` and `plan-execute` tasks
 * (src/trigger/action-executor-jobs.ts, src/trigger/plan-execute-job.ts; docs/trigger-dev.md): both are
 * found in `dirs`. Set TRIGGER_PROJECT_REF to your project ref.
 */
export default defineConfig({
  project: process.env['TRIGGER_PROJECT_REF'] ?? 'proj_action_executor',
  dirs: ['./src/trigger'],
  // The worker's working directory is the build directory in dev too, as in a deployed image, so the
  // relative default paths above resolve to the shipped files in both.
  legacyDevProcessCwdBehaviour: false,
  maxDuration: 3600,
  build: {
    // better-sqlite3 is a native module: installed and built in the image rather than bundled.
    external: ['better-sqlite3'],
    extensions: [additionalFiles({ files: SHIPPED_FILES })],
  },
});
