//! [`ChainActor`]: owns the block tree, the ledger and the store ([`Chain`] over [`RedbStore`]).
//! Every block, whatever its source (miner, HTTP, peer), is validated here, and every change of
//! the best chain is published as a [`ChainEvent`] to the subscribers (mempool, miner, peers,
//! dashboard). It runs on its own arbiter so validation and disk writes never block HTTP workers.

use actix::prelude::*;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::{BlockStatus, Chain, ChainError, ChainSwitch, ChainTips, Placement};
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::merkle::{merkle_proof, InclusionProof};
use bitcoin_rust_core::seen::{FirstSeen, SeenFrom, Sightings};
use bitcoin_rust_core::state::{Account, AccountsView, TxLocation};
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::target::Target;
use bitcoin_rust_core::transaction::{Transaction, Transfer};
use serde::Serialize;
use std::sync::Arc;

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

/// Why a chain query (blocks, block views, history, a transaction) failed: never the asker's
/// fault (the answer is an internal error); one variant per cause.
#[derive(Debug, thiserror::Error)]
pub enum ChainQueryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ChainError),
    /// The index names a block the store does not have.
    #[error("the block at height {0} is missing from the store")]
    MissingBlock(u64),
    /// The index names a position past the end of its block.
    #[error("transaction {index} is missing from the block at height {height}")]
    MissingTransaction {
        /// The block's height.
        height: u64,
        /// The position the index names.
        index: u32,
    },
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

/// Returns the chain status.
#[derive(Message)]
#[rtype(result = "ChainStatus")]
pub struct GetStatus;

/// Returns blocks of the best chain by height, lowest first.
#[derive(Message)]
#[rtype(result = "Result<Vec<Block>, ChainQueryError>")]
pub struct GetBlockRange {
    /// The first height.
    pub from: u64,
    /// The most blocks.
    pub limit: usize,
}

/// A block reference: by hash or by height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRef {
    /// By hash (any branch).
    Hash(BlockHash),
    /// By height on the best chain.
    Height(u64),
}

/// A block with where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct BlockView {
    /// The block.
    #[serde(flatten)]
    pub block: Block,
    /// Confirmations (0 if not on the best chain).
    pub confirmations: u64,
    /// True if on the best chain.
    pub in_best_chain: bool,
    /// The next block on the best chain, if any.
    pub next_hash: Option<BlockHash>,
    /// The subsidy part of the reward.
    pub subsidy: u64,
    /// The fees part of the reward.
    pub fees: u64,
    /// Size of the binary encoding.
    pub size: usize,
    /// Where it stands: `active`, `valid-fork`, `invalid` or `unknown-parent`.
    pub status: &'static str,
    /// The rule an invalid block broke (`invalid_ancestor` when an ancestor did).
    pub invalid_rule: Option<String>,
    /// When and from where this node first saw it (recent blocks only).
    pub first_seen: Option<FirstSeen>,
}

/// What the node knows of a block asked for.
#[derive(Debug, Clone)]
pub enum BlockLookup {
    /// The block, with where it stands.
    Found(Box<BlockView>),
    /// It was refused before it was stored, for this rule; its body was not kept.
    Refused(&'static str),
    /// Never seen (or forgotten).
    Unknown,
}

/// Returns one block.
#[derive(Message)]
#[rtype(result = "Result<BlockLookup, ChainQueryError>")]
pub struct GetBlock(pub BlockRef);

/// Returns every tip of the block tree ([`Chain::chain_tips`]).
#[derive(Message)]
#[rtype(result = "ChainTips")]
pub struct GetChainTips;

/// How many recent blocks' first sightings the chain actor remembers.
pub const BLOCK_SIGHTINGS: usize = 4_096;

/// What the chain knows of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountAtTip {
    /// Balance and nonce.
    pub account: Account,
    /// The tip they are at.
    pub tip: BlockHash,
    /// Whether the asked transaction id is confirmed.
    pub confirmed: bool,
}

