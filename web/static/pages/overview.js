// overview.js: the fleet at a glance. A card per server, problems first, a
// summary bar, search and filter (kept in the URL), and live updates.
import { updatesBadge } from './packages.js';
import { api, get } from '../api.js';
import { h, status, meter, ago, empty, errorNotice, debounce, serverName, severity, dialog, toast, confirm, clockBadge } from '../ui.js';
import { loadLayout, drawSections } from './layout.js';
import { sparklines } from './sparkline.js';

const FILTERS = [
  ['all', 'All servers'],
  ['problems', 'Problems'],
  ['online', 'Online'],
  ['offline', 'Offline'],
  ['paused', 'Paused'],
];

/** health classifies a server for sorting and the card's edge colour. */
export function health(s) {
  const svc = s.service_summary || {};
  // A workstation that is off is not a problem (it raises no alert either).
  if (s.status === 'offline' && s.machine_type === 'workstation' && !(svc.down || 0)) return 'unknown';
  if (s.status === 'offline' || (svc.down || 0) > 0) return 'bad';
  const m = s.latest_metrics || {};
  const hot = [m.cpu_percent, m.memory_percent, m.disk_percent].some((v) => typeof v === 'number' && v >= 90);
  if ((s.active_alert_count || 0) > 0 || s.is_paused || hot) return 'warn';
  if (s.status !== 'online') return 'unknown';
  return 'ok';
}
const RANK = { bad: 0, warn: 1, unknown: 2, ok: 3 };

