//! [`PeerSession`]: one actor per peer connection that speaks the wire protocol
//! (PROTOCOL.md §8): the authenticated handshake, the message and work budgets, heartbeats, and
//! the translation of each message into typed messages to the chain, mempool and router.
//!
//! What a peer can make the node spend is bounded here. The session handles one message at a
//! time: while a message's work is in flight (a chain query, a signature check, a large parse),
//! while the peer is over its work budget, and while its send queue ([`OutQueue`]) is full, the
//! reader does not read the connection, so the peer's further bytes wait in the kernel, not in
//! our memory, and no peer can queue more than one request in a shared actor's mailbox. A queue
//! that stays full past `p2p.write_timeout_ms` drops the connection and frees what it held.

use super::budget::{cost_of_bytes, TokenBucket, COST_MESSAGE, COST_SIGNATURE};
use super::context::SessionContext;
use super::cpu;
use super::framing::{close_frame, read_frames, text_frame, OutQueue, SocketEvent};
use super::messages::{
    Direction, Disconnect, GetPeerUrls, LearnAddresses, Misbehaved, PeerTip, PeerTraffic, Refusal, Register, SendWire,
    Unregister,
};
use super::misbehaviour::{Misbehaviour, BAN_SCORE};
use crate::chain_actor::{BlockOrigin, BlockRefused, GetLocator, GetStatus, SubmitBlock, SubmitBlocks};
use crate::mempool_actor::{GetPending, SubmitError, SubmitTransfer, TxOrigin};
use crate::metrics::Traffic;
use actix::prelude::*;
use actix_http::ws::{Frame, Message as WsMessage, ProtocolError};
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::read::{self, BlocksRequest};
use bitcoin_rust_core::chain::Placement;
use bitcoin_rust_core::handshake::{sign_auth, verify_auth, AuthContext, AuthSignature, HandshakeNonce, NodeId};
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::mempool::MempoolError;
use bitcoin_rust_core::store::ChainSnapshot;
use bitcoin_rust_core::target::Work;
use bitcoin_rust_core::transaction::{CheckedTransfer, Transfer, TxError};
use bitcoin_rust_core::wire::{Hello, WireMessage, PROTOCOL_VERSION};
use futures_util::future::LocalBoxFuture;
use futures_util::stream::LocalBoxStream;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most pending transfers (highest fees first) sent to a newly connected peer.
pub const PENDING_SHARED_ON_CONNECT: usize = 100;
/// Messages larger than this are parsed on the bounded CPU pool, not on the session's thread.
pub const PARSE_OFF_THREAD_BYTES: usize = 64 * 1024;
/// How many transfer ids a session remembers of what its peer sent (a resend costs a penalty,
/// not a signature check).
pub const SEEN_TRANSFERS: usize = 4_096;
/// How long a closing connection may take to send its `REJECT` and close frame.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

/// Returns a fresh session id.
pub fn next_session_id() -> u64 {
    NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed)
}

/// Where the handshake stands.
#[derive(Debug)]
enum Phase {
    /// Waiting for the peer's `HELLO`.
    Hello,
    /// The peer's `HELLO` came; waiting for its `AUTH`.
    Auth(Box<Hello>),
    /// The peer proved its id; the router is deciding.
    Registering,
    /// Admitted: every message of §8.3 is handled.
    Admitted,
}

/// The transfer ids a peer sent, the oldest forgotten first, each with what sending it again
/// costs: as much as its refusal did, or [`Misbehaviour::RepeatedTransaction`].
#[derive(Debug, Default)]
struct SeenTransfers {
    map: HashMap<TxId, Misbehaviour>,
    order: VecDeque<TxId>,
}

impl SeenTransfers {
    /// Remembers `id`; returns what a resend costs if it was already there.
    fn insert(&mut self, id: TxId) -> Option<Misbehaviour> {
        if let Some(m) = self.map.get(&id) {
            return Some(m.clone());
        }
        self.map.insert(id, Misbehaviour::RepeatedTransaction);
        self.order.push_back(id);
        if self.order.len() > SEEN_TRANSFERS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        None
    }

    /// Records that `id` was refused for `m`: sending it again costs the same.
    fn refused(&mut self, id: TxId, m: &Misbehaviour) {
        if let Some(slot) = self.map.get_mut(&id) {
            *slot = m.clone();
        }
    }
}

/// The queue drained below half its cap, or emptied after the session finished it.
#[derive(Message)]
#[rtype(result = "()")]
struct QueueDrained;

