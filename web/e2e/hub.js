// hub.js: builds the real homelabcmd binary, runs `serve` on a free port in
// a temporary directory (SQLite), and talks to it over its API. Also starts
// Debian's Chromium through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = path.join(repoRoot, 'test-artifacts');
export const API_KEY = 'e2e-operator-key-0123456789abcdef';

/**
 * screenshotDir is where the README's screenshots are written: docs/screenshots
 * with UPDATE_SCREENSHOTS=1, else test-artifacts/screenshots (so a test run
 * leaves the tracked files alone).
 */
export function screenshotDir() {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs', 'screenshots') : path.join(artifacts, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startHub builds and starts the hub; call hub.stop() when done. opts.port
 * picks the port, opts.env adds environment variables.
 */
export async function startHub(opts = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'homelabcmd-web-e2e-'));
  // HOMELABCMD_BIN runs a binary built elsewhere; by default build this tree.
  const bin = process.env.HOMELABCMD_BIN || path.join(dir, 'homelabcmd');
  if (!process.env.HOMELABCMD_BIN) {
    execFileSync('go', ['build', '-o', bin, './cmd/homelabcmd'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const port = opts.port || await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let proc, exited;
  const launch = async () => {
    proc = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', String(port), '--local-agent=false'], {
      cwd: dir,
      // The channel test's sink listens on 127.0.0.1: allow private targets.
      env: { ...process.env, HOMELAB_CMD_API_KEY: API_KEY, HOMELAB_CMD_NOTIFY_ALLOW_PRIVATE: 'true', ...(opts.env || {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    exited = new Promise((resolve) => proc.once('exit', resolve));
    const deadline = Date.now() + 20000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`hub exited early:\n${output}`);
      try {
        const r = await fetch(`${url}/api/v1/system/health`);
        if (r.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`hub did not answer within 20 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    url,
    output: () => output,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    /** restart stops the hub and starts it again on the same port and data. */
    async restart(downMs = 0) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    /** api calls the hub with the operator key; returns {status, body}. */
    async api(method, p, body) {
      const r = await fetch(url + '/api/v1' + p, {
        method,
        headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch { json = text; }
      return { status: r.status, body: json };
    },
    /** heartbeat reports for a server like an agent would. */
    async heartbeat(serverId, { services = [], metrics, timestamp, hostname } = {}) {
      const res = await this.api('POST', '/agents/heartbeat', {
        server_id: serverId,
        hostname: hostname || serverId,
        timestamp: (timestamp || new Date()).toISOString(),
        agent_version: '2.0.0',
        os_info: { distribution: 'Debian GNU/Linux', version: '12', kernel: '6.1.0-18-amd64', architecture: 'x86_64' },
        cpu_info: { cpu_model: 'Intel(R) N100', cpu_cores: 4 },
        metrics: metrics || { cpu_percent: 12, memory_percent: 40, disk_percent: 55, memory_total_mb: 16000, memory_used_mb: 6400, disk_total_gb: 900, disk_used_gb: 495, uptime_seconds: 86400, load_1m: 0.3, load_5m: 0.2, load_15m: 0.1 },
        services,
      });
      if (res.status !== 200) throw new Error(`heartbeat ${serverId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
}

/**
 * launchBrowser starts Debian's headless Chromium. Its pages prefer the dark
 * colour scheme unless a test asks for another (the dashboard follows the
 * system's; Playwright would emulate light).
 */
export async function launchBrowser() {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = (opts = {}) => newContext({ colorScheme: 'dark', ...opts });
  browser.newPage = (opts = {}) => newPage({ colorScheme: 'dark', ...opts });
  return browser;
}

/**
 * signedInPage opens a 1280×900 page signed in to hub with the operator
 * key, on the overview, logging the page's errors.
 */
export async function signedInPage(browser, hub) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (err) => { console.error('page error:', err); });
  await page.goto(hub.url + '/login');
  await page.fill('#api-key', API_KEY);
  await page.press('#api-key', 'Enter');
  await page.waitForSelector('.cards, .empty');
  return page;
}
