// Test doubles: a scriptable WebSocket and a fetch answering from a route table.
import { vi } from 'vitest';

export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }
  readonly url: string;
  readyState = 0;
  onopen: ((e: Event) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  closedByClient = false;
  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  emit(obj: unknown) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(obj) }));
  }
  /** The server side goes away. */
  drop(code = 1006) {
    this.readyState = 3;
    this.onerror?.(new Event('error'));
    this.onclose?.({ code } as CloseEvent);
  }
  close() {
    this.closedByClient = true;
    this.readyState = 3;
  }
}

export type Handler = (url: URL, init?: RequestInit) => { status?: number; body: unknown } | undefined;

/** Stubs fetch with `routes` ("GET /status" → answer); unknown routes answer 404 in the node's shape. */
export function stubFetch(routes: Record<string, Handler | unknown>) {
  const calls: { method: string; origin: string; path: string; body?: unknown; authorization: string | null }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const authorization = new Headers(init?.headers).get('Authorization');
    calls.push({ method, origin: url.origin, path: url.pathname + url.search, body, authorization });
    const key = `${method} ${url.pathname}`;
    const r = routes[key];
    let answer: { status?: number; body: unknown } | undefined;
    if (typeof r === 'function') answer = (r as Handler)(url, init);
    else if (r !== undefined) answer = { body: r };
    if (!answer) answer = { status: 404, body: { error: { code: 'not_found', message: `no route ${key}` } } };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fn);
  return { fn, calls };
}

export const ME = '03e07e691fe298b2eb86ab9097decc35fbb191e8ddbc6e75aa26042f2f74459214';

export const STATUS = {
  network: 'bitcoin-rust-devnet',
  genesis: 'g'.repeat(64),
  height: 12,
  tip: '0000aa' + 'b'.repeat(58),
  tip_timestamp: Date.now(),
  difficulty: 3.5,
  bits: 1,
  target: '0'.repeat(64),
  total_work: '1',
  median_time_past: 0,
  orphans: 0,
  mine_rate_ms: 1000,
  mempool: 0,
  mempool_bytes: 0,
  peers: 1,
  mining: false,
  hashrate: 0,
  syncing: false,
  best_peer_height: 12,
  node_id: 'abcdef0123456789',
  p2p_url: 'ws://127.0.0.1:5001',
  address: ME,
  uptime_s: 10,
  version: '0.1.0',
};
