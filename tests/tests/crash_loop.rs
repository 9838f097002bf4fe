//! The crash loop: a node mining and receiving signed transfers is killed with SIGKILL at
//! random moments and restarted, again and again. After every kill: the node starts; its stored
//! chain passes a full replay (every rule, and the ledger equals the replayed one); it lost no
//! block it had reported; its wallet key is the same; every transfer it accepted is confirmed,
//! still pending, or reported as dropped with a reason. At the end every transfer is mined.
//!
//! `CRASH_LOOP_KILLS` sets the number of kills (the test command runs the default, 12; the
//! reliability report uses 60), `CRASH_LOOP_SEED` the random schedule.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::testkit;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_tests::{wait_until, Node, NodeOptions, SOMEONE};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::time::Duration;

const FUNDING: u64 = 10;

fn e2e_params() -> NetworkParams {
    // tests/src/lib.rs FAST_NETWORK.
    NetworkParams { network_id: "e2e-net".into(), initial_difficulty: 3, mine_rate_ms: 400, ..NetworkParams::default() }
}

/// Opens the stopped node's database with the core library and replays its whole chain.
fn verify_stored_chain(node: &Node) -> u64 {
    let params = e2e_params();
    let store = RedbStore::open(&node.data_dir.join("data").join("chain.redb"), &params).expect("the database opens");
    let chain = Chain::open(params, store).expect("the chain opens");
    chain.verify_by_replay().expect("the stored chain replays to the stored ledger");
    chain.height().0
}

fn status_of(node: &Node, id: &str) -> (u16, Value) {
    node.get(&format!("/transactions/{id}"))
}

#[test]
fn a_mining_node_killed_at_random_moments_loses_nothing_it_accepted() {
    let kills: usize = std::env::var("CRASH_LOOP_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let seed: u64 = std::env::var("CRASH_LOOP_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let root = tempfile::tempdir().unwrap();
    let mut node = Node::start(root.path(), "crashy", &NodeOptions { mine: true, ..NodeOptions::default() });
    let key_file = std::fs::read_to_string(node.data_dir.join("data").join("wallet.key")).unwrap();
    let address = node.address();

    // One external wallet per kill, funded by one transfer of the node's wallet (its pending
    // payments merge into one transfer, up to the output limit).
    let senders: Vec<_> = (0..kills as u64).map(|i| testkit::wallet(1_000 + i)).collect();
    for chunk in senders.chunks(90) {
        wait_until("the miner to afford the funding", Duration::from_secs(120), || {
            node.get_ok("/balance")["balance"].as_u64().unwrap_or(0) >= (FUNDING + 1) * chunk.len() as u64
        });
        for w in chunk {
            let (code, tx) = node.post("/transact", &json!({"recipient": w.address().to_string(), "amount": FUNDING}));
            assert_eq!(code, 200, "{tx}");
        }
        // (Its id changes as the wallet re-signs it after each reward: watch the balances.)
        wait_until("the funding to be mined", Duration::from_secs(60), || {
            chunk.iter().all(|w| node.balance_of(&w.address().to_string()) == FUNDING)
        });
    }

    let mut accepted: Vec<String> = Vec::new();
    let mut reported_height = 0;
    // Transfers that were still pending when the node came back: only the journal kept them.
    let mut pending_after_restart = 0usize;
    let mut pending_before_kill = 0usize;
    for (round, sender) in senders.iter().enumerate() {
        // A signed transfer from this round's wallet, accepted by the node.
        let transfer = Transfer::sign(
            "e2e-net",
            sender.signing_key(),
            0,
            0,
            Amount(FUNDING),
            Amount(1),
            vec![TxOutput { address: SOMEONE.parse().unwrap(), amount: Amount(FUNDING - 1) }],
        );
        let (code, answer) = node.post("/transactions", &serde_json::to_value(&transfer).unwrap());
        assert_eq!(code, 202, "round {round}: {answer}");
        accepted.push(transfer.id.to_string());
        reported_height = reported_height.max(node.height());

        // Kill it at a random moment: while it mines, writes blocks, journals transfers.
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..1_200)));
        pending_before_kill += node.get_ok("/transactions").as_array().map_or(0, Vec::len);
        node.kill();
        let stored = verify_stored_chain(&node);
        assert!(stored >= reported_height, "round {round}: block {reported_height} was reported, only {stored} stored");

        node.restart();
        assert_eq!(node.address(), address, "round {round}: the wallet changed");
        assert_eq!(std::fs::read_to_string(node.data_dir.join("data").join("wallet.key")).unwrap(), key_file);
        for id in &accepted {
            let (code, v) = status_of(&node, id);
            let ok = (code == 200 && (v["status"] == "confirmed" || v["status"] == "pending"))
                || (code == 404 && v["error"]["code"] == "dropped");
            assert!(ok, "round {round}: accepted transfer {id} is gone: {code} {v}");
            if v["status"] == "pending" {
                pending_after_restart += 1;
            }
        }
    }

    // In the end, every accepted transfer is mined (nothing conflicts with anything).
    wait_until("every accepted transfer to be mined", Duration::from_secs(120), || {
        accepted.iter().all(|id| status_of(&node, id).1["status"] == "confirmed")
    });
    assert_eq!(node.balance_of(SOMEONE), (FUNDING - 1) * kills as u64);
    println!(
        "crash loop: {kills} kills (seed {seed}), height {} at the end, {} accepted transfers all mined; \
         {pending_before_kill} pending at the kills, {pending_after_restart} pending after the restarts \
         (kept only by the journal)",
        node.height(),
        accepted.len()
    );
    node.get_ok("/stopmining");
    node.stop();
    verify_stored_chain(&node);
}
