// #/tests: every test with its state and progress; stop, delete and clone for operators.
import {api, enc} from '../api.js';
import {agentNames, listAgents, listTests} from '../data.js';
import {card, debounce, formatDuration, formatTime, h, pageHeader, replace, stateBadge, table} from '../dom.js';
import {onEvent} from '../events.js';
import {confirmButton, guarded} from '../ui.js';

// Seconds since the test (or its current recurring window) began, and how far through it is.
export function testProgress(t, now = Date.now()) {
  const start = new Date(t.start).getTime();
  // A finished test's clock stopped when it last changed state.
  const finished = t.state === 'stopped' || t.state === 'failed' || (t.state === 'completed' && !t.recurring_every_s);
  if (finished && t.updated) now = Math.max(start, new Date(t.updated).getTime());
  if (Number.isNaN(start) || now < start) return {elapsed: 0, fraction: 0, text: `starts ${formatTime(t.start)}`};
  let elapsed = (now - start) / 1000;
  if (t.recurring_every_s) elapsed %= t.recurring_every_s;
  if (t.state === 'completed' && !t.recurring_every_s) return {elapsed, fraction: 1, text: 'done'};
  if (!t.duration_s) return {elapsed, fraction: null, text: finished ? `ran ${formatDuration(elapsed)}` : `${formatDuration(elapsed)} (until stopped)`};
  const fraction = Math.min(1, elapsed / t.duration_s);
  return {elapsed, fraction, text: `${formatDuration(Math.min(elapsed, t.duration_s))} / ${formatDuration(t.duration_s)}`};
}

export function progressCell(t) {
  const p = testProgress(t);
  const active = t.state === 'running' || t.state === 'pending';
  const bar = h('div', {class: ['progress-bar', active ? 'progress-bar-striped progress-bar-animated' : 'bg-secondary'],
    role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100});
  const pct = p.fraction === null ? 100 : Math.round(p.fraction * 100);
  bar.style.width = `${active || t.state === 'completed' ? pct : Math.min(pct, 100)}%`;
  bar.setAttribute('aria-valuenow', String(pct));
  return h('div', {class: 'test-progress'},
    h('div', {class: 'progress bg-secondary-subtle'}, bar),
    h('div', {class: 'small text-secondary text-nowrap'}, p.text));
}

export function canStop(t) {
  return t.state === 'running' || t.state === 'pending' || (t.state === 'completed' && Boolean(t.recurring_every_s));
}

export function stopButton(t, after, errors) {
  return confirmButton('Stop', 'btn-sm btn-outline-warning stop-test',
    {title: 'Stop test', ok: 'Stop', message: h('p', null, 'Stop ', h('b', null, t.name || t.id), '? Its results are kept.')}, async () => {
      await api.post(`/api/v1/tests/${enc(t.id)}/stop`);
      await after();
    }, errors);
}

export function deleteButton(t, after, errors) {
  return confirmButton('Delete', 'btn-sm btn-outline-danger delete-test',
    {title: 'Delete test', ok: 'Delete', message: h('p', null, 'Delete ', h('b', null, t.name || t.id), ' and all its results? This cannot be undone.')},
    async () => {
      await api.del(`/api/v1/tests/${enc(t.id)}`);
      await after();
    }, errors);
}

export function cloneLink(t) {
  return h('a', {class: 'btn btn-sm btn-outline-light clone-test', href: `#/tests/new?from=${enc(t.id)}`}, 'Clone');
}

export async function render(main, ctx) {
  const errors = h('div');
  const body = h('div', {id: 'tests-table'});
  const canOperate = ctx.can('operator');
  main.append(
    pageHeader('Tests', canOperate ? h('a', {class: 'btn btn-primary', href: '#/tests/new', id: 'new-test'}, 'New test') : null),
    errors, card(null, body));
  let tests = [];
  let names = new Map();

  function renderRows() {
    const headers = ['Name', 'Plugin', 'Targets', 'Agents / labels', 'State', 'Progress', 'Every'];
    if (canOperate) headers.push('');
    const rows = tests.map((t) => h('tr', {dataset: {test: t.id}},
      h('td', null, h('a', {href: `#/tests/${enc(t.id)}`, class: 'link-light fw-semibold test-name'}, t.name || t.id),
        h('div', {class: 'small text-secondary font-monospace'}, t.id)),
      h('td', null, t.plugin),
      h('td', {class: 'small text-break'}, (t.targets || []).join(', ') || '—'),
      h('td', {class: 'small'}, (t.agents || []).map((a) => h('div', null, names.get(a) || a)),
        (t.labels || []).map((l) => h('span', {class: 'badge bg-dark border border-secondary me-1'}, l))),
      h('td', null, stateBadge(t.state)),
      h('td', null, progressCell(t)),
      h('td', {class: 'text-nowrap'}, formatDuration(t.interval_s), t.recurring_every_s ? h('div', {class: 'small text-secondary'}, `recurs every ${formatDuration(t.recurring_every_s)}`) : null),
      canOperate ? h('td', {class: 'text-nowrap'}, h('div', {class: 'd-flex gap-1'},
        cloneLink(t), canStop(t) ? stopButton(t, load, errors) : null, deleteButton(t, load, errors))) : null));
    replace(body, table(headers, rows, {empty: 'No tests yet.'}));
  }

  const load = guarded(ctx, errors, async () => {
    const [t, agents] = await Promise.all([listTests(), listAgents()]);
    if (!ctx.alive()) return;
    tests = t.sort((a, b) => String(b.created).localeCompare(String(a.created)));
    names = agentNames(agents);
    renderRows();
  });
  const reload = debounce(load);
  const refreshProgress = debounce(renderRows, 1000);
  ctx.onCleanup(onEvent('tests', reload));
  ctx.onCleanup(onEvent('results', refreshProgress));
  ctx.onCleanup(() => {
    reload.cancel();
    refreshProgress.cancel();
  });
  await load();
}
