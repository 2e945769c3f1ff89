// channels.js: the notification channels panel of the settings page. The
// form for each provider is generated from the hub's description of its
// config (GET /notifications/providers); secrets come back masked and are
// kept when left empty.
import { api, get, enc } from '../api.js';
import { h, fill, toast, errorNotice, notAvailable, showFieldErrors, clearFieldErrors, empty, confirm } from '../ui.js';

const MASK = '********';
const SEVERITIES = ['low', 'medium', 'high', 'critical'];

/** mountChannels fills box with the channel list and its forms. */
export function mountChannels(box, ctx) {
  let providers = [];
  let channels = [];
  const byType = () => Object.fromEntries(providers.map((p) => [p.type, p]));

  load();

  async function load() {
    try {
      const [p, d] = await Promise.all([get('/notifications/providers').catch((err) => {
        if (err.notAvailable) return { providers: [] };
        throw err;
      }), get('/notifications/channels')]);
      if (!ctx.alive) return;
      providers = p.providers || [];
      channels = d.channels || [];
      draw();
    } catch (err) {
      if (ctx.alive) box.replaceChildren(err.notAvailable ? notAvailable('Notification channels') : errorNotice(err));
    }
  }

  function draw(openForm) {
    const label = (t) => (byType()[t] || {}).label || t;
    const add = providers.length ? h('button', { type: 'button', class: 'btn btn-primary', id: 'add-channel', 'data-needs': 'admin',
      onclick: () => draw({}) }, '+ Add channel') : null;
    const list = channels.length ? h('table', { class: 'table', id: 'channel-table' },
      h('thead', {}, h('tr', {}, ['Channel', 'Type', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, channels.map((c) => row(c, label)))) :
      empty('No notification channels', providers.length ? 'Add one to be told when something breaks: Slack, Discord, ntfy, e-mail, a signed webhook and more.' :
        'Add a channel in the hub configuration to be told when something breaks.');
    fill(box, h('div', { class: 'panel-tools' }, add), openForm ? channelForm(openForm) : null, list);
    const first = box.querySelector('#channel-form input, #channel-form select');
    if (openForm && first) first.focus();
  }

  function routing(c) {
    const parts = [`${c.min_severity || 'medium'} and up`];
    if (c.server_ids && c.server_ids.length) parts.push(`servers ${c.server_ids.join(', ')}`);
    if (c.alert_types && c.alert_types.length) parts.push(`kinds ${c.alert_types.join(', ')}`);
    if (c.severities && c.severities.length) parts.push(`severities ${c.severities.join(', ')}`);
    return h('div', { class: 'small muted', 'data-testid': 'routing' }, 'Only ', parts.join(' · '));
  }

  function row(c, label) {
    const result = h('p', { class: 'test-result small', 'data-testid': 'test-result', role: 'status', hidden: true });
    const btn = (text, attrs, fn) => h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'admin', onclick: fn, ...attrs }, text);
    return h('tr', { 'data-channel': c.id, 'data-type': c.type },
      h('td', { 'data-label': 'Channel' }, h('strong', {}, c.name), routing(c), result),
      h('td', { 'data-label': 'Type' }, label(c.type)),
      h('td', { 'data-label': 'State' }, c.enabled === false ? '⊘ Disabled' : '✓ Enabled'),
      h('td', { class: 'actions' }, h('div', { class: 'btn-row' },
        btn('Send test', { 'data-action': 'test' }, (e) => sendTest(c, e.currentTarget, result)),
        btn('Edit', { 'data-action': 'edit' }, () => draw(c)),
        btn(c.enabled === false ? 'Enable' : 'Disable', { 'data-action': 'toggle' }, () => update(c, { enabled: c.enabled === false })),
        btn('Delete', { 'data-action': 'delete', class: 'btn btn-small btn-danger' }, () => remove(c)))));
  }

  async function update(c, body) {
    try {
      await api('PUT', `/notifications/channels/${enc(c.id)}`, body);
      toast(body.enabled ? `${c.name} enabled` : `${c.name} disabled`);
      load();
    } catch (err) { toast(err.message, 'error'); }
  }

  async function remove(c) {
    if (!await confirm(`Delete ${c.name}?`, `The ${c.type} channel "${c.name}" and its queued notifications are deleted. Alerts stay.`, 'Delete channel')) return;
    try {
      await api('DELETE', `/notifications/channels/${enc(c.id)}`);
      toast(`${c.name} deleted`);
      load();
    } catch (err) { toast(err.message, 'error'); }
  }

  async function sendTest(c, btn, out) {
    btn.disabled = true;
    out.hidden = false;
    out.dataset.ok = '';
    out.textContent = 'Sending…';
    try {
      const res = await api('POST', `/notifications/channels/${enc(c.id)}/test`, {});
      const ok = !(res && res.success === false);
      out.dataset.ok = String(ok);
      out.textContent = ok ? '✓ Test message sent' : `✕ Test failed: ${res.error || res.message || 'unknown error'}`;
    } catch (err) {
      out.dataset.ok = 'false';
      out.textContent = `✕ Test failed: ${err.message}`;
    } finally {
      btn.disabled = false;
    }
  }

  // channelForm creates (c = {}) or edits a channel.
  function channelForm(c) {
    const editing = c.id !== undefined;
    let type = c.type || (providers.find((p) => p.type === 'webhook') || providers[0]).type;
    const cfgBox = h('div', { class: 'settings-grid', id: 'channel-config' });
    const drawConfig = () => {
      const p = byType()[type];
      cfgBox.replaceChildren(...(p ? p.fields.map((f) => configField(f, editing && c.type === type ? (c.config || {})[f.name] : undefined)) : []));
    };
    const typeSelect = h('select', { id: 'ch-type', name: 'type', disabled: editing, onchange: (e) => { type = e.target.value; drawConfig(); } },
      providers.map((p) => h('option', { value: p.type, selected: p.type === type }, p.label)));
    const form = h('form', { novalidate: true, id: 'channel-form', class: 'subpanel', 'data-editing': editing ? String(c.id) : '' },
      h('h3', {}, editing ? `Edit ${c.name}` : 'New channel'),
      h('div', { class: 'settings-grid' },
        h('div', { class: 'field' }, h('label', { for: 'ch-name' }, 'Name'), h('input', { id: 'ch-name', name: 'name', type: 'text', required: true, maxlength: 100, value: c.name || '' })),
        h('div', { class: 'field' }, h('label', { for: 'ch-type' }, 'Type'), typeSelect),
        h('div', { class: 'field' }, h('label', { for: 'ch-sev' }, 'Notify from'),
          h('select', { id: 'ch-sev', name: 'min_severity' }, SEVERITIES.map((s) => h('option', { value: s, selected: s === (c.min_severity || 'medium') }, `${s} and up`))))),
      cfgBox,
      // Severity routing: every box checked means no limit (severities []).
      h('fieldset', { class: 'check-row field', id: 'ch-severities', name: 'severities' }, h('legend', {}, 'Only these severities'),
        SEVERITIES.map((s) => h('label', {}, h('input', { type: 'checkbox', name: 'severity', value: s,
          checked: !(c.severities && c.severities.length) || c.severities.includes(s) }), ` ${s}`))),
      h('div', { class: 'check-row' },
        h('label', {}, h('input', { type: 'checkbox', name: 'send_resolved', checked: c.send_resolved !== false }), ' Tell when resolved'),
        h('label', {}, h('input', { type: 'checkbox', name: 'enabled', checked: c.enabled !== false }), ' Enabled')),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => draw() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? 'Save channel' : 'Add channel')));
    drawConfig();
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') draw(); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const p = byType()[type];
      const errors = {};
      const config = {};
      for (const f of p.fields) {
        const v = readField(form, f, editing && c.type === type, errors);
        if (v !== undefined) config[f.name] = v;
      }
      const name = form.elements.name.value.trim();
      if (!name) errors.name = 'A name is required.';
      const boxes = [...form.querySelectorAll('input[name=severity]')];
      const severities = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!severities.length) errors.severities = 'Pick at least one severity.';
      if (Object.keys(errors).length) {
        showFieldErrors(form, { fields: errors });
        return;
      }
      const body = { name, config, min_severity: form.elements.min_severity.value,
        severities: severities.length === boxes.length ? [] : severities,
        send_resolved: form.elements.send_resolved.checked, enabled: form.elements.enabled.checked };
      try {
        if (editing) await api('PUT', `/notifications/channels/${enc(c.id)}`, body);
        else await api('POST', '/notifications/channels', { ...body, type });
        toast(editing ? `${name} saved` : `${name} added`);
        load();
      } catch (err) {
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields || {}).length) {
          form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
        }
      }
    });
    return form;
  }
}

