// The fork lab (/network/forks, issue 14 parts 3 and 4): the block tree with its side branches,
// the reorganisations seen, how a block or transfer spread over the known nodes, and (dev chains)
// isolating the node to make a fork.
//
// Stable data-testids (for the e2e tests):
//   isolate-seconds   the seconds input of "Isolate for N seconds" (dev chains only)
//   isolate-button    sends POST /dev/isolate {seconds: N}
//   rejoin-button     sends POST /dev/isolate {seconds: 0}
//   isolation-state   the isolation state; data-state="connected" | "isolated" | "rejoining"
//   block-tree        the block tree card (SVG drawing plus the tips table)
//   tip-row           one row per tip of GET /chain/tips; data-status = the tip's status, data-hash
//   reorg-list        the reorganisations seen since the page loaded (rows: reorg-row)
//   propagation-input the block hash / transfer id input of the propagation timeline
//   propagation-row   one row per node; data-state = seen | forgotten | refused | not-seen | unreachable,
//                     data-delay = ms after the first (seen rows)
import { useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent } from 'react';
import { useNode, useNodeEvent, type ReorgNotice } from '../node';
import { useAsync, useNow, useThrottled } from '../hooks';
import { ApiError, fetchFrom } from '../api';
import { href, Link, navigate, useLocation } from '../router';
import { Badge, Empty, ErrorBox, Hash, Loading, PageTitle, Time } from '../components/common';
import { FormField } from '../components/forms';
import { DataTable, type Column } from '../components/Table';
import { hostOf } from '../components/nodes';
import { forkLabPath, StatusBadge } from '../components/standing';
import { formatDateTime, formatInt, plural, shortHash } from '../format';
import { heightRows, loadBlockTree, statusText, type BlockTree, type LoadedTree, type TreeNode } from '../blockTree';
import {
  buildTimeline,
  delayText,
  probeNode,
  type ItemKind,
  type KnownNode,
  type TimelineRow,
} from '../propagation';
import {
  clockOffset,
  countdownText,
  ISOLATE_DEFAULT_SECONDS,
  ISOLATE_MAX_SECONDS,
  isolationState,
  parseIsolateSeconds,
} from '../isolation';
import type { BlockStatus, BlockView, DevIsolated, PeersView, Tip } from '../types';
import './ForkLab.css';

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(String(e), 'error', 0));

// ---------------------------------------------------------------- isolation (dev chains only)

