// server.js: one server. Facts and current usage, metric charts for 24h / 7d
// / 30d, the services panel (US0020) with restart, add/edit/delete and a
// history timeline per service, and the server's open alerts.
import { api, get, enc } from '../api.js';
import { h, status, meter, ago, time, num, duration, empty, errorNotice, notAvailable, debounce, serverName, severity, toast, confirm, clockBadge, parseTime, fill } from '../ui.js';
import { drawChart } from '../chart.js';
import { servicesPanel } from './services.js';
import { sshPanel } from './server-ssh.js';
import { agentDeployPanel } from './server-agent.js';
import { serverSettingsPanel } from './serversettings.js';
import { containersPanel } from './containers.js';
import { checksPanel } from './checks.js';
import { packagesPanel } from './packages.js';

export function mount(root, ctx) {
  const id = ctx.params[0];
  const base = `/servers/${enc(id)}`;
  let range = ['24h', '7d', '30d'].includes(ctx.query.get('range')) ? ctx.query.get('range') : '24h';

  const head = h('div', { class: 'page-head' }, h('h1', {}, id));
  const factsPanel = h('section', { class: 'panel', 'aria-labelledby': 'facts-h' }, h('p', { class: 'loading' }, 'Loading…'));
  const chartBox = h('div', { class: 'chart', id: 'metrics-chart' });
  const chartNote = h('p', { class: 'small muted', id: 'chart-summary' });
  const rangeButtons = ['24h', '7d', '30d'].map((r) => h('button', {
    type: 'button', class: 'btn btn-small', 'aria-pressed': String(r === range), 'data-range': r,
    onclick: () => { range = r; rangeButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.range === r))); history.replaceState(null, '', `${base}?range=${r}`); loadChart(); },
  }, r));
  const chartPanel = h('section', { class: 'panel', 'aria-labelledby': 'chart-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'chart-h' }, 'Metrics'),
      h('div', { class: 'btn-group', role: 'group', 'aria-label': 'Time range' }, rangeButtons)),
    chartBox, chartNote);
  const services = servicesPanel(id, ctx);
  const containers = containersPanel(id, ctx);
  const checksEl = checksPanel(id, ctx).el;
  const packages = packagesPanel(id, ctx);
  const alertsPanel = h('section', { class: 'panel', 'aria-labelledby': 'srv-alerts-h' });
  const settings = serverSettingsPanel(id, ctx, {
    onSaved: (s) => { server = { ...server, ...s, latest_metrics: server.latest_metrics }; ctx.setTitle(serverName(server)); drawHead(); drawFacts(); },
    onDeleted: () => ctx.navigate('/', true),
  });

  const deploy = agentDeployPanel(id, ctx, { onChanged: () => loadServer() });
  root.append(h('p', { class: 'small' }, h('a', { href: '/' }, '← Fleet overview')), head, factsPanel, services.el, containers.el, checksEl, chartPanel, packages.el, alertsPanel, deploy.el, sshPanel(id, ctx).el, settings.el);

  let server = null;
  async function loadServer() {
    try {
      server = await get(base);
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 404) {
        root.replaceChildren(empty('Server not found', `There is no server "${id}".`, h('a', { href: '/', class: 'btn' }, 'Back to the overview')));
        ctx.cleanup();
      } else {
        factsPanel.replaceChildren(errorNotice(err));
      }
      return;
    }
    if (!ctx.alive) return;
    ctx.setTitle(serverName(server));
    if (typeof server.updates_available === 'number') packages.show();
    drawHead();
    drawFacts();
    settings.update(server);
    deploy.update(server);
  }

  function drawHead() {
    const s = server;
    fill(head,
      h('h1', {}, serverName(s)),
      status(s.is_paused ? 'paused' : s.status, s.is_paused ? `Paused · ${s.status}` : null),
      s.machine_type === 'workstation' ? h('span', { class: 'badge badge-muted', 'data-testid': 'machine-type' }, 'Workstation',
        s.status === 'offline' && s.last_seen ? [' · last seen ', ago(s.last_seen)] : null) : null,
      clockBadge(s),
      s.agent_outdated ? h('button', {
        type: 'button', class: 'btn', id: 'upgrade-agent', onclick: upgradeAgent, 'data-needs': 'operator',
        title: `The agent reports ${s.agent_version}: it downloads the hub's version, checks it and restarts into it (rolled back if it cannot report)`,
      }, 'Upgrade agent') : null,
      h('button', {
        type: 'button', class: 'btn', onclick: togglePause, 'data-needs': 'admin',
        title: 'In maintenance mode restarts wait for approval',
      }, s.is_paused ? 'Resume (leave maintenance)' : 'Pause (maintenance)'));
  }

  async function upgradeAgent(e) {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const res = await api('POST', `${base}/agent/upgrade`);
      toast(res && res.status === 'pending' ? `Agent upgrade to ${res.target_version} is waiting for approval (server paused)` : `Agent upgrade to ${res.target_version} queued`);
    } catch (err) {
      if (err.status === 409) toast('Agent upgrade already pending', 'warn');
      else toast(`Upgrade failed: ${err.message}`, 'error');
    } finally {
      btn.disabled = false;
    }
  }

  async function togglePause() {
    try {
      server = { ...server, ...(await api('PUT', `${base}/${server.is_paused ? 'unpause' : 'pause'}`)), latest_metrics: server.latest_metrics };
      toast(server.is_paused ? 'Server paused: restarts now wait for approval' : 'Server resumed');
      drawHead();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function drawFacts() {
    const s = server, m = s.latest_metrics || {};
    const fact = (k, v) => h('div', {}, h('dt', {}, k), h('dd', {}, v ?? '–'));
    factsPanel.replaceChildren(
      h('h2', { id: 'facts-h', class: 'sr-only' }, 'Server facts'),
      h('div', { class: s.status === 'offline' ? 'meters stale' : 'meters', style: { marginBottom: '1rem', maxWidth: '36rem' } },
        meter('CPU', m.cpu_percent), meter('RAM', m.memory_percent), meter('Disk', m.disk_percent),
        s.status === 'offline' && s.last_seen ? h('p', { class: 'muted small' }, 'Offline · last seen ', ago(s.last_seen)) : null),
      h('dl', { class: 'facts' },
        fact('Server id', h('code', {}, s.id)),
        fact('Hostname', s.hostname),
        fact('IP address', s.ip_address),
        fact('OS', [s.os_distribution, s.os_version].filter(Boolean).join(' ') || null),
        fact('Kernel', s.kernel_version),
        fact('CPU', s.cpu_model ? `${s.cpu_model}${s.cpu_cores ? ` (${s.cpu_cores} cores)` : ''}` : null),
        fact('Memory', m.memory_total_mb ? `${num(m.memory_used_mb / 1024, ' GB')} of ${num(m.memory_total_mb / 1024, ' GB')}` : null),
        fact('Disk', m.disk_total_gb ? `${num(m.disk_used_gb, ' GB', 0)} of ${num(m.disk_total_gb, ' GB', 0)}` : null),
        fact('Load', typeof m.load_1m === 'number' ? `${num(m.load_1m, '', 2)} · ${num(m.load_5m, '', 2)} · ${num(m.load_15m, '', 2)}` : null),
        fact('Uptime', typeof m.uptime_seconds === 'number' ? duration(m.uptime_seconds) : null),
        fact('Updates', typeof s.updates_available === 'number' ? `${s.updates_available} (${s.security_updates || 0} security)` : null),
        fact('Agent', s.agent_version ? `${s.agent_version}${s.agent_mode ? ` · ${s.agent_mode}` : ''}` : null),
        fact('Last seen', ago(s.last_seen))));
  }

  let chartSeq = 0;
  async function loadChart() {
    const seq = ++chartSeq;
    chartNote.textContent = 'Loading…';
    try {
      const data = await get(`${base}/metrics`, { range });
      if (!ctx.alive || seq !== chartSeq) return;
      const pts = data.data_points || [];
      if (!pts.length) {
        chartBox.dataset.state = 'empty';
        chartBox.replaceChildren(empty('Collecting data', 'No heartbeat in this range yet; the chart fills in as they arrive.'));
        chartNote.textContent = '';
        return;
      }
      chartBox.dataset.state = collecting(pts, range) ? 'collecting' : 'ready';
      drawChart(chartBox, pts, ctx, { range });
      chartNote.textContent = (chartBox.dataset.state === 'collecting' ? `Collecting data: ${pts.length} ${pts.length === 1 ? 'point' : 'points'} so far. ` : '') +
        summarize(pts, data.resolution);
    } catch (err) {
      if (!ctx.alive || seq !== chartSeq) return;
      chartBox.replaceChildren(errorNotice(err));
      chartNote.textContent = '';
    }
  }

  async function loadAlerts() {
    try {
      const data = await get('/alerts', { server_id: id, status: 'open', limit: 20 });
      if (!ctx.alive) return;
      const acked = await get('/alerts', { server_id: id, status: 'acknowledged', limit: 20 }).catch(() => ({ alerts: [] }));
      const list = [...(data.alerts || []), ...(acked.alerts || [])];
      alertsPanel.replaceChildren(h('div', { class: 'panel-head' }, h('h2', { id: 'srv-alerts-h' }, 'Active alerts'),
        h('a', { href: `/alerts?server_id=${enc(id)}`, class: 'small' }, 'All alerts for this server')),
      list.length ? h('ul', { class: 'svc-list' }, list.map((a) => h('li', { class: 'svc', 'data-status': a.status === 'open' ? 'failed' : 'unknown' },
        h('div', { class: 'svc-main' }, severity(a.severity), h('span', { class: 'svc-name' }, a.title),
          h('span', { class: 'muted small' }, a.status === 'acknowledged' ? '✓ Acknowledged' : '● Open', ' · ', ago(a.created_at)),
          h('span', { class: 'svc-actions' },
            a.status === 'open' ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => act(a, 'acknowledge'), 'data-needs': 'operator' }, 'Acknowledge') : null,
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => act(a, 'resolve'), 'data-needs': 'operator' }, 'Resolve')))))) :
        h('p', { class: 'muted' }, '✓ No open alerts.'));
    } catch (err) {
      if (!ctx.alive) return;
      alertsPanel.replaceChildren(h('h2', { id: 'srv-alerts-h' }, 'Active alerts'), err.notAvailable ? notAvailable('The alerts view') : errorNotice(err));
    }
  }
  async function act(a, verb) {
    if (verb === 'resolve' && !(await confirm('Resolve alert?', `Mark "${a.title}" resolved?`, 'Resolve', false))) return;
    try {
      await api('POST', `/alerts/${a.id}/${verb}`);
      toast(verb === 'resolve' ? 'Alert resolved' : 'Alert acknowledged');
      loadAlerts();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  const reloadServer = debounce(loadServer, 150);
  const reloadAlerts = debounce(loadAlerts, 150);
  ctx.onLive((e) => {
    if (e.server_id && e.server_id !== id) return;
    if (e.type === 'server.updated') reloadServer();
    if (e.type === 'alert.changed') reloadAlerts();
  });
  ctx.onReconnect(() => { loadServer(); services.reload(); containers.reload(); packages.reload(); loadAlerts(); });
  ctx.every(30000, loadServer);
  ctx.every(5 * 60000, loadChart);
  ctx.onCleanup(() => { reloadServer.cancel(); reloadAlerts.cancel(); });
  loadServer();
  loadChart();
  loadAlerts();
}

// collecting: the points cover less than a tenth of the range's window.
function collecting(pts, range) {
  const first = parseTime(pts[0].timestamp);
  const span = { '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 }[range] || 86400e3;
  return pts.length < 3 || !first || Date.now() - first.getTime() < span / 10;
}

function summarize(pts, resolution) {
  const parts = [];
  for (const [key, label] of [['cpu_percent', 'CPU'], ['memory_percent', 'RAM'], ['disk_percent', 'Disk']]) {
    const vals = pts.map((p) => p[key]).filter((v) => typeof v === 'number');
    if (!vals.length) continue;
    const avg = vals.reduce((a, b) => a + b, 0) / vals.length;
    parts.push(`${label} avg ${avg.toFixed(0)}%, max ${Math.max(...vals).toFixed(0)}%`);
  }
  return `${pts.length} points (${resolution || 'raw'} resolution) from ${time(pts[0].timestamp).textContent || ''}. ${parts.join(' · ')}`;
}
