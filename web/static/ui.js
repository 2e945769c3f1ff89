// ui.js: small DOM helpers. Everything is built with createElement and text
// nodes, never innerHTML, so names from agents cannot inject markup.

/** h builds an element: h('a', {href, class, onclick}, child, …). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** fill replaces el's children; like h, it skips null and flattens arrays. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Statuses: colour, icon and words together, never colour alone. */
const LOOKS = {
  running: ['ok', '✓', 'Running'],
  online: ['ok', '✓', 'Online'],
  stopped: ['bad', '✕', 'Stopped'],
  failed: ['bad', '!', 'Failed'],
  offline: ['bad', '✕', 'Offline'],
  paused: ['warn', 'Ⅱ', 'Paused'],
  unknown: ['unknown', '?', 'Unknown'],
  none: ['unknown', '?', 'Not reported'],
};

/** statusLook returns [tone, icon, label] for a service or server status. */
export function statusLook(status) { return LOOKS[status] || LOOKS.unknown; }

/** status renders a light with its icon and the status in words. */
export function status(value, label) {
  const [tone, icon, text] = statusLook(value);
  return h('span', { class: 'status', 'data-status': value },
    h('span', { class: `light light-${tone}`, 'aria-hidden': 'true' }, icon),
    h('span', { class: `status-text status-text-${tone}` }, label || text));
}

const SEVERITY_ICON = { critical: '‼', high: '▲', medium: '●', low: '○', warning: '▲' };

/** clockBadge warns that a server's agent clock is off the hub's (null when it is not). */
export function clockBadge(s) {
  if (!s.clock_skewed || s.clock_offset_seconds == null) return null;
  const off = s.clock_offset_seconds, abs = Math.abs(off);
  const amount = abs >= 3600 ? `${(abs / 3600).toFixed(1)} h` : abs >= 60 ? `${Math.round(abs / 60)} min` : `${Math.round(abs)} s`;
  return h('span', { class: 'badge badge-warn', 'data-testid': 'clock-skew',
    title: 'The agent\'s clock is off the hub\'s; alerts use the hub\'s time' }, `⏱ Clock ${amount} ${off < 0 ? 'behind' : 'ahead'}`);
}

/** severity renders a severity badge (icon and word). */
export function severity(sev) {
  return h('span', { class: `badge badge-${sev}` }, `${SEVERITY_ICON[sev] || '•'} ${String(sev || '').toUpperCase()}`);
}

/** meter renders a labelled bar for a percentage (null shows "–"). */
export function meter(label, pct, warnAt = 80, badAt = 90) {
  const v = typeof pct === 'number' ? Math.max(0, Math.min(100, pct)) : null;
  const level = v === null ? '' : v >= badAt ? 'bad' : v >= warnAt ? 'warn' : 'ok';
  return h('div', { class: 'meter' },
    h('span', {}, label),
    h('span', {
      class: 'meter-track', role: 'meter', 'aria-label': `${label} usage`, 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-valuenow': v === null ? undefined : v.toFixed(0),
    }, h('span', { class: 'meter-fill', 'data-level': level, style: { width: `${v || 0}%` } })),
    h('span', { class: 'meter-value' }, v === null ? '–' : `${v.toFixed(0)}%${level === 'bad' ? ' ⚠' : ''}`));
}

/** toast shows a short message; kind is "ok", "warn" or "error". */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: 'toast', 'data-kind': kind, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 5000);
  return el;
}

/** parseTime accepts the hub's times with or without an offset (UTC). */
export function parseTime(s) {
  if (!s) return null;
  const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(s);
  const d = new Date(hasZone ? s : s + 'Z');
  return isNaN(d) ? null : d;
}

/** ago formats a time as "5 min ago", with the full time as a tooltip. */
export function ago(s) {
  const d = parseTime(s);
  if (!d) return h('span', { class: 'muted' }, 'never');
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, relative(d));
}

/** relative says how long ago d was, in words. */
export function relative(d) {
  const sec = Math.round((Date.now() - d.getTime()) / 1000);
  if (sec < 10) return 'just now';
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ago`;
  return `${Math.floor(sec / 86400)} d ago`;
}

/** duration formats seconds as "3 d 4 h" / "5 h 2 min" / "40 s". */
export function duration(sec) {
  if (typeof sec !== 'number' || sec < 0) return '–';
  const d = Math.floor(sec / 86400), hr = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min`;
  return `${Math.floor(sec)} s`;
}

/** time formats an API time for lists. */
export function time(s) {
  const d = parseTime(s);
  return d ? h('time', { datetime: d.toISOString() }, d.toLocaleString()) : '–';
}

/** num formats a number with a unit, or "–". */
export function num(v, unit = '', digits = 1) {
  return typeof v === 'number' ? `${v.toFixed(digits)}${unit}` : '–';
}

/** empty renders an empty state with a title, text and optional button. */
export function empty(title, text, ...extra) {
  return h('div', { class: 'empty' }, h('h3', {}, title), text ? h('p', {}, text) : null, ...extra);
}

/** notAvailable is what a page shows when the hub lacks an endpoint. */
export function notAvailable(what) {
  return h('p', { class: 'notice' }, `${what} is not available on this hub yet.`);
}

/** errorNotice shows an API error in the page. */
export function errorNotice(err) {
  return h('p', { class: 'notice notice-error', role: 'alert' }, err.message || String(err));
}

/**
 * dialog opens a modal built by body(close) and resolves with the value
 * passed to close (undefined when dismissed with Esc).
 */
export function dialog(title, body) {
  return new Promise((resolve) => {
    const titleId = 'dlg-' + Math.random().toString(36).slice(2);
    const dlg = h('dialog', { 'aria-labelledby': titleId });
    let result;
    const close = (v) => { result = v; dlg.close(); };
    dlg.append(h('h2', { id: titleId }, title), body(close));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** confirm asks a yes/no question in a modal. */
export function confirm(title, text, yes = 'Confirm', danger = true) {
  return dialog(title, (close) => h('div', {},
    h('p', {}, text),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
      h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, onclick: () => close(true) }, yes))));
}

/**
 * showFieldErrors puts each API field error next to its input (found by
 * name) and returns the errors no field took.
 */
export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  const rest = [];
  for (const [field, msg] of Object.entries(err.fields || {})) {
    const input = form.elements.namedItem(field);
    if (!input || !input.id) { rest.push(msg); continue; }
    const errId = input.id + '-error';
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', errId);
    const holder = input.closest('.field, .field-check') || input.parentElement;
    holder.append(h('p', { class: 'field-error', id: errId }, msg));
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  return rest;
}

/** clearFieldErrors removes what showFieldErrors added. */
export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => { e.removeAttribute('aria-invalid'); e.removeAttribute('aria-describedby'); });
  form.querySelectorAll('.form-error').forEach((e) => e.remove());
}

/** debounce runs fn once, ms after the last call. */
export function debounce(fn, ms) {
  let t = 0;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

/** serverName is the display name, or the hostname, or the id. */
export function serverName(s) { return s.display_name || s.hostname || s.id; }
