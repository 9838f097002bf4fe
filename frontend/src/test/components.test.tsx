import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Hash } from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { BlockTable } from '../components/BlockTable';
import { HistoryTable, PendingTransfer, TxTable } from '../components/transactions';
import { LineChart } from '../components/LineChart';
import { NodeProvider } from '../node';
import { App } from '../App';
import { WalletPage } from '../pages/Wallet';
import { EventStream, backoffDelay, type StreamState } from '../events';
import { FakeWebSocket, ME, STATUS, stubFetch, type Handler } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const A = '02' + 'ab'.repeat(32);


describe('Hash', () => {
  it('shortens, shows the full value on hover, links and copies', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
    const h = '00000e337bf1dd55b74f9135a939ac726472879bcf7a4a4a63224ed43352ebce';
    render(<Hash value={h} kind="block" />);
    const link = screen.getByRole('link', { name: '00000e33…52ebce' });
    expect(link.getAttribute('title')).toBe(h);
    expect(link.getAttribute('href')).toBe(`/ui/blocks/${h}`);
    fireEvent.click(screen.getByRole('button', { name: `Copy ${h}` }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(h));
    expect(await screen.findByText('Copied')).toBeTruthy();
  });
});

describe('DataTable', () => {
  type Row = { name: string; n: number };
  const columns = (extra: boolean): (Column<Row> | false)[] => [
    { header: 'Name', className: 'mono', cell: (r) => r.name },
    extra && { header: 'Extra', cell: () => 'x' },
    { header: 'N', num: true, title: 'a number', cell: (r, i) => `${r.n}/${i}` },
  ];
  it('draws the header from the columns and a row per item', () => {
    const { container } = render(
      <DataTable
        rows={[
          { name: 'a', n: 1 },
          { name: 'b', n: 2 },
        ]}
        columns={columns(false)}
        rowKey={(r) => r.name}
        rowAttributes={(r) => ({ className: r.n > 1 ? 'fresh' : undefined, 'data-name': r.name })}
        testid="t"
        compact
        caption="Things"
        extraRows={
          <tr>
            <td colSpan={2}>total</td>
          </tr>
        }
      />,
    );
    const table = screen.getByTestId('t');
    expect(table.className).toBe('table compact');
    expect(table.parentElement?.className).toBe('table-wrap');
    expect(table.querySelector('caption')?.textContent).toBe('Things');
    const ths = [...table.querySelectorAll('thead th')];
    expect(ths.map((th) => [th.textContent, th.getAttribute('scope'), th.className, th.getAttribute('title')])).toEqual([
      ['Name', 'col', '', null],
      ['N', 'col', 'num', 'a number'],
    ]);
    const rows = [...table.querySelectorAll('tbody tr')];
    expect(rows.map((r) => r.textContent)).toEqual(['a1/0', 'b2/1', 'total']);
    expect(rows[1].className).toBe('fresh');
    expect(rows[0].getAttribute('data-name')).toBe('a');
    expect(rows[0].querySelector('td')?.className).toBe('mono');
    expect(rows[0].querySelectorAll('td')[1].className).toBe('num');
    expect(container.querySelector('tfoot')).toBeNull();
  });
  it('leaves out columns given as false', () => {
    render(<DataTable rows={[{ name: 'a', n: 1 }]} columns={columns(true)} rowKey={(r) => r.name} testid="t" />);
    expect([...screen.getByTestId('t').querySelectorAll('th')].map((th) => th.textContent)).toEqual(['Name', 'Extra', 'N']);
  });
});

