import { describe, expect, it } from 'vitest';
import {
  addressError,
  checkSend,
  classifySearch,
  isAddress,
  isPeerUrl,
  normaliseNodeUrl,
  parseCoins,
  previewTransfer,
} from '../validate';
import type { Transfer } from '../types';

const ME = '03e07e691fe298b2eb86ab9097decc35fbb191e8ddbc6e75aa26042f2f74459214';
const A = '02' + 'ab'.repeat(32);
const B = '03' + '12'.repeat(32);
const HASH = '00000e337bf1dd55b74f9135a939ac726472879bcf7a4a4a63224ed43352ebce';

function pending(outputs: { address: string; amount: number }[], fee: number, balance = 100): Transfer {
  const paid = outputs.reduce((s, o) => s + o.amount, 0);
  return {
    id: 'f'.repeat(64),
    input: { timestamp: 1, amount: balance, address: ME, nonce: 0, fee, signature: '00' },
    outputs: [{ address: ME, amount: balance - paid - fee }, ...outputs],
  };
}

describe('addresses', () => {
  it('accepts compressed and uncompressed keys', () => {
    expect(isAddress(ME)).toBe(true);
    expect(isAddress(A.toUpperCase())).toBe(true);
    expect(isAddress('04' + 'ab'.repeat(64))).toBe(true);
  });
  it('refuses everything else with a reason', () => {
    expect(isAddress('05' + 'ab'.repeat(32))).toBe(false);
    expect(addressError('')).toMatch(/Enter/);
    expect(addressError('xyz')).toMatch(/hexadecimal/);
    expect(addressError('02abcd')).toMatch(/66 hex digits.*has 6/);
    expect(addressError('05' + 'ab'.repeat(32))).toMatch(/starts with 02 or 03/);
    expect(addressError('02' + 'ab'.repeat(64))).toMatch(/starts with 04/);
    expect(addressError(`  ${A}  `)).toBeNull();
  });
});

describe('parseCoins', () => {
  it('accepts whole numbers', () => {
    expect(parseCoins('10')).toEqual({ ok: true, value: 10 });
    expect(parseCoins(' 1,000 ')).toEqual({ ok: true, value: 1000 });
    expect(parseCoins('0', { min: 0, field: 'Fee' })).toEqual({ ok: true, value: 0 });
  });
  it('refuses decimals, negatives, junk and zero amounts', () => {
    expect(parseCoins('1.5')).toMatchObject({ ok: false, error: expect.stringMatching(/whole number/) });
    expect(parseCoins('1e3')).toMatchObject({ ok: false });
    expect(parseCoins('-3')).toMatchObject({ ok: false, error: expect.stringMatching(/negative/) });
    expect(parseCoins('abc')).toMatchObject({ ok: false });
    expect(parseCoins('')).toMatchObject({ ok: false, error: expect.stringMatching(/required/) });
    expect(parseCoins('0')).toMatchObject({ ok: false, error: expect.stringMatching(/at least 1/) });
    expect(parseCoins('99999999999999999999')).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) });
  });
});

describe('the update rule', () => {
  it('starts a new transfer when nothing is pending', () => {
    const p = previewTransfer(null, ME, A, 5, 1);
    expect(p.updating).toBe(false);
    expect(p.payments).toEqual([{ address: A, amount: 5, added: 5, previous: 0 }]);
    expect(p.fee).toBe(1);
    expect(p.total).toBe(6);
  });
  it('adds to the same recipient and adds the fees up', () => {
    const p = previewTransfer(pending([{ address: A, amount: 5 }], 1), ME, A, 3, 2);
    expect(p.updating).toBe(true);
    expect(p.payments).toEqual([{ address: A, amount: 8, added: 3, previous: 5 }]);
    expect(p.previousFee).toBe(1);
    expect(p.fee).toBe(3);
    expect(p.total).toBe(11);
  });
  it('appends a new recipient, and an update pays at least 1 more fee', () => {
    const p = previewTransfer(pending([{ address: A, amount: 5 }], 1), ME, B, 4, 0);
    expect(p.payments.map((x) => [x.address, x.amount])).toEqual([
      [A, 5],
      [B, 4],
    ]);
    expect(p.fee).toBe(2);
  });
});

describe('checkSend', () => {
  const ctx = { balance: 20, me: ME, pending: null };
  it('passes a valid send', () => {
    const c = checkSend({ recipient: A, amount: '10', fee: '1' }, ctx);
    expect(c.errors).toEqual({});
    expect(c.preview?.total).toBe(11);
  });
  it('reports every field', () => {
    const c = checkSend({ recipient: 'nope', amount: '1.5', fee: '-1' }, ctx);
    expect(Object.keys(c.errors).sort()).toEqual(['amount', 'fee', 'recipient']);
    expect(c.preview).toBeNull();
  });
  it('refuses to spend more than the balance, counting the pending transfer', () => {
    expect(checkSend({ recipient: A, amount: '20', fee: '1' }, ctx).errors.form).toMatch(/needs 21.*balance is 20/);
    const withPending = { ...ctx, pending: pending([{ address: A, amount: 15 }], 1, 20) };
    expect(checkSend({ recipient: B, amount: '3', fee: '1' }, withPending).errors).toEqual({});
    expect(checkSend({ recipient: B, amount: '4', fee: '1' }, withPending).errors.form).toMatch(
      /updated transfer would spend 21.*balance is 20/,
    );
  });
  it('treats an empty fee as 0', () => {
    expect(checkSend({ recipient: A, amount: '20', fee: '' }, ctx).errors).toEqual({});
  });
});

describe('classifySearch', () => {
  it('decides by format', () => {
    expect(classifySearch('42')).toEqual({ kind: 'height', height: 42 });
    expect(classifySearch(` ${HASH.toUpperCase()} `)).toEqual({ kind: 'hash', hash: HASH });
    expect(classifySearch(A)).toEqual({ kind: 'address', address: A });
    expect(classifySearch('0x' + HASH)).toEqual({ kind: 'hash', hash: HASH });
    expect(classifySearch('hello').kind).toBe('invalid');
    expect(classifySearch('').kind).toBe('invalid');
    expect(classifySearch('abc123').kind).toBe('invalid');
  });
});

describe('URLs', () => {
  it('normalises node URLs', () => {
    expect(normaliseNodeUrl('http://127.0.0.1:3002/')).toBe('http://127.0.0.1:3002');
    expect(normaliseNodeUrl('127.0.0.1:3002')).toBe('http://127.0.0.1:3002');
    expect(normaliseNodeUrl('http://localhost:3002/status')).toBe('http://localhost:3002');
    expect(normaliseNodeUrl('ftp://x')).toBeNull();
    expect(normaliseNodeUrl('')).toBeNull();
  });
  it('checks peer URLs', () => {
    expect(isPeerUrl('ws://127.0.0.1:5001')).toBe(true);
    expect(isPeerUrl('http://127.0.0.1:5001')).toBe(false);
    expect(isPeerUrl('ws://127.0.0.1')).toBe(false);
    expect(isPeerUrl('nonsense')).toBe(false);
  });
});
