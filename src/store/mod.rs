//! Storage of the chain behind the [`ChainStore`] trait: block bodies, the active chain, the
//! ledger (accounts and transaction index), undo records and the tip.
//!
//! The contract that makes a node crash-safe: [`ChainStore::commit`] applies a whole
//! [`ChainCommit`] (every connect and disconnect of one chain switch, with the ledger delta and the
//! new tip) atomically, so after a crash the store holds the old tip with its state or the new tip
//! with its state, never a mix. Two implementations: [`memory::MemoryStore`] for tests and
//! [`redb_store::RedbStore`] for nodes.

pub mod memory;
pub mod redb_store;

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::block::{Block, BlockHeader, HEADER_LEN};
use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::{BlockHash, Hash256, TxId};
use crate::params::NetworkParams;
use crate::state::{Account, BlockUndo, LedgerDelta, TxLocation};
use crate::validation::Invalidity;
use std::collections::HashMap;

/// The version of the on-disk layout; a store of another version is refused.
pub const STORE_FORMAT_VERSION: u32 = 1;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a database of ours (damaged, or another program's).
    #[error("the database at {path} is damaged or not a bitcoin_rust database: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The database belongs to another network.
    #[error("the database holds the network with genesis {found}, but this node's genesis is {expected}")]
    WrongNetwork {
        /// Our genesis hash.
        expected: BlockHash,
        /// The database's genesis hash.
        found: BlockHash,
    },
    /// The database was written by another format version.
    #[error("the database format is version {found}, this node reads version {expected}")]
    WrongFormat {
        /// Our version.
        expected: u32,
        /// The database's version.
        found: u32,
    },
    /// The database is in use by another process.
    #[error("the database at {path} is already open in another process")]
    Locked {
        /// The file.
        path: String,
    },
    /// An I/O or engine failure.
    #[error("storage failure: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("stored {what} is unreadable: {source}")]
    Decode {
        /// What record.
        what: &'static str,
        /// The decoding error.
        source: DecodeError,
    },
    /// A record the chain needs is missing.
    #[error("stored {what} {key} is missing")]
    Missing {
        /// What record.
        what: &'static str,
        /// Its key.
        key: String,
    },
}

/// Everything one chain switch changes, written atomically by [`ChainStore::commit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainCommit {
    /// New blocks to store first, as [`ChainStore::put_block`] does (a block already stored
    /// is left as it is): the blocks that caused the switch, stored with it in one write.
    pub blocks: Vec<Block>,
    /// The tip after the switch.
    pub tip: BlockHash,
    /// The active chain from `first_height` on (replacing whatever was there).
    pub first_height: Height,
    /// The hashes of the active chain at `first_height`, `first_height + 1`, …
    pub active_from: Vec<BlockHash>,
    /// The height of the new tip; active entries above it are removed.
    pub tip_height: Height,
    /// Undo records of the newly connected blocks.
    pub undo_put: Vec<(BlockHash, BlockUndo)>,
    /// Undo records of disconnected blocks, no longer needed.
    pub undo_delete: Vec<BlockHash>,
    /// The net ledger change.
    pub delta: LedgerDelta,
    /// Blocks found invalid while connecting, with why.
    pub invalid: Vec<(BlockHash, Invalidity)>,
}

/// What a store holds when it is opened.
#[derive(Debug, Clone, Default)]
pub struct LoadedChain {
    /// Every stored header, with why the block is known invalid (`None`: not known invalid).
    pub headers: Vec<(BlockHeader, Option<Invalidity>)>,
    /// The active chain, by height (index 0 is genesis).
    pub active: Vec<BlockHash>,
    /// The ledger's accounts at the tip. (The transaction index is not loaded: it is read
    /// where it is needed, with [`ChainStore::indexed_txids`].)
    pub accounts: HashMap<Address, Account>,
}

