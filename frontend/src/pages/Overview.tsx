import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync } from '../hooks';
import { Link } from '../router';
import { ApiError } from '../api';
import { Badge, ErrorBox, Hash, Loading, PageTitle, Time, Empty } from '../components/common';
import { BlockTable, summarise, type BlockRow } from '../components/BlockTable';
import { DevChainPanel } from './DevChain';
import { formatDifficulty, formatDuration, formatHashrate, formatInt } from '../format';
import type { MiningStatus, NodeStatus } from '../types';

const RECENT = 10;

export function syncLabel(s: NodeStatus): { tone: 'ok' | 'warn' | 'muted'; text: string } {
  if (s.syncing) return { tone: 'warn', text: `Syncing: ${formatInt(s.height)} of ${formatInt(s.best_peer_height)}` };
  if (s.peers === 0) return { tone: 'muted', text: 'No peers' };
  return { tone: 'ok', text: 'In sync' };
}

/** Blocks per second and time left while catching up, from the heights this page has seen. */
export function syncRate(
  samples: { at: number; height: number }[],
  best: number,
): { rate: number; etaSeconds: number | null } {
  if (samples.length < 2) return { rate: 0, etaSeconds: null };
  const first = samples[0];
  const last = samples[samples.length - 1];
  const secs = (last.at - first.at) / 1000;
  const rate = secs > 0 ? Math.max(0, last.height - first.height) / secs : 0;
  return { rate, etaSeconds: rate > 0 ? Math.max(0, best - last.height) / rate : null };
}

/** A progress bar while the node catches up with a peer that is ahead. */
function SyncProgress({ status }: { status: NodeStatus }) {
  const samples = useRef<{ at: number; height: number }[]>([]);
  const now = Date.now();
  const list = samples.current;
  if (!list.length || list[list.length - 1].height !== status.height) list.push({ at: now, height: status.height });
  // The last 30 s are enough for a steady rate.
  while (list.length > 2 && now - list[0].at > 30_000) list.shift();
  if (!status.syncing) return null;
  const pct = Math.min(100, (100 * status.height) / Math.max(1, status.best_peer_height));
  const { rate, etaSeconds } = syncRate(list, status.best_peer_height);
  return (
    <section className="card sync-progress" data-testid="sync-progress" aria-label="Sync progress">
      <div>
        Catching up: block {formatInt(status.height)} of {formatInt(status.best_peer_height)} ({pct.toFixed(1)}%)
        {rate > 0 && (
          <>
            {' '}
            · {rate.toFixed(1)} blocks/s
            {etaSeconds !== null && <> · about {formatDuration(etaSeconds * 1000)} left</>}
          </>
        )}
      </div>
      <progress max={100} value={pct} aria-label="blocks synced" />
    </section>
  );
}

function Stat({ label, children, testid }: { label: string; children: React.ReactNode; testid?: string }) {
  return (
    <div className="stat" data-testid={testid}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{children}</div>
    </div>
  );
}

