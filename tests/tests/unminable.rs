//! Pool and miner liveness: a transfer that no block could include never blocks the miner.
//!
//! The network pays a subsidy of `2^63 − 1` in blocks 1 and 2 and half that in blocks 3 to 5, so
//! the node's wallet can hand a recipient R nearly `2^64` coins, and a funded key holds `2^62`
//! from genesis. Two pending transfers each fit R's balance at the tip, so the pool takes both:
//! the wallet's (fee 2) raising R to `2^64 − 13`, and the key's (fee 1) paying R `2^62 − 1`.
//! Together they pass `2^64 − 1` (the block rule `balance_overflow`, which no check of one
//! transfer at the door can see): the block template must take the first, leave out the second,
//! and the pool drop it with that reason, instead of mining an invalid block again and again.
//! Offered again, the key's transfer is refused at the door (422 `balance_overflow`). The miner
//! keeps producing blocks, with a valid transfer of the key in them.

use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::testkit;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{Node, NodeOptions, SOMEONE};
use serde_json::json;

const NETWORK: &str = "e2e-unminable";

fn network(funded: &Wallet) -> String {
    format!(
        "[network]\nnetwork_id = {NETWORK:?}\ninitial_difficulty = 1\nfixed_difficulty = true\nmine_rate_ms = 60000\nmining_reward = {}\nhalving_interval = 3\n\n[[network.genesis_allocations]]\naddress = {:?}\namount = {}\n",
        i64::MAX,
        funded.address().to_hex(),
        1u64 << 62,
    )
}

/// A transfer from `key` of its whole balance at the node's tip: `amount` to `to`, fee 1, the
/// rest back to `key`.
fn payment(node: &Node, key: &Wallet, to: &str, amount: u64) -> Transfer {
    let info = node.get_ok(&format!("/balance/{}", key.address()));
    let (balance, nonce) = (info["balance"].as_u64().unwrap(), info["nonce"].as_u64().unwrap());
    let to = to.parse().expect("an address");
    let mut outputs = vec![TxOutput { address: to, amount: Amount(amount) }];
    if balance > amount + 1 {
        outputs.insert(0, TxOutput { address: key.address(), amount: Amount(balance - amount - 1) });
    }
    Transfer::sign(NETWORK, key.signing_key(), nonce, 1, Amount(balance), Amount(1), outputs)
}

fn mine(node: &Node, blocks: u64) {
    let before = node.height();
    let (code, body) = node.post("/dev/mine", &json!({ "blocks": blocks }));
    assert_eq!(code, 200, "POST /dev/mine: {body}");
    assert_eq!(node.height(), before + blocks);
}

/// The node's wallet pays `amount` to `to` with `fee`; returns the transfer's id.
fn transact(node: &Node, to: &str, amount: u64, fee: u64) -> String {
    let (code, body) = node.post("/transact", &json!({ "recipient": to, "amount": amount, "fee": fee }));
    assert_eq!(code, 200, "POST /transact: {body}");
    body["id"].as_str().expect("id").to_string()
}

fn confirmed(node: &Node, id: &str) -> bool {
    let (code, body) = node.get(&format!("/transactions/{id}"));
    code == 200 && body["status"] == "confirmed"
}

#[test]
fn a_transfer_no_block_could_include_is_dropped_or_refused_and_the_miner_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let key = testkit::wallet(1);
    let r = testkit::address(7).to_hex();
    let opts = NodeOptions {
        network: network(&key),
        extra_toml: "[dev]\nenabled = true\nmine_on_transaction = false\n".into(),
        ..NodeOptions::default()
    };
    let node = Node::start(root.path(), "node", &opts);
    let wallet = node.address();
    const S: u64 = (1 << 63) - 1;
    mine(&node, 1);
    assert_eq!(node.balance_of(&wallet), S);
    let id = transact(&node, &r, S - 2, 1);
    mine(&node, 1);
    assert!(confirmed(&node, &id));
    assert_eq!((node.balance_of(&wallet), node.balance_of(&r)), ((1 << 63) + 1, (1 << 63) - 3));

    // Each fits R's balance at the tip; together they overflow it.
    let first = transact(&node, &r, (1 << 63) - 10, 2);
    let second = payment(&node, &key, &r, (1 << 62) - 1);
    let (code, body) = node.post("/transactions", &serde_json::to_value(&second).unwrap());
    assert_eq!(code, 202, "{body}");
    assert_eq!(node.get_ok("/transactions").as_array().unwrap().len(), 2);
    // The block takes the first (higher fee); the second is left out and dropped with the rule.
    mine(&node, 1);
    assert!(confirmed(&node, &first));
    assert_eq!(node.balance_of(&r), u64::MAX - 12);
    let (code, body) = node.get(&format!("/transactions/{}", second.id));
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["error"]["code"], "dropped", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("balance_overflow"), "{body}");
    assert_eq!(node.get_ok("/transactions"), json!([]));
    assert_eq!(node.balance_of(&key.address().to_hex()), 1 << 62, "not spent");

    // Now it breaks the rule at the tip already: refused at the door, by name.
    let (code, body) = node.post("/transactions", &serde_json::to_value(&second).unwrap());
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["error"]["code"], "balance_overflow", "{body}");
    assert_eq!(node.get_ok("/transactions"), json!([]));

    // The miner goes on, and a valid transfer from the same key is mined.
    let ok = payment(&node, &key, SOMEONE, 10);
    let (code, body) = node.post("/transactions", &serde_json::to_value(&ok).unwrap());
    assert_eq!(code, 202, "{body}");
    mine(&node, 3);
    assert!(confirmed(&node, &ok.id.to_string()));
    assert_eq!(node.balance_of(SOMEONE), 10);
}
