//! Benchmarks of the protocol core, each beside a baseline measured in the same run:
//!
//! - `mining/*`: the miner's inner loop (midstate, one compression per nonce) against a plain
//!   `sha2` hash of the same 96-byte header, for blocks of 1 to 5,000 transactions;
//! - `verify/*`: transfer signature verification against a bare `k256` verify of the same digest;
//! - `block_2000/*`: checking a block of 2,000 transfers, signatures on all cores against one;
//! - `balance/*`: balance lookups in a ledger after 1,000 and 100,000 blocks, and the reference
//!   scan (what the first prototype did on every lookup) for contrast.
//!
//! Run with `cargo bench --bench core`; `docs/PERFORMANCE.md` records the figures.

use bitcoin_rust_core::amount::{Amount, Height};
use bitcoin_rust_core::block::{Block, BlockHeader, HeaderHasher, BLOCK_VERSION};
use bitcoin_rust_core::hash::{BlockHash, Hash256};
use bitcoin_rust_core::merkle::merkle_root;
use bitcoin_rust_core::oracle;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::state::{Account, Ledger};
use bitcoin_rust_core::target::{CompactTarget, Target};
use bitcoin_rust_core::testkit::{address, key, wallet};
use bitcoin_rust_core::transaction::{Reward, Transaction, Transfer, TxOutput};
use bitcoin_rust_core::validation::check_block_body;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::Signature;
use primitive_types::U256;
use sha2::{Digest, Sha256};
use std::time::Duration;

const NONCES: u64 = 20_000;

fn params() -> NetworkParams {
    NetworkParams { max_block_transactions: 10_000, max_block_bytes: 8_000_000, ..NetworkParams::default() }
}

/// A block with `n` transfers (signed, from distinct senders) and a reward.
fn block_with(n: usize, p: &NetworkParams) -> Block {
    let mut transactions =
        vec![Transaction::Reward(Reward::new(&p.network_id, Height(1), address(0), Amount(50), String::new()))];
    for i in 0..n as u64 {
        let w = wallet(i + 1);
        transactions.push(Transaction::Normal(Transfer::sign(
            &p.network_id,
            w.signing_key(),
            0,
            i,
            Amount(100),
            Amount(0),
            vec![
                TxOutput { address: w.address(), amount: Amount(60) },
                TxOutput { address: address(0), amount: Amount(40) },
            ],
        )));
    }
    let ids: Vec<_> = transactions.iter().map(|t| t.id()).collect();
    Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            height: Height(1),
            last_hash: BlockHash(Hash256::digest(b"parent")),
            merkle_root: merkle_root(&ids),
            timestamp: 1_700_000_000_000,
            bits: CompactTarget(0x1f01_0000),
            nonce: 0,
        },
        transactions,
    }
}

