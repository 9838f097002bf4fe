// The explain views against the fake node, serving PROTOCOL.md §7's blocks and transfer: the checks
// say "verified", one edited byte makes them say "fails", and restoring it verifies again.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { NodeProvider } from '../node';
import { App } from '../App';
import { MerkleExplain } from '../components/explain';
import { bytesToHex, merkleTree, recomputeTxid } from '../protocol';
import { STATUS, stubFetch } from './fakeNode';
import * as V from './vectors';

const NODE = 'http://127.0.0.1:3999';

function renderAt(path: string, routes: Record<string, unknown>) {
  const fetch = stubFetch({ 'GET /status': STATUS, ...routes });
  window.history.replaceState(null, '', `/ui${path}`);
  render(
    <NodeProvider initialNode={NODE}>
      <App />
    </NodeProvider>,
  );
  return fetch;
}

const verdict = (id: string) => screen.getByTestId(id).textContent;
async function expectVerdict(id: string, text: 'verified' | 'fails') {
  await waitFor(() => expect(verdict(id)).toBe(text));
}

describe('explain a block', () => {
  it('shows block 1 header field by field, verifies its hash and work, and fails after one byte changes', async () => {
    renderAt(`/blocks/${V.BLOCK1_HASH}/explain`, { [`GET /blocks/${V.BLOCK1_HASH}`]: V.block1 });
    await screen.findByTestId('explain-header-verdict');
    await expectVerdict('explain-header-verdict', 'verified');
    expect(verdict('explain-header-hash-match')).toBe('verified');
    expect(verdict('explain-header-work')).toBe('verified');
    expect(screen.getByTestId('explain-header-hash').textContent).toBe(V.BLOCK1_HASH);
    expect(screen.getByTestId('explain-header-target').textContent).toBe(V.TARGET_D4);
    // The field table: offsets, sizes and bytes of §4.1.
    const rows = [...screen.getByTestId('explain-header-fields').querySelectorAll('tbody tr')];
    expect(rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent))).toEqual([
      ['0', '4', 'Version'],
      ['4', '8', 'Height'],
      ['12', '32', 'Parent hash'],
      ['44', '32', 'Merkle root'],
      ['76', '8', 'Timestamp (ms)'],
      ['84', '4', 'Bits (compact target)'],
      ['88', '8', 'Nonce'],
    ]);
    const nonce = screen.getByTestId('explain-header-field-nonce') as HTMLInputElement;
    expect(nonce.value).toBe('0000000000005b87');
    expect(rows[6].textContent).toContain('23431');
    const allBytes = Array.from({ length: 96 }, (_, i) => screen.getByTestId(`explain-header-byte-${i}`).textContent).join('');
    expect(allBytes).toBe(V.BLOCK1_HEADER);

    // Edit the nonce: another hash, which neither matches nor meets the target.
    fireEvent.change(nonce, { target: { value: '0000000000005b88' } });
    await expectVerdict('explain-header-verdict', 'fails');
    expect(verdict('explain-header-hash-match')).toBe('fails');
    expect(verdict('explain-header-work')).toBe('fails');
    expect(rows[6].textContent).toContain('23432');
    // Back to the original nonce: verified again.
    fireEvent.change(nonce, { target: { value: '0000000000005b87' } });
    await expectVerdict('explain-header-verdict', 'verified');

    // Click a byte (the last of the nonce) and restore with the button.
    fireEvent.click(screen.getByTestId('explain-header-byte-95'));
    await expectVerdict('explain-header-verdict', 'fails');
    expect(screen.getByTestId('explain-header-byte-95').textContent).toBe('88');
    fireEvent.click(screen.getByTestId('explain-header-reset'));
    await expectVerdict('explain-header-verdict', 'verified');

    // Half-typed hex leaves the bytes alone and says what is expected.
    fireEvent.change(nonce, { target: { value: '00zz' } });
    expect(nonce.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Type exactly 16 hex digits/)).toBeTruthy();
    expect(verdict('explain-header-verdict')).toBe('verified');
  });

  it('recomputes block 2 ids and Merkle root, highlights a path, and fails once an id changes', async () => {
    renderAt(`/blocks/${V.BLOCK2_HASH}/explain?tx=1`, { [`GET /blocks/${V.BLOCK2_HASH}`]: V.block2 });
    await screen.findByTestId('explain-merkle-verdict');
    await expectVerdict('explain-merkle-verdict', 'verified');
    await expectVerdict('explain-merkle-txid-verdict-0', 'verified');
    expect(verdict('explain-merkle-txid-verdict-1')).toBe('verified');
    expect(screen.getByTestId('explain-merkle-root').textContent).toBe(V.BLOCK2_ROOT);
    await expectVerdict('explain-merkle-path-verdict', 'verified');
    await expectVerdict('explain-header-verdict', 'verified');
    // ?tx=1: the transfer's path (§7.4): one step, the reward's leaf on the left.
    const txid = screen.getByTestId('explain-merkle-txid') as HTMLInputElement;
    expect(txid.value).toBe(V.TXID);
    expect(screen.getByTestId('explain-merkle-path').textContent).toBe(`left ${V.BLOCK2_LEAVES[0]}`);
    const tree = screen.getByTestId('explain-merkle-tree');
    expect(tree.querySelector('.on-path[data-level="0"]')?.getAttribute('title')).toBe(V.BLOCK2_LEAVES[1]);
    expect(tree.querySelector('.sibling')?.getAttribute('title')).toBe(V.BLOCK2_LEAVES[0]);
    expect(tree.querySelector('.on-path[data-level="1"]')?.getAttribute('title')).toBe(V.BLOCK2_ROOT);

    // One byte of the id: the root no longer matches the header's.
    fireEvent.change(txid, { target: { value: '07' + V.TXID.slice(2) } });
    await expectVerdict('explain-merkle-verdict', 'fails');
    await expectVerdict('explain-merkle-path-verdict', 'fails');
    fireEvent.change(txid, { target: { value: V.TXID } });
    await expectVerdict('explain-merkle-verdict', 'verified');

    // The reward's path: the transfer's leaf on the right.
    fireEvent.click(screen.getByTestId('explain-merkle-select-0'));
    await waitFor(() => expect(screen.getByTestId('explain-merkle-path').textContent).toBe(`right ${V.BLOCK2_LEAVES[1]}`));
    expect((screen.getByTestId('explain-merkle-txid') as HTMLInputElement).value).toBe(V.REWARD2_ID);
  });

  it('says when a claimed id is not the id of the content', async () => {
    const bad = { ...V.block2, data: [V.block2.data[0], { kind: 'Normal' as const, tx: { ...V.transfer, id: 'ab'.repeat(32) } }] };
    renderAt(`/blocks/${V.BLOCK2_HASH}/explain`, { [`GET /blocks/${V.BLOCK2_HASH}`]: bad });
    await screen.findByTestId('explain-merkle-verdict');
    await expectVerdict('explain-merkle-txid-verdict-1', 'fails');
    expect(verdict('explain-merkle-txid-verdict-0')).toBe('verified');
    // The tree is built from the recomputed ids, so the root still matches.
    await expectVerdict('explain-merkle-verdict', 'verified');
  });

  it('is linked from the block page', async () => {
    renderAt(`/blocks/${V.BLOCK1_HASH}`, { [`GET /blocks/${V.BLOCK1_HASH}`]: V.block1 });
    const link = await screen.findByTestId('block-explain-link');
    expect(link.getAttribute('href')).toBe(`/ui/blocks/${V.BLOCK1_HASH}/explain`);
    fireEvent.click(link);
    await expectVerdict('explain-header-verdict', 'verified');
  });
});

