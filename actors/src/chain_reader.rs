//! [`ChainReader`]: the chain's read side for the node. HTTP handlers, peer sessions, the
//! mempool and the wallet read blocks, accounts and transactions from a snapshot of the store
//! (one redb read transaction, `bitcoin_rust_core::chain::read`) on a blocking thread, instead
//! of queueing in the chain actor's mailbox behind validation. What only the live chain knows
//! (orphans, refused blocks, tips, the template) stays with [`crate::chain_actor::ChainActor`];
//! the first sightings of blocks are the one piece of state both sides touch: the chain actor
//! writes them, readers look one up, each under a lock held for one map operation.

use bitcoin_rust_core::chain::read::ReadError;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::seen::{FirstSeen, SeenFrom, Sightings};
use bitcoin_rust_core::store::redb_store::{RedbReader, RedbSnapshot};
use std::sync::{Arc, Mutex};

/// How many recent blocks' first sightings are remembered.
pub const BLOCK_SIGHTINGS: usize = 4_096;

/// Why a read did not answer.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// The query failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The blocking thread running it was lost (the runtime is shutting down).
    #[error("the read was cancelled: {0}")]
    Cancelled(String),
}

/// A cloneable handle on the chain's read side.
#[derive(Clone, Debug)]
pub struct ChainReader {
    store: RedbReader,
    sightings: Arc<Mutex<Sightings<BlockHash>>>,
}

impl ChainReader {
    /// A reader over `store`.
    pub fn new(store: RedbReader) -> ChainReader {
        ChainReader { store, sightings: Arc::new(Mutex::new(Sightings::new(BLOCK_SIGHTINGS))) }
    }

    /// Runs `query` on a fresh snapshot on a blocking thread (store reads and block decoding
    /// never run on an actor's or an HTTP worker's thread).
    ///
    /// # Errors
    /// [`ReaderError`] when the snapshot or the query fails.
    pub fn read<T, F>(&self, query: F) -> impl std::future::Future<Output = Result<T, ReaderError>> + 'static
    where
        T: Send + 'static,
        F: FnOnce(&RedbSnapshot) -> Result<T, ReadError> + Send + 'static,
    {
        let store = self.store.clone();
        async move {
            let job = tokio::task::spawn_blocking(move || -> Result<T, ReadError> { query(&store.snapshot()?) });
            job.await.map_err(|e| ReaderError::Cancelled(e.to_string()))?.map_err(ReaderError::from)
        }
    }

    /// Runs `query` on a fresh snapshot on this thread (for code already on a blocking thread,
    /// such as the peers' CPU pool).
    ///
    /// # Errors
    /// [`ReadError`] when the snapshot or the query fails.
    pub fn read_here<T>(&self, query: impl FnOnce(&RedbSnapshot) -> Result<T, ReadError>) -> Result<T, ReadError> {
        query(&self.snapshot()?)
    }

    /// Opens a snapshot of the last committed state on this thread, for a caller that runs
    /// several queries on it. It keeps the pages it reads from being reused until it is
    /// dropped: hold it briefly (until the next chain event at most).
    ///
    /// # Errors
    /// [`ReadError`] when the read transaction cannot start.
    pub fn snapshot(&self) -> Result<RedbSnapshot, ReadError> {
        Ok(self.store.snapshot()?)
    }

    /// Records a block's first sighting (the chain actor calls this once it took the block).
    pub fn note_block(&self, hash: BlockHash, at_ms: u64, from: SeenFrom) {
        if let Ok(mut s) = self.sightings.lock() {
            s.note(hash, at_ms, from);
        }
    }

    /// When and from where a recent block was first seen.
    pub fn block_first_seen(&self, hash: &BlockHash) -> Option<FirstSeen> {
        self.sightings.lock().ok().and_then(|s| s.get(hash))
    }
}
