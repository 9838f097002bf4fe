// The fork lab (issue 14 parts 3 and 4): propagation timeline, block tree, isolation countdown
// (pure logic), and the page against the fake node.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { saveToken } from '../auth';
import { ApiError, errorFields } from '../api';
import { NodeProvider } from '../node';
import { App } from '../App';
import { buildTimeline, delayText, probeFromAnswer, type KnownNode, type Probe } from '../propagation';
import { buildBlockTree, heightRows, loadBlockTree, mainRange, MAX_BRANCH_BLOCKS, type BlockLite } from '../blockTree';
import { clockOffset, countdownText, isolationState, parseIsolateSeconds } from '../isolation';
import { knownNodes } from '../pages/ForkLab';
import type { DevStatus, PeersView, Tip } from '../types';
import { blockView, FakeWebSocket, forkScenario, h, isolateRoute, ME, STATUS, stubFetch, type Handler } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const ID_A = '02' + 'a'.repeat(64);
const ID_B = '03' + 'b'.repeat(64);
const ID_C = '02' + 'c'.repeat(64);
const ID_X = '03' + '9'.repeat(64);

const DEV_ON: DevStatus = {
  enabled: true,
  mine_on_transaction: false,
  block_interval_ms: 0,
  faucet: false,
  faucet_max_amount: 0,
  fixed_difficulty: true,
};

const seen = (at_ms: number, source: 'self' | 'http' | 'peer', peer: string | null = null): Probe => ({
  kind: 'seen',
  firstSeen: { at_ms, source, peer },
  status: 'active',
});

