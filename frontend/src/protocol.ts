// The protocol's byte layouts (docs/PROTOCOL.md §2–§5), recomputed in the browser: no DOM, no
// node. Hashing is WebCrypto SHA-256 (async); signatures are checked with @noble/curves, an
// implementation independent of the node's. Every u64 is a BigInt.
//
// Encodings (PROTOCOL.md conventions): integers are unsigned big-endian; `short(x)` is a u8
// length then the bytes; `var(x)` is a u16 length then the bytes; hashes are single SHA-256.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Block, Reward, Transaction, Transfer } from './types';

// ---------------------------------------------------------------------------------------------
// Hex and integers

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Lower- or upper-case hex, even length, nothing else; throws otherwise. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `hex` when it is exactly `size` bytes of hex, else null. */
export function parseHexOfSize(hex: string, size: number): Uint8Array | null {
  const h = hex.trim();
  if (h.length !== size * 2 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  return hexToBytes(h);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An unsigned big-endian integer of `size` bytes; throws when it does not fit. */
export function uintBE(value: number | string | bigint, size: number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * size)) throw new Error(`${String(value)} does not fit in u${8 * size}`);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function readUintBE(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const d = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return new Uint8Array(d);
}

// ---------------------------------------------------------------------------------------------
// Annotated byte layouts

export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'hash' | 'key' | 'sig' | 'utf8';

/** One field of an encoding: where it sits and how to read it. */
export interface ByteField {
  /** Stable id (used in test ids): `nonce`, `output0_amount`, … */
  key: string;
  label: string;
  offset: number;
  size: number;
  kind: FieldKind;
  /** How the bytes encode the value, for people: `u64 big-endian`, … */
  encoding: string;
}

export interface Layout {
  bytes: Uint8Array;
  fields: ByteField[];
}

const KIND_ENCODING: Record<FieldKind, string> = {
  u8: 'u8',
  u16: 'u16 big-endian',
  u32: 'u32 big-endian',
  u64: 'u64 big-endian',
  hash: 'bytes[32]',
  key: 'bytes[33] compressed SEC1 key',
  sig: 'bytes[64] r || s',
  utf8: 'UTF-8 text',
};

class LayoutWriter {
  private parts: Uint8Array[] = [];
  private offset = 0;
  readonly fields: ByteField[] = [];
  put(key: string, label: string, kind: FieldKind, bytes: Uint8Array, encoding?: string) {
    this.fields.push({ key, label, offset: this.offset, size: bytes.length, kind, encoding: encoding ?? KIND_ENCODING[kind] });
    this.parts.push(bytes);
    this.offset += bytes.length;
  }
  int(key: string, label: string, kind: 'u8' | 'u16' | 'u32' | 'u64', value: number | string | bigint, encoding?: string) {
    const size = { u8: 1, u16: 2, u32: 4, u64: 8 }[kind];
    this.put(key, label, kind, uintBE(value, size), encoding);
  }
  fixed(key: string, label: string, kind: 'hash' | 'key' | 'sig', hex: string) {
    const size = { hash: 32, key: 33, sig: 64 }[kind];
    const b = parseHexOfSize(hex, size);
    if (!b) throw new Error(`${label}: expected ${size} bytes of hex, got ${JSON.stringify(hex)}`);
    this.put(key, label, kind, b);
  }
  /** `short(text)`: a u8 length field then the text field. */
  short(key: string, label: string, text: string) {
    const b = utf8.encode(text);
    if (b.length > 255) throw new Error(`${label} is longer than 255 bytes`);
    this.int(`${key}_len`, `${label} length`, 'u8', b.length, 'u8 (length of short(…))');
    this.put(key, label, 'utf8', b);
  }
  /** `var(text)`: a u16 length field then the text field. */
  var(key: string, label: string, text: string) {
    const b = utf8.encode(text);
    if (b.length > 0xffff) throw new Error(`${label} is longer than 65,535 bytes`);
    this.int(`${key}_len`, `${label} length`, 'u16', b.length, 'u16 big-endian (length of var(…))');
    this.put(key, label, 'utf8', b);
  }
  done(): Layout {
    return { bytes: concatBytes(...this.parts), fields: this.fields };
  }
}

/** The value a field's bytes (in `bytes`, possibly edited) stand for, as text. */
export function decodeField(f: ByteField, bytes: Uint8Array): string {
  const b = bytes.subarray(f.offset, f.offset + f.size);
  switch (f.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      return readUintBE(b).toString();
    case 'utf8':
      return JSON.stringify(utf8Decoder.decode(b));
    default:
      return bytesToHex(b);
  }
}

export function fieldBytes(f: ByteField, bytes: Uint8Array): Uint8Array {
  return bytes.subarray(f.offset, f.offset + f.size);
}

// ---------------------------------------------------------------------------------------------
// §4.1 Header

export const HEADER_SIZE = 96;

export type HeaderInput = Pick<Block, 'version' | 'block_number' | 'last_hash' | 'merkle_root' | 'timestamp' | 'bits' | 'nonce'>;

/** The 96-byte header, field by field (§4.1). */
export function encodeHeader(b: HeaderInput): Layout {
  const w = new LayoutWriter();
  w.int('version', 'Version', 'u32', b.version);
  w.int('height', 'Height', 'u64', b.block_number);
  w.fixed('last_hash', 'Parent hash', 'hash', b.last_hash);
  w.fixed('merkle_root', 'Merkle root', 'hash', b.merkle_root);
  w.int('timestamp', 'Timestamp (ms)', 'u64', b.timestamp);
  w.int('bits', 'Bits (compact target)', 'u32', b.bits);
  w.int('nonce', 'Nonce', 'u64', b.nonce);
  const l = w.done();
  if (l.bytes.length !== HEADER_SIZE) throw new Error('header is not 96 bytes');
  return l;
}

// ---------------------------------------------------------------------------------------------
// §5.1 Targets

/** The target `bits` encode, or null when `bits` is invalid (sign bit, zero, above 2^256). */
export function targetFromBits(bits: number | bigint): bigint | null {
  const v = BigInt(bits);
  const exponent = Number(v >> 24n);
  const mantissa = v & 0xffffffn;
  if (mantissa & 0x800000n) return null;
  const target = exponent >= 3 ? mantissa << BigInt(8 * (exponent - 3)) : mantissa >> BigInt(8 * (3 - exponent));
  if (target === 0n || target > 1n << 256n) return null;
  return target;
}

/** A 256-bit number as 64 hex digits. */
export function hex256(n: bigint): string {
  return n.toString(16).padStart(64, '0');
}

/** §5.1: the hash, read as a 256-bit big-endian integer, is strictly below the target. */
export function meetsTarget(hash: Uint8Array, target: bigint): boolean {
  return readUintBE(hash) < target;
}

// ---------------------------------------------------------------------------------------------
// §3.1 Transfer

export const TRANSFER_DOMAIN = 'bitcoin-rust/transfer/v1';
export const REWARD_DOMAIN = 'bitcoin-rust/reward/v1';

/** The transfer's signing preimage, field by field (§3.1). */
export function encodeTransferPreimage(tx: Transfer, network: string): Layout {
  const w = new LayoutWriter();
  w.short('domain', 'Domain', TRANSFER_DOMAIN);
  w.short('network', 'Network id', network);
  w.fixed('sender', 'Sender address', 'key', tx.input.address);
  w.int('nonce', 'Nonce', 'u64', tx.input.nonce);
  w.int('timestamp', 'Timestamp (ms)', 'u64', tx.input.timestamp);
  w.int('amount', 'Amount (sender balance)', 'u64', tx.input.amount);
  w.int('fee', 'Fee', 'u64', tx.input.fee);
  w.int('output_count', 'Output count', 'u16', tx.outputs.length);
  tx.outputs.forEach((o, i) => {
    w.fixed(`output${i}_address`, `Output ${i} address`, 'key', o.address);
    w.int(`output${i}_amount`, `Output ${i} amount`, 'u64', o.amount);
  });
  return w.done();
}

/** The 64 signature bytes `r || s` of a transfer, or null when it is not 128 hex digits. */
export function signatureBytes(tx: Transfer): Uint8Array | null {
  return parseHexOfSize(tx.input.signature, 64);
}

/** `sighash = SHA-256(preimage)`. */
export function transferSighash(preimage: Uint8Array): Promise<Uint8Array> {
  return sha256(preimage);
}

/** `txid = SHA-256(preimage || signature)`. */
export function transferTxid(preimage: Uint8Array, signature: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(preimage, signature));
}

