//! [`DashboardEvent`]: every message the node sends a dashboard on `GET /events`, as one typed
//! enum (tagged by `type`), built from [`ChainEvent`], [`MempoolEvent`] and [`MiningStatus`].
//! `docs/openapi.json` (the `/events` description) documents the shapes, and
//! `frontend/src/generated/DashboardEvent.ts` is generated from these types (feature `ts`).
//!
//! [`DashboardEvent::to_json`] writes the text sent: keys in sorted order at every level (through
//! a [`serde_json::Value`], whose maps are sorted), byte for byte what the node sent when the
//! events were built with `json!`.

use crate::chain_actor::{ChainEvent, ChainStatus};
use crate::mempool_actor::{MempoolEvent, TxOrigin};
use crate::miner_actor::MiningStatus;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::transaction::{Transaction, Transfer};
use serde::Serialize;

/// How many of a switch's newest connected blocks are sent as `block` events.
pub const MAX_BLOCK_EVENTS: usize = 16;

/// One message on `GET /events`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DashboardEvent {
    /// The first message of every session.
    Hello,
    /// In place of events skipped while the dashboard lagged: reload the state over HTTP.
    Resync,
    /// A block joined the best chain (the newest 16 of a switch).
    Block {
        /// The block in short.
        block: BlockSummary,
        /// Its transactions' ids, in order.
        #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
        txids: Vec<TxId>,
        /// The chain's status after the switch.
        status: ChainStatus,
    },
    /// The best chain switched branches.
    Reorg {
        /// The tip before.
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        old_tip: BlockHash,
        /// The tip after.
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        new_tip: BlockHash,
        /// The height of the last common block.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        fork_height: u64,
        /// The blocks that left the best chain, tip first as the switch lists them.
        #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
        disconnected: Vec<BlockHash>,
        /// The blocks that joined it.
        #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
        connected: Vec<BlockHash>,
    },
    /// A transfer entered the pool.
    Transaction {
        /// The transfer.
        transaction: Transfer,
        /// Where it came from.
        origin: TxOrigin,
        /// The pool's size after.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        mempool: usize,
    },
    /// Transfers left the pool (mined, invalidated, replaced or evicted).
    Mempool {
        /// Their ids.
        #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
        removed: Vec<TxId>,
        /// The pool's size after.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        mempool: usize,
    },
    /// The miner's state changed.
    Mining {
        /// The new state.
        mining: MiningStatus,
    },
    /// The node is stopping.
    Shutdown,
}

/// A block in short, as `block` events carry it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BlockSummary {
    /// Its height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_number: u64,
    /// Its hash.
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub hash: BlockHash,
    /// Its parent's hash.
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub last_hash: BlockHash,
    /// Its timestamp (unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp: u64,
    /// How many transactions it holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub transactions: usize,
    /// Its difficulty (leading zero hex digits, 6 decimals; 0 for unreadable bits).
    pub difficulty: f64,
    /// Who got the reward (address hex), if it has one.
    pub miner: Option<String>,
    /// The reward, whole coins.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub reward: Option<u64>,
    /// The coinbase data.
    pub data: String,
}

impl BlockSummary {
    /// Returns the summary of `b`.
    pub fn of(b: &Block) -> BlockSummary {
        BlockSummary {
            block_number: b.header.height.0,
            hash: b.hash(),
            last_hash: b.header.last_hash,
            timestamp: b.header.timestamp,
            transactions: b.transactions.len(),
            difficulty: b.header.bits.to_target().map(|t| (t.difficulty() * 1e6).round() / 1e6).unwrap_or(0.0),
            miner: b.reward().map(|r| r.output.address.to_hex()),
            reward: b.reward().map(|r| r.output.amount.0),
            data: b.reward().map(|r| r.coinbase.data.clone()).unwrap_or_default(),
        }
    }
}

impl DashboardEvent {
    /// Returns the events of a chain switch: `reorg` if blocks were disconnected, then one
    /// `block` for each of the newest [`MAX_BLOCK_EVENTS`] connected blocks.
    pub fn of_chain(event: &ChainEvent) -> Vec<DashboardEvent> {
        let s = &event.switch;
        let mut events = Vec::new();
        if s.is_reorg() {
            events.push(DashboardEvent::Reorg {
                old_tip: s.old_tip,
                new_tip: s.new_tip,
                fork_height: s.fork_height.0,
                disconnected: s.disconnected.iter().map(Block::hash).collect(),
                connected: s.connected.iter().map(Block::hash).collect(),
            });
        }
        let start = s.connected.len().saturating_sub(MAX_BLOCK_EVENTS);
        for b in &s.connected[start..] {
            events.push(DashboardEvent::Block {
                block: BlockSummary::of(b),
                txids: b.transactions.iter().map(Transaction::id).collect(),
                status: event.status.clone(),
            });
        }
        events
    }

    /// Returns the event of a change of the pool.
    pub fn of_mempool(event: MempoolEvent) -> DashboardEvent {
        match event {
            MempoolEvent::Accepted { tx, origin, size } => {
                DashboardEvent::Transaction { transaction: tx, origin, mempool: size }
            }
            MempoolEvent::Removed { ids, size } => DashboardEvent::Mempool { removed: ids, mempool: size },
        }
    }

