//! The block tree and fork choice: [`Chain`] holds every valid block it has seen (what fork
//! choice needs of each in a compact [`tree::BlockTree`] in memory; headers, bodies and the
//! transaction index in the [`ChainStore`]), follows the branch with the most cumulative work (ties
//! go to the block seen first), and switches branches with exact undo, writing each switch to the
//! store in one atomic commit. Blocks whose parent is unknown wait in a bounded orphan pool.
//!
//! Where a block goes: [`Chain::process_block`] checks its proof of work and body, holds it as an
//! orphan if its parent is unknown, checks its header against the parent (target, timestamps),
//! verifies its signatures, stores it, and then [`Chain`] activates the heaviest valid branch,
//! applying the state rules block by block ([`Ledger::connect_block`]).

mod orphans;
mod query;
pub mod read;
mod template;
mod tips;
mod tree;

pub use tips::{BlockStatus, ChainTip, ChainTips, TipStatus};
pub use tree::Slot;

use crate::address::Address;
use crate::amount::Height;
use crate::block::{genesis_block, Block, BlockHeader};
use crate::hash::{BlockHash, TxId};
use crate::merkle::merkle_root;
use crate::params::NetworkParams;
use crate::state::{Account, BlockUndo, Ledger};
use crate::store::{ChainCommit, ChainStore, StoreError};
use crate::target::{median_time_past, next_target, ScheduleClock, Target, Work, MEDIAN_TIME_SPAN};
use crate::transaction::{Transaction, Transfer};
use crate::validation::{check_block_body, check_header, check_proof_of_work, BlockError, HeaderContext, Invalidity};
use orphans::OrphanPool;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet, VecDeque};
use tree::BlockTree;

/// The most blocks held while their parent is unknown.
pub const DEFAULT_MAX_ORPHANS: usize = 256;
/// The most bytes of blocks held while their parent is unknown.
pub const DEFAULT_MAX_ORPHAN_BYTES: usize = 64 * 1024 * 1024;
/// The most hashes in a block locator.
pub const MAX_LOCATOR_LEN: usize = 64;
/// How many side-branch tips lead a block locator (see [`Chain::locator`]).
pub const MAX_SIDE_TIPS_IN_LOCATOR: usize = 8;
/// The most blocks one write of [`Chain::process_batch`] holds.
pub const BATCH_MAX_BLOCKS: usize = 500;
/// The most bytes of blocks (encoded) one write of [`Chain::process_batch`] holds: the store
/// keeps a write's pages in memory until it ends (the blocks, their undo records and index
/// entries), so this bounds that memory whatever the blocks' size. A write ends after the block
/// that reaches it.
pub const BATCH_MAX_BYTES: usize = 8 * 1024 * 1024;
/// How many refused block hashes are remembered.
pub const MAX_REMEMBERED_REJECTIONS: usize = 10_000;

/// Why the chain refused a block or failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The block broke a rule.
    #[error("block {hash} is invalid: {source}")]
    Invalid {
        /// The block.
        hash: BlockHash,
        /// The rule it broke.
        source: Box<BlockError>,
    },
    /// The block builds on a block known to be invalid.
    #[error("block {hash} builds on invalid block {ancestor}")]
    InvalidAncestor {
        /// The block.
        hash: BlockHash,
        /// Its invalid ancestor.
        ancestor: BlockHash,
    },
    /// The block is already known to be invalid.
    #[error("block {hash} is already known to be invalid")]
    KnownInvalid {
        /// The block.
        hash: BlockHash,
    },
    /// The storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store's contents do not form a chain.
    #[error("the stored chain is inconsistent: {0}")]
    Inconsistent(String),
}

impl ChainError {
    /// Returns the block rule that was broken, if this is a rule violation.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            ChainError::Invalid { source, .. } => Some(source.rule()),
            ChainError::InvalidAncestor { .. } | ChainError::KnownInvalid { .. } => Some("invalid_ancestor"),
            _ => None,
        }
    }
}

/// What the chain knows of one block in its tree (the rest of the header is in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block hash.
    pub hash: BlockHash,
    /// The height.
    pub height: Height,
    /// The parent's hash (zero for genesis).
    pub parent: BlockHash,
    /// The header's timestamp, ms.
    pub timestamp: u64,
    /// The target the header's bits encode.
    pub target: Target,
    /// Cumulative work from genesis through this block.
    pub chain_work: Work,
    /// The branch's schedule clock at this block (for the retarget rule).
    pub clock: ScheduleClock,
    /// Why the block is invalid, once it (or an ancestor) failed a state rule while being
    /// connected.
    pub invalid: Option<Invalidity>,
    /// Arrival order, for breaking ties of equal work (the block's [`Slot`]).
    pub seq: u64,
}

impl BlockInfo {
    /// Returns the height.
    pub fn height(&self) -> Height {
        self.height
    }
}

