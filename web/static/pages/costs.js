// costs.js: estimated electricity cost. The fleet summary over a period,
// the per-server breakdown (power from idle/full-load watts weighted by
// measured CPU use; workstations by uptime), the monthly summary, and the
// electricity rate and currency (admins) and each server's watts and
// category (operators).
import { api, get, enc } from '../api.js';
import { h, num, empty, errorNotice, notAvailable, toast, dialog, showFieldErrors, clearFieldErrors } from '../ui.js';

const PERIODS = [['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days'], ['12m', '12 months']];
const CATEGORIES = ['sbc', 'mini_pc', 'nas', 'laptop', 'office_desktop', 'gaming_desktop', 'workstation', 'server', 'rack_server'];

function money(sym, v, digits = 2) {
  return `${sym}${Number(v || 0).toFixed(digits)}`;
}

export function mount(root, ctx) {
  ctx.setTitle('Electricity cost');
  let period = '30d';
  const select = h('select', { id: 'cost-period', onchange: () => { period = select.value; load(); } },
    PERIODS.map(([v, t]) => h('option', { value: v, selected: v === period }, t)));
  const summary = h('section', { class: 'panel', id: 'cost-summary', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const breakdown = h('section', { class: 'panel', id: 'cost-breakdown', 'aria-labelledby': 'cost-breakdown-h' });
  const monthly = h('section', { class: 'panel', id: 'cost-monthly', 'aria-labelledby': 'cost-monthly-h' });
  const rate = h('section', { class: 'panel', id: 'cost-rate', 'aria-labelledby': 'cost-rate-h' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Electricity cost'),
    h('label', { for: 'cost-period' }, 'Period ', select)),
  h('p', { class: 'small muted' }, 'Estimates: power = idle + (full load − idle) × measured CPU use, from each machine\'s watts or its category\'s defaults. Servers count around the clock, workstations only while they report.'),
  summary, breakdown, monthly, rate);

  async function load() {
    try {
      const [s, b, m, c] = await Promise.all([
        get('/costs/summary', { period }), get('/costs/breakdown', { period }), get('/costs/summary/monthly'), get('/config/cost')]);
      if (!ctx.alive) return;
      drawSummary(s);
      drawBreakdown(b);
      drawMonthly(m);
      drawRate(c);
    } catch (err) {
      if (!ctx.alive) return;
      summary.replaceChildren(err.notAvailable ? notAvailable('The cost view') : errorNotice(err));
    }
  }

  function drawSummary(s) {
    const sym = s.currency_symbol;
    const stat = (id, label, value) => h('div', { class: 'stat', id }, h('div', { class: 'small muted' }, label), h('strong', {}, value));
    summary.replaceChildren(h('h2', {}, 'Summary'),
      h('div', { class: 'stats' },
        stat('cost-total', `Total (${PERIODS.find((p) => p[0] === s.period)[1]})`, money(sym, s.total_cost)),
        stat('cost-daily', 'Per day', money(sym, s.daily_cost)),
        stat('cost-monthly-est', 'Per month (30 days)', money(sym, s.monthly_cost)),
        stat('cost-yearly', 'Per year', money(sym, s.yearly_cost)),
        stat('cost-kwh', 'Energy', num(s.total_kwh, ' kWh', 2)),
        stat('cost-watts', 'Average draw', num(s.total_avg_watts, ' W'))),
      h('p', { class: 'small muted' }, `${s.server_count} machines at ${money(sym, s.electricity_rate, 3)} per kWh`,
        s.servers_using_defaults ? ` · ${s.servers_using_defaults} use category default watts` : ''));
  }

  function drawBreakdown(b) {
    const sym = b.currency_symbol;
    const head = h('h2', { id: 'cost-breakdown-h' }, 'Per machine');
    if (!b.servers.length) {
      breakdown.replaceChildren(head, empty('No machines yet', 'Costs appear once machines are added.'));
      return;
    }
    breakdown.replaceChildren(head, h('table', { class: 'table', id: 'cost-table' },
      h('thead', {}, h('tr', {}, ['Machine', 'Category', 'Idle / full', 'CPU', 'Hours on', 'Avg draw', 'kWh', 'Cost', 'Per month', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, b.servers.map((s) => h('tr', { 'data-server-id': s.server_id },
        h('td', { 'data-label': 'Machine' }, h('a', { href: `/servers/${enc(s.server_id)}` }, s.name),
          s.machine_type === 'workstation' ? h('div', { class: 'small muted' }, 'workstation') : null),
        h('td', { 'data-label': 'Category' }, s.machine_category || '–',
          s.machine_category_source ? h('span', { class: 'small muted' }, ` (${s.machine_category_source})`) : null),
        h('td', { 'data-label': 'Idle / full' }, `${s.idle_watts} / ${s.tdp_watts} W`, s.watts_defaulted ? h('span', { class: 'small muted', title: 'Category defaults' }, ' (default)') : null),
        h('td', { 'data-label': 'CPU' }, s.cpu_avg_percent == null ? '–' : num(s.cpu_avg_percent, '%')),
        h('td', { 'data-label': 'Hours on' }, num(s.hours_online, ' h', 0)),
        h('td', { 'data-label': 'Avg draw' }, num(s.avg_watts, ' W')),
        h('td', { 'data-label': 'kWh' }, num(s.kwh, '', 2)),
        h('td', { 'data-label': 'Cost', class: 'cost-cell' }, money(sym, s.cost)),
        h('td', { 'data-label': 'Per month' }, money(sym, s.monthly_cost)),
        h('td', {}, h('button', { type: 'button', class: 'btn btn-small', 'data-needs': 'operator', 'aria-label': `Edit power of ${s.name}`, onclick: () => editPower(s) }, 'Edit')))))));
  }

  function drawMonthly(m) {
    const sym = m.currency_symbol;
    monthly.replaceChildren(h('h2', { id: 'cost-monthly-h' }, 'By month'), h('table', { class: 'table', id: 'cost-months' },
      h('thead', {}, h('tr', {}, ['Month', 'Days', 'kWh', 'Cost'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, m.months.slice().reverse().map((x) => h('tr', { 'data-month': x.month },
        h('td', {}, x.month), h('td', {}, String(x.days)), h('td', {}, num(x.kwh, '', 2)), h('td', {}, money(sym, x.cost)))))));
  }

  function drawRate(c) {
    const form = h('form', { id: 'cost-rate-form', 'data-needs': 'admin', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'cost-rate-input' }, 'Electricity rate (per kWh)'),
        h('input', { id: 'cost-rate-input', name: 'electricity_rate', type: 'number', min: '0', step: '0.001', value: String(c.electricity_rate) })),
      h('div', { class: 'field' }, h('label', { for: 'cost-currency-input' }, 'Currency symbol'),
        h('input', { id: 'cost-currency-input', name: 'currency_symbol', maxlength: '10', value: c.currency_symbol })),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save rate')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFieldErrors(form);
      try {
        await api('PUT', '/config/cost', { electricity_rate: Number(form.elements.electricity_rate.value), currency_symbol: form.elements.currency_symbol.value });
        toast('Rate saved');
        load();
      } catch (err) {
        const rest = showFieldErrors(form, err);
        if (rest.length || !Object.keys(err.fields || {}).length) toast(err.message, 'bad');
      }
    });
    rate.replaceChildren(h('h2', { id: 'cost-rate-h' }, 'Rate'), form);
  }

  async function editPower(s) {
    const saved = await dialog(`Power of ${s.name}`, (close) => {
      const form = h('form', { id: 'power-form', novalidate: true },
        h('div', { class: 'field' }, h('label', { for: 'power-category' }, 'Category'),
          h('select', { id: 'power-category', name: 'machine_category' },
            h('option', { value: '' }, 'Detect from the CPU'),
            CATEGORIES.map((cat) => h('option', { value: cat, selected: s.machine_category_source === 'user' && s.machine_category === cat }, cat)))),
        h('div', { class: 'field' }, h('label', { for: 'power-idle' }, 'Idle watts'),
          h('input', { id: 'power-idle', name: 'idle_watts', type: 'number', min: '0', max: '10000', value: s.watts_defaulted ? '' : String(s.idle_watts) })),
        h('div', { class: 'field' }, h('label', { for: 'power-tdp' }, 'Full-load watts'),
          h('input', { id: 'power-tdp', name: 'tdp_watts', type: 'number', min: '0', max: '10000', value: s.watts_defaulted ? '' : String(s.tdp_watts) })),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { machine_category: form.elements.machine_category.value };
        for (const k of ['idle_watts', 'tdp_watts']) if (form.elements[k].value !== '') body[k] = Number(form.elements[k].value);
        try {
          await api('PUT', `/servers/${enc(s.server_id)}`, body);
          close(true);
        } catch (err) {
          const rest = showFieldErrors(form, err);
          if (rest.length || !Object.keys(err.fields || {}).length) toast(err.message, 'bad');
        }
      });
      return form;
    });
    if (saved) { toast('Power saved'); load(); }
  }

  load();
}