export function mount(root, ctx) {
  ctx.setTitle('Overview');
  let servers = null;
  let alertsBySeverity = null;
  let layout = null; // the caller's saved sections and card order (layout.js)
  const q = ctx.query;
  const search = h('input', { type: 'search', id: 'server-search', placeholder: 'Search servers', value: q.get('q') || '', 'aria-label': 'Search servers' });
  const filter = h('select', { id: 'server-filter', 'aria-label': 'Show' },
    FILTERS.map(([v, label]) => h('option', { value: v, selected: (q.get('show') || 'all') === v }, label)));
  // Filled with the fleet's tags when the servers load; hidden without any.
  const tagFilter = h('select', { id: 'tag-filter', 'aria-label': 'Tag', hidden: true });
  let wantedTag = q.get('tag') || '';
  const summary = h('section', { class: 'summary', 'aria-label': 'Fleet summary' });
  const list = h('section', { 'aria-label': 'Servers', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading servers…'));

  // Shown while some online server's agent reports another version than the hub's.
  const upgradeAll = h('button', { type: 'button', class: 'btn', id: 'upgrade-outdated', hidden: true, onclick: upgradeOutdated, 'data-needs': 'operator',
    title: 'Each outdated agent downloads the hub\'s binary, checks it and restarts into it (rolled back if it cannot report)' }, 'Upgrade all outdated');
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Fleet overview'),
      upgradeAll,
      h('button', { type: 'button', class: 'btn', onclick: addServer, 'data-needs': 'admin' }, '+ Add server')),
    summary,
    h('div', { class: 'filters', role: 'search' }, search, filter, tagFilter),
    list);

  const keepInURL = () => {
    const p = new URLSearchParams();
    if (search.value) p.set('q', search.value);
    if (filter.value !== 'all') p.set('show', filter.value);
    if (tagFilter.value) p.set('tag', tagFilter.value);
    history.replaceState(null, '', '/' + (p.toString() ? '?' + p : ''));
    draw();
  };
  search.addEventListener('input', debounce(keepInURL, 120));
  filter.addEventListener('change', keepInURL);
  tagFilter.addEventListener('change', () => { wantedTag = tagFilter.value; keepInURL(); });

  async function load() {
    // The three requests go out together; the cards wait for all of them.
    const openAlerts = get('/alerts', { status: 'open', limit: 100 }).catch(() => null);
    try {
      const [data, saved] = await Promise.all([get('/servers'), layout ? layout : loadLayout()]);
      layout = saved;
      if (!ctx.alive) return;
      servers = data.servers || [];
    } catch (err) {
      if (!ctx.alive) return;
      list.replaceChildren(errorNotice(err));
      return;
    }
    const a = await openAlerts;
    if (a) {
      alertsBySeverity = {};
      for (const al of a.alerts || []) alertsBySeverity[al.severity] = (alertsBySeverity[al.severity] || 0) + 1;
    } else {
      alertsBySeverity = null; // alerts API not there: fall back to per-server counts
    }
    if (ctx.alive) draw();
  }
  const reload = debounce(load, 100);

  function outdated() {
    return (servers || []).filter((s) => s.agent_outdated && s.status === 'online' && !s.is_inactive);
  }

  async function upgradeOutdated() {
    const n = outdated().length;
    if (!n || !(await confirm('Upgrade outdated agents', `Queue an agent upgrade for ${n} server${n === 1 ? '' : 's'}? Each agent restarts into the hub's version.`, 'Upgrade', false))) return;
    upgradeAll.disabled = true;
    try {
      const res = await api('POST', '/agents/upgrade-outdated');
      const queued = (res.action_ids || []).length, skipped = (res.skipped || []).length;
      toast(`${queued} agent upgrade${queued === 1 ? '' : 's'} queued${skipped ? ` (${skipped} already pending)` : ''}`, queued ? 'ok' : 'warn');
    } catch (err) {
      toast(`Upgrade failed: ${err.message}`, 'error');
    } finally {
      upgradeAll.disabled = false;
    }
  }

  function draw() {
    if (!servers) return;
    const n = outdated().length;
    upgradeAll.hidden = n === 0;
    upgradeAll.textContent = `Upgrade all outdated (${n})`;
    drawSummary();
    list.setAttribute('aria-busy', 'false');
    if (servers.length === 0) {
      list.replaceChildren(empty('No servers yet',
        'Install the agent on a machine and point it at this hub; it appears here within a minute of its first heartbeat.',
        h('button', { type: 'button', class: 'btn btn-primary', onclick: addServer, 'data-needs': 'admin' }, '+ Add server')));
      return;
    }
    drawTagFilter();
    const term = search.value.trim().toLowerCase();
    const show = filter.value;
    const tag = tagFilter.value;
    const shown = servers.filter((s) => {
      if (term && ![s.id, s.hostname, s.display_name, s.ip_address, ...(s.tags || [])].some((v) => v && v.toLowerCase().includes(term))) return false;
      if (tag && !(s.tags || []).includes(tag)) return false;
      const hl = health(s);
      switch (show) {
        case 'problems': return hl !== 'ok';
        case 'online': return s.status === 'online';
        case 'offline': return s.status !== 'online';
        case 'paused': return s.is_paused;
      }
      return true;
    });
    shown.sort((a, b) => RANK[health(a)] - RANK[health(b)] ||
      (b.service_summary?.down || 0) - (a.service_summary?.down || 0) ||
      (b.active_alert_count || 0) - (a.active_alert_count || 0) ||
      serverName(a).localeCompare(serverName(b)));
    if (shown.length === 0) {
      list.replaceChildren(empty('No servers match', 'Change the search or the filter.'));
      return;
    }
    list.replaceChildren(...drawSections(layout, shown, card));
    sparklines(list, ctx);
  }

  function drawTagFilter() {
    const tags = [...new Set(servers.flatMap((s) => s.tags || []))].sort();
    tagFilter.replaceChildren(h('option', { value: '' }, 'All tags'), ...tags.map((t) => h('option', { value: t, selected: t === wantedTag }, `#${t}`)));
    tagFilter.hidden = tags.length === 0;
  }

  function drawSummary() {
    const online = servers.filter((s) => s.status === 'online').length;
    const down = servers.reduce((n, s) => n + (s.service_summary?.down || 0), 0);
    const totalSvc = servers.reduce((n, s) => n + (s.service_summary?.total || 0), 0);
    const openAlerts = alertsBySeverity
      ? Object.values(alertsBySeverity).reduce((a, b) => a + b, 0)
      : servers.reduce((n, s) => n + (s.active_alert_count || 0), 0);
    const sevs = alertsBySeverity
      ? ['critical', 'high', 'medium', 'warning', 'low'].filter((k) => alertsBySeverity[k]).map((k) => h('span', {}, severity(k), ` ${alertsBySeverity[k]}`))
      : [];
    summary.replaceChildren(
      stat('Servers online', `${online} / ${servers.length}`, online === servers.length ? 'ok' : 'bad', 'stat-servers'),
      stat('Services down', String(down), down ? 'bad' : 'ok', 'stat-services', `${totalSvc} expected`),
      ...containerStat(servers),
      stat('Open alerts', String(openAlerts), openAlerts ? 'bad' : 'ok', 'stat-alerts', sevs.length ? sevs : null));
  }

  ctx.onLive((e) => { if (e.type === 'server.updated' || e.type === 'service.changed' || e.type === 'alert.changed') reload(); });
  ctx.onReconnect(reload);
  ctx.every(30000, load); // offline detection and "last seen" move without events
  ctx.onCleanup(() => reload.cancel());
  load();
}

