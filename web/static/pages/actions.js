// actions.js: remediation actions. Pending approvals with approve / reject,
// then the history, each with its audit trail and output.
import { api, get } from '../api.js';
import { h, fill, ago, time, empty, errorNotice, notAvailable, debounce, toast, dialog } from '../ui.js';

const LOOK = {
  pending: ['⏸', 'Pending approval', 'warn'],
  approved: ['✓', 'Approved', 'ok'],
  executing: ['⟳', 'Running', 'ok'],
  completed: ['✔', 'Completed', 'ok'],
  failed: ['✕', 'Failed', 'bad'],
  rejected: ['⊘', 'Rejected', 'bad'],
  cancelled: ['⊘', 'Cancelled', 'unknown'],
};

export function mount(root, ctx) {
  ctx.setTitle('Actions');
  const pendingBox = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const historyBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Actions')),
    h('section', { class: 'panel', 'aria-labelledby': 'pending-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'pending-h' }, 'Waiting for approval')), pendingBox),
    h('section', { class: 'panel', 'aria-labelledby': 'history-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'history-h' }, 'History')), historyBox));

  async function load() {
    try {
      const [p, all] = await Promise.all([get('/actions', { status: 'pending', limit: 100 }), get('/actions', { limit: 50 })]);
      if (!ctx.alive) return;
      const pending = p.actions || [];
      pendingBox.replaceChildren(pending.length ? table(pending, true) : h('p', { class: 'muted' }, '✓ Nothing waiting. Restarts on paused servers wait here.'));
      const hist = (all.actions || []).filter((a) => a.status !== 'pending');
      historyBox.replaceChildren(hist.length ? table(hist, false) : empty('No actions yet', 'Restarts queued from a server page appear here.'));
    } catch (err) {
      if (!ctx.alive) return;
      const n = err.notAvailable ? notAvailable('The actions view') : errorNotice(err);
      pendingBox.replaceChildren(n);
      historyBox.replaceChildren();
    }
  }
  const reload = debounce(load, 200);

  function table(list, pending) {
    return h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Action', 'Server', 'Status', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((a) => {
        // A cancel ends an action as failed (as the original); say what it was.
        const look = a.status === 'failed' && a.failure_reason === 'cancelled' ? 'cancelled' : a.status;
        const [icon, word, tone] = LOOK[look] || ['?', a.status, 'unknown'];
        const details = h('div', { hidden: true, class: 'action-details' });
        const toggle = h('button', {
          type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': 'false',
          onclick: () => {
            const open = details.hidden;
            details.hidden = !open;
            toggle.setAttribute('aria-expanded', String(open));
            if (open) showDetails(a, details);
          },
        }, 'Details');
        return h('tr', { 'data-action-id': a.id, 'data-status': a.status },
          h('td', { 'data-label': 'Action' }, h('strong', {}, label(a)), a.command ? h('div', { class: 'small muted mono' }, a.command) : null, details),
          h('td', { 'data-label': 'Server' }, h('a', { href: `/servers/${encodeURIComponent(a.server_id)}` }, a.server_id)),
          h('td', { 'data-label': 'Status' }, h('span', { class: `status status-text-${tone}` }, `${icon} ${word}`),
            a.waiting_reason ? h('div', { class: 'small muted waiting-reason' }, `Waiting: ${a.waiting_reason}`) : null),
          h('td', { 'data-label': 'Created' }, ago(a.created_at)),
          h('td', { class: 'actions' },
            pending ? [
              h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => approve(a), 'data-needs': 'operator' }, 'Approve'),
              ' ',
              h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => reject(a), 'data-needs': 'operator' }, 'Reject'),
              ' ',
            ] : null,
            a.status === 'approved' ? [h('button', { type: 'button', class: 'btn btn-small', onclick: () => cancel(a), 'data-needs': 'operator' }, 'Cancel'), ' '] : null,
            toggle));
      })));
  }

  async function showDetails(a, box) {
    let full = a;
    try { full = await get(`/actions/${a.id}`); } catch { /* list row is enough */ }
    const trail = auditTrail(full);
    fill(box,
      h('ol', { class: 'audit', 'aria-label': 'Audit trail' }, trail.map(([when, what]) => h('li', {}, time(when), ' — ', what))),
      typeof full.exit_code === 'number' ? h('div', { class: 'small' }, `Exit code ${full.exit_code}${full.duration_ms != null ? ` after ${(full.duration_ms / 1000).toFixed(1)} s` : ''}`) : null,
      full.failure_reason ? h('div', { class: 'small status-text-bad' }, `✕ ${full.failure_reason}`) : null,
      full.verified != null ? h('div', { class: 'small' }, full.verified ? '✓ Verified running afterwards' : '✕ Not running afterwards') : null,
      full.stdout ? [h('div', { class: 'small muted' }, 'Output'), h('pre', { class: 'output' }, full.stdout)] : null,
      full.stderr ? [h('div', { class: 'small muted' }, 'Errors'), h('pre', { class: 'output' }, full.stderr)] : null);
  }

  async function approve(a) {
    try {
      await api('POST', `/actions/${a.id}/approve`);
      toast(`${label(a)} approved`);
      load();
    } catch (err) { toast(err.message, 'error'); }
  }

  async function cancel(a) {
    try {
      await api('POST', `/actions/${a.id}/cancel`);
      toast(`${label(a)} cancelled`);
      load();
    } catch (err) { toast(err.message, 'error'); }
  }

  async function reject(a) {
    const reason = await dialog(`Reject ${label(a)}?`, (close) => {
      const ta = h('textarea', { id: 'reject-reason', name: 'reason', rows: 3, required: true, maxlength: 1000 });
      const err = h('p', { class: 'field-error', id: 'reject-reason-error', hidden: true });
      const form = h('form', { novalidate: true },
        h('div', { class: 'field' }, h('label', { for: 'reject-reason' }, 'Reason'), ta, err),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-danger' }, 'Reject')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!ta.value.trim()) {
          err.textContent = 'Say why, for the audit trail.';
          err.hidden = false;
          ta.setAttribute('aria-invalid', 'true');
          ta.setAttribute('aria-describedby', 'reject-reason-error');
          ta.focus();
          return;
        }
        close(ta.value.trim());
      });
      queueMicrotask(() => ta.focus());
      return form;
    });
    if (!reason) return;
    try {
      await api('POST', `/actions/${a.id}/reject`, { reason });
      toast(`${label(a)} rejected`);
      load();
    } catch (err) { toast(err.message, 'error'); }
  }

  ctx.onLive((e) => { if (e.type === 'action.changed') reload(); });
  ctx.onReconnect(load);
  ctx.onCleanup(() => reload.cancel());
  load();
}

