//! [`PeerSession`]: one actor per peer connection that speaks the wire protocol ([`crate::wire`]):
//! handshake, rate budget, heartbeats, and the translation of each message into typed messages to
//! the chain, mempool and peer actors. It never touches the socket: the socket actor of the
//! connection ([`crate::peer_socket_in`] or [`crate::peer_socket_out`]) turns frames into
//! [`SocketEvent`]s and carries out [`SocketCommand`]s, so the protocol is written once for both
//! directions.

use crate::chain_actor::{BlockOrigin, BlockRefused, ChainActor, GetBlocksForPeer, GetLocator, GetStatus, SubmitBlock};
use crate::config::P2pConfig;
use crate::mempool_actor::{GetPending, MempoolActor, RemoveConfirmed, SubmitError, SubmitTransfer, TxOrigin};
use crate::metrics::Traffic;
use crate::peer_actor::{
    GetPeerUrls, LearnAddresses, Misbehaved, PeerActor, PeerTip, PeerTraffic, Register, Unregister,
};
use crate::wire::{Hello, WireMessage, PROTOCOL_VERSION};
use actix::prelude::*;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::Placement;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::mempool::MempoolError;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::transaction::{CheckedTransfer, TxError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The score at which a peer is disconnected and refused for `ban_seconds`.
pub const BAN_SCORE: u32 = 100;

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

/// Returns a fresh session id.
pub fn next_session_id() -> u64 {
    NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed)
}

/// Which side opened the connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "direction", content = "url")]
pub enum Direction {
    /// The peer dialled us.
    Inbound,
    /// We dialled the peer at this URL.
    Outbound(String),
}

/// What a socket actor tells its session.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum SocketEvent {
    /// A whole text message arrived.
    Text(String),
    /// The peer showed it is alive (a pong frame).
    Alive,
    /// The peer broke the framing rules (binary frame, oversize message, bad continuation).
    Malformed(String),
    /// The connection closed.
    Closed,
}

/// What a session asks its socket actor to do.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum SocketCommand {
    /// Send a text frame.
    Text(Arc<str>),
    /// Close the connection (with a reason for the close frame).
    Close(String),
}

/// Sends a wire message (already serialised, with its type) to the peer; from the peer actor.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SendWire(pub Arc<str>, pub &'static str);

/// Asks the session to close.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    /// The reason code sent in `REJECT`.
    pub code: String,
}

/// What every session of a node shares.
#[derive(Clone)]
pub struct SessionContext {
    /// The chain actor.
    pub chain: Addr<ChainActor>,
    /// The mempool actor.
    pub mempool: Addr<MempoolActor>,
    /// The peer router.
    pub peers: Addr<PeerActor>,
    /// The network's parameters.
    pub params: Arc<NetworkParams>,
    /// The genesis hash.
    pub genesis: BlockHash,
    /// This node's random id.
    pub node_id: Arc<str>,
    /// The URL we accept peers on.
    pub listen_url: Arc<str>,
    /// Our HTTP API's URL, shared in the handshake.
    pub http_url: Arc<str>,
    /// P2P limits.
    pub config: Arc<P2pConfig>,
}

/// A token bucket: `rate` messages per second, bursts of twice that.
#[derive(Debug)]
struct RateBudget {
    tokens: f64,
    rate: f64,
    last: Instant,
}

impl RateBudget {
    fn new(rate: u32) -> RateBudget {
        RateBudget { tokens: rate as f64 * 2.0, rate: rate as f64, last: Instant::now() }
    }

    fn take(&mut self, cost: f64) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.rate * 2.0);
        self.last = now;
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }
}

/// Compares two non-negative decimal integers given as text.
pub fn decimal_greater(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    (a.len(), a) > (b.len(), b)
}

/// One peer connection's protocol state.
pub struct PeerSession {
    id: u64,
    direction: Direction,
    remote: String,
    socket: Recipient<SocketCommand>,
    cx: SessionContext,
    peer: Option<Hello>,
    registered: bool,
    budget: RateBudget,
    last_activity: Instant,
    score: u32,
    sync_in_flight: bool,
    sync_generation: u64,
    unconnected_batches: u32,
    closing: bool,
    /// Messages that arrived while our admission of the peer was in flight.
    early: Vec<WireMessage>,
    traffic_in: BTreeMap<&'static str, Traffic>,
    traffic_out: BTreeMap<&'static str, Traffic>,
}

