/**
 * Renders a {@link BenchReport} as the markdown section of docs/benchmarks.md: machine facts, the
 * exact command, every figure, and each goal (issues 6 and 11) marked met or missed.
 */
import type { BenchReport } from './benchmarks.ts';
import type { CompareReport } from './compare.ts';
import { round } from './bench-stats.ts';

const verdict = (met: boolean): string => (met ? '**met**' : '**missed**');
const n = (value: number): string => round(value).toLocaleString('en-US');

/** The goals of issue 6, as numbers the report checks. */
export const GOALS = {
  ratio: 0.5,
  durablePerSecond: 1000,
  rssGrowthMiB: 64,
  resumeSeconds: 5,
  /** Issue 11: a 50-action plan costs at most this much more than the same actions run directly. */
  planOverhead: 0.2,
} as const;

/** What the Postgres side of the overhead workload showed, or why it did not run. */
function postgresLines(report: BenchReport): string[] {
  if (report.postgresSkipped !== undefined) return [`Postgres side skipped: ${report.postgresSkipped}.`, ''];
  const rows = (report.overhead ?? []).filter((row) => row.postgres !== undefined);
  if (rows.length === 0) return [];
  return [
    'Postgres side: the same actions journaled in PostgreSQL (one group commit = one round trip) with results in Postgres storage,',
    `on PostgreSQL ${report.postgres?.serverVersion ?? 'unknown'} on this machine (127.0.0.1); durability is the server's synchronous_commit = ${report.postgres?.synchronousCommit ?? 'unknown'}.`,
    '',
    ...rows.map((row) => `- concurrency ${row.concurrency}: Postgres/SQLite throughput ${row.postgres!.vsSqlite.toFixed(2)}; ${n(row.postgres!.journalRoundTripsPerAction)} journal round trips per action.`),
    '',
  ];
}

