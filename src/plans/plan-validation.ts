/**
 * Validation of an ExecutionPlan before anything runs (issue 11 "Validation before anything runs"):
 * every problem at once, each with the JSON path of the offending value. The schema is checked first;
 * the plan-level rules run on whatever parts of the input have the right shape, so a plan with a
 * mistyped field still gets its cycles and unknown dependencies reported in the same pass.
 */
import { jsonPathOf, unknownKeyProblemsBySchema, zodIssueProblems } from '../definitions/load-problem.ts';
import { ExecutionPlanSchema, type ExecutionPlan } from '../schemas/plan.ts';
import { didYouMean } from '../support/similar-names.ts';
import { isReservedActionId, reservedActionIdMessage } from '../execution/reserved-action-ids.ts';
import { dependencyCycles } from './dependency-cycles.ts';
import { planGraph, type GraphAction, type PlanGraph } from './plan-graph.ts';
import { outcomeReferenceProblems, referenceProblems, type RawReferenceSite } from './plan-reference-problems.ts';

/** One reason a plan is refused. */
export interface PlanProblem {
  /** JSON path of the offending value, e.g. `$.actions[2].dependencies[0]`; `$` for the whole plan. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** The verdict: the parsed plan, or every problem found. */
export type PlanValidation = { ok: true; plan: ExecutionPlan } | { ok: false; problems: PlanProblem[] };

/** What validation needs to know beyond the plan. */
export interface PlanValidationOptions {
  /** Whether an action definition with this id is loaded. */
  hasDefinition(id: string): boolean;
  /** The loaded definition ids, for "did you mean" hints on an unknown `actionDefinitionId`. */
  definitionIds?: readonly string[] | undefined;
}

/** The parts of one raw action the plan-level rules read, each only when it has the right type. */
interface RawAction extends GraphAction {
  index: number;
  definitionId: string | undefined;
  /** Position in the raw `dependencies` array of each string entry. */
  dependencyEntries: { index: number; id: string }[];
  references: RawReferenceSite[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringAt(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function rawActions(input: Record<string, unknown>): RawAction[] {
  const actions = Array.isArray(input['actions']) ? (input['actions'] as unknown[]) : [];
  const out: RawAction[] = [];
  actions.forEach((value, index) => {
    if (!isRecord(value)) return;
    const id = stringAt(value, 'id');
    if (id === undefined) return;
    const rawDeps = Array.isArray(value['dependencies']) ? (value['dependencies'] as unknown[]) : [];
    const dependencyEntries = rawDeps.flatMap((dep, depIndex) => (typeof dep === 'string' ? [{ index: depIndex, id: dep }] : []));
    const references: RawReferenceSite[] = [];
    if (isRecord(value['inputs'])) {
      for (const [name, template] of Object.entries(value['inputs'])) {
        if (typeof template === 'string') references.push({ kind: 'input', path: jsonPathOf(['actions', index, 'inputs', name]), template });
      }
    }
    const condition = isRecord(value['condition']) ? stringAt(value['condition'], 'if') : undefined;
    if (condition !== undefined) references.push({ kind: 'condition', path: jsonPathOf(['actions', index, 'condition', 'if']), template: condition });
    const errorHandling = isRecord(value['errorHandling']) ? value['errorHandling'] : {};
    out.push({
      index,
      id,
      definitionId: stringAt(value, 'actionDefinitionId'),
      dependencies: dependencyEntries.map((entry) => entry.id),
      dependencyEntries,
      alternativeActionId: stringAt(errorHandling, 'alternativeActionId'),
      references,
    });
  });
  return out;
}

const actionPath = (action: RawAction, ...rest: (string | number)[]): string => jsonPathOf(['actions', action.index, ...rest]);

function duplicateIdProblems(actions: readonly RawAction[]): PlanProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: PlanProblem[] = [];
  for (const action of actions) {
    const first = firstIndex.get(action.id);
    if (first === undefined) {
      firstIndex.set(action.id, action.index);
      continue;
    }
    problems.push({
      path: actionPath(action, 'id'),
      message: `duplicate action id "${action.id}": $.actions[${first}] already has it; action ids must be unique within a plan`,
    });
  }
  return problems;
}

/** Ids starting with "@" name the journal's own rows (a plan run is `(plan.id, "@plan")`). */
function reservedIdProblems(actions: readonly RawAction[]): PlanProblem[] {
  return actions.filter((action) => isReservedActionId(action.id)).map((action) => ({ path: actionPath(action, 'id'), message: reservedActionIdMessage(action.id) }));
}

function definitionProblems(actions: readonly RawAction[], opts: PlanValidationOptions): PlanProblem[] {
  return actions.flatMap((action) => {
    const id = action.definitionId;
    if (id === undefined || opts.hasDefinition(id)) return [];
    return [{
      path: actionPath(action, 'actionDefinitionId'),
      message: `unknown action definition "${id}": no definition with this id is loaded${didYouMean(id, opts.definitionIds ?? [])}`,
    }];
  });
}

function dependencyProblems(actions: readonly RawAction[], ids: ReadonlySet<string>): PlanProblem[] {
  return actions.flatMap((action) => action.dependencyEntries
    .filter((entry) => !ids.has(entry.id))
    .map((entry) => ({
      path: actionPath(action, 'dependencies', entry.index),
      message: `"${action.id}" depends on "${entry.id}", which is not an action of this plan${didYouMean(entry.id, ids)}`,
    })));
}

function cycleProblems(graph: PlanGraph, firstById: ReadonlyMap<string, RawAction>): PlanProblem[] {
  return dependencyCycles(graph).map((cycle) => {
    const [start = '', next = start] = cycle;
    const action = firstById.get(start);
    const entry = action?.dependencyEntries.find((dep) => dep.id === next);
    const printed = [...cycle, start].join(' → ');
    return {
      path: action === undefined ? '$.actions' : entry === undefined ? actionPath(action, 'dependencies') : actionPath(action, 'dependencies', entry.index),
      message: cycle.length === 1
        ? `"${start}" depends on itself (${printed}), so it can never start`
        : `dependency cycle: ${printed} (each action waits for the next, so none of them can ever start)`,
    };
  });
}

/**
 * The rules that make "an alternative runs only in its primary's place" well defined: it is another
 * action of the plan, stands in for one action only, is not reached through `dependencies`, and does
 * not wait for the action it replaces (that would wait for itself).
 */
function alternativeProblems(actions: readonly RawAction[], graph: PlanGraph, firstById: ReadonlyMap<string, RawAction>): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const claimedBy = new Map<string, string>();
  for (const action of actions) {
    const alternative = action.alternativeActionId;
    if (alternative === undefined) continue;
    const path = actionPath(action, 'errorHandling', 'alternativeActionId');
    if (alternative === action.id) {
      problems.push({ path, message: `"${action.id}" names itself as its alternative; an alternative runs in the action's place, so it must be another action of the plan` });
    } else if (!firstById.has(alternative)) {
      problems.push({ path, message: `"${action.id}" names "${alternative}" as its alternative, which is not an action of this plan${didYouMean(alternative, firstById.keys())}` });
    } else if (claimedBy.has(alternative)) {
      problems.push({ path, message: `"${alternative}" is already the alternative of "${claimedBy.get(alternative)}"; an alternative runs once, in the place of one action only` });
    } else {
      claimedBy.set(alternative, action.id);
    }
  }

  const loops = new Set<string>();
  for (const primary of graph.ids) {
    // Follow "is replaced on failure by" from each action; coming back to it is a loop.
    const chain = [primary];
    for (let next = graph.alternativeOf(primary); next !== undefined && !chain.includes(next); next = graph.alternativeOf(next)) chain.push(next);
    const last = chain[chain.length - 1] ?? primary;
    if (chain.length < 2 || graph.alternativeOf(last) !== primary) continue;
    const key = [...chain].sort().join('\u0000');
    const action = firstById.get(primary);
    if (loops.has(key) || action === undefined) continue;
    loops.add(key);
    problems.push({
      path: actionPath(action, 'errorHandling', 'alternativeActionId'),
      message: `alternatives form a loop: ${[...chain, primary].join(' → ')} (each arrow: "is replaced on failure by"), so none of them can stand in for another`,
    });
  }

  for (const alternative of graph.ids) {
    const replaced: string[] = [];
    for (let up = graph.primaryOf(alternative); up !== undefined && up !== alternative && !replaced.includes(up); up = graph.primaryOf(up)) replaced.push(up);
    const action = firstById.get(alternative);
    if (replaced.length === 0 || action === undefined) continue;
    for (const entry of action.dependencyEntries) {
      const waitsFor = replaced.find((id) => id === entry.id || graph.transitiveDependencies(entry.id).has(id));
      if (waitsFor === undefined) continue;
      const through = waitsFor === entry.id ? '' : ` (through "${entry.id}")`;
      problems.push({
        path: actionPath(action, 'dependencies', entry.index),
        message: `"${alternative}" stands in for "${waitsFor}" but depends on it${through}, so it would wait for itself; an alternative must not depend on the action it replaces, directly or through other actions`,
      });
      break;
    }
  }

  for (const action of actions) {
    for (const entry of action.dependencyEntries) {
      const primary = graph.primaryOf(entry.id);
      if (primary === undefined) continue;
      problems.push({
        path: actionPath(action, 'dependencies', entry.index),
        message: `"${entry.id}" is the alternative of "${primary}": it runs only in "${primary}"'s place, so no action may depend on it; depend on "${primary}" instead (its output is "${entry.id}"'s when "${entry.id}" stands in)`,
      });
    }
  }
  return problems;
}

const INPUT_VALUE_PATH = /^\$\.actions\[\d+\]\.inputs(\.|\[)/;

/** Natural order of JSON paths (`[2]` before `[10]`), so problems read top to bottom. */
function comparePaths(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Validates an ExecutionPlan (spec §4.1) and the rules of issue 11: duplicate or reserved (`@…`) action ids, unknown
 * definitions, dependencies on unknown actions, dependency cycles (printed as the cycle), references
 * to actions that are not (transitive) dependencies, alternatives that are unknown, self-referencing
 * or not usable as stand-ins, expected-outcome references to unknown actions, and `matches` patterns
 * RE2 cannot compile. Never throws; problems are sorted by path.
 */
export function validatePlan(input: unknown, opts: PlanValidationOptions): PlanValidation {
  if (!isRecord(input)) {
    const found = Array.isArray(input) ? 'an array' : input === null ? 'null' : `a ${typeof input}`;
    return { ok: false, problems: [{ path: '$', message: `expected an execution plan object, found ${found}` }] };
  }
  const parsed = ExecutionPlanSchema.safeParse(input);
  const problems: PlanProblem[] = parsed.success ? [] : zodIssueProblems('', parsed.error.issues, input).map(({ path, message }) => ({
    path,
    // zod says only "Invalid input" when no member of the inputs union matches.
    message: INPUT_VALUE_PATH.test(path) ? message.replace(/^Invalid input/, 'expected a string (which may hold ${action.output.field} references), a number or a boolean') : message,
  }));
  problems.push(...unknownKeyProblemsBySchema('', ExecutionPlanSchema, input, 'an execution plan').map(({ path, message }) => ({ path, message })));

  const actions = rawActions(input);
  const graph = planGraph(actions);
  const firstById = new Map<string, RawAction>();
  for (const action of actions) if (!firstById.has(action.id)) firstById.set(action.id, action);
  const ids = new Set(graph.ids);

  problems.push(
    ...duplicateIdProblems(actions),
    ...reservedIdProblems(actions),
    ...definitionProblems(actions, opts),
    ...dependencyProblems(actions, ids),
    ...cycleProblems(graph, firstById),
    ...alternativeProblems(actions, graph, firstById),
    ...actions.flatMap((action) => referenceProblems(action.id, actionPath(action, 'dependencies'), action.references, graph, ids)),
    ...outcomeReferenceProblems(input['expectedOutcome'], ids),
  );

  if (problems.length > 0 || !parsed.success) {
    // Stable sort: problems at one path keep the order the rules found them in.
    return { ok: false, problems: problems.sort((a, b) => comparePaths(a.path, b.path)) };
  }
  return { ok: true, plan: parsed.data };
}
