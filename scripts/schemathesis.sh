#!/usr/bin/env bash
# HTTP API robustness: runs schemathesis against a real node's GET /openapi.json, every operation,
# with the checks not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance and response_headers_conformance. Fails on any failure.
#
#   scripts/schemathesis.sh [quick|long]
#
#   quick (default, what the test command runs): few examples per operation, well under 90 s.
#   long: many examples per operation (a few minutes); run by hand for docs/RELIABILITY.md.
#
# Environment:
#   NODE_BIN               the node binary to test (else it is built with cargo)
#   SCHEMATHESIS_VENV      where the Python venv lives (default .cache/schemathesis-venv)
#   SCHEMATHESIS_EXAMPLES  overrides the examples per operation of the mode
#   SCHEMATHESIS_SEED      a seed, to replay a run
#   SCHEMATHESIS_CHECKS    overrides the list of checks (comma-separated, or all)
#
# The node and schemathesis run in a network namespace of their own with only loopback (when
# `unshare --net` works here), so nothing the fuzzer sends (e.g. a generated POST /peers URL the
# node would dial) can leave the machine. Without a namespace they use 127.0.0.1 only and
# POST /peers is left out, since its bodies make the node dial whatever URL they name.
# The last line is `schemathesis: N operations passed`.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
if [ -n "${NODE_BIN:-}" ] && [ "${NODE_BIN#/}" = "$NODE_BIN" ]; then
  NODE_BIN="$PWD/$NODE_BIN" # relative to where it was called from
fi
cd "$(dirname "$script")/.."

ST_VERSION=4.32.5
mode=${1:-quick}
case "$mode" in
  quick) examples=${SCHEMATHESIS_EXAMPLES:-15} ;;
  long) examples=${SCHEMATHESIS_EXAMPLES:-800} ;;
  *) echo "usage: $0 [quick|long]" >&2; exit 2 ;;
esac

