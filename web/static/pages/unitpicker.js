// unitpicker.js: the "Add service" picker. It offers the service units the
// server's agent reported (GET /servers/{id}/units), filtered as one types;
// free text stays allowed, with a warning when the name is not among them.
import { get, enc } from '../api.js';
import { h } from '../ui.js';

const SHOWN = 40;

/** unitPicker returns the suggestion list and warning for input. */
export function unitPicker(serverId, input) {
  const list = h('ul', { class: 'unit-picker', id: 'svc-suggestions', role: 'listbox', 'aria-label': 'Units the agent sees' });
  const note = h('p', { class: 'field-hint', id: 'svc-inventory-note' });
  const warn = h('p', { class: 'field-warn', id: 'svc-unknown', role: 'status', hidden: true });
  let units = null;

  const unitOf = (v) => (/\.(service|socket|timer|mount|path|target|scope|slice|device|swap|automount)$/.test(v) ? v : `${v}.service`);
  const short = (n) => n.replace(/\.service$/, '');

  function draw() {
    if (!units) return;
    const q = input.value.trim().toLowerCase();
    const hits = units.filter((u) => !q || u.name.toLowerCase().includes(q) || (u.description || '').toLowerCase().includes(q));
    list.replaceChildren(...hits.slice(0, SHOWN).map((u) => h('li', { role: 'option', 'aria-selected': String(unitOf(input.value.trim()) === u.name) },
      h('button', { type: 'button', class: 'unit-option', 'data-unit': short(u.name), onclick: () => { input.value = short(u.name); input.dispatchEvent(new Event('input')); input.focus(); } },
        h('span', { class: 'unit-name' }, short(u.name)), u.description ? h('span', { class: 'muted small' }, ` ${u.description}`) : null))));
    if (hits.length > SHOWN) list.append(h('li', { class: 'muted small' }, `${hits.length - SHOWN} more: type to narrow`));
    const v = input.value.trim();
    const known = !v || units.some((u) => u.name === unitOf(v));
    warn.hidden = known;
    warn.textContent = known ? '' : `⚠ The agent does not report a unit "${unitOf(v)}". It can still be added (e.g. a unit installed later); check the name.`;
  }

  input.addEventListener('input', draw);
  get(`/servers/${enc(serverId)}/units`).then((inv) => {
    if (!inv.reported_at) {
      note.textContent = 'The agent has not reported its units yet (agents from this release do): type the unit name.';
      return;
    }
    units = inv.units || [];
    note.textContent = `${units.length} service units seen by the agent; pick one or type a name.`;
    draw();
  }).catch(() => { note.textContent = ''; });
  return [note, list, warn];
}
