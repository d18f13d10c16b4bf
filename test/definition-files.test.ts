/**
 * Issue 13 "a FIFO or /dev/zero named *.json": the definition and catalog loaders read only regular
 * files (a symlink to one is fine), up to a size cap, and report anything else as a problem naming
 * the file and why — while the good files still load. Each test runs the loader in a child process
 * with a deadline, because the defect is a hang: an in-process read of a FIFO would block the test
 * runner itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDefinitionsFromDir } from '../src/definitions/definition-registry.ts';
import { DEFAULT_MAX_JSON_FILE_BYTES } from '../src/definitions/json-directory.ts';
import { formatProblem, type LoadProblem } from '../src/definitions/load-problem.ts';
import { makeActionDefinition, makeCatalogEntry } from './fixtures.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let outside: string;
beforeEach(() => {
  const base = mkdtempSync(join(tmpdir(), 'ae-defs-'));
  dir = join(base, 'defs');
  outside = join(base, 'elsewhere');
  mkdirSync(dir);
  mkdirSync(outside);
});
afterEach(() => {
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

/** Loads `dir` with the given loader in a child process; fails the test instead of hanging. */
function loadInChild(loader: 'definitions' | 'catalog', options: object = {}): { ids: string[]; problems: LoadProblem[] } {
  const script = loader === 'definitions'
    ? `import { loadDefinitionsFromDir } from './src/definitions/definition-registry.ts';
       const { registry, problems } = loadDefinitionsFromDir(process.argv[1], JSON.parse(process.argv[2]));
       console.log(JSON.stringify({ ids: registry.list().map((d) => d.id), problems }));`
    : `import { loadCatalogFromDir } from './src/catalog/catalog-registry.ts';
       const { catalog, problems } = loadCatalogFromDir(process.argv[1], JSON.parse(process.argv[2]));
       console.log(JSON.stringify({ ids: await catalog.getAllApis(), problems }));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, JSON.stringify(options)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (child.error || child.status !== 0) throw new Error(`loader did not finish (${child.error?.message ?? `exit ${child.status}`}): ${child.stderr}`);
  return JSON.parse(child.stdout) as { ids: string[]; problems: LoadProblem[] };
}

describe('issue 13: only regular files are loaded, up to a size cap', () => {
  it('a FIFO and a symlink to /dev/zero named *.json are reported with why; a symlink to a regular file and the good file load', () => {
    writeFileSync(join(dir, 'good.json'), JSON.stringify(makeActionDefinition({ id: 'good' })));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    writeFileSync(join(outside, 'linked.json'), JSON.stringify(makeActionDefinition({ id: 'linked' })));
    symlinkSync(join(outside, 'linked.json'), join(dir, 'link.json'));

    const { ids, problems } = loadInChild('definitions');
    expect(ids).toEqual(['good', 'linked']);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'fifo.json')}: $: is a FIFO (named pipe), not a regular file; only regular files (or symlinks to them) are loaded`,
      `${join(dir, 'zero.json')}: $: is a character device (via a symlink to /dev/zero), not a regular file; only regular files (or symlinks to them) are loaded`,
    ]);
  });

  it('the catalog loader does the same', () => {
    writeFileSync(join(dir, 'orders.json'), JSON.stringify(makeCatalogEntry({ apiId: 'orders' })));
    execFileSync('mkfifo', [join(dir, 'pipe.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    const { ids, problems } = loadInChild('catalog');
    expect(ids).toEqual(['orders']);
    expect(problems.map((p) => [p.file, p.path])).toEqual([
      [join(dir, 'pipe.json'), '$'],
      [join(dir, 'zero.json'), '$'],
    ]);
  });

  it('a dangling symlink is reported as such', () => {
    symlinkSync(join(outside, 'gone.json'), join(dir, 'dangling.json'));
    const { problems } = loadDefinitionsFromDir(dir);
    expect(problems.map(formatProblem)).toEqual([`${join(dir, 'dangling.json')}: $: is a symlink to ${join(outside, 'gone.json')}, which does not exist`]);
  });

  it(`a file over the cap (default ${DEFAULT_MAX_JSON_FILE_BYTES} bytes) is reported with its size and the option that raises it`, () => {
    expect(DEFAULT_MAX_JSON_FILE_BYTES).toBe(1024 * 1024);
    const padded = { ...makeActionDefinition({ id: 'padded' }), $comment: 'x'.repeat(DEFAULT_MAX_JSON_FILE_BYTES) };
    writeFileSync(join(dir, 'padded.json'), JSON.stringify(padded));
    const size = Buffer.byteLength(JSON.stringify(padded));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(registry.list()).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'padded.json')}: $: file is ${size} bytes; at most ${DEFAULT_MAX_JSON_FILE_BYTES} are accepted (loader option maxFileBytes)`,
    ]);
  });

  it('the cap is configurable through the loader options', () => {
    writeFileSync(join(dir, 'def.json'), JSON.stringify(makeActionDefinition({ id: 'small' })));
    expect(loadDefinitionsFromDir(dir, { maxFileBytes: 100 }).problems[0]?.message).toMatch(/^file is \d+ bytes; at most 100 are accepted/);
    expect(loadDefinitionsFromDir(dir, { maxFileBytes: 1_000_000 }).registry.get('small')).toBeDefined();
  });
});