/// Durable storage of a chain.
pub trait ChainStore {
    /// Returns the genesis hash the store was created for.
    fn genesis(&self) -> BlockHash;
    /// Loads everything the chain keeps in memory.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn load(&self) -> Result<LoadedChain, StoreError>;
    /// Returns the transaction index's entries for those of `ids` it lists (one read for all).
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn indexed_txids(&self, ids: &[TxId]) -> Result<HashMap<TxId, TxLocation>, StoreError>;
    /// Returns the whole transaction index (reads every entry: for verification only).
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn tx_index(&self) -> Result<HashMap<TxId, TxLocation>, StoreError>;
    /// Stores a block body (idempotent).
    ///
    /// # Errors
    /// [`StoreError`] on a failure.
    fn put_block(&mut self, block: &Block) -> Result<(), StoreError>;
    /// Stores several block bodies in one write (idempotent).
    ///
    /// # Errors
    /// [`StoreError`] on a failure; then none of them may be stored.
    fn put_blocks(&mut self, blocks: &[Block]) -> Result<(), StoreError> {
        blocks.iter().try_for_each(|b| self.put_block(b))
    }
    /// Returns a stored block.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError>;
    /// Returns a stored undo record.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn undo(&self, hash: &BlockHash) -> Result<Option<BlockUndo>, StoreError>;
    /// Applies a chain switch atomically.
    ///
    /// # Errors
    /// [`StoreError`] on a failure; then nothing of `commit` was applied.
    fn commit(&mut self, commit: &ChainCommit) -> Result<(), StoreError>;
    /// Starts a batch: every write until [`ChainStore::end_batch`] (commits and block bodies)
    /// joins one atomic write, made durable at its end, and the store's own reads see them
    /// meanwhile (other readers see the state before the batch). A crash before the end leaves
    /// the state before the batch. Starting a batch while one is open does nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the batch cannot be opened.
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Ends the batch: stores everything written since [`ChainStore::begin_batch`] in one
    /// durable write. Without an open batch, does nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the write fails, or when a write of the batch failed: then nothing
    /// of the batch is stored (the store is as it was when the batch began).
    fn end_batch(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Drops the open batch: the store is as it was when the batch began.
    fn abort_batch(&mut self) {}
}

/// A consistent, read-only view of the best chain as stored: every answer comes from one
/// committed state (for [`redb_store::RedbStore`], one redb read transaction), whatever the
/// writer commits meanwhile. This is the chain's read side: queries (block views, history,
/// blocks for peers, accounts, transaction look-ups; [`crate::chain::read`]) run on a snapshot
/// without waiting for validation.
pub trait ChainSnapshot {
    /// The network parameters.
    fn params(&self) -> &NetworkParams;
    /// The best chain's height.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn tip_height(&self) -> Result<Height, StoreError>;
    /// The hash of the best chain's block at `height`.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn hash_at(&self, height: Height) -> Result<Option<BlockHash>, StoreError>;
    /// A stored block, on any branch.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError>;
    /// A stored header, with why the block is known invalid (`None`: not known invalid).
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn header(&self, hash: &BlockHash) -> Result<Option<(BlockHeader, Option<Invalidity>)>, StoreError>;
    /// An account's state at the tip (zero when it never received anything).
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn account(&self, address: &Address) -> Result<Account, StoreError>;
    /// Where a transaction of the best chain is.
    ///
    /// # Errors
    /// [`StoreError`] on a failure or an unreadable record.
    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError>;
}

/// Encodes an account: balance u64, nonce u64.
pub fn encode_account(a: &Account) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.balance.0.to_be_bytes());
    out[8..].copy_from_slice(&a.nonce.to_be_bytes());
    out
}

/// Decodes an account.
///
/// # Errors
/// [`DecodeError`] on a wrong length.
pub fn decode_account(bytes: &[u8]) -> Result<Account, DecodeError> {
    let mut r = Reader::new(bytes);
    let a = Account { balance: Amount(r.u64()?), nonce: r.u64()? };
    r.finish()?;
    Ok(a)
}

/// Encodes a transaction location: height u64, index u32.
pub fn encode_location(l: &TxLocation) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&l.height.0.to_be_bytes());
    out[8..].copy_from_slice(&l.index.to_be_bytes());
    out
}

/// Decodes a transaction location.
///
/// # Errors
/// [`DecodeError`] on a wrong length.
pub fn decode_location(bytes: &[u8]) -> Result<TxLocation, DecodeError> {
    let mut r = Reader::new(bytes);
    let l = TxLocation { height: Height(r.u64()?), index: r.u32()? };
    r.finish()?;
    Ok(l)
}

/// Encodes an undo record: u32 count, then per account: address (33), present (u8), account (16).
pub fn encode_undo(u: &BlockUndo) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + u.accounts.len() * 50);
    w.u32(u.accounts.len() as u32);
    for (address, previous) in &u.accounts {
        w.bytes(address.as_bytes());
        match previous {
            Some(a) => w.u8(1).bytes(&encode_account(a)),
            None => w.u8(0),
        };
    }
    w.into_bytes()
}

