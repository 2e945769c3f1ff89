// app.js: starts the dashboard. A small history-API router mounts one page
// at a time; each page gets a context whose live subscriptions and timers
// end when the page does.
import { api, get, onUnauthorized } from './api.js';
import * as live from './live.js';
import { h, debounce, toast } from './ui.js';
import * as overview from './pages/overview.js';
import * as server from './pages/server.js';
import * as alerts from './pages/alerts.js';
import * as actions from './pages/actions.js';
import * as settings from './pages/settings.js';
import * as checks from './pages/checks.js';
import * as login from './pages/login.js';
import * as machines from './pages/machines.js';
import * as costs from './pages/costs.js';
import { initTheme } from './theme.js';

const routes = [
  [/^\/$/, overview, 'overview'],
  [/^\/servers\/([^/]+)$/, server, 'overview'],
  [/^\/alerts$/, alerts, 'alerts'],
  [/^\/actions$/, actions, 'actions'],
  [/^\/machines$/, machines, 'machines'],
  [/^\/costs$/, costs, 'costs'],
  [/^\/checks$/, checks, 'checks'],
  [/^\/checks\/(\d+)$/, checks, 'checks'],
  [/^\/settings$/, settings, 'settings'],
  [/^\/login$/, login, ''],
];

const main = document.getElementById('main');
const topbar = document.querySelector('.topbar');
let current = null;
let signedIn = false;
let me = null; // {name, role, kind} of the signed-in caller
let firstRender = true;

/** navigate goes to path without a reload. */
export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

async function sessionValid() {
  try {
    await api('GET', '/auth/session');
    return true;
  } catch (err) {
    if (err.status === 401) {
      goToLogin();
      return false;
    }
    return true; // hub unreachable: keep retrying quietly
  }
}

const ROLES = ['viewer', 'operator', 'admin'];

function showWhoami() {
  // Controls a role cannot use are hidden (CSS [data-needs]); the API
  // refuses them anyway.
  if (me && me.role) document.body.dataset.role = me.role;
  else delete document.body.dataset.role;
  const el = document.getElementById('whoami');
  el.textContent = me && me.name ? `${me.name} · ${me.role}` : '';
  el.hidden = !(me && me.name);
}

function goToLogin() {
  if (location.pathname === '/login') return;
  signedIn = false;
  me = null;
  live.stop();
  const next = location.pathname + location.search;
  navigate('/login' + (next !== '/' ? '?next=' + encodeURIComponent(next) : ''), true);
}

async function render() {
  if (current) current.cleanup();
  current = null;
  const path = location.pathname;
  let match = null, page = null, nav = '';
  for (const [re, mod, n] of routes) {
    match = path.match(re);
    if (match) { page = mod; nav = n; break; }
  }
  if (page !== login && (!signedIn || !me)) {
    try {
      me = await api('GET', '/auth/session');
      signedIn = true;
      showWhoami();
    } catch (err) {
      if (err.status === 401) { goToLogin(); return; }
      main.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, `Cannot reach the hub: ${err.message}`));
      return;
    }
  }
  topbar.hidden = page === login;
  if (signedIn && page !== login) {
    live.start(sessionValid);
    refreshCounts();
  }
  for (const a of topbar.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = makeContext(match ? match.slice(1).map(decodeURIComponent) : []);
  current = ctx;
  main.replaceChildren();
  if (!page) {
    document.title = 'Not found · homelabcmd';
    main.append(h('div', { class: 'empty' }, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Back to the overview'))));
  } else {
    page.mount(main, ctx);
  }
  // A new page starts at the top: focusing <main> must not scroll it under
  // the sticky header (on a phone the header is two rows high).
  if (!firstRender) {
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  firstRender = false;
}

function makeContext(params) {
  const cleanups = [];
  const ctx = {
    params,
    query: new URLSearchParams(location.search),
    alive: true,
    navigate,
    /** onLive subscribes to live events for the page's lifetime. */
    onLive(fn) { cleanups.push(live.on(fn)); },
    /** onReconnect runs fn when the live stream comes back after a gap. */
    onReconnect(fn) { cleanups.push(live.onState((s, back) => { if (back) fn(); })); },
    /** every runs fn every ms while the page is shown. */
    every(ms, fn) { const t = setInterval(fn, ms); cleanups.push(() => clearInterval(t)); },
    onCleanup(fn) { cleanups.push(fn); },
    setTitle(t) { document.title = t ? `${t} · homelabcmd` : 'homelabcmd'; },
    cleanup() { ctx.alive = false; for (const fn of cleanups.splice(0)) fn(); },
    signedIn() { signedIn = true; me = null; },
    /** me is the signed-in caller: {name, role, kind}. */
    get me() { return me || {}; },
    /** can tells whether the caller's role includes role. */
    can(role) { return ROLES.indexOf((me || {}).role) >= ROLES.indexOf(role); },
  };
  return ctx;
}

// Nav counters: open alerts and pending actions, kept fresh by live events.
async function refreshCounts() {
  const set = (id, n) => {
    const el = document.getElementById(id);
    el.hidden = !n;
    el.textContent = n ? String(n) : '';
    el.setAttribute('aria-label', n ? `${n} open` : '');
  };
  try {
    const a = await get('/alerts', { status: 'open', limit: 1 });
    set('nav-alerts', a.total);
  } catch { set('nav-alerts', 0); }
  try {
    const p = await get('/actions', { status: 'pending', limit: 1 });
    set('nav-actions', p.total);
  } catch { set('nav-actions', 0); }
}
const refreshCountsSoon = debounce(refreshCounts, 300);
live.on((e) => { if (e.type === 'alert.changed' || e.type === 'action.changed') refreshCountsSoon(); });

live.onState((s) => {
  const el = document.getElementById('live-state');
  el.dataset.state = s;
  el.querySelector('.live-text').textContent = s === 'live' ? 'Live' : s === 'offline' ? 'Offline, reconnecting…' : 'Connecting…';
});

onUnauthorized(goToLogin);

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin || a.pathname.startsWith('/api/')) return;
  e.preventDefault();
  if (a.pathname + a.search !== location.pathname + location.search) navigate(a.pathname + a.search);
});
window.addEventListener('popstate', render);

document.getElementById('sign-out').addEventListener('click', async () => {
  try { await api('POST', '/auth/logout'); } catch (err) { toast(err.message, 'error'); }
  signedIn = false;
  me = null;
  live.stop();
  navigate('/login', true);
});

initTheme(document.getElementById('theme-toggle'));
render();