describe('shared lists', () => {
  const block = (n: number) => ({
    block_number: n,
    hash: `${n}`.repeat(64),
    last_hash: '',
    timestamp: n === 0 ? 0 : Date.now() - 1000,
    transactions: 1,
    difficulty: 3.25,
    miner: n === 0 ? null : ME,
    reward: n === 0 ? null : 50,
    data: '',
    fresh: n === 1,
  });
  it('lists blocks, with the difficulty and the genesis label only when asked', () => {
    render(<BlockTable blocks={[block(1), block(0)]} testid="short" />);
    render(<BlockTable blocks={[block(1), block(0)]} testid="long" difficulty genesisLabel caption="Blocks 0 to 1" />);
    const short = screen.getByTestId('short');
    const long = screen.getByTestId('long');
    expect([...short.querySelectorAll('th')].map((t) => t.textContent)).toEqual(['Height', 'Hash', 'Mined', 'Txs', 'Miner', 'Reward']);
    expect([...long.querySelectorAll('th')].map((t) => t.textContent)).toContain('Difficulty');
    const rows = short.querySelectorAll('tbody tr');
    expect(rows[0].className).toBe('fresh');
    expect(rows[0].getAttribute('data-height')).toBe('1');
    expect(rows[0].querySelector('a')?.getAttribute('href')).toBe('/ui/blocks/1');
    expect(rows[1].textContent).not.toContain('genesis');
    expect(long.querySelectorAll('tbody tr')[1].textContent).toContain('genesis');
    expect(long.querySelectorAll('tbody tr')[1].textContent).toContain('3.25');
  });
  it('lists transactions, history and a pending transfer', () => {
    const transfer = {
      id: 'e'.repeat(64),
      input: { timestamp: Date.now(), amount: 100, address: ME, nonce: 3, fee: 2, signature: '' },
      outputs: [
        { address: ME, amount: 91 },
        { address: A, amount: 7 },
      ],
    };
    render(<TxTable txs={[{ kind: 'Normal', tx: transfer }]} />);
    expect(screen.getByTestId('tx-table').querySelector('tbody tr')?.textContent).toMatch(/transfer.*7 coins.*7 coins2 coins$/);
    render(
      <HistoryTable
        history={[{ transaction: { kind: 'Normal', tx: transfer }, height: 4, block_hash: 'b'.repeat(64), timestamp: 1, received: 91, spent: 100 }]}
      />,
    );
    const h = screen.getByTestId('history-table').querySelector('tbody tr')!;
    expect(h.querySelector('a')?.getAttribute('href')).toBe(`/ui/blocks/${'b'.repeat(64)}`);
    expect(h.textContent).toMatch(/^#4.*transfer91 coins100 coins-?9 coins$/);
    render(<PendingTransfer tx={transfer} me={ME} />);
    expect(screen.getByTestId('pending-transfer').textContent).toMatch(/nonce 3.*7 coins.*change back to this wallet91 coins/);
    render(<TxTable txs={[]} />);
    expect(screen.getByText('No transactions.')).toBeTruthy();
  });
});

describe('LineChart', () => {
  it('draws a path per series and a target line', () => {
    const { container } = render(
      <LineChart
        title="t"
        series={[{ name: 'interval', className: 's1', points: [{ x: 1, y: 1 }, { x: 2, y: 3 }, { x: 3, y: 2 }] }]}
        refLines={[{ y: 2, label: 'target 2 s' }]}
      />,
    );
    expect(container.querySelectorAll('.series path').length).toBe(1);
    expect(container.querySelector('.ref-line')).toBeTruthy();
    expect(screen.getAllByText('target 2 s').length).toBeGreaterThan(0);
  });
  it('says when there is no data', () => {
    render(<LineChart title="t" series={[{ name: 'x', className: 's1', points: [] }]} />);
    expect(screen.getByText('No data yet.')).toBeTruthy();
  });
});

describe('EventStream', () => {
  it('backs off exponentially up to a cap', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, undefined, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 10000, 10000,
    ]);
    expect(backoffDelay(1, undefined, () => 1)).toBe(400);
  });

  it('reconnects after the node drops, and resets the backoff once open', () => {
    vi.useFakeTimers();
    const states: StreamState[] = [];
    const events: unknown[] = [];
    const s = new EventStream('ws://x/events', {
      onEvent: (e) => events.push(e),
      onState: (st) => states.push(st),
      backoff: { initialMs: 100, maxMs: 1000, jitter: 0 },
    });
    s.start();
    expect(FakeWebSocket.instances.length).toBe(1);
    FakeWebSocket.last().drop();
    expect(states[states.length - 1]).toMatchObject({ kind: 'waiting', attempt: 1 });
    vi.advanceTimersByTime(99);
    expect(FakeWebSocket.instances.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances.length).toBe(2);
    FakeWebSocket.last().drop();
    expect(states[states.length - 1]).toMatchObject({ kind: 'waiting', attempt: 2 });
    vi.advanceTimersByTime(200);
    expect(FakeWebSocket.instances.length).toBe(3);
    FakeWebSocket.last().open();
    expect(states[states.length - 1].kind).toBe('open');
    FakeWebSocket.last().emit({ type: 'hello' });
    FakeWebSocket.last().onmessage?.(new MessageEvent('message', { data: 'not json' }));
    expect(events).toEqual([{ type: 'hello' }]);
    FakeWebSocket.last().drop();
    expect(states[states.length - 1]).toMatchObject({ kind: 'waiting', attempt: 1 });
    s.stop();
    vi.advanceTimersByTime(5000);
    expect(FakeWebSocket.instances.length).toBe(4 - 1);
    expect(states[states.length - 1].kind).toBe('stopped');
  });
});

