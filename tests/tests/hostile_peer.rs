//! A scripted peer that speaks the documented protocol (docs/PROTOCOL.md §8) with its own
//! WebSocket client, not our node code, and misbehaves: blocks without valid work, blocks with
//! valid work that break one rule each (wrong target, a timestamp far in the future, two rewards,
//! an inflated reward), replayed transactions, oversize and fragmented messages, garbage,
//! CLEAR_TRANSACTIONS, silence, too many connections. After each, the node still serves, its
//! chain and pool are unchanged by the attack, and the peer is disconnected (and refused for a
//! while) where it should be.
//!
//! The blocks are built with the core crate (the reference implementation of the documented
//! layouts: reward ids, Merkle root, header hash, nonce search); the peer side is this file's own
//! tungstenite code.

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::{Amount, Height};
use bitcoin_rust_core::block::{Block, BlockHeader, BLOCK_VERSION};
use bitcoin_rust_core::hash::{BlockHash, Hash256};
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::target::{CompactTarget, Target};
use bitcoin_rust_core::transaction::{Reward, Transaction, Transfer};
use bitcoin_rust_tests::peer::{random_loopback, Incoming, ScriptedPeer};
use bitcoin_rust_tests::{wait_until, Node, NodeOptions, SOMEONE};
use serde_json::{json, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::Message;

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
    for derived in [
        "hash",
        "difficulty",
        "target",
        "confirmations",
        "in_best_chain",
        "next_hash",
        "subsidy",
        "fees",
        "size",
        "status",
        "invalid_rule",
        "first_seen",
    ] {
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
    // It is refused when it comes back with the same identity, from another address...
    let mut again = ScriptedPeer::try_connect(&node, random_loopback(), peer.key.clone()).expect("connect");
    again.handshake(&node);
    assert_eq!(again.expect_closed(Duration::from_secs(5)).as_deref(), Some("banned"));
    // ...and with a new identity from the same address (refused before the WebSocket opens).
    let fresh = bitcoin_rust_core::k256_reexport::SigningKey::from_slice(&[7u8; 32]).unwrap();
    assert!(ScriptedPeer::try_connect(&node, peer.ip, fresh).is_err(), "the address is banned too");

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

    // Replaying the mined transfer: refused every time (counted as stale_transaction, its
    // signature check charged to the peer's work budget, the repeats dropped unchecked), never
    // accepted; the peer is not banned for it, since honest relays cross blocks too.
    let replay = json!({"type": "TRANSACTION", "transaction": tx}).to_string();
    for _ in 0..6 {
        peer.send(&replay);
    }
    assert!(peer.ping(11), "the replayer is slowed, not banned");
    wait_until("the replays to be counted", Duration::from_secs(5), || {
        let (_, m) = node.get("/metrics");
        let text = m.as_str().unwrap_or_default().to_string();
        // The first is checked and refused; the resends are dropped unchecked and counted
        // as what the first one's refusal was.
        text.contains(r#"bitcoin_rust_p2p_refused_total{reason="stale_transaction"} 6"#)
    });
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

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64
}

/// What an attack must leave alone: the tip, the height and the pending transfers.
fn chain_and_pool(node: &Node) -> (Value, Value, Vec<Value>) {
    let s = node.status();
    let mut pool: Vec<Value> =
        node.get_ok("/transactions").as_array().unwrap().iter().map(|t| t["id"].clone()).collect();
    pool.sort_by_key(|v| v.to_string());
    (s["tip"].clone(), s["height"].clone(), pool)
}

/// A child of the node's tip paying the reward (subsidy plus the fees of `transfers`, plus
/// `extra`) to `SOMEONE`, with the bits the node expects next and a timestamp just past its
/// median time past; not yet sealed.
fn child_of_tip(node: &Node, transfers: &[Transfer], extra: u64) -> Block {
    let status = node.status();
    let network = status["network"].as_str().unwrap();
    let height = Height(status["height"].as_u64().unwrap() + 1);
    // The test network keeps the default reward schedule.
    let subsidy = NetworkParams::default().subsidy(height).0;
    let fees: u64 = transfers.iter().map(|t| t.input.fee.0).sum();
    let miner: Address = SOMEONE.parse().unwrap();
    let reward = Reward::new(network, height, miner, Amount(subsidy + fees + extra), "scripted".into());
    let mut transactions = vec![Transaction::Reward(reward)];
    transactions.extend(transfers.iter().cloned().map(Transaction::Normal));
    let timestamp = now_ms().max(status["median_time_past"].as_u64().unwrap() + 1);
    Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            height,
            last_hash: status["tip"].as_str().unwrap().parse::<BlockHash>().unwrap(),
            merkle_root: Hash256::ZERO,
            timestamp,
            bits: CompactTarget(status["bits"].as_u64().unwrap() as u32),
            nonce: 0,
        },
        transactions,
    }
}