/// The most pending transfers (highest fees first) sent to a newly connected peer.
pub const PENDING_SHARED_ON_CONNECT: usize = 100;

/// The most messages kept while a peer's admission is in flight.
const MAX_EARLY_MESSAGES: usize = 64;

impl PeerSession {
    /// Returns a session for a new connection.
    pub fn new(
        id: u64,
        direction: Direction,
        remote: String,
        socket: Recipient<SocketCommand>,
        cx: SessionContext,
    ) -> PeerSession {
        let budget = RateBudget::new(cx.config.messages_per_second);
        PeerSession {
            id,
            direction,
            remote,
            socket,
            cx,
            peer: None,
            registered: false,
            budget,
            last_activity: Instant::now(),
            score: 0,
            sync_in_flight: false,
            sync_generation: 0,
            unconnected_batches: 0,
            closing: false,
            early: Vec::new(),
            traffic_in: BTreeMap::new(),
            traffic_out: BTreeMap::new(),
        }
    }

    fn send(&mut self, msg: &WireMessage) {
        let text: Arc<str> = Arc::from(msg.to_text());
        self.count_sent(msg.kind(), text.len());
        self.socket.do_send(SocketCommand::Text(text));
    }

    fn count_sent(&mut self, kind: &'static str, bytes: usize) {
        let t = self.traffic_out.entry(kind).or_default();
        t.messages += 1;
        t.bytes += bytes as u64;
    }

    /// Reports the traffic counted since the last report to the peer actor.
    fn flush_traffic(&mut self) {
        if self.traffic_in.is_empty() && self.traffic_out.is_empty() {
            return;
        }
        let received = std::mem::take(&mut self.traffic_in).into_iter().collect();
        let sent = std::mem::take(&mut self.traffic_out).into_iter().collect();
        self.cx.peers.do_send(PeerTraffic { received, sent });
    }

    fn close(&mut self, code: &str, message: String, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        tracing::info!(peer = self.id, remote = %self.remote, code, reason = %message, "closing peer connection");
        self.send(&WireMessage::Reject { code: code.to_string(), message });
        self.close_quietly(code, ctx);
    }

    /// Closes without sending `REJECT` (used when the peer rejected us).
    fn close_quietly(&mut self, code: &str, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.socket.do_send(SocketCommand::Close(code.to_string()));
        ctx.stop();
    }

    /// Scores the peer down; at [`BAN_SCORE`] it is disconnected and banned by the router.
    fn misbehave(&mut self, code: &str, penalty: u32, message: String, ctx: &mut Context<Self>) {
        self.score = self.score.saturating_add(penalty);
        tracing::warn!(peer = self.id, remote = %self.remote, code, penalty, score = self.score, reason = %message, "peer misbehaved");
        self.cx.peers.do_send(Misbehaved {
            session: self.id,
            node_id: self.peer.as_ref().map(|p| p.node_id.clone()),
            url: match &self.direction {
                Direction::Outbound(url) => Some(url.clone()),
                Direction::Inbound => None,
            },
            penalty,
            score: self.score,
            reason: code.to_string(),
        });
        if self.score >= BAN_SCORE {
            self.close(code, message, ctx);
        }
    }

    /// Sends our `HELLO`. The session handles nothing else until it is sent, so no other message
    /// of ours can overtake it.
    fn send_hello(&self, ctx: &mut Context<Self>) {
        let cx = self.cx.clone();
        let socket = self.socket.clone();
        let status = self.cx.chain.send(GetStatus);
        ctx.wait(
            async move {
                if let Ok(status) = status.await {
                    let hello = WireMessage::Hello(Hello {
                        network: cx.params.network_id.clone(),
                        genesis: cx.genesis,
                        node_id: cx.node_id.to_string(),
                        version: PROTOCOL_VERSION,
                        agent: format!("bitcoin_rust/{}", env!("CARGO_PKG_VERSION")),
                        best_height: status.height,
                        best_hash: status.tip,
                        total_work: status.total_work,
                        listen: Some(cx.listen_url.to_string()),
                        http: Some(cx.http_url.to_string()),
                    });
                    socket.do_send(SocketCommand::Text(Arc::from(hello.to_text())));
                }
            }
            .into_actor(self),
        );
    }

