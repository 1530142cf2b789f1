// The single-page app: hash routes, the navbar, the session. Each page module exports
// render(main, ctx); ctx.onCleanup registers what to undo (event subscriptions, charts) when the
// route changes.
import {api, onUnauthorized, setCsrfToken} from './api.js';
import {clear, h, replace, roleBadge, errorBox} from './dom.js';
import {onStatus, startEvents, stopEvents} from './events.js';
import * as agents from './pages/agents.js';
import * as dashboard from './pages/dashboard.js';
import * as login from './pages/login.js';
import * as profile from './pages/profile.js';
import * as settings from './pages/settings.js';
import * as testForm from './pages/test_form.js';
import * as testResults from './pages/test_results.js';
import * as tests from './pages/tests.js';
import * as tokens from './pages/tokens.js';
import * as users from './pages/users.js';

const kRoleRank = {viewer: 0, operator: 1, admin: 2};

// [pattern, module, least role (null: no login needed)]; the first match wins.
const routes = [
  [/^\/login$/, login, null],
  [/^\/dashboard$/, dashboard, 'viewer'],
  [/^\/agents$/, agents, 'viewer'],
  [/^\/agents\/([^/]+)$/, agents, 'viewer'],
  [/^\/tests$/, tests, 'viewer'],
  [/^\/tests\/new$/, testForm, 'operator'],
  [/^\/tests\/([^/]+)$/, testResults, 'viewer'],
  [/^\/users$/, users, 'admin'],
  [/^\/tokens$/, tokens, 'admin'],
  [/^\/profile$/, profile, 'viewer'],
  [/^\/settings$/, settings, 'admin'],
];

const navItems = [
  ['#/dashboard', 'Dashboard', 'viewer'],
  ['#/agents', 'Agents', 'viewer'],
  ['#/tests', 'Tests', 'viewer'],
  ['#/users', 'Users', 'admin'],
  ['#/tokens', 'Tokens', 'admin'],
  ['#/settings', 'Settings', 'admin'],
];

const state = {user: null, cleanups: [], generation: 0};

export function hasRole(user, role) {
  return Boolean(user) && kRoleRank[user.role] >= kRoleRank[role];
}

function parseHash() {
  const raw = window.location.hash.replace(/^#/, '') || '/dashboard';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return {path, query};
}

function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function liveBadge() {
  const badge = h('span', {class: 'badge bg-secondary live-badge', id: 'live-status', title: 'Live updates', dataset: {events: 0}}, 'offline');
  onStatus((s, count) => {
    badge.dataset.events = String(count);
    badge.dataset.state = s;
    badge.className = `badge live-badge ${s === 'open' ? 'bg-success' : s === 'connecting' ? 'bg-warning text-dark' : 'bg-secondary'}`;
    badge.textContent = s === 'open' ? 'live' : s === 'connecting' ? 'reconnecting' : 'offline';
  });
  return badge;
}

const live = liveBadge();

// The server closes the event stream for good only when it refuses it (the session ended): ask
// for the session once, so a 401 takes us to the login page.
onStatus((s) => {
  if (s === 'closed' && state.user) api.get('/api/v1/session').catch(() => {});
});

function renderNav(path) {
  const links = document.getElementById('nav-links');
  const userBox = document.getElementById('nav-user');
  clear(links);
  clear(userBox);
  if (!state.user) return;
  for (const [href, label, role] of navItems) {
    if (!hasRole(state.user, role)) continue;
    const active = path.startsWith(href.slice(1));
    links.appendChild(h('li', {class: 'nav-item'},
      h('a', {class: ['nav-link', active && 'active'], href, 'aria-current': active ? 'page' : null}, label)));
  }
  userBox.append(
    live,
    h('a', {class: 'nav-link text-light px-0', href: '#/profile', id: 'nav-username', title: 'Profile'}, state.user.username),
    roleBadge(state.user.role),
    h('button', {type: 'button', class: 'btn btn-sm btn-outline-light', id: 'logout', onClick: logout}, 'Log out'));
  // A tap on a link closes the menu on a phone.
  const menu = document.getElementById('nav-menu');
  for (const a of menu.querySelectorAll('a')) {
    a.addEventListener('click', () => {
      if (menu.classList.contains('show')) window.bootstrap.Collapse.getOrCreateInstance(menu).hide();
    });
  }
}

function runCleanups() {
  for (const fn of state.cleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      console.warn('cleanup failed', e);
    }
  }
}

async function route() {
  runCleanups();
  state.generation += 1;
  const generation = state.generation;
  const {path, query} = parseHash();
  const main = document.getElementById('main');
  const match = routes.map(([re, mod, role]) => [re.exec(path), mod, role]).find(([m]) => m);
  if (!match) {
    renderNav(path);
    replace(main, errorBox(new Error(`No page at #${path}.`)), h('a', {href: '#/dashboard'}, 'Back to the dashboard'));
    return;
  }
  const [m, mod, role] = match;
  if (role && !state.user) {
    const next = path + (query.toString() ? `?${query}` : '');
    navigate(next === '/dashboard' ? '#/login' : `#/login?next=${encodeURIComponent(next)}`);
    return;
  }
  if (mod === login && state.user) {
    navigate('#/dashboard');
    return;
  }
  renderNav(path);
  clear(main);
  if (role && !hasRole(state.user, role)) {
    main.appendChild(errorBox(new Error(`This page needs the ${role} role; you are ${state.user.role}.`)));
    return;
  }
  const ctx = {
    user: state.user,
    params: m.slice(1).map(decodeURIComponent),
    query,
    navigate,
    can: (r) => hasRole(state.user, r),
    alive: () => generation === state.generation,
    onCleanup: (fn) => state.cleanups.push(fn),
    loggedIn,
  };
  try {
    await mod.render(main, ctx);
  } catch (e) {
    if (ctx.alive()) main.appendChild(errorBox(e));
    else console.warn('page left while loading', e);
  }
}

function loggedIn(session, next) {
  state.user = session.user;
  setCsrfToken(session.csrf_token);
  startEvents();
  navigate(next && next.startsWith('/') && !next.startsWith('/login') ? `#${next}` : '#/dashboard');
}

async function logout() {
  try {
    await api.del('/api/v1/session', {quiet401: true});
  } catch (e) {
    if (e.status !== 401) console.warn('logout', e);
  }
  endSession();
}

function endSession() {
  state.user = null;
  setCsrfToken(null);
  stopEvents();
  navigate('#/login');
}

async function start() {
  onUnauthorized(() => {
    if (state.user) endSession();
  });
  try {
    const session = await api.get('/api/v1/session', {quiet401: true});
    state.user = session.user;
    setCsrfToken(session.csrf_token);
    startEvents();
  } catch (e) {
    if (e.status !== 401) console.warn('session check failed', e.message);
  }
  window.addEventListener('hashchange', route);
  await route();
}

start();
