/**
 * The execution machine as a drawable graph: its states and transitions walked from the machine object
 * itself (as src/cli/machine-diagram.ts does for Mermaid), placed on a fixed layered layout. Every
 * edge is named `from|EVENT|to` — the same words a journaled transition has — so a page highlights the
 * path an execution took by looking its transitions up. Transitions the machine declares on its root
 * (`CANCEL` from any state) become one implicit edge per state, drawn only once taken.
 */
import type { AnyStateMachine, EventObject, MachineContext, StateNode } from 'xstate';

type AnyNode = StateNode<MachineContext, EventObject>;

/** Where a state sits: a column and a row of the grid, or the full-width bar at the bottom. */
export interface GridPlace {
  col: number;
  row: number;
  /** A sink most states lead to (`failed`), drawn as a bar under every column. */
  bar?: boolean;
}

/**
 * The layout of `actionExecutionMachine`: the happy path on one row, the backoff loop under it, the
 * skip above, and `failed` as the bar every state can fall into. A state missing here is still drawn
 * (in a row of its own under the bar) and listed in {@link MachineGraph.unplaced}, which a test checks.
 */
export const ACTION_EXECUTION_LAYOUT: Readonly<Record<string, GridPlace>> = {
  resolving: { col: 0, row: 1 },
  skipped: { col: 1, row: 0 },
  validating: { col: 1, row: 1 },
  requesting: { col: 2, row: 1 },
  backingOff: { col: 2.5, row: 2 },
  classifying: { col: 3, row: 1 },
  storing: { col: 4, row: 1 },
  completed: { col: 5, row: 1 },
  failed: { col: 0, row: 3, bar: true },
};

export interface GraphNode {
  id: string;
  final: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  /** `from|EVENT|to`, as a journaled transition names it. */
  id: string;
  from: string;
  to: string;
  event: string;
  /** The transition's description in the machine, if any. */
  description?: string;
  /** Declared on the machine's root (any state): drawn only when an execution took it. */
  implicit: boolean;
  /** SVG path data. */
  path: string;
  /** Where the event's name is written; absent for edges into a bar (the bar names them). */
  label?: { x: number; y: number; anchor?: 'start' | 'middle' | 'end' };
}

export interface MachineGraph {
  width: number;
  height: number;
  initial: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** States the layout has no place for (drawn in extra rows). */
  unplaced: string[];
}

const NODE = { width: 120, height: 40 };
const GRID = { left: 44, top: 24, col: 196, row: 86, right: 28, bottom: 20 };
/** The pseudo-state journaled before the first state (`created → resolving`). */
export const INITIAL_PSEUDO_STATE = 'created';

const center = (n: GraphNode): { x: number; y: number } => ({ x: n.x + n.width / 2, y: n.y + n.height / 2 });

/** Where the segment from a box's center towards `to` leaves the box. */
function border(n: GraphNode, to: { x: number; y: number }): { x: number; y: number } {
  const c = center(n);
  const dx = to.x - c.x;
  const dy = to.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const scale = Math.min(Math.abs(dx) > 0 ? n.width / 2 / Math.abs(dx) : Infinity, Math.abs(dy) > 0 ? n.height / 2 / Math.abs(dy) : Infinity);
  return { x: c.x + dx * scale, y: c.y + dy * scale };
}

const r = (v: number): number => Math.round(v * 10) / 10;

/** Walks the machine's states and transitions (root transitions fan out to every non-final state). */
function transitionsOf(machine: AnyStateMachine): { from: string; to: string; event: string; description?: string; implicit: boolean }[] {
  const root = machine.root as AnyNode;
  const found: { from: string; to: string; event: string; description?: string; implicit: boolean }[] = [];
  const states = Object.entries(root.states);
  for (const [name, node] of states) {
    for (const [event, transitions] of node.transitions) {
      for (const t of transitions) for (const target of t.target ?? []) found.push({ from: name, to: target.key, event, ...(t.description ? { description: t.description } : {}), implicit: false });
    }
  }
  for (const [event, transitions] of root.transitions) {
    for (const t of transitions) {
      for (const target of t.target ?? []) {
        for (const [name, node] of states) {
          if (node.type !== 'final') found.push({ from: name, to: target.key, event, ...(t.description ? { description: t.description } : {}), implicit: true });
        }
      }
    }
  }
  return found;
}

