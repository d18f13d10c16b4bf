/**
 * trigger.config.ts: definitions and catalog entries reach the deployed image. The config's own
 * `additionalFiles` extension runs its build step on a project (the repository's examples) and the
 * worker then opens on the build output with the paths it reads by default.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildExtension } from '@trigger.dev/core/v3/build';
import config, { SHIPPED_FILES } from '../trigger.config.ts';
import { openTaskWorker } from '../src/trigger/task-worker.ts';
import { WORKER_DEFAULTS, workerEnvironment } from '../src/trigger/worker-environment.ts';

type BuildStep = Parameters<NonNullable<BuildExtension['onBuildComplete']>>;

const examples = new URL('../examples/', import.meta.url).pathname;
let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('trigger.config.ts', () => {
  it("ships the definition and catalog files the worker reads by default (additionalFiles), and the worker opens on the build output", async () => {
    root = mkdtempSync(join(tmpdir(), 'ae-trigger-build-'));
    const project = join(root, 'project');
    const output = join(root, 'build');
    cpSync(join(examples, 'definitions'), join(project, WORKER_DEFAULTS.definitions), { recursive: true });
    cpSync(join(examples, 'catalog'), join(project, WORKER_DEFAULTS.catalog), { recursive: true });
    writeFileSync(join(project, 'notes.txt'), 'not shipped');
    expect(SHIPPED_FILES).toEqual(['./definitions/*.json', './catalog/*.json']);

    const extension = config.build?.extensions?.find((e) => e.name === 'additionalFiles');
    const logger = { debug: () => undefined, warn: () => undefined, log: () => undefined, progress: () => undefined, spinner: () => undefined };
    await extension?.onBuildComplete?.({ workingDir: project, logger } as unknown as BuildStep[0], { outputPath: output } as BuildStep[1]);

    const shipped = (dir: string) => readdirSync(join(output, dir)).sort();
    expect(shipped(WORKER_DEFAULTS.definitions)).toEqual(readdirSync(join(examples, 'definitions')).sort());
    expect(shipped(WORKER_DEFAULTS.catalog)).toEqual(readdirSync(join(examples, 'catalog')).sort());
    expect(existsSync(join(output, 'notes.txt'))).toBe(false);

    // In the image the worker's working directory is the build directory: its defaults resolve there.
    // Opening is the check: a worker refuses to open on missing or broken definitions or catalog files.
    const environment = workerEnvironment({});
    const opening = openTaskWorker({
      ...environment,
      definitionsDir: join(output, environment.definitionsDir),
      catalogDir: join(output, environment.catalogDir),
      db: join(root, 'journal.db'),
      storage: join(root, 'storage'),
    });
    await expect(opening).resolves.toMatchObject({ environment: { definitionsDir: join(output, 'definitions'), catalogDir: join(output, 'catalog') } });
    await (await opening).close();
  });

  it('keeps better-sqlite3 external and makes `trigger dev` run in the build directory as a deployed worker does', () => {
    expect(config.build?.external).toContain('better-sqlite3');
    expect(config.legacyDevProcessCwdBehaviour).toBe(false);
    expect(config.dirs).toEqual(['./src/trigger']);
  });
});
