// The tutorial (docs/TUTORIAL.md), walked in a real headless Chromium against two real dev nodes.
//
//   npm run build && NODE_BIN=../target/debug/bitcoin_rust node --test e2e/tutorial.e2e.mjs
//
// Two dev-chain nodes with an API token (node 2 dials node 1) on free loopback ports, each from a
// temporary working directory with a temporary data dir. Blocks are mined through the API
// (POST /dev/mine); the browser does what the learner does: follows a transfer node to node on the
// fork lab page, isolates node 1 with the isolate button, rejoins with the rejoin button after both
// sides mined, sees the reorganisation and the stale branch in the block tree, then checks a block
// header and a transfer's signature in the explain views and breaks them by editing a byte. Last,
// `bitcoin_rust wallet verify-proof` checks the transfer's inclusion proof like the tutorial does.
// Screenshots and node logs go to e2e/artifacts/tutorial/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import {
  ARTIFACTS,
  CHROMIUM,
  ConsoleGuard,
  FRONTEND,
  freePort,
  getJson,
  launchChromium,
  Node,
  NODE_BIN,
  shot as shotIn,
  text,
  waitUntil,
} from './lib.mjs';

const OUT = path.join(ARTIFACTS, 'tutorial');
const TOKEN = 'e2e-tutorial-token-4b1d';
const STEP_TIMEOUT_MS = 45_000;
const shot = (page, name) => shotIn(page, name, OUT);

let node1;
let node2;
let context;
let page;
let guard;
let profileDir;
const dataDirs = [];

async function api(node, method, route, body) {
  const r = await fetch(`${node.http}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${route} on ${node.name}: HTTP ${r.status} ${JSON.stringify(json)}`);
  return json;
}
const mine = (node, blocks) => api(node, 'POST', '/dev/mine', { blocks });
const peerCount = async (node) => (await getJson(`${node.http}/status`)).peers;
const height = async (node) => (await getJson(`${node.http}/status`)).height;

async function devNode(name, peers = []) {
  const [h, p] = [await freePort(), await freePort()];
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `fe-tutorial-${name}-`));
  dataDirs.push(d);
  const args = ['--data-dir', d, '--http-host', '127.0.0.1', '--p2p-host', '127.0.0.1', '--http-port', String(h), '--p2p-port', String(p)];
  if (peers.length) args.push('--peers', peers.join(','));
  // A dev chain like config/lab1.toml: blocks on demand, a fixed easy target, /dev/isolate.
  args.push('--difficulty', '1', '--mine-rate', '1000', '--network-id', 'e2e-tutorial', '--dev');
  const node = new Node(name, args, { BITCOIN_RUST_HTTP__AUTH_TOKEN: TOKEN, BITCOIN_RUST_NETWORK__FIXED_DIFFICULTY: 'true' }, OUT);
  node.httpPort = h;
  node.p2p = `ws://127.0.0.1:${p}`;
  await node.start();
  return node;
}

before(async () => {
  assert.ok(fs.existsSync(NODE_BIN), `node binary not found at ${NODE_BIN}: build it (cargo build) or set NODE_BIN`);
  assert.ok(fs.existsSync(path.join(FRONTEND, 'dist', 'index.html')), 'frontend/dist/index.html is missing: run `npm run build` first');
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  node1 = await devNode('node1');
  node2 = await devNode('node2', [node1.p2p]);
  await waitUntil('node 1 and node 2 to connect', async () => (await peerCount(node1)) === 1 && (await peerCount(node2)) === 1, 20_000);

  ({ context, profileDir } = await launchChromium(chromium));
  page = context.pages()[0] ?? (await context.newPage());
  guard = new ConsoleGuard('node 1 dashboard');
  guard.attach(page);
  // The learner's token for node 1, saved as the settings page saves it (the page never shows it).
  await page.goto(`${node1.http}/ui/`);
  await page.evaluate(([k, v]) => window.localStorage.setItem(k, v), [`bitcoin_rust.dashboard.token:${node1.http}`, TOKEN]);
});

after(async () => {
  fs.writeFileSync(path.join(OUT, 'expected-console-errors.txt'), (guard?.seenAllowed ?? []).join('\n') + '\n');
  await context?.close().catch(() => {});
  await Promise.all([node1?.stop(), node2?.stop()].filter(Boolean));
  for (const d of [...dataDirs, profileDir].filter(Boolean)) fs.rmSync(d, { recursive: true, force: true });
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const n of [node1, node2]) n?.proc?.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const n of [node1, node2]) if (n?.proc && n.proc.exitCode === null) n.proc.kill('SIGKILL');
});