/** Lays the machine out and routes its edges. */
export function machineGraph(machine: AnyStateMachine, layout: Readonly<Record<string, GridPlace>> = ACTION_EXECUTION_LAYOUT): MachineGraph {
  const root = machine.root as AnyNode;
  const names = Object.keys(root.states);
  const placed = names.filter((n) => layout[n]);
  const unplaced = names.filter((n) => !layout[n]);
  const maxCol = Math.max(0, ...placed.filter((n) => !layout[n]?.bar).map((n) => layout[n]?.col ?? 0));
  const maxRow = Math.max(0, ...placed.map((n) => layout[n]?.row ?? 0));
  const barWidth = maxCol * GRID.col + NODE.width;
  const nodes: GraphNode[] = names.map((name) => {
    const place = layout[name] ?? { col: unplaced.indexOf(name) % (maxCol + 1), row: maxRow + 1 + Math.floor(unplaced.indexOf(name) / (maxCol + 1)) };
    const bar = place.bar === true;
    return {
      id: name,
      final: root.states[name]?.type === 'final',
      x: GRID.left + (bar ? 0 : place.col * GRID.col),
      y: GRID.top + place.row * GRID.row + (bar ? 10 : 0),
      width: bar ? barWidth : NODE.width,
      height: bar ? NODE.height - 6 : NODE.height,
    };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const isBar = (id: string): boolean => layout[id]?.bar === true;
  const raw = transitionsOf(machine);
  const pairs = new Set(raw.filter((t) => !t.implicit).map((t) => `${t.from}>${t.to}`));

  const edges: GraphEdge[] = [];
  for (const t of raw) {
    const a = byId.get(t.from);
    const b = byId.get(t.to);
    if (!a || !b) continue;
    const base = { id: `${t.from}|${t.event}|${t.to}`, from: t.from, to: t.to, event: t.event, ...(t.description ? { description: t.description } : {}), implicit: t.implicit };
    const ca = center(a);
    const cb = center(b);
    if (isBar(t.to)) {
      // Straight down into the bar; the implicit edge runs beside the explicit one.
      const x = r(ca.x + (t.implicit ? 7 : -7));
      edges.push({ ...base, path: `M${x},${a.y + a.height} L${x},${b.y}` });
      continue;
    }
    if (Math.abs(ca.y - cb.y) < 1 && cb.x < ca.x) {
      // Backwards along a row: an arc above it.
      const top = a.y;
      const lift = 46;
      edges.push({ ...base, path: `M${r(ca.x - 12)},${top} C${r(ca.x - 12)},${top - lift} ${r(cb.x + 12)},${top - lift} ${r(cb.x + 12)},${top}`, label: { x: r((ca.x + cb.x) / 2), y: r(top - lift + 6) } });
      continue;
    }
    // Straight, between the boxes' borders; a pair of opposite edges is pulled apart sideways.
    let from = border(a, cb);
    let to = border(b, ca);
    const len = Math.hypot(cb.x - ca.x, cb.y - ca.y) || 1;
    // The unit normal to the left of the direction of travel: opposite edges of a pair get opposite sides.
    const normal = { x: (cb.y - ca.y) / len, y: -(cb.x - ca.x) / len };
    // Along a row the reverse edge is an arc above (see above), so only slanted pairs need pulling apart.
    const paired = pairs.has(`${t.to}>${t.from}`) && Math.abs(ca.y - cb.y) >= 1;
    if (paired) {
      from = { x: from.x + normal.x * 7, y: from.y + normal.y * 7 };
      to = { x: to.x + normal.x * 7, y: to.y + normal.y * 7 };
    }
    const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
    const horizontal = Math.abs(from.y - to.y) < 1;
    const side = paired ? normal : { x: to.x > from.x ? 1 : -1, y: 0 };
    const label = horizontal ? { x: r(mid.x), y: r(mid.y - 6), anchor: 'middle' as const } : { x: r(mid.x + side.x * 10), y: r(mid.y + side.y * 10 + 4), anchor: side.x < 0 ? ('end' as const) : ('start' as const) };
    edges.push({ ...base, path: `M${r(from.x)},${r(from.y)} L${r(to.x)},${r(to.y)}`, label });
  }
  const bottom = Math.max(...nodes.map((n) => n.y + n.height));
  const right = Math.max(...nodes.map((n) => n.x + n.width));
  const initial = root.initial.target[0]?.key ?? names[0] ?? '';
  return { width: right + GRID.right, height: bottom + GRID.bottom, initial, nodes, edges, unplaced };
}
