// DOM building without HTML strings: every piece of text goes in as a text node, so data from the
// server (names, targets, errors) can never become markup.

// h('div', {class: 'x', onClick: fn, dataset: {id: 1}}, child, 'text', [more, children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
      } else if (key === 'class') {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      } else if (key === 'style' || key.startsWith('on')) {
        // Inline styles and handler strings are refused by the page's CSP; fail loudly instead.
        throw new Error(`h(): attribute '${key}' is not allowed`);
      } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') {
        el[key] = value;
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// ---- formatting ----

export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString();
}

// Table cells: the time alone for today, the date as well for older ones.
export function formatShortTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  if (d.toDateString() === new Date().toDateString()) return d.toLocaleTimeString();
  return d.toLocaleString(undefined, {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

export function formatAgo(value) {
  if (!value) return 'never';
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 0) return 'just now';
  return `${formatDuration(seconds)} ago`;
}

// 90 -> "1m 30s", 7200 -> "2h"
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  let s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString();
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 0.001 || abs >= 1e9)) return value.toExponential(2);
  return value.toLocaleString(undefined, {maximumFractionDigits: digits});
}

export function formatBytes(bytes) {
  if (typeof bytes !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// "30s", "2m", "1.5h", "1d", "250ms" or a bare number of seconds -> seconds; null when unreadable.
export function parseDuration(text) {
  const t = String(text).trim();
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(t);
  if (!m) return null;
  const factor = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86400}[m[2] || 's'];
  return Number(m[1]) * factor;
}

// Seconds back to the shortest exact "30s" / "2m" / "1h" text, for pre-filling forms.
export function durationText(seconds) {
  if (seconds === null || seconds === undefined) return '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

// A time as the value of an <input type="datetime-local"> (local time, to the second).
export function localInputValue(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// ---- small components ----

const kStateClasses = {
  running: 'bg-success',
  pending: 'bg-info text-dark',
  completed: 'bg-secondary',
  stopped: 'bg-warning text-dark',
  failed: 'bg-danger',
};

export function stateBadge(state) {
  return h('span', {class: ['badge', kStateClasses[state] || 'bg-secondary'], dataset: {state}}, state);
}

export function onlineBadge(agent) {
  if (agent.revoked) return h('span', {class: 'badge bg-dark border border-danger text-danger'}, 'revoked');
  return agent.online ? h('span', {class: 'badge bg-success'}, 'online') : h('span', {class: 'badge bg-secondary'}, 'offline');
}

export function roleBadge(role) {
  const cls = {admin: 'bg-danger', operator: 'bg-primary', viewer: 'bg-secondary'}[role] || 'bg-secondary';
  return h('span', {class: ['badge', cls]}, role);
}

export function alertBox(kind, ...children) {
  return h('div', {class: `alert alert-${kind}`, role: 'alert'}, ...children);
}

// An error (usually an ApiError) as a dismissable red box; its text comes from the server's
// {"error": "..."} body.
export function errorBox(err) {
  const message = err && err.message ? err.message : String(err);
  return h('div', {class: 'alert alert-danger alert-dismissible api-error', role: 'alert'},
    h('span', {class: 'api-error-text'}, message),
    h('button', {type: 'button', class: 'btn-close btn-close-white', 'aria-label': 'Close',
      onClick: (e) => e.currentTarget.parentElement.remove()}));
}

// Shows an error at the top of `slot` (an element kept for messages on a page).
export function showError(slot, err) {
  replace(slot, errorBox(err));
}

export function card(title, ...body) {
  return h('div', {class: 'card bg-black border-secondary mb-3'},
    title ? h('div', {class: 'card-header border-secondary fw-semibold'}, title) : null,
    h('div', {class: 'card-body'}, ...body));
}

export function table(headers, rows, {empty = 'Nothing yet.', cls = ''} = {}) {
  return h('div', {class: 'table-responsive'},
    h('table', {class: `table table-dark table-sm table-hover align-middle mb-0 ${cls}`},
      h('thead', null, h('tr', null, headers.map((x) => h('th', {scope: 'col'}, x)))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', {colspan: headers.length, class: 'text-secondary'}, empty)))));
}

export function pageHeader(title, ...actions) {
  return h('div', {class: 'd-flex flex-wrap align-items-center gap-2 mb-3'},
    h('h1', {class: 'h4 mb-0 me-auto page-title'}, title),
    ...actions);
}

export function spinner() {
  return h('div', {class: 'text-secondary py-3'}, h('span', {class: 'spinner-border spinner-border-sm me-2'}), 'Loading…');
}

// Calls fn at most once per `ms`, after the last call in a burst (live events arrive in bursts).
export function debounce(fn, ms = 300) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
