/**
 * Plan overhead (issue 11 "Figures"): a 50-action plan in 4 levels, driven by the plan runner, against
 * the same 50 actions executed directly through the executor at the same concurrency — side by side,
 * same local server, same executor and journal, in pairs of rounds (which side goes first alternates)
 * so load on a shared machine hits both. What the plan adds: validation, a journaled decision before every start (one plan commit per
 * batch of endings), `previousResults` built from the dependencies, and reference resolution.
 *
 * Each action of level k > 0 depends on one action of level k − 1 and reads its output
 * (`${dep.output.id}`), so the plan has four levels without making every level a barrier: at
 * concurrency 4 with 12–13 actions per level, the dependencies never leave a slot idle, and what the
 * ratio measures is the plan's own machinery.
 */
import { randomUUID } from 'node:crypto';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { createPlanExecutor } from '../src/plans/plan-executor.ts';
import type { ExecutionPlan } from '../src/schemas/plan.ts';
import { createBenchExecutor } from './bench-executor.ts';
import { percentile, runPool } from './bench-stats.ts';
import type { BenchServer } from './bench-server.ts';

const WARM_UP_ROUNDS = 3;

export interface PlanOverheadOptions {
  /** @default 50 */
  actions?: number;
  /** @default 4 */
  levels?: number;
  /** Actions running at once, on both sides. @default 4 */
  concurrency?: number;
  /** Pairs of plan / direct rounds. */
  rounds: number;
}

export interface PlanOverheadResult {
  actions: number;
  levels: number;
  concurrency: number;
  rounds: number;
  /** Wall time of one round, median over the rounds (ms). */
  planMs: number;
  directMs: number;
  /**
   * The median over rounds of planWall / directWall − 1, each plan round paired with the direct round
   * run next to it (before or after it, alternately), so a load spike on the shared machine cancels
   * out of the pair and neither side always goes second.
   */
  overhead: number;
  /** The same, in CPU time (user + system) of this process: what the plan costs, not what it waits. */
  cpuOverhead: number;
  /** Journal transactions per action, plan side (its own commits included) and direct side. */
  planCommitsPerAction: number;
  directCommitsPerAction: number;
}

/** The plan: `actions` GETs spread over `levels`, each one after one action of the level before. */
export function benchPlan(actions: number, levels: number): ExecutionPlan {
  const perLevel = Math.ceil(actions / levels);
  const ids = Array.from({ length: actions }, (_, i) => `a${String(i).padStart(2, '0')}`);
  return {
    id: randomUUID() as ExecutionPlan['id'],
    name: `bench: ${actions} actions in ${levels} levels`,
    description: 'plan overhead benchmark',
    intent: { original: 'bench', interpreted: 'bench', confidence: 1 },
    actions: ids.map((id, i) => {
      const level = Math.floor(i / perLevel);
      const dep = level === 0 ? undefined : ids[(level - 1) * perLevel + (i % perLevel)];
      return {
        id: id as ExecutionPlan['actions'][number]['id'],
        actionDefinitionId: 'get-user',
        inputs: { userId: dep === undefined ? 'u_1' : `\${${dep}.output.id}` },
        dependencies: dep === undefined ? [] : [dep as ExecutionPlan['actions'][number]['id']],
        errorHandling: { continueOnFailure: false },
      };
    }),
    expectedOutcome: { description: 'every action completed', validations: [] },
    metadata: { createdAt: '2026-01-01T00:00:00Z', estimatedDuration: 1000, tags: ['bench'] },
  };
}

/** Runs the comparison; every action on both sides must complete, or the run throws. */
export async function runPlanOverhead(server: BenchServer, options: PlanOverheadOptions): Promise<PlanOverheadResult> {
  const actions = options.actions ?? 50;
  const levels = options.levels ?? 4;
  const concurrency = options.concurrency ?? 4;
  const definitions = [definition(server.url)];
  const bench = createBenchExecutor(definitions);
  const plans = createPlanExecutor({ executor: bench.executor, definitions, maxConcurrency: concurrency });
  const { journal } = bench.executor;
  /** Wall and CPU milliseconds of one round. */
  const timed = async (round: () => Promise<void>): Promise<{ wall: number; cpu: number }> => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await round();
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
  };
  const planRound = () => timed(async () => {
    const state = await plans.executePlan(benchPlan(actions, levels));
    if (state.status !== 'completed') throw new Error(`bench plan ended ${state.status}: ${JSON.stringify(state.error)}`);
  });
  const directRound = () => timed(async () => {
    const executionId = randomUUID();
    await runPool(actions, concurrency, async (i) => {
      const state = await bench.executor.execute(executeRequest(`a${String(i).padStart(2, '0')}`, 'get-user', { userId: 'u_1' }, {}, executionId));
      if (state.status !== 'completed') throw new Error(`bench action ended ${state.status}: ${JSON.stringify(state.result)}`);
    });
  });
  try {
    // Warm-up: JIT, connection pool, SQLite page cache, storage directories. Rounds keep getting
    // faster for a while, so a few of each, alternated.
    for (let round = 0; round < WARM_UP_ROUNDS; round += 1) {
      await planRound();
      await directRound();
    }
    const pairs: { plan: { wall: number; cpu: number }; direct: { wall: number; cpu: number } }[] = [];
    let planCommits = 0;
    let directCommits = 0;
    const measure = async <T>(round: () => Promise<T>): Promise<{ value: T; commits: number }> => {
      const before = journal.stats.commits;
      const value = await round();
      return { value, commits: journal.stats.commits - before };
    };
    for (let round = 0; round < options.rounds; round += 1) {
      // ABBA: which side goes first alternates, so whatever the second of two rounds gains or
      // loses (a warmer cache, the first one's garbage) falls on both sides equally.
      const planFirst = round % 2 === 0;
      const first = await measure(planFirst ? planRound : directRound);
      const second = await measure(planFirst ? directRound : planRound);
      const [plan, direct] = planFirst ? [first, second] : [second, first];
      planCommits += plan.commits;
      directCommits += direct.commits;
      pairs.push({ plan: plan.value, direct: direct.value });
    }
    return {
      actions,
      levels,
      concurrency,
      rounds: options.rounds,
      planMs: percentile(pairs.map((pair) => pair.plan.wall), 50),
      directMs: percentile(pairs.map((pair) => pair.direct.wall), 50),
      overhead: percentile(pairs.map((pair) => pair.plan.wall / pair.direct.wall - 1), 50),
      cpuOverhead: percentile(pairs.map((pair) => pair.plan.cpu / pair.direct.cpu - 1), 50),
      planCommitsPerAction: planCommits / (actions * options.rounds),
      directCommitsPerAction: directCommits / (actions * options.rounds),
    };
  } finally {
    await plans.close();
    await bench.cleanup();
  }
}
