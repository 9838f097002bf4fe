//! Load: while two connected nodes mine, a client submits signed transfers at a steady rate to
//! both and reads balances. Nothing accepted is lost (every transfer ends confirmed), memory
//! stays bounded, and the HTTP latency percentiles are printed for docs/RELIABILITY.md. Then a
//! full pool: the lowest fees are evicted (and say so), the rest kept.
//!
//! `LOAD_SECONDS` (default 15) and `LOAD_RATE` (transfers per second, default 40) set the run;
//! the report's long run uses `LOAD_SECONDS=300 LOAD_RATE=100`. Run with `--nocapture` to see
//! the figures.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::testkit;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{wait_converged, wait_until, Node, NodeOptions, FAST_NETWORK, SOMEONE};
use std::time::{Duration, Instant};

const FUNDING: u64 = 1_000_000;

fn rss_kib(node: &Node) -> u64 {
    let pid = node.pid().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1_000.0
}

/// The test network with `wallets` funded at genesis (no waiting for coins to be mined).
fn funded_network(wallets: &[Wallet]) -> String {
    let mut toml = FAST_NETWORK.to_string();
    for w in wallets {
        toml.push_str(&format!(
            "\n[[network.genesis_allocations]]\naddress = \"{}\"\namount = {FUNDING}\n",
            w.address()
        ));
    }
    toml
}

