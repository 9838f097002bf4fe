//! Mempool policy as a plain data structure: which pending transfers a node keeps and offers
//! to miners. The actor that owns one lives in the node; the rules live here.
//!
//! - every transfer is checked in full (structure, signature, nonce and balance at the tip);
//! - a transfer no block could include is refused: one too large for a block next to its
//!   reward, one whose fee plus the subsidy overflows 64 bits, one crediting an account past
//!   2^64 − 1 at the tip, or any transfer when the network's blocks hold only a reward (these
//!   are block rules that the transfer's own rules do not cover);
//! - one pending spend per sender: a second one replaces the first only if it pays a higher fee;
//! - ordered by fee (highest first, then arrival) for mining;
//! - bounded in count and bytes: when full, the lowest fee is evicted, and a newcomer that does
//!   not pay more than what it would evict is refused;
//! - after a chain switch, what the new blocks included or made invalid is dropped, the rest is
//!   kept, and the transfers of abandoned blocks come back when they are still valid.

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::chain::ChainSwitch;
use crate::hash::TxId;
use crate::params::NetworkParams;
use crate::state::{AccountsView, TipState};
use crate::transaction::{CheckedTransfer, Transaction, Transfer, TxError};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

/// Limits of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolLimits {
    /// The most transfers held.
    pub max_count: usize,
    /// The most bytes (binary encoding) held.
    pub max_bytes: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        MempoolLimits { max_count: 5_000, max_bytes: 8 * 1024 * 1024 }
    }
}

/// Why the pool refused a transfer. Each variant is one policy rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The transfer breaks a transaction rule at the tip.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The same transfer is already pending.
    #[error("transaction {id} is already pending")]
    AlreadyPending {
        /// Its id.
        id: TxId,
    },
    /// The transfer is already in the chain.
    #[error("transaction {id} is already in the chain")]
    AlreadyConfirmed {
        /// Its id.
        id: TxId,
    },
    /// The sender has a pending spend paying at least as much.
    #[error("sender already has pending transaction {existing} with fee {existing_fee}; a replacement must pay more than that (got {fee})")]
    ReplacementFeeTooLow {
        /// The pending transfer.
        existing: TxId,
        /// Its fee.
        existing_fee: Amount,
        /// The newcomer's fee.
        fee: Amount,
    },
    /// The pool is full of transfers paying at least as much.
    #[error("the mempool is full; a transfer must pay more than {min_fee} to enter (got {fee})")]
    PoolFull {
        /// The fee that would have to be beaten.
        min_fee: Amount,
        /// The newcomer's fee.
        fee: Amount,
    },
    /// The transfer alone exceeds the pool's byte limit.
    #[error("the transaction is {got} bytes; the mempool holds at most {max}")]
    TooLarge {
        /// Its size.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// No block could include it: it does not fit in a block next to the block's reward (the
    /// block rule `block_too_large`).
    #[error("the transaction is {got} bytes; a block has room for at most {max} next to its reward")]
    TooLargeForBlock {
        /// Its size.
        got: usize,
        /// The room in a block.
        max: usize,
    },
    /// No block could include it: the network's blocks hold a reward and nothing else (the
    /// block rule `too_many_transactions`).
    #[error("blocks of this network hold at most {max} transaction, the reward: there is no room for a transfer")]
    NoRoomInBlocks {
        /// The network's `max_block_transactions`.
        max: usize,
    },
    /// No block could include it: its fee plus the block subsidy overflows a 64-bit amount (the
    /// block rule `fee_overflow`).
    #[error("the fee {fee} plus the block subsidy {subsidy} overflows a 64-bit amount")]
    FeeOverflow {
        /// The fee.
        fee: Amount,
        /// The largest subsidy of a block.
        subsidy: Amount,
    },
    /// No block could include it: it credits an account past 2^64 − 1 at the tip (the block rule
    /// `balance_overflow`).
    #[error("crediting {amount} to {address} overflows its balance {balance}")]
    BalanceOverflow {
        /// The credited account.
        address: Address,
        /// Its balance at the tip.
        balance: Amount,
        /// The credit.
        amount: Amount,
    },
}

