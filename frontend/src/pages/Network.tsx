import { useEffect, useState } from 'react';
import { useNode, useNodeEvent, type ReorgNotice } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { ApiError, fetchStatusOf, type Api } from '../api';
import { Badge, Empty, ErrorBox, Hash, Loading, PageTitle, Time } from '../components/common';
import { DataTable, type Column } from '../components/Table';
import { hostOf, NodeCell } from '../components/nodes';
import { UrlConnectRow } from '../components/forms';
import { formatDuration, formatInt, shortHash } from '../format';
import { isPeerUrl } from '../validate';
import { Link } from '../router';
import { forkLabPath } from '../components/standing';
import type { NodeStatus, PeerView, PeersView, PendingPeer } from '../types';

export type TipRelation =
  | { kind: 'self' }
  | { kind: 'same' }
  | { kind: 'behind'; by: number }
  | { kind: 'ahead'; by: number }
  | { kind: 'fork' }
  | { kind: 'unknown'; reason: string };

export interface TipRow {
  label: string;
  base: string | null;
  nodeId: string | null;
  status: NodeStatus | null;
  error: string | null;
  relation: TipRelation;
}

/**
 * How `other`'s tip relates to this node's chain, without asking about unknown blocks: compare
 * the lower tip's hash with the block at that height on the other chain.
 */
export async function relate(
  mine: NodeStatus,
  other: NodeStatus,
  hashAtMine: (h: number) => Promise<string>,
  hashAtOther: (h: number) => Promise<string>,
): Promise<TipRelation> {
  if (other.tip === mine.tip) return { kind: 'same' };
  if (other.genesis !== mine.genesis) return { kind: 'fork' };
  if (other.height <= mine.height) {
    const h = await hashAtMine(other.height);
    return h === other.tip ? { kind: 'behind', by: mine.height - other.height } : { kind: 'fork' };
  }
  const h = await hashAtOther(mine.height);
  return h === mine.tip ? { kind: 'ahead', by: other.height - mine.height } : { kind: 'fork' };
}

function RelationBadge({ r }: { r: TipRelation }) {
  switch (r.kind) {
    case 'self':
      return <Badge tone="info">this node</Badge>;
    case 'same':
      return <Badge tone="ok">same tip</Badge>;
    case 'behind':
      return <Badge tone="warn">{`${formatInt(r.by)} behind, same chain`}</Badge>;
    case 'ahead':
      return <Badge tone="warn">{`${formatInt(r.by)} ahead, same chain`}</Badge>;
    case 'fork':
      return <Badge tone="bad">forked: different chain</Badge>;
    default:
      return (
        <Badge tone="muted" title={r.reason}>
          unknown
        </Badge>
      );
  }
}

async function loadTips(api: Api, base: string, me: NodeStatus, peers: PeersView, signal: AbortSignal): Promise<TipRow[]> {
  const rows: TipRow[] = [
    { label: 'this node', base, nodeId: me.node_id, status: me, error: null, relation: { kind: 'self' } },
  ];
  const others = peers.peers.filter((p) => p.http_url);
  const seen = new Set<string>();
  const results = await Promise.all(
    others.map(async (p): Promise<TipRow | null> => {
      const url = p.http_url!.replace(/\/+$/, '');
      if (seen.has(url)) return null;
      seen.add(url);
      try {
        const st = await fetchStatusOf(url, signal);
        let relation: TipRelation;
        try {
          relation = await relate(
            me,
            st,
            async (h) => (await api.block(h, signal)).hash,
            async (h) => {
              const r = await fetch(`${url}/blocks/${h}`, { signal });
              if (!r.ok) throw new Error(`HTTP ${r.status}`);
              return ((await r.json()) as { hash: string }).hash;
            },
          );
        } catch (e) {
          relation = { kind: 'unknown', reason: e instanceof Error ? e.message : String(e) };
        }
        return { label: shortHash(p.node_id), base: url, nodeId: st.node_id, status: st, error: null, relation };
      } catch (e) {
        if (signal.aborted) throw e;
        return {
          label: shortHash(p.node_id),
          base: url,
          nodeId: p.node_id,
          status: null,
          error: e instanceof ApiError ? e.message : String(e),
          relation: { kind: 'unknown', reason: 'unreachable' },
        };
      }
    }),
  );
  for (const r of results) if (r) rows.push(r);
  return rows;
}