/// Recomputes the Merkle root and mines a nonce meeting the header's own bits: valid work.
fn seal(mut block: Block) -> Block {
    bitcoin_rust_core::testkit::seal(&mut block);
    assert!(bitcoin_rust_core::validation::check_proof_of_work(&block.header).is_ok());
    block
}

fn block_message(block: &Block) -> String {
    json!({"type": "BLOCK", "block": block}).to_string()
}

/// Sends `block` from a fresh peer; asserts the node answers `REJECT` with `rule`, closes the
/// connection and bans the sender.
fn refused_with_ban(node: &Node, block: &Block, rule: &str) {
    let mut peer = ScriptedPeer::join(node);
    peer.send(&block_message(block));
    let code = peer.expect_closed(Duration::from_secs(10));
    assert_eq!(code.as_deref(), Some(rule), "block {} must be refused as {rule}", block.hash());
    assert!(banned(node, &peer.node_id), "the sender of a {rule} block is banned");
}

#[test]
fn blocks_with_valid_work_that_break_a_rule_are_refused_by_name_and_the_chain_and_pool_stay() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "rules", "");

    // Control: a block built exactly like the attacks below, but valid, is accepted, so each
    // refusal below is for the one rule the attack breaks and not for how blocks are built here.
    let mut control_peer = ScriptedPeer::join(&node);
    let control = seal(child_of_tip(&node, &[], 0));
    control_peer.send(&block_message(&control));
    wait_until("the control block to become the tip", Duration::from_secs(10), || {
        node.status()["tip"] == control.hash().to_hex()
    });
    assert_eq!(node.balance_of(SOMEONE), NetworkParams::default().subsidy(control.height()).0);
    assert!(control_peer.ping(1), "the sender of a valid block stays connected");
    drop(control_peer);

    // A pending transfer with a fee, for the inflated reward and to show the pool survives.
    let (code, pending) = node.post("/transact", &json!({"recipient": SOMEONE, "amount": 4, "fee": 2}));
    assert_eq!(code, 200, "{pending}");
    let pending: Transfer = serde_json::from_value(pending).unwrap();
    let before = chain_and_pool(&node);
    let expected_bits = node.status()["bits"].as_u64().unwrap() as u32;

    // A wrong target: easier than the rule gives (one leading zero hex digit, the pow limit),
    // then harder (four digits); each mined at the bits it claims, so the work check passes.
    for digits in [1, 4] {
        let mut block = child_of_tip(&node, &[], 0);
        block.header.bits = Target::from_leading_zero_hex_digits(digits).to_compact();
        assert_ne!(block.header.bits.0, expected_bits);
        let block = seal(block);
        refused_with_ban(&node, &block, "wrong_target");
        // Refused before it was stored: the node says so, with the rule, and keeps no body.
        let (code, err) = node.get(&format!("/blocks/{}", block.hash()));
        assert_eq!((code, err["error"]["code"].as_str()), (404, Some("block_refused")), "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("wrong_target"), "{err}");
    }

    // Two rewards (each paying the subsidy).
    let mut block = child_of_tip(&node, &[], 0);
    let network = node.status()["network"].as_str().unwrap().to_string();
    let second = Reward::new(&network, block.height(), SOMEONE.parse().unwrap(), Amount(50), "second".into());
    block.transactions.push(Transaction::Reward(second));
    refused_with_ban(&node, &seal(block), "multiple_rewards");

    // An inflated reward: subsidy + fees + 1, with the pending transfer (fee 2) in the block.
    let block = seal(child_of_tip(&node, std::slice::from_ref(&pending), 1));
    let reward = block.reward().unwrap().output.amount.0;
    assert_eq!(reward, NetworkParams::default().subsidy(block.height()).0 + 2 + 1);
    refused_with_ban(&node, &block, "wrong_reward");
    // A state rule: the block was stored, then found invalid when connected; its view and the
    // chain's tips say so, with the rule.
    let view = node.get_ok(&format!("/blocks/{}", block.hash()));
    assert_eq!(
        (view["status"].as_str(), view["invalid_rule"].as_str(), view["in_best_chain"].as_bool()),
        (Some("invalid"), Some("wrong_reward"), Some(false)),
        "{view}"
    );
    let tips = node.get_ok("/chain/tips");
    let bad_tip = tips["tips"].as_array().unwrap().iter().find(|t| t["hash"] == block.hash().to_hex()).cloned();
    assert_eq!(
        bad_tip.map(|t| (t["status"].clone(), t["invalid_rule"].clone())),
        Some((json!("invalid"), json!("wrong_reward")))
    );
    assert_eq!(tips["tips"][0]["status"], "active");
    assert_eq!(tips["tips"][0]["hash"], node.status()["tip"]);
    // The same block with the exact reward would have been valid: the rule is the only fault.
    let exact = seal(child_of_tip(&node, std::slice::from_ref(&pending), 0));
    assert_eq!(exact.reward().unwrap().output.amount.0, reward - 1);

    // A timestamp far in the future (10 minutes past the 2-minute allowance). Such a block may
    // become valid later, so it is refused without a penalty (PROTOCOL.md §8.3.3, §8.7) and not
    // remembered as invalid: offered twice, it costs nothing and the peer stays connected.
    let mut block = child_of_tip(&node, &[], 0);
    block.header.timestamp = now_ms() + 120_000 + 600_000;
    let block = seal(block);
    let mut patient = ScriptedPeer::join(&node);
    patient.send(&block_message(&block));
    patient.send(&block_message(&block));
    wait_until("the node to refuse the future block twice", Duration::from_secs(10), || {
        node.log().matches(&block.hash().to_hex()).count() >= 2
    });
    assert!(node.log().contains("too far in the future"), "the log names the rule");
    wait_until("the future blocks to be counted", Duration::from_secs(5), || {
        let (_, m) = node.get("/metrics");
        m.as_str().unwrap_or_default().contains("bitcoin_rust_blocks_too_early_total 2")
    });
    assert!(patient.ping(2), "a block from the future is no reason to disconnect");
    assert!(!banned(&node, &patient.node_id));

    // Nothing changed: tip, height and pool; the node serves HTTP and P2P.
    assert_eq!(chain_and_pool(&node), before, "the attacks left the chain and the pool alone");
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    let mut honest = ScriptedPeer::join(&node);
    assert!(honest.ping(3), "a fresh peer is served");
    // The exact-reward block is still acceptable: nothing was poisoned by the attacks.
    honest.send(&block_message(&exact));
    wait_until("the honest block with the pending transfer to be the tip", Duration::from_secs(10), || {
        node.status()["tip"] == exact.hash().to_hex()
    });
    assert_eq!(node.get_ok(&format!("/transactions/{}", pending.id))["status"], "confirmed");
    assert!(node.get_ok("/transactions").as_array().unwrap().is_empty());
}

