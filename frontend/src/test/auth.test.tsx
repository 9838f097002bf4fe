import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../api';
import { readToken, saveToken, tokenError, tokenKey } from '../auth';
import { NodeProvider } from '../node';
import { App } from '../App';
import { FakeWebSocket, ME, STATUS, stubFetch, type Handler } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const OTHER = 'http://127.0.0.1:3998';
const TOKEN = 's3cret-token-0123456789';

const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'this call needs the header Authorization: Bearer <http.auth_token>' } } };

/** A POST route that answers `ok` only with the right bearer token, 401 otherwise. */
function guarded(ok: unknown): Handler {
  return (_u, init) =>
    new Headers(init?.headers).get('Authorization') === `Bearer ${TOKEN}` ? { body: ok } : unauthorized;
}


describe('API token: the Authorization header', () => {
  it('is sent on every state-changing call when a token is set, never on reads', async () => {
    const { calls } = stubFetch({
      'GET /status': STATUS,
      'POST /startmining': { running: true, message: 'started' },
      'POST /stopmining': { running: false, message: 'stopped' },
      'POST /transact': { id: 'x' },
      'POST /mine': { block_number: 1, hash: 'h' },
      'POST /peers': { url: 'ws://127.0.0.1:5001', status: 'connecting' },
      'POST /dev/mine': { mined: 2, height: 14, tip: 't', blocks: [] },
      'POST /dev/faucet': { id: 'y' },
    });
    saveToken(NODE, TOKEN);
    const api = createApi(NODE);
    await api.status();
    await api.startMining();
    await api.stopMining();
    await api.transact('02' + 'ab'.repeat(32), 1, 1);
    await api.mineOne('');
    await api.addPeer('ws://127.0.0.1:5001');
    await api.devMine(2);
    await api.devFaucet('02' + 'ab'.repeat(32), 5);
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.path)).toEqual(['/startmining', '/stopmining', '/transact', '/mine', '/peers', '/dev/mine', '/dev/faucet']);
    for (const c of posts) expect(c.authorization).toBe(`Bearer ${TOKEN}`);
    expect(calls.find((c) => c.method === 'GET')?.authorization).toBeNull();
  });

  it('is not sent when no token is set', async () => {
    const { calls } = stubFetch({ 'POST /startmining': { running: true, message: 'started' } });
    await createApi(NODE).startMining();
    expect(calls).toHaveLength(1);
    expect(calls[0].authorization).toBeNull();
  });

  it('uses the token of the node called, keyed by its base URL', async () => {
    const { calls } = stubFetch({ 'POST /startmining': { running: true, message: 'started' } });
    saveToken(NODE, 'token-of-node-1');
    saveToken(`${OTHER}/`, 'token-of-node-2');
    expect(localStorage.getItem(tokenKey(NODE))).toBe('token-of-node-1');
    expect(localStorage.getItem(tokenKey(OTHER))).toBe('token-of-node-2');
    expect(readToken(`${NODE}/`)).toBe('token-of-node-1');
    await createApi(NODE).startMining();
    await createApi(OTHER).startMining();
    await createApi('http://127.0.0.1:3997').startMining();
    expect(calls.map((c) => [c.origin, c.authorization])).toEqual([
      [NODE, 'Bearer token-of-node-1'],
      [OTHER, 'Bearer token-of-node-2'],
      ['http://127.0.0.1:3997', null],
    ]);
    // Clearing one node's token leaves the other's.
    saveToken(NODE, null);
    expect(readToken(NODE)).toBeNull();
    expect(readToken(OTHER)).toBe('token-of-node-2');
    await createApi(NODE).startMining();
    expect(calls[3].authorization).toBeNull();
  });

  it('applies a token saved after the client was made', async () => {
    const { calls } = stubFetch({ 'POST /stopmining': { running: false, message: 'stopped' } });
    const api = createApi(NODE);
    await api.stopMining();
    saveToken(NODE, TOKEN);
    await api.stopMining();
    expect(calls.map((c) => c.authorization)).toEqual([null, `Bearer ${TOKEN}`]);
  });

  it('refuses tokens that cannot go in a header', () => {
    expect(tokenError('')).toMatch(/Enter the token/);
    expect(tokenError('   ')).toMatch(/Enter the token/);
    expect(tokenError('two\nlines')).toMatch(/plain ASCII/);
    expect(tokenError('café')).toMatch(/plain ASCII/);
    expect(tokenError(` ${TOKEN} `)).toBeNull();
  });
});

