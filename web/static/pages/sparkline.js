// sparkline.js: CPU and RAM over the last hour on the overview's cards, as a
// small inline SVG. Loaded only for cards on screen (IntersectionObserver)
// and cached for five minutes, so 200 servers cost a request per visible
// card, not 200 at once.
import { get, enc } from '../api.js';
import { parseTime } from '../ui.js';

const TTL = 5 * 60 * 1000;
const HOUR = 3600e3;
const cache = new Map(); // server id → {at, points}
const SVG = 'http://www.w3.org/2000/svg';

/** sparklines adds a sparkline to each card in root once it is on screen. */
export function sparklines(root, ctx) {
  if (!('IntersectionObserver' in window)) return;
  if (root.sparkObserver) root.sparkObserver.disconnect(); // the cards were redrawn
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      io.unobserve(e.target);
      load(e.target, ctx);
    }
  });
  root.querySelectorAll('.card[data-server-id]').forEach((c) => io.observe(c));
  if (!root.sparkObserver) ctx.onCleanup(() => root.sparkObserver.disconnect());
  root.sparkObserver = io;
}

async function load(cardEl, ctx) {
  const id = cardEl.dataset.serverId;
  let hit = cache.get(id);
  if (!hit || Date.now() - hit.at > TTL) {
    try {
      const d = await get(`/servers/${enc(id)}/metrics`, { range: '24h' });
      hit = { at: Date.now(), points: d.data_points || [] };
      cache.set(id, hit);
    } catch {
      return;
    }
  }
  if (!ctx.alive || !cardEl.isConnected) return;
  const svg = draw(hit.points);
  const meters = cardEl.querySelector('.meters');
  if (svg && meters && !cardEl.querySelector('.sparkline')) meters.after(svg);
}

/** draw returns the sparkline of the last hour's points (null for fewer than 2). */
export function draw(points, now = Date.now()) {
  const pts = points.map((p) => ({ t: parseTime(p.timestamp)?.getTime(), cpu: p.cpu_percent, ram: p.memory_percent }))
    .filter((p) => p.t && now - p.t <= HOUR);
  if (pts.length < 2) return null;
  const W = 240, H = 36;
  const x = (t) => (((t - (now - HOUR)) / HOUR) * W).toFixed(1);
  const y = (v) => (H - 2 - (Math.max(0, Math.min(100, v)) / 100) * (H - 4)).toFixed(1);
  const line = (key, cls) => {
    const el = document.createElementNS(SVG, 'polyline');
    el.setAttribute('points', pts.filter((p) => typeof p[key] === 'number').map((p) => `${x(p.t)},${y(p[key])}`).join(' '));
    el.setAttribute('class', cls);
    return el;
  };
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const last = pts[pts.length - 1];
  svg.setAttribute('aria-label', `Last hour: CPU ${fmt(last.cpu)}, RAM ${fmt(last.ram)} now`);
  svg.append(line('cpu', 'spark-cpu'), line('ram', 'spark-ram'));
  return svg;
}

function fmt(v) { return typeof v === 'number' ? `${v.toFixed(0)}%` : 'unknown'; }
