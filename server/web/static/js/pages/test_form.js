// #/tests/new (and #/tests/new?from=ID to clone): the plugin comes from what the agents report,
// its options form is generated from the plugin's config schema. Checks here only catch the
// obvious; the server validates everything and its 400 message is shown as it is.
import {api, enc} from '../api.js';
import {listAgents, listPlugins} from '../data.js';
import {card, clear, durationText, h, localInputValue, pageHeader, parseDuration, replace, showError} from '../dom.js';
import {field, fieldId, input, select} from '../ui.js';

const kTargetsKey = 'targets';
const kDefaultInterval = '10s';

function splitChoices(text) {
  return String(text || '').split(/[|,]/).map((s) => s.trim()).filter(Boolean);
}

function splitList(text) {
  return String(text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

// A stored option value ("2000000000ns") back into what a person would type ("2s").
function optionDurationText(value) {
  const m = /^(\d+)ns$/.exec(String(value));
  if (!m) return String(value);
  const ns = Number(m[1]);
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]]) {
    if (ns >= size && ns % size === 0) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}

function rangeHint(key) {
  if (key.min === undefined || key.max === undefined) return null;
  const unit = key.type === 'duration' ? ' s' : '';
  return `${key.min}${unit} – ${key.max}${unit}`;
}

function sentence(text) {
  const t = String(text || '').trim();
  return !t || /[.!?]$/.test(t) ? t : `${t}.`;
}

// One generated control per config key; returns {row, read(), set(value)}. read() gives the text
// to send, or undefined to leave the option at its default, and throws naming the option when the
// value cannot be right.
function optionControl(key) {
  const required = key.default === null || key.default === undefined;
  const help = [sentence(key.doc), rangeHint(key) ? `Range ${rangeHint(key)}.` : null,
    key.type === 'duration' ? 'A duration like 500ms, 30s, 2m.' : null,
    key.type === 'list' ? 'Comma-separated.' : null].filter(Boolean).join(' ');
  const label = h('span', {class: 'font-monospace'}, key.name);
  const id = fieldId('opt');
  let control;
  let read;
  let set;
  if (key.type === 'boolean') {
    const def = key.default === 'true';
    control = h('input', {class: 'form-check-input', type: 'checkbox', id, checked: def, dataset: {option: key.name}});
    read = () => (required || control.checked !== def ? String(control.checked) : undefined);
    set = (v) => {
      control.checked = ['true', 'yes', 'on', '1'].includes(String(v).toLowerCase());
    };
    const row = h('div', {class: 'mb-3'},
      h('div', {class: 'form-check form-switch'}, control,
        h('label', {class: 'form-check-label', for: id}, label, ` (default ${key.default ?? 'none'})`)),
      help ? h('div', {class: 'form-text text-secondary'}, help) : null);
    return {name: key.name, row, read, set};
  }
  if (key.type === 'choice') {
    const choices = splitChoices(key.choices);
    const opts = [['', required ? '— choose —' : `default (${key.default})`], ...choices.map((c) => [c, c])];
    control = select(opts, {id, dataset: {option: key.name}});
    read = () => {
      if (!control.value && required) throw new Error(`Option ${key.name} is required.`);
      return control.value || undefined;
    };
    set = (v) => {
      control.value = choices.includes(String(v)) ? String(v) : '';
    };
  } else {
    const attrs = {id, dataset: {option: key.name}, placeholder: required ? 'required' : key.default, autocomplete: 'off'};
    if (key.type === 'integer' || key.type === 'number') {
      Object.assign(attrs, {type: 'number', step: key.type === 'integer' ? 1 : 'any', min: key.min, max: key.max});
    } else {
      attrs.type = 'text';
    }
    control = input(attrs);
    read = () => {
      const v = control.value.trim();
      if (!v) {
        if (required) throw new Error(`Option ${key.name} is required.`);
        return undefined;
      }
      if (key.type === 'integer' || key.type === 'number') {
        const n = Number(v);
        if (!Number.isFinite(n) || (key.type === 'integer' && !Number.isInteger(n))) {
          throw new Error(`Option ${key.name} must be ${key.type === 'integer' ? 'a whole number' : 'a number'}.`);
        }
        if ((key.min !== undefined && n < key.min) || (key.max !== undefined && n > key.max)) {
          throw new Error(`Option ${key.name} must be in ${rangeHint(key)}.`);
        }
      }
      if (key.type === 'duration' && !/^\d+(\.\d+)?\s*(ns|us|ms|s|m|h)?$/.test(v)) {
        throw new Error(`Option ${key.name} must be a duration like 500ms, 30s or 2m.`);
      }
      return v;
    };
    set = (v) => {
      control.value = key.type === 'duration' ? optionDurationText(v) : String(v);
    };
  }
  return {name: key.name, row: field(label, control, help, {required}), read, set};
}

