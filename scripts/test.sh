#!/usr/bin/env bash
# Runs every check and test of the project: the README's test command, and what CI runs.
# On a fresh Debian machine it installs what it needs: Rust components (rustfmt, clippy), the
# dashboard's npm packages, and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
step_started=$started
# Each step prints how long the one before it took, so a slow step shows in the log.
step() {
  local now
  now=$(date +%s)
  if [ "$now" -gt "$started" ]; then printf '(%d s)\n' "$(( now - step_started ))"; fi
  step_started=$now
  printf '\n==> %s\n' "$*"
}
# The `ts` feature adds the TypeScript derives (ts-rs) to the node's types. Every build and test
# below uses it, so the node is compiled once and the ordinary test run writes the types.
features=(--features bitcoin-rust-node/ts)

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "dashboard build (embedded in the node binary by actors/src/ui.rs, so it is built first)"
if [ -f frontend/package.json ] && command -v npm >/dev/null 2>&1; then
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error </dev/null && npm run build </dev/null >/dev/null)
else
  echo "npm is not installed: the node is built without the dashboard (/ui/ explains how to add it)"
fi

step "format"
cargo fmt --all --check

step "lint (every target, benches included: a bench that does not compile fails here)"
cargo clippy --workspace --all-targets --locked "${features[@]}" -- -D warnings

step "build the node"
cargo build --workspace --bins --locked "${features[@]}"

step "Rust tests: unit, property, crash, crash loop, multi-node end-to-end, partitions, hostile peers, load, dev chain, HTTP API"
# The run rewrites frontend/src/generated (the `export_bindings` test): start from nothing, so
# a type that is gone from the Rust side is gone from the checkout too.
rm -rf frontend/src/generated
rust_log=$(mktemp)
cargo test --workspace --locked "${features[@]}" 2>&1 | tee "$rust_log"
rust_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$rust_log" | awk '{s += $4} END {print s + 0}')
rm -f "$rust_log"

step "generated TypeScript types (frontend/src/generated, from the Rust types with ts-rs) are up to date"
if [ -n "$(git status --porcelain -- frontend/src/generated)" ]; then
  git status --short -- frontend/src/generated
  git diff -- frontend/src/generated | head -50
  echo "frontend/src/generated differs from the Rust types: run 'cargo test -p bitcoin-rust-node --features ts export_bindings' and commit the result"
  exit 1
fi

step "fuzzing: every cargo fuzz target for a few seconds (quick mode; installs cargo-fuzz if missing)"
fuzz_log=$(mktemp)
bash scripts/fuzz.sh quick 2>&1 | tee "$fuzz_log"
fuzz_passed=$(grep -Eo '^fuzz: [0-9]+ targets passed' "$fuzz_log" | tail -1 | awk '{print $2}')
rm -f "$fuzz_log"

step "HTTP API robustness: schemathesis against /openapi.json (quick mode)"
st_log=$(mktemp)
NODE_BIN=target/debug/bitcoin_rust bash scripts/schemathesis.sh quick 2>&1 | tee "$st_log"
schemathesis_passed=$(grep -Eo '^schemathesis: [0-9]+ operations passed' "$st_log" | tail -1 | awk '{print $2}')
rm -f "$st_log"

step "containers: the image and the three-node compose network (installs and starts Docker as needed)"
docker_log=$(mktemp)
bash scripts/test-docker.sh 2>&1 | tee "$docker_log"
containers=$(grep -E '^docker: (passed|SKIPPED)' "$docker_log" | tail -1)
rm -f "$docker_log"

frontend_passed=0
if [ -f frontend/package.json ]; then
  step "dashboard: unit tests, build, browser end-to-end tests"
  fe_log=$(mktemp)
  bash scripts/test-frontend.sh 2>&1 | tee "$fe_log"
  frontend_passed=$(grep -Eo '^frontend: [0-9]+ passed' "$fe_log" | tail -1 | awk '{print $2}')
  rm -f "$fe_log"
fi

step "done"
echo "all checks passed in $(( $(date +%s) - started )) s"
echo "tests: $(( rust_passed + ${fuzz_passed:-0} + ${schemathesis_passed:-0} + ${frontend_passed:-0} )) passed, 0 failed"
echo "containers: ${containers#docker: }"
