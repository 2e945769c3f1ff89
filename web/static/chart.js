// chart.js: CPU, RAM and disk over time with uPlot (vendored, loaded as a
// classic script that defines window.uPlot).
import { h, parseTime } from './ui.js';

const SERIES = [
  ['cpu_percent', 'CPU', '#60A5FA'],
  ['memory_percent', 'RAM', '#C084FC'],
  ['disk_percent', 'Disk', '#FBBF24'],
];

/**
 * drawChart replaces box's content with a chart of points (oldest first).
 * cfg (optional) draws other series: {series: [[key, label, colour]],
 * unit, max (y range top; null: automatic), time (the points' time key),
 * spanGaps (join points across missing values),
 * label (for screen readers)}.
 */
export function drawChart(box, points, ctx, cfg = {}) {
  const series = cfg.series || SERIES;
  const unit = cfg.unit ?? '%';
  if (!window.uPlot) {
    box.replaceChildren(h('p', { class: 'notice' }, 'Charts could not load.'));
    return;
  }
  const xs = points.map((p) => (parseTime(p[cfg.time || 'timestamp'])?.getTime() || 0) / 1000);
  const data = [xs, ...series.map(([k]) => points.map((p) => (typeof p[k] === 'number' ? p[k] : null)))];
  const axis = { stroke: '#9BA5B0', grid: { stroke: '#30363D', width: 1 }, ticks: { stroke: '#30363D', width: 1 } };
  const width = () => Math.max(240, box.clientWidth || 600);
  const opts = {
    width: width(),
    height: 260,
    cursor: { drag: { x: false, y: false } },
    scales: { y: cfg.max === null ? { auto: true } : { range: [0, cfg.max || 100] } },
    series: [{}, ...series.map(([, label, stroke]) => ({
      label, stroke, width: 2, spanGaps: !!cfg.spanGaps, value: (u, v) => (v == null ? '–' : v.toFixed(1) + unit),
    }))],
    axes: [axis, { ...axis, values: (u, vals) => vals.map((v) => v + unit), size: cfg.series ? 64 : 50 }],
  };
  const prev = charts.get(box);
  if (prev) prev();
  box.replaceChildren();
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', cfg.label || 'CPU, RAM and disk usage over time; a text summary follows the chart');
  const plot = new window.uPlot(opts, data, box);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
  ro.observe(box);
  let done = false;
  const destroy = () => {
    if (done) return;
    done = true;
    ro.disconnect();
    plot.destroy();
    charts.delete(box);
  };
  charts.set(box, destroy);
  ctx.onCleanup(destroy);
}

const charts = new WeakMap();
