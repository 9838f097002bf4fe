//! A scripted peer that speaks the documented protocol (docs/PROTOCOL.md §8) with its own
//! WebSocket client, not our node code, and misbehaves: blocks without valid work, replayed
//! transactions, oversize messages, garbage, CLEAR_TRANSACTIONS, silence, too many connections.
//! After each, the node still serves, its chain and pool are unchanged by the attack, and the
//! peer is disconnected (and refused for a while) where it should be.

use bitcoin_rust_tests::{wait_until, Node, NodeOptions, SOMEONE};
use serde_json::{json, Value};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

struct ScriptedPeer {
    ws: Socket,
    node_id: String,
}

impl ScriptedPeer {
    /// Connects and completes the handshake as a node of the same network.
    fn join(node: &Node) -> ScriptedPeer {
        let mut peer = ScriptedPeer::connect(node);
        let status = node.status();
        let hello = json!({
            "type": "HELLO",
            "network": status["network"],
            "genesis": status["genesis"],
            "node_id": peer.node_id,
            "version": 1,
            "agent": "scripted-peer/1",
            "best_height": 0,
            "best_hash": status["genesis"],
            "total_work": "0",
            "listen": null
        });
        peer.send(&hello.to_string());
        let first = peer.recv().expect("the node's HELLO");
        assert_eq!(first["type"], "HELLO", "{first}");
        peer
    }

    fn connect(node: &Node) -> ScriptedPeer {
        let (ws, _) = tungstenite::connect(node.p2p.as_str()).expect("connect to the P2P port");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_millis(200))).expect("read timeout");
        }
        ScriptedPeer { ws, node_id: format!("scripted-{}", rand::random::<u32>()) }
    }

    fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).expect("send");
    }

    /// Reads the next text message within 5 s (pings are skipped); `None` once closed.
    fn recv(&mut self) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).expect("json from the node")),
                Ok(Message::Close(_)) => return None,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// Reads until the node closes the connection; returns the `REJECT` code if one came.
    fn expect_closed(&mut self, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        let mut code = None;
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    if v["type"] == "REJECT" {
                        code = v["code"].as_str().map(String::from);
                    }
                }
                Ok(Message::Close(_)) => return code,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return code,
            }
        }
        panic!("the node did not close the connection within {within:?} (reject code so far: {code:?})");
    }
}

fn banned(node: &Node, node_id: &str) -> bool {
    node.get_ok("/peers")["banned"].as_array().unwrap().iter().any(|b| b[0] == node_id)
}

fn node_with(root: &std::path::Path, name: &str, p2p: &str) -> Node {
    let opts = NodeOptions { extra_p2p: p2p.into(), ..NodeOptions::default() };
    let node = Node::start(root, name, &opts);
    node.mine_one();
    node.mine_one();
    node
}

