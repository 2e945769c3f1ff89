// machines.js: machines without an agent. Find them (a subnet sweep, the
// tailnet), scan them over SSH, import them as servers; the default SSH
// key's public half to put on them.
import { api, get, enc } from '../api.js';
import { h, fill, ago, empty, errorNotice, notAvailable, toast, showFieldErrors, clearFieldErrors, dialog } from '../ui.js';
import { schedulePanel, connectivityPanel } from './machines-more.js';

export function mount(root, ctx) {
  ctx.setTitle('Machines');
  const keyBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const devBox = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const scanBox = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const field = (id, name, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, ...attrs }));

  const sweepForm = h('form', { novalidate: true, id: 'sweep-form' },
    h('div', { class: 'settings-grid' },
      field('sweep-subnet', 'subnet', 'Subnet', { type: 'text', required: true, placeholder: '192.168.1.0/24' }),
      h('div', { class: 'field' }, h('label', {}, h('input', { type: 'checkbox', name: 'confirm', id: 'sweep-confirm' }), ' Larger than a /22: I mean it'))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-needs': 'admin' }, 'Sweep')));
  const scanForm = h('form', { novalidate: true, id: 'scan-form' },
    h('div', { class: 'settings-grid' },
      field('scan-hostname', 'hostname', 'Host', { type: 'text', required: true, placeholder: '192.168.1.20 or nas.lan' }),
      field('scan-port', 'port', 'Port', { type: 'number', min: 1, max: 65535, placeholder: '22' }),
      field('scan-username', 'username', 'User', { type: 'text', placeholder: 'root' }),
      h('div', { class: 'field' }, h('label', { for: 'scan-type' }, 'Scan'),
        h('select', { id: 'scan-type', name: 'scan_type' }, h('option', { value: 'quick' }, 'quick'), h('option', { value: 'full' }, 'full')))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-needs': 'admin' }, 'Scan')));

  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Machines without an agent')),
    h('section', { class: 'panel', 'aria-labelledby': 'key-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'key-h' }, 'SSH key')), keyBox),
    h('section', { class: 'panel', 'aria-labelledby': 'disc-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'disc-h' }, 'Discovery')), sweepForm, devBox),
    h('section', { class: 'panel', 'aria-labelledby': 'scan-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'scan-h' }, 'Scans')), scanForm, scanBox),
    schedulePanel(ctx), connectivityPanel(ctx));

  async function loadKey() {
    try {
      const k = await get('/settings/ssh/keys');
      const key = (k.keys || [])[0];
      fill(keyBox, key
        ? [h('p', {}, 'Add this line to ', h('code', {}, '~/.ssh/authorized_keys'), ' on each machine:'), h('pre', { class: 'mono small', id: 'public-key' }, key.public_key), h('p', { class: 'small muted' }, key.fingerprint)]
        : empty('No SSH key yet', 'Generate one; only its public half is ever shown.'),
        h('button', { type: 'button', class: 'btn', 'data-needs': 'admin', onclick: generate }, key ? 'Replace with a new key' : 'Generate key'));
    } catch (err) {
      fill(keyBox, err.notAvailable ? notAvailable('SSH') : errorNotice(err));
    }
  }
  async function generate() {
    try { await api('POST', '/settings/ssh/keys', { comment: 'homelabcmd' }); toast('New SSH key generated'); loadKey(); } catch (err) { toast(err.message, 'error'); }
  }

  async function loadDevices() {
    try {
      const d = await get('/discovery/devices');
      if (!ctx.alive) return;
      const list = d.devices || [];
      fill(devBox, d.tailscale_error ? h('p', { class: 'notice' }, `Tailscale: ${d.tailscale_error}`) : null,
        list.length ? deviceTable(list) : empty('Nothing found yet', 'Sweep a subnet you own, or set a Tailscale API key.'));
    } catch (err) {
      if (ctx.alive) fill(devBox, err.notAvailable ? notAvailable('Discovery') : errorNotice(err));
    }
  }
  function deviceTable(list) {
    return h('table', { class: 'table', id: 'devices' },
      h('thead', {}, h('tr', {}, ['Address', 'Name', 'Source', 'Open ports', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((d) => h('tr', { 'data-ip': d.ip },
        h('td', { 'data-label': 'Address', class: 'mono' }, d.ip || '—'),
        h('td', { 'data-label': 'Name' }, d.hostname || ''),
        h('td', { 'data-label': 'Source' }, d.source),
        h('td', { 'data-label': 'Open ports' }, (d.open_ports || []).join(', ')),
        h('td', { class: 'actions' }, d.server_id
          ? h('a', { href: `/servers/${enc(d.server_id)}` }, d.server_id)
          : h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', onclick: () => importDevice(d) }, 'Import'))))));
  }
  async function importDevice(d) {
    const id = await askID((d.hostname || d.ip || '').split('.')[0].toLowerCase().replace(/[^a-z0-9-]/g, '-'));
    if (!id) return;
    try {
      if (d.source === 'tailscale') await api('POST', '/tailscale/import', { device_id: d.device_id, server_id: id });
      else await api('POST', '/discovery/import', { hostname: d.ip, server_id: id });
      toast(`${id} imported`);
      loadDevices();
    } catch (err) { toast(err.message, 'error'); }
  }

  sweepForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(sweepForm);
    try {
      const d = await api('POST', '/discovery', { subnet: sweepForm.elements.subnet.value.trim(), confirm: sweepForm.elements.confirm.checked });
      toast(`Sweeping ${d.subnet}…`);
      for (let i = 0; i < 120 && ctx.alive; i++) {
        const cur = await get(`/discovery/${d.discovery_id}`);
        if (cur.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      loadDevices();
    } catch (err) {
      const rest = showFieldErrors(sweepForm, err);
      if (rest.length || !Object.keys(err.fields || {}).length) toast(rest[0] || err.message, 'error');
    }
  });

  async function loadScans() {
    try {
      const s = await get('/scans', { limit: 20 });
      if (!ctx.alive) return;
      const list = s.scans || [];
      fill(scanBox, list.length ? h('table', { class: 'table', id: 'scans' },
        h('thead', {}, h('tr', {}, ['Host', 'Status', 'System', 'Started', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.map((sc) => {
          const r = sc.results || {};
          return h('tr', { 'data-scan-id': sc.scan_id, 'data-status': sc.status },
            h('td', { 'data-label': 'Host', class: 'mono' }, `${sc.username}@${sc.hostname}:${sc.port}`),
            h('td', { 'data-label': 'Status' }, sc.status, sc.error ? h('div', { class: 'small status-text-bad' }, sc.error) : null),
            h('td', { 'data-label': 'System' }, r.os ? `${r.hostname} · ${r.os.pretty_name || r.os.name} · ${r.kernel}` : '',
              sc.host_key_fingerprint ? h('div', { class: 'small muted mono' }, `host key ${sc.host_key_fingerprint}`) : null),
            h('td', { 'data-label': 'Started' }, ago(sc.started_at)),
            h('td', { class: 'actions' }, sc.status === 'completed'
              ? h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', onclick: () => importScan(sc) }, 'Import') : null));
        }))) : empty('No scans yet', 'Scan a host to see its OS, disks and services.'));
    } catch (err) {
      if (ctx.alive) fill(scanBox, err.notAvailable ? notAvailable('Scans') : errorNotice(err));
    }
  }
  async function importScan(sc) {
    const id = await askID(((sc.results && sc.results.hostname) || sc.hostname).split('.')[0].toLowerCase().replace(/[^a-z0-9-]/g, '-'));
    if (!id) return;
    try { await api('POST', `/scans/${sc.scan_id}/import`, { server_id: id }); toast(`${id} imported`); ctx.navigate(`/servers/${enc(id)}`); } catch (err) { toast(err.message, 'error'); }
  }
  scanForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(scanForm);
    const f = scanForm.elements;
    try {
      await api('POST', '/scans', { hostname: f.hostname.value.trim(), port: Number(f.port.value) || 0, username: f.username.value.trim(), scan_type: f.scan_type.value });
      toast('Scan started');
      loadScans();
    } catch (err) {
      const rest = showFieldErrors(scanForm, err);
      if (rest.length || !Object.keys(err.fields || {}).length) toast(rest[0] || err.message, 'error');
    }
  });

  function askID(suggested) {
    return dialog('Import as server', (close) => {
      const input = h('input', { id: 'import-id', name: 'server_id', type: 'text', value: suggested, required: true, pattern: '[a-z0-9-]+' });
      return h('form', { onsubmit: (e) => { e.preventDefault(); close(input.value.trim()); } },
        h('div', { class: 'field' }, h('label', { for: 'import-id' }, 'Server id'), input),
        h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close('') }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, 'Import')));
    });
  }

  loadKey();
  loadDevices();
  loadScans();
  ctx.every(5000, loadScans);
}
