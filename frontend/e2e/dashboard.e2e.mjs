// End-to-end test of the dashboard in a real headless Chromium against two real nodes.
//
//   npm run build && NODE_BIN=../target/debug/bitcoin_rust node --test e2e/
//
// Starts two nodes (node 2 peers with node 1) on free loopback ports with temporary data dirs,
// from the repository root so they serve frontend/dist at /ui/ (and, for the last steps, a third
// node, a dev chain that requires an API token), drives the dashboard with
// playwright-core and Debian's /usr/bin/chromium, saves a screenshot of every page to
// e2e/artifacts/ and fails on any console error that a step did not expect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  ARTIFACTS,
  CHROMIUM,
  clickNav,
  ConsoleGuard,
  FRONTEND,
  freePort,
  getJson,
  launchChromium,
  Node,
  NODE_BIN,
  shot,
  sleep,
  STEP_TIMEOUT_MS,
  text,
  waitUntil,
} from './lib.mjs';

// ---------------------------------------------------------------------------------------------
// Helpers (the shared ones are in lib.mjs)

/** Waits until node 2 is connected to node 1 (both sides list the other). */
async function waitForPeering(timeoutMs = 20_000) {
  const n1 = (await getJson(`${node1.http}/status`)).node_id;
  const n2 = (await getJson(`${node2.http}/status`)).node_id;
  await waitUntil(
    'node 2 and node 1 to be connected peers',
    async () => {
      const [a, b] = await Promise.all([getJson(`${node1.http}/peers`), getJson(`${node2.http}/peers`)]);
      return a.peers.some((p) => p.node_id === n2) && b.peers.some((p) => p.node_id === n1);
    },
    timeoutMs,
  ).catch((e) => {
    const grep = (n) =>
      n
        .logTail(400)
        .split('\n')
        .filter((l) => /misbehav|banned|closing peer|refused/i.test(l))
        .slice(-8)
        .join('\n');
    throw new Error(`${e.message}\n--- node1 P2P log ---\n${grep(node1)}\n--- node2 P2P log ---\n${grep(node2)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Set-up

let node1;
let node2;
let node3;
let context;
let page1;
let page2;
let guard1;
let guard2;
let profileDir;
const dataDirs = [];

before(async () => {
  assert.ok(fs.existsSync(NODE_BIN), `node binary not found at ${NODE_BIN}: build it (cargo build) or set NODE_BIN`);
  assert.ok(
    fs.existsSync(path.join(FRONTEND, 'dist', 'index.html')),
    'frontend/dist/index.html is missing: run `npm run build` first',
  );
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  const [h1, p1, h2, p2] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const common = ['--http-host', '127.0.0.1', '--p2p-host', '127.0.0.1', '--difficulty', '3', '--mine-rate', '1000'];
  const d1 = fs.mkdtempSync(path.join(os.tmpdir(), 'fe-e2e-node1-'));
  const d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'fe-e2e-node2-'));
  dataDirs.push(d1, d2);
  node1 = new Node('node1', ['--data-dir', d1, '--http-port', String(h1), '--p2p-port', String(p1), ...common]);
  node1.httpPort = h1;
  node2 = new Node('node2', [
    '--data-dir',
    d2,
    '--http-port',
    String(h2),
    '--p2p-port',
    String(p2),
    '--peers',
    `ws://127.0.0.1:${p1}`,
    ...common,
  ]);
  node2.httpPort = h2;
  await node1.start();
  await node2.start();
  await waitForPeering();

  ({ context, profileDir } = await launchChromium(chromium));
  page1 = context.pages()[0] ?? (await context.newPage());
  guard1 = new ConsoleGuard('node 1 dashboard');
  guard1.attach(page1);
  page2 = await context.newPage();
  guard2 = new ConsoleGuard('node 2 dashboard');
  guard2.attach(page2);
});