/** Markdown for the bench section. `command` is what reproduces the run. */
export function renderBenchReport(report: BenchReport, command: string): string {
  const { facts } = report;
  const lines: string[] = [];
  lines.push('## Benchmarks (`npm run bench`)', '');
  if (report.quick) lines.push('> **Quick mode**: shrunken workloads that prove the benchmarks run. These timings mean nothing.', '');
  lines.push(
    `Reproduce: \`${command}\``,
    '',
    `Machine: ${facts.cores} cores (${facts.cpuModel}), ${facts.memoryGiB} GiB RAM, Node ${facts.node}, ${facts.os}; ` +
      `1-minute load average at start ${facts.loadAverage} (the machine is shared, so absolute figures vary run to run; the side-by-side ratios much less).`,
    `Run started ${report.startedAt}, took ${n(report.totalSeconds)} s. Jitter seed ${report.seed}.`,
    '',
  );

  if (report.compare) lines.push(...renderComparison(report.compare));

  if (report.overhead) {
    lines.push('### Durability overhead: bare ky GET vs the durable executor', '');
    lines.push(
      'Same local server, same process, alternating rounds. Durable = journal every transition (SQLite WAL, one',
      'transaction each), write each attempt ahead, store output and final state through the storage provider.',
      '',
      '| concurrency | client | actions | actions/s | p50 ms | p99 ms | journal transactions / action |',
      '|---:|---|---:|---:|---:|---:|---:|',
    );
    for (const row of report.overhead) {
      lines.push(`| ${row.concurrency} | bare ky GET | ${row.bare.operations} | ${n(row.bare.perSecond)} | ${n(row.bare.p50Ms)} | ${n(row.bare.p99Ms)} | 0 |`);
      lines.push(`| ${row.concurrency} | durable executor | ${row.durable.operations} | ${n(row.durable.perSecond)} | ${n(row.durable.p50Ms)} | ${n(row.durable.p99Ms)} | ${n(row.journalTransactionsPerAction)} |`);
      const pg = row.postgres;
      if (pg) lines.push(`| ${row.concurrency} | durable executor, Postgres journal + storage | ${pg.durable.operations} | ${n(pg.durable.perSecond)} | ${n(pg.durable.p50Ms)} | ${n(pg.durable.p99Ms)} | ${n(pg.journalTransactionsPerAction)} |`);
    }
    lines.push('');
    lines.push(...postgresLines(report));
    const at64 = report.overhead.find((row) => row.concurrency === 64);
    if (at64) {
      lines.push(`durable/bare throughput ratio: ${at64.ratio.toFixed(2)}`, '');
      lines.push(`- Goal ratio ≥ ${GOALS.ratio.toFixed(2)} at concurrency 64: ${verdict(at64.ratio >= GOALS.ratio)} (${at64.ratio.toFixed(2)}).`);
      lines.push(`- Goal ≥ ${GOALS.durablePerSecond.toLocaleString('en-US')} durable actions/s: ${verdict(at64.durable.perSecond >= GOALS.durablePerSecond)} (${n(at64.durable.perSecond)}/s).`);
    }
    for (const row of report.overhead) {
      if (row !== at64) lines.push(`- durable/bare throughput ratio at concurrency ${row.concurrency}: ${row.ratio.toFixed(2)}.`);
    }
    lines.push('');
  }

  if (report.large) {
    const { bare, durable, bytes } = report.large;
    lines.push('### Large response streamed to storage', '');
    lines.push(
      `${n(bytes / 1024 ** 2)} MiB of application/octet-stream. Bare = ky GET piped to a file; durable = the executor streams the`,
      'body to the storage provider (temp file, SHA-256, fsync, atomic rename) and journals its location.',
      '',
      '| client | MB/s | seconds | peak RSS growth MiB |',
      '|---|---:|---:|---:|',
      `| bare ky GET → file | ${n(bare.megabytesPerSecond)} | ${n(bare.seconds)} | ${n(bare.peakRssGrowthMiB)} |`,
      `| durable executor → storage | ${n(durable.megabytesPerSecond)} | ${n(durable.seconds)} | ${n(durable.peakRssGrowthMiB)} |`,
      '',
      `Execution ended \`${durable.status}\`; the stored body file holds ${durable.storedBytes.toLocaleString('en-US')} bytes (${durable.storedBytes === bytes ? 'all of them' : 'NOT all of them'}).`,
      `- Goal peak RSS growth ≤ ${GOALS.rssGrowthMiB} MiB: ${verdict(durable.peakRssGrowthMiB <= GOALS.rssGrowthMiB)} (${n(durable.peakRssGrowthMiB)} MiB).`,
      '',
    );
  }

  if (report.resume) {
    const r = report.resume;
    lines.push('### Resume a backlog', '');
    lines.push(
      `${r.executions.toLocaleString('en-US')} executions in \`backingOff\` with deadlines an hour past, resumed by \`resumeAll()\` (concurrency ${r.concurrency}) against the local API.`,
      '',
      '| executions | resumeAll wall s | resumed/s | completed | failed | errors | backlog build s |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      `| ${r.executions} | ${n(r.resumeSeconds)} | ${n(r.perSecond)} | ${r.completed} | ${r.failed} | ${r.errors} | ${n(r.buildSeconds)} |`,
      '',
      `- Goal ≤ ${GOALS.resumeSeconds} s: ${verdict(r.resumeSeconds <= GOALS.resumeSeconds)} (${n(r.resumeSeconds)} s).`,
      '',
    );
  }

  if (report.herd) {
    lines.push('### Thundering herd', '');
    lines.push(
      `${report.herd[0]?.executions ?? 0} executions at once against a server that answers 503 whenever more than 20 requests arrived within`,
      '100 ms. Retry policy: up to 10 attempts, 100 ms initial delay, ×2, at most 5 s; jitter = a seeded random delay in [base/2, base].',
      '',
      '| jitter | requests received | refused (503) | completed | failed (attempts exhausted) | seconds until all terminal |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const side of report.herd) {
      lines.push(`| ${side.jitter ? 'on' : 'off'} | ${side.requests} | ${side.refused} | ${side.completed} | ${side.failed} | ${n(side.seconds)} |`);
    }
    lines.push('');
  }
  if (report.plan) {
    const p = report.plan;
    const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;
    lines.push('### Plan overhead: a 50-action plan vs the same actions direct', '');
    lines.push(
      `${p.actions} GETs in ${p.levels} levels (each action after one of the level before, reading its output), run by the plan runner`,
      `with maxConcurrency ${p.concurrency}, against the same ${p.actions} GETs through \`executor.execute\` by ${p.concurrency} workers. Same server, same`,
      `executor and journal, ${p.rounds} pairs of rounds (which side goes first alternates); the overhead is the median over the pairs of plan / direct.`,
      '',
      '| side | median round ms | journal transactions / action |',
      '|---|---:|---:|',
      `| plan runner | ${n(p.planMs)} | ${n(p.planCommitsPerAction)} |`,
      `| direct | ${n(p.directMs)} | ${n(p.directCommitsPerAction)} |`,
      '',
      `plan overhead: ${pct(p.overhead)} wall time, ${pct(p.cpuOverhead)} CPU time`,
      '',
      `- Goal ≤ ${pct(GOALS.planOverhead)} more than direct: ${verdict(p.overhead <= GOALS.planOverhead)} (${pct(p.overhead)}).`,
      '',
    );
  }
  return lines.join('\n');
}

