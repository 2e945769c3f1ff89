// alerts.js: open, acknowledged and resolved alerts with filters (kept in
// the URL), acknowledge and resolve, and paging.
import { api, get } from '../api.js';
import { h, ago, severity, empty, errorNotice, notAvailable, debounce, toast, confirm } from '../ui.js';

const PAGE = 50;
const STATUS_LOOK = { open: ['●', 'Open', 'bad'], acknowledged: ['✓', 'Acknowledged', 'warn'], resolved: ['✔', 'Resolved', 'ok'] };

export function mount(root, ctx) {
  ctx.setTitle('Alerts');
  const q = ctx.query;
  let offset = Number(q.get('offset')) || 0;
  const sel = (id, label, opts, value) => h('label', { class: 'small' }, label + ' ',
    h('select', { id, 'data-filter': id }, opts.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
  const statusSel = sel('alert-status', 'Status', [['', 'Active (open + acknowledged)'], ['open', 'Open'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved'], ['all', 'All']], q.get('status') || '');
  const sevSel = sel('alert-severity', 'Severity', [['', 'Any'], ['critical', 'Critical'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']], q.get('severity') || '');
  const serverSel = h('select', { id: 'alert-server' }, h('option', { value: '' }, 'Any server'));
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading alerts…'));
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Alerts')),
    h('div', { class: 'filters', role: 'search' }, statusSel, sevSel, h('label', { class: 'small' }, 'Server ', serverSel)),
    body);

  get('/servers').then((d) => {
    for (const s of d.servers || []) serverSel.append(h('option', { value: s.id, selected: s.id === q.get('server_id') }, s.display_name || s.hostname || s.id));
  }).catch(() => {});
  if (q.get('server_id')) serverSel.append(h('option', { value: q.get('server_id'), selected: true }, q.get('server_id')));

  const onFilter = () => {
    offset = 0;
    const p = new URLSearchParams();
    for (const [k, v] of [['status', statusSel.querySelector('select').value], ['severity', sevSel.querySelector('select').value], ['server_id', serverSel.value]]) if (v) p.set(k, v);
    history.replaceState(null, '', '/alerts' + (p.toString() ? '?' + p : ''));
    load();
  };
  root.querySelectorAll('select').forEach((s) => s.addEventListener('change', onFilter));

  async function load() {
    const st = statusSel.querySelector('select').value;
    const common = { severity: sevSel.querySelector('select').value, server_id: serverSel.value };
    try {
      let alerts, total;
      if (st === '') {
        // "Active" is two queries: the API filters one status at a time.
        const [o, a] = await Promise.all([get('/alerts', { ...common, status: 'open', limit: 100 }), get('/alerts', { ...common, status: 'acknowledged', limit: 100 })]);
        alerts = [...(o.alerts || []), ...(a.alerts || [])];
        total = alerts.length;
      } else {
        const d = await get('/alerts', { ...common, status: st === 'all' ? '' : st, limit: PAGE, offset });
        alerts = d.alerts || [];
        total = d.total ?? alerts.length;
      }
      if (ctx.alive) draw(alerts, total, st !== '');
    } catch (err) {
      if (!ctx.alive) return;
      body.replaceChildren(err.notAvailable ? notAvailable('The alerts view') : errorNotice(err));
    }
  }
  const reload = debounce(load, 200);

  function draw(alerts, total, paged) {
    if (!alerts.length) {
      body.replaceChildren(empty('No alerts', 'Nothing matches these filters. ✓'));
      return;
    }
    const rows = alerts.map((a) => {
      const [icon, word] = STATUS_LOOK[a.status] || ['?', a.status];
      const canAck = a.status === 'open' && a.can_acknowledge !== false;
      return h('tr', { 'data-alert-id': a.id, 'data-status': a.status },
        h('td', { 'data-label': 'Severity' }, severity(a.severity)),
        h('td', { 'data-label': 'Alert' }, h('strong', {}, a.title), a.message ? h('div', { class: 'small muted' }, a.message) : null),
        h('td', { 'data-label': 'Server' }, h('a', { href: `/servers/${encodeURIComponent(a.server_id)}` }, a.server_name || a.server_id)),
        h('td', { 'data-label': 'Status' }, h('span', { class: `status status-text-${STATUS_LOOK[a.status]?.[2] || 'unknown'}` }, `${icon} ${word}`),
          a.auto_resolved ? h('div', { class: 'small muted' }, 'auto-resolved') : null,
          a.resolved_by ? h('div', { class: 'small muted' }, `by ${a.resolved_by}`)
            : a.acknowledged_by ? h('div', { class: 'small muted' }, `acknowledged by ${a.acknowledged_by}`) : null),
        h('td', { 'data-label': 'Raised' }, ago(a.created_at)),
        h('td', { class: 'actions' },
          a.status === 'open' ? h('button', {
            type: 'button', class: 'btn btn-small', onclick: () => act(a, 'acknowledge'), disabled: !canAck, 'data-needs': 'operator',
            title: canAck ? 'Acknowledge' : 'The service is still down; it can be acknowledged once it runs again',
          }, 'Acknowledge') : null,
          a.status !== 'resolved' ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => act(a, 'resolve'), 'data-needs': 'operator' }, 'Resolve') : null));
    });
    const pager = paged && total > PAGE ? h('div', { class: 'form-actions' },
      h('span', { class: 'muted small' }, `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}`),
      h('button', { type: 'button', class: 'btn btn-small', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); load(); } }, '← Newer'),
      h('button', { type: 'button', class: 'btn btn-small', disabled: offset + PAGE >= total, onclick: () => { offset += PAGE; load(); } }, 'Older →')) : null;
    body.replaceChildren(h('div', { class: 'panel' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Severity', 'Alert', 'Server', 'Status', 'Raised', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)), pager));
  }

  async function act(a, verb) {
    if (verb === 'resolve' && !(await confirm('Resolve alert?', `Mark "${a.title}" resolved? It opens again if the problem comes back.`, 'Resolve', false))) return;
    try {
      await api('POST', `/alerts/${a.id}/${verb}`);
      toast(verb === 'resolve' ? 'Alert resolved' : 'Alert acknowledged');
      load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  ctx.onLive((e) => { if (e.type === 'alert.changed') reload(); });
  ctx.onReconnect(load);
  ctx.onCleanup(() => reload.cancel());
  load();
}
