// The plans list: newest first, filtered by status, searched by plan id, paged; the query lives in the
// address bar, and the rows update live as the journal changes.
import { el, fill, follow, getJson, timeEl } from './common.js';

const PAGE = 25;
const $ = (id) => document.getElementById(id);
const state = { status: '', q: '', offset: 0 };
let source;
let searchTimer;
/** Bumped by every refresh, so an answer to an older query never overwrites a newer one. */
let generation = 0;

function readLocation() {
  const params = new URLSearchParams(location.search);
  state.status = params.get('status') ?? '';
  state.q = params.get('q') ?? '';
  state.offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
}

function query() {
  const params = new URLSearchParams();
  if (state.status) params.set('status', state.status);
  if (state.q) params.set('q', state.q);
  if (state.offset) params.set('offset', String(state.offset));
  params.set('limit', String(PAGE));
  return params;
}

function options(select, values, current) {
  const keep = select.querySelector('option[value=""]');
  fill(select, keep, values.map((v) => el('option', { value: v, selected: v === current }, v.replaceAll('_', ' '))));
}

function counts(m) {
  const parts = [`${m.completedActions}/${m.totalActions} done`];
  if (m.failedActions) parts.push(`${m.failedActions} failed`);
  if (m.skippedActions) parts.push(`${m.skippedActions} skipped`);
  return parts.join(', ');
}

function render(page) {
  $('error').hidden = true;
  options($('status'), page.statuses, state.status);
  fill(
    $('rows'),
    page.plans.map((p) =>
      el(
        'tr',
        { dataset: { planId: p.planId, status: p.status } },
        el('td', { class: 'mono' }, el('a', { href: `/plans/${encodeURIComponent(p.planId)}` }, p.planId)),
        el('td', {}, p.name, p.problem ? el('div', { class: 'error small' }, p.problem) : ''),
        el('td', {}, el('span', { class: `badge status-${p.status}` }, p.status.replaceAll('_', ' '))),
        el('td', {}, counts(p.metrics)),
        el('td', { class: 'mono' }, p.awaitingConfirmation.join(', ')),
        el('td', {}, timeEl(p.updatedAt)),
        el('td', {}, p.wakeAt ? timeEl(p.wakeAt) : ''),
      ),
    ),
  );
  $('empty').hidden = page.plans.length > 0;
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.plans.length;
  $('range').textContent = `${first}–${last} of ${page.total}`;
  $('prev').disabled = page.offset === 0;
  $('next').disabled = last >= page.total;
}

function showError(error) {
  $('error').textContent = error.message;
  $('error').hidden = false;
}

/** Loads the page for the current query and follows it live. */
async function refresh({ push = true } = {}) {
  const params = query();
  const shown = new URLSearchParams(params);
  shown.delete('limit');
  if (push) history.replaceState(null, '', shown.size ? `/plans?${shown}` : '/plans');
  source?.close();
  const mine = ++generation;
  source = follow(`/api/plans/stream?${params}`, ['list'], (_name, page) => mine === generation && render(page), $('live'));
  try {
    const page = await getJson(`/api/plans?${params}`);
    if (mine === generation) render(page);
  } catch (error) {
    if (mine === generation) showError(error);
  }
}

readLocation();
$('search').value = state.q;
$('status').addEventListener('change', (e) => {
  state.status = e.target.value;
  state.offset = 0;
  void refresh();
});
$('search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    state.q = e.target.value.trim();
    state.offset = 0;
    void refresh();
  }, 200);
});
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('prev').addEventListener('click', () => {
  state.offset = Math.max(0, state.offset - PAGE);
  void refresh();
});
$('next').addEventListener('click', () => {
  state.offset += PAGE;
  void refresh();
});
void refresh({ push: false });
