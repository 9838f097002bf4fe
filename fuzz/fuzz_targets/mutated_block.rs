//! Fuzz target: block validation with structured mutations of valid blocks.
//!
//! The input (decoded with `arbitrary`) picks one of the fixture's valid candidate blocks (the
//! next block on the tip with transfers, an empty one, a sibling of the tip, a block on that
//! sibling that makes the fork heavier, a block on an older ancestor) and a list of mutations:
//! header fields (version, height, parent, Merkle root, timestamp, bits, nonce), the reward
//! (amount, address, height, data), transfers (amounts, fee, nonce, sender, outputs added or
//! removed, signature bytes flipped, `s` negated to high-S, re-signed by the sender's key, ids
//! recomputed or forged) and the transaction list (transfers added valid or not, removed,
//! duplicated, swapped, a second reward). Then, as the input says, the ids and the Merkle root
//! are recomputed and the block is mined again (a bounded nonce search: with the test network's
//! difficulty most mutated blocks pass proof of work), and it may be followed by up to two empty
//! blocks mined on top of it, so that mutated blocks also get connected and disconnected by
//! reorganisations. The mutation model is [`bitcoin_rust_fuzz::mutate`].
//!
//! [`Chain::process_block`] must not panic, and after each block: if the best chain switched,
//! the chain passes [`check_chain`] (the ledger equals a replay of the best chain with every
//! rule, the signatures of the connected blocks verify, the supply equals the sum of the
//! subsidies, every account equals the reference scan) and the mempool, brought to the new tip,
//! holds only transfers valid there ([`check_pool`]); if it did not, the tip and the ledger are
//! unchanged.

#![no_main]

use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::mempool::Mempool;
use bitcoin_rust_core::store::memory::MemoryStore;
use bitcoin_rust_fuzz::mutate::Input;
use bitcoin_rust_fuzz::{check_chain, check_pool, check_unchanged, fixture, try_mine, NOW};
use libfuzzer_sys::fuzz_target;

/// True when `FUZZ_TRACE` is set: each processed block's outcome is printed (to see what the
/// fuzzer reaches, and to read a crashing input).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// Processes one block and checks the chain's invariants whatever happened.
fn feed(chain: &mut Chain<MemoryStore>, pool: &mut Mempool, block: Block) {
    let tip = chain.tip();
    let ledger = chain.ledger().clone();
    let result = chain.process_block(block, NOW);
    if trace() {
        match &result {
            Ok(p) => {
                eprintln!("mutated_block: {:?}, switch: {}, invalid: {:?}", p.placement, p.switch.is_some(), p.invalid)
            }
            Err(e) => eprintln!("mutated_block: refused: {e}"),
        }
    }
    match result {
        Ok(p) => match &p.switch {
            Some(switch) => {
                assert_eq!(switch.old_tip, tip);
                assert_eq!(switch.new_tip, chain.tip());
                pool.on_chain_switch(switch);
                check_chain(chain, &switch.connected, false);
                check_pool(pool, chain);
            }
            None => check_unchanged(chain, &tip, &ledger),
        },
        Err(_) => check_unchanged(chain, &tip, &ledger),
    }
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let candidate = &f.candidates[input.candidate as usize % f.candidates.len()];
    let mut chain = f.open_chain();
    let mut pool = f.pool.clone();
    if input.with_before {
        for b in &candidate.before {
            feed(&mut chain, &mut pool, b.clone());
        }
    }
    if input.original_first {
        feed(&mut chain, &mut pool, candidate.block.clone());
    }
    let block = input.build(f);
    let hash = block.hash();
    let timestamp = block.header.timestamp;
    feed(&mut chain, &mut pool, block);
    let mut parent = hash;
    for i in 0..input.followers % 3 {
        if chain.info(&parent).is_none() {
            break;
        }
        let Some(mut next) = chain.empty_block_on(&parent, f.address(i + 3), timestamp.saturating_add(1_000)) else {
            break;
        };
        if !try_mine(&mut next, 0, 1_024) {
            break;
        }
        parent = next.hash();
        feed(&mut chain, &mut pool, next);
    }
});
