// containers.js: the containers panel of a server (issue 12). A row per
// container the agent reports (and per expected one it does not): state
// light, health, image, restarts, CPU/RAM, Restart/Start/Stop through the
// action queue, declare expected / edit / stop expecting, and a history
// timeline. Shown only for servers that report a container engine (or
// expect a container).
import { api, get, enc } from '../api.js';
import { h, status, ago, num, errorNotice, debounce, toast, dialog, confirm, showFieldErrors, clearFieldErrors, parseTime, relative } from '../ui.js';
import { transitions } from './services.js';

/** containersPanel returns {el, reload} for server id. */
export function containersPanel(id, ctx) {
  const base = `/servers/${enc(id)}/containers`;
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading containers…'));
  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'add-container', onclick: () => edit(null), 'data-needs': 'operator' }, '+ Expect container');
  const el = h('section', { class: 'panel', id: 'containers', 'aria-labelledby': 'containers-h', hidden: true },
    h('div', { class: 'panel-head' }, h('h2', { id: 'containers-h' }, 'Containers'), addBtn), body);
  let list = null;
  const queued = new Map(); // name → verb queued from this page
  const openHistory = new Set();

  async function load() {
    try {
      const data = await get(base);
      if (!ctx.alive) return;
      list = data.containers || [];
      draw();
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 404 || err.notAvailable) { el.hidden = true; return; }
      el.hidden = false;
      body.replaceChildren(errorNotice(err));
    }
  }
  const reload = debounce(load, 100);

  function draw() {
    // A server without a container engine (nothing reported, nothing
    // expected) shows no panel.
    el.hidden = !list.length;
    if (!list.length) return;
    body.replaceChildren(h('ul', { class: 'svc-list' }, list.map(row)));
  }

  function row(c) {
    const name = c.container_name;
    const cur = c.current_status;
    const d = cur && cur.container;
    const st = cur ? cur.status : 'none';
    const down = st === 'stopped' || st === 'failed';
    const hist = h('div', { class: 'svc-history', hidden: !openHistory.has(name) });
    const histBtn = h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', 'aria-expanded': String(openHistory.has(name)),
      onclick: () => {
        const open = hist.hidden;
        hist.hidden = !open;
        histBtn.setAttribute('aria-expanded', String(open));
        if (open) { openHistory.add(name); loadHistory(name, hist); } else openHistory.delete(name);
      },
    }, 'History');
    if (openHistory.has(name)) loadHistory(name, hist);
    const stale = !!(cur && cur.stale);
    const action = (verb, label, cls) => h('button', {
      type: 'button', class: `btn btn-small ${cls}`, 'data-action': verb, 'data-needs': 'operator',
      onclick: (e) => act(name, verb, e.currentTarget),
    }, label);
    const health = d && d.health && d.health !== 'none' ? d.health : null;
    return h('li', {
      class: stale ? 'svc stale' : 'svc', 'data-container': name, 'data-status': st === 'none' ? 'unknown' : st,
      'data-enabled': String(c.enabled), 'data-expected': String(c.expected), 'data-stale': String(stale),
    },
    h('div', { class: 'svc-main' },
      status(st),
      h('span', { class: 'svc-name' }, name),
      c.display_name ? h('span', { class: 'svc-display' }, c.display_name) : null,
      c.is_critical ? h('span', { class: 'badge badge-critical', title: 'A stop raises a high-severity alert' }, 'CRITICAL') : null,
      c.expected ? (c.enabled ? null : h('span', { class: 'badge badge-muted', title: 'Not monitored: no alerts' }, 'Disabled'))
        : h('span', { class: 'badge badge-muted', title: 'Reported, not expected: no alerts' }, 'Not expected'),
      health ? h('span', { class: health === 'unhealthy' ? 'badge badge-critical' : 'badge', 'data-health': health }, health) : null,
      queued.has(name) ? h('span', { class: 'badge badge-warn' }, `⟳ ${queued.get(name)} queued`) : null,
      h('span', { class: 'svc-actions' },
        down ? action('start', '▶ Start', 'btn-danger') : null,
        cur ? action('restart', '⟳ Restart', down ? '' : 'btn-ghost') : null,
        st === 'running' ? action('stop', '■ Stop', 'btn-ghost') : null,
        histBtn,
        c.expected
          ? [h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => edit(c), 'data-needs': 'operator', 'aria-label': `Edit ${name}` }, 'Edit'),
            h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => remove(c), 'data-needs': 'operator', 'aria-label': `Stop expecting ${name}` }, 'Unexpect')]
          : h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-action': 'expect', onclick: () => edit({ container_name: name, expected: false, enabled: true }), 'data-needs': 'operator' }, 'Expect'))),
    h('div', { class: 'svc-stats' },
      d && d.image ? h('span', { class: 'muted' }, d.image) : null,
      d && d.compose_project ? h('span', {}, `compose ${d.compose_project}/${d.compose_service || '?'}`) : null,
      cur && cur.restarts ? h('span', {}, `${cur.restarts} restarts`) : null,
      st === 'running' ? [h('span', {}, `RAM ${num(cur.memory_mb, ' MB')}`), h('span', {}, `CPU ${num(cur.cpu_percent, '%')}`)] : null,
      cur && cur.status_reason ? h('span', {}, cur.status_reason) : null,
      cur ? h('span', {}, stale ? 'Server offline · last seen ' : 'Reported ', ago(cur.last_seen)) : h('span', {}, 'The agent has not reported this container')),
    hist);
  }

  async function act(name, verb, btn) {
    btn.disabled = true;
    try {
      const res = await api('POST', `${base}/${enc(name)}/${verb}`, {});
      queued.set(name, verb);
      toast(res && res.status === 'pending' ? `${verb} of ${name} is waiting for approval (server paused)` : `${verb} of ${name} queued`);
      draw();
    } catch (err) {
      if (err.status === 409 && !err.data?.reason) toast(`An action on ${name} is already pending`, 'warn');
      else toast(err.message, 'error');
    } finally {
      btn.disabled = false;
    }
  }

  async function remove(c) {
    const ok = await confirm(`Stop expecting ${c.container_name}?`,
      'Its open alerts resolve; the container keeps being listed while the agent reports it.', 'Stop expecting');
    if (!ok) return;
    try {
      await api('DELETE', `${base}/${enc(c.container_name)}`);
      toast(`${c.container_name} is no longer expected`);
      load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function edit(c) {
    const creating = !c || !c.expected;
    dialog(creating ? 'Expect a container' : `Edit ${c.container_name}`, (close) => {
      const nameInput = h('input', {
        id: 'ctr-name', name: 'container_name', required: true, autocomplete: 'off', spellcheck: 'false',
        value: c ? c.container_name : '', disabled: !!c, placeholder: 'e.g. plex or media-sonarr-1',
      });
      const form = h('form', { novalidate: true, id: 'container-form' },
        h('div', { class: 'field' }, h('label', { for: 'ctr-name' }, 'Container name'), nameInput,
          h('p', { class: 'field-hint' }, 'As docker ps shows it; a compose service\'s container is <project>-<service>-1.')),
        h('div', { class: 'field' }, h('label', { for: 'ctr-display' }, 'Display name (optional)'),
          h('input', { id: 'ctr-display', name: 'display_name', value: c?.display_name || '', autocomplete: 'off' })),
        h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'is_critical', checked: !!c?.is_critical }),
          'Critical: a stop raises a high-severity alert'),
        h('label', { class: 'field-check' }, h('input', { type: 'checkbox', name: 'enabled', checked: c ? c.enabled : true }),
          'Monitored (alerts when it exits, dies, turns unhealthy or restart-loops)'),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, creating ? 'Expect' : 'Save')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const f = form.elements;
        const payload = { display_name: f.display_name.value.trim() || null, is_critical: f.is_critical.checked, enabled: f.enabled.checked };
        const name = c ? c.container_name : f.container_name.value.trim();
        if (!name) { showFieldErrors(form, { fields: { container_name: 'Enter the container name.' } }); return; }
        try {
          if (creating) await api('POST', base, { container_name: name, ...payload });
          else await api('PUT', `${base}/${enc(name)}`, payload);
          toast(creating ? `${name} is expected` : `${name} saved`);
          close(true);
          load();
        } catch (err) {
          if (err.status === 409) err.fields = { container_name: err.message };
          const rest = showFieldErrors(form, err);
          if (rest.length || !Object.keys(err.fields || {}).length) {
            form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
          }
        }
      });
      queueMicrotask(() => (c ? form.elements.display_name : nameInput).focus());
      return form;
    });
  }

  async function loadHistory(name, box) {
    box.replaceChildren(h('p', { class: 'loading small' }, 'Loading history…'));
    try {
      const data = await get(`${base}/${enc(name)}/history`, { limit: 500 });
      if (!ctx.alive) return;
      const changes = transitions(data.history || []);
      if (!changes.length) { box.replaceChildren(h('p', { class: 'small muted' }, 'No reports yet.')); return; }
      box.replaceChildren(h('ol', { class: 'timeline', 'aria-label': `State changes of ${name}, newest first` }, changes.map((s, i) => {
        const since = parseTime(s.timestamp);
        return h('li', {}, status(s.status), s.status_reason ? h('span', {}, s.status_reason) : null,
          h('span', { class: 'muted' }, i === 0 ? `since ${since.toLocaleString()} (${relative(since)})` : since.toLocaleString()));
      })));
    } catch (err) {
      if (ctx.alive) box.replaceChildren(errorNotice(err));
    }
  }

  ctx.onLive((e) => {
    if (e.server_id !== id) return;
    if (e.type === 'service.changed' && e.data && e.data.kind === 'container') {
      if (e.data.status === 'running' && queued.get(e.data.service_name) !== 'stop') queued.delete(e.data.service_name);
      if (e.data.status !== 'running' && queued.get(e.data.service_name) === 'stop') queued.delete(e.data.service_name);
      reload();
    }
    if (e.type === 'action.changed') reload();
  });
  ctx.onCleanup(() => reload.cancel());
  load();
  return { el, reload: load };
}