function MiningPanel() {
  const { api, mining: live, epoch, base, refreshStatus } = useNode();
  const initial = useAsync((signal) => api.miningStatus(signal), [base, epoch]);
  const mining: MiningStatus | undefined = live ?? initial.data;
  const [busy, setBusy] = useState<null | 'toggle' | 'mine'>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [message, setMessage] = useState<React.ReactNode>(null);
  const [data, setData] = useState('');

  const toggle = async () => {
    setBusy('toggle');
    setError(null);
    setMessage(null);
    try {
      const r = mining?.running ? await api.stopMining() : await api.startMining();
      setMessage(r.message);
      initial.reload();
      refreshStatus();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const mineOne = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('mine');
    setError(null);
    setMessage(null);
    try {
      const b = await api.mineOne(data);
      setMessage(
        <>
          Mined block <Link to={`/blocks/${b.hash}`}>#{b.block_number}</Link>.
        </>,
      );
      setData('');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="mining-h">
      <h2 id="mining-h">Mining</h2>
      {!mining && initial.loading && <Loading what="Loading mining status" />}
      {mining && (
        <p data-testid="mining-state">
          {mining.running ? <Badge tone="ok">Mining</Badge> : <Badge tone="muted">Stopped</Badge>}{' '}
          {mining.running && mining.mining_height !== null && <>working on block #{formatInt(mining.mining_height)} · </>}
          {formatInt(mining.threads)} thread{mining.threads === 1 ? '' : 's'} · {formatHashrate(mining.hashrate)} ·{' '}
          {formatInt(mining.blocks_mined)} blocks mined since start
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className={mining?.running ? 'danger' : 'primary'}
          onClick={toggle}
          disabled={busy !== null || !mining}
          data-testid="mining-toggle"
        >
          {busy === 'toggle' ? 'Working…' : mining?.running ? 'Stop mining' : 'Start mining'}
        </button>
      </div>
      <form className="inline-form" onSubmit={mineOne}>
        <label htmlFor="mine-data">Text in the block’s reward (optional)</label>
        <div className="row">
          <input
            id="mine-data"
            value={data}
            maxLength={256}
            onChange={(e) => setData(e.target.value)}
            placeholder="hello from the dashboard"
          />
          <button type="submit" disabled={busy !== null}>
            {busy === 'mine' ? 'Mining a block…' : 'Mine one block now'}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {message && <p className="ok-message">{message}</p>}
        <ErrorBox error={error} title="The node refused" />
      </div>
    </section>
  );
}

function RecentBlocks() {
  const { api, epoch, base } = useNode();
  const [blocks, setBlocks] = useState<BlockRow[] | null>(null);
  const loaded = useAsync((signal) => api.blocks({ limit: RECENT }, signal), [base, epoch]);

  useEffect(() => {
    if (loaded.data) setBlocks(loaded.data.blocks.map(summarise).reverse());
  }, [loaded.data]);
  useEffect(() => setBlocks(null), [base]);

  useNodeEvent((e) => {
    if (e.type === 'block') {
      setBlocks((bs) => {
        const rest = (bs ?? []).filter((b) => b.hash !== e.block.hash && b.block_number < e.block.block_number);
        return [{ ...e.block, fresh: true }, ...rest.map((b) => ({ ...b, fresh: false }))].slice(0, RECENT);
      });
    } else if (e.type === 'reorg') {
      loaded.reload();
    }
  });

  return (
    <section className="card wide" aria-labelledby="recent-h">
      <h2 id="recent-h">
        Recent blocks <span className="live-dot" title="Updates live" aria-hidden="true" />
      </h2>
      {!blocks && loaded.loading && <Loading what="Loading blocks" />}
      <ErrorBox error={loaded.error} />
      {blocks && blocks.length === 0 && <Empty>No blocks yet.</Empty>}
      {blocks && blocks.length > 0 && <BlockTable blocks={blocks} testid="recent-blocks" />}
      <p>
        <Link to="/blocks">All blocks →</Link>
      </p>
    </section>
  );
}

export function OverviewPage() {
  const { status, statusError } = useNode();
  return (
    <>
      <PageTitle>Overview</PageTitle>
      {!status && !statusError && <Loading what="Loading node status" />}
      {!status && statusError && <ErrorBox error={statusError} title="Cannot load the node’s status" />}
      {status && <SyncProgress status={status} />}
      {status && (
        <section className="stats" aria-label="Node status">
          <Stat label="Height" testid="stat-height">
            <Link to={`/blocks/${status.height}`}>{formatInt(status.height)}</Link>
          </Stat>
          <Stat label="Tip" testid="stat-tip">
            <Hash value={status.tip} kind="block" />
            <div className="stat-sub">
              <Time ts={status.tip_timestamp} />
            </div>
          </Stat>
          <Stat label="Difficulty">
            {formatDifficulty(status.difficulty)}
            <div className="stat-sub">target {formatDuration(status.mine_rate_ms)} / block</div>
          </Stat>
          <Stat label="Hash rate">{formatHashrate(status.hashrate)}</Stat>
          <Stat label="Mempool" testid="stat-mempool">
            <Link to="/mempool">{formatInt(status.mempool)} pending</Link>
          </Stat>
          <Stat label="Peers">
            <Link to="/network">{formatInt(status.peers)}</Link>
          </Stat>
          <Stat label="Sync" testid="stat-sync">
            {(() => {
              const s = syncLabel(status);
              return <Badge tone={s.tone}>{s.text}</Badge>;
            })()}
          </Stat>
          <Stat label="Network">
            <span className="stat-small">{status.network}</span>
            <div className="stat-sub">
              up {formatDuration(status.uptime_s * 1000)} · v{status.version}
            </div>
          </Stat>
        </section>
      )}
      <div className="grid-2">
        <div className="stack">
          <MiningPanel />
          <DevChainPanel />
        </div>
        <RecentBlocks />
      </div>
    </>
  );
}