/** The group order of secp256k1. */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export type SignatureCheck =
  | { ok: true; reason: 'verified' }
  | { ok: false; reason: 'malformed_signature' | 'high_s_signature' | 'bad_signature' };

/**
 * §2/§3.1 rule 6, with @noble/curves: 64 bytes `r || s` with 0 < r, s < n, low-S (`s <= n/2`),
 * and ECDSA-valid for `sender` (33-byte compressed key) over the 32-byte `sighash` as it is
 * (not hashed again). Never asks the node.
 */
export function verifyTransferSignature(sighash: Uint8Array, signature: Uint8Array, sender: Uint8Array): SignatureCheck {
  if (signature.length !== 64 || sighash.length !== 32) return { ok: false, reason: 'malformed_signature' };
  const r = readUintBE(signature.subarray(0, 32));
  const s = readUintBE(signature.subarray(32));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) return { ok: false, reason: 'malformed_signature' };
  if (s > CURVE_ORDER >> 1n) return { ok: false, reason: 'high_s_signature' };
  if (sender.length !== 33 || (sender[0] !== 2 && sender[0] !== 3)) return { ok: false, reason: 'bad_signature' };
  try {
    const ok = secp256k1.verify(signature, sighash, sender, { prehash: false, lowS: true, format: 'compact' });
    return ok ? { ok: true, reason: 'verified' } : { ok: false, reason: 'bad_signature' };
  } catch {
    // Not a point on the curve, and the like.
    return { ok: false, reason: 'bad_signature' };
  }
}

