//! Multi-node end-to-end tests: real node processes from configuration files, on loopback.

use bitcoin_rust_tests::{set_peers, wait_converged, wait_until, work, Node, NodeOptions, SOMEONE};
use serde_json::json;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

fn opts(peers: &[&Node], mine: bool) -> NodeOptions {
    NodeOptions { peers: peers.iter().map(|n| n.p2p.clone()).collect(), mine, ..NodeOptions::default() }
}

#[test]
fn three_nodes_share_blocks_and_a_transfer_from_node_2_is_mined_by_node_3() {
    let root = tempfile::tempdir().unwrap();
    let n1 = Node::start(root.path(), "n1", &opts(&[], true));
    let n2 = Node::start(root.path(), "n2", &opts(&[&n1], false));
    let n3 = Node::start(root.path(), "n3", &opts(&[&n1, &n2], false));
    // Mining on node 1 reaches nodes 2 and 3.
    wait_converged(&[&n1, &n2, &n3], 3, MINUTE);

    // Fund node 2's wallet from node 1's.
    let n2_address = n2.address();
    let (code, tx) = n1.post("/transact", &json!({"recipient": n2_address, "amount": 30}));
    assert_eq!(code, 200, "{tx}");
    wait_until("node 2's funds to show everywhere", MINUTE, || {
        [&n1, &n2, &n3].iter().all(|n| n.balance_of(&n2_address) == 30)
    });

    // Node 3 takes over mining; node 2 pays someone.
    n1.get_ok("/stopmining");
    n3.get_ok("/startmining");
    let (code, tx) = n2.post("/transact", &json!({"recipient": SOMEONE, "amount": 7, "fee": 2}));
    assert_eq!(code, 200, "{tx}");
    let id = tx["id"].as_str().unwrap().to_string();
    wait_until("node 2's transfer to be mined and seen at node 1", MINUTE, || n1.balance_of(SOMEONE) == 7);
    let found = n1.get_ok(&format!("/transactions/{id}"));
    assert_eq!(found["status"], "confirmed");
    let block = n1.get_ok(&format!("/blocks/{}", found["block_hash"].as_str().unwrap()));
    assert_eq!(block["data"][0]["kind"], "Reward");
    assert_eq!(block["data"][0]["tx"]["output"]["address"], n3.address(), "mined by node 3");
    assert_eq!(n1.balance_of(&n2_address), 30 - 7 - 2);
    // Node 3 earned the fee on top of the subsidy.
    let reward = block["data"][0]["tx"]["output"]["amount"].as_u64().unwrap();
    assert_eq!(reward, block["subsidy"].as_u64().unwrap() + 2);
    n3.get_ok("/stopmining");
}

#[test]
fn late_restarted_and_crashed_nodes_catch_up_and_keep_their_chain_and_wallet() {
    let root = tempfile::tempdir().unwrap();
    let mut n1 = Node::start(root.path(), "n1", &opts(&[], true));
    wait_until("node 1 to mine 8 blocks", MINUTE, || n1.height() >= 8);
    // A node started late catches up from scratch.
    let mut n2 = Node::start(root.path(), "n2", &opts(&[&n1], false));
    wait_converged(&[&n1, &n2], 8, MINUTE);

    // A restarted node keeps its chain and its wallet, then catches up again.
    let address = n2.address();
    let height = n2.height();
    n2.restart();
    assert_eq!(n2.address(), address, "the wallet survives a restart");
    assert!(n2.height() >= height, "the chain survives a restart");
    wait_until("node 2 to move past its old height", MINUTE, || n2.height() > height);

    // A node killed with SIGKILL restarts on a valid chain.
    n2.kill();
    let mut n2 = {
        let mut fresh = Node::start(root.path(), "n2", &opts(&[&n1], false));
        assert_eq!(fresh.address(), address);
        wait_converged(&[&n1, &fresh], height + 1, MINUTE);
        fresh.stop();
        fresh
    };
    let _ = &mut n2;

    // The miner restarted keeps its wallet too, and mining resumes from its config.
    let miner = n1.address();
    let before = n1.height();
    assert_eq!(n1.stop(), Some(0), "a clean stop on SIGTERM exits with 0");
    n1.restart();
    assert_eq!(n1.address(), miner);
    wait_until("node 1 to mine on after a restart", MINUTE, || n1.height() > before);
}

#[test]
fn partitioned_groups_converge_on_the_heavier_chain_and_remine_the_losing_transfers() {
    let root = tempfile::tempdir().unwrap();
    let a = Node::start(root.path(), "a", &opts(&[], true));
    let mut b = Node::start(root.path(), "b", &opts(&[&a], false));
    let mut c = Node::start(root.path(), "c", &opts(&[&a], false));
    wait_converged(&[&a, &b, &c], 3, MINUTE);
    let b_address = b.address();
    let (code, tx) = a.post("/transact", &json!({"recipient": b_address, "amount": 20}));
    assert_eq!(code, 200, "{tx}");
    wait_until("b's funds everywhere", MINUTE, || [&a, &b, &c].iter().all(|n| n.balance_of(&b_address) == 20));

    // Partition: {a} and {b, c}. Restarting b and c without a cuts them off.
    c.restart_with(|t| set_peers::<&str>(t, &[]));
    let c_p2p = c.p2p.clone();
    b.restart_with(|t| set_peers(t, &[&c_p2p]));
    wait_until("b and c to see each other", MINUTE, || c.status()["peers"] == 1 && b.status()["peers"] == 1);
    assert_eq!(a.status()["peers"], 0, "a is alone");

    // Group {b, c}: c mines, b pays someone; the transfer is confirmed on that branch.
    c.get_ok("/startmining");
    let (code, tx) = b.post("/transact", &json!({"recipient": SOMEONE, "amount": 5}));
    assert_eq!(code, 200, "{tx}");
    let id = tx["id"].as_str().unwrap().to_string();
    wait_until("the transfer to be mined on the {b, c} branch", MINUTE, || {
        c.balance_of(SOMEONE) == 5 && b.balance_of(SOMEONE) == 5
    });
    c.get_ok("/stopmining");
    let losing_work = work(&c);

    // Group {a} mines on until its chain is clearly heavier, then stops.
    wait_until("a's branch to be heavier", Duration::from_secs(120), || work(&a) > losing_work * 3 / 2);
    a.get_ok("/stopmining");
    assert_eq!(a.balance_of(SOMEONE), 0);

    // Join the groups: everyone ends on a's heavier tip.
    let (code, body) = c.post("/peers", &json!({"url": a.p2p}));
    assert_eq!(code, 202, "{body}");
    wait_until("b and c to reorganise onto a's chain", MINUTE, || {
        let tip = a.status()["tip"].clone();
        b.status()["tip"] == tip && c.status()["tip"] == tip
    });
    assert_eq!(c.balance_of(SOMEONE), 0, "the losing branch's transfer left the chain");

    // The losing branch's transfer comes back and is mined again.
    wait_until("the transfer to reach a's mempool", MINUTE, || a.get(&format!("/transactions/{id}")).0 == 200);
    a.get_ok("/startmining");
    wait_until("the transfer to be mined on the winning chain", MINUTE, || {
        [&a, &b, &c].iter().all(|n| n.balance_of(SOMEONE) == 5)
    });
    let found = c.get_ok(&format!("/transactions/{id}"));
    assert_eq!(found["status"], "confirmed");
    a.get_ok("/stopmining");
}
