// packages.js: package updates (issue 17). The list of a server's
// upgradable packages for its page, and the counts for an overview card.
import { api, get, enc } from '../api.js';
import { h, ago, errorNotice, toast } from '../ui.js';

/** updatesBadge is the card's update counts, or null when not reported. */
export function updatesBadge(s) {
  if (typeof s.updates_available !== 'number') return null;
  const sec = s.security_updates || 0;
  if (!s.updates_available) return h('span', { class: 'muted', 'data-testid': 'updates' }, 'Up to date');
  return h('span', { class: sec ? 'bad' : 'muted', 'data-testid': 'updates' },
    `⬆ ${s.updates_available} update${s.updates_available > 1 ? 's' : ''}`, sec ? ` · ${sec} security` : '');
}

/** packagesPanel returns {el, reload, show} for server id; it stays hidden until show. */
export function packagesPanel(id, ctx) {
  const body = h('div', {}, h('p', { class: 'loading' }, 'Loading packages…'));
  const applyBtn = h('button', {
    type: 'button', class: 'btn btn-small', id: 'apply-updates', 'data-needs': 'operator', hidden: true,
    title: 'Queue apply_updates: it waits for approval on the Actions page, then the agent installs them',
    onclick: applyUpdates,
  }, 'Apply updates…');
  const el = h('section', { class: 'panel', id: 'packages', 'aria-labelledby': 'packages-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'packages-h' }, 'Package updates'), applyBtn), body);

  async function applyUpdates() {
    try {
      await api('POST', '/actions', { server_id: id, action_type: 'apply_updates' });
      toast('Applying updates is queued: approve it on the Actions page');
    } catch (err) {
      toast(err.message, err.status === 409 ? 'warn' : 'error');
    }
  }

  async function load() {
    try {
      const data = await get(`/servers/${enc(id)}/packages`);
      if (!ctx.alive) return;
      const list = data.packages || [];
      applyBtn.hidden = !list.length;
      if (!list.length) {
        body.replaceChildren(h('p', { class: 'muted' }, 'No pending updates reported', data.last_checked ? [' · checked ', ago(data.last_checked)] : null));
        return;
      }
      const sorted = [...list].sort((a, b) => (b.is_security - a.is_security) || a.name.localeCompare(b.name));
      body.replaceChildren(
        h('p', { class: 'small' }, `${data.total_count} pending, ${data.security_count} security`),
        h('table', { class: 'table', id: 'packages-table' },
          h('thead', {}, h('tr', {}, ['Package', 'Installed', 'Available', 'Source', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, sorted.map((p) => h('tr', { 'data-package': p.name },
            h('td', { 'data-label': 'Package' }, h('strong', {}, p.name)),
            h('td', { 'data-label': 'Installed', class: 'mono' }, p.current_version),
            h('td', { 'data-label': 'Available', class: 'mono' }, p.new_version),
            h('td', { 'data-label': 'Source', class: 'small muted' }, p.repository),
            h('td', {}, p.is_security ? h('span', { class: 'badge badge-critical' }, 'SECURITY') : null))))));
    } catch (err) {
      if (ctx.alive) body.replaceChildren(errorNotice(err));
    }
  }
  // Hidden until the server page knows the agent reports updates (show).
  el.hidden = true;
  let shown = false;
  return { el, reload: () => { if (shown) load(); }, show: () => { if (!shown) { shown = true; el.hidden = false; load(); } } };
}
