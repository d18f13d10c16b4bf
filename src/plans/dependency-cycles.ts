/**
 * Dependency cycles of a plan, as a person should read them: `a → b → c → a`, where each arrow means
 * "depends on". A plan with a cycle can never start the actions on it, so validation refuses it.
 */
import type { PlanGraph } from './plan-graph.ts';

/**
 * For every action on a cycle, the shortest cycle through it; each distinct cycle is listed once,
 * rotated to start at its earliest action in plan order, and the list is in plan order too.
 * Every action that sits on some cycle appears in at least one of them. A self-dependency is `[a]`.
 * Time is O(actions × dependencies), whatever the number of cycles.
 */
export function dependencyCycles(graph: PlanGraph): string[][] {
  const order = new Map(graph.ids.map((id, index) => [id, index]));
  const rank = (id: string): number => order.get(id) ?? Number.MAX_SAFE_INTEGER;
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const start of graph.ids) {
    if (!graph.transitiveDependencies(start).has(start)) continue;
    const cycle = shortestCycleThrough(graph, start);
    if (cycle === undefined) continue;
    const first = cycle.reduce((best, id, index) => (rank(id) < rank(cycle[best] ?? id) ? index : best), 0);
    const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
    const key = rotated.join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    cycles.push(rotated);
  }
  return cycles.sort((a, b) => rank(a[0] ?? '') - rank(b[0] ?? '') || a.length - b.length);
}

/** Breadth-first from `start` along dependencies until `start` is reached again. */
function shortestCycleThrough(graph: PlanGraph, start: string): string[] | undefined {
  const parent = new Map<string, string>();
  const queue: string[] = [start];
  for (let at = 0; at < queue.length; at++) {
    const node = queue[at] as string;
    for (const dep of graph.dependenciesOf(node)) {
      if (dep === start) {
        const path = [node];
        for (let back = parent.get(node); back !== undefined; back = parent.get(back)) path.push(back);
        // `path` runs from the closing node back to start; a cycle reads start first.
        return path.reverse();
      }
      if (parent.has(dep)) continue;
      parent.set(dep, node);
      queue.push(dep);
    }
  }
  return undefined;
}
