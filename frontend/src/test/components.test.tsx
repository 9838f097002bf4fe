import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Hash } from '../components/common';
import { LineChart } from '../components/LineChart';
import { NodeProvider } from '../node';
import { App } from '../App';
import { WalletPage } from '../pages/Wallet';
import { EventStream, backoffDelay, type StreamState } from '../events';
import { FakeWebSocket, ME, STATUS, stubFetch, type Handler } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const A = '02' + 'ab'.repeat(32);

beforeEach(() => {
  FakeWebSocket.instances = [];
  vi.stubGlobal('WebSocket', FakeWebSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

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
