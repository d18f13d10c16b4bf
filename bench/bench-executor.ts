/**
 * A durable executor for a benchmark: its own journal and storage in a fresh temp directory (on the
 * same disk as the repository's temp files), the system clock, a silent logger. Definitions and
 * requests come from the test harness (test/support/executor-harness.ts), so the bench drives the
 * executor exactly as the tests do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor, type ActionExecutor, type ActionExecutorOptions } from '../src/execution/executor.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';

/** An executor with its files, and a cleanup that closes it and deletes them. */
export interface BenchExecutor {
  executor: ActionExecutor;
  dir: string;
  dbPath: string;
  storageDir: string;
  /** Another executor over the same files (a restarted process). */
  reopen(extra?: Partial<ActionExecutorOptions>): ActionExecutor;
  cleanup(): Promise<void>;
}

/** Creates the executor in a new temp directory. */
export function createBenchExecutor(definitions: ActionDefinition[], extra: Partial<ActionExecutorOptions> = {}): BenchExecutor {
  const dir = mkdtempSync(join(tmpdir(), 'ae-bench-'));
  const dbPath = join(dir, 'journal.db');
  const storageDir = join(dir, 'storage');
  const opened: ActionExecutor[] = [];
  const open = (more: Partial<ActionExecutorOptions> = {}): ActionExecutor => {
    const executor = createActionExecutor({ dbPath, storageDir, definitions, ...extra, ...more });
    opened.push(executor);
    return executor;
  };
  return {
    executor: open(),
    dir,
    dbPath,
    storageDir,
    reopen: open,
    cleanup: async () => {
      for (const executor of opened) await executor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
