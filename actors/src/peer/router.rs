//! [`PeerActor`], the peer router: owns the peer set. It admits connections (refusing banned
//! node ids and addresses, duplicates, and connections over the limits, per address too), keeps
//! the outbound peers from `PEERS` and `POST /peers` connected (retrying with exponential
//! backoff, so start order does not matter), is the one place that decides bans, learns
//! addresses from peers, and broadcasts: every block that joins the best chain (`BLOCK`) and
//! every transfer the mempool accepts (`TRANSACTION`, relayed once, never back to where it came
//! from). It reaches sessions only through the `Recipient`s they register.

use super::context::{RouterLinks, SessionContext};
use super::messages::{
    AdmitInbound, DialFailed, Direction, Disconnect, GetPeerUrls, LearnAddresses, Misbehaved, PeerTip, PeerTraffic,
    Refusal, Register, ReleaseInbound, SendWire, Unregister,
};
use super::misbehaviour::BAN_SCORE;
use crate::chain_actor::{BlockOrigin, ChainEvent};
use crate::mempool_actor::{MempoolEvent, TxOrigin};
use crate::metrics::Traffic;
use actix::prelude::*;
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::wire::{is_peer_url, Hello, WireMessage, MAX_PEER_ADDRESSES};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType,
};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// How many outbound peers the node tries to keep from addresses it learnt (besides `PEERS`).
pub const TARGET_LEARNT_OUTBOUND: usize = 4;
/// How many learnt addresses are kept.
pub const MAX_KNOWN_ADDRESSES: usize = 1_000;
/// How many bans are kept at once (the oldest-expiring go first when more are needed).
pub const MAX_BANS: usize = 10_000;
/// How often the peer set is tended (learnt peers dialled, bans expired, addresses asked for)
/// and, while catching up, sync progress is logged.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(5);
/// At most the last this many connected blocks of one chain switch are announced; peers fetch
/// the rest with `GET_BLOCKS` when a block's parent is unknown to them.
pub const MAX_ANNOUNCED_BLOCKS: usize = 16;

/// Why [`ConnectPeer`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectPeerError {
    /// Not `ws://host:port` or `wss://host:port` (at most 255 bytes).
    #[error("{0:?} is not a peer address: ws://host:port or wss://host:port, at most 255 bytes")]
    NotAPeerUrl(String),
    /// The URL is this node's own listen URL.
    #[error("that is this node's own address")]
    OwnAddress,
}

/// Dials a peer and keeps it connected (`PEERS`, `POST /peers`).
#[derive(Message)]
#[rtype(result = "Result<(), ConnectPeerError>")]
pub struct ConnectPeer {
    /// A `ws://` URL.
    pub url: String,
}

/// One connected peer, as `GET /peers` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PeerView {
    /// Session id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: u64,
    /// The peer's node id.
    pub node_id: String,
    /// `inbound` or `outbound`.
    #[schema(schema_with = direction_schema)]
    pub direction: &'static str,
    /// The URL we dialled (outbound) or the peer's advertised URL (inbound), if any.
    #[schema(required = true)]
    pub url: Option<String>,
    /// The remote socket address.
    pub remote: String,
    /// The peer's HTTP API, if it shared it.
    #[schema(required = true)]
    pub http_url: Option<String>,
    /// The peer's software.
    pub agent: String,
    /// Best height known of the peer.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub best_height: u64,
    /// Best block known of the peer.
    #[schema(value_type = doc::Hash)]
    pub best_hash: BlockHash,
    /// Misbehaviour score (disconnected and banned at 100).
    #[schema(value_type = u64, maximum = 4294967295)]
    pub score: u32,
    /// When it connected, ms since the Unix epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub connected_at: u64,
}

/// A configured peer (`PEERS`, `POST /peers`) or a learnt address that is not connected now.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingPeer {
    /// The URL.
    pub url: String,
    /// `connecting` or `waiting`.
    #[schema(schema_with = pending_state_schema)]
    pub state: &'static str,
    /// Failed attempts in a row.
    #[schema(value_type = u64, maximum = 4294967295)]
    pub failures: u32,
    /// Milliseconds until the next attempt.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub retry_in_ms: u64,
    /// The last dial error, if any.
    #[schema(required = true)]
    pub last_error: Option<String>,
}

