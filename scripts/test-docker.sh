#!/usr/bin/env bash
# Tests the container files for real: the Docker engine, the image, one container, and
# docker-compose.yml's three-node network.
#
#  1. The engine. Without one it installs Debian's docker.io (and docker-compose when no Compose
#     is installed) with apt-get, as root, and starts dockerd when it is not running. Only where
#     no engine can run at all (not root, no apt-get, dockerd refusing to start) does it print
#     "docker: SKIPPED — <why>" and exit 0; the test command's summary repeats that line.
#  2. The base images (the Dockerfile's FROM lines). Those in the local store are used; the others
#     are pulled (a short timeout); only when that fails are the offline stand-ins made with
#     offline-docker-bases.sh (OFFLINE_DOCKER_BASES, else ../shared/tools beside this clone, else
#     /work/shared/tools): see that folder's OFFLINE-DOCKER.md.
#  3. The image, with a BuildKit client: `docker` when it has buildx, else Debian's 20.10 client
#     (/usr/bin/docker, BuildKit built in). Later builds reuse the layer cache and the cache
#     mounts (cargo registry, target/, npm).
#  4. The shipped configurations (/etc/bitcoin_rust/*.toml) load with the node's --print-config.
#  5. One container: refuses to start without the API token; with one, /healthz on a port
#     published on 127.0.0.1, the image's HEALTHCHECK healthy, uid 10001, wallet.key and node.key
#     0600, the dashboard embedded in the binary served at /ui/, the token required.
#  6. The three-node network (`docker compose`, else Debian's `docker-compose`) as its own project
#     on ports of 127.0.0.1 that Docker picks: every node healthy, non-root, its keys 0600, its
#     API published on 127.0.0.1 only and its P2P port not published; node 1 mines, pays node 2;
#     node 2 pays node 3 through its own API; that transfer mined and seen at node 3; after
#     mining stops, one tip (same height and hash) across the three.
#
# Everything it started is removed at the end, pass or fail: the containers, the compose network
# and volumes, and dockerd when a run of this script started it and no other run still uses it
# (KEEP_DOCKERD=1 leaves it running). Images (the node's, the stand-ins) and the BuildKit cache
# are kept: they make the next run fast.
#
# Environment: IMAGE (bitcoin-rust:test), DOCKER_TEST_TIMEOUT (seconds per wait, 180),
# INSTALL_MISSING (1: apt-get install what is missing), OFFLINE_DOCKER_BASES (path of
# offline-docker-bases.sh), DOCKER_PULL_TIMEOUT (seconds, 20), DOCKER_BUILD_NETWORK (empty: the
# default bridge, or host when a container cannot reach crates.io), KEEP_DOCKERD (0).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd -P)"

IMAGE="${IMAGE:-bitcoin-rust:test}"
WAIT="${DOCKER_TEST_TIMEOUT:-180}"
INSTALL_MISSING="${INSTALL_MISSING:-1}"
PULL_TIMEOUT="${DOCKER_PULL_TIMEOUT:-20}"
KEEP_DOCKERD="${KEEP_DOCKERD:-0}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd-test.log}"
started_at=$SECONDS