describe('propagation timeline', () => {
  const A: KnownNode = { label: 'this node', base: 'http://a', nodeId: ID_A };
  const B: KnownNode = { label: 'b:3002', base: 'http://b', nodeId: ID_B };
  const C: KnownNode = { label: 'c:3003', base: 'http://c', nodeId: ID_C };
  const D: KnownNode = { label: 'd:3004', base: 'http://d', nodeId: null };
  const E: KnownNode = { label: 'e:3005', base: 'http://e', nodeId: null };
  const F: KnownNode = { label: 'f:3006', base: 'http://f', nodeId: null };
  const G: KnownNode = { label: 'g:3007', base: 'http://g', nodeId: null };
  const known = [A, B, C, D, E, F, G];

  it('orders by first-seen, measures delays from the earliest, and names the senders', () => {
    const rows = buildTimeline(
      [
        { node: D, probe: { kind: 'not-seen' } },
        { node: C, probe: seen(1_000_450, 'peer', ID_B.toUpperCase()) },
        { node: E, probe: { kind: 'unreachable', error: 'timeout' } },
        { node: B, probe: seen(1_000_120, 'peer', ID_A) },
        { node: F, probe: { kind: 'forgotten', status: 'active' } },
        { node: A, probe: seen(1_000_000, 'self') },
        { node: G, probe: { kind: 'refused', rule: 'bad_pow' } },
      ],
      known,
    );
    expect(rows.map((r) => [r.node.label, r.probe.kind, r.delayMs, r.source])).toEqual([
      ['this node', 'seen', 0, 'self'],
      ['b:3002', 'seen', 120, 'peer this node'],
      ['c:3003', 'seen', 450, 'peer b:3002'],
      ['f:3006', 'forgotten', null, null],
      ['g:3007', 'refused', null, null],
      ['d:3004', 'not-seen', null, null],
      ['e:3005', 'unreachable', null, null],
    ]);
    expect(rows[2].fromNode).toBe(B);
    expect(rows.some((r) => r.clockSkew)).toBe(false);
  });

  it('flags a node that got it from a sender whose clock says later', () => {
    const rows = buildTimeline(
      [
        { node: A, probe: seen(1000, 'peer', ID_B) },
        { node: B, probe: seen(1400, 'self') },
      ],
      known,
    );
    expect(rows.map((r) => [r.node.label, r.delayMs, r.clockSkew])).toEqual([
      ['this node', 0, true],
      ['b:3002', 400, false],
    ]);
  });

  it('shortens an unknown peer id, says HTTP, and breaks ties by label', () => {
    const rows = buildTimeline(
      [
        { node: C, probe: seen(5000, 'peer', ID_X) },
        { node: B, probe: seen(5000, 'http') },
      ],
      known,
    );
    expect(rows.map((r) => [r.node.label, r.delayMs, r.source])).toEqual([
      ['b:3002', 0, 'HTTP'],
      ['c:3003', 0, 'peer 03999999…9999'],
    ]);
    expect(rows[1].fromNode).toBeNull();
  });

  it('has no delays when nobody remembers', () => {
    const rows = buildTimeline([{ node: A, probe: { kind: 'forgotten', status: null } }], known);
    expect(rows[0].delayMs).toBeNull();
  });

  it('reads the nodes’ answers: first-seen, forgotten, refused with its rule, 404, unreachable', () => {
    const b = blockView(3, h('b3'), h('b2'), { first_seen: { at_ms: 7, source: 'http', peer: null } });
    expect(probeFromAnswer(b as never, null)).toEqual({ kind: 'seen', firstSeen: b.first_seen, status: 'active' });
    expect(probeFromAnswer(blockView(3, h('b3'), h('b2')) as never, null)).toEqual({ kind: 'forgotten', status: 'active' });
    expect(probeFromAnswer(null, new ApiError('refused', 'block_refused', 404, 'bad_pow'))).toEqual({ kind: 'refused', rule: 'bad_pow' });
    expect(probeFromAnswer(null, new ApiError('nope', 'not_found', 404))).toEqual({ kind: 'not-seen' });
    expect(probeFromAnswer(null, new ApiError('cannot reach', 'unreachable', 0))).toEqual({
      kind: 'unreachable',
      error: 'cannot reach (unreachable)',
    });
  });

  it('formats delays', () => {
    expect(delayText(0)).toBe('+0 ms');
    expect(delayText(250)).toBe('+250 ms');
    expect(delayText(1234)).toBe('+1,234 ms');
    expect(delayText(12_400)).toBe('+12 s');
    expect(delayText(125_000)).toBe('+2 min 5 s');
  });

  it('knows this node and every peer once, asking only those with an HTTP URL', () => {
    const peers = {
      node_id: ID_A,
      listen_url: 'ws://x',
      pending: [],
      banned: [],
      peers: [
        { node_id: ID_B, http_url: 'http://127.0.0.1:3002/' },
        { node_id: ID_C, http_url: null },
        { node_id: ID_X, http_url: 'http://127.0.0.1:3002' },
        { node_id: ID_A, http_url: NODE },
      ],
    } as unknown as PeersView;
    expect(knownNodes(NODE, ID_A, peers)).toEqual([
      { label: 'this node', base: NODE, nodeId: ID_A },
      { label: '127.0.0.1:3002', base: 'http://127.0.0.1:3002', nodeId: ID_B },
      { label: '02cccccc…cccc', base: null, nodeId: ID_C },
    ]);
  });

  it('reads both error shapes, with the refused block’s rule', () => {
    expect(errorFields({ error: 'block refused', code: 'block_refused', rule: 'bad_pow' })).toEqual({
      code: 'block_refused',
      message: 'block refused',
      rule: 'bad_pow',
    });
    expect(errorFields({ error: { code: 'not_found', message: 'no block' } })).toEqual({ code: 'not_found', message: 'no block', rule: null });
    expect(errorFields(null)).toEqual({ rule: null });
  });
});

const lite = (b: ReturnType<typeof blockView>): BlockLite => ({
  hash: b.hash,
  height: b.block_number,
  last_hash: b.last_hash,
  status: b.status as BlockLite['status'],
  invalid_rule: b.invalid_rule,
});

