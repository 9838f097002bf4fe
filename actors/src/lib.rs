//! The `bitcoin_rust` node: the protocol core ([`bitcoin_rust_core`]) run by actix actors.
//!
//! Where things go, by file: a block from a peer arrives in [`peer::inbound`] /
//! [`peer::outbound`] (frames), becomes a message in [`peer::session`] (protocol), and is
//! validated and stored by [`chain_actor`]; a transaction from HTTP is checked in [`api`] and
//! pooled by [`mempool_actor`]; [`miner_actor`] builds and mines blocks; [`peer::router`] keeps the
//! peer set and broadcasts; [`wallet_actor`] owns the node's wallet and its payment intent;
//! [`http_actor`] the dashboard feed ([`dashboard_event`]) and the HTTP metrics. [`node`] wires
//! them; [`config`] loads the settings; [`wire`] is the P2P message format.

#![forbid(unsafe_code)]

pub mod api;
pub mod api_error;
pub mod api_types;
pub mod chain_actor;
pub mod chain_reader;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard_event;
pub mod dev_api;
pub mod events_session;
pub mod http_actor;
pub mod http_guard;
pub mod mempool_actor;
pub mod mempool_journal;
pub mod metrics;
pub mod miner_actor;
pub mod node;
pub mod openapi;
pub mod peer;
#[cfg(all(test, feature = "ts"))]
mod ts_bindings;
pub mod ui;
pub mod wallet_actor;
pub mod wallet_cli;
pub use bitcoin_rust_core::wire;

use clap::Parser;

/// Runs the node binary: parses flags, loads the configuration, starts the node and waits for
/// SIGINT or SIGTERM. Returns the process exit code: 0 after a clean stop, 1 when the node could
/// not start, 2 for a configuration error.
pub fn main_entry() -> i32 {
    let cli = cli::Cli::parse();
    if let Some(cli::Command::Wallet(args)) = &cli.command {
        return wallet_cli::run(args.clone());
    }
    if let Some(cli::Command::Completions { shell }) = &cli.command {
        use clap::CommandFactory;
        clap_complete::generate(*shell, &mut cli::Cli::command(), "bitcoin_rust", &mut std::io::stdout());
        return 0;
    }
    if let Some(cli::Command::Man) = &cli.command {
        use clap::CommandFactory;
        return match clap_mangen::Man::new(cli::Cli::command()).render(&mut std::io::stdout()) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("bitcoin_rust: {e}");
                1
            }
        };
    }
    let config = match config::load(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bitcoin_rust: {e}");
            return 2;
        }
    };
    if cli.print_config {
        match config.printable() {
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
    if let Some(cli::Command::Snapshot(cmd)) = &cli.command {
        return run_snapshot(&config, cmd);
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    let _ = if cli.log_format == "json" { subscriber.json().try_init() } else { subscriber.try_init() };
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

/// Runs `bitcoin_rust snapshot export|import` on the configured data directory.
fn run_snapshot(config: &config::NodeConfig, cmd: &cli::SnapshotCommand) -> i32 {
    use bitcoin_rust_core::chain::Chain;
    use bitcoin_rust_core::snapshot::{import_snapshot, write_snapshot};
    use bitcoin_rust_core::store::redb_store::RedbStore;
    let data_dir = config.data_dir();
    let db = data_dir.join("chain.redb");
    let params = config.network.clone();
    let result: Result<String, String> = (|| match cmd {
        cli::SnapshotCommand::Export { out } => {
            if !db.exists() {
                return Err(format!("no chain database at {}", db.display()));
            }
            let store = RedbStore::open(&db, &params).map_err(|e| format!("{e} (stop the node first)"))?;
            let chain = Chain::open(params.clone(), store).map_err(|e| e.to_string())?;
            let tmp = out.with_extension("partial");
            let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let n = write_snapshot(&chain, &mut writer).map_err(|e| e.to_string())?;
            let file = writer.into_inner().map_err(|e| e.to_string())?;
            file.sync_all().map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(format!("exported {n} blocks (tip {} at height {}) to {}", chain.tip(), chain.height(), out.display()))
        }
        cli::SnapshotCommand::Import { input } => {
            let file = std::fs::File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
            std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
            let mut store = RedbStore::open(&db, &params).map_err(|e| format!("{e} (stop the node first)"))?;
            store.set_bulk_mode(true).map_err(|e| e.to_string())?;
            let mut chain = Chain::open(params.clone(), store).map_err(|e| e.to_string())?;
            let imported = import_snapshot(&mut chain, std::io::BufReader::new(file), crate::chain_actor::now_ms());
            let (tip, height) = (chain.tip(), chain.height());
            let mut store = chain.into_store();
            // Whatever was imported before a failure is valid and is kept, durably.
            store.set_bulk_mode(false).map_err(|e| e.to_string())?;
            let n = imported.map_err(|e| e.to_string())?;
            Ok(format!("imported {n} new blocks; the chain is at height {height}, tip {tip}"))
        }
    })();
    match result {
        Ok(message) => {
            println!("{message}");
            0
        }
        Err(e) => {
            eprintln!("bitcoin_rust snapshot: {e}");
            1
        }
    }
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

#[cfg(test)]
mod architecture_doc {
    //! docs/ARCHITECTURE.md's actor table must name every message an actor handles: a new
    //! `impl Handler<M>` without a line in the document fails here.

    fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read the source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).expect("read a source file"));
            }
        }
    }

    #[test]
    fn every_handled_message_is_named_in_architecture_md() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read_to_string(root.join("../docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        let mut missing = Vec::new();
        let mut seen = 0;
        for text in &files {
            for part in text.split("impl Handler<").skip(1) {
                let Some(name) = part.split('>').next() else { continue };
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue; // not a type name (e.g. this test's own search string)
                }
                seen += 1;
                if !doc.contains(&format!("`{name}")) {
                    missing.push(name.to_string());
                }
            }
        }
        assert!(seen > 40, "found only {seen} handlers: is the scan looking in the right place?");
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "docs/ARCHITECTURE.md does not name these handled messages: {missing:?}");
    }

    #[test]
    fn every_metric_is_documented_in_the_readme() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
        let api = std::fs::read_to_string(root.join("src/api.rs")).expect("api.rs");
        let names: Vec<&str> = api.split('"').filter(|s| s.starts_with("bitcoin_rust_") && !s.contains(' ')).collect();
        assert!(names.len() > 20, "found only {} metric names", names.len());
        let missing: Vec<&&str> = names.iter().filter(|n| !readme.contains(&format!("`{n}`"))).collect();
        assert!(missing.is_empty(), "README.md's metrics table lacks {missing:?}");
    }
}
