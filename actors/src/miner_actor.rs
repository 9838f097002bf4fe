//! [`MinerActor`]: proof of work on dedicated OS threads (`mining.threads`), never on an async
//! worker. It asks the [`MempoolActor`] for the best pending transfers and the [`ChainActor`]
//! for a template (so it never builds an invalid block), splits the nonce space between its
//! threads, abandons the work as soon as the tip changes, refreshes it when new transfers arrive,
//! and submits what it finds to the chain like any other block. Stopping sets a flag the threads
//! read every 16,384 nonces (about a millisecond), so it takes effect well within 100 ms.

use crate::chain_actor::{BlockOrigin, BuildTemplate, ChainActor, ChainEvent, SubmitBlock};
use crate::mempool_actor::{DropUnminable, GetPending, MempoolActor, MempoolEvent};
use actix::prelude::*;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::pow::{NonceSearch, PowBackend};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use utoipa::ToSchema;

/// Nonces a thread tries between two looks at the cancel flag.
pub const NONCE_CHUNK: u64 = 16_384;
/// The miner only tries nonces below this (2^53, JavaScript's largest exact integer).
pub const MAX_NONCE: u64 = 1 << 53;
/// How long a template may be mined before it is rebuilt (fresh timestamp and transfers).
pub const TEMPLATE_MAX_AGE: Duration = Duration::from_secs(10);
/// How soon after a new transfer arrives the template is rebuilt to include it.
pub const REFRESH_AFTER_NEW_TX: Duration = Duration::from_millis(500);

/// The miner's state, published to subscribers and answered to `GET /mining-status`. `address` receives the rewards.
#[derive(Debug, Clone, Serialize, Message, ToSchema)]
#[rtype(result = "()")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"running": true, "threads": 2, "backend": "avx512", "hashrate": 1523000.0, "mining_height": 3, "blocks_mined": 2, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"}))]
pub struct MiningStatus {
    /// Continuous mining is on.
    pub running: bool,
    /// Proof-of-work threads.
    #[schema(value_type = u64)]
    pub threads: usize,
    /// The SHA-256 implementation the threads run (`avx512`, `avx2`, `sha-ni` or `portable`).
    #[schema(schema_with = crate::api_types::mining_backend_schema)]
    pub backend: &'static str,
    /// Hashes per second over the last second, rounded (0 when idle).
    #[schema(minimum = 0)]
    pub hashrate: f64,
    /// The height being mined, or null when idle.
    #[schema(required = true)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub mining_height: Option<u64>,
    /// Blocks this node mined since it started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub blocks_mined: u64,
    /// Where rewards go.
    #[schema(value_type = doc::Address)]
    pub address: Address,
}

/// Registers a recipient of [`MiningStatus`] changes.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeMining(pub Recipient<MiningStatus>);

/// Turns continuous mining on; answers whether it was already on.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct StartMining;

/// Turns continuous mining off; answers whether it was on.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct StopMining;

/// Returns the miner's state.
#[derive(Message)]
#[rtype(result = "MiningStatus")]
pub struct GetMiningStatus;

/// Why a `MineOne` got no block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MineError {
    /// The miner stopped (the node is shutting down) before a block was found.
    #[error("the miner stopped")]
    Stopped,
}

/// Mines one block now, with `data` in its reward, and answers with it once the chain accepted it.
#[derive(Message)]
#[rtype(result = "Result<Block, MineError>")]
pub struct MineOne {
    /// Text for the reward.
    pub data: String,
}

/// Stops every thread (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownMiner;

/// A thread found a nonce.
#[derive(Message)]
#[rtype(result = "()")]
struct Found {
    job: u64,
    block: Block,
}

struct Job {
    id: u64,
    cancel: Arc<AtomicBool>,
    tip: BlockHash,
    height: u64,
    started: Instant,
    for_one_shot: bool,
}