    /// Asks the peer for the blocks after our best chain's locator.
    fn request_sync(&mut self, ctx: &mut Context<Self>) {
        if self.sync_in_flight || self.closing {
            return;
        }
        self.sync_in_flight = true;
        let limit = self.cx.config.sync_batch_blocks as u32;
        let locator = self.cx.chain.send(GetLocator);
        ctx.spawn(locator.into_actor(self).map(move |locator, act, ctx| match locator {
            Ok(locator) => {
                tracing::debug!(peer = act.id, "requesting blocks");
                act.send(&WireMessage::GetBlocks { locator: Some(locator), from_height: None, limit: Some(limit) });
                // If the peer never answers, allow asking again later.
                act.sync_generation += 1;
                let generation = act.sync_generation;
                let wait = Duration::from_millis(act.cx.config.peer_timeout_ms);
                ctx.run_later(wait, move |act, _| {
                    if act.sync_generation == generation {
                        act.sync_in_flight = false;
                    }
                });
            }
            Err(_) => act.sync_in_flight = false,
        }));
    }

    fn on_hello(&mut self, hello: Hello, ctx: &mut Context<Self>) {
        if self.peer.is_some() {
            return self.misbehave("duplicate_hello", BAN_SCORE, "HELLO sent twice".into(), ctx);
        }
        if hello.network != self.cx.params.network_id || hello.genesis != self.cx.genesis {
            return self.close(
                "wrong_network",
                format!(
                    "we are on {} (genesis {}), the peer on {} (genesis {})",
                    self.cx.params.network_id, self.cx.genesis, hello.network, hello.genesis
                ),
                ctx,
            );
        }
        if hello.version < PROTOCOL_VERSION {
            return self.close("unsupported_version", format!("protocol version {} is too old", hello.version), ctx);
        }
        if *hello.node_id == *self.cx.node_id {
            return self.close("self_connection", "this is our own node".into(), ctx);
        }
        if hello.node_id.is_empty() || hello.node_id.len() > 64 {
            return self.misbehave("malformed", BAN_SCORE, "node_id must be 1..=64 characters".into(), ctx);
        }
        self.peer = Some(hello.clone());
        let register = self.cx.peers.send(Register {
            session: self.id,
            recipient: ctx.address().recipient(),
            disconnect: ctx.address().recipient(),
            hello: hello.clone(),
            direction: self.direction.clone(),
            remote: self.remote.clone(),
        });
        ctx.spawn(register.into_actor(self).then(move |result, act, ctx| {
            let status = act.cx.chain.send(GetStatus);
            match result {
                Ok(Ok(())) => {
                    act.registered = true;
                    tracing::info!(peer = act.id, node = %hello.node_id, remote = %act.remote, height = hello.best_height, direction = ?act.direction, "peer connected");
                    act.send(&WireMessage::GetPeers);
                    // Share what is pending: transfers accepted before this peer was connected
                    // would otherwise only reach it with the block that mines them.
                    // Only when we are not behind it: otherwise some could already be mined there.
                    let pending = act.cx.mempool.send(GetPending { limit: PENDING_SHARED_ON_CONNECT });
                    let our_status = act.cx.chain.send(GetStatus);
                    let peer_work = hello.total_work.clone();
                    let fut = async move { (pending.await, our_status.await) };
                    ctx.spawn(fut.into_actor(act).map(move |(pending, status), act, _| {
                        let behind = status.map(|s| decimal_greater(&peer_work, &s.total_work)).unwrap_or(true);
                        if !behind {
                            for transaction in pending.unwrap_or_default() {
                                act.send(&WireMessage::Transaction { transaction });
                            }
                        }
                    }));
                    for msg in std::mem::take(&mut act.early) {
                        act.on_message(msg, ctx);
                    }
                }
                Ok(Err(reason)) => act.close(&reason, format!("connection refused: {reason}"), ctx),
                Err(_) => act.close("shutting_down", "the node is stopping".into(), ctx),
            }
            status.into_actor(act).map(move |status, act, ctx| {
                if let Ok(status) = status {
                    if act.registered && decimal_greater(&hello.total_work, &status.total_work) {
                        act.request_sync(ctx);
                    }
                }
            })
        }));
    }

    fn on_block(&mut self, block: Block, ctx: &mut Context<Self>) {
        let height = block.header.height.0;
        let hash = block.hash();
        let submit = self.cx.chain.send(SubmitBlock { block, origin: BlockOrigin::Peer(self.id) });
        ctx.spawn(submit.into_actor(self).map(move |result, act, ctx| match result {
            Ok(Ok(accepted)) => {
                act.cx.peers.do_send(PeerTip { session: act.id, height, hash, reported: false });
                if let Placement::Orphan { .. } = accepted.placement {
                    act.request_sync(ctx);
                }
            }
            Ok(Err(BlockRefused::Invalid { rule, message })) => act.misbehave(rule, BAN_SCORE, message, ctx),
            Ok(Err(e)) => tracing::debug!(peer = act.id, error = %e, "block not taken"),
            Err(_) => {}
        }));
    }

