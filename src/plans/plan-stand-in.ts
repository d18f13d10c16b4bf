/**
 * What an action's dependents receive as its output (issue 11 "errorHandling"): its own output when it
 * completed; when it failed, the output of its alternative (which ran once in its place, and whose own
 * errorHandling applies first), else its `fallbackValue`; nothing when it was skipped or when nothing
 * stands in. "Not settled yet" while any of that can still change.
 */
import type { ErrorDetail } from '../schemas/errors.ts';
import type { PlannedAction } from '../schemas/plan.ts';
import type { ActionRuntimeState, StandIn } from './action-runtime-state.ts';
import type { PlanGraph } from './plan-graph.ts';

/** What stands for an action's output, as far as the states recorded so far tell. */
export type Standing =
  | { kind: 'output'; output: Readonly<Record<string, string>>; standIn?: StandIn }
  | { kind: 'none'; why: string }
  | { kind: 'unsettled' };

/** The plan and the states a decision reads. */
export interface PlanView {
  readonly graph: PlanGraph;
  action(id: string): PlannedAction | undefined;
  state(id: string): ActionRuntimeState;
}

/** Error messages are quoted into reasons; long ones are cut so a chain of reasons stays readable. */
const QUOTE_LIMIT = 200;

/** `validation_failed: Condition … is false` for a reason, cut to a readable length. */
export function describeError(error: ErrorDetail | undefined): string {
  if (error === undefined) return 'with no error recorded';
  const text = `${error.category}: ${error.message}`;
  return text.length <= QUOTE_LIMIT ? text : `${text.slice(0, QUOTE_LIMIT)}…`;
}

/** The output that stands for `id`, following alternatives (cycle-safe for unvalidated plans). */
export function standingOf(view: PlanView, id: string, visiting: ReadonlySet<string> = new Set()): Standing {
  const state = view.state(id);
  switch (state.status) {
    case 'completed':
      return { kind: 'output', output: state.output ?? {} };
    case 'skipped':
      return { kind: 'none', why: `was skipped (${state.reason ?? 'no reason recorded'})` };
    case 'failed':
      break;
    default:
      return { kind: 'unsettled' };
  }
  const failed = `failed (${describeError(state.error)})`;
  const alternative = view.graph.alternativeOf(id);
  let alternativeWhy = '';
  if (alternative !== undefined && !visiting.has(alternative)) {
    const stand = standingOf(view, alternative, new Set([...visiting, id]));
    if (stand.kind === 'unsettled') return stand;
    if (stand.kind === 'output') return { kind: 'output', output: stand.output, standIn: { kind: 'alternative', actionId: alternative } };
    alternativeWhy = `, its alternative "${alternative}" ${stand.why}`;
  }
  const fallback = view.action(id)?.errorHandling.fallbackValue;
  if (fallback !== undefined) return { kind: 'output', output: fallback, standIn: { kind: 'fallback' } };
  return { kind: 'none', why: `${failed}${alternativeWhy}, and nothing stands in for it` };
}
