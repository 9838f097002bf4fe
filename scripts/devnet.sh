#!/usr/bin/env bash
# Starts a local three-node network from config/node1.toml .. node3.toml, with mining on node 1,
# and prints the HTTP API and dashboard URLs. Ctrl+C stops all three cleanly (SIGTERM).
# Data lives in data/node1 .. data/node3 (kept between runs; delete them for a fresh chain).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building the node (release)"
cargo build --release --locked -p bitcoin-rust-node --bin bitcoin_rust

if [ -f frontend/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==> building the dashboard"
    (cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
  else
    echo "npm not found: the dashboard will not be served (install Node.js 20 and npm)" >&2
  fi
fi

mkdir -p data/logs
pids=()
stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo
  echo "==> stopping the nodes"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  exit 0
}
trap stop INT TERM

for i in 1 2 3; do
  RUST_LOG="${RUST_LOG:-info}" target/release/bitcoin_rust --config "config/node$i.toml" \
    >"data/logs/node$i.out" 2>"data/logs/node$i.log" &
  pids+=("$!")
  # Wait for the node to listen before the next one dials it (they also retry on their own).
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:300$i/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "node $i failed to start; see data/logs/node$i.log" >&2
      tail -20 "data/logs/node$i.log" >&2
      stop
    fi
    sleep 0.1
  done
done

echo
for i in 1 2 3; do
  echo "node $i  API        http://127.0.0.1:300$i/status"
  echo "        dashboard  http://127.0.0.1:300$i/ui/"
  echo "        P2P        ws://127.0.0.1:500$i   (log: data/logs/node$i.log)"
done
echo
echo "node 1 mines; try:  curl -s http://127.0.0.1:3002/blocks?limit=3"
echo "Ctrl+C stops the network."
wait
