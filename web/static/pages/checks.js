// checks.js: checks run by agents from inside the LAN (HTTP, TCP, DNS, ping,
// TLS expiry). The list with each check's state across agents, a form to
// define or edit one, one check's per-agent results with a latency chart,
// the certificate expiry list, and the panel on a server's page.
import { api, get, enc } from '../api.js';
import { h, ago, num, empty, errorNotice, notAvailable, debounce, toast, dialog, confirm, showFieldErrors, clearFieldErrors, parseTime } from '../ui.js';
import { drawChart } from '../chart.js';

const TYPES = [['http', 'HTTP'], ['tcp', 'TCP port'], ['dns', 'DNS'], ['ping', 'Ping'], ['tls', 'TLS certificate']];
const TARGET_HINT = {
  http: 'A URL, e.g. http://plex.lan:32400/web',
  tcp: 'host:port, e.g. nas.lan:445',
  dns: 'The name to look up, e.g. nas.lan',
  ping: 'A host name or address, e.g. 192.168.1.1',
  tls: 'host:port, e.g. nas.lan:443',
};
const LOOK = {
  up: ['ok', '✓', 'Up'], warn: ['warn', '▲', 'Expiring'], down: ['bad', '✕', 'Down'],
  pending: ['unknown', '…', 'Pending'], disabled: ['unknown', 'Ⅱ', 'Disabled'],
};
const COLOURS = ['#60A5FA', '#C084FC', '#FBBF24', '#34D399', '#F87171', '#F472B6'];

/** checkState renders a check's or an agent's state with icon and words. */
export function checkState(state) {
  const [tone, icon, text] = LOOK[state] || LOOK.pending;
  return h('span', { class: 'status', 'data-check-state': state },
    h('span', { class: `light light-${tone}`, 'aria-hidden': 'true' }, icon),
    h('span', { class: `status-text status-text-${tone}` }, text));
}

function agentsSummary(c) {
  const up = c.agents.filter((a) => a.status === 'up').length;
  return c.agents.length ? `${up}/${c.agents.length} agents up` : 'no results yet';
}

function certDays(at) {
  const t = parseTime(at);
  return t ? (t.getTime() - Date.now()) / 86400000 : null;
}

