//! [`OutboundSocket`]: the socket actor of a connection we opened to a peer (`awc`). It runs on
//! the peer actor's arbiter (an `awc::Client` is not `Send`), enforces the same limits as the
//! inbound side, and hands whole text messages to its [`PeerSession`].

use crate::peer_actor::{DialFailed, PeerActor};
use crate::peer_session::{
    next_session_id, Direction, PeerSession, Reassembler, SessionContext, SocketCommand, SocketEvent, BINARY_FRAME,
};
use actix::io::SinkWrite;
use actix::prelude::*;
use awc::ws;
use futures_util::stream::{SplitSink, StreamExt};
use std::time::Duration;

type WsSink = SplitSink<actix_codec::Framed<awc::BoxedSocket, ws::Codec>, ws::Message>;

/// How long dialling a peer may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket actor of an outbound peer connection.
pub struct OutboundSocket {
    sink: SinkWrite<ws::Message, WsSink>,
    session: Option<Addr<PeerSession>>,
    reassembler: Reassembler,
    max: usize,
    /// A protocol error ended the input: waiting for the session's `REJECT` and close.
    failing: bool,
}

/// Dials `url` on the current arbiter; on success starts the socket and its session, on failure
/// tells the router.
pub fn connect(url: String, cx: SessionContext, router: Addr<PeerActor>) {
    actix::spawn(async move {
        let client = awc::Client::builder().timeout(CONNECT_TIMEOUT).finish();
        let max = cx.config.max_message_bytes;
        let result = client.ws(url.as_str()).max_frame_size(max).connect().await;
        match result {
            Ok((_, framed)) => {
                let (sink, stream) = framed.split();
                OutboundSocket::create(move |ctx| {
                    ctx.add_stream(stream);
                    let session = PeerSession::new(
                        next_session_id(),
                        Direction::Outbound(url.clone()),
                        url,
                        ctx.address().recipient(),
                        cx,
                    )
                    .start();
                    OutboundSocket {
                        sink: SinkWrite::new(sink, ctx),
                        session: Some(session),
                        reassembler: Reassembler::default(),
                        max,
                        failing: false,
                    }
                });
            }
            Err(e) => router.do_send(DialFailed { url, error: e.to_string() }),
        }
    });
}

impl OutboundSocket {
    fn tell(&self, event: SocketEvent) {
        if let Some(s) = &self.session {
            s.do_send(event);
        }
    }
}

impl Actor for OutboundSocket {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.tell(SocketEvent::Closed);
    }
}

impl actix::io::WriteHandler<awc::error::WsProtocolError> for OutboundSocket {}

impl StreamHandler<Result<ws::Frame, awc::error::WsProtocolError>> for OutboundSocket {
    fn handle(&mut self, frame: Result<ws::Frame, awc::error::WsProtocolError>, ctx: &mut Context<Self>) {
        match frame {
            Ok(ws::Frame::Text(bytes)) => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => self.tell(SocketEvent::Text(text)),
                Err(_) => self.tell(SocketEvent::Malformed("text frame is not UTF-8".into())),
            },
            Ok(ws::Frame::Binary(_)) => self.tell(SocketEvent::Malformed(BINARY_FRAME.into())),
            Ok(ws::Frame::Continuation(item)) => {
                if let Some(event) = self.reassembler.feed(item, self.max) {
                    self.tell(event);
                }
            }
            Ok(ws::Frame::Ping(payload)) => {
                let _ = self.sink.write(ws::Message::Pong(payload));
                self.tell(SocketEvent::Alive);
            }
            Ok(ws::Frame::Pong(_)) => self.tell(SocketEvent::Alive),
            Ok(ws::Frame::Close(_)) => ctx.stop(),
            // The connection dropped (reset, EOF): not the peer's misbehaviour.
            Err(awc::error::WsProtocolError::Io(_)) => ctx.stop(),
            Err(e) => {
                // As for inbound sockets: leave time for the session's REJECT and close.
                self.failing = true;
                self.tell(SocketEvent::Malformed(format!("websocket protocol error: {e}")));
                ctx.run_later(crate::peer_socket_in::PROTOCOL_ERROR_GRACE, |_, ctx| ctx.stop());
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        if !self.failing {
            ctx.stop();
        }
    }
}

impl Handler<SocketCommand> for OutboundSocket {
    type Result = ();
    fn handle(&mut self, cmd: SocketCommand, ctx: &mut Context<Self>) {
        match cmd {
            SocketCommand::Text(text) => {
                let _ = self.sink.write(ws::Message::Text(bytestring::ByteString::from(&*text)));
            }
            SocketCommand::Close(reason) => {
                let _ = self.sink.write(ws::Message::Close(Some(ws::CloseReason {
                    code: ws::CloseCode::Policy,
                    description: Some(reason),
                })));
                self.sink.close();
                ctx.stop();
            }
        }
    }
}