// Steps run in order and build on each other: once one fails the rest are skipped.
let failedStep = null;
function step(name, fn) {
  test(name, { timeout: STEP_TIMEOUT_MS }, async (t) => {
    if (failedStep) return t.skip(`the step "${failedStep}" failed`);
    failedStep = name;
    await fn(t);
    failedStep = null;
  });
}

let txid;
let sharedTip;

step('tutorial 2-3: a transfer from node 1, followed node to node on the propagation timeline', async () => {
  await mine(node1, 3);
  await waitUntil('node 2 to reach height 3', async () => (await height(node2)) === 3, 20_000);
  const to = (await getJson(`${node2.http}/publickey`)).public_key;
  const sent = await api(node1, 'POST', '/transact', { recipient: to, amount: 10 });
  txid = sent.id;
  assert.match(txid, /^[0-9a-f]{64}$/);
  await waitUntil('node 2 to hold the transfer', async () => (await fetch(`${node2.http}/transactions/${txid}`)).ok, 20_000);
  sharedTip = (await mine(node1, 1)).tip;
  await waitUntil('node 2 to reach height 4', async () => (await height(node2)) === 4, 20_000);

  await page.goto(`${node1.http}/ui/network/forks?tx=${txid}`);
  const rows = page.getByTestId('propagation-row');
  await waitUntil(
    'both nodes on the timeline, seen',
    async () => {
      const states = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
      return states.length === 2 && states.every((s) => s === 'seen') ? states : false;
    },
    20_000,
  );
  // This node first, then node 2 a few ms later, having got it from node 1.
  assert.equal(await rows.nth(0).getAttribute('data-delay'), '0');
  assert.match(await text(rows.nth(1)), /from peer this node/);
  await shot(page, '01-propagation-transfer');
  guard.check();
});

let staleBlock;
let winningTip;

