// JSON shapes of the node's HTTP API (actors/src/api.rs and friends). Amounts are whole coins.

// Generated from the node's Rust types (ts-rs; `cargo test -p bitcoin-rust-node --features ts
// export_bindings` writes frontend/src/generated/, CI fails when it differs from what is checked in).
import type { Block } from './generated/Block';
import type { BlockSummary } from './generated/BlockSummary';
import type { ChainStatus } from './generated/ChainStatus';
import type { DashboardEvent } from './generated/DashboardEvent';
import type { MiningStatus } from './generated/MiningStatus';
import type { PeerView } from './generated/PeerView';
import type { PendingPeer } from './generated/PendingPeer';
import type { PeersView } from './generated/PeersView';
import type { Reward } from './generated/Reward';
import type { Transaction } from './generated/Transaction';
import type { Transfer } from './generated/Transfer';
import type { TransferInput } from './generated/TransferInput';
import type { TxOrigin } from './generated/TxOrigin';
import type { TxOutput } from './generated/TxOutput';

export type {
  Block,
  BlockSummary,
  ChainStatus,
  DashboardEvent,
  MiningStatus,
  PeerView,
  PendingPeer,
  PeersView,
  Reward,
  Transaction,
  Transfer,
  TxOrigin,
  TxOutput,
};

/** The spending side of a transfer. */
export type TxInput = TransferInput;


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


/** A message on `GET /events` (the node's `DashboardEvent`). */
export type NodeEvent = DashboardEvent;

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