function IsolationPanel() {
  const { api, status, refreshStatus } = useNode();
  const [seconds, setSeconds] = useState(String(ISOLATE_DEFAULT_SECONDS));
  const [invalid, setInvalid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [answer, setAnswer] = useState<(DevIsolated & { offsetMs: number }) | null>(null);
  const [until, setUntil] = useState<number | null>(status?.isolated_until_ms ?? null);
  // Re-rendered 4 times a second; the time itself is read at each render.
  useNow(250);
  const now = Date.now();
  const input = useRef<HTMLInputElement>(null);

  // The node's own word wins whenever it changes (an isolation ended or started elsewhere).
  const fromStatus = status?.isolated_until_ms ?? null;
  useEffect(() => setUntil(fromStatus), [fromStatus]);

  const send = async (n: number) => {
    setError(null);
    setBusy(true);
    try {
      const a = await api.devIsolate(n);
      setAnswer({ ...a, offsetMs: clockOffset(a, Date.now()) });
      setUntil(a.isolated_until_ms);
      refreshStatus();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = parseIsolateSeconds(seconds);
    if (!n.ok) {
      setInvalid(n.error);
      input.current?.focus();
      return;
    }
    setInvalid(null);
    void send(n.value);
  };

  const st = isolationState(until, now, answer?.offsetMs ?? 0);
  const parsed = parseIsolateSeconds(seconds);
  return (
    <section className="card" aria-labelledby="isolate-h" data-testid="isolate-panel">
      <h2 id="isolate-h">Fork lab: isolate this node</h2>
      <p className="muted small">
        While isolated the node drops every peer, refuses new ones and dials none, so blocks it mines (and blocks the
        others mine) make two chains. When the time is up it reconnects by itself and the chain with the most work
        wins: watch the block tree and the reorganisations below.
      </p>
      <p className="isolation-state" data-testid="isolation-state" data-state={st.kind} aria-live="polite">
        {st.kind === 'connected' && (
          <>
            <Badge tone="ok">connected</Badge> Not isolated{status ? ` · ${plural(status.peers, 'peer')}` : ''}.
          </>
        )}
        {st.kind === 'isolated' && (
          <>
            <Badge tone="warn">isolated</Badge> Off the network for another{' '}
            <strong className="countdown">{countdownText(st.remainingMs)}</strong> (until{' '}
            {formatDateTime(st.untilMs - (answer?.offsetMs ?? 0))})
            {answer && answer.isolated_until_ms === st.untilMs ? ` · dropped ${plural(answer.dropped_peers, 'peer')}` : ''}.
          </>
        )}
        {st.kind === 'rejoining' && (
          <>
            <Badge tone="info">rejoining</Badge> The isolation is over; the node is reconnecting to its peers
            {status ? ` (${plural(status.peers, 'peer')} now)` : ''}.
          </>
        )}
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <FormField
          id="isolate-seconds"
          label={`Isolate for N seconds (1 to ${formatInt(ISOLATE_MAX_SECONDS)})`}
          error={invalid}
          ref={input}
          data-testid="isolate-seconds"
          type="number"
          min={1}
          max={ISOLATE_MAX_SECONDS}
          step={1}
          inputMode="numeric"
          value={seconds}
          onChange={(e) => {
            setSeconds(e.target.value);
            setInvalid(null);
          }}
          actions={
            <>
              <button type="submit" className="primary" disabled={busy} data-testid="isolate-button">
                {`Isolate for ${parsed.ok ? parsed.value : 'N'} second${parsed.ok && parsed.value === 1 ? '' : 's'}`}
              </button>
              <button type="button" disabled={busy} onClick={() => void send(0)} data-testid="rejoin-button">
                Rejoin now
              </button>
            </>
          }
        />
      </form>
      <div aria-live="polite">
        <ErrorBox error={error} title="The node refused" />
        {error?.code === 'dev_mode_off' && (
          <p className="muted small" data-testid="isolate-dev-off">
            This node is not a dev chain (any more): isolation is a dev-mode tool (<code>[dev] enabled = true</code>).
          </p>
        )}
      </div>
    </section>
  );
}

// ---------------------------------------------------------------- block tree

const ROW_H = 30;
const COL_W = 132;
const BOX_W = 110;
const BOX_H = 20;
const LEFT = 58;
const TOP = 12;

function TreeSvg({ tree }: { tree: BlockTree }) {
  const byHash = new Map(tree.nodes.map((n) => [n.hash, n]));
  const rows = heightRows(tree.nodes.map((n) => n.height));
  const rowOf = new Map<number, number>();
  rows.forEach((r, i) => r.kind === 'height' && rowOf.set(r.height, i));
  const y = (h: number) => TOP + (rowOf.get(h) ?? 0) * ROW_H;
  const x = (lane: number) => LEFT + lane * COL_W;
  const width = LEFT + tree.lanes * COL_W + 8;
  const height = TOP * 2 + (rows.length - 1) * ROW_H + BOX_H + (tree.branches.some((b) => b.attach.kind === 'missing') ? ROW_H : 0);
  const go = (e: MouseEvent, n: TreeNode) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(`/blocks/${n.hash}`);
  };
  return (
    <div className="tree-scroll">
      <svg
        className="block-tree-svg"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        aria-label={`Block tree from height ${tree.minHeight} to ${tree.maxHeight}: the best chain and ${plural(tree.branches.length, 'side branch', 'side branches')}`}
      >
        {rows.map((r, i) =>
          r.kind === 'height' ? (
            <text key={`h${r.height}`} x={LEFT - 8} y={TOP + i * ROW_H + BOX_H / 2 + 4} textAnchor="end" className="tree-height">
              #{r.height}
            </text>
          ) : (
            <text key={`g${r.to}`} x={LEFT - 8} y={TOP + i * ROW_H + BOX_H / 2 + 4} textAnchor="end" className="tree-height tree-gap">
              <title>{`heights ${r.from} to ${r.to}: no block drawn`}</title>⋮ {r.to - r.from + 1}
            </text>
          ),
        )}
        {tree.nodes.map((n) => {
          const p = byHash.get(n.parent);
          if (!p) return null;
          return (
            <line
              key={`e-${n.hash}`}
              className={`tree-edge edge-${n.status}`}
              x1={x(n.lane) + BOX_W / 2}
              y1={y(n.height) + BOX_H}
              x2={x(p.lane) + BOX_W / 2}
              y2={y(p.height)}
            />
          );
        })}
        {tree.branches
          .filter((b) => b.attach.kind === 'missing' && b.blocks.length)
          .map((b) => {
            const low = b.blocks[0];
            return (
              <g key={`m-${b.tip.hash}`} className="tree-missing">
                <line
                  x1={x(low.lane) + BOX_W / 2}
                  y1={y(low.height) + BOX_H}
                  x2={x(low.lane) + BOX_W / 2}
                  y2={y(low.height) + ROW_H}
                />
                <text x={x(low.lane) + BOX_W / 2} y={y(low.height) + ROW_H + 12} textAnchor="middle">
                  {b.truncated ? 'walk stopped here' : b.tip.status === 'unknown-parent' ? 'parent unknown' : 'parent not drawn'}
                </text>
              </g>
            );
          })}
        {tree.nodes.map((n) => (
          <a
            key={n.hash}
            href={href(`/blocks/${n.hash}`)}
            onClick={(e) => go(e, n)}
            className={`tree-node status-${n.status}${n.tip ? ' is-tip' : ''}`}
            data-hash={n.hash}
            data-status={n.status}
            aria-label={`Block #${n.height} ${shortHash(n.hash)}: ${statusText(n.status, n.invalidRule)}${n.tip ? ', tip' : ''}`}
          >
            <title>{`#${n.height} ${n.hash}\n${statusText(n.status, n.invalidRule)}${n.tip ? ' (tip)' : ''}`}</title>
            <rect x={x(n.lane)} y={y(n.height)} width={BOX_W} height={BOX_H} rx={4} />
            <text x={x(n.lane) + BOX_W / 2} y={y(n.height) + BOX_H / 2 + 4} textAnchor="middle">
              {shortHash(n.hash, 6, 4)}
              {n.status === 'invalid' ? ' ✕' : ''}
            </text>
          </a>
        ))}
      </svg>
    </div>
  );
}

function tipColumns(): Column<Tip>[] {
  return [
    { header: 'Status', cell: (t) => <StatusBadge status={t.status} rule={t.invalid_rule} /> },
    { header: 'Height', num: true, cell: (t) => `#${formatInt(t.height)}` },
    { header: 'Tip', cell: (t) => <Hash value={t.hash} kind="block" copy={false} /> },
    { header: 'Off the best chain', num: true, cell: (t) => plural(t.branch_length, 'block') },
    {
      header: 'Forks at',
      num: true,
      cell: (t) =>
        t.status === 'active' ? '—' : t.status === 'unknown-parent' ? <span title="lowest missing height − 1">#{formatInt(t.fork_height)}?</span> : `#${formatInt(t.fork_height)}`,
    },
    { header: 'Rule broken', cell: (t) => (t.invalid_rule ? <code>{t.invalid_rule}</code> : '—') },
    {
      header: <span className="sr-only">Propagation</span>,
      cell: (t) => <Link to={forkLabPath({ kind: 'block', id: t.hash })}>propagation</Link>,
    },
  ];
}

function BlockTreeCard() {
  const { api, base, epoch } = useNode();
  const tree = useAsync<LoadedTree>(
    (signal) =>
      loadBlockTree(
        () => api.tips(signal),
        async (hash) => {
          try {
            const b: BlockView = await api.block(hash, signal);
            return { hash: b.hash, height: b.block_number, last_hash: b.last_hash, status: b.status, invalid_rule: b.invalid_rule, in_best_chain: b.in_best_chain };
          } catch (e) {
            if (e instanceof ApiError && e.notFound) return null;
            throw e;
          }
        },
        async (from, limit) =>
          (await api.blocks({ from, limit }, signal)).blocks.map((b) => ({ hash: b.hash, height: b.block_number, last_hash: b.last_hash })),
      ),
    [base, epoch],
  );
  const reload = useThrottled(tree.reload, 1000);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg') reload();
  });
  const d = tree.data;
  const forks = d ? d.tips.filter((t) => t.status !== 'active').length : 0;

  return (
    <section className="card" aria-labelledby="tree-h" data-testid="block-tree">
      <h2 id="tree-h">Block tree</h2>
      <p className="muted small">
        The recent best chain (left column) and every side branch this node knows, hanging off its fork point, from{' '}
        <code>/chain/tips</code>. Refreshes on every block and reorganisation. Click a block to open it.
      </p>
      <p className="tree-legend" aria-hidden="true">
        <span className="legend status-active">best chain</span>
        <span className="legend status-valid-fork">valid side branch</span>
        <span className="legend status-invalid">invalid</span>
        <span className="legend status-unknown-parent">parent unknown</span>
      </p>
      <ErrorBox
        error={tree.error}
        title={tree.error?.notFound ? 'This node does not list its tips (GET /chain/tips: an older node?)' : 'Cannot load the block tree'}
      />
      {!d && tree.loading && <Loading what="Walking the block tree" />}
      {d && (
        <>
          <p data-testid="tree-summary">
            {forks === 0
              ? 'No side branch: the node knows only its best chain.'
              : `${plural(forks, 'side tip')} besides the best chain.`}
            {d.truncated && ' The node listed only some of its tips.'}
            {d.tree.omitted > 0 && ` ${plural(d.tree.omitted, 'branch', 'branches')} not drawn (at most 20).`}
          </p>
          {d.tree.nodes.length > 0 && <TreeSvg tree={d.tree} />}
          <h3>Tips</h3>
          <DataTable
            compact
            rows={d.tips}
            columns={tipColumns()}
            rowKey={(t) => t.hash}
            rowAttributes={(t) => ({ 'data-testid': 'tip-row', 'data-status': t.status, 'data-hash': t.hash })}
            testid="tips-list"
          />
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- reorganisations

const REORG_COLUMNS: Column<ReorgNotice>[] = [
  { header: 'When', cell: (r) => <Time ts={r.at} /> },
  {
    header: 'Old tip → new tip',
    cell: (r) => (
      <>
        <Hash value={r.oldTip} kind="block" copy={false} /> → <Hash value={r.newTip} kind="block" copy={false} />
      </>
    ),
  },
  { header: 'Fork height', num: true, cell: (r) => `#${formatInt(r.forkHeight)}` },
  { header: 'Disconnected', num: true, cell: (r) => formatInt(r.disconnected) },
  { header: 'Connected', num: true, cell: (r) => formatInt(r.connected) },
];

function ReorgCard() {
  const { reorgs } = useNode();
  return (
    <section className="card" aria-labelledby="reorg-list-h">
      <h2 id="reorg-list-h">Reorganisations</h2>
      <div data-testid="reorg-list">
        {reorgs.length === 0 ? (
          <Empty>None since this page was opened: this node has only extended its chain.</Empty>
        ) : (
          <DataTable
            compact
            rows={reorgs}
            columns={REORG_COLUMNS}
            rowKey={(r) => `${r.at}-${r.oldTip}-${r.newTip}`}
            rowAttributes={() => ({ 'data-testid': 'reorg-row' })}
            caption="Reorganisations seen since the page was opened, newest first"
          />
        )}
      </div>
    </section>
  );
}

// ---------------------------------------------------------------- propagation

/** This node and every peer: the ones with an HTTP URL are asked, all of them name senders. */
export function knownNodes(base: string, selfId: string | null, peers: PeersView | undefined): KnownNode[] {
  const out: KnownNode[] = [{ label: 'this node', base, nodeId: selfId ?? peers?.node_id ?? null }];
  const urls = new Set([base.replace(/\/+$/, '')]);
  for (const p of peers?.peers ?? []) {
    const url = p.http_url ? p.http_url.replace(/\/+$/, '') : null;
    if (url && urls.has(url)) continue;
    if (url) urls.add(url);
    out.push({ label: url ? hostOf(url) : shortHash(p.node_id, 8, 4), base: url, nodeId: p.node_id });
  }
  return out;
}

const isBlockStatus = (s: string): s is BlockStatus => ['active', 'valid-fork', 'invalid', 'unknown-parent'].includes(s);

function probeText(r: TimelineRow): string {
  switch (r.probe.kind) {
    case 'seen':
      return r.probe.status ?? '';
    case 'forgotten':
      return 'has it, but no longer remembers when it got it';
    case 'refused':
      return `refused it${r.probe.rule ? `: ${r.probe.rule}` : ''}`;
    case 'not-seen':
      return 'not seen';
    default:
      return `unreachable: ${r.probe.error}`;
  }
}

function Timeline({ rows }: { rows: TimelineRow[] }) {
  const max = Math.max(1, ...rows.map((r) => r.delayMs ?? 0));
  return (
    <ol className="timeline" aria-label="Nodes in the order they got it">
      {rows.map((r) => (
        <li
          key={r.node.base ?? r.node.label}
          className={`timeline-row state-${r.probe.kind}`}
          data-testid="propagation-row"
          data-state={r.probe.kind}
          data-node={r.node.label}
          data-delay={r.delayMs ?? undefined}
        >
          <span className="tl-node" title={r.node.nodeId ?? undefined}>
            {r.node.label}
          </span>
          <span className="tl-track" aria-hidden="true">
            {r.probe.kind === 'seen' && <span className="tl-dot" style={{ left: `${((r.delayMs ?? 0) / max) * 100}%` }} />}
          </span>
          <span className="tl-delay">{r.delayMs !== null ? delayText(r.delayMs) : '—'}</span>
          <span className="tl-source">
            {r.probe.kind === 'seen' ? (
              <>
                from {r.source}
                {r.clockSkew && (
                  <>
                    {' '}
                    <span className="badge badge-warn" title="The sender’s own first-seen time is later than this node’s: the two clocks disagree." data-testid="clock-skew">
                      clocks disagree
                    </span>
                  </>
                )}
                <span className="muted small"> · {formatDateTime(r.probe.firstSeen.at_ms)} on its clock</span>
                {r.probe.status && r.probe.status !== 'active' && (
                  <>
                    {' '}
                    {isBlockStatus(r.probe.status) ? (
                      <StatusBadge status={r.probe.status} />
                    ) : (
                      <span className="muted small">({r.probe.status})</span>
                    )}
                  </>
                )}
              </>
            ) : (
              <span className={r.probe.kind === 'unreachable' || r.probe.kind === 'refused' ? 'bad-text' : 'muted'}>
                {probeText(r)}
              </span>
            )}
          </span>
        </li>
      ))}
    </ol>
  );
}

function RecentBlocks({ onPick }: { onPick: (hash: string) => void }) {
  const { api, base, epoch } = useNode();
  const page = useAsync((signal) => api.blocks({ limit: 8 }, signal), [base, epoch]);
  const reload = useThrottled(page.reload, 1000);
  useNodeEvent((e) => {
    if (e.type === 'block' || e.type === 'reorg') reload();
  });
  const blocks = page.data ? [...page.data.blocks].reverse() : [];
  if (!blocks.length) return null;
  return (
    <div className="recent-picks">
      <span className="muted small">Recent blocks:</span>
      <ul>
        {blocks.map((b) => (
          <li key={b.hash}>
            <Link
              to={forkLabPath({ kind: 'block', id: b.hash })}
              onClick={(e) => {
                if (e.button === 0 && !e.metaKey && !e.ctrlKey) {
                  e.preventDefault();
                  onPick(b.hash);
                }
              }}
              title={`Propagation of block #${b.block_number} ${b.hash}`}
              data-testid="propagation-pick"
            >
              #{formatInt(b.block_number)} {shortHash(b.hash, 6, 4)}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

function PropagationCard() {
  const { api, base, status } = useNode();
  const { query } = useLocation();
  const qBlock = query.get('block');
  const qTx = query.get('tx');
  const item: { kind: ItemKind; id: string } | null = qBlock
    ? { kind: 'block', id: qBlock.trim() }
    : qTx
      ? { kind: 'tx', id: qTx.trim() }
      : null;
  const [kind, setKind] = useState<ItemKind>(item?.kind ?? 'block');
  const [text, setText] = useState(item?.id ?? '');
  useEffect(() => {
    if (item) {
      setKind(item.kind);
      setText(item.id);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [item?.kind, item?.id]);

  const peers = useAsync((signal) => api.peers(signal), [base]);
  const nodes = useMemo(() => knownNodes(base, status?.node_id ?? null, peers.data), [base, status?.node_id, peers.data]);
  // Without the peer list (refused, unreachable) only this node is asked.
  const peersReady = !!peers.data || !!peers.error;
  const nodesKey = nodes.map((n) => `${n.base}|${n.nodeId}`).join(',');
  const timeline = useAsync(
    async (signal) => {
      if (!item || !peersReady) return new Promise<TimelineRow[]>(() => {});
      const get = <T,>(b: string, path: string) => fetchFrom<T>(b, path, signal);
      const probes = await Promise.all(nodes.map(async (node) => ({ node, probe: await probeNode(node, item.kind, item.id, get) })));
      return buildTimeline(probes, nodes);
    },
    [item?.kind, item?.id, nodesKey, peersReady],
  );

  const trace = (k: ItemKind, id: string) => navigate(forkLabPath({ kind: k, id }), { replace: true });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = text.trim();
    if (v) trace(kind, v);
  };
  const rows = timeline.data;
  const seen = rows?.filter((r) => r.probe.kind === 'seen').length ?? 0;

  return (
    <section className="card" id="propagation" aria-labelledby="prop-h">
      <h2 id="prop-h">Propagation</h2>
      <p className="muted small">
        Asks every node the dashboard knows (this node and each peer with an HTTP URL) when it first got a block or
        transfer. Delays compare the nodes’ own clocks: on different machines they include the clocks’ difference.
        Nodes remember this only for recent items.
      </p>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="propagation-input">Block hash or transfer id</label>
        <div className="row">
          <select aria-label="What to trace" value={kind} onChange={(e) => setKind(e.target.value as ItemKind)} data-testid="propagation-kind">
            <option value="block">Block</option>
            <option value="tx">Transfer</option>
          </select>
          <input
            id="propagation-input"
            data-testid="propagation-input"
            className="mono"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="64 hex digits"
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit">Trace</button>
          {item && (
            <button type="button" onClick={timeline.reload}>
              Ask again
            </button>
          )}
        </div>
      </form>
      <RecentBlocks onPick={(h) => trace('block', h)} />
      <ErrorBox error={peers.error} title="Cannot list the peers (only this node is asked)" />
      {item && (
        <>
          <h3>
            {item.kind === 'block' ? 'Block' : 'Transfer'}{' '}
            <Hash value={item.id} kind={item.kind === 'block' ? 'block' : 'tx'} />
          </h3>
          {!rows && <Loading what={`Asking ${plural(nodes.length, 'node')}`} />}
          {rows && (
            <>
              <p data-testid="propagation-summary">
                {seen === 0
                  ? 'No node remembers when it got it.'
                  : `${plural(seen, 'node')} of ${formatInt(rows.length)} saw it; the last ${delayText(Math.max(...rows.map((r) => r.delayMs ?? 0)))} after the first.`}
              </p>
              <Timeline rows={rows} />
            </>
          )}
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- the page

export function ForkLabPage() {
  const { status } = useNode();
  const { query } = useLocation();
  const tracing = query.has('block') || query.has('tx');
  useEffect(() => {
    if (tracing) document.getElementById('propagation')?.scrollIntoView?.({ block: 'start' });
  }, [tracing]);
  return (
    <>
      <PageTitle sub="Side branches, reorganisations, and how blocks and transfers spread between the nodes.">
        Forks and propagation
      </PageTitle>
      <p>
        <Link to="/network">‹ Network</Link>
      </p>
      {status?.dev?.enabled && <IsolationPanel />}
      <BlockTreeCard />
      <ReorgCard />
      <PropagationCard />
    </>
  );
}
