// One execution: its path on the machine diagram, the timeline of transitions, every attempt and
// wait, its ActionExecutionState, and Cancel / Resume where they apply. Live while it runs.
import { el, fill, follow, formatMs, getJson, jsonBlock, post, recordTable, statusBadge, timeEl } from './common.js';
import { highlight, loadDiagram } from './diagram.js';

const $ = (id) => document.getElementById(id);
const [, , rawExecutionId, rawActionId] = location.pathname.split('/');
const executionId = decodeURIComponent(rawExecutionId ?? '');
const actionId = decodeURIComponent(rawActionId ?? '');
const api = `/api/executions/${encodeURIComponent(executionId)}/${encodeURIComponent(actionId)}`;
let svg;
let latest;
let waitTimer;
/** The viewer's clock minus this browser's, so countdowns use the journal's time. */
let skew = 0;

function message(text, kind = 'info') {
  $('message').textContent = text;
  $('message').className = `message ${kind}`;
  $('message').hidden = !text;
}

function renderHead(view) {
  document.title = `${view.actionId} · ${view.status} · action-executor`;
  fill($('title'), el('span', { class: 'mono' }, view.executionId), ' / ', view.actionId);
  fill($('status'), statusBadge(view.status), ' ', el('span', { class: 'state mono', id: 'state' }, view.state));
  fill($('facts'), `definition ${view.definitionId} · ${view.attemptCount} attempt(s) · created `, timeEl(view.createdAt), ' · updated ', timeEl(view.updatedAt), view.wakeAt ? [' · wakes ', timeEl(view.wakeAt)] : '');
  const lease = view.lease;
  $('lease').textContent =
    lease.holder === 'none'
      ? view.terminal
        ? 'finished: no process drives it'
        : 'no live process drives it (it resumes with Resume, or `action-executor resume`)'
      : `driven by ${lease.holder === 'this viewer' ? 'this viewer' : `pid ${lease.pid} on ${lease.host}`} (lease until ${lease.expiresAt})`;
  $('cancel').hidden = !view.actions.cancel;
  $('resume').hidden = !view.actions.resume;
  $('note').hidden = !view.note;
  $('note').textContent = view.note ? view.note.message : '';
}

function renderWaits(view) {
  $('waits-section').hidden = view.waits.length === 0;
  clearInterval(waitTimer);
  const items = view.waits.map((w) => {
    const left = el('span', { class: 'countdown' });
    const item = el(
      'li',
      { dataset: { seq: w.seq } },
      el('strong', {}, w.kind === 'retry' ? 'backoff' : 'rate limit'),
      ` ${formatMs(w.delayMs)} until `,
      timeEl(w.until),
      ' — ',
      w.reason,
      ' ',
      w.endedAt ? el('span', { class: 'muted' }, `(ended by ${w.endedBy} at ${w.endedAt})`) : left,
    );
    if (!w.endedAt) {
      const tick = () => {
        const ms = Date.parse(w.until) - (Date.now() + skew);
        left.textContent = ms > 0 ? `(waiting, ${formatMs(ms)} left)` : '(deadline reached)';
      };
      tick();
      waitTimer = setInterval(tick, 500);
    }
    return item;
  });
  fill($('waits'), items);
}

function renderTimeline(view) {
  $('omitted').hidden = view.omittedTransitions === 0;
  $('omitted').textContent = `${view.omittedTransitions} older transition(s) not shown.`;
  fill(
    $('timeline'),
    view.transitions.map((t) =>
      el(
        'tr',
        { dataset: { seq: t.seq, event: t.event, to: t.to } },
        el('td', { class: 'num' }, String(t.seq)),
        el('td', { class: 'num' }, `+${formatMs(t.offsetMs)}`),
        el('td', {}, timeEl(t.at)),
        el('td', { class: 'mono' }, `${t.from} → ${t.to}`),
        el('td', {}, el('code', { class: 'event' }, t.event)),
        el('td', {}, t.summary, t.data ? el('details', {}, el('summary', {}, 'payload'), jsonBlock(t.data)) : ''),
      ),
    ),
  );
}

function renderBody(body) {
  if (!body) return el('p', { class: 'muted' }, '(no body recorded)');
  const head = `${body.kind}, ${body.contentType || 'no content type'}, ${body.size} bytes${body.truncated ? ' (preview cut)' : ''}`;
  return el('div', {}, el('p', { class: 'muted' }, head, body.storedAt ? ` — stored at ${body.storedAt}` : ''), body.problem ? el('p', { class: 'error' }, body.problem) : '', body.text !== undefined ? el('pre', { class: 'body' }, body.text) : '');
}