if [ "${SCHEMATHESIS_INNER:-}" != 1 ]; then
  # Outside the namespace: everything that needs the network or cargo.
  venv=${SCHEMATHESIS_VENV:-.cache/schemathesis-venv}
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q "version $ST_VERSION\$"; then
    echo "==> installing schemathesis $ST_VERSION into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      # Debian's python3 keeps venv (and its ensurepip) in a package of its own.
      rm -rf "$venv"
      if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      fi
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  fi
  if [ -z "${NODE_BIN:-}" ]; then
    echo "==> building the node"
    cargo build --quiet --locked -p bitcoin-rust-node --bin bitcoin_rust
    target_dir=$(cargo metadata --format-version 1 --no-deps \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    NODE_BIN="$target_dir/debug/bitcoin_rust"
  fi
  [ -x "$NODE_BIN" ] || { echo "no node binary at $NODE_BIN" >&2; exit 1; }
  export NODE_BIN SCHEMATHESIS_INNER=1 ST="$(cd "$venv" && pwd)/bin/st"
  if command -v ip >/dev/null && unshare --net true 2>/dev/null; then
    exec unshare --net bash "$script" "$mode"
  elif command -v ip >/dev/null && unshare --user --map-root-user --net true 2>/dev/null; then
    exec unshare --user --map-root-user --net bash "$script" "$mode"
  fi
  echo "==> no network namespace here: testing on 127.0.0.1 without POST /peers"
  export SCHEMATHESIS_NO_NETNS=1
  exec bash "$script" "$mode"
fi

# Inside the namespace (or on the host's loopback): start a node, mine, run schemathesis.
exclude=()
if [ "${SCHEMATHESIS_NO_NETNS:-}" = 1 ]; then
  exclude=(--exclude-operation-id addPeer)
else
  ip link set lo up
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/schemathesis.XXXXXX")
node_pid=
st_pid=
cleanup() {
  [ -z "$st_pid" ] || kill -TERM "$st_pid" 2>/dev/null || true
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$node_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
  [ -n "${SCHEMATHESIS_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fast, cheap blocks (so the mining calls answer quickly) on a network of its own; port 0 lets
# the system pick free ports, which the node prints.
cd "$work"
: >"$work/node.out"
# A bearer token, as a node reachable from elsewhere would have: schemathesis sends it, and its
# negative cases (the header left out) meet the documented 401.
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
# The node gets a KILL if this script dies without its trap (setpriv --pdeathsig).
pdeath=()
setpriv --pdeathsig KILL true 2>/dev/null && pdeath=(setpriv --pdeathsig KILL)
"${pdeath[@]}" env -u PEERS -u HTTP_PORT -u P2P_PORT RUST_LOG="${NODE_RUST_LOG:-warn}" BITCOIN_RUST_HTTP__AUTH_TOKEN="$token" \
  BITCOIN_RUST_DEV__FAUCET=true BITCOIN_RUST_NETWORK__FIXED_DIFFICULTY=true "$NODE_BIN" \
  --http-host 127.0.0.1 --http-port 0 --p2p-host 127.0.0.1 --p2p-port 0 --dev \
  --data-dir "$work/data" --network-id schemathesis-net --difficulty 2 --mine-rate 200 \
  >"$work/node.out" 2>"$work/node.err" &
node_pid=$!
base=
for _ in $(seq 1 300); do
  base=$(sed -n 's/^HTTP API: *//p' "$work/node.out")
  [ -n "$base" ] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.err" >&2; echo "the node did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { cat "$work/node.err" >&2; echo "the node did not print its address" >&2; exit 1; }
case "$base" in http://127.0.0.1:*) ;; *) echo "not a loopback address: $base" >&2; exit 1 ;; esac
echo "==> node at $base"

# A few blocks, so that blocks, rewards and balances exist.
for _ in 1 2 3; do
  curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"data":"schemathesis"}' "$base/mine" >/dev/null
done

checks=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}
seed=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && seed=(--seed "$SCHEMATHESIS_SEED")
echo "==> schemathesis $ST_VERSION, $mode mode: at most $examples examples per operation"
started=$(date +%s)
# In the background, so that a TERM or INT reaches the trap at once rather than after the run.
: >"$work/st.log"
"$ST" run "$base/openapi.json" \
  --checks "$checks" \
  --header "Authorization: Bearer $token" \
  --include-path-regex '^/' --max-examples "$examples" "${seed[@]}" "${exclude[@]}" \
  --request-timeout 60 --workers 1 --no-color \
  --report junit --report-junit-path "$work/junit.xml" >"$work/st.log" 2>&1 &
st_pid=$!
tail -n +1 -f "$work/st.log" --pid "$st_pid" &
tail_pid=$!
status=0
wait "$st_pid" || status=$?
wait "$tail_pid" || true
st_pid=
echo "==> schemathesis took $(( $(date +%s) - started )) s"
if [ "$status" != 0 ]; then
  echo "--- node log (last 50 lines)"
  tail -50 "$work/node.err"
  echo "schemathesis: failed (exit $status)"
  exit 1
fi
if ! kill -0 "$node_pid" 2>/dev/null; then
  cat "$work/node.err"
  echo "schemathesis: the node died during the run"
  exit 1
fi
# Operations tested: the summary's count, checked against the JUnit report (a test case per
# operation, plus one for the stateful phase), none of which may have failed.
tested=$(sed -n 's/^ *Tested: *\([0-9][0-9]*\).*/\1/p' "$work/st.log" | tail -1)
read -r cases bad < <(python3 - "$work/junit.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
cases = bad = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if case.get("name") == "Stateful tests" or case.find("skipped") is not None:
        continue
    cases += 1
    bad += case.find("failure") is not None or case.find("error") is not None
print(cases, bad)
EOF
)
if [ -z "$tested" ] || [ "$tested" = 0 ] || [ "$bad" != 0 ] || [ "$cases" != "$tested" ]; then
  echo "schemathesis: ${tested:-?} operations tested, $cases in the JUnit report, $bad failed"
  exit 1
fi
echo "schemathesis: $tested operations passed"
