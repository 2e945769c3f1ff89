// The README's screenshots, made from a small, tidy fleet so that they stay
// current with the dashboard. They go to test-artifacts/screenshots; with
// UPDATE_SCREENSHOTS=1 to docs/screenshots (what the README shows):
// `UPDATE_SCREENSHOTS=1 node --test screenshots.test.js setup.test.js`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { API_KEY, launchBrowser, screenshotDir, startHub } from './hub.js';

const shots = screenshotDir();
let hub, browser, page;

const svc = (name, pid) => ({ name, status: 'running', pid, memory_mb: 180, cpu_percent: 2.5 });

async function seed() {
  const now = Date.now();
  const fleet = [
    ['nas', [svc('plex', 1201), svc('smbd', 880)], 35, 62, 71],
    ['pihole', [svc('pihole-FTL', 412)], 6, 31, 38],
    ['proxmox', [svc('pveproxy', 1500)], 48, 74, 88],
  ];
  // Six hours of 5-minute samples: enough for a chart, cheap to seed.
  for (let k = 72; k >= 1; k--) {
    const t = new Date(now - k * 5 * 60 * 1000);
    for (const [id, services, cpu, mem, disk] of fleet) {
      const w = Math.sin(k / 5 + cpu);
      await hub.heartbeat(id, { timestamp: t, services, metrics: { cpu_percent: Math.max(1, cpu + 18 * w), memory_percent: mem + 4 * w, disk_percent: disk,
        memory_total_mb: 32000, memory_used_mb: 16000, disk_total_gb: 4000, disk_used_gb: 2800, uptime_seconds: 900000 - k * 600 } });
    }
  }
  for (const [id, services] of fleet) {
    for (const s of services) assert.equal((await hub.api('POST', `/servers/${id}/services`, { service_name: s.name, is_critical: s.name === 'plex' })).status, 201);
  }
  await hub.heartbeat('nas', { services: [svc('plex', 1201), svc('smbd', 880)], metrics: { cpu_percent: 31, memory_percent: 63, disk_percent: 71 } });
  await hub.heartbeat('pihole', { services: [svc('pihole-FTL', 412)], metrics: { cpu_percent: 5, memory_percent: 30, disk_percent: 38 } });
  await hub.heartbeat('proxmox', { services: [{ name: 'pveproxy', status: 'failed' }], metrics: { cpu_percent: 52, memory_percent: 75, disk_percent: 96 } });
  await hub.heartbeat('desktop', { metrics: { cpu_percent: 12, memory_percent: 44, disk_percent: 51 } });
  assert.equal((await hub.api('PUT', '/servers/desktop', { machine_type: 'workstation', display_name: 'Desktop' })).status, 200);
  assert.equal((await hub.api('PUT', '/servers/nas', { display_name: 'NAS' })).status, 200);
  assert.equal((await hub.api('POST', '/notifications/channels', { name: 'Phone (ntfy)', type: 'ntfy', config: { topic: 'homelab-alerts' } })).status, 201);
}

describe('README screenshots', { timeout: 180000 }, () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    hub = await startHub();
    await seed();
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    await page.goto(hub.url + '/login');
    await page.fill('#api-key', API_KEY);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('.cards .card');
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('overview, server, alerts and settings', async () => {
    await page.goto(hub.url + '/');
    await page.waitForSelector('#cards-workstations .card');
    await page.screenshot({ path: path.join(shots, 'overview.png') });
    await page.goto(hub.url + '/servers/nas');
    await page.waitForSelector('#metrics-chart canvas');
    await page.waitForSelector('li.svc[data-service="plex"]');
    await page.screenshot({ path: path.join(shots, 'server.png') });
    await page.goto(hub.url + '/alerts');
    await page.waitForSelector('tr:has-text("proxmox")');
    await page.screenshot({ path: path.join(shots, 'alerts.png') });
    await page.goto(hub.url + '/settings');
    await page.waitForSelector('tr[data-type="ntfy"]');
    await page.click('#add-channel');
    await page.selectOption('#ch-type', 'webhook');
    await page.locator('#channel-form').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'settings.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(hub.url + '/');
    await page.waitForSelector('#cards-workstations .card');
    await page.screenshot({ path: path.join(shots, 'overview-light.png') });
  });
});
