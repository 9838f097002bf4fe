//! The dashboard's event stream, `GET /events`: one task per dashboard (on the HTTP worker that
//! accepted it) drives an [`actix_ws`] session. The [`HttpActor`] hands each dashboard's events
//! to a [`DashboardSink`]; the task sends them in order. It pings every 10 s and drops a client
//! silent for 30 s; clients only listen (anything they send is ignored).
//!
//! A dashboard that does not keep up cannot make the node hold its events: the sink counts the
//! bytes queued and, past [`MAX_QUEUED_BYTES`], stops queueing; the task then drops what is
//! still queued and sends one `{"type":"resync"}` (the dashboard reloads its state over HTTP) and
//! goes on with the events that follow. The WebSocket itself holds at most 32 events on top of
//! that (actix-ws's channel, drained only as fast as the socket is written), and a send that
//! waits longer than [`WRITE_TIMEOUT`] for a client that does not read drops the client. At most
//! [`MAX_DASHBOARDS`] dashboards are connected at once (503 `too_many_dashboards` beyond).

use crate::api_error::ApiError;
use crate::http_actor::{HttpActor, SubscribeEvents, UnsubscribeEvents};
use actix::Addr;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often the server pings a dashboard.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// How long a dashboard may stay silent (no pong) before it is dropped.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most bytes of events queued for one dashboard (or one event, when a single one is larger).
pub const MAX_QUEUED_BYTES: usize = 1024 * 1024;
/// How long one send may wait for a dashboard that does not read before it is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most dashboards connected at once.
pub const MAX_DASHBOARDS: usize = 64;
/// The largest frame a dashboard may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// What a dashboard gets instead of the events it could not keep up with.
pub const RESYNC: &str = r#"{"type":"resync"}"#;
const HELLO: &str = r#"{"type":"hello"}"#;

/// The [`HttpActor`]'s end of one dashboard's event queue.
#[derive(Debug)]
pub struct DashboardSink {
    tx: mpsc::UnboundedSender<Arc<str>>,
    queued: Arc<AtomicUsize>,
    lagged: Arc<AtomicBool>,
}

/// The session task's end of the queue.
#[derive(Debug)]
struct DashboardQueue {
    rx: mpsc::UnboundedReceiver<Arc<str>>,
    queued: Arc<AtomicUsize>,
    lagged: Arc<AtomicBool>,
}

/// A dashboard's event queue, bounded to [`MAX_QUEUED_BYTES`].
fn queue() -> (DashboardSink, DashboardQueue) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let lagged = Arc::new(AtomicBool::new(false));
    (DashboardSink { tx, queued: queued.clone(), lagged: lagged.clone() }, DashboardQueue { rx, queued, lagged })
}

impl DashboardSink {
    /// Queues an event, or skips it while the dashboard lags; false once the dashboard is gone.
    pub fn offer(&self, text: &Arc<str>) -> bool {
        if self.tx.is_closed() {
            return false;
        }
        if self.lagged.load(Ordering::Acquire) {
            return true;
        }
        let queued = self.queued.load(Ordering::Acquire);
        // An empty queue takes any one event (a reorganisation's may pass the cap on its own):
        // otherwise it would lag with nothing queued, and no resync would ever come.
        if queued > 0 && queued + text.len() > MAX_QUEUED_BYTES {
            self.lagged.store(true, Ordering::Release);
            return true;
        }
        self.queued.fetch_add(text.len(), Ordering::AcqRel);
        self.tx.send(text.clone()).is_ok()
    }

