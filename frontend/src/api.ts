// A small client of the node's HTTP API. Every call answers typed JSON or throws ApiError with
// the node's own {error:{code,message}} when it refuses.
import { readToken } from './auth';
import { parseJsonSafe } from './json';
import type { PeerConnecting } from './generated/PeerConnecting';
import type { PublicKey } from './generated/PublicKey';
import type { StartMiningResult } from './generated/StartMiningResult';
import type { StopMiningResult } from './generated/StopMiningResult';
import type {
  AddressInfo,
  Balance,
  Block,
  BlockView,
  ChainTips,
  DevIsolated,
  DevMined,
  MiningStatus,
  NodeStatus,
  PeersView,
  Transfer,
  TxLookup,
} from './types';

export class ApiError extends Error {
  /** HTTP status (0 when the node could not be reached). */
  readonly status: number;
  /** The node's error code (`insufficient_funds`, …) or `unreachable` / `timeout`. */
  readonly code: string;
  /** The rule a refused block broke (404 `block_refused`), when the node names one. */
  readonly rule: string | null;
  constructor(message: string, code: string, status: number, rule: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.rule = rule;
  }
  get unreachable(): boolean {
    return this.status === 0;
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  /** The node wants its API token (`http.auth_token`) for this call. */
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** A 401 as a message that says what to do: the token is missing, or the saved one is wrong. */
export function unauthorizedError(base: string, tokenSent: boolean): ApiError {
  return new ApiError(
    tokenSent
      ? `The node refused the API token saved in this browser for ${base}: it does not match the node’s http.auth_token.`
      : `The node at ${base} requires an API token for this action, and none is saved in this browser for it.`,
    'unauthorized',
    401,
  );
}

export const NODE_STORAGE_KEY = 'bitcoin_rust.dashboard.node';

/** The node this page was served by (or VITE_API_BASE for the dev server). */
export function defaultNodeUrl(): string {
  const env = (import.meta.env.VITE_API_BASE as string | undefined) ?? '';
  if (env) return env.replace(/\/+$/, '');
  return window.location.origin;
}

/** The WebSocket URL of a node's `/events`. */
export function eventsUrl(base: string): string {
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/events';
  u.search = '';
  return u.toString();
}

const DEFAULT_TIMEOUT_MS = 10_000;

async function request<T>(
  base: string,
  path: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<{ data: T; headers: Headers }> {
  const controller = new AbortController();
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const external = init.signal;
  const onAbort = () => controller.abort();
  external?.addEventListener('abort', onAbort);
  let res: Response;
  try {
    res = await fetch(base + path, {
      ...init,
      signal: controller.signal,
      headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    });
  } catch (e) {
    if (external?.aborted) throw e;
    if (controller.signal.aborted)
      throw new ApiError(`the node did not answer within ${Math.round(timeoutMs / 1000)} s`, 'timeout', 0);
    throw new ApiError(`cannot reach the node at ${base}`, 'unreachable', 0);
  } finally {
    clearTimeout(timer);
    external?.removeEventListener('abort', onAbort);
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = parseJsonSafe(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const e = errorFields(json);
    throw new ApiError(
      e.message ?? `HTTP ${res.status} ${res.statusText}`.trim(),
      e.code ?? `http_${res.status}`,
      res.status,
      e.rule,
    );
  }
  if (json === null && text) throw new ApiError('the node answered something that is not JSON', 'bad_json', res.status);
  return { data: json as T, headers: res.headers };
}

/**
 * The code, message and rule of an error body: `{"error": {"code", "message", "rule"?}}`, or the
 * flat `{"error": "…", "code", "rule"?}` (a refused block's 404 is specified that way).
 */
export function errorFields(json: unknown): { code?: string; message?: string; rule: string | null } {
  if (!json || typeof json !== 'object') return { rule: null };
  const o = json as Record<string, unknown>;
  const inner = o.error && typeof o.error === 'object' ? (o.error as Record<string, unknown>) : {};
  const str = (...vs: unknown[]) => vs.find((v): v is string => typeof v === 'string');
  return {
    code: str(inner.code, o.code),
    message: str(inner.message, o.error, o.message),
    rule: str(inner.rule, o.rule) ?? null,
  };
}

export interface BlockPage {
  blocks: Block[];
  /** The chain height the node reported with the page (X-Chain-Height). */
  height: number | null;
}

/**
 * The calls the dashboard makes, bound to one node. Every POST (each changes the node's state)
 * carries `Authorization: Bearer <token>` when `token()` answers one; by default the token saved
 * for this node, read at each call so a newly saved token applies at once. GETs never carry it.
 */
export function createApi(base: string, token: () => string | null = () => readToken(base)) {
  const get = <T,>(path: string, signal?: AbortSignal) =>
    request<T>(base, path, { signal }).then((r) => r.data);
  const post = async <T,>(path: string, body: unknown, timeoutMs?: number): Promise<T> => {
    const t = token();
    try {
      const r = await request<T>(base, path, {
        method: 'POST',
        body: JSON.stringify(body),
        timeoutMs,
        headers: t ? { Authorization: `Bearer ${t}` } : undefined,
      });
      return r.data;
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw unauthorizedError(base, !!t);
      throw e;
    }
  };
  return {
    base,
    status: (signal?: AbortSignal) => get<NodeStatus>('/status', signal),
    async blocks(opts: { from?: number; limit: number }, signal?: AbortSignal): Promise<BlockPage> {
      const q = new URLSearchParams({ limit: String(opts.limit) });
      if (opts.from !== undefined) q.set('from', String(opts.from));
      const r = await request<Block[]>(base, `/blocks?${q}`, { signal });
      const h = r.headers.get('X-Chain-Height');
      return { blocks: r.data, height: h === null ? null : Number(h) };
    },
    block: (id: string | number, signal?: AbortSignal) =>
      get<BlockView>(`/blocks/${encodeURIComponent(String(id))}`, signal),
    transaction: (id: string, signal?: AbortSignal) =>
      get<TxLookup>(`/transactions/${encodeURIComponent(id)}`, signal),
    pending: (signal?: AbortSignal) => get<Transfer[]>('/transactions', signal),
    address: (addr: string, signal?: AbortSignal, limit = 50) =>
      get<AddressInfo>(`/address/${encodeURIComponent(addr)}?limit=${limit}`, signal),
    balance: (signal?: AbortSignal) => get<Balance>('/balance', signal),
    publicKey: (signal?: AbortSignal) => get<PublicKey>('/publickey', signal),
    transact: (recipient: string, amount: number, fee: number) =>
      post<Transfer>('/transact', { recipient, amount, fee }),
    mineOne: (data: string) => post<Block>('/mine', { data }, 310_000),
    startMining: () => post<StartMiningResult>('/startmining', {}),
    stopMining: () => post<StopMiningResult>('/stopmining', {}),
    miningStatus: (signal?: AbortSignal) => get<MiningStatus>('/mining-status', signal),
    peers: (signal?: AbortSignal) => get<PeersView>('/peers', signal),
    addPeer: (url: string) => post<PeerConnecting>('/peers', { url }),
    /** Dev chains only: mines `blocks` blocks now (the node answers within 5 minutes). */
    devMine: (blocks: number) => post<DevMined>('/dev/mine', { blocks }, 310_000),
    /** Dev chains with the faucet on: pays `amount` from the node's wallet (a pending transfer). */
    devFaucet: (address: string, amount: number) => post<Transfer>('/dev/faucet', { address, amount }),
    /** The leaves of the node's block tree: the active tip, side branches, refused and orphan blocks. */
    tips: (signal?: AbortSignal) => get<ChainTips>('/chain/tips', signal),
    /** Dev chains only: drops every peer and stays off the network for `seconds` (0: rejoin now). */
    devIsolate: (seconds: number) => post<DevIsolated>('/dev/isolate', { seconds }),
  };
}

export type Api = ReturnType<typeof createApi>;

/** GET {base}/status of any node (used for peers' tips). */
export function fetchStatusOf(base: string, signal?: AbortSignal, timeoutMs = 4000): Promise<NodeStatus> {
  return request<NodeStatus>(base.replace(/\/+$/, ''), '/status', { signal, timeoutMs }).then((r) => r.data);
}

/** GET {base}{path} of any node, with a short timeout (peers' blocks and transfers). */
export function fetchFrom<T>(base: string, path: string, signal?: AbortSignal, timeoutMs = 4000): Promise<T> {
  return request<T>(base.replace(/\/+$/, ''), path, { signal, timeoutMs }).then((r) => r.data);
}
