// settings.js: alert thresholds, notification channels (with "send test") and
// maintenance windows (quiet hours); then accounts, tokens and sessions
// (access.js).
import { api, get, enc } from '../api.js';
import { mountAccess } from './access.js';
import { mountChannels } from './channels.js';
import { mountStatusPage } from './statuspage.js';
import { h, toast, errorNotice, notAvailable, showFieldErrors, clearFieldErrors } from '../ui.js';

export function mount(root, ctx) {
  ctx.setTitle('Settings');
  const thresholdsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const channelsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const windowsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const statusBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Settings')),
    h('section', { class: 'panel', 'aria-labelledby': 'thr-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'thr-h' }, 'Alert thresholds')), thresholdsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'ch-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'ch-h' }, 'Notification channels')), channelsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'mw-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'mw-h' }, 'Maintenance windows')), windowsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'sp-h', 'data-needs': 'admin' }, h('div', { class: 'panel-head' }, h('h2', { id: 'sp-h' }, 'Public status page')), statusBox));

  mountAccess(root, ctx);

  loadThresholds();
  mountChannels(channelsBox, ctx);
  if (ctx.can('admin')) mountStatusPage(statusBox, ctx);
  loadWindows();

  async function loadWindows() {
    try {
      const d = await get('/maintenance-windows');
      if (ctx.alive) drawWindows(d.windows || []);
    } catch (err) {
      if (ctx.alive) windowsBox.replaceChildren(err.notAvailable ? notAvailable('Maintenance windows') : errorNotice(err));
    }
  }

  // drawWindows lists the quiet periods and a form to add one: inside one
  // alerts are recorded but not notified; the ones still open go out when it ends.
  function drawWindows(list) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const field = (id, name, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, ...attrs }));
    const form = h('form', { novalidate: true, id: 'window-form' },
      h('div', { class: 'settings-grid' },
        field('mw-name', 'name', 'Name', { type: 'text', required: true, placeholder: 'Quiet hours' }),
        field('mw-server', 'server_id', 'Server id', { type: 'text', placeholder: 'all servers' }),
        field('mw-days', 'weekdays', 'Weekdays', { type: 'text', placeholder: 'every day, or e.g. sat,sun' }),
        field('mw-start', 'start', 'From', { type: 'time', required: true, value: '22:00' }),
        field('mw-end', 'end', 'Until', { type: 'time', required: true, value: '07:00' }),
        field('mw-tz', 'time_zone', 'Time zone', { type: 'text', value: zone }),
        h('div', { class: 'field' }, h('label', {}, h('input', { type: 'checkbox', name: 'page_critical' }), ' Critical alerts still page'))),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add window')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const v = (n) => form.elements[n].value.trim();
      const body = { name: v('name'), start: v('start'), end: v('end'), time_zone: v('time_zone') || 'UTC',
        weekdays: v('weekdays') ? v('weekdays').split(',').map((d) => d.trim()).filter(Boolean) : [],
        page_critical: form.elements.page_critical.checked };
      if (v('server_id')) body.server_id = v('server_id');
      try {
        await api('POST', '/maintenance-windows', body);
        toast('Maintenance window added');
        loadWindows();
      } catch (err) {
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields || {}).length) {
          form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
        }
      }
    });
    const rows = list.map((w) => h('tr', { 'data-window': w.id },
      h('td', { 'data-label': 'Window' }, h('strong', {}, w.name)),
      h('td', { 'data-label': 'Servers' }, w.server_id || 'All servers'),
      h('td', { 'data-label': 'When' }, `${w.weekdays && w.weekdays.length ? w.weekdays.join(', ') : 'Every day'} ${w.start}–${w.end} (${w.time_zone})`),
      h('td', { 'data-label': 'Critical' }, w.page_critical ? 'Pages' : 'Held'),
      h('td', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': `Delete ${w.name}`, onclick: async () => {
        try { await api('DELETE', `/maintenance-windows/${enc(w.id)}`); toast('Maintenance window deleted'); loadWindows(); } catch (err) { toast(err.message, 'error'); }
      } }, 'Delete'))));
    windowsBox.replaceChildren(
      h('p', { class: 'muted small' }, 'Inside a window alerts are recorded but not notified; the ones still open are notified when it ends. Pause a server for an immediate, open-ended window.'),
      list.length ? h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ['Window', 'Servers', 'When', 'Critical', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows)) : null,
      form);
  }

  // metricRows are the metric alert kinds as [threshold key, label, unit],
  // from the hub's table of alert kinds; an older hub without it gets one
  // row per metric object in its thresholds, labelled by its key.
  async function metricRows(t) {
    try {
      const d = await get('/alerts/kinds');
      return (d.kinds || []).filter((k) => k.metric && k.threshold_key).map((k) => [k.threshold_key, k.label, k.metric.unit]);
    } catch (err) {
      if (!err.notAvailable) throw err;
      return Object.keys(t).filter((k) => t[k] && typeof t[k] === 'object' && 'high_percent' in t[k]).map((k) => [k, k, '%']);
    }
  }

  async function loadThresholds() {
    let t;
    try {
      t = await get('/config/thresholds');
      t = t.thresholds || t;
    } catch (err) {
      if (!err.notAvailable) { thresholdsBox.replaceChildren(errorNotice(err)); return; }
      try {
        t = (await get('/config')).thresholds;
      } catch (err2) {
        thresholdsBox.replaceChildren(err2.notAvailable ? notAvailable('Threshold settings') : errorNotice(err2));
        return;
      }
    }
    t = t || {};
    let rows;
    try {
      rows = await metricRows(t);
    } catch (err) {
      thresholdsBox.replaceChildren(errorNotice(err));
      return;
    }
    const pinned = await get('/config/pinned').then((d) => d.pinned || {}, () => ({}));
    if (ctx.alive) thresholdsBox.replaceChildren(thresholdsForm(t, rows, pinned));
  }

  // thresholdsForm edits the thresholds and the alert-quality settings; it
  // sends only the fields that changed. A field the hub's configuration
  // pins (flag, env, file) is read-only with where it is set.
  function thresholdsForm(t, rows, pinned) {
    const get = (path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), t);
    const original = new Map();
    const numberField = (id, path, label, min, max, unit) => {
      const value = get(path);
      if (value === undefined) return null;
      original.set(path, value);
      const pin = pinned[path];
      return h('div', { class: 'field' },
        h('label', { for: id }, label),
        h('input', { id, name: path, type: 'number', inputmode: 'numeric', min, max, step: 1, value: value ?? '', readonly: !!pin,
          'aria-describedby': `${id}-unit`, 'data-pinned': pin ? pin.source : undefined }),
        h('p', { class: 'field-hint', id: `${id}-unit` }, unit),
        pin ? h('p', { class: 'field-hint pinned', 'data-testid': 'pinned' }, `🔒 Set by ${pin.via} (${pin.source}): change it there.`) : null);
    };
    const group = (legend, ...fields) => (fields.some(Boolean) ? h('fieldset', {}, h('legend', {}, legend), h('div', { class: 'settings-grid' }, fields)) : null);
    const check = (id, path, label) => {
      if (typeof get(path) !== 'boolean') return null;
      original.set(path, get(path));
      return h('div', { class: 'field field-check' }, h('input', { id, name: path, type: 'checkbox', checked: get(path) }), h('label', { for: id }, label));
    };
    const sevSelect = () => {
      if (!t.offline_severity) return null;
      original.set('offline_severity', t.offline_severity);
      return h('div', { class: 'field' },
        h('label', { for: 'thr-offline-sev' }, 'Offline severity'),
        h('select', { id: 'thr-offline-sev', name: 'offline_severity' },
          ['critical', 'high', 'medium', 'low'].map((v) => h('option', { value: v, selected: v === t.offline_severity }, v))),
        h('p', { class: 'field-hint' }, 'of a server-offline alert'));
    };
    const form = h('form', { novalidate: true, id: 'thresholds-form' },
      rows.map(([k, label, unit]) => group(label,
        numberField(`thr-${k}-high`, `${k}.high_percent`, 'High at', 0, 100, `${unit} — high-severity alert`),
        numberField(`thr-${k}-crit`, `${k}.critical_percent`, 'Critical at', 0, 100, `${unit} — critical alert`),
        numberField(`thr-${k}-sus`, `${k}.sustained_seconds`, 'Sustained for', 0, 600, 'seconds before it fires'))),
      group('Offline',
        numberField('thr-offline', 'server_offline_seconds', 'Offline after', 30, 86400, 'seconds without a heartbeat'),
        sevSelect(),
        check('thr-replayed', 'replayed_outages', 'Tell (low) of an outage seen only in replayed heartbeats')),
      group('Reminders',
        numberField('thr-rem-crit', 'reminders.critical_minutes', 'Critical every', 5, 1440, 'minutes while open and not acknowledged'),
        numberField('thr-rem-high', 'reminders.high_minutes', 'High every', 15, 1440, 'minutes while open and not acknowledged')),
      group('Alert quality',
        numberField('thr-group', 'group_seconds', 'Group within', 0, 300, 'seconds: alerts of one server go out as one message (0: each at once)'),
        numberField('thr-flap-changes', 'flapping.changes', 'Flapping after', 3, 100, 'up/down changes…'),
        numberField('thr-flap-window', 'flapping.window_seconds', '…within', 10, 86400, 'seconds'),
        numberField('thr-flap-stable', 'flapping.stable_seconds', 'Calm after', 10, 86400, 'seconds without a change'),
        numberField('thr-flap-hold', 'flapping.recovery_hold_seconds', 'Recovery hold', 0, 600, 'seconds up before "resolved" is told'),
        numberField('thr-crash-restarts', 'crash_loop.restarts', 'Crash loop at', 2, 64, 'restarts…'),
        numberField('thr-crash-window', 'crash_loop.window_seconds', '…within', 10, 86400, 'seconds')),
      group('Package updates',
        numberField('thr-security-days', 'security_updates_days', 'Security updates pending for', 0, 365, 'days before a medium alert (0: off)')),
      h('div', { class: 'form-actions', 'data-needs': 'admin' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save thresholds')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {};
      for (const [path, was] of original) {
        const el = form.elements.namedItem(path);
        if (!el || el.readOnly) continue;
        let v;
        if (el.type === 'checkbox') v = el.checked;
        else if (el.tagName === 'SELECT') v = el.value;
        else {
          if (el.value === '') continue;
          v = Number(el.value);
        }
        if (v === was) continue;
        const [a, b] = path.split('.');
        if (b) (body[a] ||= {})[b] = v;
        else body[a] = v;
      }
      if (!Object.keys(body).length) { toast('No changes'); return; }
      try {
        const res = await api('PUT', '/config/thresholds', body);
        t = res.thresholds || t;
        for (const path of original.keys()) original.set(path, get(path));
        toast('Thresholds saved');
      } catch (err) {
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields).length) {
          form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
        }
      }
    });
    return form;
  }

}
