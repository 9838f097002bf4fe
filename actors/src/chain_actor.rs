//! [`ChainActor`]: owns the block tree, the ledger and the store ([`Chain`] over [`RedbStore`]).
//! Every block, whatever its source (miner, HTTP, peer), is validated here, and every change of
//! the best chain is published as a [`ChainEvent`] to the subscribers (mempool, miner, peers,
//! dashboard). It runs on its own arbiter so validation and disk writes never block HTTP workers.

use actix::prelude::*;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::{BatchRefused, BlockStatus, Chain, ChainError, ChainSwitch, ChainTips, Placement};
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::seen::SeenFrom;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::target::Target;
use bitcoin_rust_core::transaction::Transfer;
use serde::Serialize;
use std::sync::Arc;

use crate::chain_reader::ChainReader;
pub use bitcoin_rust_core::chain::read::BlockView;

pub use crate::clock::now_ms;

/// Where a block came from (for logs and peer penalties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockOrigin {
    /// Our own miner.
    Miner,
    /// A peer session.
    Peer {
        /// The session's number.
        session: u64,
        /// The peer's node id (proven by its handshake).
        node: NodeId,
    },
}

impl BlockOrigin {
    /// The source a first sighting records.
    pub fn seen_from(&self) -> SeenFrom {
        match self {
            BlockOrigin::Miner => SeenFrom::SelfNode,
            BlockOrigin::Peer { node, .. } => SeenFrom::Peer(*node),
        }
    }
}

/// A summary of the best chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChainStatus {
    /// The network's name.
    pub network: String,
    /// The genesis hash.
    pub genesis: BlockHash,
    /// The tip's height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// The tip's hash.
    pub tip: BlockHash,
    /// The tip's timestamp (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tip_timestamp: u64,
    /// The next block's difficulty as leading zero hex digits.
    pub difficulty: f64,
    /// The next block's compact target.
    pub bits: u32,
    /// The next block's target, hex.
    pub target: String,
    /// Cumulative work of the best chain, decimal.
    pub total_work: String,
    /// Median time past of the tip.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub median_time_past: u64,
    /// Blocks held while their parent is unknown.
    pub orphans: usize,
    /// Blocks in the tree (all branches).
    pub known_blocks: usize,
}

/// A change of the best chain, published to subscribers.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ChainEvent {
    /// The switch (connected and disconnected blocks, touched accounts).
    pub switch: Arc<ChainSwitch>,
    /// The status after it.
    pub status: ChainStatus,
    /// Where the block that caused it came from.
    pub origin: BlockOrigin,
}

/// Registers a recipient of [`ChainEvent`]s.
#[derive(Message)]
#[rtype(result = "ChainStatus")]
pub struct SubscribeChain(pub Recipient<ChainEvent>);

/// What happened to a submitted block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAccepted {
    /// Where it went.
    pub placement: Placement,
    /// True if the best chain changed.
    pub tip_changed: bool,
    /// The tip's height after it.
    pub height: u64,
}

/// Why a submitted block was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BlockRefused {
    /// It broke a rule (the peer that sent it misbehaved).
    #[error("{message}")]
    Invalid {
        /// The rule's name.
        rule: &'static str,
        /// The full error.
        message: String,
    },
    /// Its timestamp is too far in the future: it may become valid later, no penalty.
    #[error("{0}")]
    TooEarly(String),
    /// Storage failed (not the sender's fault).
    #[error("storage: {0}")]
    Storage(String),
}

impl From<ChainError> for BlockRefused {
    fn from(e: ChainError) -> Self {
        match &e {
            ChainError::Invalid { source, .. }
                if matches!(**source, bitcoin_rust_core::validation::BlockError::TimestampTooFarInFuture { .. }) =>
            {
                BlockRefused::TooEarly(e.to_string())
            }
            _ => match e.rule() {
                Some(rule) => BlockRefused::Invalid { rule, message: e.to_string() },
                None => BlockRefused::Storage(e.to_string()),
            },
        }
    }
}

/// Submits one block.
#[derive(Message)]
#[rtype(result = "Result<BlockAccepted, BlockRefused>")]
pub struct SubmitBlock {
    /// The block.
    pub block: Block,
    /// Its source.
    pub origin: BlockOrigin,
}

