/**
 * The chaos soak's figures as markdown (the chaos section of docs/benchmarks.md), and the verdict:
 * which must-be-zero figures were not.
 */
import type { MachineFacts } from './bench-stats.ts';
import { round } from './bench-stats.ts';
import type { ChaosReport } from './chaos-soak.ts';

/** Problems with a soak's figures; `ok` when every must-be-zero figure is zero and integrity is ok. */
export function chaosVerdict(report: ChaosReport): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (report.lost > 0) problems.push(`${report.lost} executions lost (not terminal or missing)`);
  if (report.duplicateKeyedEffects > 0) problems.push(`${report.duplicateKeyedEffects} keyed POSTs applied twice`);
  if (report.duplicateUnkeyedEffects > 0) problems.push(`${report.duplicateUnkeyedEffects} unkeyed POSTs sent twice`);
  if (report.invalidStates > 0) problems.push(`${report.invalidStates} final states fail ActionExecutionStateSchema`);
  if (report.integrityCheck !== 'ok') problems.push(`integrity_check: ${report.integrityCheck}`);
  return { ok: problems.length === 0, problems };
}

/** Markdown for the chaos section. */
export function renderChaosReport(report: ChaosReport, facts: MachineFacts, command: string): string {
  const verdict = chaosVerdict(report);
  return [
    `## Chaos soak (\`npm run chaos\`)${report.durability === 'machine' ? ', durability `machine`' : ''}`,
    '',
    `Reproduce: \`${command}\` (seed ${report.seed}: the workload and each kill's trigger — after the n-th request of a process's life, plus 0–30 ms — follow from it; the exact instants depend on the machine's pace).`,
    '',
    `Machine: ${facts.cores} cores (${facts.cpuModel}), Node ${facts.node}, ${facts.os}; 1-minute load average at start ${facts.loadAverage}.`,
    '',
    `${report.executions} executions (${report.byKind.get} GET, ${report.byKind.post_keyed} POST with an Idempotency-Key, ${report.byKind.post_unkeyed} POST without),`,
    'against a local API that honours Idempotency-Key and counts effects; some answers are slow (0–60 ms) and 40 % of GETs',
    'and keyed POSTs first answer 503. The executor runs in a child process SIGKILLed at random moments and restarted;',
    'each new process resumes with `resumeAll()` and submits what was never submitted, until every execution is terminal.',
    `Durability mode: \`${report.durability}\` (${report.durability === 'machine' ? 'SQLite synchronous=FULL, files and directories fsynced' : 'SQLite synchronous=NORMAL, atomic renames, no fsync on the hot path'}).`,
    '',
    '| figure | value | must be |',
    '|---|---:|---|',
    `| executions | ${report.executions} | |`,
    `| SIGKILLs | ${report.kills} | |`,
    `| executor processes started | ${report.lives} | |`,
    `| completed / failed | ${report.completed} / ${report.failed} | |`,
    `| lost executions | ${report.lost} | 0 |`,
    `| duplicate effects, POST with Idempotency-Key | ${report.duplicateKeyedEffects} | 0 |`,
    `| duplicate effects, POST without a key | ${report.duplicateUnkeyedEffects} | 0 |`,
    `| GETs re-sent after a kill (idempotent, no effect) | ${report.getResends} | |`,
    `| in-doubt unkeyed POSTs ended \`OUTCOME_UNKNOWN\` | ${report.outcomeUnknown} | |`,
    `| final states failing ActionExecutionStateSchema | ${report.invalidStates} | 0 |`,
    `| \`PRAGMA integrity_check\` | ${report.integrityCheck} | ok |`,
    `| wall time | ${round(report.seconds)} s | |`,
    '',
    verdict.ok ? 'Verdict: **every must-be figure holds.**' : `Verdict: **FAILED** — ${verdict.problems.join('; ')}.`,
  ].join('\n');
}
