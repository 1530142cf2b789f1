// #/tokens (admin): enrollment tokens (for agents) and API tokens (for scripts). A new token's
// secret is shown once, in a copyable box.
import {api, enc} from '../api.js';
import {card, clear, formatTime, h, pageHeader, parseDuration, replace, roleBadge, showError, table} from '../dom.js';
import {busyButton, confirmDialog, field, input, secretBox, select} from '../ui.js';

function tokenState(t) {
  if (t.revoked) return h('span', {class: 'badge bg-danger'}, 'revoked');
  if (t.expires && new Date(t.expires).getTime() < Date.now()) return h('span', {class: 'badge bg-secondary'}, 'expired');
  if (t.uses_left === 0) return h('span', {class: 'badge bg-secondary'}, 'used up');
  return h('span', {class: 'badge bg-success'}, 'active');
}

function revokeButton(kind, t, path, reload, errors) {
  return busyButton('Revoke', 'btn-sm btn-outline-danger', async () => {
    const ok = await confirmDialog(`Revoke ${kind}`, h('p', null, `Revoke ${kind} `, h('b', null, t.name || t.id), '? Whoever holds it can no longer use it.'), {ok: 'Revoke'});
    if (!ok) return;
    try {
      await api.del(`${path}/${enc(t.id)}`);
      await reload();
    } catch (e) {
      showError(errors, e);
    }
  });
}

// The "ttl" text field: empty -> the server's default; "30d", "12h", seconds.
function ttlSeconds(text) {
  if (!text.trim()) return undefined;
  const s = parseDuration(text);
  if (s === null || s <= 0) throw new Error(`Expiry "${text}" is not a duration like 12h, 30d or 3600.`);
  return s;
}

function enrollmentSection(ctx) {
  const errors = h('div');
  const secret = h('div');
  const list = h('div', {id: 'enrollment-tokens'});
  const name = input({type: 'text', placeholder: 'e.g. branch offices', maxlength: 200});
  const ttl = input({type: 'text', placeholder: '24h (default)'});
  const uses = input({type: 'number', min: 1, step: 1, placeholder: 'unlimited'});
  const form = h('form', {class: 'row g-2 align-items-end'},
    h('div', {class: 'col-md-4'}, field('Name', name)),
    h('div', {class: 'col-6 col-md-3'}, field('Expires after', ttl, 'e.g. 1h, 7d')),
    h('div', {class: 'col-6 col-md-2'}, field('Uses', uses)),
    h('div', {class: 'col-md-3 mb-3'}, h('button', {type: 'submit', class: 'btn btn-primary w-100'}, 'Create enrollment token')));

  async function load() {
    try {
      const tokens = (await api.get('/api/v1/enrollment-tokens')).tokens || [];
      if (!ctx.alive()) return;
      replace(list, table(['Name', 'ID', 'Created', 'Expires', 'Uses left', 'State', ''],
        tokens.map((t) => h('tr', null, h('td', null, t.name || '—'), h('td', {class: 'font-monospace small'}, t.id),
          h('td', null, formatTime(t.created)), h('td', null, t.expires ? formatTime(t.expires) : 'never'),
          h('td', null, t.uses_left === null || t.uses_left === undefined ? 'unlimited' : t.uses_left), h('td', null, tokenState(t)),
          h('td', null, t.revoked ? null : revokeButton('enrollment token', t, '/api/v1/enrollment-tokens', load, errors)))),
        {empty: 'No enrollment tokens.'}));
    } catch (e) {
      if (ctx.alive()) showError(errors, e);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    clear(secret);
    try {
      const body = {};
      if (name.value.trim()) body.name = name.value.trim();
      const t = ttlSeconds(ttl.value);
      if (t !== undefined) body.ttl_s = t;
      if (uses.value) body.uses = Number(uses.value);
      const created = await api.post('/api/v1/enrollment-tokens', body);
      replace(secret, secretBox('Enrollment token', created.token),
        h('p', {class: 'small text-secondary'}, 'Put it in the agent config: [server] enrollment_token = …'));
      form.reset();
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
  return [card('Enrollment tokens', h('p', {class: 'text-secondary small'}, 'An agent trades an enrollment token for its own credential the first time it connects.'),
    errors, form, secret, list), load];
}

function apiTokenSection(ctx) {
  const errors = h('div');
  const secret = h('div');
  const list = h('div', {id: 'api-tokens'});
  const name = input({type: 'text', placeholder: 'e.g. grafana export', required: true, maxlength: 200});
  const role = select([['viewer', 'viewer'], ['operator', 'operator'], ['admin', 'admin']]);
  const ttl = input({type: 'text', placeholder: 'never'});
  const form = h('form', {class: 'row g-2 align-items-end'},
    h('div', {class: 'col-md-4'}, field('Name', name, null, {required: true})),
    h('div', {class: 'col-6 col-md-2'}, field('Role', role)),
    h('div', {class: 'col-6 col-md-3'}, field('Expires after', ttl, 'e.g. 90d; empty: never')),
    h('div', {class: 'col-md-3 mb-3'}, h('button', {type: 'submit', class: 'btn btn-primary w-100'}, 'Create API token')));

  async function load() {
    try {
      const r = await api.get('/api/v1/api-tokens');
      const tokens = r.tokens || r.api_tokens || [];
      if (!ctx.alive()) return;
      replace(list, table(['Name', 'ID', 'Role', 'Created', 'Expires', 'State', ''],
        tokens.map((t) => h('tr', null, h('td', null, t.name || '—'), h('td', {class: 'font-monospace small'}, t.id),
          h('td', null, t.role ? roleBadge(t.role) : '—'), h('td', null, formatTime(t.created)),
          h('td', null, t.expires ? formatTime(t.expires) : 'never'), h('td', null, tokenState(t)),
          h('td', null, t.revoked ? null : revokeButton('API token', t, '/api/v1/api-tokens', load, errors)))),
        {empty: 'No API tokens.'}));
    } catch (e) {
      if (ctx.alive()) showError(errors, e);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    clear(secret);
    try {
      if (!name.value.trim()) throw new Error('Give the API token a name.');
      const body = {name: name.value.trim(), role: role.value};
      const t = ttlSeconds(ttl.value);
      if (t !== undefined) body.ttl_s = t;
      const created = await api.post('/api/v1/api-tokens', body);
      replace(secret, secretBox('API token', created.token),
        h('p', {class: 'small text-secondary'}, 'Send it as: Authorization: Bearer …'));
      form.reset();
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
  return [card('API tokens', h('p', {class: 'text-secondary small'}, 'For scripts and other programs calling the JSON API.'),
    errors, form, secret, list), load];
}

export async function render(main, ctx) {
  const [enrollment, loadEnrollment] = enrollmentSection(ctx);
  const [apiTokens, loadApi] = apiTokenSection(ctx);
  main.append(pageHeader('Tokens'), enrollment, apiTokens);
  await Promise.all([loadEnrollment(), loadApi()]);
}
