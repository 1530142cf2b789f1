// Chart.js (the UMD build, global `Chart`) line charts of time series, with a min/max band and
// drag-to-zoom. Chart.js 3's time scale needs a date adapter Debian does not package, so x is a
// linear scale of Unix milliseconds with ticks formatted as local time.
import {formatNumber, h} from './dom.js';

const kPalette = ['#4dabf7', '#69db7c', '#ffa94d', '#f783ac', '#b197fc', '#3bc9db', '#ffd43b', '#ff8787', '#a9e34b', '#e599f7'];
const kMinDragPx = 6;
const kDayMs = 24 * 3600 * 1000;
// Tick spacings that read well as clock times; the smallest giving at most one tick per kTickPx.
const kTickStepsMs = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3,
  21600e3, 43200e3, kDayMs, 2 * kDayMs, 7 * kDayMs, 14 * kDayMs, 30 * kDayMs];
const kTickPx = 110;

function tickStep(spanMs, widthPx) {
  const maxTicks = Math.max(2, Math.floor(widthPx / kTickPx));
  return kTickStepsMs.find((s) => spanMs / s <= maxTicks) ?? Math.ceil(spanMs / maxTicks);
}

function rgba(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function formatTick(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 2 * kDayMs) return d.toLocaleDateString(undefined, {month: 'short', day: 'numeric', hour: '2-digit'});
  if (spanMs > 5 * 60 * 1000) return d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit'});
  return d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

function applyDarkDefaults() {
  const C = window.Chart;
  C.defaults.color = '#adb5bd';
  C.defaults.borderColor = 'rgba(255, 255, 255, 0.1)';
  C.defaults.font.family = getComputedStyle(document.body).fontFamily;
}

// A line chart in `wrap` (a positioned element). update() takes series
// [{label, points: [[t_ms, min, avg, max, count], ...]}]; onZoom(fromMs, toMs) is called after a
// horizontal drag over the plot.
export function seriesChart(wrap, {onZoom, unit = ''} = {}) {
  if (!window.Chart) throw new Error('Chart.js did not load (/vendor/chart.js/chart.min.js).');
  applyDarkDefaults();
  const canvas = h('canvas', {class: 'series-canvas', role: 'img', 'aria-label': 'chart'});
  const overlay = h('div', {class: 'zoom-overlay d-none'});
  wrap.append(canvas, overlay);
  let yUnit = unit;
  let span = 1;

  const chart = new window.Chart(canvas, {
    type: 'line',
    data: {datasets: []},
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: {mode: 'nearest', axis: 'x', intersect: false},
      elements: {line: {borderWidth: 1.5, tension: 0}, point: {radius: 0, hitRadius: 6, hoverRadius: 3}},
      scales: {
        x: {type: 'linear', ticks: {maxRotation: 0, autoSkip: true, includeBounds: false, callback: (v) => formatTick(v, span)}},
        y: {ticks: {callback: (v) => formatNumber(v)}, title: {display: false, text: ''}},
      },
      plugins: {
        legend: {labels: {filter: (item, data) => !data.datasets[item.datasetIndex].band, boxWidth: 12}},
        tooltip: {
          filter: (item) => !item.dataset.band,
          callbacks: {
            title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString() : ''),
            label: (item) => {
              const raw = item.raw;
              const base = `${item.dataset.label}: ${formatNumber(raw.y)}${yUnit ? ` ${yUnit}` : ''}`;
              return raw.count > 1 ? `${base} (min ${formatNumber(raw.min)}, max ${formatNumber(raw.max)}, n=${raw.count})` : base;
            },
          },
        },
      },
    },
  });

  function update(series, {band = false, from = null, to = null, yLabel = ''} = {}) {
    yUnit = yLabel;
    const datasets = [];
    let first = Infinity;
    let last = -Infinity;
    series.forEach((s, i) => {
      const color = kPalette[i % kPalette.length];
      const pts = s.points || [];
      if (pts.length) {
        first = Math.min(first, pts[0][0]);
        last = Math.max(last, pts[pts.length - 1][0]);
      }
      if (band) {
        datasets.push({label: `${s.label} min`, band: true, data: pts.map((p) => ({x: p[0], y: p[1]})),
          borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: rgba(color, 0.15)});
        datasets.push({label: `${s.label} max`, band: true, data: pts.map((p) => ({x: p[0], y: p[3]})),
          borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: rgba(color, 0.15)});
      }
      datasets.push({label: s.label, data: pts.map((p) => ({x: p[0], y: p[2], min: p[1], max: p[3], count: p[4]})),
        borderColor: color, backgroundColor: color, pointRadius: pts.length < 60 ? 2 : 0});
    });
    const xMin = from ?? (Number.isFinite(first) ? first : undefined);
    const xMax = to ?? (Number.isFinite(last) ? last : undefined);
    span = xMin !== undefined && xMax !== undefined ? Math.max(1, xMax - xMin) : 1;
    chart.options.scales.x.min = xMin;
    chart.options.scales.x.max = xMax;
    chart.options.scales.x.ticks.stepSize = tickStep(span, canvas.clientWidth || 800);
    chart.options.scales.y.title.display = Boolean(yLabel);
    chart.options.scales.y.title.text = yLabel;
    chart.data.datasets = datasets;
    chart.update('none');
  }

  // Drag selection: pointer events cover mouse and touch; the overlay shows the chosen span.
  let dragStart = null;
  const inPlot = (x) => x >= chart.chartArea.left && x <= chart.chartArea.right;
  const localX = (e) => e.clientX - canvas.getBoundingClientRect().left;
  function showOverlay(a, b) {
    const area = chart.chartArea;
    const left = Math.max(area.left, Math.min(a, b));
    const right = Math.min(area.right, Math.max(a, b));
    overlay.style.left = `${left}px`;
    overlay.style.width = `${right - left}px`;
    overlay.style.top = `${area.top}px`;
    overlay.style.height = `${area.bottom - area.top}px`;
    overlay.classList.remove('d-none');
  }
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || !chart.chartArea) return;
    const x = localX(e);
    if (!inPlot(x)) return;
    dragStart = x;
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (dragStart === null) return;
    showOverlay(dragStart, localX(e));
  });
  const finish = (e, apply) => {
    if (dragStart === null) return;
    const a = dragStart;
    const b = localX(e);
    dragStart = null;
    overlay.classList.add('d-none');
    if (!apply || Math.abs(b - a) < kMinDragPx) return;
    const scale = chart.scales.x;
    const area = chart.chartArea;
    const clamp = (x) => Math.max(area.left, Math.min(area.right, x));
    const from = scale.getValueForPixel(clamp(Math.min(a, b)));
    const to = scale.getValueForPixel(clamp(Math.max(a, b)));
    if (onZoom && to > from) onZoom(Math.floor(from), Math.ceil(to));
  };
  canvas.addEventListener('pointerup', (e) => finish(e, true));
  canvas.addEventListener('pointercancel', (e) => finish(e, false));

  return {
    update,
    pointCount: () => chart.data.datasets.filter((d) => !d.band).reduce((n, d) => n + d.data.length, 0),
    destroy: () => chart.destroy(),
    chart,
  };
}