// configField renders one provider field; a stored secret shows empty with
// a note that leaving it empty keeps it.
function configField(f, value) {
  const id = `cfg-${f.name}`;
  const name = `cfg.${f.name}`;
  const kept = f.secret && value === MASK;
  const help = [f.help, kept ? 'Stored; leave empty to keep it.' : '', f.default !== undefined && !f.required ? `Default: ${f.default}.` : '']
    .filter(Boolean).join(' ');
  const label = h('label', { for: id }, f.label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  let input;
  if (f.type === 'bool') {
    return h('div', { class: 'field field-check' }, h('label', { for: id }, h('input', { id, name, type: 'checkbox', checked: value === true }), ` ${f.label}`),
      help ? h('p', { class: 'field-hint' }, help) : null);
  }
  if (f.type === 'enum') {
    input = h('select', { id, name }, f.required ? null : h('option', { value: '' }, f.default ? `default (${f.default})` : '—'),
      f.options.map((o) => h('option', { value: o, selected: o === value }, o)));
  } else {
    const v = kept ? '' : Array.isArray(value) ? value.join(', ') : value ?? '';
    input = h('input', { id, name, value: v, autocomplete: f.secret ? 'new-password' : 'off', spellcheck: 'false',
      type: f.type === 'int' ? 'number' : f.secret ? 'password' : f.type === 'url' ? 'url' : 'text',
      placeholder: kept ? MASK : f.placeholder || (f.default !== undefined ? String(f.default) : ''),
      required: f.required && !kept, 'data-kept': kept ? 'true' : undefined, min: f.min, max: f.max });
  }
  return h('div', { class: 'field' }, label, input, help ? h('p', { class: 'field-hint' }, help) : null);
}

// readField returns a field's value for the config (undefined: left out) and
// records a validation message in errors, from the provider's hints.
function readField(form, f, sameType, errors) {
  const el = form.elements.namedItem(`cfg.${f.name}`);
  const key = `cfg.${f.name}`;
  if (f.type === 'bool') return el.checked || undefined;
  const raw = el.value.trim();
  if (raw === '') {
    if (f.secret && sameType && el.dataset.kept === 'true') return MASK;
    if (f.required) errors[key] = `${f.label} is required.`;
    return undefined;
  }
  if (f.type === 'int') {
    const n = Number(raw);
    if (!Number.isInteger(n)) errors[key] = `${f.label} must be a whole number.`;
    else if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) errors[key] = `${f.label} must be between ${f.min} and ${f.max}.`;
    return n;
  }
  if (f.type === 'list') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (f.min_length && raw.length < f.min_length) errors[key] = `${f.label} must be at least ${f.min_length} characters.`;
  if (f.type === 'url' && !/^https?:\/\/[^/\s]+/.test(raw)) errors[key] = `${f.label} must be an http(s) URL.`;
  if (f.pattern && !new RegExp(`^(?:${f.pattern})$`).test(raw)) errors[key] = `${f.label} has an invalid format.`;
  return raw;
}
