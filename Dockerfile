# The bitcoin_rust node with its dashboard, in three stages:
#   1. dashboard  (node)   npm ci && npm run build            -> frontend/dist
#   2. build      (rust)   cargo build --release --locked     -> the bitcoin_rust binary, with the
#                                                                dashboard embedded (actors/src/ui.rs)
#   3. runtime    (debian slim): the binary and the configs; non-root, data in /data
#
# Needs BuildKit (the default builder since Docker 23; `DOCKER_BUILDKIT=1` on older ones) for its
# cache mounts. It builds with the daemon's built-in Dockerfile frontend, including Debian's
# docker.io 20.10 (BuildKit 0.8): no `# syntax=` line (that would fetch a frontend image from a
# registry) and no heredocs (0.8 has none): the health check and the default configuration are
# files under config/docker/. Build and run (see docs/CONTAINERS.md):
#   docker build -t bitcoin-rust .          # Docker 23+, or with buildx
#   DOCKER_BUILDKIT=1 /usr/bin/docker build -t bitcoin-rust .   # Debian's docker.io 20.10 client
#   docker run --rm -p 127.0.0.1:3001:3001 -e BITCOIN_RUST_HTTP__AUTH_TOKEN="$(openssl rand -hex 16)" \
#     -v bitcoin-rust-data:/data bitcoin-rust
# or the three-node network: docker compose up -d (docker-compose up -d --no-build after a build)

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
# (src/, which includes nothing from docs/ outside its tests), the node (actors/, which generates
# its OpenAPI document from its own code: no file of docs/ is copied, so that editing the
# documentation does not rebuild the node). The tests crate needs only its manifest; benches/ is copied so that the
# root manifest's [[bench]] resolves on every cargo version. The registry and target/ live in
# BuildKit cache mounts, so a source change rebuilds only the workspace crates.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY tests/Cargo.toml tests/Cargo.toml
COPY benches/ benches/
COPY src/ src/
COPY actors/ actors/
# The built dashboard, which the node embeds at compile time (rust-embed over ../frontend/dist).
COPY --from=dashboard /src/frontend/dist frontend/dist
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
 && mkdir -p /data /etc/bitcoin_rust \
 && chown "${APP_UID}:${APP_GID}" /data \
 && chmod 0700 /data

# The health check (config/docker/healthcheck): GET /healthz on this container's API, expecting
# {"status":"ok",...}. The image has no curl; bash's /dev/tcp is enough. Port: the first argument,
# else HTTP_PORT, else 3001.
COPY --chmod=0755 config/docker/healthcheck /usr/local/bin/healthcheck

# The configurations: node.toml, the standalone default (--config, every interface, data in
# /data), and node1..3.toml of the compose network. The node refuses a non-loopback bind without
# http.auth_token, so a container needs BITCOIN_RUST_HTTP__AUTH_TOKEN (8+ characters) in its
# environment; it is never baked in.
COPY --chmod=0644 config/default.toml /etc/bitcoin_rust/default.toml
COPY --chmod=0644 config/docker/*.toml /etc/bitcoin_rust/

COPY --from=build /out/bitcoin_rust /usr/local/bin/bitcoin_rust

LABEL org.opencontainers.image.title="bitcoin_rust" \
      org.opencontainers.image.description="A small proof-of-work cryptocurrency node with its web dashboard" \
      org.opencontainers.image.licenses="MIT"

# The working directory is the volume: a relative path (a configuration without
# storage.data_dir, `snapshot export --out chain.snapshot`) lands in /data, writable and kept.
# The shipped configurations set storage.data_dir = "/data" explicitly.
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
