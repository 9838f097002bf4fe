import { describe, expect, it } from 'vitest';
import { parseJsonSafe } from '../json';
import { blockIntervals, movingAverage } from '../pages/Charts';
import { niceTicks } from '../components/LineChart';
import { pageRange } from '../pages/Blocks';
import { byFee } from '../pages/Mempool';
import { relate } from '../pages/Network';
import { resolveSent, type SentEntry } from '../pages/Wallet';
import { resolveSearch } from '../pages/Search';
import { syncRate } from '../pages/Overview';
import { ApiError } from '../api';
import type { AddressInfo, NodeStatus, Transfer } from '../types';

describe('parseJsonSafe', () => {
  it('keeps u64 nonces exact', () => {
    const v = parseJsonSafe('{"nonce":7019126643329791408,"n":5,"f":1.5,"neg":-3}') as Record<string, unknown>;
    expect(v).toEqual({ nonce: '7019126643329791408', n: 5, f: 1.5, neg: -3 });
  });
  it('leaves numbers inside strings and safe integers alone', () => {
    const text = '{"data":"x:12345678901234567890,\\"q\\"","t":1795654754894,"a":[9007199254740993]}';
    expect(parseJsonSafe(text)).toEqual({ data: 'x:12345678901234567890,"q"', t: 1795654754894, a: ['9007199254740993'] });
  });
});

