// The offline inspector: sessions streamed by `execute --inspect`, each drawn live on the diagram
// from its inspection events (snapshots give the states; events name the edges).
import { el, fill, follow, getJson, timeEl } from './common.js';
import { highlight, loadDiagram } from './diagram.js';

const MAX_ROWS = 300;
const $ = (id) => document.getElementById(id);
const sessions = new Map();
let selected;
let svg;
let path = { states: [], edges: {}, current: undefined, last: undefined };

function describe(record) {
  if (record.type === '@xstate.snapshot') return `→ ${record.state ?? '?'}${record.event ? ` on ${record.event.type}` : ''}`;
  if (record.type === '@xstate.event') return record.event ? record.event.type : '';
  if (record.type === '@xstate.action') {
    const params = record.action?.params ?? {};
    const detail = params.attempt ? ` (attempt ${params.attempt})` : params.delayMs ? ` (${params.delayMs} ms)` : '';
    return record.action ? `effect ${record.action.type}${detail}` : '';
  }
  return `actor started in ${record.state ?? '?'}`;
}

/** Folds records into the highlighted path: each snapshot after another is an edge from|EVENT|to. */
function addToPath(records) {
  for (const r of records) {
    if (r.type !== '@xstate.snapshot' && r.type !== '@xstate.actor') continue;
    if (!r.state) continue;
    const to = r.state;
    if (path.last && r.event && r.event.type !== 'xstate.init') {
      const edge = `${path.last}|${r.event.type}|${to}`;
      path.edges[edge] = (path.edges[edge] ?? 0) + 1;
    } else if (!path.last) {
      path.edges[`created|xstate.init|${to}`] = 1;
    }
    if (!path.states.includes(to)) path.states.push(to);
    path.last = to;
    path.current = to;
  }
  highlight(svg, path);
}

function row(record) {
  return el('tr', { dataset: { type: record.type } }, el('td', {}, timeEl(new Date(record.at).toISOString())), el('td', {}, el('code', {}, record.type)), el('td', { class: 'mono' }, describe(record)));
}

function renderSessions() {
  const list = [...sessions.values()].sort((a, b) => b.lastAt - a.lastAt);
  $('no-sessions').hidden = list.length > 0;
  fill(
    $('sessions'),
    list.map((s) =>
      el(
        'li',
        { class: s.sessionId === selected ? 'selected' : '', dataset: { session: s.sessionId } },
        el('a', { href: `#${encodeURIComponent(s.sessionId)}`, onclick: () => select(s.sessionId) }, s.sessionId),
        el('span', { class: 'state mono' }, ` ${s.state ?? ''}`),
        el('span', { class: 'muted small' }, ` ${s.records} events${s.source ? ` · ${s.source}` : ''}`),
      ),
    ),
  );
}

async function select(sessionId) {
  selected = sessionId;
  renderSessions();
  const session = await getJson(`/api/inspect/sessions/${encodeURIComponent(sessionId)}`);
  $('detail').hidden = false;
  $('session-title').textContent = sessionId;
  $('session-state').textContent = session.state ?? '';
  const link = $('session-link');
  if (session.executionId && session.actionId) link.href = `/executions/${encodeURIComponent(session.executionId)}/${encodeURIComponent(session.actionId)}`;
  svg ??= await loadDiagram($('diagram'));
  path = { states: [], edges: {}, current: undefined, last: undefined };
  addToPath(session.recent);
  fill($('records'), session.recent.slice(-MAX_ROWS).reverse().map(row));
}

function onRecords({ session, added }) {
  sessions.set(session.sessionId, session);
  renderSessions();
  if (!selected) {
    void select(session.sessionId);
    return;
  }
  if (session.sessionId !== selected) return;
  $('session-state').textContent = session.state ?? '';
  addToPath(added);
  const body = $('records');
  for (const record of added) body.prepend(row(record));
  while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
}

follow(
  '/api/inspect/stream',
  ['sessions', 'records'],
  (name, data) => {
    if (name === 'sessions') {
      for (const s of data.sessions) sessions.set(s.sessionId, s);
      renderSessions();
      const wanted = decodeURIComponent(location.hash.slice(1));
      const first = wanted && sessions.has(wanted) ? wanted : data.sessions[0]?.sessionId;
      if (first && !selected) void select(first);
    } else {
      onRecords(data);
    }
  },
  $('live'),
);
