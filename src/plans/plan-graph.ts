/**
 * The shape of a plan as a graph: actions in plan order, their dependencies, and which action stands
 * in for which (`errorHandling.alternativeActionId`). Validation builds it from raw input before the
 * schema is known to hold, the scheduler from a validated plan, so it takes only the three facts it
 * needs and tolerates unknown ids, duplicates and cycles (it never loops on them).
 */

/** What the graph needs to know about one action. */
export interface GraphAction {
  id: string;
  dependencies: readonly string[];
  alternativeActionId?: string | undefined;
}

/** Dependencies and stand-ins of a plan, with the transitive closure computed on demand. */
export interface PlanGraph {
  /** Action ids in plan order, each once (a duplicated id keeps its first occurrence). */
  readonly ids: readonly string[];
  /** The direct dependencies of an action that are actions of the plan, without repeats. */
  dependenciesOf(id: string): readonly string[];
  /** Every action `id` waits for, directly or through other dependencies (never `id` itself unless on a cycle). */
  transitiveDependencies(id: string): ReadonlySet<string>;
  /** The action whose place `id` takes when it fails, when `id` is an alternative (the first claim wins). */
  primaryOf(id: string): string | undefined;
  /** The alternative of `id`, when it names one that is an action of the plan other than itself. */
  alternativeOf(id: string): string | undefined;
}

/** Builds the graph of a plan's actions (see the module comment for what it tolerates). */
export function planGraph(actions: readonly GraphAction[]): PlanGraph {
  const byId = new Map<string, GraphAction>();
  for (const action of actions) if (!byId.has(action.id)) byId.set(action.id, action);
  const ids = [...byId.keys()];

  const dependencies = new Map<string, string[]>();
  for (const [id, action] of byId) dependencies.set(id, [...new Set(action.dependencies)].filter((dep) => byId.has(dep)));

  const alternatives = new Map<string, string>();
  const primaries = new Map<string, string>();
  for (const [id, action] of byId) {
    const alternative = action.alternativeActionId;
    if (alternative === undefined || alternative === id || !byId.has(alternative) || primaries.has(alternative)) continue;
    alternatives.set(id, alternative);
    primaries.set(alternative, id);
  }

  const closures = new Map<string, ReadonlySet<string>>();
  const transitiveDependencies = (id: string): ReadonlySet<string> => {
    const cached = closures.get(id);
    if (cached !== undefined) return cached;
    // Iterative, so a long chain of dependencies cannot exhaust the call stack.
    const seen = new Set<string>();
    const stack = [...(dependencies.get(id) ?? [])];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(dependencies.get(next) ?? []));
    }
    closures.set(id, seen);
    return seen;
  };

  return {
    ids,
    dependenciesOf: (id) => dependencies.get(id) ?? [],
    transitiveDependencies,
    primaryOf: (id) => primaries.get(id),
    alternativeOf: (id) => alternatives.get(id),
  };
}

/** The graph of a schema-valid plan. */
export function graphOfPlan(plan: { actions: readonly { id: string; dependencies: readonly string[]; errorHandling: { alternativeActionId?: string | undefined } }[] }): PlanGraph {
  return planGraph(plan.actions.map((action) => ({
    id: action.id,
    dependencies: action.dependencies,
    alternativeActionId: action.errorHandling.alternativeActionId,
  })));
}
