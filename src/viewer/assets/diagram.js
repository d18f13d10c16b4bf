// The machine diagram: the server draws it (/machine.svg); pages highlight it with classes only.

/** Fetches the diagram and puts it in `container`; resolves to the <svg> element. */
export async function loadDiagram(container) {
  const response = await fetch('/machine.svg');
  const text = await response.text();
  // Same-origin markup the server generated from the machine itself (no API text in it).
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  container.replaceChildren(svg);
  return svg;
}

/**
 * Highlights a path: `states` visited, `edges` taken ({ 'from|EVENT|to': times }), `current` state.
 * An edge taken more than once shows how often (`RETRY ×2`).
 */
export function highlight(svg, { states = [], edges = {}, current }) {
  if (!svg) return;
  for (const node of svg.querySelectorAll('.node')) {
    const name = node.dataset.state;
    node.classList.toggle('visited', states.includes(name));
    node.classList.toggle('current', name === current);
  }
  for (const edge of svg.querySelectorAll('.edge')) {
    const times = edges[edge.dataset.edge] ?? 0;
    edge.classList.toggle('taken', times > 0);
    const label = edge.querySelector('.edge-label');
    if (label) label.textContent = times > 1 ? `${edge.dataset.event} ×${times}` : edge.dataset.event;
  }
}
