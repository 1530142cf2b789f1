// #/dashboard: agents online/offline, running tests, alerts, latest results. Live: each event
// type refetches only its own list (debounced), never on a timer.
import {agentNames, keyMetrics, listAgents, listTests, recentResults} from '../data.js';
import {card, debounce, formatAgo, formatNumber, formatShortTime, formatTime, h, onlineBadge, pageHeader, replace, table} from '../dom.js';
import {onEvent} from '../events.js';
import {guarded} from '../ui.js';

const kLatest = 20;

function stat(id, label, cls) {
  const value = h('div', {class: `display-6 fw-semibold ${cls}`, id}, '–');
  return [h('div', {class: 'col-6 col-md-3'},
    h('div', {class: 'card bg-black border-secondary h-100 stat-card'},
      h('div', {class: 'card-body py-2'}, value, h('div', {class: 'text-secondary small'}, label)))), value];
}

export async function render(main, ctx) {
  const errors = h('div');
  const [onlineCol, online] = stat('stat-online', 'agents online', 'text-success');
  const [offlineCol, offline] = stat('stat-offline', 'agents offline', 'text-secondary');
  const [runningCol, running] = stat('stat-running', 'tests running', 'text-info');
  const [failedCol, failed] = stat('stat-failed', 'tests failed', 'text-danger');
  const alertsBody = h('div', {id: 'dashboard-alerts'});
  const agentsBody = h('div', {id: 'dashboard-agents'});
  const resultsBody = h('div', {id: 'dashboard-results'});
  const updated = h('span', {class: 'text-secondary small', id: 'dashboard-updated'});
  main.append(
    pageHeader('Dashboard', updated),
    errors,
    h('div', {class: 'row g-2 mb-3'}, onlineCol, offlineCol, runningCol, failedCol),
    h('div', {class: 'row g-3'},
      h('div', {class: 'col-lg-4'}, card('Alerts', alertsBody), card('Agents', agentsBody)),
      h('div', {class: 'col-lg-8'}, card(`Latest results`, resultsBody))));

  const data = {agents: [], tests: [], results: []};

  function renderCounts() {
    const active = data.agents.filter((a) => !a.revoked);
    online.textContent = String(active.filter((a) => a.online).length);
    offline.textContent = String(active.filter((a) => !a.online).length);
    running.textContent = String(data.tests.filter((t) => t.state === 'running').length);
    failed.textContent = String(data.tests.filter((t) => t.state === 'failed').length);
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  function renderAgents() {
    const active = data.agents.filter((a) => !a.revoked);
    replace(agentsBody, active.length
      ? h('ul', {class: 'list-unstyled mb-0'}, active.map((a) => h('li', {class: 'd-flex gap-2 align-items-center mb-1 dashboard-agent'},
        onlineBadge(a), h('a', {href: `#/agents/${encodeURIComponent(a.id)}`, class: 'link-light text-truncate'}, a.name || a.id),
        h('span', {class: 'text-secondary small ms-auto'}, formatAgo(a.last_seen)))))
      : h('p', {class: 'text-secondary mb-0'}, 'No agents enrolled yet. Create an enrollment token under Tokens.'));
  }

  function renderAlerts() {
    const items = [];
    for (const a of data.agents) {
      if (!a.online && !a.revoked) {
        items.push(['warning', 'Agent offline', a.name || a.id, `last seen ${formatAgo(a.last_seen)}`, `#/agents/${encodeURIComponent(a.id)}`]);
      }
    }
    for (const t of data.tests) {
      if (t.state === 'failed') items.push(['danger', 'Test failed', t.name || t.id, formatTime(t.updated), `#/tests/${encodeURIComponent(t.id)}`]);
    }
    const names = agentNames(data.agents);
    for (const r of data.results) {
      if (r.error) {
        items.push(['danger', 'Result error', `${names.get(r.agent_id) || r.agent_id}${r.target ? ` → ${r.target}` : ''}: ${r.error}`,
          formatTime(r.timestamp), r.test_id ? `#/tests/${encodeURIComponent(r.test_id)}` : null]);
      }
    }
    replace(alertsBody, items.length
      ? h('ul', {class: 'list-group list-group-flush'}, items.map(([kind, title, text, when, href]) =>
        h('li', {class: `list-group-item bg-black text-light border-secondary px-0 alert-item alert-item-${kind}`},
          h('div', {class: 'd-flex gap-2'}, h('span', {class: `badge bg-${kind} ${kind === 'warning' ? 'text-dark' : ''}`}, title),
            h('span', {class: 'text-secondary small ms-auto'}, when)),
          href ? h('a', {href, class: 'link-light small text-break'}, text) : h('span', {class: 'small text-break'}, text))))
      : h('p', {class: 'text-secondary mb-0'}, 'No alerts.'));
  }

  function renderResults() {
    const names = agentNames(data.agents);
    const testNames = new Map(data.tests.map((t) => [t.id, t.name || t.id]));
    const anyError = data.results.some((r) => r.error);
    const rows = data.results.map((r) => h('tr', {class: r.error ? 'result-error' : ''},
      h('td', {class: 'text-nowrap', title: formatTime(r.timestamp)}, formatShortTime(r.timestamp)),
      h('td', {class: 'cell-name'}, r.test_id ? h('a', {href: `#/tests/${encodeURIComponent(r.test_id)}`, class: 'link-light'}, testNames.get(r.test_id) || r.test_id)
        : h('span', {class: 'text-secondary'}, r.plugin)),
      h('td', {class: 'cell-name'}, names.get(r.agent_id) || r.agent_id),
      h('td', {class: 'cell-target'}, r.target || ''),
      h('td', {class: 'small'}, keyMetrics(r.metrics, 3).map(([k, v]) => h('span', {class: 'metric-chip'}, `${k} `, h('b', null, formatNumber(v))))),
      anyError ? h('td', {class: 'text-danger small cell-error'}, r.error || '') : null));
    const headers = ['Time', 'Test', 'Agent', 'Target', 'Metrics'];
    if (anyError) headers.push('Error');
    replace(resultsBody, table(headers, rows, {empty: 'No results yet.'}));
  }

  const renderAll = () => {
    renderCounts();
    renderAgents();
    renderAlerts();
    renderResults();
  };

  const load = guarded(ctx, errors, async (what) => {
    if (what.agents) data.agents = await listAgents();
    if (what.tests) data.tests = await listTests();
    if (what.results) data.results = await recentResults({}, kLatest);
    if (ctx.alive()) renderAll();
  });

  const reloadResults = debounce(() => load({results: true}));
  const reloadTests = debounce(() => load({tests: true}));
  const reloadAgents = debounce(() => load({agents: true}));
  ctx.onCleanup(onEvent('results', reloadResults));
  ctx.onCleanup(onEvent('tests', reloadTests));
  ctx.onCleanup(onEvent('agents', reloadAgents));
  ctx.onCleanup(() => [reloadResults, reloadTests, reloadAgents].forEach((d) => d.cancel()));
  await load({agents: true, tests: true, results: true});
}
