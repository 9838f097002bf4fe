//! [`HttpActor`]: owns what the user side of the node needs: the node's wallet (its key and the
//! update rule for `POST /transact`), the dashboard's `/events` subscribers (it turns chain,
//! mempool and miner events into JSON for them), and the handle of the HTTP server (to stop it).
//! The request handlers themselves live in [`crate::api`] and reach every actor by address.

use crate::api_error::ApiError;
use crate::chain_actor::{ChainActor, ChainEvent, FilterConfirmed, GetAccount};
use crate::events_session::{DashboardSink, MAX_DASHBOARDS};
use crate::mempool_actor::{GetPendingOf, MempoolActor, MempoolEvent, SubmitError, SubmitTransfer, TxOrigin};
use crate::metrics::Histogram;
use crate::miner_actor::MiningStatus;
use actix::prelude::*;
use actix_web::dev::ServerHandle;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::hash::TxId;
use bitcoin_rust_core::mempool::MempoolError;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::transaction::TxError;
use bitcoin_rust_core::transaction::{CheckedTransfer, Transaction, Transfer, TxOutput};
use bitcoin_rust_core::wallet::Wallet;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Registers a dashboard's event queue; answers its id, or `None` when
/// [`crate::events_session::MAX_DASHBOARDS`] are connected already.
#[derive(Message)]
#[rtype(result = "Option<u64>")]
pub struct SubscribeEvents(pub DashboardSink);

/// Removes a dashboard session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UnsubscribeEvents(pub u64);

/// Sends coins from the node's wallet (the first prototype's `POST /transact`).
#[derive(Message)]
#[rtype(result = "Result<Transfer, ApiError>")]
pub struct Transact {
    /// Who receives.
    pub recipient: Address,
    /// How much.
    pub amount: Amount,
    /// The fee for this payment (an update adds it to the pending transfer's fee).
    pub fee: Amount,
}

/// Returns the wallet's address.
#[derive(Message)]
#[rtype(result = "Address")]
pub struct GetWalletAddress;

/// Hands the actor the server it owns.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetServer(pub ServerHandle);

/// One HTTP request served (sent by the request middleware).
#[derive(Message)]
#[rtype(result = "()")]
pub struct HttpObserved {
    /// The route pattern (e.g. `/blocks/{id}`), or `unmatched`.
    pub route: String,
    /// The method's label ([`crate::http_guard::method_label`]: a closed set).
    pub method: &'static str,
    /// The response status.
    pub status: u16,
    /// The time taken, seconds.
    pub seconds: f64,
}

