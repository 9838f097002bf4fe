// The node the dashboard talks to: its API client, its live /events stream, its latest status and
// the mempool size samples taken since the page loaded. Switching nodes resets all of it.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, createApi, defaultNodeUrl, eventsUrl, NODE_STORAGE_KEY, type Api } from './api';
import { EventStream, type StreamState } from './events';
import type { MiningStatus, NodeEvent, NodeStatus } from './types';

export interface MempoolSample {
  t: number;
  n: number;
}

export interface ReorgNotice {
  at: number;
  forkHeight: number;
  disconnected: number;
  connected: number;
  newTip: string;
  /** The tip before the reorganisation. */
  oldTip: string;
}

export interface NodeContextValue {
  base: string;
  isDefault: boolean;
  setNode(url: string | null): void;
  api: Api;
  stream: StreamState;
  status: NodeStatus | null;
  statusError: ApiError | null;
  mining: MiningStatus | null;
  /** Increases whenever the stream (re)connects: pages refetch on it. */
  epoch: number;
  subscribe(fn: (e: NodeEvent) => void): () => void;
  mempoolSamples: MempoolSample[];
  lastReorg: ReorgNotice | null;
  /** Every reorganisation seen since the page loaded (newest first). */
  reorgs: ReorgNotice[];
  shutdown: boolean;
  refreshStatus(): void;
  retryNow(): void;
}

const Ctx = createContext<NodeContextValue | null>(null);

const STATUS_POLL_MS = 5000;
const MAX_SAMPLES = 5000;

function readStoredNode(): string | null {
  try {
    return window.localStorage.getItem(NODE_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function NodeProvider({ children, initialNode }: { children: ReactNode; initialNode?: string }) {
  const [base, setBase] = useState<string>(() => initialNode ?? readStoredNode() ?? defaultNodeUrl());
  const api = useMemo(() => createApi(base), [base]);
  const [stream, setStream] = useState<StreamState>({ kind: 'connecting', attempt: 1 });
  const [status, setStatus] = useState<NodeStatus | null>(null);
  const [statusError, setStatusError] = useState<ApiError | null>(null);
  const [mining, setMining] = useState<MiningStatus | null>(null);
  const [epoch, setEpoch] = useState(0);
  const [samples, setSamples] = useState<MempoolSample[]>([]);
  const [reorgs, setReorgs] = useState<ReorgNotice[]>([]);
  const lastReorg = reorgs[0] ?? null;
  const [shutdown, setShutdown] = useState(false);
  const listeners = useRef(new Set<(e: NodeEvent) => void>());
  const streamRef = useRef<EventStream | null>(null);

  const addSample = useCallback((n: number) => {
    setSamples((s) => {
      const t = Date.now();
      const last = s[s.length - 1];
      if (last && t - last.t < 250) return [...s.slice(0, -1), { t, n }];
      const next = [...s, { t, n }];
      return next.length > MAX_SAMPLES ? next.slice(next.length - MAX_SAMPLES) : next;
    });
  }, []);

  const statusSeq = useRef(0);
  const refreshStatus = useCallback(() => {
    const seq = ++statusSeq.current;
    api
      .status()
      .then((s) => {
        if (seq !== statusSeq.current) return;
        setStatus(s);
        setStatusError(null);
        setShutdown(false);
        addSample(s.mempool);
      })
      .catch((e: unknown) => {
        if (seq !== statusSeq.current) return;
        setStatusError(e instanceof ApiError ? e : new ApiError(String(e), 'error', 0));
      });
  }, [api, addSample]);

  // Reset everything when the node changes.
  useEffect(() => {
    setStatus(null);
    setStatusError(null);
    setMining(null);
    setSamples([]);
    setReorgs([]);
    setShutdown(false);
  }, [base]);

  // The event stream.
  useEffect(() => {
    const onEvent = (e: NodeEvent) => {
      switch (e.type) {
        case 'block':
          setStatus((s) =>
            s
              ? {
                  ...s,
                  ...e.status,
                  syncing: s.best_peer_height > e.status.height,
                }
              : s,
          );
          break;
        case 'mining':
          setMining(e.mining);
          setStatus((s) => (s ? { ...s, mining: e.mining.running, hashrate: e.mining.hashrate } : s));
          break;
        case 'transaction':
        case 'mempool':
          setStatus((s) => (s ? { ...s, mempool: e.mempool } : s));
          addSample(e.mempool);
          break;
        case 'reorg':
          setReorgs((r) =>
            [
              {
                at: Date.now(),
                forkHeight: e.fork_height,
                disconnected: e.disconnected.length,
                connected: e.connected.length,
                newTip: e.new_tip,
                oldTip: e.old_tip,
              },
              ...r,
            ].slice(0, 50),
          );
          break;
        case 'shutdown':
          setShutdown(true);
          break;
        case 'resync':
          // Events were skipped (this tab fell behind): refetch as after a reconnection.
          setEpoch((x) => x + 1);
          break;
        default:
          break;
      }
      for (const l of listeners.current) {
        try {
          l(e);
        } catch (err) {
          // A page's handler must not break the others.
          console.warn('event handler failed', err);
        }
      }
    };
    const s = new EventStream(eventsUrl(base), {
      onEvent,
      onState: (st) => {
        setStream(st);
        if (st.kind === 'open') {
          setEpoch((x) => x + 1);
          setShutdown(false);
        }
      },
    });
    streamRef.current = s;
    s.start();
    return () => {
      s.stop();
      streamRef.current = null;
    };
  }, [base, addSample]);

  // Status: at start, on every (re)connection, and polled.
  useEffect(() => {
    refreshStatus();
    const id = setInterval(refreshStatus, STATUS_POLL_MS);
    return () => clearInterval(id);
  }, [refreshStatus, epoch]);

  const setNode = useCallback((url: string | null) => {
    try {
      if (url) window.localStorage.setItem(NODE_STORAGE_KEY, url);
      else window.localStorage.removeItem(NODE_STORAGE_KEY);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    setBase(url ?? defaultNodeUrl());
  }, []);

  const subscribe = useCallback((fn: (e: NodeEvent) => void) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);

  const retryNow = useCallback(() => {
    streamRef.current?.retryNow();
    refreshStatus();
  }, [refreshStatus]);

  const value: NodeContextValue = {
    base,
    isDefault: base === defaultNodeUrl(),
    setNode,
    api,
    stream,
    status,
    statusError,
    mining,
    epoch,
    subscribe,
    mempoolSamples: samples,
    lastReorg,
    reorgs,
    shutdown,
    refreshStatus,
    retryNow,
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useNode(): NodeContextValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useNode outside NodeProvider');
  return v;
}

/** Calls `handler` for every event of the current node (the latest handler, without resubscribing). */
export function useNodeEvent(handler: (e: NodeEvent) => void): void {
  const { subscribe } = useNode();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe]);
}
