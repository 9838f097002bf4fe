//! [`MempoolActor`]: owns the pool of pending transfers ([`Mempool`]). Transfers arrive already
//! checked for their stateless rules ([`CheckedTransfer`]: the HTTP handlers and peer sessions do
//! that work on their own threads); here they are checked against the tip (asking the
//! [`ChainActor`] for the sender's account) and the pool's policy. On every [`ChainEvent`] the
//! pool drops what was mined or made invalid and takes back the transfers of abandoned blocks.
//! Accepted transfers are published as [`MempoolEvent`]s (the peers relay them once) and
//! journaled ([`MempoolJournal`]) so they survive a crash; the reasons transfers left the pool
//! unmined are remembered for a while ([`GetDropped`]).

use crate::chain_actor::ChainEvent;
use crate::chain_reader::ChainReader;
use crate::mempool_journal::{Ack, MempoolJournal};
use actix::prelude::*;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::chain::read::{self, ReadError};
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::mempool::{Added, Mempool, MempoolError, MempoolLimits};
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::seen::{FirstSeen, SeenFrom, Sightings};
use bitcoin_rust_core::state::AccountsView;
use bitcoin_rust_core::store::redb_store::RedbSnapshot;
use bitcoin_rust_core::transaction::Transaction;
use bitcoin_rust_core::transaction::{CheckedTransfer, Transfer};
use std::collections::{HashMap, VecDeque};

/// Where a transfer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TxOrigin {
    /// `POST /transact` (the node's wallet).
    Wallet,
    /// `POST /transactions` (signed elsewhere).
    Http,
    /// A peer session.
    Peer {
        /// The session's number.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        session: u64,
        /// The peer's node id (proven by its handshake).
        node: NodeId,
    },
    /// Taken back from a block that left the best chain.
    Restored,
    /// Read back from the journal at start-up.
    Reloaded,
}

/// A change of the pool, published to subscribers.
// `Accepted` is the common variant (one per transfer); boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub enum MempoolEvent {
    /// A transfer entered the pool.
    Accepted {
        /// The transfer.
        tx: Transfer,
        /// Its source.
        origin: TxOrigin,
        /// Pool size after.
        size: usize,
    },
    /// Transfers left the pool (mined, invalidated, replaced or evicted).
    Removed {
        /// Their ids.
        ids: Vec<TxId>,
        /// Pool size after.
        size: usize,
    },
}

/// Registers a recipient of [`MempoolEvent`]s.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeMempool(pub Recipient<MempoolEvent>);

/// Why a submission did not enter the pool.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SubmitError {
    /// A rule or policy refused it.
    #[error(transparent)]
    Refused(#[from] MempoolError),
    /// The chain could not be asked (the node is shutting down, or its store failed a read).
    #[error("the chain's state could not be read (the node may be shutting down)")]
    Unavailable,
    /// The chain's tip moved on every time the submission read its accounts (a long sync): it
    /// was neither accepted nor refused; it may be sent again.
    #[error("the chain's tip kept moving while the transfer was checked (the node is syncing): send it again")]
    TipMoving,
}

/// A transfer the pool took.
#[derive(Debug)]
pub struct Accepted {
    /// What the pool did to make room for it (the transfer it replaced, those it evicted).
    pub added: Added,
    /// Ends once the transfer is written to the journal. Whoever tells a client "accepted"
    /// awaits it first, so that the answer survives a `kill -9`; a peer session need not
    /// (dropping it does not stop the write). The caller waits for the journal's writer thread
    /// itself: the pool's thread is not woken again for each transfer.
    pub journaled: Journaled,
}

/// See [`Accepted::journaled`]: the journal's acknowledgement of one append (none without a
/// journal, or for a transfer read back from it). A failed write is logged, not returned: the
/// transfer is in the pool either way, and the next rewrite of the journal holds it.
#[derive(Debug)]
pub struct Journaled(Option<(TxId, Ack)>);

