// Display helpers: whole-coin amounts, hashes, times, rates.

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Whole coins with thousands separators: `1,234 coins`, `1 coin`. */
export function formatCoins(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `${intFmt.format(n)} ${Math.abs(n) === 1 ? 'coin' : 'coins'}`;
}

/** An integer with thousands separators. */
export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return intFmt.format(Math.round(n));
}

/** `00000e33…52ebce`: both ends of a long hex string (hashes start with zeros). */
export function shortHash(h: string | null | undefined, head = 8, tail = 6): string {
  if (!h) return '—';
  if (h.length <= head + tail + 1) return h;
  return `${h.slice(0, head)}…${h.slice(-tail)}`;
}

/** A duration in ms: `850 ms`, `1.2 s`, `2 min 5 s`, `3 h 4 min`, `2 d 3 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const neg = ms < 0;
  const a = Math.abs(ms);
  let s: string;
  if (a < 1000) s = `${Math.round(a)} ms`;
  else if (a < 10_000) s = `${(a / 1000).toFixed(1)} s`;
  else if (a < 60_000) s = `${Math.round(a / 1000)} s`;
  else if (a < 3_600_000) {
    const m = Math.floor(a / 60_000);
    const sec = Math.floor((a % 60_000) / 1000);
    s = sec ? `${m} min ${sec} s` : `${m} min`;
  } else if (a < 86_400_000) {
    const h = Math.floor(a / 3_600_000);
    const m = Math.floor((a % 3_600_000) / 60_000);
    s = m ? `${h} h ${m} min` : `${h} h`;
  } else {
    const d = Math.floor(a / 86_400_000);
    const h = Math.floor((a % 86_400_000) / 3_600_000);
    s = h ? `${d} d ${h} h` : `${d} d`;
  }
  return neg ? `-${s}` : s;
}

/** `just now`, `12 s ago`, `3 min ago`, `in 4 s` (a timestamp in ms against `now`). */
export function formatAgo(ts: number | null | undefined, now: number = Date.now()): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '—';
  const d = now - ts;
  if (Math.abs(d) < 1500) return 'just now';
  const secs = Math.round(Math.abs(d) / 1000);
  let unit: string;
  if (secs < 60) unit = `${secs} s`;
  else if (secs < 3600) unit = `${Math.floor(secs / 60)} min`;
  else if (secs < 86400) unit = `${Math.floor(secs / 3600)} h`;
  else unit = `${Math.floor(secs / 86400)} d`;
  return d >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** A full local date and time: `2026-11-25 14:03:07`. */
export function formatDateTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return '—';
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(
    d.getMinutes(),
  )}:${p(d.getSeconds())}`;
}

/** Hashes per second with an SI prefix: `1.74 MH/s`. */
export function formatHashrate(h: number | null | undefined): string {
  if (h === null || h === undefined || !Number.isFinite(h)) return '—';
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let v = h;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(2) : v < 100 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A difficulty with up to 3 decimals. */
export function formatDifficulty(d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '—';
  return d.toLocaleString('en-US', { maximumFractionDigits: 3, minimumFractionDigits: 0 });
}

/** Bytes: `512 B`, `1.5 kB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** `1 block`, `3 blocks`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`;
}
