/**
 * Draws a {@link MachineGraph} as SVG markup, server-side and with no library. Pages highlight it by
 * classes alone: each state is `[data-state=name]`, each edge `[data-edge="from|EVENT|to"]`, so the
 * path of an execution (or a live inspection session) is a matter of adding `visited`, `current` and
 * `taken` (see assets/diagram.js).
 */
import { INITIAL_PSEUDO_STATE, type MachineGraph } from './machine-graph.ts';

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The SVG document of the machine diagram. */
export function renderMachineSvg(graph: MachineGraph, title = 'action execution machine'): string {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine" viewBox="0 0 ${graph.width} ${graph.height}" width="${graph.width}" height="${graph.height}" role="img" aria-label="${escapeXml(title)}">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker>',
    '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-taken"/></marker>',
    '</defs>',
    '<g class="edges">',
  );
  for (const edge of graph.edges) {
    const tip = edge.description ? `${edge.event}: ${edge.description}` : edge.event;
    out.push(
      `<g class="edge${edge.implicit ? ' implicit' : ''}" data-edge="${escapeXml(edge.id)}" data-event="${escapeXml(edge.event)}"><title>${escapeXml(`${edge.from} → ${edge.to} on ${tip}`)}</title>`,
      `<path d="${edge.path}" marker-end="url(#arrow)"/>`,
      edge.label ? `<text class="edge-label" x="${edge.label.x}" y="${edge.label.y}" text-anchor="${edge.label.anchor ?? 'middle'}">${escapeXml(edge.event)}</text>` : '',
      '</g>',
    );
  }
  const initial = graph.nodes.find((n) => n.id === graph.initial);
  if (initial) {
    const y = initial.y + initial.height / 2;
    out.push(
      `<g class="edge initial" data-edge="${escapeXml(`${INITIAL_PSEUDO_STATE}|xstate.init|${initial.id}`)}"><title>start</title>`,
      `<circle cx="${initial.x - 26}" cy="${y}" r="6"/><path d="M${initial.x - 20},${y} L${initial.x},${y}" marker-end="url(#arrow)"/></g>`,
    );
  }
  out.push('</g>', '<g class="nodes">');
  for (const node of graph.nodes) {
    const bar = node.width > 200;
    const label = bar ? `${node.id}  ·  FAILED, or CANCEL, from any state` : node.id;
    out.push(
      `<g class="node${node.final ? ' final' : ''}${bar ? ' bar' : ''}" data-state="${escapeXml(node.id)}"><title>${escapeXml(node.id)}${node.final ? ' (final)' : ''}</title>`,
      `<rect x="${node.x}" y="${node.y}" width="${node.width}" height="${node.height}" rx="${bar ? 6 : 10}"/>`,
      `<text x="${node.x + node.width / 2}" y="${node.y + node.height / 2 + 5}" text-anchor="middle">${escapeXml(label)}</text>`,
      '</g>',
    );
  }
  out.push('</g>', '</svg>');
  return out.filter((line) => line !== '').join('\n');
}