describe('explain a transaction', () => {
  const confirmed = (transaction: unknown, index: number) => ({
    status: 'confirmed',
    confirmations: 1,
    transaction,
    block_hash: V.BLOCK2_HASH,
    block_number: 2,
    index,
  });

  it('annotates the transfer preimage, recomputes sighash and txid, verifies the signature and fails after an edit', async () => {
    renderAt(`/tx/${V.TXID}/explain`, { [`GET /transactions/${V.TXID}`]: confirmed({ kind: 'Normal', tx: V.transfer }, 1) });
    await screen.findByTestId('explain-signature-verdict');
    await expectVerdict('explain-signature-verdict', 'verified');
    await expectVerdict('explain-txid-verdict', 'verified');
    expect(screen.getByTestId('explain-sighash').textContent).toBe(V.SIGHASH);
    expect(screen.getByTestId('explain-txid').textContent).toBe(V.TXID);
    const preimage = Array.from({ length: V.TRANSFER_PREIMAGE.length / 2 }, (_, i) =>
      screen.getByTestId(`explain-preimage-byte-${i}`).textContent,
    ).join('');
    expect(preimage).toBe(V.TRANSFER_PREIMAGE);
    const table = screen.getByTestId('explain-preimage-fields');
    expect(within(table).getByText('"bitcoin-rust-devnet"')).toBeTruthy();
    expect(screen.getByTestId('explain-tx-merkle-link').getAttribute('href')).toBe(
      `/ui/blocks/${V.BLOCK2_HASH}/explain?tx=1`,
    );

    // The fee from 1 to 2: another sighash; the signature no longer verifies, the txid differs.
    const fee = screen.getByTestId('explain-preimage-field-fee') as HTMLInputElement;
    expect(fee.value).toBe('0000000000000001');
    fireEvent.change(fee, { target: { value: '0000000000000002' } });
    await expectVerdict('explain-signature-verdict', 'fails');
    await expectVerdict('explain-txid-verdict', 'fails');
    expect(screen.getByTestId('explain-signature-reason').textContent).toBe('bad_signature');
    expect(screen.getByTestId('explain-sighash').textContent).not.toBe(V.SIGHASH);
    fireEvent.change(fee, { target: { value: '0000000000000001' } });
    await expectVerdict('explain-signature-verdict', 'verified');
    await expectVerdict('explain-txid-verdict', 'verified');

    // A byte of the signature's s: fails; restore.
    fireEvent.click(screen.getByTestId('explain-signature-byte-63'));
    await expectVerdict('explain-signature-verdict', 'fails');
    await expectVerdict('explain-txid-verdict', 'fails');
    fireEvent.click(screen.getByTestId('explain-signature-reset'));
    await expectVerdict('explain-signature-verdict', 'verified');

    // The network id is signed: one byte of it breaks the signature.
    fireEvent.click(screen.getByTestId('explain-preimage-byte-30'));
    await expectVerdict('explain-signature-verdict', 'fails');
    fireEvent.click(screen.getByTestId('explain-preimage-reset'));
    await expectVerdict('explain-signature-verdict', 'verified');
  });

  it('recomputes a reward id and fails after an edit', async () => {
    renderAt(`/tx/${V.REWARD1_ID}/explain`, { [`GET /transactions/${V.REWARD1_ID}`]: confirmed({ kind: 'Reward', tx: V.reward1 }, 0) });
    await screen.findByTestId('explain-txid-verdict');
    await expectVerdict('explain-txid-verdict', 'verified');
    expect(screen.getByTestId('explain-txid').textContent).toBe(V.REWARD1_ID);
    const data = screen.getByTestId('explain-reward-field-data') as HTMLInputElement;
    expect(data.value).toBe('68656c6c6f');
    fireEvent.change(data, { target: { value: '68656c6c70' } });
    await expectVerdict('explain-txid-verdict', 'fails');
    fireEvent.change(data, { target: { value: '68656c6c6f' } });
    await expectVerdict('explain-txid-verdict', 'verified');
  });

  it('is linked from the transaction page', async () => {
    renderAt(`/tx/${V.TXID}`, { [`GET /transactions/${V.TXID}`]: confirmed({ kind: 'Normal', tx: V.transfer }, 1) });
    const link = await screen.findByTestId('tx-explain-link');
    expect(link.getAttribute('href')).toBe(`/ui/tx/${V.TXID}/explain`);
  });
});