/// The peer set, as `GET /peers` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PeersView {
    /// Connected peers, by session id.
    pub peers: Vec<PeerView>,
    /// Configured peers and learnt addresses not connected right now.
    pub pending: Vec<PendingPeer>,
    /// Node ids, addresses and dialled URLs refused for misbehaviour, each as a pair `[key, seconds_left]`.
    #[schema(schema_with = banned_schema)]
    #[cfg_attr(feature = "ts", ts(type = "Array<[string, number]>"))]
    pub banned: Vec<(String, u64)>,
    /// This node's id.
    pub node_id: String,
    /// This node's advertised P2P URL.
    pub listen_url: String,
    /// While the node is isolated by `POST /dev/isolate`: when the isolation ends (Unix ms); null otherwise.
    #[schema(required = true)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub isolated_until_ms: Option<u64>,
}

// ---- Hand-written pieces of the schemas above ----
//
// `schema_with` replaces the whole schema of a field, its doc comment included, so each of these
// repeats the field's description where it has one.

/// `PeerView.direction`: a `&'static str` that is one of two names.
fn direction_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::String).enum_values(Some(["inbound", "outbound"]))
}

/// `PendingPeer.state`: a `&'static str` that is one of two names.
fn pending_state_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::String).enum_values(Some(["connecting", "waiting"]))
}

/// `PeersView.banned`: utoipa 4 has no schema for a tuple, and serde writes `(String, u64)` as a
/// two-element array, so each pair is an array of exactly two items, a string or an integer
/// (OpenAPI 3.0 cannot type an array's positions separately).
fn banned_schema() -> ArrayBuilder {
    let key_or_seconds = OneOfBuilder::new().item(ObjectBuilder::new().schema_type(SchemaType::String)).item(
        ObjectBuilder::new()
            .schema_type(SchemaType::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0.0)),
    );
    ArrayBuilder::new()
        .items(
            ArrayBuilder::new()
                .items(RefOr::T(Schema::OneOf(key_or_seconds.build())))
                .min_items(Some(2))
                .max_items(Some(2)),
        )
        .description(Some(
            "Node ids, addresses and dialled URLs refused for misbehaviour, each as a pair `[key, seconds_left]`.",
        ))
        .example(Some(serde_json::json!([["3f2a9c01d4e5b6a7", 540]])))
}

/// Returns the peer set.
#[derive(Message)]
#[rtype(result = "PeersView")]
pub struct GetPeers;

/// What `GET /metrics` shows of the peer layer.
#[derive(Debug, Clone, Default)]
pub struct PeerMetrics {
    /// Connected inbound peers.
    pub inbound: usize,
    /// Connected outbound peers.
    pub outbound: usize,
    /// Node ids and URLs banned now.
    pub banned: usize,
    /// Messages received, by type.
    pub received: BTreeMap<&'static str, Traffic>,
    /// Messages sent, by type.
    pub sent: BTreeMap<&'static str, Traffic>,
    /// Misbehaviour reports, by code.
    pub refused: BTreeMap<&'static str, u64>,
    /// Broadcasts not sent because the peer's send queue was full.
    pub skipped_broadcasts: u64,
    /// Connections dropped because their send queue stayed full past `p2p.write_timeout_ms`.
    pub write_timeouts: u64,
    /// Inbound connections refused before the handshake, by reason.
    pub refused_connections: BTreeMap<&'static str, u64>,
    /// Bytes in the admitted peers' send queues (as of their last heartbeat).
    pub queued_bytes: usize,
}

/// Returns the peer layer's metrics.
#[derive(Message)]
#[rtype(result = "PeerMetrics")]
pub struct GetPeerMetrics;

/// Isolates the node for `seconds` (dev networks' fork lab): drops every peer, refuses new
/// ones and dials none until then, then dials again the peers it dropped and its configured
/// ones. `seconds == 0` ends an isolation now.
#[derive(Message)]
#[rtype(result = "Isolation")]
pub struct Isolate {
    /// How long; 0 rejoins at once.
    pub seconds: u64,
}

/// The isolation state after an [`Isolate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Isolation {
    /// When the isolation ends (Unix ms), or `None` when the node is not isolated.
    pub isolated_until_ms: Option<u64>,
    /// How many peers were disconnected.
    pub dropped_peers: usize,
}

/// The longest isolation [`Isolate`] takes, in seconds.
pub const MAX_ISOLATION_SECONDS: u64 = 3_600;

/// Closes every session and stops dialling.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownPeers;

/// Hands the router what sessions need (once the other actors exist) and the chain's height at
/// start, and dials `PEERS`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetContext(pub SessionContext, pub u64);

/// What a ban applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum BanKey {
    /// A proven node id.
    Node(NodeId),
    /// The remote address of inbound connections.
    Ip(IpAddr),
    /// A URL we dialled.
    Url(String),
}

