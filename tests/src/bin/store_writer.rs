//! `store_writer DB_PATH SEED`: a process that writes a chain into a redb store as fast as it can,
//! forever: blocks with transfers between five wallets, and every fifth step a reorganisation
//! (a two-block branch replacing the tip). With a SEED of 1 modulo 5 it writes as a syncing node
//! does instead: batches of 50 to 250 blocks through `Chain::process_batch` (one durable
//! write transaction per batch), the first one built before `ready`, so a kill soon after
//! lands in the middle of a batch. The crash test kills it with SIGKILL at random moments and checks the
//! store it leaves. It prints `ready HEIGHT` once the store is open.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::store::memory::MemoryStore;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::store::ChainStore;
use bitcoin_rust_core::testkit::{address, easy_params, mine, next_block, wallet};
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::PathBuf;

const NOW: u64 = u64::MAX / 2;
const WALLETS: u64 = 5;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(seed)) = (args.next(), args.next()) else {
        eprintln!("usage: store_writer DB_PATH SEED");
        std::process::exit(2);
    };
    let seed: u64 = seed.parse().unwrap_or(0);
    let params = easy_params();
    let store = match RedbStore::open(&PathBuf::from(path), &params) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("store_writer: {e}");
            std::process::exit(1);
        }
    };
    let mut chain = match Chain::open(params.clone(), store) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("store_writer: {e}");
            std::process::exit(1);
        }
    };
    if seed % 5 == 1 {
        write_batches(chain, &params, seed);
    }
    println!("ready {}", chain.height());
    let _ = std::io::stdout().flush();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut step: u64 = 0;
    loop {
        step += 1;
        let height = chain.height().0;
        if step.is_multiple_of(5) && height >= 2 {
            // Replace the tip with a heavier two-block branch.
            let Some(fork) = chain.hash_at(bitcoin_rust_core::amount::Height(height - 1)) else {
                continue;
            };
            let ts = chain.tip_info().timestamp + 1;
            let miner = address(rng.gen_range(0..WALLETS));
            let Some(mut b1) = chain.empty_block_on(&fork, miner, ts) else {
                continue;
            };
            mine(&mut b1);
            let h1 = b1.hash();
            if chain.process_block(b1, NOW).is_err() {
                continue;
            }
            let Some(mut b2) = chain.empty_block_on(&h1, miner, ts + 1) else {
                continue;
            };
            mine(&mut b2);
            if let Err(e) = chain.process_block(b2, NOW) {
                eprintln!("store_writer: reorg block refused: {e}");
                std::process::exit(1);
            }
        } else {
            let txs = transfers(&chain, &params, &mut rng, step);
            let miner = address(rng.gen_range(0..WALLETS));
            let b = next_block(&chain, miner, &txs, 1_000);
            if let Err(e) = chain.process_block(b, NOW) {
                eprintln!("store_writer: block refused: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// Writes batches of blocks with transfers through `process_batch`, forever. The blocks are
/// built on a copy of the chain in memory, as a peer would send them.
fn write_batches(mut chain: Chain<RedbStore>, params: &NetworkParams, seed: u64) -> ! {
    let mut shadow = match Chain::open(params.clone(), MemoryStore::new(params)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("store_writer: {e}");
            std::process::exit(1);
        }
    };
    for h in 1..=chain.height().0 {
        let block = chain.block_at(Height(h)).ok().flatten();
        if let Some(Err(e)) = block.map(|b| shadow.process_block(b, NOW)) {
            eprintln!("store_writer: copying block {h}: {e}");
            std::process::exit(1);
        }
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut step: u64 = 0;
    let mut ready = false;
    loop {
        let mut batch = Vec::new();
        for _ in 0..rng.gen_range(50..250) {
            step += 1;
            let txs = transfers(&shadow, params, &mut rng, step);
            let b = next_block(&shadow, address(rng.gen_range(0..WALLETS)), &txs, 1_000);
            if let Err(e) = shadow.process_block(b.clone(), NOW) {
                eprintln!("store_writer: block refused by the copy: {e}");
                std::process::exit(1);
            }
            batch.push(b);
        }
        if !ready {
            println!("ready {}", chain.height());
            let _ = std::io::stdout().flush();
            ready = true;
        }
        if let Err(refused) = chain.process_batch(batch, NOW) {
            eprintln!("store_writer: batch refused at {}: {}", refused.hash, refused.error);
            std::process::exit(1);
        }
    }
}

/// Transfers between the five wallets, valid at the chain's tip (each wallet pays with
/// probability 0.6 when it has coins).
fn transfers<S: ChainStore>(chain: &Chain<S>, params: &NetworkParams, rng: &mut SmallRng, step: u64) -> Vec<Transfer> {
    let mut txs: Vec<Transfer> = Vec::new();
    for s in 0..WALLETS {
        let w = wallet(s);
        let acct = chain.account(&w.address());
        if acct.balance.0 < 2 || !rng.gen_bool(0.6) {
            continue;
        }
        let to = address((s + rng.gen_range(1..WALLETS)) % WALLETS);
        let amount = rng.gen_range(1..acct.balance.0);
        let fee = rng.gen_range(0..=(acct.balance.0 - amount).min(2));
        let change = acct.balance.0 - amount - fee;
        let mut outputs = vec![TxOutput { address: to, amount: Amount(amount) }];
        if change > 0 {
            outputs.insert(0, TxOutput { address: w.address(), amount: Amount(change) });
        }
        txs.push(Transfer::sign(
            &params.network_id,
            w.signing_key(),
            acct.nonce,
            step,
            acct.balance,
            Amount(fee),
            outputs,
        ));
    }
    txs
}
