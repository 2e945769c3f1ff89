// Browser test of the cost page (issue 17): the per-machine breakdown with
// the category a heartbeat inferred from the CPU, editing a machine's watts
// (the estimate follows the measured CPU use), the monthly summary, and
// the electricity rate and currency.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startHub, signedInPage } from './hub.js';

let hub, browser, page;

describe('cost page', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    const r = await hub.api('POST', '/agents/heartbeat', {
      server_id: 'rack1', hostname: 'rack1', timestamp: new Date().toISOString(),
      cpu_info: { cpu_model: 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz', cpu_cores: 28 },
      metrics: { cpu_percent: 50 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('the breakdown shows the inferred category; editing the watts changes the estimate', async () => {
    await page.click('nav a[data-nav="costs"]');
    const row = page.locator('#cost-table tr[data-server-id="rack1"]');
    await row.waitFor();
    assert.match(await row.textContent(), /rack_server \(auto\)/);
    assert.match(await row.textContent(), /100 \/ 350 W \(default\)/);
    await row.locator('button').click();
    await page.selectOption('#power-category', 'nas');
    await page.fill('#power-idle', '10');
    await page.fill('#power-tdp', '110');
    await page.click('#power-form button[type=submit]');
    await page.waitForFunction(() => /10 \/ 110 W/.test(document.querySelector('#cost-table tr[data-server-id="rack1"]')?.textContent || ''));
    const text = await row.textContent();
    assert.match(text, /nas \(user\)/);
    assert.match(text, /60(\.0)? W/); // 10 + 100 × 50 %
    const { body } = await hub.api('GET', '/servers/rack1');
    assert.deepEqual([body.machine_category, body.machine_category_source, body.idle_watts, body.tdp_watts], ['nas', 'user', 10, 110]);
    await page.goto(hub.url + '/servers/rack1');
    const hint = page.locator('[data-testid="power"]');
    await hint.waitFor({ state: 'attached' });
    assert.match(await hint.textContent(), /Power category: nas \(user\)/);
    await page.click('nav a[data-nav="costs"]');
    await page.locator('#cost-months tbody tr').first().waitFor();
    const months = await page.locator('#cost-months tbody tr').count();
    assert.equal(months, 12);
  });

  test('the rate and currency are edited; a bad rate is named', async () => {
    await page.fill('#cost-rate-input', '-1');
    await page.click('#cost-rate-form button[type=submit]');
    await page.waitForSelector('#cost-rate-input-error');
    await page.fill('#cost-rate-input', '0.5');
    await page.fill('#cost-currency-input', '€');
    await page.click('#cost-rate-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#cost-summary')?.textContent.includes('€0.500 per kWh'));
    const { body } = await hub.api('GET', '/config/cost');
    assert.deepEqual([body.electricity_rate, body.currency_symbol], [0.5, '€']);
    assert.match(await page.textContent('#cost-total'), /€\d+\.\d\d/);
  });

  test('the security-updates alert is switched on in Settings', async () => {
    await page.click('nav a[data-nav="settings"]');
    await page.waitForSelector('#thr-security-days');
    assert.equal(await page.inputValue('#thr-security-days'), '0');
    await page.fill('#thr-security-days', '14');
    await page.click('#thresholds-form button[type=submit]');
    await page.waitForSelector('text=Thresholds saved');
    const { body } = await hub.api('GET', '/config/thresholds');
    assert.equal(body.security_updates_days ?? body.thresholds?.security_updates_days, 14);
    await page.click('nav a[data-nav="costs"]');
    await page.waitForSelector('#cost-period');
  });

  test('another period reloads the figures', async () => {
    await page.selectOption('#cost-period', '7d');
    await page.waitForFunction(() => /7 days/.test(document.querySelector('#cost-total')?.textContent || ''));
  });
});