    /// False once the dashboard's session has ended.
    pub fn is_open(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Bytes queued now.
    pub fn queued_bytes(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

impl DashboardQueue {
    /// The next text to send: the next event, or [`RESYNC`] (in place of everything queued) when
    /// the sink skipped events; `None` once the node stopped feeding this dashboard.
    async fn next(&mut self) -> Option<Arc<str>> {
        let text = self.rx.recv().await?;
        self.queued.fetch_sub(text.len(), Ordering::AcqRel);
        if !self.lagged.load(Ordering::Acquire) {
            return Some(text);
        }
        while let Ok(stale) = self.rx.try_recv() {
            self.queued.fetch_sub(stale.len(), Ordering::AcqRel);
        }
        self.lagged.store(false, Ordering::Release);
        Some(Arc::from(RESYNC))
    }
}

/// Why a session ended.
enum End {
    /// Close the WebSocket with this reason.
    Close(Option<CloseReason>),
    /// The connection is gone (or stuck): nothing more to send.
    Gone,
}

async fn send(session: &mut Session, text: &str) -> Result<(), End> {
    match tokio::time::timeout(WRITE_TIMEOUT, session.text(text.to_string())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(End::Gone),
    }
}

async fn serve(session: &mut Session, stream: &mut MessageStream, queue: &mut DashboardQueue) -> End {
    if let Err(end) = send(session, HELLO).await {
        return end;
    }
    let mut last_seen = Instant::now();
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT_INTERVAL, HEARTBEAT_INTERVAL);
    loop {
        tokio::select! {
            text = queue.next() => match text {
                Some(text) => {
                    if let Err(end) = send(session, &text).await {
                        return end;
                    }
                }
                // The node is stopping.
                None => return End::Close(Some(CloseCode::Normal.into())),
            },
            msg = stream.recv() => {
                last_seen = Instant::now();
                match msg {
                    Some(Ok(Message::Ping(p))) => {
                        if tokio::time::timeout(WRITE_TIMEOUT, session.pong(&p)).await.map_or(true, |r| r.is_err()) {
                            return End::Gone;
                        }
                    }
                    Some(Ok(Message::Close(reason))) => return End::Close(reason),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return End::Gone,
                }
            }
            _ = beat.tick() => {
                if last_seen.elapsed() > CLIENT_TIMEOUT {
                    return End::Close(Some(CloseCode::Away.into()));
                }
                if tokio::time::timeout(WRITE_TIMEOUT, session.ping(b"")).await.map_or(true, |r| r.is_err()) {
                    return End::Gone;
                }
            }
        }
    }
}

async fn run(
    mut session: Session,
    mut stream: MessageStream,
    mut queue: DashboardQueue,
    http: Addr<HttpActor>,
    id: u64,
) {
    let end = serve(&mut session, &mut stream, &mut queue).await;
    http.do_send(UnsubscribeEvents(id));
    drop(queue);
    if let End::Close(reason) = end {
        let _ = tokio::time::timeout(Duration::from_secs(1), session.close(reason)).await;
    }
}

/// `GET /events`: upgrades to the dashboard's event WebSocket.
pub async fn events(
    req: HttpRequest,
    body: web::Payload,
    http: web::Data<Addr<HttpActor>>,
) -> actix_web::Result<HttpResponse> {
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|e| {
        // The framework answers a failed handshake with an empty body: answer the API's JSON error.
        // (The handshake error's status is in its response: its `status_code()` says 500.)
        let status = e.error_response().status();
        ApiError::new(status, "not_websocket", format!("{e}: /events is a WebSocket"))
    })?;
    let (sink, queue) = queue();
    let Some(id) = http.send(SubscribeEvents(sink)).await.map_err(ApiError::from)? else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_dashboards",
            format!("{MAX_DASHBOARDS} dashboards are connected already"),
        )
        .into());
    };
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(run(session, stream, queue, http.get_ref().clone(), id));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_lagging_dashboard_skips_to_a_resync_and_never_queues_past_the_cap() {
        let (sink, mut queue) = queue();
        let event: Arc<str> = Arc::from("x".repeat(100 * 1024));
        for _ in 0..100 {
            assert!(sink.offer(&event));
            assert!(sink.queued_bytes() <= MAX_QUEUED_BYTES);
        }
        // Ten fit; the rest were skipped, and the queue answers one resync for everything queued.
        assert_eq!(sink.queued_bytes(), 10 * 100 * 1024);
        assert_eq!(queue.next().await.as_deref(), Some(RESYNC));
        assert_eq!(sink.queued_bytes(), 0);
        // Then events flow again, in order.
        let small: Arc<str> = Arc::from("{\"type\":\"mining\"}");
        assert!(sink.offer(&small));
        assert_eq!(queue.next().await.as_deref(), Some(&*small));
        drop(queue);
        assert!(!sink.offer(&small), "a gone dashboard is reported");
    }

    #[actix_web::test]
    async fn an_event_larger_than_the_cap_is_still_delivered() {
        let (sink, mut queue) = queue();
        let huge: Arc<str> = Arc::from("r".repeat(MAX_QUEUED_BYTES + 1));
        assert!(sink.offer(&huge));
        assert_eq!(queue.next().await.map(|t| t.len()), Some(MAX_QUEUED_BYTES + 1));
        let next: Arc<str> = Arc::from("n");
        assert!(sink.offer(&next));
        assert_eq!(queue.next().await.as_deref(), Some("n"));
    }

    #[actix_web::test]
    async fn the_queue_ends_when_the_node_stops_feeding_it() {
        let (sink, mut queue) = queue();
        let a: Arc<str> = Arc::from("a");
        assert!(sink.offer(&a));
        drop(sink);
        assert_eq!(queue.next().await.as_deref(), Some("a"));
        assert_eq!(queue.next().await, None);
    }
}
