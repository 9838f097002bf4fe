//! Connections we open to peers (`awc`). [`connect`] dials on the current arbiter (an
//! `awc::Client` is not `Send`: the router's), and on success starts a [`PeerSession`] with the
//! framed socket's two halves: frames are read only when the session asks for more, and a
//! writer task sends the session's [`OutQueue`], each frame flushed before the next is taken,
//! so a peer that does not read holds at most the queue's cap.

use super::context::SessionContext;
use super::framing::{OutQueue, Popped};
use super::messages::{DialFailed, Direction};
use super::session::{Connection, PeerSession};
use actix::Actor;
use awc::ws;
use futures_util::sink::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::FutureExt;
use std::time::Duration;

type WsSink = SplitSink<actix_codec::Framed<awc::BoxedSocket, ws::Codec>, ws::Message>;

/// How long dialling a peer may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Writes the queue to the socket until it is finished (then closes) or aborted (then drops).
async fn write_frames(mut sink: WsSink, queue: OutQueue) {
    loop {
        match queue.pop().await {
            Popped::Frame(msg, len) => {
                if sink.send(msg).await.is_err() {
                    queue.abort();
                    return;
                }
                queue.written(len);
            }
            Popped::Finished => {
                let _ = sink.close().await;
                return;
            }
            Popped::Aborted => return,
        }
    }
}

/// Dials `url` on the current arbiter; on success starts the session, on failure tells the
/// router.
pub fn connect(url: String, cx: SessionContext) {
    actix::spawn(async move {
        let client = awc::Client::builder().timeout(CONNECT_TIMEOUT).finish();
        let max = cx.config.max_message_bytes;
        match client.ws(url.as_str()).max_frame_size(max).connect().await {
            Ok((_, framed)) => {
                let (sink, stream) = framed.split();
                let queue = OutQueue::new(cx.config.send_queue_bytes);
                let connection = Connection {
                    frames: stream.boxed_local(),
                    queue: queue.clone(),
                    writer: Some(write_frames(sink, queue).boxed_local()),
                };
                PeerSession::new(Direction::Outbound(url.clone()), url, None, cx, connection).start();
            }
            Err(e) => cx.router.dial_failed.do_send(DialFailed { url, error: e.to_string() }),
        }
    });
}