/// Returns an address's state and whether a transaction is confirmed, at the tip.
#[derive(Message)]
#[rtype(result = "AccountAtTip")]
pub struct GetAccount {
    /// The address.
    pub address: Address,
    /// A transaction id to look up too.
    pub txid: Option<TxId>,
}

/// Returns the accounts a transfer touches (sender and recipients) at the tip, and whether the
/// transfer is confirmed: what the mempool checks a transfer against.
#[derive(Message)]
#[rtype(result = "AccountsAtTip")]
pub struct GetTransferAccounts {
    /// The addresses (the sender first, then the recipients).
    pub addresses: Vec<Address>,
    /// The transfer's id.
    pub txid: TxId,
}

/// The answer to [`GetTransferAccounts`].
#[derive(Debug, Clone)]
pub struct AccountsAtTip {
    /// The accounts asked for, and whether the transfer is confirmed.
    pub view: AccountsView,
    /// The tip they are at.
    pub tip: BlockHash,
}

/// A transaction of the chain that involves an address.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The transaction.
    pub transaction: Transaction,
    /// Its block's height.
    pub height: u64,
    /// Its block's hash.
    pub block_hash: BlockHash,
    /// Its block's timestamp.
    pub timestamp: u64,
    /// Coins the address received in it.
    pub received: u64,
    /// Coins the address spent in it (the whole input amount, change included in `received`).
    pub spent: u64,
}

/// A page of an address's history.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The entries, newest first.
    pub entries: Vec<HistoryEntry>,
    /// Where to continue (`before` of the next page), if older blocks remain.
    pub next_before: Option<u64>,
}

/// How many blocks one history page scans at most.
pub const MAX_HISTORY_SCAN: u64 = 5_000;

/// Returns transactions of the best chain involving `address`, newest first, from blocks below
/// `before_height`: whole blocks until `limit` entries are found or [`MAX_HISTORY_SCAN`] blocks
/// were scanned (there is no address index; the scan is bounded so one request stays cheap).
#[derive(Message)]
#[rtype(result = "Result<History, ChainQueryError>")]
pub struct GetHistory {
    /// The address.
    pub address: Address,
    /// The most entries.
    pub limit: usize,
    /// Only blocks below this height.
    pub before_height: Option<u64>,
}

/// A confirmed transaction.
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmedTx {
    /// The transaction.
    pub transaction: Transaction,
    /// Its block's height.
    pub height: u64,
    /// Its block's hash.
    pub block_hash: BlockHash,
    /// Its position in the block.
    pub index: u32,
    /// Confirmations.
    pub confirmations: u64,
}

/// Returns a confirmed transaction.
#[derive(Message)]
#[rtype(result = "Result<Option<ConfirmedTx>, ChainQueryError>")]
pub struct GetTransaction(pub TxId);

/// Returns the inclusion proof of a confirmed transaction (`None` when it is not on the best
/// chain).
#[derive(Message)]
#[rtype(result = "Result<Option<InclusionProof>, String>")]
pub struct GetTxProof(pub TxId);

/// Returns which of the ids are confirmed.
#[derive(Message)]
#[rtype(result = "Vec<TxId>")]
pub struct FilterConfirmed(pub Vec<TxId>);

/// Returns the block locator: the tips of recently stored side branches, then the best chain
/// ([`Chain::locator`]).
#[derive(Message)]
#[rtype(result = "Vec<BlockHash>")]
pub struct GetLocator;

/// Returns blocks after a locator (or from a height), bounded by count and bytes.
#[derive(Message)]
#[rtype(result = "Result<Vec<Block>, ChainQueryError>")]
pub struct GetBlocksForPeer {
    /// The peer's locator.
    pub locator: Option<Vec<BlockHash>>,
    /// Or a first height.
    pub from_height: Option<u64>,
    /// The most blocks.
    pub limit: usize,
    /// The most bytes (binary size, a lower bound of the JSON size).
    pub max_bytes: usize,
}

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
    sightings: Sightings<BlockHash>,
}

