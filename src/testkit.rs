//! Helpers that build valid chains quickly, for tests, benchmarks and the crash-test writer:
//! easy network parameters, deterministic keys, and a miner that finds a nonce in a few dozen
//! hashes. Pure and deterministic; nothing here is used by the node itself.

use crate::address::Address;
use crate::amount::Amount;
use crate::block::{Block, HeaderHasher};
use crate::chain::Chain;
use crate::hash::TxId;
use crate::merkle::merkle_root;
use crate::params::NetworkParams;
use crate::store::ChainStore;
use crate::transaction::{Transfer, TxOutput};
use crate::wallet::Wallet;
use k256::ecdsa::SigningKey;

/// Parameters of a test network: difficulty 1 (one hash in 16 succeeds), 1 s block interval.
pub fn easy_params() -> NetworkParams {
    NetworkParams {
        network_id: "testkit".to_string(),
        initial_difficulty: 1,
        mine_rate_ms: 1_000,
        ..NetworkParams::default()
    }
}

/// Returns a deterministic key for `seed`.
pub fn key(seed: u64) -> SigningKey {
    let mut bytes = [0x11u8; 32];
    bytes[24..].copy_from_slice(&(seed + 1).to_be_bytes());
    SigningKey::from_slice(&bytes).expect("a small non-zero scalar is a valid key")
}

/// Returns the wallet of [`key`].
pub fn wallet(seed: u64) -> Wallet {
    Wallet::from_key(key(seed))
}

/// Returns the address of [`key`].
pub fn address(seed: u64) -> Address {
    wallet(seed).address()
}

/// Recomputes the Merkle root and finds a nonce meeting the header's bits.
pub fn seal(block: &mut Block) {
    block.header.merkle_root = merkle_root(&block.transactions.iter().map(|t| t.id()).collect::<Vec<TxId>>());
    mine(block);
}

/// Finds a nonce meeting the header's bits (the Merkle root is left as it is).
pub fn mine(block: &mut Block) {
    let target = block.header.bits.to_target().expect("test blocks carry valid bits");
    let hasher = HeaderHasher::new(&block.header);
    let (nonce, _) = hasher.search(&target, 0..u64::MAX).expect("a nonce exists below an easy target");
    block.header.nonce = nonce;
}

/// Builds and mines the next block on the tip, `interval_ms` after it.
pub fn next_block<S: ChainStore>(chain: &Chain<S>, miner: Address, transfers: &[Transfer], interval_ms: u64) -> Block {
    let now = chain.tip_info().timestamp + interval_ms;
    let mut block = chain.block_template(miner, transfers, "", now).block;
    mine(&mut block);
    block
}

/// Signs a transfer from `from` paying `outputs` (the change is added) with `fee`, valid at
/// the chain's tip.
pub fn pay<S: ChainStore>(chain: &Chain<S>, from: &Wallet, to: &[(Address, u64)], fee: u64) -> Transfer {
    let account = chain.account(&from.address());
    let paid: u64 = to.iter().map(|(_, a)| a).sum();
    let mut outputs = Vec::new();
    let change = account.balance.0 - paid - fee;
    if change > 0 {
        outputs.push(TxOutput { address: from.address(), amount: Amount(change) });
    }
    outputs.extend(to.iter().map(|(a, v)| TxOutput { address: *a, amount: Amount(*v) }));
    Transfer::sign(
        &chain.params().network_id,
        from.signing_key(),
        account.nonce,
        0,
        account.balance,
        Amount(fee),
        outputs,
    )
}
