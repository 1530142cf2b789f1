// #/users (admin): list, create, change role, disable/enable, reset password, delete.
import {api, enc} from '../api.js';
import {card, clear, formatTime, h, pageHeader, replace, showError, table} from '../dom.js';
import {busyButton, confirmButton, confirmDialog, field, guarded, input, select} from '../ui.js';

const kRoles = [['viewer', 'viewer'], ['operator', 'operator'], ['admin', 'admin']];
const kMinPassword = 10;

function passwordDialogBody(username) {
  const pw = input({type: 'password', autocomplete: 'new-password', minlength: kMinPassword, id: 'reset-password-input'});
  return [pw, h('div', null, h('p', null, 'New password for ', h('b', null, username), ` (at least ${kMinPassword} characters):`), pw)];
}

export async function render(main, ctx) {
  const errors = h('div', {id: 'users-errors'});
  const notice = h('div');
  const list = h('div', {id: 'users-table'});
  const username = input({type: 'text', id: 'new-username', autocomplete: 'off', required: true, maxlength: 200});
  const password = input({type: 'password', id: 'new-password', autocomplete: 'new-password', minlength: kMinPassword, required: true});
  const role = select(kRoles, {id: 'new-role'});
  const form = h('form', {class: 'row g-2 align-items-start', id: 'user-form', novalidate: true},
    h('div', {class: 'col-md-4'}, field('Username', username, null, {required: true})),
    h('div', {class: 'col-md-4'}, field('Password', password, `At least ${kMinPassword} characters.`, {required: true})),
    h('div', {class: 'col-6 col-md-2'}, field('Role', role)),
    h('div', {class: 'col-6 col-md-2 mb-3 submit-col'}, h('button', {type: 'submit', class: 'btn btn-primary w-100', id: 'create-user'}, 'Create user')));
  main.append(pageHeader('Users'), errors, notice, card('New user', form), card(null, list));

  async function patch(user, body, what) {
    clear(errors);
    try {
      await api.patch(`/api/v1/users/${enc(user.id)}`, body);
      replace(notice, h('div', {class: 'alert alert-success py-2'}, `${what}: `, h('b', null, user.username)));
      await load();
    } catch (e) {
      showError(errors, e);
      await load();
    }
  }

  function row(u) {
    const self = u.id === ctx.user.id;
    const roleSelect = select(kRoles, {class: 'form-select form-select-sm bg-dark text-light border-secondary', 'aria-label': `Role of ${u.username}`});
    roleSelect.value = u.role;
    roleSelect.addEventListener('change', () => patch(u, {role: roleSelect.value}, `Role changed to ${roleSelect.value}`));
    const toggle = busyButton(u.disabled ? 'Enable' : 'Disable', `btn-sm ${u.disabled ? 'btn-outline-success' : 'btn-outline-warning'}`,
      () => patch(u, {disabled: !u.disabled}, u.disabled ? 'Enabled' : 'Disabled'));
    const reset = busyButton('Reset password', 'btn-sm btn-outline-light', async () => {
      const [pw, body] = passwordDialogBody(u.username);
      const ok = await confirmDialog('Reset password', body, {ok: 'Set password', danger: false});
      if (!ok) return;
      if (pw.value.length < kMinPassword) {
        showError(errors, new Error(`The password must have at least ${kMinPassword} characters.`));
        return;
      }
      await patch(u, {password: pw.value}, 'Password reset');
    });
    const del = confirmButton('Delete', 'btn-sm btn-outline-danger',
      {title: 'Delete user', ok: 'Delete', message: h('p', null, 'Delete ', h('b', null, u.username), '? Their sessions end at once.')}, async () => {
        clear(errors);
        await api.del(`/api/v1/users/${enc(u.id)}`);
        await load();
      }, errors);
    return h('tr', {dataset: {user: u.id}},
      h('td', {class: 'text-break user-name'}, u.username, self ? h('span', {class: 'badge bg-info text-dark ms-2'}, 'you') : null),
      h('td', null, roleSelect),
      h('td', null, u.disabled ? h('span', {class: 'badge bg-secondary'}, 'disabled') : h('span', {class: 'badge bg-success'}, 'active')),
      h('td', {class: 'text-nowrap'}, formatTime(u.created_at)),
      h('td', null, h('div', {class: 'd-flex flex-wrap gap-1'}, toggle, reset, del)));
  }

  const load = guarded(ctx, errors, async () => {
    const users = (await api.get('/api/v1/users')).users || [];
    if (!ctx.alive()) return;
    replace(list, table(['Username', 'Role', 'State', 'Created', ''], users.map(row), {empty: 'No users.'}));
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    clear(notice);
    if (!username.value.trim()) {
      showError(errors, new Error('Give a username.'));
      return;
    }
    if (password.value.length < kMinPassword) {
      showError(errors, new Error(`The password must have at least ${kMinPassword} characters.`));
      return;
    }
    try {
      const created = await api.post('/api/v1/users', {username: username.value.trim(), password: password.value, role: role.value});
      replace(notice, h('div', {class: 'alert alert-success py-2'}, 'Created ', h('b', null, created.username || username.value.trim()), ` (${created.role || role.value}).`));
      form.reset();
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
  await load();
}
