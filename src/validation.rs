//! The block rules, as free functions over their context (Zebra's style): no database handle,
//! no clock, so every rule can be tested with plain values.
//!
//! - [`check_proof_of_work`]: the hash meets the target the header claims;
//! - [`check_header`]: the header against its parent (height, parent hash, target from the
//!   retarget rule, median time past, future limit);
//! - [`check_block_body`]: the transactions without any state (count, size, reward first and
//!   alone, Merkle root, unique ids and senders, every transfer's structure and signature).
//!
//! The rules that need balances and nonces are applied by [`crate::state::Ledger::connect_block`].
//! Each variant of [`BlockError`] is one rule.

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::block::{Block, BlockHeader, BLOCK_VERSION};
use crate::hash::{BlockHash, Hash256, TxId};
use crate::params::NetworkParams;
use crate::target::{CompactError, CompactTarget};
use crate::transaction::{check_reward, check_transfer, Transaction, TxError};
use std::collections::HashSet;

/// A block rule that was broken. Each variant is one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// Unknown header version.
    #[error("block version {got} is not supported (expected {expected})")]
    UnsupportedVersion {
        /// The header's version.
        got: u32,
        /// The supported version.
        expected: u32,
    },
    /// The header's `bits` do not decode to a target.
    #[error("invalid bits: {0}")]
    InvalidBits(#[from] CompactError),
    /// The target is easier than any network allows (`2^252`).
    #[error("target bits {bits} are easier than the proof-of-work limit")]
    TargetAbovePowLimit {
        /// The header's bits.
        bits: CompactTarget,
    },
    /// The hash does not meet the target.
    #[error("proof of work: hash {hash} is not below the target {target}")]
    InsufficientWork {
        /// The block hash.
        hash: BlockHash,
        /// The target, as hex.
        target: String,
    },
    /// The height is not the parent's plus one.
    #[error("height {got} does not follow the parent (expected {expected})")]
    BadHeight {
        /// The header's height.
        got: Height,
        /// The parent's height plus one.
        expected: Height,
    },
    /// `last_hash` is not the parent's hash.
    #[error("last_hash {got} is not the parent {expected}")]
    WrongParent {
        /// The header's `last_hash`.
        got: BlockHash,
        /// The parent's hash.
        expected: BlockHash,
    },
    /// The target is not what the retarget rule gives.
    #[error("target bits {got} are not the bits the retarget rule gives ({expected})")]
    WrongTarget {
        /// The header's bits.
        got: CompactTarget,
        /// The rule's bits.
        expected: CompactTarget,
    },
    /// The timestamp is not above the median of the last 11 blocks.
    #[error("timestamp {got} is not above the median time past {median}")]
    TimestampNotAfterMedian {
        /// The header's timestamp.
        got: u64,
        /// The median of the last 11 timestamps.
        median: u64,
    },
    /// The timestamp is too far ahead of the local clock.
    #[error("timestamp {got} is too far in the future (latest allowed {max})")]
    TimestampTooFarInFuture {
        /// The header's timestamp.
        got: u64,
        /// The local clock plus the allowed drift.
        max: u64,
    },
    /// A block must start with a reward.
    #[error("the first transaction of a block must be its reward")]
    MissingReward,
    /// A second reward.
    #[error("transaction {index} is a second reward; a block has exactly one")]
    MultipleRewards {
        /// Its position.
        index: usize,
    },
    /// Too many transactions.
    #[error("{got} transactions, the limit is {max}")]
    TooManyTransactions {
        /// The count.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The encoding is too large.
    #[error("block is {got} bytes, the limit is {max}")]
    BlockTooLarge {
        /// Its size.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The Merkle root does not match the transactions.
    #[error("merkle root {got} does not match the transactions ({expected})")]
    BadMerkleRoot {
        /// The header's root.
        got: Hash256,
        /// The root of the transactions.
        expected: Hash256,
    },
    /// The same transaction id twice in one block.
    #[error("transaction {id} appears twice in the block")]
    DuplicateTransaction {
        /// The repeated id.
        id: TxId,
    },
    /// A transaction id already in the chain.
    #[error("transaction {id} is already in the chain")]
    TransactionAlreadyInChain {
        /// The repeated id.
        id: TxId,
    },
    /// Two spends by one sender in one block.
    #[error("sender {sender} spends twice in the block")]
    DuplicateSender {
        /// The sender.
        sender: Address,
    },
    /// The reward commits to another height.
    #[error("reward height {got} is not the block height {expected}")]
    RewardHeightMismatch {
        /// The reward's height.
        got: Height,
        /// The block's height.
        expected: Height,
    },
    /// The reward is not subsidy plus fees.
    #[error("reward of {got} is not subsidy plus fees ({expected})")]
    WrongReward {
        /// What the reward pays.
        got: Amount,
        /// Subsidy plus fees.
        expected: Amount,
    },
    /// The fees (or the reward) overflow a 64-bit amount.
    #[error("the fees of the block overflow a 64-bit amount")]
    FeeOverflow,
    /// A credit would overflow an account's balance.
    #[error("crediting {address} overflows its balance")]
    BalanceOverflow {
        /// The account.
        address: Address,
    },
    /// A transaction broke a transaction rule.
    #[error("transaction {index} ({id}): {source}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Its claimed id.
        id: TxId,
        /// The rule it broke.
        source: TxError,
    },
}

impl BlockError {
    /// Returns a short machine-readable name of the rule (for APIs and peer penalties).
    pub fn rule(&self) -> &'static str {
        match self {
            BlockError::UnsupportedVersion { .. } => "unsupported_version",
            BlockError::InvalidBits(_) | BlockError::TargetAbovePowLimit { .. } => "invalid_bits",
            BlockError::InsufficientWork { .. } => "insufficient_work",
            BlockError::BadHeight { .. } => "bad_height",
            BlockError::WrongParent { .. } => "wrong_parent",
            BlockError::WrongTarget { .. } => "wrong_target",
            BlockError::TimestampNotAfterMedian { .. } => "timestamp_not_after_median",
            BlockError::TimestampTooFarInFuture { .. } => "timestamp_too_far_in_future",
            BlockError::MissingReward => "missing_reward",
            BlockError::MultipleRewards { .. } => "multiple_rewards",
            BlockError::TooManyTransactions { .. } => "too_many_transactions",
            BlockError::BlockTooLarge { .. } => "block_too_large",
            BlockError::BadMerkleRoot { .. } => "bad_merkle_root",
            BlockError::DuplicateTransaction { .. } => "duplicate_transaction",
            BlockError::TransactionAlreadyInChain { .. } => "transaction_already_in_chain",
            BlockError::DuplicateSender { .. } => "duplicate_sender",
            BlockError::RewardHeightMismatch { .. } => "reward_height_mismatch",
            BlockError::WrongReward { .. } => "wrong_reward",
            BlockError::FeeOverflow => "fee_overflow",
            BlockError::BalanceOverflow { .. } => "balance_overflow",
            BlockError::Transaction { source, .. } => source.rule(),
        }
    }
}