impl std::future::Future for Journaled {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let Some((id, ack)) = self.0.as_mut() else { return std::task::Poll::Ready(()) };
        match std::pin::Pin::new(ack).poll(cx) {
            std::task::Poll::Pending => std::task::Poll::Pending,
            std::task::Poll::Ready(written) => {
                if let Err(e) = written {
                    tracing::error!(tx = %id, error = %e, "could not journal a transaction");
                }
                self.0 = None;
                std::task::Poll::Ready(())
            }
        }
    }
}

/// Submits a transfer whose stateless rules were checked.
#[derive(Message)]
#[rtype(result = "Result<Accepted, SubmitError>")]
pub struct SubmitTransfer {
    /// The transfer.
    pub tx: CheckedTransfer,
    /// Its source.
    pub origin: TxOrigin,
}

/// Returns the pending transfers, highest fee first.
#[derive(Message)]
#[rtype(result = "Vec<Transfer>")]
pub struct GetPending {
    /// The most transfers.
    pub limit: usize,
}

/// Returns a pending transfer by id.
#[derive(Message)]
#[rtype(result = "Option<Transfer>")]
pub struct GetPendingTx(pub TxId);

/// Returns when and from where this node first saw a transfer (recent ones only), whether it
/// came alone or inside a block.
#[derive(Message)]
#[rtype(result = "Option<FirstSeen>")]
pub struct GetTxFirstSeen(pub TxId);

/// How many recent transfers' first sightings the pool actor remembers.
pub const TRANSFER_SIGHTINGS: usize = 16_384;

impl TxOrigin {
    /// The source a first sighting records (`None` for a transfer taken back from a block or
    /// the journal: it was seen before).
    pub fn seen_from(&self) -> Option<SeenFrom> {
        match self {
            TxOrigin::Wallet => Some(SeenFrom::SelfNode),
            TxOrigin::Http => Some(SeenFrom::Http),
            TxOrigin::Peer { node, .. } => Some(SeenFrom::Peer(*node)),
            TxOrigin::Restored | TxOrigin::Reloaded => None,
        }
    }
}

/// Returns an address's pending transfer.
#[derive(Message)]
#[rtype(result = "Option<Transfer>")]
pub struct GetPendingOf(pub Address);

/// Pool size.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MempoolInfo {
    /// Pending transfers.
    pub count: usize,
    /// Their bytes.
    pub bytes: usize,
    /// The count limit.
    pub max_count: usize,
    /// The byte limit.
    pub max_bytes: usize,
}

/// Returns the pool size.
#[derive(Message)]
#[rtype(result = "MempoolInfo")]
pub struct GetMempoolInfo;

/// Removes the listed pending transfers that the chain includes (a peer's `CLEAR_TRANSACTIONS`).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct RemoveConfirmed;

/// Answers once the transfers of the journal have been submitted again (at once when there is
/// no reload): the node waits for it before it serves HTTP or peers, so that nobody is told a
/// transfer it accepted before the restart is unknown.
#[derive(Message)]
#[rtype(result = "()")]
pub struct WaitReloaded;

/// Why a transfer that was pending left the pool without being mined, if it did recently.
#[derive(Message)]
#[rtype(result = "Option<String>")]
pub struct GetDropped(pub TxId);

/// Drops pending transfers that no block on `tip` could include (the block template left them
/// out for a block rule), remembering the rule as the reason. Ignored when the pool is at
/// another tip: there the transfers may be valid, and the next template checks them again.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct DropUnminable {
    /// The tip the template was built on.
    pub tip: BlockHash,
    /// The transfers, each with the rule it breaks and the full error.
    pub left_out: Vec<(TxId, &'static str, String)>,
}

/// The most dropped transfers whose reason is remembered.
pub const MAX_REMEMBERED_DROPS: usize = 10_000;