/// The actor that mines.
pub struct MinerActor {
    chain: Addr<ChainActor>,
    mempool: Addr<MempoolActor>,
    address: Address,
    threads: usize,
    backend: PowBackend,
    max_transactions: usize,
    running: bool,
    job: Option<Job>,
    building: bool,
    rebuild_requested: bool,
    next_job: u64,
    one_shots: Vec<(String, oneshot::Sender<Result<Block, MineError>>)>,
    hashes: Arc<AtomicU64>,
    last_sample: (Instant, u64),
    hashrate: f64,
    blocks_mined: u64,
    refresh_scheduled: bool,
    subscribers: Vec<Recipient<MiningStatus>>,
    /// Blocks to mine that no caller waits for (dev-chain mode).
    auto_blocks: usize,
    mine_on_transaction: bool,
    block_interval: Option<Duration>,
}

impl MinerActor {
    /// Returns an idle miner paying `address`.
    pub fn new(
        chain: Addr<ChainActor>,
        mempool: Addr<MempoolActor>,
        address: Address,
        threads: usize,
        max_transactions: usize,
    ) -> MinerActor {
        MinerActor {
            chain,
            mempool,
            address,
            threads: threads.max(1),
            backend: PowBackend::best(),
            max_transactions,
            running: false,
            job: None,
            building: false,
            rebuild_requested: false,
            next_job: 0,
            one_shots: Vec::new(),
            hashes: Arc::new(AtomicU64::new(0)),
            last_sample: (Instant::now(), 0),
            hashrate: 0.0,
            blocks_mined: 0,
            refresh_scheduled: false,
            subscribers: Vec::new(),
            auto_blocks: 0,
            mine_on_transaction: false,
            block_interval: None,
        }
    }

    /// Mines with `backend` (the fastest the CPU has unless the configuration says otherwise).
    pub fn with_backend(mut self, backend: PowBackend) -> MinerActor {
        self.backend = backend;
        self
    }

    /// Dev-chain mode: also mine a block whenever a transfer enters the pool, and/or every
    /// `block_interval`.
    pub fn with_dev_mining(mut self, mine_on_transaction: bool, block_interval: Option<Duration>) -> MinerActor {
        self.mine_on_transaction = mine_on_transaction;
        self.block_interval = block_interval;
        self
    }

    /// Asks for one more block that nobody waits for. At most two are queued: the one being
    /// mined (whose template may predate what prompted this) and one built afterwards, which is
    /// enough for everything pending now to be mined.
    fn queue_auto_block(&mut self, ctx: &mut Context<Self>) {
        if self.auto_blocks >= 2 {
            return;
        }
        self.auto_blocks += 1;
        let current_is_one_shot = self.job.as_ref().is_some_and(|j| j.for_one_shot);
        if !current_is_one_shot {
            self.restart(ctx);
        }
    }

    fn status(&self) -> MiningStatus {
        MiningStatus {
            running: self.running,
            threads: self.threads,
            backend: self.backend.name(),
            hashrate: self.hashrate.round(),
            mining_height: self.job.as_ref().map(|j| j.height),
            blocks_mined: self.blocks_mined,
            address: self.address,
        }
    }

    fn publish(&mut self) {
        let status = self.status();
        self.subscribers.retain(|s| s.connected());
        for s in &self.subscribers {
            s.do_send(status.clone());
        }
    }

