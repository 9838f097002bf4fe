// The block tree (issue 14 part 4): the recent best chain with the side branches hanging off
// their fork points, from GET /chain/tips plus the blocks walked back along `last_hash`. Pure
// building and layout here; `loadBlockTree` does the (bounded) asking with the fetches passed in.
import type { BlockStatus, Tip } from './types';

/** At most this many blocks are walked back per side branch. */
export const MAX_BRANCH_BLOCKS = 50;
/** At most this many side branches are drawn. */
export const MAX_BRANCHES = 20;
/** At most this many best-chain blocks are drawn. */
export const MAX_MAIN_BLOCKS = 50;
/** Best-chain blocks drawn when no branch asks for more. */
export const MIN_MAIN_BLOCKS = 12;

/** What the tree needs of a block. */
export interface BlockLite {
  hash: string;
  height: number;
  last_hash: string;
  /** Absent for best-chain blocks listed by `/blocks` (they are active). */
  status?: BlockStatus;
  invalid_rule?: string | null;
}

export interface TreeNode {
  hash: string;
  height: number;
  parent: string;
  status: BlockStatus;
  invalidRule: string | null;
  /** 0: the best chain; 1…: side lanes. */
  lane: number;
  /** The tip this block is a leaf of, if any. */
  tip: Tip | null;
}

export type Attachment =
  /** Forks from a best-chain block that is drawn. */
  | { kind: 'main'; hash: string; height: number }
  /** Forks from a block of another side branch. */
  | { kind: 'branch'; hash: string; height: number; tip: string }
  /** The parent is not drawn: unknown to the node, below the drawn range, or beyond the walk. */
  | { kind: 'missing'; hash: string; height: number };

export interface Branch {
  tip: Tip;
  lane: number;
  /** Its drawn blocks, lowest first (those not shared with a branch drawn before it). */
  blocks: TreeNode[];
  attach: Attachment;
  /** The walk stopped at its bound before reaching the fork point. */
  truncated: boolean;
}

export interface BlockTree {
  /** The best chain, lowest first. */
  main: TreeNode[];
  branches: Branch[];
  /** Every drawn block. */
  nodes: TreeNode[];
  lanes: number;
  minHeight: number;
  maxHeight: number;
  /** Tips not drawn (beyond MAX_BRANCHES). */
  omitted: number;
}

/** The status a side block is drawn with: its own, else its tip's. */
function statusOf(b: BlockLite, tip: Tip): { status: BlockStatus; rule: string | null } {
  if (b.status) return { status: b.status, rule: b.invalid_rule ?? null };
  return { status: tip.status, rule: tip.status === 'invalid' ? tip.invalid_rule : null };
}

/**
 * Builds the tree. `main` is the best chain (any order, contiguous heights), `side` the blocks
 * walked back from the other tips (any order). Each tip's branch is its chain of side blocks down
 * to the first block that is on the best chain, in a branch drawn before it, or unknown; lanes are
 * shared by branches whose heights do not overlap.
 */
export function buildBlockTree(
  tips: readonly Tip[],
  main: readonly BlockLite[],
  side: readonly BlockLite[],
  truncatedTips: ReadonlySet<string> = new Set(),
): BlockTree {
  const active = tips.find((t) => t.status === 'active') ?? null;
  const mainNodes: TreeNode[] = [...main]
    .sort((a, b) => a.height - b.height)
    .map((b) => ({
      hash: b.hash,
      height: b.height,
      parent: b.last_hash,
      status: 'active' as BlockStatus,
      invalidRule: null,
      lane: 0,
      tip: active && active.hash === b.hash ? active : null,
    }));
  const mainByHash = new Map(mainNodes.map((n) => [n.hash, n]));
  const sideByHash = new Map(side.map((b) => [b.hash, b]));
  const claimed = new Map<string, { node: TreeNode; tip: string }>();
  const others = tips.filter((t) => t.status !== 'active' && !mainByHash.has(t.hash));
  const drawn = others.slice(0, MAX_BRANCHES);
  const laneSpans: [number, number][][] = [];
  const branches: Branch[] = [];

  for (const tip of drawn) {
    // Walk down from the tip through the side blocks not yet drawn.
    const chain: BlockLite[] = [];
    let cur: string | undefined = tip.hash;
    let attach: Attachment | null = null;
    const guard = new Set<string>();
    while (cur !== undefined && !guard.has(cur)) {
      guard.add(cur);
      const onMain = mainByHash.get(cur);
      if (onMain) {
        attach = { kind: 'main', hash: onMain.hash, height: onMain.height };
        break;
      }
      const other = claimed.get(cur);
      if (other) {
        attach = { kind: 'branch', hash: cur, height: other.node.height, tip: other.tip };
        break;
      }
      const b = sideByHash.get(cur);
      if (!b) break;
      chain.push(b);
      cur = b.last_hash;
    }
    const lowest = chain[chain.length - 1];
    if (!attach) {
      const hash = lowest ? lowest.last_hash : tip.hash;
      const height = lowest ? lowest.height - 1 : tip.fork_height;
      attach = { kind: 'missing', hash, height };
    }
    if (chain.length === 0) {
      // Nothing of its own to draw (the tip's block could not be fetched): list it, draw it as one box.
      chain.push({ hash: tip.hash, height: tip.height, last_hash: attach.hash, status: tip.status, invalid_rule: tip.invalid_rule });
    }
    const low = chain[chain.length - 1].height;
    const high = chain[0].height;
    let lane = 1;
    for (; ; lane++) {
      const spans = (laneSpans[lane] ??= []);
      if (spans.every(([a, b]) => high < a || low > b)) {
        spans.push([low, high]);
        break;
      }
    }
    const blocks = chain
      .map((b): TreeNode => {
        const s = statusOf(b, tip);
        return {
          hash: b.hash,
          height: b.height,
          parent: b.last_hash,
          status: s.status,
          invalidRule: s.rule,
          lane,
          tip: b.hash === tip.hash ? tip : null,
        };
      })
      .reverse();
    for (const n of blocks) claimed.set(n.hash, { node: n, tip: tip.hash });
    branches.push({ tip, lane, blocks, attach, truncated: truncatedTips.has(tip.hash) });
  }

  const nodes = [...mainNodes, ...branches.flatMap((b) => b.blocks)];
  const heights = nodes.map((n) => n.height);
  return {
    main: mainNodes,
    branches,
    nodes,
    lanes: Math.max(1, laneSpans.length),
    minHeight: heights.length ? Math.min(...heights) : 0,
    maxHeight: heights.length ? Math.max(...heights) : 0,
    omitted: others.length - drawn.length,
  };
}

