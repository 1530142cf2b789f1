// #/agents (list) and #/agents/ID (details). Revoking needs the operator role.
import {api, enc} from '../api.js';
import {listAgents, listPlugins} from '../data.js';
import {card, debounce, formatAgo, formatBytes, formatTime, h, onlineBadge, pageHeader, replace, table} from '../dom.js';
import {onEvent} from '../events.js';
import {confirmButton, guarded} from '../ui.js';

function labelBadges(labels) {
  return (labels || []).map((l) => h('span', {class: 'badge bg-dark border border-secondary me-1'}, l));
}

function systemSummary(system) {
  if (!system || typeof system !== 'object') return '—';
  const parts = [system.hostname, [system.os, system.arch].filter(Boolean).join(' '),
    system.cpus ? `${system.cpus} CPU` : null, system.memory_bytes ? formatBytes(system.memory_bytes) : null];
  return parts.filter(Boolean).join(' · ') || '—';
}

function revokeButton(agent, onDone, errors) {
  return confirmButton('Revoke', 'btn-sm btn-outline-danger revoke-agent', {title: 'Revoke agent', ok: 'Revoke',
    message: h('p', null, 'Revoke ', h('b', null, agent.name || agent.id),
      '? Its credential stops working at once; tests assigned only to it fail. This cannot be undone.')}, async () => {
    await api.post(`/api/v1/agents/${enc(agent.id)}/revoke`);
    await onDone();
  }, errors);
}

async function renderList(main, ctx) {
  const errors = h('div');
  const body = h('div', {id: 'agents-table'});
  main.append(pageHeader('Agents'), errors, card(null, body));

  const load = guarded(ctx, errors, async () => {
    const agents = await listAgents();
    if (!ctx.alive()) return;
    const rows = agents.map((a) => h('tr', {dataset: {agent: a.id}},
      h('td', null, h('a', {href: `#/agents/${enc(a.id)}`, class: 'link-light fw-semibold'}, a.name || a.id),
        h('div', {class: 'small text-secondary font-monospace'}, a.id)),
      h('td', null, onlineBadge(a)),
      h('td', {class: 'text-nowrap', title: formatTime(a.last_seen)}, formatAgo(a.last_seen)),
      h('td', null, a.version || '—'),
      h('td', null, labelBadges(a.labels)),
      h('td', {class: 'small'}, (a.plugins || []).map((p) => h('div', {class: 'text-nowrap'}, `${p.name} `, h('span', {class: 'text-secondary'}, p.version)))),
      h('td', {class: 'small'}, systemSummary(a.system)),
      ctx.can('operator') ? h('td', null, a.revoked ? null : revokeButton(a, load, errors)) : null));
    const headers = ['Name', 'State', 'Last seen', 'Version', 'Labels', 'Plugins', 'System'];
    if (ctx.can('operator')) headers.push('');
    replace(body, table(headers, rows, {empty: 'No agents enrolled yet.'}));
  });
  const reload = debounce(load);
  ctx.onCleanup(onEvent('agents', reload));
  ctx.onCleanup(reload.cancel);
  await load();
}

function keyValues(entries) {
  return h('dl', {class: 'row mb-0 kv'}, entries.map(([k, v]) => [
    h('dt', {class: 'col-sm-4 text-secondary fw-normal'}, k),
    h('dd', {class: 'col-sm-8 text-break'}, v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length) ? '—' : v)]));
}

function pluginDetails(plugin, catalog) {
  const full = catalog.find((p) => p.name === plugin.name);
  const body = [h('p', {class: 'mb-2'}, full ? full.description : '')];
  if (full && full.config && full.config.length) {
    body.push(h('h3', {class: 'h6 mt-2'}, 'Options'), table(['Name', 'Type', 'Default', 'Meaning'],
      full.config.map((c) => h('tr', null, h('td', {class: 'font-monospace'}, c.name), h('td', null, c.type),
        h('td', null, c.default === null ? h('span', {class: 'badge bg-warning text-dark'}, 'required') : c.default),
        h('td', {class: 'small'}, c.doc)))));
  }
  if (full && full.metrics && full.metrics.length) {
    body.push(h('h3', {class: 'h6 mt-3'}, 'Metrics'), table(['Name', 'Unit', 'Kind', 'Meaning'],
      full.metrics.map((m) => h('tr', null, h('td', {class: 'font-monospace'}, m.name), h('td', null, m.unit), h('td', null, m.kind),
        h('td', {class: 'small'}, m.doc)))));
  }
  return h('details', {class: 'mb-3 plugin-details'},
    h('summary', {class: 'fw-semibold'}, `${plugin.name} ${plugin.version}`), ...body);
}

async function renderDetail(main, ctx, id) {
  const errors = h('div');
  const body = h('div');
  main.append(errors, body);

  const load = guarded(ctx, errors, async () => {
    const [agents, catalog] = await Promise.all([listAgents(), listPlugins().catch(() => [])]);
    if (!ctx.alive()) return;
    const a = agents.find((x) => x.id === id);
    if (!a) {
      replace(body, pageHeader('Agent'), h('div', {class: 'alert alert-warning'}, `No agent ${id}.`));
      return;
    }
    const s = a.system || {};
    replace(body,
      pageHeader([a.name || a.id, ' ', onlineBadge(a)],
        h('a', {href: '#/agents', class: 'btn btn-sm btn-outline-light'}, 'All agents'),
        ctx.can('operator') && !a.revoked ? revokeButton(a, load, errors) : null),
      h('div', {class: 'row g-3'},
        h('div', {class: 'col-lg-5'},
          card('Agent', keyValues([['ID', h('span', {class: 'font-monospace'}, a.id)], ['Version', a.version], ['Labels', labelBadges(a.labels)],
            ['Enrolled', formatTime(a.enrolled)], ['Last seen', `${formatTime(a.last_seen)} (${formatAgo(a.last_seen)})`],
            ['Last seq', a.last_seq], ['Spool dropped', a.spool_dropped]])),
          card('System', keyValues([['Hostname', s.hostname], ['OS', s.os], ['Kernel', s.kernel], ['Architecture', s.arch],
            ['CPUs', s.cpus], ['Memory', s.memory_bytes ? formatBytes(s.memory_bytes) : null], ['Boot time', s.boot_time ? formatTime(s.boot_time) : null]]))),
        h('div', {class: 'col-lg-7'},
          card('Plugins', (a.plugins || []).length ? a.plugins.map((p) => pluginDetails(p, catalog)) : h('p', {class: 'text-secondary mb-0'}, 'No plugins reported.')))));
  });
  const reload = debounce(load);
  ctx.onCleanup(onEvent('agents', (d) => {
    if (!d.agent || d.agent === id) reload();
  }));
  ctx.onCleanup(reload.cancel);
  await load();
}

export function render(main, ctx) {
  return ctx.params.length ? renderDetail(main, ctx, ctx.params[0]) : renderList(main, ctx);
}
