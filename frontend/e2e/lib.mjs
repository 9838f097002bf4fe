// Helpers shared by the browser end-to-end tests (dashboard.e2e.mjs, tutorial.e2e.mjs): the node
// binary and Chromium to use, polling, free loopback ports, real nodes in temporary working
// directories with their logs in an artifacts folder, a console-error guard and screenshots.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(FRONTEND, '..');
export const ARTIFACTS = path.join(FRONTEND, 'e2e', 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const STEP_TIMEOUT_MS = 60_000;

function resolveNodeBin() {
  const given = process.env.NODE_BIN;
  if (!given) return path.resolve(FRONTEND, '../target/debug/bitcoin_rust');
  if (path.isAbsolute(given)) return given;
  // Relative: to the current directory, else to the repository root, else to frontend/.
  for (const base of [process.cwd(), ROOT, FRONTEND]) {
    const p = path.resolve(base, given);
    if (fs.existsSync(p)) return p;
  }
  return path.resolve(process.cwd(), given);
}
export const NODE_BIN = resolveNodeBin();

// ---------------------------------------------------------------------------------------------
// Helpers

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; fails with `what` and the last value seen. */
export async function waitUntil(what, fn, timeoutMs = 30_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastErr;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}` +
      (last !== undefined ? ` (last value: ${JSON.stringify(last)})` : '') +
      (lastErr ? ` (last error: ${lastErr.message})` : ''),
  );
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function getJson(url, timeoutMs = 3000) {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

export class Node {
  constructor(name, args, env = {}, logDir = ARTIFACTS) {
    this.name = name;
    this.args = args;
    this.env = env;
    this.proc = null;
    this.logPath = path.join(logDir, `${name}.log`);
  }
  get http() {
    return `http://127.0.0.1:${this.httpPort}`;
  }
  async start() {
    const log = fs.openSync(this.logPath, 'a');
    // From a working directory of its own, not the repository: the dashboard it serves at /ui/
    // must be the one embedded in the binary.
    this.cwd = this.cwd || fs.mkdtempSync(path.join(os.tmpdir(), `${this.name}-cwd-`));
    this.proc = spawn(NODE_BIN, this.args, {
      cwd: this.cwd,
      stdio: ['ignore', log, log],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', ...this.env },
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    let exitInfo = null;
    this.exited.then((x) => (exitInfo = x));
    await waitUntil(
      `${this.name} to answer ${this.http}/healthz`,
      async () => {
        if (exitInfo) throw new Error(`${this.name} exited early (${JSON.stringify(exitInfo)}): ${this.logTail()}`);
        return (await getJson(`${this.http}/healthz`, 1000)).status === 'ok';
      },
      30_000,
      200,
    ).catch((e) => {
      throw new Error(`${e.message}\n--- ${this.name} log ---\n${this.logTail()}`);
    });
  }
  logTail(n = 30) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  }
  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * Collects console errors and uncaught exceptions of a page. A step that provokes an error on
 * purpose (a refused request) declares it with `expect`; anything else fails the test.
 */
export class ConsoleGuard {
  constructor(name) {
    this.name = name;
    this.unexpected = [];
    this.allowed = [];
    this.seenAllowed = [];
  }
  attach(page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      this.record(`${msg.text()} @ ${msg.location()?.url ?? '?'}`);
    });
    page.on('pageerror', (err) => this.record(`uncaught: ${err.message}`));
  }
  record(text) {
    if (this.allowed.some((re) => re.test(text))) this.seenAllowed.push(text);
    else this.unexpected.push(text);
  }
  async expecting(patterns, fn) {
    this.allowed.push(...patterns);
    try {
      return await fn();
    } finally {
      // Let late console messages of the step arrive before closing the window.
      await sleep(300);
      this.allowed.splice(this.allowed.length - patterns.length, patterns.length);
    }
  }
  check() {
    assert.deepEqual(this.unexpected, [], `console errors on ${this.name}`);
  }
}

export async function shot(page, name, dir = ARTIFACTS) {
  // From the top, so the sticky header is not drawn over the middle of a full-page picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Client-side navigation through a real link of the page (no reload). */
export async function clickNav(page, label) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
}

export async function text(locator) {
  return (await locator.textContent())?.trim() ?? '';
}

/** Headless Debian Chromium with a fresh profile (returned so it can be removed). */
export async function launchChromium(chromium) {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fe-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(20_000);
  return { context, profileDir };
}
