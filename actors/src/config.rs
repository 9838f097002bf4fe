//! Node configuration: one struct per component, aggregated in [`NodeConfig`], loaded in layers:
//! built-in defaults, then a TOML file (`--config`), then environment variables, then
//! command-line flags. Unknown keys and bad values are refused with a message naming the key.
//!
//! Environment: the first prototype's names keep working (`HTTP_PORT`, `P2P_PORT`, `PEERS`,
//! `DIFFICULTY`, `MINE_RATE`, `MINING_REWARD`, and `HALVING_INTERVAL`); every other key is
//! `BITCOIN_RUST_<SECTION>__<KEY>`, for example `BITCOIN_RUST_MINING__THREADS=2`.

use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::store::redb_store::DEFAULT_CACHE_BYTES;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;

/// The prefix of environment variables (besides the first prototype's names).
pub const ENV_PREFIX: &str = "BITCOIN_RUST";

/// The whole configuration of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Consensus parameters: nodes with different values are on different networks.
    pub network: NetworkParams,
    /// The HTTP API and dashboard server.
    pub http: HttpConfig,
    /// The peer-to-peer WebSocket server and outbound peers.
    pub p2p: P2pConfig,
    /// The miner.
    pub mining: MiningConfig,
    /// The mempool's limits.
    pub mempool: MempoolConfig,
    /// Where data lives.
    pub storage: StorageConfig,
    /// Dev-chain conveniences (off by default).
    pub dev: DevConfig,
}

/// Dev-chain mode, for local chains people mine on demand (like Bitcoin Core's regtest or
/// Anvil). Pair it with `network.fixed_difficulty = true` and a low `initial_difficulty` so
/// blocks come instantly however many are asked for, and `network.genesis_allocations` for dev
/// accounts funded from block 0 (see `config/dev.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevConfig {
    /// Turns dev-chain mode on: `POST /dev/mine` mines blocks now. The keys below need it.
    pub enabled: bool,
    /// Mines a block as soon as a transfer enters the pool (from HTTP or a peer).
    pub mine_on_transaction: bool,
    /// Mines a block every this many milliseconds; 0 turns it off.
    pub block_interval_ms: u64,
    /// Turns on `POST /dev/faucet`, which pays from the node's wallet. Off by default.
    pub faucet: bool,
    /// The most one faucet call pays.
    pub faucet_max_amount: u64,
}

impl Default for DevConfig {
    fn default() -> Self {
        DevConfig {
            enabled: false,
            mine_on_transaction: false,
            block_interval_ms: 0,
            faucet: false,
            faucet_max_amount: 1_000,
        }
    }
}

/// How `--print-config` shows a secret.
pub const REDACTED: &str = "<redacted>";

/// The most blocks one `POST /dev/mine` call mines.
pub const MAX_DEV_MINE_BLOCKS: u32 = 1_000;

/// The HTTP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to bind (`HTTP` host). Loopback by default; any other needs `auth_token`.
    pub host: String,
    /// `HTTP_PORT`.
    pub port: u16,
    /// Bearer token required by calls that change state; empty means none.
    pub auth_token: String,
    /// Web origins trusted besides loopback origins and the node's own names (the origin of
    /// `advertise_url`, hosts of `allowed_hosts`): by CORS, and for state-changing calls from
    /// browsers (see [`crate::http_guard`]). `["*"]` trusts any origin.
    pub cors_origins: Vec<String>,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// A folder with a built dashboard to serve at `/ui/` instead of the one embedded in the
    /// binary (for dashboard development); empty means the embedded one.
    pub ui_dir: String,
    /// HTTP worker threads.
    pub workers: usize,
    /// Host names (with or without a port) this API answers besides loopback names. Empty: a
    /// node bound to loopback answers only `localhost`/`127.x`/`[::1]` (against DNS rebinding),
    /// a node bound elsewhere answers any Host. Set it for containers, e.g. `["node1"]`.
    pub allowed_hosts: Vec<String>,
    /// The URL other nodes' dashboards use to reach this API (shared in HELLO); empty:
    /// `http://host:port`.
    pub advertise_url: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            host: "127.0.0.1".into(),
            port: 3001,
            auth_token: String::new(),
            cors_origins: Vec::new(),
            max_body_bytes: 2 * 1024 * 1024,
            ui_dir: String::new(),
            workers: 2,
            allowed_hosts: Vec::new(),
            advertise_url: String::new(),
        }
    }
}

