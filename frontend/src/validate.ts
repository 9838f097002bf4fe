// Client-side checks mirroring the node's rules, so most mistakes are caught before sending.
import type { Transfer, TxOutput } from './types';

const COMPRESSED = /^0[23][0-9a-fA-F]{64}$/;
const UNCOMPRESSED = /^04[0-9a-fA-F]{128}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** A compressed (66 hex, 02/03) or uncompressed (130 hex, 04) secp256k1 public key. */
export function isAddress(s: string): boolean {
  return COMPRESSED.test(s) || UNCOMPRESSED.test(s);
}

/** Explains why `s` is not an address, or returns null when it looks like one. */
export function addressError(s: string): string | null {
  const v = s.trim();
  if (!v) return 'Enter the recipient’s address.';
  if (!/^[0-9a-fA-F]*$/.test(v)) return 'An address is hexadecimal (0-9, a-f).';
  if (v.length !== 66 && v.length !== 130)
    return `An address is 66 hex digits (or 130 starting 04); this one has ${v.length}.`;
  if (!isAddress(v))
    return v.length === 66
      ? 'A 66-digit address starts with 02 or 03.'
      : 'A 130-digit address starts with 04.';
  return null;
}

/** Whether `s` is a 64-hex-digit hash (block hash or transaction id). */
export function isHash(s: string): boolean {
  return HEX64.test(s);
}

export type ParsedCoins = { ok: true; value: number } | { ok: false; error: string };

/** Parses a whole number of coins typed by a person (`1,000` and `1000` both work). */
export function parseCoins(input: string, opts: { min?: number; field?: string } = {}): ParsedCoins {
  const field = opts.field ?? 'Amount';
  const min = opts.min ?? 1;
  const s = input.trim().replace(/[,_\s]/g, '');
  if (s === '') return { ok: false, error: `${field} is required.` };
  if (/^-/.test(s)) return { ok: false, error: `${field} cannot be negative.` };
  if (/^\d*[.]\d*$/.test(s) || /e/i.test(s))
    return { ok: false, error: `${field} must be a whole number of coins (no decimals).` };
  if (!/^\d+$/.test(s)) return { ok: false, error: `${field} must be a whole number of coins.` };
  const value = Number(s);
  if (!Number.isSafeInteger(value)) return { ok: false, error: `${field} is too large.` };
  if (value < min)
    return { ok: false, error: min === 1 ? `${field} must be at least 1 coin.` : `${field} must be at least ${min}.` };
  return { ok: true, value };
}

/** What the node's wallet will sign after `POST /transact`, following its update rule. */
export interface TransferPreview {
  /** Whether a pending transfer is updated rather than a new one started. */
  updating: boolean;
  /** The payments (change to the wallet itself excluded). */
  payments: (TxOutput & { added: number; previous: number })[];
  /** The fee already pending and the fee after this send. */
  previousFee: number;
  fee: number;
  /** Everything that leaves the wallet: payments plus fee. */
  total: number;
}

/**
 * Mirrors `POST /transact`'s update rule: while the wallet's transfer is pending, sending again
 * updates it — a recipient already paid gets the amounts added up, a new one is appended, and the
 * fees add up (an update pays at least 1 more coin of fee).
 */
export function previewTransfer(
  pending: Transfer | null,
  me: string,
  recipient: string,
  amount: number,
  fee: number,
): TransferPreview {
  const updating = !!pending && pending.input.address.toLowerCase() === me.toLowerCase();
  const payments: TransferPreview['payments'] = [];
  if (updating && pending) {
    for (const o of pending.outputs) {
      if (o.address.toLowerCase() === me.toLowerCase()) continue;
      payments.push({ address: o.address, amount: o.amount, added: 0, previous: o.amount });
    }
  }
  const r = recipient.trim().toLowerCase();
  const existing = payments.find((p) => p.address.toLowerCase() === r);
  if (existing) {
    existing.amount += amount;
    existing.added += amount;
  } else {
    payments.push({ address: recipient.trim(), amount, added: amount, previous: 0 });
  }
  const previousFee = updating && pending ? pending.input.fee : 0;
  const newFee = previousFee + (updating ? Math.max(fee, 1) : fee);
  const total = payments.reduce((s, p) => s + p.amount, 0) + newFee;
  return { updating, payments, previousFee, fee: newFee, total };
}

export interface SendForm {
  recipient: string;
  amount: string;
  fee: string;
}

