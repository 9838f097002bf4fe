//! The peer-to-peer wire protocol: JSON text frames over WebSocket, one message per frame,
//! tagged by `type`. `docs/PROTOCOL.md` (section "Peer-to-peer protocol") documents each
//! message; this enum is the reference. Translation between these messages and the actors' typed
//! messages happens only in the peer sessions.

use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::transaction::Transfer;
use serde::{Deserialize, Serialize};

/// The protocol version this node speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The most hashes accepted in a `GET_BLOCKS` locator.
pub const MAX_LOCATOR: usize = 64;
/// The most addresses in a `PEERS` message.
pub const MAX_PEER_ADDRESSES: usize = 64;

/// The first message each side sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// The network's name.
    pub network: String,
    /// The network's genesis hash: peers with another genesis are refused.
    pub genesis: BlockHash,
    /// A random id chosen at every start: refuses self-connections and duplicates.
    pub node_id: String,
    /// [`PROTOCOL_VERSION`].
    pub version: u32,
    /// Software name and version.
    pub agent: String,
    /// The sender's best height.
    pub best_height: u64,
    /// The sender's best block.
    pub best_hash: BlockHash,
    /// The sender's cumulative work, decimal.
    pub total_work: String,
    /// The URL the sender accepts peers on, if any.
    #[serde(default)]
    pub listen: Option<String>,
    /// The sender's HTTP API (for dashboards that switch between nodes), if it shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

/// Every message of the protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireMessage {
    /// The handshake.
    Hello(Hello),
    /// A run of consecutive blocks, lowest first (the first prototype's message; now the answer
    /// to `GET_BLOCKS`). Each block is validated; the chain switches only to more work.
    Chain {
        /// The blocks.
        chain: Vec<Block>,
    },
    /// One new block, sent to every peer when it joins the sender's best chain.
    Block {
        /// The block.
        block: Block,
    },
    /// A pending transfer, validated before it enters the pool and then relayed once.
    Transaction {
        /// The transfer.
        transaction: Transfer,
    },
    /// The first prototype's "empty your pool". Now it only removes pending transfers that the
    /// receiver's own chain already includes.
    ClearTransactions,
    /// Asks for blocks after the last locator hash the receiver has on its best chain, or from a
    /// height. Answered with `CHAIN`.
    GetBlocks {
        /// Block hashes, newest first, thinning out exponentially, genesis last.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locator: Option<Vec<BlockHash>>,
        /// Or: the first height wanted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_height: Option<u64>,
        /// The most blocks wanted (the receiver may send fewer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Asks for addresses of other nodes.
    GetPeers,
    /// Addresses of other nodes (`ws://` URLs).
    Peers {
        /// The URLs.
        peers: Vec<String>,
    },
    /// A heartbeat; answered with `PONG` carrying the same nonce.
    Ping {
        /// Any number.
        nonce: u64,
        /// The sender's best height, so peers know how far along it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        best_height: Option<u64>,
        /// The sender's best block.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        best_hash: Option<BlockHash>,
    },
    /// The answer to `PING`.
    Pong {
        /// The nonce of the ping.
        nonce: u64,
    },
    /// Why the sender is about to close the connection.
    Reject {
        /// A machine-readable reason.
        code: String,
        /// A human-readable explanation.
        message: String,
    },
}

impl WireMessage {
    /// Returns the message type as it appears on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            WireMessage::Hello(_) => "HELLO",
            WireMessage::Chain { .. } => "CHAIN",
            WireMessage::Block { .. } => "BLOCK",
            WireMessage::Transaction { .. } => "TRANSACTION",
            WireMessage::ClearTransactions => "CLEAR_TRANSACTIONS",
            WireMessage::GetBlocks { .. } => "GET_BLOCKS",
            WireMessage::GetPeers => "GET_PEERS",
            WireMessage::Peers { .. } => "PEERS",
            WireMessage::Ping { .. } => "PING",
            WireMessage::Pong { .. } => "PONG",
            WireMessage::Reject { .. } => "REJECT",
        }
    }

    /// Serialises the message to its JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("wire messages always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_first_prototypes_shapes() {
        let t = WireMessage::ClearTransactions.to_text();
        assert_eq!(t, r#"{"type":"CLEAR_TRANSACTIONS"}"#);
        let t = WireMessage::Chain { chain: vec![] }.to_text();
        assert_eq!(t, r#"{"type":"CHAIN","chain":[]}"#);
        let m: WireMessage = serde_json::from_str(r#"{"type":"PING","nonce":7}"#).unwrap();
        assert_eq!(m, WireMessage::Ping { nonce: 7, best_height: None, best_hash: None });
        let m: WireMessage = serde_json::from_str(r#"{"type":"GET_BLOCKS","from_height":3}"#).unwrap();
        assert_eq!(m, WireMessage::GetBlocks { locator: None, from_height: Some(3), limit: None });
        assert!(serde_json::from_str::<WireMessage>(r#"{"type":"NOPE"}"#).is_err());
    }
}
