// layout.js: the overview's layout, saved on the hub per user (the
// original's /preferences routes): server and workstation sections that
// collapse, and the card order, changed by drag and drop or, on a card's
// move handle, with the arrow keys.
import { api, get } from '../api.js';
import { h, toast } from '../ui.js';

const SECTIONS = { servers: 'Servers', workstations: 'Workstations' };

/** loadLayout reads the caller's preferences (defaults when unavailable). */
export async function loadLayout() {
  try {
    const d = await get('/preferences/dashboard');
    return {
      order: { servers: d.card_order?.servers || [], workstations: d.card_order?.workstations || [] },
      sections: d.section_order?.length ? d.section_order : ['servers', 'workstations'],
      collapsed: new Set(d.collapsed_sections || []),
    };
  } catch {
    return { order: { servers: [], workstations: [] }, sections: ['servers', 'workstations'], collapsed: new Set() };
  }
}

/**
 * drawSections renders the shown servers (already in the default order)
 * in their sections, in the saved card order; card(s) builds one card.
 */
export function drawSections(layout, shown, card) {
  const bySection = { servers: [], workstations: [] };
  for (const s of shown) bySection[s.machine_type === 'workstation' ? 'workstations' : 'servers'].push(s);
  const out = [];
  for (const key of layout.sections) {
    const list = bySection[key];
    if (!list || (!list.length && key === 'workstations')) continue;
    const rank = new Map(layout.order[key].map((id, i) => [id, i]));
    list.sort((a, b) => (rank.has(a.id) ? rank.get(a.id) : 1e9) - (rank.has(b.id) ? rank.get(b.id) : 1e9));
    const collapsed = layout.collapsed.has(key);
    const ul = h('ul', { class: 'cards', id: `cards-${key}`, 'data-section': key, hidden: collapsed }, list.map((s) => movable(card(s), s, key, layout)));
    const toggle = h('button', { type: 'button', class: 'section-toggle', 'aria-expanded': String(!collapsed), 'aria-controls': ul.id, 'data-section': key },
      h('span', { 'aria-hidden': 'true', class: 'chev' }, collapsed ? '▸' : '▾'), ` ${SECTIONS[key]} `, h('span', { class: 'muted small' }, `(${list.length})`));
    toggle.addEventListener('click', () => {
      const now = ul.hidden = !ul.hidden;
      toggle.setAttribute('aria-expanded', String(!now));
      toggle.querySelector('.chev').textContent = now ? '▸' : '▾';
      if (now) layout.collapsed.add(key); else layout.collapsed.delete(key);
      save(layout, { collapsed_sections: [...layout.collapsed] });
    });
    enableDrop(ul, key, layout);
    out.push(h('section', { class: 'fleet-section', 'data-section': key, 'aria-label': SECTIONS[key] }, h('h2', { class: 'section-head' }, toggle), ul));
  }
  return out;
}

function movable(li, s, key, layout) {
  li.draggable = true;
  li.addEventListener('dragstart', (e) => {
    e.dataTransfer.setData('text/plain', s.id);
    e.dataTransfer.effectAllowed = 'move';
    li.classList.add('dragging');
  });
  li.addEventListener('dragend', () => li.classList.remove('dragging'));
  const handle = h('button', { type: 'button', class: 'card-move', 'aria-label': `Move ${s.display_name || s.hostname || s.id}: arrow keys`,
    title: 'Drag, or focus and use the arrow keys, to reorder' }, '⠿');
  handle.addEventListener('keydown', (e) => {
    const back = e.key === 'ArrowUp' || e.key === 'ArrowLeft';
    const fwd = e.key === 'ArrowDown' || e.key === 'ArrowRight';
    if (!back && !fwd) return;
    e.preventDefault();
    const other = back ? li.previousElementSibling : li.nextElementSibling;
    if (!other) return;
    if (back) other.before(li); else other.after(li);
    handle.focus();
    saveOrder(li.parentElement, key, layout);
  });
  li.querySelector('.card-head')?.prepend(handle);
  return li;
}

function enableDrop(ul, key, layout) {
  ul.addEventListener('dragover', (e) => {
    if (!ul.querySelector('.dragging')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
  });
  ul.addEventListener('drop', (e) => {
    const dragged = ul.querySelector('.dragging');
    const target = e.target.closest('.card');
    if (!dragged) return;
    e.preventDefault();
    if (target && target !== dragged) {
      const r = target.getBoundingClientRect();
      const after = e.clientY > r.top + r.height / 2 || (e.clientY >= r.top && e.clientX > r.left + r.width / 2);
      if (after) target.after(dragged); else target.before(dragged);
    }
    saveOrder(ul, key, layout);
  });
}

// saveOrder keeps the shown cards' order, then the saved ones not shown.
function saveOrder(ul, key, layout) {
  const shown = [...ul.querySelectorAll(':scope > .card')].map((c) => c.dataset.serverId);
  layout.order[key] = [...shown, ...layout.order[key].filter((id) => !shown.includes(id))];
  save(layout, { card_order: layout.order });
}

async function save(layout, body) {
  try {
    await api('PUT', '/preferences/dashboard', body);
  } catch (err) {
    toast(`Layout not saved: ${err.message}`, 'error');
  }
}