say() { printf '%s\n' "$*"; }
skip() {
  say "docker: SKIPPED — $* (no container engine can run here: the image and docker-compose.yml were not tested)"
  exit 0
}
fail() {
  say "docker: FAILED — $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  [ "$INSTALL_MISSING" = 1 ] && is_root && command -v apt-get >/dev/null 2>&1 || return 1
  say "==> apt-get install $*"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# What the script starts, removed at the end, pass or fail.
TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CONTAINER="bitcoin-rust-test-$$"
PROJECT="bitcoin-rust-test-$$"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/test-docker.XXXXXX")"
DOCKER=(docker) # the client that builds: chosen below, used for every docker command
compose=()
DOCKERD_PID=""
# Runs of this test share one dockerd: each holds RUN_LOCK shared while it runs and RUN_LOCK.start
# while it decides whether to start dockerd; only the last run out stops a dockerd a run started.
LOCK_DIR=/run/lock
[ -d "$LOCK_DIR" ] && [ -w "$LOCK_DIR" ] || LOCK_DIR="${TMPDIR:-/tmp}"
RUN_LOCK="$LOCK_DIR/bitcoin-rust-test-docker.lock"
DOCKERD_PIDFILE="$LOCK_DIR/bitcoin-rust-test-dockerd.pid"
LOCKED=0
project() { [ ${#compose[@]} -gt 0 ] && "${compose[@]}" -p "$PROJECT" -f docker-compose.yml "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if "${DOCKER[@]}" info >/dev/null 2>&1; then
    if [ "$rc" != 0 ]; then
      say "==> logs (the test failed)" >&2
      "${DOCKER[@]}" logs --tail 30 "$CONTAINER" 2>&1 | sed 's/^/  [container] /' >&2 || true
      project logs --no-color --tail 30 2>&1 | sed 's/^/  /' >&2 || true
    fi
    "${DOCKER[@]}" rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
    project down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
    # Anything of this run that compose did not remove (e.g. killed half-way).
    local label="label=com.docker.compose.project=$PROJECT"
    "${DOCKER[@]}" container ls -aq --filter "$label" 2>/dev/null | xargs -r "${DOCKER[@]}" rm -f -v >/dev/null 2>&1 || true
    "${DOCKER[@]}" network ls -q --filter "$label" 2>/dev/null | xargs -r "${DOCKER[@]}" network rm >/dev/null 2>&1 || true
    "${DOCKER[@]}" volume ls -q --filter "$label" 2>/dev/null | xargs -r "${DOCKER[@]}" volume rm >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  # dockerd, when a run of this test started it (its pid in DOCKERD_PIDFILE) and no other run
  # still uses it (they hold the lock shared): the last run out stops it.
  if [ "$LOCKED" = 1 ] && [ "$KEEP_DOCKERD" != 1 ] && [ -f "$DOCKERD_PIDFILE" ]; then
    flock -x 8 # no run starts dockerd meanwhile
    if flock -x -n 9; then
      local pid
      pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)
      if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
        say "    dockerd (started by a run of this test, pid $pid) stopped"
      fi
      rm -f "$DOCKERD_PIDFILE"
    else
      say "    dockerd (started by this test) left running: another run of this test uses it"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. The engine: a daemon, a client with BuildKit, Compose.
say "==> the container engine"
if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  apt_install docker.io ||
    skip "no Docker daemon here and Debian's docker.io could not be installed (needs root, apt-get and the Debian mirror; INSTALL_MISSING=$INSTALL_MISSING)"
fi
command -v docker >/dev/null 2>&1 || skip "no docker client on PATH"

if is_root && command -v flock >/dev/null 2>&1; then
  exec 9>>"$RUN_LOCK" 8>>"$RUN_LOCK.start"
  flock -s 9 # while this run lasts
  flock -x 8 # while it decides whether to start dockerd
  LOCKED=1
fi
if ! docker info >/dev/null 2>&1; then
  is_root || skip "no Docker daemon answers and only root can start dockerd"
  if pgrep -x dockerd >/dev/null 2>&1; then
    fail "a dockerd process runs but does not answer (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock})"
  fi
  say "    dockerd is not running: starting it (log: $DOCKERD_LOG)"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null 8>&- 9>&-; then
    :
  else
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 8>&- 9>&- & # without the locks' descriptors
    DOCKERD_PID=$!
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    if [ -n "$DOCKERD_PID" ] && ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 10 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/    dockerd: /' || true
    [ -n "$DOCKERD_PID" ] && kill "$DOCKERD_PID" 2>/dev/null || true
    skip "dockerd could not be started (it needs root, cgroups, iptables and overlayfs or vfs; see $DOCKERD_LOG)"
  fi
  [ -n "$DOCKERD_PID" ] && echo "$DOCKERD_PID" >"$DOCKERD_PIDFILE"
fi
[ "$LOCKED" = 1 ] && flock -u 8

# A client that can build with BuildKit: docker with buildx (Docker 23+), else Debian's 20.10
# client, which has BuildKit built in (the CLI 28 without buildx refuses DOCKER_BUILDKIT=1).
if docker buildx version >/dev/null 2>&1; then
  DOCKER=("$(command -v docker)")
elif [ -x /usr/bin/docker ] && /usr/bin/docker version -f '{{.Client.Version}}' 2>/dev/null | grep -q '^20\.'; then
  DOCKER=(/usr/bin/docker)
else
  fail "no BuildKit client: '$(command -v docker)' has no buildx plugin and /usr/bin/docker is not Debian's 20.10 client (apt-get install docker.io, or install docker-buildx)"
fi
docker() { "${DOCKER[@]}" "$@"; }
server_version=$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')
say "    dockerd $server_version; client ${DOCKER[*]} $(docker version -f '{{.Client.Version}}' 2>/dev/null || echo '?')${DOCKERD_PID:+ (dockerd started by this test, pid $DOCKERD_PID)}"

find_compose() {
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  fi
}
find_compose
if [ ${#compose[@]} -eq 0 ]; then
  apt_install docker-compose || true
  find_compose
fi
[ ${#compose[@]} -gt 0 ] ||
  fail "a Docker daemon runs but neither 'docker compose' nor 'docker-compose' is installed (apt-get install docker-compose)"
say "    compose: ${compose[*]} $("${compose[@]}" version --short 2>/dev/null || true)"

# ---------------------------------------------------------------------------------------------
# 2. The base images: the local store, else a pull, else the offline stand-ins.
arg_default() { sed -n "s/^ARG $1=//p" Dockerfile | head -1; }
NODE_VERSION=$(arg_default NODE_VERSION)
RUST_VERSION=$(arg_default RUST_VERSION)
DEBIAN_RELEASE=$(arg_default DEBIAN_RELEASE)
BASES=("node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim" "rust:${RUST_VERSION}-${DEBIAN_RELEASE}" "debian:${DEBIAN_RELEASE}-slim")
say "==> base images: ${BASES[*]}"
missing=()
for tag in "${BASES[@]}"; do
  if docker image inspect "$tag" >/dev/null 2>&1; then
    kind=$(docker image inspect -f '{{index .Config.Labels "org.bitcoin-rust.offline-standin"}}' "$tag" 2>/dev/null || true)
    say "    $tag: in the local store${kind:+ (an offline stand-in)}"
  elif timeout "$PULL_TIMEOUT" "${DOCKER[@]}" pull -q "$tag" >"$WORK/pull.log" 2>&1; then
    say "    $tag: pulled"
  else
    say "    $tag: cannot be pulled ($(tail -n 1 "$WORK/pull.log" | cut -c1-120))"
    missing+=("$tag")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  bases_script=""
  for candidate in "${OFFLINE_DOCKER_BASES:-}" "$(dirname "$REPO")/shared/tools/offline-docker-bases.sh" \
    /work/shared/tools/offline-docker-bases.sh; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then
      bases_script=$candidate
      break
    fi
  done
  [ -n "$bases_script" ] ||
    fail "${missing[*]} cannot be pulled and offline-docker-bases.sh was not found (set OFFLINE_DOCKER_BASES, or put it in $(dirname "$REPO")/shared/tools)"
  say "    making the offline stand-ins: $bases_script"
  t=$SECONDS
  if ! NODE_VERSION="$NODE_VERSION" RUST_VERSION="$RUST_VERSION" DEBIAN_RELEASE="$DEBIAN_RELEASE" \
    INSTALL_MISSING="$INSTALL_MISSING" bash "$bases_script" 2>&1 | sed -u 's/^/    /'; then
    fail "offline-docker-bases.sh failed"
  fi
  for tag in "${missing[@]}"; do
    docker image inspect "$tag" >/dev/null 2>&1 || fail "$tag is still missing after offline-docker-bases.sh"
  done
  say "    stand-ins made in $((SECONDS - t)) s"
fi

# ---------------------------------------------------------------------------------------------
# 3. The image.
build_net=()
if [ -n "${DOCKER_BUILD_NETWORK:-}" ]; then
  build_net=(--network "$DOCKER_BUILD_NETWORK")
elif ! docker run --rm "${BASES[1]}" curl -sSf -m 15 -o /dev/null https://index.crates.io/config.json >/dev/null 2>&1; then
  say "    a container on the default bridge cannot reach crates.io: building with --network host"
  build_net=(--network host)
fi
say "==> DOCKER_BUILDKIT=1 ${DOCKER[*]} build ${build_net[*]:+${build_net[*]} }-t $IMAGE ."
t=$SECONDS
# The steps as they start (the whole log on failure): a cold build is quiet for minutes otherwise.
STEP='^#[0-9]+ \[[a-z]+ +[0-9]+/[0-9]+\]'
if ! DOCKER_BUILDKIT=1 "${DOCKER[@]}" build --progress=plain "${build_net[@]}" -t "$IMAGE" . 2>&1 |
  tee "$WORK/build.log" | { grep --line-buffered -E "$STEP" || true; } | sed -u 's/^/    /'; then
  tail -n 40 "$WORK/build.log" | sed 's/^/    /' >&2
  fail "docker build failed"
fi
build_s=$((SECONDS - t))
steps=$(grep -E "$STEP" "$WORK/build.log" | grep -v '\] FROM ' | cut -d' ' -f1 | sort -u) # FROM: never "CACHED"
cached=$(grep -E '^#[0-9]+ CACHED' "$WORK/build.log" | cut -d' ' -f1 | sort -u | grep -cxF -f <(printf '%s\n' "$steps") || true)
say "    built in ${build_s} s (${cached} of $(wc -l <<<"$steps") steps cached); $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1000000}')"
grep -E '^#[0-9]+ [0-9.]+ bitcoin_rust ' "$WORK/build.log" | tail -1 | sed 's/^#[0-9]* [0-9.]* /    /' || true
# The node's images that this build untagged (each rebuild leaves one): removed, nothing else.
docker image prune -f --filter "label=org.opencontainers.image.title=bitcoin_rust" >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------------------------
# 4. The shipped configurations load with this node's code.
say "==> the image's configurations (--print-config)"
for conf in node node1 node2 node3; do
  docker run --rm -e BITCOIN_RUST_HTTP__AUTH_TOKEN="$TOKEN" "$IMAGE" \
    --config "/etc/bitcoin_rust/$conf.toml" --print-config >"$WORK/$conf.print" 2>&1 ||
    fail "/etc/bitcoin_rust/$conf.toml does not load: $(tail -n 3 "$WORK/$conf.print")"
done
say "    node.toml, node1.toml, node2.toml, node3.toml: ok"

# ---------------------------------------------------------------------------------------------
# Helpers: HTTP over bash's /dev/tcp (no curl needed), JSON fields by pattern.

# http METHOD PORT PATH [TOKEN] [JSON] -> prints "STATUS<newline>BODY"
http() {
  local method=$1 port=$2 path=$3 token=${4:-} body=${5:-} headers="" response status
  [ -n "$token" ] && headers+="Authorization: Bearer ${token}"$'\r\n'
  [ -n "$body" ] && headers+="Content-Type: application/json"$'\r\n'
  [ "$method" = POST ] && headers+="Content-Length: ${#body}"$'\r\n'
  response=$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
    printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n%s' "$method" "$path" "$headers" "$body" >&3
    timeout 10 cat <&3
  ) || return 1
  status=$(printf '%s' "$response" | head -1 | awk '{print $2}')
  printf '%s\n%s\n' "$status" "${response#*$'\r\n\r\n'}"
}
get() { http GET "$@"; }
body_of() { tail -n +2; }
# json_number FIELD / json_string FIELD (JSON on stdin): the first "FIELD":<value>
json_number() { { grep -o "\"$1\":[0-9]*" || true; } | head -1 | cut -d: -f2; }
json_string() { { grep -o "\"$1\":\"[^\"]*\"" || true; } | head -1 | cut -d'"' -f4; }

# wait_for SECONDS DESCRIPTION COMMAND... : retries COMMAND every second until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 "$limit"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  fail "timed out after ${limit}s waiting for ${what}"
}

docker_healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }

# check_container ID NAME HTTP_PORT: non-root, keys 0600, the API on 127.0.0.1 only, P2P unpublished.
check_container() {
  local id=$1 name=$2 http_port=$3 uid keys bindings
  uid=$(docker exec "$id" id -u)
  [ "$uid" = 10001 ] || fail "$name runs as uid $uid, expected 10001 (non-root)"
  keys=$(docker exec "$id" stat -c '%n %u %a' /data/wallet.key /data/node.key | tr '\n' ' ')
  [ "$keys" = "/data/wallet.key 10001 600 /data/node.key 10001 600 " ] ||
    fail "$name's key files are '$keys', expected wallet.key and node.key owned by 10001, mode 600"
  # Every published port of the container, as PORT=HOSTIP:HOSTPORT,... (empty: not published).
  bindings=$(docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{$p}}={{range $b}}{{.HostIp}}:{{.HostPort}},{{end}} {{end}}' "$id")
  for b in $bindings; do
    case "$b" in
      "$http_port/tcp="127.0.0.1:*,) ;;
      */tcp=) ;; # exposed, not published
      *) fail "$name publishes '$b': only its API port $http_port, on 127.0.0.1, may be published" ;;
    esac
  done
  case " $bindings" in
    *" $http_port/tcp=127.0.0.1:"*) ;;
    *) fail "$name's API port $http_port is not published on 127.0.0.1 ($bindings)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# 5. One container.