/// Why a block of the tree is known invalid (it passed every check made before it was stored,
/// and failed a state rule when its branch was connected, or descends from one that did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidity {
    /// The block broke this rule (a name of PROTOCOL.md §5.6) when its branch was connected.
    Broke(String),
    /// An ancestor broke a rule: this is the hash of the one that did.
    Ancestor(BlockHash),
    /// Marked invalid by an older version of the node, which did not record why.
    Unrecorded,
}

impl Invalidity {
    /// The rule name reported for the block: the rule it broke, or `invalid_ancestor`.
    pub fn rule(&self) -> &str {
        match self {
            Invalidity::Broke(rule) => rule,
            Invalidity::Ancestor(_) => "invalid_ancestor",
            Invalidity::Unrecorded => "unrecorded",
        }
    }

    /// What a descendant of a block invalid for this reason is invalid for (`hash` is the block).
    pub fn inherited_from(&self, hash: BlockHash) -> Invalidity {
        match self {
            Invalidity::Ancestor(root) => Invalidity::Ancestor(*root),
            Invalidity::Broke(_) | Invalidity::Unrecorded => Invalidity::Ancestor(hash),
        }
    }
}

/// What [`check_header`] needs to know of the parent and of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderContext {
    /// The parent's hash.
    pub parent_hash: BlockHash,
    /// The parent's height.
    pub parent_height: Height,
    /// The bits the retarget rule gives for a child of the parent.
    pub expected_bits: CompactTarget,
    /// The median of the parent's and its ancestors' last 11 timestamps.
    pub median_time_past: u64,
    /// The local clock, ms since the Unix epoch.
    pub now_ms: u64,
}

/// Checks that the header's hash is below the target its bits encode.
///
/// # Errors
/// [`BlockError::InvalidBits`] or [`BlockError::InsufficientWork`].
pub fn check_proof_of_work(header: &BlockHeader) -> Result<(), BlockError> {
    let target = header.bits.to_target()?;
    if target > crate::target::pow_limit() {
        return Err(BlockError::TargetAbovePowLimit { bits: header.bits });
    }
    let hash = header.hash();
    if !target.is_met_by(hash.as_bytes()) {
        return Err(BlockError::InsufficientWork { hash, target: target.to_hex() });
    }
    Ok(())
}

