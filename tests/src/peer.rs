//! A scripted peer: speaks the documented P2P protocol (docs/PROTOCOL.md §8) with its own
//! WebSocket client (tungstenite), not the node's code, so tests can misbehave on purpose. It
//! connects from an address of its own in 127.0.0.0/8 (bans and per-address limits of the node
//! then touch only it, not the honest nodes on 127.0.0.1), and proves a key of its own in the
//! handshake (`HELLO` with a nonce, then `AUTH`), using the core crate's reference functions.

use crate::Node;
use bitcoin_rust_core::handshake::{sign_auth, verify_auth, AuthContext, AuthSignature, HandshakeNonce, NodeId};
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::k256_reexport::SigningKey;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::{Message, WebSocket};

/// The socket type of a scripted peer.
pub type Socket = WebSocket<TcpStream>;

/// Returns a random loopback address other than 127.0.0.1.
pub fn random_loopback() -> Ipv4Addr {
    let [a, b, c]: [u8; 3] = rand::random();
    Ipv4Addr::new(127, a.max(1), b, c.max(2))
}

/// A peer driven by a test.
pub struct ScriptedPeer {
    /// The WebSocket.
    pub ws: Socket,
    /// Its key.
    pub key: SigningKey,
    /// Its node id (the key's public key, hex).
    pub node_id: String,
    /// The loopback address it connects from.
    pub ip: Ipv4Addr,
    /// Its `HELLO.nonce`.
    pub nonce: HandshakeNonce,
}

/// Opens a TCP connection from `ip` to the node's P2P port.
pub fn tcp_from(node: &Node, ip: Ipv4Addr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((ip, 0)).into())?;
    socket.connect(&SocketAddr::from((Ipv4Addr::LOCALHOST, node.p2p_port())).into())?;
    Ok(socket.into())
}

impl ScriptedPeer {
    /// Connects from a random loopback address (no handshake yet).
    pub fn connect(node: &Node) -> ScriptedPeer {
        ScriptedPeer::try_connect(node, random_loopback(), SigningKey::random(&mut rand_core_os()))
            .unwrap_or_else(|e| panic!("connect to the P2P port: {e}"))
    }

    /// Connects from `ip` with `key`; an error if the node refuses the WebSocket upgrade.
    pub fn try_connect(node: &Node, ip: Ipv4Addr, key: SigningKey) -> Result<ScriptedPeer, tungstenite::Error> {
        let stream = tcp_from(node, ip)?;
        // A generous timeout for the upgrade (a loaded machine answers slowly), then a short one
        // so reads can poll.
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let (ws, _) = match tungstenite::client(node.p2p.as_str(), stream) {
            Ok(ok) => ok,
            Err(tungstenite::HandshakeError::Failure(e)) => return Err(e),
            Err(tungstenite::HandshakeError::Interrupted(_)) => {
                return Err(tungstenite::Error::Io(std::io::Error::other("handshake interrupted")))
            }
        };
        ws.get_ref().set_read_timeout(Some(Duration::from_millis(200)))?;
        let node_id = NodeId::of(&key).to_string();
        Ok(ScriptedPeer { ws, key, node_id, ip, nonce: HandshakeNonce::random() })
    }

    /// Returns this peer's `HELLO` for the node's network.
    pub fn hello(&self, node: &Node) -> Value {
        let status = node.status();
        json!({
            "type": "HELLO",
            "network": status["network"],
            "genesis": status["genesis"],
            "node_id": self.node_id,
            "nonce": self.nonce.to_string(),
            "version": 2,
            "agent": "scripted-peer/1",
            "best_height": 0,
            "best_hash": status["genesis"],
            "total_work": "0",
            "listen": null
        })
    }

    /// Connects from a random loopback address and completes the handshake.
    pub fn join(node: &Node) -> ScriptedPeer {
        let mut peer = ScriptedPeer::connect(node);
        peer.handshake(node);
        peer
    }

