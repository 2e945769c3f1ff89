// Browser tests of accounts: first-run setup, password sign-in, roles in
// the dashboard, API tokens shown once. The real hub binary with SQLite,
// headless Chromium. Run with `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, launchBrowser, startHub } from './hub.js';

let hub, browser;

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => { console.error('page error:', err); });
  return { context, page };
}

async function signInWithPassword(page, username, password) {
  await page.goto(hub.url + '/');
  await page.waitForURL('**/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#whoami:not([hidden])');
}

describe('accounts', { timeout: 180000 }, () => {
  before(async () => {
    hub = await startHub();
    await hub.heartbeat('nas-1', { services: [{ name: 'plex', status: 'stopped', pid: null, memory_mb: null, cpu_percent: null }] });
    const r = await hub.api('POST', '/servers/nas-1/services', { service_name: 'plex', is_critical: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await hub.heartbeat('nas-1', { services: [{ name: 'plex', status: 'stopped', pid: null, memory_mb: null, cpu_percent: null }] });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('first-run setup creates the admin and signs in', async () => {
    const { context, page } = await newPage();
    await page.goto(hub.url + '/');
    await page.waitForURL('**/login');
    await page.waitForSelector('#setup-form');
    // A mismatch and a short password are explained next to their fields.
    await page.fill('#setup-username', 'alice');
    await page.fill('#setup-password', 'short');
    await page.fill('#setup-confirm', 'shorter');
    await page.click('#setup-form button[type=submit]');
    await page.waitForSelector('#setup-confirm-error');
    await page.fill('#setup-confirm', 'short');
    await page.click('#setup-form button[type=submit]');
    await page.waitForSelector('#setup-password-error');
    assert.match(await page.textContent('#setup-password-error'), /10 to 256/);

    await page.fill('#setup-password', 'correct horse battery');
    await page.fill('#setup-confirm', 'correct horse battery');
    await page.click('#setup-form button[type=submit]');
    await page.waitForSelector('.cards');
    assert.equal(await page.textContent('#whoami'), 'alice · admin');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.ok(!stored.includes('correct horse'), 'the password must not be kept in the page');
    await page.screenshot({ path: path.join(artifacts, 'users-setup-done.png') });

    // Setup is over: the sign-in page now asks for a user name and password.
    await page.click('#sign-out');
    await page.waitForSelector('#password-form');
    assert.equal(await page.$('#setup-form'), null);
    await context.close();
  });

  test('a wrong password is refused; the right one signs in', async () => {
    const { context, page } = await newPage();
    await page.goto(hub.url + '/login');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'wrong horse battery');
    await page.press('#password', 'Enter');
    await page.waitForSelector('.form-error');
    assert.match(await page.textContent('.form-error'), /do not match/);
    await page.fill('#password', 'correct horse battery');
    await page.press('#password', 'Enter');
    await page.waitForSelector('.cards');
    assert.equal(await page.textContent('#whoami'), 'alice · admin');
    await context.close();
  });

  test('an admin adds a viewer and a token; the viewer only reads', async () => {
    const { context, page } = await newPage();
    await signInWithPassword(page, 'alice', 'correct horse battery');
    await page.goto(hub.url + '/settings');
    await page.waitForSelector('#add-user-form');
    await page.fill('#nu-name', 'victor');
    await page.fill('#nu-pw', 'viewer password 1');
    await page.selectOption('#nu-role', 'viewer');
    await page.click('#add-user-form button[type=submit]');
    await page.waitForSelector('#users-table tr[data-user="victor"]');

    await page.fill('#nt-name', 'grafana');
    await page.selectOption('#nt-role', 'viewer');
    await page.click('#add-token-form button[type=submit]');
    await page.waitForSelector('#new-token-secret');
    const secret = await page.textContent('#new-token-secret');
    assert.match(secret, /^hlh_at_[0-9a-f]{64}$/);
    await page.waitForSelector('#tokens-table tr[data-token="grafana"]');
    // The token works with its scope: reads, but no writes.
    const read = await fetch(hub.url + '/api/v1/servers', { headers: { Authorization: 'Bearer ' + secret } });
    assert.equal(read.status, 200);
    const write = await fetch(hub.url + '/api/v1/servers/nas-1/services/plex/restart', { method: 'POST', headers: { Authorization: 'Bearer ' + secret } });
    assert.equal(write.status, 403);
    // Shown once: after a reload only the prefix is left.
    await page.reload();
    await page.waitForSelector('#tokens-table tr[data-token="grafana"]');
    assert.ok(!(await page.content()).includes(secret));
    await page.screenshot({ path: path.join(artifacts, 'users-settings-admin.png'), fullPage: true });
    await page.goto(hub.url + '/servers/nas-1');
    await page.waitForSelector('[data-action="restart"]');
    assert.equal(await page.isVisible('#add-service'), true);
    await context.close();

    const v = await newPage();
    await signInWithPassword(v.page, 'victor', 'viewer password 1');
    assert.equal(await v.page.textContent('#whoami'), 'victor · viewer');
    // Controls a viewer cannot use are not shown; the admin sees them.
    await v.page.goto(hub.url + '/servers/nas-1');
    await v.page.waitForSelector('[data-action="restart"]', { state: 'attached' });
    assert.equal(await v.page.isVisible('[data-action="restart"]'), false, 'a viewer sees no Restart');
    assert.equal(await v.page.isVisible('#add-service'), false, 'a viewer sees no Add service');
    await v.page.goto(hub.url + '/settings');
    await v.page.waitForSelector('#acct-h-panel');
    assert.equal(await v.page.textContent('#acct-role'), 'viewer');
    assert.equal(await v.page.$('#users-h-panel'), null, 'a viewer sees no user admin');
    const restart = await v.page.evaluate(async () => (await fetch('/api/v1/servers/nas-1/services/plex/restart', { method: 'POST' })).status);
    assert.equal(restart, 403);

    // Sign out everywhere ends the viewer's session.
    await v.page.click('#signout-everywhere');
    await v.page.click('dialog .btn-danger');
    await v.page.waitForURL('**/login');
    const after = await v.page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
    assert.equal(after, 401);
    await v.context.close();
  });
});