/// The actor owning the pool.
pub struct MempoolActor {
    pool: Mempool,
    reader: ChainReader,
    tip: BlockHash,
    subscribers: Vec<Recipient<MempoolEvent>>,
    /// Events not sent to the subscribers yet: they go out together once the mailbox is
    /// drained ([`FlushEvents`], queued by the first of them), or at once when
    /// [`MAX_UNSENT_EVENTS`] are waiting.
    unsent: Vec<MempoolEvent>,
    journal: Option<MempoolJournal>,
    to_reload: Vec<Transfer>,
    /// The journal's transfers are being submitted again: it holds lines the pool has not
    /// taken back yet, so it must not be rewritten from the pool until that is done.
    reloading: bool,
    reload_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    /// A rewrite of the journal is queued or running on its writer thread (one at a time).
    compacting: bool,
    params: Option<NetworkParams>,
    dropped: HashMap<TxId, String>,
    dropped_order: VecDeque<TxId>,
    /// The tips this pool was at before the current one (newest last), to tell a stale chain
    /// answer from one that is ahead of the pool.
    past_tips: VecDeque<BlockHash>,
    /// Submissions whose chain answer was ahead of the pool: woken by the next `ChainEvent`.
    tip_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    /// When each recent transfer was first seen, alone or in a block.
    sightings: Sightings<TxId>,
    /// The chain snapshot submissions read their accounts from, opened by the first one after
    /// a chain event and dropped at the next or after [`SNAPSHOT_MAX_AGE`] (a snapshot and its
    /// tables opened per transfer cost more than the look-ups; dropping it soon keeps it from
    /// pinning old pages).
    snapshot: Option<RedbSnapshot>,
    /// A drop of `snapshot` is scheduled.
    snapshot_expiring: bool,
}

/// The longest a kept chain snapshot lives.
const SNAPSHOT_MAX_AGE: std::time::Duration = std::time::Duration::from_millis(100);

/// The most events held back before they are sent without waiting for the mailbox to drain (a
/// mailbox that never empties, under a flood of submissions, must not hold them forever).
const MAX_UNSENT_EVENTS: usize = 64;

/// Sends the held-back events: queued by the first event after a flush, it runs once the actor
/// has handled every message waiting in its mailbox (actix polls a context's spawned items after
/// its mailbox), so a burst of submissions wakes each subscriber's thread once, not once per
/// transfer. Order is kept: events go out in the order they happened.
struct FlushEvents;

impl Message for FlushEvents {
    type Result = ();
}

/// How many times a submission asks the chain again when the tip moved under it.
const MAX_TIP_RETRIES: u32 = 50;
/// How many past tips the pool remembers.
const PAST_TIPS: usize = 64;

impl MempoolActor {
    /// Returns an empty pool reading the chain through `reader`, whose tip is `tip`.
    pub fn new(limits: MempoolLimits, params: &NetworkParams, reader: ChainReader, tip: BlockHash) -> MempoolActor {
        MempoolActor {
            pool: Mempool::new(limits, params),
            reader,
            tip,
            subscribers: Vec::new(),
            unsent: Vec::new(),
            journal: None,
            to_reload: Vec::new(),
            reloading: false,
            reload_waiters: Vec::new(),
            compacting: false,
            params: None,
            dropped: HashMap::new(),
            dropped_order: VecDeque::new(),
            past_tips: VecDeque::new(),
            tip_waiters: Vec::new(),
            sightings: Sightings::new(TRANSFER_SIGHTINGS),
            snapshot: None,
            snapshot_expiring: false,
        }
    }

    /// Keeps every accepted transfer in `journal`, and submits `reloaded` (the journal's
    /// contents from before the restart) again when the actor starts.
    pub fn with_journal(mut self, journal: MempoolJournal, reloaded: Vec<Transfer>, params: NetworkParams) -> Self {
        self.journal = Some(journal);
        self.to_reload = reloaded;
        self.params = Some(params);
        self
    }

    fn remember_dropped(&mut self, id: TxId, why: String) {
        if self.dropped.insert(id, why).is_none() {
            self.dropped_order.push_back(id);
            if self.dropped_order.len() > MAX_REMEMBERED_DROPS {
                if let Some(old) = self.dropped_order.pop_front() {
                    self.dropped.remove(&old);
                }
            }
        }
    }