say "==> one container: the token, /healthz on 127.0.0.1, HEALTHCHECK, user, keys, dashboard"
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
healthz_ok() { get "$1" /healthz | body_of | grep -q '"status":"ok"'; }
wait_for "$WAIT" "/healthz on 127.0.0.1:$PORT" healthz_ok "$PORT"
say "    /healthz on 127.0.0.1:$PORT: $(get "$PORT" /healthz | body_of)"
wait_for "$WAIT" "the image's HEALTHCHECK to report healthy" docker_healthy "$CONTAINER"
check_container "$CONTAINER" container 3001
# The dashboard is embedded in the binary (no ui_dir in the image's configurations): /ui/ must be
# the built index.html, not the page a binary compiled without it answers.
dashboard_ok() {
  local out
  out=$(get "$1" /ui/) || return 1
  [ "$(head -1 <<<"$out")" = 200 ] && grep -q '<title>bitcoin_rust node dashboard</title>' <<<"$out" &&
    grep -q 'src="/ui/assets/\|src="./assets/\|assets/index-' <<<"$out"
}
dashboard_ok "$PORT" || fail "the dashboard built into the image is not served at /ui/: $(get "$PORT" /ui/ | head -c 300)"
[ "$(get "$PORT" /stopmining | head -1)" = 401 ] || fail "/stopmining without the token was not refused with 401"
[ "$(get "$PORT" /stopmining "$TOKEN" | head -1)" = 200 ] || fail "/stopmining with the token did not answer 200"
say "    healthy, uid 10001, wallet.key and node.key 0600, only 3001 published (127.0.0.1), embedded dashboard at /ui/, token required: ok"
docker rm -f -v "$CONTAINER" >/dev/null