#[test]
fn fragmented_messages_are_reassembled_within_the_limit_and_bad_fragments_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "frames", "max_message_bytes = 4000000\n");
    let before = chain_and_pool(&node);

    // A PING in three fragments, with a WebSocket ping control frame between two of them (RFC
    // 6455 §5.4 allows control frames in the middle of a fragmented message): one PONG.
    let mut peer = ScriptedPeer::join(&node);
    assert!(peer.send_frame(r#"{"type":"PI"#, false, false));
    assert!(peer.send_frame(r#"NG","nonce":"#, true, false));
    peer.ws.send(Message::Ping(vec![9u8].into())).unwrap();
    assert!(peer.send_frame("77}", true, true));
    assert!(peer.await_pong(77), "the fragments are reassembled into one PING");
    // The same connection goes on: an unfragmented PING, then a fragmented one again.
    assert!(peer.ping(78));
    assert!(peer.send_frame(r#"{"type":"PING","#, false, false));
    assert!(peer.send_frame(r#""nonce":79}"#, true, true));
    assert!(peer.await_pong(79));

    // A fragmented message whose total exceeds max_message_bytes (4 MB), every frame below it.
    let mut peer = ScriptedPeer::join(&node);
    let chunk = "x".repeat(1_100_000);
    let mut sent = peer.send_frame(format!(r#"{{"type":"PING","nonce":1,"pad":"{chunk}"#), false, false);
    for _ in 0..4 {
        sent = sent && peer.send_frame(chunk.clone(), true, false);
    }
    let _ = sent && peer.send_frame(r#""}"#, true, true);
    assert_eq!(peer.expect_closed(Duration::from_secs(10)).as_deref(), Some("malformed"));
    assert!(banned(&node, &peer.node_id));

    // A continuation frame without a first frame, and a new fragmented message before the last
    // one ended: the WebSocket layer refuses both; the peer gets REJECT, is dropped and banned.
    let starts: [&[(&str, bool, bool)]; 2] = [
        &[(r#"{"type":"PING","nonce":5}"#, true, true)],
        &[(r#"{"type":"PI"#, false, false), (r#"{"type":"PI"#, false, false)],
    ];
    for frames in starts {
        let mut peer = ScriptedPeer::join(&node);
        for (payload, continuation, last) in frames {
            peer.send_frame(*payload, *continuation, *last);
        }
        let code = peer.expect_closed(Duration::from_secs(5));
        assert_eq!(code.as_deref(), Some("malformed"), "REJECT before the close");
        wait_until("the sender to be banned", Duration::from_secs(5), || banned(&node, &peer.node_id));
    }

    // Fragments that are not UTF-8 once joined (a multi-byte character cut in two is fine).
    let mut peer = ScriptedPeer::join(&node);
    let text = r#"{"type":"PING","nonce":6,"pad":"é"}"#.as_bytes();
    let cut = text.iter().position(|b| *b == 0xc3).unwrap() + 1;
    assert!(peer.send_frame(text[..cut].to_vec(), false, false));
    assert!(peer.send_frame(text[cut..].to_vec(), true, true));
    assert!(peer.await_pong(6), "a character split across fragments is reassembled");
    assert!(peer.send_frame(vec![b'{', 0xff], false, false));
    assert!(peer.send_frame(b"}".to_vec(), true, true));
    assert_eq!(peer.expect_closed(Duration::from_secs(5)).as_deref(), Some("malformed"));

    // Nothing changed, and the node still serves HTTP and P2P.
    assert_eq!(chain_and_pool(&node), before);
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    let mut honest = ScriptedPeer::join(&node);
    assert!(honest.ping(42));
}

/// PROTOCOL.md §8.1 and §8.7: a bad continuation or an oversized frame is a violation
/// (`malformed`, penalty 100), and a node that drops a peer "first sends REJECT, then a close
/// frame with status 1008". (Found by this test: the socket actors used to stop at once on a
/// WebSocket protocol error, losing the session's `REJECT`; they now wait for it, at most
/// `PROTOCOL_ERROR_GRACE`.)
#[test]
fn websocket_protocol_errors_are_answered_with_reject_before_the_close() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "protocol-errors", "max_message_bytes = 4000000\n");
    let mut peer = ScriptedPeer::join(&node);
    peer.send_frame(r#"{"type":"PING","nonce":5}"#, true, true);
    let no_start = peer.expect_closed(Duration::from_secs(5));
    let mut peer = ScriptedPeer::join(&node);
    let _ = peer.ws.send(Message::text(format!(r#"{{"type":"PING","nonce":1,"pad":"{}"}}"#, "x".repeat(5_000_000))));
    let oversize = peer.expect_closed(Duration::from_secs(10));
    assert_eq!(
        (no_start.as_deref(), oversize.as_deref()),
        (Some("malformed"), Some("malformed")),
        "REJECT codes for (a continuation without start, an oversize frame)"
    );
}

/// Reads messages for `within`; returns the `GET_BLOCKS` requests among them (pings from the
/// node are answered so the connection stays alive).
fn get_blocks_within(peer: &mut ScriptedPeer, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut asked = Vec::new();
    loop {
        match peer.next_before(deadline) {
            Incoming::Text(t) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                if m["type"] == "GET_BLOCKS" {
                    asked.push(m);
                } else if m["type"] == "PING" {
                    peer.send(&json!({"type": "PONG", "nonce": m["nonce"]}).to_string());
                }
            }
            Incoming::Closed => panic!("the connection ended"),
            Incoming::Quiet => return asked,
        }
    }
}

/// A peer that had blocks before the connection was admitted but after its `HELLO` was written
/// never announces them: its pings report them. A ping reporting a tip above ours that we do
/// not have gets a `GET_BLOCKS` after our locator; a tip we have, or one below ours, gets none;
/// and a peer that keeps reporting new tips gets one request in flight at a time.
#[test]
fn a_ping_reporting_an_unknown_higher_tip_is_answered_with_get_blocks_and_known_tips_are_not() {
    let root = tempfile::tempdir().unwrap();
    let node = node_with(root.path(), "target", "");
    let status = node.status();
    let (height, tip) = (status["height"].as_u64().unwrap(), status["tip"].clone());
    let mut peer = ScriptedPeer::join(&node);
    let ping = |nonce: u64, height: u64, hash: &Value| {
        json!({"type": "PING", "nonce": nonce, "best_height": height, "best_hash": hash}).to_string()
    };
    let unknown = |byte: u8| json!(BlockHash(Hash256([byte; 32])).to_string());

    // Our own tip, and an unknown block below it: nothing to fetch.
    peer.send(&ping(1, height, &tip));
    peer.send(&ping(2, height - 1, &unknown(1)));
    assert_eq!(get_blocks_within(&mut peer, Duration::from_secs(2)), Vec::<Value>::new());

    // An unknown block above our tip: the blocks after our locator (which starts at our tip).
    peer.send(&ping(3, height + 3, &unknown(2)));
    let asked = get_blocks_within(&mut peer, Duration::from_secs(3));
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["locator"][0], tip);

    // Unanswered, that request stays the only one, however many higher tips are reported.
    for nonce in 4..8 {
        peer.send(&ping(nonce, height + nonce, &unknown(nonce as u8)));
    }
    assert_eq!(get_blocks_within(&mut peer, Duration::from_secs(2)), Vec::<Value>::new());

    // Answered (nothing to give after all), the next report asks again.
    peer.send(&json!({"type": "CHAIN", "chain": []}).to_string());
    peer.send(&ping(9, height + 9, &unknown(9)));
    assert_eq!(get_blocks_within(&mut peer, Duration::from_secs(3)).len(), 1);
    assert_eq!(node.status()["height"], height, "nothing was taken from the peer");
}
