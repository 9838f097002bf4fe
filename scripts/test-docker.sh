#!/usr/bin/env bash
# Tests the container files: builds the image, runs one container and checks that it answers
# /healthz on a port published on 127.0.0.1, runs as uid 10001, keeps its wallet in /data and
# requires the API token; then starts docker-compose.yml's three-node network, waits until the
# three nodes are healthy and checks that nodes 2 and 3 reach node 1's height. Everything it
# started is removed at the end (containers, the compose network and volumes), pass or fail.
#
# Without a Docker daemon (docker build/run need one) it says so plainly, still validates
# docker-compose.yml offline with `docker compose config` (or docker-compose) when either is
# installed, and exits 0: nothing here is skipped silently.
#
# Environment: IMAGE (default bitcoin-rust:test), DOCKER_TEST_TIMEOUT (seconds per wait, 180).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-bitcoin-rust:test}"
WAIT="${DOCKER_TEST_TIMEOUT:-180}"

compose=()
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
fi

# `config` needs no daemon: it parses, interpolates and checks the file against the schema.
validate_compose() {
  if [ ${#compose[@]} -eq 0 ]; then
    echo "docker: neither 'docker compose' nor 'docker-compose' is installed: docker-compose.yml not validated"
    return 0
  fi
  DEVNET_AUTH_TOKEN=validate-only-token "${compose[@]}" -f docker-compose.yml config -q
  echo "docker: docker-compose.yml is valid ('${compose[*]} config', no daemon needed)"
}

if ! command -v docker >/dev/null 2>&1; then
  validate_compose
  echo "docker: SKIPPED — no Docker daemon on this machine (docker build/run need one); the image and compose file were not tested here"
  echo "        (the docker CLI is not installed either)"
  exit 0
fi
if ! docker info >/dev/null 2>&1; then
  validate_compose
  echo "docker: SKIPPED — no Docker daemon on this machine (docker build/run need one); the image and compose file were not tested here"
  exit 0
fi

validate_compose
if [ ${#compose[@]} -eq 0 ]; then
  echo "docker: FAILED — a Docker daemon is here but neither 'docker compose' nor 'docker-compose'" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# Helpers: HTTP over bash's /dev/tcp (no curl needed), JSON fields by pattern.

# http PORT PATH [TOKEN] -> prints "STATUS<newline>BODY"
http() {
  local port=$1 path=$2 token=${3:-} auth="" response
  [ -n "$token" ] && auth="Authorization: Bearer ${token}"$'\r\n'
  response=$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$path" "$auth" >&3
    timeout 10 cat <&3
  ) || return 1
  local status
  status=$(printf '%s' "$response" | head -1 | awk '{print $2}')
  printf '%s\n%s\n' "$status" "${response#*$'\r\n\r\n'}"
}

# json_number FIELD  (reads JSON on stdin) -> the first "FIELD":<number>
json_number() { { grep -o "\"$1\":[0-9]*" || true; } | head -1 | cut -d: -f2; }

# wait_for SECONDS DESCRIPTION COMMAND... : retries COMMAND every second until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 "$limit"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  echo "docker: FAILED — timed out after ${limit}s waiting for ${what}" >&2
  return 1
}

free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

fail() {
  echo "docker: FAILED — $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CONTAINER="bitcoin-rust-test-$$"
PROJECT="bitcoin-rust-test-$$"
export DEVNET_AUTH_TOKEN="$TOKEN" DEVNET_IMAGE="$IMAGE"
DEVNET_NODE1_HTTP_PORT=$(free_port 13001)
DEVNET_NODE2_HTTP_PORT=$(free_port $((DEVNET_NODE1_HTTP_PORT + 1)))
DEVNET_NODE3_HTTP_PORT=$(free_port $((DEVNET_NODE2_HTTP_PORT + 1)))
export DEVNET_NODE1_HTTP_PORT DEVNET_NODE2_HTTP_PORT DEVNET_NODE3_HTTP_PORT

cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    echo "==> logs (the test failed)" >&2
    docker logs --tail 40 "$CONTAINER" 2>&1 | sed 's/^/  [container] /' >&2 || true
    "${compose[@]}" -p "$PROJECT" -f docker-compose.yml logs --no-color --tail 40 2>&1 | sed 's/^/  /' >&2 || true
  fi
  docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
  "${compose[@]}" -p "$PROJECT" -f docker-compose.yml down -v --remove-orphans >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> docker build -t $IMAGE ."
DOCKER_BUILDKIT=1 docker build -t "$IMAGE" .

# ---------------------------------------------------------------------------------------------
echo "==> one container: published on 127.0.0.1, /healthz, user, volume, token"
# Without the token the node must refuse to start (exit code 2, naming http.auth_token).
set +e
out=$(docker run --rm "$IMAGE" 2>&1)
code=$?
set -e
[ "$code" = 2 ] || fail "without a token the container exited with $code, expected 2: $out"
grep -q "http.auth_token" <<<"$out" || fail "the refusal does not name http.auth_token: $out"

docker run -d --name "$CONTAINER" -p 127.0.0.1::3001 -e BITCOIN_RUST_HTTP__AUTH_TOKEN="$TOKEN" \
  --health-interval 2s --health-start-period 30s "$IMAGE" >/dev/null
published=$(docker port "$CONTAINER" 3001/tcp | head -1)
case "$published" in
  127.0.0.1:*) ;;
  *) fail "port 3001 is published on '$published', expected 127.0.0.1 only" ;;
esac
PORT=${published##*:}

healthz_ok() { http "$1" /healthz | tail -n +2 | grep -q '"status":"ok"'; }
wait_for "$WAIT" "/healthz on 127.0.0.1:$PORT" healthz_ok "$PORT"
echo "    /healthz: $(http "$PORT" /healthz | tail -n +2)"

docker_healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }
wait_for "$WAIT" "the image's HEALTHCHECK to report healthy" docker_healthy "$CONTAINER"

uid=$(docker exec "$CONTAINER" id -u)
[ "$uid" = 10001 ] || fail "the node runs as uid $uid, expected 10001"
wallet=$(docker exec "$CONTAINER" stat -c '%u %a' /data/wallet.key)
[ "$wallet" = "10001 600" ] || fail "/data/wallet.key is '$wallet', expected '10001 600'"
[ "$(http "$PORT" /ui/ | head -1)" = 200 ] || fail "the dashboard is not served at /ui/"
[ "$(http "$PORT" /stopmining | head -1)" = 401 ] || fail "/stopmining without the token was not refused with 401"
[ "$(http "$PORT" /stopmining "$TOKEN" | head -1)" = 200 ] || fail "/stopmining with the token did not answer 200"
echo "    uid 10001, /data/wallet.key 0600, dashboard at /ui/, token required: ok"
docker rm -f -v "$CONTAINER" >/dev/null

# ---------------------------------------------------------------------------------------------
echo "==> docker-compose.yml: three nodes (host ports $DEVNET_NODE1_HTTP_PORT, $DEVNET_NODE2_HTTP_PORT, $DEVNET_NODE3_HTTP_PORT)"
"${compose[@]}" -p "$PROJECT" -f docker-compose.yml up -d --no-build

service_healthy() {
  local id
  id=$("${compose[@]}" -p "$PROJECT" -f docker-compose.yml ps -q "$1" 2>/dev/null)
  [ -n "$id" ] && docker_healthy "$id"
}
for s in node1 node2 node3; do
  wait_for "$WAIT" "$s to be healthy" service_healthy "$s"
  published=$("${compose[@]}" -p "$PROJECT" -f docker-compose.yml port "$s" "300${s#node}")
  case "$published" in
    127.0.0.1:*) ;;
    *) fail "$s's API is published on '$published', expected 127.0.0.1 only" ;;
  esac