/// How the best chain changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSwitch {
    /// The tip before.
    pub old_tip: BlockHash,
    /// The tip after.
    pub new_tip: BlockHash,
    /// The height of the last block both chains share.
    pub fork_height: Height,
    /// Blocks that left the best chain, old tip first.
    pub disconnected: Vec<Block>,
    /// Blocks that joined the best chain, lowest first.
    pub connected: Vec<Block>,
    /// Every account the switch changed, with its state at the new tip.
    pub touched: HashMap<Address, Account>,
}

impl ChainSwitch {
    /// Returns true when blocks were disconnected (a reorganisation, not only an extension).
    pub fn is_reorg(&self) -> bool {
        !self.disconnected.is_empty()
    }

    /// The net change of this switch followed by `next`: blocks this one connected and `next`
    /// disconnects again cancel out; `touched` holds every account with its state after `next`.
    pub fn then(mut self, next: ChainSwitch) -> ChainSwitch {
        for block in next.disconnected {
            if self.connected.last().map(Block::hash) == Some(block.hash()) {
                self.connected.pop();
            } else {
                self.disconnected.push(block);
            }
        }
        self.connected.extend(next.connected);
        self.touched.extend(next.touched);
        self.fork_height = self.fork_height.min(next.fork_height);
        self.new_tip = next.new_tip;
        self
    }

