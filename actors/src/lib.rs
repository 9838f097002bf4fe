//! The `bitcoin_rust` node: the protocol core ([`bitcoin_rust_core`]) run by actix actors.
//!
//! Where things go, by file: a block from a peer arrives in [`peer_socket_in`] /
//! [`peer_socket_out`] (frames), becomes a message in [`peer_session`] (protocol), and is
//! validated and stored by [`chain_actor`]; a transaction from HTTP is checked in [`api`] and
//! pooled by [`mempool_actor`]; [`miner_actor`] builds and mines blocks; [`peer_actor`] keeps the
//! peer set and broadcasts; [`http_actor`] owns the wallet and the dashboard feed. [`node`] wires
//! them; [`config`] loads the settings; [`wire`] is the P2P message format.

#![forbid(unsafe_code)]

pub mod api;
pub mod api_error;
pub mod chain_actor;
pub mod config;
pub mod events_session;
pub mod http_actor;
pub mod mempool_actor;
pub mod metrics;
pub mod miner_actor;
pub mod node;
pub mod peer_actor;
pub mod peer_session;
pub mod peer_socket_in;
pub mod peer_socket_out;
pub mod wire;

use clap::Parser;

/// Runs the node binary: parses flags, loads the configuration, starts the node and waits for
/// SIGINT or SIGTERM. Returns the process exit code: 0 after a clean stop, 1 when the node could
/// not start, 2 for a configuration error.
pub fn main_entry() -> i32 {
    let cli = config::Cli::parse();
    let config = match config::load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bitcoin_rust: {e}");
            return 2;
        }
    };
    if cli.print_config {
        match toml::to_string_pretty(&config) {
            Ok(text) => {
                print!("{text}");
                return 0;
            }
            Err(e) => {
                eprintln!("bitcoin_rust: {e}");
                return 1;
            }
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).try_init();
    let system = actix::System::new();
    system.block_on(async move {
        let node = match node::start(config, cli.verify).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "the node could not start");
                eprintln!("bitcoin_rust: {e}");
                return 1;
            }
        };
        println!("HTTP API:  http://{}", node.http_addr);
        println!("P2P:       ws://{}", node.p2p_addr);
        wait_for_signal().await;
        node.shutdown().await;
        0
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
