//! The chain's read queries, answered from a [`ChainSnapshot`] (one committed state of the
//! store) instead of the live [`super::Chain`]: block views, an address's history, confirmed
//! transactions and their inclusion proofs, the blocks a peer asks for, and the accounts a
//! transfer touches. Readers never wait for validation, and every answer is consistent: it is
//! about one tip.

use crate::address::Address;
use crate::amount::Height;
use crate::block::Block;
use crate::hash::{BlockHash, TxId};
use crate::merkle::{merkle_proof, InclusionProof, MerkleProofError};
use crate::seen::FirstSeen;
use crate::state::{AccountsView, TxLocation};
use crate::store::{ChainSnapshot, StoreError};
use crate::transaction::Transaction;
use serde::Serialize;

/// Why a read query failed: never the asker's fault; one variant per cause.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The best chain names a block the store does not have.
    #[error("the block at height {0} is missing from the store")]
    MissingBlock(u64),
    /// The transaction index names a position past the end of its block.
    #[error("transaction {index} is missing from the block at height {height}")]
    MissingTransaction {
        /// The block's height.
        height: u64,
        /// The position the index names.
        index: u32,
    },
    /// The proof could not be built from the block's ids.
    #[error(transparent)]
    Proof(#[from] MerkleProofError),
}

/// Where a stored block stands, and the figures of its view.
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
    /// The subsidy part of the reward (0 for genesis, which pays nobody).
    pub subsidy: u64,
    /// The fees part of the reward.
    pub fees: u64,
    /// Size of the binary encoding.
    pub size: usize,
    /// Where it stands: `active`, `valid-fork`, `invalid` or `unknown-parent`.
    pub status: &'static str,
    /// The rule an invalid block broke (`invalid_ancestor` when an ancestor did).
    pub invalid_rule: Option<String>,
    /// When and from where this node first saw it (recent blocks only; filled in by the node).
    pub first_seen: Option<FirstSeen>,
}

/// A block by hash (any stored branch) or by height (the best chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRef {
    /// By hash.
    Hash(BlockHash),
    /// By height on the best chain.
    Height(u64),
}

/// The view of a stored block (`None` when the store does not hold it: it may still be an
/// orphan or a refused block, which only the live chain knows).
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn block_view<S: ChainSnapshot>(s: &S, block: BlockRef) -> Result<Option<BlockView>, ReadError> {
    let hash = match block {
        BlockRef::Hash(h) => h,
        BlockRef::Height(h) => match s.hash_at(Height(h))? {
            Some(h) => h,
            None => return Ok(None),
        },
    };
    let Some(block) = s.block(&hash)? else { return Ok(None) };
    let invalid = s.header(&hash)?.and_then(|(_, why)| why);
    let height = block.header.height;
    let tip = s.tip_height()?;
    let in_best_chain = invalid.is_none() && s.hash_at(height)? == Some(hash);
    let (status, invalid_rule) = match &invalid {
        Some(why) => ("invalid", Some(why.rule().to_string())),
        None if in_best_chain => ("active", None),
        None => ("valid-fork", None),
    };
    let confirmations = if in_best_chain { tip.0 - height.0 + 1 } else { 0 };
    let next_hash = if in_best_chain { s.hash_at(Height(height.0 + 1))? } else { None };
    let fees = block.fees().map(|f| f.0).unwrap_or(0);
    let subsidy = if block.reward().is_some() { s.params().subsidy(height).0 } else { 0 };
    let size = block.encoded_len();
    Ok(Some(BlockView {
        block,
        confirmations,
        in_best_chain,
        next_hash,
        subsidy,
        fees,
        size,
        status,
        invalid_rule,
        first_seen: None,
    }))
}

/// Up to `limit` blocks of the best chain from `from` upwards.
///
/// # Errors
/// [`ReadError`] when the store fails or misses a block of the best chain.
pub fn blocks_in_range<S: ChainSnapshot>(s: &S, from: Height, limit: usize) -> Result<Vec<Block>, ReadError> {
    let mut out = Vec::new();
    let mut h = from.0;
    while out.len() < limit {
        let Some(hash) = s.hash_at(Height(h))? else { break };
        out.push(s.block(&hash)?.ok_or(ReadError::MissingBlock(h))?);
        h += 1;
    }
    Ok(out)
}

/// The height of the last block of the best chain that appears in `locator` (0 if none:
/// genesis is shared by every node of the network).
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn fork_height_of_locator<S: ChainSnapshot>(s: &S, locator: &[BlockHash]) -> Result<Height, ReadError> {
    for hash in locator {
        if let Some((header, None)) = s.header(hash)? {
            if s.hash_at(header.height)? == Some(*hash) {
                return Ok(header.height);
            }
        }
    }
    Ok(Height::GENESIS)
}

/// What a peer asks for: blocks after its locator's fork point (or from a height, or from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlocksRequest {
    /// The peer's locator.
    pub locator: Option<Vec<BlockHash>>,
    /// Or a first height.
    pub from_height: Option<u64>,
    /// The most blocks.
    pub limit: usize,
    /// The most bytes (binary size, a lower bound of the JSON size); at least one block is
    /// always sent.
    pub max_bytes: usize,
}

