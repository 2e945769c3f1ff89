// Browser tests of the Machines page (machines without an agent): the
// default SSH key shows only its public half, a sweep larger than a /22
// asks for confirmation next to the field, and a scan of a closed port
// lands in the history as failed. Only loopback is contacted. Run with
// `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, freePort, launchBrowser, startHub, signedInPage } from './hub.js';

let hub, browser, page;

describe('machines without an agent', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
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

  test('a server\'s SSH panel: credentials stored unseen, commands refused, a failed login explained', async () => {
    const r = await hub.api('POST', '/servers', { id: 'nas', hostname: 'nas.lan' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await page.goto(hub.url + '/servers/nas');
    await page.waitForSelector('#ssh-panel [data-credential=ssh_password]');
    await page.selectOption('#cred-type', 'ssh_password');
    await page.fill('#cred-value', 'hunter2-secret-value');
    await page.click('#credential-form button[type=submit]');
    await page.waitForSelector('[data-credential=ssh_password]:has-text("set (server")');
    assert.equal(await page.inputValue('#cred-value'), '');
    assert.doesNotMatch(await page.content(), /hunter2-secret-value/);

    await page.fill('#command', 'rm -rf /');
    await page.click('#command-form button[type=submit]');
    await page.waitForSelector('#command-output:has-text("not whitelisted")');

    const port = await freePort(); // nothing listens there: only loopback is contacted
    await page.fill('#ssh-host', '127.0.0.1');
    await page.fill('#ssh-port', String(port));
    await page.fill('#ssh-username', 'root');
    await page.click('#ssh-target-form button[type=submit]');
    await page.waitForFunction(async () => (await (await fetch('/api/v1/servers/nas/ssh')).json()).host === '127.0.0.1');
    await page.click('#ssh-test');
    await page.waitForSelector('#ssh-test-result .status-text-bad');
    assert.match(await page.textContent('#ssh-test-result'), new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  test('applying a pack is queued for approval, never run at once', async () => {
    await page.waitForSelector('#config-apply');
    await page.click('#config-apply');
    await page.waitForSelector('text=/queued as action #\\d+/');
    const r = await hub.api('GET', '/actions?server_id=nas');
    const a = r.body.actions.find((x) => x.action_type === 'apply_config_pack');
    assert.equal(a.status, 'pending');
    assert.equal(a.command, 'apply configuration pack base');
  });

  test('a scan schedule and the connectivity mode on the Machines page', async () => {
    await page.click('a[data-nav=machines]');
    await page.waitForURL('**/machines');
    await page.fill('#sched-hostname', '127.0.0.1');
    await page.fill('#sched-interval', '5');
    await page.click('#schedule-form button[type=submit]');
    await page.waitForSelector('#sched-interval-error');
    await page.fill('#sched-interval', '60');
    await page.click('#schedule-form button[type=submit]');
    await page.waitForSelector('[data-schedule="127.0.0.1:22"]');
    await page.waitForSelector('#connectivity-mode');
    assert.equal(await page.inputValue('#connectivity-mode'), 'direct_ssh');
    await page.selectOption('#connectivity-mode', 'tailscale');
    await page.waitForSelector('text=/Tailscale is not configured/');
    const c = await hub.api('GET', '/settings/connectivity');
    assert.equal(c.body.mode, 'direct_ssh');
  });
});
