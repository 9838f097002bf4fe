#!/usr/bin/env bash
# Runs every check and test of the project: the README's test command, and what CI runs.
# On a fresh Debian machine it installs what it needs: Rust components (rustfmt, clippy), the
# dashboard's npm packages, and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build the node"
cargo build --workspace --bins --locked

step "Rust tests: unit, property, crash, multi-node end-to-end, hostile peers, HTTP API"
cargo test --workspace --locked

step "benchmarks compile"
cargo bench --workspace --no-run --locked >/dev/null 2>&1

if [ -f frontend/package.json ]; then
  step "dashboard: unit tests, build, browser end-to-end tests"
  bash scripts/test-frontend.sh
fi

echo
echo "all checks passed in $(( $(date +%s) - started )) s"
