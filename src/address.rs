//! [`Address`]: a secp256k1 public key in compressed SEC1 form (33 bytes, 66 hex digits).
//!
//! The first prototype used uncompressed keys (`04` + 128 hex digits); they are accepted at the
//! edges (JSON, HTTP paths) and normalised to the compressed form, so one key has one address.

use k256::ecdsa::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The length of an address in bytes.
pub const ADDRESS_LEN: usize = 33;

/// A secp256k1 public key in compressed SEC1 encoding; always a valid curve point.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Address(#[cfg_attr(feature = "ts", ts(type = "string"))] [u8; ADDRESS_LEN]);

/// Why text or bytes are not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not hex.
    #[error("an address is hex, got {0:?}")]
    NotHex(String),
    /// Neither 33 (compressed) nor 65 (uncompressed) bytes.
    #[error("an address is a 33-byte compressed or 65-byte uncompressed SEC1 key, got {got} bytes")]
    BadLength {
        /// The number of bytes given.
        got: usize,
    },
    /// The bytes are not a point on secp256k1.
    #[error("not a secp256k1 public key")]
    NotOnCurve,
    /// A compressed key starts with `02` or `03`.
    #[error("a compressed public key starts with 02 or 03, got {got:02x}")]
    BadPrefix {
        /// The first byte.
        got: u8,
    },
}

impl Address {
    /// Returns the address of a verifying key.
    pub fn from_verifying_key(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(true);
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(point.as_bytes());
        Address(out)
    }

    /// Parses a SEC1 key (compressed or uncompressed) and normalises it.
    ///
    /// # Errors
    /// [`AddressError::BadLength`] or [`AddressError::NotOnCurve`].
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, AddressError> {
        if bytes.len() != 33 && bytes.len() != 65 {
            return Err(AddressError::BadLength { got: bytes.len() });
        }
        let key = VerifyingKey::from_sec1_bytes(bytes).map_err(|_| AddressError::NotOnCurve)?;
        Ok(Self::from_verifying_key(&key))
    }

    /// Makes an address from the 33 bytes of a compressed key, checking the form (prefix `02`
    /// or `03`) but not that the point is on the curve. This is what the protocol requires of an
    /// output address (a payment to bytes that are no key can never be spent, like a payment to
    /// a key nobody holds); the sender's key is checked in full when its signature is verified.
    /// Decompressing a point costs about 20 µs, as much as a quarter of a signature check.
    ///
    /// # Errors
    /// [`AddressError::BadPrefix`] for a first byte other than `02`/`03`.
    pub fn from_compressed(bytes: [u8; ADDRESS_LEN]) -> Result<Self, AddressError> {
        match bytes[0] {
            0x02 | 0x03 => Ok(Address(bytes)),
            got => Err(AddressError::BadPrefix { got }),
        }
    }

    /// Returns true if the address is a point on secp256k1 (a key someone could hold).
    pub fn is_on_curve(&self) -> bool {
        VerifyingKey::from_sec1_bytes(&self.0).is_ok()
    }

    /// Returns the verifying key.
    ///
    /// # Errors
    /// [`AddressError::NotOnCurve`] if the bytes (from a store) are not a point.
    ///
    /// Decompressing the point costs a field square root (see [`Address::from_compressed`]);
    /// the keys of recent senders are kept decompressed in [`key_cache`], so a sender seen
    /// again (its next payment, or the same transfer in a block after the pool) skips it.
    pub fn verifying_key(&self) -> Result<VerifyingKey, AddressError> {
        key_cache::verifying_key(&self.0).ok_or(AddressError::NotOnCurve)
    }

    /// Returns the 33 compressed bytes.
    pub fn as_bytes(&self) -> &[u8; ADDRESS_LEN] {
        &self.0
    }

    /// Returns the 66 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The decompressed keys of recently seen senders, shared by every thread that checks
/// signatures (HTTP workers, peer sessions, block validation). Bounded: 16 shards (chosen by a
/// byte of the key) of at most 256 keys each, about 0.5 MiB in all; a full shard is emptied
/// before the next key goes in, so a stream of new keys costs a clear now and then and never
/// more memory. Only keys that are points on the curve are kept. Pure memoisation: the answer is
/// the one `VerifyingKey::from_sec1_bytes` gives.
pub mod key_cache {
    use super::ADDRESS_LEN;
    use k256::ecdsa::VerifyingKey;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};

