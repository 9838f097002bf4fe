//! SHA-256 hashing and the hash newtypes of the protocol: [`BlockHash`], [`TxId`] and the
//! generic [`Hash256`] they are built on.
//!
//! Every hash in the protocol is a single SHA-256 (not SHA-256d). Hashes are shown and parsed
//! as 64 lower-case hex digits in the order the digest produces them; the block hash is read
//! as a big-endian 256-bit integer when it is compared with the proof-of-work target.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Returns the SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A 32-byte hash value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hash256(#[cfg_attr(feature = "ts", ts(type = "string"))] pub [u8; 32]);

impl Hash256 {
    /// The all-zero hash (the genesis block's parent).
    pub const ZERO: Hash256 = Hash256([0u8; 32]);

    /// Returns the SHA-256 of `data` as a hash value.
    pub fn digest(data: &[u8]) -> Self {
        Hash256(sha256(data))
    }

    /// Returns the raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Returns the hash as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Returns the number of leading zero hex digits.
    pub fn leading_zero_hex_digits(&self) -> u32 {
        let mut n = 0;
        for byte in self.0 {
            if byte == 0 {
                n += 2;
            } else {
                if byte < 0x10 {
                    n += 1;
                }
                break;
            }
        }
        n
    }
}

/// Why a hex hash could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// The text is not 64 hex digits.
    #[error("a hash is 64 hex digits, got {got} characters")]
    BadLength {
        /// The length that was given.
        got: usize,
    },
    /// The text contains a non-hex character.
    #[error("a hash is hex, got {0:?}")]
    NotHex(String),
}

impl FromStr for Hash256 {
    type Err = HashParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(HashParseError::BadLength { got: s.len() });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashParseError::NotHex(s.to_string()))?;
        Ok(Hash256(out))
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

/// Serialises up to 64 bytes as lower-case hex from a buffer on the stack (no `String` per
/// hash, address or signature: JSON answers and journal lines write many of them).
pub(crate) fn serialize_hex<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 128];
    let out = buf.get_mut(..bytes.len() * 2).ok_or_else(|| serde::ser::Error::custom("more than 64 bytes"))?;
    hex::encode_to_slice(bytes, out).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(std::str::from_utf8(out).map_err(serde::ser::Error::custom)?)
}

/// A serde visitor that parses a JSON string with [`FromStr`] where it lies (no `String` copy of
/// it first); `expecting` names what the string must hold.
pub(crate) struct ParseStr<T> {
    expecting: &'static str,
    parsed: std::marker::PhantomData<T>,
}

impl<T> ParseStr<T> {
    /// A visitor for a string that must hold `expecting`.
    pub(crate) fn new(expecting: &'static str) -> ParseStr<T> {
        ParseStr { expecting, parsed: std::marker::PhantomData }
    }
}

impl<T: FromStr> serde::de::Visitor<'_> for ParseStr<T>
where
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
        s.parse().map_err(E::custom)
    }
}

impl Serialize for Hash256 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_hex(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Hash256 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseStr::new("a string of 64 hex digits"))
    }
}

macro_rules! hash_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub struct $name(#[cfg_attr(feature = "ts", ts(type = "string"))] pub Hash256);

        impl $name {
            /// Returns the raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0 .0
            }
            /// Returns the hash as 64 lower-case hex digits.
            pub fn to_hex(&self) -> String {
                self.0.to_hex()
            }
        }

        impl FromStr for $name {
            type Err = HashParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name(s.parse()?))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

hash_newtype!(
    /// The hash of a block: SHA-256 of its 96-byte header.
    BlockHash
);
hash_newtype!(
    /// The id of a transaction: SHA-256 of its signed content (see `docs/PROTOCOL.md`).
    TxId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            Hash256::digest(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = Hash256::digest(b"x");
        assert_eq!(h.to_hex().parse::<Hash256>(), Ok(h));
        assert_eq!("ab".parse::<Hash256>(), Err(HashParseError::BadLength { got: 2 }));
        assert!(matches!("zz".repeat(32).parse::<Hash256>(), Err(HashParseError::NotHex(_))));
    }

    #[test]
    fn leading_zero_hex_digits_counts_nibbles() {
        let mut b = [0xffu8; 32];
        assert_eq!(Hash256(b).leading_zero_hex_digits(), 0);
        b[0] = 0x0f;
        assert_eq!(Hash256(b).leading_zero_hex_digits(), 1);
        b[0] = 0;
        b[1] = 0x01;
        assert_eq!(Hash256(b).leading_zero_hex_digits(), 3);
        assert_eq!(Hash256::ZERO.leading_zero_hex_digits(), 64);
    }
}
