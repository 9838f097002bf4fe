//! The peer-to-peer wire protocol: JSON text frames over WebSocket, one message per frame,
//! tagged by `type`. `docs/PROTOCOL.md` (section "Peer-to-peer protocol") documents each
//! message; this enum is the reference. [`WireMessage::decode`] is the one entry point for a
//! received frame: it parses and applies every check that needs no chain state (list sizes,
//! contiguous `CHAIN` runs). Translation between these messages and the node's actor messages
//! happens in the node's peer sessions.

use crate::block::Block;
use crate::hash::BlockHash;
use crate::transaction::Transfer;
use serde::{Deserialize, Serialize};

/// Why a received frame is not a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not JSON, or not one of the message shapes (unknown `type`, missing or mistyped field).
    #[error("not a protocol message: {0}")]
    Malformed(String),
    /// A `GET_BLOCKS` locator longer than [`MAX_LOCATOR`].
    #[error("a locator holds at most {MAX_LOCATOR} hashes, this one {0}")]
    LocatorTooLong(usize),
    /// A `PEERS` list longer than [`MAX_PEER_ADDRESSES`].
    #[error("PEERS holds at most {MAX_PEER_ADDRESSES} addresses, this one {0}")]
    TooManyAddresses(usize),
    /// A `CHAIN` whose block at this index does not build on the one before it.
    #[error("CHAIN blocks must each build on the previous one (block {0} does not)")]
    ChainNotContiguous(usize),
}

impl WireError {
    /// The machine-readable reason sent in `REJECT` and counted in the metrics.
    pub fn rule(&self) -> &'static str {
        match self {
            WireError::Malformed(_) | WireError::LocatorTooLong(_) | WireError::TooManyAddresses(_) => "malformed",
            WireError::ChainNotContiguous(_) => "chain_not_contiguous",
        }
    }
}

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

    /// Parses one received text frame and applies the checks that need no chain state.
    ///
    /// # Errors
    /// [`WireError`]: not a message, or a list over its limit, or a non-contiguous `CHAIN`.
    pub fn decode(text: &str) -> Result<WireMessage, WireError> {
        let msg: WireMessage = serde_json::from_str(text).map_err(|e| WireError::Malformed(e.to_string()))?;
        match &msg {
            WireMessage::GetBlocks { locator: Some(l), .. } if l.len() > MAX_LOCATOR => {
                return Err(WireError::LocatorTooLong(l.len()))
            }
            WireMessage::Peers { peers } if peers.len() > MAX_PEER_ADDRESSES => {
                return Err(WireError::TooManyAddresses(peers.len()))
            }
            WireMessage::Chain { chain } => {
                if let Some(i) = (1..chain.len()).find(|&i| chain[i].header.last_hash != chain[i - 1].hash()) {
                    return Err(WireError::ChainNotContiguous(i));
                }
            }
            _ => {}
        }
        Ok(msg)
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

    #[test]
    fn decode_applies_the_stateless_limits() {
        assert_eq!(WireMessage::decode(r#"{"type":"GET_PEERS"}"#), Ok(WireMessage::GetPeers));
        assert_eq!(WireMessage::decode("nope").map_err(|e| e.rule()), Err("malformed"));
        assert_eq!(WireMessage::decode(r#"{"type":"NOPE"}"#).map_err(|e| e.rule()), Err("malformed"));
        let hash = format!("\"{}\"", "00".repeat(32));
        let locator = |n: usize| format!(r#"{{"type":"GET_BLOCKS","locator":[{}]}}"#, vec![hash.as_str(); n].join(","));
        assert!(WireMessage::decode(&locator(MAX_LOCATOR)).is_ok());
        assert_eq!(WireMessage::decode(&locator(MAX_LOCATOR + 1)), Err(WireError::LocatorTooLong(MAX_LOCATOR + 1)));
        let peers = |n: usize| format!(r#"{{"type":"PEERS","peers":[{}]}}"#, vec!["\"ws://127.0.0.1:1\""; n].join(","));
        assert!(WireMessage::decode(&peers(MAX_PEER_ADDRESSES)).is_ok());
        assert_eq!(WireMessage::decode(&peers(MAX_PEER_ADDRESSES + 1)), Err(WireError::TooManyAddresses(65)));
    }

    #[test]
    fn decode_refuses_a_chain_that_is_not_contiguous() {
        use crate::testkit::{address, easy_params, next_block};
        let p = easy_params();
        let mut chain = crate::chain::Chain::open(p.clone(), crate::store::memory::MemoryStore::new(&p)).unwrap();
        let a = next_block(&chain, address(1), &[], 1_000);
        chain.process_block(a.clone(), u64::MAX / 2).unwrap();
        let b = next_block(&chain, address(1), &[], 1_000);
        let run = |blocks: Vec<Block>| WireMessage::Chain { chain: blocks }.to_text();
        assert!(WireMessage::decode(&run(vec![a.clone(), b.clone()])).is_ok());
        assert_eq!(WireMessage::decode(&run(vec![b, a])), Err(WireError::ChainNotContiguous(1)));
    }
}
