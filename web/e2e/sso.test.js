// Browser test of single sign-on: the real hub binary configured for a
// real OpenID provider (zitadel/oidc's provider, built from
// oidclogin/oidctest/testop), signed in through the provider's login page
// in headless Chromium. Run with `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { artifacts, freePort, launchBrowser, repoRoot, startHub } from './hub.js';

let hub, browser, op, opDir;

/** startProvider builds and starts the test OpenID provider; resolves its issuer. */
async function startProvider(redirect) {
  opDir = mkdtempSync(path.join(tmpdir(), 'homelabcmd-testop-'));
  const bin = path.join(opDir, 'testop');
  execFileSync('go', ['build', '-o', bin, './oidclogin/oidctest/testop'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  const port = await freePort();
  op = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-redirect', redirect,
    '-user', 'ada:ada-password:ada@example.lan', '-user', 'vera:vera-password:vera@example.lan', '-user', 'eve:eve-password:eve@example.lan'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  op.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    op.stdout.once('data', (d) => resolve(String(d).trim()));
    op.once('exit', (code) => reject(new Error(`testop exited ${code}: ${err}`)));
  });
}

async function ssoSignIn(user, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { console.error('page error:', e); });
  await page.goto(hub.url + '/alerts');
  await page.waitForURL('**/login?next=%2Falerts');
  await page.click('#sso-login');
  // The provider's own login page.
  await page.waitForSelector('input#username');
  assert.ok(!page.url().startsWith(hub.url), 'the browser is at the provider');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  return { context, page };
}

describe('single sign-on', { timeout: 180000 }, () => {
  before(async () => {
    const port = await freePort();
    const issuer = await startProvider(`http://127.0.0.1:${port}/api/v1/auth/oidc/callback`);
    hub = await startHub({
      port,
      env: {
        HOMELAB_CMD_EXTERNAL_URL: `http://127.0.0.1:${port}`,
        HOMELAB_CMD_OIDC_ISSUER: issuer,
        HOMELAB_CMD_OIDC_CLIENT_ID: 'homelabcmd',
        HOMELAB_CMD_OIDC_CLIENT_SECRET: 'test-client-secret',
        HOMELAB_CMD_OIDC_ROLE_CLAIM: 'email',
        HOMELAB_CMD_OIDC_ROLES: 'ada@example.lan=admin,vera@example.lan=viewer',
      },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
    if (op) op.kill('SIGTERM');
    if (opDir) rmSync(opDir, { recursive: true, force: true });
  });

  test('an admin signs in through the provider and lands where she started', async () => {
    const { context, page } = await ssoSignIn('ada', 'ada-password');
    await page.waitForURL(hub.url + '/alerts');
    await page.waitForSelector('#whoami:not([hidden])');
    assert.equal(await page.textContent('#whoami'), 'ada · admin');
    await page.screenshot({ path: path.join(artifacts, 'sso-signed-in.png') });
    await context.close();
  });

  test('the role comes from the claim: a viewer cannot restart', async () => {
    const { context, page } = await ssoSignIn('vera', 'vera-password');
    await page.waitForURL(hub.url + '/alerts');
    await page.waitForSelector('#whoami:not([hidden])');
    assert.equal(await page.textContent('#whoami'), 'vera · viewer');
    const status = await page.evaluate(async () => (await fetch('/api/v1/servers/x/services/y/restart', { method: 'POST' })).status);
    assert.equal(status, 403);
    await context.close();
  });

  test('a user whose claim maps to no role is refused with the reason', async () => {
    const { context, page } = await ssoSignIn('eve', 'eve-password');
    await page.waitForSelector('#sso-error');
    assert.match(await page.textContent('#sso-error'), /no role on this hub/);
    const status = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
    assert.equal(status, 401);
    await context.close();
  });
});