/// HTTP request counts and latencies since start.
#[derive(Debug, Clone, Default)]
pub struct HttpMetrics {
    /// Requests by (route pattern, method label, status).
    pub requests: BTreeMap<(String, &'static str, u16), u64>,
    /// Latency histograms by route.
    pub latency: BTreeMap<String, Histogram>,
    /// Dashboards connected to `/events`.
    pub dashboards: usize,
}

/// Returns the HTTP metrics.
#[derive(Message)]
#[rtype(result = "HttpMetrics")]
pub struct GetHttpMetrics;

/// Stops the HTTP server and closes the dashboard sessions.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownHttp;

/// Payments the node's wallet asked for together (one `POST /transact`, or payments mined
/// together in one transfer that a reorganisation dropped).
#[derive(Debug, Clone)]
struct Part {
    payments: Vec<TxOutput>,
    fee: Amount,
    /// Every transfer signed to carry this part (newest last, at most [`MAX_VERSIONS`]), and a
    /// transfer the pool took back by itself after a reorganisation: if the best chain confirms
    /// any of them, the part is paid. (A replaced version can still be mined by a miner whose
    /// template predates the replacement, so the newest is not enough.)
    paid_by: Vec<TxId>,
}

/// How many signed versions of one part are remembered.
const MAX_VERSIONS: usize = 64;

/// What the node's wallet has asked to pay and not yet seen confirmed, as one transfer
/// (`current`) paying every part. That transfer spends the whole balance at the tip, so any
/// credit to the wallet (a block reward, say) invalidates it; the actor then signs the parts
/// again on the new tip, leaving out those that the chain shows paid.
#[derive(Debug, Clone)]
struct Intent {
    parts: Vec<Part>,
    current: TxId,
    /// False while `current` is only a name for payments revived after a reorganisation, not yet
    /// signed together.
    signed: bool,
}

impl Intent {
    /// The parts as one part: outputs merged by recipient, fees added.
    fn merged(&self, wallet: &Wallet) -> Result<(Vec<TxOutput>, Amount), ApiError> {
        merge_parts(&self.parts, wallet)
    }
}

fn merge_parts(parts: &[Part], wallet: &Wallet) -> Result<(Vec<TxOutput>, Amount), ApiError> {
    let mut payments = Vec::new();
    let mut fee = Amount::ZERO;
    for part in parts {
        for o in &part.payments {
            wallet.add_payment(&mut payments, o.address, o.amount)?;
        }
        fee = fee.checked_add(part.fee).ok_or_else(|| ApiError::rule("output_sum_overflow", "the fee overflows"))?;
    }
    Ok((payments, fee))
}

/// How many times the wallet signs again when the tip moves under a payment.
const MAX_SIGN_ATTEMPTS: u32 = 8;

/// How many mined wallet payments are remembered for reorganisations.
const MAX_REMEMBERED_PAYMENTS: usize = 32;

/// The actor owning the user side.
pub struct HttpActor {
    wallet: Wallet,
    intent: Option<Intent>,
    /// Recently mined payments of the wallet, newest last.
    confirmed: std::collections::VecDeque<Mined>,
    params: Arc<NetworkParams>,
    chain: Addr<ChainActor>,
    mempool: Addr<MempoolActor>,
    dashboards: HashMap<u64, DashboardSink>,
    next_dashboard: u64,
    server: Option<ServerHandle>,
    metrics: HttpMetrics,
}

impl HttpActor {
    /// Returns the actor for `wallet`.
    pub fn new(
        wallet: Wallet,
        params: Arc<NetworkParams>,
        chain: Addr<ChainActor>,
        mempool: Addr<MempoolActor>,
    ) -> HttpActor {
        HttpActor {
            wallet,
            intent: None,
            confirmed: std::collections::VecDeque::new(),
            params,
            chain,
            mempool,
            dashboards: HashMap::new(),
            next_dashboard: 1,
            server: None,
            metrics: HttpMetrics::default(),
        }
    }

    fn push(&mut self, value: serde_json::Value) {
        if self.dashboards.is_empty() {
            return;
        }
        let text: Arc<str> = Arc::from(value.to_string());
        // Each dashboard queues it, or skips it while it lags (see `events_session`).
        self.dashboards.retain(|_, sink| sink.offer(&text));
    }
}

impl Actor for HttpActor {
    type Context = Context<Self>;
}

impl Handler<SubscribeEvents> for HttpActor {
    type Result = Option<u64>;
    fn handle(&mut self, msg: SubscribeEvents, _: &mut Context<Self>) -> Option<u64> {
        self.dashboards.retain(|_, sink| sink.is_open());
        if self.dashboards.len() >= MAX_DASHBOARDS {
            return None;
        }
        let id = self.next_dashboard;
        self.next_dashboard += 1;
        self.dashboards.insert(id, msg.0);
        Some(id)
    }
}

impl Handler<UnsubscribeEvents> for HttpActor {
    type Result = ();
    fn handle(&mut self, msg: UnsubscribeEvents, _: &mut Context<Self>) {
        self.dashboards.remove(&msg.0);
    }
}

impl Handler<GetWalletAddress> for HttpActor {
    type Result = MessageResult<GetWalletAddress>;
    fn handle(&mut self, _: GetWalletAddress, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.wallet.address())
    }
}