step('tutorial 4: isolate node 1 from the fork lab, mine on both sides, rejoin: a reorganisation and a valid-fork tip', async () => {
  // The page is the fork lab of node 1, loaded before the fork: it sees the reorganisation live.
  await page.getByTestId('block-tree').waitFor();
  await waitUntil('one active tip', async () => (await page.locator('[data-testid="tip-row"][data-status="active"]').count()) === 1);
  assert.equal(await page.locator('[data-testid="reorg-row"]').count(), 0);
  assert.equal(await page.getByTestId('isolation-state').getAttribute('data-state'), 'connected');

  await page.getByTestId('isolate-seconds').fill('120');
  await page.getByTestId('isolate-button').click();
  await waitUntil('the page to show node 1 isolated', async () => (await page.getByTestId('isolation-state').getAttribute('data-state')) === 'isolated', 10_000);
  assert.match(await text(page.getByTestId('isolation-state')), /isolated/);
  await waitUntil('both nodes to drop the connection', async () => (await peerCount(node1)) === 0 && (await peerCount(node2)) === 0, 20_000);
  await shot(page, '02-isolated');

  // Each side mines its own branch on the shared tip: node 2's (2 blocks) is heavier than node 1's (1).
  staleBlock = (await mine(node1, 1)).tip;
  winningTip = (await mine(node2, 2)).tip;
  assert.equal((await getJson(`${node1.http}/status`)).tip, staleBlock);
  assert.equal((await peerCount(node1)), 0, 'node 1 is still isolated');
  assert.equal((await getJson(`${node1.http}/blocks/${staleBlock}`)).last_hash, sharedTip);

  await page.getByTestId('rejoin-button').click();
  await waitUntil('node 1 to switch to node 2’s heavier branch', async () => (await getJson(`${node1.http}/status`)).tip === winningTip, 30_000);
  await waitUntil('a reorganisation in the reorg list', async () => (await page.locator('[data-testid="reorg-list"] [data-testid="reorg-row"]').count()) >= 1, 15_000);
  const stale = page.locator(`[data-testid="tip-row"][data-status="valid-fork"][data-hash="${staleBlock}"]`);
  await waitUntil('node 1’s own block as a valid-fork tip in the block tree', async () => (await stale.count()) === 1, 15_000);
  const active = page.locator('[data-testid="tip-row"][data-status="active"]');
  assert.equal(await active.count(), 1);
  assert.equal(await active.getAttribute('data-hash'), winningTip);
  await waitUntil('the page to show node 1 connected again', async () => (await page.getByTestId('isolation-state').getAttribute('data-state')) === 'connected', 20_000);
  // Fork height #4, 1 block disconnected (node 1's own), 2 connected (node 2's).
  const reorg = await text(page.locator('[data-testid="reorg-row"]').first());
  assert.match(reorg, /#4\s*1\s*2$/, `the reorganisation row: ${reorg}`);
  await shot(page, '03-reorg-and-valid-fork');
  guard.check();
});

step('tutorial 4: a short isolation ends by itself and the nodes reconnect', async () => {
  await page.getByTestId('isolate-seconds').fill('2');
  await page.getByTestId('isolate-button').click();
  await waitUntil('the page to show node 1 isolated', async () => (await page.getByTestId('isolation-state').getAttribute('data-state')) === 'isolated', 10_000);
  const seen = new Set();
  await waitUntil(
    'node 1 to be connected again without a click',
    async () => {
      seen.add(await page.getByTestId('isolation-state').getAttribute('data-state'));
      return (await page.getByTestId('isolation-state').getAttribute('data-state')) === 'connected' && (await peerCount(node1)) === 1;
    },
    40_000,
    200,
  );
  assert.equal((await getJson(`${node1.http}/status`)).isolated_until_ms, null);
  assert.ok(seen.has('isolated'), `states seen: ${[...seen]}`);
  guard.check();
});

/** The text of a verdict once it is computed ("verified" or "fails"). */
async function verdict(id) {
  const el = page.getByTestId(id);
  return waitUntil(`${id} to be computed`, async () => {
    const t = await text(el);
    return t === 'verified' || t === 'fails' ? t : false;
  }, 10_000, 100);
}

step('tutorial 5: a block header checks out in the explain view, and fails once a byte is edited', async () => {
  await page.goto(`${node1.http}/ui/blocks/${winningTip}/explain`);
  assert.equal(await verdict('explain-header-verdict'), 'verified');
  assert.equal(await verdict('explain-header-hash-match'), 'verified');
  assert.equal(await verdict('explain-header-work'), 'verified');
  // One byte of the nonce (the last 8 of the 96 header bytes) plus one.
  await page.getByTestId('explain-header-byte-95').click();
  await waitUntil('the header verdict to turn to fails', async () => (await verdict('explain-header-verdict')) === 'fails', 10_000, 100);
  assert.equal(await verdict('explain-header-hash-match'), 'fails');
  await shot(page, '04-header-fails');
  await page.getByTestId('explain-header-reset').click();
  await waitUntil('verified again after reset', async () => (await verdict('explain-header-verdict')) === 'verified', 10_000, 100);
  guard.check();
});

step('tutorial 5: a transfer’s signature checks out in the explain view, and fails once a byte is edited', async () => {
  await page.goto(`${node1.http}/ui/tx/${txid}/explain`);
  assert.equal(await verdict('explain-signature-verdict'), 'verified');
  assert.equal(await verdict('explain-txid-verdict'), 'verified');
  await page.getByTestId('explain-signature-byte-10').click();
  await waitUntil('the signature verdict to turn to fails', async () => (await verdict('explain-signature-verdict')) === 'fails', 10_000, 100);
  assert.match(await text(page.getByTestId('explain-signature-reason')), /bad_signature|malformed_signature|high_s_signature/);
  await shot(page, '05-signature-fails');
  await page.getByTestId('explain-signature-reset').click();
  await waitUntil('verified again after reset', async () => (await verdict('explain-signature-verdict')) === 'verified', 10_000, 100);
  // The last byte of the amount (preimage offsets 87-94) plus one: the same signature no longer verifies.
  await page.getByTestId('explain-preimage-byte-94').click();
  await waitUntil('the signature verdict to fail for an edited preimage', async () => (await verdict('explain-signature-verdict')) === 'fails', 10_000, 100);
  guard.check();
});

step('tutorial 6: wallet verify-proof checks the transfer’s inclusion proof', async () => {
  const run = promisify(execFile);
  const { stdout } = await run(NODE_BIN, ['wallet', 'verify-proof', txid, '--node', node1.http], { timeout: 20_000 });
  assert.match(stdout, new RegExp(`^verified: ${txid} is transaction 1 of block ${sharedTip} \\(height 4\\)`, 'm'));
  // Two blocks of node 2's branch on top of it: 3 confirmations.
  assert.match(stdout, /^confirmations: 3$/m);
  // A proof that does not hold is refused with exit code 1.
  const proof = await getJson(`${node1.http}/transactions/${txid}/proof`);
  proof.path[0].hash = (proof.path[0].hash[0] === '0' ? '1' : '0') + proof.path[0].hash.slice(1);
  const bad = path.join(OUT, 'bad-proof.json');
  fs.writeFileSync(bad, JSON.stringify(proof));
  const r = await run(NODE_BIN, ['wallet', 'verify-proof', bad, '--node', node1.http], { timeout: 20_000 }).then(
    () => ({ code: 0 }),
    (e) => e,
  );
  assert.equal(r.code, 1, `verify-proof of an edited proof: ${r.stdout ?? ''}`);
  assert.match(r.stdout, /path_mismatch/);
});