done
echo "    node1, node2, node3 healthy; API ports published on 127.0.0.1 only"

# status_field PORT FIELD -> a number from GET /status (empty when the node does not answer)
status_field() { { http "$1" /status || true; } | tail -n +2 | json_number "$2"; }
height_of() { status_field "$1" height; }
h1=0
node1_mined() {
  h1=$(height_of "$DEVNET_NODE1_HTTP_PORT")
  [ "${h1:-0}" -gt 0 ]
}
wait_for "$WAIT" "node 1 to mine a block" node1_mined
reached() { local h; h=$(height_of "$1"); [ "${h:-0}" -ge "$h1" ]; }
wait_for "$WAIT" "node 2 to reach height $h1" reached "$DEVNET_NODE2_HTTP_PORT"
wait_for "$WAIT" "node 3 to reach height $h1" reached "$DEVNET_NODE3_HTTP_PORT"
for port in "$DEVNET_NODE2_HTTP_PORT" "$DEVNET_NODE3_HTTP_PORT"; do
  peers=$(status_field "$port" peers)
  [ "${peers:-0}" -ge 1 ] || fail "the node on port $port has no peer"
done
echo "    node 1 mined height $h1; nodes 2 and 3 reached it ($(height_of "$DEVNET_NODE2_HTTP_PORT"), $(height_of "$DEVNET_NODE3_HTTP_PORT"))"
[ "$(http "$DEVNET_NODE2_HTTP_PORT" /ui/ | head -1)" = 200 ] || fail "node 2 does not serve the dashboard"

echo "docker: passed"
