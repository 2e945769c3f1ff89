// Browser tests of setting everything up from the dashboard (issue 15):
// channels from the providers' own field descriptions, servers, expected
// services from the agent's inventory, settings, charts, themes, the public
// status page, layout and the README screenshots. The real hub binary with
// SQLite, driven in headless Chromium. Run with `node --test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { API_KEY, launchBrowser, screenshotDir, startHub } from './hub.js';

let hub, browser, context, page;

async function signIn() {
  await page.goto(hub.url + '/');
  await page.waitForURL('**/login');
  await page.fill('#api-key', API_KEY);
  await page.press('#api-key', 'Enter');
  await page.waitForSelector('.cards');
}

describe('setting up from the browser', { timeout: 240000 }, () => {
  before(async () => {
    hub = await startHub();
    await hub.heartbeat('nas-1');
    await hub.heartbeat('pihole');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => { console.error('page error:', err); });
    await signIn();
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  test('a webhook channel: created from the generated form, tested at a local receiver, edited with its secret kept, deleted', async () => {
    const got = [];
    const secret = 'e2e-webhook-secret-0123456789';
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { got.push({ url: req.url, sig: req.headers['x-homelabcmd-signature'], body }); res.end('ok'); });
    });
    await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(hub.url + '/settings');
      await page.click('#add-channel');
      await page.selectOption('#ch-type', 'webhook');
      await page.fill('#ch-name', 'family-hook');
      await page.fill('#cfg-url', `http://127.0.0.1:${sink.address().port}/hook`);
      // Too short a secret: the field's own rule (min_length from the hub) says so.
      await page.fill('#cfg-secret', 'short');
      await page.click('#channel-form button[type=submit]');
      assert.match(await page.textContent('#channel-form .field-error'), /at least 16 characters/);
      await page.fill('#cfg-secret', secret);
      await page.click('#channel-form button[type=submit]');
      const row = page.locator('tr[data-type="webhook"]');
      await row.waitFor();
      assert.match(await row.textContent(), /family-hook/);
      assert.doesNotMatch(await page.textContent('section[aria-labelledby=ch-h]'), /null/, 'no stray "null" text');

      await row.locator('[data-action=test]').click();
      await row.locator('[data-testid=test-result][data-ok="true"]').waitFor();
      assert.equal(got.length, 1);
      assert.equal(got[0].url, '/hook');
      assert.equal(got[0].sig, 'sha256=' + createHmac('sha256', secret).update(got[0].body).digest('hex'), 'signed with the secret typed in the form');

      // Edit: the secret shows empty ("stored"); renaming keeps it.
      await row.locator('[data-action=edit]').click();
      assert.equal(await page.inputValue('#cfg-secret'), '');
      assert.equal(await page.inputValue('#cfg-url'), '', 'the URL is a secret of a webhook channel');
      await page.fill('#ch-name', 'family-hook-2');
      // Severity routing: all boxes checked (no limit); leave out "high".
      assert.equal(await page.locator('#ch-severities input:checked').count(), 4);
      await page.uncheck('#ch-severities input[value=high]');
      await page.click('#channel-form button[type=submit]');
      await page.waitForSelector('tr[data-type="webhook"]:has-text("family-hook-2")');
      assert.match(await page.textContent('tr[data-type="webhook"] [data-testid=routing]'), /severities low, medium, critical/);
      assert.deepEqual((await hub.api('GET', '/notifications/channels')).body.channels[0].severities, ['low', 'medium', 'critical']);
      await page.locator('tr[data-type="webhook"] [data-action=test]').click();
      await page.locator('tr[data-type="webhook"] [data-testid=test-result][data-ok="true"]').waitFor();
      assert.equal(got.length, 2);
      assert.equal(got[1].sig, 'sha256=' + createHmac('sha256', secret).update(got[1].body).digest('hex'), 'the stored secret was kept');

      // Disable, then enable.
      await page.locator('tr[data-type="webhook"] [data-action=toggle]').click();
      await page.waitForSelector('tr[data-type="webhook"]:has-text("Disabled")');
      await page.locator('tr[data-type="webhook"] [data-action=toggle]').click();
      await page.waitForSelector('tr[data-type="webhook"]:has-text("Enabled")');

      // A failing receiver: the provider's error text shows in the row.
      sink.close();
      await new Promise((r) => setTimeout(r, 50));
      await page.locator('tr[data-type="webhook"] [data-action=test]').click();
      await page.locator('tr[data-type="webhook"] [data-testid=test-result][data-ok="false"]').waitFor();
      assert.match(await page.textContent('tr[data-type="webhook"] [data-testid=test-result]'), /Test failed: .+/);

      await page.locator('tr[data-type="webhook"] [data-action=delete]').click();
      await page.click('dialog[open] .btn-danger');
      await page.waitForSelector('tr[data-type="webhook"]', { state: 'detached' });
      assert.equal((await hub.api('GET', '/notifications/channels')).body.total, 0);
    } finally {
      sink.close();
    }
  });

  // One valid config per other provider (as typed into the form) and one
  // value the hub refuses, with the words its error must contain.
  const others = [
    { type: 'slack', fill: { 'cfg-webhook_url': 'https://hooks.slack.test/services/T/B/x' } },
    { type: 'discord', fill: { 'cfg-webhook_url': 'https://discord.test/api/webhooks/1/x', 'cfg-username': 'lab' } },
    { type: 'ntfy', fill: { 'cfg-server_url': 'https://ntfy.test', 'cfg-topic': 'lab-alerts' }, bad: { 'cfg-topic': 'two words' }, err: /invalid format/ },
    { type: 'gotify', fill: { 'cfg-server_url': 'https://gotify.test', 'cfg-token': 'gotify-token' } },
    { type: 'email', fill: { 'cfg-host': 'smtp.test', 'cfg-from': 'lab@example.org', 'cfg-to': 'me@example.org, you@example.org' }, bad: { 'cfg-from': 'Lab <lab@example.org>' }, err: /from/i },
    { type: 'telegram', fill: { 'cfg-bot_token': '123:abc', 'cfg-chat_id': '-1001' } },
    { type: 'pushover', fill: { 'cfg-token': 'app-token', 'cfg-user_key': 'user-key' }, bad: { 'cfg-emergency_retry': '5' }, err: /between 30/ },
    { type: 'matrix', fill: { 'cfg-homeserver_url': 'https://matrix.test', 'cfg-access_token': 'tok', 'cfg-room_id': '!room:matrix.test' }, bad: { 'cfg-room_id': 'room' }, err: /invalid format/ },
    { type: 'mqtt', fill: { 'cfg-url': 'mqtt://broker.test:1883', 'cfg-topic': 'homelab/alerts' }, bad: { 'cfg-url': 'ftp://broker.test' }, err: /url must be mqtt:\/\// },
  ];
  for (const p of others) {
    test(`a ${p.type} channel: validation errors shown, created, edited, deleted`, async () => {
      await page.goto(hub.url + '/settings');
      await page.click('#add-channel');
      await page.selectOption('#ch-type', p.type);
      await page.fill('#ch-name', `${p.type}-1`);
      // Nothing filled in: every required field says so.
      await page.click('#channel-form button[type=submit]');
      const required = await page.$$eval('#channel-config input[required]', (els) => els.map((e) => e.id));
      assert.ok(required.length > 0);
      for (const id of required) assert.match(await page.textContent(`#${id}-error`), /required/);
      for (const [id, v] of Object.entries(p.fill)) await page.fill(`#${id}`, v);
      if (p.bad) {
        for (const [id, v] of Object.entries(p.bad)) await page.fill(`#${id}`, v);
        await page.click('#channel-form button[type=submit]');
        await page.waitForSelector('#channel-form .field-error, #channel-form .form-error');
        assert.match(await page.textContent('#channel-form'), p.err);
        for (const [id] of Object.entries(p.bad)) await page.fill(`#${id}`, p.fill[id] || '');
      }
      await page.click('#channel-form button[type=submit]');
      const row = page.locator(`tr[data-type="${p.type}"]`);
      await row.waitFor();
      await row.locator('[data-action=edit]').click();
      await page.fill('#ch-name', `${p.type}-renamed`);
      await page.selectOption('#ch-sev', 'critical');
      await page.click('#channel-form button[type=submit]');
      await page.waitForSelector(`tr[data-type="${p.type}"]:has-text("${p.type}-renamed")`);
      const list = (await hub.api('GET', '/notifications/channels')).body.channels;
      const ch = list.find((c) => c.type === p.type);
      assert.equal(ch.min_severity, 'critical');
      await row.locator('[data-action=delete]').click();
      await page.click('dialog[open] .btn-danger');
      await page.waitForSelector(`tr[data-type="${p.type}"]`, { state: 'detached' });
    });
  }

  test('a server: display name, machine type, token rotation, deleted after a confirmation that says what goes', async () => {
    await page.goto(hub.url + '/servers/pihole');
    await page.waitForSelector('#server-form');
    await page.fill('#srv-display', 'DNS box');
    await page.selectOption('#srv-type', 'workstation');
    await page.click('#server-form button[type=submit]');
    await page.waitForSelector('.page-head h1:has-text("DNS box")');
    await page.waitForSelector('[data-testid=machine-type]:has-text("Workstation")');
    const s = (await hub.api('GET', '/servers/pihole')).body;
    assert.equal(s.display_name, 'DNS box');
    assert.equal(s.machine_type, 'workstation');
    // Saving with nothing changed sends nothing.
    await page.click('#server-form button[type=submit]');
    await page.waitForSelector('.toast:has-text("No changes")');

    await page.click('#delete-server');
    const text = await page.textContent('dialog[open]');
    for (const what of ['metrics history', 'expected services', 'alerts', 'actions', 'agent credentials', 'cannot be undone']) assert.ok(text.includes(what), `the confirmation names ${what}: ${text}`);
    await page.click('dialog[open] .btn:has-text("Cancel")');
    assert.equal((await hub.api('GET', '/servers/pihole')).status, 200, 'cancel keeps it');
    await page.click('#delete-server');
    await page.click('dialog[open] .btn-danger');
    await page.waitForURL(hub.url + '/');
    await page.waitForSelector('.cards .card[data-server-id="nas-1"]');
    assert.equal(await page.locator('.card[data-server-id="pihole"]').count(), 0);
    assert.equal((await hub.api('GET', '/servers/pihole')).status, 404);
  });

  test('a registered agent: rotate and revoke its token from the server page', async () => {
    const tok = await hub.api('POST', '/agents/register/tokens', { mode: 'readonly' });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const claim = await hub.api('POST', '/agents/register/claim', { token: tok.body.token, server_id: 'reg-1', hostname: 'reg-1' });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const beat = async (token) => (await fetch(hub.url + '/api/v1/agents/heartbeat', { method: 'POST',
      headers: { 'X-Agent-Token': token, 'X-Server-GUID': claim.body.server_guid, 'Content-Type': 'application/json' },
      body: JSON.stringify({ server_id: 'reg-1', hostname: 'reg-1', timestamp: new Date().toISOString(), metrics: { cpu_percent: 1 } }) })).status;
    assert.equal(await beat(claim.body.api_token), 200);
    await page.goto(hub.url + '/servers/reg-1');
    await page.click('#rotate-credential');
    await page.click('dialog[open] .btn-danger');
    const fresh = await page.textContent('#new-agent-token');
    await page.click('dialog[open] .btn-primary');
    assert.equal(await beat(claim.body.api_token), 401, 'the old token stops working');
    assert.equal(await beat(fresh), 200, 'the new one works');
    await page.click('#revoke-credential');
    await page.click('dialog[open] .btn-danger');
    await page.waitForSelector('.toast:has-text("Agent token revoked")');
    assert.equal(await beat(fresh), 401);
  });

  test('expected services from what the agent sees: its monitored services adopted, the picker offers its units, a typo warns', async () => {
    const r = await hub.api('POST', '/agents/heartbeat', { server_id: 'media-1', hostname: 'media-1', timestamp: new Date().toISOString(),
      metrics: { cpu_percent: 5, memory_percent: 30, disk_percent: 40 },
      services: [{ name: 'jellyfin', status: 'running' }],
      monitored_services: ['jellyfin'],
      available_units: [{ name: 'jellyfin.service', description: 'Jellyfin Media Server' }, { name: 'sonarr.service', description: 'Sonarr TV' },
        { name: 'radarr.service', description: 'Radarr Movies' }, { name: 'ssh.service', description: 'OpenBSD Secure Shell server' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await page.goto(hub.url + '/servers/media-1');
    // jellyfin came from the agent's own list (agent install --services).
    await page.locator('li.svc[data-service="jellyfin"]').waitFor();

    await page.click('#add-service');
    await page.waitForSelector('#svc-suggestions .unit-option');
    assert.match(await page.textContent('#svc-inventory-note'), /4 service units/);
    await page.fill('#svc-name', 'son');
    await page.waitForFunction(() => document.querySelectorAll('#svc-suggestions .unit-option').length === 1);
    await page.click('#svc-suggestions .unit-option[data-unit="sonarr"]');
    assert.equal(await page.inputValue('#svc-name'), 'sonarr');
    assert.equal(await page.isHidden('#svc-unknown'), true);
    await page.click('#service-form button[type=submit]');
    await page.locator('li.svc[data-service="sonarr"]').waitFor();

    // A name the agent does not see: warned, still allowed.
    await page.click('#add-service');
    await page.waitForSelector('#svc-suggestions .unit-option');
    await page.fill('#svc-name', 'sonar');
    await page.waitForSelector('#svc-unknown:not([hidden])');
    assert.match(await page.textContent('#svc-unknown'), /does not report a unit "sonar.service"/);
    await page.click('#service-form button[type=submit]');
    await page.locator('li.svc[data-service="sonar"]').waitFor();
  });

  test('settings: only the changed fields are saved; reminders and alert quality are editable', async () => {
    await page.goto(hub.url + '/settings');
    await page.waitForSelector('#thresholds-form');
    const bodies = [];
    const onReq = (req) => { if (req.method() === 'PUT' && req.url().endsWith('/config/thresholds')) bodies.push(JSON.parse(req.postData())); };
    page.on('request', onReq);
    try {
      await page.fill('#thr-rem-crit', '45');
      await page.fill('#thr-group', '20');
      await page.click('#thresholds-form button[type=submit]');
      await page.waitForSelector('.toast:has-text("Thresholds saved")');
      assert.deepEqual(bodies, [{ reminders: { critical_minutes: 45 }, group_seconds: 20 }]);
      const t = (await hub.api('GET', '/config/thresholds')).body;
      assert.equal(t.reminders.critical_minutes, 45);
      assert.equal(t.group_seconds, 20);
      await page.click('#thresholds-form button[type=submit]');
      await page.waitForSelector('.toast:has-text("No changes")');
      assert.equal(bodies.length, 1, 'nothing sent when nothing changed');
      // Out of range: the hub's error shows at the field.
      await page.fill('#thr-rem-high', '5');
      await page.click('#thresholds-form button[type=submit]');
      await page.waitForSelector('#thresholds-form .field-error, #thresholds-form .form-error');
    } finally {
      page.off('request', onReq);
    }
  });

  test('settings: an offline timeout given in the environment wins, shown read-only with its source', async () => {
    const hub2 = await startHub({ env: { HOMELAB_CMD_OFFLINE_TIMEOUT: '5m' } });
    const p = await browser.newPage();
    try {
      const put = await hub2.api('PUT', '/config/thresholds', { server_offline_seconds: 900 });
      assert.equal(put.status, 422, JSON.stringify(put.body));
      assert.match(JSON.stringify(put.body), /HOMELAB_CMD_OFFLINE_TIMEOUT/);
      assert.equal((await hub2.api('PUT', '/config/thresholds', { group_seconds: 15 })).status, 200);
      assert.equal((await hub2.api('GET', '/config/thresholds')).body.server_offline_seconds, 300);
      await p.goto(hub2.url + '/login');
      await p.fill('#api-key', API_KEY);
      await p.press('#api-key', 'Enter');
      await p.waitForSelector('.cards, .empty');
      await p.goto(hub2.url + '/settings');
      await p.waitForSelector('#thr-offline[readonly]');
      assert.equal(await p.inputValue('#thr-offline'), '300');
      assert.match(await p.textContent('[data-testid=pinned]'), /Set by HOMELAB_CMD_OFFLINE_TIMEOUT \(env\)/);
    } finally {
      await p.close();
      await hub2.stop();
    }
  });

  test('charts: a fixed window per range with round ticks, a collecting-data state, gaps as gaps (1, 5 and 10,000 points)', async () => {
    const axis = () => page.evaluate(() => {
      const u = document.getElementById('metrics-chart').plot;
      const splits = u.axes[0].splits(u, 0, u.scales.x.min, u.scales.x.max);
      return { span: u.scales.x.max - u.scales.x.min, splits, labels: u.axes[0].values(u, splits), state: document.getElementById('metrics-chart').dataset.state,
        note: document.getElementById('chart-summary').textContent };
    });
    // One point.
    await hub.heartbeat('one-point');
    await page.goto(hub.url + '/servers/one-point');
    await page.waitForSelector('#metrics-chart[data-state] canvas');
    let a = await axis();
    assert.equal(a.state, 'collecting');
    assert.match(a.note, /Collecting data: 1 point so far/);
    assert.ok(Math.abs(a.span - 86400) <= 5, `24h spans ${a.span} s`);
    assert.ok(a.splits.length >= 7 && a.splits.length <= 8, `${a.splits.length} ticks`);
    for (let k = 1; k < a.splits.length; k++) assert.equal(a.splits[k] - a.splits[k - 1], 3 * 3600, 'ticks every 3 hours');
    assert.ok(a.labels.every((l) => /^\d\d:00$/.test(l)), a.labels.join(' '));

    // Five points a minute apart: still the whole 24 hours, not five minutes.
    const now = Date.now();
    for (let k = 5; k >= 1; k--) await hub.heartbeat('five', { timestamp: new Date(now - k * 60000) });
    await page.goto(hub.url + '/servers/five');
    await page.waitForSelector('#metrics-chart[data-state] canvas');
    a = await axis();
    assert.equal(a.state, 'collecting');
    assert.ok(Math.abs(a.span - 86400) <= 5, `24h spans ${a.span} s`);
    await page.click('[data-range="7d"]');
    await page.waitForFunction(() => { const u = document.getElementById('metrics-chart').plot; return u && u.scales.x.max - u.scales.x.min > 86400 * 6; });
    a = await axis();
    assert.ok(Math.abs(a.span - 7 * 86400) <= 5);
    for (let k = 1; k < a.splits.length; k++) assert.ok([23, 24, 25].includes((a.splits[k] - a.splits[k - 1]) / 3600), 'daily ticks');

    // 10,000 points over 24 h with an hour missing: drawn, the hour a gap.
    const res = await page.evaluate(async () => {
      const src = document.querySelector('script[type=module]').src.replace(/app\.js$/, 'chart.js');
      const m = await import(src);
      const end = Date.now();
      const pts = [];
      for (let k = 0; k < 10000; k++) {
        const t = end - 86400e3 + k * 8640;
        if (t > end - 12 * 3600e3 && t < end - 11 * 3600e3) continue;
        pts.push({ timestamp: new Date(t).toISOString(), cpu_percent: 50 + 40 * Math.sin(k / 300), memory_percent: 60, disk_percent: 70 });
      }
      const box = document.createElement('div');
      box.style.width = '900px';
      document.body.append(box);
      const u = m.drawChart(box, pts, { onCleanup() {} }, { range: '24h', now: end });
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
      const nulls = u.data[1].filter((v) => v === null).length;
      const out = { n: pts.length, rows: u.data[0].length, nulls, span: u.scales.x.max - u.scales.x.min, canvas: !!box.querySelector('canvas') };
      box.remove();
      return out;
    });
    assert.ok(res.n > 9500);
    assert.equal(res.rows, res.n + 1, 'one break inserted');
    assert.equal(res.nulls, 1);
    assert.ok(res.canvas);
    assert.ok(Math.abs(res.span - 86400) <= 1, `span ${res.span}`);
  });

  test('phone: a server opened from the overview shows at the top, under the sticky header; alert buttons do not touch', async () => {
    // Enough servers that the card is below the fold, and an open alert.
    for (let k = 0; k < 8; k++) await hub.heartbeat(`phone-${k}`);
    await hub.heartbeat('phone-alert', { metrics: { cpu_percent: 5, memory_percent: 20, disk_percent: 97 } });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.addCookies((await context.cookies()).filter((c) => c.name === 'homelabcmd_session'));
    const p = await phone.newPage();
    try {
      await p.goto(hub.url + '/');
      await p.waitForSelector('.cards .card');
      const link = p.locator('.card[data-server-id="phone-7"] .card-title a');
      await link.scrollIntoViewIfNeeded();
      await link.click();
      await p.waitForURL('**/servers/phone-7');
      await p.waitForSelector('.page-head h1:has-text("phone-7")');
      const pos = await p.evaluate(() => ({ y: window.scrollY, header: document.querySelector('.topbar').getBoundingClientRect().bottom,
        title: document.querySelector('.page-head h1').getBoundingClientRect().top }));
      assert.equal(pos.y, 0, 'the page starts at the top');
      assert.ok(pos.title >= pos.header, `the name (${pos.title}px) is below the header (${pos.header}px)`);

      await p.goto(hub.url + '/alerts');
      const row = p.locator('tr:has(button:has-text("Resolve"))').first();
      await row.waitFor();
      const ack = await row.locator('button:has-text("Acknowledge")').boundingBox();
      const res = await row.locator('button:has-text("Resolve")').boundingBox();
      const apart = Math.max(res.x - (ack.x + ack.width), res.y - (ack.y + ack.height), ack.x - (res.x + res.width));
      assert.ok(apart >= 6, `the buttons are ${apart}px apart`);
    } finally {
      await phone.close();
    }
  });

  test('themes: follow the system, a toggle that sticks, WCAG AA contrast in both', async () => {
    const contrastPairs = () => {
      const css = getComputedStyle(document.documentElement);
      const v = (n) => css.getPropertyValue(n).trim();
      const rgb = (c) => {
        const el = document.createElement('div');
        el.style.color = c;
        document.body.append(el);
        const m = getComputedStyle(el).color.match(/\d+(\.\d+)?/g).map(Number);
        el.remove();
        return m.slice(0, 3);
      };
      const lum = (c) => { const [r, g, b] = rgb(c).map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const el = (sel) => document.querySelector(sel);
      const fg = (sel) => getComputedStyle(el(sel)).color;
      const pairs = {};
      for (const [name, f, b] of [['text/bg', '--text', '--bg'], ['text/surface', '--text', '--surface'], ['muted/surface', '--muted', '--surface'],
        ['muted/bg', '--muted', '--bg'], ['ok/surface', '--ok', '--surface'], ['bad/surface', '--bad', '--surface'], ['warn/surface', '--warn', '--surface'],
        ['info/bg', '--info', '--bg'], ['unknown/surface', '--unknown', '--surface'], ['text/surface-2', '--text', '--surface-2']]) pairs[name] = ratio(v(f), v(b));
      pairs['button primary'] = ratio(fg('.btn-primary'), getComputedStyle(el('.btn-primary')).backgroundColor);
      return pairs;
    };
    for (const scheme of ['light', 'dark']) {
      const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      await ctx.addCookies((await context.cookies()).filter((c) => c.name === 'homelabcmd_session'));
      const p = await ctx.newPage();
      try {
        await p.goto(hub.url + '/settings');
        await p.waitForSelector('.btn-primary');
        assert.equal(await p.getAttribute('html', 'data-effective-theme'), scheme, `follows the system's ${scheme}`);
        const pairs = await p.evaluate(contrastPairs);
        for (const [name, r] of Object.entries(pairs)) assert.ok(r >= 4.5, `${scheme}: ${name} contrast ${r.toFixed(2)} < 4.5`);
        if (scheme === 'light') {
          assert.equal(await p.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(246, 248, 250)');
          // auto → light → dark; the pick survives a reload.
          await p.click('#theme-toggle');
          assert.equal(await p.getAttribute('html', 'data-theme'), 'light');
          await p.click('#theme-toggle');
          assert.equal(await p.getAttribute('html', 'data-effective-theme'), 'dark');
          await p.reload();
          await p.waitForSelector('.btn-primary');
          assert.equal(await p.getAttribute('html', 'data-effective-theme'), 'dark');
          assert.equal(await p.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(13, 13, 13)');
          assert.match(await p.textContent('#theme-toggle'), /Dark/);
          await p.click('#theme-toggle');
          assert.equal(await p.getAttribute('html', 'data-effective-theme'), 'light', 'back to following the system');
        }
      } finally {
        await ctx.close();
      }
    }
  });

  test('public status page: 404 until enabled; then, without a session, the chosen servers and services and nothing internal', async () => {
    await hub.heartbeat('family-nas', { services: [{ name: 'plex', status: 'running', pid: 7, memory_mb: 100, cpu_percent: 1 }] });
    assert.equal((await hub.api('POST', '/servers/family-nas/services', { service_name: 'plex', display_name: 'Films' })).status, 201);
    assert.equal((await hub.api('PUT', '/servers/family-nas', { ip_address: '192.168.7.7' })).status, 200);
    await hub.heartbeat('family-nas', { services: [{ name: 'plex', status: 'running', pid: 7, memory_mb: 100, cpu_percent: 1 }] });
    const anon = await browser.newContext();
    const p = await anon.newPage();
    try {
      assert.equal((await p.goto(hub.url + '/status')).status(), 404);
      await page.goto(hub.url + '/settings');
      await page.waitForSelector('#status-page-form');
      await page.check('#sp-enabled');
      await page.fill('#sp-title', 'The Smiths at home');
      await page.check('#status-page-form input[name=server][value="family-nas"]');
      await page.check('#status-page-form input[name=service][value="family-nas/plex"]');
      await page.click('#status-page-form button[type=submit]');
      await page.waitForSelector('.toast:has-text("Status page published")');
      const res = await p.goto(hub.url + '/status');
      assert.equal(res.status(), 200);
      assert.equal(await p.title(), 'The Smiths at home');
      assert.match(await p.textContent('.overall'), /All systems operational/);
      const text = await p.textContent('body');
      assert.match(text, /family-nas/);
      assert.match(text, /Films/);
      for (const hidden of ['192.168', 'nas-1', 'pihole', 'CPU', '%']) assert.ok(!text.includes(hidden), `shows ${hidden}`);
      await hub.heartbeat('family-nas', { services: [{ name: 'plex', status: 'stopped' }] });
      await p.reload();
      assert.match(await p.textContent('.overall'), /Some systems are down/);
      await p.screenshot({ path: path.join(screenshotDir(), 'status.png'), fullPage: true });
      await page.uncheck('#sp-enabled');
      await page.click('#status-page-form button[type=submit]');
      await page.waitForSelector('.toast:has-text("Status page saved (off)")');
      assert.equal((await p.goto(hub.url + '/status')).status(), 404);
    } finally {
      await anon.close();
    }
  });

  test('layout: server and workstation sections, order by drag and drop and by keyboard, collapsed sections, kept across reloads', async () => {
    for (const id of ['lay-a', 'lay-b', 'lay-c']) await hub.heartbeat(id);
    await hub.heartbeat('lay-desk');
    assert.equal((await hub.api('PUT', '/servers/lay-desk', { machine_type: 'workstation' })).status, 200);
    await page.goto(hub.url + '/?q=lay-');
    await page.waitForSelector('#cards-workstations .card[data-server-id="lay-desk"]');
    const order = () => page.$$eval('#cards-servers .card', (els) => els.map((e) => e.dataset.serverId));
    assert.deepEqual(await order(), ['lay-a', 'lay-b', 'lay-c']);

    await page.dragAndDrop('.card[data-server-id="lay-c"]', '.card[data-server-id="lay-a"]', { targetPosition: { x: 20, y: 10 } });
    await page.waitForFunction(() => document.querySelector('#cards-servers .card').dataset.serverId === 'lay-c');
    assert.deepEqual(await order(), ['lay-c', 'lay-a', 'lay-b']);
    // Keyboard: lay-b moves up one.
    await page.focus('.card[data-server-id="lay-b"] .card-move');
    await page.keyboard.press('ArrowUp');
    assert.deepEqual(await order(), ['lay-c', 'lay-b', 'lay-a']);
    assert.equal(await page.evaluate(() => document.activeElement.closest('.card').dataset.serverId), 'lay-b', 'focus stays on the moved card');

    await page.click('.section-toggle[data-section="workstations"]');
    assert.equal(await page.isHidden('#cards-workstations'), true);
    await page.waitForFunction(async () => {
      const d = await (await fetch('/api/v1/preferences/dashboard')).json();
      return d.collapsed_sections?.includes('workstations') && d.card_order?.servers?.slice(0, 3).join() === 'lay-c,lay-b,lay-a';
    });
    await page.reload();
    await page.waitForSelector('#cards-servers .card');
    assert.deepEqual(await order(), ['lay-c', 'lay-b', 'lay-a'], 'order kept across a reload');
    assert.equal(await page.getAttribute('.section-toggle[data-section="workstations"]', 'aria-expanded'), 'false');
    assert.equal(await page.isHidden('#cards-workstations'), true);
    await page.click('.section-toggle[data-section="workstations"]');
    await page.waitForSelector('#cards-workstations .card[data-server-id="lay-desk"]');
  });

  test('sparklines: CPU and RAM over the last hour on a card', async () => {
    const now = Date.now();
    for (const [ago, cpu] of [[40, 20], [20, 60], [0, 35]]) {
      await hub.heartbeat('spark', { timestamp: new Date(now - ago * 60000), metrics: { cpu_percent: cpu, memory_percent: 50, disk_percent: 40 } });
    }
    await page.goto(hub.url + '/?q=spark');
    const svg = page.locator('.card[data-server-id="spark"] svg.sparkline');
    await svg.waitFor();
    assert.equal(await svg.getAttribute('aria-label'), 'Last hour: CPU 35%, RAM 50% now');
    const n = await svg.locator('polyline.spark-cpu').evaluate((e) => e.getAttribute('points').split(' ').length);
    assert.equal(n, 3);
  });

  test('tags: set on the server page, shown on the card, filtered on the overview', async () => {
    await hub.heartbeat('tag-a');
    await hub.heartbeat('tag-b');
    await page.goto(hub.url + '/servers/tag-a');
    await page.waitForSelector('#srv-tags');
    await page.fill('#srv-tags', 'Media, rack-1');
    await page.click('#server-form button[type=submit]');
    await page.waitForSelector('.toast:has-text("Server saved")');
    assert.deepEqual((await hub.api('GET', '/servers/tag-a')).body.tags, ['media', 'rack-1']);
    await page.fill('#srv-tags', 'bad tag!');
    await page.click('#server-form button[type=submit]');
    await page.waitForSelector('#server-form .field-error, #server-form .form-error');
    await page.goto(hub.url + '/?q=tag-');
    await page.waitForSelector('.card[data-server-id="tag-b"]');
    assert.match(await page.textContent('.card[data-server-id="tag-a"] [data-testid=tags]'), /#media/);
    await page.selectOption('#tag-filter', 'rack-1');
    await page.waitForFunction(() => document.querySelectorAll('.cards .card').length === 1);
    assert.match(page.url(), /tag=rack-1/);
    await page.reload();
    await page.waitForSelector('.card[data-server-id="tag-a"]');
    assert.equal(await page.locator('.cards .card').count(), 1, 'the tag filter is kept in the URL');
  });
});