/// One peer connection's protocol state.
pub struct PeerSession {
    id: u64,
    direction: Direction,
    remote: String,
    ip: Option<IpAddr>,
    cx: SessionContext,
    queue: OutQueue,
    gate: tokio::sync::watch::Sender<bool>,
    frames: Option<LocalBoxStream<'static, Result<Frame, ProtocolError>>>,
    writer: Option<LocalBoxFuture<'static, ()>>,
    our_nonce: HandshakeNonce,
    phase: Phase,
    peer: Option<Hello>,
    busy: bool,
    throttled_until: Option<Instant>,
    messages: TokenBucket,
    work: TokenBucket,
    last_activity: Instant,
    score: u32,
    sync_in_flight: bool,
    /// The best height the peer reported (its hello, its pings): while a batch it sent ends
    /// below it, the next batch is asked for before this one is validated.
    peer_best_height: u64,
    sync_generation: u64,
    unconnected_batches: u32,
    closing: bool,
    seen: SeenTransfers,
    traffic_in: BTreeMap<&'static str, Traffic>,
    traffic_out: BTreeMap<&'static str, Traffic>,
    skipped: u64,
    write_timeouts: u64,
    reported_queue: usize,
}

/// The two ends of a connection a session drives: frames in, and (for outbound connections)
/// the task that writes its queue to the socket. Inbound connections write from the HTTP
/// response body instead.
pub struct Connection {
    /// Frames received.
    pub frames: LocalBoxStream<'static, Result<Frame, ProtocolError>>,
    /// The queue of frames to send.
    pub queue: OutQueue,
    /// The writer, if the session must run it.
    pub writer: Option<LocalBoxFuture<'static, ()>>,
}

impl PeerSession {
    /// Returns a session for a new connection.
    pub fn new(
        direction: Direction,
        remote: String,
        ip: Option<IpAddr>,
        cx: SessionContext,
        connection: Connection,
    ) -> PeerSession {
        let messages = TokenBucket::new(cx.config.messages_per_second);
        let work = TokenBucket::new(cx.config.work_per_second);
        PeerSession {
            id: next_session_id(),
            direction,
            remote,
            ip,
            cx,
            queue: connection.queue,
            gate: tokio::sync::watch::channel(false).0,
            frames: Some(connection.frames),
            writer: connection.writer,
            our_nonce: HandshakeNonce::random(),
            phase: Phase::Hello,
            peer: None,
            busy: false,
            throttled_until: None,
            messages,
            work,
            last_activity: Instant::now(),
            score: 0,
            sync_in_flight: false,
            peer_best_height: 0,
            sync_generation: 0,
            unconnected_batches: 0,
            closing: false,
            seen: SeenTransfers::default(),
            traffic_in: BTreeMap::new(),
            traffic_out: BTreeMap::new(),
            skipped: 0,
            write_timeouts: 0,
            reported_queue: 0,
        }
    }

    /// Opens or closes the reader: it reads only when no work is in flight, the peer is within
    /// its work budget, the send queue has room, and the session is not closing.
    fn update_gate(&mut self) {
        let throttled = self.throttled_until.is_some_and(|t| t > Instant::now());
        let open = !self.busy && !throttled && !self.queue.is_full() && !self.closing;
        self.gate.send_if_modified(|g| std::mem::replace(g, open) != open);
    }

    /// Charges work to the peer's budget; over budget, its reading stops until it refills.
    fn charge(&mut self, cost: f64, ctx: &mut Context<Self>) {
        let wait = self.work.charge(cost);
        if wait > Duration::ZERO {
            let until = Instant::now() + wait;
            self.throttled_until = Some(until);
            ctx.run_later(wait, |act, _| act.update_gate());
        }
        self.update_gate();
    }

