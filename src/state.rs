//! The ledger state at the tip: balance and nonce per address, and the ids of the transactions
//! in the active chain; connecting a block applies the state rules and returns its exact undo.
//!
//! Balances follow the first prototype's rule made sound: a transfer spends the sender's whole
//! balance at the parent block (`input.amount`), returns the change in an output to the sender,
//! and everything credited in the same block or later counts. As an account model: a spend sets
//! the sender's balance to zero and increments its nonce, then every output of the block is
//! credited. [`crate::oracle`] computes the same numbers by scanning the chain.

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::block::Block;
use crate::hash::TxId;
use crate::params::NetworkParams;
use crate::transaction::{Transaction, TxError};
use crate::validation::BlockError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One address's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Account {
    /// Coins the address can spend.
    pub balance: Amount,
    /// Count of the address's spends in the chain: the nonce its next transfer must carry.
    pub nonce: u64,
}

/// Where a confirmed transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// The height of its block in the active chain.
    pub height: Height,
    /// Its position in the block.
    pub index: u32,
}

/// What it takes to disconnect a block exactly: the previous state of every account it touched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockUndo {
    /// Each touched account and its state before the block (`None`: it did not exist).
    pub accounts: Vec<(Address, Option<Account>)>,
}

/// What mempool policy needs to know of the tip: accounts and which transactions are confirmed.
pub trait TipState {
    /// Returns an address's state at the tip.
    fn account(&self, address: &Address) -> Account;
    /// Returns true if the transaction is in the best chain.
    fn is_confirmed(&self, id: &TxId) -> bool;

    /// Checks a transfer's nonce and input amount against the tip.
    ///
    /// # Errors
    /// [`TxError::BadNonce`] or [`TxError::BalanceMismatch`].
    fn check_spend(&self, t: &crate::transaction::Transfer) -> Result<(), TxError> {
        let acct = self.account(&t.sender());
        if t.input.nonce != acct.nonce {
            return Err(TxError::BadNonce { got: t.input.nonce, expected: acct.nonce });
        }
        if t.input.amount != acct.balance {
            return Err(TxError::BalanceMismatch { claimed: t.input.amount, balance: acct.balance });
        }
        Ok(())
    }
}

impl TipState for Ledger {
    fn account(&self, address: &Address) -> Account {
        Ledger::account(self, address)
    }

    fn is_confirmed(&self, id: &TxId) -> bool {
        self.txids.contains_key(id)
    }
}

/// A view of a few accounts (for example those a chain switch touched, or one the mempool
/// asked the chain for); addresses not in it read as empty, and nothing reads as confirmed
/// unless listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountsView {
    /// The accounts known to the view.
    pub accounts: HashMap<Address, Account>,
    /// Transaction ids known to be confirmed.
    pub confirmed: std::collections::HashSet<TxId>,
}

impl TipState for AccountsView {
    fn account(&self, address: &Address) -> Account {
        self.accounts.get(address).copied().unwrap_or_default()
    }

    fn is_confirmed(&self, id: &TxId) -> bool {
        self.confirmed.contains(id)
    }
}

/// The balance and nonce of every address, and the transaction index, at one block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    accounts: HashMap<Address, Account>,
    txids: HashMap<TxId, TxLocation>,
}

/// The net effect of connecting or disconnecting blocks, for storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerDelta {
    /// Accounts with their new state (`None`: removed).
    pub accounts: HashMap<Address, Option<Account>>,
    /// Transaction index entries with their new value (`None`: removed).
    pub txids: HashMap<TxId, Option<TxLocation>>,
}

impl Ledger {
    /// Returns an empty ledger (the state at genesis of a network without allocations).
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Returns the state at genesis: the network's genesis allocations, each with nonce 0.
    pub fn genesis(params: &crate::params::NetworkParams) -> Ledger {
        let accounts =
            params.genesis_allocations.iter().map(|a| (a.address, Account { balance: a.amount, nonce: 0 })).collect();
        Ledger { accounts, txids: HashMap::new() }
    }

    /// Rebuilds a ledger from stored parts.
    pub fn from_parts(accounts: HashMap<Address, Account>, txids: HashMap<TxId, TxLocation>) -> Ledger {
        Ledger { accounts, txids }
    }

    /// Returns an address's state (zero balance and nonce if it never appeared).
    pub fn account(&self, address: &Address) -> Account {
        self.accounts.get(address).copied().unwrap_or_default()
    }

    /// Returns an address's balance.
    pub fn balance(&self, address: &Address) -> Amount {
        self.account(address).balance
    }

