/**
 * The order a plan runs in, as levels: level 0 holds the actions without dependencies, level n the
 * actions whose deepest dependency is on level n − 1. Everything on one level may run in parallel.
 * Used by the dry run to print the order without sending anything.
 */
import { graphOfPlan } from './plan-graph.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';

/**
 * Topological levels of a plan's actions, each level in plan order. Alternative actions are not on
 * any level: they run only in place of a failed action, never on their own schedule (docs/plans.md).
 *
 * @throws Error when the dependencies have a cycle (or name an alternative); call it on a plan
 *   `validatePlan` accepted.
 */
export function planLevels(plan: ExecutionPlan): string[][] {
  const graph = graphOfPlan(plan);
  const levelOf = new Map<string, number>();
  const scheduled = graph.ids.filter((id) => graph.primaryOf(id) === undefined);
  let remaining = scheduled;
  // Kahn-style rounds: an action gets its level once all its dependencies have one.
  while (remaining.length > 0) {
    const next: string[] = [];
    const placed: [string, number][] = [];
    for (const id of remaining) {
      const depLevels = graph.dependenciesOf(id).map((dep) => levelOf.get(dep));
      if (depLevels.some((level) => level === undefined)) next.push(id);
      else placed.push([id, Math.max(-1, ...(depLevels as number[])) + 1]);
    }
    if (placed.length === 0) {
      throw new Error(`planLevels: ${next.map((id) => `"${id}"`).join(', ')} cannot be placed: their dependencies form a cycle or include an alternative action; validate the plan first`);
    }
    for (const [id, level] of placed) levelOf.set(id, level);
    remaining = next;
  }
  const levels: string[][] = [];
  for (const id of scheduled) {
    const level = levelOf.get(id) ?? 0;
    (levels[level] ??= []).push(id);
  }
  return levels;
}