    /// Shards of the cache.
    pub const SHARDS: usize = 16;
    /// The most keys a shard holds.
    pub const SHARD_KEYS: usize = 256;

    type Shard = Mutex<HashMap<[u8; ADDRESS_LEN], VerifyingKey>>;
    static CACHE: LazyLock<Vec<Shard>> = LazyLock::new(|| (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect());

    /// The key of compressed `bytes`, or `None` if they are not a point on the curve.
    pub fn verifying_key(bytes: &[u8; ADDRESS_LEN]) -> Option<VerifyingKey> {
        let shard = &CACHE[usize::from(bytes[1]) % SHARDS];
        // A poisoned lock only means a thread panicked while holding it: the map is still a
        // valid cache (every entry was complete when inserted).
        if let Some(key) = shard.lock().unwrap_or_else(|e| e.into_inner()).get(bytes) {
            return Some(*key);
        }
        let key = VerifyingKey::from_sec1_bytes(bytes).ok()?;
        let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SHARD_KEYS {
            map.clear();
        }
        map.insert(*bytes, key);
        Some(key)
    }

    /// Keys held now (for tests and metrics).
    pub fn len() -> usize {
        CACHE.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).map_err(|_| AddressError::NotHex(s.chars().take(80).collect()))?;
        match <[u8; ADDRESS_LEN]>::try_from(bytes.as_slice()) {
            Ok(compressed) => Address::from_compressed(compressed),
            // The first prototype's uncompressed form: parsed in full and compressed.
            Err(_) => Address::from_sec1(&bytes),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_hex())
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::hash::serialize_hex(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(crate::hash::ParseStr::new("a string holding a public key in hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::SigningKey;

    #[test]
    fn the_key_cache_gives_the_decompressed_key_and_stays_bounded() {
        // More keys than the cache holds, twice over, each asked twice: the answers are always
        // the key itself, from the cache or not.
        let bound = key_cache::SHARDS * key_cache::SHARD_KEYS;
        for round in 0..2 {
            for seed in 1..=(bound as u64 + 300) {
                let sk = crate::testkit::key(50_000 + seed);
                let a = Address::from_verifying_key(sk.verifying_key());
                for _ in 0..2 {
                    assert_eq!(a.verifying_key().unwrap(), *sk.verifying_key(), "seed {seed}, round {round}");
                }
                assert!(key_cache::len() <= bound);
            }
        }
        // Bytes of the right form that are no point are refused every time (never cached).
        let off_curve = (0u8..=255)
            .map(|x| {
                let mut b = [0u8; ADDRESS_LEN];
                b[0] = 0x02;
                b[32] = x;
                b
            })
            .find(|b| VerifyingKey::from_sec1_bytes(b).is_err())
            .expect("half of all x have no point");
        let a = Address::from_compressed(off_curve).unwrap();
        assert_eq!(a.verifying_key(), Err(AddressError::NotOnCurve));
        assert_eq!(a.verifying_key(), Err(AddressError::NotOnCurve));
    }

    #[test]
    fn uncompressed_keys_are_normalised_to_compressed() {
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let vk = sk.verifying_key();
        let uncompressed = hex::encode(vk.to_encoded_point(false).as_bytes());
        let compressed = hex::encode(vk.to_encoded_point(true).as_bytes());
        let a: Address = uncompressed.parse().unwrap();
        let b: Address = compressed.parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_hex(), compressed);
        assert_eq!(a.to_hex().len(), 66);
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert!(matches!("xyz".parse::<Address>(), Err(AddressError::NotHex(_))));
        assert_eq!("abcd".parse::<Address>(), Err(AddressError::BadLength { got: 2 }));
        assert_eq!(format!("05{}", "11".repeat(32)).parse::<Address>(), Err(AddressError::BadPrefix { got: 5 }));
        // Well-formed but not a point: a valid output address, but not a key anyone holds.
        let not_on_curve = format!("02{}", "ff".repeat(32));
        let parsed: Address = not_on_curve.parse().unwrap();
        assert!(!parsed.is_on_curve());
        assert_eq!(Address::from_sec1(&hex::decode(&not_on_curve).unwrap()), Err(AddressError::NotOnCurve));
        assert!(Address::from_sec1(&hex::decode(format!("04{}", "ff".repeat(64))).unwrap()).is_err());
    }
}