function agentChoices(agents, plugin, checked) {
  const usable = agents.filter((a) => !a.revoked);
  if (!usable.length) return {row: h('p', {class: 'text-secondary'}, 'No agents enrolled.'), read: () => []};
  const boxes = usable.map((a) => {
    const has = (a.plugins || []).some((p) => p.name === plugin);
    const id = fieldId('agent');
    const box = h('input', {class: 'form-check-input', type: 'checkbox', id, value: a.id, checked: has && checked.has(a.id), disabled: !has,
      dataset: {agent: a.id}});
    return [box, h('div', {class: 'form-check'}, box,
      h('label', {class: 'form-check-label', for: id}, a.name || a.id, ' ',
        h('span', {class: a.online ? 'text-success small' : 'text-secondary small'}, a.online ? 'online' : 'offline'),
        has ? null : h('span', {class: 'text-secondary small'}, ` (no ${plugin} plugin)`)))];
  });
  return {row: h('div', {class: 'agent-choices'}, boxes.map(([, row]) => row)),
    read: () => boxes.filter(([b]) => b.checked).map(([b]) => b.value)};
}

export async function render(main, ctx) {
  const fromId = ctx.query.get('from');
  const errors = h('div', {id: 'form-errors'});
  const body = h('div');
  main.append(pageHeader(fromId ? 'Clone test' : 'New test', h('a', {href: '#/tests', class: 'btn btn-sm btn-outline-light'}, 'All tests')),
    errors, body);

  const [plugins, agents, source] = await Promise.all([listPlugins(), listAgents(),
    fromId ? api.get(`/api/v1/tests/${enc(fromId)}`) : Promise.resolve(null)]);
  if (!ctx.alive()) return;
  if (!plugins.length) {
    replace(body, h('div', {class: 'alert alert-warning'}, 'No agent has reported a plugin yet: enroll an agent first (Tokens).'));
    return;
  }
  plugins.sort((a, b) => a.name.localeCompare(b.name));

  const name = input({type: 'text', id: 'test-name', maxlength: 200, placeholder: 'default: the plugin name'});
  const pluginSelect = select(plugins.map((p) => [p.name, `${p.name} ${p.version}`]), {id: 'test-plugin'});
  const pluginDoc = h('div', {class: 'form-text text-secondary'});
  const targetsSlot = h('div');
  const optionsSlot = h('div', {id: 'test-options'});
  const agentsSlot = h('div', {id: 'test-agents'});
  const labels = input({type: 'text', id: 'test-labels', placeholder: 'e.g. site-paris, wifi'});
  const startNow = h('input', {class: 'form-check-input', type: 'radio', name: 'start', id: 'start-now', value: 'now', checked: true});
  const startAt = h('input', {class: 'form-check-input', type: 'radio', name: 'start', id: 'start-at', value: 'at'});
  const startTime = input({type: 'datetime-local', step: 1, id: 'test-start', value: localInputValue(Date.now() + 5 * 60 * 1000)});
  const duration = input({type: 'text', id: 'test-duration', placeholder: 'until stopped'});
  const interval = input({type: 'text', id: 'test-interval', value: kDefaultInterval, required: true});
  const recurring = input({type: 'text', id: 'test-recurring', placeholder: 'no'});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', id: 'test-submit'}, 'Start test');

  let controls = [];
  let targets = null;
  let readAgents = () => [];
  let checkedAgents = new Set(source ? source.agents || [] : agents.filter((a) => a.online && !a.revoked).map((a) => a.id));

  function buildPlugin(pluginName, values = {}) {
    const plugin = plugins.find((p) => p.name === pluginName) || plugins[0];
    pluginDoc.textContent = plugin.description || '';
    const keys = plugin.config || [];
    const targetsKey = keys.find((k) => k.name === kTargetsKey);
    clear(targetsSlot);
    targets = null;
    if (targetsKey) {
      targets = h('textarea', {class: 'form-control bg-dark text-light border-secondary', id: 'test-targets', rows: 2,
        placeholder: 'one per line or comma-separated: host names, IPv4/IPv6 addresses (with :port) or URLs'});
      targets.value = values.targets || '';
      targetsSlot.append(field('Targets', targets, targetsKey.doc, {required: targetsKey.default === null}));
    }
    controls = keys.filter((k) => k.name !== kTargetsKey).map(optionControl);
    for (const c of controls) {
      if (values.options && values.options[c.name] !== undefined) c.set(values.options[c.name]);
    }
    replace(optionsSlot, controls.length ? h('div', {class: 'row'}, controls.map((c) => h('div', {class: 'col-md-6'}, c.row)))
      : h('p', {class: 'text-secondary'}, 'This plugin has no options.'));
    const a = agentChoices(agents, plugin.name, checkedAgents);
    readAgents = a.read;
    replace(agentsSlot, a.row);
  }

  pluginSelect.addEventListener('change', () => {
    checkedAgents = new Set(readAgents());
    clear(errors);
    buildPlugin(pluginSelect.value);
  });

  if (source) {
    name.value = `${source.name || source.plugin} (copy)`;
    pluginSelect.value = source.plugin;
    labels.value = (source.labels || []).join(', ');
    duration.value = durationText(source.duration_s);
    interval.value = durationText(source.interval_s);
    recurring.value = source.recurring_every_s ? durationText(source.recurring_every_s) : '';
    const options = {...(source.options || {})};
    let targetText = (source.targets || []).join(', ');
    if (!targetText && options[kTargetsKey]) targetText = options[kTargetsKey];
    delete options[kTargetsKey];
    buildPlugin(source.plugin, {targets: targetText, options});
  } else {
    buildPlugin(pluginSelect.value);
  }

  const form = h('form', {class: 'test-form', novalidate: true},
    card('What', field('Name', name),
      field('Plugin', pluginSelect, null, {required: true}), pluginDoc, h('div', {class: 'mt-3'}, targetsSlot)),
    card('Options', optionsSlot),
    card('Where', h('div', {class: 'mb-2 text-secondary small'}, 'Run on these agents, and/or on every agent carrying one of the labels.'),
      agentsSlot, field('Labels', labels, 'Comma-separated.')),
    card('When',
      h('div', {class: 'row'},
        h('div', {class: 'col-md-6 mb-3'},
          h('div', {class: 'form-label'}, 'Start'),
          h('div', {class: 'form-check form-check-inline'}, startNow, h('label', {class: 'form-check-label', for: 'start-now'}, 'now')),
          h('div', {class: 'form-check form-check-inline'}, startAt, h('label', {class: 'form-check-label', for: 'start-at'}, 'at')),
          startTime),
        h('div', {class: 'col-md-6'}, field('Duration', duration, 'e.g. 30m, 2h, 1d; empty: until stopped.'))),
      h('div', {class: 'row'},
        h('div', {class: 'col-md-6'}, field('Interval', interval, 'Time between two runs (at least 1s), e.g. 10s, 1m.', {required: true})),
        h('div', {class: 'col-md-6'}, field('Recurring every', recurring, 'Run a window of the duration again this often, e.g. 1d; empty: once.')))),
    h('div', {class: 'd-flex gap-2 mb-4'}, submit, h('a', {href: '#/tests', class: 'btn btn-outline-light'}, 'Cancel')));
  startTime.disabled = true;
  startNow.addEventListener('change', () => {
    startTime.disabled = startNow.checked;
  });
  startAt.addEventListener('change', () => {
    startTime.disabled = !startAt.checked;
  });
  replace(body, form);

  function seconds(text, label, {required = false, min = 0} = {}) {
    if (!text.trim()) {
      if (required) throw new Error(`${label} is required.`);
      return undefined;
    }
    const s = parseDuration(text);
    if (s === null) throw new Error(`${label} "${text}" is not a duration like 30s, 5m, 2h or 1d.`);
    if (s < min || s <= 0) throw new Error(`${label} must be at least ${min || 'above 0'}${min ? ' s' : ''}.`);
    return s;
  }

  function collect() {
    const plugin = pluginSelect.value;
    const out = {plugin, interval_s: seconds(interval.value, 'Interval', {required: true, min: 1})};
    if (name.value.trim()) out.name = name.value.trim();
    if (targets) {
      const list = splitList(targets.value);
      if (list.length) out.targets = list;
      else if (plugins.find((p) => p.name === plugin).config.find((k) => k.name === kTargetsKey).default === null) {
        throw new Error('Give at least one target.');
      }
    }
    const options = {};
    for (const c of controls) {
      const v = c.read();
      if (v !== undefined) options[c.name] = v;
    }
    if (Object.keys(options).length) out.options = options;
    const chosen = readAgents();
    const labelList = splitList(labels.value);
    if (!chosen.length && !labelList.length) throw new Error('Choose at least one agent or give a label.');
    if (chosen.length) out.agents = chosen;
    if (labelList.length) out.labels = labelList;
    if (startAt.checked) {
      const t = new Date(startTime.value).getTime();
      if (Number.isNaN(t)) throw new Error('Start time is not a date and time.');
      out.start = new Date(t).toISOString();
    }
    const d = seconds(duration.value, 'Duration');
    if (d !== undefined) out.duration_s = d;
    const r = seconds(recurring.value, 'Recurring every');
    if (r !== undefined) {
      if (d === undefined) throw new Error('A recurring test needs a duration (the length of each window).');
      if (r <= d) throw new Error('Recurring every must be longer than the duration.');
      out.recurring_every_s = r;
    }
    return out;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errors);
    let payload;
    try {
      payload = collect();
    } catch (err) {
      showError(errors, err);
      window.scrollTo(0, 0);
      return;
    }
    submit.disabled = true;
    try {
      const created = await api.post('/api/v1/tests', payload);
      ctx.navigate(`#/tests/${enc(created.id)}`);
    } catch (err) {
      showError(errors, err);
      window.scrollTo(0, 0);
    } finally {
      submit.disabled = false;
    }
  });
}