impl ChainActor {
    /// Wraps an opened chain.
    pub fn new(chain: Chain<RedbStore>) -> ChainActor {
        ChainActor {
            chain: Some(chain),
            subscribers: Vec::new(),
            counters: ChainCounters::default(),
            sightings: Sightings::new(BLOCK_SIGHTINGS),
        }
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
            tip_timestamp: tip.header.timestamp,
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
            self.sightings.note(hash, now_ms(), msg.origin.seen_from());
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

impl Handler<GetBlockRange> for ChainActor {
    type Result = Result<Vec<Block>, ChainQueryError>;
    fn handle(&mut self, msg: GetBlockRange, _: &mut Context<Self>) -> Self::Result {
        self.chain().blocks_in_range(Height(msg.from), msg.limit).map_err(ChainQueryError::from)
    }
}

impl Handler<GetBlock> for ChainActor {
    type Result = Result<BlockLookup, ChainQueryError>;
    fn handle(&mut self, msg: GetBlock, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let block = match msg.0 {
            BlockRef::Hash(h) => match c.block(&h).map_err(ChainQueryError::from)? {
                Some(b) => Some(b),
                None => c.orphan(&h).cloned(),
            },
            BlockRef::Height(h) => c.block_at(Height(h)).map_err(ChainQueryError::from)?,
        };
        let Some(block) = block else {
            return Ok(match msg.0 {
                BlockRef::Hash(h) => match c.block_status(&h) {
                    Some(BlockStatus::Refused(rule)) => BlockLookup::Refused(rule),
                    _ => BlockLookup::Unknown,
                },
                BlockRef::Height(_) => BlockLookup::Unknown,
            });
        };
        let hash = block.hash();
        let status = c.block_status(&hash).unwrap_or(BlockStatus::UnknownParent);
        let in_best_chain = status == BlockStatus::Active;
        let height = block.header.height.0;
        let confirmations = if in_best_chain { c.height().0 - height + 1 } else { 0 };
        let next_hash = if in_best_chain { c.hash_at(Height(height + 1)) } else { None };
        let fees = block.fees().map(|f| f.0).unwrap_or(0);
        // Genesis pays nobody.
        let subsidy = if block.reward().is_some() { c.params().subsidy(block.header.height).0 } else { 0 };
        let size = block.encoded_len();
        let view = BlockView {
            block,
            confirmations,
            in_best_chain,
            next_hash,
            subsidy,
            fees,
            size,
            status: status.name(),
            invalid_rule: status.invalid_rule().map(str::to_string),
            first_seen: self.sightings.get(&hash),
        };
        Ok(BlockLookup::Found(Box::new(view)))
    }
}

impl Handler<GetChainTips> for ChainActor {
    type Result = MessageResult<GetChainTips>;
    fn handle(&mut self, _: GetChainTips, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.chain().chain_tips())
    }
}

impl Handler<GetAccount> for ChainActor {
    type Result = MessageResult<GetAccount>;
    fn handle(&mut self, msg: GetAccount, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        MessageResult(AccountAtTip {
            account: c.account(&msg.address),
            tip: c.tip(),
            confirmed: msg.txid.is_some_and(|id| c.tx_location(&id).is_some()),
        })
    }
}

impl Handler<GetTransferAccounts> for ChainActor {
    type Result = MessageResult<GetTransferAccounts>;
    fn handle(&mut self, msg: GetTransferAccounts, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let mut view = AccountsView::default();
        for address in msg.addresses {
            view.accounts.insert(address, c.account(&address));
        }
        if c.tx_location(&msg.txid).is_some() {
            view.confirmed.insert(msg.txid);
        }
        MessageResult(AccountsAtTip { view, tip: c.tip() })
    }
}

impl Handler<GetHistory> for ChainActor {
    type Result = Result<History, ChainQueryError>;
    fn handle(&mut self, msg: GetHistory, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let mut entries = Vec::new();
        let top = msg.before_height.unwrap_or(u64::MAX).min(c.height().0 + 1);
        let bottom = top.saturating_sub(MAX_HISTORY_SCAN);
        let mut next_before = None;
        for h in (0..top).rev() {
            if entries.len() >= msg.limit || h < bottom {
                next_before = Some(h + 1);
                break;
            }
            let Some(block) = c.block_at(Height(h)).map_err(ChainQueryError::from)? else { continue };
            let block_hash = block.hash();
            for tx in block.transactions.iter().rev() {
                let received: u64 = tx.outputs().iter().filter(|o| o.address == msg.address).map(|o| o.amount.0).sum();
                let sender = matches!(tx, Transaction::Normal(t) if t.sender() == msg.address);
                let spent = match tx {
                    Transaction::Normal(t) if sender => t.input.amount.0,
                    _ => 0,
                };
                if received > 0 || sender {
                    entries.push(HistoryEntry {
                        transaction: tx.clone(),
                        height: h,
                        block_hash,
                        timestamp: block.header.timestamp,
                        received,
                        spent,
                    });
                }
            }
        }
        Ok(History { entries, next_before: next_before.filter(|h| *h > 0) })
    }
}

impl Handler<GetTransaction> for ChainActor {
    type Result = Result<Option<ConfirmedTx>, ChainQueryError>;
    fn handle(&mut self, msg: GetTransaction, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let Some((TxLocation { height, index }, confirmations)) = c.tx_location(&msg.0) else {
            return Ok(None);
        };
        let block = c.block_at(height)?.ok_or(ChainQueryError::MissingBlock(height.0))?;
        let transaction = block
            .transactions
            .get(index as usize)
            .cloned()
            .ok_or(ChainQueryError::MissingTransaction { height: height.0, index })?;
        Ok(Some(ConfirmedTx { transaction, height: height.0, block_hash: block.hash(), index, confirmations }))
    }
}

impl Handler<GetTxProof> for ChainActor {
    type Result = Result<Option<InclusionProof>, String>;
    fn handle(&mut self, msg: GetTxProof, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let Some((TxLocation { height, index }, _)) = c.tx_location(&msg.0) else {
            return Ok(None);
        };
        let block = c.block_at(height).map_err(|e| e.to_string())?.ok_or("block missing")?;
        let path = merkle_proof(&block.txids(), index as usize).map_err(|e| e.to_string())?;
        Ok(Some(InclusionProof {
            txid: msg.0,
            block_hash: block.hash(),
            height: height.0,
            index,
            merkle_root: block.header.merkle_root,
            path,
        }))
    }
}

impl Handler<FilterConfirmed> for ChainActor {
    type Result = MessageResult<FilterConfirmed>;
    fn handle(&mut self, msg: FilterConfirmed, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        MessageResult(msg.0.into_iter().filter(|id| c.tx_location(id).is_some()).collect())
    }
}

impl Handler<GetLocator> for ChainActor {
    type Result = MessageResult<GetLocator>;
    fn handle(&mut self, _: GetLocator, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.chain().locator())
    }
}

impl Handler<GetBlocksForPeer> for ChainActor {
    type Result = Result<Vec<Block>, ChainQueryError>;
    fn handle(&mut self, msg: GetBlocksForPeer, _: &mut Context<Self>) -> Self::Result {
        let c = self.chain();
        let from = match (&msg.locator, msg.from_height) {
            (Some(locator), _) => c.fork_height_of_locator(locator).0 + 1,
            (None, Some(h)) => h,
            (None, None) => 1,
        };
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut h = from;
        while out.len() < msg.limit {
            let Some(block) = c.block_at(Height(h)).map_err(ChainQueryError::from)? else {
                break;
            };
            bytes += block.encoded_len();
            if !out.is_empty() && bytes > msg.max_bytes {
                break;
            }
            out.push(block);
            h += 1;
        }
        Ok(out)
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
