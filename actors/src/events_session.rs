//! [`EventsSession`]: one actor per dashboard connected to `GET /events`. It registers with the
//! [`HttpActor`], forwards the JSON events it is given, pings every 10 s and drops a client that
//! stays silent for 30 s. Clients only listen; anything they send is ignored.

use crate::api_error::ApiError;
use crate::http_actor::{DashboardText, HttpActor, SubscribeEvents, UnsubscribeEvents};
use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use std::time::{Duration, Instant};

/// How often the server pings a dashboard.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// How long a dashboard may stay silent (no pong) before it is dropped.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A dashboard's event stream.
pub struct EventsSession {
    http: Addr<HttpActor>,
    id: Option<u64>,
    last_seen: Instant,
}

impl Actor for EventsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.text(r#"{"type":"hello"}"#);
        self.http
            .send(SubscribeEvents(ctx.address().recipient()))
            .into_actor(self)
            .map(|id, act, ctx| match id {
                Ok(id) => act.id = Some(id),
                Err(_) => ctx.stop(),
            })
            .wait(ctx);
        ctx.run_interval(HEARTBEAT_INTERVAL, |act, ctx| {
            if act.last_seen.elapsed() > CLIENT_TIMEOUT {
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(id) = self.id {
            self.http.do_send(UnsubscribeEvents(id));
        }
    }
}

impl Handler<DashboardText> for EventsSession {
    type Result = ();
    fn handle(&mut self, msg: DashboardText, ctx: &mut Self::Context) {
        ctx.text(&*msg.0);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for EventsSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        match msg {
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(_) => {}
            Err(_) => ctx.stop(),
        }
    }
}

/// `GET /events`: upgrades to the dashboard's event WebSocket.
pub async fn events(
    req: HttpRequest,
    stream: web::Payload,
    http: web::Data<Addr<HttpActor>>,
) -> actix_web::Result<HttpResponse> {
    let session = EventsSession { http: http.get_ref().clone(), id: None, last_seen: Instant::now() };
    ws::WsResponseBuilder::new(session, &req, stream).frame_size(64 * 1024).start().map_err(|e| {
        // The framework answers a failed handshake with an empty body: answer the API's JSON error.
        // (The handshake error's status is in its response: its `status_code()` says 500.)
        let status = e.error_response().status();
        ApiError::new(status, "not_websocket", format!("{e}: /events is a WebSocket")).into()
    })
}
