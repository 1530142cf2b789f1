// #/login: username and password; the server's 401 / 429 text is shown as it is.
import {api} from '../api.js';
import {h, showError, clear} from '../dom.js';
import {field, input} from '../ui.js';

export function render(main, ctx) {
  const message = h('div', {id: 'login-message'});
  const username = input({type: 'text', name: 'username', id: 'login-username', autocomplete: 'username', required: true});
  const password = input({type: 'password', name: 'password', id: 'login-password', autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary w-100', id: 'login-submit'}, 'Log in');
  const form = h('form', {class: 'login-form', novalidate: true},
    field('Username', username),
    field('Password', password),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(message);
    if (!username.value || !password.value) {
      showError(message, new Error('Enter a username and a password.'));
      return;
    }
    submit.disabled = true;
    try {
      const session = await api.post('/api/v1/session', {username: username.value, password: password.value}, {quiet401: true});
      ctx.loggedIn(session, ctx.query.get('next'));
    } catch (err) {
      showError(message, err);
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.appendChild(h('div', {class: 'login-wrap'},
    h('div', {class: 'card bg-black border-secondary'},
      h('div', {class: 'card-body p-4'},
        h('h1', {class: 'h4 mb-1'}, 'StreamSwarm'),
        h('p', {class: 'text-secondary mb-4'}, 'Distributed network monitoring. Log in to continue.'),
        message,
        form))));
  username.focus();
}