impl std::fmt::Display for BanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BanKey::Node(id) => write!(f, "{id}"),
            BanKey::Ip(ip) => write!(f, "{ip}"),
            BanKey::Url(url) => f.write_str(url),
        }
    }
}

struct Entry {
    recipient: Recipient<SendWire>,
    disconnect: Recipient<Disconnect>,
    hello: Hello,
    direction: Direction,
    remote: String,
    best_height: u64,
    best_hash: BlockHash,
    score: u32,
    connected_at: u64,
}

struct Target {
    persistent: bool,
    session: Option<u64>,
    covered_by: Option<u64>,
    dialling: bool,
    failures: u32,
    next_attempt: Instant,
    last_error: Option<String>,
}

/// The actor owning the peer set.
pub struct PeerActor {
    cx: Option<SessionContext>,
    sessions: HashMap<u64, Entry>,
    by_node: HashMap<NodeId, u64>,
    inbound_by_ip: HashMap<IpAddr, usize>,
    bans: HashMap<BanKey, Instant>,
    targets: HashMap<String, Target>,
    known: HashSet<String>,
    shutting_down: bool,
    traffic_in: BTreeMap<&'static str, Traffic>,
    traffic_out: BTreeMap<&'static str, Traffic>,
    refused: BTreeMap<&'static str, u64>,
    refused_connections: BTreeMap<&'static str, u64>,
    skipped_broadcasts: u64,
    write_timeouts: u64,
    queued: HashMap<u64, usize>,
    our_height: u64,
    sync: Option<SyncProgress>,
    isolation: Option<IsolationState>,
}

/// An isolation in progress.
#[derive(Debug, Clone)]
struct IsolationState {
    /// When it ends.
    until: Instant,
    /// The same, in Unix ms (for the API).
    until_ms: u64,
    /// Which isolation this is: the timer of an earlier one does not end a later one.
    epoch: u64,
    /// The listen URLs of the peers it dropped, dialled again when it ends.
    dropped: Vec<String>,
}

/// Catching up with a peer that is ahead: where it started, for the progress line.
#[derive(Debug, Clone, Copy)]
struct SyncProgress {
    /// When the last progress line was computed, and our height then.
    sample: (Instant, u64),
}

impl Default for PeerActor {
    fn default() -> Self {
        PeerActor::new()
    }
}

impl PeerActor {
    /// Returns an empty peer set; [`SetContext`] completes it once every actor is started.
    pub fn new() -> PeerActor {
        PeerActor {
            cx: None,
            sessions: HashMap::new(),
            by_node: HashMap::new(),
            inbound_by_ip: HashMap::new(),
            bans: HashMap::new(),
            targets: HashMap::new(),
            known: HashSet::new(),
            shutting_down: false,
            traffic_in: BTreeMap::new(),
            traffic_out: BTreeMap::new(),
            refused: BTreeMap::new(),
            refused_connections: BTreeMap::new(),
            skipped_broadcasts: 0,
            write_timeouts: 0,
            queued: HashMap::new(),
            our_height: 0,
            sync: None,
            isolation: None,
        }
    }

    /// While a peer is ahead of us, logs a progress line (height, best peer height, blocks per
    /// second, time left); once caught up, says so.
    fn log_sync_progress(&mut self) {
        let best_peer = self.sessions.values().map(|e| e.best_height).max().unwrap_or(0);
        let now = Instant::now();
        if best_peer > self.our_height + 1 {
            let Some(sync) = self.sync.as_mut() else {
                tracing::info!(height = self.our_height, best_peer_height = best_peer, "catching up with peers");
                self.sync = Some(SyncProgress { sample: (now, self.our_height) });
                return;
            };
            let (at, height) = sync.sample;
            let secs = now.duration_since(at).as_secs_f64().max(0.001);
            let rate = self.our_height.saturating_sub(height) as f64 / secs;
            let left = best_peer - self.our_height;
            let eta = if rate > 0.0 { format!("{:.0} s", left as f64 / rate) } else { "unknown".into() };
            tracing::info!(
                height = self.our_height,
                best_peer_height = best_peer,
                blocks_per_s = format!("{rate:.1}"),
                time_left = %eta,
                "sync progress: {:.1}%",
                100.0 * self.our_height as f64 / best_peer.max(1) as f64
            );
            sync.sample = (now, self.our_height);
        } else if self.sync.take().is_some() {
            tracing::info!(height = self.our_height, "caught up with peers");
        }
    }