    /// Asks the journal's writer thread to rewrite the file from the pool when it has grown
    /// (or when `force`d), unless a rewrite is already on its way; the actor only copies the
    /// pool, the writing and the fsync happen on the writer thread.
    fn compact_journal(&mut self, force: bool, ctx: &mut Context<Self>) {
        let Some(journal) = &self.journal else { return };
        if self.reloading || self.compacting {
            return;
        }
        if force || journal.wants_compaction(self.pool.len()) {
            self.compacting = true;
            let done = journal.rewrite(self.pool.by_fee());
            ctx.spawn(done.into_actor(self).map(|result, act, _| {
                act.compacting = false;
                if let Err(e) = result {
                    tracing::error!(error = %e, "could not rewrite the mempool journal");
                }
            }));
        }
    }

    /// The accounts `addresses` hold at the tip of the chain's snapshot, whether `id` is
    /// confirmed there, and that tip. A snapshot whose read failed is not kept (the next
    /// submission opens a new one).
    fn accounts_at_tip(&mut self, addresses: &[Address], id: TxId) -> Result<(AccountsView, BlockHash), ReadError> {
        let snapshot = match self.snapshot.take() {
            Some(snapshot) => snapshot,
            None => self.reader.snapshot()?,
        };
        let answer = read::accounts_at_tip(&snapshot, addresses, Some(id));
        if answer.is_ok() {
            self.snapshot = Some(snapshot);
        }
        answer
    }

    /// Drops the kept snapshot [`SNAPSHOT_MAX_AGE`] after it is first used, so it never keeps
    /// redb from reusing the pages of later commits for long (commits that do not move the tip,
    /// such as side-branch blocks, send no chain event).
    fn expire_snapshot(&mut self, ctx: &mut Context<Self>) {
        if self.snapshot.is_some() && !self.snapshot_expiring {
            self.snapshot_expiring = true;
            ctx.run_later(SNAPSHOT_MAX_AGE, |act, _| {
                act.snapshot = None;
                act.snapshot_expiring = false;
            });
        }
    }

    /// Queues a transfer for the journal; the returned future ends once it is written.
    fn journal_append(&self, tx: &Transfer) -> Journaled {
        Journaled(self.journal.as_ref().map(|j| (tx.id, j.append(tx))))
    }

    /// Queues `event` for the subscribers (see [`FlushEvents`]).
    fn publish(&mut self, event: MempoolEvent, ctx: &mut Context<Self>) {
        if self.unsent.is_empty() {
            // A flush queued earlier may still be pending (after a send at the bound); a second
            // one finds nothing or these events, and sends them in order either way.
            ctx.notify(FlushEvents);
        }
        self.unsent.push(event);
        if self.unsent.len() >= MAX_UNSENT_EVENTS {
            self.send_events();
        }
    }

    fn send_events(&mut self) {
        self.subscribers.retain(|s| s.connected());
        for event in self.unsent.drain(..) {
            for s in &self.subscribers {
                s.do_send(event.clone());
            }
        }
    }

    fn info(&self) -> MempoolInfo {
        let limits = self.pool.limits();
        MempoolInfo {
            count: self.pool.len(),
            bytes: self.pool.bytes(),
            max_count: limits.max_count,
            max_bytes: limits.max_bytes,
        }
    }