    fn cancel_job(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn wanted(&mut self) -> bool {
        self.one_shots.retain(|(_, tx)| !tx.is_closed());
        self.running || !self.one_shots.is_empty() || self.auto_blocks > 0
    }

    /// Abandons the current work and, if mining is wanted, builds a new template and starts
    /// the threads on it.
    fn restart(&mut self, ctx: &mut Context<Self>) {
        self.cancel_job();
        if !self.wanted() {
            return;
        }
        if self.building {
            // The template being built may already be stale: build again when it arrives.
            self.rebuild_requested = true;
            return;
        }
        self.building = true;
        let for_one_shot = !self.one_shots.is_empty() || self.auto_blocks > 0;
        let data = self.one_shots.first().map(|(d, _)| d.clone()).unwrap_or_default();
        let chain = self.chain.clone();
        let miner = self.address;
        let pending = self.mempool.send(GetPending { limit: self.max_transactions });
        let fut = async move {
            let transfers = pending.await.unwrap_or_default();
            chain.send(BuildTemplate { miner, transfers, data }).await
        };
        ctx.spawn(fut.into_actor(self).map(move |template, act, ctx| {
            act.building = false;
            if std::mem::take(&mut act.rebuild_requested) {
                act.restart(ctx);
                return;
            }
            let Ok(mut template) = template else { return };
            if !template.left_out.is_empty() {
                // Never offered again: the pool drops what no block on this tip can include.
                let left_out = std::mem::take(&mut template.left_out);
                tracing::info!(count = left_out.len(), "transfers left out of the template for a block rule");
                act.mempool.do_send(DropUnminable { tip: template.block.header.last_hash, left_out });
            }
            if !act.wanted() {
                return;
            }
            act.cancel_job();
            let id = act.next_job;
            act.next_job += 1;
            let cancel = Arc::new(AtomicBool::new(false));
            let header = template.block.header;
            act.job = Some(Job {
                id,
                cancel: cancel.clone(),
                tip: header.last_hash,
                height: header.height.0,
                started: Instant::now(),
                for_one_shot,
            });
            tracing::debug!(
                height = header.height.0,
                txs = template.block.transactions.len() - 1,
                threads = act.threads,
                "mining a new template"
            );
            let hasher = NonceSearch::new(&header, act.backend);
            let target = template.target;
            let block = Arc::new(template.block);
            // Nonces stay below 2^53 so JavaScript clients read them exactly from JSON.
            let stride = MAX_NONCE / act.threads as u64;
            let start_base: u64 = rand::random::<u64>() % stride.max(1);
            for t in 0..act.threads {
                let hasher = hasher.clone();
                let cancel = cancel.clone();
                let hashes = act.hashes.clone();
                let block = block.clone();
                let addr = ctx.address();
                let begin = (t as u64).saturating_mul(stride).saturating_add(start_base / 2);
                let spawned = std::thread::Builder::new().name(format!("miner-{t}")).spawn(move || {
                    let mut nonce = begin;
                    while !cancel.load(Ordering::Relaxed) {
                        let end = nonce.saturating_add(NONCE_CHUNK).min(MAX_NONCE);
                        let found = hasher.search(&target, nonce..end);
                        hashes.fetch_add(end - nonce, Ordering::Relaxed);
                        if let Some((n, _)) = found {
                            if !cancel.swap(true, Ordering::Relaxed) {
                                let mut b = (*block).clone();
                                b.header.nonce = n;
                                addr.do_send(Found { job: id, block: b });
                            }
                            return;
                        }
                        if end >= MAX_NONCE {
                            // This thread's share of the nonces is spent: the template is
                            // rebuilt (new timestamp) within TEMPLATE_MAX_AGE.
                            return;
                        }
                        nonce = end;
                    }
                });
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "could not start a mining thread");
                }
            }
            act.publish();
        }));
    }

    fn sample_hashrate(&mut self) {
        let now = Instant::now();
        let total = self.hashes.load(Ordering::Relaxed);
        let (then, before) = self.last_sample;
        let secs = now.duration_since(then).as_secs_f64();
        if secs > 0.0 {
            let rate = (total - before) as f64 / secs;
            self.hashrate = if self.job.is_some() { rate } else { 0.0 };
        }
        self.last_sample = (now, total);
    }
}

impl Actor for MinerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(every) = self.block_interval {
            ctx.run_interval(every, |act, ctx| act.queue_auto_block(ctx));
        }
        ctx.run_interval(Duration::from_secs(1), |act, ctx| {
            let was = act.hashrate;
            act.sample_hashrate();
            if act.job.is_some() || was != 0.0 {
                act.publish();
            }
            let stale = act.job.as_ref().is_some_and(|j| j.started.elapsed() > TEMPLATE_MAX_AGE);
            if stale {
                act.restart(ctx);
            }
        });
    }
}

impl Handler<SubscribeMining> for MinerActor {
    type Result = ();
    fn handle(&mut self, msg: SubscribeMining, _: &mut Context<Self>) {
        self.subscribers.push(msg.0);
    }
}

impl Handler<StartMining> for MinerActor {
    type Result = bool;
    fn handle(&mut self, _: StartMining, ctx: &mut Context<Self>) -> bool {
        if self.running {
            return true;
        }
        self.running = true;
        tracing::info!(threads = self.threads, address = %self.address, "mining started");
        self.restart(ctx);
        self.publish();
        false
    }
}