    /// Returns where a confirmed transaction is.
    pub fn tx_location(&self, id: &TxId) -> Option<TxLocation> {
        self.txids.get(id).copied()
    }

    /// Returns every account.
    pub fn accounts(&self) -> &HashMap<Address, Account> {
        &self.accounts
    }

    /// Returns the transaction index.
    pub fn txids(&self) -> &HashMap<TxId, TxLocation> {
        &self.txids
    }

    /// Returns the sum of all balances.
    pub fn total_supply(&self) -> Option<Amount> {
        Amount::checked_sum(self.accounts.values().map(|a| a.balance))
    }

    /// Checks a transfer's nonce and input amount against this state.
    ///
    /// # Errors
    /// [`TxError::BadNonce`] or [`TxError::BalanceMismatch`].
    pub fn check_spend(&self, t: &crate::transaction::Transfer) -> Result<(), TxError> {
        TipState::check_spend(self, t)
    }

    /// Applies the state rules of `block` (which passed [`crate::validation::check_block_body`])
    /// and connects it: every transfer's nonce and amount against the state before the block,
    /// the reward equal to subsidy plus fees, no id already in the chain. On error the ledger is
    /// unchanged.
    ///
    /// # Errors
    /// The first broken rule.
    pub fn connect_block(&mut self, block: &Block, params: &NetworkParams) -> Result<BlockUndo, BlockError> {
        let height = block.header.height;
        let mut touched: HashMap<Address, Account> = HashMap::new();
        let mut fees = Amount::ZERO;
        for (index, tx) in block.transactions.iter().enumerate() {
            if self.txids.contains_key(&tx.id()) {
                return Err(BlockError::TransactionAlreadyInChain { id: tx.id() });
            }
            if let Transaction::Normal(t) = tx {
                self.check_spend(t).map_err(|source| BlockError::Transaction { index, id: t.id, source })?;
                fees = fees.checked_add(t.input.fee).ok_or(BlockError::FeeOverflow)?;
                let entry = touched.entry(t.sender()).or_insert_with(|| self.account(&t.sender()));
                entry.balance = Amount::ZERO;
                entry.nonce = entry.nonce.checked_add(1).ok_or(BlockError::Transaction {
                    index,
                    id: t.id,
                    source: TxError::BadNonce { got: t.input.nonce, expected: u64::MAX },
                })?;
            }
        }
        let reward = block.reward().ok_or(BlockError::MissingReward)?;
        let expected = params.subsidy(height).checked_add(fees).ok_or(BlockError::FeeOverflow)?;
        if reward.output.amount != expected {
            return Err(BlockError::WrongReward { got: reward.output.amount, expected });
        }
        for tx in &block.transactions {
            for o in tx.outputs() {
                let entry = touched.entry(o.address).or_insert_with(|| self.account(&o.address));
                entry.balance =
                    entry.balance.checked_add(o.amount).ok_or(BlockError::BalanceOverflow { address: o.address })?;
            }
        }
        let mut undo = BlockUndo { accounts: Vec::with_capacity(touched.len()) };
        let mut touched: Vec<(Address, Account)> = touched.into_iter().collect();
        touched.sort_by_key(|(address, _)| *address);
        for (address, acct) in touched {
            let previous = self.accounts.insert(address, acct);
            undo.accounts.push((address, previous));
        }
        for (index, tx) in block.transactions.iter().enumerate() {
            self.txids.insert(tx.id(), TxLocation { height, index: index as u32 });
        }
        Ok(undo)
    }

    /// Disconnects `block`, the last connected block, using its undo.
    pub fn disconnect_block(&mut self, block: &Block, undo: &BlockUndo) {
        for (address, previous) in &undo.accounts {
            match previous {
                Some(acct) => self.accounts.insert(*address, *acct),
                None => self.accounts.remove(address),
            };
        }
        for tx in &block.transactions {
            self.txids.remove(&tx.id());
        }
    }

    /// Returns the current value of each touched account and transaction id, for writing the
    /// net effect of any number of connects and disconnects in one storage transaction.
    pub fn delta_for<'a>(
        &self,
        touched: impl IntoIterator<Item = &'a Address>,
        txids: impl IntoIterator<Item = &'a TxId>,
    ) -> LedgerDelta {
        let mut delta = LedgerDelta::default();
        for a in touched {
            delta.accounts.insert(*a, self.accounts.get(a).copied());
        }
        for id in txids {
            delta.txids.insert(*id, self.txids.get(id).copied());
        }
        delta
    }
}
