//! Blocks: the fixed 96-byte [`BlockHeader`], the [`Block`] with its transactions, their binary
//! and JSON forms, the genesis block, and the midstate [`HeaderHasher`] used for mining.
//!
//! Header layout (all integers big-endian):
//!
//! | offset | size | field        |
//! |-------:|-----:|--------------|
//! | 0      | 4    | version      |
//! | 4      | 8    | height       |
//! | 12     | 32   | last_hash    |
//! | 44     | 32   | merkle_root  |
//! | 76     | 8    | timestamp ms |
//! | 84     | 4    | bits         |
//! | 88     | 8    | nonce        |
//!
//! The block hash is one SHA-256 of those 96 bytes. The first 64 bytes do not hold the nonce, so
//! a miner compresses them once (the midstate) and then one 64-byte block per nonce.

use crate::amount::{Amount, Height};
use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::{BlockHash, Hash256, TxId};
use crate::merkle::merkle_root;
use crate::params::NetworkParams;
use crate::target::{initial_target, CompactTarget, Target};
use crate::transaction::Transaction;
use serde::{Deserialize, Serialize};
// sha2 0.10 takes blocks as generic-array 0.14 values, which that crate now marks deprecated.
#[allow(deprecated)]
use sha2::digest::generic_array::GenericArray;

/// The size of an encoded header.
pub const HEADER_LEN: usize = 96;
/// The only header version this protocol defines.
pub const BLOCK_VERSION: u32 = 1;
/// The domain tag of the genesis commitment.
pub const GENESIS_DOMAIN: &[u8] = b"bitcoin-rust/genesis/v1";
/// The tag before the dev-chain parameters in the genesis commitment (only when they are used).
pub const GENESIS_DEV_DOMAIN: &[u8] = b"bitcoin-rust/genesis-dev/v1";

/// A block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockHeader {
    /// Format version, [`BLOCK_VERSION`].
    pub version: u32,
    /// Height in the chain (genesis is 0).
    pub height: Height,
    /// The parent's hash (zero for genesis).
    pub last_hash: BlockHash,
    /// Merkle root of the transaction ids (genesis: the parameter commitment).
    pub merkle_root: Hash256,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The compact target this block must meet.
    pub bits: CompactTarget,
    /// The proof-of-work counter.
    pub nonce: u64,
}

impl BlockHeader {
    /// Returns the 96-byte encoding.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&self.version.to_be_bytes());
        out[4..12].copy_from_slice(&self.height.0.to_be_bytes());
        out[12..44].copy_from_slice(self.last_hash.as_bytes());
        out[44..76].copy_from_slice(self.merkle_root.as_bytes());
        out[76..84].copy_from_slice(&self.timestamp.to_be_bytes());
        out[84..88].copy_from_slice(&self.bits.0.to_be_bytes());
        out[88..96].copy_from_slice(&self.nonce.to_be_bytes());
        out
    }

    /// Decodes a 96-byte header.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> BlockHeader {
        let mut r = Reader::new(bytes);
        // Reads from a fixed 96-byte array cannot run short.
        let mut read = || -> Result<BlockHeader, DecodeError> {
            Ok(BlockHeader {
                version: r.u32()?,
                height: Height(r.u64()?),
                last_hash: BlockHash(Hash256(r.array()?)),
                merkle_root: Hash256(r.array()?),
                timestamp: r.u64()?,
                bits: CompactTarget(r.u32()?),
                nonce: r.u64()?,
            })
        };
        read().expect("a 96-byte array holds a whole header")
    }

    /// Returns the block hash: SHA-256 of the encoding.
    pub fn hash(&self) -> BlockHash {
        BlockHash(Hash256::digest(&self.encode()))
    }
}

/// A block: header and transactions, the reward first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions.
    pub transactions: Vec<Transaction>,
}

impl Block {
    /// Returns the block hash.
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// Returns the height.
    pub fn height(&self) -> Height {
        self.header.height
    }

    /// Returns the ids of the transactions in order.
    pub fn txids(&self) -> Vec<TxId> {
        self.transactions.iter().map(|t| t.id()).collect()
    }

