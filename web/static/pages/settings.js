// settings.js: alert thresholds, notification channels (with "send test") and
// maintenance windows (quiet hours); then accounts, tokens and sessions
// (access.js).
import { api, get, enc } from '../api.js';
import { mountAccess } from './access.js';
import { mountChannels } from './channels.js';
import { h, toast, errorNotice, notAvailable, showFieldErrors, clearFieldErrors } from '../ui.js';

export function mount(root, ctx) {
  ctx.setTitle('Settings');
  const thresholdsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const channelsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const windowsBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Settings')),
    h('section', { class: 'panel', 'aria-labelledby': 'thr-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'thr-h' }, 'Alert thresholds')), thresholdsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'ch-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'ch-h' }, 'Notification channels')), channelsBox),
    h('section', { class: 'panel', 'aria-labelledby': 'mw-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'mw-h' }, 'Maintenance windows')), windowsBox));

  mountAccess(root, ctx);

  loadThresholds();
  mountChannels(channelsBox, ctx);
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
    if (ctx.alive) thresholdsBox.replaceChildren(thresholdsForm(t, rows));
  }

  function numberField(id, name, label, value, min, max, unit) {
    return h('div', { class: 'field' },
      h('label', { for: id }, label),
      h('input', { id, name, type: 'number', inputmode: 'numeric', min, max, step: 1, value: value ?? '', 'aria-describedby': `${id}-unit` }),
      h('p', { class: 'field-hint', id: `${id}-unit` }, unit));
  }

  function thresholdsForm(t, rows) {
    const form = h('form', { novalidate: true, id: 'thresholds-form' },
      rows.map(([k, label, unit]) => h('fieldset', {}, h('legend', {}, label),
        h('div', { class: 'settings-grid' },
          numberField(`thr-${k}-high`, `${k}.high_percent`, 'High at', t[k]?.high_percent, 0, 100, `${unit} — high-severity alert`),
          numberField(`thr-${k}-crit`, `${k}.critical_percent`, 'Critical at', t[k]?.critical_percent, 0, 100, `${unit} — critical alert`),
          numberField(`thr-${k}-sus`, `${k}.sustained_seconds`, 'Sustained for', t[k]?.sustained_seconds, 0, 600, 'seconds before it fires')))),
      t.server_offline_seconds !== undefined ? h('div', { class: 'settings-grid' },
        numberField('thr-offline', 'server_offline_seconds', 'Offline after', t.server_offline_seconds, 30, 86400, 'seconds without a heartbeat'),
        t.offline_severity ? h('div', { class: 'field' },
          h('label', { for: 'thr-offline-sev' }, 'Offline severity'),
          h('select', { id: 'thr-offline-sev', name: 'offline_severity' },
            ['critical', 'high', 'medium', 'low'].map((v) => h('option', { value: v, selected: v === t.offline_severity }, v))),
          h('p', { class: 'field-hint' }, 'of a server-offline alert')) : null) : null,
      h('div', { class: 'form-actions', 'data-needs': 'admin' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save thresholds')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {};
      for (const input of form.querySelectorAll('input[type=number]')) {
        if (input.value === '') continue;
        const [a, b] = input.name.split('.');
        const v = Number(input.value);
        if (b) (body[a] ||= {})[b] = v;
        else body[a] = v;
      }
      const sev = form.querySelector('select[name=offline_severity]');
      if (sev) body.offline_severity = sev.value;
      try {
        const res = await api('PUT', '/config/thresholds', body);
        const n = res && Array.isArray(res.updated) ? res.updated.length : null;
        toast(n === 0 ? 'No changes' : 'Thresholds saved');
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
