/**
 * `npm run chaos [-- --executions N] [-- --kills K] [-- --seed S] [-- --concurrency C] [-- --out FILE]`
 *
 * Runs the chaos soak (bench/chaos-soak.ts) and writes its figures to the chaos section of
 * docs/benchmarks.md. Exits 1 when a must-be-zero figure is not zero or integrity_check is not ok.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts } from './bench-stats.ts';
import { runChaosSoak } from './chaos-soak.ts';
import { chaosVerdict, renderChaosReport } from './chaos-report.ts';
import { writeDocSection } from './doc-sections.ts';

const USAGE = 'usage: npm run chaos -- [--executions 1000] [--kills 50] [--seed 7] [--concurrency 8] [--durability process|machine] [--out docs/benchmarks.md]';

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    process.stderr.write(`--${name} must be a non-negative integer, got "${value}"\n${USAGE}\n`);
    process.exit(2);
  }
  return parsed;
}

let values: Record<string, string | undefined>;
try {
  values = parseArgs({
    options: { executions: { type: 'string' }, kills: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, durability: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  }).values;
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

function durabilityOf(value: string | undefined): 'process' | 'machine' {
  if (value === undefined || value === 'process' || value === 'machine') return value ?? 'process';
  process.stderr.write(`--durability must be process or machine, got "${value}"\n${USAGE}\n`);
  process.exit(2);
}
const durability = durabilityOf(values['durability']);
const options = {
  durability,
  executions: integer('executions', values['executions'], 1000),
  kills: integer('kills', values['kills'], 50),
  seed: integer('seed', values['seed'], 7),
  concurrency: integer('concurrency', values['concurrency'], 8),
};
const facts = machineFacts();
const report = await runChaosSoak({ ...options, progress: (line) => process.stderr.write(`chaos: ${line}\n`) });
const command = ['npm run chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const markdown = renderChaosReport(report, facts, command);
process.stdout.write(`${markdown}\n`);
const out = values['out'] ?? 'docs/benchmarks.md';
writeDocSection(resolve(out), durability === 'process' ? 'chaos' : 'chaos-machine', markdown);
process.stderr.write(`chaos: wrote ${out}\n`);
const verdict = chaosVerdict(report);
if (!verdict.ok) {
  process.stderr.write(`chaos: FAILED: ${verdict.problems.join('; ')}\n`);
  process.exitCode = 1;
}