# ---------------------------------------------------------------------------------------------
# 6. The three-node network.
export DEVNET_AUTH_TOKEN="$TOKEN" DEVNET_IMAGE="$IMAGE"
# Host port 0: Docker picks a free port of 127.0.0.1 for each API (no clash with another run or
# with a devnet on 3001-3003); `compose port` tells which.
export DEVNET_NODE1_HTTP_PORT=0 DEVNET_NODE2_HTTP_PORT=0 DEVNET_NODE3_HTTP_PORT=0
project config -q || fail "docker-compose.yml does not validate ('${compose[*]} config')"
say "==> docker-compose.yml: three nodes, project $PROJECT"
t=$SECONDS
project up -d --no-build || fail "'${compose[*]} up -d --no-build' failed"
service_id() { project ps -q "$1" 2>/dev/null; }
service_healthy() {
  local id
  id=$(service_id "$1")
  [ -n "$id" ] && docker_healthy "$id"
}
for n in 1 2 3; do
  wait_for "$WAIT" "node$n to be healthy" service_healthy "node$n"
done
up_s=$((SECONDS - t))
for n in 1 2 3; do
  published=$(project port "node$n" "300$n" | tail -n 1)
  case "$published" in
    127.0.0.1:[1-9]*) eval "P$n=\${published##*:}" ;;
    *) fail "node$n's API is published on '$published', expected 127.0.0.1 only" ;;
  esac
  check_container "$(service_id "node$n")" "node$n" "300$n"
  # What listens on the host port (docker-proxy): 127.0.0.1 only.
  for l in $(ss -Htln "sport = :$(eval echo "\$P$n")" 2>/dev/null | awk '{print $4}'); do
    case "$l" in
      127.0.0.1:*) ;;
      *) fail "node$n's host port listens on $l, expected 127.0.0.1 only" ;;
    esac
  done
