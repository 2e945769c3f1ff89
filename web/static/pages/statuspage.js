// statuspage.js: the settings panel of the public status page (/status):
// off by default; the admin picks the servers and services shown to anyone
// without login, by name and up/down only.
import { api, get, enc } from '../api.js';
import { h, toast, errorNotice, serverName, showFieldErrors, clearFieldErrors } from '../ui.js';

/** mountStatusPage fills box with the status page settings. */
export async function mountStatusPage(box, ctx) {
  let cfg, servers;
  try {
    [cfg, servers] = await Promise.all([get('/status-page'), get('/servers')]);
  } catch (err) {
    if (ctx.alive) box.replaceChildren(err.status === 403 ? h('p', { class: 'muted' }, 'Only an admin sets up the status page.') : errorNotice(err));
    return;
  }
  if (!ctx.alive) return;
  const list = servers.servers || [];
  const services = {};
  await Promise.all(list.map(async (s) => {
    try { services[s.id] = (await get(`/servers/${enc(s.id)}/services`)).services || []; } catch { services[s.id] = []; }
  }));
  if (!ctx.alive) return;
  const chosen = new Set(cfg.servers || []);
  const chosenSvc = new Set(cfg.services || []);
  const form = h('form', { novalidate: true, id: 'status-page-form' },
    h('div', { class: 'field field-check' }, h('input', { type: 'checkbox', id: 'sp-enabled', name: 'enabled', checked: cfg.enabled }),
      h('label', { for: 'sp-enabled' }, 'Publish the status page at ', h('a', { href: '/status', target: '_blank', rel: 'noopener' }, '/status'), ' (no login)')),
    h('div', { class: 'field' }, h('label', { for: 'sp-title' }, 'Title'), h('input', { id: 'sp-title', name: 'title', maxlength: 100, value: cfg.title || '' })),
    h('fieldset', {}, h('legend', {}, 'Shown'),
      list.length ? h('ul', { class: 'sp-list' }, list.map((s) => h('li', {},
        h('label', {}, h('input', { type: 'checkbox', name: 'server', value: s.id, checked: chosen.has(s.id) }), ' ', h('strong', {}, serverName(s))),
        services[s.id].length ? h('ul', { class: 'sp-services' }, services[s.id].map((e) => h('li', {},
          h('label', {}, h('input', { type: 'checkbox', name: 'service', value: `${s.id}/${e.service_name}`, checked: chosenSvc.has(`${s.id}/${e.service_name}`) }),
            ' ', e.display_name || e.service_name)))) : null))) : h('p', { class: 'muted' }, 'No servers yet.')),
    h('p', { class: 'muted small' }, 'Only names and up/down are shown: no addresses, metrics or ids.'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save status page')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const checked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
    const servers = checked('server');
    const body = { enabled: form.elements.enabled.checked, title: form.elements.title.value.trim(), servers,
      services: checked('service').filter((v) => servers.includes(v.split('/')[0])) };
    try {
      await api('PUT', '/status-page', body);
      toast(body.enabled ? 'Status page published' : 'Status page saved (off)');
    } catch (err) {
      const rest = showFieldErrors(form, err);
      if (rest.length || !Object.keys(err.fields || {}).length) form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
    }
  });
  box.replaceChildren(form);
}
