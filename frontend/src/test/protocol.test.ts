// The in-browser protocol code against PROTOCOL.md's worked examples (§4.3.1, §4.4, §7).
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decodeField,
  encodeHeader,
  encodeRewardPreimage,
  encodeTransferPreimage,
  foldMerklePath,
  hex256,
  hexToBytes,
  meetsTarget,
  merklePath,
  merkleTree,
  recomputeTxid,
  sha256,
  targetFromBits,
  transferSighash,
  transferTxid,
  uintBE,
  verifyTransferSignature,
  CURVE_ORDER,
} from '../protocol';
import * as V from './vectors';

const hex = bytesToHex;
const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i] ^= 0x01;
  return c;
};

describe('encodings', () => {
  it('writes big-endian integers, u64 beyond 2^53 exactly', () => {
    expect(hex(uintBE(1, 4))).toBe('00000001');
    expect(hex(uintBE('18446744073709551615', 8))).toBe('ffffffffffffffff');
    expect(hex(uintBE(9007199254740993n, 8))).toBe('0020000000000001');
    expect(() => uintBE(256, 1)).toThrow();
    expect(() => hexToBytes('abc')).toThrow();
  });
});

describe('§4.1 header and §5.1 target', () => {
  it('encodes block 1 header byte for byte, with the field table of §4.1', async () => {
    const h = encodeHeader(V.block1);
    expect(hex(h.bytes)).toBe(V.BLOCK1_HEADER);
    expect(h.fields.map((f) => [f.key, f.offset, f.size])).toEqual([
      ['version', 0, 4],
      ['height', 4, 8],
      ['last_hash', 12, 32],
      ['merkle_root', 44, 32],
      ['timestamp', 76, 8],
      ['bits', 84, 4],
      ['nonce', 88, 8],
    ]);
    expect(h.fields.map((f) => decodeField(f, h.bytes))).toEqual([
      '1',
      '1',
      V.GENESIS_HASH,
      V.BLOCK1_ROOT,
      '1700000000000',
      String(0x1f010000),
      '23431',
    ]);
    expect(hex(await sha256(h.bytes))).toBe(V.BLOCK1_HASH);
  });
  it('encodes the genesis header and block 2', async () => {
    const g = encodeHeader({ version: 1, block_number: 0, last_hash: '0'.repeat(64), merkle_root: '4851946838db4152c934e0f43c2a46aaf631b78577f62dc5c7cd010376af02d2', timestamp: 0, bits: 0x1f010000, nonce: 0 });
    expect(hex(g.bytes)).toBe(V.GENESIS_HEADER);
    expect(hex(await sha256(g.bytes))).toBe(V.GENESIS_HASH);
    expect(hex(await sha256(encodeHeader(V.block2).bytes))).toBe(V.BLOCK2_HASH);
  });
  it('takes a nonce beyond 2^53 as a string', () => {
    const h = encodeHeader({ ...V.block1, nonce: '18446744073709551615' });
    expect(hex(h.bytes.subarray(88))).toBe('ffffffffffffffff');
  });
  it('decodes compact bits and compares the hash with the target', async () => {
    const t = targetFromBits(0x1f010000)!;
    expect(hex256(t)).toBe(V.TARGET_D4);
    expect(targetFromBits(0x1f800000)).toBeNull();
    expect(targetFromBits(0x1f000000)).toBeNull();
    expect(targetFromBits(0x02008000)).toBe(0x80n);
    const hash = await sha256(hexToBytes(V.BLOCK1_HEADER));
    expect(meetsTarget(hash, t)).toBe(true);
    // One byte of the nonce changed: another hash, above the target.
    const other = await sha256(flip(hexToBytes(V.BLOCK1_HEADER), 95));
    expect(hex(other)).not.toBe(V.BLOCK1_HASH);
    expect(meetsTarget(other, t)).toBe(false);
    // Strictly below: a hash equal to the target fails.
    expect(meetsTarget(hexToBytes(V.TARGET_D4), t)).toBe(false);
    expect(meetsTarget(genesisHash(), t)).toBe(false);
  });
});

function genesisHash() {
  return hexToBytes(V.GENESIS_HASH);
}

