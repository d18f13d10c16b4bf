/**
 * The `exports` map is what users import: every subpath must keep resolving to a module with the
 * names it has always exported (issue 9: "a user's imports must not break").
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type * as ErrorsModule from '../src/failure/errors.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; exports: Record<string, string> };

/** Names each subpath has exported since it was published; a subpath may add, never drop. */
const EXPECTED: Record<string, string[]> = {
  './executor': ['createActionExecutor', 'EXECUTOR_DEFAULTS'],
  './plan-executor': ['createPlanExecutor', 'PLAN_EXECUTOR_DEFAULTS'],
  './open-action-executor': ['openActionExecutor'],
  './definition-registry': ['loadDefinitionsFromDir', 'createDefinitionRegistry'],
  './catalog-registry': ['loadCatalogFromDir'],
  './action-executor-jobs': ['executeActionJob', 'runActionExecuteJob'],
  './trigger-action-execution': ['triggerActionExecution', 'actionExecutionIdempotencyKey'],
  './plan-execute-job': ['executePlanJob', 'runPlanExecuteJob'],
  './trigger-plan-execution': ['triggerPlanExecution', 'planExecutionIdempotencyKey'],
  './clock': ['systemClock', 'createManualClock'],
  './errors': ['ActionError', 'isActionError', 'InfrastructureError', 'isInfrastructureError', 'InterruptedError', 'isInterruptedError'],
  './machine': ['actionExecutionMachine', 'MACHINE_VERSION'],
  './replay': ['replayRecording', 'runReplay'],
  './storage/local-storage-provider': ['createLocalStorageProvider'],
  './storage/postgres-storage-provider': ['openPostgresStorageProvider'],
  './storage/postgres-journal': ['openPostgresJournal', 'PostgresJournal'],
};

describe('package exports', () => {
  it('lists every subpath this test knows, and no file it does not', () => {
    const subpaths = Object.keys(pkg.exports).filter((key) => !key.includes('*') && key !== './package.json');
    expect(subpaths.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [subpath, names] of Object.entries(EXPECTED)) {
    it(`${pkg.name}${subpath.slice(1)} resolves and exports ${names.join(', ')}`, async () => {
      const module = (await import(`${pkg.name}${subpath.slice(1)}`)) as Record<string, unknown>;
      for (const name of names) expect(module[name], `${subpath} exports ${name}`).toBeDefined();
    });
  }

  it('the errors subpath brands survive: isActionError / isInfrastructureError / isInterruptedError recognise their classes', async () => {
    const errors = (await import(`${pkg.name}/errors`)) as typeof ErrorsModule;
    expect(errors.isActionError(errors.actionError('validation_failed', 'x'))).toBe(true);
    expect(errors.isInfrastructureError(new errors.InfrastructureError('disk full'))).toBe(true);
    expect(errors.isInfrastructureError(errors.actionError('validation_failed', 'x'))).toBe(false);
    expect(errors.isInterruptedError(new errors.InterruptedError('SIGTERM'))).toBe(true);
    expect(errors.isInterruptedError(new errors.InfrastructureError('disk full'))).toBe(false);
  });
});
