//! [`InboundSocket`]: the socket actor of a connection a peer opened to our P2P server
//! (`actix-web-actors`; its imports stay in this file so a move to `actix-ws` touches only it).
//! It enforces the frame and message size limits, reassembles continuation frames, answers
//! WebSocket pings, and hands whole text messages to its [`PeerSession`].

use crate::peer_session::{
    next_session_id, Direction, PeerSession, Reassembler, SessionContext, SocketCommand, SocketEvent, BINARY_FRAME,
};
use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;

/// The socket actor of an inbound peer connection.
pub struct InboundSocket {
    cx: SessionContext,
    remote: String,
    session: Option<Addr<PeerSession>>,
    reassembler: Reassembler,
    /// A protocol error ended the input: waiting for the session's `REJECT` and close.
    failing: bool,
}

impl Actor for InboundSocket {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let session = PeerSession::new(
            next_session_id(),
            Direction::Inbound,
            self.remote.clone(),
            ctx.address().recipient(),
            self.cx.clone(),
        );
        self.session = Some(session.start());
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(s) = &self.session {
            s.do_send(SocketEvent::Closed);
        }
    }
}

impl InboundSocket {
    fn tell(&self, event: SocketEvent) {
        if let Some(s) = &self.session {
            s.do_send(event);
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for InboundSocket {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        let max = self.cx.config.max_message_bytes;
        match msg {
            Ok(ws::Message::Text(text)) => self.tell(SocketEvent::Text(text.to_string())),
            Ok(ws::Message::Binary(_)) => self.tell(SocketEvent::Malformed(BINARY_FRAME.into())),
            Ok(ws::Message::Continuation(item)) => {
                if let Some(event) = self.reassembler.feed(item, max) {
                    self.tell(event);
                }
            }
            Ok(ws::Message::Ping(payload)) => {
                ctx.pong(&payload);
                self.tell(SocketEvent::Alive);
            }
            Ok(ws::Message::Pong(_)) => self.tell(SocketEvent::Alive),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(ws::Message::Nop) => {}
            // The connection dropped (reset, EOF): not the peer's misbehaviour.
            Err(ws::ProtocolError::Io(_)) => ctx.stop(),
            Err(e) => {
                // The session answers with REJECT and a close frame (PROTOCOL.md §8.7): stay up
                // for them, but not for long.
                self.failing = true;
                self.tell(SocketEvent::Malformed(format!("websocket protocol error: {e}")));
                ctx.run_later(PROTOCOL_ERROR_GRACE, |_, ctx| ctx.stop());
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        if !self.failing {
            ctx.stop();
        }
    }
}

/// How long a socket whose input failed waits for its session's `REJECT` and close.
pub const PROTOCOL_ERROR_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl Handler<SocketCommand> for InboundSocket {
    type Result = ();
    fn handle(&mut self, cmd: SocketCommand, ctx: &mut Self::Context) {
        match cmd {
            SocketCommand::Text(text) => ctx.text(&*text),
            SocketCommand::Close(reason) => {
                ctx.close(Some(ws::CloseReason { code: ws::CloseCode::Policy, description: Some(reason) }));
                ctx.stop();
            }
        }
    }
}

/// The P2P server's only route: upgrades any path to a peer WebSocket.
pub async fn accept(
    req: HttpRequest,
    stream: web::Payload,
    cx: web::Data<SessionContext>,
) -> actix_web::Result<HttpResponse> {
    let remote = req.peer_addr().map(|a| a.to_string()).unwrap_or_else(|| "unknown".into());
    let max = cx.config.max_message_bytes;
    let socket = InboundSocket {
        cx: cx.get_ref().clone(),
        remote,
        session: None,
        reassembler: Reassembler::default(),
        failing: false,
    };
    ws::WsResponseBuilder::new(socket, &req, stream).frame_size(max).start()
}