export function mount(root, ctx) {
  const id = ctx.params[0];
  if (id) return mountOne(root, ctx, id);
  ctx.setTitle('Checks');
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading checks…'));
  const certs = h('section', { class: 'panel', 'aria-labelledby': 'certs-h', id: 'cert-expiry' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Checks'),
    h('button', { type: 'button', class: 'btn btn-primary', id: 'new-check', 'data-needs': 'operator', onclick: () => editCheck(null, load) }, 'New check')),
  h('p', { class: 'small muted' }, 'Agents probe these from inside the LAN. A check alerts when its quorum of the agents that run it sees it failing, after its retries.'),
  body, certs);

  async function load() {
    try {
      const d = await get('/checks');
      if (!ctx.alive) return;
      draw(d.checks || []);
    } catch (err) {
      if (!ctx.alive) return;
      body.replaceChildren(err.notAvailable ? notAvailable('The checks view') : errorNotice(err));
    }
  }
  const reload = debounce(load, 300);

  function draw(list) {
    if (!list.length) {
      body.replaceChildren(empty('No checks yet', 'Define an HTTP, TCP, DNS, ping or certificate check; agents run it from inside the LAN.'));
      certs.replaceChildren();
      return;
    }
    body.replaceChildren(h('div', { class: 'panel' }, h('table', { class: 'table', id: 'checks-table' },
      h('thead', {}, h('tr', {}, ['State', 'Check', 'Target', 'Agents', 'Latency', 'Uptime 24 h'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((c) => {
        const lat = c.agents.map((a) => a.latency_ms).filter((v) => typeof v === 'number');
        return h('tr', { 'data-check-id': c.id, 'data-check-name': c.name },
          h('td', { 'data-label': 'State' }, checkState(c.state)),
          h('td', { 'data-label': 'Check' }, h('a', { href: `/checks/${c.id}` }, h('strong', {}, c.name)),
            h('div', { class: 'small muted' }, c.type.toUpperCase(), c.critical ? ' · critical' : '')),
          h('td', { 'data-label': 'Target' }, h('code', {}, c.target)),
          h('td', { 'data-label': 'Agents' }, agentsSummary(c)),
          h('td', { 'data-label': 'Latency' }, lat.length ? num(Math.max(...lat), ' ms') : '–'),
          h('td', { 'data-label': 'Uptime 24 h' }, c.uptime_percent == null ? '–' : num(c.uptime_percent, '%')));
      })))));
    drawCerts(list);
  }

  function drawCerts(list) {
    const rows = [];
    for (const c of list) {
      for (const a of c.agents) {
        if (!a.cert_expires_at) continue;
        rows.push({ c, a, days: certDays(a.cert_expires_at) });
      }
    }
    rows.sort((x, y) => x.days - y.days);
    certs.replaceChildren(h('h2', { id: 'certs-h' }, 'Certificate expiry'),
      rows.length ? h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Check', 'Seen from', 'Expires', 'Days left'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows.map(({ c, a, days }) => h('tr', { 'data-cert-check': c.name },
          h('td', {}, h('a', { href: `/checks/${c.id}` }, c.name)),
          h('td', {}, a.server_name || a.server_id),
          h('td', {}, parseTime(a.cert_expires_at)?.toISOString().slice(0, 10) || '–'),
          h('td', {}, h('span', { class: days <= (c.critical_days || 7) ? 'status-text-bad' : days <= (c.warn_days || 14) ? 'status-text-warn' : '' }, num(days, ' d', 0)))))))
        : h('p', { class: 'small muted' }, 'No certificates seen yet (tls and https checks report them).'));
  }

  ctx.onLive((e) => { if (e.type === 'check.changed' || e.type === 'alert.changed') reload(); });
  ctx.onReconnect(load);
  ctx.onCleanup(() => reload.cancel());
  load();
}