describe('App', () => {
  it('shows the unreachable banner while the stream is down and clears it on reconnect', async () => {
    stubFetch({
      'GET /status': STATUS,
      'GET /mining-status': { running: false, threads: 1, hashrate: 0, mining_height: null, blocks_mined: 0, address: ME },
      'GET /blocks': [],
    });
    render(
      <NodeProvider initialNode={NODE}>
        <App />
      </NodeProvider>,
    );
    await screen.findByTestId('stat-height');
    expect(FakeWebSocket.last().url).toBe('ws://127.0.0.1:3999/events');
    act(() => FakeWebSocket.last().open());
    expect(screen.queryByTestId('unreachable-banner')).toBeNull();
    act(() => FakeWebSocket.last().drop());
    const banner = await screen.findByTestId('unreachable-banner');
    expect(banner.textContent).toMatch(/Node unreachable — reconnecting/);
    // "Retry now" reconnects at once.
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    act(() => FakeWebSocket.last().open());
    await waitFor(() => expect(screen.queryByTestId('unreachable-banner')).toBeNull());
  });

  it('updates the height live from block events', async () => {
    stubFetch({ 'GET /status': STATUS, 'GET /blocks': [] });
    render(
      <NodeProvider initialNode={NODE}>
        <App />
      </NodeProvider>,
    );
    const stat = await screen.findByTestId('stat-height');
    expect(stat.textContent).toContain('12');
    act(() => FakeWebSocket.last().open());
    const block = {
      block_number: 13,
      hash: '0000cc' + 'd'.repeat(58),
      last_hash: STATUS.tip,
      timestamp: Date.now(),
      transactions: 1,
      difficulty: 3.6,
      miner: ME,
      reward: 50,
      data: '',
    };
    act(() => FakeWebSocket.last().emit({ type: 'block', block, txids: [], status: { ...STATUS, height: 13, tip: block.hash } }));
    await waitFor(() => expect(screen.getByTestId('stat-height').textContent).toContain('13'));
    expect(screen.getByTestId('recent-blocks').textContent).toContain('#13');
  });

  it('reloads the state when the node says it skipped events (resync)', async () => {
    let height = 12;
    const { calls } = stubFetch({ 'GET /status': () => ({ body: { ...STATUS, height } }), 'GET /blocks': [] });
    render(
      <NodeProvider initialNode={NODE}>
        <App />
      </NodeProvider>,
    );
    const stat = await screen.findByTestId('stat-height');
    expect(stat.textContent).toContain('12');
    act(() => FakeWebSocket.last().open());
    await waitFor(() => expect(calls.filter((c) => c.path === '/status').length).toBeGreaterThan(0));
    // Blocks 13 and 14 came while this tab lagged; the node sent a resync instead of them.
    height = 14;
    const before = calls.filter((c) => c.path === '/status').length;
    act(() => FakeWebSocket.last().emit({ type: 'resync' }));
    await waitFor(() => expect(calls.filter((c) => c.path === '/status').length).toBeGreaterThan(before));
    await waitFor(() => expect(screen.getByTestId('stat-height').textContent).toContain('14'));
  });
});