describe('block tree', () => {
  it('hangs a fork, an invalid branch and an orphan off their fork points, sharing lanes', () => {
    const s = forkScenario();
    const tree = buildBlockTree(s.tips.tips as Tip[], s.main.map(lite), s.side.map(lite));
    expect(tree.main.map((n) => n.height)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tree.main.every((n) => n.status === 'active' && n.lane === 0)).toBe(true);
    expect(tree.main[8].tip?.hash).toBe(h('m8'));
    const br = (name: string) => tree.branches.find((b) => b.tip.hash === h(name))!;
    expect(tree.branches.map((b) => b.tip.hash)).toEqual([h('o11'), h('x7'), h('f6')]);
    // The orphan: its parent (height 10) is unknown.
    expect(br('o11').attach).toEqual({ kind: 'missing', hash: h('o10'), height: 10 });
    expect(br('o11').blocks.map((n) => [n.height, n.status])).toEqual([[11, 'unknown-parent']]);
    // The invalid branch: a valid block, then the refused one, forking at #5.
    expect(br('x7').attach).toEqual({ kind: 'main', hash: h('m5'), height: 5 });
    expect(br('x7').blocks.map((n) => [n.height, n.status, n.invalidRule])).toEqual([
      [6, 'valid-fork', null],
      [7, 'invalid', 'bad_merkle_root'],
    ]);
    expect(br('x7').blocks[1].tip?.status).toBe('invalid');
    // The valid fork at #4.
    expect(br('f6').attach).toEqual({ kind: 'main', hash: h('m4'), height: 4 });
    expect(br('f6').blocks.map((n) => n.hash)).toEqual([h('f5'), h('f6')]);
    // Lanes: the orphan (11) and the invalid branch (6–7) share lane 1; the fork (5–6) overlaps it.
    expect([br('o11').lane, br('x7').lane, br('f6').lane]).toEqual([1, 1, 2]);
    expect(tree.lanes).toBe(3);
    expect([tree.minHeight, tree.maxHeight]).toEqual([0, 11]);
    expect(tree.nodes).toHaveLength(14);
    expect(tree.omitted).toBe(0);
  });

  it('hangs a branch off another branch it shares blocks with', () => {
    const main = [blockView(0, h('m0'), h('')), blockView(1, h('m1'), h('m0'))].map(lite);
    const side = [
      blockView(2, h('a2'), h('m1'), { status: 'valid-fork' }),
      blockView(3, h('a3'), h('a2'), { status: 'valid-fork' }),
      blockView(3, h('b3'), h('a2'), { status: 'valid-fork' }),
    ].map(lite);
    const tip = (hash: string, height: number, status: Tip['status']): Tip => ({
      hash,
      height,
      branch_length: height - 1,
      fork_height: 1,
      status,
      invalid_rule: null,
    });
    const tree = buildBlockTree([tip(h('m1'), 1, 'active'), tip(h('a3'), 3, 'valid-fork'), tip(h('b3'), 3, 'valid-fork')], main, side);
    expect(tree.branches[0].attach).toEqual({ kind: 'main', hash: h('m1'), height: 1 });
    expect(tree.branches[0].blocks.map((n) => n.hash)).toEqual([h('a2'), h('a3')]);
    expect(tree.branches[1].attach).toEqual({ kind: 'branch', hash: h('a2'), height: 2, tip: h('a3') });
    expect(tree.branches[1].blocks.map((n) => n.hash)).toEqual([h('b3')]);
    expect(tree.branches[1].lane).toBe(2);
  });

  it('draws at most 20 branches and says how many it left out', () => {
    const tips: Tip[] = [{ hash: h('m0'), height: 0, branch_length: 0, fork_height: 0, status: 'active', invalid_rule: null }];
    for (let i = 0; i < 23; i++)
      tips.push({ hash: h(`t${i}`), height: 1, branch_length: 1, fork_height: 0, status: 'valid-fork', invalid_rule: null });
    const tree = buildBlockTree(tips, [lite(blockView(0, h('m0'), h('')))], []);
    expect(tree.branches).toHaveLength(20);
    expect(tree.omitted).toBe(3);
    // Tips whose blocks are not known are still drawn, as one box.
    expect(tree.branches[0].blocks.map((n) => n.hash)).toEqual([h('t0')]);
  });

  it('collapses long runs of heights without a drawn block', () => {
    expect(heightRows([5, 3, 4, 8, 8])).toEqual([
      { kind: 'height', height: 8 },
      { kind: 'height', height: 7 },
      { kind: 'height', height: 6 },
      { kind: 'height', height: 5 },
      { kind: 'height', height: 4 },
      { kind: 'height', height: 3 },
    ]);
    expect(heightRows([100, 99, 3])).toEqual([
      { kind: 'height', height: 100 },
      { kind: 'height', height: 99 },
      { kind: 'gap', from: 4, to: 98 },
      { kind: 'height', height: 3 },
    ]);
    expect(heightRows([])).toEqual([]);
  });

  it('draws 12 to 50 best-chain blocks, down to the lowest fork', () => {
    expect(mainRange(8, null)).toEqual({ from: 0, limit: 9 });
    expect(mainRange(100, null)).toEqual({ from: 89, limit: 12 });
    expect(mainRange(100, 80)).toEqual({ from: 78, limit: 23 });
    expect(mainRange(100, 10)).toEqual({ from: 51, limit: 50 });
  });

  it('loads the tips, walks each branch back (bounded) and asks for the best chain once', async () => {
    const s = forkScenario();
    const asked: string[] = [];
    const ranges: [number, number][] = [];
    const loaded = await loadBlockTree(
      async () => s.tips as { tips: Tip[]; truncated: boolean },
      async (hash) => {
        asked.push(hash);
        const b = s.byHash.get(hash);
        return b ? { ...lite(b), in_best_chain: b.in_best_chain } : null;
      },
      async (from, limit) => {
        ranges.push([from, limit]);
        return s.main.filter((b) => b.block_number >= from && b.block_number < from + limit).map(lite);
      },
    );
    expect(asked).toEqual([h('o11'), h('o10'), h('x7'), h('x6'), h('m5'), h('f6'), h('f5'), h('m4')]);
    expect(ranges).toEqual([[0, 9]]);
    expect(loaded.tree.nodes).toHaveLength(14);

    // A branch longer than the bound is cut after MAX_BRANCH_BLOCKS blocks.
    const long = new Map<string, BlockLite>();
    for (let i = 1; i <= 80; i++) long.set(h(`l${i}`), { hash: h(`l${i}`), height: i, last_hash: h(`l${i - 1}`), status: 'valid-fork' });
    let fetched = 0;
    const cut = await loadBlockTree(
      async () => ({
        tips: [
          { hash: h('m90'), height: 90, branch_length: 0, fork_height: 90, status: 'active', invalid_rule: null },
          { hash: h('l80'), height: 80, branch_length: 80, fork_height: 0, status: 'valid-fork', invalid_rule: null },
        ],
        truncated: true,
      }),
      async (hash) => {
        fetched++;
        return long.get(hash) ?? null;
      },
      async () => [],
    );
    expect(fetched).toBe(MAX_BRANCH_BLOCKS);
    expect(cut.truncated).toBe(true);
    expect(cut.tree.branches[0].truncated).toBe(true);
    expect(cut.tree.branches[0].blocks).toHaveLength(MAX_BRANCH_BLOCKS);
    expect(cut.tree.branches[0].attach.kind).toBe('missing');
  });
});

