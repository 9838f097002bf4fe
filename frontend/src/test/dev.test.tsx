// The overview's dev-chain card: POST /dev/mine and POST /dev/faucet.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { saveToken } from '../auth';
import { NodeProvider } from '../node';
import { App } from '../App';
import { devSettingsText } from '../pages/DevChain';
import { checkFaucet, parseBlockCount } from '../validate';
import type { DevStatus } from '../types';
import { FakeWebSocket, ME, STATUS, stubFetch, type Handler } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const A = '02' + 'ab'.repeat(32);
const TIP = '0c' + 'd'.repeat(62);
const TXID = 'e'.repeat(64);
const DEV_ON: DevStatus = {
  enabled: true,
  mine_on_transaction: true,
  block_interval_ms: 0,
  faucet: true,
  faucet_max_amount: 1000,
  fixed_difficulty: true,
};
const DEV_OFF: DevStatus = { ...DEV_ON, enabled: false, faucet: false, mine_on_transaction: false };

function routes(dev: DevStatus | undefined, extra: Record<string, Handler | unknown> = {}) {
  return {
    'GET /status': dev ? { ...STATUS, dev } : STATUS,
    'GET /mining-status': { running: false, threads: 1, hashrate: 0, mining_height: null, blocks_mined: 0, address: ME },
    'GET /blocks': [],
    ...extra,
  };
}

async function renderOverview() {
  render(
    <NodeProvider initialNode={NODE}>
      <App />
    </NodeProvider>,
  );
  act(() => FakeWebSocket.last().open());
  await screen.findByTestId('mining-state');
}


describe('dev-chain helpers', () => {
  it('parses the block count: 1 to 1000', () => {
    expect(parseBlockCount('1')).toEqual({ ok: true, value: 1 });
    expect(parseBlockCount(' 1000 ')).toEqual({ ok: true, value: 1000 });
    for (const bad of ['', '0', '1001', '2.5', '-3', 'x']) expect(parseBlockCount(bad).ok).toBe(false);
  });

  it('checks the faucet form like the wallet’s recipient, amount 1..max', () => {
    expect(checkFaucet({ address: A, amount: '10' }, 100)).toEqual({ errors: {}, amount: 10 });
    expect(checkFaucet({ address: '02abc', amount: '10' }, 100).errors.address).toMatch(/66 hex digits/);
    expect(checkFaucet({ address: '', amount: '10' }, 100).errors.address).toMatch(/Enter the recipient/);
    expect(checkFaucet({ address: A, amount: '101' }, 100)).toEqual({
      errors: { amount: 'The faucet pays at most 100 coins per request.' },
      amount: null,
    });
    expect(checkFaucet({ address: A, amount: '0' }, 100).errors.amount).toMatch(/at least 1/);
    expect(checkFaucet({ address: A, amount: '1.5' }, 100).errors.amount).toMatch(/no decimals/);
  });

  it('describes the dev settings', () => {
    expect(devSettingsText(DEV_ON)).toBe('mines on every transfer · fixed difficulty');
    expect(devSettingsText({ ...DEV_ON, mine_on_transaction: false, block_interval_ms: 2000 })).toBe(
      'a block every 2.0 s · fixed difficulty',
    );
    expect(devSettingsText({ ...DEV_ON, mine_on_transaction: false, fixed_difficulty: false })).toBe(
      'blocks only on demand · difficulty retargets',
    );
  });
});