    /// Reads the accounts the transfer touches (sender and recipients) from the chain's read
    /// side, then adds the transfer if the answer is about the tip this pool is at. Otherwise the
    /// chain and the pool disagree for a moment: an answer about a tip the pool has already left
    /// is stale and is asked again at once; an answer about a tip the pool has not reached yet
    /// means a `ChainEvent` is on its way, and the submission waits for it (no polling), then
    /// asks again ([`Attempt::WaitForTip`]). The common case is answered within this call.
    fn try_submit(
        &mut self,
        tx: CheckedTransfer,
        origin: TxOrigin,
        mut attempt: u32,
        ctx: &mut Context<Self>,
    ) -> Attempt {
        let sender = tx.transfer().sender();
        let id = tx.transfer().id;
        let mut addresses = vec![sender];
        addresses.extend(tx.transfer().outputs.iter().map(|o| o.address).filter(|a| *a != sender));
        loop {
            // Read here, not on a blocking thread: a few keys of a hot store cost less than the hop.
            let answer = self.accounts_at_tip(&addresses, id);
            self.expire_snapshot(ctx);
            let (view, answer_tip) = match answer {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(tx = %id, error = %e, "the chain's read side failed");
                    return Attempt::Done(Err(SubmitError::Unavailable));
                }
            };
            if answer_tip == self.tip {
                return Attempt::Done(self.add_at_tip(tx, origin, &view, ctx));
            }
            if attempt >= MAX_TIP_RETRIES {
                // The chain kept moving under the submission (a long sync): the accounts read
                // are not the pool's tip's, so they cannot decide; the caller may try again.
                tracing::debug!(tx = %id, "the chain's tip kept moving under a submission");
                return Attempt::Done(Err(SubmitError::TipMoving));
            }
            attempt += 1;
            if self.past_tips.contains(&answer_tip) {
                // Stale: the chain moved on after answering, and the pool with it.
                self.snapshot = None;
                continue;
            }
            // Ahead: the chain event that brings the pool to that tip is on its way.
            let (wake, woken) = tokio::sync::oneshot::channel();
            self.tip_waiters.push(wake);
            return Attempt::WaitForTip { tx, woken, attempt };
        }
    }

    /// Waits for the chain event `woken` stands for, then tries the submission again.
    fn submit_after_tip(
        &mut self,
        tx: CheckedTransfer,
        origin: TxOrigin,
        woken: tokio::sync::oneshot::Receiver<()>,
        attempt: u32,
    ) -> ResponseActFuture<Self, Result<Accepted, SubmitError>> {
        let wait = async move {
            let _ = woken.await;
        };
        Box::pin(wait.into_actor(self).then(move |(), act, ctx| match act.try_submit(tx, origin, attempt, ctx) {
            Attempt::Done(result) => Box::pin(actix::fut::ready(result)) as ResponseActFuture<Self, _>,
            Attempt::WaitForTip { tx, woken, attempt } => act.submit_after_tip(tx, origin, woken, attempt),
        }))
    }

    /// Adds a transfer checked against the pool's tip (`view`), journals and publishes it.
    fn add_at_tip(
        &mut self,
        tx: CheckedTransfer,
        origin: TxOrigin,
        view: &AccountsView,
        ctx: &mut Context<Self>,
    ) -> Result<Accepted, SubmitError> {
        let transfer = tx.transfer().clone();
        let (id, sender) = (transfer.id, transfer.sender());
        let added = match self.pool.add(tx, view) {
            Ok(added) => added,
            Err(e) => {
                tracing::debug!(tx = %id, ?origin, error = %e, "transaction refused");
                return Err(SubmitError::Refused(e));
            }
        };
        tracing::debug!(tx = %id, sender = %sender, fee = transfer.input.fee.0, ?origin, pool = self.pool.len(), "transaction accepted");
        // Queued before the acceptance is answered (see mempool_journal); a reloaded transfer is
        // in the journal already.
        let journaled = if origin == TxOrigin::Reloaded { Journaled(None) } else { self.journal_append(&transfer) };
        if let Some(old) = added.replaced {
            self.remember_dropped(old, format!("replaced by {id} (same sender and nonce, higher fee)"));
        }
        for evicted in &added.evicted {
            self.remember_dropped(*evicted, "evicted: the pool was full and its fee rate was the lowest".into());
        }
        let mut removed: Vec<TxId> = added.evicted.clone();
        removed.extend(added.replaced);
        if !removed.is_empty() {
            let size = self.pool.len();
            self.publish(MempoolEvent::Removed { ids: removed, size }, ctx);
        }
        if let Some(from) = origin.seen_from() {
            self.sightings.note(id, crate::clock::now_ms(), from);
        }
        let size = self.pool.len();
        self.publish(MempoolEvent::Accepted { tx: transfer, origin, size }, ctx);
        self.compact_journal(false, ctx);
        Ok(Accepted { added, journaled })
    }
}

