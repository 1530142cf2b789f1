// A result's document (the plugin's structured output) as tables: traceroute hops and path
// changes, a Wi-Fi scan, SIP call quality; anything else as an escaped key/value tree.
import {formatNumber, formatTime, h, table} from './dom.js';

const kMaxDepth = 6;
const kMaxColumns = 12;

function cell(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function isRecordArray(v) {
  return Array.isArray(v) && v.length > 0 && v.every((x) => x && typeof x === 'object' && !Array.isArray(x));
}

// An array of objects as a table: one column per key seen (first kMaxColumns).
export function recordTable(rows) {
  const keys = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const cols = keys.slice(0, kMaxColumns);
  return table(cols, rows.map((r) => h('tr', null, cols.map((k) => h('td', {class: 'small text-break'}, cell(r[k]))))));
}

// Any JSON value as nested lists; every string goes in as text.
export function valueTree(value, depth = 0) {
  if (value === null || typeof value !== 'object') return h('span', {class: 'font-monospace'}, cell(value));
  if (depth >= kMaxDepth) return h('span', {class: 'font-monospace small'}, JSON.stringify(value));
  if (isRecordArray(value)) return recordTable(value);
  if (Array.isArray(value)) return h('span', {class: 'font-monospace'}, value.map(cell).join(', ') || '[]');
  return h('dl', {class: 'row mb-0 kv-tree'}, Object.entries(value).map(([k, v]) => [
    h('dt', {class: 'col-sm-3 text-secondary fw-normal text-break'}, k),
    h('dd', {class: 'col-sm-9 mb-1 text-break'}, valueTree(v, depth + 1))]));
}

function rtt(v) {
  return v === null || v === undefined ? '—' : formatNumber(v, 3);
}

export function tracerouteHops(doc) {
  const hops = Array.isArray(doc.hops) ? doc.hops : [];
  const rows = hops.map((hop) => {
    const addresses = (hop.addresses || []).map((a) => h('div', {class: 'font-monospace'}, a.address,
      (hop.addresses || []).length > 1 ? h('span', {class: 'text-secondary'}, ` ×${a.replies}`) : null));
    const s = hop.rtt_ms || {};
    const loss = hop.loss_percent;
    return h('tr', {class: hop.destination ? 'hop-destination' : ''},
      h('td', null, hop.ttl),
      h('td', null, addresses.length ? addresses : h('span', {class: 'text-secondary'}, '*'),
        hop.unreachable ? h('span', {class: 'badge bg-danger ms-1'}, `unreachable: ${hop.unreachable}`) : null,
        hop.destination ? h('span', {class: 'badge bg-success ms-1'}, 'destination') : null),
      h('td', {class: loss > 0 ? (loss >= 100 ? 'text-danger' : 'text-warning') : ''}, `${formatNumber(loss, 1)} %`),
      h('td', null, `${hop.received ?? '—'}/${hop.sent ?? '—'}`),
      h('td', null, rtt(s.last)), h('td', null, rtt(s.avg)), h('td', null, rtt(s.best)), h('td', null, rtt(s.worst)), h('td', null, rtt(s.stddev)));
  });
  const path = doc.path || {};
  return h('div', {class: 'traceroute-doc'},
    h('div', {class: 'mb-2 small'},
      h('span', {class: 'fw-semibold'}, doc.target || ''), doc.address && doc.address !== doc.target ? ` (${doc.address})` : '', ' · ',
      doc.reached ? h('span', {class: 'text-success'}, 'reached') : h('span', {class: 'text-warning'}, 'not reached'),
      doc.stopped_by ? ` · stopped by ${doc.stopped_by}` : '',
      doc.mode ? ` · ${doc.mode}` : '',
      path.fingerprint ? [' · path ', h('span', {class: 'font-monospace'}, path.fingerprint)] : null,
      path.changed ? h('span', {class: 'badge bg-warning text-dark ms-2'}, 'path changed') : null),
    doc.error ? h('div', {class: 'text-danger small mb-2'}, doc.error) : null,
    table(['TTL', 'Address', 'Loss', 'Recv/Sent', 'Last ms', 'Avg ms', 'Best ms', 'Worst ms', 'StDev ms'], rows,
      {empty: 'No hops.', cls: 'hop-table'}),
    path.changes && path.changes.length ? pathChangeTable(path.changes) : null);
}

export function pathChangeTable(changes) {
  return table(['TTL', 'Change', 'Before', 'After'], changes.map((c) => h('tr', null,
    h('td', null, c.ttl),
    h('td', null, h('span', {class: `badge ${c.kind === 'added' ? 'bg-success' : c.kind === 'removed' ? 'bg-danger' : 'bg-warning text-dark'}`}, c.kind)),
    h('td', {class: 'font-monospace small'}, (c.before || []).join(', ') || '*'),
    h('td', {class: 'font-monospace small'}, (c.after || []).join(', ') || '*'))), {cls: 'path-change-table'});
}

// The path changes among many traceroute results (newest first): when, which target, what.
export function pathChangeList(results, agentName) {
  const changed = results.filter((r) => r.document && r.document.path && r.document.path.changed);
  if (!changed.length) return h('p', {class: 'text-secondary mb-0'}, 'No path changes in these results.');
  return h('div', {class: 'path-changes'}, changed.map((r) => h('div', {class: 'mb-3'},
    h('div', {class: 'small mb-1'}, h('span', {class: 'fw-semibold'}, formatTime(r.timestamp)), ' · ', agentName(r.agent_id), ' → ', r.target || '',
      ' · ', h('span', {class: 'font-monospace'}, `${r.document.path.previous_fingerprint || '—'} → ${r.document.path.fingerprint}`)),
    pathChangeTable(r.document.path.changes || []))));
}

function wifiScan(doc) {
  const list = Object.values(doc).find(isRecordArray);
  const rest = Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== list));
  return h('div', {class: 'wifi-doc'}, list ? recordTable(list) : null, Object.keys(rest).length ? valueTree(rest) : null);
}

const kCallQualityKey = /mos|r_factor|jitter|loss|latency|rtt|delay|codec|duration|status/i;

function flatten(value, prefix = '', out = []) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

function sipCall(doc) {
  const quality = flatten(doc).filter(([k, v]) => kCallQualityKey.test(k) && (v === null || typeof v !== 'object'));
  return h('div', {class: 'sip-doc'},
    quality.length ? h('div', {class: 'mb-2'}, h('h3', {class: 'h6'}, 'Call quality'),
      table(['Measure', 'Value'], quality.map(([k, v]) => h('tr', null, h('td', {class: 'font-monospace'}, k), h('td', null, cell(v)))))) : null,
    valueTree(doc));
}

export function renderDocument(plugin, doc) {
  if (!doc || typeof doc !== 'object') return h('p', {class: 'text-secondary mb-0'}, 'This result has no document.');
  const name = String(plugin || '').toLowerCase();
  if (name === 'traceroute' && Array.isArray(doc.hops)) return tracerouteHops(doc);
  if (name.includes('wifi') || name.includes('wlan')) return wifiScan(doc);
  if (name.includes('sip')) return sipCall(doc);
  return valueTree(doc);
}
