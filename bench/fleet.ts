/**
 * `npm run fleet [-- --executions N] [-- --kills K] [-- --workers W] [-- --seed S] [-- --out FILE]`
 *
 * Runs the fleet soak (bench/fleet-soak.ts) on a fresh database of the throwaway PostgreSQL
 * (`npm run pg:start`, or ACTION_EXECUTOR_TEST_PG) and writes its figures to the fleet section of
 * docs/benchmarks.md. Exits 1 when a must-be-zero figure is not zero.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts } from './bench-stats.ts';
import { runFleetSoak } from './fleet-soak.ts';
import { fleetVerdict, renderFleetReport } from './fleet-report.ts';
import { writeDocSection } from './doc-sections.ts';
import { freshDatabase } from '../test/support/postgres-server.ts';

const USAGE = 'usage: npm run fleet -- [--executions 1000] [--kills 50] [--workers 4] [--seed 11] [--out docs/benchmarks.md]';

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
  values = parseArgs({ options: { executions: { type: 'string' }, kills: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } }, strict: true }).values;
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

const database = await freshDatabase('fleet').catch((error: unknown) => {
  process.stderr.write(`fleet: needs PostgreSQL (npm run pg:start): ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(3);
});
try {
  const facts = machineFacts();
  const report = await runFleetSoak({
    url: database.url,
    executions: integer('executions', values['executions'], 1000),
    kills: integer('kills', values['kills'], 50),
    workers: integer('workers', values['workers'], 4),
    seed: integer('seed', values['seed'], 11),
    progress: (line) => process.stderr.write(`fleet: ${line}\n`),
  });
  const command = ['npm run fleet', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const markdown = renderFleetReport(report, facts, command);
  process.stdout.write(`${markdown}\n`);
  const out = values['out'] ?? 'docs/benchmarks.md';
  writeDocSection(resolve(out), 'fleet', markdown);
  process.stderr.write(`fleet: wrote ${out}\n`);
  const verdict = fleetVerdict(report);
  if (!verdict.ok) {
    process.stderr.write(`fleet: FAILED: ${verdict.problems.join('; ')}\n`);
    process.exitCode = 1;
  }
} finally {
  await database.drop();
}
