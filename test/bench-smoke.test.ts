/**
 * The benchmarks still run (issue 6 §1): `npm run bench -- --quick` in-process, asserting that every
 * workload produced its figures and the report renders them. Timings are deliberately not asserted:
 * benchmarks never gate CI on how fast a shared machine happens to be.
 */
import { describe, expect, it } from 'vitest';
import { runBenchmarks, QUICK_SIZES } from '../bench/benchmarks.ts';
import { renderBenchReport } from '../bench/bench-report.ts';
import { inCi } from './support/service-guard.ts';

const positive = (value: number): void => {
  expect(Number.isFinite(value)).toBe(true);
  expect(value).toBeGreaterThan(0);
};

describe('bench --quick (smoke)', () => {
  it('every workload runs and reports its figures', async () => {
    const report = await runBenchmarks({ quick: true });
    expect(report.quick).toBe(true);
    expect(report.facts.cores).toBeGreaterThan(0);
    expect(report.facts.node).toBe(process.version);

    expect(report.overhead?.map((row) => row.concurrency)).toEqual([1, 64]);
    for (const row of report.overhead ?? []) {
      for (const side of [row.bare, row.durable]) {
        expect(side.operations).toBeGreaterThanOrEqual(row.concurrency);
        positive(side.perSecond);
        positive(side.p50Ms);
        expect(side.p99Ms).toBeGreaterThanOrEqual(side.p50Ms);
      }
      positive(row.ratio);
      // Three commits per action (create + intent; outcome + classified + storing; completed), fewer
      // when concurrent actions share a group commit — never more.
      if (row.concurrency === 1) expect(row.journalTransactionsPerAction).toBe(3);
      else expect(row.journalTransactionsPerAction).toBeLessThanOrEqual(3);
    }

    // The Postgres side (issue 10) runs whenever a server answers, and always in CI.
    if (inCi()) expect(report.postgresSkipped).toBeUndefined();
    for (const row of report.postgresSkipped === undefined ? (report.overhead ?? []) : []) {
      const pg = row.postgres;
      expect(pg, `Postgres side at concurrency ${row.concurrency}`).toBeDefined();
      expect(pg!.durable.operations).toBeGreaterThanOrEqual(row.concurrency);
      positive(pg!.durable.perSecond);
      positive(pg!.vsSqlite);
      if (row.concurrency === 1) expect(pg!.journalTransactionsPerAction).toBe(3);
      else expect(pg!.journalTransactionsPerAction).toBeLessThanOrEqual(3);
    }

    expect(report.large).toMatchObject({ bytes: QUICK_SIZES.largeBytes, durable: { status: 'completed', storedBytes: QUICK_SIZES.largeBytes } });
    positive(report.large!.durable.megabytesPerSecond);
    expect(report.large!.durable.peakRssGrowthMiB).toBeGreaterThanOrEqual(0);

    expect(report.resume).toMatchObject({ executions: QUICK_SIZES.resumeExecutions, completed: QUICK_SIZES.resumeExecutions, errors: 0 });
    positive(report.resume!.resumeSeconds);

    expect(report.herd?.map((side) => side.jitter)).toEqual([false, true]);
    for (const side of report.herd ?? []) {
      expect(side.completed + side.failed).toBe(QUICK_SIZES.herdExecutions);
      expect(side.requests).toBeGreaterThanOrEqual(QUICK_SIZES.herdExecutions);
    }

    // Issue 11: the plan side and the direct side each ran the 50 actions; the journal counts are real.
    expect(report.plan).toMatchObject({ actions: 50, levels: 4, concurrency: 4, rounds: QUICK_SIZES.planRounds });
    positive(report.plan!.planMs);
    positive(report.plan!.directMs);
    expect(Number.isFinite(report.plan!.overhead)).toBe(true);
    // The plan adds its own commits (one decision per batch of endings), never fewer than direct.
    expect(report.plan!.planCommitsPerAction).toBeGreaterThan(report.plan!.directCommitsPerAction);

    // Side by side (quick: no "before" worktree): both durability modes, three commits per action
    // alone, no fsync on the hot path in process mode, fsynced files and WAL in machine mode.
    const compare = report.compare!;
    expect(compare.sides.map((s) => s.side.label)).toEqual(['bare ky GET', 'after, durability process', 'after, durability machine']);
    for (const side of compare.sides.filter((s) => s.side.kind === 'durable')) {
      expect(side.byConcurrency.find((r) => r.concurrency === 1)?.commitsPerAction).toBe(3);
      expect(side.resume).toMatchObject({ executions: QUICK_SIZES.resumeExecutions, completed: QUICK_SIZES.resumeExecutions });
      if (compare.strace) {
        if (side.side.durability === 'process') expect(side.fsyncsPerAction).toBeLessThan(0.5);
        else expect(side.fsyncsPerAction).toBeGreaterThanOrEqual(2);
      }
    }

    const markdown = renderBenchReport(report, 'npm run bench -- --quick');
    expect(markdown).toMatch(/^durable\/bare throughput ratio: \d+\.\d\d$/m);
    expect(markdown).toContain('Reproduce: `npm run bench -- --quick`');
    expect(markdown).toContain('Quick mode');
    expect(markdown).toMatch(/^plan overhead: -?\d+\.\d % wall time, -?\d+\.\d % CPU time$/m);
    if (report.postgresSkipped === undefined) expect(markdown).toMatch(/^\| 64 \| durable executor, Postgres journal \+ storage \| /m);
    else expect(markdown).toContain(`Postgres side skipped: ${report.postgresSkipped}`);
  }, 120_000);
});
