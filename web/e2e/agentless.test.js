// Browser tests of the Machines page (machines without an agent): the
// default SSH key shows only its public half, a sweep larger than a /22
// asks for confirmation next to the field, and a scan of a closed port
// lands in the history as failed. Only loopback is contacted. Run with
// `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { API_KEY, artifacts, freePort, launchBrowser, startHub } from './hub.js';

let hub, browser, page;

describe('machines without an agent', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => { console.error('page error:', err); });
    await page.goto(hub.url + '/');
    await page.waitForURL('**/login');
    await page.fill('#api-key', API_KEY);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('.cards, .empty');
  });

  after(async () => {
    if (page && process.exitCode) await page.screenshot({ path: path.join(artifacts, 'agentless.png') }).catch(() => {});
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('generate the default key: the public half only', async () => {
    await page.click('a[data-nav=machines]');
    await page.waitForURL('**/machines');
    await page.click('#key-h >> xpath=../.. >> button');
    await page.waitForSelector('#public-key');
    assert.match(await page.textContent('#public-key'), /^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    assert.doesNotMatch(await page.content(), /PRIVATE KEY/);
    const r = await hub.api('GET', '/settings/ssh');
    assert.equal(r.body.has_default_key, true);
  });

  test('a sweep larger than a /22 needs confirmation', async () => {
    await page.fill('#sweep-subnet', '10.0.0.0/20');
    await page.click('#sweep-form button[type=submit]');
    await page.waitForSelector('#sweep-confirm-error');
    assert.match(await page.textContent('#sweep-confirm-error'), /confirm/);
    const audit = await hub.api('GET', '/settings/ssh/audit');
    assert.ok(!audit.body.entries.some((e) => e.action === 'discovery'), 'nothing swept');
  });

  test('a scan of a closed port fails into the history', async () => {
    const port = await freePort(); // nothing listens there
    await page.fill('#scan-hostname', '127.0.0.1');
    await page.fill('#scan-port', String(port));
    await page.click('#scan-form button[type=submit]');
    await page.waitForSelector('#scans tr[data-status=failed]', { timeout: 20000 });
    assert.match(await page.textContent('#scans tr[data-status=failed]'), new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
