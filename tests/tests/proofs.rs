//! Merkle inclusion proofs end to end: a dev-mode node mines blocks of 1 to 9 transactions (the
//! reward and 0 to 8 transfers from genesis-funded keys), `GET /transactions/{txid}/proof` answers
//! the proof of every position, each is checked here against the block's header, unknown and
//! pending ids answer 404, and `bitcoin_rust wallet verify-proof` (a separate process, a light
//! client that only reads the HTTP API) accepts a good proof and refuses tampered ones.

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::hash::{Hash256, TxId};
use bitcoin_rust_core::merkle::{merkle_proof, merkle_root, verify_proof, InclusionProof};
use bitcoin_rust_core::state::Account;
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{binary, Node, NodeOptions, SOMEONE};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Genesis-funded senders: secret keys 1 to 8.
const SENDERS: u8 = 8;

fn key(n: u8) -> SigningKey {
    let mut b = [0u8; 32];
    b[31] = n;
    SigningKey::from_slice(&b).expect("a small secret is a valid key")
}

fn dev_network() -> String {
    let mut t = String::from(
        "[network]\nnetwork_id = \"e2e-proofs\"\ninitial_difficulty = 1\nfixed_difficulty = true\nmine_rate_ms = 60000\n",
    );
    for n in 1..=SENDERS {
        let address = Wallet::from_key(key(n)).address();
        t.push_str(&format!("\n[[network.genesis_allocations]]\naddress = \"{address}\"\namount = 1000\n"));
    }
    t
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Signs and submits a transfer of 1 coin from key `n` to SOMEONE; returns its id.
fn pay(node: &Node, n: u8) -> TxId {
    let wallet = Wallet::from_key(key(n));
    let info = node.get_ok(&format!("/address/{}?limit=1", wallet.address()));
    let account = Account {
        balance: Amount(info["balance"].as_u64().expect("balance")),
        nonce: info["nonce"].as_u64().expect("nonce"),
    };
    let to: Address = SOMEONE.parse().expect("address");
    let tx = wallet
        .create_transfer("e2e-proofs", 16, account, None, to, Amount(1), Amount(1), now_ms())
        .expect("a funded transfer");
    let (code, answer) = node.post("/transactions", &serde_json::to_value(&tx).expect("json"));
    assert_eq!(code, 202, "{answer}");
    tx.id
}

/// Runs `bitcoin_rust wallet verify-proof <arg> --json`; returns the exit code and the JSON it
/// printed (standard output; standard error for usage errors).
fn verify_proof_cli(node: &Node, arg: &str) -> (i32, Value) {
    let out = Command::new(binary())
        .args(["wallet", "verify-proof", arg, "--json"])
        .env("BITCOIN_RUST_NODE", &node.http)
        .output()
        .expect("run the wallet");
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    let text = String::from_utf8_lossy(&text);
    let value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("no JSON printed ({e}): {text}"));
    (out.status.code().unwrap_or(-1), value)
}

