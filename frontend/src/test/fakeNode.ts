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

// --- Block tree, first-seen and isolation (issue 14 parts 3 and 4) ---

type BlockStatusT = 'active' | 'valid-fork' | 'invalid' | 'unknown-parent';

/** A 64-hex hash from a short name (`h('a5')` → `a5000…`), for readable fixtures. */
export function h(name: string): string {
  return (name + '0'.repeat(64)).slice(0, 64);
}

/** A block as GET /blocks/{id} answers it (only the fields the pages read are meaningful). */
export function blockView(
  height: number,
  hash: string,
  lastHash: string,
  extra: {
    status?: BlockStatusT;
    invalid_rule?: string | null;
    first_seen?: { at_ms: number; source: 'self' | 'http' | 'peer'; peer: string | null } | null;
  } = {},
) {
  const status = extra.status ?? 'active';
  return {
    block_number: height,
    timestamp: 1_700_000_000_000 + height * 1000,
    last_hash: lastHash,
    hash,
    data: [],
    nonce: 1,
    difficulty: 1,
    version: 1,
    merkle_root: '0'.repeat(64),
    bits: 1,
    target: 'f'.repeat(64),
    confirmations: status === 'active' ? 1 : 0,
    in_best_chain: status === 'active',
    next_hash: null,
    subsidy: 50,
    fees: 0,
    size: 100,
    status,
    invalid_rule: extra.invalid_rule ?? null,
    first_seen: extra.first_seen === undefined ? null : extra.first_seen,
  };
}

/**
 * A node's block tree with a fork and an invalid branch, as routes for `stubFetch` (GET
 * /chain/tips, GET /blocks?from&limit, GET /blocks/{hash} of every block):
 * best chain m0…m8 (tip m8, height 8); a valid side branch f5, f6 forking at m4 (height 4); an
 * invalid branch x7 (refused: bad_merkle_root) on top of a valid x6 forking at m5; an orphan o11 whose
 * parent (height 10) the node lacks.
 */
export function forkScenario() {
  const main = Array.from({ length: 9 }, (_, i) => blockView(i, h(`m${i}`), i ? h(`m${i - 1}`) : '0'.repeat(64)));
  const side = [
    blockView(5, h('f5'), h('m4'), { status: 'valid-fork' }),
    blockView(6, h('f6'), h('f5'), { status: 'valid-fork' }),
    blockView(6, h('x6'), h('m5'), { status: 'valid-fork' }),
    blockView(7, h('x7'), h('x6'), { status: 'invalid', invalid_rule: 'bad_merkle_root' }),
    blockView(11, h('o11'), h('o10'), { status: 'unknown-parent' }),
  ];
  const tips = {
    tips: [
      { hash: h('m8'), height: 8, branch_length: 0, fork_height: 8, status: 'active', invalid_rule: null },
      { hash: h('o11'), height: 11, branch_length: 1, fork_height: 10, status: 'unknown-parent', invalid_rule: null },
      { hash: h('x7'), height: 7, branch_length: 2, fork_height: 5, status: 'invalid', invalid_rule: 'bad_merkle_root' },
      { hash: h('f6'), height: 6, branch_length: 2, fork_height: 4, status: 'valid-fork', invalid_rule: null },
    ],
    truncated: false,
  };
  const byHash = new Map([...main, ...side].map((b) => [b.hash, b]));
  const routes: Record<string, Handler | unknown> = {
    'GET /chain/tips': tips,
    'GET /blocks': (url: URL) => {
      const from = Number(url.searchParams.get('from') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 20);
      return { body: main.filter((b) => b.block_number >= from && b.block_number < from + limit) };
    },
  };
  for (const b of byHash.values()) routes[`GET /blocks/${b.hash}`] = b;
  return { main, side, tips, byHash, routes };
}

/**
 * A dev node's POST /dev/isolate: remembers the isolation (shown by `status()`), answers like the
 * node; `now` is the node's clock.
 */
export function isolateRoute(now: () => number = Date.now, peers = 2) {
  let until: number | null = null;
  const handler: Handler = (_url, init) => {
    const seconds = (JSON.parse(String(init?.body)) as { seconds: number }).seconds;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
      return { status: 400, body: { error: { code: 'bad_seconds', message: 'seconds: 0 to 3600' } } };
    const dropped = until === null && seconds > 0 ? peers : 0;
    until = seconds === 0 ? null : now() + seconds * 1000;
    return { body: { isolated_until_ms: until, seconds, dropped_peers: dropped } };
  };
  return { handler, until: () => until };
}
