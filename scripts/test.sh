#!/usr/bin/env bash
# Runs every check and test of the project. This is the README's test command and what CI runs.
# It installs what it needs on a fresh machine (Rust components; later, npm packages and chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, property, crash, end-to-end)"
cargo test --workspace --locked

step "benchmarks compile"
cargo bench --workspace --no-run --locked >/dev/null 2>&1

echo
echo "all checks passed"
