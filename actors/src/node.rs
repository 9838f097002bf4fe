//! Wiring: opens the store and the wallet, starts every actor on its arbiter, subscribes them
//! to each other's events, binds the HTTP and P2P servers, and shuts everything down in order.
//! Nothing here holds domain state; it only connects the actors.

use crate::api::{self, AppState};
use crate::api_error;
use crate::chain_actor::{ChainActor, ShutdownChain, SubscribeChain};
use crate::chain_reader::ChainReader;
use crate::config::NodeConfig;
use crate::http_actor::{HttpActor, SetServer, ShutdownHttp};
use crate::http_guard::OriginPolicy;
use crate::mempool_actor::{MempoolActor, SubscribeMempool};
use crate::mempool_journal::MempoolJournal;
use crate::miner_actor::{MinerActor, ShutdownMiner, StartMining, SubscribeMining};
use crate::peer::context::SessionContext;
use crate::peer::router::{PeerActor, SetContext, ShutdownPeers};
use crate::wallet_actor::WalletActor;
use actix::prelude::*;
use actix_cors::Cors;
use actix_web::dev::Service;
use actix_web::{http::header, middleware, web, App, HttpServer};
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::mempool::MempoolLimits;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::wallet::Wallet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The file in the data directory holding the node's P2P key (its node id is the public key;
/// mode 0600, created at first start).
pub const NODE_KEY_FILE: &str = "node.key";

/// Why the node could not start (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The chain database could not be opened or is inconsistent.
    #[error("chain database: {0}")]
    Chain(String),
    /// The wallet key could not be loaded or created.
    #[error("wallet: {0}")]
    Wallet(#[from] bitcoin_rust_core::wallet::WalletError),
    /// A server could not bind its address.
    #[error("cannot listen on {addr}: {source}{}", bind_hint(source))]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn bind_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (another node or program uses this port: stop it, or choose another port with --http-port / --p2p-port)"
        }
        std::io::ErrorKind::AddrNotAvailable => " (this machine has no such address: use 127.0.0.1 or 0.0.0.0)",
        _ => "",
    }
}

/// A running node.
pub struct RunningNode {
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
    /// Where the P2P server listens.
    pub p2p_addr: SocketAddr,
    /// The chain actor.
    pub chain: Addr<ChainActor>,
    /// The mempool actor.
    pub mempool: Addr<MempoolActor>,
    /// The miner actor.
    pub miner: Addr<MinerActor>,
    /// The peer actor.
    pub peers: Addr<PeerActor>,
    /// The HTTP actor.
    pub http: Addr<HttpActor>,
    /// The wallet actor.
    pub wallet: Addr<WalletActor>,
    p2p_server: actix_web::dev::ServerHandle,
    arbiters: Vec<Arbiter>,
}