    /// Returns the `Recipient`s sessions use to reach the router at `addr`.
    pub fn links(addr: &Addr<PeerActor>) -> RouterLinks {
        RouterLinks {
            admit: addr.clone().recipient(),
            release: addr.clone().recipient(),
            register: addr.clone().recipient(),
            unregister: addr.clone().recipient(),
            misbehaved: addr.clone().recipient(),
            tip: addr.clone().recipient(),
            learn: addr.clone().recipient(),
            urls: addr.clone().recipient(),
            traffic: addr.clone().recipient(),
            dial_failed: addr.clone().recipient(),
        }
    }

    fn config(&self) -> Option<&crate::config::P2pConfig> {
        self.cx.as_ref().map(|c| &*c.config)
    }

    fn broadcast(&self, msg: &WireMessage, except: Option<u64>) {
        // Encoded once for every peer, and not at all when nobody would receive it.
        if self.sessions.keys().all(|id| Some(*id) == except) {
            return;
        }
        let text: Arc<str> = Arc::from(msg.to_text());
        for (id, e) in &self.sessions {
            if Some(*id) != except {
                e.recipient.do_send(SendWire(text.clone(), msg.kind()));
            }
        }
    }

    fn is_banned(&mut self, key: &BanKey) -> bool {
        match self.bans.get(key) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                self.bans.remove(key);
                false
            }
            None => false,
        }
    }

    fn ban(&mut self, key: BanKey) {
        let secs = self.config().map(|c| c.ban_seconds).unwrap_or(600);
        let now = Instant::now();
        if self.bans.len() >= MAX_BANS {
            self.bans.retain(|_, until| *until > now);
            if self.bans.len() >= MAX_BANS {
                if let Some(first) = self.bans.iter().min_by_key(|(_, until)| **until).map(|(k, _)| k.clone()) {
                    self.bans.remove(&first);
                }
            }
        }
        tracing::warn!(peer = %key, seconds = secs, "peer banned");
        self.bans.insert(key, now + Duration::from_secs(secs));
    }

    /// True while an isolation is in progress.
    fn is_isolated(&self) -> bool {
        self.isolation.as_ref().is_some_and(|i| i.until > Instant::now())
    }

    /// Ends the isolation `epoch` (if it is still the current one): dials the dropped peers
    /// and every configured one again.
    fn rejoin(&mut self, epoch: u64, ctx: &mut Context<Self>) {
        let Some(iso) = self.isolation.take_if(|i| i.epoch == epoch) else { return };
        tracing::info!(peers = iso.dropped.len(), "isolation over: dialling peers again");
        for url in iso.dropped {
            self.add_target(url, false);
        }
        let urls: Vec<String> = self
            .targets
            .iter()
            .filter(|(_, t)| t.session.is_none() && t.covered_by.is_none())
            .map(|(u, _)| u.clone())
            .collect();
        for url in urls {
            if let Some(t) = self.targets.get_mut(&url) {
                t.failures = 0;
            }
            self.dial(url, ctx);
        }
    }

    fn dial(&mut self, url: String, ctx: &mut Context<Self>) {
        let Some(cx) = self.cx.clone() else { return };
        if self.shutting_down || self.is_isolated() {
            // An isolation dials everything again when it ends.
            return;
        }
        if let Some(until) = self.bans.get(&BanKey::Url(url.clone())).copied().filter(|u| *u > Instant::now()) {
            // Try again once the ban ends.
            let delay = until.saturating_duration_since(Instant::now()) + Duration::from_millis(100);
            ctx.run_later(delay, move |act, ctx| act.dial(url, ctx));
            return;
        }
        let Some(target) = self.targets.get_mut(&url) else {
            return;
        };
        if target.dialling || target.session.is_some() || target.covered_by.is_some() {
            return;
        }
        target.dialling = true;
        tracing::debug!(url = %url, attempt = target.failures + 1, "dialling peer");
        super::outbound::connect(url, cx);
    }

    fn schedule_retry(&mut self, url: &str, ctx: &mut Context<Self>) {
        let Some(cfg) = self.config().cloned() else {
            return;
        };
        let Some(target) = self.targets.get_mut(url) else {
            return;
        };
        if !target.persistent || self.shutting_down {
            if !target.persistent {
                // A learnt address that failed: forget it rather than dial it again and again.
                let failed = target.failures > 0;
                self.targets.remove(url);
                if failed {
                    self.known.remove(url);
                }
            }
            return;
        }
        let exp = target.failures.min(16);
        let base = cfg.retry_initial_ms.saturating_mul(1u64 << exp).min(cfg.retry_max_ms);
        let jitter = rand::random::<u64>() % (base / 4 + 1);
        let delay = Duration::from_millis(base + jitter);
        target.next_attempt = Instant::now() + delay;
        let url = url.to_string();
        ctx.run_later(delay, move |act, ctx| act.dial(url, ctx));
    }

    fn add_target(&mut self, url: String, persistent: bool) -> bool {
        if let Some(cx) = &self.cx {
            if *cx.listen_url == url {
                return false;
            }
        }
        match self.targets.get_mut(&url) {
            Some(t) => {
                t.persistent |= persistent;
                false
            }
            None => {
                self.targets.insert(
                    url,
                    Target {
                        persistent,
                        session: None,
                        covered_by: None,
                        dialling: false,
                        failures: 0,
                        next_attempt: Instant::now(),
                        last_error: None,
                    },
                );
                true
            }
        }
    }

    fn maintain(&mut self, ctx: &mut Context<Self>) {
        self.log_sync_progress();
        if self.is_isolated() {
            return;
        }
        let now = Instant::now();
        self.bans.retain(|_, until| *until > now);
        // Dial learnt addresses while there are few outbound peers.
        let outbound = self.sessions.values().filter(|e| matches!(e.direction, Direction::Outbound(_))).count();
        let connected_urls: HashSet<String> =
            self.sessions.values().filter_map(|e| e.hello.listen.clone()).chain(self.targets.keys().cloned()).collect();
        if outbound < TARGET_LEARNT_OUTBOUND && self.sessions.len() < self.config().map(|c| c.max_peers).unwrap_or(0) {
            let candidates: Vec<String> = self
                .known
                .iter()
                .filter(|u| !connected_urls.contains(*u))
                .take(TARGET_LEARNT_OUTBOUND - outbound)
                .cloned()
                .collect();
            for url in candidates {
                if self.add_target(url.clone(), false) {
                    self.dial(url, ctx);
                }
            }
        }
        // Ask one peer for more addresses now and then.
        if let Some(e) = self.sessions.values().next() {
            e.recipient.do_send(SendWire(Arc::from(WireMessage::GetPeers.to_text()), "GET_PEERS"));
        }
    }

    fn release_inbound(&mut self, ip: IpAddr) {
        if let Some(n) = self.inbound_by_ip.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.inbound_by_ip.remove(&ip);
            }
        }
    }
}