fn mining(c: &mut Criterion) {
    let p = params();
    let mut g = c.benchmark_group("mining");
    g.throughput(Throughput::Elements(NONCES));
    let impossible = Target(U256::one());
    let header = block_with(1, &p).header;
    g.bench_function("raw_sha256_of_header", |b| {
        let mut bytes = header.encode();
        b.iter(|| {
            let mut best = [0xffu8; 32];
            for nonce in 0..NONCES {
                bytes[88..96].copy_from_slice(&nonce.to_be_bytes());
                let h: [u8; 32] = Sha256::digest(bytes).into();
                if h < best {
                    best = h;
                }
            }
            black_box(best)
        })
    });
    // Every SHA-256 backend this CPU supports, on the same header: what the miner's threads run.
    for backend in bitcoin_rust_core::pow::PowBackend::supported() {
        let search = bitcoin_rust_core::pow::NonceSearch::new(&header, backend);
        g.bench_function(BenchmarkId::new("pow_backend", backend.name()), |b| {
            b.iter(|| black_box(search.search(&impossible, 0..NONCES)))
        });
    }
    for n in [1usize, 100, 1_000, 5_000] {
        let block = block_with(n, &p);
        g.bench_with_input(BenchmarkId::new("midstate_search", n), &block, |b, block| {
            b.iter(|| {
                // What the miner does per attempt: prepare the midstate, then hash nonces.
                let hasher = HeaderHasher::new(&block.header);
                black_box(hasher.search(&impossible, 0..NONCES))
            })
        });
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    let p = params();
    let block = block_with(1, &p);
    let Transaction::Normal(t) = &block.transactions[1] else { unreachable!() };
    let digest = t.sighash(&p.network_id);
    let sig = Signature::from_slice(&t.input.signature.0).expect("valid signature");
    let vk = *key(1).verifying_key();
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("raw_k256_verify_prehash", |b| b.iter(|| black_box(vk.verify_prehash(&digest, &sig).is_ok())));
    g.bench_function("ecdsa_check_verify_prehash", |b| {
        b.iter(|| black_box(bitcoin_rust_core::ecdsa_check::verify_prehash(&vk, &digest, &sig)))
    });
    g.bench_function("transfer_verify_signature", |b| b.iter(|| black_box(t.verify_signature(&p.network_id).is_ok())));
    g.bench_function("check_transfer_full", |b| {
        b.iter(|| black_box(bitcoin_rust_core::transaction::check_transfer(t, &p, true).is_ok()))
    });
    g.finish();
}

fn block_2000(c: &mut Criterion) {
    let p = params();
    let block = block_with(2_000, &p);
    let mut g = c.benchmark_group("block_2000");
    g.throughput(Throughput::Elements(2_000));
    g.sample_size(10);
    g.bench_function("check_block_body_all_cores", |b| {
        b.iter(|| black_box(check_block_body(&block, &p, true).is_ok()))
    });
    g.bench_function("signatures_one_core", |b| {
        b.iter(|| {
            for tx in &block.transactions[1..] {
                if let Transaction::Normal(t) = tx {
                    black_box(t.verify_signature(&p.network_id).is_ok());
                }
            }
        })
    });
    g.bench_function("connect_block_state_rules", |b| {
        // Every sender holds exactly the 100 its transfer spends.
        let accounts = (0..2_000u64).map(|i| (address(i + 1), Account { balance: Amount(100), nonce: 0 })).collect();
        let ledger = Ledger::from_parts(accounts, Default::default());
        b.iter_batched(|| ledger.clone(), |mut l| black_box(l.connect_block(&block, &p).is_ok()), BatchSize::LargeInput)
    });
    g.finish();
}

fn balance(c: &mut Criterion) {
    let p = params();
    let mut g = c.benchmark_group("balance");
    g.throughput(Throughput::Elements(1));
    for blocks in [1_000u64, 100_000] {
        let mut ledger = Ledger::new();
        let mut chain = Vec::new();
        for h in 1..=blocks {
            let r = Reward::new(&p.network_id, Height(h), address(h % 1_000), p.subsidy(Height(h)), String::new());
            let b = Block {
                header: BlockHeader {
                    version: BLOCK_VERSION,
                    height: Height(h),
                    last_hash: BlockHash::default(),
                    merkle_root: Hash256::ZERO,
                    timestamp: h,
                    bits: CompactTarget(0x1f01_0000),
                    nonce: 0,
                },
                transactions: vec![Transaction::Reward(r)],
            };
            ledger.connect_block(&b, &p).expect("reward-only block");
            if blocks <= 1_000 {
                chain.push(b);
            }
        }
        let who = address(7);
        g.bench_with_input(BenchmarkId::new("ledger_lookup", blocks), &ledger, |b, l| {
            b.iter(|| black_box(l.balance(&who)))
        });
        if !chain.is_empty() {
            g.bench_with_input(BenchmarkId::new("oracle_scan", blocks), &chain, |b, c| {
                b.iter(|| black_box(oracle::balance(c, &who)))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = mining, verify, block_2000, balance
}
criterion_main!(benches);