    /// Sends `HELLO`, reads the node's `HELLO` and `AUTH` (checking the node's signature), and
    /// sends `AUTH` signed with this peer's key for its `node_id` (which a test may have set to
    /// an id it does not hold the key of).
    pub fn handshake(&mut self, node: &Node) {
        let hello = self.hello(node);
        self.send(&hello.to_string());
        let theirs = self.recv().expect("the node's HELLO");
        assert_eq!(theirs["type"], "HELLO", "{theirs}");
        let auth = self.recv().expect("the node's AUTH");
        assert_eq!(auth["type"], "AUTH", "{auth}");
        let node_id: NodeId = theirs["node_id"].as_str().unwrap().parse().expect("the node's id is a public key");
        let node_nonce: HandshakeNonce = theirs["nonce"].as_str().unwrap().parse().expect("a nonce");
        let genesis: BlockHash = theirs["genesis"].as_str().unwrap().parse().expect("a hash");
        let network = theirs["network"].as_str().unwrap().to_string();
        let me: NodeId = self.node_id.parse().expect("the claimed id is a public key");
        let sig: AuthSignature = auth["signature"].as_str().unwrap().parse().expect("a signature");
        let theirs_cx = AuthContext {
            network: &network,
            genesis,
            signer: node_id,
            signer_nonce: node_nonce,
            verifier: me,
            verifier_nonce: self.nonce,
        };
        verify_auth(&sig, &theirs_cx).expect("the node proves its id");
        let ours = sign_auth(
            &self.key,
            &AuthContext {
                network: &network,
                genesis,
                signer: me,
                signer_nonce: self.nonce,
                verifier: node_id,
                verifier_nonce: node_nonce,
            },
        );
        self.send(&json!({"type": "AUTH", "signature": ours.to_string()}).to_string());
    }

    /// Sends a text message.
    pub fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).expect("send");
    }

    /// Sends one raw WebSocket frame: a text frame or a continuation, final or not.
    pub fn send_frame(&mut self, payload: impl Into<Vec<u8>>, continuation: bool, last: bool) -> bool {
        let opcode = OpCode::Data(if continuation { Data::Continue } else { Data::Text });
        self.ws.send(Message::Frame(Frame::message(payload.into(), opcode, last))).is_ok()
    }

    /// Sends `PING` and waits for the `PONG` with its nonce (other messages are skipped).
    pub fn ping(&mut self, nonce: u64) -> bool {
        self.send(&json!({"type": "PING", "nonce": nonce}).to_string());
        self.await_pong(nonce)
    }

    /// Waits up to 5 s for the `PONG` with `nonce`.
    pub fn await_pong(&mut self, nonce: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.recv() {
                Some(m) if m["type"] == "PONG" && m["nonce"] == nonce => return true,
                Some(_) => {}
                None => return false,
            }
        }
        false
    }

    /// Reads frames until a text message arrives, the connection ends, or `deadline` passes
    /// (control frames are skipped). The one read loop of the scripted peer: [`Self::recv`],
    /// [`Self::expect_closed`] and the tests' own loops are built on it.
    pub fn next_before(&mut self, deadline: Instant) -> Incoming {
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Text(t)) => return Incoming::Text(t.as_str().to_string()),
                Ok(Message::Close(_)) => return Incoming::Closed,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return Incoming::Closed,
            }
        }
        Incoming::Quiet
    }

    /// Reads the next text message within 5 s (pings are skipped); `None` once closed.
    pub fn recv(&mut self) -> Option<Value> {
        match self.next_before(Instant::now() + Duration::from_secs(5)) {
            Incoming::Text(t) => Some(serde_json::from_str(&t).expect("json from the node")),
            Incoming::Closed | Incoming::Quiet => None,
        }
    }

    /// Reads until the node closes the connection; returns the `REJECT` code if one came.
    pub fn expect_closed(&mut self, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        let mut code = None;
        loop {
            match self.next_before(deadline) {
                Incoming::Text(t) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if v["type"] == "REJECT" {
                        code = v["code"].as_str().map(String::from);
                    }
                }
                Incoming::Closed => return code,
                Incoming::Quiet => {
                    panic!("the node did not close the connection within {within:?} (reject code so far: {code:?})")
                }
            }
        }
    }
}

/// What [`ScriptedPeer::next_before`] read.
pub enum Incoming {
    /// A text message (the node's messages are JSON).
    Text(String),
    /// The connection was closed or broke.
    Closed,
    /// Nothing arrived before the deadline.
    Quiet,
}

fn rand_core_os() -> impl rand::CryptoRng + rand::RngCore {
    rand::rngs::OsRng
}