impl MempoolError {
    /// Returns a short machine-readable name of the rule.
    pub fn rule(&self) -> &'static str {
        match self {
            MempoolError::Invalid(e) => e.rule(),
            MempoolError::AlreadyPending { .. } => "already_pending",
            MempoolError::AlreadyConfirmed { .. } => "already_confirmed",
            MempoolError::ReplacementFeeTooLow { .. } => "replacement_fee_too_low",
            MempoolError::PoolFull { .. } => "mempool_full",
            MempoolError::TooLarge { .. } => "transaction_too_large",
            MempoolError::TooLargeForBlock { .. } => "block_too_large",
            MempoolError::NoRoomInBlocks { .. } => "too_many_transactions",
            MempoolError::FeeOverflow { .. } => "fee_overflow",
            MempoolError::BalanceOverflow { .. } => "balance_overflow",
        }
    }
}

/// What [`Mempool::add`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Added {
    /// The sender's previous pending transfer, replaced.
    pub replaced: Option<TxId>,
    /// Transfers evicted to make room.
    pub evicted: Vec<TxId>,
}

/// What [`Mempool::on_chain_switch`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Revalidated {
    /// Pending transfers the new blocks include.
    pub included: Vec<TxId>,
    /// Pending transfers the new blocks made invalid, with the rule they now break.
    pub dropped: Vec<(TxId, MempoolError)>,
    /// Transfers of abandoned blocks taken back.
    pub restored: Vec<TxId>,
}

#[derive(Debug, Clone)]
struct Entry {
    tx: Transfer,
    size: usize,
    seq: u64,
}

/// The pending transfers.
#[derive(Debug, Clone, Default)]
pub struct Mempool {
    limits: MempoolLimits,
    params: NetworkParams,
    by_sender: HashMap<Address, Entry>,
    by_id: HashMap<TxId, Address>,
    by_fee: BTreeSet<(Amount, Reverse<u64>, TxId)>,
    bytes: usize,
    next_seq: u64,
}

impl Mempool {
    /// Returns an empty pool for a network with `params` (its block rules decide what a block
    /// could include).
    pub fn new(limits: MempoolLimits, params: &NetworkParams) -> Mempool {
        Mempool { limits, params: params.clone(), ..Mempool::default() }
    }

    /// Returns the most bytes a transfer may take to fit in a block next to a reward without
    /// data.
    pub fn max_transfer_bytes(params: &NetworkParams) -> usize {
        let overhead = crate::block::HEADER_LEN + 4 + crate::transaction::reward_encoded_len(0);
        params.max_block_bytes.saturating_sub(overhead)
    }

    /// Checks the block rules that a transfer's own rules and its spend at the tip leave open:
    /// would a block on `tip` have room for it, and could it include it without a sum
    /// overflowing? The miner is not known here, so the credit of the fee to the miner is left
    /// to the block template ([`crate::state::BlockScratch`]); the subsidy is the largest a
    /// block pays (block 1's), so a fee that passes fits any block's reward.
    ///
    /// # Errors
    /// [`MempoolError::NoRoomInBlocks`], [`MempoolError::TooLargeForBlock`],
    /// [`MempoolError::FeeOverflow`] or [`MempoolError::BalanceOverflow`].
    pub fn check_fits_a_block(&self, tx: &Transfer, size: usize, tip: &impl TipState) -> Result<(), MempoolError> {
        let params = &self.params;
        if params.max_block_transactions < 2 {
            return Err(MempoolError::NoRoomInBlocks { max: params.max_block_transactions });
        }
        let room = Self::max_transfer_bytes(params);
        if size > room {
            return Err(MempoolError::TooLargeForBlock { got: size, max: room });
        }
        let subsidy = params.subsidy(Height(1));
        if subsidy.checked_add(tx.input.fee).is_none() {
            return Err(MempoolError::FeeOverflow { fee: tx.input.fee, subsidy });
        }
        for o in &tx.outputs {
            Self::check_credit(tx, o, tip)?;
        }
        Ok(())
    }

