import { defineConfig } from '@trigger.dev/sdk';

/**
 * Trigger.dev v4 project configuration for the `action-execute` task (src/trigger/action-executor-jobs.ts).
 * Set TRIGGER_PROJECT_REF to your project ref; better-sqlite3 is a native module and stays external.
 */
export default defineConfig({
  project: process.env['TRIGGER_PROJECT_REF'] ?? 'proj_action_executor',
  dirs: ['./src'],
  maxDuration: 3600,
  build: { external: ['better-sqlite3'] },
});
