#!/usr/bin/env bash
# Tests the web dashboard (frontend/): unit tests (vitest), the production build, then the
# end-to-end test in headless Chromium against two real nodes.
#
#   scripts/test-frontend.sh            # from anywhere; the node must already be built
#   NODE_BIN=/path/to/bitcoin_rust scripts/test-frontend.sh
#
# Installs what a fresh Debian machine lacks: Debian's chromium (apt) and the npm dependencies
# (npm ci). It never builds the Rust code: build target/debug/bitcoin_rust first (cargo build).
# Exits non-zero on any failure; the last line is the summary.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/frontend"
NODE_BIN="${NODE_BIN:-target/debug/bitcoin_rust}"
case "$NODE_BIN" in /*) ;; *) NODE_BIN="$ROOT/$NODE_BIN" ;; esac
export NODE_BIN
export CI="${CI:-true}" NO_COLOR=1 FORCE_COLOR=0 npm_config_fund=false npm_config_audit=false
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/test-frontend.XXXXXX")"
START=$(date +%s)
STEP="setup"
UNIT_PASS=0 UNIT_FAIL=0 E2E_PASS=0 E2E_FAIL=0

finish() {
  local code=$?
  local secs=$(( $(date +%s) - START ))
  local passed=$(( UNIT_PASS + E2E_PASS )) failed=$(( UNIT_FAIL + E2E_FAIL ))
  echo
  echo "test-frontend: unit ${UNIT_PASS} passed, ${UNIT_FAIL} failed; e2e ${E2E_PASS} passed, ${E2E_FAIL} failed; ${secs} s"
  if [ "$code" -ne 0 ]; then
    [ "$failed" -eq 0 ] && failed=1
    echo "test-frontend: FAILED at step: ${STEP} (logs in ${LOGS}, screenshots and node logs in frontend/e2e/artifacts/)"
  fi
  echo "frontend: ${passed} passed, ${failed} failed"
  exit "$code"
}
trap finish EXIT

die() {
  echo "error: $*" >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    die "need root (or sudo) to run: $*"
  fi
}

# --- prerequisites -----------------------------------------------------------------------------
STEP="prerequisites"
[ -x "$NODE_BIN" ] || die "the node binary $NODE_BIN is missing: build it first (cargo build), or set NODE_BIN. This script does not build Rust."
command -v node >/dev/null || die "node is not installed (Node.js >= 20.19 is needed for vite 7)"
command -v npm >/dev/null || die "npm is not installed"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js $(node --version) is too old: vite 7 needs >= 20.19"

CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_BIN" ]; then
  STEP="apt-get install chromium"
  echo "--- installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log"; die "apt-get update failed"; }
  as_root apt-get install -y -qq chromium >>"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log"; die "apt-get install chromium failed"; }
  [ -x "$CHROMIUM_BIN" ] || die "chromium installed but $CHROMIUM_BIN is missing"
fi
export CHROMIUM_BIN
echo "--- $("$CHROMIUM_BIN" --version 2>/dev/null | head -1), node $(node --version), npm $(npm --version)"

cd "$FRONTEND" || die "no frontend/ directory"

# --- dependencies ------------------------------------------------------------------------------
STEP="npm ci"
echo "--- npm ci"
npm ci --no-audit --no-fund --loglevel=error </dev/null || die "npm ci failed"

# --- unit tests --------------------------------------------------------------------------------
STEP="npm test (vitest)"
echo "--- npm test"
npm test </dev/null 2>&1 | tee "$LOGS/unit.log"
unit_rc=${PIPESTATUS[0]}
UNIT_PASS=$(grep -Eo 'Tests +[0-9]+ passed' "$LOGS/unit.log" | grep -Eo '[0-9]+' | tail -1)
UNIT_FAIL=$(grep -Eo 'Tests +.*[0-9]+ failed' "$LOGS/unit.log" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' | tail -1)
UNIT_PASS=${UNIT_PASS:-0} UNIT_FAIL=${UNIT_FAIL:-0}
[ "$unit_rc" -eq 0 ] || die "unit tests failed"
[ "$UNIT_PASS" -gt 0 ] || die "the unit tests ran no test"

# --- build -------------------------------------------------------------------------------------
STEP="npm run build"
echo "--- npm run build"
npm run build </dev/null || die "the build failed"
[ -f dist/index.html ] || die "the build wrote no dist/index.html"

# --- end-to-end --------------------------------------------------------------------------------
STEP="e2e (headless Chromium: the dashboard on two nodes, then the tutorial on two dev nodes)"
echo "--- e2e with NODE_BIN=$NODE_BIN"
# A hard bound in case something hangs past the test's own timeouts.
timeout --kill-after=10 420 node --test --test-concurrency=1 --test-reporter=spec e2e/dashboard.e2e.mjs e2e/tutorial.e2e.mjs </dev/null 2>&1 |
  tee "$LOGS/e2e.log"
e2e_rc=${PIPESTATUS[0]}
E2E_PASS=$(grep -Eo '^ℹ pass [0-9]+' "$LOGS/e2e.log" | grep -Eo '[0-9]+' | tail -1)
E2E_FAIL=$(grep -Eo '^ℹ fail [0-9]+' "$LOGS/e2e.log" | grep -Eo '[0-9]+' | tail -1)
E2E_PASS=${E2E_PASS:-0} E2E_FAIL=${E2E_FAIL:-0}
[ "$e2e_rc" -eq 0 ] || die "the end-to-end test failed (exit $e2e_rc)"
[ "$E2E_PASS" -gt 0 ] || die "the end-to-end test ran no test"
STEP="done"
