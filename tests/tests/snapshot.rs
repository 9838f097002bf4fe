//! Snapshots end to end: a node's chain exported to a file with `bitcoin_rust snapshot export`,
//! imported into a fresh data directory with `snapshot import` (every block validated), and the
//! fresh node then serves the same chain and balances. A damaged file is refused with exit 1.

use bitcoin_rust_tests::{binary, Node, NodeOptions, SOMEONE};
use serde_json::json;
use std::process::Command;

fn tool(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(binary()).arg("--config").arg(config).args(args).output().expect("run the tool")
}

#[test]
fn a_snapshot_moves_a_chain_to_a_fresh_node() {
    let root = tempfile::tempdir().unwrap();
    let mut source = Node::start(root.path(), "source", &NodeOptions::default());
    for _ in 0..5 {
        source.mine_one();
    }
    let (code, tx) = source.post("/transact", &json!({"recipient": SOMEONE, "amount": 7}));
    assert_eq!(code, 200, "{tx}");
    source.mine_one();
    let status = source.status();
    assert_eq!(source.stop(), Some(0));

    let file = root.path().join("chain.snapshot");
    let out = tool(&source.config, &["snapshot", "export", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported 6 blocks"));

    // A fresh node's data directory: write its configuration, import, then start it.
    let fresh_dir = root.path().join("fresh");
    std::fs::create_dir_all(&fresh_dir).unwrap();
    let config = fresh_dir.join("node.toml");
    let text = std::fs::read_to_string(&source.config)
        .unwrap()
        .replace(&source.data_dir.join("data").display().to_string(), &fresh_dir.join("data").display().to_string());
    std::fs::write(&config, text).unwrap();
    let out = tool(&config, &["snapshot", "import", "--in", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 6 new blocks"));
    let fresh = Node::start_with_config("fresh", &config, &fresh_dir);
    let got = fresh.status();
    assert_eq!(got["tip"], status["tip"]);
    assert_eq!(got["height"], 6);
    assert_eq!(fresh.balance_of(SOMEONE), 7);
    drop(fresh);

    // A damaged snapshot is refused with a clear error and exit code 1.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0x55;
    let damaged = root.path().join("damaged.snapshot");
    std::fs::write(&damaged, bytes).unwrap();
    let other_dir = root.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other_config = other_dir.join("node.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&fresh_dir.join("data").display().to_string(), &other_dir.join("data").display().to_string());
    std::fs::write(&other_config, text).unwrap();
    let out = tool(&other_config, &["snapshot", "import", "--in", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("block 6 of the snapshot"), "{err}");
}