done
say "    node1, node2, node3 healthy in ${up_s} s, APIs at 127.0.0.1:$P1 :$P2 :$P3: uid 10001, wallet.key and node.key 0600, API on 127.0.0.1 only, P2P unpublished"

status_field() { { get "$1" /status || true; } | body_of | json_number "$2"; }
status_tip() { { get "$1" /status || true; } | body_of | json_string tip; }
three_peers() {
  local n p
  for n in 1 2 3; do
    p=$(status_field "$(eval echo "\$P$n")" peers)
    [ "${p:-0}" -ge 2 ] || return 1
  done
}
wait_for "$WAIT" "each node to have its two peers" three_peers

ADDR2=$(get "$P2" /publickey | body_of | json_string public_key)
ADDR3=$(get "$P3" /publickey | body_of | json_string public_key)
[ -n "$ADDR2" ] && [ -n "$ADDR3" ] || fail "nodes 2 and 3 did not give their addresses (/publickey)"
balance_at_least() { local b; b=$({ get "$1" /balance || true; } | body_of | json_number balance); [ "${b:-0}" -ge "$2" ]; }
wait_for "$WAIT" "node 1 to mine its first coins" balance_at_least "$P1" 30

# transact PORT RECIPIENT AMOUNT -> the transfer's id
transact() {
  local out
  out=$(http POST "$1" /transact "$TOKEN" "{\"recipient\":\"$2\",\"amount\":$3}") ||
    fail "POST /transact on 127.0.0.1:$1 did not answer"
  [ "$(head -1 <<<"$out")" = 200 ] || fail "POST /transact on 127.0.0.1:$1 answered: $out"
  body_of <<<"$out" | json_string id
}
confirmed_at() { get "$1" "/transactions/$2" | body_of | grep -q '"status":"confirmed"'; }

