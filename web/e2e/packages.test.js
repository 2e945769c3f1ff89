// Browser test of package updates (issue 17): the counts on the overview
// card and the list on the server page, from a heartbeat in the original
// agent's shape (packages[]).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startHub, signedInPage } from './hub.js';

let hub, browser, page;

describe('package updates', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    const r = await hub.api('POST', '/agents/heartbeat', {
      server_id: 'deb-box', hostname: 'deb-box', timestamp: new Date().toISOString(), agent_version: '2.0.0',
      updates_available: 2, security_updates: 1,
      packages: [
        { name: 'curl', current_version: '7.88.1-10', new_version: '7.88.1-10+deb12u5', repository: 'Debian:12/stable', is_security: false },
        { name: 'openssl', current_version: '3.0.13-1~deb12u1', new_version: '3.0.14-1~deb12u1', repository: 'Debian-Security:12/stable-security', is_security: true },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('the card shows the counts, the server page the list with security first', async () => {
    const badge = page.locator('[data-server-id="deb-box"] [data-testid="updates"]');
    assert.equal((await badge.textContent()).trim(), '⬆ 2 updates · 1 security');
    await page.click('[data-server-id="deb-box"] a');
    await page.waitForSelector('#packages-table');
    const rows = page.locator('#packages-table tbody tr');
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.nth(0).getAttribute('data-package'), 'openssl');
    assert.match(await rows.nth(0).textContent(), /3\.0\.14-1~deb12u1.*SECURITY/);
    assert.match(await page.locator('#packages').textContent(), /2 pending, 1 security/);
  });

  test('Apply updates queues an apply_updates action waiting for approval', async () => {
    await page.click('#apply-updates');
    let list;
    for (let i = 0; i < 50; i++) {
      list = await hub.api('GET', '/actions?server_id=deb-box');
      if (list.body.total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(list.body.total, 1);
    assert.equal(list.body.actions[0].action_type, 'apply_updates');
    assert.equal(list.body.actions[0].status, 'pending');
  });
});
