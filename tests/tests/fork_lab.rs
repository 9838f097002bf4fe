//! The fork lab, end to end on loopback: two dev nodes, one isolated with `POST /dev/isolate`,
//! each mining its own branch; when they rejoin the heavier branch wins, `GET /chain/tips` lists
//! the losing branch as a `valid-fork`, `GET /blocks/{hash}` says where each block stands, and
//! every node tells when and from where it first saw a block or a transfer.

use bitcoin_rust_tests::{wait_until, Node, NodeOptions, SOMEONE};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const DEV_NETWORK: &str = r#"[network]
network_id = "e2e-forklab"
initial_difficulty = 1
fixed_difficulty = true
mine_rate_ms = 60000
"#;

const TOKEN: &str = "fork-lab-token";

fn dev_node(root: &Path, name: &str, peers: Vec<String>) -> Node {
    let opts = NodeOptions {
        network: DEV_NETWORK.into(),
        peers,
        extra_http: format!("auth_token = {TOKEN:?}\n"),
        extra_toml: "[dev]\nenabled = true\nfaucet = true\nfaucet_max_amount = 50\n".into(),
        ..NodeOptions::default()
    };
    Node::start(root, name, &opts)
}

fn post(node: &Node, path: &str, body: &Value) -> (u16, Value) {
    node.post_with(path, &[("Authorization", &format!("Bearer {TOKEN}"))], body)
}

fn mine(node: &Node, blocks: u64) -> Value {
    let (code, mined) = post(node, "/dev/mine", &json!({ "blocks": blocks }));
    assert_eq!(code, 200, "{}: {mined}", node.name);
    mined
}

fn peers(node: &Node) -> u64 {
    node.status()["peers"].as_u64().unwrap_or(0)
}

fn tips(node: &Node) -> Vec<Value> {
    let t = node.get_ok("/chain/tips");
    assert_eq!(t["truncated"], false);
    t["tips"].as_array().expect("tips").clone()
}

