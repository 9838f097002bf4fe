//! A deep partition: two nodes of a dev chain (fixed easy target, blocks on demand) share 5
//! blocks, are split (the lighter one restarts without peers), mine apart, one 110 blocks and
//! the other 125, far deeper than any rolling checkpoint, and then one dials the other. Both
//! must end on the heavier branch, with the same tip and the same ledger: the lighter node finds
//! the fork point (height 5) with a `GET_BLOCKS` locator (which thins out exponentially, so it
//! reaches a fork at any depth), fetches the 125 blocks and switches, disconnecting all 110 of
//! its own.

use bitcoin_rust_tests::{set_peers, wait_converged, wait_until, work, Node, NodeOptions};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const DEV_NETWORK: &str = r#"[network]
network_id = "e2e-deep"
initial_difficulty = 1
fixed_difficulty = true
mine_rate_ms = 60000
"#;

fn dev_node(root: &Path, name: &str, peers: &[String], extra_p2p: &str) -> Node {
    let opts = NodeOptions {
        peers: peers.to_vec(),
        extra_p2p: extra_p2p.into(),
        network: DEV_NETWORK.into(),
        extra_toml: "[dev]\nenabled = true\nmine_on_transaction = false\n".into(),
        ..NodeOptions::default()
    };
    Node::start(root, name, &opts)
}

fn mine(node: &Node, blocks: u64) {
    let before = node.height();
    let (code, body) = node.post("/dev/mine", &json!({ "blocks": blocks }));
    assert_eq!(code, 200, "{} POST /dev/mine: {body}", node.name);
    assert_eq!(node.height(), before + blocks);
}

#[test]
fn partitions_that_each_mined_over_a_hundred_blocks_converge_on_the_heavier_branch() {
    deep_partition("");
}

/// The same with sync batches of 50 blocks: the heavier branch arrives in three `CHAIN` answers,
/// and only the last makes it heavier than the lighter node's chain, so each request must ask
/// for what follows the side branch received so far, not again for what follows the fork point.
#[test]
fn a_heavier_branch_longer_than_one_sync_batch_is_fetched_batch_after_batch() {
    deep_partition("sync_batch_blocks = 50\n");
}

fn deep_partition(extra_p2p: &str) {
    let root = tempfile::tempdir().unwrap();
    let heavy = dev_node(root.path(), "heavy", &[], extra_p2p);
    let mut light = dev_node(root.path(), "light", std::slice::from_ref(&heavy.p2p), extra_p2p);
    mine(&heavy, 5);
    wait_converged(&[&light, &heavy], 5, Duration::from_secs(60));
    let shared = heavy.status()["tip"].clone();
    // The split: the lighter node restarts without peers (on new ports, so nobody redials it).
    light.restart_with(|t| set_peers(t, &[] as &[String]));
    wait_until("the two nodes to be apart", Duration::from_secs(60), || {
        light.status()["peers"] == 0 && heavy.status()["peers"] == 0
    });
    mine(&light, 110);
    mine(&heavy, 125);
    let (light_wallet, heavy_wallet) = (light.address(), heavy.address());
    assert_ne!(light_wallet, heavy_wallet);
    let (light_balance, heavy_balance) = (light.balance_of(&light_wallet), heavy.balance_of(&heavy_wallet));
    assert!(light_balance > 0 && heavy_balance > 0);
    assert_eq!(light.get_ok("/blocks/5")["hash"], shared);
    let heavy_tip = heavy.status()["tip"].clone();
    assert!(work(&heavy) > work(&light));

    // Rejoin: the lighter node dials the heavier one.
    let (code, body) = light.post("/peers", &json!({ "url": heavy.p2p }));
    assert_eq!(code, 202, "{body}");
    wait_converged(&[&light, &heavy], 130, Duration::from_secs(120));

    for node in [&light, &heavy] {
        let status = node.status();
        assert_eq!(status["tip"], heavy_tip, "{} ends on the heavier branch", node.name);
        assert_eq!(status["height"], 130);
        // The light branch's rewards are gone; the heavy branch's are everywhere.
        assert_eq!(node.balance_of(&light_wallet), 0, "{}", node.name);
        assert_eq!(node.balance_of(&heavy_wallet), heavy_balance, "{}", node.name);
    }
    assert_eq!(work(&light), work(&heavy));
    let banned = light.get_ok("/peers")["banned"].clone();
    assert_eq!(banned, json!([]), "an honest deep partition gets nobody banned");
}