impl Actor for PeerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(MAINTENANCE_INTERVAL, |act, ctx| act.maintain(ctx));
    }
}

impl Handler<SetContext> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: SetContext, ctx: &mut Context<Self>) {
        let peers = msg.0.config.peers.clone();
        self.cx = Some(msg.0);
        self.our_height = self.our_height.max(msg.1);
        for url in peers {
            self.add_target(url.clone(), true);
            self.dial(url, ctx);
        }
    }
}

impl Handler<AdmitInbound> for PeerActor {
    type Result = Result<(), Refusal>;
    fn handle(&mut self, msg: AdmitInbound, _: &mut Context<Self>) -> Self::Result {
        let Some(per_ip) = self.config().map(|c| c.max_inbound_per_ip) else {
            return Err(Refusal::Starting);
        };
        let result = if self.shutting_down {
            Err(Refusal::ShuttingDown)
        } else if self.is_isolated() {
            Err(Refusal::Isolated)
        } else if self.is_banned(&BanKey::Ip(msg.ip)) {
            Err(Refusal::Banned)
        } else if self.inbound_by_ip.get(&msg.ip).copied().unwrap_or(0) >= per_ip {
            Err(Refusal::TooManyFromAddress)
        } else {
            *self.inbound_by_ip.entry(msg.ip).or_default() += 1;
            Ok(())
        };
        if let Err(refusal) = result {
            *self.refused_connections.entry(refusal.code()).or_default() += 1;
        }
        result
    }
}

impl Handler<ReleaseInbound> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: ReleaseInbound, _: &mut Context<Self>) {
        self.release_inbound(msg.ip);
    }
}