describe('API token: a 401 answer', () => {
  it('says that no token is set, or that the saved one was refused', async () => {
    stubFetch({ 'POST /startmining': guarded({ running: true, message: 'started' }) });
    const api = createApi(NODE);
    const missing = await api.startMining().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).status).toBe(401);
    expect((missing as ApiError).code).toBe('unauthorized');
    expect((missing as ApiError).message).toMatch(/requires an API token for this action, and none is saved/);
    saveToken(NODE, 'wrong-token');
    const wrong = (await api.startMining().catch((e: unknown) => e)) as ApiError;
    expect(wrong.status).toBe(401);
    expect(wrong.message).toMatch(/refused the API token saved in this browser/);
    saveToken(NODE, TOKEN);
    await expect(api.startMining()).resolves.toEqual({ running: true, message: 'started' });
  });

  it('points to the token setting; once the token is saved there the action works', async () => {
    const { calls } = stubFetch({
      'GET /status': STATUS,
      'GET /mining-status': { running: false, threads: 1, hashrate: 0, mining_height: null, blocks_mined: 0, address: ME },
      'GET /blocks': [],
      'GET /peers': { peers: [], pending: [], banned: [], node_id: STATUS.node_id, listen_url: STATUS.p2p_url },
      'POST /startmining': guarded({ running: true, message: 'Mining started' }),
    });
    render(
      <NodeProvider initialNode={NODE}>
        <App />
      </NodeProvider>,
    );
    act(() => FakeWebSocket.last().open());
    await screen.findByTestId('mining-state');
    fireEvent.click(screen.getByTestId('mining-toggle'));
    const alert = (await screen.findByText(/requires an API token/)).closest('[role="alert"]') as HTMLElement;
    expect(alert.textContent).toContain('The node refused');
    expect(alert.textContent).toContain('unauthorized');
    expect(calls.find((c) => c.method === 'POST')?.authorization).toBeNull();
    const link = within(alert).getByRole('link', { name: 'Set the API token for this node' });
    expect(link.getAttribute('href')).toBe('/ui/node#api-token');

    // The setting, on the node switcher.
    fireEvent.click(link);
    const field = await screen.findByLabelText('API token');
    expect(screen.getByTestId('api-token-state').textContent).toBe('not set');
    fireEvent.change(field, { target: { value: '' } });
    fireEvent.click(screen.getByTestId('api-token-save'));
    expect(screen.getByText(/Enter the token/)).toBeTruthy();
    fireEvent.change(field, { target: { value: TOKEN } });
    expect(field.getAttribute('type')).toBe('password');
    fireEvent.click(screen.getByTestId('api-token-save'));
    await waitFor(() => expect(screen.getByTestId('api-token-state').textContent).toBe('set'));
    expect((screen.getByLabelText('Replace the API token') as HTMLInputElement).value).toBe('');
    // Never shown again in clear text.
    expect(document.body.innerHTML).not.toContain(TOKEN);
    expect(localStorage.getItem(tokenKey(NODE))).toBe(TOKEN);

    // Back to the overview: starting mining now works.
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Overview' }));
    fireEvent.click(await screen.findByTestId('mining-toggle'));
    expect(await screen.findByText('Mining started')).toBeTruthy();
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.authorization)).toEqual([null, `Bearer ${TOKEN}`]);
  });

  it('lets the token be cleared', async () => {
    stubFetch({
      'GET /status': STATUS,
      'GET /peers': { peers: [], pending: [], banned: [], node_id: STATUS.node_id, listen_url: STATUS.p2p_url },
    });
    saveToken(NODE, TOKEN);
    window.history.replaceState(null, '', '/ui/node');
    render(
      <NodeProvider initialNode={NODE}>
        <App />
      </NodeProvider>,
    );
    expect((await screen.findByTestId('api-token-state')).textContent).toBe('set');
    expect(document.body.innerHTML).not.toContain(TOKEN);
    fireEvent.click(screen.getByTestId('api-token-clear'));
    await waitFor(() => expect(screen.getByTestId('api-token-state').textContent).toBe('not set'));
    expect(readToken(NODE)).toBeNull();
    expect(screen.queryByTestId('api-token-clear')).toBeNull();
  });
});