/// Where [`MempoolActor::try_submit`] got to.
enum Attempt {
    /// Accepted or refused.
    Done(Result<Accepted, SubmitError>),
    /// The chain's read side is ahead of the pool: ask again once the pool has caught up.
    WaitForTip { tx: CheckedTransfer, woken: tokio::sync::oneshot::Receiver<()>, attempt: u32 },
}

impl Handler<FlushEvents> for MempoolActor {
    type Result = ();
    fn handle(&mut self, _: FlushEvents, _: &mut Context<Self>) {
        self.send_events();
    }
}

impl Actor for MempoolActor {
    type Context = Context<Self>;

    /// Events still held back go out before the actor ends.
    fn stopped(&mut self, _: &mut Context<Self>) {
        self.send_events();
    }

    fn started(&mut self, ctx: &mut Context<Self>) {
        let transfers = std::mem::take(&mut self.to_reload);
        let Some(params) = self.params.clone() else { return };
        if transfers.is_empty() {
            return self.compact_journal(true, ctx);
        }
        self.reloading = true;
        let me = ctx.address();
        let total = transfers.len();
        let reload = async move {
            let mut accepted = 0usize;
            let mut refused = Vec::new();
            for tx in transfers {
                let id = tx.id;
                let checked = match CheckedTransfer::check(tx, &params) {
                    Ok(c) => c,
                    Err(e) => {
                        refused.push((id, e.to_string()));
                        continue;
                    }
                };
                match me.send(SubmitTransfer { tx: checked, origin: TxOrigin::Reloaded }).await {
                    Ok(Ok(_)) => accepted += 1,
                    Ok(Err(SubmitError::Refused(MempoolError::AlreadyPending { .. }))) => {}
                    Ok(Err(e)) => refused.push((id, e.to_string())),
                    Err(_) => return (accepted, refused),
                }
            }
            (accepted, refused)
        };
        ctx.spawn(reload.into_actor(self).map(move |(accepted, refused), act, ctx| {
            for (id, why) in &refused {
                tracing::info!(tx = %id, reason = %why, "a transaction pending before the restart is no longer valid");
                act.remember_dropped(*id, format!("refused when reloaded after a restart: {why}"));
            }
            tracing::info!(journaled = total, accepted, refused = refused.len(), "mempool reloaded from its journal");
            act.reloading = false;
            act.compact_journal(true, ctx);
            for waiter in act.reload_waiters.drain(..) {
                let _ = waiter.send(());
            }
        }));
    }
}

