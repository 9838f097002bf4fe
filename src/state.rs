//! The ledger state at the tip: balance and nonce per address, and the ids of the transactions
//! in the active chain; connecting a block applies the state rules and returns its exact undo.
//! A chain's ledger keeps only the accounts in memory: the transaction index lives in the store,
//! and the ledger holds what changed in it since it was last written out, so "is this id in the
//! chain?" is answered by the ledger over the entries the caller read from the store
//! ([`Ledger::connect_block_over`], [`LedgerOver`]).
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
use crate::transaction::{Transaction, Transfer, TxError};
use crate::validation::BlockError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

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

/// A ledger's own view: only the transactions connected since its index was last written out
/// count as confirmed (all of them for a ledger that is never written out). For a chain's
/// ledger use [`LedgerOver`] with the entries read from the store.
impl TipState for Ledger {
    fn account(&self, address: &Address) -> Account {
        Ledger::account(self, address)
    }

    fn is_confirmed(&self, id: &TxId) -> bool {
        self.txids.contains_key(id)
    }
}

/// A ledger seen together with the entries of the written transaction index that were read for
/// the ids in question: a transaction is confirmed when the ledger connected it since the index
/// was written, or when the index lists it and the ledger has not disconnected it since.
#[derive(Debug, Clone)]
pub struct LedgerOver<'a> {
    ledger: &'a Ledger,
    written: HashMap<TxId, TxLocation>,
}

impl<'a> LedgerOver<'a> {
    /// Sees `ledger` over `written`, the index entries read for the ids that will be asked about.
    pub fn new(ledger: &'a Ledger, written: HashMap<TxId, TxLocation>) -> LedgerOver<'a> {
        LedgerOver { ledger, written }
    }
}

impl TipState for LedgerOver<'_> {
    fn account(&self, address: &Address) -> Account {
        self.ledger.account(address)
    }

    fn is_confirmed(&self, id: &TxId) -> bool {
        self.ledger.is_confirmed_over(id, &self.written)
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

/// The balance and nonce of every address at one block, and the transaction index's changes
/// since it was last written out (for a ledger never written out: the whole index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    accounts: HashMap<Address, Account>,
    /// Transactions connected since the index was written out ([`Ledger::index_written`]).
    txids: HashMap<TxId, TxLocation>,
    /// Transactions disconnected since then: the written index may still list them.
    unconfirmed: HashSet<TxId>,
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
        Ledger { accounts, txids: HashMap::new(), unconfirmed: HashSet::new() }
    }

    /// Rebuilds a ledger from stored parts: the accounts, and the transactions to count as
    /// connected since the index was written (empty for a chain's ledger, whose index is in
    /// the store).
    pub fn from_parts(accounts: HashMap<Address, Account>, txids: HashMap<TxId, TxLocation>) -> Ledger {
        Ledger { accounts, txids, unconfirmed: HashSet::new() }
    }

    /// Returns an address's state (zero balance and nonce if it never appeared).
    pub fn account(&self, address: &Address) -> Account {
        self.accounts.get(address).copied().unwrap_or_default()
    }

    /// Returns an address's balance.
    pub fn balance(&self, address: &Address) -> Amount {
        self.account(address).balance
    }

    /// Returns what the ledger knows of a transaction beyond the written index: `Some(Some)`
    /// where it was connected since, `Some(None)` where it was disconnected since, `None` when
    /// the written index has the answer.
    pub fn pending_location(&self, id: &TxId) -> Option<Option<TxLocation>> {
        match self.txids.get(id) {
            Some(loc) => Some(Some(*loc)),
            None if self.unconfirmed.contains(id) => Some(None),
            None => None,
        }
    }

    /// Returns true if `id` is in the chain, given `written`: the written index's entries for
    /// the ids in question.
    pub fn is_confirmed_over(&self, id: &TxId, written: &HashMap<TxId, TxLocation>) -> bool {
        self.txids.contains_key(id) || (written.contains_key(id) && !self.unconfirmed.contains(id))
    }

    /// Applies the changes held since the index was written to `index`, a copy of the written
    /// index: the result is the whole index at this ledger's block.
    pub fn apply_pending(&self, index: &mut HashMap<TxId, TxLocation>) {
        for id in &self.unconfirmed {
            index.remove(id);
        }
        index.extend(self.txids.iter().map(|(id, loc)| (*id, *loc)));
    }

