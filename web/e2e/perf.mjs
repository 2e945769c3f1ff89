// perf.mjs: the overview's time to first paint and to 200 cards, against the
// real hub with 200 servers (5 expected services each). Prints figures for
// docs/performance.md; asserts nothing (not part of `node --test`).
// Run: cd web/e2e && node perf.mjs
import { API_KEY, launchBrowser, startHub } from './hub.js';

const N = 200, RUNS = 7;
const hub = await startHub();
const browser = await launchBrowser();
try {
  const svcs = (k) => Array.from({ length: 5 }, (_, j) => ({ name: `svc-${j}`, status: (k + j) % 10 === 0 ? 'stopped' : 'running', pid: 100 + j, memory_mb: 50, cpu_percent: 1 }));
  for (let k = 0; k < N; k++) await hub.heartbeat(`srv-${String(k).padStart(3, '0')}`, { services: svcs(k) });
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < 5; j++) await hub.api('POST', `/servers/srv-${String(k).padStart(3, '0')}/services`, { service_name: `svc-${j}` });
  }
  for (let k = 0; k < N; k++) await hub.heartbeat(`srv-${String(k).padStart(3, '0')}`, { services: svcs(k) });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(hub.url + '/login');
  await page.fill('#api-key', API_KEY);
  await page.press('#api-key', 'Enter');
  await page.waitForSelector('.cards .card');
  const fcp = [], cards = [], api = [];
  for (let r = 0; r < RUNS; r++) {
    await page.goto(hub.url + '/');
    await page.waitForFunction((n) => document.querySelectorAll('.cards .card').length === n, N);
    const m = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      cards: performance.now(),
      api: performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/v1/servers'))?.duration,
    }));
    fcp.push(m.fcp); cards.push(m.cards); api.push(m.api);
  }
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(0);
  console.log(`${N} servers, ${RUNS} loads: first contentful paint median ${med(fcp)} ms (min ${Math.min(...fcp).toFixed(0)}, max ${Math.max(...fcp).toFixed(0)}); ` +
    `${N} cards shown median ${med(cards)} ms (max ${Math.max(...cards).toFixed(0)}); GET /api/v1/servers in the browser median ${med(api)} ms`);
} finally {
  await browser.close();
  await hub.stop();
}