/// Submits a batch of blocks from a peer (a `CHAIN` answer): processed in order with one
/// durable write for the whole batch ([`Chain::process_batch`]) and one [`ChainEvent`] for its
/// net change. Stops at the first refused block.
#[derive(Message)]
#[rtype(result = "Result<BatchAccepted, BlockRefused>")]
pub struct SubmitBlocks {
    /// The blocks, lowest first.
    pub blocks: Vec<Block>,
    /// Their source.
    pub origin: BlockOrigin,
}

/// What happened to a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAccepted {
    /// How many blocks were new (stored or held as orphans).
    pub new_blocks: usize,
    /// True when the last block's parent is unknown (it is held as an orphan).
    pub orphan: bool,
    /// True if the best chain changed.
    pub tip_changed: bool,
}

/// Returns the chain status.
#[derive(Message)]
#[rtype(result = "ChainStatus")]
pub struct GetStatus;

/// What the live chain knows of a block the store does not hold.
#[derive(Debug, Clone)]
pub enum BlockLookup {
    /// Held in the orphan pool (its parent is unknown), with its view.
    Found(Box<BlockView>),
    /// It was refused before it was stored, for this rule; its body was not kept.
    Refused(&'static str),
    /// Never seen (or forgotten).
    Unknown,
}

/// Asks the live chain about a block the store does not hold: an orphan, or a block refused
/// before it was stored (the read side answers for every stored block).
#[derive(Message)]
#[rtype(result = "BlockLookup")]
pub struct GetUnstoredBlock(pub BlockHash);

/// Returns every tip of the block tree ([`Chain::chain_tips`]).
#[derive(Message)]
#[rtype(result = "ChainTips")]
pub struct GetChainTips;

/// Returns the block locator: the tips of recently stored side branches, then the best chain
/// ([`Chain::locator`]).
#[derive(Message)]
#[rtype(result = "Vec<BlockHash>")]
pub struct GetLocator;

/// A block to mine and its target.
#[derive(Debug, Clone)]
pub struct Template {
    /// The block, nonce 0.
    pub block: Block,
    /// Its target.
    pub target: Target,
    /// The candidate transfers no block on this tip could include with this miner: id, rule
    /// name and the full error (the miner has the pool drop them).
    pub left_out: Vec<(TxId, &'static str, String)>,
}

/// Builds a block template on the tip.
#[derive(Message)]
#[rtype(result = "Template")]
pub struct BuildTemplate {
    /// Who gets the reward.
    pub miner: Address,
    /// Candidate transfers, best first.
    pub transfers: Vec<Transfer>,
    /// Reward data text.
    pub data: String,
}

/// Stops the actor after dropping the chain (closing the database).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownChain;

/// Counts of what the chain actor has done since start (for `GET /metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChainCounters {
    /// Blocks connected to the best chain.
    pub blocks_connected: u64,
    /// Blocks disconnected by reorganisations.
    pub blocks_disconnected: u64,
    /// Reorganisations.
    pub reorgs: u64,
    /// Blocks refused for breaking a rule.
    pub blocks_refused: u64,
    /// Blocks refused for now because their timestamp is too far in the future (no rule broken
    /// yet: they may be valid later, and are not remembered).
    pub blocks_too_early: u64,
}

/// Returns the chain actor's counters.
#[derive(Message)]
#[rtype(result = "ChainCounters")]
pub struct GetChainCounters;

/// The actor owning the chain.
pub struct ChainActor {
    chain: Option<Chain<RedbStore>>,
    subscribers: Vec<Recipient<ChainEvent>>,
    counters: ChainCounters,
    reader: ChainReader,
}

impl ChainActor {
    /// Wraps an opened chain; `reader` is its read side (it records first sightings there).
    pub fn new(chain: Chain<RedbStore>, reader: ChainReader) -> ChainActor {
        ChainActor { chain: Some(chain), subscribers: Vec::new(), counters: ChainCounters::default(), reader }
    }

    fn chain(&self) -> &Chain<RedbStore> {
        self.chain.as_ref().expect("the chain is only taken at shutdown")
    }