describe('isolation countdown', () => {
  it('counts down to the end, then says the node rejoins', () => {
    expect(isolationState(null, 1000)).toEqual({ kind: 'connected' });
    expect(isolationState(undefined, 1000)).toEqual({ kind: 'connected' });
    expect(isolationState(31_000, 1000)).toEqual({ kind: 'isolated', remainingMs: 30_000, untilMs: 31_000 });
    // The node's clock is 5 s ahead of the browser's.
    expect(isolationState(31_000, 1000, 5000)).toEqual({ kind: 'isolated', remainingMs: 25_000, untilMs: 31_000 });
    expect(isolationState(31_000, 31_000)).toEqual({ kind: 'rejoining', untilMs: 31_000 });
    expect(countdownText(29_001)).toBe('30 s');
    expect(countdownText(9_400)).toBe('10 s');
    expect(countdownText(65_000)).toBe('1 min 5 s');
    expect(countdownText(-5)).toBe('0 ms');
  });

  it('learns the clock offset from the answer', () => {
    expect(clockOffset({ isolated_until_ms: 1_030_000 + 5000, seconds: 30 }, 1_000_000)).toBe(5000);
    expect(clockOffset({ isolated_until_ms: null, seconds: 0 }, 1_000_000)).toBe(0);
  });

  it('checks the seconds: 1 to 3600', () => {
    expect(parseIsolateSeconds(' 30 ')).toEqual({ ok: true, value: 30 });
    expect(parseIsolateSeconds('3600')).toEqual({ ok: true, value: 3600 });
    for (const bad of ['', '0', '3601', '2.5', '-1', 'x']) expect(parseIsolateSeconds(bad).ok).toBe(false);
  });
});

// ---------------------------------------------------------------- the page

function renderAt(path: string) {
  window.history.replaceState(null, '', `/ui${path}`);
  render(
    <NodeProvider initialNode={NODE}>
      <App />
    </NodeProvider>,
  );
  act(() => FakeWebSocket.last().open());
}

const PEERS = { peers: [], pending: [], banned: [], node_id: STATUS.node_id, listen_url: 'ws://127.0.0.1:5001' };

function labRoutes(extra: Record<string, Handler | unknown> = {}, status: Handler | unknown = STATUS) {
  const s = forkScenario();
  return { s, routes: { 'GET /status': status, 'GET /peers': PEERS, ...s.routes, ...extra } };
}