    fn on_chain(&mut self, blocks: Vec<Block>, ctx: &mut Context<Self>) {
        self.sync_in_flight = false;
        if blocks.is_empty() {
            return;
        }
        let chain = self.cx.chain.clone();
        let origin = BlockOrigin::Peer(self.id);
        let last = blocks.last().map(|b| (b.header.height.0, b.hash()));
        let fut = async move {
            let mut orphan = false;
            let mut new_blocks = 0usize;
            for block in blocks {
                match chain.send(SubmitBlock { block, origin }).await {
                    Ok(Ok(a)) => {
                        orphan = matches!(a.placement, Placement::Orphan { .. });
                        if a.placement != Placement::AlreadyKnown {
                            new_blocks += 1;
                        }
                    }
                    Ok(Err(e)) => return Err(e),
                    Err(_) => return Err(BlockRefused::Storage("the chain is unavailable".into())),
                }
            }
            Ok((orphan, new_blocks))
        };
        ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| match result {
            Ok((orphan, new_blocks)) => {
                if let Some((height, hash)) = last {
                    act.cx.peers.do_send(PeerTip { session: act.id, height, hash, reported: false });
                }
                if orphan {
                    act.unconnected_batches += 1;
                    if act.unconnected_batches > 5 {
                        return act.close("sync_failed", "the peer's blocks never connect to our chain".into(), ctx);
                    }
                    act.request_sync(ctx);
                } else if new_blocks > 0 {
                    // Progress: ask for what follows until the peer has nothing new.
                    act.unconnected_batches = 0;
                    act.request_sync(ctx);
                }
            }
            Err(BlockRefused::Invalid { rule, message }) => act.misbehave(rule, BAN_SCORE, message, ctx),
            Err(e) => tracing::debug!(peer = act.id, error = %e, "sync batch stopped"),
        }));
    }

    fn on_transaction(&mut self, tx: bitcoin_rust_core::transaction::Transfer, ctx: &mut Context<Self>) {
        let checked = match CheckedTransfer::check(tx, &self.cx.params) {
            Ok(c) => c,
            Err(e) => return self.misbehave("invalid_transaction", BAN_SCORE, e.to_string(), ctx),
        };
        let submit = self.cx.mempool.send(SubmitTransfer { tx: checked, origin: TxOrigin::Peer(self.id) });
        ctx.spawn(submit.into_actor(self).map(|result, act, ctx| match result {
            Ok(Err(SubmitError::Refused(MempoolError::Invalid(
                e @ (TxError::BadNonce { .. } | TxError::BalanceMismatch { .. }),
            )))) => {
                // Stale: an honest peer can be a block behind or on another branch: a token
                // penalty that only a stream of them turns into a ban.
                act.misbehave("stale_transaction", 2, e.to_string(), ctx)
            }
            Ok(Err(SubmitError::Refused(e @ MempoolError::AlreadyConfirmed { .. }))) => {
                act.misbehave("stale_transaction", 20, e.to_string(), ctx)
            }
            Ok(Err(SubmitError::Refused(MempoolError::Invalid(e)))) => {
                act.misbehave("invalid_transaction", BAN_SCORE, e.to_string(), ctx)
            }
            _ => {}
        }));
    }

    fn on_get_blocks(
        &mut self,
        locator: Option<Vec<BlockHash>>,
        from_height: Option<u64>,
        limit: Option<u32>,
        ctx: &mut Context<Self>,
    ) {
        let limit = limit.map(|l| l as usize).unwrap_or(usize::MAX).min(self.cx.config.sync_batch_blocks).max(1);
        let ask = self.cx.chain.send(GetBlocksForPeer {
            locator,
            from_height,
            limit,
            max_bytes: self.cx.config.max_message_bytes / 4,
        });
        ctx.spawn(ask.into_actor(self).map(|blocks, act, _| {
            if let Ok(Ok(chain)) = blocks {
                act.send(&WireMessage::Chain { chain });
            }
        }));
    }

    fn on_message(&mut self, msg: WireMessage, ctx: &mut Context<Self>) {
        if !self.registered {
            return match msg {
                WireMessage::Hello(h) => self.on_hello(h, ctx),
                WireMessage::Reject { code, message } => {
                    tracing::info!(peer = self.id, remote = %self.remote, code = %code, reason = %message, "the peer refused us");
                    self.close_quietly(&code, ctx)
                }
                other if self.peer.is_some() => {
                    // Our admission of the peer is in flight; a fast peer may already talk.
                    if self.early.len() >= MAX_EARLY_MESSAGES {
                        return self.misbehave("flood", BAN_SCORE, "too many messages before admission".into(), ctx);
                    }
                    self.early.push(other);
                }
                other => self.misbehave("no_handshake", BAN_SCORE, format!("{} before HELLO", other.kind()), ctx),
            };
        }
        match msg {
            WireMessage::Hello(_) => self.misbehave("duplicate_hello", BAN_SCORE, "HELLO sent twice".into(), ctx),
            WireMessage::Block { block } => self.on_block(block, ctx),
            WireMessage::Chain { chain } => self.on_chain(chain, ctx),
            WireMessage::Transaction { transaction } => self.on_transaction(transaction, ctx),
            WireMessage::ClearTransactions => self.cx.mempool.do_send(RemoveConfirmed),
            WireMessage::GetBlocks { locator, from_height, limit } => {
                self.on_get_blocks(locator, from_height, limit, ctx)
            }
            WireMessage::GetPeers => {
                let ask =
                    self.cx.peers.send(GetPeerUrls { exclude: self.peer.as_ref().and_then(|p| p.listen.clone()) });
                ctx.spawn(ask.into_actor(self).map(|urls, act, _| {
                    act.send(&WireMessage::Peers { peers: urls.unwrap_or_default() });
                }));
            }
            WireMessage::Peers { peers } => {
                self.cx.peers.do_send(LearnAddresses { urls: peers });
            }
            WireMessage::Ping { nonce, best_height, best_hash } => {
                if let (Some(height), Some(hash)) = (best_height, best_hash) {
                    self.cx.peers.do_send(PeerTip { session: self.id, height, hash, reported: true });
                }
                self.send(&WireMessage::Pong { nonce })
            }
            WireMessage::Pong { .. } => {}
            WireMessage::Reject { code, message } => {
                tracing::info!(peer = self.id, remote = %self.remote, code = %code, reason = %message, "the peer closed the connection");
                self.close_quietly(&code, ctx)
            }
        }
    }
}