describe('WalletPage', () => {
  function setup(opts: { pending?: unknown; transact?: (body: unknown) => { status?: number; body: unknown } } = {}) {
    return stubFetch({
      'GET /status': STATUS,
      'GET /publickey': { public_key: ME },
      [`GET /address/${ME}`]: { address: ME, balance: 100, nonce: 0, pending: opts.pending ?? null, history: [] },
      'POST /transact': ((_u: URL, init?: RequestInit) => opts.transact?.(JSON.parse(String(init?.body)))) as Handler,
    });
  }

  it('validates before sending and shows the node’s refusal', async () => {
    const { calls } = setup({
      transact: () => ({ status: 400, body: { error: { code: 'bad_address', message: 'not a secp256k1 public key' } } }),
    });
    render(
      <NodeProvider initialNode={NODE}>
        <WalletPage />
      </NodeProvider>,
    );
    expect((await screen.findByTestId('wallet-balance')).textContent).toBe('100 coins');
    const recipient = screen.getByLabelText('Recipient address');
    const amount = screen.getByLabelText('Amount (whole coins)');
    const send = screen.getByTestId('send-button');

    fireEvent.change(recipient, { target: { value: '02abcd' } });
    fireEvent.change(amount, { target: { value: '1.5' } });
    fireEvent.click(send);
    expect(await screen.findByText(/66 hex digits/)).toBeTruthy();
    expect(screen.getByText(/whole number of coins/)).toBeTruthy();

    fireEvent.change(recipient, { target: { value: A } });
    fireEvent.change(amount, { target: { value: '100' } });
    fireEvent.click(send);
    expect((await screen.findByTestId('form-error')).textContent).toMatch(/needs 101.*balance is 100/);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    const offCurve = '02' + 'ff'.repeat(32);
    fireEvent.change(recipient, { target: { value: offCurve } });
    fireEvent.change(amount, { target: { value: '5' } });
    fireEvent.click(send);
    const err = await screen.findByTestId('node-error');
    expect(err.textContent).toContain('The node refused the transfer');
    expect(err.textContent).toContain('not a secp256k1 public key');
    expect(err.textContent).toContain('bad_address');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ recipient: offCurve, amount: 5, fee: 1 });
  });

  it('makes the update rule visible when a transfer is pending', async () => {
    const pending = {
      id: 'e'.repeat(64),
      input: { timestamp: 1, amount: 100, address: ME, nonce: 0, fee: 1, signature: '' },
      outputs: [
        { address: ME, amount: 89 },
        { address: A, amount: 10 },
      ],
    };
    setup({ pending, transact: () => ({ body: { ...pending, id: 'f'.repeat(64) } }) });
    render(
      <NodeProvider initialNode={NODE}>
        <WalletPage />
      </NodeProvider>,
    );
    expect((await screen.findByTestId('update-rule')).textContent).toMatch(/fees add up/);
    expect(screen.getByTestId('pending-transfer').textContent).toContain('10 coins');
    fireEvent.change(screen.getByLabelText('Recipient address'), { target: { value: A } });
    fireEvent.change(screen.getByLabelText('Amount (whole coins)'), { target: { value: '5' } });
    const preview = screen.getByTestId('send-preview');
    expect(preview.textContent).toMatch(/This updates your pending transfer/);
    expect(preview.textContent).toContain('+5 coins');
    expect(preview.textContent).toContain('15 coins');
    expect(preview.textContent).toMatch(/Fee1 coin\+1 coin2 coins/);
    expect(screen.getByTestId('send-button').textContent).toBe('Update pending transfer');
    fireEvent.click(screen.getByTestId('send-button'));
    expect((await screen.findByTestId('send-ok')).textContent).toMatch(/is pending/);
    expect((await screen.findByTestId('sent-list')).textContent).toMatch(/pending/);
  });
});