describe('the fork lab page', () => {
  it('draws the tips with their statuses and the tree', async () => {
    const { routes } = labRoutes();
    stubFetch(routes);
    renderAt('/network/forks');
    const card = await screen.findByTestId('block-tree');
    await waitFor(() => expect(within(card).getAllByTestId('tip-row')).toHaveLength(4));
    const rows = within(card).getAllByTestId('tip-row');
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['active', 'unknown-parent', 'invalid', 'valid-fork']);
    expect(rows[2].textContent).toContain('invalid: bad_merkle_root');
    expect(rows[3].textContent).toContain('#4');
    const svg = card.querySelector('svg')!;
    expect(svg.querySelectorAll('a[data-hash]')).toHaveLength(14);
    expect(svg.querySelector(`a[data-hash="${h('x7')}"]`)!.getAttribute('data-status')).toBe('invalid');
    expect(svg.querySelector(`a[data-hash="${h('f5')}"]`)!.getAttribute('href')).toBe(`/ui/blocks/${h('f5')}`);
    expect(within(card).getByTestId('tree-summary').textContent).toBe('3 side tips besides the best chain.');
    // Not a dev chain: no isolation.
    expect(screen.queryByTestId('isolate-button')).toBeNull();
  });

  it('lists a reorganisation from the events and reloads the tree', async () => {
    const { routes } = labRoutes();
    const { calls } = stubFetch(routes);
    renderAt('/network/forks');
    const list = await screen.findByTestId('reorg-list');
    expect(list.textContent).toMatch(/None since this page was opened/);
    await waitFor(() => expect(screen.getAllByTestId('tip-row')).toHaveLength(4));
    const before = calls.filter((c) => c.path === '/chain/tips').length;
    act(() =>
      FakeWebSocket.last().emit({
        type: 'reorg',
        old_tip: h('f6'),
        new_tip: h('m8'),
        fork_height: 4,
        disconnected: [h('f5'), h('f6')],
        connected: [h('m5'), h('m6'), h('m7'), h('m8')],
      }),
    );
    const row = await within(list).findByTestId('reorg-row');
    expect(row.textContent).toContain('f6000000…000000');
    expect(row.textContent).toContain('m8000000…000000');
    expect([...row.querySelectorAll('td')].slice(2).map((td) => td.textContent)).toEqual(['#4', '2', '4']);
    await waitFor(() => expect(calls.filter((c) => c.path === '/chain/tips').length).toBeGreaterThan(before));
  });

  it('says so when the node does not list its tips', async () => {
    stubFetch({ 'GET /status': STATUS, 'GET /peers': PEERS, 'GET /blocks': [] });
    renderAt('/network/forks');
    const card = await screen.findByTestId('block-tree');
    expect((await within(card).findByRole('alert')).textContent).toMatch(/does not list its tips/);
  });

  it('isolates with the chosen seconds and the token, counts down, and rejoins', async () => {
    const iso = isolateRoute();
    const { routes } = labRoutes(
      { 'POST /dev/isolate': iso.handler },
      () => ({ body: { ...STATUS, dev: DEV_ON, isolated_until_ms: iso.until() } }),
    );
    const { calls } = stubFetch(routes);
    saveToken(NODE, 'tok');
    renderAt('/network/forks');
    const state = await screen.findByTestId('isolation-state');
    expect(state.getAttribute('data-state')).toBe('connected');
    const seconds = screen.getByTestId('isolate-seconds') as HTMLInputElement;
    expect(seconds.value).toBe('30');
    expect(screen.getByTestId('isolate-button').textContent).toBe('Isolate for 30 seconds');

    // Out of range: nothing sent.
    fireEvent.change(seconds, { target: { value: '4000' } });
    fireEvent.click(screen.getByTestId('isolate-button'));
    expect(screen.getByText('From 1 to 3600 seconds.')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    fireEvent.change(seconds, { target: { value: '45' } });
    fireEvent.click(screen.getByTestId('isolate-button'));
    await waitFor(() => expect(screen.getByTestId('isolation-state').getAttribute('data-state')).toBe('isolated'));
    expect(screen.getByTestId('isolation-state').textContent).toMatch(/Off the network for another 4[45] s/);
    expect(screen.getByTestId('isolation-state').textContent).toContain('dropped 2 peers');
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toEqual([
      { method: 'POST', origin: NODE, path: '/dev/isolate', body: { seconds: 45 }, authorization: 'Bearer tok' },
    ]);

    fireEvent.click(screen.getByTestId('rejoin-button'));
    await waitFor(() => expect(screen.getByTestId('isolation-state').getAttribute('data-state')).toBe('connected'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([{ seconds: 45 }, { seconds: 0 }]);
  });

  it('shows an isolation the node reports in /status', async () => {
    const { routes } = labRoutes({}, { ...STATUS, dev: DEV_ON, isolated_until_ms: Date.now() + 90_000 });
    stubFetch(routes);
    renderAt('/network/forks');
    await waitFor(() => expect(screen.getByTestId('isolation-state').getAttribute('data-state')).toBe('isolated'));
    expect(screen.getByTestId('isolation-state').textContent).toMatch(/1 min (29|30) s/);
  });

  it('shows a 401 with the token hint and a 404 dev_mode_off clearly', async () => {
    let answer = { status: 401, body: { error: { code: 'unauthorized', message: 'token required' } } };
    const { routes } = labRoutes({ 'POST /dev/isolate': () => answer }, { ...STATUS, dev: DEV_ON });
    stubFetch(routes);
    renderAt('/network/forks');
    fireEvent.click(await screen.findByTestId('isolate-button'));
    const panel = screen.getByTestId('isolate-panel');
    await waitFor(() => expect(within(panel).getByRole('alert').textContent).toMatch(/requires an API token/));
    expect(within(panel).getByTestId('token-setting-link')).toBeTruthy();
    expect(screen.getByTestId('isolation-state').getAttribute('data-state')).toBe('connected');

    answer = { status: 404, body: { error: { code: 'dev_mode_off', message: 'dev mode is off' } } };
    fireEvent.click(screen.getByTestId('rejoin-button'));
    await waitFor(() => expect(within(panel).getByRole('alert').textContent).toContain('dev mode is off (dev_mode_off)'));
    expect(within(panel).getByTestId('isolate-dev-off').textContent).toMatch(/not a dev chain/);
  });

  it('traces a block over this node and its peers, in first-seen order', async () => {
    const B = 'http://127.0.0.1:4002';
    const C = 'http://127.0.0.1:4003';
    const D = 'http://127.0.0.1:4004';
    const hash = h('m8');
    const peers = {
      ...PEERS,
      peers: [
        { id: 1, node_id: ID_B, http_url: B },
        { id: 2, node_id: ID_C, http_url: C },
        { id: 3, node_id: ID_X, http_url: D },
      ],
    };
    const answers: Record<string, { status?: number; body: unknown }> = {
      // This node has it on a side branch (it is isolated, say).
      [NODE]: {
        body: blockView(8, hash, h('m7'), { status: 'valid-fork', first_seen: { at_ms: 2_000_300, source: 'peer', peer: ID_B } }),
      },
      [B]: { body: blockView(8, hash, h('m7'), { first_seen: { at_ms: 2_000_000, source: 'self', peer: null } }) },
      [C]: { status: 404, body: { error: { code: 'not_found', message: 'no such block' } } },
    };
    const { routes } = labRoutes({
      'GET /peers': peers,
      'GET /status': { ...STATUS, node_id: ID_A },
      [`GET /blocks/${hash}`]: (url: URL) => answers[url.origin] ?? { status: 502, body: { error: { code: 'bad_gateway', message: 'down' } } },
    });
    const { calls } = stubFetch(routes);
    renderAt(`/network/forks?block=${hash}`);
    expect((screen.getByTestId('propagation-input') as HTMLInputElement).value).toBe(hash);
    await waitFor(() => expect(screen.getAllByTestId('propagation-row')).toHaveLength(4));
    const rows = screen.getAllByTestId('propagation-row');
    expect(rows.map((r) => [r.getAttribute('data-node'), r.getAttribute('data-state'), r.getAttribute('data-delay')])).toEqual([
      ['127.0.0.1:4002', 'seen', '0'],
      ['this node', 'seen', '300'],
      ['127.0.0.1:4003', 'not-seen', null],
      ['127.0.0.1:4004', 'unreachable', null],
    ]);
    expect(rows[0].textContent).toContain('from self');
    expect(rows[1].textContent).toContain('+300 ms');
    expect(rows[1].textContent).toContain('from peer 127.0.0.1:4002');
    expect(rows[1].textContent).toContain('valid side branch');
    expect(rows[0].textContent).not.toContain('best chain');
    expect(rows[3].textContent).toContain('unreachable');
    expect(screen.getByTestId('propagation-summary').textContent).toBe('2 nodes of 4 saw it; the last +300 ms after the first.');
    expect(new Set(calls.filter((c) => c.path === `/blocks/${hash}`).map((c) => c.origin))).toEqual(new Set([NODE, B, C, D]));
  });

  it('traces a transfer typed in the box, and a recent block picked from the list', async () => {
    const tx = 'e'.repeat(64);
    const { routes } = labRoutes({
      [`GET /transactions/${tx}`]: {
        status: 'pending',
        confirmations: 0,
        transaction: { kind: 'Normal', tx: { id: tx } },
        first_seen: { at_ms: 5, source: 'http', peer: null },
      },
      'GET /blocks': [blockView(7, h('m7'), h('m6')), blockView(8, h('m8'), h('m7'))],
    });
    stubFetch(routes);
    renderAt('/network/forks');
    fireEvent.change(screen.getByTestId('propagation-kind'), { target: { value: 'tx' } });
    fireEvent.change(screen.getByTestId('propagation-input'), { target: { value: ` ${tx} ` } });
    fireEvent.click(screen.getByRole('button', { name: 'Trace' }));
    const row = await screen.findByTestId('propagation-row');
    expect(row.getAttribute('data-state')).toBe('seen');
    expect(row.textContent).toContain('from HTTP');
    expect(window.location.search).toBe(`?tx=${tx}`);

    const picks = await screen.findAllByTestId('propagation-pick');
    expect(picks.map((p) => p.textContent)).toEqual(['#8 m80000…0000', '#7 m70000…0000']);
    fireEvent.click(picks[0]);
    expect(window.location.search).toBe(`?block=${h('m8')}`);
    expect((screen.getByTestId('propagation-input') as HTMLInputElement).value).toBe(h('m8'));
    await waitFor(() => expect(screen.getByTestId('propagation-row').getAttribute('data-state')).toBe('forgotten'));
  });
});

describe('block and transfer pages', () => {
  it('show the tree status, first-seen and a propagation link', async () => {
    const b = blockView(7, h('x7'), h('x6'), {
      status: 'invalid',
      invalid_rule: 'bad_merkle_root',
      first_seen: { at_ms: Date.now() - 5000, source: 'peer', peer: ID_B },
    });
    stubFetch({ 'GET /status': STATUS, [`GET /blocks/${h('x7')}`]: b });
    renderAt(`/blocks/${h('x7')}`);
    const st = await screen.findByTestId('block-tree-status');
    expect(st.getAttribute('data-status')).toBe('invalid');
    expect(st.textContent).toBe('invalid: bad_merkle_root');
    expect(screen.getByTestId('first-seen').textContent).toMatch(/5 s ago .* from peer 03bbbbbb…bbbb/);
    expect(screen.getByTestId('propagation-link').getAttribute('href')).toBe(`/ui/network/forks?block=${h('x7')}#propagation`);
  });

  it('name the rule of a block refused before it was stored', async () => {
    stubFetch({
      'GET /status': STATUS,
      [`GET /blocks/${h('r1')}`]: () => ({
        status: 404,
        body: { error: 'block refused', code: 'block_refused', rule: 'bad_pow' },
      }),
    });
    renderAt(`/blocks/${h('r1')}`);
    const note = await screen.findByTestId('block-refused');
    expect(note.textContent).toMatch(/broke the rule bad_pow/);
    expect(screen.getByRole('alert').textContent).toContain('block refused (block_refused)');
  });

  it('show a transfer’s first-seen', async () => {
    const tx = 'e'.repeat(64);
    stubFetch({
      'GET /status': STATUS,
      [`GET /transactions/${tx}`]: {
        status: 'pending',
        confirmations: 0,
        transaction: {
          kind: 'Normal',
          tx: { id: tx, input: { timestamp: 1, amount: 10, address: ME, nonce: 0, fee: 1, signature: 's' }, outputs: [] },
        },
        first_seen: null,
      },
    });
    renderAt(`/tx/${tx}`);
    const link = await screen.findByTestId('propagation-link');
    expect(link.getAttribute('href')).toBe(`/ui/network/forks?tx=${tx}#propagation`);
    expect(link.parentElement!.textContent).toMatch(/not remembered/);
  });
});
