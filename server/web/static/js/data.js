// Reads shared by several pages.
import {api, withQuery} from './api.js';

export function iso(ms) {
  return new Date(ms).toISOString();
}

export async function listAgents() {
  return (await api.get('/api/v1/agents')).agents || [];
}

export async function listTests() {
  return (await api.get('/api/v1/tests')).tests || [];
}

export async function listPlugins() {
  return (await api.get('/api/v1/plugins')).plugins || [];
}

export function agentNames(agents) {
  return new Map(agents.map((a) => [a.id, a.name || a.id]));
}

// The newest `want` results matching `params` (test, agent, ...), up to `to` (ms, default now) and
// not before `from` (ms). GET /api/v1/results answers oldest first with a limit, so this asks for
// a time window ending at `to`: narrower when the window holds a full page (the newest ones would
// be cut off), wider when it holds fewer than wanted.
const kPage = 2000;
const kFirstWindowMs = 5 * 60 * 1000;
const kMaxTries = 6;

export async function recentResults(params, want, {from = null, to = null} = {}) {
  const end = to ?? Date.now();
  let span = kFirstWindowMs;
  let rows = [];
  for (let attempt = 0; attempt < kMaxTries; attempt += 1) {
    const last = attempt === kMaxTries - 1;
    let start = end - span;
    if (from !== null && start <= from) start = from;
    const whole = (from !== null && start === from) || (last && from === null);
    const query = {...params, limit: kPage, to: to === null ? undefined : iso(end)};
    if (!(last && from === null)) query.from = iso(start);
    rows = (await api.get(withQuery('/api/v1/results', query))).results || [];
    if (rows.length >= kPage) {
      if (span <= 1000) break;
      span = Math.max(1000, span / 10);
    } else if (rows.length >= want || whole) {
      break;
    } else {
      span *= 12;
    }
  }
  return rows.slice(-want).reverse();
}

// A few metrics worth a glance in a table row: the usual headline ones first, then the others in
// the order the plugin reported them (per-hop and other labelled series left out).
const kHeadline = ['rtt_avg_ms', 'loss_percent', 'jitter_ms', 'destination_rtt_avg_ms', 'reached', 'hop_count',
  'path_changed', 'success', 'total_ms', 'status_code', 'mos', 'cpu.percent', 'mem.used_percent', 'load.1m'];

export function keyMetrics(metrics, count = 4) {
  const m = metrics || {};
  const names = Object.keys(m);
  const picked = kHeadline.filter((n) => n in m);
  for (const n of names) {
    if (picked.length >= count) break;
    if (!picked.includes(n) && !/\.\d+\./.test(n)) picked.push(n);
  }
  return picked.slice(0, count).map((n) => [n, m[n]]);
}
