// chart.js: CPU, RAM and disk over time with uPlot (vendored, loaded as a
// classic script that defines window.uPlot). With a range the x axis spans
// exactly that window (24h shows 24 hours, whatever the points), ticks fall
// on round local times, and a hole in the data is drawn as a hole.
import { h, parseTime } from './ui.js';

const SERIES = [
  ['cpu_percent', 'CPU', '#60A5FA'],
  ['memory_percent', 'RAM', '#C084FC'],
  ['disk_percent', 'Disk', '#FBBF24'],
];

const HOUR = 3600, DAY = 86400;

/** RANGES: window length and bucket of each range the hub serves (seconds). */
export const RANGES = {
  '24h': { window: DAY, bucket: 300 },
  '7d': { window: 7 * DAY, bucket: HOUR },
  '30d': { window: 30 * DAY, bucket: 4 * HOUR },
  '12m': { window: 365 * DAY, bucket: DAY },
};

/** timeWindow returns [from, to] in Unix seconds for range ending at now (ms). */
export function timeWindow(range, now = Date.now()) {
  const to = Math.floor(now / 1000);
  return [to - RANGES[range].window, to];
}

/** timeTicks returns tick times (Unix seconds) on round local times within [from, to]. */
export function timeTicks(range, from, to) {
  const out = [];
  const d = new Date(from * 1000);
  if (range === '24h') {
    d.setMinutes(0, 0, 0);
    while (d.getTime() < from * 1000 || d.getHours() % 3 !== 0) d.setHours(d.getHours() + 1);
    for (; d.getTime() / 1000 <= to; d.setHours(d.getHours() + 3)) out.push(d.getTime() / 1000);
  } else if (range === '12m') {
    d.setHours(0, 0, 0, 0);
    d.setDate(1);
    if (d.getTime() < from * 1000) d.setMonth(d.getMonth() + 1);
    for (; d.getTime() / 1000 <= to; d.setMonth(d.getMonth() + 1)) out.push(d.getTime() / 1000);
  } else {
    const step = range === '7d' ? 1 : 5;
    d.setHours(0, 0, 0, 0);
    if (d.getTime() < from * 1000) d.setDate(d.getDate() + 1);
    for (; d.getTime() / 1000 <= to; d.setDate(d.getDate() + step)) out.push(d.getTime() / 1000);
  }
  return out.filter((t) => t >= from && t <= to);
}

/** tickLabel formats a tick for range. */
export function tickLabel(range, t) {
  const d = new Date(t * 1000);
  if (range === '24h') return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  if (range === '7d') return d.toLocaleDateString([], { weekday: 'short', day: 'numeric' });
  if (range === '12m') return d.toLocaleDateString([], { month: 'short', year: '2-digit' });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/**
 * withGaps turns points into uPlot columns with a null row wherever two
 * neighbours are more than 2.5 buckets apart, so the line breaks there.
 */
export function withGaps(points, bucket, series = SERIES, timeKey = 'timestamp') {
  const xs = [];
  const ys = series.map(() => []);
  let prev = null;
  for (const p of points) {
    const x = (parseTime(p[timeKey])?.getTime() || 0) / 1000;
    if (bucket && prev !== null && x - prev > 2.5 * bucket) {
      xs.push((prev + x) / 2);
      ys.forEach((col) => col.push(null));
    }
    xs.push(x);
    series.forEach(([k], i) => ys[i].push(typeof p[k] === 'number' ? p[k] : null));
    prev = x;
  }
  return [xs, ...ys];
}

/**
 * drawChart replaces box's content with a chart of points (oldest first)
 * and returns the uPlot instance. opts.range fixes the window ("24h", …;
 * none: fit the data), opts.now is the window's end in ms. Other series
 * than CPU/RAM/disk: opts.series ([[key, label, colour]]), unit, max (y
 * range top; null: automatic), time (the points' time key), spanGaps (join
 * points across missing values), label (for screen readers).
 */
export function drawChart(box, points, ctx, opts = {}) {
  if (!window.uPlot) {
    box.replaceChildren(h('p', { class: 'notice' }, 'Charts could not load.'));
    return null;
  }
  const series = opts.series || SERIES;
  const unit = opts.unit ?? '%';
  const spec = RANGES[opts.range];
  const data = withGaps(points, spec && spec.bucket, series, opts.time || 'timestamp');
  const css = getComputedStyle(document.documentElement);
  const muted = css.getPropertyValue('--muted').trim() || '#9BA5B0';
  const line = css.getPropertyValue('--border').trim() || '#30363D';
  const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
  const width = () => Math.max(240, box.clientWidth || 600);
  const xAxis = { ...axis };
  const scales = { y: opts.max === null ? { auto: true } : { range: [0, opts.max || 100] } };
  if (spec) {
    const [from, to] = timeWindow(opts.range, opts.now);
    scales.x = { time: true, range: () => [from, to] };
    xAxis.splits = () => timeTicks(opts.range, from, to);
    xAxis.values = (u, splits) => splits.map((t) => tickLabel(opts.range, t));
  }
  const sparse = points.length < 60;
  const opts2 = {
    width: width(),
    height: 260,
    cursor: { drag: { x: false, y: false } },
    scales,
    series: [{}, ...series.map(([, label, stroke]) => ({
      label, stroke, width: 2, spanGaps: !!opts.spanGaps, points: { show: sparse, size: 6, fill: stroke },
      value: (u, v) => (v == null ? '–' : v.toFixed(1) + unit),
    }))],
    axes: [xAxis, { ...axis, values: (u, vals) => vals.map((v) => v + unit), size: opts.series ? 64 : 50 }],
  };
  const prev = charts.get(box);
  if (prev) prev();
  box.replaceChildren();
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', opts.label || 'CPU, RAM and disk usage over time; a text summary follows the chart');
  const plot = new window.uPlot(opts2, data, box);
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
  box.plot = plot;
  return plot;
}

const charts = new WeakMap();