impl Handler<Register> for PeerActor {
    type Result = Result<(), Refusal>;
    fn handle(&mut self, msg: Register, _: &mut Context<Self>) -> Self::Result {
        let Some(cfg) = self.config().cloned() else {
            return Err(Refusal::Starting);
        };
        if self.shutting_down {
            return Err(Refusal::ShuttingDown);
        }
        if self.is_isolated() {
            return Err(Refusal::Isolated);
        }
        let node = msg.hello.node_id;
        if self.is_banned(&BanKey::Node(node)) || msg.ip.is_some_and(|ip| self.is_banned(&BanKey::Ip(ip))) {
            return Err(Refusal::Banned);
        }
        if let Some(existing) = self.by_node.get(&node).copied() {
            if let Direction::Outbound(url) = &msg.direction {
                if let Some(t) = self.targets.get_mut(url) {
                    t.covered_by = Some(existing);
                    t.dialling = false;
                }
            }
            return Err(Refusal::DuplicateConnection);
        }
        if self.sessions.len() >= cfg.max_peers {
            return Err(Refusal::TooManyPeers);
        }
        let inbound = self.sessions.values().filter(|e| e.direction == Direction::Inbound).count();
        if msg.direction == Direction::Inbound && inbound >= cfg.max_inbound {
            return Err(Refusal::TooManyInboundPeers);
        }
        if let Direction::Outbound(url) = &msg.direction {
            if let Some(t) = self.targets.get_mut(url) {
                t.session = Some(msg.session);
                t.dialling = false;
                t.failures = 0;
                t.last_error = None;
            }
        }
        if let Some(listen) = &msg.hello.listen {
            // Another node that dialled us: if we are configured to dial it too, this
            // connection serves both. (The decoder checked the URL's form.)
            if let Some(t) = self.targets.get_mut(listen) {
                if t.session.is_none() {
                    t.covered_by = Some(msg.session);
                }
            }
            if self.known.len() < MAX_KNOWN_ADDRESSES {
                self.known.insert(listen.clone());
            }
        }
        self.by_node.insert(node, msg.session);
        self.sessions.insert(
            msg.session,
            Entry {
                recipient: msg.recipient,
                disconnect: msg.disconnect,
                best_height: msg.hello.best_height,
                best_hash: msg.hello.best_hash,
                hello: msg.hello,
                direction: msg.direction,
                remote: msg.remote,
                score: 0,
                connected_at: crate::clock::now_ms(),
            },
        );
        Ok(())
    }
}

impl Handler<Unregister> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: Unregister, ctx: &mut Context<Self>) {
        if let Some(ip) = msg.inbound_ip {
            self.release_inbound(ip);
        }
        self.queued.remove(&msg.session);
        if let Some(e) = self.sessions.remove(&msg.session) {
            if self.by_node.get(&e.hello.node_id) == Some(&msg.session) {
                self.by_node.remove(&e.hello.node_id);
            }
            tracing::info!(peer = msg.session, node = %e.hello.node_id, remote = %e.remote, "peer disconnected");
        }
        let mut retry = Vec::new();
        if let Some(url) = &msg.outbound_url {
            // An outbound session that ended before it was admitted: a failed attempt.
            if let Some(t) = self.targets.get_mut(url) {
                if t.dialling && t.session.is_none() {
                    t.dialling = false;
                    if t.covered_by.is_none() {
                        t.failures += 1;
                        t.last_error = Some("the handshake did not complete".into());
                        self.schedule_retry(&url.clone(), ctx);
                    }
                }
            }
        }
        for (url, t) in self.targets.iter_mut() {
            if t.session == Some(msg.session) {
                t.session = None;
                retry.push(url.clone());
            }
            if t.covered_by == Some(msg.session) {
                t.covered_by = None;
                retry.push(url.clone());
            }
        }
        for url in retry {
            if let Some(t) = self.targets.get_mut(&url) {
                t.failures = 0;
            }
            self.schedule_retry(&url, ctx);
        }
    }
}

impl Handler<DialFailed> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: DialFailed, ctx: &mut Context<Self>) {
        if let Some(t) = self.targets.get_mut(&msg.url) {
            t.dialling = false;
            t.failures += 1;
            tracing::debug!(url = %msg.url, failures = t.failures, error = %msg.error, "could not reach peer");
            t.last_error = Some(msg.error.chars().take(256).collect());
        }
        self.schedule_retry(&msg.url, ctx);
    }
}

impl Handler<PeerTraffic> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: PeerTraffic, _: &mut Context<Self>) {
        for (kind, t) in msg.received {
            let e = self.traffic_in.entry(kind).or_default();
            e.messages += t.messages;
            e.bytes += t.bytes;
        }
        for (kind, t) in msg.sent {
            let e = self.traffic_out.entry(kind).or_default();
            e.messages += t.messages;
            e.bytes += t.bytes;
        }
        self.skipped_broadcasts += msg.skipped;
        self.write_timeouts += msg.write_timeouts;
        // Only live sessions: a report that arrives after its session ended is not kept.
        if self.sessions.contains_key(&msg.session) {
            self.queued.insert(msg.session, msg.queued_bytes);
        }
    }
}

