//! Mempool policy as a plain data structure: which pending transfers a node keeps and offers
//! to miners. The actor that owns one lives in the node; the rules live here.
//!
//! - every transfer is checked in full (structure, signature, nonce and balance at the tip);
//! - one pending spend per sender: a second one replaces the first only if it pays a higher fee;
//! - ordered by fee (highest first, then arrival) for mining;
//! - bounded in count and bytes: when full, the lowest fee is evicted, and a newcomer that does
//!   not pay more than what it would evict is refused;
//! - after a chain switch, what the new blocks included or made invalid is dropped, the rest is
//!   kept, and the transfers of abandoned blocks come back when they are still valid.

use crate::address::Address;
use crate::amount::Amount;
use crate::chain::ChainSwitch;
use crate::hash::TxId;
use crate::params::NetworkParams;
use crate::state::Ledger;
use crate::transaction::{check_transfer, Transaction, Transfer, TxError};
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
}

impl MempoolError {
    /// Returns a short machine-readable name of the rule.
    pub fn rule(&self) -> &'static str {
        match self {
            MempoolError::Invalid(e) => tx_rule(e),
            MempoolError::AlreadyPending { .. } => "already_pending",
            MempoolError::AlreadyConfirmed { .. } => "already_confirmed",
            MempoolError::ReplacementFeeTooLow { .. } => "replacement_fee_too_low",
            MempoolError::PoolFull { .. } => "mempool_full",
            MempoolError::TooLarge { .. } => "transaction_too_large",
        }
    }
}

/// Returns a short machine-readable name of a transaction rule.
pub fn tx_rule(e: &TxError) -> &'static str {
    match e {
        TxError::NoOutputs => "no_outputs",
        TxError::TooManyOutputs { .. } => "too_many_outputs",
        TxError::ZeroAmount { .. } => "zero_amount",
        TxError::DuplicateOutputAddress { .. } => "duplicate_output_address",
        TxError::OutputSumOverflow => "output_sum_overflow",
        TxError::AmountMismatch { .. } => "amount_mismatch",
        TxError::MalformedSignature => "malformed_signature",
        TxError::HighS => "high_s_signature",
        TxError::BadSignature { .. } => "bad_signature",
        TxError::IdMismatch { .. } => "id_mismatch",
        TxError::BadNonce { .. } => "bad_nonce",
        TxError::BalanceMismatch { .. } => "balance_mismatch",
        TxError::RewardDataTooLong { .. } => "reward_data_too_long",
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
    by_sender: HashMap<Address, Entry>,
    by_id: HashMap<TxId, Address>,
    by_fee: BTreeSet<(Amount, Reverse<u64>, TxId)>,
    bytes: usize,
    next_seq: u64,
}

impl Mempool {
    /// Returns an empty pool.
    pub fn new(limits: MempoolLimits) -> Mempool {
        Mempool { limits, ..Mempool::default() }
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
        self.by_fee
            .iter()
            .rev()
            .filter_map(|(_, _, id)| self.get(id).cloned())
            .collect()
    }

    /// Checks `tx` against the tip and the pool's policy and adds it.
    ///
    /// # Errors
    /// The first rule it breaks; then the pool is unchanged.
    pub fn add(&mut self, tx: Transfer, ledger: &Ledger, params: &NetworkParams) -> Result<Added, MempoolError> {
        if self.by_id.contains_key(&tx.id) {
            return Err(MempoolError::AlreadyPending { id: tx.id });
        }
        if ledger.tx_location(&tx.id).is_some() {
            return Err(MempoolError::AlreadyConfirmed { id: tx.id });
        }
        check_transfer(&tx, params, false)?;
        ledger.check_spend(&tx)?;
        let size = Transaction::Normal(tx.clone()).encoded_len();
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
        // The signature is checked last: it is the expensive part.
        tx.verify_signature(&params.network_id)?;
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

    /// Brings the pool in line with a new tip: drops what the connected blocks include and what
    /// no longer fits the tip's state, then offers back the transfers of disconnected blocks.
    /// `ledger` is the state at the new tip.
    pub fn on_chain_switch(&mut self, switch: &ChainSwitch, ledger: &Ledger, params: &NetworkParams) -> Revalidated {
        let mut out = Revalidated::default();
        for block in &switch.connected {
            for tx in &block.transactions {
                if self.remove(&tx.id()).is_some() {
                    out.included.push(tx.id());
                }
            }
        }
        let pending: Vec<(TxId, Address)> = self.by_id.iter().map(|(id, s)| (*id, *s)).collect();
        for (id, sender) in pending {
            let Some(entry) = self.by_sender.get(&sender) else { continue };
            if let Err(e) = ledger.check_spend(&entry.tx) {
                self.remove(&id);
                out.dropped.push((id, MempoolError::Invalid(e)));
            }
        }
        for tx in switch.returned_transfers() {
            let id = tx.id;
            if self.add(tx, ledger, params).is_ok() {
                out.restored.push(id);
            }
        }
        out
    }
}
