//! [`Misbehaviour`]: every way a peer can break the protocol, with the code sent in `REJECT` and
//! counted in the metrics, and the penalty added to its score. The table mirrors PROTOCOL.md §8.7.

use bitcoin_rust_core::wire::WireError;

/// The score at which a peer is disconnected and refused for `ban_seconds`.
pub const BAN_SCORE: u32 = 100;

/// One violation of the protocol by a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misbehaviour {
    /// More messages than the rate budget allows (§8.6).
    Flood,
    /// A frame or message outside the protocol's form (§8.1, §8.2).
    Malformed,
    /// A message other than `HELLO`, `AUTH` or `REJECT` before the handshake completed.
    NoHandshake,
    /// A second `HELLO`, or an `AUTH` after the handshake.
    DuplicateHello,
    /// An `AUTH` whose signature does not prove the `HELLO.node_id` (§8.4).
    BadAuth,
    /// A `CHAIN` whose blocks do not link.
    ChainNotContiguous,
    /// A block that breaks the named consensus rule (§3–5).
    InvalidBlock(&'static str),
    /// A transfer that breaks a stateless rule or a rule at the tip that no honest peer breaks.
    InvalidTransaction,
    /// A transfer already in our chain: a replay, or an honest relay that crossed the block.
    ReplayedTransaction,
    /// A transfer stale at our tip (wrong nonce or input amount): an honest peer a block behind
    /// or on another branch sends them.
    StaleTransaction,
    /// A transfer this peer already sent on this connection: an honest peer does after a
    /// reorganisation gave it back to its pool.
    RepeatedTransaction,
}

impl Misbehaviour {
    /// Returns the code sent in `REJECT` and counted in `bitcoin_rust_p2p_refused_total`.
    pub fn code(&self) -> &'static str {
        match self {
            Misbehaviour::Flood => "flood",
            Misbehaviour::Malformed => "malformed",
            Misbehaviour::NoHandshake => "no_handshake",
            Misbehaviour::DuplicateHello => "duplicate_hello",
            Misbehaviour::BadAuth => "bad_auth",
            Misbehaviour::ChainNotContiguous => "chain_not_contiguous",
            Misbehaviour::InvalidBlock(rule) => rule,
            Misbehaviour::InvalidTransaction => "invalid_transaction",
            Misbehaviour::ReplayedTransaction | Misbehaviour::StaleTransaction => "stale_transaction",
            Misbehaviour::RepeatedTransaction => "repeated_transaction",
        }
    }

    /// Returns the penalty added to the peer's score. What honest peers also send (stale,
    /// replayed or repeated transfers: relays race blocks, and reorganisations give transfers
    /// back) costs no points: its cost is charged to the peer's work budget instead (a
    /// signature check each, or nothing for a repeat), so it slows a flood without ever
    /// banning an honest node (a 10-minute soak found honest nodes banning each other for
    /// relays that crossed blocks, when these cost 2 and 20).
    pub fn penalty(&self) -> u32 {
        match self {
            Misbehaviour::ReplayedTransaction | Misbehaviour::StaleTransaction | Misbehaviour::RepeatedTransaction => 0,
            _ => BAN_SCORE,
        }
    }

    /// Returns the violation of a frame that does not decode.
    pub fn of_wire_error(e: &WireError) -> Misbehaviour {
        match e {
            WireError::ChainNotContiguous(_) => Misbehaviour::ChainNotContiguous,
            _ => Misbehaviour::Malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_penalties_follow_protocol_md() {
        let doc = include_str!("../../../docs/PROTOCOL.md");
        for m in [
            Misbehaviour::Flood,
            Misbehaviour::Malformed,
            Misbehaviour::NoHandshake,
            Misbehaviour::DuplicateHello,
            Misbehaviour::BadAuth,
            Misbehaviour::ChainNotContiguous,
            Misbehaviour::InvalidTransaction,
            Misbehaviour::ReplayedTransaction,
            Misbehaviour::StaleTransaction,
            Misbehaviour::RepeatedTransaction,
        ] {
            let row = format!("`{}` | {} |", m.code(), m.penalty());
            assert!(doc.contains(&row), "PROTOCOL.md §8.7 has no row ending in {row}");
        }
    }
}