/// The peer-to-peer layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// Address to bind.
    pub host: String,
    /// `P2P_PORT`.
    pub port: u16,
    /// `PEERS`: `ws://` URLs to connect to and keep connected.
    pub peers: Vec<String>,
    /// The URL other nodes should dial to reach us; empty means `ws://HOST:PORT`.
    pub advertise_url: String,
    /// The most peers, inbound and outbound together.
    pub max_peers: usize,
    /// The most inbound peers.
    pub max_inbound: usize,
    /// The largest message (a WebSocket frame or a reassembled message), in bytes.
    pub max_message_bytes: usize,
    /// Messages a peer may send per second on average.
    pub messages_per_second: u32,
    /// How long a new connection has to complete the handshake, ms.
    pub handshake_timeout_ms: u64,
    /// How often we ping a peer, ms.
    pub heartbeat_interval_ms: u64,
    /// How long a peer may stay silent before it is dropped, ms.
    pub peer_timeout_ms: u64,
    /// How long a misbehaving peer is refused, seconds.
    pub ban_seconds: u64,
    /// The first retry delay of an outbound peer, ms (doubles up to `retry_max_ms`).
    pub retry_initial_ms: u64,
    /// The longest retry delay, ms.
    pub retry_max_ms: u64,
    /// The most blocks in one `CHAIN` answer.
    pub sync_batch_blocks: usize,
    /// The most bytes queued for one peer (PROTOCOL.md §8.6): while its queue is this full the
    /// node stops reading the peer and skips broadcasts to it.
    pub send_queue_bytes: usize,
    /// How long a peer's queue may stay full before the connection is dropped, ms.
    pub write_timeout_ms: u64,
    /// Work units a peer may make the node spend per second (burst: twice this); over it, the
    /// node stops reading the peer until the budget refills (PROTOCOL.md §8.6).
    pub work_per_second: u32,
    /// The most inbound connections from one IP address (open or in handshake).
    pub max_inbound_per_ip: usize,
}

impl Default for P2pConfig {
    fn default() -> Self {
        P2pConfig {
            host: "127.0.0.1".into(),
            port: 5001,
            peers: Vec::new(),
            advertise_url: String::new(),
            max_peers: 32,
            max_inbound: 24,
            max_message_bytes: 16 * 1024 * 1024,
            messages_per_second: 200,
            handshake_timeout_ms: 10_000,
            heartbeat_interval_ms: 5_000,
            peer_timeout_ms: 30_000,
            ban_seconds: 600,
            retry_initial_ms: 500,
            retry_max_ms: 30_000,
            sync_batch_blocks: 500,
            send_queue_bytes: 4 * 1024 * 1024,
            write_timeout_ms: 20_000,
            work_per_second: 400,
            max_inbound_per_ip: 8,
        }
    }
}

/// The miner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MiningConfig {
    /// Start mining when the node starts.
    pub enabled: bool,
    /// Proof-of-work threads (dedicated OS threads, never async workers).
    pub threads: usize,
    /// The SHA-256 implementation to mine with: `auto` (the fastest this CPU has), `avx512`,
    /// `avx2`, `sha-ni` or `portable`.
    pub backend: String,
}

impl Default for MiningConfig {
    fn default() -> Self {
        MiningConfig { enabled: false, threads: 1, backend: "auto".into() }
    }
}

