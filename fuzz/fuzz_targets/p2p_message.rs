//! Fuzz target: a received P2P frame, from bytes to the chain and the mempool.
//!
//! The bytes are taken as the text of one WebSocket frame and given to
//! [`WireMessage::decode`], the node's one entry point for a received frame. A message that
//! decodes must re-encode to text that decodes to the same message. Then it is handled as the
//! node's peer session and actors handle it, on a fresh copy of the fixture chain (height 6):
//!
//! - `BLOCK`: [`Chain::process_block`], then the mempool follows the switch;
//! - `CHAIN`: each block in turn, stopping at the first refused one (as the node does);
//! - `TRANSACTION`: [`CheckedTransfer::check`], then [`Mempool::add`] against a view holding
//!   the sender's account and whether the id is confirmed (what the mempool actor asks the
//!   chain for), which must decide exactly as an add against the whole ledger;
//! - `GET_BLOCKS`: the blocks the node's read side would answer with (`chain::read` over the
//!   chain's store), which must be consecutive blocks of the best chain starting where asked.
//!
//! After a block the chain must pass [`check_chain`] (or be unchanged if it did not switch) and
//! the mempool [`check_pool`].

#![no_main]

use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::{read, Chain};
use bitcoin_rust_core::mempool::Mempool;
use bitcoin_rust_core::state::AccountsView;
use bitcoin_rust_core::store::memory::MemoryStore;
use bitcoin_rust_core::transaction::{CheckedTransfer, Transfer};
use bitcoin_rust_core::wire::WireMessage;
use bitcoin_rust_fuzz::{check_chain, check_pool, check_unchanged, fixture, NOW};
use libfuzzer_sys::fuzz_target;

/// The most blocks one `GET_BLOCKS` is answered with (the node's default sync batch).
const SYNC_BATCH: usize = 500;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(msg) = WireMessage::decode(text) else { return };
    let again = WireMessage::decode(&msg.to_text()).expect("a decoded message re-encodes to a valid frame");
    assert_eq!(again, msg, "a decoded message round-trips through its text");
    assert_eq!(again.kind(), msg.kind());
    match msg {
        WireMessage::Block { block } => on_blocks(vec![block]),
        WireMessage::Chain { chain } => on_blocks(chain),
        WireMessage::Transaction { transaction } => on_transaction(transaction),
        WireMessage::GetBlocks { locator, from_height, limit } => on_get_blocks(locator, from_height, limit),
        _ => {}
    }
});

fn on_blocks(blocks: Vec<Block>) {
    let f = fixture();
    let mut chain = f.open_chain();
    let mut pool = f.pool.clone();
    let tip = chain.tip();
    let ledger = chain.ledger().clone();
    // As the node does: the whole answer in one batch (one write), stopping at the first
    // refused block; what was done before it is kept and reported as one net switch.
    let done = match chain.process_batch(blocks, NOW) {
        Ok(done) => done,
        Err(stop) => stop.done,
    };
    match &done.switch {
        Some(switch) => {
            assert_eq!(switch.old_tip, tip);
            assert_eq!(switch.new_tip, chain.tip());
            pool.on_chain_switch(switch);
            check_chain(&chain, &switch.connected, true);
            check_pool(&pool, &chain);
        }
        None => check_unchanged(&chain, &tip, &ledger),
    }
}

fn on_transaction(tx: Transfer) {
    let f = fixture();
    let chain = &f.base;
    let Ok(checked) = CheckedTransfer::check(tx, &f.params) else { return };
    let sender = checked.transfer().sender();
    let id = checked.transfer().id;
    let mut view = AccountsView::default();
    view.accounts.insert(sender, chain.account(&sender));
    if matches!(chain.tx_location(&id), Ok(Some(_))) {
        view.confirmed.insert(id);
    }
    let mut pool = f.pool.clone();
    let mut whole: Mempool = f.pool.clone();
    let by_view = pool.add(checked.clone(), &view);
    let by_ledger = whole.add(checked, &chain.tip_state(&[id]).expect("the store reads"));
    assert_eq!(by_view, by_ledger, "a one-account view decides as the whole ledger does");
    check_pool(&pool, chain);
}

fn on_get_blocks(
    locator: Option<Vec<bitcoin_rust_core::hash::BlockHash>>,
    from_height: Option<u64>,
    limit: Option<u32>,
) {
    let chain: &Chain<MemoryStore> = &fixture().base;
    let limit = limit.map(|l| l as usize).unwrap_or(usize::MAX).clamp(1, SYNC_BATCH);
    let s = chain.store();
    let from = match (&locator, from_height) {
        (Some(l), _) => read::fork_height_of_locator(s, l).expect("the store reads").0 + 1,
        (None, Some(h)) => h,
        (None, None) => 1,
    };
    let blocks = read::blocks_in_range(s, Height(from), limit).expect("the store reads");
    assert!(blocks.len() <= limit);
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(b.header.height.0, from + i as u64, "answered blocks are consecutive from the start asked");
        assert_eq!(chain.hash_at(b.header.height), Some(b.hash()), "answered blocks are on the best chain");
    }
    if from <= chain.height().0 {
        assert!(!blocks.is_empty(), "a start within the best chain gets at least one block");
    }
}
