//! The command line of the `bitcoin_rust` binary: the node's flags ([`NodeFlags`], which set
//! configuration keys and live with the configuration), what the binary does besides running
//! the node (print the configuration, verify the stored chain, the log format), and its
//! subcommands (snapshots, the wallet, completions, the manual page). The configuration does
//! not depend on this module.

use crate::config::NodeFlags;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The version `--version` prints: the package version and the git commit built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("BITCOIN_RUST_GIT_COMMIT"), ")");

/// The command line.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "bitcoin_rust",
    version = VERSION,
    about = "A proof-of-work cryptocurrency node: chain, mempool, miner, WebSocket peers and an HTTP API.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// The flags that set configuration keys.
    #[command(flatten)]
    pub flags: NodeFlags,
    /// Replay and check the whole stored chain at start-up.
    #[arg(long)]
    pub verify: bool,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Log format on standard error: `text` for people, `json` (one object per line) for
    /// containers and log collectors.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Instead of running the node, run a tool on its data directory.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Tools instead of the node: snapshots of a stopped node's data directory, and a wallet.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Chain snapshots: the best chain in one file (every block is validated again on import).
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// A command-line wallet and client of a node's HTTP API (the node's data directory and
    /// configuration are not used).
    Wallet(crate::wallet_cli::WalletArgs),
    /// Prints a shell completion script (e.g. `bitcoin_rust completions bash >
    /// /etc/bash_completion.d/bitcoin_rust`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the manual page (roff), e.g. `bitcoin_rust man > bitcoin_rust.1 && man ./bitcoin_rust.1`.
    Man,
}

/// `bitcoin_rust snapshot ...`
#[derive(Debug, Clone, Subcommand)]
pub enum SnapshotCommand {
    /// Writes the best chain of this node's data directory to a file.
    Export {
        /// The file to write.
        #[arg(long, short, value_name = "FILE")]
        out: PathBuf,
    },
    /// Validates and adds every block of a snapshot to this node's data directory.
    Import {
        /// The snapshot to read.
        #[arg(long = "in", short, value_name = "FILE")]
        input: PathBuf,
    },
}

const AFTER_HELP: &str = "\
Configuration layers, later ones win: built-in defaults, the --config TOML file, environment
variables, then these flags. Unknown keys or bad values stop the node with exit code 2.

Environment variables:
  HTTP_PORT, P2P_PORT, PEERS (comma-separated ws:// URLs), DIFFICULTY, MINE_RATE, MINING_REWARD,
  HALVING_INTERVAL       the first prototype's names, still honoured
  BITCOIN_RUST_<SECTION>__<KEY>
                         any other key, e.g. BITCOIN_RUST_MINING__THREADS=2,
                         BITCOIN_RUST_HTTP__AUTH_TOKEN=secret, BITCOIN_RUST_STORAGE__DATA_DIR=/var/lib/node
  RUST_LOG               log filter, e.g. info, bitcoin_rust_node=debug

TOML sections and keys (defaults in config/default.toml):
  [network]  network_id, initial_difficulty, mine_rate_ms, mining_reward, halving_interval,
             genesis_timestamp_ms, max_future_block_time_ms, retarget_half_life_blocks,
             max_block_bytes, max_block_transactions, max_outputs, max_reward_data_bytes,
             fixed_difficulty, genesis_allocations ([[network.genesis_allocations]] address, amount)
  [http]     host, port, auth_token, cors_origins, max_body_bytes, ui_dir, workers, allowed_hosts,
             advertise_url
  [p2p]      host, port, peers, advertise_url, max_peers, max_inbound, max_message_bytes,
             messages_per_second, handshake_timeout_ms, heartbeat_interval_ms, peer_timeout_ms,
             ban_seconds, retry_initial_ms, retry_max_ms, sync_batch_blocks, send_queue_bytes,
             write_timeout_ms, work_per_second, max_inbound_per_ip
  [mining]   enabled, threads, backend
  [mempool]  max_count, max_bytes
  [storage]  data_dir, cache_mib
  [dev]      enabled, mine_on_transaction, block_interval_ms, faucet, faucet_max_amount

Data: <data_dir>/chain.redb holds the chain; <data_dir>/wallet.key the node's secret key (0600).
The default data_dir is data/node-<HTTP port>, relative to the working directory.";
