// server-ssh.js: a server's SSH side (machines without an agent): how the
// hub reaches it, which credentials apply (never the secrets), a login
// test, whitelisted commands and configuration packs.
import { api, get, enc } from '../api.js';
import { h, fill, ago, errorNotice, toast, showFieldErrors, clearFieldErrors } from '../ui.js';

/** sshPanel returns {el} for the server page. */
export function sshPanel(id, ctx) {
  const base = `/servers/${enc(id)}`;
  const credBox = h('div', { id: 'ssh-credentials' });
  const testBox = h('div', { id: 'ssh-test-result', 'aria-live': 'polite' });
  const outBox = h('pre', { id: 'command-output', class: 'mono small', hidden: true });
  const packBox = h('div', { id: 'config-packs' });
  const field = (fid, name, label, attrs) => h('div', { class: 'field' }, h('label', { for: fid }, label), h('input', { id: fid, name, ...attrs }));

  const targetForm = h('form', { novalidate: true, id: 'ssh-target-form', 'data-needs': 'admin' },
    h('div', { class: 'settings-grid' },
      field('ssh-host', 'host', 'Host', { type: 'text', required: true }),
      field('ssh-port', 'port', 'Port', { type: 'number', min: 1, max: 65535 }),
      field('ssh-username', 'username', 'User', { type: 'text' }),
      field('ssh-jump', 'jump_server_id', 'Jump server (optional)', { type: 'text', placeholder: 'server id' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Save address'),
      ' ', h('button', { type: 'button', class: 'btn btn-primary', id: 'ssh-test', onclick: test }, 'Test SSH')));
  const credForm = h('form', { novalidate: true, id: 'credential-form', 'data-needs': 'admin' },
    h('div', { class: 'settings-grid' },
      h('div', { class: 'field' }, h('label', { for: 'cred-type' }, 'Credential'),
        h('select', { id: 'cred-type', name: 'credential_type' }, ['ssh_password', 'ssh_private_key', 'sudo_password'].map((t) => h('option', { value: t }, t)))),
      h('div', { class: 'field' }, h('label', { for: 'cred-value' }, 'Secret'), h('textarea', { id: 'cred-value', name: 'value', rows: 2, autocomplete: 'off', spellcheck: 'false' }))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Store')));
  const cmdForm = h('form', { novalidate: true, id: 'command-form', 'data-needs': 'admin' },
    h('div', { class: 'field' }, h('label', { for: 'command' }, 'Command (whitelisted)'),
      h('input', { id: 'command', name: 'command', type: 'text', placeholder: 'systemctl status nginx', list: 'command-templates' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Run')));

  const el = h('section', { class: 'panel', 'aria-labelledby': 'ssh-h', id: 'ssh-panel' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'ssh-h' }, 'SSH')),
    targetForm, testBox, h('h3', {}, 'Credentials'), credBox, credForm,
    h('h3', {}, 'Commands'), cmdForm, outBox, h('h3', {}, 'Configuration packs'), packBox);

  async function load() {
    try {
      const t = await get(`${base}/ssh`);
      targetForm.elements.host.value = t.host;
      targetForm.elements.port.value = t.port;
      targetForm.elements.username.value = t.username;
      targetForm.elements.jump_server_id.value = t.jump_server_id || '';
    } catch { /* a viewer sees the rest */ }
    try {
      const c = await get(`${base}/credentials`);
      fill(credBox, h('ul', {}, c.credentials.map((x) => h('li', { 'data-credential': x.credential_type },
        `${x.credential_type}: `, x.configured ? `set (${x.scope}${x.updated_at ? ', ' + ago(x.updated_at) : ''})` : 'none'))));
    } catch (err) {
      fill(credBox, err.status === 403 ? h('p', { class: 'muted small' }, 'Only admins see credentials.') : errorNotice(err));
    }
    loadPacks();
  }

  async function loadPacks() {
    try {
      const [p, d] = await Promise.all([get(`${base}/config/packs`), get(`${base}/config/diff`).catch(() => null)]);
      fill(packBox, h('p', {}, `Assigned: ${p.assigned_packs.join(', ')} · drift detection ${p.drift_detection_enabled ? 'on' : 'off'} `,
        h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', onclick: () => setDrift(!p.drift_detection_enabled) }, p.drift_detection_enabled ? 'Turn off' : 'Turn on'),
        ' ', h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', id: 'config-check', onclick: check }, 'Check now')),
        applyForm(p.assigned_packs),
        d ? (d.total ? h('table', { class: 'table', id: 'config-diff' },
          h('thead', {}, h('tr', {}, ['Pack', 'Item', 'Expected', 'Actual'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, d.mismatches.map((m) => h('tr', {}, h('td', {}, m.pack), h('td', {}, `${m.type} ${m.name}`), h('td', {}, m.expected), h('td', {}, m.actual)))))
          : h('p', { class: 'status-text-ok' }, `✓ Compliant (checked ${ago(d.checked_at)})`)) : h('p', { class: 'muted small' }, 'Not checked yet.'));
    } catch (err) { fill(packBox, errorNotice(err)); }
  }
  // Applying a pack is queued for approval (Actions page); the hub then
  // changes what is out of line over SSH.
  function applyForm(packs) {
    const select = h('select', { id: 'apply-pack', 'aria-label': 'Pack to apply' }, packs.map((n) => h('option', { value: n }, n)));
    return h('p', { 'data-needs': 'admin' }, select, ' ',
      h('button', { type: 'button', class: 'btn btn-small', id: 'config-apply', onclick: () => applyPack(select.value) }, 'Apply (needs approval)'));
  }
  async function applyPack(pack) {
    try {
      const a = await api('POST', `${base}/config/apply`, { pack_name: pack });
      toast(`Applying ${pack} is queued as action #${a.apply_id}: approve it on the Actions page`);
    } catch (err) { toast(err.message, 'error'); }
  }
  async function setDrift(on) {
    try { await api('PUT', `${base}/config/packs`, { drift_detection_enabled: on }); loadPacks(); } catch (err) { toast(err.message, 'error'); }
  }
  async function check() {
    try { await api('POST', `${base}/config/check`); loadPacks(); } catch (err) { toast(err.message, 'error'); }
  }

  async function test() {
    fill(testBox, h('p', { class: 'loading' }, 'Connecting…'));
    try {
      const r = await api('POST', `${base}/test-ssh`);
      fill(testBox, h('p', { class: r.success ? 'status-text-ok' : 'status-text-bad' },
        r.success ? `✓ Logged in to ${r.address} as ${r.username}` : `✕ ${r.error}`),
        r.host_key_fingerprint ? h('p', { class: 'small mono' }, `Host key ${r.host_key_fingerprint}${r.host_key_new ? ' — pinned now: compare it with the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)' : ''}`) : null);
    } catch (err) { fill(testBox, errorNotice(err)); }
  }

  targetForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(targetForm);
    const f = targetForm.elements;
    try { await api('PUT', `${base}/ssh`, { host: f.host.value.trim(), port: Number(f.port.value) || 0, username: f.username.value.trim(), jump_server_id: f.jump_server_id.value.trim() || null }); toast('SSH address saved'); } catch (err) { showFieldErrors(targetForm, err); toast(err.message, 'error'); }
  });
  credForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(credForm);
    const f = credForm.elements;
    try {
      await api('POST', `${base}/credentials`, { credential_type: f.credential_type.value, value: f.value.value });
      f.value.value = '';
      toast('Credential stored');
      load();
    } catch (err) { showFieldErrors(credForm, err); toast(err.message, 'error'); }
  });
  cmdForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    outBox.hidden = false;
    outBox.textContent = 'Running…';
    try {
      const r = await api('POST', `${base}/commands/execute`, { command: cmdForm.elements.command.value.trim() });
      outBox.textContent = `exit ${r.exit_code} after ${r.execution_time_ms} ms${r.truncated ? ' (output cut)' : ''}\n${r.stdout}${r.stderr}`;
    } catch (err) { outBox.textContent = `✕ ${err.message}`; }
  });
  get('/commands/templates').then((t) => {
    el.append(h('datalist', { id: 'command-templates' }, t.templates.map((x) => h('option', { value: x.example }, x.action_type))));
  }).catch(() => {});

  load();
  return { el };
}
