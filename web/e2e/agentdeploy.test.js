// Browser test of the server page's "Agent over SSH" panel against the
// real hub: an install to a machine the hub cannot log in to explains why,
// removal marks the server inactive even so (and says the files stay),
// and reactivation brings the install button back. Only loopback is
// contacted. Run with `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, freePort, launchBrowser, startHub, signedInPage } from './hub.js';

let hub, browser, page;

describe('agent over SSH', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
  });

  after(async () => {
    if (page && process.exitCode) await page.screenshot({ path: path.join(artifacts, 'agentdeploy.png') }).catch(() => {});
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('the SSH address form keeps a jump server', async () => {
    for (const id of ['bastion', 'behind']) {
      const r = await hub.api('POST', '/servers', { id, hostname: `${id}.lan` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    await page.goto(hub.url + '/servers/behind');
    await page.waitForSelector('#ssh-target-form');
    await page.fill('#ssh-host', '192.168.50.4');
    await page.fill('#ssh-jump', 'nope');
    await page.click('#ssh-target-form button[type=submit]');
    await page.waitForSelector('#ssh-target-form .field-error, #ssh-target-form [aria-invalid=true]');
    await page.fill('#ssh-jump', 'bastion');
    await page.click('#ssh-target-form button[type=submit]');
    for (let i = 0; i < 50; i++) {
      const t = await hub.api('GET', '/servers/behind/ssh');
      if (t.body.jump_server_id === 'bastion') break;
      assert.ok(i < 49, 'jump server saved');
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#ssh-jump').value === 'bastion');
  });

  test('install explains a failed login; remove marks inactive; reactivate', async () => {
    const r = await hub.api('POST', '/servers', { id: 'pi', hostname: 'pi.lan' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const port = await freePort(); // nothing listens there
    const t = await hub.api('PUT', '/servers/pi/ssh', { host: '127.0.0.1', port, username: 'root' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    await page.goto(hub.url + '/servers/pi');
    await page.waitForSelector('#agent-install');
    assert.match(await page.textContent('#agent-deploy-state'), /No agent/);

    await page.click('#agent-install');
    await page.waitForSelector('#agent-deploy-result .notice-error');
    assert.match(await page.textContent('#agent-deploy-result'), /SSH key or password/);

    await page.click('#agent-remove');
    await page.click('dialog button.btn-danger');
    await page.waitForSelector('#agent-activate');
    assert.match(await page.textContent('#agent-deploy-result'), /marked inactive/);
    assert.match(await page.textContent('#agent-deploy-state'), /Agent removed/);
    const s = await hub.api('GET', '/servers/pi');
    assert.equal(s.body.is_inactive, true);

    await page.click('#agent-activate');
    await page.waitForSelector('#agent-install');
    const after = await hub.api('GET', '/servers/pi');
    assert.equal(after.body.is_inactive, false);
    const audit = await hub.api('GET', '/settings/ssh/audit');
    assert.ok(audit.body.entries.some((e) => e.action === 'agent_remove'), 'removal audited');
    assert.ok(audit.body.entries.some((e) => e.action === 'agent_activate'), 'activation audited');
  });
});
