// One plan: its DAG with each action's status, the confirmations it waits for (Confirm / Reject), its
// history, metrics and ExecutionState, and Cancel while it is not over. Live while it runs or waits.
import { el, fill, follow, formatMs, getJson, post, timeEl } from './common.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const planId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const api = `/api/plans/${encodeURIComponent(planId)}`;
let latest;
let countdown;
/** The viewer's clock minus this browser's, so deadlines count down on the journal's time. */
let skew = 0;

const LABELS = { waiting_confirmation: 'waiting confirmation', paused_for_confirmation: 'paused for confirmation' };
const label = (status) => LABELS[status] ?? status;

function message(text, kind = 'info') {
  $('message').textContent = text;
  $('message').className = `message ${kind}`;
  $('message').hidden = !text;
}

/** An SVG element with attributes; text only ever through textContent. */
function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Time left to a deadline: confirmation timeouts run to hours or days, not just seconds. */
function formatLeft(ms) {
  if (ms < 60 * 60_000) return formatMs(ms);
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days ${hours % 24} h` : `${hours} h ${minutes} min`;
}

function renderDag(graph) {
  const svg = svgEl('svg', { class: 'plan-dag', viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: 'img', 'aria-label': 'the plan as a graph of its actions' });
  const defs = svgEl('defs');
  for (const kind of ['dependency', 'alternative']) {
    const marker = svgEl('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svgEl('path', { d: 'M0 0 L10 5 L0 10 z', class: `arrow ${kind}` }));
    defs.append(marker);
  }
  svg.append(defs);
  for (const edge of graph.edges) {
    const group = svgEl('g', { class: `plan-edge ${edge.kind}`, 'data-from': edge.from, 'data-to': edge.to, 'data-kind': edge.kind });
    group.append(svgEl('path', { d: edge.d, 'marker-end': `url(#arrow-${edge.kind})` }));
    if (edge.kind === 'alternative') group.append(svgEl('title', {}, `${edge.to} runs if ${edge.from} fails`));
    svg.append(group);
  }
  for (const node of graph.nodes) {
    const { x, y, width, height } = node.box;
    const group = svgEl('g', { class: `plan-node status-${node.status}${node.alternativeFor ? ' alternative' : ''}`, 'data-action-id': node.actionId, 'data-status': node.status, transform: `translate(${x} ${y})` });
    group.append(svgEl('title', {}, [`${node.actionId} (${node.definitionId}): ${label(node.status)}`, node.reason, node.alternativeFor ? `alternative: runs only if ${node.alternativeFor} fails` : '', node.confirmation ? `asks "${node.confirmation.title}" first` : '', node.condition ?? ''].filter(Boolean).join('\n')));
    group.append(svgEl('rect', { width, height, rx: 8 }));
    group.append(svgEl('text', { x: 12, y: 21, class: 'node-id' }, clip(node.actionId, 24)));
    group.append(svgEl('text', { x: 12, y: 38, class: 'node-definition' }, clip(`${node.definitionId}${node.confirmation ? ' · asks first' : ''}${node.alternativeFor ? ` · if ${node.alternativeFor} fails` : ''}`, 30)));
    group.append(svgEl('text', { x: 12, y: 55, class: 'node-status' }, clip(label(node.status) + (node.attempts > 1 ? ` · ${node.attempts} attempts` : ''), 30)));
    if (node.execution) {
      const link = svgEl('a', { href: node.execution });
      link.append(group);
      svg.append(link);
    } else svg.append(group);
  }
  fill($('dag'), svg);
}

function renderActions(view) {
  fill(
    $('actions'),
    view.graph.nodes.map((n) =>
      el(
        'tr',
        { dataset: { actionId: n.actionId, status: n.status } },
        el('td', { class: 'mono' }, n.actionId, n.alternativeFor ? el('div', { class: 'muted small' }, `alternative of ${n.alternativeFor}`) : ''),
        el('td', {}, n.definitionId),
        el('td', {}, el('span', { class: `badge status-${n.status}` }, label(n.status))),
        el('td', { class: 'why' }, n.reason ?? '', n.condition ? el('div', { class: 'muted small' }, n.condition) : ''),
        el('td', { class: 'num' }, String(n.attempts)),
        el('td', {}, n.startedAt ? timeEl(n.startedAt) : ''),
        el('td', { class: 'num' }, n.durationMs === undefined ? '' : formatMs(n.durationMs)),
        el('td', {}, n.execution ? el('a', { href: n.execution, class: 'execution-link' }, 'timeline →') : el('span', { class: 'muted' }, '—')),
      ),
    ),
  );
}

function renderPending(view) {
  $('pending-section').hidden = view.pending.length === 0;
  $('answer-why').hidden = view.actions.answer;
  $('answer-why').textContent = view.actions.answer ? '' : `Answers are off: ${view.actions.why ?? ''}.`;
  clearInterval(countdown);
  const clocks = [];
  fill(
    $('pending'),
    view.pending.map((p) => {
      const left = el('span', { class: 'countdown' });
      if (p.dueAt) clocks.push([left, p.dueAt]);
      return el(
        'article',
        { class: 'confirmation', dataset: { actionId: p.actionId } },
        el('h3', {}, p.title || `Confirm ${p.actionId}?`),
        el('p', {}, p.message),
        el('p', { class: 'muted small' }, el('span', { class: 'mono' }, p.actionId), ' · asked ', timeEl(p.requestedAt), p.dueAt ? [' · rejected automatically at ', timeEl(p.dueAt), ' ', left] : ' · no deadline'),
        el(
          'div',
          { class: 'buttons' },
          el('button', { type: 'button', class: 'confirm', disabled: !view.actions.answer, onclick: (e) => void answer(p.actionId, true, e.currentTarget) }, 'Confirm'),
          el('button', { type: 'button', class: 'reject danger', disabled: !view.actions.answer, onclick: (e) => void answer(p.actionId, false, e.currentTarget) }, 'Reject'),
        ),
      );
    }),
  );
  if (clocks.length > 0) {
    const tick = () => {
      for (const [node, due] of clocks) {
        const ms = Date.parse(due) - (Date.now() + skew);
        node.textContent = ms > 0 ? `(${formatLeft(ms)} left)` : '(deadline passed)';
      }
    };
    tick();
    countdown = setInterval(tick, 500);
  }
}