    /// Runs `fut` as this message's work: nothing more is read until it is done.
    fn work<T: 'static>(
        &mut self,
        fut: impl std::future::Future<Output = T> + 'static,
        ctx: &mut Context<Self>,
        then: impl FnOnce(T, &mut Self, &mut Context<Self>) + 'static,
    ) {
        self.busy = true;
        self.update_gate();
        ctx.spawn(fut.into_actor(self).map(move |out, act, ctx| {
            act.busy = false;
            act.last_activity = Instant::now();
            if !act.closing {
                then(out, act, ctx);
            }
            act.update_gate();
        }));
    }

    /// Queues a message; `answer` marks the one answer a request may have, which is queued
    /// even over the cap (the reader is stopped then, so at most one is). Others are skipped
    /// while the queue is full. Returns the bytes queued, if it was.
    fn send(&mut self, msg: &WireMessage, answer: bool) -> Option<usize> {
        self.queue_text(&msg.to_text(), msg.kind(), answer)
    }

    /// Queues an already serialised message of type `kind` (see [`PeerSession::send`]).
    fn queue_text(&mut self, text: &str, kind: &'static str, answer: bool) -> Option<usize> {
        let (frame, len) = text_frame(text);
        let queued = if answer { self.queue.push_answer(frame, len) } else { self.queue.push(frame, len) };
        if queued {
            self.count_sent(kind, text.len());
            Some(text.len())
        } else {
            self.skipped += 1;
            None
        }
    }

    fn count_sent(&mut self, kind: &'static str, bytes: usize) {
        let t = self.traffic_out.entry(kind).or_default();
        t.messages += 1;
        t.bytes += bytes as u64;
    }

    /// Reports the traffic counted since the last report to the router.
    fn flush_traffic(&mut self) {
        let queued_bytes = self.queue.bytes();
        if self.traffic_in.is_empty()
            && self.traffic_out.is_empty()
            && self.skipped == 0
            && self.write_timeouts == 0
            && queued_bytes == self.reported_queue
        {
            return;
        }
        self.reported_queue = queued_bytes;
        self.cx.router.traffic.do_send(PeerTraffic {
            session: self.id,
            queued_bytes,
            received: std::mem::take(&mut self.traffic_in).into_iter().collect(),
            sent: std::mem::take(&mut self.traffic_out).into_iter().collect(),
            skipped: std::mem::take(&mut self.skipped),
            write_timeouts: std::mem::take(&mut self.write_timeouts),
        });
    }

    fn begin_close(&mut self, last: Vec<(WsMessage, usize)>, ctx: &mut Context<Self>) {
        self.closing = true;
        self.queue.finish_with(last);
        self.update_gate();
        if self.queue.is_done() {
            ctx.stop();
        } else {
            ctx.run_later(CLOSE_GRACE, |_, ctx| ctx.stop());
        }
    }

    /// Sends `REJECT` and the close frame, then closes.
    fn close(&mut self, code: &str, message: String, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        tracing::info!(peer = self.id, remote = %self.remote, code, reason = %message, "closing peer connection");
        let reject = WireMessage::Reject { code: code.to_string(), message }.to_text();
        self.count_sent("REJECT", reject.len());
        self.begin_close(vec![text_frame(&reject), close_frame(code)], ctx);
    }

    /// Closes without sending `REJECT` (used when the peer rejected us).
    fn close_quietly(&mut self, code: &str, ctx: &mut Context<Self>) {
        if !self.closing {
            self.begin_close(vec![close_frame(code)], ctx);
        }
    }

    /// The peer's node id, proven by its handshake (blocks and transfers are only taken once it
    /// is done; before that, our own id stands in, which no peer can claim).
    fn peer_node_id(&self) -> NodeId {
        self.peer.as_ref().map_or(self.cx.node_id, |p| p.node_id)
    }

    /// Scores the peer down and tells the router (which decides bans); at [`BAN_SCORE`] the
    /// connection closes.
    fn misbehave(&mut self, m: Misbehaviour, message: String, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        self.score = self.score.saturating_add(m.penalty());
        if m.penalty() == 0 {
            // What honest peers also send: counted, not worth a warning.
            tracing::debug!(peer = self.id, remote = %self.remote, code = m.code(), reason = %message, "peer message refused");
        } else {
            tracing::warn!(peer = self.id, remote = %self.remote, code = m.code(), penalty = m.penalty(), score = self.score, reason = %message, "peer misbehaved");
        }
        let code = m.code();
        self.cx.router.misbehaved.do_send(Misbehaved {
            session: self.id,
            node_id: self.peer.as_ref().map(|p| p.node_id),
            ip: self.ip,
            url: match &self.direction {
                Direction::Outbound(url) => Some(url.clone()),
                Direction::Inbound => None,
            },
            misbehaviour: m,
            score: self.score,
        });
        if self.score >= BAN_SCORE {
            self.close(code, message, ctx);
        }
    }

    /// Queues our `HELLO`, then starts reading: no message of ours can overtake it.
    fn send_hello(&mut self, ctx: &mut Context<Self>) {
        let status = self.cx.chain.send(GetStatus);
        ctx.wait(status.into_actor(self).map(|status, act, ctx| {
            let Ok(status) = status else {
                return ctx.stop();
            };
            let hello = WireMessage::Hello(Hello {
                network: act.cx.params.network_id.clone(),
                genesis: act.cx.genesis,
                node_id: act.cx.node_id,
                nonce: act.our_nonce,
                version: PROTOCOL_VERSION,
                agent: format!("bitcoin_rust/{}", env!("CARGO_PKG_VERSION")),
                best_height: status.height,
                best_hash: status.tip,
                total_work: Work::from_decimal(&status.total_work).unwrap_or_default(),
                listen: Some(act.cx.listen_url.to_string()),
                http: Some(act.cx.http_url.to_string()),
            });
            act.send(&hello, true);
            if let Some(frames) = act.frames.take() {
                let reader = read_frames(
                    frames,
                    ctx.address().recipient(),
                    act.gate.subscribe(),
                    act.cx.config.max_message_bytes,
                );
                ctx.spawn(reader.into_actor(act));
            }
            act.update_gate();
        }));
    }

    fn on_hello(&mut self, hello: Hello, ctx: &mut Context<Self>) {
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
            return self.close(
                "unsupported_version",
                format!("protocol version {} is too old (this node needs {PROTOCOL_VERSION})", hello.version),
                ctx,
            );
        }
        if hello.node_id == self.cx.node_id {
            return self.close("self_connection", "this is our own node".into(), ctx);
        }
        let (peer_id, peer_nonce) = (hello.node_id, hello.nonce);
        self.phase = Phase::Auth(Box::new(hello));
        let cx = AuthContext {
            network: &self.cx.params.network_id,
            genesis: self.cx.genesis,
            signer: self.cx.node_id,
            signer_nonce: self.our_nonce,
            verifier: peer_id,
            verifier_nonce: peer_nonce,
        };
        let signature = sign_auth(&self.cx.key, &cx);
        self.send(&WireMessage::Auth { signature }, true);
    }

    fn on_auth(&mut self, signature: AuthSignature, ctx: &mut Context<Self>) {
        let Phase::Auth(hello) = std::mem::replace(&mut self.phase, Phase::Registering) else {
            return self.misbehave(Misbehaviour::DuplicateHello, "AUTH sent twice".into(), ctx);
        };
        let peer_id = hello.node_id;
        let (network, genesis, verifier) = (self.cx.params.network_id.clone(), self.cx.genesis, self.cx.node_id);
        let (signer_nonce, verifier_nonce) = (hello.nonce, self.our_nonce);
        self.charge(COST_SIGNATURE, ctx);
        let check = cpu::run(move || {
            verify_auth(
                &signature,
                &AuthContext { network: &network, genesis, signer: peer_id, signer_nonce, verifier, verifier_nonce },
            )
        });
        self.work(check, ctx, move |verified, act, ctx| match verified {
            Some(Ok(())) => act.register(*hello, ctx),
            Some(Err(e)) => act.misbehave(Misbehaviour::BadAuth, e.to_string(), ctx),
            None => act.close("shutting_down", "the node is stopping".into(), ctx),
        });
    }

    fn register(&mut self, hello: Hello, ctx: &mut Context<Self>) {
        self.peer = Some(hello.clone());
        let register = self.cx.router.register.send(Register {
            session: self.id,
            recipient: ctx.address().recipient(),
            disconnect: ctx.address().recipient(),
            hello: hello.clone(),
            direction: self.direction.clone(),
            remote: self.remote.clone(),
            ip: self.ip,
        });
        self.work(register, ctx, move |result, act, ctx| match result {
            Ok(Ok(())) => {
                act.phase = Phase::Admitted;
                act.peer_best_height = hello.best_height;
                tracing::info!(peer = act.id, node = %hello.node_id, remote = %act.remote, height = hello.best_height, direction = ?act.direction, "peer connected");
                act.send(&WireMessage::GetPeers, false);
                act.share_pending_and_sync(hello.total_work, ctx);
            }
            Ok(Err(refusal)) => act.refused(refusal, ctx),
            Err(_) => act.close("shutting_down", "the node is stopping".into(), ctx),
        });
    }

    fn refused(&mut self, refusal: Refusal, ctx: &mut Context<Self>) {
        self.close(refusal.code(), format!("connection refused: {refusal}"), ctx);
    }

    /// After admission: shares our best pending transfers (unless the peer is ahead: some
    /// could be mined there already) and syncs from a peer with more work. Our own initiative,
    /// so it runs beside the peer's messages, not as their work.
    fn share_pending_and_sync(&mut self, peer_work: Work, ctx: &mut Context<Self>) {
        let pending = self.cx.mempool.send(GetPending { limit: PENDING_SHARED_ON_CONNECT });
        let status = self.cx.chain.send(GetStatus);
        let fut = async move { (pending.await, status.await) };
        ctx.spawn(fut.into_actor(self).map(move |(pending, status), act, ctx| {
            let ours = status.ok().and_then(|s| Work::from_decimal(&s.total_work));
            let behind = !matches!(ours, Some(w) if w >= peer_work);
            if !behind {
                for transaction in pending.unwrap_or_default() {
                    act.send(&WireMessage::Transaction { transaction }, false);
                }
            } else {
                act.request_sync(ctx);
            }
        }));
    }

    /// A peer's ping reported its tip: when it is above ours and a block we do not have, asks
    /// for the blocks after our locator. This is how a node learns of blocks its peer had
    /// before the connection was admitted but after its `HELLO` was written (they were never
    /// announced to this connection). Costs one store look-up per ping (pings are within the
    /// message budget) and at most one `GET_BLOCKS` in flight; a known tip costs no request.
    fn sync_if_tip_unknown(&mut self, height: u64, hash: BlockHash, ctx: &mut Context<Self>) {
        if self.sync_in_flight || self.closing {
            return;
        }
        let reader = self.cx.reader.clone();
        let unknown =
            cpu::run(move || reader.read_here(|s| Ok(s.tip_height()?.0 < height && s.header(&hash)?.is_none())));
        self.work(unknown, ctx, |unknown, act, ctx| {
            if let Some(Ok(true)) = unknown {
                act.request_sync(ctx);
            }
        });
    }

    /// Asks the peer for the blocks after our best chain's locator.
    fn request_sync(&mut self, ctx: &mut Context<Self>) {
        if self.sync_in_flight || self.closing {
            return;
        }
        self.sync_in_flight = true;
        let locator = self.cx.chain.send(GetLocator);
        ctx.spawn(locator.into_actor(self).map(move |locator, act, ctx| match locator {
            Ok(locator) => act.send_get_blocks(locator, ctx),
            Err(_) => act.sync_in_flight = false,
        }));
    }

    /// Sends `GET_BLOCKS` for the blocks after `locator`; if the peer never answers, asking
    /// again is allowed after the peer timeout.
    fn send_get_blocks(&mut self, locator: Vec<BlockHash>, ctx: &mut Context<Self>) {
        tracing::debug!(peer = self.id, "requesting blocks");
        let limit = self.cx.config.sync_batch_blocks as u32;
        self.send(&WireMessage::GetBlocks { locator: Some(locator), from_height: None, limit: Some(limit) }, true);
        self.sync_generation += 1;
        let generation = self.sync_generation;
        let wait = Duration::from_millis(self.cx.config.peer_timeout_ms);
        ctx.run_later(wait, move |act, _| {
            if act.sync_generation == generation {
                act.sync_in_flight = false;
            }
        });
    }

    fn on_block(&mut self, block: Block, ctx: &mut Context<Self>) {
        let height = block.header.height.0;
        let hash = block.hash();
        let submit = self
            .cx
            .chain
            .send(SubmitBlock { block, origin: BlockOrigin::Peer { session: self.id, node: self.peer_node_id() } });
        self.work(submit, ctx, move |result, act, ctx| match result {
            Ok(Ok(accepted)) => {
                act.cx.router.tip.do_send(PeerTip { session: act.id, height, hash, reported: false });
                if let Placement::Orphan { .. } = accepted.placement {
                    act.request_sync(ctx);
                }
            }
            Ok(Err(BlockRefused::Invalid { rule, message })) => {
                act.misbehave(Misbehaviour::InvalidBlock(rule), message, ctx)
            }
            Ok(Err(e)) => tracing::debug!(peer = act.id, error = %e, "block not taken"),
            Err(_) => {}
        });
    }

    fn on_chain(&mut self, blocks: Vec<Block>, ctx: &mut Context<Self>) {
        self.sync_in_flight = false;
        if blocks.is_empty() {
            return;
        }
        let full_batch = blocks.len() >= self.cx.config.sync_batch_blocks.min(50);
        let origin = BlockOrigin::Peer { session: self.id, node: self.peer_node_id() };
        let last = blocks.last().map(|b| (b.header.height.0, b.hash()));
        // More to come: a full batch, or one that ends below the height the peer reported (an
        // answer cut short by its byte budget: large blocks). Ask for the next one now, after
        // its last block, so the peer reads and sends it while this one is validated (its answer
        // waits in the socket meanwhile). One request is in flight at most, whatever the peer
        // claims.
        let more = full_batch || last.is_some_and(|(height, _)| height < self.peer_best_height);
        if let (true, Some((_, hash)), false) = (more, last, self.closing) {
            self.sync_in_flight = true;
            self.send_get_blocks(vec![hash], ctx);
        }
        // One message for the batch: one durable write and one chain event for all of it.
        let submit = self.cx.chain.send(SubmitBlocks { blocks, origin });
        let fut = async move {
            match submit.await {
                Ok(Ok(a)) => Ok((a.orphan, a.new_blocks)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(BlockRefused::Storage("the chain is unavailable".into())),
            }
        };
        self.work(fut, ctx, move |result, act, ctx| match result {
            Ok((orphan, new_blocks)) => {
                if let Some((height, hash)) = last {
                    act.cx.router.tip.do_send(PeerTip { session: act.id, height, hash, reported: false });
                }
                if orphan {
                    act.unconnected_batches += 1;
                    if act.unconnected_batches > 5 {
                        return act.close("sync_failed", "the peer's blocks never connect to our chain".into(), ctx);
                    }
                    act.request_sync(ctx);
                } else if new_blocks > 0 || full_batch {
                    // Progress: ask for what follows until the peer has nothing new (unless the
                    // next batch was asked for already).
                    act.unconnected_batches = 0;
                    act.request_sync(ctx);
                }
            }
            Err(BlockRefused::Invalid { rule, message }) => {
                act.misbehave(Misbehaviour::InvalidBlock(rule), message, ctx)
            }
            Err(e) => tracing::debug!(peer = act.id, error = %e, "sync batch stopped"),
        });
    }

    fn on_transaction(&mut self, tx: Transfer, ctx: &mut Context<Self>) {
        // A resend of what this peer already sent costs a small penalty, never a signature check.
        let id = tx.id;
        if let Some(repeat) = self.seen.insert(id) {
            return self.misbehave(repeat, format!("transaction {id} was already sent on this connection"), ctx);
        }
        self.charge(COST_SIGNATURE, ctx);
        let params = self.cx.params.clone();
        let check = cpu::run(move || CheckedTransfer::check(tx, &params));
        self.work(check, ctx, move |checked, act, ctx| match checked {
            Some(Ok(checked)) => act.submit_transfer(checked, ctx),
            Some(Err(e)) => {
                act.seen.refused(id, &Misbehaviour::InvalidTransaction);
                act.misbehave(Misbehaviour::InvalidTransaction, e.to_string(), ctx)
            }
            None => {}
        });
    }

    fn submit_transfer(&mut self, checked: CheckedTransfer, ctx: &mut Context<Self>) {
        let id = checked.transfer().id;
        let submit = self.cx.mempool.send(SubmitTransfer {
            tx: checked,
            origin: TxOrigin::Peer { session: self.id, node: self.peer_node_id() },
        });
        self.work(submit, ctx, move |result, act, ctx| {
            let (m, message) = match result {
                Ok(Err(SubmitError::Refused(MempoolError::Invalid(
                    e @ (TxError::BadNonce { .. } | TxError::BalanceMismatch { .. }),
                )))) => {
                    // Stale: an honest peer can be a block behind or on another branch: a token
                    // penalty that only a stream of them turns into a ban.
                    (Misbehaviour::StaleTransaction, e.to_string())
                }
                Ok(Err(SubmitError::Refused(e @ MempoolError::AlreadyConfirmed { .. }))) => {
                    (Misbehaviour::ReplayedTransaction, e.to_string())
                }
                Ok(Err(SubmitError::Refused(MempoolError::Invalid(e)))) => {
                    (Misbehaviour::InvalidTransaction, e.to_string())
                }
                _ => return,
            };
            act.seen.refused(id, &m);
            act.misbehave(m, message, ctx)
        });
    }

    fn on_get_blocks(
        &mut self,
        locator: Option<Vec<BlockHash>>,
        from_height: Option<u64>,
        limit: Option<u32>,
        ctx: &mut Context<Self>,
    ) {
        let limit = limit.map(|l| l as usize).unwrap_or(usize::MAX).min(self.cx.config.sync_batch_blocks).max(1);
        // The binary size is a lower bound of the JSON size (about 2.2× it): a third of the
        // queue's cap keeps one answer within it.
        let max_bytes = (self.cx.config.max_message_bytes / 4).min(self.cx.config.send_queue_bytes / 3).max(1);
        let request = BlocksRequest { locator, from_height, limit, max_bytes };
        let reader = self.cx.reader.clone();
        // Read from a snapshot of the store on the CPU pool: never behind validation.
        let ask = cpu::run(move || reader.read_here(|s| read::blocks_for_peer(s, &request)));
        self.work(ask, ctx, |blocks, act, ctx| {
            if let Some(Ok(chain)) = blocks {
                let sent = act.send(&WireMessage::Chain { chain }, true).unwrap_or(0);
                act.charge(cost_of_bytes(sent), ctx);
            }
        });
    }

    fn on_message(&mut self, msg: WireMessage, ctx: &mut Context<Self>) {
        match (&self.phase, msg) {
            (_, WireMessage::Reject { code, message }) => {
                let code: String = code.chars().take(64).collect();
                tracing::info!(peer = self.id, remote = %self.remote, code = %code, reason = %message.chars().take(256).collect::<String>(), "the peer closed the connection");
                self.close_quietly(&code, ctx)
            }
            (Phase::Hello, WireMessage::Hello(h)) => self.on_hello(h, ctx),
            (Phase::Auth(_), WireMessage::Auth { signature }) => self.on_auth(signature, ctx),
            (Phase::Auth(_) | Phase::Registering, WireMessage::Hello(_)) => {
                self.misbehave(Misbehaviour::DuplicateHello, "HELLO sent twice".into(), ctx)
            }
            (Phase::Hello | Phase::Auth(_) | Phase::Registering, other) => self.misbehave(
                Misbehaviour::NoHandshake,
                format!("{} before the handshake completed", other.kind()),
                ctx,
            ),
            (Phase::Admitted, WireMessage::Hello(_) | WireMessage::Auth { .. }) => {
                self.misbehave(Misbehaviour::DuplicateHello, "HELLO or AUTH after the handshake".into(), ctx)
            }
            (Phase::Admitted, WireMessage::Block { block }) => self.on_block(block, ctx),
            (Phase::Admitted, WireMessage::Chain { chain }) => self.on_chain(chain, ctx),
            (Phase::Admitted, WireMessage::Transaction { transaction }) => self.on_transaction(transaction, ctx),
            // The pool never holds what the chain includes (it is updated on every switch):
            // the first prototype's "empty your pool" has nothing left to do, and costs nothing.
            (Phase::Admitted, WireMessage::ClearTransactions) => {}
            (Phase::Admitted, WireMessage::GetBlocks { locator, from_height, limit }) => {
                self.on_get_blocks(locator, from_height, limit, ctx)
            }
            (Phase::Admitted, WireMessage::GetPeers) => {
                let exclude = self.peer.as_ref().and_then(|p| p.listen.clone());
                let ask = self.cx.router.urls.send(GetPeerUrls { exclude });
                self.work(ask, ctx, |urls, act, _| {
                    act.send(&WireMessage::Peers { peers: urls.unwrap_or_default() }, true);
                });
            }
            (Phase::Admitted, WireMessage::Peers { peers }) => {
                let learn = self.cx.router.learn.send(LearnAddresses { urls: peers });
                self.work(learn, ctx, |_, _, _| {});
            }
            (Phase::Admitted, WireMessage::Ping { nonce, best_height, best_hash }) => {
                self.send(&WireMessage::Pong { nonce }, true);
                if let (Some(height), Some(hash)) = (best_height, best_hash) {
                    self.peer_best_height = height;
                    self.cx.router.tip.do_send(PeerTip { session: self.id, height, hash, reported: true });
                    self.sync_if_tip_unknown(height, hash, ctx);
                }
            }
            (Phase::Admitted, WireMessage::Pong { .. }) => {}
        }
    }

    fn on_text(&mut self, text: String, ctx: &mut Context<Self>) {
        self.last_activity = Instant::now();
        let len = text.len();
        // Both budgets count a message as 1 plus 1 per 64 KiB (PROTOCOL.md §8.6).
        let cost = COST_MESSAGE + cost_of_bytes(len);
        if !self.messages.take(cost) {
            return self.misbehave(Misbehaviour::Flood, "message rate budget exceeded".into(), ctx);
        }
        self.charge(cost, ctx);
        if len > PARSE_OFF_THREAD_BYTES {
            let parse = cpu::run(move || WireMessage::decode(&text).map(|m| (m, len)));
            self.work(parse, ctx, |decoded, act, ctx| match decoded {
                Some(decoded) => act.on_decoded(decoded, ctx),
                None => act.close("shutting_down", "the node is stopping".into(), ctx),
            });
        } else {
            let decoded = WireMessage::decode(&text).map(|m| (m, len));
            self.on_decoded(decoded, ctx);
        }
    }

    fn on_decoded(
        &mut self,
        decoded: Result<(WireMessage, usize), bitcoin_rust_core::wire::WireError>,
        ctx: &mut Context<Self>,
    ) {
        match decoded {
            Ok((msg, len)) => {
                let t = self.traffic_in.entry(msg.kind()).or_default();
                t.messages += 1;
                t.bytes += len as u64;
                self.on_message(msg, ctx)
            }
            Err(e) => self.misbehave(Misbehaviour::of_wire_error(&e), e.to_string(), ctx),
        }
    }

    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        // Old misdemeanours fade: one point per heartbeat.
        self.score = self.score.saturating_sub(1);
        let write_timeout = Duration::from_millis(self.cx.config.write_timeout_ms);
        if self.queue.full_for().is_some_and(|d| d > write_timeout) {
            tracing::info!(peer = self.id, remote = %self.remote, queued = self.queue.bytes(), "dropping a peer that does not read");
            self.write_timeouts += 1;
            self.flush_traffic();
            self.queue.abort();
            return ctx.stop();
        }
        self.flush_traffic();
        if self.closing {
            return;
        }
        let timeout = Duration::from_millis(self.cx.config.peer_timeout_ms);
        if self.last_activity.elapsed() > timeout && !self.busy {
            return self.close("timeout", "the peer went silent".into(), ctx);
        }
        let status = self.cx.chain.send(GetStatus);
        ctx.spawn(status.into_actor(self).map(|status, act, _| {
            let (best_height, best_hash) = match status {
                Ok(s) => (Some(s.height), Some(s.tip)),
                Err(_) => (None, None),
            };
            act.send(&WireMessage::Ping { nonce: rand::random(), best_height, best_hash }, false);
        }));
    }
}

