//! Connections peers open to our P2P server. [`accept`] asks the router whether the remote
//! address may connect (not banned, under `p2p.max_inbound_per_ip`) before anything else,
//! upgrades to WebSocket, and starts a [`PeerSession`]. Frames are decoded straight from the
//! request body, read only when the session asks for more; frames to send are written by the
//! response body ([`QueueBody`]) from the session's [`OutQueue`], which the HTTP server polls
//! only when the socket has room: a peer that does not read holds at most the queue's cap.

use super::context::SessionContext;
use super::framing::{OutQueue, Popped};
use super::messages::{AdmitInbound, Direction, Refusal, ReleaseInbound};
use super::session::{Connection, PeerSession};
use actix::Actor;
use actix_codec::{Decoder, Encoder};
use actix_http::ws::{Codec, Frame, ProtocolError};
use actix_web::body::MessageBody;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{Stream, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The response body of a peer connection: the session's queue, encoded as WebSocket frames.
pub struct QueueBody {
    queue: OutQueue,
    codec: Codec,
    buf: BytesMut,
    ended: bool,
}

impl Stream for QueueBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.queue.poll_pop(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Popped::Frame(msg, len)) => {
                let this = &mut *self;
                let encoded = this.codec.encode(msg, &mut this.buf);
                this.queue.written(len);
                match encoded {
                    Ok(()) => Poll::Ready(Some(Ok(this.buf.split().freeze()))),
                    Err(e) => {
                        this.ended = true;
                        Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
                    }
                }
            }
            Poll::Ready(Popped::Finished) => {
                self.ended = true;
                Poll::Ready(None)
            }
            // An error ends the response at once: the server drops the connection unflushed.
            Poll::Ready(Popped::Aborted) => {
                self.ended = true;
                Poll::Ready(Some(Err(std::io::Error::other("peer connection dropped"))))
            }
        }
    }
}

/// Decodes WebSocket frames from a request body, reading more only when asked for a frame.
fn frames_of(payload: web::Payload, max: usize) -> impl Stream<Item = Result<Frame, ProtocolError>> {
    let codec = Codec::new().max_size(max);
    futures_util::stream::unfold(
        (payload, BytesMut::new(), codec, false),
        |(mut payload, mut buf, mut codec, done)| async move {
            if done {
                return None;
            }
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(frame)) => return Some((Ok(frame), (payload, buf, codec, false))),
                    Ok(None) => {}
                    Err(e) => return Some((Err(e), (payload, buf, codec, true))),
                }
                match payload.next().await {
                    Some(Ok(bytes)) => buf.extend_from_slice(&bytes),
                    Some(Err(e)) => {
                        let e = ProtocolError::Io(std::io::Error::other(e.to_string()));
                        return Some((Err(e), (payload, buf, codec, true)));
                    }
                    None => return None,
                }
            }
        },
    )
}

fn refused(refusal: Refusal) -> HttpResponse {
    let body = serde_json::json!({"error": refusal.code(), "message": format!("peer connection refused: {refusal}")});
    match refusal {
        Refusal::Banned => HttpResponse::Forbidden().json(body),
        _ => HttpResponse::ServiceUnavailable().json(body),
    }
}

/// The P2P server's only route: upgrades any path to a peer WebSocket.
pub async fn accept(
    req: HttpRequest,
    payload: web::Payload,
    cx: web::Data<SessionContext>,
) -> actix_web::Result<HttpResponse> {
    let Some(addr) = req.peer_addr() else {
        return Ok(refused(Refusal::Starting));
    };
    let ip = addr.ip();
    match cx.router.admit.send(AdmitInbound { ip }).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return Ok(refused(refusal)),
        Err(_) => return Ok(refused(Refusal::ShuttingDown)),
    }
    let response = match actix_http::ws::handshake(req.head()) {
        Ok(r) => r,
        Err(e) => {
            cx.router.release.do_send(ReleaseInbound { ip });
            return Err(e.into());
        }
    };
    let cfg = &cx.config;
    let queue = OutQueue::new(cfg.send_queue_bytes);
    let connection = Connection {
        frames: frames_of(payload, cfg.max_message_bytes).boxed_local(),
        queue: queue.clone(),
        writer: None,
    };
    PeerSession::new(Direction::Inbound, addr.to_string(), Some(ip), cx.get_ref().clone(), connection).start();
    let body = QueueBody { queue, codec: Codec::new(), buf: BytesMut::new(), ended: false };
    let mut response = response;
    let response = response.message_body(actix_web::body::BodyStream::new(body).boxed())?;
    Ok(response.into())
}
