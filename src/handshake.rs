//! The authenticated peer handshake (PROTOCOL.md §8.2): node identities and the proof that a peer
//! holds the key of the id it claims.
//!
//! A node's id ([`NodeId`]) is its 33-byte compressed secp256k1 public key. Each side of a
//! connection sends a fresh 32-byte [`HandshakeNonce`] in its `HELLO`; once it has the other
//! side's `HELLO`, it sends `AUTH` with an ECDSA signature ([`AuthSignature`]) over
//! [`auth_preimage`]: both nonces and both ids, so a signature is good for this connection, this
//! direction and this verifier only (it cannot be replayed, nor relayed to a third node).
//! No I/O here: the node's peer sessions call [`sign_auth`] and [`verify_auth`].

use crate::hash::BlockHash;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The domain tag that starts every handshake preimage.
pub const AUTH_DOMAIN: &[u8] = b"bitcoin_rust/p2p-auth/v2";

/// Why a handshake value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// A node id that is not 66 hex digits of a compressed secp256k1 public key.
    #[error("a node id is the 33-byte compressed public key in hex (66 digits): {0:?} is not")]
    BadNodeId(String),
    /// A nonce that is not 64 hex digits.
    #[error("a handshake nonce is 32 bytes in hex (64 digits)")]
    BadNonce,
    /// A signature that is not 128 hex digits of `r || s`, or not a valid scalar pair.
    #[error("an AUTH signature is r || s, 64 bytes in hex")]
    MalformedSignature,
    /// A signature whose `s` is in the upper half of the curve order.
    #[error("an AUTH signature must have a low s")]
    HighS,
    /// A signature that does not verify under the claimed node id.
    #[error("the AUTH signature does not verify under node id {0}")]
    BadSignature(NodeId),
}

/// Reads exactly `N` bytes written as `2N` hex digits.
fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    (s.len() == 2 * N && hex::decode_to_slice(s, &mut out).is_ok()).then_some(out)
}

/// A node's identity: its compressed secp256k1 public key (33 bytes, shown as 66 hex digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeId(#[cfg_attr(feature = "ts", ts(type = "string"))] [u8; 33]);

impl NodeId {
    /// Returns the id of a signing key.
    pub fn of(key: &SigningKey) -> NodeId {
        let point = key.verifying_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        NodeId(out)
    }

    /// Returns the 33 bytes.
    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.0
    }

    fn verifying_key(&self) -> Result<VerifyingKey, HandshakeError> {
        VerifyingKey::from_sec1_bytes(&self.0).map_err(|_| HandshakeError::BadNodeId(self.to_string()))
    }
}

impl FromStr for NodeId {
    type Err = HandshakeError;
    fn from_str(s: &str) -> Result<NodeId, HandshakeError> {
        let bad = || HandshakeError::BadNodeId(s.chars().take(80).collect());
        let out: [u8; 33] = hex_array(s).ok_or_else(bad)?;
        // Compressed form only (one spelling per key), and only points on the curve: nobody
        // could sign for anything else.
        if out[0] != 0x02 && out[0] != 0x03 {
            return Err(bad());
        }
        VerifyingKey::from_sec1_bytes(&out).map_err(|_| bad())?;
        Ok(NodeId(out))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}

/// A fresh random value each side sends in its `HELLO`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeNonce(pub [u8; 32]);

impl HandshakeNonce {
    /// Returns a nonce from the operating system's random generator.
    pub fn random() -> HandshakeNonce {
        use rand_core::RngCore;
        let mut out = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut out);
        HandshakeNonce(out)
    }
}

impl FromStr for HandshakeNonce {
    type Err = HandshakeError;
    fn from_str(s: &str) -> Result<HandshakeNonce, HandshakeError> {
        hex_array(s).map(HandshakeNonce).ok_or(HandshakeError::BadNonce)
    }
}

impl fmt::Display for HandshakeNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for HandshakeNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandshakeNonce({self})")
    }
}

/// The signature of an `AUTH` message: `r || s`, 64 bytes, low `s`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AuthSignature(pub [u8; 64]);

impl FromStr for AuthSignature {
    type Err = HandshakeError;
    fn from_str(s: &str) -> Result<AuthSignature, HandshakeError> {
        hex_array(s).map(AuthSignature).ok_or(HandshakeError::MalformedSignature)
    }
}

impl fmt::Display for AuthSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for AuthSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthSignature({self})")
    }
}

macro_rules! hex_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
hex_serde!(NodeId);
hex_serde!(HandshakeNonce);
hex_serde!(AuthSignature);

/// What one side of a connection signs in its `AUTH`, and the other side checks.
#[derive(Debug, Clone, Copy)]
pub struct AuthContext<'a> {
    /// The network's name (`HELLO.network`).
    pub network: &'a str,
    /// The network's genesis hash.
    pub genesis: BlockHash,
    /// The signer's id.
    pub signer: NodeId,
    /// The signer's `HELLO.nonce`.
    pub signer_nonce: HandshakeNonce,
    /// The verifier's id (the other side of the connection).
    pub verifier: NodeId,
    /// The verifier's `HELLO.nonce`.
    pub verifier_nonce: HandshakeNonce,
}