function renderAttempt(a) {
  const c = a.classification;
  const outcome = a.response ? `${a.response.status}` : a.error ? a.error.code ?? a.error.category : 'in flight';
  return el(
    'article',
    { class: `attempt outcome-${c.outcome}`, dataset: { attempt: a.attempt, outcome: c.outcome } },
    el('h3', {}, `Attempt ${a.attempt}: ${a.request.method} `, el('span', { class: 'mono' }, a.request.url), ` → ${outcome}`, a.durationMs !== undefined ? ` in ${formatMs(a.durationMs)}` : ''),
    el(
      'p',
      { class: 'classification' },
      el('span', { class: `badge outcome-${c.outcome}` }, c.outcome.replace('_', ' ')),
      c.category ? ` ${c.category}${c.code ? ` (${c.code})` : ''}${c.retryable === undefined ? '' : c.retryable ? ', retryable' : ', not retryable'}` : '',
      ' — ',
      el('span', { class: 'why' }, c.why),
      c.refusedBecause ? el('span', { class: 'muted' }, ` [${c.refusedBecause}]`) : '',
    ),
    c.suggestion ? el('p', { class: 'suggestion' }, `suggestion: ${c.suggestion}`) : '',
    el('p', { class: 'muted small' }, `${a.state} · started `, timeEl(a.startedAt), a.finishedAt ? [' · finished ', timeEl(a.finishedAt)] : '', a.idempotencyKey ? ` · idempotency key ${a.idempotencyKey}` : '', a.redirects.length ? ` · redirects: ${a.redirects.join(' → ')}` : ''),
    a.error ? el('p', { class: 'error' }, `${a.error.category}${a.error.code ? ` ${a.error.code}` : ''}${a.error.phase ? ` in ${a.error.phase}` : ''}${a.error.reachedServer ? ` (reached server: ${a.error.reachedServer})` : ''}: ${a.error.message}`) : '',
    el(
      'div',
      { class: 'columns' },
      el('div', {}, el('h4', {}, 'Request headers (redacted)'), recordTable(a.request.headers), a.request.body !== undefined ? [el('h4', {}, 'Request body'), el('pre', { class: 'body' }, a.request.body)] : ''),
      a.response ? el('div', {}, el('h4', {}, `Response ${a.response.status} headers`), recordTable(a.response.headers), el('h4', {}, 'Response body'), renderBody(a.response.body)) : el('div', {}),
    ),
  );
}

function render(view) {
  latest = view;
  skew = Date.parse(view.now) - Date.now();
  renderHead(view);
  highlight(svg, view.path);
  renderWaits(view);
  renderTimeline(view);
  fill($('attempts'), view.attempts.length ? view.attempts.map(renderAttempt) : el('p', { class: 'muted' }, 'No request sent yet.'));
  $('result').textContent = JSON.stringify(view.result, null, 2);
}

async function act(action, button) {
  button.disabled = true;
  message(action === 'cancel' ? 'cancelling…' : 'resuming…');
  try {
    const { ok, body } = await post(`${api}/${action}`, action === 'cancel' ? { reason: 'cancelled from the viewer' } : {});
    if (ok) message(action === 'cancel' ? `cancelled: the execution is now ${body.state?.status ?? 'failed'}` : 'resumed: this viewer drives it now', 'ok');
    else message(body?.error?.message ?? `${action} failed`, 'error');
    const view = await getJson(api);
    render(view);
  } catch (error) {
    message(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

$('cancel').addEventListener('click', () => void act('cancel', $('cancel')));
$('resume').addEventListener('click', () => void act('resume', $('resume')));

async function start() {
  svg = await loadDiagram($('diagram')).catch(() => undefined);
  try {
    render(await getJson(api));
  } catch (error) {
    message(error.message, 'error');
    return;
  }
  follow(`${api}/stream`, ['execution'], (_name, view) => render(view), $('live'));
  if (latest) document.body.dataset.ready = 'true';
  // An action of a plan runs under the plan's id: point back at the plan's page when there is one.
  getJson(`/api/plans/${encodeURIComponent(executionId)}`).then(
    (plan) => {
      fill($('plan-link'), 'an action of plan ', el('a', { href: `/plans/${encodeURIComponent(executionId)}` }, plan.name || executionId), ` (${plan.status.replaceAll('_', ' ')})`);
      $('plan-link').hidden = false;
    },
    () => undefined,
  );
}

void start();
