// access.js: the Settings sections about who may use the hub: your account
// ("sign out everywhere"), and for admins users, API tokens and sessions.
import { api, get, enc } from '../api.js';
import { h, toast, errorNotice, confirm, showFieldErrors, clearFieldErrors, empty, time, ago } from '../ui.js';

const ROLES = ['viewer', 'operator', 'admin'];
const ROLE_HINT = {
  viewer: 'reads everything',
  operator: 'also acknowledges alerts, restarts services, approves actions',
  admin: 'also changes settings, servers, users and tokens',
};

function panel(id, title, ...body) {
  return h('section', { class: 'panel', 'aria-labelledby': id, id: `${id}-panel` },
    h('div', { class: 'panel-head' }, h('h2', { id }, title)), ...body);
}

function roleSelect(id, value) {
  return h('select', { id, name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === value }, `${r} (${ROLE_HINT[r]})`)));
}

/** onSubmit wires a form to fn(values), showing API field errors in place. */
function onSubmit(form, fn) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await fn(Object.fromEntries(new FormData(form)));
    } catch (err) {
      const rest = showFieldErrors(form, err);
      if (rest.length || !Object.keys(err.fields || {}).length) {
        form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
      }
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

export function mountAccess(root, ctx) {
  const me = ctx.me;
  root.append(panel('acct-h', 'Your account',
    h('p', {}, 'Signed in as ', h('strong', { id: 'acct-name' }, me.name || '–'), ' with the ', h('strong', { id: 'acct-role' }, me.role || '–'), ' role.'),
    me.kind === 'user' ? h('div', { class: 'form-actions' }, h('button', {
      type: 'button', class: 'btn', id: 'signout-everywhere', onclick: async () => {
        if (!await confirm('Sign out everywhere?', 'This ends every session of your account, on every device, this one included.', 'Sign out everywhere')) return;
        try {
          await api('POST', '/auth/signout-everywhere');
          ctx.navigate('/login', true);
        } catch (err) { toast(err.message, 'error'); }
      },
    }, 'Sign out everywhere')) : null));
  if (!ctx.can('admin')) return;

  const usersBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const tokensBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const sessionsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  root.append(
    panel('users-h', 'Users', usersBox, addUserForm()),
    panel('tokens-h', 'API tokens', h('p', { class: 'muted small' }, 'For scripts and other tools: send as Authorization: Bearer <token>. The operator key still works as an admin token.'), tokensBox, addTokenForm()),
    panel('sessions-h', 'Sessions', sessionsBox));
  loadUsers();
  loadTokens();
  loadSessions();

  async function loadUsers() {
    try {
      const d = await get('/users');
      if (!ctx.alive) return;
      usersBox.replaceChildren(d.users.length ? h('table', { class: 'table', id: 'users-table' },
        h('thead', {}, h('tr', {}, ['User', 'Role', 'Last sign-in', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, d.users.map(userRow))) : empty('No users', 'Add one below.'));
    } catch (err) { usersBox.replaceChildren(errorNotice(err)); }
  }

  function userRow(u) {
    const sel = h('select', { 'aria-label': `Role of ${u.username}` }, ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)));
    sel.addEventListener('change', async () => {
      try {
        await api('PUT', `/users/${enc(u.username)}`, { role: sel.value });
        toast(`${u.username} is now ${sel.value}`);
      } catch (err) { toast(err.message, 'error'); sel.value = u.role; }
    });
    const act = (label, fn) => h('button', { type: 'button', class: 'btn btn-small', onclick: fn }, label);
    return h('tr', { 'data-user': u.username },
      h('td', { 'data-label': 'User' }, h('strong', {}, u.username)),
      h('td', { 'data-label': 'Role' }, sel),
      h('td', { 'data-label': 'Last sign-in' }, u.last_login_at ? ago(u.last_login_at) : 'never'),
      h('td', { class: 'actions' },
        act('Sign out everywhere', async () => {
          try {
            const r = await api('POST', `/users/${enc(u.username)}/signout`);
            toast(`Ended ${r.ended} session(s) of ${u.username}`);
            loadSessions();
          } catch (err) { toast(err.message, 'error'); }
        }), ' ',
        act('Delete', async () => {
          if (!await confirm(`Delete ${u.username}?`, 'The account and its sessions go. Actions keep their name in the audit trail.', 'Delete')) return;
          try {
            await api('DELETE', `/users/${enc(u.username)}`);
            loadUsers();
            loadSessions();
          } catch (err) { toast(err.message, 'error'); }
        })));
  }

  function addUserForm() {
    const form = h('form', { novalidate: true, id: 'add-user-form' },
      h('h3', {}, 'Add a user'),
      h('div', { class: 'settings-grid' },
        h('div', { class: 'field' }, h('label', { for: 'nu-name' }, 'User name'), h('input', { id: 'nu-name', name: 'username', autocomplete: 'off', spellcheck: 'false', required: true })),
        h('div', { class: 'field' }, h('label', { for: 'nu-pw' }, 'Password'), h('input', { id: 'nu-pw', name: 'password', type: 'password', autocomplete: 'new-password', required: true })),
        h('div', { class: 'field' }, h('label', { for: 'nu-role' }, 'Role'), roleSelect('nu-role', 'viewer'))),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add user')));
    return onSubmit(form, async (v) => {
      await api('POST', '/users', { username: v.username.trim(), password: v.password, role: v.role });
      form.reset();
      toast(`Added ${v.username.trim()}`);
      loadUsers();
    });
  }

  async function loadTokens() {
    try {
      const d = await get('/tokens');
      if (!ctx.alive) return;
      tokensBox.replaceChildren(d.tokens.length ? h('table', { class: 'table', id: 'tokens-table' },
        h('thead', {}, h('tr', {}, ['Token', 'Role', 'Expires', 'Last used', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, d.tokens.map((t) => h('tr', { 'data-token': t.name },
          h('td', { 'data-label': 'Token' }, h('strong', {}, t.name), h('div', { class: 'small muted mono' }, `${t.prefix}… by ${t.created_by}`)),
          h('td', { 'data-label': 'Role' }, t.role),
          h('td', { 'data-label': 'Expires' }, t.expires_at ? time(t.expires_at) : 'never'),
          h('td', { 'data-label': 'Last used' }, t.last_used_at ? ago(t.last_used_at) : 'never'),
          h('td', { class: 'actions' }, h('button', {
            type: 'button', class: 'btn btn-small', onclick: async () => {
              if (!await confirm(`Revoke ${t.name}?`, 'Whatever uses this token loses access at once.', 'Revoke')) return;
              try { await api('DELETE', `/tokens/${t.id}`); loadTokens(); } catch (err) { toast(err.message, 'error'); }
            },
          }, 'Revoke')))))) : empty('No API tokens', 'Create one below for a script or another tool.'));
    } catch (err) { tokensBox.replaceChildren(errorNotice(err)); }
  }

  function addTokenForm() {
    const out = h('div', { 'aria-live': 'polite' });
    const form = h('form', { novalidate: true, id: 'add-token-form' },
      h('h3', {}, 'Create a token'),
      h('div', { class: 'settings-grid' },
        h('div', { class: 'field' }, h('label', { for: 'nt-name' }, 'Name'), h('input', { id: 'nt-name', name: 'name', autocomplete: 'off', required: true })),
        h('div', { class: 'field' }, h('label', { for: 'nt-role' }, 'Role'), roleSelect('nt-role', 'viewer')),
        h('div', { class: 'field' }, h('label', { for: 'nt-days' }, 'Expires after'),
          h('input', { id: 'nt-days', name: 'expires_in_days', type: 'number', min: 1, max: 3650, value: 90, 'aria-describedby': 'nt-days-hint' }),
          h('p', { class: 'field-hint', id: 'nt-days-hint' }, 'days; empty: never'))),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token')),
      out);
    return onSubmit(form, async (v) => {
      const body = { name: v.name.trim(), role: v.role };
      if (v.expires_in_days !== '') body.expires_in_days = Number(v.expires_in_days);
      const r = await api('POST', '/tokens', body);
      form.querySelector('#nt-name').value = '';
      out.replaceChildren(h('div', { class: 'field' }, h('label', {}, `Token ${r.token.name}: copy it now, it is not shown again`),
        h('div', { class: 'copy-box' }, h('code', { id: 'new-token-secret' }, r.secret),
          h('button', {
            type: 'button', class: 'btn', onclick: async () => {
              try { await navigator.clipboard.writeText(r.secret); toast('Copied'); } catch { toast('Select the token and copy it', 'warn'); }
            },
          }, 'Copy'))));
      loadTokens();
    });
  }

  async function loadSessions() {
    try {
      const d = await get('/sessions');
      if (!ctx.alive) return;
      sessionsBox.replaceChildren(d.sessions.length ? h('table', { class: 'table', id: 'sessions-table' },
        h('thead', {}, h('tr', {}, ['Who', 'Signed in', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, d.sessions.map((s) => h('tr', { 'data-session-user': s.name },
          h('td', { 'data-label': 'Who' }, h('strong', {}, s.name), ` (${s.role}${s.kind === 'api-key' ? ', with the operator key' : ''})`),
          h('td', { 'data-label': 'Signed in' }, ago(s.created_at)),
          h('td', { 'data-label': 'Expires' }, time(s.expires_at)),
          h('td', { class: 'actions' }, h('button', {
            type: 'button', class: 'btn btn-small', onclick: async () => {
              try { await api('DELETE', `/sessions/${enc(s.id)}`); loadSessions(); } catch (err) { toast(err.message, 'error'); }
            },
          }, 'End')))))) : empty('No sessions', ''));
    } catch (err) { sessionsBox.replaceChildren(errorNotice(err)); }
  }
}
