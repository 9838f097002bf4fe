//! Test harness: starts real node processes on loopback with ephemeral ports and temporary data
//! directories, talks to them over HTTP, and waits for conditions with bounded timeouts.
//! Nodes are killed when their handle is dropped, so a failing test leaves nothing running.

pub mod peer;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `[network]` table every test network shares: fast blocks and low difficulty.
pub const FAST_NETWORK: &str = r#"[network]
network_id = "e2e-net"
initial_difficulty = 3
mine_rate_ms = 400
"#;

/// `[p2p]` keys every test node shares: fast retries and heartbeats.
pub const FAST_P2P: &str =
    "retry_initial_ms = 100\nretry_max_ms = 1000\nheartbeat_interval_ms = 1000\npeer_timeout_ms = 5000\n";

/// Rewrites the `peers = [...]` line of a node's configuration text (to split or join networks
/// across a restart).
pub fn set_peers<S: AsRef<str>>(toml: String, peers: &[S]) -> String {
    let list: Vec<String> = peers.iter().map(|p| format!("{:?}", p.as_ref())).collect();
    toml.lines()
        .map(|l| if l.starts_with("peers = ") { format!("peers = [{}]", list.join(", ")) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Returns a node's cumulative work.
pub fn work(node: &Node) -> u128 {
    node.status()["total_work"].as_str().and_then(|w| w.parse().ok()).expect("total_work")
}

/// A running node process.
pub struct Node {
    /// Its label in messages.
    pub name: String,
    child: Option<Child>,
    /// The HTTP base URL, e.g. `http://127.0.0.1:41234`.
    pub http: String,
    /// The P2P URL, e.g. `ws://127.0.0.1:41235`.
    pub p2p: String,
    /// The data directory (kept across restarts).
    pub data_dir: PathBuf,
    /// The configuration file it was started with.
    pub config: PathBuf,
    agent: ureq::Agent,
    stderr_log: PathBuf,
}

/// Options for starting a node.
#[derive(Default, Clone)]
pub struct NodeOptions {
    /// P2P URLs to dial.
    pub peers: Vec<String>,
    /// Start mining.
    pub mine: bool,
    /// Extra lines for the `[p2p]` table.
    pub extra_p2p: String,
    /// Extra lines for the `[http]` table.
    pub extra_http: String,
    /// Extra tables (other than network, p2p, http, storage and mining).
    pub extra_toml: String,
    /// The whole `[network]` table; empty means [`FAST_NETWORK`].
    pub network: String,
    /// Fixed ports (to restart on the same ones), else ephemeral.
    pub http_port: u16,
    /// See `http_port`.
    pub p2p_port: u16,
}

/// Returns the node binary: `$NODE_BIN`, else `test_node` next to the test executable's folder
/// (`target/<profile>/test_node`, built by `cargo test` with this package).
pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("NODE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let mut profile_dir = exe.parent().expect("the executable's folder");
    if profile_dir.ends_with("deps") {
        profile_dir = profile_dir.parent().expect("target/<profile>");
    }
    let bin = profile_dir.join(format!("test_node{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "node binary {} not built (run cargo test -p bitcoin-rust-tests)", bin.display());
    bin
}

impl Node {
    /// Starts a node with its own data directory inside `root`, from a TOML configuration file
    /// it writes there.
    pub fn start(root: &Path, name: &str, opts: &NodeOptions) -> Node {
        let data_dir = root.join(name);
        std::fs::create_dir_all(&data_dir).expect("create data dir");
        let peers: Vec<String> = opts.peers.iter().map(|p| format!("{p:?}")).collect();
        let config = data_dir.join("node.toml");
        let toml = format!(
            "{network}\n[p2p]\nport = {p2p}\npeers = [{peers}]\n{FAST_P2P}{extra_p2p}\n\n[http]\nport = {http}\n{extra_http}\n\n[storage]\ndata_dir = {dir:?}\n\n[mining]\nenabled = {mine}\n\n{extra}\n",
            network = if opts.network.is_empty() { FAST_NETWORK } else { opts.network.as_str() },
            p2p = opts.p2p_port,
            peers = peers.join(", "),
            extra_p2p = opts.extra_p2p,
            http = opts.http_port,
            extra_http = opts.extra_http,
            dir = data_dir.join("data").display().to_string(),
            mine = opts.mine,
            extra = opts.extra_toml,
        );
        std::fs::write(&config, toml).expect("write config");
        Node::spawn(name, &config, &data_dir)
    }

    fn spawn(name: &str, config: &Path, data_dir: &Path) -> Node {
        let stderr_log = data_dir.join("stderr.log");
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&stderr_log).expect("log file");
        let mut child = Command::new(binary())
            .arg("--config")
            .arg(config)
            .env("RUST_LOG", std::env::var("NODE_RUST_LOG").unwrap_or_else(|_| "info".into()))
            .env_remove("HTTP_PORT")
            .env_remove("P2P_PORT")
            .env_remove("PEERS")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut http = None;
        let mut p2p = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.is_none() || p2p.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(u) = line.strip_prefix("HTTP API:") {
                        http = Some(u.trim().to_string());
                    }
                    if let Some(u) = line.strip_prefix("P2P:") {
                        p2p = Some(u.trim().to_string());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
                    panic!("node {name} did not start; its log:\n{log}");
                }
            }
        }
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
        Node {
            name: name.to_string(),
            child: Some(child),
            http: http.expect("http url"),
            p2p: p2p.expect("p2p url"),
            data_dir: data_dir.to_path_buf(),
            config: config.to_path_buf(),
            agent,
            stderr_log,
        }
    }

    /// Returns the process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts a node from an existing configuration file and data directory.
    pub fn start_with_config(name: &str, config: &Path, data_dir: &Path) -> Node {
        Node::spawn(name, config, data_dir)
    }

    /// Returns the HTTP port.
    pub fn http_port(&self) -> u16 {
        self.http.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in url")
    }

    /// Returns the P2P port.
    pub fn p2p_port(&self) -> u16 {
        self.p2p.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in url")
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("node {} did not stop within 15 s of SIGTERM", self.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again from its configuration file (same data directory).
    pub fn restart(&mut self) {
        self.stop();
        let fresh = Node::spawn(&self.name, &self.config, &self.data_dir);
        *self = fresh;
    }

    /// Starts the node again with a rewritten configuration (`edit` gets the TOML text).
    pub fn restart_with(&mut self, edit: impl FnOnce(String) -> String) {
        self.stop();
        let text = std::fs::read_to_string(&self.config).expect("read config");
        std::fs::write(&self.config, edit(text)).expect("write config");
        let fresh = Node::spawn(&self.name, &self.config, &self.data_dir);
        *self = fresh;
    }

    /// Returns the node's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// `GET path`; returns the status and the JSON body.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = self.agent.get(&format!("{}{}", self.http, path)).call();
        response(r)
    }

    /// `GET path` that must answer 200.
    pub fn get_ok(&self, path: &str) -> Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "{} GET {path}: {body}", self.name);
        body
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.agent.post(&format!("{}{}", self.http, path)).send_json(body.clone());
        response(r)
    }

    /// `POST path` with a raw body and content type.
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        let r = self.agent.post(&format!("{}{}", self.http, path)).set("Content-Type", content_type).send_bytes(body);
        response(r)
    }

    /// `POST path` with headers.
    pub fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let mut req = self.agent.post(&format!("{}{}", self.http, path));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        response(req.send_json(body.clone()))
    }

    /// The `/status` document.
    pub fn status(&self) -> Value {
        self.get_ok("/status")
    }

    /// The best height.
    pub fn height(&self) -> u64 {
        self.status()["height"].as_u64().expect("height")
    }

    /// The node wallet's address.
    pub fn address(&self) -> String {
        self.get_ok("/publickey")["public_key"].as_str().expect("public_key").to_string()
    }

    /// An address's balance.
    pub fn balance_of(&self, address: &str) -> u64 {
        self.get_ok(&format!("/balance/{address}"))["balance"].as_u64().expect("balance")
    }

    /// Mines one block now.
    pub fn mine_one(&self) -> Value {
        let (code, block) = self.post("/mine", &serde_json::json!({"data": "test"}));
        assert_eq!(code, 200, "{} POST /mine: {block}", self.name);
        block
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let interesting =
                |l: &&str| !l.contains(" GET /") && !l.contains("block mined") && !l.contains("chain extended");
            let tail: Vec<&str> = log.lines().filter(interesting).rev().take(60).collect();
            eprintln!("---- last log lines of node {} ----", self.name);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

fn response(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match r {
        Ok(resp) => {
            let code = resp.status();
            let text = resp.into_string().unwrap_or_default();
            (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(ureq::Error::Status(code, resp)) => {
            let text = resp.into_string().unwrap_or_default();
            (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(e) => (0, Value::String(e.to_string())),
    }
}

/// Waits until `cond` holds, polling every 100 ms, or panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for: {what}");
}

/// Waits until every node has the same tip at height at least `min_height`.
pub fn wait_converged(nodes: &[&Node], min_height: u64, timeout: Duration) {
    wait_until(&format!("{} nodes to agree on a tip at height >= {min_height}", nodes.len()), timeout, || {
        let tips: Vec<(u64, String)> = nodes
            .iter()
            .map(|n| {
                let s = n.status();
                (s["height"].as_u64().unwrap_or(0), s["tip"].as_str().unwrap_or("").to_string())
            })
            .collect();
        tips.iter().all(|t| t.0 >= min_height && t.1 == tips[0].1)
    });
}

/// Returns a valid address that no node owns (the public key of secret key 2).
pub const SOMEONE: &str = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