/// Blocks of the best chain for a peer, bounded by count and bytes.
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn blocks_for_peer<S: ChainSnapshot>(s: &S, req: &BlocksRequest) -> Result<Vec<Block>, ReadError> {
    let from = match (&req.locator, req.from_height) {
        (Some(locator), _) => fork_height_of_locator(s, locator)?.0 + 1,
        (None, Some(h)) => h,
        (None, None) => 1,
    };
    let mut out = Vec::new();
    let mut bytes = 0usize;
    let mut h = from;
    while out.len() < req.limit {
        let Some(hash) = s.hash_at(Height(h))? else { break };
        let block = s.block(&hash)?.ok_or(ReadError::MissingBlock(h))?;
        bytes += block.encoded_len();
        if !out.is_empty() && bytes > req.max_bytes {
            break;
        }
        out.push(block);
        h += 1;
    }
    Ok(out)
}

/// A transaction of the best chain that involves an address.
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

/// Transactions of the best chain involving `address`, newest first, from blocks below
/// `before_height`: whole blocks until `limit` entries are found or [`MAX_HISTORY_SCAN`] blocks
/// were scanned (there is no address index; the scan is bounded so one request stays cheap).
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn history<S: ChainSnapshot>(
    s: &S,
    address: &Address,
    limit: usize,
    before_height: Option<u64>,
) -> Result<History, ReadError> {
    let mut entries = Vec::new();
    let top = before_height.unwrap_or(u64::MAX).min(s.tip_height()?.0 + 1);
    let bottom = top.saturating_sub(MAX_HISTORY_SCAN);
    let mut next_before = None;
    for h in (0..top).rev() {
        if entries.len() >= limit || h < bottom {
            next_before = Some(h + 1);
            break;
        }
        let Some(hash) = s.hash_at(Height(h))? else { continue };
        let block = s.block(&hash)?.ok_or(ReadError::MissingBlock(h))?;
        for tx in block.transactions.iter().rev() {
            let received: u64 = tx.outputs().iter().filter(|o| o.address == *address).map(|o| o.amount.0).sum();
            let spent = match tx {
                Transaction::Normal(t) if t.sender() == *address => Some(t.input.amount.0),
                _ => None,
            };
            if received > 0 || spent.is_some() {
                entries.push(HistoryEntry {
                    transaction: tx.clone(),
                    height: h,
                    block_hash: hash,
                    timestamp: block.header.timestamp,
                    received,
                    spent: spent.unwrap_or(0),
                });
            }
        }
    }
    Ok(History { entries, next_before: next_before.filter(|h| *h > 0) })
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

/// The block holding a confirmed transaction, with its location.
fn confirmed_block<S: ChainSnapshot>(s: &S, id: &TxId) -> Result<Option<(TxLocation, Block)>, ReadError> {
    let Some(loc) = s.tx_location(id)? else { return Ok(None) };
    let hash = s.hash_at(loc.height)?.ok_or(ReadError::MissingBlock(loc.height.0))?;
    let block = s.block(&hash)?.ok_or(ReadError::MissingBlock(loc.height.0))?;
    Ok(Some((loc, block)))
}

/// A transaction of the best chain, with its block and confirmations.
///
/// # Errors
/// [`ReadError`] when the store fails or its index disagrees with its blocks.
pub fn confirmed_tx<S: ChainSnapshot>(s: &S, id: &TxId) -> Result<Option<ConfirmedTx>, ReadError> {
    let Some((TxLocation { height, index }, block)) = confirmed_block(s, id)? else { return Ok(None) };
    let transaction = block
        .transactions
        .get(index as usize)
        .cloned()
        .ok_or(ReadError::MissingTransaction { height: height.0, index })?;
    let confirmations = s.tip_height()?.0 - height.0 + 1;
    Ok(Some(ConfirmedTx { transaction, height: height.0, block_hash: block.hash(), index, confirmations }))
}

/// The inclusion proof of a transaction of the best chain (`docs/PROTOCOL.md` §4.3.1).
///
/// # Errors
/// [`ReadError`] when the store fails or its index disagrees with its blocks.
pub fn tx_proof<S: ChainSnapshot>(s: &S, id: &TxId) -> Result<Option<InclusionProof>, ReadError> {
    let Some((TxLocation { height, index }, block)) = confirmed_block(s, id)? else { return Ok(None) };
    let path = merkle_proof(&block.txids(), index as usize)?;
    Ok(Some(InclusionProof {
        txid: *id,
        block_hash: block.hash(),
        height: height.0,
        index,
        merkle_root: block.header.merkle_root,
        path,
    }))
}

/// The accounts a transfer touches and whether it is confirmed, with the tip they are at.
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn accounts_at_tip<S: ChainSnapshot>(
    s: &S,
    addresses: &[Address],
    txid: Option<TxId>,
) -> Result<(AccountsView, BlockHash), ReadError> {
    let tip_height = s.tip_height()?;
    let tip = s.hash_at(tip_height)?.ok_or(ReadError::MissingBlock(tip_height.0))?;
    let mut view = AccountsView::default();
    for address in addresses {
        view.accounts.insert(*address, s.account(address)?);
    }
    if let Some(id) = txid {
        if s.tx_location(&id)?.is_some() {
            view.confirmed.insert(id);
        }
    }
    Ok((view, tip))
}

/// Which of `ids` are confirmed on the best chain.
///
/// # Errors
/// [`ReadError`] when the store fails.
pub fn filter_confirmed<S: ChainSnapshot>(s: &S, ids: &[TxId]) -> Result<Vec<TxId>, ReadError> {
    let mut out = Vec::new();
    for id in ids {
        if s.tx_location(id)?.is_some() {
            out.push(*id);
        }
    }
    Ok(out)
}
