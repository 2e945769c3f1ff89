// Browser test of the Checks page: define a check in the form (and see a
// field error), per-agent results with the latency chart, the certificate
// expiry list, the server page's panel, and deleting. The real hub binary;
// results come in heartbeats as an agent sends them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startHub, signedInPage } from './hub.js';

let hub, browser, page;

async function report(server, results) {
  const r = await hub.api('POST', '/agents/heartbeat', {
    server_id: server, hostname: server, timestamp: new Date().toISOString(), check_results: results,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('checks page', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    for (const s of ['pi', 'nas']) await report(s, []);
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('define a check in the form; a bad target is named', async () => {
    await page.click('nav a[data-nav="checks"]');
    await page.waitForSelector('text=No checks yet');
    await page.click('#new-check');
    await page.fill('#chk-name', 'plex web');
    await page.selectOption('#chk-type', 'http');
    await page.fill('#chk-target', 'plex.lan');
    await page.fill('#chk-servers', 'pi, nas');
    await page.click('#check-form button[type=submit]');
    await page.waitForSelector('#chk-target-error');
    assert.match(await page.textContent('#chk-target-error'), /http:\/\/ or https:\/\/ URL/);
    await page.fill('#chk-target', 'http://plex.lan:32400/web');
    await page.fill('#chk-jsonpath', 'status.ok');
    await page.click('#check-form button[type=submit]');
    await page.waitForSelector('#checks-table tr[data-check-name="plex web"]');
    const { body } = await hub.api('GET', '/checks');
    const c = body.checks[0];
    assert.deepEqual([c.type, c.target, c.json_path, c.server_ids, c.state], ['http', 'http://plex.lan:32400/web', 'status.ok', ['nas', 'pi'], 'pending']);
  });

  test('per-agent results, a failure seen from one agent only, the latency chart', async () => {
    const { body } = await hub.api('GET', '/checks');
    const id = body.checks[0].id;
    const answer = await report('pi', [{ check_id: id, status: 'up', latency_ms: 12.5, status_code: 200, checked_at: new Date().toISOString() }]);
    assert.equal(answer.checks[0].id, id, 'the check reaches the agent in the heartbeat answer');
    await report('nas', [{ check_id: id, status: 'down', latency_ms: 3, error: 'connection refused', checked_at: new Date().toISOString() }]);
    // The list updates live (check.changed).
    await page.waitForSelector('#checks-table tr[data-check-name="plex web"] >> text=1/2 agents up');
    await page.click('#checks-table a >> text=plex web');
    await page.waitForSelector('#check-agents tr[data-agent="nas"]');
    // The form's default is one retry: the first failure is not down yet.
    assert.match(await page.textContent('#check-agents tr[data-agent="nas"]'), /Pending.*1 failure\(s\) in a row.*connection refused/s);
    await report('nas', [{ check_id: id, status: 'down', latency_ms: 3, error: 'connection refused', checked_at: new Date().toISOString() }]);
    await page.waitForSelector('#check-agents tr[data-agent="nas"] [data-check-state="down"]');
    assert.match(await page.textContent('#check-agents tr[data-agent="nas"]'), /Down.*2 failure\(s\) in a row.*connection refused/s);
    assert.match(await page.textContent('#check-agents tr[data-agent="pi"]'), /Up.*12\.5 ms.*HTTP 200/s);
    assert.equal(await page.getAttribute('.page-head [data-check-state]', 'data-check-state'), 'up', 'quorum is all agents: one failing is not down');
    await page.waitForSelector('#latency-chart canvas');
  });

  test('certificate expiry list and the server page panel', async () => {
    const r = await hub.api('POST', '/checks', { name: 'nas cert', type: 'tls', target: 'nas.lan:443', server_ids: ['pi'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const soon = new Date(Date.now() + 5 * 86400000).toISOString();
    await report('pi', [{ check_id: r.body.id, status: 'down', error: 'certificate expires in 5.0 days', cert_expires_at: soon, checked_at: new Date().toISOString() }]);
    await page.goto(hub.url + '/checks');
    await page.waitForSelector('#cert-expiry tr[data-cert-check="nas cert"]');
    assert.match(await page.textContent('#cert-expiry tr[data-cert-check="nas cert"]'), /pi.*-\d\d[45] d$/s);
    const alerts = await hub.api('GET', '/alerts?alert_type=check');
    assert.equal(alerts.body.alerts.length, 1, 'the failing certificate check alerted');
    await page.goto(hub.url + '/servers/pi');
    await page.waitForSelector('#server-checks tr[data-check-name="nas cert"]');
    assert.match(await page.textContent('#server-checks'), /plex web.*Up/s);
  });

  test('edit a check keeps what the form did not change', async () => {
    const { body } = await hub.api('GET', '/checks');
    const c = body.checks.find((x) => x.name === 'plex web');
    await page.goto(`${hub.url}/checks/${c.id}`);
    await page.click('#edit-check');
    assert.equal(await page.isDisabled('#chk-type'), true, 'the type cannot change');
    await page.fill('#chk-retries', '2');
    await page.check('#check-form input[name=critical]');
    await page.click('#check-form button[type=submit]');
    await page.waitForSelector('#check-form', { state: 'detached' });
    const after = (await hub.api('GET', `/checks/${c.id}`)).body;
    assert.deepEqual([after.retries, after.critical, after.json_path, after.target, after.server_ids], [2, true, 'status.ok', c.target, ['nas', 'pi']]);
  });

  test('delete a check', async () => {
    const { body } = await hub.api('GET', '/checks');
    const c = body.checks.find((x) => x.name === 'nas cert');
    await page.goto(`${hub.url}/checks/${c.id}`);
    await page.click('#delete-check');
    await page.click('dialog button.btn-danger');
    await page.waitForURL('**/checks');
    await page.waitForSelector('#checks-table');
    assert.equal(await page.locator('#checks-table tr[data-check-name="nas cert"]').count(), 0);
    const alerts = await hub.api('GET', '/alerts?alert_type=check&status=resolved');
    assert.equal(alerts.body.alerts[0].resolution_reason, 'check deleted');
  });
});
