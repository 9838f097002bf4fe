//! The peer-to-peer layer (PROTOCOL.md §8). Arrows point one way:
//!
//! - [`router`]: the [`router::PeerActor`], which owns the peer set, admits and bans, dials and
//!   broadcasts; it starts outbound connections through [`outbound`].
//! - [`inbound`] / [`outbound`]: plug a socket into a [`session::PeerSession`]: frames in,
//!   the bounded send queue out ([`framing`]).
//! - [`session`]: one actor per connection: handshake, budgets ([`budget`]), heavy work on the
//!   bounded [`cpu`] pool, and the translation of messages into chain and mempool requests.
//! - [`messages`]: what the router and the sessions tell each other, as `Recipient`s, and
//!   [`context`]: what a session is given (the actors it talks to, the router's `Recipient`s);
//!   the router and the sessions import these, never each other. [`misbehaviour`]: every
//!   violation with its code and penalty.
//!
//! A block from a peer arrives as frames in [`inbound`] or [`outbound`], becomes a message in
//! [`session`] and goes to the chain actor; the chain's event comes back to [`router`], which
//! announces it to the other sessions.

pub mod budget;
pub mod context;
pub mod cpu;
pub mod framing;
pub mod inbound;
pub mod messages;
pub mod misbehaviour;
pub mod outbound;
pub mod router;
pub mod session;
