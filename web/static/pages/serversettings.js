// serversettings.js: the "Server settings" panel of the server page (admin):
// display name, machine type, the agent's credentials (rotate, revoke) and
// deleting the server with what that deletes spelled out.
import { api, enc } from '../api.js';
import { h, toast, confirm, dialog, showFieldErrors, clearFieldErrors, serverName } from '../ui.js';

/**
 * serverSettingsPanel returns {el, update(server)}; onSaved gets the updated
 * server, onDeleted runs after the server is gone.
 */
export function serverSettingsPanel(id, ctx, { onSaved, onDeleted }) {
  const el = h('section', { class: 'panel', 'aria-labelledby': 'srv-settings-h', id: 'server-settings', 'data-needs': 'admin' });
  let server = null;
  let dirty = false;

  function update(s) {
    server = s;
    if (!dirty) draw();
  }

  function draw() {
    const s = server;
    const base = `/servers/${enc(id)}`;
    const form = h('form', { novalidate: true, id: 'server-form' },
      h('div', { class: 'settings-grid' },
        h('div', { class: 'field' }, h('label', { for: 'srv-display' }, 'Display name'),
          h('input', { id: 'srv-display', name: 'display_name', type: 'text', maxlength: 255, value: s.display_name || '', placeholder: s.hostname || s.id }),
          h('p', { class: 'field-hint' }, 'Shown instead of the hostname; empty: the hostname.')),
        h('div', { class: 'field' }, h('label', { for: 'srv-type' }, 'Machine type'),
          h('select', { id: 'srv-type', name: 'machine_type' },
            h('option', { value: 'server', selected: s.machine_type !== 'workstation' }, 'Server'),
            h('option', { value: 'workstation', selected: s.machine_type === 'workstation' }, 'Workstation')),
          h('p', { class: 'field-hint' }, 'A workstation may be switched off: it never raises an offline alert and shows when it was last seen.'),
          h('p', { class: 'field-hint', 'data-testid': 'power' }, `Power category: ${s.machine_category || 'not detected'}${s.machine_category_source ? ` (${s.machine_category_source})` : ''}; watts and category on the `, h('a', { href: '/costs' }, 'Costs page'), '.')),
        h('div', { class: 'field' }, h('label', { for: 'srv-tags' }, 'Tags'),
          h('input', { id: 'srv-tags', name: 'tags', type: 'text', value: (s.tags || []).join(', '), placeholder: 'e.g. media, rack-1', autocomplete: 'off', spellcheck: 'false' }),
          h('p', { class: 'field-hint' }, 'Comma-separated lowercase words; the overview filters by them.'))),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save server')));
    form.addEventListener('input', () => { dirty = true; });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {};
      const name = form.elements.display_name.value.trim();
      if (name !== (s.display_name || '')) body.display_name = name;
      if (form.elements.machine_type.value !== (s.machine_type || 'server')) body.machine_type = form.elements.machine_type.value;
      const tags = form.elements.tags.value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
      if (tags.join(',') !== (s.tags || []).join(',')) body.tags = tags;
      if (!Object.keys(body).length) { toast('No changes'); return; }
      try {
        const res = await api('PUT', base, body);
        dirty = false;
        toast('Server saved');
        server = { ...server, ...res };
        draw();
        onSaved(res);
      } catch (err) {
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields || {}).length) {
          form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
        }
      }
    });

    const creds = s.guid ? h('div', { class: 'btn-row', style: { justifyContent: 'flex-start' } },
      h('button', { type: 'button', class: 'btn', id: 'rotate-credential', onclick: rotate }, 'Rotate agent token'),
      h('button', { type: 'button', class: 'btn btn-danger', id: 'revoke-credential', onclick: revoke }, 'Revoke agent token')) :
      h('p', { class: 'muted small' }, 'This agent has no credentials of its own (it reports with the hub\'s shared key); register it with a token to get them.');

    el.replaceChildren(
      h('div', { class: 'panel-head' }, h('h2', { id: 'srv-settings-h' }, 'Server settings')),
      form,
      h('h3', { class: 'subhead' }, 'Agent credentials'),
      creds,
      h('h3', { class: 'subhead' }, 'Delete'),
      h('p', { class: 'muted small' }, 'Removes the server with everything recorded about it.'),
      h('button', { type: 'button', class: 'btn btn-danger', id: 'delete-server', onclick: remove }, `Delete ${serverName(s)}…`));
  }

  async function rotate() {
    if (!await confirm('Rotate the agent token?', `A new token is made and the old one stops working at once: ${serverName(server)}'s agent cannot report until its config has the new token.`, 'Rotate token')) return;
    try {
      const res = await api('POST', `/agents/register/credentials/${enc(server.guid)}/rotate`);
      await dialog('New agent token', (close) => h('div', {},
        h('p', {}, 'Put it in the agent\'s config (api_token) and restart the agent. It is shown only now.'),
        h('div', { class: 'copy-box' }, h('code', { id: 'new-agent-token' }, res.api_token)),
        h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close(true) }, 'Done'))));
    } catch (err) { toast(err.message, 'error'); }
  }

  async function revoke() {
    if (!await confirm('Revoke the agent token?', `${serverName(server)}'s agent is refused from now on; its data stays. Rotate to give it a new token.`, 'Revoke token')) return;
    try {
      await api('POST', `/agents/register/credentials/${enc(server.guid)}/revoke`);
      toast('Agent token revoked');
    } catch (err) { toast(err.message, 'error'); }
  }

  async function remove() {
    const name = serverName(server);
    if (!await confirm(`Delete ${name}?`, `This deletes the server "${server.id}" with its metrics history, expected services and their history, ` +
      'alerts, actions, its maintenance windows and its agent credentials. It cannot be undone. ' +
      'An agent still running with the shared key adds the server again on its next heartbeat; uninstall it first.', 'Delete server')) return;
    try {
      await api('DELETE', `/servers/${enc(id)}`);
      toast(`${name} deleted`);
      onDeleted();
    } catch (err) { toast(err.message, 'error'); }
  }

  return { el, update };
}
