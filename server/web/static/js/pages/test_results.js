// #/tests/ID: a test's results. A chart of one metric per agent/target series (downsampled by
// the server to about one point per pixel), range buttons, from/to, drag-to-zoom; a table of the
// newest results; the plugin's document; CSV/JSON export. A `results` event for this test
// refetches the visible range (debounced).
import {api, enc, withQuery} from '../api.js';
import {seriesChart} from '../charts.js';
import {agentNames, iso, keyMetrics, listAgents, listPlugins, recentResults} from '../data.js';
import {pathChangeList, renderDocument} from '../documents.js';
import {card, clear, debounce, formatDuration, formatNumber, formatShortTime, formatTime, h, localInputValue, pageHeader, replace, showError, stateBadge, table} from '../dom.js';
import {onEvent} from '../events.js';
import {guarded, select} from '../ui.js';
import {canStop, cloneLink, deleteButton, progressCell, stopButton} from './tests.js';

const kTableRows = 50;
const kMinPoints = 100;
const kMaxPoints = 2000;
const kRanges = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['all', null]];

// Concrete metric names first; declared templates ("hop.{ttl}.loss_percent") only when nothing
// concrete is known, since a series is always of one concrete name.
function usableMetrics(metrics) {
  const concrete = metrics.filter((m) => !m.name.includes('{'));
  return concrete.length ? concrete : metrics;
}

