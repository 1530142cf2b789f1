// Shared widgets: a confirm dialog (a Bootstrap modal), a show-once secret box, form fields.
import {h, replace, showError} from './dom.js';

// Resolves true when the user confirms. Bootstrap's Modal comes from the bundle (global).
export function confirmDialog(title, message, {ok = 'Confirm', danger = true} = {}) {
  return new Promise((resolve) => {
    const root = document.getElementById('modal-root');
    let confirmed = false;
    const okButton = h('button', {type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, dataset: {action: 'confirm'}}, ok);
    const modalEl = h('div', {class: 'modal fade', tabindex: '-1', 'aria-hidden': 'true'},
      h('div', {class: 'modal-dialog modal-dialog-centered'},
        h('div', {class: 'modal-content bg-dark text-light border-secondary'},
          h('div', {class: 'modal-header border-secondary'},
            h('h2', {class: 'modal-title h5'}, title),
            h('button', {type: 'button', class: 'btn-close btn-close-white', 'data-bs-dismiss': 'modal', 'aria-label': 'Close'})),
          h('div', {class: 'modal-body'}, message),
          h('div', {class: 'modal-footer border-secondary'},
            h('button', {type: 'button', class: 'btn btn-outline-light', 'data-bs-dismiss': 'modal'}, 'Cancel'),
            okButton))));
    replace(root, modalEl);
    const modal = new window.bootstrap.Modal(modalEl);
    okButton.addEventListener('click', () => {
      confirmed = true;
      modal.hide();
    });
    modalEl.addEventListener('hidden.bs.modal', () => {
      modal.dispose();
      modalEl.remove();
      resolve(confirmed);
    });
    modal.show();
  });
}

// A secret the server shows once (a token): read-only box, copy button, and a warning.
export function secretBox(label, secret) {
  const input = h('input', {class: 'form-control font-monospace secret-value', readonly: true, value: secret, 'aria-label': label});
  const status = h('span', {class: 'small text-success ms-2'});
  const copy = h('button', {type: 'button', class: 'btn btn-outline-light', onClick: async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(secret);
      status.textContent = 'Copied.';
    } catch {
      status.textContent = 'Selected: press Ctrl+C to copy.';
    }
  }}, 'Copy');
  return h('div', {class: 'alert alert-warning secret-box'},
    h('div', {class: 'fw-semibold mb-2'}, `${label} — shown only once. Copy it now; it cannot be shown again.`),
    h('div', {class: 'input-group'}, input, copy),
    status);
}

let fieldCounter = 0;

export function fieldId(prefix = 'f') {
  fieldCounter += 1;
  return `${prefix}-${fieldCounter}`;
}

// A labelled form row: label, control, optional help text.
export function field(label, control, help, {required = false} = {}) {
  if (!control.id) control.id = fieldId();
  return h('div', {class: 'mb-3'},
    h('label', {class: 'form-label', for: control.id}, label, required ? h('span', {class: 'text-danger ms-1', title: 'required'}, '*') : null),
    control,
    help ? h('div', {class: 'form-text text-secondary'}, help) : null);
}

export function input(attrs) {
  return h('input', {class: 'form-control bg-dark text-light border-secondary', ...attrs});
}

export function select(options, attrs = {}) {
  return h('select', {class: 'form-select bg-dark text-light border-secondary', ...attrs},
    options.map(([value, label]) => h('option', {value}, label)));
}

// A button that shows it is busy while `action` runs (and cannot be double-clicked).
export function busyButton(label, cls, action, attrs = {}) {
  const button = h('button', {type: 'button', class: `btn ${cls}`, ...attrs}, label);
  button.addEventListener('click', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try {
      await action(e);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// A button that asks first (a confirm dialog), then runs `action`; a failure goes to `errors`.
export function confirmButton(label, cls, {title, message, ok}, action, errors, attrs = {}) {
  return busyButton(label, cls, async () => {
    if (!(await confirmDialog(title, message, {ok}))) return;
    try {
      await action();
    } catch (e) {
      showError(errors, e);
    }
  }, attrs);
}

// A page's (re)load: its failure is shown in `errors`, unless the page was left meanwhile.
export function guarded(ctx, errors, fn) {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (e) {
      if (ctx.alive()) showError(errors, e);
    }
  };
}
