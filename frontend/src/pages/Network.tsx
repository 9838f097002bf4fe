import { useEffect, useState, type FormEvent } from 'react';
import { useNode, useNodeEvent } from '../node';
import { useAsync, useThrottled } from '../hooks';
import { ApiError, fetchStatusOf, type Api } from '../api';
import { Badge, Empty, ErrorBox, Hash, Loading, PageTitle, Time } from '../components/common';
import { formatDuration, formatInt } from '../format';
import { isPeerUrl } from '../validate';
import type { NodeStatus, PeersView } from '../types';

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
        return { label: p.node_id, base: url, nodeId: st.node_id, status: st, error: null, relation };
      } catch (e) {
        if (signal.aborted) throw e;
        return {
          label: p.node_id,
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
        <div className="table-wrap">
          <table className="table" data-testid="tips-table">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Height</th>
                <th scope="col">Tip</th>
                <th scope="col">Tip mined</th>
                <th scope="col">Relation</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.base ?? r.label} data-relation={r.relation.kind}>
                  <td>
                    <span className="mono">{r.nodeId ?? r.label}</span>
                    <div className="muted small">{r.base}</div>
                  </td>
                  <td>
                    {r.status ? (
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
                    )}
                  </td>
                  <td>{r.status ? <Hash value={r.status.tip} copy={false} /> : <span className="muted">{r.error}</span>}</td>
                  <td>{r.status ? <Time ts={r.status.tip_timestamp} /> : '—'}</td>
                  <td>
                    <RelationBadge r={r.relation} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ReorgLog() {
  const { reorgs } = useNode();
  return (
    <section className="card" aria-labelledby="reorgs-h">
      <h2 id="reorgs-h">Chain reorganisations seen</h2>
      {reorgs.length === 0 ? (
        <Empty>None since this page was opened: this node has only extended its chain.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table compact" data-testid="reorg-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Fork height</th>
                <th scope="col" className="num">Blocks dropped</th>
                <th scope="col" className="num">Blocks adopted</th>
                <th scope="col">New tip</th>
              </tr>
            </thead>
            <tbody>
              {reorgs.map((r) => (
                <tr key={`${r.at}-${r.newTip}`}>
                  <td>
                    <Time ts={r.at} />
                  </td>
                  <td>#{formatInt(r.forkHeight)}</td>
                  <td className="num">{formatInt(r.disconnected)}</td>
                  <td className="num">{formatInt(r.connected)}</td>
                  <td>
                    <Hash value={r.newTip} kind="block" copy={false} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AddPeer({ onAdded }: { onAdded: () => void }) {
  const { api } = useNode();
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [nodeError, setNodeError] = useState<ApiError | null>(null);
  const [ok, setOk] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setOk(null);
    setNodeError(null);
    const v = url.trim();
    if (!isPeerUrl(v)) {
      setError('A peer is a P2P WebSocket URL such as ws://127.0.0.1:5001 (ws://host:port).');
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const r = await api.addPeer(v);
      setOk(`Connecting to ${r.url}…`);
      setUrl('');
      onAdded();
    } catch (err) {
      setNodeError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <label htmlFor="peer-url">Add a peer (P2P WebSocket URL)</label>
      <div className="row">
        <input
          id="peer-url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="ws://127.0.0.1:5001"
          aria-invalid={!!error}
          aria-describedby={error ? 'peer-url-error' : undefined}
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Connect'}
        </button>
      </div>
      {error && (
        <span className="field-error" id="peer-url-error">
          {error}
        </span>
      )}
      <div aria-live="polite">
        {ok && <p className="ok-message">{ok}</p>}
        <ErrorBox error={nodeError} title="The node refused" />
      </div>
    </form>
  );
}

export function NetworkPage() {
  const { api, base, epoch, setNode } = useNode();
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
      <ErrorBox error={peers.error} title="Cannot load peers" />
      {!p && peers.loading && <Loading what="Loading peers" />}
      {p && (
        <section className="card" aria-labelledby="me-h">
          <h2 id="me-h">This node</h2>
          <p>
            Node id <code>{p.node_id}</code> · listens for peers at <Hash value={p.listen_url} full /> · HTTP {base}
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
            <div className="table-wrap">
              <table className="table" data-testid="peers-table">
                <thead>
                  <tr>
                    <th scope="col">Peer</th>
                    <th scope="col">Direction</th>
                    <th scope="col">P2P URL</th>
                    <th scope="col">Best height</th>
                    <th scope="col">Best hash</th>
                    <th scope="col" className="num">Score</th>
                    <th scope="col">Connected</th>
                    <th scope="col">Dashboard</th>
                  </tr>
                </thead>
                <tbody>
                  {p.peers.map((x) => (
                    <tr key={x.id}>
                      <td>
                        <code>{x.node_id}</code>
                        <div className="muted small">{x.agent}</div>
                      </td>
                      <td>
                        <Badge tone="ok">{x.direction}</Badge>
                      </td>
                      <td className="mono small">{x.url ?? x.remote}</td>
                      <td>{formatInt(x.best_height)}</td>
                      <td>
                        <Hash value={x.best_hash} kind="block" copy={false} />
                      </td>
                      <td className="num" title="Misbehaviour score (higher is worse)">
                        {x.score}
                      </td>
                      <td>
                        <Time ts={x.connected_at} />
                      </td>
                      <td>
                        {x.http_url ? (
                          <button type="button" className="link-button" onClick={() => setNode(x.http_url)}>
                            Switch to {x.http_url.replace(/^https?:\/\//, '')}
                          </button>
                        ) : (
                          <span className="muted">no HTTP URL</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {p.pending.length > 0 && (
            <>
              <h3>Connecting</h3>
              <div className="table-wrap">
                <table className="table compact" data-testid="pending-peers">
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">State</th>
                      <th scope="col" className="num">Failures</th>
                      <th scope="col">Next try</th>
                      <th scope="col">Last error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.pending.map((x) => (
                      <tr key={x.url}>
                        <td className="mono small">{x.url}</td>
                        <td>
                          <Badge tone="warn">{x.state}</Badge>
                        </td>
                        <td className="num">{x.failures}</td>
                        <td>{x.retry_in_ms ? `in ${formatDuration(x.retry_in_ms)}` : '—'}</td>
                        <td className="small">{x.last_error ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
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