export interface SendCheck {
  errors: Partial<Record<'recipient' | 'amount' | 'fee' | 'form', string>>;
  preview: TransferPreview | null;
}

/** Validates the wallet's send form against the balance and the pending transfer. */
export function checkSend(
  form: SendForm,
  ctx: { balance: number; me: string; pending: Transfer | null },
): SendCheck {
  const errors: SendCheck['errors'] = {};
  const addrErr = addressError(form.recipient);
  if (addrErr) errors.recipient = addrErr;
  const amount = parseCoins(form.amount, { field: 'Amount', min: 1 });
  if (!amount.ok) errors.amount = amount.error;
  const fee = parseCoins(form.fee === '' ? '0' : form.fee, { field: 'Fee', min: 0 });
  if (!fee.ok) errors.fee = fee.error;
  let preview: TransferPreview | null = null;
  if (!addrErr && amount.ok && fee.ok) {
    preview = previewTransfer(ctx.pending, ctx.me, form.recipient, amount.value, fee.value);
    if (preview.total > ctx.balance) {
      errors.form = preview.updating
        ? `Not enough coins: the updated transfer would spend ${preview.total} (payments plus fee) but the balance is ${ctx.balance}.`
        : `Not enough coins: this needs ${preview.total} (amount plus fee) but the balance is ${ctx.balance}.`;
    }
  }
  return { errors, preview };
}

/** The most blocks one `POST /dev/mine` mines. */
export const DEV_MINE_MAX = 1000;

/** Parses the "Mine N blocks" count: a whole number from 1 to 1000. */
export function parseBlockCount(input: string): ParsedCoins {
  const s = input.trim();
  if (s === '') return { ok: false, error: 'Enter how many blocks to mine.' };
  if (!/^\d+$/.test(s)) return { ok: false, error: 'A whole number of blocks, from 1 to 1000.' };
  const value = Number(s);
  if (value < 1 || value > DEV_MINE_MAX) return { ok: false, error: 'From 1 to 1000 blocks.' };
  return { ok: true, value };
}

export interface FaucetCheck {
  errors: Partial<Record<'address' | 'amount', string>>;
  amount: number | null;
}

/** Validates the dev faucet form: the address as the wallet's recipient, 1..`max` coins. */
export function checkFaucet(form: { address: string; amount: string }, max: number): FaucetCheck {
  const errors: FaucetCheck['errors'] = {};
  const addrErr = addressError(form.address);
  if (addrErr) errors.address = addrErr;
  const amount = parseCoins(form.amount, { field: 'Amount', min: 1 });
  if (!amount.ok) errors.amount = amount.error;
  else if (amount.value > max) errors.amount = `The faucet pays at most ${max} coins per request.`;
  return { errors, amount: amount.ok && !errors.amount ? amount.value : null };
}

export type SearchKind =
  | { kind: 'height'; height: number }
  | { kind: 'hash'; hash: string }
  | { kind: 'address'; address: string }
  | { kind: 'invalid'; reason: string };

/** Decides what a search is by its format (a 64-hex string may be a block hash or a tx id). */
export function classifySearch(q: string): SearchKind {
  const s = q.trim().replace(/^0x/i, '');
  if (!s) return { kind: 'invalid', reason: 'Type a height, a block hash, a transaction id or an address.' };
  if (/^\d+$/.test(s) && s.length < 16) return { kind: 'height', height: Number(s) };
  if (isHash(s)) return { kind: 'hash', hash: s.toLowerCase() };
  if (isAddress(s)) return { kind: 'address', address: s.toLowerCase() };
  return {
    kind: 'invalid',
    reason:
      'Not recognised: a height is a number, a block hash or transaction id is 64 hex digits, an address is 66 hex digits (or 130 starting 04).',
  };
}

/** A base URL of a node typed by a person: `http://127.0.0.1:3001` (trailing slashes removed). */
export function normaliseNodeUrl(input: string): string | null {
  let s = input.trim();
  if (!s) return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^https?:\/\//i.test(s)) return null;
  if (!/^https?:\/\//i.test(s)) s = `http://${s}`;
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (!u.hostname) return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Whether `s` is a ws:// (or wss://) P2P URL with a host and port. */
export function isPeerUrl(s: string): boolean {
  try {
    const u = new URL(s.trim());
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && !!u.hostname && !!u.port;
  } catch {
    return false;
  }
}