    fn status(&self) -> ChainStatus {
        let c = self.chain();
        let tip = c.tip_info();
        let next = c.next_target();
        ChainStatus {
            network: c.params().network_id.clone(),
            genesis: c.genesis_hash(),
            height: c.height().0,
            tip: c.tip(),
            tip_timestamp: tip.timestamp,
            difficulty: (next.difficulty() * 1e6).round() / 1e6,
            bits: next.to_compact().0,
            target: next.to_hex(),
            total_work: tip.chain_work.to_decimal(),
            median_time_past: c.median_time_past(),
            orphans: c.orphan_count(),
            known_blocks: c.tree_len(),
        }
    }

    fn publish(&mut self, switch: ChainSwitch, origin: BlockOrigin) {
        let c = self.chain();
        tracing::info!(
            height = c.height().0,
            tip = %c.tip(),
            connected = switch.connected.len(),
            disconnected = switch.disconnected.len(),
            ?origin,
            "{}",
            if switch.is_reorg() { "chain reorganised" } else { "chain extended" }
        );
        self.counters.blocks_connected += switch.connected.len() as u64;
        self.counters.blocks_disconnected += switch.disconnected.len() as u64;
        self.counters.reorgs += u64::from(switch.is_reorg());
        let event = ChainEvent { switch: Arc::new(switch), status: self.status(), origin };
        self.subscribers.retain(|s| s.connected());
        for s in &self.subscribers {
            s.do_send(event.clone());
        }
    }
}

impl Actor for ChainActor {
    type Context = Context<Self>;
}

impl Handler<SubscribeChain> for ChainActor {
    type Result = MessageResult<SubscribeChain>;
    fn handle(&mut self, msg: SubscribeChain, _: &mut Context<Self>) -> Self::Result {
        self.subscribers.push(msg.0);
        MessageResult(self.status())
    }
}

impl Handler<SubmitBlock> for ChainActor {
    type Result = Result<BlockAccepted, BlockRefused>;
    fn handle(&mut self, msg: SubmitBlock, _: &mut Context<Self>) -> Self::Result {
        let hash = msg.block.hash();
        let chain = self.chain.as_mut().ok_or(BlockRefused::Storage("shutting down".into()))?;
        let processed = match chain.process_block(msg.block, now_ms()) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(block = %hash, origin = ?msg.origin, error = %e, "block refused");
                let refused = BlockRefused::from(e);
                match refused {
                    BlockRefused::Invalid { .. } => self.counters.blocks_refused += 1,
                    BlockRefused::TooEarly(_) => self.counters.blocks_too_early += 1,
                    BlockRefused::Storage(_) => {}
                }
                return Err(refused);
            }
        };
        if processed.placement != Placement::AlreadyKnown {
            self.reader.note_block(hash, now_ms(), msg.origin.seen_from());
        }
        self.counters.blocks_refused += processed.invalid.len() as u64;
        for (bad, rule) in &processed.invalid {
            tracing::warn!(block = %bad, rule = rule.rule(), error = %rule, "block failed a state rule");
        }
        let own_failure = processed.invalid.iter().find(|(h, _)| *h == hash).map(|(_, e)| e.clone());
        let tip_changed = processed.switch.is_some();
        if let Some(switch) = processed.switch {
            self.publish(switch, msg.origin);
        }
        if let Some(rule) = own_failure {
            return Err(BlockRefused::Invalid { rule: rule.rule(), message: rule.to_string() });
        }
        Ok(BlockAccepted { placement: processed.placement, tip_changed, height: self.chain().height().0 })
    }
}

