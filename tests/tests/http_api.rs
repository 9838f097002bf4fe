//! The HTTP API against a real node: every first-prototype endpoint keeps its path, method and
//! field names; every error is JSON `{"error": {"code", "message"}}` with the documented status;
//! state-changing calls need the bearer token when one is configured; bad configuration exits 2.

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{binary, wait_until, Node, NodeOptions, SOMEONE};
use serde_json::{json, Value};
use std::time::Duration;

fn assert_error(resp: (u16, Value), status: u16, code: &str) {
    let (got, body) = resp;
    assert_eq!(got, status, "expected {status} {code}, got {got}: {body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// Sends a CORS preflight asking whether `origin` may send `method` to `path`.
fn preflight(node: &Node, path: &str, origin: &str, method: &str) -> (u16, Value) {
    let r = ureq::request("OPTIONS", &format!("{}{path}", node.http))
        .set("Origin", origin)
        .set("Access-Control-Request-Method", method)
        .call();
    let (code, resp) = match r {
        Ok(resp) => (resp.status(), resp),
        Err(ureq::Error::Status(code, resp)) => (code, resp),
        Err(e) => panic!("OPTIONS {path}: {e}"),
    };
    let text = resp.into_string().unwrap_or_default();
    (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn node_wallet(node: &Node) -> Wallet {
    let text = std::fs::read_to_string(node.data_dir.join("data/wallet.key")).expect("wallet key");
    let key = k256_key(text.trim());
    Wallet::from_key(key)
}

fn k256_key(hex_secret: &str) -> bitcoin_rust_core::k256_reexport::SigningKey {
    let bytes = hex::decode(hex_secret).expect("hex");
    bitcoin_rust_core::k256_reexport::SigningKey::from_slice(&bytes).expect("secret key")
}

/// Signs a transfer from `wallet` paying `amount` to `to`, valid at the node's tip.
fn signed(node: &Node, wallet: &Wallet, to: &str, amount: u64, fee: u64) -> Transfer {
    let info = node.get_ok(&format!("/address/{}", wallet.address()));
    let balance = info["balance"].as_u64().unwrap();
    let nonce = info["nonce"].as_u64().unwrap();
    let to: Address = to.parse().unwrap();
    let mut outputs = vec![TxOutput { address: to, amount: Amount(amount) }];
    let change = balance - amount - fee;
    if change > 0 {
        outputs.insert(0, TxOutput { address: wallet.address(), amount: Amount(change) });
    }
    Transfer::sign("e2e-net", wallet.signing_key(), nonce, 1, Amount(balance), Amount(fee), outputs)
}

#[test]
fn first_prototype_endpoints_keep_their_paths_and_shapes() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "proto", &NodeOptions::default());
    let public_key = node.get_ok("/publickey")["public_key"].as_str().unwrap().to_string();
    assert_eq!(public_key.len(), 66);
    let own = node.get_ok("/balance");
    assert_eq!(own["address"], public_key);
    assert_eq!(own["balance"], 0);
    assert_eq!(node.get_ok(&format!("/balance/{public_key}"))["balance"], 0);
    assert_eq!(node.get_ok("/mining-status")["running"], false);

    // POST /mine {data}: a normal block whose reward carries the data, never more coins.
    let block = node.post("/mine", &json!({"data": ["anything", {"amount": 1000000}]})).1;
    assert_eq!(block["block_number"], 1);
    for key in ["block_number", "timestamp", "last_hash", "hash", "data", "nonce", "difficulty"] {
        assert!(block.get(key).is_some(), "block lacks {key}: {block}");
    }
    assert_eq!(block["data"][0]["kind"], "Reward");
    assert_eq!(block["data"][0]["tx"]["output"]["amount"], 50);
    assert_eq!(block["data"][0]["tx"]["coinbase"]["data"], r#"["anything",{"amount":1000000}]"#);
    let (code, block) = node.get("/mine-transactions");
    assert_eq!(code, 200, "{block}");
    assert_eq!(block["block_number"], 2);
    let blocks = node.get_ok("/blocks");
    assert_eq!(blocks.as_array().unwrap().len(), 3, "genesis and two mined blocks");
    assert_eq!(node.get_ok("/balance")["balance"], 100);

    // POST /transact, and the update rule: a second send updates the pending transfer.
    let (code, tx) = node.post("/transact", &json!({"recipient": SOMEONE, "amount": 10}));
    assert_eq!(code, 200, "{tx}");
    for key in ["id", "input", "outputs"] {
        assert!(tx.get(key).is_some(), "{tx}");
    }
    for key in ["timestamp", "amount", "address", "signature", "nonce", "fee"] {
        assert!(tx["input"].get(key).is_some(), "{tx}");
    }
    assert_eq!(tx["input"]["amount"], 100);
    let (_, tx2) = node.post("/transact", &json!({"recipient": SOMEONE, "amount": 5}));
    let pending = node.get_ok("/transactions");
    assert_eq!(pending.as_array().unwrap().len(), 1, "one pending transfer per wallet: {pending}");
    assert_eq!(pending[0]["id"], tx2["id"]);
    let to_someone: Vec<&Value> =
        tx2["outputs"].as_array().unwrap().iter().filter(|o| o["address"] == SOMEONE).collect();
    assert_eq!(to_someone.len(), 1);
    assert_eq!(to_someone[0]["amount"], 15, "the repeated recipient is added to");
    let pending_id = tx2["id"].as_str().unwrap();
    assert_eq!(node.get_ok(&format!("/transactions/{pending_id}"))["status"], "pending");

    // Mining on and off, answering JSON.
    let started = node.get_ok("/startmining");
    assert_eq!(started, json!({"running": true, "message": "Started Mining."}));
    assert_eq!(node.get_ok("/startmining")["message"], "Mining already running.");
    assert_eq!(node.get_ok("/mining-status")["running"], true);
    wait_until("the pending transfer to be mined", Duration::from_secs(60), || node.balance_of(SOMEONE) == 15);
    assert_eq!(node.get_ok("/stopmining"), json!({"running": false, "message": "Stopped mining."}));
    assert_eq!(node.get_ok("/mining-status")["running"], false);
    let confirmed = node.get_ok(&format!("/transactions/{pending_id}"));
    assert_eq!(confirmed["status"], "confirmed");
    assert!(confirmed["confirmations"].as_u64().unwrap() >= 1);

    // What users of nodes expect on top.
    let status = node.get_ok("/status");
    for key in ["height", "tip", "difficulty", "total_work", "mempool", "peers", "mining", "hashrate", "network"] {
        assert!(status.get(key).is_some(), "status lacks {key}: {status}");
    }
    let h = status["height"].as_u64().unwrap();
    let page = node.get_ok("/blocks?from=1&limit=2");
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(page[0]["block_number"], 1);
    let newest = node.get_ok("/blocks?limit=1");
    assert_eq!(newest[0]["block_number"], h);
    let by_height = node.get_ok("/blocks/1");
    let by_hash = node.get_ok(&format!("/blocks/{}", by_height["hash"].as_str().unwrap()));
    assert_eq!(by_height["hash"], by_hash["hash"]);
    assert_eq!(by_height["in_best_chain"], true);
    assert_eq!(by_height["confirmations"], h);
    let someone = node.get_ok(&format!("/address/{SOMEONE}"));
    assert_eq!(someone["balance"], 15);
    assert_eq!(someone["history"].as_array().unwrap().len(), 1);
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    assert!(node.get_ok("/peers")["peers"].is_array());

    // Metrics in the Prometheus text format, counted by each actor.
    let (code, metrics) = node.get("/metrics");
    assert_eq!(code, 200);
    let text = metrics.as_str().expect("text");
    assert!(text.contains(&format!("bitcoin_rust_height {h}\n")), "{text}");
    assert!(text.contains("bitcoin_rust_blocks_connected_total"));
    assert!(text.contains("bitcoin_rust_mempool_transactions 0\n"));
    assert!(text.contains(r#"bitcoin_rust_http_requests_total{route="/status",method="GET",status="200"}"#), "{text}");
    assert!(text.contains(r#"bitcoin_rust_http_request_duration_seconds_bucket{route="/status",le="+Inf"}"#));
    assert!(text.contains(r#"bitcoin_rust_peers{direction="inbound"} 0"#));

    // The OpenAPI document is served and names every route.
    let doc = node.get_ok("/openapi.json");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/blocks",
        "/blocks/{id}",
        "/mine",
        "/transactions",
        "/transactions/{id}",
        "/transactions/{id}/proof",
        "/transact",
        "/mine-transactions",
        "/publickey",
        "/balance",
        "/balance/{address}",
        "/address/{address}",
        "/startmining",
        "/stopmining",
        "/mining-status",
        "/status",
        "/healthz",
        "/peers",
        "/events",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(path), "openapi.json lacks {path}");
    }

    // Uncompressed keys (the first prototype's form) are accepted and normalised.
    let wallet = node_wallet(&node);
    let uncompressed = hex::encode(wallet.signing_key().verifying_key().to_encoded_point(false).as_bytes());
    assert_eq!(node.get_ok(&format!("/balance/{uncompressed}"))["address"], public_key);
}

#[test]
fn errors_are_json_with_the_right_status() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "errors", &NodeOptions::default());
    node.mine_one();
    node.mine_one();
    let wallet = node_wallet(&node);

    // 400: malformed.
    assert_error(node.post_raw("/transact", "application/json", b"{not json"), 400, "malformed_json");
    assert_error(node.post("/transact", &json!({"recipient": "xyz", "amount": 1})), 400, "bad_address");
    assert_error(node.post("/transact", &json!({"recipient": SOMEONE, "amount": 1.5})), 400, "bad_amount");
    assert_error(node.post("/transact", &json!({"recipient": SOMEONE, "amount": "10"})), 400, "bad_amount");
    assert_error(node.post("/transact", &json!({"recipient": SOMEONE})), 400, "malformed_json");
    assert_error(node.post_raw("/transact", "text/plain", b"{}"), 415, "unsupported_media_type");
    assert_error(node.get("/blocks/not-a-block"), 400, "bad_block_id");
    assert_error(node.get("/blocks?limit=abc"), 400, "bad_query");
    assert_error(node.get("/blocks?limit=0"), 400, "bad_limit");
    assert_error(node.get("/balance/0299"), 400, "bad_address");
    assert_error(node.get("/transactions/1234"), 400, "bad_txid");
    assert_error(node.post_raw("/mine", "application/json", b"[1,2"), 400, "malformed_json");
    assert_error(node.post("/peers", &json!({"url": "http://example.invalid"})), 400, "bad_peer_url");
    // Not a WebSocket handshake: the API's JSON error, not the framework's empty 400.
    assert_error(node.get("/events"), 400, "not_websocket");
    // A refused CORS preflight: the API's JSON error, not the CORS layer's plain text.
    assert_error(preflight(&node, "/status", "http://evil.example", "GET"), 400, "cors_refused");
    assert_error(preflight(&node, "/transact", "http://localhost:3000", "DELETE"), 400, "cors_refused");
    assert_eq!(preflight(&node, "/transact", "http://localhost:3000", "POST").0, 200);

    // 404: unknown.
    assert_error(node.get("/no/such/route"), 404, "not_found");
    assert_error(node.get("/blocks/999999"), 404, "not_found");
    assert_error(node.get(&format!("/transactions/{}", "00".repeat(32))), 404, "not_found");

    // 413: too large.
    let big = vec![b' '; 3 * 1024 * 1024];
    assert_error(node.post_raw("/transactions", "application/json", &big), 413, "payload_too_large");
    assert_error(node.post_raw("/mine", "application/json", &big), 413, "payload_too_large");

    // 422: a rule broken, named.
    assert_error(
        node.post("/transact", &json!({"recipient": SOMEONE, "amount": 1_000_000})),
        422,
        "insufficient_funds",
    );
    assert_error(node.post("/transact", &json!({"recipient": SOMEONE, "amount": 0})), 422, "zero_amount");
    let mut forged = signed(&node, &wallet, SOMEONE, 10, 1);
    forged.outputs[0].amount = Amount(forged.outputs[0].amount.0 - 1);
    forged.outputs[1].amount = Amount(11);
    forged.id = forged.compute_id("e2e-net");
    assert_error(node.post("/transactions", &serde_json::to_value(&forged).unwrap()), 422, "bad_signature");
    let mut wrong_sum = signed(&node, &wallet, SOMEONE, 10, 1);
    wrong_sum.outputs[1].amount = Amount(12);
    assert_error(node.post("/transactions", &serde_json::to_value(&wrong_sum).unwrap()), 422, "amount_mismatch");
    let future_nonce = {
        let t = signed(&node, &wallet, SOMEONE, 10, 1);
        Transfer::sign("e2e-net", wallet.signing_key(), t.input.nonce + 1, 1, t.input.amount, t.input.fee, t.outputs)
    };
    assert_error(node.post("/transactions", &serde_json::to_value(&future_nonce).unwrap()), 422, "bad_nonce");

    // 202, then 409: conflicts with what is pending.
    let good = signed(&node, &wallet, SOMEONE, 10, 3);
    let (code, body) = node.post("/transactions", &serde_json::to_value(&good).unwrap());
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["status"], "pending");
    assert_error(node.post("/transactions", &serde_json::to_value(&good).unwrap()), 409, "already_pending");
    let cheaper = signed(&node, &wallet, SOMEONE, 9, 2);
    assert_error(node.post("/transactions", &serde_json::to_value(&cheaper).unwrap()), 409, "replacement_fee_too_low");

    // 403: a request not addressed to loopback (DNS rebinding).
    assert_error(
        node.post_with("/transact", &[("Host", "evil.example")], &json!({"recipient": SOMEONE, "amount": 1})),
        403,
        "bad_host",
    );
    // The node kept serving through all of it.
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
}

#[test]
fn a_configured_token_guards_every_state_changing_call() {
    let root = tempfile::tempdir().unwrap();
    let opts = NodeOptions { extra_http: "auth_token = \"s3cret-token\"\n".into(), ..NodeOptions::default() };
    let node = Node::start(root.path(), "auth", &opts);
    assert_error(node.post("/transact", &json!({"recipient": SOMEONE, "amount": 1})), 401, "unauthorized");
    assert_error(node.post("/mine", &json!({})), 401, "unauthorized");
    assert_error(node.get("/startmining"), 401, "unauthorized");
    assert_error(node.get("/stopmining"), 401, "unauthorized");
    assert_error(node.get("/mine-transactions"), 401, "unauthorized");
    assert_error(node.post("/peers", &json!({"url": "ws://127.0.0.1:1"})), 401, "unauthorized");
    assert_error(node.post_with("/mine", &[("Authorization", "Bearer wrong-token")], &json!({})), 401, "unauthorized");
    let (code, block) = node.post_with("/mine", &[("Authorization", "Bearer s3cret-token")], &json!({"data": "ok"}));
    assert_eq!(code, 200, "{block}");
    // Reads stay open.
    assert_eq!(node.get("/status").0, 200);
    assert_eq!(node.get("/blocks").0, 200);
}

#[test]
fn bad_configuration_stops_the_node_with_exit_code_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(binary());
        cmd.args(args).env_remove("HTTP_PORT").env_remove("P2P_PORT").env_remove("PEERS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run node")
    };
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[http]\nprot = 1\n").unwrap();
    let out = run(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prot"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["--print-config"], &[("HTTP_PORT", "seventy")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP_PORT"));
    let out = run(&["--http-host", "0.0.0.0", "--print-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth_token"));
    let out = run(&["--print-config"], &[("HTTP_PORT", "3999"), ("MINE_RATE", "1234")]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("port = 3999") && text.contains("mine_rate_ms = 1234"), "{text}");
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for word in
        ["HTTP_PORT", "P2P_PORT", "PEERS", "DIFFICULTY", "MINE_RATE", "MINING_REWARD", "BITCOIN_RUST_", "--config"]
    {
        assert!(help.contains(word), "--help does not mention {word}");
    }
}