impl HttpActor {
    /// Signs one transfer paying every part at `account` and submits it; records the intent.
    /// When the tip moves under it, it looks again at the account and leaves out the parts that
    /// the chain now shows paid, then signs again.
    fn sign_and_submit(
        &mut self,
        account: bitcoin_rust_core::state::Account,
        parts: Vec<Part>,
    ) -> ResponseActFuture<Self, Result<Transfer, ApiError>> {
        let wallet = self.wallet.clone();
        let params = self.params.clone();
        let mempool = self.mempool.clone();
        let chain = self.chain.clone();
        let me = wallet.address();
        let fut = async move {
            let mut account = account;
            let mut parts = parts;
            let mut paid = Vec::new();
            let mut attempt = 0;
            loop {
                attempt += 1;
                // A version signed earlier may be in the chain already: never pay a part twice.
                let (unpaid, now_paid) = split_paid(&chain, parts).await?;
                paid.extend(now_paid);
                parts = unpaid;
                if parts.is_empty() {
                    return Err(ApiError::conflict("already_paid", "the chain already holds these payments"));
                }
                let (payments, fee) = merge_parts(&parts, &wallet)?;
                let tx = wallet
                    .pay_many(
                        &params.network_id,
                        params.max_outputs,
                        account,
                        &payments,
                        fee,
                        crate::chain_actor::now_ms(),
                    )
                    .map_err(ApiError::from)?;
                let checked = CheckedTransfer::check(tx, &params).map_err(ApiError::from)?;
                let tx = checked.transfer().clone();
                match mempool.send(SubmitTransfer { tx: checked, origin: TxOrigin::Wallet }).await? {
                    Ok(_) => {
                        for part in &mut parts {
                            part.paid_by.push(tx.id);
                            if part.paid_by.len() > MAX_VERSIONS {
                                part.paid_by.remove(0);
                            }
                        }
                        return Ok((tx, parts, paid));
                    }
                    // A block credited or debited the wallet between our look-up and the pool's
                    // check (perhaps paying one of the parts): sign again on the new tip.
                    Err(SubmitError::Refused(MempoolError::Invalid(
                        TxError::BalanceMismatch { .. } | TxError::BadNonce { .. },
                    ))) if attempt < MAX_SIGN_ATTEMPTS => {
                        account = chain.send(GetAccount { address: me, txid: None }).await?.account;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Box::pin(fut.into_actor(self).map(move |result: Result<(Transfer, Vec<Part>, Vec<Part>), ApiError>, act, _| {
            result.map(|(tx, parts, paid)| {
                for part in paid {
                    act.remember_paid(part);
                }
                act.intent = Some(Intent { parts, current: tx.id, signed: true });
                tx
            })
        }))
    }

    /// Remembers a mined payment transfer (for reorganisations that drop it).
    fn remember_mined(&mut self, intent: Intent) {
        let Ok((payments, fee)) = intent.merged(&self.wallet) else { return };
        self.remember_paid(Part { payments, fee, paid_by: vec![intent.current] });
    }

    /// Remembers a part the chain shows paid (for reorganisations that drop its transfer).
    fn remember_paid(&mut self, part: Part) {
        self.confirmed.push_back(Mined { part });
        if self.confirmed.len() > MAX_REMEMBERED_PAYMENTS {
            self.confirmed.pop_front();
        }
    }
}

/// A payment transfer of the wallet that a block confirmed.
#[derive(Debug, Clone)]
struct Mined {
    part: Part,
}

/// Splits the parts into those the best chain does not show paid, and those it does.
async fn split_paid(chain: &Addr<ChainActor>, parts: Vec<Part>) -> Result<(Vec<Part>, Vec<Part>), ApiError> {
    let ids: Vec<TxId> = parts.iter().flat_map(|p| p.paid_by.iter().copied()).collect();
    if ids.is_empty() {
        return Ok((parts, Vec::new()));
    }
    let confirmed = chain.send(FilterConfirmed(ids)).await?;
    Ok(parts.into_iter().partition(|p| !p.paid_by.iter().any(|id| confirmed.contains(id))))
}

impl Handler<Transact> for HttpActor {
    // One at a time: two concurrent sends must both land in the one pending transfer.
    type Result = AtomicResponse<Self, Result<Transfer, ApiError>>;
    fn handle(&mut self, msg: Transact, _: &mut Context<Self>) -> Self::Result {
        let me = self.wallet.address();
        let intent_id = self.intent.as_ref().map(|i| i.current);
        let account = self.chain.send(GetAccount { address: me, txid: intent_id });
        let pending = self.mempool.send(GetPendingOf(me));
        let fut = async move { (account.await, pending.await) };
        AtomicResponse::new(Box::pin(fut.into_actor(self).then(move |(account, pending), act, _| {
            let prepared = (|| -> Result<_, ApiError> {
                let answer = account?;
                let pending = pending?;
                // The update rule: start from what is still waiting to be paid.
                let mut parts = match act.intent.clone() {
                    Some(i) if i.signed && answer.confirmed => {
                        act.intent = None;
                        act.remember_mined(i);
                        Vec::new()
                    }
                    Some(i) => i.parts,
                    None => match &pending {
                        Some(p)
                            if p.input.nonce == answer.account.nonce && p.input.amount == answer.account.balance =>
                        {
                            let payments = p.outputs.iter().filter(|o| o.address != me).copied().collect();
                            vec![Part { payments, fee: p.input.fee, paid_by: vec![p.id] }]
                        }
                        _ => Vec::new(),
                    },
                };
                let mut payments = Vec::new();
                act.wallet.add_payment(&mut payments, msg.recipient, msg.amount)?;
                // An update must pay more than what it replaces.
                let fee = if parts.is_empty() { msg.fee } else { msg.fee.max(Amount(1)) };
                parts.push(Part { payments, fee, paid_by: Vec::new() });
                Ok((answer.account, parts))
            })();
            match prepared {
                Ok((account, parts)) => act.sign_and_submit(account, parts),
                Err(e) => Box::pin(actix::fut::ready(Err(e))),
            }
        })))
    }
}

/// Signs the wallet's payments again after its pending transfer left the pool unconfirmed, or
/// after a reorganisation dropped mined ones.
#[derive(Message)]
#[rtype(result = "()")]
struct KeepIntentAlive(TxId);

impl Handler<KeepIntentAlive> for HttpActor {
    type Result = AtomicResponse<Self, ()>;
    fn handle(&mut self, msg: KeepIntentAlive, _: &mut Context<Self>) -> Self::Result {
        let me = self.wallet.address();
        let query = self.chain.send(GetAccount { address: me, txid: Some(msg.0) });
        let pending = self.mempool.send(GetPendingOf(me));
        let fut = async move { (query.await, pending.await) };
        AtomicResponse::new(Box::pin(fut.into_actor(self).then(move |(answer, pending), act, _| {
            let done = || Box::pin(actix::fut::ready(())) as ResponseActFuture<Self, ()>;
            let Some(intent) = act.intent.clone().filter(|i| i.current == msg.0) else { return done() };
            let (Ok(answer), Ok(pending)) = (answer, pending) else { return done() };
            if intent.signed {
                if answer.confirmed {
                    act.intent = None;
                    act.remember_mined(intent);
                    return done();
                }
                if pending.as_ref().is_some_and(|p| p.id == msg.0) {
                    // The pool took it back by itself (after a reorganisation): nothing to do.
                    return done();
                }
            }
            // Leave out what the chain shows paid (remembering it), sign the rest again.
            let chain = act.chain.clone();
            let account = answer.account;
            let split = async move { split_paid(&chain, intent.parts).await };
            Box::pin(split.into_actor(act).then(move |split, act, _| {
                let Ok((unpaid, paid)) = split else { return done() };
                for part in paid {
                    act.remember_paid(part);
                }
                if unpaid.is_empty() {
                    act.intent = None;
                    return done();
                }
                tracing::info!(old = %msg.0, parts = unpaid.len(), "signing the wallet's payments again on the new tip");
                Box::pin(act.sign_and_submit(account, unpaid).map(|result, act, _| {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "the wallet's pending payments could not be signed again");
                        act.intent = None;
                    }
                }))
            }))
        })))
    }
}

impl Handler<HttpObserved> for HttpActor {
    type Result = ();
    fn handle(&mut self, msg: HttpObserved, _: &mut Context<Self>) {
        *self.metrics.requests.entry((msg.route.clone(), msg.method, msg.status)).or_default() += 1;
        self.metrics.latency.entry(msg.route).or_default().observe(msg.seconds);
    }
}

impl Handler<GetHttpMetrics> for HttpActor {
    type Result = MessageResult<GetHttpMetrics>;
    fn handle(&mut self, _: GetHttpMetrics, _: &mut Context<Self>) -> Self::Result {
        let mut m = self.metrics.clone();
        self.dashboards.retain(|_, sink| sink.is_open());
        m.dashboards = self.dashboards.len();
        MessageResult(m)
    }
}

impl Handler<SetServer> for HttpActor {
    type Result = ();
    fn handle(&mut self, msg: SetServer, _: &mut Context<Self>) {
        self.server = Some(msg.0);
    }
}

impl Handler<ShutdownHttp> for HttpActor {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: ShutdownHttp, _: &mut Context<Self>) -> Self::Result {
        self.push(json!({"type": "shutdown"}));
        self.dashboards.clear();
        let server = self.server.take();
        Box::pin(async move {
            if let Some(s) = server {
                s.stop(true).await;
            }
        })
    }
}

fn block_summary(b: &bitcoin_rust_core::block::Block) -> serde_json::Value {
    let miner = b.reward().map(|r| r.output.address.to_hex());
    let reward = b.reward().map(|r| r.output.amount.0);
    json!({
        "block_number": b.header.height.0,
        "hash": b.hash(),
        "last_hash": b.header.last_hash,
        "timestamp": b.header.timestamp,
        "transactions": b.transactions.len(),
        "difficulty": b.header.bits.to_target().map(|t| (t.difficulty() * 1e6).round() / 1e6).unwrap_or(0.0),
        "miner": miner,
        "reward": reward,
        "data": b.reward().map(|r| r.coinbase.data.clone()).unwrap_or_default(),
    })
}

impl Handler<ChainEvent> for HttpActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, ctx: &mut Context<Self>) {
        let s = &event.switch;
        let contains = |blocks: &[bitcoin_rust_core::block::Block], id: &TxId| {
            blocks.iter().any(|b| b.transactions.iter().any(|t| t.id() == *id))
        };
        if let Some(intent) = self.intent.take() {
            if intent.signed && contains(&s.connected, &intent.current) {
                // Mined: remember it a while in case a reorganisation drops it again.
                self.remember_mined(intent);
            } else {
                self.intent = Some(intent);
            }
        }
        if s.is_reorg() {
            // Every payment of ours that the new branch does not contain is ours to keep alive:
            // with what is still pending, it is signed again as one transfer.
            let (dropped, kept): (Vec<Mined>, Vec<Mined>) =
                std::mem::take(&mut self.confirmed).into_iter().partition(|m| {
                    m.part.paid_by.iter().any(|id| contains(&s.disconnected, id))
                        && !m.part.paid_by.iter().any(|id| contains(&s.connected, id))
                });
            self.confirmed = kept.into();
            if !dropped.is_empty() {
                let (mut parts, current) = match self.intent.take() {
                    Some(i) => (i.parts, Some(i.current)),
                    None => (Vec::new(), None),
                };
                let first_dropped = dropped.iter().find_map(|m| m.part.paid_by.last().copied());
                parts.extend(dropped.into_iter().map(|m| m.part));
                if let Some(current) = current.or(first_dropped) {
                    tracing::info!(
                        payments = parts.len(),
                        "a reorganisation dropped payments of the wallet: paying them again"
                    );
                    self.intent = Some(Intent { parts, current, signed: false });
                    ctx.address().do_send(KeepIntentAlive(current));
                }
            }
        }
        if s.is_reorg() {
            self.push(json!({
                "type": "reorg",
                "old_tip": s.old_tip,
                "new_tip": s.new_tip,
                "fork_height": s.fork_height.0,
                "disconnected": s.disconnected.iter().map(|b| b.hash()).collect::<Vec<_>>(),
                "connected": s.connected.iter().map(|b| b.hash()).collect::<Vec<_>>(),
            }));
        }
        let start = s.connected.len().saturating_sub(16);
        for b in &s.connected[start..] {
            let txids: Vec<_> = b.transactions.iter().map(Transaction::id).collect();
            self.push(json!({"type": "block", "block": block_summary(b), "txids": txids, "status": event.status}));
        }
    }
}

impl Handler<MempoolEvent> for HttpActor {
    type Result = ();
    fn handle(&mut self, event: MempoolEvent, ctx: &mut Context<Self>) {
        match event {
            MempoolEvent::Accepted { tx, origin, size } => {
                self.push(json!({"type": "transaction", "transaction": tx, "origin": origin, "mempool": size}))
            }
            MempoolEvent::Removed { ids, size } => {
                if let Some(intent) = &self.intent {
                    if ids.contains(&intent.current) {
                        ctx.address().do_send(KeepIntentAlive(intent.current));
                    }
                }
                self.push(json!({"type": "mempool", "removed": ids, "mempool": size}))
            }
        }
    }
}

impl Handler<MiningStatus> for HttpActor {
    type Result = ();
    fn handle(&mut self, status: MiningStatus, _: &mut Context<Self>) {
        self.push(json!({"type": "mining", "mining": status}));
    }
}