impl Handler<SubmitBlocks> for ChainActor {
    type Result = Result<BatchAccepted, BlockRefused>;
    fn handle(&mut self, msg: SubmitBlocks, _: &mut Context<Self>) -> Self::Result {
        let chain = self.chain.as_mut().ok_or(BlockRefused::Storage("shutting down".into()))?;
        let now = now_ms();
        let (done, refused) = match chain.process_batch(msg.blocks, now) {
            Ok(done) => (done, None),
            Err(stop) => {
                let BatchRefused { done, hash, error } = *stop;
                tracing::warn!(block = %hash, origin = ?msg.origin, error = %error, "block refused");
                (done, Some(BlockRefused::from(error)))
            }
        };
        let from = msg.origin.seen_from();
        let new: Vec<BlockHash> =
            done.placements.iter().filter(|(_, p)| *p != Placement::AlreadyKnown).map(|(h, _)| *h).collect();
        for hash in &new {
            self.reader.note_block(*hash, now, from);
        }
        self.counters.blocks_refused += done.invalid.len() as u64;
        for (bad, rule) in &done.invalid {
            tracing::warn!(block = %bad, rule = rule.rule(), error = %rule, "block failed a state rule");
        }
        let own_failure = done.invalid.iter().find(|(h, _)| new.contains(h)).map(|(_, e)| e.clone());
        let orphan = matches!(done.placements.last(), Some((_, Placement::Orphan { .. })));
        let tip_changed = done.switch.is_some();
        if let Some(switch) = done.switch {
            self.publish(switch, msg.origin);
        }
        match refused {
            Some(r) => {
                match r {
                    BlockRefused::Invalid { .. } => self.counters.blocks_refused += 1,
                    BlockRefused::TooEarly(_) => self.counters.blocks_too_early += 1,
                    BlockRefused::Storage(_) => {}
                }
                Err(r)
            }
            None => match own_failure {
                Some(rule) => Err(BlockRefused::Invalid { rule: rule.rule(), message: rule.to_string() }),
                None => Ok(BatchAccepted { new_blocks: new.len(), orphan, tip_changed }),
            },
        }
    }
}

impl Handler<GetChainCounters> for ChainActor {
    type Result = MessageResult<GetChainCounters>;
    fn handle(&mut self, _: GetChainCounters, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.counters)
    }
}

impl Handler<GetStatus> for ChainActor {
    type Result = MessageResult<GetStatus>;
    fn handle(&mut self, _: GetStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status())
    }
}

impl Handler<GetUnstoredBlock> for ChainActor {
    type Result = MessageResult<GetUnstoredBlock>;
    fn handle(&mut self, msg: GetUnstoredBlock, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let hash = msg.0;
        if let Some(block) = c.orphan(&hash).cloned() {
            let view = BlockView {
                fees: block.fees().map(|f| f.0).unwrap_or(0),
                subsidy: if block.reward().is_some() { c.params().subsidy(block.header.height).0 } else { 0 },
                size: block.encoded_len(),
                block,
                confirmations: 0,
                in_best_chain: false,
                next_hash: None,
                status: BlockStatus::UnknownParent.name(),
                invalid_rule: None,
                first_seen: self.reader.block_first_seen(&hash),
            };
            return MessageResult(BlockLookup::Found(Box::new(view)));
        }
        MessageResult(match c.block_status(&hash) {
            Some(BlockStatus::Refused(rule)) => BlockLookup::Refused(rule),
            _ => BlockLookup::Unknown,
        })
    }
}

impl Handler<GetChainTips> for ChainActor {
    type Result = MessageResult<GetChainTips>;
    fn handle(&mut self, _: GetChainTips, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.chain().chain_tips())
    }
}

impl Handler<GetLocator> for ChainActor {
    type Result = MessageResult<GetLocator>;
    fn handle(&mut self, _: GetLocator, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.chain().locator())
    }
}

impl Handler<BuildTemplate> for ChainActor {
    type Result = MessageResult<BuildTemplate>;
    fn handle(&mut self, msg: BuildTemplate, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let template = c.block_template(msg.miner, &msg.transfers, &msg.data, now_ms());
        let left_out = template.left_out.into_iter().map(|(id, rule)| (id, rule.rule(), rule.to_string())).collect();
        MessageResult(Template { block: template.block, target: c.next_target(), left_out })
    }
}

impl Handler<ShutdownChain> for ChainActor {
    type Result = ();
    fn handle(&mut self, _: ShutdownChain, ctx: &mut Context<Self>) {
        if let Some(chain) = self.chain.take() {
            let height = chain.height();
            drop(chain);
            tracing::info!(height = height.0, "chain database closed");
        }
        ctx.stop();
    }
}
