//! Rebuilds the node when the built dashboard (`frontend/dist`, embedded by `src/ui.rs`)
//! appears, changes or goes away, and records the git commit for `--version`.

fn main() {
    println!("cargo:rerun-if-changed=../frontend/dist");
    println!("cargo:rerun-if-changed=build.rs");
    // `bitcoin_rust --version` names the commit it was built from, when built from a git
    // checkout (a source tarball or a container build without .git says "unknown").
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=BITCOIN_RUST_GIT_COMMIT={commit}");
    for git_file in ["../.git/HEAD", "../.git/refs/heads", "../.git/packed-refs"] {
        if std::path::Path::new(git_file).exists() {
            println!("cargo:rerun-if-changed={git_file}");
        }
    }
}