describe('§3.1 transfer', () => {
  const pre = encodeTransferPreimage(V.transfer, V.NETWORK);
  const sig = hexToBytes(V.SIGNATURE);
  const sender = hexToBytes(V.KEY1);

  it('encodes the signing preimage field by field', () => {
    expect(hex(pre.bytes)).toBe(V.TRANSFER_PREIMAGE);
    expect(pre.fields.map((f) => [f.key, f.offset, f.size, decodeField(f, pre.bytes)])).toEqual([
      ['domain_len', 0, 1, '24'],
      ['domain', 1, 24, '"bitcoin-rust/transfer/v1"'],
      ['network_len', 25, 1, '19'],
      ['network', 26, 19, '"bitcoin-rust-devnet"'],
      ['sender', 45, 33, V.KEY1],
      ['nonce', 78, 8, '0'],
      ['timestamp', 86, 8, '1700000005000'],
      ['amount', 94, 8, '50'],
      ['fee', 102, 8, '1'],
      ['output_count', 110, 2, '2'],
      ['output0_address', 112, 33, V.KEY1],
      ['output0_amount', 145, 8, '39'],
      ['output1_address', 153, 33, V.KEY2],
      ['output1_amount', 186, 8, '10'],
    ]);
  });
  it('recomputes the sighash and the txid, and verifies the signature with @noble/curves', async () => {
    const sighash = await transferSighash(pre.bytes);
    expect(hex(sighash)).toBe(V.SIGHASH);
    expect(hex(await transferTxid(pre.bytes, sig))).toBe(V.TXID);
    expect(hex(await recomputeTxid({ kind: 'Normal', tx: V.transfer }, V.NETWORK))).toBe(V.TXID);
    expect(verifyTransferSignature(sighash, sig, sender)).toEqual({ ok: true, reason: 'verified' });
  });
  it('fails once any one byte changes', async () => {
    const sighash = await transferSighash(pre.bytes);
    // A byte of the preimage (the fee): another sighash, the signature no longer verifies.
    const edited = flip(pre.bytes, 109);
    const sighash2 = await transferSighash(edited);
    expect(hex(sighash2)).not.toBe(V.SIGHASH);
    expect(hex(await transferTxid(edited, sig))).not.toBe(V.TXID);
    expect(verifyTransferSignature(sighash2, sig, sender)).toEqual({ ok: false, reason: 'bad_signature' });
    // A byte of the signature.
    expect(verifyTransferSignature(sighash, flip(sig, 10), sender).ok).toBe(false);
    expect(hex(await transferTxid(pre.bytes, flip(sig, 10)))).not.toBe(V.TXID);
    // Another key (key 2), or bytes that are no key.
    expect(verifyTransferSignature(sighash, sig, hexToBytes(V.KEY2)).reason).toBe('bad_signature');
    expect(verifyTransferSignature(sighash, sig, flip(sender, 5)).ok).toBe(false);
    // Another network id signs other bytes.
    const other = encodeTransferPreimage(V.transfer, 'bitcoin-rust-dev');
    expect(verifyTransferSignature(await transferSighash(other.bytes), sig, sender).ok).toBe(false);
    // Restoring the byte verifies again.
    expect(verifyTransferSignature(await transferSighash(flip(edited, 109)), sig, sender).ok).toBe(true);
  });
  it('refuses the high-S twin of a valid signature and malformed ones', async () => {
    const sighash = await transferSighash(pre.bytes);
    const s = BigInt('0x' + V.SIGNATURE.slice(64));
    const high = hexToBytes(V.SIGNATURE.slice(0, 64) + hex256(CURVE_ORDER - s));
    expect(verifyTransferSignature(sighash, high, sender)).toEqual({ ok: false, reason: 'high_s_signature' });
    expect(verifyTransferSignature(sighash, sig.subarray(0, 63), sender).reason).toBe('malformed_signature');
    expect(verifyTransferSignature(sighash, new Uint8Array(64), sender).reason).toBe('malformed_signature');
  });
});

