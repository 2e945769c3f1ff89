// machines-more.js: the Machines page's scan schedules (hosts scanned by
// the hub's clock job) and connectivity mode (tailscale or direct SSH,
// and a Tailscale OAuth client instead of an API key).
import { api, get, enc } from '../api.js';
import { h, fill, ago, empty, errorNotice, toast, showFieldErrors, clearFieldErrors } from '../ui.js';

const field = (id, name, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, ...attrs }));

/** schedulePanel returns the scan-schedule section. */
export function schedulePanel(ctx) {
  const box = h('div', { id: 'scan-schedules', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, id: 'schedule-form', 'data-needs': 'admin' },
    h('div', { class: 'settings-grid' },
      field('sched-hostname', 'hostname', 'Host', { type: 'text', required: true, placeholder: 'nas.lan' }),
      field('sched-port', 'port', 'Port', { type: 'number', min: 1, max: 65535, placeholder: '22' }),
      field('sched-username', 'username', 'User', { type: 'text', placeholder: 'root' }),
      field('sched-interval', 'interval_minutes', 'Every (minutes)', { type: 'number', min: 15, max: 10080, value: 1440 }),
      h('div', { class: 'field' }, h('label', { for: 'sched-type' }, 'Scan'),
        h('select', { id: 'sched-type', name: 'scan_type' }, h('option', { value: 'quick' }, 'quick'), h('option', { value: 'full' }, 'full')))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Schedule')));
  const el = h('section', { class: 'panel', 'aria-labelledby': 'sched-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'sched-h' }, 'Scheduled scans')), form, box);

  async function load() {
    try {
      const s = await get('/scans/schedules');
      if (!ctx.alive) return;
      fill(box, s.total ? h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Host', 'Every', 'Last run', 'Next run', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, s.schedules.map((c) => h('tr', { 'data-schedule': c.id },
          h('td', { 'data-label': 'Host', class: 'mono' }, `${c.username}@${c.id} (${c.scan_type})`),
          h('td', { 'data-label': 'Every' }, `${c.interval_minutes} min${c.enabled ? '' : ' (off)'}`),
          h('td', { 'data-label': 'Last run' }, c.last_run_at ? ago(c.last_run_at) : 'never', c.last_error ? h('div', { class: 'small status-text-bad' }, c.last_error) : null),
          h('td', { 'data-label': 'Next run' }, c.next_run_at && !c.next_run_at.startsWith('0001') ? ago(c.next_run_at) : (c.enabled ? 'at the next minute' : '—')),
          h('td', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', onclick: () => remove(c.id) }, 'Remove'))))))
        : empty('No scheduled scans', 'Scan a host every day, or as often as you like (at least 15 minutes apart).'));
    } catch (err) { if (ctx.alive) fill(box, errorNotice(err)); }
  }
  async function remove(id) {
    try { await api('DELETE', `/scans/schedules/${enc(id)}`); toast('Schedule removed'); load(); } catch (err) { toast(err.message, 'error'); }
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const f = form.elements;
    try {
      await api('PUT', '/scans/schedules', { hostname: f.hostname.value.trim(), port: Number(f.port.value) || 0, username: f.username.value.trim(),
        scan_type: f.scan_type.value, interval_minutes: Number(f.interval_minutes.value) || 0 });
      toast('Scan scheduled');
      load();
    } catch (err) {
      const rest = showFieldErrors(form, err);
      if (rest.length || !Object.keys(err.fields || {}).length) toast(rest[0] || err.message, 'error');
    }
  });
  load();
  return el;
}

/** connectivityPanel returns the connectivity section. */
export function connectivityPanel(ctx) {
  const box = h('div', { id: 'connectivity', 'aria-live': 'polite' });
  const oauthForm = h('form', { novalidate: true, id: 'tailscale-oauth-form', 'data-needs': 'admin' },
    h('div', { class: 'settings-grid' },
      field('ts-client-id', 'client_id', 'Tailscale OAuth client id', { type: 'text', autocomplete: 'off' }),
      field('ts-client-secret', 'client_secret', 'Client secret', { type: 'password', autocomplete: 'off' }),
      field('ts-tailnet', 'tailnet', 'Tailnet', { type: 'text', placeholder: '-' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Store OAuth client')));
  const el = h('section', { class: 'panel', 'aria-labelledby': 'conn-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'conn-h' }, 'Connectivity')), box, oauthForm);

  async function load() {
    try {
      const [c, st] = await Promise.all([get('/settings/connectivity'), get('/settings/connectivity/status')]);
      if (!ctx.alive) return;
      const select = h('select', { id: 'connectivity-mode', 'data-needs': 'admin', onchange: () => setMode(select.value) },
        ['direct_ssh', 'tailscale'].map((m) => h('option', { value: m, selected: m === c.mode }, m === 'tailscale' ? 'Tailscale' : 'Direct SSH')));
      fill(box, h('div', { class: 'field' }, h('label', { for: 'connectivity-mode' }, `Mode${c.mode_auto_detected ? ' (detected)' : ''}`), select),
        h('p', { class: st.ready ? 'status-text-ok' : 'status-text-bad', id: 'connectivity-status' }, `${st.ready ? '✓' : '✕'} ${st.detail}`),
        h('p', { class: 'small muted' }, `Tailscale: ${c.tailscale.configured ? 'configured' : 'not configured'} · SSH user ${c.ssh.username}, default key ${c.ssh.key_configured ? 'set' : 'missing'}`));
    } catch (err) { if (ctx.alive) fill(box, errorNotice(err)); }
  }
  async function setMode(mode) {
    try { await api('PUT', '/settings/connectivity', { mode }); toast(`Connectivity: ${mode}`); } catch (err) { toast(err.message, 'error'); }
    load();
  }
  oauthForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(oauthForm);
    const f = oauthForm.elements;
    try {
      await api('POST', '/settings/tailscale/oauth', { client_id: f.client_id.value.trim(), client_secret: f.client_secret.value, tailnet: f.tailnet.value.trim() });
      f.client_secret.value = '';
      toast('Tailscale OAuth client stored');
      load();
    } catch (err) {
      const rest = showFieldErrors(oauthForm, err);
      if (rest.length || !Object.keys(err.fields || {}).length) toast(rest[0] || err.message, 'error');
    }
  });
  load();
  return el;
}
