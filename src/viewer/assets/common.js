// Shared by the viewer's pages: the session token, JSON fetches, POSTs that carry the token, a DOM
// builder that only ever sets text (API text can never become markup), and formatting.

const meta = document.querySelector('meta[name="viewer-token"]');
/** The per-session token the server put in this page; every POST carries it. */
export const token = meta ? meta.getAttribute('content') : '';

/** GET a JSON document; rejects with the server's own error message. */
export async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

/** POST JSON with the session token; resolves to { ok, status, body }. */
export async function post(url, payload = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-viewer-token': token },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body };
}

/**
 * Builds an element. `attrs` keys starting with `on` add listeners, `class` sets className, `dataset`
 * sets data attributes; children are nodes or strings (always text nodes, never parsed as HTML).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function statusBadge(status) {
  return el('span', { class: `badge status-${status}` }, status);
}

export function formatMs(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

/** `2026-01-01 10:00:00.123` in local time, with the ISO value as a tooltip. */
export function timeEl(iso) {
  if (!iso) return el('span', {}, '');
  const d = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return el('time', { datetime: iso, title: iso }, text);
}

/**
 * Follows a server-sent event stream; `onEvent(name, data)` for each message. The indicator element
 * (if any) shows whether the page is live. EventSource reconnects by itself.
 */
export function follow(url, names, onEvent, indicator) {
  const source = new EventSource(url);
  const mark = (state, title) => {
    if (!indicator) return;
    indicator.className = `live ${state}`;
    indicator.title = title;
    indicator.textContent = state === 'on' ? 'live' : 'offline';
  };
  source.addEventListener('open', () => mark('on', 'updates as the journal changes'));
  source.addEventListener('error', () => mark('off', 'not connected to the viewer (retrying)'));
  for (const name of names) source.addEventListener(name, (message) => onEvent(name, JSON.parse(message.data)));
  return source;
}

/** A `<pre>` of pretty JSON. */
export function jsonBlock(value, cls = 'json') {
  return el('pre', { class: cls }, JSON.stringify(value, null, 2));
}

/** A two-column table of a string record (headers). */
export function recordTable(record, cls = 'kv') {
  const entries = Object.entries(record ?? {});
  if (entries.length === 0) return el('p', { class: 'muted' }, '(none)');
  return el('table', { class: cls }, el('tbody', {}, entries.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}