    /// Returns the transfers of disconnected blocks that the new chain does not include, oldest
    /// first: the mempool may take them back.
    pub fn returned_transfers(&self) -> Vec<Transfer> {
        let confirmed: HashSet<TxId> =
            self.connected.iter().flat_map(|b| b.transactions.iter().map(|t| t.id())).collect();
        self.disconnected
            .iter()
            .rev()
            .flat_map(|b| b.transactions.iter())
            .filter_map(|t| match t {
                Transaction::Normal(t) if !confirmed.contains(&t.id) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A block to mine, from [`Chain::block_template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTemplate {
    /// The block, nonce 0.
    pub block: Block,
    /// The candidate transfers no block on the tip could include with this miner, with the
    /// rule each would break (not those left out only for lack of room).
    pub left_out: Vec<(TxId, BlockError)>,
}

/// Where a processed block ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// It was already in the tree or the orphan pool.
    AlreadyKnown,
    /// Its parent is unknown; it is held, and `missing` is the first unknown ancestor to fetch.
    Orphan {
        /// The hash to ask peers for.
        missing: BlockHash,
    },
    /// It joined the tree (it may or may not be on the best chain now).
    Stored,
}

/// The outcome of [`Chain::process_batch`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchProcessed {
    /// The blocks taken, in order, with where each went.
    pub placements: Vec<(BlockHash, Placement)>,
    /// The net change of the best chain over the batch ([`ChainSwitch::then`]).
    pub switch: Option<ChainSwitch>,
    /// Blocks found invalid on the way (state rules), as in [`Processed::invalid`].
    pub invalid: Vec<(BlockHash, BlockError)>,
}

/// A block of a batch that [`Chain::process_batch`] refused: the batch stopped there.
#[derive(Debug)]
pub struct BatchRefused {
    /// What the blocks before it did (they are kept).
    pub done: BatchProcessed,
    /// The refused block.
    pub hash: BlockHash,
    /// Why.
    pub error: ChainError,
}

/// The outcome of [`Chain::process_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// Where the block went.
    pub placement: Placement,
    /// How the best chain changed, if it did.
    pub switch: Option<ChainSwitch>,
    /// Blocks (this one, orphans it released, or their branch) found invalid on the way.
    pub invalid: Vec<(BlockHash, BlockError)>,
}

/// The block tree, the best chain and its ledger, over a store.
pub struct Chain<S: ChainStore> {
    params: NetworkParams,
    store: S,
    /// Every stored block: what fork choice needs of it, parents and children, candidate tips.
    tree: BlockTree,
    /// The best chain, genesis first: a slot of the tree per height.
    active: Vec<Slot>,
    ledger: Ledger,
    orphans: OrphanPool,
    /// Bodies accepted during the current `process_block`, so connecting them needs no read.
    fresh: HashMap<BlockHash, Block>,
    /// The blocks of `fresh` not stored yet, in the order they entered the tree: the next write
    /// to the store (a switch's commit, or [`ChainStore::put_blocks`] when nothing switches)
    /// stores them with it, so a block and the switch it causes are one write.
    unstored: Vec<BlockHash>,
    /// Blocks refused before they were stored, for a rule their header hash commits to, with
    /// the rule's name (bounded).
    rejected: HashMap<BlockHash, &'static str>,
    /// The tips of the side branches stored most recently (newest first, one per branch, at
    /// most [`MAX_SIDE_TIPS_IN_LOCATOR`]): a locator starts with them, so that a branch fetched
    /// in several batches is asked for from where its last batch ended.
    side_tips: VecDeque<BlockHash>,
}

impl<S: ChainStore> std::fmt::Debug for Chain<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("tip", &self.tip())
            .field("height", &self.height())
            .field("blocks", &self.tree.len())
            .finish()
    }
}

impl<S: ChainStore> Chain<S> {
    /// Opens the chain held by `store`: rebuilds the block tree from the stored headers
    /// (checking each header's proof of work and target again), takes the ledger as stored (no
    /// replay), and activates a heavier stored branch if a crash left one unconnected.
    ///
    /// # Errors
    /// [`ChainError::Store`] or [`ChainError::Inconsistent`].
    pub fn open(params: NetworkParams, store: S) -> Result<Chain<S>, ChainError> {
        params.validate().map_err(|e| ChainError::Inconsistent(format!("network parameters: {e}")))?;
        let mut chain = Chain {
            params,
            store,
            tree: BlockTree::default(),
            active: Vec::new(),
            ledger: Ledger::from_parts(HashMap::new(), HashMap::new()),
            orphans: OrphanPool::new(DEFAULT_MAX_ORPHANS, DEFAULT_MAX_ORPHAN_BYTES),
            fresh: HashMap::new(),
            unstored: Vec::new(),
            rejected: HashMap::new(),
            side_tips: VecDeque::new(),
        };
        chain.load_from_store()?;
        Ok(chain)
    }

    /// Rebuilds the tree, the best chain and the ledger from the store, as [`Chain::open`]
    /// does (the orphan pool and the remembered rejections, which the store does not hold,
    /// are kept): after a batch whose write failed, memory follows the store back.
    fn load_from_store(&mut self) -> Result<(), ChainError> {
        let loaded = self.store.load()?;
        let genesis = genesis_block(&self.params);
        let genesis_hash = genesis.hash();
        if self.store.genesis() != genesis_hash {
            return Err(ChainError::Inconsistent("the store belongs to another network".into()));
        }
        self.tree = BlockTree::default();
        self.active = Vec::new();
        self.ledger = Ledger::from_parts(loaded.accounts, HashMap::new());
        self.fresh.clear();
        self.unstored.clear();
        let chain = self;
        let mut headers = loaded.headers;
        headers.sort_by_key(|(h, _)| h.height);
        for (header, invalid) in headers {
            let hash = header.hash();
            if header.height == Height::GENESIS {
                if hash == genesis_hash {
                    chain.tree.insert(hash, &genesis.header, None, &chain.params);
                }
                continue;
            }
            let Some(parent) = chain.tree.slot(&header.last_hash) else {
                continue;
            };
            let inherited = chain.tree.why(parent).map(|why| why.inherited_from(header.last_hash));
            let ctx = chain.header_context(&header.last_hash, u64::MAX - chain.params.max_future_block_time_ms);
            let ok = ctx.map(|ctx| check_header(&header, &ctx, &chain.params).is_ok()).unwrap_or(false);
            if !ok {
                continue;
            }
            let slot = chain.tree.insert(hash, &header, Some(parent), &chain.params);
            if let Some(why) = invalid.or(inherited) {
                chain.tree.mark_invalid(slot, why);
            }
        }
        if chain.tree.slot(&genesis_hash).is_none() {
            return Err(ChainError::Inconsistent("the genesis block is missing".into()));
        }
        let mut active = Vec::with_capacity(loaded.active.len());
        for (height, hash) in loaded.active.iter().enumerate() {
            let slot = match chain.tree.slot(hash) {
                Some(slot) if chain.tree.node(slot).height.0 == height as u64 && !chain.tree.node(slot).invalid => slot,
                _ => {
                    return Err(ChainError::Inconsistent(format!(
                        "active block {hash} at height {height} is not a valid stored block"
                    )))
                }
            };
            if height > 0 && chain.tree.parent(slot) != active.last().copied() {
                return Err(ChainError::Inconsistent(format!("active block at height {height} does not link")));
            }
            active.push(slot);
        }
        if loaded.active.first() != Some(&genesis_hash) {
            return Err(ChainError::Inconsistent("the active chain does not start at genesis".into()));
        }
        drop(loaded.active);
        chain.active = active;
        chain.activate_best_chain()?;
        chain.side_tips = chain.stored_side_tips();
        Ok(())
    }

    /// Adds a block whose header was checked against its parent (in the tree) to the tree.
    fn insert_in_tree(&mut self, hash: BlockHash, header: &BlockHeader) -> Slot {
        let parent = self.tree.slot(&header.last_hash);
        self.tree.insert(hash, header, parent, &self.params)
    }

    /// Returns what the chain knows of the block in `slot`.
    fn info_at(&self, slot: Slot) -> BlockInfo {
        let node = self.tree.node(slot);
        BlockInfo {
            hash: node.hash,
            height: node.height,
            parent: self.tree.parent(slot).map(|p| self.tree.node(p).hash).unwrap_or_default(),
            timestamp: node.timestamp,
            target: node.target(),
            chain_work: node.chain_work,
            clock: node.clock,
            invalid: self.tree.why(slot).cloned(),
            seq: u64::from(slot),
        }
    }

    /// Returns the hash of the block in `slot`.
    fn hash_of(&self, slot: Slot) -> BlockHash {
        self.tree.node(slot).hash
    }

    /// Returns the network parameters.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// Returns the store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Consumes the chain and returns its store.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Returns the tip's hash.
    pub fn tip(&self) -> BlockHash {
        self.hash_of(self.tip_slot())
    }

    fn tip_slot(&self) -> Slot {
        *self.active.last().expect("the active chain always holds genesis")
    }

    /// Returns what is known of the tip.
    pub fn tip_info(&self) -> BlockInfo {
        self.info_at(self.tip_slot())
    }

    /// Returns the tip's height.
    pub fn height(&self) -> Height {
        Height(self.active.len() as u64 - 1)
    }

    /// Returns the genesis hash.
    pub fn genesis_hash(&self) -> BlockHash {
        self.hash_of(self.active[0])
    }

    /// Returns the ledger at the tip.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Returns an address's balance and nonce at the tip (O(1)).
    pub fn account(&self, address: &Address) -> Account {
        self.ledger.account(address)
    }

    /// Returns what is known of a block in the tree.
    pub fn info(&self, hash: &BlockHash) -> Option<BlockInfo> {
        self.tree.slot(hash).map(|slot| self.info_at(slot))
    }

    /// Returns the number of blocks in the tree.
    pub fn tree_len(&self) -> usize {
        self.tree.len()
    }

    /// Returns the number of orphans held.
    pub fn orphan_count(&self) -> usize {
        self.orphans.blocks.len()
    }

    /// Returns true if the block is on the best chain.
    pub fn is_active(&self, hash: &BlockHash) -> bool {
        self.tree.slot(hash).is_some_and(|slot| self.is_active_slot(slot))
    }

    fn is_active_slot(&self, slot: Slot) -> bool {
        self.active.get(self.tree.node(slot).height.0 as usize) == Some(&slot)
    }

    /// Returns the hash of the best chain's block at `height`.
    pub fn hash_at(&self, height: Height) -> Option<BlockHash> {
        self.active.get(height.0 as usize).map(|slot| self.hash_of(*slot))
    }

    fn load_block(&self, hash: &BlockHash) -> Result<Block, ChainError> {
        if let Some(b) = self.fresh.get(hash) {
            return Ok(b.clone());
        }
        self.store.block(hash)?.ok_or_else(|| ChainError::Inconsistent(format!("block body {hash} is missing")))
    }

    fn load_undo(&self, hash: &BlockHash) -> Result<BlockUndo, ChainError> {
        self.store.undo(hash)?.ok_or_else(|| ChainError::Inconsistent(format!("undo record of {hash} is missing")))
    }

    /// Returns the timestamps of `hash` and its ancestors, newest first, at most `n`.
    fn recent_timestamps(&self, slot: Slot, n: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(n);
        let mut cur = Some(slot);
        while let Some(s) = cur {
            out.push(self.tree.node(s).timestamp);
            if out.len() == n {
                break;
            }
            cur = self.tree.parent(s);
        }
        out
    }

    /// Returns the context a child of `parent` is checked in.
    pub fn header_context(&self, parent: &BlockHash, now_ms: u64) -> Option<HeaderContext> {
        let slot = self.tree.slot(parent)?;
        let p = self.tree.node(slot);
        let expected = next_target(&self.params, &p.point());
        Some(HeaderContext {
            parent_hash: *parent,
            parent_height: p.height,
            expected_bits: expected.to_compact(),
            median_time_past: median_time_past(&self.recent_timestamps(slot, MEDIAN_TIME_SPAN)),
            now_ms,
        })
    }

    /// Returns the target the next block on the tip must meet.
    pub fn next_target(&self) -> Target {
        next_target(&self.params, &self.tree.node(self.tip_slot()).point())
    }

    /// Returns the median time past of the tip.
    pub fn median_time_past(&self) -> u64 {
        median_time_past(&self.recent_timestamps(self.tip_slot(), MEDIAN_TIME_SPAN))
    }

    /// Checks a block and adds it to the tree, then follows the heaviest valid branch.
    ///
    /// # Errors
    /// [`ChainError::Invalid`] when the block itself breaks a rule checked before it is stored
    /// (proof of work, body, header against its parent, signatures), [`ChainError::KnownInvalid`]
    /// / [`ChainError::InvalidAncestor`], or [`ChainError::Store`]. State rules are applied when
    /// the block's branch becomes the heaviest; failures there are reported in
    /// [`Processed::invalid`].
    pub fn process_block(&mut self, block: Block, now_ms: u64) -> Result<Processed, ChainError> {
        self.fresh.clear();
        self.unstored.clear();
        let hash = block.hash();
        let known = Processed { placement: Placement::AlreadyKnown, switch: None, invalid: Vec::new() };
        if let Some(node) = self.tree.get(&hash) {
            if node.invalid {
                return Err(ChainError::KnownInvalid { hash });
            }
            return Ok(known);
        }
        if self.rejected.contains_key(&hash) {
            return Err(ChainError::KnownInvalid { hash });
        }
        if self.orphans.blocks.contains_key(&hash) {
            return Ok(known);
        }
        let invalid = |source| ChainError::Invalid { hash, source: Box::new(source) };
        check_proof_of_work(&block.header).map_err(invalid)?;
        // Once the ids computed from the content give the header's Merkle root, the content is
        // fixed by the block hash: a failure from here on can be remembered by hash.
        let computed_ids: Vec<TxId> =
            block.transactions.iter().map(|t| t.compute_id(&self.params.network_id)).collect();
        let bound = merkle_root(&computed_ids) == block.header.merkle_root;
        if let Err(e) = check_block_body(&block, &self.params, false) {
            self.remember_rejection(hash, bound, &e);
            return Err(invalid(e));
        }
        let parent = match self.tree.get(&block.header.last_hash) {
            None => {
                let missing = self.orphans.missing_root(&block);
                self.orphans.insert(block);
                return Ok(Processed { placement: Placement::Orphan { missing }, switch: None, invalid: Vec::new() });
            }
            Some(p) => p,
        };
        if parent.invalid {
            return Err(ChainError::InvalidAncestor { hash, ancestor: parent.hash });
        }
        if let Err(source) = self.accept_connected(block, now_ms) {
            self.remember_rejection(hash, bound, &source);
            return Err(invalid(source));
        }
        let mut invalid_found = Vec::new();
        let mut stored = vec![hash];
        let mut released = vec![hash];
        while let Some(parent_hash) = released.pop() {
            for child in self.orphans.take_children(&parent_hash) {
                let child_hash = child.hash();
                match self.accept_connected(child, now_ms) {
                    Ok(()) => {
                        stored.push(child_hash);
                        released.push(child_hash);
                    }
                    Err(e) => {
                        // Its own orphans can never connect now.
                        self.orphans.drop_descendants(&child_hash);
                        self.remember_rejection(child_hash, true, &e);
                        invalid_found.push((child_hash, e));
                    }
                }
            }
        }
        let mut activated = self.activate_best_chain();
        if !self.unstored.is_empty() {
            // No switch was written (none was due, or reading a branch failed): the new blocks
            // in one write of their own, so the tree holds only stored blocks.
            let blocks = self.take_unstored();
            if let Err(e) = self.store.put_blocks(&blocks) {
                self.forget_unstored(&blocks);
                if activated.is_ok() {
                    activated = Err(e.into());
                }
            }
        }
        self.fresh.clear();
        self.unstored.clear();
        let (switch, found) = activated?;
        invalid_found.extend(found);
        for h in stored {
            self.note_side_block(h);
        }
        Ok(Processed { placement: Placement::Stored, switch, invalid: invalid_found })
    }

    /// Processes `blocks` in order, as [`Chain::process_block`] does, writing them in batches of
    /// at most [`BATCH_MAX_BLOCKS`] blocks and about [`BATCH_MAX_BYTES`]: each batch is one durable write to the store (every block
    /// body, switch, undo record and ledger change of its blocks together), instead of one
    /// durable write per block. A crash in the middle leaves the tip of the last batch written:
    /// the tip before the call or one a batch reached, never a mix. Stops at the first block
    /// refused (the ones before it are kept). When a write fails, the blocks since the last
    /// batch written are dropped and the chain reloads from the store (memory follows the
    /// store back), and what is reported is what was stored.
    ///
    /// # Errors
    /// `Err(BatchRefused)` for a refused block (with what was done before it), or when the store
    /// fails (then the error is [`ChainError::Store`]).
    pub fn process_batch(&mut self, blocks: Vec<Block>, now_ms: u64) -> Result<BatchProcessed, Box<BatchRefused>> {
        let mut done = BatchProcessed::default();
        // What the batches written so far did: reported if a later write fails.
        let mut written = (0, 0, None::<ChainSwitch>);
        let mut batch_switch: Option<ChainSwitch> = None;
        let mut stopped: Option<(BlockHash, ChainError)> = None;
        let mut blocks = blocks.into_iter().peekable();
        while let Some(first) = blocks.peek().map(Block::hash) {
            if let Err(e) = self.store.begin_batch() {
                stopped = Some((first, ChainError::Store(e)));
                break;
            }
            let mut last = first;
            let (mut count, mut bytes) = (0, 0);
            while let Some(block) = blocks.next_if(|_| count < BATCH_MAX_BLOCKS && bytes < BATCH_MAX_BYTES) {
                count += 1;
                bytes += block.encoded_len();
                last = block.hash();
                match self.process_block(block, now_ms) {
                    Ok(p) => {
                        done.placements.push((last, p.placement));
                        done.invalid.extend(p.invalid);
                        batch_switch = then(batch_switch.take(), p.switch);
                    }
                    Err(error) => {
                        stopped = Some((last, error));
                        break;
                    }
                }
            }
            let failed_write = matches!(stopped, Some((_, ChainError::Store(_) | ChainError::Inconsistent(_))));
            let ended = if failed_write { Ok(()) } else { self.store.end_batch() };
            if let Err(e) = ended {
                stopped = Some((last, ChainError::Store(e)));
            }
            if failed_write || stopped.as_ref().is_some_and(|(_, e)| matches!(e, ChainError::Store(_))) {
                // Nothing of this batch was stored: memory goes back to what the store holds.
                self.store.abort_batch();
                if let Err(e) = self.load_from_store() {
                    stopped = Some((last, e));
                }
                done.placements.truncate(written.0);
                done.invalid.truncate(written.1);
                done.switch = written.2;
                return Err(Box::new(BatchRefused {
                    done,
                    hash: stopped.as_ref().map_or(last, |(h, _)| *h),
                    error: stopped.map_or_else(|| ChainError::Inconsistent("a batch write failed".into()), |(_, e)| e),
                }));
            }
            written = (done.placements.len(), done.invalid.len(), then(written.2.take(), batch_switch.take()));
            if stopped.is_some() {
                break;
            }
        }
        done.switch = written.2;
        match stopped {
            Some((hash, error)) => Err(Box::new(BatchRefused { done, hash, error })),
            None => Ok(done),
        }
    }

    /// Returns true for a valid block of the tree that is not on the best chain.
    fn is_side_block(&self, hash: &BlockHash) -> bool {
        self.tree.slot(hash).is_some_and(|slot| self.is_side_slot(slot))
    }

    fn is_side_slot(&self, slot: Slot) -> bool {
        !self.tree.node(slot).invalid && !self.is_active_slot(slot)
    }

    /// Remembers a newly stored block that stayed off the best chain as the tip of its branch
    /// (it replaces its parent, the branch's previous tip).
    fn note_side_block(&mut self, hash: BlockHash) {
        if !self.is_side_block(&hash) {
            return;
        }
        let parent =
            self.tree.slot(&hash).and_then(|s| self.tree.parent(s)).map(|p| self.hash_of(p)).unwrap_or_default();
        self.side_tips.retain(|h| *h != parent && *h != hash);
        self.side_tips.push_front(hash);
        self.side_tips.truncate(MAX_SIDE_TIPS_IN_LOCATOR);
    }

    /// Returns the tips of the stored side branches with the most work (valid blocks off the
    /// best chain without a valid child), most work first, at most
    /// [`MAX_SIDE_TIPS_IN_LOCATOR`]: after a restart, a branch half fetched is asked for from
    /// where it ended.
    fn stored_side_tips(&self) -> VecDeque<BlockHash> {
        let mut tips: Vec<Slot> = self
            .tree
            .slots()
            .filter(|s| self.is_side_slot(*s))
            .filter(|s| !self.tree.children(*s).any(|c| self.is_side_slot(c)))
            .collect();
        tips.sort_by_key(|s| (Reverse(self.tree.node(*s).chain_work), *s));
        tips.into_iter().take(MAX_SIDE_TIPS_IN_LOCATOR).map(|s| self.hash_of(s)).collect()
    }

    /// Remembers a refused block's hash when the failure is fixed by that hash (bounded; a
    /// future timestamp may become valid, so it is never remembered).
    fn remember_rejection(&mut self, hash: BlockHash, bound_to_hash: bool, e: &BlockError) {
        if !bound_to_hash || matches!(e, BlockError::TimestampTooFarInFuture { .. }) {
            return;
        }
        if self.rejected.len() >= MAX_REMEMBERED_REJECTIONS {
            self.rejected.clear();
        }
        self.rejected.insert(hash, e.rule());
    }

    /// Checks a block whose parent is in the tree against that parent, verifies its
    /// signatures and adds it to the tree; the next write to the store stores it.
    fn accept_connected(&mut self, block: Block, now_ms: u64) -> Result<(), BlockError> {
        let ctx = self
            .header_context(&block.header.last_hash, now_ms)
            .ok_or(BlockError::WrongParent { got: block.header.last_hash, expected: block.header.last_hash })?;
        check_header(&block.header, &ctx, &self.params)?;
        crate::validation::verify_signatures_parallel(&block, &self.params)?;
        let hash = block.hash();
        self.insert_in_tree(hash, &block.header);
        self.fresh.insert(hash, block);
        self.unstored.push(hash);
        Ok(())
    }

    /// Hands over the blocks accepted and not stored yet, for the write about to be made.
    fn take_unstored(&mut self) -> Vec<Block> {
        let hashes = std::mem::take(&mut self.unstored);
        hashes.iter().filter_map(|h| self.fresh.remove(h)).collect()
    }

    /// Forgets blocks a failed write did not store: they leave the tree (they are its newest
    /// blocks, and nothing was built on them since), so it holds only stored blocks.
    fn forget_unstored(&mut self, blocks: &[Block]) {
        if let Some(first) = blocks.iter().filter_map(|b| self.tree.slot(&b.hash())).min() {
            self.tree.truncate(first);
        }
    }

    /// Switches to the heaviest valid branch if it has more work than the tip. Returns the
    /// switch made (if any) and the blocks found invalid on the way.
    fn activate_best_chain(&mut self) -> Result<Activation, ChainError> {
        let mut invalid = Vec::new();
        loop {
            let Some((best_work, best)) = self.tree.best() else {
                return Ok((None, invalid));
            };
            let tip = self.tip_slot();
            if best == tip || best_work <= self.tree.node(tip).chain_work {
                return Ok((None, invalid));
            }
            match self.switch_to(best)? {
                Ok(switch) => return Ok((Some(switch), invalid)),
                Err((bad, rule)) => invalid.push((bad, rule)),
            }
        }
    }

    /// Tries to make `target` the tip, however deep the fork. On a state-rule failure the chain
    /// is left as it was, the failing block and its descendants are marked invalid (and stored
    /// so), and the failure is returned as the inner error.
    ///
    /// The switch walks block by block: each disconnected block is read from the store with
    /// its undo record, undone, and only the block is kept (the switch reports it); each
    /// connected block is read, connected, and kept with its new undo record (the commit writes
    /// it). Nothing is read ahead, so the memory a switch takes is the blocks it reports plus
    /// the undo records of the new branch. A read failing half-way (or a storage failure at the
    /// commit) puts the ledger back before the error is returned.
    #[allow(clippy::type_complexity)]
    fn switch_to(&mut self, target_slot: Slot) -> Result<Result<ChainSwitch, (BlockHash, BlockError)>, ChainError> {
        // The branch from the fork point (exclusive) to the target, lowest first: slots only.
        let target = self.hash_of(target_slot);
        let mut branch = Vec::new();
        let mut cur = target_slot;
        while !self.is_active_slot(cur) {
            branch.push(cur);
            cur = self
                .tree
                .parent(cur)
                .ok_or_else(|| ChainError::Inconsistent("a branch does not reach genesis".into()))?;
        }
        branch.reverse();
        let fork_height = self.tree.node(cur).height;
        let old_tip = self.tip();

        debug_assert!(self.ledger.txids().is_empty(), "the ledger's index changes are written before a switch");
        let mut touched: HashSet<Address> = HashSet::new();
        let mut txids: HashSet<TxId> = HashSet::new();
        let mut disconnected: Vec<Block> = Vec::new();
        while self.height() > fork_height {
            let hash = self.tip();
            let read = self.load_block(&hash).and_then(|b| Ok((b, self.load_undo(&hash)?)));
            let (block, undo) = match read {
                Ok(read) => read,
                Err(e) => {
                    self.rollback(&[], &disconnected)?;
                    return Err(e);
                }
            };
            touched.extend(undo.accounts.iter().map(|(a, _)| *a));
            txids.extend(block.transactions.iter().map(|t| t.id()));
            self.ledger.disconnect_block(&block, &undo);
            self.active.pop();
            disconnected.push(block);
        }
        let mut connected: Vec<(Block, BlockUndo)> = Vec::new();
        let mut failure = None;
        for slot in &branch {
            let hash = &self.hash_of(*slot);
            // The block's ids as the written transaction index has them (the ledger holds only
            // what changed since): one read for the whole block.
            let read = self.load_block(hash).and_then(|b| {
                let ids: Vec<TxId> = b.transactions.iter().map(|t| t.id()).collect();
                Ok((b, self.store.indexed_txids(&ids)?))
            });
            let (block, written) = match read {
                Ok(read) => read,
                Err(e) => {
                    self.rollback(&connected, &disconnected)?;
                    return Err(e);
                }
            };
            match self.ledger.connect_block_over(&block, &self.params, &written) {
                Ok(undo) => {
                    self.active.push(*slot);
                    connected.push((block, undo));
                }
                Err(rule) => {
                    failure = Some((*hash, rule));
                    break;
                }
            }
        }
        if let Some((bad, rule)) = failure {
            self.rollback(&connected, &disconnected)?;
            let bad_slot =
                self.tree.slot(&bad).ok_or_else(|| ChainError::Inconsistent(format!("{bad} left the tree")))?;
            let marked = self.tree.mark_invalid(bad_slot, Invalidity::Broke(rule.rule().to_string()));
            let commit = ChainCommit {
                blocks: self.take_unstored(),
                tip: self.tip(),
                first_height: self.height().next().unwrap_or(self.height()),
                active_from: Vec::new(),
                tip_height: self.height(),
                invalid: marked,
                ..ChainCommit::default()
            };
            if let Err(e) = self.store.commit(&commit) {
                self.forget_unstored(&commit.blocks);
                return Err(e.into());
            }
            self.ledger.index_written();
            return Ok(Err((bad, rule)));
        }
        for (block, undo) in &connected {
            touched.extend(undo.accounts.iter().map(|(a, _)| *a));
            txids.extend(block.transactions.iter().map(|t| t.id()));
        }
        let commit = ChainCommit {
            blocks: self.take_unstored(),
            tip: target,
            first_height: Height(fork_height.0 + 1),
            active_from: branch.iter().map(|s| self.hash_of(*s)).collect(),
            tip_height: self.height(),
            undo_put: connected.iter().map(|(b, u)| (b.hash(), u.clone())).collect(),
            undo_delete: disconnected.iter().map(|b| b.hash()).collect(),
            delta: self.ledger.delta_for(touched.iter(), txids.iter()),
            invalid: Vec::new(),
        };
        if let Err(e) = self.store.commit(&commit) {
            self.rollback(&connected, &disconnected)?;
            self.forget_unstored(&commit.blocks);
            return Err(e.into());
        }
        self.ledger.index_written();
        let touched = touched.iter().map(|a| (*a, self.ledger.account(a))).collect();
        Ok(Ok(ChainSwitch {
            old_tip,
            new_tip: target,
            fork_height,
            touched,
            disconnected,
            connected: connected.into_iter().map(|(b, _)| b).collect(),
        }))
    }

    /// Undoes `connected` (newest last) and reconnects `disconnected` (old tip first).
    fn rollback(&mut self, connected: &[(Block, BlockUndo)], disconnected: &[Block]) -> Result<(), ChainError> {
        for (block, undo) in connected.iter().rev() {
            self.ledger.disconnect_block(block, undo);
            self.active.pop();
        }
        for block in disconnected.iter().rev() {
            let hash = block.hash();
            self.ledger
                .connect_block(block, &self.params)
                .map_err(|e| ChainError::Inconsistent(format!("reconnecting {hash} failed: {e}")))?;
            let slot =
                self.tree.slot(&hash).ok_or_else(|| ChainError::Inconsistent(format!("{hash} left the tree")))?;
            self.active.push(slot);
        }
        // The ledger is where it was before the switch, and so is the store: the written index
        // is the whole index again.
        self.ledger.index_written();
        Ok(())
    }

    /// Replays the best chain from genesis with every rule and checks that the result equals
    /// the ledger held at the tip. Slow (linear in the chain); for tests and `--verify`.
    ///
    /// # Errors
    /// [`ChainError::Invalid`] for a block that fails, [`ChainError::Inconsistent`] when the
    /// replayed state differs.
    pub fn verify_by_replay(&self) -> Result<(), ChainError> {
        let mut ledger = Ledger::genesis(&self.params);
        for height in 1..self.active.len() {
            let hash = self.hash_of(self.active[height]);
            let block = self.load_block(&hash)?;
            if block.hash() != hash {
                return Err(ChainError::Inconsistent(format!("stored block at {height} hashes differently")));
            }
            let ctx = self
                .header_context(&block.header.last_hash, u64::MAX - self.params.max_future_block_time_ms)
                .ok_or_else(|| ChainError::Inconsistent(format!("parent of block {height} unknown")))?;
            let invalid = |source| ChainError::Invalid { hash, source: Box::new(source) };
            check_header(&block.header, &ctx, &self.params).map_err(invalid)?;
            check_block_body(&block, &self.params, true).map_err(invalid)?;
            ledger.connect_block(&block, &self.params).map_err(invalid)?;
        }
        if ledger.accounts() != self.ledger.accounts() {
            return Err(ChainError::Inconsistent("the stored accounts differ from a replay of the chain".into()));
        }
        let mut index = self.store.tx_index()?;
        self.ledger.apply_pending(&mut index);
        if &index != ledger.txids() {
            return Err(ChainError::Inconsistent(
                "the stored transaction index differs from a replay of the chain".into(),
            ));
        }
        Ok(())
    }
}

/// `before` followed by `next` as one switch ([`ChainSwitch::then`]).
fn then(before: Option<ChainSwitch>, next: Option<ChainSwitch>) -> Option<ChainSwitch> {
    match (before, next) {
        (Some(before), Some(next)) => Some(before.then(next)),
        (before, next) => before.or(next),
    }
}

/// The switch made by [`Chain::activate_best_chain`] and the blocks found invalid on the way.
type Activation = (Option<ChainSwitch>, Vec<(BlockHash, BlockError)>);