impl Handler<GetPeerMetrics> for PeerActor {
    type Result = MessageResult<GetPeerMetrics>;
    fn handle(&mut self, _: GetPeerMetrics, _: &mut Context<Self>) -> Self::Result {
        let inbound = self.sessions.values().filter(|e| e.direction == Direction::Inbound).count();
        let now = Instant::now();
        MessageResult(PeerMetrics {
            inbound,
            outbound: self.sessions.len() - inbound,
            banned: self.bans.values().filter(|until| **until > now).count(),
            received: self.traffic_in.clone(),
            sent: self.traffic_out.clone(),
            refused: self.refused.clone(),
            skipped_broadcasts: self.skipped_broadcasts,
            write_timeouts: self.write_timeouts,
            refused_connections: self.refused_connections.clone(),
            queued_bytes: self.queued.values().sum(),
        })
    }
}

impl Handler<Misbehaved> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: Misbehaved, _: &mut Context<Self>) {
        let code = msg.misbehaviour.code();
        *self.refused.entry(code).or_default() += 1;
        if let Some(e) = self.sessions.get_mut(&msg.session) {
            e.score = msg.score;
        }
        if msg.score >= BAN_SCORE {
            // The proven id, the address it came from, and the URL we dialled: a new id from
            // the same address does not lift the ban.
            if let Some(node) = msg.node_id {
                self.ban(BanKey::Node(node));
            }
            if let Some(ip) = msg.ip {
                self.ban(BanKey::Ip(ip));
            }
            if let Some(url) = msg.url {
                self.ban(BanKey::Url(url));
            }
            if let Some(e) = self.sessions.get(&msg.session) {
                e.disconnect.do_send(Disconnect { code });
            }
        }
    }
}

impl Handler<PeerTip> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: PeerTip, _: &mut Context<Self>) {
        if let Some(e) = self.sessions.get_mut(&msg.session) {
            if msg.reported || msg.height >= e.best_height {
                e.best_height = msg.height;
                e.best_hash = msg.hash;
            }
        }
    }
}

impl Handler<LearnAddresses> for PeerActor {
    type Result = ();
    fn handle(&mut self, msg: LearnAddresses, _: &mut Context<Self>) {
        let own = self.cx.as_ref().map(|c| c.listen_url.to_string());
        for url in msg.urls.into_iter().take(MAX_PEER_ADDRESSES) {
            if is_peer_url(&url) && Some(&url) != own.as_ref() && self.known.len() < MAX_KNOWN_ADDRESSES {
                self.known.insert(url);
            }
        }
    }
}

impl Handler<GetPeerUrls> for PeerActor {
    type Result = MessageResult<GetPeerUrls>;
    fn handle(&mut self, msg: GetPeerUrls, _: &mut Context<Self>) -> Self::Result {
        // Only addresses of the documented form, at most 64 of at most 255 bytes: a PEERS
        // answer always fits the message limit and no honest node is punished for relaying it.
        let mut urls: Vec<String> = self.sessions.values().filter_map(|e| e.hello.listen.clone()).collect();
        urls.extend(self.known.iter().cloned());
        urls.retain(|u| is_peer_url(u) && Some(u) != msg.exclude.as_ref());
        urls.sort();
        urls.dedup();
        urls.truncate(MAX_PEER_ADDRESSES);
        MessageResult(urls)
    }
}

impl Handler<ConnectPeer> for PeerActor {
    type Result = Result<(), ConnectPeerError>;
    fn handle(&mut self, msg: ConnectPeer, ctx: &mut Context<Self>) -> Self::Result {
        let url = msg.url.trim().to_string();
        if !is_peer_url(&url) {
            return Err(ConnectPeerError::NotAPeerUrl(url.chars().take(300).collect()));
        }
        if self.cx.as_ref().is_some_and(|c| *c.listen_url == url) {
            return Err(ConnectPeerError::OwnAddress);
        }
        self.bans.remove(&BanKey::Url(url.clone()));
        self.add_target(url.clone(), true);
        self.dial(url, ctx);
        Ok(())
    }
}

