//! Shared fixtures and checks of the fuzz targets.
//!
//! A small valid chain is built once per process with the core's testkit (difficulty 1, so a
//! block is mined in about 16 hashes; deterministic keys): six blocks with transfers between
//! wallets 1 to 4, valid blocks that are not in it yet (the next block on the tip, with and
//! without transfers, a sibling of the tip and a block on that sibling that makes a heavier
//! fork), valid pending transfers and a mempool holding one of them. Each run opens a fresh
//! [`Chain`] over a clone of the in-memory store, so runs never see each other's blocks.
//!
//! The checks are the invariants every run must keep, whatever a peer sent:
//! [`check_chain`] (the ledger equals a replay of the best chain with every rule, the total
//! supply equals the sum of the subsidies, every balance and nonce equals the reference scan of
//! [`oracle`]) and [`check_pool`] (the mempool holds only transfers valid at the tip).

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::{Amount, Height};
use bitcoin_rust_core::block::{Block, HeaderHasher};
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::mempool::{Mempool, MempoolLimits};
use bitcoin_rust_core::oracle;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::state::{Ledger, TipState};
use bitcoin_rust_core::store::memory::MemoryStore;
use bitcoin_rust_core::store::ChainStore;
use bitcoin_rust_core::testkit::{address, easy_params, key, next_block, pay, wallet};
use bitcoin_rust_core::transaction::Transfer;
use bitcoin_rust_core::validation::{check_block_body, check_header, verify_signatures_parallel};
use std::sync::OnceLock;

pub mod mutate;

/// The clock every run uses, in ms: far after the fixture's timestamps, so none is "in the
/// future", while a mutated timestamp can still be.
pub const NOW: u64 = 10_000_000_000;

/// The next `N` bytes of `data` (zeros past its end), consumed: how the targets that read a
/// fixed layout take their fields from the input.
pub fn take<const N: usize>(data: &mut &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = N.min(data.len());
    out[..n].copy_from_slice(&data[..n]);
    *data = &data[n..];
    out
}

/// How many deterministic wallets the targets use (seeds `0..WALLETS`).
pub const WALLETS: u64 = 8;

/// A valid block not in the base chain, with the valid blocks that must be processed first.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// What it is, for the seed corpus's file names.
    pub name: &'static str,
    /// Blocks to process before it (not mutated).
    pub before: Vec<Block>,
    /// The block.
    pub block: Block,
}

/// Everything the targets share, built once.
pub struct Fixture {
    /// The network parameters (testkit's easy ones).
    pub params: NetworkParams,
    /// The store of the base chain, cloned for each run.
    pub store: MemoryStore,
    /// The base chain, opened once, for reading.
    pub base: Chain<MemoryStore>,
    /// The base chain's blocks, height 1 first.
    pub blocks: Vec<Block>,
    /// Valid blocks not in the base chain.
    pub candidates: Vec<Candidate>,
    /// Transfers valid at the base tip, one per sender (wallets 1, 2 and 3).
    pub transfers: Vec<Transfer>,
    /// A mempool at the base tip holding the first of `transfers`.
    pub pool: Mempool,
    /// The address and key of each wallet seed `0..WALLETS`.
    pub wallets: Vec<(Address, SigningKey)>,
}

impl Fixture {
    /// Opens a fresh chain over a copy of the base store.
    pub fn open_chain(&self) -> Chain<MemoryStore> {
        Chain::open(self.params.clone(), self.store.clone()).expect("the fixture's store opens")
    }

    /// Returns the address of wallet `seed % WALLETS`.
    pub fn address(&self, seed: u8) -> Address {
        self.wallets[(seed as u64 % WALLETS) as usize].0
    }

    /// Returns the key of an address, if it is one of the wallets.
    pub fn key_of(&self, address: &Address) -> Option<&SigningKey> {
        self.wallets.iter().find(|(a, _)| a == address).map(|(_, k)| k)
    }
}

