import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatCoins,
  formatDateTime,
  formatDifficulty,
  formatDuration,
  formatHashrate,
  formatInt,
  plural,
  shortHash,
} from '../format';

describe('formatCoins', () => {
  it('formats whole coins with separators and units', () => {
    expect(formatCoins(0)).toBe('0 coins');
    expect(formatCoins(1)).toBe('1 coin');
    expect(formatCoins(50)).toBe('50 coins');
    expect(formatCoins(1234567)).toBe('1,234,567 coins');
  });
  it('shows a dash for missing values', () => {
    expect(formatCoins(null)).toBe('—');
    expect(formatCoins(undefined)).toBe('—');
    expect(formatCoins(Number.NaN)).toBe('—');
  });
});

describe('shortHash', () => {
  const h = '00000e337bf1dd55b74f9135a939ac726472879bcf7a4a4a63224ed43352ebce';
  it('keeps both ends', () => {
    expect(shortHash(h)).toBe('00000e33…52ebce');
    expect(shortHash(h, 4, 4)).toBe('0000…ebce');
  });
  it('leaves short strings alone', () => {
    expect(shortHash('abc')).toBe('abc');
    expect(shortHash('')).toBe('—');
    expect(shortHash(null)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1000)).toBe('1.0 s');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_600_000 + 4 * 60_000)).toBe('1 h 4 min');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000)).toBe('2 d 3 h');
    expect(formatDuration(-1500)).toBe('-1.5 s');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('formatAgo', () => {
  const now = 1_800_000_000_000;
  it('is relative to now', () => {
    expect(formatAgo(now, now)).toBe('just now');
    expect(formatAgo(now - 12_000, now)).toBe('12 s ago');
    expect(formatAgo(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(formatAgo(now + 4000, now)).toBe('in 4 s');
  });
  it('treats 0 (the genesis timestamp) as unknown', () => {
    expect(formatAgo(0, now)).toBe('—');
  });
});

describe('other formats', () => {
  it('formats hash rates', () => {
    expect(formatHashrate(0)).toBe('0 H/s');
    expect(formatHashrate(950)).toBe('950 H/s');
    expect(formatHashrate(1736590)).toBe('1.74 MH/s');
    expect(formatHashrate(25_300)).toBe('25.3 kH/s');
    expect(formatHashrate(512_000_000)).toBe('512 MH/s');
  });
  it('formats difficulty, ints, bytes, plurals and dates', () => {
    expect(formatDifficulty(5.036523)).toBe('5.037');
    expect(formatDifficulty(3)).toBe('3');
    expect(formatInt(12345)).toBe('12,345');
    expect(formatBytes(152)).toBe('152 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(plural(1, 'block')).toBe('1 block');
    expect(plural(3, 'block')).toBe('3 blocks');
    expect(formatDateTime(0)).toBe('—');
    expect(formatDateTime(new Date(2026, 10, 25, 14, 3, 7).getTime())).toBe('2026-11-25 14:03:07');
  });
});