/** The best-chain heights to draw: down to the lowest fork point (and one below), 12 to 50 blocks. */
export function mainRange(tipHeight: number, lowestSide: number | null): { from: number; limit: number } {
  let from = tipHeight - (MIN_MAIN_BLOCKS - 1);
  if (lowestSide !== null) from = Math.min(from, lowestSide - 2);
  from = Math.max(0, from, tipHeight - (MAX_MAIN_BLOCKS - 1));
  return { from, limit: tipHeight - from + 1 };
}

/** A block as `/blocks/{hash}` answers it (only what the tree needs); null when the node lacks it. */
export type FetchBlock = (hash: string) => Promise<(BlockLite & { in_best_chain?: boolean }) | null>;

export interface LoadedTree {
  tips: Tip[];
  truncated: boolean;
  tree: BlockTree;
}

/**
 * Asks for the tips, walks each side tip back (at most MAX_BRANCH_BLOCKS blocks, MAX_BRANCHES
 * branches) until a best-chain block, a block already walked, or a block the node lacks, then
 * asks for the best chain down to the lowest fork point.
 */
export async function loadBlockTree(
  fetchTips: () => Promise<{ tips: Tip[]; truncated: boolean }>,
  fetchBlock: FetchBlock,
  fetchMain: (from: number, limit: number) => Promise<BlockLite[]>,
): Promise<LoadedTree> {
  const { tips, truncated } = await fetchTips();
  const active = tips.find((t) => t.status === 'active');
  const side = new Map<string, BlockLite>();
  const cut = new Set<string>();
  const others = tips.filter((t) => t.status !== 'active').slice(0, MAX_BRANCHES);
  for (const tip of others) {
    let cur = tip.hash;
    let steps = 0;
    for (;;) {
      if (side.has(cur)) break;
      if (steps >= MAX_BRANCH_BLOCKS) {
        cut.add(tip.hash);
        break;
      }
      let b: Awaited<ReturnType<FetchBlock>>;
      try {
        b = await fetchBlock(cur);
      } catch {
        b = null;
      }
      if (!b) break;
      if (b.status === 'active' || (b.status === undefined && b.in_best_chain)) break;
      side.set(b.hash, b);
      steps++;
      if (b.height <= 0) break;
      cur = b.last_hash;
    }
  }
  const sideBlocks = [...side.values()];
  let main: BlockLite[] = [];
  if (active) {
    // Orphans (parent unknown) do not fork from the best chain: they do not widen it.
    const forking = sideBlocks.filter((b) => b.status !== 'unknown-parent');
    const lowest = forking.length ? Math.min(...forking.map((b) => b.height)) : null;
    const r = mainRange(active.height, lowest);
    main = await fetchMain(r.from, r.limit);
  }
  return { tips, truncated, tree: buildBlockTree(tips, main, sideBlocks, cut) };
}

/** A tip's status in words. */
export function statusText(status: BlockStatus, rule?: string | null): string {
  switch (status) {
    case 'active':
      return 'best chain';
    case 'valid-fork':
      return 'valid side branch';
    case 'invalid':
      return rule ? `invalid: ${rule}` : 'invalid';
    default:
      return 'parent unknown';
  }
}

/** A row of the drawing: a height, or a run of heights with no drawn block (collapsed). */
export type HeightRow = { kind: 'height'; height: number } | { kind: 'gap'; from: number; to: number };

/**
 * The drawing's rows, highest first: every height from the highest to the lowest drawn block,
 * except that a run of more than `maxEmpty` heights with no block becomes one gap row (an orphan
 * far from the tip must not stretch the drawing).
 */
export function heightRows(heights: readonly number[], maxEmpty = 2): HeightRow[] {
  const hs = [...new Set(heights)].sort((a, b) => b - a);
  const rows: HeightRow[] = [];
  hs.forEach((h, i) => {
    if (i > 0) {
      const prev = hs[i - 1];
      if (prev - h - 1 > maxEmpty) rows.push({ kind: 'gap', from: h + 1, to: prev - 1 });
      else for (let e = prev - 1; e > h; e--) rows.push({ kind: 'height', height: e });
    }
    rows.push({ kind: 'height', height: h });
  });
  return rows;
}