/// Decodes an undo record.
///
/// # Errors
/// [`DecodeError`] on malformed bytes.
pub fn decode_undo(bytes: &[u8]) -> Result<BlockUndo, DecodeError> {
    let mut r = Reader::new(bytes);
    let count = r.u32()? as usize;
    let mut accounts = Vec::with_capacity(count.min(bytes.len() / 34 + 1));
    for _ in 0..count {
        let address = decode_address(r.take(33)?)?;
        let previous = match r.u8()? {
            0 => None,
            1 => Some(decode_account(r.take(16)?)?),
            tag => return Err(DecodeError::UnknownTag { what: "undo entry", tag }),
        };
        accounts.push((address, previous));
    }
    r.finish()?;
    Ok(BlockUndo { accounts })
}

/// Decodes a stored 33-byte address.
///
/// # Errors
/// [`DecodeError::Invalid`] if it is not a valid key.
pub fn decode_address(bytes: &[u8]) -> Result<Address, DecodeError> {
    let bytes: [u8; 33] = bytes
        .try_into()
        .map_err(|_| DecodeError::Invalid { what: "address", reason: format!("{} bytes", bytes.len()) })?;
    Address::from_compressed(bytes).map_err(|e| DecodeError::Invalid { what: "address", reason: e.to_string() })
}

/// Decodes a stored 32-byte hash.
///
/// # Errors
/// [`DecodeError::Invalid`] on a wrong length.
pub fn decode_hash(bytes: &[u8]) -> Result<Hash256, DecodeError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| DecodeError::Invalid { what: "hash", reason: format!("{} bytes", bytes.len()) })?;
    Ok(Hash256(arr))
}

/// The status byte of a header record: valid.
const RECORD_VALID: u8 = 0;
/// Invalid, reason not recorded (records written before reasons were kept).
const RECORD_INVALID_UNRECORDED: u8 = 1;
/// Invalid: broke the rule whose ASCII name follows.
const RECORD_INVALID_RULE: u8 = 2;
/// Invalid: the ancestor whose 32-byte hash follows broke a rule.
const RECORD_INVALID_ANCESTOR: u8 = 3;

/// Decodes a stored header record: 96 header bytes, one status byte (0 valid; 1 invalid, why
/// unrecorded; 2 invalid, the broken rule's ASCII name follows; 3 invalid, the 32-byte hash of
/// the ancestor that broke a rule follows).
///
/// # Errors
/// [`DecodeError`] on a wrong length or an unknown status.
pub fn decode_header_record(bytes: &[u8]) -> Result<(BlockHeader, Option<Invalidity>), DecodeError> {
    let bad = |reason: String| DecodeError::Invalid { what: "header record", reason };
    if bytes.len() < HEADER_LEN + 1 {
        return Err(bad(format!("{} bytes", bytes.len())));
    }
    let mut arr = [0u8; HEADER_LEN];
    arr.copy_from_slice(&bytes[..HEADER_LEN]);
    let tail = &bytes[HEADER_LEN + 1..];
    let status = match (bytes[HEADER_LEN], tail.len()) {
        (RECORD_VALID, 0) => None,
        (RECORD_INVALID_UNRECORDED, 0) => Some(Invalidity::Unrecorded),
        (RECORD_INVALID_RULE, 1..=64) if tail.iter().all(|b| b.is_ascii_lowercase() || *b == b'_') => {
            Some(Invalidity::Broke(String::from_utf8_lossy(tail).into_owned()))
        }
        (RECORD_INVALID_ANCESTOR, 32) => Some(Invalidity::Ancestor(BlockHash(decode_hash(tail)?))),
        (status, len) => return Err(bad(format!("status {status} with {len} trailing bytes"))),
    };
    Ok((BlockHeader::decode(&arr), status))
}

/// Encodes a header record (see [`decode_header_record`]).
pub fn encode_header_record(header: &BlockHeader, invalid: Option<&Invalidity>) -> Vec<u8> {
    let mut v = header.encode().to_vec();
    v.extend(encode_record_status(invalid));
    v
}

/// The status part of a header record (everything after the 96 header bytes).
pub fn encode_record_status(invalid: Option<&Invalidity>) -> Vec<u8> {
    match invalid {
        None => vec![RECORD_VALID],
        Some(Invalidity::Unrecorded) => vec![RECORD_INVALID_UNRECORDED],
        Some(Invalidity::Broke(rule)) => {
            let mut v = vec![RECORD_INVALID_RULE];
            v.extend(rule.bytes().take(64));
            v
        }
        Some(Invalidity::Ancestor(hash)) => {
            let mut v = vec![RECORD_INVALID_ANCESTOR];
            v.extend_from_slice(hash.as_bytes());
            v
        }
    }
}