tx1=$(transact "$P1" "$ADDR2" 20)
say "    node 1 pays node 2 20 coins: $tx1"
wait_for "$WAIT" "node 1's payment to be mined and seen at node 2" confirmed_at "$P2" "$tx1"
wait_for "$WAIT" "node 2's balance" balance_at_least "$P2" 20
tx2=$(transact "$P2" "$ADDR3" 5)
say "    node 2 pays node 3 5 coins through node 2's API: $tx2"
wait_for "$WAIT" "node 2's payment to be mined (by node 1) and seen at node 3" confirmed_at "$P3" "$tx2"
balance_at_least "$P3" 5 || fail "node 3's balance does not show the 5 coins"
block=$(get "$P3" "/transactions/$tx2" | body_of | json_number block_number)
say "    mined in block $block, confirmed at node 3; node 3's balance: $(get "$P3" /balance | body_of | json_number balance)"

[ "$(get "$P1" /stopmining "$TOKEN" | head -1)" = 200 ] || fail "/stopmining on node 1 failed"
one_tip() {
  local t1 t2 t3 h1
  t1=$(status_tip "$P1")
  t2=$(status_tip "$P2")
  t3=$(status_tip "$P3")
  h1=$(status_field "$P1" height)
  [ -n "$t1" ] && [ "$t1" = "$t2" ] && [ "$t2" = "$t3" ] &&
    [ "$h1" = "$(status_field "$P2" height)" ] && [ "$h1" = "$(status_field "$P3" height)" ]
}
wait_for "$WAIT" "one tip across the three nodes after mining stopped" one_tip
say "    mining stopped: one tip across the three, height $(status_field "$P1" height), $(status_tip "$P1")"
dashboard_ok "$P2" || fail "node 2 does not serve the dashboard"

say "docker: passed in $((SECONDS - started_at)) s (build ${build_s} s, compose up to healthy ${up_s} s; dockerd $server_version, ${compose[*]})"