describe('chart data', () => {
  it('computes intervals, skipping the genesis block and gaps', () => {
    const blocks = [
      { block_number: 0, timestamp: 0 },
      { block_number: 1, timestamp: 1000 },
      { block_number: 2, timestamp: 2500 },
      { block_number: 3, timestamp: 2700 },
      { block_number: 5, timestamp: 9000 },
    ];
    expect(blockIntervals(blocks)).toEqual([
      { height: 2, ms: 1500 },
      { height: 3, ms: 200 },
    ]);
  });
  it('averages', () => {
    expect(movingAverage([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
  });
  it('finds round ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 5.2, 4)).toEqual([3, 3.5, 4, 4.5, 5]);
    expect(niceTicks(1, 1, 4).length).toBeGreaterThan(1);
  });
  it('pages blocks newest first', () => {
    expect(pageRange(100)).toEqual({ from: 81, limit: 20 });
    expect(pageRange(5)).toEqual({ from: 0, limit: 6 });
  });
});

const ME = '03' + '11'.repeat(32);
const A = '02' + 'ab'.repeat(32);
function transfer(id: string, fee: number, to = A, amount = 5, ts = 1000): Transfer {
  return {
    id,
    input: { timestamp: ts, amount: 100, address: ME, nonce: 0, fee, signature: '' },
    outputs: [
      { address: ME, amount: 100 - amount - fee },
      { address: to, amount },
    ],
  };
}

describe('byFee', () => {
  it('orders by fee, stable', () => {
    const txs = [transfer('a', 1), transfer('b', 3), transfer('c', 1), transfer('d', 2)];
    expect(byFee(txs).map((t) => t.id)).toEqual(['b', 'd', 'a', 'c']);
  });
});

describe('resolveSent', () => {
  const entry: SentEntry = { ids: ['t1'], recipient: A, amount: 5, fee: 1, at: 1000 };
  const info = (pending: Transfer | null, history: AddressInfo['history'] = []): AddressInfo => ({
    address: ME,
    balance: 100,
    nonce: 0,
    pending,
    history,
  });
  it('is pending while its transfer waits', () => {
    expect(resolveSent(entry, info(transfer('t1', 1)))).toEqual({ kind: 'pending', id: 't1', resigned: false });
  });
  it('follows a re-signed transfer paying the same recipient', () => {
    expect(resolveSent(entry, info(transfer('t2', 2)))).toEqual({ kind: 'pending', id: 't2', resigned: true });
  });
  it('is confirmed once in the history', () => {
    const h = [{ transaction: { kind: 'Normal' as const, tx: transfer('t1', 1) }, height: 7, block_hash: 'bh', timestamp: 2, received: 94, spent: 100 }];
    expect(resolveSent(entry, info(null, h))).toEqual({ kind: 'confirmed', id: 't1', height: 7, blockHash: 'bh' });
  });
  it('recognises a re-signed transfer confirmed before the page saw it', () => {
    const h = [{ transaction: { kind: 'Normal' as const, tx: transfer('t9', 2, A, 5, 1500) }, height: 8, block_hash: 'bh8', timestamp: 2, received: 0, spent: 100 }];
    expect(resolveSent(entry, info(null, h))).toMatchObject({ kind: 'confirmed', id: 't9', height: 8 });
  });
  it('is unknown otherwise', () => {
    expect(resolveSent(entry, info(null))).toEqual({ kind: 'unknown' });
  });
});

describe('relate (fork view)', () => {
  const st = (height: number, tip: string, genesis = 'g'): NodeStatus => ({ height, tip, genesis }) as NodeStatus;
  const chain = (hashes: Record<number, string>) => async (h: number) => hashes[h];
  it('sees the same tip', async () => {
    expect(await relate(st(5, 'x'), st(5, 'x'), chain({}), chain({}))).toEqual({ kind: 'same' });
  });
  it('sees a node behind on the same chain', async () => {
    expect(await relate(st(5, 'e'), st(3, 'c'), chain({ 3: 'c' }), chain({}))).toEqual({ kind: 'behind', by: 2 });
  });
  it('sees a node ahead on the same chain', async () => {
    expect(await relate(st(3, 'c'), st(5, 'e'), chain({}), chain({ 3: 'c' }))).toEqual({ kind: 'ahead', by: 2 });
  });
  it('sees a fork', async () => {
    expect(await relate(st(5, 'e'), st(5, 'E'), chain({ 5: 'e' }), chain({}))).toEqual({ kind: 'fork' });
    expect(await relate(st(5, 'e'), st(4, 'D'), chain({ 4: 'd' }), chain({}))).toEqual({ kind: 'fork' });
    expect(await relate(st(3, 'c'), st(5, 'E'), chain({}), chain({ 3: 'C' }))).toEqual({ kind: 'fork' });
    expect(await relate(st(3, 'c'), st(3, 'x', 'other'), chain({}), chain({}))).toEqual({ kind: 'fork' });
  });
});

describe('resolveSearch', () => {
  const H = 'ab'.repeat(32);
  const notFound = () => Promise.reject(new ApiError('no such thing', 'not_found', 404));
  it('routes heights and addresses without asking', async () => {
    const api = { block: notFound, transaction: notFound };
    expect(await resolveSearch('12', api)).toEqual({ to: '/blocks/12' });
    expect(await resolveSearch(A, api)).toEqual({ to: `/address/${A}` });
    expect(await resolveSearch('zz', api)).toMatchObject({ error: expect.any(String) });
  });
  it('tries a block first, then a transaction', async () => {
    expect(await resolveSearch(H, { block: () => Promise.resolve({}), transaction: notFound })).toEqual({ to: `/blocks/${H}` });
    expect(await resolveSearch(H, { block: notFound, transaction: () => Promise.resolve({}) })).toEqual({ to: `/tx/${H}` });
    expect(await resolveSearch(H, { block: notFound, transaction: notFound })).toMatchObject({ error: expect.stringMatching(/No block/) });
  });
  it('passes other failures on', async () => {
    const down = () => Promise.reject(new ApiError('down', 'unreachable', 0));
    await expect(resolveSearch(H, { block: down, transaction: notFound })).rejects.toThrow('down');
  });
});

describe('syncRate (the sync progress bar)', () => {
  it('needs two samples, then gives blocks per second and the time left', () => {
    expect(syncRate([], 100)).toEqual({ rate: 0, etaSeconds: null });
    expect(syncRate([{ at: 0, height: 10 }], 100)).toEqual({ rate: 0, etaSeconds: null });
    const r = syncRate(
      [
        { at: 0, height: 10 },
        { at: 2_000, height: 30 },
      ],
      130,
    );
    expect(r.rate).toBe(10);
    expect(r.etaSeconds).toBe(10);
  });
  it('has no time left to tell while the height does not move', () => {
    expect(
      syncRate(
        [
          { at: 0, height: 10 },
          { at: 5_000, height: 10 },
        ],
        50,
      ),
    ).toEqual({ rate: 0, etaSeconds: null });
  });
});
