// JSON shapes of the node's HTTP API (actors/src/api.rs and friends). Amounts are whole coins.

export interface TxInput {
  timestamp: number;
  amount: number;
  address: string;
  nonce: number;
  fee: number;
  signature: string;
}

export interface TxOutput {
  address: string;
  amount: number;
}

/** A signed transfer (kind "Normal"). */
export interface Transfer {
  id: string;
  input: TxInput;
  outputs: TxOutput[];
}

/** A block reward (kind "Reward"). */
export interface Reward {
  id: string;
  coinbase: { height: number; data: string };
  output: TxOutput;
}

export type Transaction = { kind: 'Normal'; tx: Transfer } | { kind: 'Reward'; tx: Reward };

export interface Block {
  block_number: number;
  timestamp: number;
  last_hash: string;
  hash: string;
  data: Transaction[];
  /** u64: a string when beyond JavaScript's safe integers (see json.ts). */
  nonce: number | string;
  difficulty: number;
  version: number;
  merkle_root: string;
  bits: number;
  target: string;
}

/** GET /blocks/{id}: a block plus where it stands. */
export interface BlockView extends Block {
  confirmations: number;
  in_best_chain: boolean;
  next_hash: string | null;
  subsidy: number;
  fees: number;
  size: number;
  /** Where the block stands in the node's block tree (absent on older nodes). */
  status?: BlockStatus;
  /** The rule a refused block broke, or `invalid_ancestor`; null otherwise. */
  invalid_rule?: string | null;
  /** When and from whom this node first got the block (null once forgotten). */
  first_seen?: FirstSeen | null;
}

export interface ChainStatus {
  network: string;
  genesis: string;
  height: number;
  tip: string;
  tip_timestamp: number;
  difficulty: number;
  bits: number;
  target: string;
  total_work: string;
  median_time_past: number;
  orphans: number;
  known_blocks?: number;
}

/** The dev-chain settings of GET /status (`[dev]`, README "Dev chain"). */
export interface DevStatus {
  /** `POST /dev/mine` answers. */
  enabled: boolean;
  /** A block is mined as soon as a transfer enters the pool. */
  mine_on_transaction: boolean;
  /** A block every this many ms; 0: off. */
  block_interval_ms: number;
  /** `POST /dev/faucet` answers. */
  faucet: boolean;
  /** The most one faucet call pays. */
  faucet_max_amount: number;
  /** The network never retargets. */
  fixed_difficulty: boolean;
}

/** POST /dev/mine. */
export interface DevMined {
  mined: number;
  height: number;
  tip: string;
  blocks: { height: number; hash: string; transactions: number }[];
}

/** GET /status. */
export interface NodeStatus extends ChainStatus {
  mine_rate_ms: number;
  mempool: number;
  mempool_bytes: number;
  peers: number;
  mining: boolean;
  hashrate: number;
  syncing: boolean;
  best_peer_height: number;
  node_id: string;
  p2p_url: string;
  address: string;
  uptime_s: number;
  version: string;
  /** Dev-chain settings (absent on older nodes). */
  dev?: DevStatus;
  /** Until when (unix ms, node's clock) `POST /dev/isolate` keeps the node off the network; null: not isolated. */
  isolated_until_ms?: number | null;
}

export interface MiningStatus {
  running: boolean;
  threads: number;
  hashrate: number;
  mining_height: number | null;
  blocks_mined: number;
  address: string;
}

export interface PeerView {
  id: number;
  node_id: string;
  direction: string;
  url: string | null;
  remote: string;
  http_url: string | null;
  agent: string;
  best_height: number;
  best_hash: string;
  score: number;
  connected_at: number;
}

export interface PendingPeer {
  url: string;
  state: string;
  failures: number;
  retry_in_ms: number;
  last_error: string | null;
}

export interface PeersView {
  peers: PeerView[];
  pending: PendingPeer[];
  banned: [string, number][];
  node_id: string;
  listen_url: string;
}

/** GET /transactions/{id}. */
export interface TxLookup {
  status: 'pending' | 'confirmed';
  confirmations: number;
  transaction: Transaction;
  block_hash?: string;
  block_number?: number;
  index?: number;
  /** When and from whom this node first got the transfer (null once forgotten). */
  first_seen?: FirstSeen | null;
}

export interface HistoryEntry {
  transaction: Transaction;
  height: number;
  block_hash: string;
  timestamp: number;
  received: number;
  spent: number;
}

/** GET /address/{addr}. */
export interface AddressInfo {
  address: string;
  balance: number;
  nonce: number;
  pending: Transfer | null;
  history: HistoryEntry[];
  /** `before` of the next (older) page, null at the oldest (newer nodes only). */
  next_before?: number | null;
}

export interface Balance {
  address: string;
  balance: number;
  nonce: number;
}

/** The block summary pushed on /events. */
export interface BlockSummary {
  block_number: number;
  hash: string;
  last_hash: string;
  timestamp: number;
  transactions: number;
  difficulty: number;
  miner: string | null;
  reward: number | null;
  data: string;
}

export type NodeEvent =
  | { type: 'hello' }
  /** The node skipped events this dashboard could not keep up with: reload the state. */
  | { type: 'resync' }
  | { type: 'block'; block: BlockSummary; txids: string[]; status: ChainStatus }
  | {
      type: 'reorg';
      old_tip: string;
      new_tip: string;
      fork_height: number;
      disconnected: string[];
      connected: string[];
    }
  | { type: 'transaction'; transaction: Transfer; origin: unknown; mempool: number }
  | { type: 'mempool'; removed: string[]; mempool: number }
  | { type: 'mining'; mining: MiningStatus }
  | { type: 'shutdown' };

// --- Chain tips, first-seen and isolation (issue 14 parts 3 and 4) ---

/** Where a block or tip stands: on the best chain, on a valid side branch, refused, or waiting for its parent. */
export type BlockStatus = 'active' | 'valid-fork' | 'invalid' | 'unknown-parent';

/** One leaf of the node's block tree (GET /chain/tips). */
export interface Tip {
  hash: string;
  height: number;
  /** Blocks off the best chain (0 for the active tip). */
  branch_length: number;
  /** Height of the last block the branch shares with the best chain (height − branch_length). */
  fork_height: number;
  status: BlockStatus;
  invalid_rule: string | null;
}

/** GET /chain/tips: active first, then by height descending. */
export interface ChainTips {
  tips: Tip[];
  /** The node listed only some of its tips. */
  truncated: boolean;
}

/** When and how a node first got a block or transfer. */
export interface FirstSeen {
  /** Unix ms on that node's clock. */
  at_ms: number;
  source: 'self' | 'http' | 'peer';
  /** The sending peer's node id when `source` is `peer`. */
  peer: string | null;
}

/** POST /dev/isolate. */
export interface DevIsolated {
  isolated_until_ms: number | null;
  seconds: number;
  dropped_peers: number;
}