#[test]
fn isolated_miners_fork_and_the_heavier_branch_wins_when_they_rejoin() {
    let root = tempfile::tempdir().unwrap();
    let a = dev_node(root.path(), "a", Vec::new());
    let b = dev_node(root.path(), "b", vec![a.p2p.clone()]);
    wait_until("a and b to connect", Duration::from_secs(20), || peers(&a) == 1 && peers(&b) == 1);
    let a_id = a.status()["node_id"].as_str().unwrap().to_string();

    // A shared history: a mines 2 blocks, b receives them.
    mine(&a, 2);
    wait_until("b to reach height 2", Duration::from_secs(20), || b.height() == 2);
    let h1 = a.get_ok("/blocks/1")["hash"].as_str().unwrap().to_string();
    let on_a = a.get_ok(&format!("/blocks/{h1}"));
    assert_eq!((on_a["status"].as_str(), on_a["invalid_rule"].is_null()), (Some("active"), true));
    assert_eq!(on_a["first_seen"]["source"], "self", "{on_a}");
    assert!(on_a["first_seen"]["peer"].is_null());
    let on_b = b.get_ok(&format!("/blocks/{h1}"));
    assert_eq!(on_b["first_seen"]["source"], "peer", "{on_b}");
    assert_eq!(on_b["first_seen"]["peer"], a_id.as_str());
    assert!(on_b["first_seen"]["at_ms"].as_u64().unwrap() >= on_a["first_seen"]["at_ms"].as_u64().unwrap() - 5_000);

    // A transfer: signed by a's wallet (self), relayed to b (peer a).
    let (code, paid) = post(&a, "/dev/faucet", &json!({"address": SOMEONE, "amount": 5}));
    assert_eq!(code, 200, "{paid}");
    let txid =
        paid["id"].as_str().or(paid["transaction"]["id"].as_str()).expect("the faucet's transfer id").to_string();
    wait_until("b to hold the transfer", Duration::from_secs(20), || b.get(&format!("/transactions/{txid}")).0 == 200);
    let seen_a = a.get_ok(&format!("/transactions/{txid}"))["first_seen"].clone();
    let seen_b = b.get_ok(&format!("/transactions/{txid}"))["first_seen"].clone();
    assert_eq!(seen_a["source"], "self", "{seen_a}");
    assert_eq!((seen_b["source"].as_str(), seen_b["peer"].as_str()), (Some("peer"), Some(a_id.as_str())), "{seen_b}");
    mine(&a, 1);
    wait_until("b to reach height 3", Duration::from_secs(20), || b.height() == 3);
    let confirmed = b.get_ok(&format!("/transactions/{txid}"));
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["first_seen"], seen_b, "confirmation keeps the first sighting");

    // Bad isolation requests.
    for body in [json!({"seconds": 3601}), json!({"seconds": -1}), json!({"seconds": "10"}), json!({"secs": 10})] {
        let (code, err) = post(&a, "/dev/isolate", &body);
        assert_eq!(code, 400, "{body}: {err}");
    }
    let (code, err) = a.post("/dev/isolate", &json!({"seconds": 10}));
    assert_eq!(code, 401, "the token guards isolation: {err}");

    // Isolate a: both sides drop the connection and a refuses b's redials.
    let (code, iso) = post(&a, "/dev/isolate", &json!({"seconds": 120}));
    assert_eq!(code, 200, "{iso}");
    assert_eq!((iso["seconds"].as_u64(), iso["dropped_peers"].as_u64()), (Some(120), Some(1)));
    let until = iso["isolated_until_ms"].as_u64().expect("isolated_until_ms");
    assert_eq!(a.status()["isolated_until_ms"].as_u64(), Some(until));
    wait_until("a and b to part", Duration::from_secs(20), || peers(&a) == 0 && peers(&b) == 0);

    // Each mines its own branch: b's is heavier (2 blocks against 1).
    let a_block = mine(&a, 1)["tip"].as_str().unwrap().to_string();
    let b_tip = mine(&b, 2)["tip"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(peers(&a), 0, "still isolated");
    assert_eq!(a.status()["tip"], a_block.as_str());
    assert_eq!(tips(&a).len(), 1, "a knows only its own branch");

    // Rejoin now: they reconnect, b's branch wins on a, a's block becomes a stale side branch.
    let (code, back) = post(&a, "/dev/isolate", &json!({"seconds": 0}));
    assert_eq!(code, 200, "{back}");
    assert!(back["isolated_until_ms"].is_null());
    assert!(a.status()["isolated_until_ms"].is_null());
    wait_until("a to switch to b's heavier branch", Duration::from_secs(30), || a.status()["tip"] == b_tip.as_str());
    let a_tips = tips(&a);
    assert_eq!(a_tips[0]["status"], "active");
    assert_eq!(a_tips[0]["hash"], b_tip.as_str());
    assert_eq!(a_tips.iter().filter(|t| t["status"] == "active").count(), 1);
    let stale = a_tips.iter().find(|t| t["hash"] == a_block.as_str()).expect("a's own block is a tip");
    assert_eq!(
        (
            stale["status"].as_str(),
            stale["height"].as_u64(),
            stale["branch_length"].as_u64(),
            stale["fork_height"].as_u64()
        ),
        (Some("valid-fork"), Some(4), Some(1), Some(3)),
        "{stale}"
    );
    assert!(stale["invalid_rule"].is_null());
    let view = a.get_ok(&format!("/blocks/{a_block}"));
    assert_eq!((view["status"].as_str(), view["in_best_chain"].as_bool()), (Some("valid-fork"), Some(false)));
    assert_eq!(view["first_seen"]["source"], "self");
    let won = a.get_ok(&format!("/blocks/{b_tip}"));
    assert_eq!(won["status"], "active");
    assert_eq!(won["first_seen"]["source"], "peer");
    // b learns a's stale block too (it was announced on reconnection or is asked for later):
    // whatever b knows, its active tip is its own.
    assert_eq!(tips(&b)[0]["hash"], b_tip.as_str());

    // A short isolation ends by itself, and the nodes find each other again.
    let (code, _) = post(&a, "/dev/isolate", &json!({"seconds": 2}));
    assert_eq!(code, 200);
    wait_until("a and b to part", Duration::from_secs(20), || peers(&a) == 0);
    wait_until("a and b to reconnect on their own", Duration::from_secs(40), || peers(&a) == 1 && peers(&b) == 1);
    assert!(a.status()["isolated_until_ms"].is_null());

    // An unknown block is a 404; a malformed id a 400.
    let (code, _) = a.get(&format!("/blocks/{}", "ab".repeat(32)));
    assert_eq!(code, 404);
}

#[test]
fn isolation_needs_dev_mode() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "plain", &NodeOptions::default());
    let (code, err) = node.post("/dev/isolate", &json!({"seconds": 5}));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("dev_mode_off")), "{err}");
    assert!(node.status()["isolated_until_ms"].is_null());
    assert_eq!(node.get_ok("/chain/tips")["tips"][0]["status"], "active");
}
