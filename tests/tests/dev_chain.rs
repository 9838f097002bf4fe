//! Dev-chain mode and the command-line wallet, end to end: a node started with `[dev]` and
//! genesis allocations, driven through `POST /dev/*` and through `bitcoin_rust wallet ...`
//! (a separate process that only uses the HTTP API).

use bitcoin_rust_tests::{binary, wait_until, Node, NodeOptions, SOMEONE};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The address of the secret key 1 (docs/PROTOCOL.md's worked example).
const KEY_1_ADDRESS: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

const DEV_NETWORK: &str = r#"[network]
network_id = "e2e-dev"
initial_difficulty = 1
fixed_difficulty = true
mine_rate_ms = 60000

[[network.genesis_allocations]]
address = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
amount = 5000
"#;

fn dev_node(root: &Path, name: &str, dev: &str) -> Node {
    let opts =
        NodeOptions { network: DEV_NETWORK.into(), extra_toml: format!("[dev]\n{dev}"), ..NodeOptions::default() };
    Node::start(root, name, &opts)
}

/// Runs `bitcoin_rust wallet <args> --json` against `node`; returns the exit code and the JSON
/// printed (standard output on success, standard error on failure).
fn wallet(node: &Node, key: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(binary())
        .arg("wallet")
        .args(args)
        .arg("--json")
        .env("BITCOIN_RUST_NODE", &node.http)
        .env("BITCOIN_RUST_WALLET", key)
        .output()
        .expect("run the wallet");
    let text = if out.status.success() { out.stdout } else { out.stderr };
    let text = String::from_utf8_lossy(&text);
    let value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("wallet printed no JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), value)
}

#[test]
fn dev_mode_mines_on_demand_on_every_transaction_and_funds_genesis_accounts() {
    let root = tempfile::tempdir().unwrap();
    let node = dev_node(
        root.path(),
        "dev",
        "enabled = true\nmine_on_transaction = true\nfaucet = true\nfaucet_max_amount = 50\n",
    );
    // Funded from block 0.
    assert_eq!(node.height(), 0);
    let dev = &node.status()["dev"];
    assert_eq!((dev["enabled"].as_bool(), dev["faucet"].as_bool()), (Some(true), Some(true)));
    assert_eq!((dev["fixed_difficulty"].as_bool(), dev["faucet_max_amount"].as_u64()), (Some(true), Some(50)));
    assert_eq!(node.balance_of(KEY_1_ADDRESS), 5_000);

    // Mine N blocks now: at a fixed target, however fast they come.
    let (code, mined) = node.post("/dev/mine", &json!({"blocks": 20}));
    assert_eq!(code, 200, "{mined}");
    assert_eq!(mined["mined"], 20);
    assert_eq!(node.height(), 20);
    let first_bits = node.get_ok("/blocks/1")["bits"].clone();
    assert_eq!(node.get_ok("/blocks/20")["bits"], first_bits, "fixed difficulty");
    // Bad requests.
    for body in [json!({"blocks": 0}), json!({"blocks": 1001}), json!({"blocks": "many"}), json!({"blokcs": 1})] {
        let (code, err) = node.post("/dev/mine", &body);
        assert_eq!(code, 400, "{body}: {err}");
        assert!(err["error"]["code"].is_string());
    }
    let (code, _) = node.post_raw("/dev/mine", "application/json", b"");
    assert_eq!(code, 200, "an empty body mines one block");
    assert_eq!(node.height(), 21);

    // The faucet pays from the node's wallet (funded by the blocks above), and the transfer is
    // mined at once.
    let (code, tx) = node.post("/dev/faucet", &json!({"address": SOMEONE, "amount": 40}));
    assert_eq!(code, 200, "{tx}");
    wait_until("the faucet payment to be mined", Duration::from_secs(20), || node.balance_of(SOMEONE) == 40);
    let (code, err) = node.post("/dev/faucet", &json!({"address": SOMEONE, "amount": 51}));
    assert_eq!((code, err["error"]["code"].as_str()), (400, Some("bad_amount")));

    // The command-line wallet: a new key, funded by the faucet, pays someone and waits.
    let key = root.path().join("cli").join("wallet.key");
    let (code, created) = wallet(&node, &key, &["new"]);
    assert_eq!(code, 0, "{created}");
    let me = created["address"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(wallet(&node, &key, &["new"]).0, 2, "an existing key is never overwritten");
    assert_eq!(wallet(&node, &key, &["address"]).1["address"], me.as_str());
    let (code, _) = node.post("/dev/faucet", &json!({"address": me, "amount": 50}));
    assert_eq!(code, 200);
    wait_until("the wallet to be funded", Duration::from_secs(20), || {
        wallet(&node, &key, &["balance"]).1["balance"] == 50
    });
    let (code, sent) = wallet(&node, &key, &["send", SOMEONE, "7", "--fee", "2", "--wait"]);
    assert_eq!(code, 0, "{sent}");
    assert_eq!(sent["status"], "confirmed");
    let confirmed = node.get_ok(&format!("/transactions/{}", sent["id"].as_str().unwrap()));
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(node.balance_of(SOMEONE), 47);
    let (_, balance) = wallet(&node, &key, &["balance"]);
    assert_eq!((balance["balance"].as_u64(), balance["nonce"].as_u64()), (Some(41), Some(1)));
    let (_, history) = wallet(&node, &key, &["history"]);
    assert_eq!(history["history"].as_array().unwrap().len(), 2, "{history}");

    // Offline: build with nonce, balance and network given, then submit the file.
    let file = root.path().join("signed.json");
    let (code, built) = wallet(
        &node,
        &key,
        &[
            "build",
            SOMEONE,
            "5",
            "--nonce",
            "1",
            "--balance",
            "41",
            "--network",
            "e2e-dev",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{built}");
    let (code, done) = wallet(&node, &key, &["submit", file.to_str().unwrap(), "--wait"]);
    assert_eq!(code, 0, "{done}");
    assert_eq!(done["id"], built["id"]);
    assert_eq!(node.balance_of(SOMEONE), 52);
    // A replay of the same file is refused by the node, with its reason.
    let (code, err) = wallet(&node, &key, &["submit", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err["error"]["code"].is_string(), "{err}");
    // More than the balance: refused before anything is sent.
    let (code, err) = wallet(&node, &key, &["send", SOMEONE, "1000"]);
    assert_eq!(code, 2, "{err}");

    // A genesis-funded account spends in a transfer mined at once (mine_on_transaction).
    let height = node.height();
    let key_1 = root.path().join("key1");
    std::fs::write(&key_1, format!("{:064x}\n", 1)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_1, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, sent) = wallet(&node, &key_1, &["send", SOMEONE, "1000", "--wait"]);
    assert_eq!(code, 0, "{sent}");
    assert_eq!(node.balance_of(KEY_1_ADDRESS), 3_999);
    assert!(node.height() > height);
}

#[test]
fn dev_calls_are_off_unless_configured_and_interval_mining_works() {
    let root = tempfile::tempdir().unwrap();
    let plain = Node::start(root.path(), "plain", &NodeOptions::default());
    let (code, err) = plain.post("/dev/mine", &json!({"blocks": 1}));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("dev_mode_off")));
    let (code, err) = plain.post("/dev/faucet", &json!({"address": SOMEONE, "amount": 1}));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("dev_mode_off")));
    assert_eq!(plain.height(), 0);
    assert_eq!(plain.status()["dev"]["enabled"], false);

    // Dev mode without the faucet; a block every 200 ms without anyone asking.
    let dev = dev_node(root.path(), "interval", "enabled = true\nblock_interval_ms = 200\n");
    let (code, err) = dev.post("/dev/faucet", &json!({"address": SOMEONE, "amount": 1}));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("faucet_off")));
    wait_until("interval blocks", Duration::from_secs(20), || dev.height() >= 5);
}