    /// Forgets the index changes held: the caller has written them out (a store commit of
    /// [`Ledger::delta_for`] the blocks connected and disconnected since the last one).
    pub fn index_written(&mut self) {
        self.txids = HashMap::new();
        self.unconfirmed = HashSet::new();
    }

    /// Returns every account.
    pub fn accounts(&self) -> &HashMap<Address, Account> {
        &self.accounts
    }

    /// Returns the transactions connected since the index was written (for a ledger never
    /// written out: the whole index).
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

    /// [`Ledger::connect_block_over`] for a ledger that holds its whole index (nothing written
    /// out).
    ///
    /// # Errors
    /// The first broken rule.
    pub fn connect_block(&mut self, block: &Block, params: &NetworkParams) -> Result<BlockUndo, BlockError> {
        self.connect_block_over(block, params, &HashMap::new())
    }

    /// Applies the state rules of `block` (which passed [`crate::validation::check_block_body`])
    /// and connects it: every transfer's nonce and amount against the state before the block,
    /// the reward equal to subsidy plus fees, no id already in the chain (in this ledger's
    /// changes, or in `written`: the written index's entries for the block's ids). On error the
    /// ledger is unchanged.
    ///
    /// # Errors
    /// The first broken rule.
    pub fn connect_block_over(
        &mut self,
        block: &Block,
        params: &NetworkParams,
        written: &HashMap<TxId, TxLocation>,
    ) -> Result<BlockUndo, BlockError> {
        let height = block.header.height;
        let mut touched: HashMap<Address, Account> = HashMap::new();
        let mut fees = Amount::ZERO;
        for (index, tx) in block.transactions.iter().enumerate() {
            if self.is_confirmed_over(&tx.id(), written) {
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
            self.unconfirmed.remove(&tx.id());
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
            self.unconfirmed.insert(tx.id());
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

/// A block being filled one transfer at a time against the state at its parent: the state rules
/// of [`Ledger::connect_block`] (no id twice or already in the chain, one spend per sender, nonce
/// and input amount at the parent, fees and reward within 64 bits, no balance overflowing)
/// applied to each candidate as it is offered, so a candidate that would make the block invalid
/// is refused and the block stays valid. Nothing is copied from the state: only the accounts the
/// block touches are looked at.
///
/// Each check is made when a transfer is offered, on the balances it changes (its sender, its
/// recipients and the miner, whose reward grows by its fee). A later spend only lowers an
/// account's final balance, so a block every offered transfer fitted in connects with
/// [`Ledger::connect_block`]; the check is at most stricter than the block rule (a credit that
/// overflows an account that spends later in the same block is refused).
#[derive(Debug)]
pub struct BlockScratch<'a, T: TipState + ?Sized> {
    tip: &'a T,
    subsidy: Amount,
    miner: Option<Address>,
    spenders: HashSet<Address>,
    credits: HashMap<Address, Amount>,
    ids: HashSet<TxId>,
    fees: Amount,
    transfers: usize,
}

impl<'a, T: TipState + ?Sized> BlockScratch<'a, T> {
    /// Starts an empty block on `tip` whose reward pays `subsidy` plus the fees to `miner`
    /// (`None`: the miner is not known, and its balance is not checked).
    pub fn new(tip: &'a T, subsidy: Amount, miner: Option<Address>) -> Self {
        BlockScratch {
            tip,
            subsidy,
            miner,
            spenders: HashSet::new(),
            credits: HashMap::new(),
            ids: HashSet::new(),
            fees: Amount::ZERO,
            transfers: 0,
        }
    }

    /// Returns the fees of the transfers added so far.
    pub fn fees(&self) -> Amount {
        self.fees
    }

    /// Returns the reward the block pays: subsidy plus fees (they fit in 64 bits: a transfer
    /// that would make them overflow is refused).
    pub fn reward(&self) -> Amount {
        self.subsidy.checked_add(self.fees).unwrap_or(self.subsidy)
    }

    /// Returns the number of transfers added.
    pub fn len(&self) -> usize {
        self.transfers
    }

    /// Returns true when no transfer was added.
    pub fn is_empty(&self) -> bool {
        self.transfers == 0
    }

    /// The final balance of `address` in the block, given the sender that is being added (its
    /// balance at the parent no longer counts), its credits and the reward.
    fn final_balance(
        &self,
        address: &Address,
        new_sender: &Address,
        credit: Amount,
        reward: Amount,
    ) -> Result<Amount, BlockError> {
        let base = if address == new_sender || self.spenders.contains(address) {
            Amount::ZERO
        } else {
            self.tip.account(address).balance
        };
        let paid = if self.miner.as_ref() == Some(address) { reward } else { Amount::ZERO };
        base.checked_add(credit)
            .and_then(|b| b.checked_add(paid))
            .ok_or(BlockError::BalanceOverflow { address: *address })
    }

    /// Checks whether the reward alone can be paid: the miner's balance must not overflow.
    ///
    /// # Errors
    /// [`BlockError::BalanceOverflow`] for the miner.
    pub fn check_reward(&self) -> Result<(), BlockError> {
        match self.miner {
            Some(miner) => {
                let credit = self.credits.get(&miner).copied().unwrap_or_default();
                let base = if self.spenders.contains(&miner) { Amount::ZERO } else { self.tip.account(&miner).balance };
                base.checked_add(credit)
                    .and_then(|b| b.checked_add(self.reward()))
                    .map(|_| ())
                    .ok_or(BlockError::BalanceOverflow { address: miner })
            }
            None => Ok(()),
        }
    }

    /// Adds `t` if the block stays valid with it; otherwise leaves the block as it was.
    ///
    /// # Errors
    /// The state rule the block would break with `t` in it (the index in
    /// [`BlockError::Transaction`] is the position `t` would have taken).
    pub fn try_add(&mut self, t: &Transfer) -> Result<(), BlockError> {
        let id = t.id;
        if self.ids.contains(&id) {
            return Err(BlockError::DuplicateTransaction { id });
        }
        if self.tip.is_confirmed(&id) {
            return Err(BlockError::TransactionAlreadyInChain { id });
        }
        let sender = t.sender();
        if self.spenders.contains(&sender) {
            return Err(BlockError::DuplicateSender { sender });
        }
        let index = self.transfers + 1;
        self.tip.check_spend(t).map_err(|source| BlockError::Transaction { index, id, source })?;
        if t.input.nonce == u64::MAX {
            let source = TxError::BadNonce { got: t.input.nonce, expected: u64::MAX };
            return Err(BlockError::Transaction { index, id, source });
        }
        let fees = self.fees.checked_add(t.input.fee).ok_or(BlockError::FeeOverflow)?;
        let reward = self.subsidy.checked_add(fees).ok_or(BlockError::FeeOverflow)?;
        // The block's credits with this transfer's (an address may appear twice in a transfer
        // that its own rules would refuse: the sum still counts).
        let mut credits: HashMap<Address, Amount> = HashMap::with_capacity(t.outputs.len());
        for o in &t.outputs {
            let before = match credits.get(&o.address) {
                Some(c) => *c,
                None => self.credits.get(&o.address).copied().unwrap_or_default(),
            };
            let after = before.checked_add(o.amount).ok_or(BlockError::BalanceOverflow { address: o.address })?;
            credits.insert(o.address, after);
        }
        let credit_of = |a: &Address| match credits.get(a) {
            Some(c) => *c,
            None => self.credits.get(a).copied().unwrap_or_default(),
        };
        let mut check: Vec<Address> = credits.keys().copied().collect();
        check.push(sender);
        check.extend(self.miner);
        for address in &check {
            self.final_balance(address, &sender, credit_of(address), reward)?;
        }
        self.credits.extend(credits);
        self.spenders.insert(sender);
        self.ids.insert(id);
        self.fees = fees;
        self.transfers += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{address, wallet};
    use crate::transaction::TxOutput;

    const MAX: u64 = u64::MAX;

    /// A transfer from wallet `from` (whose balance is `balance`, nonce `nonce`) paying `to`,
    /// with the change back to the sender.
    fn transfer(from: u64, balance: u64, nonce: u64, fee: u64, to: &[(Address, u64)]) -> Transfer {
        let paid: u64 = to.iter().map(|(_, a)| a).sum();
        let mut outputs = Vec::new();
        if balance - paid - fee > 0 {
            outputs.push(TxOutput { address: address(from), amount: Amount(balance - paid - fee) });
        }
        outputs.extend(to.iter().map(|(a, v)| TxOutput { address: *a, amount: Amount(*v) }));
        Transfer::sign("t", wallet(from).signing_key(), nonce, 0, Amount(balance), Amount(fee), outputs)
    }

    fn view(accounts: &[(u64, u64)]) -> AccountsView {
        let mut v = AccountsView::default();
        for (seed, balance) in accounts {
            v.accounts.insert(address(*seed), Account { balance: Amount(*balance), nonce: 0 });
        }
        v
    }

    /// A reward-only block at height 1 of `params`' network.
    fn reward_block(params: &NetworkParams) -> Block {
        let mut header = crate::block::genesis_block(params).header;
        header.height = Height(1);
        let reward = crate::transaction::Reward::new(
            &params.network_id,
            Height(1),
            address(9),
            params.subsidy(Height(1)),
            String::new(),
        );
        Block { header, transactions: vec![Transaction::Reward(reward)] }
    }

    #[test]
    fn the_written_index_counts_until_the_ledger_disconnects_what_it_lists() {
        let params = NetworkParams::default();
        let block = reward_block(&params);
        let id = block.transactions[0].id();
        let at = TxLocation { height: Height(1), index: 0 };
        let written = HashMap::from([(id, at)]);
        // The written index lists the id: a block carrying it again breaks the rule.
        let mut fresh = Ledger::new();
        assert_eq!(
            fresh.connect_block_over(&block, &params, &written),
            Err(BlockError::TransactionAlreadyInChain { id })
        );
        assert_eq!(fresh.pending_location(&id), None, "nothing pending: the written index has the answer");
        // A chain's ledger: connected, then written out.
        let mut ledger = Ledger::new();
        let undo = ledger.connect_block(&block, &params).unwrap();
        assert_eq!(ledger.pending_location(&id), Some(Some(at)));
        ledger.index_written();
        assert_eq!(ledger.pending_location(&id), None);
        assert!(ledger.is_confirmed_over(&id, &written));
        assert!(!ledger.is_confirmed(&id), "the ledger alone no longer holds it");
        // Disconnected: the written entry no longer counts, and the block may connect again.
        ledger.disconnect_block(&block, &undo);
        assert_eq!(ledger.pending_location(&id), Some(None));
        assert!(!ledger.is_confirmed_over(&id, &written));
        assert_eq!(ledger.delta_for([], [&id]).txids[&id], None, "writing it out removes the entry");
        let mut index = written.clone();
        ledger.apply_pending(&mut index);
        assert!(index.is_empty(), "the index at this ledger's block lacks it");
        let undo = ledger.connect_block_over(&block, &params, &written).unwrap();
        assert_eq!(ledger.pending_location(&id), Some(Some(at)));
        assert_eq!(ledger.delta_for([], [&id]).txids[&id], Some(at));
        ledger.apply_pending(&mut index);
        assert_eq!(index, written);
        // A scratch block over the written index refuses an id it lists.
        ledger.index_written();
        let t = transfer(1, 100, 0, 1, &[(address(2), 10)]);
        let over = LedgerOver::new(&ledger, HashMap::from([(t.id, at)]));
        assert!(over.is_confirmed(&t.id));
        assert_eq!(
            BlockScratch::new(&over, Amount(50), None).try_add(&t),
            Err(BlockError::TransactionAlreadyInChain { id: t.id })
        );
        ledger.disconnect_block(&block, &undo);
        assert!(!ledger.is_confirmed_over(&id, &written), "the block's own id, disconnected again");
    }

    #[test]
    fn a_scratch_block_takes_valid_transfers_and_adds_up_the_fees() {
        let tip = view(&[(1, 100), (2, 50)]);
        let mut s = BlockScratch::new(&tip, Amount(50), Some(address(9)));
        s.try_add(&transfer(1, 100, 0, 3, &[(address(2), 10)])).unwrap();
        // Wallet 2 spends its balance at the parent; the credit of this block does not count.
        s.try_add(&transfer(2, 50, 0, 2, &[(address(1), 48)])).unwrap();
        assert_eq!((s.len(), s.fees(), s.reward()), (2, Amount(5), Amount(55)));
        s.check_reward().unwrap();
    }

    #[test]
    fn a_scratch_block_refuses_what_would_break_a_block_rule_and_stays_as_it_was() {
        let mut tip = view(&[(1, 100), (2, 50)]);
        let t = transfer(1, 100, 0, 1, &[(address(3), 10)]);
        let mut s = BlockScratch::new(&tip, Amount(50), None);
        s.try_add(&t).unwrap();
        assert_eq!(s.try_add(&t), Err(BlockError::DuplicateTransaction { id: t.id }));
        let again = transfer(1, 100, 0, 2, &[(address(4), 10)]);
        assert_eq!(s.try_add(&again), Err(BlockError::DuplicateSender { sender: address(1) }));
        let stale = transfer(2, 50, 1, 1, &[(address(4), 10)]);
        assert!(matches!(
            s.try_add(&stale),
            Err(BlockError::Transaction { index: 2, source: TxError::BadNonce { got: 1, expected: 0 }, .. })
        ));
        let wrong_balance = transfer(2, 40, 0, 1, &[(address(4), 10)]);
        assert!(matches!(
            s.try_add(&wrong_balance),
            Err(BlockError::Transaction { source: TxError::BalanceMismatch { .. }, .. })
        ));
        assert_eq!((s.len(), s.fees()), (1, Amount(1)));
        tip.confirmed.insert(t.id);
        let s = &mut BlockScratch::new(&tip, Amount(50), None);
        assert_eq!(s.try_add(&t), Err(BlockError::TransactionAlreadyInChain { id: t.id }));
    }

    #[test]
    fn a_scratch_block_refuses_fees_that_overflow_the_reward() {
        let tip = view(&[(1, MAX), (2, 10)]);
        let mut s = BlockScratch::new(&tip, Amount(MAX - 5), None);
        s.try_add(&transfer(2, 10, 0, 5, &[(address(3), 5)])).unwrap();
        assert_eq!(s.try_add(&transfer(1, MAX, 0, 1, &[(address(3), 1)])), Err(BlockError::FeeOverflow));
        assert_eq!(s.reward(), Amount(MAX));
        // The fees themselves overflowing, with no subsidy.
        let mut s = BlockScratch::new(&tip, Amount::ZERO, None);
        s.try_add(&transfer(2, 10, 0, 9, &[(address(3), 1)])).unwrap();
        assert_eq!(s.try_add(&transfer(1, MAX, 0, MAX - 5, &[(address(3), 5)])), Err(BlockError::FeeOverflow));
        s.try_add(&transfer(1, MAX, 0, MAX - 9, &[(address(3), 9)])).unwrap();
        assert_eq!(s.reward(), Amount(MAX));
    }

    #[test]
    fn a_scratch_block_refuses_a_credit_that_overflows_a_balance() {
        let tip = view(&[(1, 100), (2, 100), (3, MAX - 10), (5, MAX - 1)]);
        let mut s = BlockScratch::new(&tip, Amount(50), None);
        // 10 fits; the next credit of 6 would make 16.
        s.try_add(&transfer(1, 100, 0, 1, &[(address(3), 10)])).unwrap();
        assert_eq!(
            s.try_add(&transfer(2, 100, 0, 1, &[(address(3), 1)])),
            Err(BlockError::BalanceOverflow { address: address(3) })
        );
        // An account that spends in the block keeps only its credits: wallet 5 can be paid.
        s.try_add(&transfer(5, MAX - 1, 0, 1, &[(address(6), MAX - 200)])).unwrap();
        s.try_add(&transfer(2, 100, 0, 1, &[(address(5), 99)])).unwrap();
        // Two outputs to one address (a transfer its own rules refuse) still add up.
        let twice = Transfer::sign(
            "t",
            wallet(1).signing_key(),
            0,
            0,
            Amount(100),
            Amount(0),
            vec![TxOutput { address: address(4), amount: Amount(MAX - 5) }; 2],
        );
        assert_eq!(
            BlockScratch::new(&tip, Amount(50), None).try_add(&twice),
            Err(BlockError::BalanceOverflow { address: address(4) })
        );
        // The miner's reward counts too.
        let tip = view(&[(1, 100), (9, MAX - 53)]);
        let mut s = BlockScratch::new(&tip, Amount(50), Some(address(9)));
        s.check_reward().unwrap();
        s.try_add(&transfer(1, 100, 0, 3, &[(address(2), 1)])).unwrap();
        let mut s2 = BlockScratch::new(&tip, Amount(50), Some(address(9)));
        assert_eq!(
            s2.try_add(&transfer(1, 100, 0, 4, &[(address(2), 1)])),
            Err(BlockError::BalanceOverflow { address: address(9) })
        );
        assert!(s2.is_empty());
        let full = view(&[(9, MAX - 49)]);
        assert_eq!(
            BlockScratch::new(&full, Amount(50), Some(address(9))).check_reward(),
            Err(BlockError::BalanceOverflow { address: address(9) })
        );
    }
}
