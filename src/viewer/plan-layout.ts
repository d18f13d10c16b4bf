/**
 * Where the plan page draws each action of a plan's DAG: a fixed layered layout, computed on the
 * server (pure, so its rules are tested without a browser) and drawn by the page with DOM calls only.
 *
 * Columns are the dependency levels of `planLevels` (left to right: everything in a column may run
 * in parallel). An alternative is on no level — it runs only in its primary's place — so it goes in
 * its primary's column (or further right, if one of its own dependencies is there), below that
 * column's scheduled actions, joined to its primary by a dashed "on failure" edge.
 */
import { graphOfPlan } from '../plans/plan-graph.ts';
import { planLevels } from '../plans/plan-levels.ts';
import type { ExecutionPlan } from '../schemas/plan.ts';

/** Node size and spacing, in SVG user units. */
export const PLAN_LAYOUT = { nodeWidth: 210, nodeHeight: 64, columnGap: 90, rowGap: 22, padding: 16 } as const;

/** How far a same-column alternative edge bulges out to the right of its boxes. */
const SIDEWAYS_BULGE = 50;

export interface PlanBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedAction {
  actionId: string;
  /** The column: the dependency level (an alternative's is its primary's, or after its dependencies). */
  column: number;
  row: number;
  box: PlanBox;
  /** Set on an alternative: the action it stands in for when that one fails. */
  alternativeFor?: string;
}

export interface PlanEdge {
  from: string;
  to: string;
  /** `dependency`: `to` waits for `from`; `alternative`: `to` runs if `from` fails. */
  kind: 'dependency' | 'alternative';
  /** SVG path data from `from` to `to`. */
  d: string;
}

export interface PlanLayout {
  width: number;
  height: number;
  /** Each action once, in plan order. */
  nodes: PlacedAction[];
  edges: PlanEdge[];
  /** `planLevels(plan)`: the scheduled actions by level. */
  levels: string[][];
}

/** Lays out a plan `validatePlan` accepted (a cycle throws, as `planLevels` does). */
export function layoutPlan(plan: ExecutionPlan): PlanLayout {
  const { nodeWidth: W, nodeHeight: H, columnGap, rowGap, padding } = PLAN_LAYOUT;
  const graph = graphOfPlan(plan);
  const levels = planLevels(plan);
  const column = new Map<string, number>();
  levels.forEach((ids, level) => ids.forEach((id) => column.set(id, level)));

  // Alternatives, possibly of alternatives: placed once their primary and dependencies are. Every
  // round places at least one (validation refused loops), and there are at most ids.length rounds.
  const alternatives = graph.ids.filter((id) => graph.primaryOf(id) !== undefined);
  for (let round = 0; round < graph.ids.length && alternatives.some((id) => !column.has(id)); round += 1) {
    for (const id of alternatives) {
      if (column.has(id)) continue;
      const primary = column.get(graph.primaryOf(id) ?? '');
      const deps = graph.dependenciesOf(id).map((dep) => column.get(dep));
      if (primary === undefined || deps.some((dep) => dep === undefined)) continue;
      column.set(id, Math.max(primary, ...deps.map((dep) => (dep ?? 0) + 1)));
    }
  }
  for (const id of alternatives) if (!column.has(id)) column.set(id, levels.length);

  const rows = new Map<number, number>();
  const place = (id: string): PlacedAction => {
    const col = column.get(id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    const primary = graph.primaryOf(id);
    return { actionId: id, column: col, row, box: { x: padding + col * (W + columnGap), y: padding + row * (H + rowGap), width: W, height: H }, ...(primary === undefined ? {} : { alternativeFor: primary }) };
  };
  // Scheduled actions first in each column (plan order), then the alternatives below them.
  const placed = new Map<string, PlacedAction>();
  for (const id of graph.ids) if (graph.primaryOf(id) === undefined) placed.set(id, place(id));
  for (const id of graph.ids) if (graph.primaryOf(id) !== undefined) placed.set(id, place(id));
  const nodes = graph.ids.map((id) => placed.get(id)).filter((node): node is PlacedAction => node !== undefined);

  const edges: PlanEdge[] = [];
  for (const node of nodes) {
    for (const dep of graph.dependenciesOf(node.actionId)) {
      const from = placed.get(dep);
      if (from) edges.push({ from: dep, to: node.actionId, kind: 'dependency', d: forward(from.box, node.box) });
    }
    if (node.alternativeFor !== undefined) {
      const from = placed.get(node.alternativeFor);
      if (from) edges.push({ from: node.alternativeFor, to: node.actionId, kind: 'alternative', d: from.box.x === node.box.x ? sideways(from.box, node.box) : forward(from.box, node.box) });
    }
  }
  const columns = Math.max(1, ...nodes.map((node) => node.column + 1));
  const tallest = Math.max(1, ...rows.values());
  // A loop out of the last column needs room on the right, or it is cut off.
  const loops = edges.some((edge) => edge.kind === 'alternative' && placed.get(edge.from)?.column === columns - 1 && placed.get(edge.to)?.column === columns - 1);
  return { width: padding * 2 + columns * W + (columns - 1) * columnGap + (loops ? SIDEWAYS_BULGE : 0), height: padding * 2 + tallest * H + (tallest - 1) * rowGap, nodes, edges, levels };
}


/** A curve from the right edge of `a` to the left edge of `b` (b is in a later column). */
function forward(a: PlanBox, b: PlanBox): string {
  const x1 = a.x + a.width;
  const y1 = a.y + a.height / 2;
  const x2 = b.x;
  const y2 = b.y + b.height / 2;
  const bend = Math.max(24, (x2 - x1) / 2);
  return `M${x1} ${y1} C${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}`;
}

/** A loop out of the right edge of `a` into the right edge of `b` below it (same column). */
function sideways(a: PlanBox, b: PlanBox): string {
  const x = a.x + a.width;
  const y1 = a.y + a.height / 2;
  const y2 = b.y + b.height / 2;
  // The curve's control points sit at the bulge; the curve itself stays within it.
  const out = x + SIDEWAYS_BULGE;
  return `M${x} ${y1} C${out} ${y1} ${out} ${y2} ${x} ${y2}`;
}
