//! Hostile web pages and HTTP clients against a real node on loopback: no foreign web page can
//! change the node's state (every state-changing route refuses a foreign `Origin` or
//! `Sec-Fetch-Site: cross-site` with a JSON 403 and does nothing, and bodies a form can send get
//! 415), while curl-like clients, the node's own origins and the configured CORS origins keep
//! working; random HTTP methods cannot grow `/metrics`; `--print-config` hides the token; and
//! dashboards that never read their `/events` cannot make the node hold their events.

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::transaction::{Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use bitcoin_rust_tests::{binary, Node, NodeOptions, SOMEONE};
use rand::Rng;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::Message;

/// A dev chain (blocks on demand at difficulty 1) where the key with secret 1 holds a fortune.
const RICH_NETWORK: &str = r#"[network]
network_id = "e2e-hostile"
initial_difficulty = 1
fixed_difficulty = true
mine_rate_ms = 60000

[[network.genesis_allocations]]
address = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
amount = 1000000000000000
"#;

const TRUSTED: &str = "https://dash.example";
const FOREIGN: &str = "http://evil.example";

fn key(secret: u8) -> SigningKey {
    let mut bytes = [0u8; 32];
    bytes[31] = secret;
    SigningKey::from_slice(&bytes).expect("secret key")
}

fn rich() -> Wallet {
    Wallet::from_key(key(1))
}

fn hostile_node(root: &std::path::Path, name: &str) -> Node {
    let opts = NodeOptions {
        network: RICH_NETWORK.into(),
        extra_http: format!("cors_origins = [{TRUSTED:?}]\n"),
        extra_toml: "[dev]\nenabled = true\nfaucet = true\n".into(),
        ..NodeOptions::default()
    };
    Node::start(root, name, &opts)
}

/// Any request: method, path, extra headers, an optional body with its content type.
fn call(node: &Node, method: &str, path: &str, headers: &[(&str, &str)], body: Option<(&str, &[u8])>) -> (u16, Value) {
    let mut req = ureq::request(method, &format!("{}{path}", node.http)).timeout(Duration::from_secs(60));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let r = match body {
        Some((ct, bytes)) => req.set("Content-Type", ct).send_bytes(bytes),
        None => req.call(),
    };
    let (code, resp) = match r {
        Ok(resp) => (resp.status(), resp),
        Err(ureq::Error::Status(code, resp)) => (code, resp),
        Err(e) => return (0, Value::String(e.to_string())),
    };
    let text = resp.into_string().unwrap_or_default();
    (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn assert_error(resp: (u16, Value), status: u16, code: &str, what: &str) {
    let (got, body) = resp;
    assert_eq!(got, status, "{what}: expected {status} {code}, got {got}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
}

/// A transfer from the rich key paying 1 coin to each of `payees` (with change), fee `fee`.
fn transfer(balance: u64, nonce: u64, fee: u64, payees: &[Address]) -> Transfer {
    let me = rich();
    let mut outputs = vec![TxOutput { address: me.address(), amount: Amount(balance - payees.len() as u64 - fee) }];
    outputs.extend(payees.iter().map(|a| TxOutput { address: *a, amount: Amount(1) }));
    Transfer::sign("e2e-hostile", me.signing_key(), nonce, 1, Amount(balance), Amount(fee), outputs)
}

/// Every state-changing call: method, path, JSON body (None: no body).
fn acting_calls() -> Vec<(&'static str, &'static str, Option<Value>)> {
    let tx = serde_json::to_value(transfer(1_000_000_000_000_000, 0, 5, &[SOMEONE.parse().expect("address")]))
        .expect("transfer JSON");
    vec![
        ("POST", "/mine", Some(json!({"data": "from a web page"}))),
        ("POST", "/transactions", Some(tx)),
        ("POST", "/transact", Some(json!({"recipient": SOMEONE, "amount": 1}))),
        ("GET", "/mine-transactions", None),
        ("POST", "/mine-transactions", None),
        ("GET", "/startmining", None),
        ("POST", "/startmining", Some(json!({}))),
        ("GET", "/stopmining", None),
        ("POST", "/stopmining", Some(json!({}))),
        ("POST", "/peers", Some(json!({"url": "ws://127.0.0.1:1"}))),
        ("POST", "/dev/mine", Some(json!({"blocks": 2}))),
        ("POST", "/dev/faucet", Some(json!({"address": SOMEONE, "amount": 5}))),
    ]
}

fn send(node: &Node, method: &str, path: &str, body: &Option<Value>, headers: &[(&str, &str)]) -> (u16, Value) {
    let bytes = body.as_ref().map(|b| b.to_string().into_bytes());
    call(node, method, path, headers, bytes.as_deref().map(|b| ("application/json", b)))
}

/// Opens `/events` with these headers; answers the socket or the refusal's status and body.
fn open_events(node: &Node, headers: &[(&str, &str)]) -> Result<Socket, (u16, Value)> {
    let url = format!("{}/events", node.http.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().expect("request");
    for (k, v) in headers {
        req.headers_mut()
            .insert(tungstenite::http::HeaderName::from_bytes(k.as_bytes()).expect("name"), v.parse().expect("value"));
    }
    match tungstenite::connect(req) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(resp)) => {
            let body = resp.body().clone().unwrap_or_default();
            Err((resp.status().as_u16(), serde_json::from_slice(&body).unwrap_or(Value::Null)))
        }
        Err(e) => panic!("/events: {e}"),
    }
}

type Socket = tungstenite::WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens `/events` over a socket with a 16 KiB receive buffer (so that the kernel cannot hold
/// much of what the node sends), reads the hello, and answers the socket.
fn open_slow_events(node: &Node) -> tungstenite::WebSocket<TcpStream> {
    use socket2::{Domain, Socket as RawSocket, Type};
    let addr: std::net::SocketAddr = node.http.trim_start_matches("http://").parse().expect("address");
    let socket = RawSocket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    socket.connect(&addr.into()).expect("connect");
    let stream: TcpStream = socket.into();
    let url = format!("{}/events", node.http.replacen("http://", "ws://", 1));
    let (mut ws, _) = tungstenite::client::client(url, stream).expect("handshake");
    assert_eq!(read_text(&mut ws).as_deref(), Some(r#"{"type":"hello"}"#));
    ws
}

fn read_text<S: Read + Write>(ws: &mut tungstenite::WebSocket<S>) -> Option<String> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return Some(t.as_str().to_string()),
            Ok(Message::Close(_)) => return None,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

#[test]
fn no_foreign_web_page_can_change_the_nodes_state_but_curl_and_trusted_origins_can() {
    let root = tempfile::tempdir().unwrap();
    let node = hostile_node(root.path(), "guarded");
    let before = node.status();

    // Every state-changing route, from a foreign origin, an opaque origin, or marked cross-site
    // by the browser (an image tag or a link: no Origin): a JSON 403, and nothing happens.
    for (method, path, body) in acting_calls() {
        for headers in [
            vec![("Origin", FOREIGN)],
            vec![("Origin", "null")],
            vec![("Origin", "http://localhost.evil.example:3001"), ("Sec-Fetch-Site", "cross-site")],
            vec![("Sec-Fetch-Site", "cross-site")],
        ] {
            let what = format!("{method} {path} with {headers:?}");
            assert_error(send(&node, method, path, &body, &headers), 403, "cross_site_refused", &what);
        }
    }
    // Percent-encoding a letter reaches the same route, and the same refusal.
    for path in ["/start%6Dining", "/%6Dine-transactions"] {
        let what = format!("GET {path} cross-site");
        assert_error(
            call(&node, "GET", path, &[("Sec-Fetch-Site", "cross-site")], None),
            403,
            "cross_site_refused",
            &what,
        );
    }
    let after = node.status();
    assert_eq!(after["height"], before["height"], "no block was mined");
    assert_eq!(after["mining"], false, "mining did not start");
    assert_eq!(after["mempool"], 0, "no transfer was accepted");
    assert_eq!(node.get_ok("/peers")["peers"].as_array().map(Vec::len), Some(0), "no peer was dialled");
    assert_eq!(node.get_ok("/balance")["balance"], 0, "the wallet never paid or earned");

    // Reads stay open to any page (CORS decides what the page may read).
    assert_eq!(call(&node, "GET", "/status", &[("Origin", FOREIGN)], None).0, 200);

    // Started by curl, mining cannot be stopped by a foreign page.
    assert_eq!(call(&node, "GET", "/startmining", &[], None).0, 200);
    for (method, body) in [("GET", None), ("POST", Some(json!({})))] {
        let what = format!("{method} /stopmining from {FOREIGN}");
        assert_error(
            send(&node, method, "/stopmining", &body, &[("Origin", FOREIGN)]),
            403,
            "cross_site_refused",
            &what,
        );
    }
    assert_eq!(node.get_ok("/mining-status")["running"], true, "mining kept running");
    // The node's own dashboard (same origin, as browsers mark it) stops it.
    let own = node.http.clone();
    let (code, body) =
        send(&node, "POST", "/stopmining", &Some(json!({})), &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")]);
    assert_eq!(code, 200, "{body}");
    assert_eq!(node.get_ok("/mining-status")["running"], false);

    // Curl (no Origin), the dev server on loopback and the configured CORS origin keep working.
    let height = node.height();
    for headers in [vec![], vec![("Origin", "http://127.0.0.1:5173")], vec![("Origin", TRUSTED)]] {
        let (code, block) = send(&node, "POST", "/mine", &Some(json!({"data": "ok"})), &headers);
        assert_eq!(code, 200, "POST /mine with {headers:?}: {block}");
    }
    assert_eq!(node.height(), height + 3);
    let (code, tx) = send(&node, "POST", "/transactions", &acting_calls()[1].2, &[("Origin", TRUSTED)]);
    assert_eq!(code, 202, "{tx}");
    let (code, mined) = send(&node, "POST", "/dev/mine", &Some(json!({"blocks": 1})), &[("Origin", TRUSTED)]);
    assert_eq!(code, 200, "{mined}");
    let (code, paid) =
        send(&node, "POST", "/dev/faucet", &Some(json!({"address": SOMEONE, "amount": 5})), &[("Origin", TRUSTED)]);
    assert_eq!(code, 200, "{paid}");
    assert_eq!(call(&node, "GET", "/mine-transactions", &[], None).0, 200);
    assert_eq!(node.balance_of(SOMEONE), 1 + 5, "the trusted origin's transfer and faucet payment were mined");
}

#[test]
fn bodies_a_form_can_send_are_refused_with_415() {
    let root = tempfile::tempdir().unwrap();
    let node = hostile_node(root.path(), "bodies");
    let data = br#"{"data":"x"}"#;
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        for path in ["/mine", "/transact", "/transactions", "/dev/mine", "/startmining"] {
            let what = format!("POST {path} as {ct}");
            assert_error(call(&node, "POST", path, &[], Some((ct, data))), 415, "unsupported_media_type", &what);
        }
    }
    assert_eq!(node.height(), 0, "nothing was mined");
    // An empty body is fine whatever its type (curl -X POST), and JSON with a charset too.
    assert_eq!(call(&node, "POST", "/mine", &[], Some(("text/plain", b""))).0, 200);
    assert_eq!(call(&node, "POST", "/mine", &[], Some(("application/json; charset=utf-8", data))).0, 200);
    assert_eq!(node.height(), 2);
}

#[test]
fn the_dashboard_feed_refuses_foreign_origins() {
    let root = tempfile::tempdir().unwrap();
    let node = hostile_node(root.path(), "feed");
    match open_events(&node, &[("Origin", FOREIGN)]) {
        Ok(_) => panic!("a foreign page opened /events"),
        Err((code, body)) => {
            assert_eq!(code, 403, "{body}");
            assert_eq!(body["error"]["code"], "cross_site_refused", "{body}");
        }
    }
    assert!(matches!(open_events(&node, &[("Sec-Fetch-Site", "cross-site")]), Err((403, _))));
    // Its own dashboard, a trusted origin and a program without Origin get the feed.
    let own = node.http.clone();
    let mut open = Vec::new();
    for headers in [vec![("Origin", own.as_str())], vec![("Origin", TRUSTED)], vec![]] {
        let mut ws = open_events(&node, &headers).unwrap_or_else(|e| panic!("/events with {headers:?}: {e:?}"));
        assert_eq!(read_text(&mut ws).as_deref(), Some(r#"{"type":"hello"}"#));
        open.push(ws);
    }
    // At most 64 dashboards at once; one more is refused with a JSON 503, and a place freed by a
    // dashboard that leaves is taken again.
    while open.len() < 64 {
        let mut ws = open_events(&node, &[]).expect("a dashboard within the limit");
        assert_eq!(read_text(&mut ws).as_deref(), Some(r#"{"type":"hello"}"#));
        open.push(ws);
    }
    match open_events(&node, &[]) {
        Ok(_) => panic!("a 65th dashboard was accepted"),
        Err((code, body)) => {
            assert_eq!(code, 503, "{body}");
            assert_eq!(body["error"]["code"], "too_many_dashboards", "{body}");
        }
    }
    let mut leaving = open.pop().expect("a dashboard");
    leaving.close(None).expect("close");
    while read_text(&mut leaving).is_some() {}
    drop(leaving);
    bitcoin_rust_tests::wait_until("a freed place", Duration::from_secs(30), || open_events(&node, &[]).is_ok());
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
}

/// Sends one raw HTTP/1.1 request and reads the whole answer (the connection is closed after).
fn raw_request(node: &Node, head: &str) -> Vec<u8> {
    let addr = node.http.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    s.write_all(head.as_bytes()).expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn random_methods_and_paths_cannot_grow_the_metrics_or_the_log() {
    let root = tempfile::tempdir().unwrap();
    let node = hostile_node(root.path(), "methods");
    let mut rng = rand::thread_rng();
    let mut answered = 0;
    for i in 0..300 {
        let method: String = (0..4000).map(|_| rng.gen_range(b'A'..=b'Z') as char).collect();
        let path: String = (0..200).map(|_| rng.gen_range(b'a'..=b'z') as char).collect();
        let path = if i % 2 == 0 { format!("/{path}") } else { "/status".to_string() };
        let answer =
            raw_request(&node, &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        if answer.starts_with(b"HTTP/1.1 ") {
            answered += 1;
        }
    }
    assert!(answered > 0, "the node answered none of the odd requests");
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    let (code, metrics) = node.get("/metrics");
    assert_eq!(code, 200);
    let text = metrics.as_str().expect("metrics text");
    assert!(text.len() < 64 * 1024, "/metrics grew to {} bytes", text.len());
    let known = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "other"];
    let mut labels = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with("bitcoin_rust_http_requests_total{")) {
        let method = line.split("method=\"").nth(1).and_then(|r| r.split('"').next()).expect("a method label");
        let route = line.split("route=\"").nth(1).and_then(|r| r.split('"').next()).expect("a route label");
        assert!(known.contains(&method), "method label {method:.40}… in {line:.120}");
        assert!(route == "unmatched" || route.len() < 40, "route label {route:.60}…");
        labels.insert(method.to_string());
    }
    assert!(labels.contains("other"), "the odd methods were counted as other: {labels:?}");
    // The log shows each request line cut short.
    let longest = node.log().lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2048, "a log line of {longest} bytes");
}

#[test]
fn print_config_never_shows_the_token() {
    let out = std::process::Command::new(binary())
        .arg("--print-config")
        .env_remove("HTTP_PORT")
        .env_remove("P2P_PORT")
        .env_remove("PEERS")
        .env("BITCOIN_RUST_HTTP__AUTH_TOKEN", "very-secret-token-123")
        .output()
        .expect("run node");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("very-secret-token-123"), "{text}");
    assert!(text.contains("auth_token = \"<redacted>\""), "{text}");
}

fn rss_kib(node: &Node) -> u64 {
    let pid = node.pid().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[test]
fn dashboards_that_never_read_cannot_make_the_node_hold_their_events() {
    let root = tempfile::tempdir().unwrap();
    let node = hostile_node(root.path(), "slow");
    let payees: Vec<Address> = (2..=100).map(|s| Wallet::from_key(key(s)).address()).collect();
    let balance = 1_000_000_000_000_000;
    // Dashboards that read their hello, then never read again.
    const SLOW: usize = 8;
    let mut slow: Vec<_> = (0..SLOW).map(|_| open_slow_events(&node)).collect();
    let before = rss_kib(&node);
    // Each replacement of the pending transfer is a ~10 KB "transaction" event for every
    // dashboard: 6,000 of them are ~60 MB. (Before the queues were bounded, a dashboard that
    // stopped reading also stopped its session's heartbeat, so the node kept every event for
    // it, for as long as it stayed connected.)
    const EVENTS: u64 = 6_000;
    let mut peak = before;
    for fee in 1..=EVENTS {
        let tx = transfer(balance, 0, fee, &payees);
        let (code, body) = call(
            &node,
            "POST",
            "/transactions",
            &[],
            Some(("application/json", serde_json::to_string(&tx).expect("json").as_bytes())),
        );
        assert_eq!(code, 202, "replacement {fee}: {body}");
        if fee % 100 == 0 {
            peak = peak.max(rss_kib(&node));
        }
    }
    peak = peak.max(rss_kib(&node));
    // The API stayed responsive, and the node did not keep the events for its dashboards.
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
    let grown_mib = peak.saturating_sub(before) / 1024;
    eprintln!("RSS {before} KiB before, {peak} KiB at peak");
    assert!(grown_mib < 40, "the node's RSS grew by {grown_mib} MiB ({before} KiB before, {peak} KiB at peak)");

    // A slow dashboard that reads again skips to the latest state (one resync instead of the
    // events it missed), or was dropped.
    let ws = &mut slow[0];
    ws.get_ref().set_read_timeout(Some(Duration::from_secs(60))).expect("read timeout");
    let mut transactions = 0u64;
    let mut resynced = false;
    let mut bytes = 0;
    while let Some(text) = read_text(ws) {
        bytes += text.len();
        let event: Value = serde_json::from_str(&text).expect("an event");
        match event["type"].as_str() {
            Some("transaction") => transactions += 1,
            Some("resync") => {
                resynced = true;
                break;
            }
            _ => {}
        }
        if transactions == EVENTS {
            break;
        }
    }
    eprintln!("the slow dashboard read {transactions} transaction events ({bytes} bytes), resynced: {resynced}");
    assert!(transactions < EVENTS, "the slow dashboard was sent every event (resynced: {resynced})");
    drop(slow);
    assert_eq!(node.get_ok("/healthz")["status"], "ok");
}

#[test]
fn block_lists_stop_at_four_mebibytes_of_json() {
    // 800 funded senders, each paying 99 addresses at once: ~10 KB of JSON per transfer, so the
    // blocks that carry them (≤ 1 MB encoded each) are ~2.5 MB of JSON each.
    const SENDERS: u8 = 200;
    let senders: Vec<Wallet> = (0..4u8)
        .flat_map(|hi| {
            (1..=SENDERS).map(move |lo| {
                let mut bytes = [0u8; 32];
                bytes[0] = 0x42;
                bytes[30] = hi;
                bytes[31] = lo;
                Wallet::from_key(SigningKey::from_slice(&bytes).expect("secret key"))
            })
        })
        .collect();
    let mut network = String::from(
        "[network]\nnetwork_id = \"e2e-hostile\"\ninitial_difficulty = 1\nfixed_difficulty = true\nmine_rate_ms = 60000\n",
    );
    for w in &senders {
        network
            .push_str(&format!("\n[[network.genesis_allocations]]\naddress = \"{}\"\namount = 1000000\n", w.address()));
    }
    let opts = NodeOptions { network, extra_toml: "[dev]\nenabled = true\n".into(), ..NodeOptions::default() };
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "lists", &opts);
    let payees: Vec<Address> = (2..=100).map(|s| Wallet::from_key(key(s)).address()).collect();
    for w in &senders {
        let mut outputs = vec![TxOutput { address: w.address(), amount: Amount(1_000_000 - 99 - 1) }];
        outputs.extend(payees.iter().map(|a| TxOutput { address: *a, amount: Amount(1) }));
        let tx = Transfer::sign("e2e-hostile", w.signing_key(), 0, 1, Amount(1_000_000), Amount(1), outputs);
        let body = serde_json::to_string(&tx).expect("json");
        let (code, answer) = call(&node, "POST", "/transactions", &[], Some(("application/json", body.as_bytes())));
        assert_eq!(code, 202, "{answer}");
    }
    while node.status()["mempool"].as_u64() != Some(0) {
        let (code, mined) = call(&node, "POST", "/dev/mine", &[], Some(("application/json", b"{}")));
        assert_eq!(code, 200, "{mined}");
    }
    let height = node.height();
    assert!(height >= 3, "the transfers filled {height} blocks");

    let get = |path: &str| {
        let resp = ureq::get(&format!("{}{path}", node.http)).call().expect(path);
        let truncated = resp.header("X-Page-Truncated").map(str::to_string);
        let next = resp.header("X-Next-From").and_then(|v| v.parse::<u64>().ok());
        let text = resp.into_string().expect("body");
        let blocks: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
        (text.len(), blocks, truncated, next)
    };
    // The whole chain, unpaged, and a page from genesis: cut before 4 MiB, saying where to go on.
    for path in ["/blocks", "/blocks?from=0&limit=1000"] {
        let (len, blocks, truncated, next) = get(path);
        eprintln!("{path}: {} of {} blocks in {len} bytes", blocks.len(), height + 1);
        assert!(len <= 4 * 1024 * 1024, "{path}: {len} bytes");
        assert_eq!(truncated.as_deref(), Some("true"), "{path}");
        let last = blocks.last().and_then(|b| b["block_number"].as_u64()).expect("blocks");
        assert_eq!(next, Some(last + 1), "{path}");
        assert!((blocks.len() as u64) < height + 1, "{path}");
    }
    // Paging on with X-Next-From reaches the tip, every block once, in order.
    let mut from = 0;
    let mut seen = 0;
    loop {
        let (len, blocks, _, next) = get(&format!("/blocks?from={from}&limit=1000"));
        assert!(len <= 4 * 1024 * 1024);
        for b in &blocks {
            assert_eq!(b["block_number"].as_u64(), Some(seen));
            seen += 1;
        }
        match next {
            Some(n) => from = n,
            None => break,
        }
    }
    assert_eq!(seen, height + 1);
    // The newest page keeps the newest blocks.
    let (len, blocks, truncated, _) = get("/blocks?limit=1000");
    assert!(len <= 4 * 1024 * 1024);
    assert_eq!(truncated.as_deref(), Some("true"));
    assert_eq!(blocks.last().and_then(|b| b["block_number"].as_u64()), Some(height));
}
