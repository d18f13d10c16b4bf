/** The fleet soak's verdict and its markdown section of docs/benchmarks.md. */
import type { MachineFacts } from './bench-stats.ts';
import type { FleetReport } from './fleet-soak.ts';

/** Every figure that must be zero, with what it means. */
export function fleetVerdict(report: FleetReport): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const zero: [Exclude<keyof FleetReport, 'byKind'>, string][] = [
    ['lost', 'executions not terminal'],
    ['duplicateKeyedEffects', 'keyed POSTs applied twice'],
    ['duplicateUnkeyedEffects', 'unkeyed POSTs sent twice'],
    ['overlappingDrivers', 'attempts sent while another live worker drove the execution'],
    ['unjournaledSends', 'unkeyed POSTs sent more often than journaled'],
    ['invalidStates', 'final states that fail the schema'],
  ];
  for (const [field, what] of zero) if (report[field] !== 0) problems.push(`${report[field]} ${what}`);
  return { ok: problems.length === 0, problems };
}

export function renderFleetReport(report: FleetReport, facts: MachineFacts, command: string): string {
  const verdict = fleetVerdict(report);
  const row = (figure: string, value: number | string, must: string): string => `| ${figure} | ${value} | ${must} |`;
  return [
    '## Fleet soak (`npm run fleet`)',
    '',
    `Reproduce: \`${command}\` (seed ${report.seed}; needs PostgreSQL: \`npm run pg:start\` or ACTION_EXECUTOR_TEST_PG).`,
    '',
    `Machine: ${facts.cores} cores (${facts.cpuModel}), Node ${facts.node}, ${facts.os}; 1-minute load average at start ${facts.loadAverage}.`,
    '',
    `${report.workers} worker processes${report.hostNames > 0 ? `, each under a host name of its own (${report.hostNames} distinct, unshare --uts)` : ''}, share one PostgreSQL journal`,
    `and storage and compete for ${report.executions} executions (${report.byKind.get} GET, ${report.byKind.post_keyed} keyed POST, ${report.byKind.post_unkeyed} unkeyed POST)`,
    'against a local API that counts effects and records which worker sent each request. Workers are SIGKILLed at random',
    'moments and replaced; the survivors and the replacements take the dead workers\' executions over (their database',
    'sessions, and so their advisory locks, are gone).',
    '',
    '| figure | value | must be |',
    '|---|---:|---|',
    row('executions', report.executions, ''),
    row('SIGKILLs', report.kills, '≥ 50 in the full run'),
    row('worker lives', report.lives, ''),
    row('completed', report.completed, ''),
    row('failed', report.failed, 'only OUTCOME_UNKNOWN'),
    row('**lost executions**', report.lost, '0'),
    row('**duplicate effects (keyed POST)**', report.duplicateKeyedEffects, '0'),
    row('**unkeyed POST sent twice**', report.duplicateUnkeyedEffects, '0'),
    row('unkeyed in-doubt POSTs ended OUTCOME_UNKNOWN', report.outcomeUnknown, 'counted, never re-sent'),
    row('executions taken over after a kill', report.takenOver, ''),
    row('**attempts sent while another live worker drove the execution** (API hit log)', report.overlappingDrivers, '0'),
    row('**unkeyed POSTs sent more often than journaled** (journal)', report.unjournaledSends, '0'),
    row('schema-invalid final states', report.invalidStates, '0'),
    row('wall time (s)', report.seconds.toFixed(1), ''),
    '',
    verdict.ok ? 'Verdict: **every must-be-zero figure is zero.**' : `Verdict: **FAILED**: ${verdict.problems.join('; ')}.`,
  ].join('\n');
}