function label(a) {
  if (a.action_type === 'restart_service') return `Restart ${a.service_name || 'service'}`;
  if (a.action_type === 'upgrade_agent') return `Upgrade agent${a.command && a.command.startsWith('upgrade homelabcmd agent to ') ? ` to ${a.command.slice(28)}` : ''}`;
  return (a.action_type || 'action').replace(/_/g, ' ');
}

/** auditTrail lists [time, text] steps: the hub's audit rows when it sends
 * them, else what the action's own timestamps tell. */
export function auditTrail(a) {
  const rows = a.events || a.audit;
  if (Array.isArray(rows) && rows.length) {
    return rows.map((r) => [r.at, [
      r.from_status ? `${LOOK[r.from_status]?.[1] || r.from_status} → ${LOOK[r.to_status]?.[1] || r.to_status}` : `${LOOK[r.to_status]?.[1] || r.to_status}`,
      r.actor ? `by ${r.actor}` : null, r.detail].filter(Boolean).join(' · ')]);
  }
  const out = [[a.created_at, `Created${a.created_by ? ` by ${a.created_by}` : ''}`]];
  if (a.approved_at) out.push([a.approved_at, `Approved${a.approved_by ? ` by ${a.approved_by}` : ''}`]);
  if (a.rejected_at) out.push([a.rejected_at, `Rejected${a.rejected_by ? ` by ${a.rejected_by}` : ''}${a.rejection_reason ? `: ${a.rejection_reason}` : ''}`]);
  if (a.executed_at) out.push([a.executed_at, 'Started']);
  if (a.completed_at) out.push([a.completed_at, a.status === 'completed' ? 'Completed' : `Ended: ${a.status}`]);
  return out;
}