/// Returns the fixture, building it on first use (about 50 ms).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn process(chain: &mut Chain<MemoryStore>, block: &Block) {
    let p = chain.process_block(block.clone(), NOW).expect("fixture blocks are valid");
    assert!(p.invalid.is_empty(), "fixture blocks are valid: {:?}", p.invalid);
}

fn build_fixture() -> Fixture {
    let params = easy_params();
    let mut chain = Chain::open(params.clone(), MemoryStore::new(&params)).expect("a new chain opens");
    let mut blocks = Vec::new();
    let mut stores = Vec::new();
    for height in 1..=6u64 {
        stores.push(chain.store().clone());
        let transfers = match height {
            5 => vec![pay(&chain, &wallet(1), &[(address(2), 30), (address(3), 20)], 1)],
            6 => vec![pay(&chain, &wallet(2), &[(address(3), 5)], 1)],
            _ => vec![],
        };
        let miner = if height <= 4 { address(1) } else { address(4) };
        let b = next_block(&chain, miner, &transfers, 1_000);
        process(&mut chain, &b);
        blocks.push(b);
    }
    let store = chain.store().clone();
    let transfers = vec![
        pay(&chain, &wallet(1), &[(address(2), 7), (address(5), 3)], 2),
        pay(&chain, &wallet(3), &[(address(1), 4)], 1),
        pay(&chain, &wallet(2), &[(address(6), 9)], 3),
    ];
    let mut candidates = vec![
        Candidate {
            name: "tip_with_transfers",
            before: vec![],
            block: next_block(&chain, address(5), &transfers, 1_000),
        },
        Candidate { name: "tip_empty", before: vec![], block: next_block(&chain, address(6), &[], 2_000) },
    ];
    // A sibling of the tip (height 6 on block 5) spending from wallet 1 differently, and a
    // block on it: together they outweigh the base chain and make a reorganisation.
    let mut fork = Chain::open(params.clone(), stores[5].clone()).expect("a stored chain opens");
    let spend = pay(&fork, &wallet(1), &[(address(6), 11)], 2);
    let sibling = next_block(&fork, address(7), &[spend], 1_500);
    process(&mut fork, &sibling);
    let spend = pay(&fork, &wallet(3), &[(address(7), 6)], 1);
    let on_sibling = next_block(&fork, address(5), &[spend], 1_000);
    candidates.push(Candidate { name: "fork_sibling", before: vec![], block: sibling.clone() });
    candidates.push(Candidate { name: "fork_reorg", before: vec![sibling], block: on_sibling });
    // A block at height 5 on block 4: a fork two blocks lighter than the tip.
    let old = Chain::open(params.clone(), stores[4].clone()).expect("a stored chain opens");
    let spend = pay(&old, &wallet(1), &[(address(3), 17)], 4);
    candidates.push(Candidate {
        name: "fork_old",
        before: vec![],
        block: next_block(&old, address(2), &[spend], 1_200),
    });
    let mut pool = Mempool::new(MempoolLimits { max_count: 4, max_bytes: 4_096 }, &params);
    pool.check_and_add(transfers[0].clone(), chain.ledger(), &params).expect("the fixture's transfer is valid");
    let wallets = (0..WALLETS).map(|s| (address(s), key(s))).collect();
    Fixture { params, store, base: chain, blocks, candidates, transfers, pool, wallets }
}

/// Tries `tries` nonces from `start` for the header's target; returns true (with the nonce set)
/// when one meets it. Bits that decode to no target are left alone.
pub fn try_mine(block: &mut Block, start: u64, tries: u64) -> bool {
    let Ok(target) = block.header.bits.to_target() else { return false };
    let hasher = HeaderHasher::new(&block.header);
    match hasher.search(&target, start..start.saturating_add(tries)) {
        Some((nonce, _)) => {
            block.header.nonce = nonce;
            true
        }
        None => false,
    }
}

/// Returns the best chain's blocks, height 1 first.
pub fn active_blocks(chain: &Chain<MemoryStore>) -> Vec<Block> {
    (1..=chain.height().0)
        .map(|h| {
            chain.block_at(Height(h)).expect("the store reads").expect("every height of the best chain has a block")
        })
        .collect()
}

