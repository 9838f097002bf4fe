//! The peer-to-peer wire protocol: JSON text frames over WebSocket, one message per frame,
//! tagged by `type`. `docs/PROTOCOL.md` (section "Peer-to-peer protocol") documents each
//! message; this enum is the reference. [`WireMessage::decode`] is the one entry point for a
//! received frame: it parses and applies every check that needs no chain state (list sizes,
//! contiguous `CHAIN` runs). Translation between these messages and the node's actor messages
//! happens in the node's peer sessions.

use crate::block::Block;
use crate::handshake::{AuthSignature, HandshakeNonce, NodeId};
use crate::hash::BlockHash;
use crate::target::Work;
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
    /// A `HELLO` field outside its documented form (length, characters, URL shape).
    #[error("HELLO.{field}: {reason}")]
    BadHello {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `PEERS` entry that is not a peer address of the documented form ([`is_peer_url`]).
    #[error("PEERS entry {0} is not a ws://host:port address of at most {MAX_URL_LEN} bytes")]
    BadPeerAddress(usize),
}

impl WireError {
    /// The machine-readable reason sent in `REJECT` and counted in the metrics.
    pub fn rule(&self) -> &'static str {
        match self {
            WireError::Malformed(_)
            | WireError::LocatorTooLong(_)
            | WireError::TooManyAddresses(_)
            | WireError::BadHello { .. }
            | WireError::BadPeerAddress(_) => "malformed",
            WireError::ChainNotContiguous(_) => "chain_not_contiguous",
        }
    }
}

/// The protocol version this node speaks: 2 added the authenticated handshake (`HELLO.nonce`,
/// `AUTH`); peers below it are refused.
pub const PROTOCOL_VERSION: u32 = 2;
/// The longest `HELLO.network` and `HELLO.agent`, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// The longest URL (`HELLO.listen`, `HELLO.http`, a `PEERS` entry), in bytes.
pub const MAX_URL_LEN: usize = 255;

/// Returns whether `url` is a peer address of the one form the protocol carries:
/// `ws://` or `wss://`, a host (an IPv4 address, a bracketed IPv6 address, or a DNS name of
/// letters, digits, `-` and `.`), `:`, a port 1–65535, and an optional `/`; at most
/// [`MAX_URL_LEN`] bytes. No user info, path, query or fragment: nothing a node dials can
/// point anywhere but a peer's P2P port.
pub fn is_peer_url(url: &str) -> bool {
    if url.len() > MAX_URL_LEN {
        return false;
    }
    let Some(rest) = url.strip_prefix("ws://").or_else(|| url.strip_prefix("wss://")) else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let Some((host, port)) = rest.rsplit_once(':') else {
        return false;
    };
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !host.starts_with(['-', '.'])
    };
    port_ok && host_ok
}

fn is_http_url(url: &str) -> bool {
    url.len() <= MAX_URL_LEN
        && (url.starts_with("http://") || url.starts_with("https://"))
        && url.bytes().all(|b| b.is_ascii_graphic())
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_NAME_LEN && text.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}
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
    /// The sender's node id: its public key, proven by its `AUTH` (PROTOCOL.md §8.2).
    pub node_id: NodeId,
    /// A fresh random value for this connection, signed by the other side's `AUTH`.
    pub nonce: HandshakeNonce,
    /// [`PROTOCOL_VERSION`].
    pub version: u32,
    /// Software name and version.
    pub agent: String,
    /// The sender's best height.
    pub best_height: u64,
    /// The sender's best block.
    pub best_hash: BlockHash,
    /// The sender's cumulative work: a decimal string of 1 to 78 digits on the wire.
    #[serde(with = "work_decimal")]
    pub total_work: Work,
    /// The URL the sender accepts peers on, if any.
    #[serde(default)]
    pub listen: Option<String>,
    /// The sender's HTTP API (for dashboards that switch between nodes), if it shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