/// Checks a header against its parent: version, height, parent hash, target, timestamps and
/// proof of work.
///
/// # Errors
/// The first broken rule.
pub fn check_header(header: &BlockHeader, ctx: &HeaderContext, params: &NetworkParams) -> Result<(), BlockError> {
    if header.version != BLOCK_VERSION {
        return Err(BlockError::UnsupportedVersion { got: header.version, expected: BLOCK_VERSION });
    }
    let expected_height =
        ctx.parent_height.next().ok_or(BlockError::BadHeight { got: header.height, expected: ctx.parent_height })?;
    if header.height != expected_height {
        return Err(BlockError::BadHeight { got: header.height, expected: expected_height });
    }
    if header.last_hash != ctx.parent_hash {
        return Err(BlockError::WrongParent { got: header.last_hash, expected: ctx.parent_hash });
    }
    if header.bits != ctx.expected_bits {
        return Err(BlockError::WrongTarget { got: header.bits, expected: ctx.expected_bits });
    }
    if header.timestamp <= ctx.median_time_past {
        return Err(BlockError::TimestampNotAfterMedian { got: header.timestamp, median: ctx.median_time_past });
    }
    let max = ctx.now_ms.saturating_add(params.max_future_block_time_ms);
    if header.timestamp > max {
        return Err(BlockError::TimestampTooFarInFuture { got: header.timestamp, max });
    }
    check_proof_of_work(header)
}

/// How many transfers a block must hold before signatures are verified on several threads.
pub const PARALLEL_VERIFY_THRESHOLD: usize = 64;

/// Checks everything about a block's transactions that needs no state: count and size, one
/// reward and first, its height and data, the Merkle root, unique ids, one spend per sender, and
/// each transfer's structure and (when `verify_signatures`) signature, on every available core.
///
/// # Errors
/// The first broken rule.
pub fn check_block_body(block: &Block, params: &NetworkParams, verify_signatures: bool) -> Result<(), BlockError> {
    let count = block.transactions.len();
    if count > params.max_block_transactions {
        return Err(BlockError::TooManyTransactions { got: count, max: params.max_block_transactions });
    }
    let size = block.encoded_len();
    if size > params.max_block_bytes {
        return Err(BlockError::BlockTooLarge { got: size, max: params.max_block_bytes });
    }
    let reward = match block.transactions.first() {
        Some(Transaction::Reward(r)) => r,
        _ => return Err(BlockError::MissingReward),
    };
    if reward.coinbase.height != block.header.height {
        return Err(BlockError::RewardHeightMismatch { got: reward.coinbase.height, expected: block.header.height });
    }
    check_reward(reward, params).map_err(|source| BlockError::Transaction { index: 0, id: reward.id, source })?;
    let mut ids = HashSet::with_capacity(count);
    let mut senders = HashSet::with_capacity(count);
    for (index, tx) in block.transactions.iter().enumerate() {
        if !ids.insert(tx.id()) {
            return Err(BlockError::DuplicateTransaction { id: tx.id() });
        }
        match tx {
            Transaction::Reward(_) if index > 0 => return Err(BlockError::MultipleRewards { index }),
            Transaction::Reward(_) => {}
            Transaction::Normal(t) => {
                if !senders.insert(t.sender()) {
                    return Err(BlockError::DuplicateSender { sender: t.sender() });
                }
                check_transfer(t, params, false).map_err(|source| BlockError::Transaction {
                    index,
                    id: t.id,
                    source,
                })?;
            }
        }
    }
    let expected = block.compute_merkle_root();
    if block.header.merkle_root != expected {
        return Err(BlockError::BadMerkleRoot { got: block.header.merkle_root, expected });
    }
    if verify_signatures {
        verify_signatures_parallel(block, params)?;
    }
    block.fees().ok_or(BlockError::FeeOverflow)?;
    Ok(())
}

/// This machine's usable cores, asked once.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Transfers a thread takes at a time when a block's signatures are checked on several cores.
const VERIFY_CHUNK: usize = 16;