fn write_proof(dir: &Path, name: &str, proof: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(proof).expect("json")).expect("write");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn proofs_of_every_position_in_blocks_of_1_to_9_transactions_hold_and_the_cli_checks_them() {
    let root = tempfile::tempdir().unwrap();
    let opts =
        NodeOptions { network: dev_network(), extra_toml: "[dev]\nenabled = true\n".into(), ..NodeOptions::default() };
    let node = Node::start(root.path(), "proofs", &opts);

    let mut kept: Option<Value> = None;
    for transfers in 0..=SENDERS {
        let ids: Vec<TxId> = (1..=transfers).map(|n| pay(&node, n)).collect();
        assert_eq!(node.get_ok("/transactions").as_array().map(Vec::len), Some(usize::from(transfers)));
        let (code, mined) = node.post("/dev/mine", &json!({"blocks": 1}));
        assert_eq!(code, 200, "{mined}");
        let height = node.height();
        let block = node.get_ok(&format!("/blocks/{height}"));
        let data = block["data"].as_array().expect("transactions");
        assert_eq!(data.len(), usize::from(transfers) + 1, "every pending transfer is in block {height}");
        let block_ids: Vec<TxId> =
            data.iter().map(|t| t["tx"]["id"].as_str().expect("id").parse().expect("hex")).collect();
        for id in &ids {
            assert!(block_ids.contains(id));
        }
        let root_hash: Hash256 = block["merkle_root"].as_str().expect("root").parse().expect("hex");
        assert_eq!(merkle_root(&block_ids), root_hash);

        for (index, id) in block_ids.iter().enumerate() {
            let json = node.get_ok(&format!("/transactions/{id}/proof"));
            let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 6, "{json}");
            let proof: InclusionProof = serde_json::from_value(json.clone()).expect("the documented shape");
            assert_eq!(proof.txid, *id);
            assert_eq!(proof.block_hash.to_hex(), block["hash"].as_str().expect("hash"));
            assert_eq!((proof.height, proof.index as usize), (height, index));
            assert_eq!(proof.merkle_root, root_hash);
            assert_eq!(proof.path, merkle_proof(&block_ids, index).expect("in range"), "{json}");
            assert!(verify_proof(id, &proof.path, &root_hash), "{} transactions, index {index}", block_ids.len());
            for step in &json["path"].as_array().expect("path").clone() {
                assert!(step["side"] == "left" || step["side"] == "right", "{step}");
            }
            if transfers == 4 && index == 4 {
                kept = Some(json);
            }
        }
    }

    // Unknown, pending and malformed ids.
    let unknown = TxId(Hash256::digest(b"never sent"));
    let (code, err) = node.get(&format!("/transactions/{unknown}/proof"));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("not_found")), "{err}");
    let pending = pay(&node, 1);
    let (code, err) = node.get(&format!("/transactions/{pending}/proof"));
    assert_eq!((code, err["error"]["code"].as_str()), (404, Some("not_found")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap_or("").contains("pending"), "{err}");
    let (code, err) = node.get("/transactions/xyz/proof");
    assert_eq!((code, err["error"]["code"].as_str()), (400, Some("bad_txid")), "{err}");

    // Confirm the pending one and a few blocks on top, so the CLI walks several headers.
    let (code, _) = node.post("/dev/mine", &json!({"blocks": 3}));
    assert_eq!(code, 200);
    let tip_height = node.height();

    // The light client: a saved proof (the last transfer of a 5-transaction block, carried up
    // twice without a sibling) and a txid.
    let good = kept.expect("a proof was kept");
    let file = write_proof(root.path(), "good.json", &good);
    let (code, out) = verify_proof_cli(&node, &file);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["verified"], true, "{out}");
    let proof_height = good["height"].as_u64().expect("height");
    assert_eq!(out["confirmations"].as_u64(), Some(tip_height - proof_height + 1), "{out}");
    assert_eq!(out["tip_height"].as_u64(), Some(tip_height));
    assert_eq!(out["tip"], node.status()["tip"]);
    let (code, out) = verify_proof_cli(&node, &pending.to_string());
    assert_eq!((code, &out["verified"]), (0, &json!(true)), "{out}");
    assert_eq!(out["confirmations"].as_u64(), Some(3));

    // Tampered proofs: a sibling hash, a side, the txid, the block hash, the root, the height.
    let mut tampered = Vec::new();
    let mut t = good.clone();
    let h = t["path"][0]["hash"].as_str().expect("hash").to_string();
    t["path"][0]["hash"] = json!(format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]));
    tampered.push(("sibling", t, "path_mismatch"));
    let mut t = good.clone();
    t["path"][0]["side"] = json!(if t["path"][0]["side"] == "left" { "right" } else { "left" });
    tampered.push(("side", t, "path_mismatch"));
    let mut t = good.clone();
    t["txid"] = json!(unknown.to_hex());
    tampered.push(("txid", t, "path_mismatch"));
    let mut t = good.clone();
    t["block_hash"] = node.status()["tip"].clone();
    tampered.push(("block_hash", t, "block_hash_mismatch"));
    let mut t = good.clone();
    t["height"] = json!(proof_height + 1);
    tampered.push(("height", t, "block_hash_mismatch"));
    let mut t = good.clone();
    t["path"] = json!([]);
    t["merkle_root"] = json!(bitcoin_rust_core::merkle::leaf_hash(&good["txid"].as_str().unwrap().parse().unwrap()));
    tampered.push(("root", t, "merkle_root_mismatch"));
    for (what, proof, reason) in tampered {
        let file = write_proof(root.path(), &format!("bad-{what}.json"), &proof);
        let (code, out) = verify_proof_cli(&node, &file);
        assert_eq!(code, 1, "tampered {what}: {out}");
        assert_eq!((&out["verified"], out["reason"].as_str()), (&json!(false), Some(reason)), "tampered {what}: {out}");
    }

    // Neither a file nor a txid: a usage error; an unknown txid: the node's 404.
    let (code, out) = verify_proof_cli(&node, "no-such-file.json");
    assert_eq!(code, 2, "{out}");
    let (code, out) = verify_proof_cli(&node, &unknown.to_string());
    assert_eq!((code, out["error"]["code"].as_str()), (1, Some("not_found")), "{out}");
}
