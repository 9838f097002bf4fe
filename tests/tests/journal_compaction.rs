//! The mempool journal's compaction under load and SIGKILL: one funded key replaces its pending
//! transfer again and again (a higher fee each time), so the pool holds one transfer while the
//! journal grows by a line per replacement and is rewritten from the pool on its writer thread
//! every thousand or so lines, while more replacements keep arriving. The node is killed with
//! SIGKILL right after a 202, at a different point of the compaction cycle each round; after
//! the restart the pending transfer is the last one it answered 202 for: no compaction lost the
//! line of an accepted transfer, whether it arrived before, during or after the rewrite.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::testkit;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_tests::{Node, NodeOptions, SOMEONE};
use serde_json::json;

const NETWORK: &str = "e2e-journal";
const BALANCE: u64 = 1_000_000;

fn replacement(fee: u64) -> Transfer {
    let key = testkit::wallet(1);
    let outputs = vec![
        TxOutput { address: key.address(), amount: Amount(BALANCE - 10 - fee) },
        TxOutput { address: SOMEONE.parse().expect("an address"), amount: Amount(10) },
    ];
    Transfer::sign(NETWORK, key.signing_key(), 0, 0, Amount(BALANCE), Amount(fee), outputs)
}

#[test]
fn a_compaction_running_while_transfers_arrive_loses_none_across_sigkill() {
    let root = tempfile::tempdir().unwrap();
    let network = format!(
        "[network]\nnetwork_id = {NETWORK:?}\ninitial_difficulty = 1\nfixed_difficulty = true\nmine_rate_ms = 60000\n\n[[network.genesis_allocations]]\naddress = {:?}\namount = {BALANCE}\n",
        testkit::address(1).to_hex()
    );
    let opts = NodeOptions { network, ..NodeOptions::default() };
    let mut node = Node::start(root.path(), "node", &opts);
    let mut fee = 0;
    // Each round crosses at least one compaction (more than 1,002 lines for a pool of one) and
    // stops at another point of the next cycle.
    for round in 0..3u64 {
        for _ in 0..(1_100 + round * 350) {
            fee += 1;
            let tx = replacement(fee);
            let (code, body) = node.post("/transactions", &serde_json::to_value(&tx).unwrap());
            assert_eq!(code, 202, "fee {fee}: {body}");
        }
        // The rewrite asked for at about line 1,003 was queued before the later appends, whose
        // 202s came after it: it has happened.
        let lines = journal_lines(&node);
        assert!(lines < 1_003, "round {round}: the journal was compacted while transfers arrived ({lines} lines)");
        node.kill();
        node = Node::start_with_config("node", &node.config.clone(), &node.data_dir.clone());
        let pending = node.get_ok("/transactions");
        assert_eq!(pending, json!([replacement(fee)]), "round {round}: the last accepted transfer is pending");
    }
}

fn journal_lines(node: &Node) -> usize {
    let journal = std::fs::read_to_string(node.data_dir.join("data").join("mempool.jsonl")).unwrap();
    journal.lines().filter(|l| !l.trim().is_empty()).count()
}