#[test]
fn invalid_blocks_garbage_and_oversize_messages_are_refused_and_the_sender_banned() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "target", "max_message_bytes = 4000000\n");
    let before = node.status();

    // A block on the tip without valid work.
    let mut peer = ScriptedPeer::join(&node);
    let tip = node.get_ok(&format!("/blocks/{}", before["height"]));
    let mut block = tip.clone();
    let obj = block.as_object_mut().unwrap();
    for derived in
        ["hash", "difficulty", "target", "confirmations", "in_best_chain", "next_hash", "subsidy", "fees", "size"]
    {
        obj.remove(derived);
    }
    obj.insert("block_number".into(), json!(before["height"].as_u64().unwrap() + 1));
    obj.insert("last_hash".into(), before["tip"].clone());
    obj.insert("timestamp".into(), json!(before["tip_timestamp"].as_u64().unwrap() + 1));
    // Nonce 0 is almost surely not below the target (1 chance in 4096 or less).
    obj.insert("nonce".into(), json!(0));
    peer.send(&json!({"type": "BLOCK", "block": Value::Object(obj.clone())}).to_string());
    let code = peer.expect_closed(Duration::from_secs(5));
    // Nonce 0 fails the work check (or, 1 time in 4096, the reward height check).
    assert!(matches!(code.as_deref(), Some("insufficient_work") | Some("reward_height_mismatch")), "{code:?}");
    assert!(banned(&node, &peer.node_id), "the sender is refused for a while");
    // It is refused when it comes back with the same identity.
    let mut again = ScriptedPeer::connect(&node);
    let status = node.status();
    again.node_id = peer.node_id.clone();
    again.send(
        &json!({"type": "HELLO", "network": status["network"], "genesis": status["genesis"], "node_id": again.node_id,
        "version": 1, "agent": "x", "best_height": 0, "best_hash": status["genesis"], "total_work": "0"})
        .to_string(),
    );
    assert_eq!(again.expect_closed(Duration::from_secs(5)).as_deref(), Some("banned"));

    // Garbage.
    let mut peer = ScriptedPeer::join(&node);
    peer.send("this is not json {");
    assert_eq!(peer.expect_closed(Duration::from_secs(5)).as_deref(), Some("malformed"));
    // An unknown message type.
    let mut peer = ScriptedPeer::join(&node);
    peer.send(r#"{"type":"GIVE_ME_COINS","amount":1000}"#);
    assert_eq!(peer.expect_closed(Duration::from_secs(5)).as_deref(), Some("malformed"));
    // A message over the limit (4 MB here).
    let mut peer = ScriptedPeer::join(&node);
    let huge = format!(r#"{{"type":"PING","nonce":1,"pad":"{}"}}"#, "x".repeat(5_000_000));
    let _ = peer.ws.send(Message::text(huge));
    peer.expect_closed(Duration::from_secs(10));
    // Binary frames are not part of the protocol.
    let mut peer = ScriptedPeer::join(&node);
    peer.ws.send(Message::binary(vec![1u8, 2, 3])).unwrap();
    assert_eq!(peer.expect_closed(Duration::from_secs(5)).as_deref(), Some("malformed"));

    // Nothing changed, and the node still serves HTTP and P2P.
    let after = node.status();
    assert_eq!(after["tip"], before["tip"]);
    assert_eq!(after["height"], before["height"]);
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    let mut honest = ScriptedPeer::join(&node);
    honest.send(r#"{"type":"PING","nonce":42}"#);
    let pong = (0..5).find_map(|_| honest.recv().filter(|m| m["type"] == "PONG")).expect("PONG");
    assert_eq!(pong["nonce"], 42);
    // The refusals and the traffic show in the metrics.
    drop(honest);
    wait_until("the metrics to count the refusals", Duration::from_secs(10), || {
        let (_, m) = node.get("/metrics");
        let text = m.as_str().unwrap_or_default().to_string();
        text.contains(r#"bitcoin_rust_p2p_refused_total{reason="malformed"} 4"#)
            && (text.contains(r#"bitcoin_rust_p2p_refused_total{reason="insufficient_work"}"#)
                || text.contains(r#"bitcoin_rust_p2p_refused_total{reason="reward_height_mismatch"}"#))
            && text.contains(r#"bitcoin_rust_p2p_messages_total{direction="in",type="HELLO"}"#)
            && text.contains(r#"bitcoin_rust_p2p_messages_total{direction="out",type="PONG"}"#)
    });
}

#[test]
fn replayed_transactions_and_clear_transactions_leave_the_pool_alone() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "pool", "");
    // A real transfer, mined: the replay material.
    let (code, tx) = node.post("/transact", &json!({"recipient": SOMEONE, "amount": 5}));
    assert_eq!(code, 200, "{tx}");
    node.mine_one();
    assert_eq!(node.balance_of(SOMEONE), 5);
    // A pending one that must survive CLEAR_TRANSACTIONS.
    let (code, pending) = node.post("/transact", &json!({"recipient": SOMEONE, "amount": 3}));
    assert_eq!(code, 200, "{pending}");

    let mut peer = ScriptedPeer::join(&node);
    peer.send(r#"{"type":"CLEAR_TRANSACTIONS"}"#);
    std::thread::sleep(Duration::from_millis(300));
    let pool = node.get_ok("/transactions");
    assert_eq!(pool.as_array().unwrap().len(), 1, "CLEAR_TRANSACTIONS only removes what our chain includes");
    assert_eq!(pool[0]["id"], pending["id"]);

    // Replaying the mined transfer: refused every time, and the peer is dropped after a few.
    let replay = json!({"type": "TRANSACTION", "transaction": tx}).to_string();
    for _ in 0..6 {
        peer.send(&replay);
    }
    let code = peer.expect_closed(Duration::from_secs(5));
    assert_eq!(code.as_deref(), Some("stale_transaction"));
    assert_eq!(node.balance_of(SOMEONE), 5, "no coins moved twice");
    let pool = node.get_ok("/transactions");
    assert_eq!(pool.as_array().unwrap().len(), 1);
    assert_eq!(pool[0]["id"], pending["id"]);

    // Outputs that overflow: refused as invalid, at once.
    let mut peer = ScriptedPeer::join(&node);
    let mut overflow = pending.clone();
    overflow["outputs"] = json!([
        {"address": SOMEONE, "amount": u64::MAX},
        {"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 2}
    ]);
    peer.send(&json!({"type": "TRANSACTION", "transaction": overflow}).to_string());
    assert_eq!(peer.expect_closed(Duration::from_secs(5)).as_deref(), Some("invalid_transaction"));
    assert_eq!(node.get_ok("/transactions").as_array().unwrap().len(), 1);
}

#[test]
fn silent_connections_floods_and_too_many_peers_are_bounded() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(
        root.path(),
        "limits",
        "handshake_timeout_ms = 1000\nmax_peers = 3\nmax_inbound = 3\nmessages_per_second = 20\n",
    );
    // Opens a connection and says nothing: dropped after the handshake timeout.
    let mut silent = ScriptedPeer::connect(&node);
    let started = Instant::now();
    assert_eq!(silent.expect_closed(Duration::from_secs(5)).as_deref(), Some("handshake_timeout"));
    assert!(started.elapsed() >= Duration::from_millis(900));

    // More peers than allowed: the extra one is refused.
    let _a = ScriptedPeer::join(&node);
    let _b = ScriptedPeer::join(&node);
    let _c = ScriptedPeer::join(&node);
    wait_until("three peers admitted", Duration::from_secs(5), || node.status()["peers"] == 3);
    let mut extra = ScriptedPeer::join(&node);
    let code = extra.expect_closed(Duration::from_secs(5));
    assert!(matches!(code.as_deref(), Some("too_many_peers") | Some("too_many_inbound_peers")), "{code:?}");
    drop((_a, _b, _c));
    wait_until("the peers to be gone", Duration::from_secs(10), || node.status()["peers"] == 0);

    // A flood of messages exceeds the budget (20/s, bursts of 40).
    let mut flooder = ScriptedPeer::join(&node);
    for i in 0..200 {
        if flooder.ws.send(Message::text(format!(r#"{{"type":"PING","nonce":{i}}}"#))).is_err() {
            break;
        }
    }
    assert_eq!(flooder.expect_closed(Duration::from_secs(5)).as_deref(), Some("flood"));
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
}