/// Checks the invariants of a chain after a switch of its best chain to `connected` blocks:
/// the best chain is linked, replays from genesis with every rule to the ledger held at the tip,
/// the supply is exactly the subsidies paid, and every account equals the reference scan.
///
/// With `full_replay` the replay is [`Chain::verify_by_replay`], which verifies every signature
/// of the best chain again. Without it the replay applies the same rules in the same order
/// (header against its parent, body, state) but verifies only the signatures of the `connected`
/// blocks: the fixture's blocks were verified when it was built, so the result is the same for
/// about a third of the cost, which is most of a `mutated_block` run.
pub fn check_chain(chain: &Chain<MemoryStore>, connected: &[Block], full_replay: bool) {
    let params = chain.params();
    let blocks = active_blocks(chain);
    if full_replay {
        chain.verify_by_replay().expect("the ledger equals a replay of the best chain");
    } else {
        let now = u64::MAX - params.max_future_block_time_ms;
        let mut ledger = Ledger::new();
        for b in &blocks {
            let ctx = chain.header_context(&b.header.last_hash, now).expect("the parent is in the tree");
            check_header(&b.header, &ctx, params).expect("a best-chain header passes its rules on replay");
            check_block_body(b, params, false).expect("a best-chain body passes its rules on replay");
            ledger.connect_block(b, params).expect("a best-chain block connects on replay");
        }
        assert_eq!(ledger.accounts(), chain.ledger().accounts(), "the accounts equal a replay of the best chain");
        // The chain's transaction index is in its store (the ledger holds only what a switch in
        // progress changes): the stored index must equal the replay's.
        let mut index = chain.store().tx_index().expect("the store reads");
        chain.ledger().apply_pending(&mut index);
        assert_eq!(&index, ledger.txids(), "the transaction index equals a replay of the best chain");
        for b in connected {
            verify_signatures_parallel(b, params).expect("a connected block's signatures verify");
        }
    }
    let mut parent = chain.genesis_hash();
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(b.header.height, Height(i as u64 + 1), "best chain heights are consecutive");
        assert_eq!(b.header.last_hash, parent, "the best chain is linked");
        parent = b.hash();
    }
    assert_eq!(parent, chain.tip(), "the tip ends the best chain");
    for b in connected {
        assert!(chain.is_active(&b.hash()), "a connected block is on the best chain");
    }
    let subsidies = Amount::checked_sum((1..=chain.height().0).map(|h| params.subsidy(Height(h))));
    assert_eq!(chain.ledger().total_supply(), subsidies, "the supply is the sum of the subsidies");
    for (a, acct) in chain.ledger().accounts() {
        assert_eq!(oracle::balance(&blocks, a), acct.balance, "balance of {a} equals the reference scan");
        assert_eq!(oracle::nonce(&blocks, a), acct.nonce, "nonce of {a} equals the reference scan");
    }
}

/// Checks that a chain that reported no switch kept its tip and its ledger.
pub fn check_unchanged(chain: &Chain<MemoryStore>, tip: &bitcoin_rust_core::hash::BlockHash, ledger: &Ledger) {
    assert_eq!(&chain.tip(), tip, "no switch reported, so the tip is unchanged");
    assert_eq!(chain.ledger(), ledger, "no switch reported, so the ledger is unchanged");
}

/// Checks that every pending transfer of `pool` is valid at the chain's tip and not confirmed.
pub fn check_pool(pool: &Mempool, chain: &Chain<MemoryStore>) {
    let pending = pool.by_fee();
    let ids: Vec<_> = pending.iter().map(|t| t.id).collect();
    let tip = chain.tip_state(&ids).expect("the store reads");
    for t in pending {
        assert!(!tip.is_confirmed(&t.id), "pending transfer {} is not already in the chain", t.id);
        tip.check_spend(&t).expect("every pending transfer is valid at the tip");
    }
}
