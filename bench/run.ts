/**
 * `npm run bench [-- --quick] [-- --only compare,overhead,large,resume,herd,plan] [-- --baseline REF|none] [-- --out FILE] [-- --seed N]`
 *
 * Runs the issue 6 benchmarks side by side in this one process and writes the bench section of
 * docs/benchmarks.md. `--quick` runs shrunken workloads and prints the section without writing the
 * file (unless `--out` says where), so a smoke run never overwrites real figures.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchmarks, WORKLOADS, type Workload } from './benchmarks.ts';
import { renderBenchReport } from './bench-report.ts';
import { writeDocSection } from './doc-sections.ts';

const USAGE = `usage: npm run bench -- [--quick] [--only ${WORKLOADS.join(',')}] [--baseline REF|none] [--out FILE] [--seed N]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        baseline: { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

const only = values.only?.split(',').map((name) => name.trim()) ?? undefined;
for (const name of only ?? []) {
  if (!(WORKLOADS as readonly string[]).includes(name)) fail(`--only: unknown workload "${name}"; expected one of ${WORKLOADS.join(', ')}`);
}
const seed = values.seed === undefined ? 42 : Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`);

const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const report = await runBenchmarks({
  quick: values.quick,
  ...(only ? { only: only as Workload[] } : {}),
  seed,
  ...(values.baseline === undefined ? {} : { baseline: values.baseline === 'none' ? null : values.baseline }),
  progress: (line) => process.stderr.write(`bench: ${line}\n`),
});
const markdown = renderBenchReport(report, command);
process.stdout.write(`${markdown}\n`);
const out = values.out ?? (values.quick ? undefined : 'docs/benchmarks.md');
if (out !== undefined) {
  writeDocSection(resolve(out), 'bench', markdown);
  process.stderr.write(`bench: wrote ${out}\n`);
}