impl Hello {
    /// Checks every field's documented form (the ids and nonce are checked by their types).
    ///
    /// # Errors
    /// [`WireError::BadHello`] naming the first field out of form.
    pub fn validate(&self) -> Result<(), WireError> {
        let bad = |field, reason| Err(WireError::BadHello { field, reason });
        if !is_name(&self.network) {
            return bad("network", "1 to 64 printable ASCII characters");
        }
        if !is_name(&self.agent) {
            return bad("agent", "1 to 64 printable ASCII characters");
        }
        if self.listen.as_deref().is_some_and(|u| !is_peer_url(u)) {
            return bad("listen", "a ws://host:port address of at most 255 bytes");
        }
        if self.http.as_deref().is_some_and(|u| !is_http_url(u)) {
            return bad("http", "an http:// or https:// URL of at most 255 bytes");
        }
        Ok(())
    }
}

mod work_decimal {
    use crate::target::Work;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(work: &Work, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(work)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Work, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Work::from_decimal(&text).ok_or_else(|| serde::de::Error::custom("total_work: 1 to 78 decimal digits"))
    }
}

/// Every message of the protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireMessage {
    /// The handshake.
    Hello(Hello),
    /// The proof that the sender holds the key of its `HELLO.node_id`, sent after the other
    /// side's `HELLO` arrived (PROTOCOL.md §8.2).
    Auth {
        /// The sender's signature over the handshake ([`crate::handshake::auth_preimage`]).
        signature: AuthSignature,
    },
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
            WireMessage::Auth { .. } => "AUTH",
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
            WireMessage::Peers { peers } => {
                if let Some(i) = peers.iter().position(|u| !is_peer_url(u)) {
                    return Err(WireError::BadPeerAddress(i));
                }
            }
            WireMessage::Hello(hello) => hello.validate()?,
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
    fn peer_urls_have_one_form() {
        for ok in ["ws://127.0.0.1:5001", "ws://node1:5001/", "wss://a.example:443", "ws://[::1]:9"] {
            assert!(is_peer_url(ok), "{ok}");
        }
        let long = format!("ws://{}:1", "a".repeat(250));
        for bad in [
            "http://127.0.0.1:5001",
            "ws://127.0.0.1",
            "ws://127.0.0.1:0",
            "ws://127.0.0.1:70000",
            "ws://user@host:1",
            "ws://host:1/path",
            "ws://host:1?x",
            "ws://:1",
            "ws://[zz]:1",
            long.as_str(),
        ] {
            assert!(!is_peer_url(bad), "{bad}");
        }
    }

    #[test]
    fn hello_fields_are_bounded_and_validated_at_decode() {
        use crate::handshake::NodeId;
        let id = NodeId::of(&k256::ecdsa::SigningKey::from_slice(&[1u8; 32]).unwrap());
        let hello = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = serde_json::json!({"type": "HELLO", "network": "n", "genesis": "00".repeat(32),
                "node_id": id.to_string(), "nonce": "11".repeat(32), "version": 2, "agent": "a/1",
                "best_height": 0, "best_hash": "00".repeat(32), "total_work": "12", "listen": "ws://127.0.0.1:1"});
            edit(&mut v);
            WireMessage::decode(&v.to_string())
        };
        assert!(hello(&|_| {}).is_ok());
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("listen", serde_json::json!(format!("ws://x:1/{}", "a".repeat(9_000_000 / 1000)))),
            ("listen", serde_json::json!("ws://evil:1/path")),
            ("agent", serde_json::json!("a".repeat(65))),
            ("agent", serde_json::json!("bell\u{7}")),
            ("network", serde_json::json!("")),
            ("http", serde_json::json!("javascript:alert(1)")),
            ("total_work", serde_json::json!("12a")),
            ("total_work", serde_json::json!("1".repeat(79))),
            ("total_work", serde_json::json!("")),
            ("node_id", serde_json::json!("scripted-1")),
            ("nonce", serde_json::json!("00")),
        ];
        for (field, value) in cases {
            let r = hello(&|v| v[field] = value.clone());
            assert_eq!(r.as_ref().map_err(|e| e.rule()), Err("malformed"), "{field} = {value}");
        }
        let peers =
            |urls: &[&str]| WireMessage::decode(&serde_json::json!({"type": "PEERS", "peers": urls}).to_string());
        assert!(peers(&["ws://127.0.0.1:1"]).is_ok());
        assert_eq!(peers(&["ws://127.0.0.1:1", "ws://h:1/x"]), Err(WireError::BadPeerAddress(1)));
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