impl Handler<WaitReloaded> for MempoolActor {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: WaitReloaded, _: &mut Context<Self>) -> Self::Result {
        if !self.reloading {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.reload_waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<GetDropped> for MempoolActor {
    type Result = Option<String>;
    fn handle(&mut self, msg: GetDropped, _: &mut Context<Self>) -> Self::Result {
        self.dropped.get(&msg.0).cloned()
    }
}

impl Handler<SubscribeMempool> for MempoolActor {
    type Result = ();
    fn handle(&mut self, msg: SubscribeMempool, _: &mut Context<Self>) {
        self.subscribers.push(msg.0);
    }
}

impl Handler<SubmitTransfer> for MempoolActor {
    type Result = ActorResponse<Self, Result<Accepted, SubmitError>>;
    fn handle(&mut self, msg: SubmitTransfer, ctx: &mut Context<Self>) -> Self::Result {
        if self.pool.get(&msg.tx.transfer().id).is_some() {
            let id = msg.tx.transfer().id;
            return ActorResponse::reply(Err(SubmitError::Refused(MempoolError::AlreadyPending { id })));
        }
        match self.try_submit(msg.tx, msg.origin, 0, ctx) {
            Attempt::Done(result) => ActorResponse::reply(result),
            Attempt::WaitForTip { tx, woken, attempt } => {
                ActorResponse::r#async(self.submit_after_tip(tx, msg.origin, woken, attempt))
            }
        }
    }
}

impl Handler<ChainEvent> for MempoolActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, ctx: &mut Context<Self>) {
        if self.tip != event.switch.new_tip {
            self.past_tips.push_back(self.tip);
            if self.past_tips.len() > PAST_TIPS {
                self.past_tips.pop_front();
            }
        }
        self.tip = event.switch.new_tip;
        self.snapshot = None;
        // Submissions that waited for this tip (or any later one) ask again, after the pool
        // has been brought to it (the wake-ups run once this handler returns).
        for wake in self.tip_waiters.drain(..) {
            let _ = wake.send(());
        }
        // Transfers first seen inside a block were seen where the block came from.
        let from = event.origin.seen_from();
        let at = crate::clock::now_ms();
        for block in &event.switch.connected {
            for t in &block.transactions {
                if let Transaction::Normal(t) = t {
                    self.sightings.note(t.id, at, from);
                }
            }
        }
        let r = self.pool.on_chain_switch(&event.switch);
        let mut removed: Vec<TxId> = r.included.clone();
        removed.extend(r.dropped.iter().map(|(id, _)| *id));
        for (id, why) in &r.dropped {
            tracing::info!(tx = %id, reason = %why, "pending transaction dropped");
            self.remember_dropped(*id, format!("made invalid by the new best chain: {why}"));
        }
        self.compact_journal(false, ctx);
        if !r.included.is_empty() || !r.dropped.is_empty() || !r.restored.is_empty() {
            tracing::info!(
                mined = r.included.len(),
                dropped = r.dropped.len(),
                restored = r.restored.len(),
                pool = self.pool.len(),
                "mempool updated for the new tip"
            );
        }
        if !removed.is_empty() {
            let size = self.pool.len();
            self.publish(MempoolEvent::Removed { ids: removed, size }, ctx);
        }
        for id in r.restored {
            if let Some(tx) = self.pool.get(&id).cloned() {
                ctx.spawn(self.journal_append(&tx).into_actor(self));
                let size = self.pool.len();
                self.publish(MempoolEvent::Accepted { tx, origin: TxOrigin::Wallet, size }, ctx);
            }
        }
    }
}

impl Handler<DropUnminable> for MempoolActor {
    type Result = usize;
    fn handle(&mut self, msg: DropUnminable, ctx: &mut Context<Self>) -> usize {
        if msg.tip != self.tip {
            return 0;
        }
        let mut removed = Vec::new();
        for (id, rule, why) in msg.left_out {
            if self.pool.remove(&id).is_some() {
                tracing::info!(tx = %id, rule, reason = %why, "pending transaction dropped: no block could include it");
                self.remember_dropped(id, format!("no block could include it ({rule}): {why}"));
                removed.push(id);
            }
        }
        let n = removed.len();
        if n > 0 {
            let size = self.pool.len();
            self.publish(MempoolEvent::Removed { ids: removed, size }, ctx);
            self.compact_journal(false, ctx);
        }
        n
    }
}

impl Handler<GetPending> for MempoolActor {
    type Result = MessageResult<GetPending>;
    fn handle(&mut self, msg: GetPending, _: &mut Context<Self>) -> Self::Result {
        let mut v = self.pool.by_fee();
        v.truncate(msg.limit);
        MessageResult(v)
    }
}

impl Handler<GetPendingTx> for MempoolActor {
    type Result = Option<Transfer>;
    fn handle(&mut self, msg: GetPendingTx, _: &mut Context<Self>) -> Self::Result {
        self.pool.get(&msg.0).cloned()
    }
}

impl Handler<GetTxFirstSeen> for MempoolActor {
    type Result = Option<FirstSeen>;
    fn handle(&mut self, msg: GetTxFirstSeen, _: &mut Context<Self>) -> Self::Result {
        self.sightings.get(&msg.0)
    }
}

impl Handler<GetPendingOf> for MempoolActor {
    type Result = Option<Transfer>;
    fn handle(&mut self, msg: GetPendingOf, _: &mut Context<Self>) -> Self::Result {
        self.pool.pending_of(&msg.0).cloned()
    }
}

impl Handler<GetMempoolInfo> for MempoolActor {
    type Result = MessageResult<GetMempoolInfo>;
    fn handle(&mut self, _: GetMempoolInfo, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.info())
    }
}