function mountOne(root, ctx, id) {
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Check'));
  const facts = h('section', { class: 'panel' }, h('p', { class: 'loading' }, 'Loading…'));
  const agents = h('section', { class: 'panel', 'aria-labelledby': 'agents-h' });
  const chartBox = h('div', { class: 'chart', id: 'latency-chart' });
  const chartPanel = h('section', { class: 'panel', 'aria-labelledby': 'latency-h' }, h('h2', { id: 'latency-h' }, 'Latency, last 24 h'), chartBox);
  root.append(h('p', { class: 'small' }, h('a', { href: '/checks' }, '← Checks')), head, facts, agents, chartPanel);
  let check = null;

  async function load() {
    try {
      const [c, hist] = await Promise.all([get(`/checks/${enc(id)}`), get(`/checks/${enc(id)}/history`, { hours: 24, limit: 5000 })]);
      if (!ctx.alive) return;
      check = c;
      draw(c, hist.history || []);
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 404) root.replaceChildren(empty('Check not found', `There is no check ${id}.`, h('a', { href: '/checks', class: 'btn' }, 'All checks')));
      else facts.replaceChildren(errorNotice(err));
    }
  }
  const reload = debounce(load, 300);

  function draw(c, hist) {
    ctx.setTitle(c.name);
    head.replaceChildren(h('h1', {}, c.name), checkState(c.state),
      h('button', { type: 'button', class: 'btn', id: 'edit-check', 'data-needs': 'operator', onclick: () => editCheck(c, load) }, 'Edit'),
      h('button', { type: 'button', class: 'btn btn-danger', id: 'delete-check', 'data-needs': 'operator', onclick: remove }, 'Delete'));
    const runsOn = c.all_agents ? 'every agent' : [...c.server_ids, ...(c.tags || []).map((t) => `#${t}`)].join(', ');
    facts.replaceChildren(h('dl', { class: 'facts' },
      ...[['Type', c.type.toUpperCase()], ['Target', c.target], ['Runs on', runsOn], ['Every', `${c.interval_seconds} s (timeout ${c.timeout_seconds} s)`],
        ['Alerts', `after ${c.retries} retr${c.retries === 1 ? 'y' : 'ies'}, when ${c.quorum ? c.quorum : 'all'} agent(s) see it failing · ${c.critical ? 'critical' : 'high'}`],
        ['Uptime 24 h', c.uptime_percent == null ? '–' : num(c.uptime_percent, '%')]].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]).flat()));
    agents.replaceChildren(h('h2', { id: 'agents-h' }, 'Results per agent'),
      c.agents.length ? h('table', { class: 'table', id: 'check-agents' },
        h('thead', {}, h('tr', {}, ['Agent', 'State', 'Latency', 'Detail', 'Checked'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, c.agents.map((a) => h('tr', { 'data-agent': a.server_id },
          h('td', {}, h('a', { href: `/servers/${enc(a.server_id)}` }, a.server_name || a.server_id)),
          h('td', {}, checkState(a.status), a.failures ? h('div', { class: 'small muted' }, `${a.failures} failure(s) in a row`) : null),
          h('td', {}, a.latency_ms == null ? '–' : num(a.latency_ms, ' ms')),
          h('td', { class: 'small' }, [a.status_code ? `HTTP ${a.status_code}` : null, a.method ? `via ${a.method}` : null,
            a.cert_expires_at ? `certificate until ${parseTime(a.cert_expires_at)?.toISOString().slice(0, 10)}` : null, a.error].filter(Boolean).join(' · ') || '–'),
          h('td', {}, ago(a.checked_at))))))
        : h('p', { class: 'small muted' }, 'No agent has reported it yet; agents pick it up with their next heartbeat.'));
    drawLatency(hist);
  }

  function drawLatency(hist) {
    const servers = [...new Set(hist.map((p) => p.server_id))];
    if (!hist.length) {
      chartBox.replaceChildren(h('p', { class: 'small muted' }, 'No results in the last 24 hours.'));
      return;
    }
    const points = hist.map((p) => ({ checked_at: p.checked_at, ['lat_' + p.server_id]: p.latency_ms }));
    drawChart(chartBox, points, ctx, {
      series: servers.map((s, i) => ['lat_' + s, s, COLOURS[i % COLOURS.length]]),
      unit: ' ms', max: null, time: 'checked_at', spanGaps: true, label: 'Latency of the check per agent over the last 24 hours',
    });
  }

  async function remove() {
    if (!(await confirm('Delete check?', `Delete "${check.name}" and its results? Its open alert resolves.`, 'Delete'))) return;
    try {
      await api('DELETE', `/checks/${enc(id)}`);
      toast(`${check.name} deleted`);
      ctx.navigate('/checks');
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  ctx.onLive((e) => { if (e.type === 'check.changed' && (!e.data || String(e.data.check_id) === String(id))) reload(); });
  ctx.onReconnect(load);
  ctx.onCleanup(() => reload.cancel());
  load();
}

/** editCheck opens the form to define (c null) or change a check. */
export function editCheck(c, done) {
  const creating = !c;
  dialog(creating ? 'New check' : `Edit ${c.name}`, (close) => {
    const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'field-hint' }, hint) : null);
    const input = (id, name, value, attrs = {}) => h('input', { id, name, value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs });
    const typeSel = h('select', { id: 'chk-type', name: 'type', disabled: !creating },
      TYPES.map(([v, t]) => h('option', { value: v, selected: (c?.type || 'http') === v }, t)));
    const targetHint = h('p', { class: 'field-hint', id: 'chk-target-hint' });
    const perType = {
      http: h('fieldset', { 'data-for': 'http' }, h('legend', {}, 'HTTP'),
        field('chk-method', 'Method', h('select', { id: 'chk-method', name: 'method' }, ['GET', 'HEAD', 'POST'].map((m) => h('option', { selected: (c?.method || 'GET') === m }, m)))),
        field('chk-status', 'Expected status codes', input('chk-status', 'expected_status', (c?.expected_status || []).join(', '), { placeholder: '200-399 when empty' })),
        field('chk-keyword', 'Keyword in the body', input('chk-keyword', 'keyword', c?.keyword)),
        field('chk-jsonpath', 'Or a JSON path', input('chk-jsonpath', 'json_path', c?.json_path, { placeholder: 'e.g. status.healthy' })),
        field('chk-jsonvalue', 'whose value is', input('chk-jsonvalue', 'json_value', c?.json_value, { placeholder: 'e.g. true' })),
        field('chk-headers', 'Headers (one "Name: value" a line)', h('textarea', { id: 'chk-headers', name: 'headers', rows: 2 },
          Object.entries(c?.headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n'))),
        h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'follow_redirects', checked: !!c?.follow_redirects }), 'Follow redirects')),
      dns: h('fieldset', { 'data-for': 'dns' }, h('legend', {}, 'DNS'),
        field('chk-rtype', 'Record type', h('select', { id: 'chk-rtype', name: 'record_type' }, ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS'].map((t) => h('option', { selected: (c?.record_type || 'A') === t }, t)))),
        field('chk-expected', 'Expected answer (optional)', input('chk-expected', 'expected', c?.expected)),
        field('chk-resolver', 'Resolver (optional, host:port)', input('chk-resolver', 'resolver', c?.resolver, { placeholder: 'e.g. 192.168.1.2:53' }))),
      tls: h('fieldset', { 'data-for': 'tls' }, h('legend', {}, 'Certificate'),
        field('chk-warn', 'Warn days before expiry', input('chk-warn', 'warn_days', c?.warn_days || 14, { type: 'number', min: 0 })),
        field('chk-crit', 'Fail days before expiry', input('chk-crit', 'critical_days', c?.critical_days || 7, { type: 'number', min: 0 }))),
    };
    const skip = h('label', { class: 'field-check', id: 'chk-skip-wrap' }, h('input', { type: 'checkbox', name: 'skip_tls_verify', checked: !!c?.skip_tls_verify }), 'Do not verify the certificate (self-signed)');
    const form = h('form', { novalidate: true, id: 'check-form' },
      field('chk-name', 'Name', input('chk-name', 'name', c?.name, { required: true })),
      field('chk-type', 'Type', typeSel),
      h('div', { class: 'field' }, h('label', { for: 'chk-target' }, 'Target'), input('chk-target', 'target', c?.target, { required: true, 'aria-describedby': 'chk-target-hint' }), targetHint),
      perType.http, perType.dns, perType.tls, skip,
      field('chk-servers', 'Run on servers (ids, comma separated)', input('chk-servers', 'server_ids', (c?.server_ids || []).join(', '))),
      field('chk-tags', 'and on servers tagged (comma separated)', input('chk-tags', 'tags', (c?.tags || []).join(', '))),
      h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'all_agents', checked: !!c?.all_agents }), 'Run on every agent'),
      field('chk-interval', 'Every (seconds)', input('chk-interval', 'interval_seconds', c?.interval_seconds || 60, { type: 'number', min: 5 })),
      field('chk-timeout', 'Timeout (seconds)', input('chk-timeout', 'timeout_seconds', c?.timeout_seconds || 10, { type: 'number', min: 1 })),
      field('chk-retries', 'Retries before it counts as down', input('chk-retries', 'retries', c?.retries ?? 1, { type: 'number', min: 0, max: 10 })),
      field('chk-quorum', 'Agents that must see it failing (0: all)', input('chk-quorum', 'quorum', c?.quorum ?? 0, { type: 'number', min: 0 })),
      h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'critical', checked: !!c?.critical }), 'Critical: a failure raises a critical alert'),
      h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'enabled', checked: c ? c.enabled : true }), 'Enabled'),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn btn-primary' }, creating ? 'Create check' : 'Save')));
    const showType = () => {
      const t = typeSel.value;
      for (const [k, fs] of Object.entries(perType)) fs.hidden = k !== t;
      skip.hidden = t !== 'http' && t !== 'tls';
      targetHint.textContent = TARGET_HINT[t];
    };
    typeSel.addEventListener('change', showType);
    showType();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const f = form.elements;
      const t = typeSel.value;
      const n = (name) => Number(f[name].value) || 0;
      const payload = {
        name: f.name.value.trim(), target: f.target.value.trim(),
        server_ids: f.server_ids.value.split(',').map((s) => s.trim()).filter(Boolean), all_agents: f.all_agents.checked,
        tags: f.tags.value.split(',').map((s) => s.trim().replace(/^#/, '')).filter(Boolean),
        interval_seconds: n('interval_seconds'), timeout_seconds: n('timeout_seconds'), retries: n('retries'), quorum: n('quorum'),
        critical: f.critical.checked, enabled: f.enabled.checked, skip_tls_verify: f.skip_tls_verify.checked,
        method: '', expected_status: [], keyword: '', json_path: '', json_value: '', headers: {}, follow_redirects: false,
        record_type: '', expected: '', resolver: '', warn_days: 0, critical_days: 0,
      };
      if (creating) payload.type = t;
      if (t === 'http') {
        Object.assign(payload, { method: f.method.value, keyword: f.keyword.value, json_path: f.json_path.value.trim(), json_value: f.json_value.value,
          follow_redirects: f.follow_redirects.checked,
          expected_status: f.expected_status.value.split(/[\s,]+/).filter(Boolean).map(Number) });
        for (const line of f.headers.value.split('\n')) {
          const i = line.indexOf(':');
          if (i > 0) payload.headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
      } else if (t === 'dns') {
        Object.assign(payload, { record_type: f.record_type.value, expected: f.expected.value.trim(), resolver: f.resolver.value.trim() });
      } else if (t === 'tls') {
        Object.assign(payload, { warn_days: n('warn_days'), critical_days: n('critical_days') });
      }
      const submit = form.querySelector('[type=submit]');
      submit.disabled = true;
      try {
        const saved = creating ? await api('POST', '/checks', payload) : await api('PUT', `/checks/${c.id}`, payload);
        toast(creating ? `${saved.name} created` : `${saved.name} saved`);
        close(true);
        done();
      } catch (err) {
        if (err.status === 409) err.fields = { name: err.message };
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields || {}).length) {
          form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
        }
      } finally {
        submit.disabled = false;
      }
    });
    queueMicrotask(() => form.elements.name.focus());
    return form;
  });
}

