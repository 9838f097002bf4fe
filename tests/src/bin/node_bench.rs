//! `node_bench`: the node's benchmarks, against real node processes on loopback, each figure
//! beside a baseline measured in the same run. Build and run in release mode:
//!
//! ```text
//! cargo build --release -p bitcoin-rust-node -p bitcoin-rust-tests
//! NODE_BIN=target/release/bitcoin_rust target/release/node_bench [--quick]
//! ```
//!
//! 1. Transfers signed elsewhere accepted through `POST /transactions` per second, against the
//!    raw `k256` verify rate of this machine's cores; `GET /balance` latency under that load.
//! 2. A fresh node syncing 10,000 blocks from a peer: blocks per second and peak memory.
//! 3. A node's memory and start-up time with 1,000, 20,000 and 120,000 blocks (or
//!    `NODE_BENCH_MEMORY_BLOCKS`), the memory per block, and balance lookups on it.
//! 4. A block travelling down a line of 10 nodes: the delay per hop (from each node's first
//!    sighting of the block), against the time one node takes to validate and store such a block.
//!
//! Chains are built in-process with the protocol core (reward-only blocks at difficulty 1 in
//! bulk mode), then served by real nodes.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::testkit::{mine, wallet};
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{wait_until, Node};
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RATE_MS: u64 = 1_000;

fn params() -> NetworkParams {
    NetworkParams {
        network_id: "bench".into(),
        initial_difficulty: 1,
        mine_rate_ms: RATE_MS,
        mining_reward: Amount(1_000_000_000_000),
        ..NetworkParams::default()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn config_toml(data_dir: &Path, peers: &[String]) -> String {
    let p = params();
    let peers: Vec<String> = peers.iter().map(|u| format!("{u:?}")).collect();
    format!(
        "[network]\nnetwork_id = {:?}\ninitial_difficulty = {}\nmine_rate_ms = {}\nmining_reward = {}\n\n\
         [http]\nport = 0\nworkers = 2\n\n[p2p]\nport = 0\npeers = [{}]\nretry_initial_ms = 100\n\n\
         [mempool]\nmax_count = 50000\nmax_bytes = 67108864\n\n[storage]\ndata_dir = {:?}\n",
        p.network_id,
        p.initial_difficulty,
        p.mine_rate_ms,
        p.mining_reward.0,
        peers.join(", "),
        data_dir.join("data").display().to_string()
    )
}

/// Builds `blocks` blocks in `dir`'s store; `body` may add transfers to each block.
fn build_chain(dir: &Path, blocks: u64, mut transfers: impl FnMut(&Chain<RedbStore>, u64) -> Vec<Transfer>) {
    std::fs::create_dir_all(dir.join("data")).expect("data dir");
    let p = params();
    let mut store = RedbStore::open(&dir.join("data/chain.redb"), &p).expect("store");
    store.set_bulk_mode(true).expect("bulk");
    let mut chain = Chain::open(p.clone(), store).expect("chain");
    let start = now_ms() - (blocks + 10) * RATE_MS;
    let miner = wallet(0).address();
    for i in 1..=blocks {
        if i % 20_000 == 0 {
            // redb reuses the pages a commit frees only after a durable commit: without one
            // now and then, a long bulk build grows the file by every page it ever wrote.
            let mut store = chain.into_store();
            store.set_bulk_mode(false).and_then(|()| store.set_bulk_mode(true)).expect("flush");
            chain = Chain::open(p.clone(), store).expect("chain");
        }
        let txs = transfers(&chain, i);
        let mut b = chain.block_template(miner, &txs, "", start + i * RATE_MS).block;
        assert_eq!(b.transactions.len(), txs.len() + 1, "every transfer fits");
        mine(&mut b);
        chain.process_block(b, u64::MAX / 2).expect("valid block");
    }
    let mut store = chain.into_store();
    store.set_bulk_mode(false).expect("flush");
}

fn start_node(root: &Path, name: &str, peers: &[String]) -> Node {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("node.toml");
    std::fs::write(&config, config_toml(&dir, peers)).expect("config");
    Node::start_with_config(name, &config, &dir)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 14th, stime the 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds the hypervisor has given other guests while this machine wanted them, so far
/// (`steal` in `/proc/stat`, all CPUs): on a shared host, a run with much of it is noisy.
fn stolen_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu = stat.lines().find(|l| l.starts_with("cpu ")).unwrap_or("");
    cpu.split_whitespace().nth(8).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Raw verify rates of one thread and of all threads together, on one signature: `k256`'s own
/// `verify_prehash` (the issue's reference) and the node's variable-time check
/// (`ecdsa_check::verify_prehash`, which the node runs), each alone.
#[derive(Clone, Copy)]
struct VerifyRates {
    k256_single: f64,
    k256_all: f64,
    node_single: f64,
    node_all: f64,
    threads: usize,
}

impl VerifyRates {
    fn measure() -> Self {
        let w = wallet(7);
        let t = Transfer::sign(
            "bench",
            w.signing_key(),
            0,
            0,
            Amount(2),
            Amount(0),
            vec![TxOutput { address: w.address(), amount: Amount(2) }],
        );
        let digest = t.sighash("bench");
        let sig = k256::ecdsa::Signature::from_slice(&t.input.signature.0).expect("signature");
        let vk = *w.signing_key().verifying_key();
        let n = 3_000;
        let k256_loop = |n: usize| {
            for _ in 0..n {
                assert!(vk.verify_prehash(&digest, &sig).is_ok());
            }
        };
        let node_loop = |n: usize| {
            for _ in 0..n {
                assert!(bitcoin_rust_core::ecdsa_check::verify_prehash(&vk, &digest, &sig));
            }
        };
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let rates = |run: &(dyn Fn(usize) + Sync)| {
            let t0 = Instant::now();
            run(n);
            let single = n as f64 / t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| run(n));
                }
            });
            (single, (n * threads) as f64 / t0.elapsed().as_secs_f64())
        };
        let (k256_single, k256_all) = rates(&k256_loop);
        let (node_single, node_all) = rates(&node_loop);
        VerifyRates { k256_single, k256_all, node_single, node_all, threads }
    }

    /// The mean of two measurements (before and after a run: on a shared host the cores'
    /// speed drifts, and the mean brackets the minutes the node was measured in).
    fn mean(&self, other: &Self) -> Self {
        VerifyRates {
            k256_single: (self.k256_single + other.k256_single) / 2.0,
            k256_all: (self.k256_all + other.k256_all) / 2.0,
            node_single: (self.node_single + other.node_single) / 2.0,
            node_all: (self.node_all + other.node_all) / 2.0,
            threads: self.threads,
        }
    }
}

