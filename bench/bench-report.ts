/**
 * Renders a {@link BenchReport} as the markdown section of docs/benchmarks.md: machine facts, the
 * exact command, every figure, and each goal of issue 6 marked met or missed.
 */
import type { BenchReport } from './benchmarks.ts';
import { round } from './bench-stats.ts';

const verdict = (met: boolean): string => (met ? '**met**' : '**missed**');
const n = (value: number): string => round(value).toLocaleString('en-US');

/** The goals of issue 6, as numbers the report checks. */
export const GOALS = {
  ratio: 0.5,
  durablePerSecond: 1000,
  rssGrowthMiB: 64,
  resumeSeconds: 5,
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
  return lines.join('\n');
}
