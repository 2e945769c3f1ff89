// Browser test of the Containers panel: the real hub binary, fed by a fake
// agent through the API (the real-dockerd end-to-end test is in Go,
// e2e/containers_test.go). A stopped expected container shows red; its
// Restart button queues restart_container, which the fake agent claims,
// carries out and reports, and the panel turns green.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, launchBrowser, startHub, signedInPage } from './hub.js';

const RED = 'rgb(248, 113, 113)'; // #F87171
const GREEN = 'rgb(74, 222, 128)'; // #4ADE80

let hub, browser, page;

const web = (state, extra = {}) => ({ name: 'web', id: 'a1b2c3', image: 'nginx:1.27', state, health: 'none', restart_count: 0, compose_project: 'site', compose_service: 'web', ...extra });
const db = { name: 'db', id: 'd4e5f6', image: 'postgres:16', state: 'running', health: 'healthy', restart_count: 0, cpu_percent: 1.5, memory_mb: 80 };

// beat sends a heartbeat with containers like an agent would and returns
// the hub's answer (pending commands included).
async function beat(containers) {
  const r = await hub.api('POST', '/agents/heartbeat', {
    server_id: 'dock-1', hostname: 'dock-1', timestamp: new Date().toISOString(), agent_version: '2.0.0',
    metrics: { cpu_percent: 10, memory_percent: 30, disk_percent: 40 }, services: [], containers,
    // Like our agent: it watches the expected units and runs container
    // actions (the hub hands actions only to agents declaring them).
    capabilities: ['expected_services', 'containers'],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('containers panel', { timeout: 120000 }, () => {
  before(async () => {
    hub = await startHub();
    await beat([web('exited', { exit_code: 1 }), db]);
    const r = await hub.api('POST', '/servers/dock-1/containers', { container_name: 'web', is_critical: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await hub.heartbeat('plain-1', {}); // a server without a container engine
    browser = await launchBrowser();
    page = await signedInPage(browser, hub);
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('a server without containers shows no panel', async () => {
    const answered = page.waitForResponse((r) => r.url().includes('/api/v1/servers/plain-1/containers'));
    await page.goto(hub.url + '/servers/plain-1');
    await page.waitForSelector('#services');
    await answered; // the panel has had its answer: it stays hidden
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    assert.equal(await page.locator('#containers').isVisible(), false);
  });

  test('the stopped expected container is red; Restart brings it back', async () => {
    await page.goto(hub.url + '/servers/dock-1');
    const row = page.locator('#containers li[data-container="web"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'failed');
    assert.equal(await row.evaluate((el) => getComputedStyle(el).borderLeftColor), RED);
    assert.match(await row.innerText(), /CRITICAL[\s\S]*nginx:1\.27[\s\S]*exited, exit code 1/);
    const other = page.locator('#containers li[data-container="db"]');
    assert.equal(await other.getAttribute('data-expected'), 'false');
    assert.equal(await other.locator('[data-health="healthy"]').count(), 1);
    await page.screenshot({ path: path.join(artifacts, 'containers-panel.png') });

    await row.locator('[data-action=restart]').click();
    await row.locator('text=restart queued').waitFor();
    // The fake agent: its next heartbeat claims the command, it reports
    // the result and a heartbeat with the container running.
    const answer = await beat([web('exited', { exit_code: 1 }), db]);
    const cmd = answer.pending_commands.find((c) => c.action_type === 'restart_container');
    assert.ok(cmd, JSON.stringify(answer));
    assert.equal(cmd.parameters.service_name, 'web');
    assert.deepEqual(answer.expected_containers, ['web']);
    const res = await hub.api('POST', `/agents/commands/${cmd.action_id}/result?server_id=dock-1`, { success: true, exit_code: 0, stdout: 'container web: restart done', duration_ms: 300 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await beat([web('running', { restart_count: 0, cpu_percent: 0.5, memory_mb: 12 }), db]);
    await page.waitForFunction(() => document.querySelector('#containers li[data-container="web"]')?.dataset.status === 'running');
    assert.equal(await row.evaluate((el) => getComputedStyle(el).borderLeftColor), GREEN);
    const action = await hub.api('GET', `/actions/${cmd.action_id}`);
    assert.equal(action.body.status, 'completed');
    assert.equal(action.body.verified, true);
  });
});