#[test]
fn steady_load_on_two_mining_nodes_loses_nothing_and_stays_bounded() {
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let rate: u64 = std::env::var("LOAD_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    // Each wallet has at most one transfer in flight (one spend per sender per block), so
    // enough wallets for ~8 s of load each round.
    let wallets: Vec<Wallet> = (0..(rate * 8).clamp(20, 1_000)).map(|i| testkit::wallet(50_000 + i)).collect();
    let network = funded_network(&wallets);
    let root = tempfile::tempdir().unwrap();
    let a = Node::start(root.path(), "a", &NodeOptions { mine: true, network: network.clone(), ..Default::default() });
    let b = Node::start(
        root.path(),
        "b",
        &NodeOptions { mine: true, peers: vec![a.p2p.clone()], network, ..Default::default() },
    );
    wait_converged(&[&a, &b], 2, Duration::from_secs(60));
    let mut nonce = vec![0u64; wallets.len()];
    let mut balance = vec![FUNDING; wallets.len()];
    let mut in_flight: Vec<Option<String>> = vec![None; wallets.len()];
    let mut accepted: Vec<String> = Vec::new();
    let mut post_latency = Vec::new();
    let mut read_latency = Vec::new();
    let mut peak_rss = (rss_kib(&a), rss_kib(&b));
    let start_rss = peak_rss;
    let mut paid = 0u64;
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut next = Instant::now();
    let mut sent = 0u64;
    let mut w = 0usize;
    while started.elapsed() < Duration::from_secs(seconds) {
        // Steady rate: wait for this transfer's slot.
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        next += interval;
        // The next wallet whose last transfer is confirmed.
        let node = if sent.is_multiple_of(2) { &a } else { &b };
        let mut tries = 0;
        loop {
            w = (w + 1) % wallets.len();
            tries += 1;
            match &in_flight[w] {
                None => break,
                Some(id) => {
                    let (_, v) = node.get(&format!("/transactions/{id}"));
                    if v["status"] == "confirmed" {
                        in_flight[w] = None;
                        break;
                    }
                }
            }
            assert!(tries <= wallets.len() * 3, "no wallet free: transfers are not being mined");
        }
        let t = Transfer::sign(
            "e2e-net",
            wallets[w].signing_key(),
            nonce[w],
            0,
            Amount(balance[w]),
            Amount(1),
            vec![
                TxOutput { address: wallets[w].address(), amount: Amount(balance[w] - 2) },
                TxOutput { address: SOMEONE.parse().unwrap(), amount: Amount(1) },
            ],
        );
        let body = serde_json::to_value(&t).unwrap();
        let t0 = Instant::now();
        let (code, answer) = node.post("/transactions", &body);
        post_latency.push(t0.elapsed());
        assert_eq!(code, 202, "{answer}");
        nonce[w] += 1;
        balance[w] -= 2;
        paid += 1;
        in_flight[w] = Some(t.id.to_string());
        accepted.push(t.id.to_string());
        sent += 1;
        // A balance read for every transfer.
        let t0 = Instant::now();
        let _ = node.get_ok(&format!("/balance/{}", wallets[(w * 7) % wallets.len()].address()));
        read_latency.push(t0.elapsed());
        if sent.is_multiple_of(50) {
            peak_rss = (peak_rss.0.max(rss_kib(&a)), peak_rss.1.max(rss_kib(&b)));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    // Nothing accepted is lost: every transfer is mined, on both nodes.
    wait_until("every accepted transfer to be confirmed", Duration::from_secs(120), || {
        accepted.iter().all(|id| a.get(&format!("/transactions/{id}")).1["status"] == "confirmed")
    });
    wait_converged(&[&a, &b], a.height(), Duration::from_secs(60));
    for id in &accepted {
        assert_eq!(b.get(&format!("/transactions/{id}")).1["status"], "confirmed", "{id} at node b");
    }
    assert_eq!(a.balance_of(SOMEONE), paid);
    for (i, wallet) in wallets.iter().enumerate() {
        assert_eq!(a.balance_of(&wallet.address().to_string()), balance[i]);
    }

    post_latency.sort();
    read_latency.sort();
    peak_rss = (peak_rss.0.max(rss_kib(&a)), peak_rss.1.max(rss_kib(&b)));
    println!(
        "load: {sent} transfers in {elapsed:.1} s ({:.1}/s), height {}, all confirmed on both nodes",
        sent as f64 / elapsed,
        a.height()
    );
    println!(
        "load: POST /transactions ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        percentile(&post_latency, 0.5),
        percentile(&post_latency, 0.9),
        percentile(&post_latency, 0.99),
        percentile(&post_latency, 1.0)
    );
    println!(
        "load: GET /balance ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        percentile(&read_latency, 0.5),
        percentile(&read_latency, 0.9),
        percentile(&read_latency, 0.99),
        percentile(&read_latency, 1.0)
    );
    println!(
        "load: RSS KiB node a {} -> peak {}, node b {} -> peak {}",
        start_rss.0, peak_rss.0, start_rss.1, peak_rss.1
    );
    // Bounded: the pool is emptied by mining; the nodes hold the chain and little else.
    assert!(peak_rss.0 < 512 * 1024 && peak_rss.1 < 512 * 1024, "memory grew: {peak_rss:?} KiB");
}

#[test]
fn a_full_pool_evicts_the_lowest_fees_and_keeps_the_rest() {
    let wallets: Vec<Wallet> = (0..30).map(|i| testkit::wallet(70_000 + i)).collect();
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "full",
        &NodeOptions {
            network: funded_network(&wallets),
            extra_toml: "[mempool]\nmax_count = 20\n".into(),
            ..NodeOptions::default()
        },
    );
    // 30 transfers, fees 1..=30, into a pool of 20: the 10 lowest fees leave.
    let mut ids = Vec::new();
    for (i, w) in wallets.iter().enumerate() {
        let fee = i as u64 + 1;
        let t = Transfer::sign(
            "e2e-net",
            w.signing_key(),
            0,
            0,
            Amount(FUNDING),
            Amount(fee),
            vec![TxOutput { address: SOMEONE.parse().unwrap(), amount: Amount(FUNDING - fee) }],
        );
        let (code, answer) = node.post("/transactions", &serde_json::to_value(&t).unwrap());
        assert_eq!(code, 202, "fee {fee}: {answer}");
        ids.push(t.id.to_string());
    }
    let pool = node.get_ok("/transactions");
    assert_eq!(pool.as_array().unwrap().len(), 20);
    for (i, id) in ids.iter().enumerate() {
        let (code, v) = node.get(&format!("/transactions/{id}"));
        if i < 10 {
            assert_eq!((code, v["error"]["code"].as_str()), (404, Some("dropped")), "fee {}: {v}", i + 1);
            assert!(v["error"]["message"].as_str().unwrap().contains("evicted"), "{v}");
        } else {
            assert_eq!((code, v["status"].as_str()), (200, Some("pending")), "fee {}: {v}", i + 1);
        }
    }
    // A transfer paying less than everything in a full pool is refused outright.
    let w = testkit::wallet(70_000);
    let cheap = Transfer::sign(
        "e2e-net",
        w.signing_key(),
        0,
        0,
        Amount(FUNDING),
        Amount(0),
        vec![TxOutput { address: SOMEONE.parse().unwrap(), amount: Amount(FUNDING) }],
    );
    let (code, v) = node.post("/transactions", &serde_json::to_value(&cheap).unwrap());
    assert!((400..500).contains(&code), "{code} {v}");
    assert_eq!(node.get_ok("/transactions").as_array().unwrap().len(), 20);
}