impl Handler<StopMining> for MinerActor {
    type Result = bool;
    fn handle(&mut self, _: StopMining, ctx: &mut Context<Self>) -> bool {
        let was = self.running;
        self.running = false;
        if self.one_shots.is_empty() {
            self.cancel_job();
        } else {
            self.restart(ctx);
        }
        if was {
            tracing::info!("mining stopped");
        }
        self.hashrate = 0.0;
        self.publish();
        was
    }
}

impl Handler<GetMiningStatus> for MinerActor {
    type Result = MessageResult<GetMiningStatus>;
    fn handle(&mut self, _: GetMiningStatus, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status())
    }
}

impl Handler<MineOne> for MinerActor {
    type Result = ResponseFuture<Result<Block, MineError>>;
    fn handle(&mut self, msg: MineOne, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.one_shots.push((msg.data, tx));
        let current_is_one_shot = self.job.as_ref().is_some_and(|j| j.for_one_shot);
        if !current_is_one_shot {
            self.restart(ctx);
        }
        Box::pin(async move { rx.await.unwrap_or(Err(MineError::Stopped)) })
    }
}

impl Handler<Found> for MinerActor {
    type Result = ();
    fn handle(&mut self, msg: Found, ctx: &mut Context<Self>) {
        let Some(job) = &self.job else { return };
        if job.id != msg.job {
            return;
        }
        let for_one_shot = job.for_one_shot;
        self.job = None;
        let block = msg.block;
        let hash = block.hash();
        let height = block.header.height.0;
        tracing::info!(height, hash = %hash, nonce = block.header.nonce, txs = block.transactions.len() - 1, "block mined");
        let submit = self.chain.send(SubmitBlock { block: block.clone(), origin: BlockOrigin::Miner });
        ctx.spawn(submit.into_actor(self).map(move |result, act, ctx| {
            match result {
                Ok(Ok(_)) => {
                    act.blocks_mined += 1;
                    if for_one_shot && !act.one_shots.is_empty() {
                        let (_, reply) = act.one_shots.remove(0);
                        let _ = reply.send(Ok(block));
                    } else if for_one_shot {
                        act.auto_blocks = act.auto_blocks.saturating_sub(1);
                    }
                }
                Ok(Err(e)) => tracing::error!(height, error = %e, "our own block was refused"),
                Err(e) => tracing::error!(error = %e, "the chain is unavailable"),
            }
            act.restart(ctx);
        }));
    }
}

impl Handler<ChainEvent> for MinerActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, ctx: &mut Context<Self>) {
        let stale = self.job.as_ref().is_some_and(|j| j.tip != event.switch.new_tip);
        if stale {
            tracing::debug!(tip = %event.switch.new_tip, "new tip: abandoning stale work");
            self.restart(ctx);
        }
    }
}

impl Handler<MempoolEvent> for MinerActor {
    type Result = ();
    fn handle(&mut self, event: MempoolEvent, ctx: &mut Context<Self>) {
        if self.mine_on_transaction && matches!(event, MempoolEvent::Accepted { .. }) {
            self.queue_auto_block(ctx);
        }
        if !matches!(event, MempoolEvent::Accepted { .. }) || self.job.is_none() || self.refresh_scheduled {
            return;
        }
        let age = self.job.as_ref().map(|j| j.started.elapsed()).unwrap_or_default();
        if age >= REFRESH_AFTER_NEW_TX {
            self.restart(ctx);
        } else {
            self.refresh_scheduled = true;
            ctx.run_later(REFRESH_AFTER_NEW_TX - age, |act, ctx| {
                act.refresh_scheduled = false;
                if act.job.is_some() {
                    act.restart(ctx);
                }
            });
        }
    }
}

impl Handler<ShutdownMiner> for MinerActor {
    type Result = ();
    fn handle(&mut self, _: ShutdownMiner, ctx: &mut Context<Self>) {
        self.running = false;
        self.one_shots.clear();
        self.cancel_job();
        ctx.stop();
    }
}

impl Drop for MinerActor {
    fn drop(&mut self) {
        self.cancel_job();
    }
}
