// The shared form pieces (issue 12 point 6): FormField and UrlConnectRow, and the pages using the row.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { FormField, UrlConnectRow } from '../components/forms';
import { ApiError } from '../api';
import { NodeProvider } from '../node';
import { NetworkPage } from '../pages/Network';
import { NodePage } from '../pages/NodeSwitch';
import { addressError, isPeerUrl, normaliseNodeUrl } from '../validate';
import { STATUS, stubFetch } from './fakeNode';

const NODE = 'http://127.0.0.1:3999';
const A = '02' + 'ab'.repeat(32);

/** An address field checked by `addressError` once it was left, as the wallet's. */
function AddressField({ hint }: { hint?: string }) {
  const [value, setValue] = useState('');
  const [touched, setTouched] = useState(false);
  return (
    <FormField
      id="to"
      label="Recipient address"
      hint={hint}
      error={touched ? addressError(value) : null}
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => setTouched(true)}
      className="mono"
      placeholder="02…"
    />
  );
}

describe('FormField', () => {
  it('labels its input and describes it by the hint while valid', () => {
    const { container } = render(<AddressField hint="66 hex digits." />);
    const input = screen.getByLabelText('Recipient address');
    expect(input.id).toBe('to');
    expect(container.querySelector('label')?.getAttribute('for')).toBe('to');
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(input.getAttribute('aria-describedby')).toBe('to-hint');
    expect(document.getElementById('to-hint')?.textContent).toBe('66 hex digits.');
    expect(document.getElementById('to-hint')?.className).toBe('hint');
    // Input props pass through.
    expect(input.className).toBe('mono');
    expect(input.getAttribute('placeholder')).toBe('02…');
    expect(container.querySelector('.form-row')).not.toBeNull();
  });

  it('shows the validator’s error instead of the hint, with aria-invalid and aria-describedby', () => {
    render(<AddressField hint="66 hex digits." />);
    const input = screen.getByLabelText('Recipient address');
    fireEvent.change(input, { target: { value: '02abcd' } });
    fireEvent.blur(input);
    const message = addressError('02abcd')!;
    const error = screen.getByText(message);
    expect(error.id).toBe('to-error');
    expect(error.className).toBe('field-error');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('to-error');
    expect(document.getElementById('to-hint')).toBeNull();
    // Fixed: the error goes, the hint comes back.
    fireEvent.change(input, { target: { value: A } });
    expect(document.getElementById('to-error')).toBeNull();
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(input.getAttribute('aria-describedby')).toBe('to-hint');
  });

  it('without a hint, describes the input only while an error shows', () => {
    const { rerender } = render(<FormField id="n" label="Amount" value="" onChange={() => {}} />);
    const input = screen.getByLabelText('Amount');
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    rerender(<FormField id="n" label="Amount" value="" onChange={() => {}} error="Amount is required." />);
    expect(input.getAttribute('aria-describedby')).toBe('n-error');
    expect(screen.getByText('Amount is required.').id).toBe('n-error');
  });

  it('lays out inline with its buttons beside the input, and forwards the ref', () => {
    const ref = { current: null as HTMLInputElement | null };
    const { container } = render(
      <form className="inline-form">
        <FormField id="c" label="Count" ref={ref} value="1" onChange={() => {}} actions={<button type="submit">Go</button>} />
      </form>,
    );
    const row = container.querySelector('.row')!;
    expect(row.querySelector('input#c')).toBe(ref.current);
    expect(within(row as HTMLElement).getByRole('button', { name: 'Go' })).toBeTruthy();
    expect(container.querySelector('.form-row')).toBeNull();
    expect(screen.getByLabelText('Count')).toBe(ref.current);
  });
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function renderRow(action: (v: string) => Promise<string | void>) {
  render(
    <UrlConnectRow
      id="peer"
      label="Peer URL"
      placeholder="ws://host:port"
      validate={(v) => (isPeerUrl(v) ? null : 'Not a ws:// URL.')}
      buttonText="Connect"
      busyText="Adding…"
      errorTitle="The node refused"
      action={action}
    />,
  );
  return { input: screen.getByLabelText('Peer URL') as HTMLInputElement, button: () => screen.getByRole('button') };
}

describe('UrlConnectRow', () => {
  it('shows the validator’s error with aria attributes and does not call the action', () => {
    const action = vi.fn(async () => {});
    const { input, button } = renderRow(action);
    expect(input.getAttribute('placeholder')).toBe('ws://host:port');
    expect(input.getAttribute('aria-invalid')).toBe('false');
    fireEvent.change(input, { target: { value: 'http://nope' } });
    fireEvent.click(button());
    const error = screen.getByText('Not a ws:// URL.');
    expect(error.id).toBe('peer-error');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('peer-error');
    expect(action).not.toHaveBeenCalled();
  });

  it('calls the action with the trimmed value, is disabled while busy, then shows its message and clears', async () => {
    const d = deferred<string>();
    const action = vi.fn(() => d.promise);
    const { input, button } = renderRow(action);
    fireEvent.change(input, { target: { value: 'http://nope' } });
    fireEvent.click(button());
    fireEvent.change(input, { target: { value: '  ws://127.0.0.1:5001  ' } });
    expect(button().hasAttribute('disabled')).toBe(false);
    fireEvent.click(button());
    expect(action).toHaveBeenCalledWith('ws://127.0.0.1:5001');
    expect(button().textContent).toBe('Adding…');
    expect(button().hasAttribute('disabled')).toBe(true);
    expect(screen.queryByText('Not a ws:// URL.')).toBeNull();
    await act(async () => d.resolve('Connecting to ws://127.0.0.1:5001…'));
    expect(button().textContent).toBe('Connect');
    expect(button().hasAttribute('disabled')).toBe(false);
    expect(screen.getByText('Connecting to ws://127.0.0.1:5001…').className).toBe('ok-message');
    expect(input.value).toBe('');
  });

  it('shows what the action threw under its title and keeps the value', async () => {
    const action = vi.fn(async (_v: string): Promise<string | void> => {
      throw new ApiError('peer limit reached', 'too_many_peers', 409);
    });
    const { input, button } = renderRow(action);
    fireEvent.change(input, { target: { value: 'ws://127.0.0.1:5001' } });
    fireEvent.click(button());
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The node refused');
    expect(alert.textContent).toContain('peer limit reached');
    expect(alert.textContent).toContain('too_many_peers');
    expect(button().hasAttribute('disabled')).toBe(false);
    expect(input.value).toBe('ws://127.0.0.1:5001');
    // A new try clears the last refusal.
    action.mockImplementationOnce(async () => {});
    fireEvent.click(button());
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});

describe('pages using UrlConnectRow', () => {
  const PEERS = { node_id: 'abcdef0123456789', listen_url: 'ws://127.0.0.1:5001', peers: [], pending: [], banned: [] };

  it('Network: adds a peer through POST /peers', async () => {
    const { calls } = stubFetch({
      'GET /status': STATUS,
      'GET /peers': PEERS,
      'POST /peers': { url: 'ws://127.0.0.1:5002', status: 'connecting' },
    });
    render(
      <NodeProvider initialNode={NODE}>
        <NetworkPage />
      </NodeProvider>,
    );
    const input = await screen.findByLabelText('Add a peer (P2P WebSocket URL)');
    const connect = screen.getByRole('button', { name: 'Connect' });
    fireEvent.change(input, { target: { value: '127.0.0.1:5002' } });
    fireEvent.click(connect);
    expect(screen.getByText(/A peer is a P2P WebSocket URL/).id).toBe('peer-url-error');
    fireEvent.change(input, { target: { value: ' ws://127.0.0.1:5002 ' } });
    fireEvent.click(connect);
    expect(await screen.findByText('Connecting to ws://127.0.0.1:5002…')).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ path: '/peers', body: { url: 'ws://127.0.0.1:5002' } });
  });

  it('NodeSwitch: switches to a typed node only once it answers', async () => {
    const OTHER = 'http://127.0.0.1:3002';
    stubFetch({ 'GET /status': STATUS, 'GET /peers': PEERS });
    render(
      <NodeProvider initialNode={NODE}>
        <NodePage />
      </NodeProvider>,
    );
    const input = screen.getByLabelText('Node HTTP address');
    fireEvent.change(input, { target: { value: 'ftp://x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(screen.getByText('Type a node’s HTTP address, such as http://127.0.0.1:3002.').id).toBe('node-url-error');
    fireEvent.change(input, { target: { value: `${OTHER}/` } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByTestId('current-node').textContent).toBe(normaliseNodeUrl(OTHER)));
  });
});
