//! [`HttpActor`]: owns the HTTP side of the node: the dashboard hub (the `/events` subscribers;
//! it turns chain, mempool and miner events into [`DashboardEvent`]s for them), the HTTP metrics
//! and the handle of the HTTP server (to stop it). The node's wallet is the
//! [`crate::wallet_actor::WalletActor`]'s. The request handlers themselves live in [`crate::api`]
//! and reach every actor by address.
//!
//! The request counters are the one piece of state the HTTP workers write directly: each
//! request adds to an [`HttpRecorder`] (a lock held for one map update) instead of sending this
//! actor a message, which woke the actors' thread once per request; the actor reads them for
//! `/metrics` ([`GetHttpMetrics`]), as a Prometheus client library's registry works.

use crate::chain_actor::ChainEvent;
use crate::dashboard_event::DashboardEvent;
use crate::events_session::{DashboardSink, MAX_DASHBOARDS};
use crate::mempool_actor::MempoolEvent;
use crate::metrics::Histogram;
use crate::miner_actor::MiningStatus;
use actix::prelude::*;
use actix_web::dev::ServerHandle;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Registers a dashboard's event queue; answers its id, or `None` when
/// [`crate::events_session::MAX_DASHBOARDS`] are connected already.
#[derive(Message)]
#[rtype(result = "Option<u64>")]
pub struct SubscribeEvents(pub DashboardSink);

/// Removes a dashboard session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UnsubscribeEvents(pub u64);

/// Hands the actor the server it owns.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetServer(pub ServerHandle);

/// One HTTP request served (recorded by the request middleware).
#[derive(Debug, Clone)]
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

/// The HTTP request counters, shared by the HTTP workers (which record each request) and the
/// [`HttpActor`] (which reads them): cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct HttpRecorder(Arc<Mutex<HttpMetrics>>);

impl HttpRecorder {
    /// Counts one request and its latency.
    pub fn observe(&self, msg: HttpObserved) {
        if let Ok(mut m) = self.0.lock() {
            *m.requests.entry((msg.route.clone(), msg.method, msg.status)).or_default() += 1;
            m.latency.entry(msg.route).or_default().observe(msg.seconds);
        }
    }

    fn snapshot(&self) -> HttpMetrics {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Returns the HTTP metrics.
#[derive(Message)]
#[rtype(result = "HttpMetrics")]
pub struct GetHttpMetrics;

/// Stops the HTTP server and closes the dashboard sessions.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownHttp;

/// The actor owning the HTTP side: dashboard hub, metrics, server handle.
#[derive(Default)]
pub struct HttpActor {
    dashboards: HashMap<u64, DashboardSink>,
    next_dashboard: u64,
    server: Option<ServerHandle>,
    metrics: HttpRecorder,
}

impl HttpActor {
    /// Returns the actor, with no dashboards yet.
    pub fn new() -> HttpActor {
        HttpActor { next_dashboard: 1, ..HttpActor::default() }
    }

    /// The recorder the HTTP workers count requests in (shared with this actor).
    pub fn recorder(&self) -> HttpRecorder {
        self.metrics.clone()
    }

    fn push(&mut self, event: DashboardEvent) {
        if self.dashboards.is_empty() {
            return;
        }
        let text: Arc<str> = Arc::from(event.to_json());
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

impl Handler<GetHttpMetrics> for HttpActor {
    type Result = MessageResult<GetHttpMetrics>;
    fn handle(&mut self, _: GetHttpMetrics, _: &mut Context<Self>) -> Self::Result {
        let mut m = self.metrics.snapshot();
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
        self.push(DashboardEvent::Shutdown);
        self.dashboards.clear();
        let server = self.server.take();
        Box::pin(async move {
            if let Some(s) = server {
                s.stop(true).await;
            }
        })
    }
}

impl Handler<ChainEvent> for HttpActor {
    type Result = ();
    fn handle(&mut self, event: ChainEvent, _: &mut Context<Self>) {
        for e in DashboardEvent::of_chain(&event) {
            self.push(e);
        }
    }
}

impl Handler<MempoolEvent> for HttpActor {
    type Result = ();
    fn handle(&mut self, event: MempoolEvent, _: &mut Context<Self>) {
        self.push(DashboardEvent::of_mempool(event));
    }
}

impl Handler<MiningStatus> for HttpActor {
    type Result = ();
    fn handle(&mut self, status: MiningStatus, _: &mut Context<Self>) {
        self.push(DashboardEvent::Mining { mining: status });
    }
}