/** checksPanel is the server page's panel of the checks that server runs. */
export function checksPanel(serverId, ctx) {
  const el = h('section', { class: 'panel', 'aria-labelledby': 'srv-checks-h', id: 'server-checks' });
  async function load() {
    try {
      const d = await get('/checks', { server_id: serverId });
      if (!ctx.alive) return;
      const list = d.checks || [];
      el.hidden = !list.length;
      el.replaceChildren(h('h2', { id: 'srv-checks-h' }, 'Checks run from here'),
        h('table', { class: 'table' }, h('tbody', {}, list.map((c) => {
          const mine = c.agents.find((a) => a.server_id === serverId);
          return h('tr', { 'data-check-name': c.name },
            h('td', {}, h('a', { href: `/checks/${c.id}` }, c.name)),
            h('td', {}, checkState(mine ? mine.status : 'pending')),
            h('td', { class: 'small muted' }, mine?.latency_ms == null ? '' : num(mine.latency_ms, ' ms')),
            h('td', { class: 'small muted' }, mine?.error || ''));
        }))));
    } catch (err) {
      if (ctx.alive && !err.notAvailable) el.replaceChildren(errorNotice(err));
    }
  }
  const reload = debounce(load, 300);
  ctx.onLive((e) => { if (e.type === 'check.changed') reload(); });
  ctx.onCleanup(() => reload.cancel());
  load();
  return { el };
}