impl Actor for PeerSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        self.queue.set_on_drain(move || me.do_send(QueueDrained));
        if let Some(writer) = self.writer.take() {
            ctx.spawn(writer.into_actor(self));
        }
        self.send_hello(ctx);
        let handshake = Duration::from_millis(self.cx.config.handshake_timeout_ms);
        ctx.run_later(handshake, |act, ctx| {
            if !matches!(act.phase, Phase::Admitted) {
                act.close("handshake_timeout", "no valid HELLO and AUTH in time".into(), ctx);
            }
        });
        let heartbeat = Duration::from_millis(self.cx.config.heartbeat_interval_ms);
        ctx.run_interval(heartbeat, |act, ctx| act.heartbeat(ctx));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.flush_traffic();
        if !self.queue.is_done() {
            // Cut the connection: nothing it still holds is sent.
            self.queue.abort();
        }
        let outbound_url = match &self.direction {
            Direction::Outbound(url) => Some(url.clone()),
            Direction::Inbound => None,
        };
        let inbound_ip = if self.direction == Direction::Inbound { self.ip } else { None };
        self.cx.router.unregister.do_send(Unregister { session: self.id, outbound_url, inbound_ip });
    }
}

impl Handler<SocketEvent> for PeerSession {
    type Result = ();
    fn handle(&mut self, event: SocketEvent, ctx: &mut Context<Self>) {
        if self.closing {
            return;
        }
        match event {
            SocketEvent::Text(text) => self.on_text(text, ctx),
            SocketEvent::Ping(payload) => {
                self.last_activity = Instant::now();
                if !self.messages.take(1.0) {
                    return self.misbehave(Misbehaviour::Flood, "ping frame rate budget exceeded".into(), ctx);
                }
                let len = payload.len() + 14;
                self.queue.push(WsMessage::Pong(payload), len);
                self.update_gate();
            }
            SocketEvent::Alive => self.last_activity = Instant::now(),
            SocketEvent::Malformed(reason) => self.misbehave(Misbehaviour::Malformed, reason, ctx),
            SocketEvent::Closed => ctx.stop(),
        }
    }
}

impl Handler<QueueDrained> for PeerSession {
    type Result = ();
    fn handle(&mut self, _: QueueDrained, ctx: &mut Context<Self>) {
        if self.closing && self.queue.is_done() {
            return ctx.stop();
        }
        self.update_gate();
    }
}

impl Handler<SendWire> for PeerSession {
    type Result = ();
    fn handle(&mut self, msg: SendWire, _: &mut Context<Self>) {
        if !matches!(self.phase, Phase::Admitted) || self.closing {
            return;
        }
        self.queue_text(&msg.0, msg.1, false);
        self.update_gate();
    }
}

impl Handler<Disconnect> for PeerSession {
    type Result = ();
    fn handle(&mut self, msg: Disconnect, ctx: &mut Context<Self>) {
        self.close(msg.code, "disconnected by this node".into(), ctx);
    }
}
