// server-agent.js: install, upgrade, remove and reactivate a server's agent
// over SSH (POST /agents/install, /agents/{id}/upgrade|remove, PUT
// /agents/{id}/activate). Each answer lists the remote steps with their
// exit codes, so a failed install says where it stopped.
import { api, enc } from '../api.js';
import { h, fill, toast, confirm, errorNotice } from '../ui.js';

/** agentDeployPanel returns {el, update(server)} for the server page. */
export function agentDeployPanel(id, ctx, { onChanged } = {}) {
  const state = h('p', { id: 'agent-deploy-state' });
  const actions = h('div', { class: 'form-actions', id: 'agent-deploy-actions' });
  const out = h('div', { id: 'agent-deploy-result', 'aria-live': 'polite' });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'agent-deploy-h', id: 'agent-deploy-panel' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'agent-deploy-h' }, 'Agent over SSH')),
    h('p', { class: 'small muted' }, 'Uses the SSH address and credentials below. A login other than root needs a sudo_password credential (sent to sudo over stdin).'),
    state, actions, out);
  let server = null;

  const btn = (bid, label, onclick, cls = 'btn') => h('button', { type: 'button', class: cls, id: bid, 'data-needs': 'admin', onclick }, label);

  function draw() {
    const s = server;
    if (!s) return;
    if (s.is_inactive) {
      fill(state, `Agent removed${s.inactive_since ? ' · inactive since ' + new Date(s.inactive_since).toLocaleString() : ''}; heartbeats are refused until the server is reactivated.`);
      fill(actions, btn('agent-activate', 'Reactivate', activate, 'btn btn-primary'));
      return;
    }
    fill(state, s.agent_version ? `Agent ${s.agent_version}${s.agent_mode ? ' · ' + s.agent_mode : ''}` : 'No agent has reported yet.');
    fill(actions,
      btn('agent-install', s.agent_version ? 'Reinstall agent' : 'Install agent', install, s.agent_version ? 'btn' : 'btn btn-primary'),
      ' ', s.agent_version ? btn('agent-ssh-upgrade', 'Upgrade over SSH', upgrade) : null,
      ' ', btn('agent-remove', 'Remove agent', remove, 'btn btn-danger'));
  }

  function showResult(r) {
    fill(out,
      h('p', { class: r.success ? 'status-text-ok' : 'status-text-bad' }, r.success ? `✓ ${r.message}` : `✕ ${r.message}${r.error ? ': ' + r.error : ''}`),
      h('ol', { class: 'small mono', id: 'agent-deploy-steps' }, (r.steps || []).map((st) => h('li', { 'data-exit': st.exit_code },
        `${st.step} → exit ${st.exit_code}`, st.output && st.exit_code !== 0 ? h('pre', { class: 'small' }, st.output) : null))));
  }

  async function run(what, fn) {
    fill(out, h('p', { class: 'loading' }, `${what}…`));
    actions.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      const r = await fn();
      if (r && r.steps) showResult(r); else fill(out);
      if (r && r.success !== false) toast(r.message || `${what}: done`); else toast(`${what} failed`, 'error');
      if (onChanged) onChanged();
    } catch (err) {
      fill(out, errorNotice(err));
    } finally {
      actions.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
  }

  function install() { run('Installing', () => api('POST', '/agents/install', { server_id: id })); }
  function upgrade() { run('Upgrading', () => api('POST', `/agents/${enc(id)}/upgrade`)); }
  async function remove() {
    if (!await confirm('Remove the agent?', `Stops and disables the agent on ${id} over SSH, deletes its files and revokes its token; the server is kept, marked inactive.`, 'Remove')) return;
    run('Removing', () => api('POST', `/agents/${enc(id)}/remove`, { delete_completely: false }));
  }
  function activate() { run('Reactivating', () => api('PUT', `/agents/${enc(id)}/activate`)); }

  return { el, update(s) { server = s; draw(); } };
}