after(async () => {
  // What the pages logged as errors on purpose (expected by a step), for the record.
  const expected = [guard1, guard2].filter(Boolean).flatMap((g) => g.seenAllowed.map((t) => `${g.name}: ${t}`));
  fs.writeFileSync(path.join(ARTIFACTS, 'expected-console-errors.txt'), expected.join('\n') + '\n');
  await context?.close().catch(() => {});
  await Promise.all([node1?.stop(), node2?.stop(), node3?.stop()].filter(Boolean));
  for (const d of [...dataDirs, profileDir].filter(Boolean)) fs.rmSync(d, { recursive: true, force: true });
});

// Nodes must not outlive the test, even on a crash.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const n of [node1, node2, node3]) n?.proc?.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const n of [node1, node2, node3]) if (n?.proc && n.proc.exitCode === null) n.proc.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Steps (run in order, sharing the two nodes and pages). Each builds on the previous ones, so once
// one fails the rest are skipped instead of each waiting out its own timeouts.

let failedStep = null;
function step(name, opts, fn) {
  test(name, opts, async (t) => {
    if (failedStep) return t.skip(`the step "${failedStep}" failed`);
    // Cleared on success; stays set when the step throws or runs out of time.
    failedStep = name;
    await fn(t);
    failedStep = null;
  });
}

step('both nodes serve the dashboard at /ui/', { timeout: STEP_TIMEOUT_MS }, async () => {
  await page1.goto(`${node1.http}/ui/`);
  // The guard really sees console errors.
  await guard1.expecting([/e2e console guard self-check/], () => page1.evaluate(() => console.error('e2e console guard self-check')));
  assert.equal(guard1.seenAllowed.length, 1, 'the console guard did not see a console.error');
  await page1.getByTestId('stat-height').waitFor();
  await page1.getByTestId('mining-toggle').waitFor();
  assert.match(await text(page1.getByTestId('mining-state')), /Stopped/);
  // The usual node: no dev-chain card.
  assert.equal(await page1.getByTestId('dev-panel').count(), 0);
  await page2.goto(`${node2.http}/ui/`);
  await page2.getByTestId('stat-height').waitFor();
  // Deep links work (the node falls back to index.html).
  const r = await fetch(`${node1.http}/ui/blocks/0`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<div id="root">/);
  guard1.check();
  guard2.check();
});

step('mining started from the UI shows up live on node 2', { timeout: STEP_TIMEOUT_MS }, async () => {
  // A marker that a reload would wipe.
  await page2.evaluate(() => {
    window.__e2eNoReload = true;
  });
  const startHeight = Number((await text(page2.getByTestId('stat-height'))).replace(/\D/g, ''));
  await page1.getByTestId('mining-toggle').click();
  await waitUntil('node 1 to report mining', async () => /Mining/.test(await text(page1.getByTestId('mining-state'))), 15_000);
  await waitUntil(
    `node 2's dashboard to show block #${startHeight + 3} live`,
    async () => {
      const heights = await page2
        .locator('[data-testid="recent-blocks"] tbody tr')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-height'))));
      return heights.length > 0 && Math.max(...heights) >= startHeight + 3 ? heights : false;
    },
    45_000,
  );
  assert.equal(await page2.evaluate(() => window.__e2eNoReload), true, 'node 2 page was reloaded');
  const h2 = Number((await text(page2.getByTestId('stat-height'))).replace(/\D/g, ''));
  assert.ok(h2 >= startHeight + 3, `node 2 height stat is ${h2}`);
  await shot(page1, '01-overview-node1');
  await shot(page2, '02-overview-node2-live');
  guard1.check();
  guard2.check();
});

let node2Address;
let sentTxId;