fn cors(policy: &OriginPolicy) -> Cors {
    let policy = policy.clone();
    Cors::default()
        .allowed_methods(vec!["GET", "POST", "OPTIONS"])
        .allowed_headers(vec![header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .expose_headers(vec![
            header::HeaderName::from_static("x-chain-height"),
            header::HeaderName::from_static("x-page-truncated"),
            header::HeaderName::from_static("x-next-from"),
        ])
        .max_age(3600)
        .allowed_origin_fn(move |origin, _| policy.allows(origin.as_bytes()))
}

/// The folder `http.ui_dir` names, if set and holding an `index.html` (else the embedded
/// dashboard is served).
fn ui_dir(config: &NodeConfig) -> Option<PathBuf> {
    if config.http.ui_dir.is_empty() {
        return None;
    }
    let dir = PathBuf::from(&config.http.ui_dir);
    if dir.join("index.html").is_file() {
        Some(dir)
    } else {
        tracing::warn!(ui_dir = %dir.display(), "http.ui_dir has no index.html: serving the embedded dashboard");
        None
    }
}

/// Starts a node: must be called inside a running actix `System`.
///
/// # Errors
/// [`StartError`] when the data directory, the database, the wallet or an address fails.
pub async fn start(config: NodeConfig, verify: bool) -> Result<RunningNode, StartError> {
    let config = Arc::new(config);
    let data_dir = config.data_dir();
    std::fs::create_dir_all(&data_dir).map_err(|source| StartError::DataDir { path: data_dir.clone(), source })?;
    let params = Arc::new(config.network.clone());
    let store =
        RedbStore::open_with_cache(&data_dir.join("chain.redb"), &params, config.storage.cache_mib * 1024 * 1024)
            .map_err(|e| StartError::Chain(e.to_string()))?;
    let chain = Chain::open((*params).clone(), store).map_err(|e| StartError::Chain(e.to_string()))?;
    if verify {
        tracing::info!(height = chain.height().0, "verifying the stored chain by replay");
        chain.verify_by_replay().map_err(|e| StartError::Chain(e.to_string()))?;
    }
    tracing::info!(height = chain.height().0, tip = %chain.tip(), genesis = %chain.genesis_hash(), network = %params.network_id, data_dir = %data_dir.display(), "chain opened");
    let genesis = chain.genesis_hash();
    let tip = chain.tip();
    let start_height = chain.height().0;
    let wallet = Wallet::load_or_create(&data_dir.join("wallet.key"))?;
    tracing::info!(address = %wallet.address(), "wallet loaded");
    // The P2P identity: a key of its own, so the wallet's address and the node id are unlinked.
    let node_key = Wallet::load_or_create(&data_dir.join(NODE_KEY_FILE))?.signing_key().clone();
    let node_id = NodeId::of(&node_key);
    tracing::info!(node_id = %node_id, "node key loaded");

    let chain_arbiter = Arbiter::new();
    let p2p_arbiter = Arbiter::new();
    let reader = ChainReader::new(chain.store().reader());
    let chain_reader = reader.clone();
    let chain_addr =
        ChainActor::start_in_arbiter(&chain_arbiter.handle(), move |_| ChainActor::new(chain, chain_reader));
    let limits = MempoolLimits { max_count: config.mempool.max_count, max_bytes: config.mempool.max_bytes };
    let (journal, reloaded) = MempoolJournal::open(&data_dir)
        .map_err(|source| StartError::DataDir { path: data_dir.join(crate::mempool_journal::JOURNAL_FILE), source })?;
    if reloaded.unreadable > 0 {
        tracing::warn!(lines = reloaded.unreadable, "unreadable mempool journal lines skipped (cut short by a crash)");
    }
    let mempool = MempoolActor::new(limits, &params, reader.clone(), tip)
        .with_journal(journal, reloaded.transfers, (*params).clone())
        .start();
    // Before anything is served: a transfer accepted before the restart is pending again (or
    // dropped with a reason), never unknown.
    let _ = mempool.send(crate::mempool_actor::WaitReloaded).await;
    let miner = MinerActor::new(
        chain_addr.clone(),
        mempool.clone(),
        wallet.address(),
        config.mining.threads,
        params.max_block_transactions,
    )
    .with_backend(
        bitcoin_rust_core::pow::PowBackend::from_config(&config.mining.backend)
            .unwrap_or_else(|_| bitcoin_rust_core::pow::PowBackend::best()),
    )
    .with_dev_mining(
        config.dev.mine_on_transaction,
        (config.dev.block_interval_ms > 0).then(|| Duration::from_millis(config.dev.block_interval_ms)),
    )
    .start();
    let peers = PeerActor::start_in_arbiter(&p2p_arbiter.handle(), |_| PeerActor::new());
    let http_actor = HttpActor::new();
    let http_recorder = http_actor.recorder();
    let http = http_actor.start();
    let wallet = WalletActor::new(wallet, params.clone(), reader.clone(), mempool.clone()).start();

    for recipient in [
        mempool.clone().recipient(),
        miner.clone().recipient(),
        peers.clone().recipient(),
        http.clone().recipient(),
        wallet.clone().recipient(),
    ] {
        let _ = chain_addr.send(SubscribeChain(recipient)).await;
    }
    for recipient in
        [miner.clone().recipient(), peers.clone().recipient(), http.clone().recipient(), wallet.clone().recipient()]
    {
        let _ = mempool.send(SubscribeMempool(recipient)).await;
    }
    let _ = miner.send(SubscribeMining(http.clone().recipient())).await;

    // P2P server.
    let mut p2p_config = config.p2p.clone();
    let p2p_bind = format!("{}:{}", p2p_config.host, p2p_config.port);
    let p2p_listener =
        std::net::TcpListener::bind(&p2p_bind).map_err(|source| StartError::Bind { addr: p2p_bind.clone(), source })?;
    let p2p_addr = p2p_listener.local_addr().map_err(|source| StartError::Bind { addr: p2p_bind.clone(), source })?;
    if p2p_config.advertise_url.is_empty() {
        p2p_config.advertise_url = format!("ws://{}:{}", p2p_config.host, p2p_addr.port());
    }
    let http_bind = format!("{}:{}", config.http.host, config.http.port);
    let listener = std::net::TcpListener::bind(&http_bind)
        .map_err(|source| StartError::Bind { addr: http_bind.clone(), source })?;
    let http_addr = listener.local_addr().map_err(|source| StartError::Bind { addr: http_bind.clone(), source })?;
    let session_cx = SessionContext {
        chain: chain_addr.clone(),
        reader: reader.clone(),
        mempool: mempool.clone(),
        router: PeerActor::links(&peers),
        params: params.clone(),
        genesis,
        key: Arc::new(node_key),
        node_id,
        listen_url: Arc::from(p2p_config.advertise_url.clone()),
        http_url: Arc::from(config.advertised_http_url(http_addr.port())),
        config: Arc::new(p2p_config),
    };
    let p2p_data = web::Data::new(session_cx.clone());
    let p2p_server = HttpServer::new(move || {
        App::new().app_data(p2p_data.clone()).default_service(web::get().to(crate::peer::inbound::accept))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(p2p_listener)
    .map_err(|source| StartError::Bind { addr: p2p_bind.clone(), source })?
    .run();
    let p2p_handle = p2p_server.handle();
    actix::spawn(p2p_server);

    // HTTP server.
    let state = AppState {
        chain: chain_addr.clone(),
        reader: reader.clone(),
        mempool: mempool.clone(),
        miner: miner.clone(),
        peers: peers.clone(),
        http: http.clone(),
        wallet: wallet.clone(),
        config: config.clone(),
        started: Instant::now(),
    };
    let max_body = config.http.max_body_bytes;
    let ui = ui_dir(&config);
    if ui.is_none() && !crate::ui::is_embedded() {
        tracing::warn!(
            "this binary was compiled without the dashboard (frontend/dist was not built): /ui/ explains how to build it"
        );
    }
    let server_config = config.clone();
    let http_data = web::Data::new(http.clone());
    let state_data = web::Data::new(state);
    let policy = OriginPolicy::new(&config);
    let server = HttpServer::new(move || {
        let host_config = server_config.clone();
        let mut app = App::new()
            .app_data(state_data.clone())
            .app_data(http_data.clone())
            .app_data(web::JsonConfig::default().limit(max_body).error_handler(api::json_error))
            .app_data(web::PayloadConfig::default().limit(max_body))
            .app_data(web::QueryConfig::default().error_handler(api::query_error))
            .app_data(web::PathConfig::default().error_handler(api::path_error))
            .wrap_fn({
                // Cross-site state changes and non-JSON bodies: refused here, for every route.
                let policy = policy.clone();
                move |req, srv| {
                    use futures_util::future::Either;
                    match crate::http_guard::check_request(&req, &policy) {
                        Ok(()) => Either::Left(srv.call(req)),
                        Err(refused) => Either::Right(std::future::ready(Err(refused.into()))),
                    }
                }
            })
            .wrap_fn({
                let recorder = http_recorder.clone();
                let routes = crate::http_guard::RouteLabels::default();
                move |req, srv| {
                    let started = std::time::Instant::now();
                    // Labels from closed sets: the route pattern (or `unmatched`), a known method.
                    let route = routes.label(&req);
                    let method = crate::http_guard::method_label(req.method());
                    let fut = srv.call(req);
                    let recorder = recorder.clone();
                    async move {
                        let res = fut.await;
                        let status = crate::http_guard::status_of(&res);
                        let seconds = started.elapsed().as_secs_f64();
                        recorder.observe(crate::http_actor::HttpObserved { route, method, status, seconds });
                        res
                    }
                }
            })
            .wrap(cors(&policy))
            .wrap_fn(|req, srv| {
                // The CORS layer refuses a preflight in plain text: answer the API's JSON error.
                let fut = srv.call(req);
                async move { Ok(api_error::ensure_json_error(fut.await?).await) }
            })
            .wrap_fn(move |req, srv| {
                // A node bound to loopback answers only requests addressed to a loopback name: a
                // web page on another origin cannot reach it by rebinding its DNS name to 127.0.0.1.
                let host_ok = req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_none_or(|h| host_config.host_allowed(h));
                let fut = if host_ok { Some(srv.call(req)) } else { None };
                async move {
                    match fut {
                        Some(fut) => fut.await,
                        None => Err(api_error::ApiError::new(
                            actix_web::http::StatusCode::FORBIDDEN,
                            "bad_host",
                            "this node only answers requests addressed to localhost or 127.0.0.1",
                        )
                        .into()),
                    }
                }
            })
            .wrap(middleware::Compress::default())
            .wrap_fn(|req, srv| {
                // The request log, outermost: requests the layers above refuse are logged too.
                let started = std::time::Instant::now();
                let line = crate::http_guard::RequestLine::of(&req);
                let fut = srv.call(req);
                async move {
                    let res = fut.await;
                    line.log(crate::http_guard::status_of(&res), started.elapsed().as_secs_f64());
                    res
                }
            })
            .configure(api::routes)
            .configure(crate::dev_api::routes);
        if let Some(dir) = &ui {
            app = app
                .service(actix_files::Files::new("/ui", dir).index_file("index.html").default_handler(
                    actix_files::NamedFile::open(dir.join("index.html")).expect("index.html was checked at start"),
                ))
                .route("/", web::get().to(|| async { crate::ui::redirect("/ui/") }));
        } else {
            app = app.configure(crate::ui::routes);
        }
        app.default_service(web::to(api::not_found))
    })
    .workers(config.http.workers)
    .disable_signals()
    .shutdown_timeout(2)
    .listen(listener)
    .map_err(|source| StartError::Bind { addr: http_bind.clone(), source })?
    .run();
    http.do_send(SetServer(server.handle()));
    actix::spawn(server);

    let _ = peers.send(SetContext(session_cx, start_height)).await;
    if config.mining.enabled {
        miner.do_send(StartMining);
    }
    tracing::info!(http = %http_addr, p2p = %p2p_addr, "node started");
    Ok(RunningNode {
        http_addr,
        p2p_addr,
        chain: chain_addr,
        mempool,
        miner,
        peers,
        http,
        wallet,
        p2p_server: p2p_handle,
        arbiters: vec![chain_arbiter, p2p_arbiter],
    })
}

impl RunningNode {
    /// Stops the miner, closes the peers, stops both servers and closes the database.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        let _ = self.miner.send(ShutdownMiner).await;
        let _ = self.peers.send(ShutdownPeers).await;
        let _ = self.http.send(ShutdownHttp).await;
        self.p2p_server.stop(true).await;
        let _ = self.chain.send(ShutdownChain).await;
        for arbiter in self.arbiters {
            arbiter.stop();
            let _ = arbiter.join();
        }
        tracing::info!("stopped");
    }
}