/// The mempool's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// The most pending transfers.
    pub max_count: usize,
    /// The most bytes of pending transfers.
    pub max_bytes: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig { max_count: 5_000, max_bytes: 8 * 1024 * 1024 }
    }
}

/// Where data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The data directory: `chain.redb` (the chain) and `wallet.key` (the node's key, 0600).
    /// Empty means `data/node-<http.port>`, so nodes started side by side with different
    /// `HTTP_PORT`s (the first prototype's quickstart) never share one.
    pub data_dir: PathBuf,
    /// The memory the chain database may use to cache its file's pages, MiB (1..=65536). It is
    /// a fixed cost, not one per block: the node's memory stays flat as the chain grows.
    pub cache_mib: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { data_dir: PathBuf::new(), cache_mib: DEFAULT_CACHE_BYTES / (1024 * 1024) }
    }
}

/// A configuration error: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed, a key is unknown, or a value has the wrong type.
    #[error("configuration: {0}")]
    Load(String),
    /// A value is out of range or inconsistent.
    #[error("configuration: {key}: {message}")]
    Invalid {
        /// The key, as written in the TOML file (`section.key`) or the environment variable.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_string(), message: message.into() }
}

/// The command-line flags that set configuration keys: each overrides the file and the
/// environment. (The command line itself, with its subcommands, is [`crate::cli::Cli`].)
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NodeFlags {
    /// TOML configuration file (see config/default.toml for every key).
    #[arg(short, long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Data directory (chain database and wallet key). [storage.data_dir]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTP API address to bind. [http.host]
    #[arg(long, value_name = "IP")]
    pub http_host: Option<String>,
    /// HTTP API port. [http.port, HTTP_PORT]
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<u16>,
    /// P2P WebSocket address to bind. [p2p.host]
    #[arg(long, value_name = "IP")]
    pub p2p_host: Option<String>,
    /// P2P WebSocket port. [p2p.port, P2P_PORT]
    #[arg(long, value_name = "PORT")]
    pub p2p_port: Option<u16>,
    /// Peers to connect to, comma-separated ws:// URLs. [p2p.peers, PEERS]
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    pub peers: Option<Vec<String>>,
    /// Start mining at start-up. [mining.enabled]
    #[arg(long)]
    pub mine: bool,
    /// Proof-of-work threads. [mining.threads]
    #[arg(long, value_name = "N")]
    pub mining_threads: Option<usize>,
    /// Network name. [network.network_id]
    #[arg(long, value_name = "NAME")]
    pub network_id: Option<String>,
    /// Initial difficulty, leading zero hex digits. [network.initial_difficulty, DIFFICULTY]
    #[arg(long, value_name = "N")]
    pub difficulty: Option<u32>,
    /// Target block interval in ms. [network.mine_rate_ms, MINE_RATE]
    #[arg(long, value_name = "MS")]
    pub mine_rate: Option<u64>,
    /// Initial block subsidy. [network.mining_reward, MINING_REWARD]
    #[arg(long, value_name = "COINS")]
    pub mining_reward: Option<u64>,
    /// Dev-chain mode: `POST /dev/mine` answers. [dev.enabled]
    #[arg(long)]
    pub dev: bool,
}

/// The first prototype's environment variables and the keys they set.
const LEGACY_ENV: &[(&str, &str)] = &[
    ("HTTP_PORT", "http.port"),
    ("P2P_PORT", "p2p.port"),
    ("DIFFICULTY", "network.initial_difficulty"),
    ("MINE_RATE", "network.mine_rate_ms"),
    ("MINING_REWARD", "network.mining_reward"),
    ("HALVING_INTERVAL", "network.halving_interval"),
];

/// Loads the configuration from the layers, reading the process environment.
///
/// # Errors
/// [`ConfigError`] naming the offending key.
pub fn load(cli: &NodeFlags) -> Result<NodeConfig, ConfigError> {
    load_with_env(cli, std::env::vars())
}