impl Actor for PeerSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.send_hello(ctx);
        let handshake = Duration::from_millis(self.cx.config.handshake_timeout_ms);
        ctx.run_later(handshake, |act, ctx| {
            if !act.registered {
                act.close("handshake_timeout", "no valid HELLO in time".into(), ctx);
            }
        });
        let heartbeat = Duration::from_millis(self.cx.config.heartbeat_interval_ms);
        let timeout = Duration::from_millis(self.cx.config.peer_timeout_ms);
        ctx.run_interval(heartbeat, move |act, ctx| {
            // Old misdemeanours fade: one point per heartbeat.
            act.score = act.score.saturating_sub(1);
            act.flush_traffic();
            if act.last_activity.elapsed() > timeout {
                act.close("timeout", "the peer went silent".into(), ctx);
            } else {
                let status = act.cx.chain.send(GetStatus);
                ctx.spawn(status.into_actor(act).map(|status, act, _| {
                    let (best_height, best_hash) = match status {
                        Ok(s) => (Some(s.height), Some(s.tip)),
                        Err(_) => (None, None),
                    };
                    act.send(&WireMessage::Ping { nonce: rand::random(), best_height, best_hash });
                }));
            }
        });
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.flush_traffic();
        let outbound_url = match &self.direction {
            Direction::Outbound(url) => Some(url.clone()),
            Direction::Inbound => None,
        };
        self.cx.peers.do_send(Unregister { session: self.id, outbound_url });
        self.socket.do_send(SocketCommand::Close("closed".into()));
    }
}