describe('explain views, more shapes', () => {
  it('verifies genesis by its hash alone (never mined) and says its root is the genesis commitment', async () => {
    const genesis = {
      ...V.block1,
      block_number: 0,
      timestamp: 0,
      last_hash: '0'.repeat(64),
      hash: V.GENESIS_HASH,
      data: [],
      nonce: 0,
      merkle_root: '4851946838db4152c934e0f43c2a46aaf631b78577f62dc5c7cd010376af02d2',
    };
    renderAt(`/blocks/0/explain`, { 'GET /blocks/0': genesis });
    await screen.findByTestId('explain-header-verdict');
    await expectVerdict('explain-header-verdict', 'verified');
    expect(verdict('explain-header-work')).toBe('not required');
    expect(screen.getByText(/genesis commitment/)).toBeTruthy();
    expect(screen.queryByTestId('explain-merkle-verdict')).toBeNull();
    fireEvent.click(screen.getByTestId('explain-header-byte-0'));
    await expectVerdict('explain-header-verdict', 'fails');
  });

  it('draws three ids with the odd last one carried up, and its one-step path', async () => {
    const reward = (height: number) => ({ kind: 'Reward' as const, tx: { ...V.reward1, coinbase: { height, data: '' } } });
    const txs = [reward(1), reward(2), reward(3)];
    const ids = await Promise.all(txs.map((t) => recomputeTxid(t, V.NETWORK)));
    const tree = await merkleTree(ids);
    const block = { ...V.block2, data: txs.map((t, i) => ({ ...t, tx: { ...t.tx, id: bytesToHex(ids[i]) } })), merkle_root: bytesToHex(tree.root) };
    render(<MerkleExplain block={block} network={V.NETWORK} initialIndex={2} />);
    await expectVerdict('explain-merkle-verdict', 'verified');
    await expectVerdict('explain-merkle-path-verdict', 'verified');
    const drawing = screen.getByTestId('explain-merkle-tree');
    expect(drawing.querySelectorAll('.merkle-node').length).toBe(3 + 2 + 1);
    const carried = drawing.querySelector('.carried')!;
    expect([carried.getAttribute('data-level'), carried.getAttribute('data-index')]).toEqual(['1', '1']);
    expect(carried.classList.contains('on-path')).toBe(true);
    expect([...drawing.querySelectorAll('.on-path')].map((n) => n.getAttribute('data-level'))).toEqual(['2', '1', '0']);
    expect(drawing.querySelector('.sibling')?.getAttribute('data-level')).toBe('1');
    expect(screen.getByTestId('explain-merkle-path').querySelectorAll('li').length).toBe(1);
    // A wrong root in the header fails.
    cleanup();
    render(<MerkleExplain block={{ ...block, merkle_root: '00'.repeat(32) }} network={V.NETWORK} />);
    await expectVerdict('explain-merkle-verdict', 'fails');
  });

  it('takes a u64 nonce beyond 2^53 (a string in the JSON)', async () => {
    const big = { ...V.block1, nonce: '18446744073709551615' };
    renderAt(`/blocks/${V.BLOCK1_HASH}/explain`, { [`GET /blocks/${V.BLOCK1_HASH}`]: big });
    const nonce = (await screen.findByTestId('explain-header-field-nonce')) as HTMLInputElement;
    expect(nonce.value).toBe('ffffffffffffffff');
    await expectVerdict('explain-header-verdict', 'fails');
    expect(screen.getByTestId('explain-header-fields').textContent).toContain('18446744073709551615');
  });
});

describe('explain without WebCrypto', () => {
  it('says why nothing can be recomputed on a page that is not a secure context', async () => {
    vi.stubGlobal('crypto', {});
    renderAt(`/blocks/${V.BLOCK1_HASH}/explain`, { [`GET /blocks/${V.BLOCK1_HASH}`]: V.block1 });
    expect((await screen.findByTestId('explain-no-webcrypto')).textContent).toMatch(/secure pages/);
    expect(verdict('explain-header-verdict')).toBe('checking…');
  });
});