impl Handler<GetPeers> for PeerActor {
    type Result = MessageResult<GetPeers>;
    fn handle(&mut self, _: GetPeers, _: &mut Context<Self>) -> Self::Result {
        let mut peers: Vec<PeerView> = self
            .sessions
            .iter()
            .map(|(id, e)| PeerView {
                id: *id,
                node_id: e.hello.node_id.to_string(),
                direction: match e.direction {
                    Direction::Inbound => "inbound",
                    Direction::Outbound(_) => "outbound",
                },
                url: match &e.direction {
                    Direction::Outbound(u) => Some(u.clone()),
                    Direction::Inbound => e.hello.listen.clone(),
                },
                remote: e.remote.clone(),
                http_url: e.hello.http.clone(),
                agent: e.hello.agent.clone(),
                best_height: e.best_height,
                best_hash: e.best_hash,
                score: e.score,
                connected_at: e.connected_at,
            })
            .collect();
        peers.sort_by_key(|p| p.id);
        let now = Instant::now();
        let pending = self
            .targets
            .iter()
            .filter(|(_, t)| t.session.is_none() && t.covered_by.is_none())
            .map(|(url, t)| PendingPeer {
                url: url.clone(),
                state: if t.dialling { "connecting" } else { "waiting" },
                failures: t.failures,
                retry_in_ms: t.next_attempt.saturating_duration_since(now).as_millis() as u64,
                last_error: t.last_error.clone(),
            })
            .collect();
        let banned = self
            .bans
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(k, until)| (k.to_string(), until.saturating_duration_since(now).as_secs()))
            .collect();
        let (node_id, listen_url) = match &self.cx {
            Some(c) => (c.node_id.to_string(), c.listen_url.to_string()),
            None => (String::new(), String::new()),
        };
        let isolated_until_ms = self.isolation.as_ref().filter(|_| self.is_isolated()).map(|i| i.until_ms);
        MessageResult(PeersView { peers, pending, banned, node_id, listen_url, isolated_until_ms })
    }
}

impl Handler<ChainEvent> for PeerActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, _: &mut Context<Self>) {
        self.our_height = event.status.height;
        let except = match event.origin {
            BlockOrigin::Peer { session, .. } => Some(session),
            BlockOrigin::Miner => None,
        };
        let connected = &event.switch.connected;
        let start = connected.len().saturating_sub(MAX_ANNOUNCED_BLOCKS);
        for block in &connected[start..] {
            self.broadcast(&WireMessage::Block { block: block.clone() }, except);
        }
        if !connected.is_empty() {
            tracing::debug!(blocks = connected.len() - start, peers = self.sessions.len(), "blocks announced to peers");
        }
    }
}

impl Handler<MempoolEvent> for PeerActor {
    type Result = ();
    fn handle(&mut self, event: MempoolEvent, _: &mut Context<Self>) {
        if let MempoolEvent::Accepted { tx, origin, .. } = event {
            let except = match origin {
                TxOrigin::Peer { session, .. } => Some(session),
                _ => None,
            };
            self.broadcast(&WireMessage::Transaction { transaction: tx }, except);
        }
    }
}

impl Handler<Isolate> for PeerActor {
    type Result = MessageResult<Isolate>;
    fn handle(&mut self, msg: Isolate, ctx: &mut Context<Self>) -> Self::Result {
        let epoch = self.isolation.as_ref().map_or(0, |i| i.epoch) + 1;
        if msg.seconds == 0 {
            if let Some(current) = self.isolation.as_ref().map(|i| i.epoch) {
                self.rejoin(current, ctx);
            }
            return MessageResult(Isolation { isolated_until_ms: None, dropped_peers: 0 });
        }
        let seconds = msg.seconds.min(MAX_ISOLATION_SECONDS);
        let mut dropped: Vec<String> = self.isolation.take().map(|i| i.dropped).unwrap_or_default();
        for e in self.sessions.values() {
            e.disconnect.do_send(Disconnect { code: Refusal::Isolated.code() });
            if let Some(listen) = &e.hello.listen {
                if !dropped.contains(listen) {
                    dropped.push(listen.clone());
                }
            }
        }
        let dropped_peers = self.sessions.len();
        let until_ms = crate::clock::now_ms().saturating_add(seconds * 1_000);
        let length = Duration::from_secs(seconds);
        self.isolation = Some(IsolationState { until: Instant::now() + length, until_ms, epoch, dropped });
        tracing::info!(seconds, dropped_peers, "isolated from the network");
        ctx.run_later(length, move |act, ctx| act.rejoin(epoch, ctx));
        MessageResult(Isolation { isolated_until_ms: Some(until_ms), dropped_peers })
    }
}

impl Handler<ShutdownPeers> for PeerActor {
    type Result = ();
    fn handle(&mut self, _: ShutdownPeers, _: &mut Context<Self>) {
        self.shutting_down = true;
        for e in self.sessions.values() {
            e.disconnect.do_send(Disconnect { code: "shutting_down" });
        }
    }
}