/// Verifies every transfer's signature, on all the available cores for large blocks.
///
/// The cores take chunks of [`VERIFY_CHUNK`] transfers in order from a shared counter, the
/// calling thread among them, so a core slowed by other work (the next batch being decoded, a
/// neighbour on the host) takes fewer chunks instead of keeping the others waiting at the end.
/// Once a chunk fails, no chunk after it is started; every chunk before it was taken earlier
/// and is checked to its end, so the failure reported is always the lowest index's.
///
/// # Errors
/// The broken signature rule of the first failing transfer (lowest index).
pub fn verify_signatures_parallel(block: &Block, params: &NetworkParams) -> Result<(), BlockError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let transfers: Vec<(usize, &crate::transaction::Transfer)> = block
        .transactions
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Transaction::Normal(t) => Some((i, t)),
            Transaction::Reward(_) => None,
        })
        .collect();
    let verify = |chunk: &[(usize, &crate::transaction::Transfer)]| -> Result<(), BlockError> {
        for (index, t) in chunk {
            t.verify_signature(&params.network_id).map_err(|source| BlockError::Transaction {
                index: *index,
                id: t.id,
                source,
            })?;
        }
        Ok(())
    };
    // Small blocks (reward-only ones above all) never ask how many cores there are: the answer
    // costs several system calls (it reads the cgroup's CPU quota), more than checking them.
    if transfers.len() < PARALLEL_VERIFY_THRESHOLD {
        return verify(&transfers);
    }
    let threads = cores();
    if threads < 2 {
        return verify(&transfers);
    }
    let next = AtomicUsize::new(0);
    // The start of the lowest chunk known to fail (`usize::MAX`: none).
    let failed_at = AtomicUsize::new(usize::MAX);
    let work = || -> Result<(), BlockError> {
        loop {
            let start = next.fetch_add(VERIFY_CHUNK, Ordering::Relaxed);
            if start >= transfers.len() || start > failed_at.load(Ordering::Relaxed) {
                return Ok(());
            }
            let chunk = &transfers[start..(start + VERIFY_CHUNK).min(transfers.len())];
            if let Err(e) = verify(chunk) {
                failed_at.fetch_min(start, Ordering::Relaxed);
                return Err(e);
            }
        }
    };
    let results: Vec<Result<(), BlockError>> = std::thread::scope(|scope| {
        // Threads that cannot be had are simply fewer helpers: this thread works either way.
        let helpers: Vec<_> =
            (1..threads).filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok()).collect();
        let mut out = vec![work()];
        out.extend(helpers.into_iter().map(|h| h.join().expect("signature verification never panics")));
        out
    });
    // Each thread stops at its own first failure; the lowest index among them is the block's.
    results.into_iter().filter_map(Result::err).min_by_key(failing_index).map_or(Ok(()), Err)
}

/// The transaction index a signature failure of [`verify_signatures_parallel`] names.
fn failing_index(e: &BlockError) -> usize {
    match e {
        BlockError::Transaction { index, .. } => *index,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::block::genesis_block;
    use crate::testkit::{address, easy_params, key};
    use crate::transaction::{Transfer, TxOutput};
    use proptest::prelude::*;

    /// A block (the genesis header; only its transactions matter here) of `n` transfers from
    /// distinct keys, with the signatures of the transfers at indexes `broken` spoiled.
    fn block_with_broken(n: usize, broken: &[usize]) -> Block {
        let p = easy_params();
        let mut block = genesis_block(&p);
        block.transactions.clear();
        for i in 0..n {
            let out = vec![TxOutput { address: address(1), amount: Amount(1) }];
            let mut t = Transfer::sign(&p.network_id, &key(100 + i as u64), 0, 0, Amount(2), Amount(1), out);
            if broken.contains(&i) {
                t.input.signature.0[40] ^= 0x01;
            }
            block.transactions.push(Transaction::Normal(t));
        }
        block
    }

    fn failing(block: &Block) -> Option<usize> {
        match verify_signatures_parallel(block, &easy_params()) {
            Ok(()) => None,
            Err(BlockError::Transaction { index, .. }) => Some(index),
            Err(other) => panic!("not a transaction's failure: {other}"),
        }
    }

    #[test]
    fn a_large_block_passes_and_its_lowest_broken_signature_is_reported() {
        let n = PARALLEL_VERIFY_THRESHOLD * 3 + 5;
        assert_eq!(failing(&block_with_broken(n, &[])), None);
        assert_eq!(failing(&block_with_broken(n, &[n - 1])), Some(n - 1));
        assert_eq!(failing(&block_with_broken(n, &[150, 3, 90])), Some(3));
        assert_eq!(failing(&block_with_broken(n, &[VERIFY_CHUNK + 1, VERIFY_CHUNK])), Some(VERIFY_CHUNK));
        // Below the threshold the same rule holds on one thread.
        assert_eq!(failing(&block_with_broken(10, &[7, 2])), Some(2));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        /// Whatever the chunks' interleaving across threads, the failure reported is the
        /// lowest broken index.
        #[test]
        fn the_reported_failure_is_always_the_lowest(broken in proptest::collection::vec(0usize..160, 1..6)) {
            let block = block_with_broken(160, &broken);
            let lowest = broken.iter().min().copied();
            prop_assert_eq!(failing(&block), lowest);
        }
    }
}