describe('the dev-chain card', () => {
  it('is hidden on the usual node (dev off or absent)', async () => {
    stubFetch(routes(DEV_OFF));
    await renderOverview();
    await screen.findByTestId('stat-height');
    expect(screen.queryByTestId('dev-panel')).toBeNull();
    expect(screen.queryByText('Dev chain')).toBeNull();
  });

  it('is hidden when the node does not report dev settings', async () => {
    stubFetch(routes(undefined));
    await renderOverview();
    await screen.findByTestId('stat-height');
    expect(screen.queryByTestId('dev-panel')).toBeNull();
  });

  it('mines N blocks with the right body and shows the result, linking to the tip', async () => {
    const { calls } = stubFetch(
      routes(DEV_ON, {
        'POST /dev/mine': (_u: URL, init?: RequestInit) => {
          const n = (JSON.parse(String(init?.body)) as { blocks: number }).blocks;
          return { body: { mined: n, height: 12 + n, tip: TIP, blocks: [] } };
        },
      }),
    );
    saveToken(NODE, 'tok');
    await renderOverview();
    const panel = await screen.findByTestId('dev-panel');
    expect(within(panel).getByTestId('dev-settings').textContent).toBe('mines on every transfer · fixed difficulty');
    const count = within(panel).getByLabelText(/Mine blocks now/) as HTMLInputElement;
    expect(count.value).toBe('1');
    expect(within(panel).getByTestId('dev-mine-button').textContent).toBe('Mine 1 block');

    // Out of range: nothing is sent.
    fireEvent.change(count, { target: { value: '1001' } });
    fireEvent.click(within(panel).getByTestId('dev-mine-button'));
    expect(within(panel).getByText('From 1 to 1000 blocks.')).toBeTruthy();
    expect(count.getAttribute('aria-invalid')).toBe('true');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    fireEvent.change(count, { target: { value: '5' } });
    expect(within(panel).getByTestId('dev-mine-button').textContent).toBe('Mine 5 blocks');
    fireEvent.click(within(panel).getByTestId('dev-mine-button'));
    const ok = await within(panel).findByTestId('dev-mine-ok');
    expect(ok.textContent).toBe('Mined 5 blocks, height #17.');
    expect(within(ok).getByRole('link', { name: '#17' }).getAttribute('href')).toBe(`/ui/blocks/${TIP}`);
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ path: '/dev/mine', body: { blocks: 5 }, authorization: 'Bearer tok' });
  });

  it('shows a refusal, and a 401 with the token hint', async () => {
    let answer = { status: 503, body: { error: { code: 'mining_unavailable', message: 'the miner is busy' } } };
    stubFetch(routes({ ...DEV_ON, faucet: false }, { 'POST /dev/mine': () => answer }));
    await renderOverview();
    const panel = await screen.findByTestId('dev-panel');
    // Faucet off: no faucet form.
    expect(within(panel).queryByTestId('dev-faucet-form')).toBeNull();
    fireEvent.click(within(panel).getByTestId('dev-mine-button'));
    const alert = await within(panel).findByRole('alert');
    expect(alert.textContent).toContain('The node refused: the miner is busy (mining_unavailable)');

    answer = { status: 401, body: { error: { code: 'unauthorized', message: 'no token' } } };
    fireEvent.click(within(panel).getByTestId('dev-mine-button'));
    await waitFor(() => expect(within(panel).getByRole('alert').textContent).toMatch(/requires an API token/));
    expect(within(panel).getByTestId('token-setting-link').getAttribute('href')).toBe('/ui/node#api-token');
    expect(within(panel).queryByTestId('dev-mine-ok')).toBeNull();
  });

  it('faucet: validates the address and the amount, sends the body, links the pending transfer', async () => {
    const { calls } = stubFetch(
      routes(
        { ...DEV_ON, faucet_max_amount: 500 },
        {
          'POST /dev/faucet': {
            id: TXID,
            input: { timestamp: 1, amount: 1000, address: ME, nonce: 0, fee: 1, signature: 's' },
            outputs: [{ address: A, amount: 25 }],
          },
        },
      ),
    );
    await renderOverview();
    const form = await screen.findByTestId('dev-faucet-form');
    const address = within(form).getByLabelText('Address to pay');
    const amount = within(form).getByLabelText('Amount (1 to 500 coins)');
    const button = within(form).getByRole('button', { name: 'Request coins' });

    fireEvent.click(button);
    expect(within(form).getByText('Enter the recipient’s address.')).toBeTruthy();
    expect(within(form).getByText('Amount is required.')).toBeTruthy();
    expect(document.activeElement).toBe(address);

    fireEvent.change(address, { target: { value: '02' + 'ab'.repeat(31) } });
    fireEvent.change(amount, { target: { value: '501' } });
    fireEvent.click(button);
    expect(within(form).getByText('An address is 66 hex digits (or 130 starting 04); this one has 64.')).toBeTruthy();
    expect(within(form).getByText('The faucet pays at most 500 coins per request.')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    fireEvent.change(address, { target: { value: ` ${A} ` } });
    fireEvent.change(amount, { target: { value: '25' } });
    fireEvent.click(button);
    const ok = await within(form).findByTestId('dev-faucet-ok');
    expect(ok.textContent).toMatch(/is pending/);
    expect(within(ok).getByRole('link', { name: /^[0-9a-f]{8}…/ }).getAttribute('href')).toBe(`/ui/tx/${TXID}`);
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ path: '/dev/faucet', body: { address: A, amount: 25 } });
  });

  it('faucet: shows the node’s refusal', async () => {
    stubFetch(
      routes(DEV_ON, {
        'POST /dev/faucet': () => ({ status: 422, body: { error: { code: 'insufficient_funds', message: 'the wallet has 0 coins' } } }),
      }),
    );
    await renderOverview();
    const form = await screen.findByTestId('dev-faucet-form');
    fireEvent.change(within(form).getByLabelText('Address to pay'), { target: { value: A } });
    fireEvent.change(within(form).getByLabelText(/Amount/), { target: { value: '3' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Request coins' }));
    const alert = await within(form).findByRole('alert');
    expect(alert.textContent).toBe('The node refused: the wallet has 0 coins (insufficient_funds)');
    expect(within(form).queryByTestId('dev-faucet-ok')).toBeNull();
  });
});