    /// Returns the Merkle root the transactions give.
    pub fn compute_merkle_root(&self) -> Hash256 {
        merkle_root(&self.txids())
    }

    /// Returns the binary encoding: header, u32 transaction count, transactions.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.encoded_len());
        w.bytes(&self.header.encode()).u32(self.transactions.len() as u32);
        for tx in &self.transactions {
            tx.encode_into(&mut w);
        }
        w.into_bytes()
    }

    /// Returns the size of the binary encoding without building it.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 4 + self.transactions.iter().map(|t| t.encoded_len()).sum::<usize>()
    }

    /// Decodes a block. Transaction ids are computed from content; the block is not validated.
    ///
    /// # Errors
    /// [`DecodeError`] on truncated, oversize or invalid input.
    pub fn decode(bytes: &[u8], params: &NetworkParams) -> Result<Block, DecodeError> {
        if bytes.len() > params.max_block_bytes.max(HEADER_LEN + 4) {
            return Err(DecodeError::TooLong { what: "block", got: bytes.len(), max: params.max_block_bytes });
        }
        let mut r = Reader::new(bytes);
        let header = BlockHeader::decode(&r.array::<HEADER_LEN>()?);
        let count = r.u32()? as usize;
        if count > params.max_block_transactions {
            return Err(DecodeError::TooLong {
                what: "transaction count",
                got: count,
                max: params.max_block_transactions,
            });
        }
        let mut transactions = Vec::with_capacity(count.min(r.remaining() / 16 + 1));
        for _ in 0..count {
            transactions.push(Transaction::decode_from(&mut r, params)?);
        }
        r.finish()?;
        Ok(Block { header, transactions })
    }

    /// Returns the block's reward, if its first transaction is one.
    pub fn reward(&self) -> Option<&crate::transaction::Reward> {
        match self.transactions.first() {
            Some(Transaction::Reward(r)) => Some(r),
            _ => None,
        }
    }

    /// Returns the sum of the fees of its transfers, or `None` on overflow.
    pub fn fees(&self) -> Option<Amount> {
        Amount::checked_sum(self.transactions.iter().filter_map(|t| match t {
            Transaction::Normal(t) => Some(t.input.fee),
            Transaction::Reward(_) => None,
        }))
    }
}

/// Returns the genesis commitment: SHA-256 of the domain tag and every consensus parameter.
pub fn genesis_commitment(params: &NetworkParams) -> Hash256 {
    let mut w = Writer::new();
    w.short_bytes(GENESIS_DOMAIN)
        .short_bytes(params.network_id.as_bytes())
        .u32(params.initial_difficulty)
        .u64(params.mine_rate_ms)
        .u64(params.mining_reward.0)
        .u64(params.halving_interval)
        .u64(params.genesis_timestamp_ms)
        .u64(params.max_future_block_time_ms)
        .u64(params.retarget_half_life_blocks)
        .u64(params.max_block_bytes as u64)
        .u64(params.max_block_transactions as u64)
        .u64(params.max_outputs as u64)
        .u64(params.max_reward_data_bytes as u64);
    // Dev-chain parameters are appended only when used, so networks without them keep the
    // commitment (and genesis hash) they always had.
    if params.fixed_difficulty || !params.genesis_allocations.is_empty() {
        w.short_bytes(GENESIS_DEV_DOMAIN)
            .u8(u8::from(params.fixed_difficulty))
            .u32(params.genesis_allocations.len() as u32);
        for a in &params.genesis_allocations {
            w.bytes(a.address.as_bytes()).u64(a.amount.0);
        }
    }
    Hash256::digest(w.as_slice())
}

/// Returns the genesis block of a network: height 0, no transactions, the parameter commitment
/// as its Merkle root, the network's genesis timestamp, its initial target and nonce 0. It is
/// fixed by the parameters and never mined: two nodes share a network exactly when they share it.
pub fn genesis_block(params: &NetworkParams) -> Block {
    Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            height: Height::GENESIS,
            last_hash: BlockHash(Hash256::ZERO),
            merkle_root: genesis_commitment(params),
            timestamp: params.genesis_timestamp_ms,
            bits: initial_target(params).to_compact(),
            nonce: 0,
        },
        transactions: Vec::new(),
    }
}