function renderConfirmations(view) {
  $('no-confirmations').hidden = view.confirmations.length > 0;
  fill(
    $('confirmations'),
    view.confirmations.map((c) =>
      el(
        'tr',
        { dataset: { actionId: c.actionId } },
        el('td', { class: 'mono' }, c.actionId),
        el('td', {}, timeEl(c.requestedAt)),
        el('td', {}, c.respondedAt ? timeEl(c.respondedAt) : ''),
        el('td', {}, c.confirmed === undefined ? el('span', { class: 'badge status-pending' }, 'waiting') : c.confirmed ? el('span', { class: 'badge status-completed' }, 'confirmed') : el('span', { class: 'badge status-failed' }, 'rejected')),
        el('td', {}, c.userId ?? (c.confirmed === false ? el('span', { class: 'muted' }, '(timeout)') : '')),
      ),
    ),
  );
}

function render(view) {
  latest = view;
  skew = Date.parse(view.now) - Date.now();
  document.title = `${view.name} · ${label(view.status)} · action-executor`;
  fill($('title'), view.name, ' ', el('span', { class: 'mono muted small' }, view.planId));
  fill($('status'), el('span', { class: `badge status-${view.status}` }, label(view.status)));
  $('status').dataset.status = view.status;
  fill($('facts'), view.description, ' · started ', timeEl(view.startedAt), view.completedAt ? [' · ended ', timeEl(view.completedAt)] : '', ' · updated ', timeEl(view.updatedAt));
  const lease = view.lease;
  $('lease').textContent =
    lease.holder === 'none'
      ? view.terminal
        ? 'over: no process drives it'
        : view.status === 'paused_for_confirmation'
          ? 'paused: no process drives it until someone answers'
          : 'no live process drives it (it continues with `action-executor resume --all`)'
      : `driven by ${lease.holder === 'this viewer' ? 'this viewer' : `pid ${lease.pid} on ${lease.host}`} (lease until ${lease.expiresAt})`;
  $('cancel').hidden = !view.actions.cancel;
  $('note').hidden = !view.note;
  $('note').textContent = view.note ? view.note.message : '';
  const missing = [
    view.missing.auth.length ? `credentials ${view.missing.auth.join(', ')} (start the viewer with --credentials FILE)` : '',
    view.missing.definitions.length ? `definitions ${view.missing.definitions.join(', ')} (start it with --definitions DIR)` : '',
  ].filter(Boolean);
  $('missing').hidden = missing.length === 0;
  $('missing').textContent = missing.length ? `This viewer lacks ${missing.join(' and ')}: actions it starts after an answer that need them will fail.` : '';
  renderPending(view);
  renderDag(view.graph);
  renderActions(view);
  const m = view.metrics;
  $('metrics').textContent = `${m.totalActions} actions: ${m.completedActions} completed, ${m.failedActions} failed, ${m.skippedActions} skipped${m.totalDuration === undefined ? '' : ` · ${formatMs(m.totalDuration)} in all`}`;
  renderConfirmations(view);
  $('error-section').hidden = !view.error;
  $('error').textContent = view.error ? JSON.stringify(view.error, null, 2) : '';
  $('result').textContent = JSON.stringify(view.state, null, 2);
}

async function refresh() {
  try {
    render(await getJson(api));
  } catch (error) {
    message(error.message, 'error');
  }
}

async function answer(actionId, confirmed, button) {
  const userId = $('user-id').value.trim();
  for (const b of document.querySelectorAll('#pending button')) b.disabled = true;
  message(`${confirmed ? 'confirming' : 'rejecting'} ${actionId}…`);
  try {
    const { ok, body } = await post(`${api}/confirm/${encodeURIComponent(actionId)}`, userId ? { confirmed, userId } : { confirmed });
    if (!ok) message(body?.error?.message ?? `the answer failed`, 'error');
    else if (!body.recorded) message(body.message, 'info');
    else message(`${confirmed ? 'confirmed' : 'rejected'} ${actionId}${userId ? ` as ${userId}` : ''}: ${body.status ? `the plan is ${label(body.status)}` : 'the plan runs on in this viewer'}`, 'ok');
  } catch (error) {
    message(error.message, 'error');
  } finally {
    button.disabled = false;
    await refresh();
  }
}

$('cancel').addEventListener('click', async () => {
  $('cancel').disabled = true;
  message('cancelling…');
  try {
    const { ok, body } = await post(`${api}/cancel`, { reason: 'cancelled from the viewer' });
    message(ok ? (body.recorded ? `cancelled${body.status ? `: the plan is ${body.status}` : ''}` : body.message) : body?.error?.message ?? 'cancel failed', ok ? 'ok' : 'error');
  } catch (error) {
    message(error.message, 'error');
  } finally {
    $('cancel').disabled = false;
    await refresh();
  }
});

async function start() {
  await refresh();
  if (!latest) return;
  follow(`${api}/stream`, ['plan'], (_name, view) => render(view), $('live'));
  document.body.dataset.ready = 'true';
}

void start();