/// Returns the bytes an `AUTH` signature commits to (PROTOCOL.md §8.2):
/// `AUTH_DOMAIN || u8 len(network) || network || genesis (32, as shown) || signer id (33) ||
/// signer nonce (32) || verifier id (33) || verifier nonce (32)`.
pub fn auth_preimage(cx: &AuthContext<'_>) -> Vec<u8> {
    let network = cx.network.as_bytes();
    let mut out = Vec::with_capacity(AUTH_DOMAIN.len() + 1 + network.len() + 32 + 2 * (33 + 32));
    out.extend_from_slice(AUTH_DOMAIN);
    out.push(network.len().min(255) as u8);
    out.extend_from_slice(&network[..network.len().min(255)]);
    out.extend_from_slice(cx.genesis.as_bytes());
    out.extend_from_slice(&cx.signer.0);
    out.extend_from_slice(&cx.signer_nonce.0);
    out.extend_from_slice(&cx.verifier.0);
    out.extend_from_slice(&cx.verifier_nonce.0);
    out
}

/// Returns the SHA-256 of [`auth_preimage`]: the digest that is signed.
pub fn auth_digest(cx: &AuthContext<'_>) -> [u8; 32] {
    Sha256::digest(auth_preimage(cx)).into()
}

/// Signs the handshake as `cx.signer` (RFC 6979 deterministic nonce, low `s`).
pub fn sign_auth(key: &SigningKey, cx: &AuthContext<'_>) -> AuthSignature {
    let sig: Signature =
        key.sign_prehash(&auth_digest(cx)).expect("signing a 32-byte digest with a valid key cannot fail");
    let sig = sig.normalize_s().unwrap_or(sig);
    AuthSignature(sig.to_bytes().into())
}

/// Checks that `signature` is `cx.signer`'s over this handshake.
///
/// # Errors
/// [`HandshakeError::MalformedSignature`], [`HandshakeError::HighS`],
/// [`HandshakeError::BadSignature`] (or [`HandshakeError::BadNodeId`] for an id off the curve).
pub fn verify_auth(signature: &AuthSignature, cx: &AuthContext<'_>) -> Result<(), HandshakeError> {
    let sig = Signature::from_slice(&signature.0).map_err(|_| HandshakeError::MalformedSignature)?;
    if sig.normalize_s().is_some() {
        return Err(HandshakeError::HighS);
    }
    let key = cx.signer.verifying_key()?;
    if crate::ecdsa_check::verify_prehash(&key, &auth_digest(cx), &sig) {
        Ok(())
    } else {
        Err(HandshakeError::BadSignature(cx.signer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        let mut b = [0u8; 32];
        b[31] = n;
        SigningKey::from_slice(&b).expect("small secrets are valid")
    }

    fn cx<'a>(signer: &SigningKey, verifier: &SigningKey) -> AuthContext<'a> {
        AuthContext {
            network: "bitcoin-rust-main",
            genesis: BlockHash::default(),
            signer: NodeId::of(signer),
            signer_nonce: HandshakeNonce([0x11; 32]),
            verifier: NodeId::of(verifier),
            verifier_nonce: HandshakeNonce([0x22; 32]),
        }
    }

    #[test]
    fn a_signature_verifies_for_its_connection_only() {
        let (a, b) = (key(1), key(2));
        let c = cx(&a, &b);
        let sig = sign_auth(&a, &c);
        assert_eq!(verify_auth(&sig, &c), Ok(()));
        // Another verifier nonce (a replay on a new connection).
        let replay = AuthContext { verifier_nonce: HandshakeNonce([0x33; 32]), ..c };
        assert!(matches!(verify_auth(&sig, &replay), Err(HandshakeError::BadSignature(_))));
        // Relayed to a third node.
        let relay = AuthContext { verifier: NodeId::of(&key(3)), ..c };
        assert!(matches!(verify_auth(&sig, &relay), Err(HandshakeError::BadSignature(_))));
        // Claimed by someone else.
        let claimed = AuthContext { signer: NodeId::of(&key(3)), ..c };
        assert!(matches!(verify_auth(&sig, &claimed), Err(HandshakeError::BadSignature(_))));
        // The other direction.
        let reversed = cx(&b, &a);
        assert!(verify_auth(&sig, &reversed).is_err());
        // Another network.
        let other = AuthContext { network: "other", ..c };
        assert!(verify_auth(&sig, &other).is_err());
    }

    #[test]
    fn high_s_and_malformed_signatures_are_refused() {
        let (a, b) = (key(1), key(2));
        let c = cx(&a, &b);
        let sig = sign_auth(&a, &c);
        let parsed = Signature::from_slice(&sig.0).unwrap();
        let (r, s) = (parsed.r(), parsed.s());
        let high = Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes()).unwrap();
        assert_eq!(verify_auth(&AuthSignature(high.to_bytes().into()), &c), Err(HandshakeError::HighS));
        assert_eq!(verify_auth(&AuthSignature([0; 64]), &c), Err(HandshakeError::MalformedSignature));
    }

    #[test]
    fn ids_nonces_and_signatures_parse_only_in_their_exact_form() {
        let id = NodeId::of(&key(1));
        assert_eq!(id.to_string().parse::<NodeId>(), Ok(id));
        assert_eq!(
            id.to_string(),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
            "the generator point"
        );
        assert!(format!("02{}", "00".repeat(32)).parse::<NodeId>().is_err(), "x = 0 is not on the curve");
        assert!(format!("05{}", &id.to_string()[2..]).parse::<NodeId>().is_err(), "not a compressed key");
        assert!("scripted-1".parse::<NodeId>().is_err());
        assert!(id.to_string()[..64].parse::<NodeId>().is_err());
        assert!("zz".repeat(32).parse::<HandshakeNonce>().is_err());
        assert_eq!("ab".repeat(32).parse::<HandshakeNonce>(), Ok(HandshakeNonce([0xab; 32])));
        assert!("ab".repeat(63).parse::<AuthSignature>().is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<NodeId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<NodeId>("\"nope\"").is_err());
    }
}