/** Issue 9's targets for the side-by-side comparison. */
export const COMPARE_GOALS = { speedupAt64: 2, resumeSeconds: 8, commitsPerAction: 3, ratio: 0.5 } as const;

/** The side-by-side section: before vs after in both durability modes, and the bare client. */
export function renderComparison(compare: CompareReport): string[] {
  const lines: string[] = ['### Side by side: before the redesign, after it in both durability modes, and a bare client', ''];
  lines.push(
    'Each side runs in a process of its own (bench/compare-child.ts) against the same local API; rounds alternate which',
    'side goes first. *before* is a worktree of the commit before the redesign, run unchanged. Durable = every transition',
    'journaled before the next side effect, the attempt written ahead, output and final state stored through the storage',
    `provider. Fsyncs are counted by strace on a separate pass (${compare.strace ? `${compare.fsyncActions} actions at concurrency 16` : 'strace not installed: not counted'}).`,
    '',
    '| side | concurrency | actions | actions/s | p50 ms | p99 ms | CPU ms / action | commits / action | fsyncs / action |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const result of compare.sides) {
    for (const row of result.byConcurrency) {
      const fsyncs = result.side.kind === 'bare' ? '0' : result.fsyncsPerAction === undefined ? 'n/a' : n(result.fsyncsPerAction);
      lines.push(
        `| ${result.side.label} | ${row.concurrency} | ${row.load.operations} | ${n(row.load.perSecond)} | ${n(row.load.p50Ms)} | ${n(row.load.p99Ms)} | ${n(row.cpuMsPerAction)} | ${result.side.kind === 'bare' ? '0' : n(row.commitsPerAction)} | ${fsyncs} |`,
      );
    }
  }
  lines.push('');
  const at = (label: string, concurrency: number) => compare.sides.find((s) => s.side.label === label)?.byConcurrency.find((r) => r.concurrency === concurrency);
  const bare64 = compare.sides.find((s) => s.side.kind === 'bare')?.byConcurrency.find((r) => r.concurrency === 64);
  const before = compare.sides.find((s) => s.side.label.startsWith('before'));
  const before64 = before?.byConcurrency.find((r) => r.concurrency === 64);
  for (const label of ['after, durability process', 'after, durability machine']) {
    const after64 = at(label, 64);
    const after1 = at(label, 1);
    if (!after64) continue;
    const parts: string[] = [];
    if (bare64) parts.push(`durable/bare ratio ${(after64.load.perSecond / bare64.load.perSecond).toFixed(2)} (goal ${COMPARE_GOALS.ratio.toFixed(2)}: ${verdict(after64.load.perSecond / bare64.load.perSecond >= COMPARE_GOALS.ratio)})`);
    if (before64) {
      const speedup = after64.load.perSecond / before64.load.perSecond;
      parts.push(`${speedup.toFixed(2)}× before's throughput at concurrency 64 (goal ${COMPARE_GOALS.speedupAt64}×: ${verdict(speedup >= COMPARE_GOALS.speedupAt64)})`);
    }
    if (after1) parts.push(`${n(after1.commitsPerAction)} commits per action at concurrency 1 (goal ≤ ${COMPARE_GOALS.commitsPerAction}: ${verdict(after1.commitsPerAction <= COMPARE_GOALS.commitsPerAction)})`);
    lines.push(`- **${label}**: ${parts.join('; ')}.`);
  }
  const resumed = compare.sides.filter((s) => s.resume);
  if (resumed.length > 0) {
    lines.push('', '| side | backlog | resumeAll s | resumed/s | completed |', '|---|---:|---:|---:|---:|');
    for (const side of resumed) lines.push(`| ${side.side.label} | ${side.resume!.executions} | ${n(side.resume!.resumeSeconds)} | ${n(side.resume!.perSecond)} | ${side.resume!.completed} |`);
    for (const side of resumed) {
      if (side.side.label.startsWith('after')) lines.push(`- ${side.side.label}: resume of ${side.resume!.executions} in ${n(side.resume!.resumeSeconds)} s (goal ≤ ${COMPARE_GOALS.resumeSeconds} s for 10,000: ${verdict(side.resume!.executions >= 10_000 && side.resume!.resumeSeconds <= COMPARE_GOALS.resumeSeconds)}).`);
    }
  }
  lines.push('');
  return lines;
}
