//! The messages between the peer router ([`super::router::PeerActor`]) and the per-connection
//! sessions ([`super::session::PeerSession`]). Sessions reach the router only through the
//! `Recipient`s of these messages in their [`super::context::SessionContext`], and the router
//! reaches sessions only through the `Recipient`s they register: neither imports the other.

use super::misbehaviour::Misbehaviour;
use crate::metrics::Traffic;
use actix::prelude::*;
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::wire::Hello;
use std::net::IpAddr;
use std::sync::Arc;

/// Which side opened the connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "direction", content = "url")]
pub enum Direction {
    /// The peer dialled us.
    Inbound,
    /// We dialled the peer at this URL.
    Outbound(String),
}

/// Why the router refuses a connection (the `REJECT` code, PROTOCOL.md §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The node is still starting.
    Starting,
    /// The node is stopping.
    ShuttingDown,
    /// The node id or the address is banned.
    Banned,
    /// A connection with that node id is already admitted.
    DuplicateConnection,
    /// `p2p.max_peers` connections are admitted.
    TooManyPeers,
    /// `p2p.max_inbound` inbound connections are admitted.
    TooManyInboundPeers,
    /// `p2p.max_inbound_per_ip` inbound connections come from that address.
    TooManyFromAddress,
    /// The node is isolated from the network for a while (`POST /dev/isolate`).
    Isolated,
}

impl Refusal {
    /// Returns the `REJECT` code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Starting => "starting",
            Refusal::ShuttingDown => "shutting_down",
            Refusal::Banned => "banned",
            Refusal::DuplicateConnection => "duplicate_connection",
            Refusal::TooManyPeers => "too_many_peers",
            Refusal::TooManyInboundPeers => "too_many_inbound_peers",
            Refusal::TooManyFromAddress => "too_many_from_address",
            Refusal::Isolated => "isolated",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for Refusal {}

/// Asks whether a new inbound connection from `ip` may open (not banned, under the per-address
/// cap); on `Ok` a slot is held for it until [`Unregister`] or [`ReleaseInbound`].
#[derive(Message)]
#[rtype(result = "Result<(), Refusal>")]
pub struct AdmitInbound {
    /// The remote address.
    pub ip: IpAddr,
}

/// Gives back a slot of [`AdmitInbound`] whose connection never started a session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReleaseInbound {
    /// The remote address.
    pub ip: IpAddr,
}

/// A session whose peer proved its node id asks to be admitted.
#[derive(Message)]
#[rtype(result = "Result<(), Refusal>")]
pub struct Register {
    /// The session's id.
    pub session: u64,
    /// Where to send broadcasts.
    pub recipient: Recipient<SendWire>,
    /// Where to send disconnect requests.
    pub disconnect: Recipient<Disconnect>,
    /// The peer's handshake (its `node_id` proven by `AUTH`).
    pub hello: Hello,
    /// Which side dialled.
    pub direction: Direction,
    /// The remote socket address, as text.
    pub remote: String,
    /// The remote IP address, for inbound connections.
    pub ip: Option<IpAddr>,
}

/// A session ended.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    /// The session's id.
    pub session: u64,
    /// The URL it dialled, for outbound sessions.
    pub outbound_url: Option<String>,
    /// The remote address of an inbound session (its [`AdmitInbound`] slot is given back).
    pub inbound_ip: Option<IpAddr>,
}

/// A session reports a violation; the router keeps the counts and decides bans.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Misbehaved {
    /// The session's id.
    pub session: u64,
    /// The peer's proven node id, once it has one.
    pub node_id: Option<NodeId>,
    /// The remote address of an inbound peer.
    pub ip: Option<IpAddr>,
    /// The URL we dialled, for outbound sessions.
    pub url: Option<String>,
    /// The violation.
    pub misbehaviour: Misbehaviour,
    /// The session's score after it (old penalties fade over time).
    pub score: u32,
}

/// A peer announced or sent a block: its best height is at least this.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PeerTip {
    /// The session's id.
    pub session: u64,
    /// The height.
    pub height: u64,
    /// The block.
    pub hash: BlockHash,
    /// True when the peer reported its own tip (it may then go down, after a reorganisation);
    /// false when it only sent us a block (its tip is at least that high).
    pub reported: bool,
}

/// Addresses learnt from a peer's `PEERS` (each already checked by the decoder).
#[derive(Message)]
#[rtype(result = "()")]
pub struct LearnAddresses {
    /// The URLs.
    pub urls: Vec<String>,
}

/// Returns addresses to share with a peer.
#[derive(Message)]
#[rtype(result = "Vec<String>")]
pub struct GetPeerUrls {
    /// The asking peer's own URL, left out.
    pub exclude: Option<String>,
}

/// A session's traffic since its last report, by message type.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PeerTraffic {
    /// The session's id.
    pub session: u64,
    /// Bytes in its send queue now.
    pub queued_bytes: usize,
    /// Messages received, by type.
    pub received: Vec<(&'static str, Traffic)>,
    /// Messages sent, by type.
    pub sent: Vec<(&'static str, Traffic)>,
    /// Broadcasts not queued because the peer's send queue was full.
    pub skipped: u64,
    /// Connections dropped because their send queue stayed full.
    pub write_timeouts: u64,
}

/// Sends a broadcast (already serialised, with its type) to the peer; from the router. A peer
/// whose send queue is full does not get it (it catches up with `GET_BLOCKS`).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SendWire(pub Arc<str>, pub &'static str);

/// Asks the session to close.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    /// The reason code sent in `REJECT`.
    pub code: &'static str,
}

/// An outbound dial failed before a session started.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DialFailed {
    /// The URL.
    pub url: String,
    /// Why.
    pub error: String,
}