// containerStat counts expected containers down, for fleets that expect any.
function containerStat(servers) {
  const sums = servers.map((s) => s.container_summary).filter(Boolean);
  if (!sums.length) return [];
  const down = sums.reduce((n, c) => n + (c.down || 0), 0);
  const total = sums.reduce((n, c) => n + (c.total || 0), 0);
  return [stat('Containers down', String(down), down ? 'bad' : 'ok', 'stat-containers', `${total} expected`)];
}

function stat(label, value, tone, id, detail) {
  return h('div', { class: `stat stat-${tone}`, id },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    detail ? h('div', { class: 'stat-detail muted small' }, detail) : null);
}

function card(s) {
  const m = s.latest_metrics || {};
  const svc = s.service_summary || { total: 0, running: 0, down: 0 };
  const st = s.is_paused ? 'paused' : s.status;
  const hl = health(s);
  const name = serverName(s);
  return h('li', { class: 'card', 'data-server-id': s.id, 'data-health': hl },
    h('div', { class: 'card-head' },
      h('div', { class: 'card-title' },
        h('a', { href: `/servers/${encodeURIComponent(s.id)}` }, name),
        h('div', { class: 'card-sub' }, [s.hostname !== name ? s.hostname : null, s.ip_address].filter(Boolean).join(' · ') || s.id)),
      status(st, s.is_paused ? `Paused (${s.status})` : s.machine_type === 'workstation' && s.status === 'offline' ? 'Off' : null), clockBadge(s)),
    h('div', { class: s.status === 'offline' ? 'meters stale' : 'meters', title: s.status === 'offline' ? 'Offline: last known values' : null },
      meter('CPU', m.cpu_percent),
      meter('RAM', m.memory_percent),
      meter('Disk', m.disk_percent)),
    h('div', { class: 'card-foot' },
      h('span', { class: svc.down ? 'bad' : '', 'data-testid': 'services' },
        svc.total ? `Services ${svc.running}/${svc.total} running` : 'No expected services',
        svc.down ? ` · ✕ ${svc.down} down` : ''),
      h('span', { class: s.active_alert_count ? 'bad' : 'muted' },
        s.active_alert_count ? `▲ ${s.active_alert_count} open alert${s.active_alert_count > 1 ? 's' : ''}` : 'No open alerts'),
      updatesBadge(s),
      h('span', { class: 'muted' }, 'Seen ', ago(s.last_seen)),
      (s.tags || []).length ? h('span', { class: 'tags', 'data-testid': 'tags' }, s.tags.map((t) => h('span', { class: 'tag' }, `#${t}`))) : null),
    s.active_alert_summaries?.length ? h('ul', { class: 'small muted', style: { margin: 0, paddingLeft: '1.1rem' } },
      s.active_alert_summaries.map((t) => h('li', {}, t))) : null);
}

// addServer creates a one-time registration token and shows the install
// command for a new machine.
function addServer() {
  dialog('Add a server', (close) => {
    const out = h('div', {});
    const mode = h('select', { id: 'reg-mode', name: 'mode' },
      h('option', { value: 'readonly' }, 'Read-only (monitor only)'),
      h('option', { value: 'readwrite' }, 'Read-write (may restart services)'));
    const form = h('form', {},
      h('p', { class: 'muted' }, 'Create a one-time install command (valid 15 minutes) and run it on the new machine as root.'),
      h('div', { class: 'field' }, h('label', { for: 'reg-mode' }, 'Agent mode'), mode),
      out,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Close'),
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create install command')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const t = await api('POST', '/agents/register/tokens', { mode: mode.value });
        const cmd = h('code', {}, t.install_command);
        out.replaceChildren(h('div', { class: 'field' }, h('label', {}, 'Run on the new machine'),
          h('div', { class: 'copy-box' }, cmd,
            h('button', {
              type: 'button', class: 'btn', onclick: async () => {
                try { await navigator.clipboard.writeText(t.install_command); toast('Copied'); } catch { toast('Select the command and copy it', 'warn'); }
              },
            }, 'Copy'))));
      } catch (err) {
        out.replaceChildren(errorNotice(err.notAvailable ? { message: 'Registration tokens are not available on this hub yet.' } : err));
      }
    });
    return form;
  });
}