function tipColumns(minHeight: number, maxHeight: number): Column<TipRow>[] {
  return [
    {
      header: 'Node',
      cell: (r) => <NodeCell name={<Hash value={r.nodeId ?? r.label} copy={false} />} sub={r.base} />,
    },
    {
      header: 'Height',
      cell: (r) =>
        r.status ? (
          <div className="height-bar" title={`height ${r.status.height}`}>
            <span>{formatInt(r.status.height)}</span>
            <span
              className="bar"
              style={{
                width: `${Math.max(4, ((r.status.height - minHeight + 1) / (maxHeight - minHeight + 1)) * 100)}%`,
              }}
              aria-hidden="true"
            />
          </div>
        ) : (
          '—'
        ),
    },
    {
      header: 'Tip',
      cell: (r) => (r.status ? <Hash value={r.status.tip} copy={false} /> : <span className="muted">{r.error}</span>),
    },
    { header: 'Tip mined', cell: (r) => (r.status ? <Time ts={r.status.tip_timestamp} /> : '—') },
    { header: 'Relation', cell: (r) => <RelationBadge r={r.relation} /> },
  ];
}

function TipsView({ peers }: { peers: PeersView | undefined }) {
  const { api, base, status } = useNode();
  const [tick, setTick] = useState(0);
  const tips = useAsync(
    (signal) =>
      status && peers ? loadTips(api, base, status, peers, signal) : new Promise<TipRow[]>(() => {}),
    // Recomputed when this node's tip or the peer list changes, and every few seconds.
    [base, status?.tip, peers ? peers.peers.map((p) => `${p.id}:${p.http_url}`).join(',') : null, tick],
  );
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), 3000);
    return () => clearInterval(id);
  }, []);
  const rows = tips.data;
  const maxHeight = rows ? Math.max(1, ...rows.map((r) => r.status?.height ?? 0)) : 1;
  const minHeight = rows ? Math.min(...rows.map((r) => r.status?.height ?? maxHeight)) : 0;
  const forked = rows?.some((r) => r.relation.kind === 'fork');

  return (
    <section className="card" aria-labelledby="tips-h">
      <h2 id="tips-h">Where each node’s tip is</h2>
      <p className="muted">
        Each peer’s own <code>/status</code>, asked directly, compared with this node’s chain. Refreshes every 3 s and on
        every block.
      </p>
      {forked && (
        <p className="banner banner-warn" role="status">
          The nodes disagree: at least one is on a different chain. It resolves when the chain with the most work
          reaches every node.
        </p>
      )}
      {!rows && <Loading what="Asking each node" />}
      {rows && (
        <DataTable
          rows={rows}
          columns={tipColumns(minHeight, maxHeight)}
          rowKey={(r) => r.base ?? r.label}
          rowAttributes={(r) => ({ 'data-relation': r.relation.kind })}
          testid="tips-table"
        />
      )}
    </section>
  );
}

const REORG_COLUMNS: Column<ReorgNotice>[] = [
  { header: 'When', cell: (r) => <Time ts={r.at} /> },
  { header: 'Fork height', cell: (r) => `#${formatInt(r.forkHeight)}` },
  { header: 'Blocks dropped', num: true, cell: (r) => formatInt(r.disconnected) },
  { header: 'Blocks adopted', num: true, cell: (r) => formatInt(r.connected) },
  { header: 'New tip', cell: (r) => <Hash value={r.newTip} kind="block" copy={false} /> },
];

function ReorgLog() {
  const { reorgs } = useNode();
  return (
    <section className="card" aria-labelledby="reorgs-h">
      <h2 id="reorgs-h">Chain reorganisations seen</h2>
      {reorgs.length === 0 ? (
        <Empty>None since this page was opened: this node has only extended its chain.</Empty>
      ) : (
        <DataTable compact rows={reorgs} columns={REORG_COLUMNS} rowKey={(r) => `${r.at}-${r.newTip}`} testid="reorg-log" />
      )}
    </section>
  );
}

const PEER_URL_ERROR = 'A peer is a P2P WebSocket URL such as ws://127.0.0.1:5001 (ws://host:port).';

