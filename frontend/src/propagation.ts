// The propagation timeline (issue 14 part 3): which node got a block or transfer first, and how
// long after the first every other node got it, from each node's own `first_seen`. Pure logic
// here (ordering, delays, labels); asking the nodes is `probeNode`, with the fetch passed in.
import { ApiError } from './api';
import { formatInt, shortHash } from './format';
import type { BlockView, FirstSeen, TxLookup } from './types';

/** A node the dashboard can ask (this node, or a peer with an HTTP URL) or only name (a peer's id). */
export interface KnownNode {
  /** What the timeline calls it: `this node`, `127.0.0.1:3002`. */
  label: string;
  /** Its HTTP API; null when the dashboard knows only its id. */
  base: string | null;
  /** Its node id (66 hex digits), when known. */
  nodeId: string | null;
}

export type ItemKind = 'block' | 'tx';

/** What one node answered about the item. */
export type Probe =
  /** It has the item and remembers when it first got it. */
  | { kind: 'seen'; firstSeen: FirstSeen; status: string | null }
  /** It has the item but forgot when it got it (first-seen is bounded to recent items). */
  | { kind: 'forgotten'; status: string | null }
  /** It refused the block (404 `block_refused`). */
  | { kind: 'refused'; rule: string | null }
  /** It does not know the item (404). */
  | { kind: 'not-seen' }
  /** It did not answer, or answered an error. */
  | { kind: 'unreachable'; error: string };

export interface TimelineRow {
  node: KnownNode;
  probe: Probe;
  /** ms after the earliest first-seen of all nodes (seen rows only). */
  delayMs: number | null;
  /** `self`, `HTTP`, `peer 127.0.0.1:3001` / `peer 03ab12cd…`; null when not seen. */
  source: string | null;
  /** The node the item came from, when `source` is a peer the dashboard knows. */
  fromNode: KnownNode | null;
  /** The sender's own first-seen is later than this node's: their clocks disagree. */
  clockSkew: boolean;
}

const RANK: Record<Probe['kind'], number> = { seen: 0, forgotten: 1, refused: 2, 'not-seen': 3, unreachable: 4 };

/** The known node with this node id (ids compared without case), or null. */
export function nodeById(id: string | null | undefined, known: readonly KnownNode[]): KnownNode | null {
  if (!id) return null;
  const l = id.toLowerCase();
  return known.find((k) => k.nodeId !== null && k.nodeId.toLowerCase() === l) ?? null;
}

/** How a node got the item: `self`, `HTTP`, or `peer <label or shortened id>`. */
export function sourceText(fs: FirstSeen, known: readonly KnownNode[]): string {
  switch (fs.source) {
    case 'self':
      return 'self';
    case 'http':
      return 'HTTP';
    default: {
      const k = nodeById(fs.peer, known);
      return `peer ${k ? k.label : fs.peer ? shortHash(fs.peer, 8, 4) : 'unknown'}`;
    }
  }
}

/**
 * The timeline: nodes that saw the item ordered by first-seen time (earliest first, ties by
 * label), each with its delay from the earliest; then nodes that have it but forgot when, refused
 * it, do not know it, and could not be asked. `known` names the peers in `source`.
 */
export function buildTimeline(
  probes: readonly { node: KnownNode; probe: Probe }[],
  known: readonly KnownNode[],
): TimelineRow[] {
  const seenAt = probes.flatMap((p) => (p.probe.kind === 'seen' ? [p.probe.firstSeen.at_ms] : []));
  const earliest = seenAt.length ? Math.min(...seenAt) : null;
  const rows = probes.map(({ node, probe }): TimelineRow => {
    if (probe.kind !== 'seen') return { node, probe, delayMs: null, source: null, fromNode: null, clockSkew: false };
    const fs = probe.firstSeen;
    return {
      node,
      probe,
      delayMs: fs.at_ms - (earliest as number),
      source: sourceText(fs, known),
      fromNode: fs.source === 'peer' ? nodeById(fs.peer, known) : null,
      clockSkew: false,
    };
  });
  for (const r of rows) {
    const from = r.fromNode && rows.find((o) => o.node === r.fromNode);
    if (from && from.delayMs !== null && r.delayMs !== null && from.delayMs > r.delayMs) r.clockSkew = true;
  }
  return rows.sort((a, b) => {
    const r = RANK[a.probe.kind] - RANK[b.probe.kind];
    if (r) return r;
    if (a.delayMs !== null && b.delayMs !== null && a.delayMs !== b.delayMs) return a.delayMs - b.delayMs;
    return a.node.label.localeCompare(b.node.label);
  });
}

/** `+0 ms` for the first, `+250 ms`, `+1,234 ms` (ms below 10 s), `+12 s`, `+2 min 5 s`. */
export function delayText(ms: number): string {
  if (ms < 10_000) return `+${formatInt(ms)} ms`;
  if (ms < 60_000) return `+${Math.round(ms / 1000)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return s ? `+${m} min ${s} s` : `+${m} min`;
}

/** What a node's answer (or failure) to `/blocks/{id}` or `/transactions/{id}` means. */
export function probeFromAnswer(answer: BlockView | TxLookup | null, error: unknown): Probe {
  if (answer) {
    const status = typeof answer.status === 'string' ? answer.status : null;
    return answer.first_seen ? { kind: 'seen', firstSeen: answer.first_seen, status } : { kind: 'forgotten', status };
  }
  if (error instanceof ApiError) {
    if (error.code === 'block_refused') return { kind: 'refused', rule: error.rule };
    if (error.notFound) return { kind: 'not-seen' };
    return { kind: 'unreachable', error: `${error.message} (${error.code})` };
  }
  return { kind: 'unreachable', error: error instanceof Error ? error.message : String(error) };
}

/** The path asked of every node for the item. */
export function itemPath(kind: ItemKind, id: string): string {
  return kind === 'block' ? `/blocks/${encodeURIComponent(id)}` : `/transactions/${encodeURIComponent(id)}`;
}

/** Asks one node about the item (nodes without an HTTP URL are "unreachable" at once). */
export async function probeNode(
  node: KnownNode,
  kind: ItemKind,
  id: string,
  get: <T>(base: string, path: string) => Promise<T>,
): Promise<Probe> {
  if (!node.base) return { kind: 'unreachable', error: 'no HTTP URL known for this peer' };
  try {
    const a = await get<BlockView | TxLookup>(node.base, itemPath(kind, id));
    return probeFromAnswer(a, null);
  } catch (e) {
    return probeFromAnswer(null, e);
  }
}