    /// Returns the JSON text sent to dashboards (keys sorted at every level).
    pub fn to_json(&self) -> String {
        match serde_json::to_value(self) {
            Ok(value) => value.to_string(),
            // Every field serialises (no maps with non-string keys, no failing serialisers).
            Err(e) => {
                tracing::error!(error = %e, "a dashboard event did not serialise");
                r#"{"type":"resync"}"#.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_events_are_what_the_dashboard_expects() {
        assert_eq!(DashboardEvent::Hello.to_json(), r#"{"type":"hello"}"#);
        assert_eq!(DashboardEvent::Resync.to_json(), crate::events_session::RESYNC);
        assert_eq!(DashboardEvent::Shutdown.to_json(), r#"{"type":"shutdown"}"#);
        let removed = DashboardEvent::Mempool { removed: vec![TxId::default()], mempool: 3 };
        assert_eq!(removed.to_json(), format!(r#"{{"mempool":3,"removed":["{}"],"type":"mempool"}}"#, TxId::default()));
    }

    /// The events as HttpActor built them with `json!` before the enum: the oracle.
    fn legacy_chain_events(event: &ChainEvent) -> Vec<String> {
        use serde_json::json;
        let s = &event.switch;
        let mut out = Vec::new();
        if s.is_reorg() {
            out.push(json!({
                "type": "reorg",
                "old_tip": s.old_tip,
                "new_tip": s.new_tip,
                "fork_height": s.fork_height.0,
                "disconnected": s.disconnected.iter().map(|b| b.hash()).collect::<Vec<_>>(),
                "connected": s.connected.iter().map(|b| b.hash()).collect::<Vec<_>>(),
            }));
        }
        let start = s.connected.len().saturating_sub(16);
        for b in &s.connected[start..] {
            let txids: Vec<_> = b.transactions.iter().map(Transaction::id).collect();
            let summary = json!({
                "block_number": b.header.height.0,
                "hash": b.hash(),
                "last_hash": b.header.last_hash,
                "timestamp": b.header.timestamp,
                "transactions": b.transactions.len(),
                "difficulty": b.header.bits.to_target().map(|t| (t.difficulty() * 1e6).round() / 1e6).unwrap_or(0.0),
                "miner": b.reward().map(|r| r.output.address.to_hex()),
                "reward": b.reward().map(|r| r.output.amount.0),
                "data": b.reward().map(|r| r.coinbase.data.clone()).unwrap_or_default(),
            });
            out.push(json!({"type": "block", "block": summary, "txids": txids, "status": event.status}));
        }
        out.into_iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn chain_events_are_byte_for_byte_what_json_built() {
        use bitcoin_rust_core::chain::{Chain, ChainSwitch};
        use bitcoin_rust_core::store::memory::MemoryStore;
        use bitcoin_rust_core::testkit::{address, easy_params, next_block, pay, wallet};
        let p = easy_params();
        let mut chain = Chain::open(p.clone(), MemoryStore::new(&p)).expect("a chain");
        let genesis = chain.tip();
        let mut blocks = Vec::new();
        for i in 0..20u64 {
            let transfers = if i > 0 { vec![pay(&chain, &wallet(1), &[(address(2), 3)], 1)] } else { Vec::new() };
            let b = next_block(&chain, address(1), &transfers, 1_000);
            chain.process_block(b.clone(), 1_000_000 + i).expect("a valid block");
            blocks.push(b);
        }
        let status = ChainStatus {
            network: "t".into(),
            genesis,
            height: 20,
            tip: chain.tip(),
            tip_timestamp: 5,
            difficulty: 1.5,
            bits: 7,
            target: "00ff".into(),
            total_work: "123".into(),
            median_time_past: 4,
            orphans: 0,
            known_blocks: 21,
        };
        let switch = ChainSwitch {
            old_tip: blocks[1].hash(),
            new_tip: chain.tip(),
            fork_height: bitcoin_rust_core::amount::Height(1),
            disconnected: blocks[..2].to_vec(),
            connected: blocks.clone(),
            touched: Default::default(),
        };
        let event =
            ChainEvent { switch: std::sync::Arc::new(switch), status, origin: crate::chain_actor::BlockOrigin::Miner };
        let ours: Vec<String> = DashboardEvent::of_chain(&event).iter().map(DashboardEvent::to_json).collect();
        let legacy = legacy_chain_events(&event);
        assert_eq!(ours.len(), 17, "one reorg and the newest 16 blocks");
        assert_eq!(ours, legacy);
    }

    #[test]
    fn a_peer_origin_names_session_and_node() {
        let node = bitcoin_rust_core::handshake::NodeId::of(&bitcoin_rust_core::testkit::key(1));
        let tx = bitcoin_rust_core::testkit::wallet(1)
            .pay_many("t", 10, Default::default(), &[], bitcoin_rust_core::amount::Amount::ZERO, 1)
            .expect("an empty transfer");
        let event = DashboardEvent::Transaction {
            transaction: tx.clone(),
            origin: TxOrigin::Peer { session: 7, node },
            mempool: 1,
        };
        let expected = serde_json::json!({
            "type": "transaction", "transaction": tx, "origin": TxOrigin::Peer { session: 7, node }, "mempool": 1
        });
        assert_eq!(event.to_json(), expected.to_string());
        assert!(event.to_json().contains(&format!(r#""origin":{{"peer":{{"node":"{node}","session":7}}}}"#)));
    }
}