const SHA256_IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// Hashes one header under many nonces, compressing the first 64 bytes only once.
#[derive(Clone)]
pub struct HeaderHasher {
    midstate: [u32; 8],
    tail: [u8; 64],
}

impl HeaderHasher {
    /// Prepares the midstate of `header` (its nonce is ignored).
    #[allow(deprecated)]
    pub fn new(header: &BlockHeader) -> HeaderHasher {
        let bytes = header.encode();
        let mut midstate = SHA256_IV;
        sha2::compress256(&mut midstate, &[*GenericArray::from_slice(&bytes[..64])]);
        let mut tail = [0u8; 64];
        tail[..32].copy_from_slice(&bytes[64..96]);
        tail[32] = 0x80;
        tail[56..64].copy_from_slice(&((HEADER_LEN as u64) * 8).to_be_bytes());
        HeaderHasher { midstate, tail }
    }

    /// Returns the midstate: the SHA-256 state after the header's first 64 bytes.
    pub fn midstate(&self) -> [u32; 8] {
        self.midstate
    }

    /// Returns the block hash with `nonce`: one SHA-256 compression.
    #[inline]
    #[allow(deprecated)]
    pub fn hash_with_nonce(&self, nonce: u64) -> [u8; 32] {
        let mut block = self.tail;
        block[24..32].copy_from_slice(&nonce.to_be_bytes());
        let mut state = self.midstate;
        sha2::compress256(&mut state, &[GenericArray::from(block)]);
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// Tries the nonces of `range` in order; returns the first that meets `target`.
    pub fn search(&self, target: &Target, range: std::ops::Range<u64>) -> Option<(u64, BlockHash)> {
        let target_bytes = target.to_be_bytes();
        for nonce in range {
            let h = self.hash_with_nonce(nonce);
            if h < target_bytes {
                return Some((nonce, BlockHash(Hash256(h))));
            }
        }
        None
    }
}

/// The JSON form of a block: the first prototype's names plus the new fields. `hash`,
/// `difficulty` and `target` are derived; on input they are optional and must match if given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Block"))]
pub struct BlockJson {
    /// Height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_number: u64,
    /// Milliseconds since the Unix epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp: u64,
    /// The parent's hash.
    pub last_hash: BlockHash,
    /// The block hash (always sent by the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = false, as = "BlockHash"))]
    pub hash: Option<BlockHash>,
    /// The transactions, tagged.
    pub data: Vec<Transaction>,
    /// The proof-of-work counter.
    #[cfg_attr(feature = "ts", ts(type = "number | string"))]
    pub nonce: u64,
    /// The target as leading zero hex digits (with a fraction; always sent by the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = false, type = "number"))]
    pub difficulty: Option<f64>,
    /// Header version.
    pub version: u32,
    /// The Merkle root.
    pub merkle_root: Hash256,
    /// The compact target.
    pub bits: u32,
    /// The full target, 64 hex digits (always sent by the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = false, type = "string"))]
    pub target: Option<String>,
}

/// Why a block's JSON does not describe a block.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlockJsonError {
    /// The given `hash` is not the header's hash.
    #[error("field hash is {given} but the header hashes to {computed}")]
    HashMismatch {
        /// What the JSON said.
        given: BlockHash,
        /// What the header hashes to.
        computed: BlockHash,
    },
    /// The given `target` is not what `bits` decodes to.
    #[error("field target does not match bits")]
    TargetMismatch,
}

impl From<&Block> for BlockJson {
    fn from(b: &Block) -> Self {
        let target = b.header.bits.to_target().ok();
        BlockJson {
            block_number: b.header.height.0,
            timestamp: b.header.timestamp,
            last_hash: b.header.last_hash,
            hash: Some(b.hash()),
            data: b.transactions.clone(),
            nonce: b.header.nonce,
            difficulty: target.map(|t| (t.difficulty() * 1e6).round() / 1e6),
            version: b.header.version,
            merkle_root: b.header.merkle_root,
            bits: b.header.bits.0,
            target: target.map(|t| t.to_hex()),
        }
    }
}

impl TryFrom<BlockJson> for Block {
    type Error = BlockJsonError;