impl Handler<SocketEvent> for PeerSession {
    type Result = ();
    fn handle(&mut self, event: SocketEvent, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        match event {
            SocketEvent::Text(text) => {
                self.last_activity = Instant::now();
                // One token per message plus one per 64 KiB, so big messages cost more.
                let cost = 1.0 + (text.len() / 65_536) as f64;
                if !self.budget.take(cost) {
                    return self.misbehave("flood", BAN_SCORE, "message rate budget exceeded".into(), ctx);
                }
                match WireMessage::decode(&text) {
                    Ok(msg) => {
                        let t = self.traffic_in.entry(msg.kind()).or_default();
                        t.messages += 1;
                        t.bytes += text.len() as u64;
                        self.on_message(msg, ctx)
                    }
                    Err(e) => self.misbehave(e.rule(), BAN_SCORE, e.to_string(), ctx),
                }
            }
            SocketEvent::Alive => self.last_activity = Instant::now(),
            SocketEvent::Malformed(reason) => self.misbehave("malformed", BAN_SCORE, reason, ctx),
            SocketEvent::Closed => ctx.stop(),
        }
    }
}

impl Handler<SendWire> for PeerSession {
    type Result = ();
    fn handle(&mut self, msg: SendWire, _: &mut Context<Self>) {
        if self.registered && !self.closing {
            self.count_sent(msg.1, msg.0.len());
            self.socket.do_send(SocketCommand::Text(msg.0));
        }
    }
}

impl Handler<Disconnect> for PeerSession {
    type Result = ();
    fn handle(&mut self, msg: Disconnect, ctx: &mut Context<Self>) {
        self.close(&msg.code, "disconnected by this node".into(), ctx);
    }
}

/// Why a binary frame is refused.
pub const BINARY_FRAME: &str = "binary frames are not part of the protocol";

/// Reassembles continuation frames into one text message, within a size limit.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Option<Vec<u8>>,
}

impl Reassembler {
    /// Takes one continuation frame of either socket actor; returns what to tell the session,
    /// if anything (the whole text after the last part, or why the framing is refused).
    pub fn feed(&mut self, item: actix_http::ws::Item, max: usize) -> Option<SocketEvent> {
        use actix_http::ws::Item;
        let result = match item {
            Item::FirstText(part) => self.first(&part, max).map(|_| None),
            Item::FirstBinary(_) => Err(BINARY_FRAME.to_string()),
            Item::Continue(part) => self.next(&part, false, max),
            Item::Last(part) => self.next(&part, true, max),
        };
        match result {
            Ok(text) => text.map(SocketEvent::Text),
            Err(reason) => Some(SocketEvent::Malformed(reason)),
        }
    }

    /// Starts a fragmented text message.
    ///
    /// # Errors
    /// A reason when a message is already in progress or the part is too large.
    pub fn first(&mut self, part: &[u8], max: usize) -> Result<(), String> {
        if self.buf.is_some() {
            return Err("a new fragmented message started before the last one ended".into());
        }
        if part.len() > max {
            return Err(format!("message exceeds {max} bytes"));
        }
        self.buf = Some(part.to_vec());
        Ok(())
    }

    /// Adds a middle or last part; returns the whole text after the last one.
    ///
    /// # Errors
    /// A reason for a part without a start, an oversize message or invalid UTF-8.
    pub fn next(&mut self, part: &[u8], last: bool, max: usize) -> Result<Option<String>, String> {
        let Some(buf) = self.buf.as_mut() else {
            return Err("continuation frame without a first frame".into());
        };
        if buf.len() + part.len() > max {
            self.buf = None;
            return Err(format!("message exceeds {max} bytes"));
        }
        buf.extend_from_slice(part);
        if !last {
            return Ok(None);
        }
        let bytes = self.buf.take().unwrap_or_default();
        String::from_utf8(bytes).map(Some).map_err(|_| "text message is not UTF-8".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_comparison() {
        assert!(decimal_greater("10", "9"));
        assert!(!decimal_greater("9", "10"));
        assert!(!decimal_greater("0010", "10"));
        assert!(decimal_greater("123456789012345678901234567890", "123456789012345678901234567889"));
    }

    #[test]
    fn reassembly_respects_limits() {
        let mut r = Reassembler::default();
        r.first(b"ab", 5).unwrap();
        assert_eq!(r.next(b"c", false, 5).unwrap(), None);
        assert_eq!(r.next(b"d", true, 5).unwrap(), Some("abcd".into()));
        assert!(r.next(b"x", true, 5).is_err());
        r.first(b"abc", 5).unwrap();
        assert!(r.next(b"def", true, 5).is_err());
        assert!(r.first(b"toolong", 5).is_err());
    }

    #[test]
    fn rate_budget_allows_bursts_then_refuses() {
        let mut b = RateBudget::new(10);
        let allowed = (0..100).filter(|_| b.take(1.0)).count();
        assert!((20..=21).contains(&allowed), "{allowed}");
    }
}