function AddPeer({ onAdded }: { onAdded: () => void }) {
  const { api } = useNode();
  return (
    <UrlConnectRow
      id="peer-url"
      label="Add a peer (P2P WebSocket URL)"
      placeholder="ws://127.0.0.1:5001"
      validate={(v) => (isPeerUrl(v) ? null : PEER_URL_ERROR)}
      buttonText="Connect"
      busyText="Adding…"
      errorTitle="The node refused"
      action={async (v) => {
        const r = await api.addPeer(v);
        onAdded();
        return `Connecting to ${r.url}…`;
      }}
    />
  );
}

function peerColumns(switchTo: (url: string) => void): Column<PeerView>[] {
  return [
    { header: 'Peer', cell: (x) => <NodeCell name={<Hash value={x.node_id} copy={false} />} sub={x.agent} /> },
    { header: 'Direction', cell: (x) => <Badge tone="ok">{x.direction}</Badge> },
    { header: 'P2P URL', className: 'mono small', cell: (x) => x.url ?? x.remote },
    { header: 'Best height', cell: (x) => formatInt(x.best_height) },
    { header: 'Best hash', cell: (x) => <Hash value={x.best_hash} kind="block" copy={false} /> },
    { header: 'Score', num: true, cellTitle: 'Misbehaviour score (higher is worse)', cell: (x) => x.score },
    { header: 'Connected', cell: (x) => <Time ts={x.connected_at} /> },
    {
      header: 'Dashboard',
      cell: (x) =>
        x.http_url ? (
          <button type="button" className="link-button" onClick={() => switchTo(x.http_url!)}>
            Switch to {hostOf(x.http_url)}
          </button>
        ) : (
          <span className="muted">no HTTP URL</span>
        ),
    },
  ];
}

const PENDING_COLUMNS: Column<PendingPeer>[] = [
  { header: 'URL', className: 'mono small', cell: (x) => x.url },
  { header: 'State', cell: (x) => <Badge tone="warn">{x.state}</Badge> },
  { header: 'Failures', num: true, cell: (x) => x.failures },
  { header: 'Next try', cell: (x) => (x.retry_in_ms ? `in ${formatDuration(x.retry_in_ms)}` : '—') },
  { header: 'Last error', className: 'small', cell: (x) => x.last_error ?? '—' },
];

export function NetworkPage() {
  const { api, base, epoch, setNode, status } = useNode();
  const peers = useAsync((signal) => api.peers(signal), [base, epoch]);
  const reload = useThrottled(peers.reload, 1000);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg') reload();
  });
  useEffect(() => {
    const id = setInterval(peers.reload, 4000);
    return () => clearInterval(id);
  }, [peers.reload]);
  const p = peers.data;

  return (
    <>
      <PageTitle sub="Peers of this node, and where every reachable node’s chain tip is.">Network</PageTitle>
      <p data-testid="fork-lab-link">
        <Link to={forkLabPath()}>Forks and propagation</Link>: the block tree with its side branches, reorganisations,
        how a block or transfer spread between the nodes
        {status?.dev?.enabled ? ', and isolating this node to make a fork' : ''}.
      </p>
      <ErrorBox error={peers.error} title="Cannot load peers" />
      {!p && peers.loading && <Loading what="Loading peers" />}
      {p && (
        <section className="card" aria-labelledby="me-h">
          <h2 id="me-h">This node</h2>
          <p>
            Node id <Hash value={p.node_id} /> · listens for peers at <Hash value={p.listen_url} full /> · HTTP {base}
          </p>
          <AddPeer onAdded={peers.reload} />
        </section>
      )}
      {p && (
        <section className="card" aria-labelledby="peers-h">
          <h2 id="peers-h">Connected peers ({p.peers.length})</h2>
          {p.peers.length === 0 ? (
            <Empty>No peer is connected. Add one above with its ws:// URL.</Empty>
          ) : (
            <DataTable rows={p.peers} columns={peerColumns(setNode)} rowKey={(x) => x.id} testid="peers-table" />
          )}
          {p.pending.length > 0 && (
            <>
              <h3>Connecting</h3>
              <DataTable compact rows={p.pending} columns={PENDING_COLUMNS} rowKey={(x) => x.url} testid="pending-peers" />
            </>
          )}
          {p.banned.length > 0 && (
            <>
              <h3>Banned</h3>
              <ul>
                {p.banned.map(([who, secondsLeft]) => (
                  <li key={who}>
                    <code>{who}</code> for another {formatDuration(secondsLeft * 1000)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      <TipsView peers={p} />
      <ReorgLog />
    </>
  );
}