// ---------------------------------------------------------------------------------------------
// §3.2 Reward

/** The reward's preimage, field by field (§3.2); its id is `SHA-256(preimage)`. */
export function encodeRewardPreimage(tx: Reward, network: string): Layout {
  const w = new LayoutWriter();
  w.short('domain', 'Domain', REWARD_DOMAIN);
  w.short('network', 'Network id', network);
  w.int('height', 'Height', 'u64', tx.coinbase.height);
  w.fixed('miner', 'Miner address', 'key', tx.output.address);
  w.int('amount', 'Amount', 'u64', tx.output.amount);
  w.var('data', 'Data', tx.coinbase.data);
  return w.done();
}

/** A transaction's id recomputed from its content (§3.1, §3.2). */
export async function recomputeTxid(t: Transaction, network: string): Promise<Uint8Array> {
  if (t.kind === 'Reward') return sha256(encodeRewardPreimage(t.tx, network).bytes);
  const sig = signatureBytes(t.tx);
  if (!sig) throw new Error('the signature is not 64 bytes of hex');
  return transferTxid(encodeTransferPreimage(t.tx, network).bytes, sig);
}

// ---------------------------------------------------------------------------------------------
// §4.3 Merkle tree

export const ZERO_HASH = new Uint8Array(32);

export function merkleLeaf(id: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(Uint8Array.of(0), id));
}

export function merkleNode(l: Uint8Array, r: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(Uint8Array.of(1), l, r));
}

/** Every level of the tree, leaves first; the last level holds the root alone. */
export interface MerkleTree {
  levels: Uint8Array[][];
  root: Uint8Array;
}

/** §4.3: leaves `SHA-256(00 || id)`, nodes `SHA-256(01 || l || r)`, an odd last element carried up. */
export async function merkleTree(ids: Uint8Array[]): Promise<MerkleTree> {
  if (ids.length === 0) return { levels: [], root: ZERO_HASH };
  const levels: Uint8Array[][] = [await Promise.all(ids.map(merkleLeaf))];
  while (levels[levels.length - 1].length > 1) {
    const cur = levels[levels.length - 1];
    const next: Uint8Array[] = [];
    for (let i = 0; i < cur.length; i += 2) next.push(i + 1 < cur.length ? await merkleNode(cur[i], cur[i + 1]) : cur[i]);
    levels.push(next);
  }
  return { levels, root: levels[levels.length - 1][0] };
}

export interface ProofStep {
  side: 'left' | 'right';
  hash: Uint8Array;
}

/**
 * §4.3.1: the path of the transaction at `index`, from the leaf up, and the position of the
 * running node at every level (to highlight it). A level where the node is carried up has no step.
 */
export function merklePath(tree: MerkleTree, index: number): { steps: ProofStep[]; positions: number[]; siblings: (number | null)[] } {
  const steps: ProofStep[] = [];
  const positions: number[] = [];
  const siblings: (number | null)[] = [];
  let i = index;
  for (let lv = 0; lv < tree.levels.length; lv++) {
    const level = tree.levels[lv];
    positions.push(i);
    if (level.length === 1) {
      siblings.push(null);
      break;
    }
    const sib = i % 2 === 0 ? i + 1 : i - 1;
    if (sib < level.length) {
      steps.push({ side: i % 2 === 0 ? 'right' : 'left', hash: level[sib] });
      siblings.push(sib);
    } else siblings.push(null);
    i = Math.floor(i / 2);
  }
  return { steps, positions, siblings };
}

/** Folds a path from `leaf(txid)` up (§4.3.1); answers the root it reaches. */
export async function foldMerklePath(txid: Uint8Array, steps: ProofStep[]): Promise<Uint8Array> {
  let running = await merkleLeaf(txid);
  for (const s of steps) running = s.side === 'left' ? await merkleNode(s.hash, running) : await merkleNode(running, s.hash);
  return running;
}