describe('§3.2 reward', () => {
  it('encodes block 1 reward preimage and id', async () => {
    const pre = encodeRewardPreimage(V.reward1, V.NETWORK);
    expect(hex(pre.bytes)).toBe(V.REWARD1_PREIMAGE);
    expect(pre.fields.map((f) => f.key)).toEqual(['domain_len', 'domain', 'network_len', 'network', 'height', 'miner', 'amount', 'data_len', 'data']);
    expect(hex(await sha256(pre.bytes))).toBe(V.REWARD1_ID);
    expect(hex(await recomputeTxid({ kind: 'Reward', tx: V.reward2 }, V.NETWORK))).toBe(V.REWARD2_ID);
    expect(hex(await recomputeTxid({ kind: 'Reward', tx: { ...V.reward2, output: { ...V.reward2.output, amount: 52 } } }, V.NETWORK))).not.toBe(V.REWARD2_ID);
  });
});

describe('§4.3 Merkle tree and §4.3.1 paths', () => {
  it('gives block 1 and block 2 roots from recomputed ids', async () => {
    const t1 = await merkleTree([hexToBytes(V.REWARD1_ID)]);
    expect(hex(t1.root)).toBe(V.BLOCK1_ROOT);
    expect(merklePath(t1, 0).steps).toEqual([]);
    const ids = await Promise.all(V.block2.data.map((t) => recomputeTxid(t, V.NETWORK)));
    const t2 = await merkleTree(ids);
    expect(t2.levels[0].map(hex)).toEqual(V.BLOCK2_LEAVES);
    expect(hex(t2.root)).toBe(V.BLOCK2_ROOT);
    expect((await merkleTree([])).root).toEqual(new Uint8Array(32));
  });
  it('answers §7.4 paths for block 2 and they fold to the root', async () => {
    const t2 = await merkleTree([hexToBytes(V.REWARD2_ID), hexToBytes(V.TXID)]);
    const p1 = merklePath(t2, 1);
    expect(p1.steps.map((s) => ({ side: s.side, hash: hex(s.hash) }))).toEqual([{ side: 'left', hash: V.BLOCK2_LEAVES[0] }]);
    expect(hex(await foldMerklePath(hexToBytes(V.TXID), p1.steps))).toBe(V.BLOCK2_ROOT);
    const p0 = merklePath(t2, 0);
    expect(p0.steps.map((s) => ({ side: s.side, hash: hex(s.hash) }))).toEqual([{ side: 'right', hash: V.BLOCK2_LEAVES[1] }]);
    expect(hex(await foldMerklePath(hexToBytes(V.REWARD2_ID), p0.steps))).toBe(V.BLOCK2_ROOT);
    expect(hex(await foldMerklePath(flip(hexToBytes(V.TXID), 0), p1.steps))).not.toBe(V.BLOCK2_ROOT);
  });
  it('answers §4.3.1 three-leaf paths, the odd last leaf carried up', async () => {
    const t = await merkleTree(V.PROOF_IDS.map(hexToBytes));
    expect(t.levels.map((l) => l.map(hex))).toEqual([V.PROOF_LEAVES, [V.PROOF_LEVEL1_NODE, V.PROOF_LEAVES[2]], [V.PROOF_ROOT]]);
    const paths = [0, 1, 2].map((i) => merklePath(t, i).steps.map((s) => ({ side: s.side, hash: hex(s.hash) })));
    expect(paths).toEqual([
      [
        { side: 'right', hash: V.PROOF_LEAVES[1] },
        { side: 'right', hash: V.PROOF_LEAVES[2] },
      ],
      [
        { side: 'left', hash: V.PROOF_LEAVES[0] },
        { side: 'right', hash: V.PROOF_LEAVES[2] },
      ],
      [{ side: 'left', hash: V.PROOF_LEVEL1_NODE }],
    ]);
    expect(merklePath(t, 2).positions).toEqual([2, 1, 0]);
    expect(merklePath(t, 2).siblings).toEqual([null, 0, null]);
    for (let i = 0; i < 3; i++) {
      expect(hex(await foldMerklePath(hexToBytes(V.PROOF_IDS[i]), merklePath(t, i).steps))).toBe(V.PROOF_ROOT);
    }
  });
});
