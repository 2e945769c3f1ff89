// services.js: the services panel of a server (US0020). A row per expected
// service with its status light, CRITICAL badge, PID/RAM/CPU when running,
// Restart on stopped/failed, edit/delete, and a history timeline.
import { api, get, enc } from '../api.js';
import { h, status, ago, num, empty, errorNotice, debounce, toast, dialog, confirm, showFieldErrors, clearFieldErrors, parseTime, relative } from '../ui.js';
import { unitPicker } from './unitpicker.js';

/** servicesPanel returns {el, reload} for server id. */
export function servicesPanel(id, ctx) {
  const base = `/servers/${enc(id)}/services`;
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading services…'));
  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'add-service', onclick: () => editService(null), 'data-needs': 'admin' }, '+ Add service');
  const el = h('section', { class: 'panel', id: 'services', 'aria-labelledby': 'services-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'services-h' }, 'Services'), addBtn), body);
  let services = null;
  let watches = true; // false: the agent does not watch the hub's expected list
  const queued = new Set(); // restarts queued from this page
  const openHistory = new Set();

  async function load() {
    try {
      const data = await get(base);
      if (!ctx.alive) return;
      services = data.services || [];
      watches = data.agent_watches_expected !== false;
      draw();
    } catch (err) {
      if (ctx.alive) body.replaceChildren(errorNotice(err));
    }
  }
  const reload = debounce(load, 100);

  function draw() {
    if (!services.length) {
      addBtn.hidden = true;
      body.replaceChildren(empty('No expected services',
        'Tell the hub which systemd services this server must run; it alerts you when one stops.',
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => editService(null), 'data-needs': 'admin' }, '+ Add service')));
      return;
    }
    addBtn.hidden = false;
    const list = h('ul', { class: 'svc-list' }, services.map(row));
    body.replaceChildren(list);
  }

  function row(svc) {
    const cur = svc.current_status;
    const st = cur ? cur.status : 'none';
    const down = st === 'stopped' || st === 'failed';
    const hist = h('div', { class: 'svc-history', hidden: !openHistory.has(svc.service_name) });
    const histBtn = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': String(openHistory.has(svc.service_name)),
      onclick: () => {
        const open = hist.hidden;
        hist.hidden = !open;
        histBtn.setAttribute('aria-expanded', String(open));
        if (open) { openHistory.add(svc.service_name); loadHistory(svc, hist); } else openHistory.delete(svc.service_name);
      },
    }, 'History');
    if (openHistory.has(svc.service_name)) loadHistory(svc, hist);
    const stale = !!(cur && cur.stale);
    const li = h('li', {
      class: stale ? 'svc stale' : 'svc', 'data-service': svc.service_name, 'data-status': st === 'none' ? 'unknown' : st,
      'data-enabled': String(svc.enabled), 'data-stale': String(stale),
      title: stale ? 'The server is offline: this is its last known state' : null,
    },
    h('div', { class: 'svc-main' },
      status(st),
      h('span', { class: 'svc-name' }, svc.service_name),
      svc.display_name ? h('span', { class: 'svc-display' }, svc.display_name) : null,
      svc.is_critical ? h('span', { class: 'badge badge-critical', title: 'A stop raises a high-severity alert' }, 'CRITICAL') : null,
      svc.enabled ? null : h('span', { class: 'badge badge-muted', title: 'Not monitored: no alerts' }, 'Disabled'),
      queued.has(svc.service_name) && down ? h('span', { class: 'badge badge-warn' }, '⟳ Restart queued') : null,
      h('span', { class: 'svc-actions' },
        down ? h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-action': 'restart', 'data-needs': 'operator', onclick: (e) => restart(svc, e.currentTarget) }, '⟳ Restart') : null,
        histBtn,
        h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => editService(svc), 'data-needs': 'admin', 'aria-label': `Edit ${svc.service_name}` }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => remove(svc), 'data-needs': 'admin', 'aria-label': `Delete ${svc.service_name}` }, 'Delete'))),
    h('div', { class: 'svc-stats' },
      st === 'running' ? [
        h('span', {}, `PID ${cur.pid ?? '–'}`),
        h('span', {}, `RAM ${num(cur.memory_mb, ' MB')}`),
        h('span', {}, `CPU ${num(cur.cpu_percent, '%')}`),
      ] : null,
      cur && cur.status_reason ? h('span', {}, cur.status_reason) : null,
      cur ? h('span', {}, stale ? 'Server offline · last seen ' : 'Reported ', ago(cur.last_seen)) : h('span', {}, watches ? 'The agent has not reported this service yet' : 'Not monitored by this agent: it has not reported this service yet and does not watch the hub’s expected services (no alert)')),
    hist);
    return li;
  }

  // applyEvent shows a status change at once, before the reload lands.
  function applyEvent(e) {
    const name = e.data && e.data.service_name;
    if (!services || !name) return;
    const svc = services.find((s) => s.service_name === name);
    if (!svc) return;
    svc.current_status = { ...(svc.current_status || {}), status: e.data.status, last_seen: new Date().toISOString() };
    if (e.data.status !== 'running') Object.assign(svc.current_status, { pid: null, memory_mb: null, cpu_percent: null });
    else queued.delete(name);
    const old = body.querySelector(`li[data-service="${CSS.escape(name)}"]`);
    if (old) old.replaceWith(row(svc));
  }

  async function restart(svc, btn) {
    btn.disabled = true;
    try {
      const res = await api('POST', `${base}/${enc(svc.service_name)}/restart`, {});
      queued.add(svc.service_name);
      const pending = res && res.status === 'pending';
      toast(pending ? `Restart of ${svc.service_name} is waiting for approval (server paused)` : `Restart of ${svc.service_name} queued`);
      draw();
    } catch (err) {
      if (err.status === 409 && (err.data.existing_action_id || err.data.detail?.existing_action_id || !err.data.reason)) {
        queued.add(svc.service_name);
        toast('Restart already pending', 'warn');
        draw();
      } else if (err.status === 409) {
        toast(err.message, 'error'); // e.g. a crash loop: needs a person
      } else if (err.notAvailable) {
        toast('Restarting services is not available on this hub yet', 'error');
      } else {
        toast(`Restart failed: ${err.message}`, 'error');
      }
    } finally {
      btn.disabled = false;
    }
  }

  async function remove(svc) {
    const ok = await confirm(`Delete ${svc.service_name}?`,
      `The hub stops expecting ${svc.service_name} on this server. Its status history is kept.`, 'Delete');
    if (!ok) return;
    try {
      await api('DELETE', `${base}/${enc(svc.service_name)}`);
      toast(`${svc.service_name} is no longer expected`);
      load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function editService(svc) {
    const creating = !svc;
    dialog(creating ? 'Add expected service' : `Edit ${svc.service_name}`, (close) => {
      const nameInput = h('input', {
        id: 'svc-name', name: 'service_name', required: true, autocomplete: 'off', spellcheck: 'false',
        value: svc ? svc.service_name : '', disabled: !creating, 'aria-describedby': 'svc-name-hint', placeholder: 'e.g. nginx or docker.service',
      });
      const form = h('form', { novalidate: true, id: 'service-form' },
        h('div', { class: 'field' },
          h('label', { for: 'svc-name' }, 'Service (systemd unit)'),
          nameInput,
          h('p', { class: 'field-hint', id: 'svc-name-hint' }, 'The unit name as systemctl shows it; ".service" may be left out.'),
          creating ? unitPicker(id, nameInput) : null),
        h('div', { class: 'field' },
          h('label', { for: 'svc-display' }, 'Display name (optional)'),
          h('input', { id: 'svc-display', name: 'display_name', value: svc?.display_name || '', autocomplete: 'off' })),
        h('label', { class: 'field-check' },
          h('input', { type: 'checkbox', id: 'svc-critical', name: 'is_critical', checked: !!svc?.is_critical }),
          'Critical: a stop raises a high-severity alert'),
        h('label', { class: 'field-check' },
          h('input', { type: 'checkbox', id: 'svc-enabled', name: 'enabled', checked: svc ? svc.enabled : true }),
          'Monitored (alerts when it stops)'),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, creating ? 'Add service' : 'Save')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const f = form.elements;
        const payload = {
          display_name: f.display_name.value.trim() || null,
          is_critical: f.is_critical.checked,
          enabled: f.enabled.checked,
        };
        if (creating) {
          payload.service_name = f.service_name.value.trim();
          if (!payload.service_name) {
            showFieldErrors(form, { fields: { service_name: 'Enter the service name.' } });
            return;
          }
        }
        const submit = form.querySelector('[type=submit]');
        submit.disabled = true;
        try {
          if (creating) await api('POST', base, payload);
          else await api('PUT', `${base}/${enc(svc.service_name)}`, payload);
          toast(creating ? `${payload.service_name} added` : `${svc.service_name} saved`);
          close(true);
          load();
        } catch (err) {
          if (err.status === 409) err.fields = { service_name: err.message };
          const rest = showFieldErrors(form, err);
          if (rest.length || !Object.keys(err.fields || {}).length) {
            form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
          }
        } finally {
          submit.disabled = false;
        }
      });
      queueMicrotask(() => (creating ? nameInput : form.elements.display_name).focus());
      return form;
    });
  }

  async function loadHistory(svc, box, cursor, loaded) {
    if (!cursor) box.replaceChildren(h('p', { class: 'loading small' }, 'Loading history…'));
    try {
      const data = await get(`${base}/${enc(svc.service_name)}/history`, { limit: 500, cursor });
      if (!ctx.alive) return;
      const samples = [...(loaded || []), ...(data.history || [])]; // newest first
      const changes = transitions(samples);
      if (!changes.length) {
        box.replaceChildren(h('p', { class: 'small muted' }, 'No reports yet.'));
        return;
      }
      const items = changes.map((c, i) => {
        const until = i === 0 ? null : parseTime(changes[i - 1].timestamp);
        const since = parseTime(c.timestamp);
        return h('li', {},
          status(c.status),
          h('span', { class: 'muted' }, i === 0 ? `since ${since.toLocaleString()} (${relative(since)})` :
            `${since.toLocaleString()}, for ${humanSpan(until - since)}`));
      });
      box.replaceChildren(
        h('h3', { class: 'sr-only' }, `State changes of ${svc.service_name}`),
        h('ol', { class: 'timeline', 'aria-label': `State changes of ${svc.service_name}, newest first` }, items),
        data.next_cursor ? h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => loadHistory(svc, box, data.next_cursor, samples) }, 'Load older') : '');
    } catch (err) {
      if (ctx.alive) box.replaceChildren(errorNotice(err));
    }
  }

  ctx.onLive((e) => {
    if (e.server_id !== id) return;
    if (e.type === 'service.changed' && e.data?.kind !== 'container') { applyEvent(e); reload(); }
    if (e.type === 'server.updated' || e.type === 'action.changed') reload();
  });
  ctx.onCleanup(() => reload.cancel());
  load();
  return { el, reload: load };
}

/** transitions keeps the samples where the status changed (newest first). */
export function transitions(samplesNewestFirst) {
  const out = [];
  for (let i = samplesNewestFirst.length - 1; i >= 0; i--) {
    const s = samplesNewestFirst[i];
    if (!out.length || out[0].status !== s.status) out.unshift(s);
  }
  return out;
}

function humanSpan(ms) {
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  if (sec < 86400) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} d`;
}