    fn try_from(j: BlockJson) -> Result<Self, Self::Error> {
        let block = Block {
            header: BlockHeader {
                version: j.version,
                height: Height(j.block_number),
                last_hash: j.last_hash,
                merkle_root: j.merkle_root,
                timestamp: j.timestamp,
                bits: CompactTarget(j.bits),
                nonce: j.nonce,
            },
            transactions: j.data,
        };
        if let Some(given) = j.hash {
            let computed = block.hash();
            if given != computed {
                return Err(BlockJsonError::HashMismatch { given, computed });
            }
        }
        if let Some(t) = j.target {
            let decoded = block.header.bits.to_target().ok().map(|t| t.to_hex());
            if decoded.as_deref() != Some(t.as_str()) {
                return Err(BlockJsonError::TargetMismatch);
            }
        }
        Ok(block)
    }
}

impl Serialize for Block {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        BlockJson::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let j = BlockJson::deserialize(deserializer)?;
        Block::try_from(j).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::tests::addr;
    use crate::transaction::Reward;

    fn sample() -> Block {
        let p = NetworkParams::default();
        let reward = Reward::new(&p.network_id, Height(1), addr(1), Amount(50), "hello".into());
        let mut b = Block {
            header: BlockHeader {
                version: 1,
                height: Height(1),
                last_hash: genesis_block(&p).hash(),
                merkle_root: Hash256::ZERO,
                timestamp: 1_700_000_000_000,
                bits: CompactTarget(0x1f01_0000),
                nonce: 42,
            },
            transactions: vec![Transaction::Reward(reward)],
        };
        b.header.merkle_root = b.compute_merkle_root();
        b
    }

    #[test]
    fn header_round_trips_and_hashes_its_encoding() {
        let h = sample().header;
        assert_eq!(BlockHeader::decode(&h.encode()), h);
        assert_eq!(h.hash().0, Hash256::digest(&h.encode()));
    }

    #[test]
    fn midstate_hash_equals_plain_hash() {
        let mut h = sample().header;
        let hasher = HeaderHasher::new(&h);
        for nonce in [0u64, 1, 42, u64::MAX] {
            h.nonce = nonce;
            assert_eq!(hasher.hash_with_nonce(nonce), *h.hash().as_bytes());
        }
    }

    #[test]
    fn search_finds_a_nonce_below_the_target() {
        let h = sample().header;
        let target = Target::from_leading_zero_hex_digits(2);
        let (nonce, hash) = HeaderHasher::new(&h).search(&target, 0..1_000_000).unwrap();
        let mut mined = h;
        mined.nonce = nonce;
        assert_eq!(mined.hash(), hash);
        assert!(hash.to_hex().starts_with("00"));
    }

    #[test]
    fn block_binary_and_json_round_trip() {
        let p = NetworkParams::default();
        let b = sample();
        let bytes = b.encode();
        assert_eq!(bytes.len(), b.encoded_len());
        assert_eq!(Block::decode(&bytes, &p).unwrap(), b);
        let json = serde_json::to_value(&b).unwrap();
        for key in ["block_number", "timestamp", "last_hash", "hash", "data", "nonce", "difficulty"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["difficulty"], 4.0);
        let back: Block = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, b);
        let mut tampered = json;
        tampered["nonce"] = 43.into();
        assert!(serde_json::from_value::<Block>(tampered).is_err());
    }

    #[test]
    fn genesis_is_deterministic_and_differs_between_networks() {
        let p = NetworkParams::default();
        assert_eq!(genesis_block(&p).hash(), genesis_block(&p).hash());
        let other = NetworkParams { network_id: "other".into(), ..p.clone() };
        assert_ne!(genesis_block(&p).hash(), genesis_block(&other).hash());
        let harder = NetworkParams { initial_difficulty: 5, ..p };
        assert_ne!(genesis_block(&harder).hash(), genesis_block(&other).hash());
    }

    #[test]
    fn truncated_and_trailing_bytes_are_refused() {
        let p = NetworkParams::default();
        let bytes = sample().encode();
        assert!(Block::decode(&bytes[..bytes.len() - 1], &p).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Block::decode(&longer, &p), Err(DecodeError::TrailingBytes(1)));
    }
}