/// Loads the configuration with the given environment (for tests).
///
/// # Errors
/// [`ConfigError`] naming the offending key.
pub fn load_with_env(
    cli: &NodeFlags,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<NodeConfig, ConfigError> {
    let load_err = |e: config::ConfigError| ConfigError::Load(e.to_string());
    let defaults = config::Config::try_from(&NodeConfig::default()).map_err(load_err)?;
    let mut builder = config::Config::builder().add_source(defaults);
    if let Some(path) = &cli.config {
        if !path.exists() {
            return Err(invalid("--config", format!("no such file: {}", path.display())));
        }
        builder = builder.add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml));
    }
    let env: Vec<(String, String)> = env.into_iter().collect();
    let prefixed: std::collections::HashMap<String, String> =
        env.iter().filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}_"))).cloned().collect();
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("p2p.peers")
            .with_list_parse_key("http.cors_origins")
            .with_list_parse_key("http.allowed_hosts")
            .source(Some(prefixed)),
    );
    for (var, key) in LEGACY_ENV {
        if let Some((_, value)) = env.iter().find(|(k, _)| k == var) {
            let number: u64 =
                value.trim().parse().map_err(|_| invalid(var, format!("expected a whole number, got {value:?}")))?;
            builder = builder.set_override(*key, number).map_err(load_err)?;
        }
    }
    if let Some((_, peers)) = env.iter().find(|(k, _)| k == "PEERS") {
        let list: Vec<String> = peers.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        builder = builder.set_override("p2p.peers", list).map_err(load_err)?;
    }
    macro_rules! flag {
        ($field:expr, $key:expr) => {
            if let Some(v) = &$field {
                builder = builder.set_override($key, v.clone()).map_err(load_err)?;
            }
        };
    }
    flag!(cli.data_dir.as_ref().map(|p| p.display().to_string()), "storage.data_dir");
    flag!(cli.http_host, "http.host");
    flag!(cli.http_port.map(u64::from), "http.port");
    flag!(cli.p2p_host, "p2p.host");
    flag!(cli.p2p_port.map(u64::from), "p2p.port");
    flag!(cli.peers, "p2p.peers");
    flag!(cli.mining_threads.map(|n| n as u64), "mining.threads");
    flag!(cli.network_id, "network.network_id");
    flag!(cli.difficulty.map(u64::from), "network.initial_difficulty");
    flag!(cli.mine_rate, "network.mine_rate_ms");
    flag!(cli.mining_reward, "network.mining_reward");
    if cli.mine {
        builder = builder.set_override("mining.enabled", true).map_err(load_err)?;
    }
    if cli.dev {
        builder = builder.set_override("dev.enabled", true).map_err(load_err)?;
    }
    let config: NodeConfig = builder.build().map_err(load_err)?.try_deserialize().map_err(load_err)?;
    config.validate()?;
    Ok(config)
}

