// #/settings (admin): the server's settings, read-only.
import {api} from '../api.js';
import {card, formatDuration, h, pageHeader} from '../dom.js';

const kLabels = {
  version: ['Server version'],
  database: ['Database'],
  tls: ['TLS'],
  offline_after_s: ['Agent offline after', formatDuration],
  session_idle_s: ['Session idle timeout', formatDuration],
  session_max_s: ['Session lifetime', formatDuration],
  login_max_failures: ['Login failures before throttling'],
};

function show(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export async function render(main) {
  const settings = await api.get('/api/v1/settings');
  main.append(pageHeader('Settings'), card(null,
    h('p', {class: 'text-secondary small'}, 'Set on the server\'s command line and config; shown here read-only.'),
    h('dl', {class: 'row mb-0 kv', id: 'settings-list'}, Object.entries(settings).map(([k, v]) => {
      const [label, fmt] = kLabels[k] || [k];
      return [h('dt', {class: 'col-sm-4 text-secondary fw-normal'}, label),
        h('dd', {class: 'col-sm-8 text-break'}, fmt && typeof v === 'number' ? `${fmt(v)} (${v})` : show(v))];
    }))));
}
