// #/tokens (admin): enrollment tokens (for agents) and API tokens (for scripts). A new token's
// secret is shown once, in a copyable box.
import {api, enc} from '../api.js';
import {card, clear, formatTime, h, pageHeader, parseDuration, replace, roleBadge, showError, table} from '../dom.js';
import {confirmButton, field, guarded, input, secretBox, select} from '../ui.js';

function tokenState(t) {
  if (t.revoked) return h('span', {class: 'badge bg-danger'}, 'revoked');
  if (t.expires && new Date(t.expires).getTime() < Date.now()) return h('span', {class: 'badge bg-secondary'}, 'expired');
  if (t.uses_left === 0) return h('span', {class: 'badge bg-secondary'}, 'used up');
  return h('span', {class: 'badge bg-success'}, 'active');
}

// The "expires after" text field: empty -> the server's default; "30d", "12h", seconds.
function ttlSeconds(text) {
  if (!text.trim()) return undefined;
  const s = parseDuration(text);
  if (s === null || s <= 0) throw new Error(`Expiry "${text}" is not a duration like 12h, 30d or 3600.`);
  return s;
}

// One kind of token: its list (with revoke buttons), a create form, the new secret once.
// spec: {kind, title, intro, path, id, fields: [[colClass, fieldRow]], columns: [[header, t => cell]],
// body() -> the POST body (throws on a bad field), submit, hint}
function tokenSection(ctx, spec) {
  const errors = h('div');
  const secret = h('div');
  const list = h('div', {id: spec.id});
  const form = h('form', {class: 'row g-2 align-items-start', novalidate: true},
    spec.fields.map(([cls, row]) => h('div', {class: cls}, row)),
    h('div', {class: 'col-md-3 mb-3 submit-col'}, h('button', {type: 'submit', class: 'btn btn-primary w-100'}, spec.submit)));

  function revokeButton(t) {
    return confirmButton('Revoke', 'btn-sm btn-outline-danger', {title: `Revoke ${spec.kind}`, ok: 'Revoke',
      message: h('p', null, `Revoke ${spec.kind} `, h('b', null, t.name || t.id), '? Whoever holds it can no longer use it.')}, async () => {
      await api.del(`${spec.path}/${enc(t.id)}`);
      await load();
    }, errors);
  }

  const load = guarded(ctx, errors, async () => {
    const r = await api.get(spec.path);
    const tokens = r.tokens || r.api_tokens || [];
    if (!ctx.alive()) return;
    replace(list, table([...spec.columns.map(([header]) => header), 'State', ''],
      tokens.map((t) => h('tr', null, spec.columns.map(([, cell]) => h('td', null, cell(t))),
        h('td', null, tokenState(t)), h('td', null, t.revoked ? null : revokeButton(t)))),
      {empty: `No ${spec.kind}s.`}));
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    clear(secret);
    try {
      const created = await api.post(spec.path, spec.body());
      replace(secret, secretBox(spec.title.replace(/s$/, ''), created.token), h('p', {class: 'small text-secondary'}, spec.hint));
      form.reset();
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
  return [card(spec.title, h('p', {class: 'text-secondary small'}, spec.intro), errors, form, secret, list), load];
}

const nameColumn = ['Name', (t) => t.name || '—'];
const idColumn = ['ID', (t) => h('span', {class: 'font-monospace small'}, t.id)];
const createdColumn = ['Created', (t) => formatTime(t.created)];
const expiresColumn = ['Expires', (t) => (t.expires ? formatTime(t.expires) : 'never')];

function enrollmentSection(ctx) {
  const name = input({type: 'text', placeholder: 'e.g. branch offices', maxlength: 200});
  const ttl = input({type: 'text', placeholder: '24h (default)'});
  const uses = input({type: 'number', min: 1, step: 1, placeholder: 'unlimited'});
  return tokenSection(ctx, {
    kind: 'enrollment token',
    title: 'Enrollment tokens',
    intro: 'An agent trades an enrollment token for its own credential the first time it connects.',
    path: '/api/v1/enrollment-tokens',
    id: 'enrollment-tokens',
    fields: [['col-md-4', field('Name', name)], ['col-6 col-md-3', field('Expires after', ttl, 'e.g. 1h, 7d')],
      ['col-6 col-md-2', field('Uses', uses)]],
    columns: [nameColumn, idColumn, createdColumn, expiresColumn,
      ['Uses left', (t) => (t.uses_left === null || t.uses_left === undefined ? 'unlimited' : t.uses_left)]],
    body: () => {
      const body = {};
      if (name.value.trim()) body.name = name.value.trim();
      const t = ttlSeconds(ttl.value);
      if (t !== undefined) body.ttl_s = t;
      if (uses.value) body.uses = Number(uses.value);
      return body;
    },
    submit: 'Create enrollment token',
    hint: 'Put it in the agent config: [server] enrollment_token = …',
  });
}

function apiTokenSection(ctx) {
  const name = input({type: 'text', placeholder: 'e.g. grafana export', required: true, maxlength: 200});
  const role = select([['viewer', 'viewer'], ['operator', 'operator'], ['admin', 'admin']]);
  const ttl = input({type: 'text', placeholder: 'never'});
  return tokenSection(ctx, {
    kind: 'API token',
    title: 'API tokens',
    intro: 'For scripts and other programs calling the JSON API.',
    path: '/api/v1/api-tokens',
    id: 'api-tokens',
    fields: [['col-md-4', field('Name', name, null, {required: true})], ['col-6 col-md-2', field('Role', role)],
      ['col-6 col-md-3', field('Expires after', ttl, 'e.g. 90d; empty: never')]],
    columns: [nameColumn, idColumn, ['Role', (t) => (t.role ? roleBadge(t.role) : '—')], createdColumn, expiresColumn],
    body: () => {
      if (!name.value.trim()) throw new Error('Give the API token a name.');
      const body = {name: name.value.trim(), role: role.value};
      const t = ttlSeconds(ttl.value);
      if (t !== undefined) body.ttl_s = t;
      return body;
    },
    submit: 'Create API token',
    hint: 'Send it as: Authorization: Bearer …',
  });
}

export async function render(main, ctx) {
  const [enrollment, loadEnrollment] = enrollmentSection(ctx);
  const [apiTokens, loadApi] = apiTokenSection(ctx);
  main.append(pageHeader('Tokens'), enrollment, apiTokens);
  await Promise.all([loadEnrollment(), loadApi()]);
}