/// The load generator's HTTP client: one keep-alive HTTP/1.1 connection, requests encoded
/// before the clock starts, answers read to their end (status line, headers, `Content-Length`
/// bytes of body). It costs the shared cores a few system calls per request, where a general
/// client (`ureq`: URL parsing, header maps, a connection pool) cost about 50 µs of CPU per
/// transfer, a sixth of what the node spends; the node is what this benchmark measures.
struct KeepAliveClient {
    stream: std::io::BufReader<std::net::TcpStream>,
    line: String,
}

impl KeepAliveClient {
    fn connect(http: &str) -> Self {
        let addr = http.trim_start_matches("http://");
        let stream = std::net::TcpStream::connect(addr).expect("connect to the node");
        stream.set_nodelay(true).expect("nodelay");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        KeepAliveClient { stream: std::io::BufReader::new(stream), line: String::new() }
    }

    /// The bytes of `POST path` with a JSON `body`, for the node at `http`.
    fn post_request(http: &str, path: &str, body: &str) -> Vec<u8> {
        let host = http.trim_start_matches("http://");
        format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// Sends one encoded request and reads its whole answer; returns the status.
    fn send(&mut self, request: &[u8]) -> u16 {
        use std::io::{BufRead, Read, Write};
        self.stream.get_mut().write_all(request).expect("send the request");
        self.line.clear();
        self.stream.read_line(&mut self.line).expect("status line");
        let status = self.line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("a status code");
        let mut length = 0usize;
        loop {
            self.line.clear();
            self.stream.read_line(&mut self.line).expect("header line");
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("a Content-Length");
                }
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).expect("the answer's body");
        status
    }
}

