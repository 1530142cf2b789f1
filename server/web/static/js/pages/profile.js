// #/profile: who you are, and changing your own password.
import {api} from '../api.js';
import {card, clear, h, pageHeader, replace, roleBadge, showError} from '../dom.js';
import {field, input} from '../ui.js';

const kMinPassword = 10;

export function render(main, ctx) {
  const message = h('div', {id: 'profile-message'});
  const current = input({type: 'password', id: 'current-password', autocomplete: 'current-password', required: true});
  const next = input({type: 'password', id: 'new-password', autocomplete: 'new-password', minlength: kMinPassword, required: true});
  const again = input({type: 'password', id: 'new-password-again', autocomplete: 'new-password', required: true});
  const form = h('form', {class: 'profile-form', novalidate: true},
    field('Current password', current, null, {required: true}),
    field('New password', next, `At least ${kMinPassword} characters.`, {required: true}),
    field('New password again', again, null, {required: true}),
    h('button', {type: 'submit', class: 'btn btn-primary'}, 'Change password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(message);
    if (next.value.length < kMinPassword) {
      showError(message, new Error(`The new password must have at least ${kMinPassword} characters.`));
      return;
    }
    if (next.value !== again.value) {
      showError(message, new Error('The two new passwords differ.'));
      return;
    }
    try {
      await api.post('/api/v1/session/password', {current_password: current.value, new_password: next.value}, {quiet401: true});
      form.reset();
      replace(message, h('div', {class: 'alert alert-success'}, 'Password changed.'));
    } catch (err) {
      showError(message, err);
    }
  });
  main.append(pageHeader('Profile'),
    card('You', h('p', {class: 'mb-0'}, h('span', {class: 'fw-semibold me-2'}, ctx.user.username), roleBadge(ctx.user.role))),
    h('div', {class: 'narrow'}, card('Change password', message, form)));
}
