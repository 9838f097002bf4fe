//! Read queries on the live chain: blocks by hash or height, where a transaction was confirmed,
//! the tip's state, and the block locator sent to peers. What peers ask for (blocks after a
//! locator, ranges) is answered from a store snapshot by [`super::read`].

use super::{Chain, ChainError, MAX_LOCATOR_LEN};
use crate::amount::Height;
use crate::block::Block;
use crate::hash::{BlockHash, TxId};
use crate::state::{LedgerOver, TxLocation};
use crate::store::ChainStore;

impl<S: ChainStore> Chain<S> {
    /// Returns a stored block (active or not).
    ///
    /// # Errors
    /// [`ChainError::Store`].
    pub fn block(&self, hash: &BlockHash) -> Result<Option<Block>, ChainError> {
        Ok(self.store.block(hash)?)
    }

    /// Returns the best chain's block at `height`.
    ///
    /// # Errors
    /// [`ChainError::Store`], or [`ChainError::Inconsistent`] if the body is missing.
    pub fn block_at(&self, height: Height) -> Result<Option<Block>, ChainError> {
        match self.hash_at(height) {
            Some(hash) => self.load_block(&hash).map(Some),
            None => Ok(None),
        }
    }

    /// Returns where a confirmed transaction is and how many confirmations it has (the
    /// transaction index is in the store, with the ledger's changes since it was written).
    ///
    /// # Errors
    /// [`ChainError::Store`].
    pub fn tx_location(&self, id: &TxId) -> Result<Option<(TxLocation, u64)>, ChainError> {
        let location = match self.ledger.pending_location(id) {
            Some(pending) => pending,
            None => self.store.indexed_txids(std::slice::from_ref(id))?.remove(id),
        };
        Ok(location.map(|loc| (loc, self.height().0.saturating_sub(loc.height.0) + 1)))
    }

    /// Returns the state at the tip as mempool policy and block building see it: the accounts,
    /// and which of `ids` are in the chain (read from the store at once).
    ///
    /// # Errors
    /// [`ChainError::Store`].
    pub fn tip_state(&self, ids: &[TxId]) -> Result<LedgerOver<'_>, ChainError> {
        Ok(LedgerOver::new(&self.ledger, self.store.indexed_txids(ids)?))
    }

    /// Returns a block locator: the tips of the side branches stored most recently (at most
    /// [`MAX_SIDE_TIPS_IN_LOCATOR`], newest first), then the best chain: the tip, then back by
    /// 1, 2, 4, … blocks, and genesis last; at most [`MAX_LOCATOR_LEN`] hashes. A peer answers
    /// from the first hash on its best chain: when it is sending a branch heavier than ours but
    /// longer than one batch, that is where its last batch ended, not the fork point again.
    pub fn locator(&self) -> Vec<BlockHash> {
        let mut out: Vec<BlockHash> = self.side_tips.iter().filter(|h| self.is_side_block(h)).copied().collect();
        let mut height = self.height().0 as i64;
        let mut step = 1i64;
        let mut taken = 0;
        while height > 0 && out.len() < MAX_LOCATOR_LEN - 1 {
            out.push(self.hash_of(self.active[height as usize]));
            taken += 1;
            if taken >= 10 {
                step *= 2;
            }
            height -= step;
        }
        out.push(self.genesis_hash());
        out
    }
}