fn bench_transactions(root: &Path, fanout: u64) {
    // Fund fanout x fanout senders in two fan-out blocks.
    let first: Vec<Wallet> = (1..=fanout).map(wallet).collect();
    let second: Vec<Wallet> = (0..fanout * fanout).map(|i| wallet(1_000 + i)).collect();
    let dir = root.join("tx-node");
    let build_first = first.clone();
    let build_second = second.clone();
    build_chain(&dir, 3, |chain, i| {
        let net = &chain.params().network_id;
        let pay = |from: &Wallet, to: &[Wallet]| {
            let acct = chain.account(&from.address());
            let share = acct.balance.0 / (to.len() as u64 + 1);
            let outs: Vec<TxOutput> =
                to.iter().map(|w| TxOutput { address: w.address(), amount: Amount(share) }).collect();
            from.pay_many(net, 1_000, acct, &outs, Amount(0), 0).expect("funded")
        };
        match i {
            2 => vec![pay(&wallet(0), &build_first)],
            3 => build_first
                .iter()
                .enumerate()
                .map(|(k, w)| pay(w, &build_second[k * fanout as usize..(k + 1) * fanout as usize]))
                .collect(),
            _ => Vec::new(),
        }
    });
    let node = start_node(root, "tx-node", &[]);
    assert_eq!(node.height(), 3);
    // Sign one transfer per funded sender and encode its request (in-process, not measured).
    let net = params().network_id;
    let txs: Vec<Vec<u8>> = second
        .iter()
        .map(|w| {
            let info = node.get_ok(&format!("/balance/{}", w.address()));
            let balance = info["balance"].as_u64().expect("balance");
            let acct = bitcoin_rust_core::state::Account { balance: Amount(balance), nonce: 0 };
            let out = [TxOutput { address: wallet(0).address(), amount: Amount(1) }];
            let t = w.pay_many(&net, 100, acct, &out, Amount(1), 0).expect("pay");
            let body = serde_json::to_string(&t).expect("json");
            KeepAliveClient::post_request(&node.http, "/transactions", &body)
        })
        .collect();
    let before = VerifyRates::measure();
    let total = txs.len();
    let txs = Arc::new(txs);
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let http = node.http.clone();
    let probe_address = second[0].address().to_hex();
    let probe = {
        let http = http.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
            let mut lat = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let ok = agent.get(&format!("{http}/balance/{probe_address}")).call().is_ok();
                if ok {
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            lat
        })
    };
    let node_pid = node.pid().expect("pid");
    let cpu_before = cpu_seconds(node_pid);
    let client_cpu_before = cpu_seconds(std::process::id());
    let t0 = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (txs, next, accepted, http) = (txs.clone(), next.clone(), accepted.clone(), http.clone());
            std::thread::spawn(move || {
                let mut client = KeepAliveClient::connect(&http);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= txs.len() {
                        break;
                    }
                    if client.send(&txs[i]) == 202 {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let node_cpu = cpu_seconds(node_pid) - cpu_before;
    let client_cpu = cpu_seconds(std::process::id()) - client_cpu_before;
    done.store(true, Ordering::Relaxed);
    // The reference again right after the run.
    let after = VerifyRates::measure();
    let r = before.mean(&after);
    let threads = r.threads;
    let mut lat = probe.join().expect("probe");
    lat.sort_by(|a, b| a.total_cmp(b));
    let accepted = accepted.load(Ordering::Relaxed);
    let rate = accepted as f64 / elapsed;
    let pool = node.status()["mempool"].as_u64().unwrap_or(0);
    println!("## Transfers through POST /transactions ({total} signed elsewhere, 8 client threads)\n");
    println!("| what | figure |\n|---|---:|");
    println!(
        "| baseline: raw `k256` verify, 1 thread (before / after the run) | {:.0} /s ({:.0} / {:.0}) |",
        r.k256_single, before.k256_single, after.k256_single
    );
    println!(
        "| baseline: raw `k256` verify, {threads} threads (before / after the run) | {:.0} /s ({:.0} / {:.0}) |",
        r.k256_all, before.k256_all, after.k256_all
    );
    println!(
        "| the node's own check (`ecdsa_check`), raw, {threads} threads (before / after) | {:.0} /s ({:.0} / {:.0}) |",
        r.node_all, before.node_all, after.node_all
    );
    println!("| accepted by the node | {accepted} of {total} in {elapsed:.2} s = **{rate:.0} /s** |");
    println!(
        "| share of the {threads}-thread raw `k256` verify rate (the issue's reference) | **{:.0}%** |",
        100.0 * rate / r.k256_all
    );
    println!("| share of the {threads}-thread raw rate of the node's own check | {:.0}% |", 100.0 * rate / r.node_all);
    println!("| mempool after the run | {pool} |");
    let per_tx_us = node_cpu * 1e6 / accepted.max(1) as f64;
    println!(
        "| node CPU per accepted transfer (user + system; the load generator shares the cores) | {per_tx_us:.0} µs, of which the raw check is {:.0} µs ({:.0}%; a `k256` verify: {:.0} µs) |",
        1e6 / r.node_single,
        100.0 * (1e6 / r.node_single) / per_tx_us,
        1e6 / r.k256_single
    );
    println!(
        "| the load generator's CPU per transfer (8 client threads and the probe, same cores) | {:.0} µs |",
        client_cpu * 1e6 / accepted.max(1) as f64
    );
    println!(
        "| node's rate if it had both cores to itself (2 / CPU per transfer) | {:.0} /s = {:.0}% of the raw `k256` rate |",
        2e6 / per_tx_us,
        100.0 * (2e6 / per_tx_us) / r.k256_all
    );
    println!(
        "| GET /balance under that load ({} requests): p50 / p99 / max | {:.2} / **{:.2}** / {:.2} ms |\n",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

/// Durable 4 KiB writes per second in `dir` (write, then `fdatasync`): the rate at which a store
/// that flushed every block could commit at best.
fn fsync_rate(dir: &Path) -> f64 {
    use std::io::{Seek, SeekFrom, Write};
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let page = [0x5au8; 4096];
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_secs(1) {
        f.seek(SeekFrom::Start(0)).expect("seek");
        f.write_all(&page).expect("write");
        f.sync_data().expect("fdatasync");
        n += 1;
    }
    let _ = std::fs::remove_file(&path);
    n as f64 / t0.elapsed().as_secs_f64()
}

fn bench_sync(root: &Path, blocks: u64) {
    let fsyncs = fsync_rate(root);
    let t0 = Instant::now();
    build_chain(&root.join("sync-source"), blocks, |_, _| Vec::new());
    let built = t0.elapsed().as_secs_f64();
    let source = start_node(root, "sync-source", &[]);
    assert_eq!(source.height(), blocks);
    let stolen = stolen_seconds();
    let t0 = Instant::now();
    let fresh = start_node(root, "sync-fresh", std::slice::from_ref(&source.p2p));
    let pid = fresh.pid().expect("pid");
    let source_pid = source.pid().expect("pid");
    // The syncing node's CPU from its start (start-up included); the source's during the sync.
    let cpu_source = cpu_seconds(source_pid);
    let mut peak = 0;
    wait_until("the fresh node to sync", Duration::from_secs(1_200), || {
        peak = peak.max(rss_kib(pid, "VmHWM:"));
        fresh.height() >= blocks
    });
    let secs = t0.elapsed().as_secs_f64();
    let (cpu_fresh, cpu_source) = (cpu_seconds(pid), cpu_seconds(source_pid) - cpu_source);
    let stolen = stolen_seconds() - stolen;
    peak = peak.max(rss_kib(pid, "VmHWM:"));
    println!("## A fresh node syncing {blocks} blocks from a peer\n");
    println!("| what | figure |\n|---|---:|");
    println!(
        "| building the chain in-process (core only, bulk mode) | {built:.1} s ({:.0} blocks/s) |",
        blocks as f64 / built
    );
    println!("| baseline: durable 4 KiB writes (write + fdatasync), same run | {fsyncs:.0} /s |");
    println!("| sync over P2P (GET_BLOCKS batches of up to 500, full validation, one durable write per 500 blocks or 8 MiB) | {secs:.1} s = **{:.0} blocks/s** |", blocks as f64 / secs);
    println!(
        "| CPU per block (user + system, start-up included): syncing node / serving node | {:.0} / {:.0} µs |",
        cpu_fresh * 1e6 / blocks as f64,
        cpu_source * 1e6 / blocks as f64
    );
    println!("| peak memory of the syncing node (VmHWM) | **{:.1} MiB** |", peak as f64 / 1024.0);
    println!("| CPU time stolen by the hypervisor during the sync (both CPUs) | {stolen:.2} s |\n");
}

/// A fresh node syncing `blocks` blocks of `per_block` transfers each (after three blocks that
/// fund the senders), against the raw 2-thread verify rate of the same run: how close block
/// validation over P2P comes to the signature checks it cannot avoid.
fn bench_sync_transfers(root: &Path, blocks: u64, per_block: usize) {
    let fanout = (per_block as f64).sqrt().ceil() as usize;
    let first: Vec<Wallet> = (0..fanout as u64).map(|i| wallet(20_000 + i)).collect();
    let senders: Vec<Wallet> = (0..(fanout * fanout) as u64).map(|i| wallet(30_000 + i)).collect();
    let dir = root.join("sync-tx-source");
    let (build_first, build_senders) = (first.clone(), senders.clone());
    let t0 = Instant::now();
    build_chain(&dir, 3 + blocks, |chain, i| {
        let net = &chain.params().network_id;
        let pay = |from: &Wallet, to: &[TxOutput], fee: u64| {
            from.pay_many(net, 1_000, chain.account(&from.address()), to, Amount(fee), 0).expect("funded")
        };
        let share = |to: &[Wallet], each: u64| -> Vec<TxOutput> {
            to.iter().map(|w| TxOutput { address: w.address(), amount: Amount(each) }).collect()
        };
        // Every sender pays 1 coin and a fee of 1 in each of the blocks.
        let per_sender = 2 * blocks;
        match i {
            2 => vec![pay(&wallet(0), &share(&build_first, per_sender * fanout as u64 + 1), 0)],
            3 => build_first
                .iter()
                .enumerate()
                .map(|(k, w)| pay(w, &share(&build_senders[k * fanout..(k + 1) * fanout], per_sender), 0))
                .collect(),
            i if i > 3 => build_senders[..per_block]
                .iter()
                .map(|w| pay(w, &[TxOutput { address: wallet(0).address(), amount: Amount(1) }], 1))
                .collect(),
            _ => Vec::new(),
        }
    });
    let built = t0.elapsed().as_secs_f64();
    let source = start_node(root, "sync-tx-source", &[]);
    assert_eq!(source.height(), 3 + blocks);
    let before = VerifyRates::measure();
    let stolen = stolen_seconds();
    let t0 = Instant::now();
    let fresh = start_node(root, "sync-tx-fresh", std::slice::from_ref(&source.p2p));
    let pid = fresh.pid().expect("pid");
    let mut peak = 0;
    // The first moment a block of transfers is connected: from there on, the rate is the
    // pipeline's (fetching, decoding, validating, writing), without start-up and first fetch.
    let mut first: Option<(Instant, u64)> = None;
    wait_until("the fresh node to sync", Duration::from_secs(1_200), || {
        peak = peak.max(rss_kib(pid, "VmHWM:"));
        let height = fresh.height();
        if first.is_none() && height > 3 {
            first = Some((Instant::now(), height));
        }
        height >= 3 + blocks
    });
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid);
    let (t1, h1) = first.expect("a height was seen");
    let steady = (3 + blocks - h1) as f64 * per_block as f64 / t1.elapsed().as_secs_f64();
    peak = peak.max(rss_kib(pid, "VmHWM:"));
    let stolen = stolen_seconds() - stolen;
    // The reference again right after the sync (the cores' speed drifts on a shared host).
    let after = VerifyRates::measure();
    let r = before.mean(&after);
    let (threads, all) = (r.threads, r.k256_all);
    let transfers = blocks as f64 * per_block as f64;
    println!("## A fresh node syncing {blocks} blocks of {per_block} transfers from a peer\n");
    println!("| what | figure |\n|---|---:|");
    println!("| building the chain in-process (signing and validating every transfer) | {built:.1} s |");
    println!(
        "| baseline: raw `k256` verify, {threads} threads, same run (before / after the sync) | {all:.0} /s ({:.0} / {:.0}) |",
        before.k256_all, after.k256_all
    );
    println!(
        "| the node's own check (`ecdsa_check`), raw, {threads} threads (before / after) | {:.0} /s ({:.0} / {:.0}) |",
        r.node_all, before.node_all, after.node_all
    );
    println!(
        "| sync over P2P (start-up included), transfers validated per second | {secs:.2} s = **{:.0} /s** ({:.0}% of the baseline) |",
        transfers / secs,
        100.0 * transfers / secs / all
    );
    println!(
        "| the same from the first block of transfers connected (height {h1}) to the end | **{steady:.0} /s** ({:.0}% of the baseline; {:.0}% of the node's own check) |",
        100.0 * steady / all,
        100.0 * steady / r.node_all
    );
    println!("| node CPU per transfer (whole process, start-up included) | {:.0} µs |", cpu * 1e6 / transfers);
    println!("| peak memory of the syncing node (VmHWM) | **{:.1} MiB** |", peak as f64 / 1024.0);
    println!("| CPU time stolen by the hypervisor during the sync (both CPUs) | {stolen:.2} s |\n");
}

/// Validating and durably storing one reward-only block in-process, like a node receiving it
/// alone (one `process_block` with the store's durable commits), averaged over `n` blocks.
fn validation_time_ms(dir: &Path, n: u64) -> f64 {
    std::fs::create_dir_all(dir).expect("dir");
    let p = params();
    let mut src = Chain::open(p.clone(), bitcoin_rust_core::store::memory::MemoryStore::new(&p)).expect("chain");
    let start = now_ms() - (n + 10) * RATE_MS;
    let miner = wallet(0).address();
    let mut blocks = Vec::new();
    for i in 1..=n {
        let mut b = src.block_template(miner, &[], "", start + i * RATE_MS).block;
        mine(&mut b);
        src.process_block(b.clone(), u64::MAX / 2).expect("valid");
        blocks.push(b);
    }
    let mut chain =
        Chain::open(p.clone(), RedbStore::open(&dir.join("chain.redb"), &p).expect("store")).expect("chain");
    let t0 = Instant::now();
    for b in blocks {
        chain.process_block(b, u64::MAX / 2).expect("valid");
    }
    t0.elapsed().as_secs_f64() * 1_000.0 / n as f64
}

fn bench_propagation(root: &Path, nodes: usize, rounds: usize) {
    let reference = validation_time_ms(&root.join("validation-probe"), 50);
    let mut line: Vec<Node> = Vec::new();
    for i in 0..nodes {
        let peers: Vec<String> = line.last().map(|n| vec![n.p2p.clone()]).unwrap_or_default();
        line.push(start_node(root, &format!("line-{i}"), &peers));
    }
    wait_until("the line to connect", Duration::from_secs(60), || {
        line.iter().enumerate().all(|(i, n)| {
            let want = if i == 0 || i == nodes - 1 { 1 } else { 2 };
            n.status()["peers"].as_u64().unwrap_or(0) >= want
        })
    });
    let mut hops = Vec::new();
    let mut totals = Vec::new();
    for _ in 0..rounds {
        let block = line[0].mine_one();
        let hash = block["hash"].as_str().expect("hash").to_string();
        let far = line.last().expect("nodes");
        wait_until("the block to reach the far end", Duration::from_secs(30), || {
            far.get(&format!("/blocks/{hash}")).0 == 200
        });
        let seen: Vec<u64> = line
            .iter()
            .map(|n| n.get_ok(&format!("/blocks/{hash}"))["first_seen"]["at_ms"].as_u64().expect("first_seen"))
            .collect();
        for w in seen.windows(2) {
            hops.push(w[1].saturating_sub(w[0]) as f64);
        }
        totals.push(seen[seen.len() - 1].saturating_sub(seen[0]) as f64);
        std::thread::sleep(Duration::from_millis(200));
    }
    hops.sort_by(|a, b| a.total_cmp(b));
    totals.sort_by(|a, b| a.total_cmp(b));
    println!("## A block down a line of {nodes} nodes ({rounds} blocks, reward-only)\n");
    println!("| what | figure |\n|---|---:|");
    println!("| baseline: validating and durably storing one such block in-process, same run | {reference:.2} ms |");
    println!(
        "| per hop (first sighting on a node minus on the one before): p50 / p90 / max | {:.0} / {:.0} / {:.0} ms |",
        percentile(&hops, 0.5),
        percentile(&hops, 0.9),
        hops.last().copied().unwrap_or(0.0)
    );
    println!(
        "| first node to the far end ({} hops): p50 / max | **{:.0}** / {:.0} ms |\n",
        nodes - 1,
        percentile(&totals, 0.5),
        totals.last().copied().unwrap_or(0.0)
    );
}

/// A node's resident memory and start-up time on stored chains of each length in `sizes`
/// (reward-only blocks), and the memory each block adds: the slope between the shortest and
/// each longer chain, so what every node holds whatever its chain (code, runtime, caches with
/// fixed bounds) cancels out. The node's page cache of the chain database is bounded
/// (`storage.cache_mib`, 32 MiB), so it counts as a fixed cost once the chain outgrows it.
fn bench_memory(root: &Path, sizes: &[u64]) {
    let mut rows = Vec::new();
    for &n in sizes {
        let name = format!("memory-{n}");
        let t0 = Instant::now();
        build_chain(&root.join(&name), n, |_, _| Vec::new());
        let built = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let node = start_node(root, &name, &[]);
        let open = t0.elapsed().as_secs_f64();
        assert_eq!(node.height(), n);
        let pid = node.pid().expect("pid");
        let address = wallet(0).address().to_hex();
        let agent = ureq::AgentBuilder::new().build();
        let mut lat = Vec::new();
        for _ in 0..500 {
            let t0 = Instant::now();
            agent.get(&format!("{}/balance/{address}", node.http)).call().expect("balance");
            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        let (rss, peak) = (rss_kib(pid, "VmRSS:"), rss_kib(pid, "VmHWM:"));
        rows.push((n, built, open, rss, peak, percentile(&lat, 0.5), percentile(&lat, 0.99)));
        drop(node);
        std::fs::remove_dir_all(root.join(&name)).ok();
    }
    println!("## A node's memory by chain length\n");
    println!(
        "| blocks | chain built in-process | node start-up (process, open store, load the tree) | resident memory | peak | per block, against the shortest | GET /balance p50 / p99 |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    let (n0, rss0) = (rows[0].0, rows[0].3);
    for (n, built, open, rss, peak, p50, p99) in rows {
        let slope = if n > n0 {
            format!("{:.0} B", (rss as f64 - rss0 as f64) * 1024.0 / (n - n0) as f64)
        } else {
            "—".to_string()
        };
        println!(
            "| {n} | {built:.1} s | {open:.2} s | **{:.1} MiB** | {:.1} MiB | {slope} | {p50:.2} / {p99:.2} ms |",
            rss as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    println!();
}

/// HTTP reads while the miner runs flat out on every core.
/// The raw loop of the best SHA-256 backend, `threads` threads for `secs` seconds: the
/// reference the node's miner is compared with, measured in the same run.
fn raw_best_backend_rate(threads: usize, secs: f64) -> (String, f64) {
    use bitcoin_rust_core::pow::{NonceSearch, PowBackend};
    let backend = PowBackend::best();
    let header = bitcoin_rust_core::block::genesis_block(&bitcoin_rust_core::params::NetworkParams::default()).header;
    let impossible = bitcoin_rust_core::target::Target::from_be_bytes(&[0u8; 32]);
    let handles: Vec<_> = (0..threads as u64)
        .map(|t| {
            std::thread::spawn(move || {
                let search = NonceSearch::new(&header, backend);
                let t0 = Instant::now();
                let mut n = t << 40;
                let mut done = 0u64;
                while t0.elapsed().as_secs_f64() < secs {
                    let _ = search.search(&impossible, n..n + 1_000_000);
                    n += 1_000_000;
                    done += 1_000_000;
                }
                done as f64 / t0.elapsed().as_secs_f64()
            })
        })
        .collect();
    let rate = handles.into_iter().map(|h| h.join().expect("hash thread")).sum();
    (backend.name().to_string(), rate)
}

fn bench_reads_while_mining(root: &Path) {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let (backend, raw) = raw_best_backend_rate(threads, 3.0);
    let dir = root.join("miner");
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("node.toml");
    let toml = config_toml(&dir, &[])
        .replace("[storage]", &format!("[mining]\nenabled = true\nthreads = {threads}\n\n[storage]"));
    std::fs::write(&config, toml).expect("config");
    let node = Node::start_with_config("miner", &config, &dir);
    wait_until("the miner to report a hash rate", Duration::from_secs(30), || {
        node.get_ok("/mining-status")["hashrate"].as_f64().unwrap_or(0.0) > 0.0
    });
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
    let address = wallet(0).address().to_hex();
    let paths =
        ["/status".to_string(), format!("/balance/{address}"), "/blocks?limit=10".into(), "/mining-status".into()];
    let mut lat = Vec::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        for p in &paths {
            let t = Instant::now();
            agent.get(&format!("{}{p}", node.http)).call().expect("read");
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let status = node.status();
    println!("## HTTP reads while the miner runs flat out ({threads} mining threads, 10 s)\n");
    println!("| what | figure |\n|---|---:|");
    let reported = status["hashrate"].as_f64().unwrap_or(0.0);
    println!(
        "| baseline: raw loop of the best backend ({backend}), {threads} threads, same run | {:.2} MH/s |",
        raw / 1e6
    );
    println!(
        "| hash rate the node reports (backend {}) | {:.2} MH/s |",
        status["pow_backend"].as_str().unwrap_or("?"),
        reported / 1e6
    );
    println!("| share of the raw loop | **{:.0}%** |", 100.0 * reported / raw.max(1.0));
    println!("| blocks mined meanwhile | {} |", status["height"]);
    println!(
        "| GET /status, /balance, /blocks?limit=10, /mining-status ({} requests): p50 / p99 / max | {:.2} / **{:.2}** / {:.2} ms |\n",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let root = tempfile::tempdir().expect("temp dir");
    println!(
        "<!-- node_bench{} on {} cores -->\n",
        if quick { " --quick" } else { "" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    // `NODE_BENCH_ONLY=sync,propagation` runs only those sections (mining, transactions, sync,
    // sync-transfers, memory, propagation).
    let only = std::env::var("NODE_BENCH_ONLY").unwrap_or_default();
    let run = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    if run("mining") {
        bench_reads_while_mining(root.path());
    }
    if run("transactions") {
        bench_transactions(root.path(), if quick { 30 } else { 99 });
    }
    if run("sync") {
        // `NODE_BENCH_SYNC_BLOCKS=30000` syncs a longer chain (a steadier figure on a noisy host).
        let blocks = std::env::var("NODE_BENCH_SYNC_BLOCKS").ok().and_then(|v| v.trim().parse().ok());
        bench_sync(root.path(), blocks.unwrap_or(if quick { 1_000 } else { 10_000 }));
    }
    if run("sync-transfers") {
        bench_sync_transfers(root.path(), if quick { 3 } else { 20 }, 2_000);
    }
    if run("memory") {
        // `NODE_BENCH_MEMORY_BLOCKS=1000,20000,120000,1000000` sets the chain lengths.
        let sizes: Vec<u64> = std::env::var("NODE_BENCH_MEMORY_BLOCKS")
            .ok()
            .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .filter(|v: &Vec<u64>| v.len() >= 2)
            .unwrap_or_else(|| if quick { vec![1_000, 10_000] } else { vec![1_000, 20_000, 120_000] });
        bench_memory(root.path(), &sizes);
    }
    if run("propagation") {
        bench_propagation(root.path(), 10, if quick { 10 } else { 30 });
    }
}