export async function render(main, ctx) {
  const id = ctx.params[0];
  const errors = h('div', {id: 'results-errors'});
  const header = h('div');
  const info = h('div', {class: 'mb-3'});
  main.append(header, errors, info);

  let test = await api.get(`/api/v1/tests/${enc(id)}`);
  const agents = await listAgents();
  if (!ctx.alive()) return;
  const names = agentNames(agents);
  const agentName = (a) => names.get(a) || a;
  const testStart = () => new Date(test.start).getTime();
  const active = () => test.state === 'running' || test.state === 'pending';

  // ---- header and info ----
  function renderHeader() {
    const canOperate = ctx.can('operator');
    replace(header, pageHeader([h('span', {class: 'test-title'}, test.name || test.id), ' ', stateBadge(test.state)],
      canOperate ? cloneLink(test) : null,
      canOperate && canStop(test) ? stopButton(test, reloadTest, errors) : null,
      canOperate ? deleteButton(test, async () => ctx.navigate('#/tests'), errors) : null,
      h('a', {class: 'btn btn-sm btn-outline-info', id: 'export-csv', download: `${test.id}.csv`,
        href: withQuery('/api/v1/results', {test: test.id, format: 'csv'})}, 'Export CSV'),
      h('a', {class: 'btn btn-sm btn-outline-info', id: 'export-json', download: `${test.id}.json`,
        href: withQuery('/api/v1/results', {test: test.id, format: 'json'})}, 'Export JSON')));
    renderInfo();
  }

  // Progress moves on every refresh; the buttons above stay put.
  function renderInfo() {
    replace(info, h('div', {class: 'row g-2 small test-info'},
      h('div', {class: 'col-6 col-md-2'}, h('div', {class: 'text-secondary'}, 'Plugin'), test.plugin),
      h('div', {class: 'col-6 col-md-3 text-break'}, h('div', {class: 'text-secondary'}, 'Targets'), (test.targets || []).join(', ') || '—'),
      h('div', {class: 'col-6 col-md-2'}, h('div', {class: 'text-secondary'}, 'Agents / labels'),
        (test.agents || []).map((a) => h('div', null, agentName(a))), (test.labels || []).join(', ')),
      h('div', {class: 'col-6 col-md-2'}, h('div', {class: 'text-secondary'}, 'Every'), formatDuration(test.interval_s),
        test.recurring_every_s ? ` · recurs every ${formatDuration(test.recurring_every_s)}` : ''),
      h('div', {class: 'col-12 col-md-3'}, h('div', {class: 'text-secondary'}, `Started ${formatTime(test.start)}`), progressCell(test))));
  }

  const reloadTest = guarded(ctx, errors, async () => {
    test = await api.get(`/api/v1/tests/${enc(id)}`);
    if (ctx.alive()) renderHeader();
  });

  renderHeader();

  // ---- chart ----
  const metricSelect = select([], {id: 'metric-select', 'aria-label': 'Metric'});
  const agentSelect = select([['', 'all agents']], {id: 'series-agent', 'aria-label': 'Agent'});
  agentSelect.classList.add('d-none');
  const rangeButtons = kRanges.map(([label, ms]) => h('button', {type: 'button', class: 'btn btn-sm btn-outline-light', dataset: {range: label},
    onClick: () => setRange(ms === null ? {kind: 'all'} : {kind: 'last', ms}, true)}, label));
  const fromInput = h('input', {type: 'datetime-local', step: 1, class: 'form-control form-control-sm bg-dark text-light border-secondary', id: 'range-from', 'aria-label': 'From'});
  const toInput = h('input', {type: 'datetime-local', step: 1, class: 'form-control form-control-sm bg-dark text-light border-secondary', id: 'range-to', 'aria-label': 'To'});
  const applyRange = h('button', {type: 'button', class: 'btn btn-sm btn-outline-light', id: 'range-apply'}, 'Apply');
  const resetZoom = h('button', {type: 'button', class: 'btn btn-sm btn-outline-warning', id: 'zoom-reset', disabled: true}, 'Reset zoom');
  const bandToggle = h('input', {type: 'checkbox', class: 'form-check-input', id: 'band-toggle'});
  const summary = h('div', {class: 'small text-secondary', id: 'series-summary', dataset: {samples: 0, points: 0}});
  const chartWrap = h('div', {class: 'chart-wrap', id: 'chart'});
  const chartMessage = h('div');
  main.append(card('Chart',
    h('div', {class: 'd-flex flex-wrap gap-2 align-items-center mb-2 chart-controls'},
      h('div', {class: 'metric-select-wrap'}, metricSelect),
      h('div', {class: 'agent-select-wrap'}, agentSelect),
      h('div', {class: 'btn-group', role: 'group', 'aria-label': 'Range'}, rangeButtons),
      h('div', {class: 'form-check form-switch mb-0'}, bandToggle, h('label', {class: 'form-check-label small', for: 'band-toggle'}, 'min/max band'))),
    h('div', {class: 'd-flex flex-wrap gap-2 align-items-center mb-2'},
      h('label', {class: 'small text-secondary', for: 'range-from'}, 'From'), h('div', {class: 'range-input'}, fromInput),
      h('label', {class: 'small text-secondary', for: 'range-to'}, 'to'), h('div', {class: 'range-input'}, toInput),
      applyRange, resetZoom,
      h('span', {class: 'small text-secondary d-none d-md-inline'}, 'Drag across the chart to zoom.')),
    chartMessage, chartWrap, summary));

  // ---- results table and documents ----
  const tableCount = h('span', {class: 'small text-secondary', id: 'results-count', dataset: {count: 0}});
  const tableBody = h('div', {id: 'results-table'});
  const docView = h('div', {id: 'document-view'});
  const docTitle = h('span', null, 'Document');
  main.append(card(h('div', {class: 'd-flex gap-2 align-items-center'}, 'Newest results', tableCount), tableBody),
    card(docTitle, docView));

  let metrics = [];
  let knownSeries = 0;
  let range = {kind: 'all'};
  let baseRange = range;
  let chart = null;
  let selectedResult = null;

  function currentWindow() {
    if (range.kind === 'abs') return {from: range.from, to: range.to};
    if (range.kind === 'last') return {from: Date.now() - range.ms, to: null};
    return {from: testStart(), to: null};
  }

  function markRange() {
    for (const b of rangeButtons) {
      const ms = kRanges.find(([l]) => l === b.dataset.range)[1];
      const on = (range.kind === 'all' && ms === null) || (range.kind === 'last' && range.ms === ms);
      b.classList.toggle('active', on);
    }
    resetZoom.disabled = range === baseRange;
    const w = currentWindow();
    fromInput.value = localInputValue(w.from);
    toInput.value = localInputValue(w.to ?? Date.now());
  }

  function setRange(next, asBase) {
    range = next;
    if (asBase) baseRange = next;
    markRange();
    refresh();
  }

  applyRange.addEventListener('click', () => {
    const from = new Date(fromInput.value).getTime();
    const to = new Date(toInput.value).getTime();
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from) {
      showError(errors, new Error('Choose a "from" time before the "to" time.'));
      return;
    }
    clear(errors);
    setRange({kind: 'abs', from, to}, false);
  });
  resetZoom.addEventListener('click', () => setRange(baseRange, true));
  const reloadSeries = guarded(ctx, errors, () => loadSeries());
  bandToggle.addEventListener('change', reloadSeries);
  metricSelect.addEventListener('change', reloadSeries);
  agentSelect.addEventListener('change', reloadSeries);

  async function loadMetrics() {
    let list;
    try {
      const body = await api.get(`/api/v1/tests/${enc(id)}/metrics`);
      list = body.metrics || [];
      knownSeries = (body.series || []).length;
      const seriesAgents = [...new Set((body.series || []).map((s) => s.agent))];
      const keepAgent = agentSelect.value;
      replace(agentSelect, h('option', {value: ''}, 'all agents'), seriesAgents.map((a) => h('option', {value: a}, agentName(a))));
      agentSelect.value = seriesAgents.includes(keepAgent) ? keepAgent : '';
      agentSelect.classList.toggle('d-none', seriesAgents.length < 2);
    } catch (e) {
      if (e.status !== 404) throw e;
      knownSeries = Number.MAX_SAFE_INTEGER;
      // Without the metrics endpoint, the plugin's declared metrics will do.
      const plugin = (await listPlugins()).find((p) => p.name === test.plugin);
      list = plugin ? plugin.metrics.map((m) => ({name: m.name, unit: m.unit, type: m.kind})) : [];
    }
    metrics = usableMetrics(list);
    const keep = metricSelect.value;
    replace(metricSelect, metrics.map((m) => h('option', {value: m.name}, m.unit ? `${m.name} (${m.unit})` : m.name)));
    const preferred = keep && metrics.some((m) => m.name === keep) ? keep
      : (keyMetrics(Object.fromEntries(metrics.map((m) => [m.name, 0])), 1)[0] || [metrics[0] && metrics[0].name])[0];
    if (preferred) metricSelect.value = preferred;
  }

  async function loadSeries() {
    const metric = metricSelect.value;
    if (!metric) {
      replace(chartMessage, h('p', {class: 'text-secondary'}, 'No metrics yet: the chart appears with the first results.'));
      return;
    }
    const w = currentWindow();
    const points = Math.max(kMinPoints, Math.min(kMaxPoints, Math.round(chartWrap.clientWidth || 800)));
    const body = await api.get(withQuery(`/api/v1/tests/${enc(id)}/series`,
      {metric, agent: agentSelect.value, from: iso(w.from), to: w.to === null ? undefined : iso(w.to), points}));
    if (!ctx.alive()) return;
    clear(chartMessage);
    const unit = (metrics.find((m) => m.name === metric) || {}).unit || '';
    // A new agent or target showed up: refresh the agent choices (and metric list) too.
    if (!agentSelect.value && (body.series || []).length > knownSeries) {
      loadMetrics().catch((e) => showError(errors, e));
    }
    const series = (body.series || []).map((s) => ({label: `${agentName(s.agent)}${s.target ? ` → ${s.target}` : ''}`, points: s.points || []}));
    if (!chart) chart = seriesChart(chartWrap, {onZoom: (from, to) => setRange({kind: 'abs', from, to}, false)});
    const to = w.to ?? (active() ? Date.now() : null);
    chart.update(series, {band: bandToggle.checked, from: w.from, to, yLabel: unit});
    const samples = series.reduce((n, s) => n + s.points.reduce((m, p) => m + (p[4] || 0), 0), 0);
    const nPoints = series.reduce((n, s) => n + s.points.length, 0);
    summary.dataset.samples = String(samples);
    summary.dataset.points = String(nPoints);
    summary.textContent = `${samples.toLocaleString()} samples in view · ${nPoints.toLocaleString()} points in ${series.length} series` +
      (body.downsampled ? ` · downsampled to ${formatNumber(body.bucket_s)} s buckets (min/avg/max)` : '');
    if (!nPoints) replace(chartMessage, h('p', {class: 'text-secondary mb-2'}, 'No samples of this metric in this range.'));
  }

  function showDocument(r) {
    selectedResult = r;
    docTitle.textContent = r ? `Document · ${agentName(r.agent_id)}${r.target ? ` → ${r.target}` : ''} · ${formatTime(r.timestamp)}` : 'Document';
    replace(docView, r ? renderDocument(test.plugin, r.document) : h('p', {class: 'text-secondary mb-0'}, 'No result with a document yet.'));
  }

  function renderTraceroutes(results) {
    // The newest trace per agent and target, then the path changes among the listed results.
    const seen = new Set();
    const latest = results.filter((r) => {
      const key = `${r.agent_id}|${r.target}`;
      if (!r.document || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    docTitle.textContent = 'Hops (newest trace per target) and path changes';
    replace(docView, latest.length ? latest.map((r) => h('div', {class: 'mb-3'},
      h('div', {class: 'small text-secondary mb-1'}, `${agentName(r.agent_id)} · ${formatTime(r.timestamp)}`),
      renderDocument('traceroute', r.document))) : h('p', {class: 'text-secondary'}, 'No traces yet.'),
    h('h3', {class: 'h6 mt-3'}, 'Path changes'), pathChangeList(results, agentName));
  }

  async function loadTable() {
    const w = currentWindow();
    const results = await recentResults({test: id}, kTableRows, {from: w.from, to: w.to});
    if (!ctx.alive()) return;
    tableCount.dataset.count = String(results.length);
    tableCount.textContent = `(${results.length} shown, newest first)`;
    const rows = results.map((r) => {
      const row = h('tr', {class: ['result-row', r.error && 'result-error', r === selectedResult && 'table-active'], tabindex: 0},
        h('td', {class: 'text-nowrap', title: formatTime(r.timestamp)}, formatShortTime(r.timestamp)),
        h('td', {class: 'cell-name'}, agentName(r.agent_id)),
        h('td', {class: 'cell-target'}, r.target || ''),
        h('td', {class: 'small'}, keyMetrics(r.metrics, 5).map(([k, v]) => h('span', {class: 'metric-chip'}, `${k} `, h('b', null, formatNumber(v))))),
        h('td', {class: 'text-danger small cell-error'}, r.error || ''));
      const open = () => {
        for (const tr of tableBody.querySelectorAll('tr.table-active')) tr.classList.remove('table-active');
        row.classList.add('table-active');
        showDocument(r);
      };
      row.addEventListener('click', open);
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') open();
      });
      return row;
    });
    replace(tableBody, table(['Time', 'Agent', 'Target', 'Metrics', 'Error'], rows, {empty: 'No results in this range yet.'}));
    if (test.plugin === 'traceroute' && !selectedResult) renderTraceroutes(results);
    else if (!selectedResult) showDocument(results.find((r) => r.document) || null);
  }

  const refresh = guarded(ctx, errors, async () => {
    if (!metrics.length) await loadMetrics();
    await Promise.all([loadSeries(), loadTable()]);
    if (ctx.alive()) {
      markRange();
      renderInfo();
    }
  });

  const liveRefresh = debounce(refresh, 300);
  const liveTest = debounce(reloadTest, 300);
  ctx.onCleanup(onEvent('results', (d) => {
    if (d.test === id) liveRefresh();
  }));
  ctx.onCleanup(onEvent('tests', (d) => {
    if (!d.test || d.test === id) liveTest();
  }));
  ctx.onCleanup(() => {
    liveRefresh.cancel();
    liveTest.cancel();
    if (chart) chart.destroy();
  });

  markRange();
  await loadMetrics();
  await refresh();
}
