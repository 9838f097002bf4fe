# syntax=docker/dockerfile:1
#
# The bitcoin_rust node with its dashboard, in three stages:
#   1. dashboard  (node)   npm ci && npm run build            -> frontend/dist
#   2. build      (rust)   cargo build --release --locked     -> the bitcoin_rust binary
#   3. runtime    (debian slim): the binary, the dashboard, the configs; non-root, data in /data
#
# Needs BuildKit (the default builder since Docker 23; `DOCKER_BUILDKIT=1` on older ones): it
# uses cache mounts and heredocs. Build and run (see docs/CONTAINERS.md):
#   docker build -t bitcoin-rust .
#   docker run --rm -p 127.0.0.1:3001:3001 -e BITCOIN_RUST_HTTP__AUTH_TOKEN="$(openssl rand -hex 16)" \
#     -v bitcoin-rust-data:/data bitcoin-rust
# or the three-node network: docker compose up -d

ARG NODE_VERSION=20
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------------------------
# 1. The dashboard (Vite): only the lockfile's packages, then the sources.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS dashboard
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,id=bitcoin-rust-npm,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build && test -f dist/index.html

# ---------------------------------------------------------------------------------------------
# 2. The node. Cargo loads the whole workspace (root crate, actors/, tests/), so every member's
# Cargo.toml must be present, but only the sources of the crates being built: the protocol core
# (src/, which includes nothing from docs/ outside its tests), the node (actors/, which embeds
# docs/openapi.json). The tests crate needs only its manifest; benches/ is copied so that the
# root manifest's [[bench]] resolves on every cargo version. The registry and target/ live in
# BuildKit cache mounts, so a source change rebuilds only the workspace crates.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY tests/Cargo.toml tests/Cargo.toml
COPY benches/ benches/
COPY docs/ docs/
COPY src/ src/
COPY actors/ actors/
RUN --mount=type=cache,id=bitcoin-rust-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=bitcoin-rust-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=bitcoin-rust-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p bitcoin-rust-node --bin bitcoin_rust \
 && install -D -m 0755 target/release/bitcoin_rust /out/bitcoin_rust \
 && strip --strip-debug /out/bitcoin_rust \
 && /out/bitcoin_rust --version

# ---------------------------------------------------------------------------------------------
# 3. The runtime: no compiler, no package manager additions (no TLS: peers and the API are
# plain ws:// and http://, so no ca-certificates), a non-root user, the data in a volume.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime

ARG APP_UID=10001
ARG APP_GID=10001
RUN groupadd --system --gid "${APP_GID}" bitcoin \
 && useradd --system --uid "${APP_UID}" --gid "${APP_GID}" --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin bitcoin \
 && mkdir -p /data /app /etc/bitcoin_rust \
 && chown "${APP_UID}:${APP_GID}" /data \
 && chmod 0700 /data

# The health check: GET /healthz on this container's API, expecting {"status":"ok",...}. The image
# has no curl; bash's /dev/tcp is enough. Port: the first argument, else HTTP_PORT, else 3001.
COPY --chmod=0755 <<'EOF' /usr/local/bin/healthcheck
#!/bin/bash
# Usage: healthcheck [PORT]. Exit 0 when the node's /healthz answers {"status":"ok",...}.
port="${1:-${HTTP_PORT:-3001}}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
timeout 4 cat <&3 | grep -q '"status":"ok"'
EOF

# The standalone configuration (the default --config): every interface, data in /data. The
# node refuses a non-loopback bind without http.auth_token, so a container needs
# BITCOIN_RUST_HTTP__AUTH_TOKEN (8+ characters) in its environment; it is never baked in.
COPY --chmod=0644 <<'EOF' /etc/bitcoin_rust/node.toml
# The container's default configuration (docker run IMAGE). Only what differs from
# /etc/bitcoin_rust/default.toml is set here. Give the API token in the environment:
#   BITCOIN_RUST_HTTP__AUTH_TOKEN=<8+ characters>
[http]
host = "0.0.0.0"
port = 3001
ui_dir = "/app/frontend/dist"

[p2p]
host = "0.0.0.0"
port = 5001

[storage]
data_dir = "/data"
EOF
COPY --chmod=0644 config/default.toml /etc/bitcoin_rust/default.toml
COPY --chmod=0644 config/docker/*.toml /etc/bitcoin_rust/

COPY --from=dashboard /src/frontend/dist /app/frontend/dist
COPY --from=build /out/bitcoin_rust /usr/local/bin/bitcoin_rust

LABEL org.opencontainers.image.title="bitcoin_rust" \
      org.opencontainers.image.description="A small proof-of-work cryptocurrency node with its web dashboard" \
      org.opencontainers.image.licenses="MIT"

# The working directory is the volume: a relative path (a configuration without
# storage.data_dir, `snapshot export --out chain.snapshot`) lands in /data, writable and kept.
# The shipped configurations set storage.data_dir = "/data" and http.ui_dir explicitly.
WORKDIR /data
USER ${APP_UID}:${APP_GID}
VOLUME ["/data"]
# 3001: HTTP API and dashboard (/ui/); 5001: P2P WebSocket.
EXPOSE 3001 5001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["healthcheck"]
# The node handles SIGTERM itself (clean shutdown: miner, peers, servers, database).
STOPSIGNAL SIGTERM
ENTRYPOINT ["bitcoin_rust"]
CMD ["--config", "/etc/bitcoin_rust/node.toml"]