    /// Checks one credit of `tx` against the recipient's balance at the tip (the sender's own
    /// balance is spent first, so its change never overflows).
    fn check_credit(tx: &Transfer, o: &crate::transaction::TxOutput, tip: &impl TipState) -> Result<(), MempoolError> {
        let balance = if o.address == tx.sender() { Amount::ZERO } else { tip.account(&o.address).balance };
        match balance.checked_add(o.amount) {
            Some(_) => Ok(()),
            None => Err(MempoolError::BalanceOverflow { address: o.address, balance, amount: o.amount }),
        }
    }

    /// Returns the number of pending transfers.
    pub fn len(&self) -> usize {
        self.by_sender.len()
    }

    /// Returns true when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_sender.is_empty()
    }

    /// Returns the bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Returns the limits.
    pub fn limits(&self) -> MempoolLimits {
        self.limits
    }

    /// Returns a pending transfer by id.
    pub fn get(&self, id: &TxId) -> Option<&Transfer> {
        self.by_id.get(id).and_then(|s| self.by_sender.get(s)).map(|e| &e.tx)
    }

    /// Returns the sender's pending transfer.
    pub fn pending_of(&self, sender: &Address) -> Option<&Transfer> {
        self.by_sender.get(sender).map(|e| &e.tx)
    }

    /// Returns the pending transfers, highest fee first (earliest first among equal fees).
    pub fn by_fee(&self) -> Vec<Transfer> {
        self.by_fee.iter().rev().filter_map(|(_, _, id)| self.get(id).cloned()).collect()
    }

    /// Checks every rule of `tx` (signature included), then adds it with [`Mempool::add`].
    ///
    /// # Errors
    /// The first rule it breaks; then the pool is unchanged.
    pub fn check_and_add(
        &mut self,
        tx: Transfer,
        tip: &impl TipState,
        params: &NetworkParams,
    ) -> Result<Added, MempoolError> {
        self.add(CheckedTransfer::check(tx, params)?, tip)
    }

    /// Checks a transfer whose stateless rules were checked against the tip and the pool's
    /// policy, and adds it.
    ///
    /// # Errors
    /// The first rule it breaks; then the pool is unchanged.
    pub fn add(&mut self, tx: CheckedTransfer, tip: &impl TipState) -> Result<Added, MempoolError> {
        let tx = tx.into_inner();
        if self.by_id.contains_key(&tx.id) {
            return Err(MempoolError::AlreadyPending { id: tx.id });
        }
        if tip.is_confirmed(&tx.id) {
            return Err(MempoolError::AlreadyConfirmed { id: tx.id });
        }
        tip.check_spend(&tx)?;
        let size = Transaction::Normal(tx.clone()).encoded_len();
        self.check_fits_a_block(&tx, size, tip)?;
        if size > self.limits.max_bytes {
            return Err(MempoolError::TooLarge { got: size, max: self.limits.max_bytes });
        }
        let replaced = match self.by_sender.get(&tx.sender()) {
            Some(existing) if tx.input.fee <= existing.tx.input.fee => {
                return Err(MempoolError::ReplacementFeeTooLow {
                    existing: existing.tx.id,
                    existing_fee: existing.tx.input.fee,
                    fee: tx.input.fee,
                })
            }
            Some(existing) => Some((existing.tx.id, existing.size)),
            None => None,
        };
        // Plan evictions before changing anything.
        let mut count = self.len() - usize::from(replaced.is_some());
        let mut bytes = self.bytes - replaced.map_or(0, |(_, s)| s);
        let mut evict = Vec::new();
        for (fee, _, id) in self.by_fee.iter() {
            if count < self.limits.max_count && bytes + size <= self.limits.max_bytes {
                break;
            }
            if Some(*id) == replaced.map(|(id, _)| id) {
                continue;
            }
            if *fee >= tx.input.fee {
                return Err(MempoolError::PoolFull { min_fee: *fee, fee: tx.input.fee });
            }
            let sender = self.by_id[id];
            evict.push(*id);
            count -= 1;
            bytes -= self.by_sender[&sender].size;
        }
        if let Some((old, _)) = replaced {
            self.remove(&old);
        }
        for id in &evict {
            self.remove(id);
        }
        self.insert(tx, size);
        Ok(Added { replaced: replaced.map(|(id, _)| id), evicted: evict })
    }

    fn insert(&mut self, tx: Transfer, size: usize) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_fee.insert((tx.input.fee, Reverse(seq), tx.id));
        self.by_id.insert(tx.id, tx.sender());
        self.bytes += size;
        self.by_sender.insert(tx.sender(), Entry { tx, size, seq });
    }

    /// Removes a pending transfer.
    pub fn remove(&mut self, id: &TxId) -> Option<Transfer> {
        let sender = self.by_id.remove(id)?;
        let entry = self.by_sender.remove(&sender)?;
        self.by_fee.remove(&(entry.tx.input.fee, Reverse(entry.seq), entry.tx.id));
        self.bytes -= entry.size;
        Some(entry.tx)
    }

    /// Brings the pool in line with a new tip: drops what the connected blocks include and the
    /// transfers of senders whose account the switch changed and that no longer fit it, then
    /// offers back the transfers of disconnected blocks. Only touched accounts can have changed,
    /// so the rest of the pool stays valid without being looked at.
    pub fn on_chain_switch(&mut self, switch: &ChainSwitch) -> Revalidated {
        let mut out = Revalidated::default();
        for block in &switch.connected {
            for tx in &block.transactions {
                if self.remove(&tx.id()).is_some() {
                    out.included.push(tx.id());
                }
            }
        }
        let view = AccountsView {
            accounts: switch.touched.clone(),
            confirmed: switch.connected.iter().flat_map(|b| b.transactions.iter().map(|t| t.id())).collect(),
        };
        let stale: Vec<(TxId, TxError)> = switch
            .touched
            .keys()
            .filter_map(|sender| self.by_sender.get(sender))
            .filter_map(|e| view.check_spend(&e.tx).err().map(|err| (e.tx.id, err)))
            .collect();
        for (id, err) in stale {
            self.remove(&id);
            out.dropped.push((id, MempoolError::Invalid(err)));
        }
        // A credit to a touched account may overflow now: one pass over the pool's outputs.
        let overflowing: Vec<(TxId, MempoolError)> = if switch.touched.is_empty() {
            Vec::new()
        } else {
            self.by_sender
                .values()
                .filter_map(|e| {
                    e.tx.outputs
                        .iter()
                        .filter(|o| switch.touched.contains_key(&o.address))
                        .find_map(|o| Self::check_credit(&e.tx, o, &view).err())
                        .map(|err| (e.tx.id, err))
                })
                .collect()
        };
        for (id, err) in overflowing {
            self.remove(&id);
            out.dropped.push((id, err));
        }
        for tx in switch.returned_transfers() {
            let id = tx.id;
            if self.add(CheckedTransfer::from_valid_block(tx), &view).is_ok() {
                out.restored.push(id);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Chain;
    use crate::store::memory::MemoryStore;
    use crate::testkit::{address, easy_params, next_block, pay, wallet};
    use crate::transaction::TxOutput;

    const NOW: u64 = 10_000_000_000;

    fn funded(wallets: u64) -> Chain<MemoryStore> {
        let p = easy_params();
        let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        for s in 1..=wallets {
            let b = next_block(&c, address(s), &[], 1_000);
            c.process_block(b, NOW).unwrap();
        }
        c
    }

    #[test]
    fn valid_transfers_enter_and_are_ordered_by_fee() {
        let c = funded(3);
        let mut pool = Mempool::new(MempoolLimits::default(), c.params());
        for (s, fee) in [(1, 2), (2, 5), (3, 1)] {
            pool.check_and_add(pay(&c, &wallet(s), &[(address(9), 10)], fee), c.ledger(), c.params()).unwrap();
        }
        let fees: Vec<u64> = pool.by_fee().iter().map(|t| t.input.fee.0).collect();
        assert_eq!(fees, vec![5, 2, 1]);
        assert_eq!(pool.len(), 3);
    }

    #[test]
    fn invalid_or_stale_transfers_are_refused() {
        let c = funded(1);
        let p = c.params().clone();
        let mut pool = Mempool::new(MempoolLimits::default(), c.params());
        let mut bad = pay(&c, &wallet(1), &[(address(9), 10)], 1);
        bad.outputs[1].amount = Amount(11);
        bad.outputs[0].amount = Amount(38);
        bad.id = bad.compute_id(&p.network_id);
        assert!(matches!(
            pool.check_and_add(bad, c.ledger(), &p),
            Err(MempoolError::Invalid(TxError::BadSignature { .. }))
        ));
        let poor = pay(&c, &wallet(2), &[], 0);
        assert!(matches!(pool.check_and_add(poor, c.ledger(), &p), Err(MempoolError::Invalid(TxError::NoOutputs))));
        let wrong_balance = Transfer::sign(
            &p.network_id,
            wallet(1).signing_key(),
            0,
            0,
            Amount(60),
            Amount(0),
            vec![TxOutput { address: address(9), amount: Amount(60) }],
        );
        assert_eq!(
            pool.check_and_add(wrong_balance, c.ledger(), &p),
            Err(MempoolError::Invalid(TxError::BalanceMismatch { claimed: Amount(60), balance: Amount(50) }))
        );
        assert!(pool.is_empty());
    }

    #[test]
    fn one_spend_per_sender_replaced_only_by_a_higher_fee() {
        let c = funded(1);
        let p = c.params().clone();
        let mut pool = Mempool::new(MempoolLimits::default(), c.params());
        let first = pay(&c, &wallet(1), &[(address(9), 10)], 2);
        pool.check_and_add(first.clone(), c.ledger(), &p).unwrap();
        assert_eq!(
            pool.check_and_add(first.clone(), c.ledger(), &p),
            Err(MempoolError::AlreadyPending { id: first.id })
        );
        let same_fee = pay(&c, &wallet(1), &[(address(8), 10)], 2);
        assert!(matches!(pool.check_and_add(same_fee, c.ledger(), &p), Err(MempoolError::ReplacementFeeTooLow { .. })));
        let higher = pay(&c, &wallet(1), &[(address(8), 10)], 3);
        let added = pool.check_and_add(higher.clone(), c.ledger(), &p).unwrap();
        assert_eq!(added.replaced, Some(first.id));
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.pending_of(&address(1)), Some(&higher));
    }

    #[test]
    fn a_full_pool_evicts_the_lowest_fee() {
        let c = funded(4);
        let p = c.params().clone();
        let mut pool = Mempool::new(MempoolLimits { max_count: 2, max_bytes: 1 << 20 }, &p);
        let low = pay(&c, &wallet(1), &[(address(9), 1)], 1);
        let mid = pay(&c, &wallet(2), &[(address(9), 1)], 2);
        pool.check_and_add(low.clone(), c.ledger(), &p).unwrap();
        pool.check_and_add(mid.clone(), c.ledger(), &p).unwrap();
        let too_cheap = pay(&c, &wallet(3), &[(address(9), 1)], 1);
        assert_eq!(
            pool.check_and_add(too_cheap, c.ledger(), &p),
            Err(MempoolError::PoolFull { min_fee: Amount(1), fee: Amount(1) })
        );
        let high = pay(&c, &wallet(4), &[(address(9), 1)], 3);
        let added = pool.check_and_add(high.clone(), c.ledger(), &p).unwrap();
        assert_eq!(added.evicted, vec![low.id]);
        assert!(pool.get(&mid.id).is_some() && pool.get(&high.id).is_some());
        // Bytes are bounded too.
        let size = Transaction::Normal(mid.clone()).encoded_len();
        let mut small = Mempool::new(MempoolLimits { max_count: 100, max_bytes: size + 10 }, &p);
        small.check_and_add(mid, c.ledger(), &p).unwrap();
        let added = small.check_and_add(high.clone(), c.ledger(), &p).unwrap();
        assert_eq!(added.evicted.len(), 1);
        assert!(small.bytes() <= size + 10);
    }

    #[test]
    fn a_new_block_drops_included_and_invalidated_and_keeps_the_rest() {
        let mut c = funded(3);
        let p = c.params().clone();
        let mut pool = Mempool::new(MempoolLimits::default(), c.params());
        let t1 = pay(&c, &wallet(1), &[(address(9), 1)], 1);
        let t2 = pay(&c, &wallet(2), &[(address(9), 1)], 1);
        let t3 = pay(&c, &wallet(3), &[(address(9), 1)], 1);
        for t in [&t1, &t2, &t3] {
            pool.check_and_add(t.clone(), c.ledger(), &p).unwrap();
        }
        // The block includes t1 and credits wallet 2 (its reward), which makes t2 stale.
        let b = next_block(&c, address(2), std::slice::from_ref(&t1), 1_000);
        let switch = c.process_block(b, NOW).unwrap().switch.unwrap();
        let r = pool.on_chain_switch(&switch);
        assert_eq!(r.included, vec![t1.id]);
        assert_eq!(r.dropped.len(), 1);
        assert_eq!(r.dropped[0].0, t2.id);
        assert_eq!(pool.by_fee(), vec![t3]);
    }

    #[test]
    fn a_reorg_gives_back_the_abandoned_transfers() {
        let mut a = funded(2);
        let mut b = funded(2);
        let mut pool = Mempool::new(MempoolLimits::default(), a.params());
        let t = pay(&a, &wallet(1), &[(address(9), 1)], 1);
        let blk = next_block(&a, address(5), std::slice::from_ref(&t), 1_000);
        a.process_block(blk, NOW).unwrap();
        let mut heavier = Vec::new();
        for _ in 0..2 {
            let blk = next_block(&b, address(6), &[], 1_000);
            heavier.push(blk.clone());
            b.process_block(blk, NOW).unwrap();
        }
        a.process_block(heavier[0].clone(), NOW).unwrap();
        let switch = a.process_block(heavier[1].clone(), NOW).unwrap().switch.unwrap();
        let r = pool.on_chain_switch(&switch);
        assert_eq!(r.restored, vec![t.id]);
        assert_eq!(pool.by_fee(), vec![t]);
    }

    /// A transfer from wallet `from` (balance `balance`, nonce 0) paying `to`, change first.
    fn transfer(p: &NetworkParams, from: u64, balance: u64, fee: u64, to: &[(Address, u64)]) -> Transfer {
        let paid: u64 = to.iter().map(|(_, a)| a).sum();
        let mut outputs = Vec::new();
        if balance - paid - fee > 0 {
            outputs.push(TxOutput { address: address(from), amount: Amount(balance - paid - fee) });
        }
        outputs.extend(to.iter().map(|(a, v)| TxOutput { address: *a, amount: Amount(*v) }));
        Transfer::sign(&p.network_id, wallet(from).signing_key(), 0, 0, Amount(balance), Amount(fee), outputs)
    }

    fn tip_of(accounts: &[(Address, u64)]) -> AccountsView {
        let mut v = AccountsView::default();
        for (a, balance) in accounts {
            v.accounts.insert(*a, crate::state::Account { balance: Amount(*balance), nonce: 0 });
        }
        v
    }

    #[test]
    fn a_transfer_crediting_an_account_past_the_largest_amount_is_refused() {
        let p = easy_params();
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        let tip = tip_of(&[(address(1), 100), (address(2), 100), (address(7), u64::MAX - 10)]);
        let too_much = transfer(&p, 1, 100, 1, &[(address(7), 11)]);
        assert_eq!(
            pool.check_and_add(too_much, &tip, &p),
            Err(MempoolError::BalanceOverflow {
                address: address(7),
                balance: Amount(u64::MAX - 10),
                amount: Amount(11)
            })
        );
        assert_eq!(
            pool.check_and_add(transfer(&p, 1, 100, 1, &[(address(7), 11)]), &tip, &p).unwrap_err().rule(),
            "balance_overflow"
        );
        // Up to the largest amount, it is fine.
        pool.check_and_add(transfer(&p, 1, 100, 1, &[(address(7), 10)]), &tip, &p).unwrap();
        // A large change back to the sender never overflows: the sender's balance is spent first.
        let tip = tip_of(&[(address(2), u64::MAX)]);
        pool.check_and_add(transfer(&p, 2, u64::MAX, 1, &[(address(8), 1)]), &tip, &p).unwrap();
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn a_fee_that_overflows_the_reward_is_refused() {
        let p = NetworkParams { mining_reward: Amount(u64::MAX - 4), ..easy_params() };
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        let tip = tip_of(&[(address(1), 100), (address(2), 100)]);
        assert_eq!(
            pool.check_and_add(transfer(&p, 1, 100, 5, &[(address(9), 1)]), &tip, &p),
            Err(MempoolError::FeeOverflow { fee: Amount(5), subsidy: Amount(u64::MAX - 4) })
        );
        pool.check_and_add(transfer(&p, 2, 100, 4, &[(address(9), 1)]), &tip, &p).unwrap();
    }

    #[test]
    fn a_transfer_too_large_for_any_block_is_refused() {
        let p = NetworkParams { max_block_bytes: 1_000, ..easy_params() };
        let room = Mempool::max_transfer_bytes(&p);
        assert_eq!(room, 1_000 - 96 - 4 - 52);
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        let tip = tip_of(&[(address(1), 1_000), (address(2), 1_000)]);
        let to = |n: u64| (0..n).map(|i| (address(100 + i), 1)).collect::<Vec<_>>();
        // 132 + 41 x outputs bytes: 17 outputs (one is the change) fit in 848, 18 do not.
        let big = transfer(&p, 1, 1_000, 1, &to(17));
        let size = Transaction::Normal(big.clone()).encoded_len();
        assert_eq!(pool.check_and_add(big, &tip, &p), Err(MempoolError::TooLargeForBlock { got: size, max: room }));
        pool.check_and_add(transfer(&p, 2, 1_000, 1, &to(16)), &tip, &p).unwrap();
        // A network whose blocks hold only the reward has no room for any transfer.
        let p = NetworkParams { max_block_transactions: 1, ..easy_params() };
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        assert_eq!(
            pool.check_and_add(transfer(&p, 1, 1_000, 1, &[(address(9), 1)]), &tip, &p),
            Err(MempoolError::NoRoomInBlocks { max: 1 })
        );
        let p = NetworkParams { max_block_transactions: 2, ..easy_params() };
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        pool.check_and_add(transfer(&p, 1, 1_000, 1, &[(address(9), 1)]), &tip, &p).unwrap();
    }

    #[test]
    fn a_new_tip_drops_pending_transfers_whose_credit_now_overflows() {
        let p = easy_params();
        let mut pool = Mempool::new(MempoolLimits::default(), &p);
        let tip = tip_of(&[(address(1), 100), (address(2), 100)]);
        let to_seven = transfer(&p, 1, 100, 1, &[(address(7), 10)]);
        let to_eight = transfer(&p, 2, 100, 1, &[(address(8), 10)]);
        pool.check_and_add(to_seven.clone(), &tip, &p).unwrap();
        pool.check_and_add(to_eight.clone(), &tip, &p).unwrap();
        // A block credits address 7 almost to the largest amount.
        let hash = crate::hash::BlockHash::default();
        let switch = ChainSwitch {
            old_tip: hash,
            new_tip: hash,
            fork_height: Height(0),
            disconnected: Vec::new(),
            connected: Vec::new(),
            touched: [(address(7), crate::state::Account { balance: Amount(u64::MAX - 9), nonce: 0 })].into(),
        };
        let r = pool.on_chain_switch(&switch);
        assert_eq!(r.dropped.len(), 1);
        assert_eq!(r.dropped[0].0, to_seven.id);
        assert_eq!(r.dropped[0].1.rule(), "balance_overflow");
        assert_eq!(pool.by_fee(), vec![to_eight]);
    }
}