/// Returns true for `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
pub fn is_loopback_host(host_and_port: &str) -> bool {
    let host = if let Some(rest) = host_and_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host_and_port.split(':').next().unwrap_or("")
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl NodeConfig {
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.network.validate().map_err(|e| invalid("network", e.to_string()))?;
        for (key, host) in [("http.host", &self.http.host), ("p2p.host", &self.p2p.host)] {
            if host != "localhost" && host.parse::<IpAddr>().is_err() {
                return Err(invalid(key, format!("expected an IP address, got {host:?}")));
            }
        }
        if !is_loopback_host(&self.http.host) && self.http.auth_token.is_empty() {
            return Err(invalid(
                "http.auth_token",
                format!("the HTTP API binds {} (not loopback): set an auth token", self.http.host),
            ));
        }
        if !self.http.auth_token.is_empty() && self.http.auth_token.len() < 8 {
            return Err(invalid("http.auth_token", "use at least 8 characters"));
        }
        if self.http.max_body_bytes < 1_024 {
            return Err(invalid("http.max_body_bytes", "must be at least 1024"));
        }
        if self.http.workers == 0 || self.http.workers > 64 {
            return Err(invalid("http.workers", "must be in 1..=64"));
        }
        for url in &self.p2p.peers {
            if !bitcoin_rust_core::wire::is_peer_url(url) {
                return Err(invalid("p2p.peers", format!("{url:?} is not a ws://host:port address")));
            }
        }
        if self.mining.threads == 0 || self.mining.threads > 256 {
            return Err(invalid("mining.threads", "must be in 1..=256"));
        }
        match bitcoin_rust_core::pow::PowBackend::from_config(&self.mining.backend) {
            Ok(b) if b.is_supported() => {}
            Ok(b) => {
                let have: Vec<&str> =
                    bitcoin_rust_core::pow::PowBackend::supported().iter().map(|b| b.name()).collect();
                return Err(invalid(
                    "mining.backend",
                    format!("this CPU cannot run {b} (it can run: {})", have.join(", ")),
                ));
            }
            Err(e) => return Err(invalid("mining.backend", e.to_string())),
        }
        let min_message = self.network.max_block_bytes * 4;
        if self.p2p.max_message_bytes < min_message {
            return Err(invalid(
                "p2p.max_message_bytes",
                format!("must be at least 4 x network.max_block_bytes ({min_message}) to carry one block as JSON"),
            ));
        }
        if self.p2p.max_peers == 0 || self.p2p.max_inbound > self.p2p.max_peers {
            return Err(invalid("p2p.max_inbound", "must be at most p2p.max_peers, which must be positive"));
        }
        if self.p2p.messages_per_second == 0 {
            return Err(invalid("p2p.messages_per_second", "must be positive"));
        }
        if self.p2p.heartbeat_interval_ms * 2 > self.p2p.peer_timeout_ms {
            return Err(invalid("p2p.heartbeat_interval_ms", "must be at most half of p2p.peer_timeout_ms"));
        }
        if self.p2p.sync_batch_blocks == 0 || self.p2p.sync_batch_blocks > 2_000 {
            return Err(invalid("p2p.sync_batch_blocks", "must be in 1..=2000"));
        }
        if self.p2p.send_queue_bytes < 64 * 1024 {
            return Err(invalid("p2p.send_queue_bytes", "must be at least 65536"));
        }
        if self.p2p.write_timeout_ms == 0 {
            return Err(invalid("p2p.write_timeout_ms", "must be positive"));
        }
        if self.p2p.work_per_second == 0 {
            return Err(invalid("p2p.work_per_second", "must be positive"));
        }
        if self.p2p.max_inbound_per_ip == 0 {
            return Err(invalid("p2p.max_inbound_per_ip", "must be positive"));
        }
        if self.storage.cache_mib == 0 || self.storage.cache_mib > 65_536 {
            return Err(invalid("storage.cache_mib", "must be in 1..=65536"));
        }
        if self.mempool.max_count == 0 || self.mempool.max_bytes < 1_024 {
            return Err(invalid("mempool", "max_count must be positive and max_bytes at least 1024"));
        }
        if !self.dev.enabled {
            for (key, set) in [
                ("dev.mine_on_transaction", self.dev.mine_on_transaction),
                ("dev.block_interval_ms", self.dev.block_interval_ms > 0),
                ("dev.faucet", self.dev.faucet),
            ] {
                if set {
                    return Err(invalid(key, "needs dev.enabled = true"));
                }
            }
        }
        if self.dev.block_interval_ms > 0 && self.dev.block_interval_ms < 10 {
            return Err(invalid("dev.block_interval_ms", "must be 0 (off) or at least 10"));
        }
        if self.dev.faucet_max_amount == 0 {
            return Err(invalid("dev.faucet_max_amount", "must be positive"));
        }
        Ok(())
    }

    /// What `--print-config` prints: the effective configuration as TOML, with a set
    /// `http.auth_token` shown as [`REDACTED`] (the output ends up in terminals, logs and bug
    /// reports).
    ///
    /// # Errors
    /// When the configuration cannot be written as TOML.
    pub fn printable(&self) -> Result<String, toml::ser::Error> {
        let mut shown = self.clone();
        if !shown.http.auth_token.is_empty() {
            shown.http.auth_token = REDACTED.into();
        }
        toml::to_string_pretty(&shown)
    }

    /// Returns the data directory: `storage.data_dir`, or `data/node-<http.port>` when empty.
    pub fn data_dir(&self) -> PathBuf {
        if self.storage.data_dir.as_os_str().is_empty() {
            PathBuf::from(format!("data/node-{}", self.http.port))
        } else {
            self.storage.data_dir.clone()
        }
    }

    /// Returns true when a request with this `Host` header may be answered (see
    /// [`HttpConfig::allowed_hosts`]).
    pub fn host_allowed(&self, host_header: &str) -> bool {
        if is_loopback_host(host_header) {
            return true;
        }
        let name = match host_header.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host_header,
        };
        if self.http.allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(host_header) || a.eq_ignore_ascii_case(name)) {
            return true;
        }
        self.http.allowed_hosts.is_empty() && !is_loopback_host(&self.http.host)
    }

    /// Returns the URL of this node's HTTP API that it shares with peers.
    pub fn advertised_http_url(&self, port: u16) -> String {
        if self.http.advertise_url.is_empty() {
            format!("http://{}:{}", self.http.host, port)
        } else {
            self.http.advertise_url.clone()
        }
    }

    /// Returns the URL other nodes dial to reach this node's P2P server.
    pub fn advertised_p2p_url(&self) -> String {
        if self.p2p.advertise_url.is_empty() {
            format!("ws://{}:{}", self.p2p.host, self.p2p.port)
        } else {
            self.p2p.advertise_url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin_rust_core::amount::Amount;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_valid_and_loopback() {
        let c = load_with_env(&NodeFlags::default(), env(&[])).unwrap();
        assert_eq!(c, NodeConfig::default());
        assert_eq!(c.http.port, 3001);
        assert_eq!(c.p2p.port, 5001);
        assert_eq!(c.http.host, "127.0.0.1");
    }

    #[test]
    fn the_first_prototypes_variables_still_work() {
        let c = load_with_env(
            &NodeFlags::default(),
            env(&[
                ("HTTP_PORT", "3002"),
                ("P2P_PORT", "5002"),
                ("PEERS", "ws://127.0.0.1:5001, ws://127.0.0.1:5003"),
                ("DIFFICULTY", "3"),
                ("MINE_RATE", "2000"),
                ("MINING_REWARD", "25"),
            ]),
        )
        .unwrap();
        assert_eq!(c.http.port, 3002);
        assert_eq!(c.p2p.port, 5002);
        assert_eq!(c.p2p.peers, vec!["ws://127.0.0.1:5001", "ws://127.0.0.1:5003"]);
        assert_eq!(c.network.initial_difficulty, 3);
        assert_eq!(c.network.mine_rate_ms, 2000);
        assert_eq!(c.network.mining_reward, Amount(25));
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.toml");
        std::fs::write(&file, "[http]\nport = 4000\n[mining]\nthreads = 3\n").unwrap();
        let cli = NodeFlags { config: Some(file), mining_threads: Some(4), ..NodeFlags::default() };
        let c = load_with_env(&cli, env(&[("HTTP_PORT", "4001"), ("BITCOIN_RUST_MINING__THREADS", "2")])).unwrap();
        assert_eq!(c.http.port, 4001, "environment beats the file");
        assert_eq!(c.mining.threads, 4, "flags beat the environment");
        let c = load_with_env(&NodeFlags::default(), env(&[("BITCOIN_RUST_P2P__PEERS", "ws://a:1,ws://b:2")])).unwrap();
        assert_eq!(c.p2p.peers.len(), 2);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[http]\nprot = 4000\n").unwrap();
        let err =
            load_with_env(&NodeFlags { config: Some(file.clone()), ..NodeFlags::default() }, env(&[])).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        std::fs::write(&file, "[mining]\nthreads = \"many\"\n").unwrap();
        let err =
            load_with_env(&NodeFlags { config: Some(file.clone()), ..NodeFlags::default() }, env(&[])).unwrap_err();
        assert!(err.to_string().contains("threads"), "{err}");
        std::fs::write(&file, "[mining]\nbackend = \"avx1024\"\n").unwrap();
        let err =
            load_with_env(&NodeFlags { config: Some(file.clone()), ..NodeFlags::default() }, env(&[])).unwrap_err();
        assert!(err.to_string().contains("mining.backend"), "{err}");
        for name in ["auto", "portable"] {
            std::fs::write(&file, format!("[mining]\nbackend = {name:?}\n")).unwrap();
            assert!(
                load_with_env(&NodeFlags { config: Some(file.clone()), ..NodeFlags::default() }, env(&[])).is_ok(),
                "{name}"
            );
        }
        std::fs::write(&file, "[nonsense]\nx = 1\n").unwrap();
        let err = load_with_env(&NodeFlags { config: Some(file), ..NodeFlags::default() }, env(&[])).unwrap_err();
        assert!(err.to_string().contains("nonsense"), "{err}");
        let err = load_with_env(&NodeFlags::default(), env(&[("HTTP_PORT", "abc")])).unwrap_err();
        assert!(err.to_string().contains("HTTP_PORT"), "{err}");
        let err = load_with_env(&NodeFlags::default(), env(&[("BITCOIN_RUST_MINING__TURBO", "1")])).unwrap_err();
        assert!(err.to_string().contains("turbo"), "{err}");
        let err = load_with_env(&NodeFlags::default(), env(&[("PEERS", "http://x")])).unwrap_err();
        assert!(err.to_string().contains("p2p.peers"), "{err}");
        let err = load_with_env(&NodeFlags::default(), env(&[("DIFFICULTY", "0")])).unwrap_err();
        assert!(err.to_string().contains("initial_difficulty"), "{err}");
        for bad in ["0", "65537"] {
            let err =
                load_with_env(&NodeFlags::default(), env(&[("BITCOIN_RUST_STORAGE__CACHE_MIB", bad)])).unwrap_err();
            assert!(err.to_string().contains("storage.cache_mib"), "{bad}: {err}");
        }
        let c = load_with_env(&NodeFlags::default(), env(&[("BITCOIN_RUST_STORAGE__CACHE_MIB", "256")])).unwrap();
        assert_eq!(c.storage.cache_mib, 256);
    }

    #[test]
    fn a_public_http_bind_needs_a_token() {
        let cli = NodeFlags { http_host: Some("0.0.0.0".into()), ..NodeFlags::default() };
        let err = load_with_env(&cli, env(&[])).unwrap_err();
        assert!(err.to_string().contains("http.auth_token"), "{err}");
        let c = load_with_env(&cli, env(&[("BITCOIN_RUST_HTTP__AUTH_TOKEN", "s3cret-token")])).unwrap();
        assert_eq!(c.http.auth_token, "s3cret-token");
    }

    #[test]
    fn the_shipped_config_files_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        for name in ["default.toml", "node1.toml", "node2.toml", "node3.toml", "dev.toml"] {
            let cli = NodeFlags { config: Some(dir.join(name)), ..NodeFlags::default() };
            load_with_env(&cli, env(&[])).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let default =
            load_with_env(&NodeFlags { config: Some(dir.join("default.toml")), ..NodeFlags::default() }, env(&[]))
                .unwrap();
        assert_eq!(default, NodeConfig::default(), "config/default.toml lists the built-in defaults");
        let dev =
            load_with_env(&NodeFlags { config: Some(dir.join("dev.toml")), ..NodeFlags::default() }, env(&[])).unwrap();
        assert!(dev.dev.enabled && dev.dev.mine_on_transaction && dev.dev.faucet && dev.network.fixed_difficulty);
        assert_eq!(dev.network.genesis_allocations.len(), 2);
        assert_eq!(dev.network.genesis_allocations[0].amount.0, 1_000_000);
        // The container configs need the token from the environment, and keep the Host check.
        for n in 1..=3 {
            let cli = NodeFlags { config: Some(dir.join(format!("docker/node{n}.toml"))), ..NodeFlags::default() };
            assert!(load_with_env(&cli, env(&[])).is_err(), "node{n} starts without a token");
            let c = load_with_env(&cli, env(&[("BITCOIN_RUST_HTTP__AUTH_TOKEN", "0123456789abcdef")])).unwrap();
            assert!(c.host_allowed(&format!("node{n}:300{n}")) && !c.host_allowed("evil.example"));
        }
    }

    #[test]
    fn the_host_check_allows_loopback_and_the_listed_names() {
        let mut c = NodeConfig::default();
        assert!(c.host_allowed("127.0.0.1:3001") && c.host_allowed("localhost") && c.host_allowed("[::1]:80"));
        assert!(!c.host_allowed("evil.example") && !c.host_allowed("evil.example:3001"));
        c.http.allowed_hosts = vec!["node1".into()];
        assert!(c.host_allowed("node1:3001") && c.host_allowed("NODE1") && !c.host_allowed("node2:3001"));
        // Bound beyond loopback: any Host unless a list is given.
        c.http.host = "0.0.0.0".into();
        c.http.allowed_hosts.clear();
        assert!(c.host_allowed("anything:1"));
        c.http.allowed_hosts = vec!["node1".into()];
        assert!(!c.host_allowed("evil.example") && c.host_allowed("node1:3001"));
    }

    #[test]
    fn dev_keys_need_dev_mode_and_allocations_are_checked() {
        let err = load_with_env(&NodeFlags::default(), env(&[("BITCOIN_RUST_DEV__FAUCET", "true")])).unwrap_err();
        assert!(err.to_string().contains("dev.faucet"), "{err}");
        let c = load_with_env(
            &NodeFlags { dev: true, ..NodeFlags::default() },
            env(&[("BITCOIN_RUST_DEV__FAUCET", "true")]),
        )
        .unwrap();
        assert!(c.dev.enabled && c.dev.faucet);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        let allocation = "[[network.genesis_allocations]]\naddress = \"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\"\namount = 0\n";
        std::fs::write(&file, allocation).unwrap();
        let err =
            load_with_env(&NodeFlags { config: Some(file.clone()), ..NodeFlags::default() }, env(&[])).unwrap_err();
        assert!(err.to_string().contains("at least 1 coin"), "{err}");
        std::fs::write(&file, allocation.replace("\"02", "\"05")).unwrap();
        assert!(load_with_env(&NodeFlags { config: Some(file), ..NodeFlags::default() }, env(&[])).is_err());
    }

    #[test]
    fn print_config_redacts_the_token() {
        let cli = NodeFlags::default();
        let c = load_with_env(&cli, env(&[("BITCOIN_RUST_HTTP__AUTH_TOKEN", "s3cret-token")])).unwrap();
        let text = c.printable().unwrap();
        assert!(!text.contains("s3cret-token"), "{text}");
        assert!(text.contains(&format!("auth_token = \"{REDACTED}\"")), "{text}");
        let plain = NodeConfig::default().printable().unwrap();
        assert!(plain.contains("auth_token = \"\""), "{plain}");
    }
}
