// The fork lab's isolation countdown (POST /dev/isolate, GET /status `isolated_until_ms`).
import { formatDuration } from './format';

export const ISOLATE_MAX_SECONDS = 3600;
export const ISOLATE_DEFAULT_SECONDS = 30;

export type IsolationState =
  | { kind: 'connected' }
  /** Isolated for another `remainingMs`. */
  | { kind: 'isolated'; remainingMs: number; untilMs: number }
  /** The isolation's end has passed; the node is reconnecting by itself. */
  | { kind: 'rejoining'; untilMs: number };

/**
 * The state at `now` (this browser's clock) of an isolation until `untilMs` (the node's clock);
 * `offsetMs` is the node's clock minus this browser's, when known (0: assume they agree).
 */
export function isolationState(untilMs: number | null | undefined, now: number, offsetMs = 0): IsolationState {
  if (untilMs === null || untilMs === undefined) return { kind: 'connected' };
  const remainingMs = untilMs - (now + offsetMs);
  if (remainingMs > 0) return { kind: 'isolated', remainingMs, untilMs };
  return { kind: 'rejoining', untilMs };
}

/** `12 s`, `1 min 5 s`: the remaining time rounded up to whole seconds. */
export function countdownText(remainingMs: number): string {
  return formatDuration(Math.ceil(Math.max(0, remainingMs) / 1000) * 1000);
}

/**
 * The node's clock minus this browser's, from an isolate answer received at `receivedAt`: the
 * node answered `isolated_until_ms` = its now + `seconds`.
 */
export function clockOffset(answer: { isolated_until_ms: number | null; seconds: number }, receivedAt: number): number {
  if (answer.isolated_until_ms === null || answer.seconds <= 0) return 0;
  return answer.isolated_until_ms - answer.seconds * 1000 - receivedAt;
}

/** Checks the seconds field: a whole number from 1 to 3600. */
export function parseIsolateSeconds(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { ok: false, error: `A whole number of seconds, 1 to ${ISOLATE_MAX_SECONDS}.` };
  const n = Number(t);
  if (n < 1 || n > ISOLATE_MAX_SECONDS) return { ok: false, error: `From 1 to ${ISOLATE_MAX_SECONDS} seconds.` };
  return { ok: true, value: n };
}
