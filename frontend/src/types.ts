// JSON shapes of the node's HTTP API (actors/src/api.rs and friends). Amounts are whole coins.

// Generated from the node's Rust types (ts-rs; `cargo test -p bitcoin-rust-node --features ts
// export_bindings` writes frontend/src/generated/, CI fails when it differs from what is checked in).
import type { AddressInfo as NodeAddressInfo } from './generated/AddressInfo';
import type { Balance } from './generated/Balance';
import type { Block } from './generated/Block';
import type { BlockStatus } from './generated/BlockStatus';
import type { BlockSummary } from './generated/BlockSummary';
import type { BlockView as NodeBlockView } from './generated/BlockView';
import type { ChainStatus } from './generated/ChainStatus';
import type { ChainTip } from './generated/ChainTip';
import type { ChainTips } from './generated/ChainTips';
import type { ConfirmedTransaction } from './generated/ConfirmedTransaction';
import type { DashboardEvent } from './generated/DashboardEvent';
import type { DevMined } from './generated/DevMined';
import type { DevStatus } from './generated/DevStatus';
import type { FirstSeen } from './generated/FirstSeen';
import type { HistoryEntry } from './generated/HistoryEntry';
import type { Isolation } from './generated/Isolation';
import type { MiningStatus } from './generated/MiningStatus';
import type { PeersView } from './generated/PeersView';
import type { PeerView } from './generated/PeerView';
import type { PendingPeer } from './generated/PendingPeer';
import type { PendingTransaction } from './generated/PendingTransaction';
import type { Reward } from './generated/Reward';
import type { Status } from './generated/Status';
import type { Transaction } from './generated/Transaction';
import type { Transfer } from './generated/Transfer';
import type { TransferInput } from './generated/TransferInput';
import type { TxOrigin } from './generated/TxOrigin';
import type { TxOutput } from './generated/TxOutput';

export type {
  Balance,
  Block,
  BlockStatus,
  BlockSummary,
  ChainStatus,
  ChainTips,
  DashboardEvent,
  DevMined,
  DevStatus,
  FirstSeen,
  HistoryEntry,
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

/**
 * The generated answer `T` with the fields `K` optional: the dashboard also reads nodes of older
 * versions (peers in the fork lab), which do not send them yet.
 */
type FromOlderNodes<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** GET /status (the node's `api_types::Status`; `dev` and `isolated_until_ms` absent on older nodes). */
export type NodeStatus = FromOlderNodes<Status, 'dev' | 'isolated_until_ms'>;

/** GET /blocks/{id}: a block plus where it stands (`status`, `invalid_rule`, `first_seen` absent on older nodes). */
export type BlockView = FromOlderNodes<NodeBlockView, 'status' | 'invalid_rule' | 'first_seen'>;

/** GET /address/{addr} (`next_before` absent on older nodes). */
export type AddressInfo = FromOlderNodes<NodeAddressInfo, 'next_before'>;

/** GET /transactions/{id}: pending or confirmed, narrow on `status` (`first_seen` absent on older nodes). */
export type TxLookup =
  | FromOlderNodes<PendingTransaction, 'first_seen'>
  | FromOlderNodes<ConfirmedTransaction, 'first_seen'>;

/** One leaf of the node's block tree (GET /chain/tips). */
export type Tip = ChainTip;

/** POST /dev/isolate. */
export type DevIsolated = Isolation;

/** A message on `GET /events` (the node's `DashboardEvent`). */
export type NodeEvent = DashboardEvent;
