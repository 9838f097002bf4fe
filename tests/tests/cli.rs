//! What an operator meets at the command line: `--version` with the commit, shell completions
//! and the manual page, JSON logs on request, and clear start-up errors for a port in use, a
//! data directory that cannot be used, and a data directory of another network.

use bitcoin_rust_tests::binary;
use std::process::{Command, Output};
use std::time::Duration;

fn run(args: &[&str]) -> Output {
    Command::new(binary()).args(args).env("RUST_LOG", "info").output().expect("run the binary")
}

/// Starts the node with `args`, waits up to 15 s for it to exit, and returns its exit code and
/// standard error (the node is killed if it is still running).
fn start_expecting_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(binary())
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            return (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    (None, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn version_completions_and_manual_page() {
    let out = run(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.starts_with("bitcoin_rust 0.1.0 (commit "), "{text}");
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("bitcoin_rust") && script.contains("http-port"), "{shell}: {script}");
    }
    let out = run(&["man"]);
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(page.contains(".TH bitcoin_rust 1") && page.contains("http\\-port"), "{page}");
}

#[test]
fn start_up_errors_say_what_is_wrong() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let data_s = data.to_str().unwrap();
    // A port in use.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let (code, err) = start_expecting_exit(&["--data-dir", data_s, "--http-port", &port, "--p2p-port", "0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot listen on") && err.contains("another node or program uses this port"), "{err}");
    // A data directory that is a file.
    let file = root.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (code, err) =
        start_expecting_exit(&["--data-dir", file.to_str().unwrap(), "--http-port", "0", "--p2p-port", "0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("data directory") && err.contains("not-a-dir"), "{err}");
    // A data directory of another network: made by a first start on network "one".
    let mut first = Command::new(binary())
        .args(["--data-dir", data_s, "--http-port", "0", "--p2p-port", "0", "--network-id", "one"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill").arg("-TERM").arg(first.id().to_string()).status();
    let _ = first.wait();
    let (code, err) =
        start_expecting_exit(&["--data-dir", data_s, "--http-port", "0", "--p2p-port", "0", "--network-id", "two"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("another network") || err.contains("genesis"), "{err}");
}

#[test]
fn logs_are_json_on_request() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    // The start fails at once (port in use), after logging as JSON.
    let (_, err) = start_expecting_exit(&[
        "--log-format",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
        "--http-port",
        &port,
        "--p2p-port",
        "0",
    ]);
    let json_lines: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v.is_object())
        .collect();
    assert!(!json_lines.is_empty(), "no JSON log line in: {err}");
    assert!(json_lines.iter().all(|v| v["level"].is_string() && v["fields"].is_object()), "{err}");
}
