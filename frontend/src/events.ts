// The node's `/events` WebSocket with automatic reconnection and exponential backoff.
import type { NodeEvent } from './types';

export type StreamState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; since: number }
  | { kind: 'waiting'; attempt: number; retryAt: number; reason: string }
  | { kind: 'stopped' };

export interface BackoffOptions {
  /** First retry delay in ms. */
  initialMs: number;
  /** Longest delay in ms. */
  maxMs: number;
  /** 0..1: how much a delay is randomly shortened (spreads reconnects of many tabs). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** The delay before retry number `attempt` (1-based): 0.5 s, 1 s, 2 s, 4 s, 8 s, 10 s, 10 s… */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - opts.jitter * random()));
}

type WsCtor = new (url: string) => WebSocket;

export interface EventStreamOptions {
  onEvent: (e: NodeEvent) => void;
  onState: (s: StreamState) => void;
  backoff?: BackoffOptions;
  WebSocketImpl?: WsCtor;
}

export class EventStream {
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = true;
  private readonly url: string;
  private readonly opts: EventStreamOptions;

  constructor(url: string, opts: EventStreamOptions) {
    this.url = url;
    this.opts = opts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onerror = ws.onmessage = null;
      if (ws.readyState === 0) {
        // Closing a socket still connecting makes browsers log an error: close it once open.
        ws.onopen = () => ws.close(1000, 'dashboard closed');
      } else {
        ws.onopen = null;
        if (ws.readyState === 1) ws.close(1000, 'dashboard closed');
      }
    }
    this.opts.onState({ kind: 'stopped' });
  }

  /** Skips the wait and reconnects now. */
  retryNow(): void {
    if (this.stopped || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  private connect(): void {
    const Ctor = this.opts.WebSocketImpl ?? WebSocket;
    this.opts.onState({ kind: 'connecting', attempt: this.attempt + 1 });
    let ws: WebSocket;
    try {
      ws = new Ctor(this.url);
    } catch (e) {
      this.scheduleRetry(e instanceof Error ? e.message : 'cannot open the WebSocket');
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.opts.onState({ kind: 'open', since: Date.now() });
    };
    ws.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return;
      let e: NodeEvent;
      try {
        e = JSON.parse(m.data) as NodeEvent;
      } catch {
        return;
      }
      if (e && typeof e === 'object' && typeof e.type === 'string') this.opts.onEvent(e);
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
    ws.onclose = (c: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.scheduleRetry(c.code === 1000 ? 'the node closed the stream' : 'connection lost');
    };
  }

  private scheduleRetry(reason: string): void {
    this.attempt += 1;
    const delay = backoffDelay(this.attempt, this.opts.backoff);
    this.opts.onState({ kind: 'waiting', attempt: this.attempt, retryAt: Date.now() + delay, reason });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }
}