step('a transfer from the wallet goes from pending to confirmed', { timeout: STEP_TIMEOUT_MS }, async () => {
  node2Address = (await getJson(`${node2.http}/publickey`)).public_key;
  // Stop mining so the transfer stays pending long enough to be seen.
  await page1.getByTestId('mining-toggle').click();
  await waitUntil('mining to stop', async () => /Stopped/.test(await text(page1.getByTestId('mining-state'))), 15_000);

  await clickNav(page1, 'Wallet');
  await waitUntil(
    'a positive wallet balance',
    async () => Number((await text(page1.getByTestId('wallet-balance'))).replace(/\D/g, '')) > 20,
    20_000,
  );
  await page1.getByLabel('Recipient address').fill(node2Address);
  await page1.getByLabel('Amount (whole coins)').fill('7');
  await page1.getByLabel('Fee (whole coins)').fill('2');
  assert.match(await text(page1.getByTestId('send-preview')), /A new transfer/);
  await page1.getByTestId('send-button').click();
  const ok = page1.getByTestId('send-ok');
  await ok.waitFor();
  sentTxId = await ok.locator('a').first().getAttribute('title');
  assert.match(sentTxId ?? '', /^[0-9a-f]{64}$/);

  const row = page1.locator(`[data-testid="sent-list"] tr[data-recipient="${node2Address}"]`).first();
  await waitUntil('the sent list to show the transfer pending', async () => (await row.getAttribute('data-status')) === 'pending', 10_000);
  await page1.getByTestId('pending-transfer').waitFor();
  assert.match(await text(page1.getByTestId('pending-transfer')), /7 coins/);

  // The update rule: sending again to the same recipient adds up.
  await page1.getByLabel('Recipient address').fill(node2Address);
  await page1.getByLabel('Amount (whole coins)').fill('3');
  await page1.getByLabel('Fee (whole coins)').fill('1');
  const preview = await text(page1.getByTestId('send-preview'));
  assert.match(preview, /This updates your pending transfer/);
  assert.match(preview, /7 coins\+3 coins10 coins/);
  assert.match(preview, /Fee2 coins\+1 coin3 coins/);
  await page1.getByTestId('send-button').click();
  await waitUntil(
    'the pending transfer to pay 10 coins after the update',
    async () => /10 coins/.test(await text(page1.getByTestId('pending-transfer'))),
    10_000,
  );
  sentTxId = await page1.getByTestId('send-ok').locator('a').first().getAttribute('title');
  await shot(page1, '03-wallet-pending');

  // The transaction page shows it pending...
  await page1.getByTestId('send-ok').locator('a').first().click();
  await waitUntil('the transaction page to say pending', async () => /pending/.test(await text(page1.getByTestId('tx-status'))), 10_000);
  await shot(page1, '04-tx-pending');

  // ...then "mine one block now" from the overview confirms it, and the page follows live.
  await clickNav(page1, 'Overview');
  await page1.getByRole('button', { name: 'Mine one block now' }).click();
  await page1.getByText(/Mined block #\d+/).waitFor({ timeout: 45_000 });
  await page1.goBack();
  await waitUntil(
    'the transaction page to say confirmed',
    async () => /confirmed/.test(await text(page1.getByTestId('tx-status'))),
    20_000,
  );
  assert.match(await text(page1.getByTestId('tx-status')), /in block #\d+/);
  await shot(page1, '05-tx-confirmed');

  await clickNav(page1, 'Wallet');
  await waitUntil('the sent list to show confirmed', async () => (await row.getAttribute('data-status')) === 'confirmed', 15_000);
  await shot(page1, '06-wallet-confirmed');
  const bal = await getJson(`${node1.http}/address/${node2Address}`);
  assert.equal(bal.balance, 10, 'node 2 wallet received 7 + 3 coins');
  guard1.check();
});

step('refused transfers show why', { timeout: STEP_TIMEOUT_MS }, async () => {
  const posts = [];
  const onRequest = (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/transact')) posts.push(req.url());
  };
  page1.on('request', onRequest);
  try {
    // Caught by the page: more than the balance, nothing is sent.
    await page1.getByLabel('Recipient address').fill(node2Address);
    await page1.getByLabel('Amount (whole coins)').fill('999999999');
    await page1.getByLabel('Fee (whole coins)').fill('1');
    await page1.getByTestId('send-button').click();
    assert.match(await text(page1.getByTestId('form-error')), /Not enough coins/);
    await page1.getByLabel('Amount (whole coins)').fill('2.5');
    await page1.getByTestId('send-button').click();
    await page1.getByText('Amount must be a whole number of coins (no decimals).').waitFor();
    assert.deepEqual(posts, [], 'the page must not send an invalid transfer');

    // Refused by the node: a well-formed address that is not a point of the curve.
    const offCurve = '02' + 'ff'.repeat(32);
    await guard1.expecting([/status of 400.*\/transact/], async () => {
      await page1.getByLabel('Recipient address').fill(offCurve);
      await page1.getByLabel('Amount (whole coins)').fill('1');
      await page1.getByTestId('send-button').click();
      const err = page1.getByTestId('node-error');
      await err.waitFor();
      const t = await text(err);
      assert.match(t, /The node refused the transfer/);
      assert.match(t, /not a secp256k1 public key/);
      assert.match(t, /bad_address/);
    });
    assert.equal(posts.length, 1);
    await shot(page1, '07-wallet-refused');
  } finally {
    page1.off('request', onRequest);
  }
  guard1.check();
});

step('charts render with data', { timeout: STEP_TIMEOUT_MS }, async () => {
  // Mining again: the charts grow while we look.
  await clickNav(page1, 'Overview');
  await page1.getByTestId('mining-toggle').click();
  await waitUntil('mining to restart', async () => /Mining/.test(await text(page1.getByTestId('mining-state'))), 15_000);
  await clickNav(page1, 'Charts');
  for (const id of ['chart-interval', 'chart-difficulty', 'chart-mempool']) {
    await waitUntil(
      `${id} to draw a line`,
      async () => {
        const d = await page1.locator(`[data-testid="${id}"] svg .series path`).first().getAttribute('d');
        return d && d.split(/[LH]/).length > 2;
      },
      20_000,
    );
  }
  assert.match(await text(page1.getByTestId('chart-interval')), /target \(MINE_RATE\) 1\.0 s/);
  await page1.locator('[data-testid="chart-interval"] .ref-line').waitFor();
  await shot(page1, '08-charts');
  guard1.check();
});

step('explorer pages: blocks, block, address, mempool, search', { timeout: STEP_TIMEOUT_MS }, async () => {
  await clickNav(page1, 'Blocks');
  await waitUntil('a page of blocks', async () => (await page1.locator('[data-testid="blocks-table"] tbody tr').count()) >= 5);
  await shot(page1, '09-blocks');
  // Older page, then a block.
  await page1.getByRole('link', { name: 'Older ›' }).click();
  await page1.locator('[data-testid="blocks-table"] tbody tr').first().waitFor();
  await page1.locator('[data-testid="blocks-table"] tbody tr td a').first().click();
  await page1.getByTestId('block-fields').waitFor();
  const fields = await text(page1.getByTestId('block-fields'));
  for (const label of ['Merkle root', 'Nonce', 'Bits', 'Target', 'Subsidy', 'Fees', 'Reward paid', 'Previous block', 'Next block'])
    assert.ok(fields.includes(label), `block page shows ${label}`);
  const title = await text(page1.locator('h1'));
  await page1.getByRole('link', { name: /Parent #/ }).click();
  await waitUntil('the parent block', async () => (await text(page1.locator('h1'))) !== title);
  await page1.getByRole('link', { name: /Child #/ }).click();
  await waitUntil('back to the child block', async () => (await text(page1.locator('h1'))) === title);
  await shot(page1, '10-block');

  // Search by height, by block hash (via the header's search box), by transaction id and by address.
  const search = async (q) => {
    await page1.getByRole('searchbox').fill(q);
    await page1.getByRole('searchbox').press('Enter');
  };
  await search('1');
  await waitUntil('block #1 from a height search', async () => (await text(page1.locator('h1'))) === 'Block #1');
  const hash1 = (await getJson(`${node1.http}/blocks/1`)).hash;
  await search('2');
  await waitUntil('block #2', async () => (await text(page1.locator('h1'))) === 'Block #2');
  await search(hash1);
  await waitUntil('block #1 from a hash search', async () => (await text(page1.locator('h1'))) === 'Block #1');
  // A transaction id is tried as a block first: the node answers 404 for that lookup.
  await guard1.expecting([/status of 404.*\/blocks\/[0-9a-f]{64}/], async () => {
    await search(sentTxId);
    await waitUntil('the transaction page from a tx id search', async () => (await text(page1.locator('h1'))) === 'Transfer');
  });
  await search(node2Address);
  await waitUntil('the address page', async () => (await text(page1.locator('h1'))) === 'Address');
  assert.match(await text(page1.getByTestId('address-balance')), /10 coins/);
  await shot(page1, '11-address');
  await search('not-a-thing');
  await page1.getByTestId('search-error').waitFor();

  await clickNav(page1, 'Mempool');
  await page1.getByRole('heading', { name: 'Mempool', level: 1 }).waitFor();
  await waitUntil(
    'the mempool page to load',
    async () => (await page1.getByTestId('mempool-table').count()) > 0 || (await page1.getByText(/mempool is empty/).count()) > 0,
  );
  await shot(page1, '12-mempool');
  guard1.check();
});

step('network page shows peers and every node’s tip', { timeout: STEP_TIMEOUT_MS }, async () => {
  await clickNav(page1, 'Network');
  await page1.locator('[data-testid="peers-table"] tbody tr').first().waitFor();
  await waitUntil(
    'two rows in the tips table, with node 2 related to node 1',
    async () => {
      const rel = await page1.locator('[data-testid="tips-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-relation')));
      return rel.length === 2 && ['same', 'behind', 'ahead'].includes(rel[1]) ? rel : false;
    },
    20_000,
  );
  await shot(page1, '13-network');
  guard1.check();
});

step('the node switcher points every page at another node and remembers it', { timeout: STEP_TIMEOUT_MS }, async () => {
  const n2status = await getJson(`${node2.http}/status`);
  await page1.getByTestId('node-pill').click();
  const row = page1.locator(`[data-testid="node-candidates"] tr[data-node-url="${node2.http}"]`);
  await row.getByRole('button', { name: 'Use this node' }).click();
  await waitUntil('the pill to show node 2', async () => (await text(page1.getByTestId('node-pill'))).includes(`127.0.0.1:${node2.httpPort}`));
  await waitUntil('the footer to show node 2’s id', async () => (await text(page1.locator('footer'))).includes(n2status.node_id));
  await shot(page1, '14-node-switcher');
  // Remembered across a reload.
  await page1.reload();
  await waitUntil('the choice to survive a reload', async () => (await text(page1.getByTestId('node-pill'))).includes(`127.0.0.1:${node2.httpPort}`));
  await clickNav(page1, 'Wallet');
  await waitUntil('node 2’s wallet', async () => (await text(page1.getByTestId('wallet-address'))) === node2Address);
  // Back to node 1.
  await page1.getByTestId('node-pill').click();
  await page1.getByRole('button', { name: /^Back to 127\.0\.0\.1/ }).click();
  await waitUntil('the pill to show node 1', async () => (await text(page1.getByTestId('node-pill'))).includes(`127.0.0.1:${node1.httpPort}`));
  guard1.check();
});

step('phone width: the menu and pages fit', { timeout: STEP_TIMEOUT_MS }, async () => {
  await page1.setViewportSize({ width: 390, height: 844 });
  await page1.goto(`${node1.http}/ui/`);
  await page1.getByTestId('stat-height').waitFor();
  const overflow = await page1.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than a phone screen`);
  await shot(page1, '15-phone-overview');
  await page1.getByRole('button', { name: 'Menu' }).click();
  await clickNav(page1, 'Wallet');
  await page1.getByTestId('send-form').waitFor();
  const overflow2 = await page1.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 1, `wallet page is ${overflow2}px wider than a phone screen`);
  await shot(page1, '16-phone-wallet');
  await page1.setViewportSize({ width: 1280, height: 900 });
  guard1.check();
});

step('an unreachable node shows the banner and the page reconnects by itself', { timeout: 90_000 }, async () => {
  await page1.goto(`${node1.http}/ui/`);
  await page1.getByTestId('stat-height').waitFor();
  await page2.evaluate(() => {
    window.__e2eNoReload = true;
  });
  // While node 2 is down, page 2's requests to it fail: that is the point.
  await guard2.expecting([/ERR_CONNECTION_REFUSED/, /WebSocket connection to .* failed/, /Failed to load resource/], async () => {
    await node2.stop('SIGTERM');
    const banner = page2.getByTestId('unreachable-banner');
    await banner.waitFor({ timeout: 20_000 });
    assert.match(await text(banner), /(unreachable|shut down) — reconnecting/);
    await shot(page2, '17-node2-unreachable');
    const before = Number((await text(page2.getByTestId('stat-height'))).replace(/\D/g, ''));
    await node2.start();
    await waitForPeering();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await waitUntil(
      'node 2’s page to follow new blocks after reconnecting',
      async () => Number((await text(page2.getByTestId('stat-height'))).replace(/\D/g, '')) > before,
      30_000,
    );
  });
  assert.equal(await page2.evaluate(() => window.__e2eNoReload), true, 'the page reconnected without a reload');
  await shot(page2, '18-node2-reconnected');
  guard1.check();
  guard2.check();
});

step('a node with an API token: actions point to the token setting until the token is saved', { timeout: STEP_TIMEOUT_MS }, async () => {
  const TOKEN = 'e2e-api-token-7f3c9a1b2d4e6f80';
  const [h3, p3] = [await freePort(), await freePort()];
  const d3 = fs.mkdtempSync(path.join(os.tmpdir(), 'fe-e2e-node3-'));
  dataDirs.push(d3);
  node3 = new Node(
    'node3',
    // Also a dev chain (for the next step): /dev/mine, the faucet, a fixed easy target.
    ['--data-dir', d3, '--http-port', String(h3), '--p2p-port', String(p3), '--http-host', '127.0.0.1', '--p2p-host', '127.0.0.1', '--difficulty', '1', '--mine-rate', '1000', '--dev'],
    { BITCOIN_RUST_HTTP__AUTH_TOKEN: TOKEN, BITCOIN_RUST_DEV__FAUCET: 'true', BITCOIN_RUST_NETWORK__FIXED_DIFFICULTY: 'true' },
  );
  node3.httpPort = h3;
  await node3.start();
  // The node really requires it.
  const refused = await fetch(`${node3.http}/startmining`, { method: 'POST', signal: AbortSignal.timeout(3000) });
  assert.equal(refused.status, 401);

  // The page served by node 3 talks to node 3 (its own origin: no token saved there yet).
  await page1.goto(`${node3.http}/ui/`);
  await page1.getByTestId('stat-height').waitFor();
  await waitUntil('node 3’s mining state', async () => /Stopped/.test(await text(page1.getByTestId('mining-state'))), 15_000);
  await guard1.expecting([/status of 401.*\/startmining/], async () => {
    await page1.getByTestId('mining-toggle').click();
    const alert = page1.getByRole('alert').filter({ hasText: 'requires an API token' });
    await alert.waitFor();
    assert.match(await text(alert), /unauthorized/);
    await shot(page1, '19-token-required');
  });
  assert.match(await text(page1.getByTestId('mining-state')), /Stopped/);

  // The message links to the setting; the saved token is never shown again.
  await page1.getByTestId('token-setting-link').click();
  assert.equal(await text(page1.getByTestId('api-token-state')), 'not set');
  await page1.getByLabel('API token', { exact: true }).fill(TOKEN);
  await page1.getByTestId('api-token-save').click();
  await waitUntil('the token to be saved', async () => (await text(page1.getByTestId('api-token-state'))) === 'set');
  assert.equal(await page1.getByLabel('Replace the API token').inputValue(), '');
  assert.ok(!(await page1.content()).includes(TOKEN), 'the saved token is shown on the page');
  await shot(page1, '20-token-set');

  // Now mining starts (and stops) from the overview.
  await clickNav(page1, 'Overview');
  await page1.getByTestId('mining-toggle').click();
  await waitUntil('node 3 to report mining', async () => /Mining/.test(await text(page1.getByTestId('mining-state'))), 15_000);
  assert.equal((await getJson(`${node3.http}/mining-status`)).running, true);
  await page1.getByTestId('mining-toggle').click();
  await waitUntil('node 3 to stop mining', async () => /Stopped/.test(await text(page1.getByTestId('mining-state'))), 15_000);
  guard1.check();
});

step('a dev-chain node: mine N blocks and the faucet from the overview', { timeout: STEP_TIMEOUT_MS }, async () => {
  // Node 3 (a dev chain, its token saved by the previous step) shows the card; node 1 did not.
  const panel = page1.getByTestId('dev-panel');
  await panel.waitFor();
  assert.match(await text(panel.getByTestId('dev-settings')), /fixed difficulty/);
  const before = (await getJson(`${node3.http}/status`)).height;
  await panel.getByLabel(/Mine blocks now/).fill('3');
  await panel.getByRole('button', { name: 'Mine 3 blocks' }).click();
  const mined = panel.getByTestId('dev-mine-ok');
  await mined.waitFor({ timeout: 30_000 });
  const m = /^Mined 3 blocks, height #(\d+)\.$/.exec(await text(mined));
  assert.ok(m, `dev mine result: ${await text(mined)}`);
  const height = Number(m[1]);
  assert.ok(height >= before + 3, `height ${height} after mining 3 on ${before}`);
  const tip = (await getJson(`${node3.http}/blocks/${height}`)).hash;
  assert.equal(await mined.getByRole('link').getAttribute('href'), `/ui/blocks/${tip}`);

  // The faucet: the page checks the form first, then the node pays from its wallet.
  const posts = [];
  const onRequest = (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/dev/faucet')) posts.push(req.url());
  };
  page1.on('request', onRequest);
  try {
    await panel.getByLabel('Address to pay').fill('02abc');
    await panel.getByLabel(/^Amount \(1 to/).fill('5');
    await panel.getByRole('button', { name: 'Request coins' }).click();
    await panel.getByText(/An address is 66 hex digits/).waitFor();
    assert.deepEqual(posts, [], 'the page must not send an invalid faucet request');
    await panel.getByLabel('Address to pay').fill(node2Address);
    await panel.getByRole('button', { name: 'Request coins' }).click();
    const ok = panel.getByTestId('dev-faucet-ok');
    await ok.waitFor();
    assert.equal(posts.length, 1);
  } finally {
    page1.off('request', onRequest);
  }
  const txid = await panel.getByTestId('dev-faucet-ok').locator('a').first().getAttribute('title');
  assert.match(txid ?? '', /^[0-9a-f]{64}$/);
  await shot(page1, '21-dev-chain');
  const tx = await getJson(`${node3.http}/transactions/${txid}`);
  assert.ok(tx.transaction.tx.outputs.some((o) => o.address === node2Address && o.amount === 5), 'the faucet pays 5 coins');
  guard1.check();
  // Last: the page still polls node 3, so stopping it earlier would log refused requests.
  await node3.stop();
});