impl Handler<RemoveConfirmed> for MempoolActor {
    type Result = ResponseActFuture<Self, usize>;
    fn handle(&mut self, _: RemoveConfirmed, _: &mut Context<Self>) -> Self::Result {
        let ids: Vec<TxId> = self.pool.by_fee().iter().map(|t| t.id).collect();
        let ask = self.reader.read(move |s| read::filter_confirmed(s, &ids));
        Box::pin(ask.into_actor(self).map(|confirmed, act, ctx| {
            let confirmed = confirmed.unwrap_or_default();
            let mut removed = Vec::new();
            for id in confirmed {
                if act.pool.remove(&id).is_some() {
                    removed.push(id);
                }
            }
            let n = removed.len();
            if n > 0 {
                let size = act.pool.len();
                act.publish(MempoolEvent::Removed { ids: removed, size }, ctx);
            }
            n
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin_rust_core::chain::Chain;
    use bitcoin_rust_core::store::redb_store::RedbStore;
    use bitcoin_rust_core::testkit::{easy_params, next_block, pay, wallet};

    /// Collects the events it is sent.
    struct Collector(std::sync::Arc<std::sync::Mutex<Vec<MempoolEvent>>>);

    impl Actor for Collector {
        type Context = Context<Self>;
    }

    impl Handler<MempoolEvent> for Collector {
        type Result = ();
        fn handle(&mut self, event: MempoolEvent, _: &mut Context<Self>) {
            self.0.lock().expect("lock").push(event);
        }
    }

    /// A burst of submissions queued in the mailbox together, more than [`MAX_UNSENT_EVENTS`]:
    /// every subscriber receives every `Accepted` event, once each, in the order the pool
    /// accepted the transfers (the events are held back and sent together, never lost).
    #[test]
    fn a_burst_of_submissions_reaches_every_subscriber_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let params = easy_params();
        let store = RedbStore::open(&dir.path().join("chain.redb"), &params).expect("store");
        let mut chain = Chain::open(params.clone(), store).expect("chain");
        let senders: Vec<_> = (1..=MAX_UNSENT_EVENTS as u64 + 36).map(wallet).collect();
        for w in &senders {
            let block = next_block(&chain, w.address(), &[], 1_000);
            chain.process_block(block, u64::MAX / 2).expect("block");
        }
        let transfers: Vec<Transfer> = senders.iter().map(|w| pay(&chain, w, &[(wallet(0).address(), 1)], 1)).collect();
        let expected: Vec<TxId> = transfers.iter().map(|t| t.id).collect();
        let reader = ChainReader::new(chain.store().reader());
        let tip = chain.tip();
        let limits = MempoolLimits { max_count: 10_000, max_bytes: 10_000_000 };

        let system = actix::System::new();
        let (first, second) = system.block_on(async move {
            let pool = MempoolActor::new(limits, &params, reader, tip).start();
            let first = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let second = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            for sink in [&first, &second] {
                let collector = Collector(sink.clone()).start();
                pool.send(SubscribeMempool(collector.recipient())).await.expect("subscribe");
            }
            // Queue every submission before the pool handles the first.
            let answers: Vec<_> = transfers
                .iter()
                .map(|t| {
                    let tx = CheckedTransfer::check(t.clone(), &params).expect("valid");
                    pool.send(SubmitTransfer { tx, origin: TxOrigin::Http })
                })
                .collect();
            for answer in answers {
                answer.await.expect("mailbox").expect("accepted");
            }
            // Let the last flush and the collectors' mailboxes run.
            for _ in 0..100 {
                if first.lock().expect("lock").len() == transfers.len()
                    && second.lock().expect("lock").len() == transfers.len()
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let ids = |events: &[MempoolEvent]| -> Vec<TxId> {
                events
                    .iter()
                    .map(|e| match e {
                        MempoolEvent::Accepted { tx, .. } => tx.id,
                        other => panic!("unexpected event {other:?}"),
                    })
                    .collect()
            };
            let first = ids(&first.lock().expect("lock"));
            let second = ids(&second.lock().expect("lock"));
            (first, second)
        });
        assert_eq!(first, expected);
        assert_eq!(second, expected);
    }
}
