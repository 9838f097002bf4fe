//! Chain snapshots: the best chain written to a file and read back, so a fresh node can start
//! from a file instead of the network. A snapshot carries only blocks; an importing node
//! validates every one of them exactly as if a peer had sent it.
//!
//! Layout: the 8 bytes `BRSNAP01`, the genesis hash (32 bytes), the block count (u64), then each
//! block of the best chain from height 1 upwards as a u32 length and the block's encoding
//! (`docs/PROTOCOL.md` §4.2).

use crate::block::Block;
use crate::chain::{Chain, ChainError};
use crate::encoding::DecodeError;
use crate::hash::{BlockHash, Hash256};
use crate::params::NetworkParams;
use crate::store::ChainStore;
use std::io::{Read, Write};

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"BRSNAP01";

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing failed.
    #[error("snapshot I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a snapshot.
    #[error("not a bitcoin_rust snapshot (bad magic bytes)")]
    BadMagic,
    /// The snapshot belongs to another network.
    #[error("the snapshot is of the network with genesis {found}, this node's genesis is {expected}")]
    WrongNetwork {
        /// Our genesis.
        expected: BlockHash,
        /// The snapshot's.
        found: BlockHash,
    },
    /// A block does not decode.
    #[error("block {index} of the snapshot does not decode: {source}")]
    Decode {
        /// Its position (1 = the first after genesis).
        index: u64,
        /// Why.
        source: DecodeError,
    },
    /// A block is refused by the chain (invalid, or storage failed).
    #[error("block {index} of the snapshot was refused: {source}")]
    Refused {
        /// Its position.
        index: u64,
        /// Why.
        source: ChainError,
    },
    /// A block record is larger than any block can be.
    #[error("block {index} of the snapshot claims {len} bytes, over the limit {max}")]
    TooLarge {
        /// Its position.
        index: u64,
        /// Its claimed length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Writes the best chain of `chain` to `out`; returns the number of blocks written.
///
/// # Errors
/// [`SnapshotError::Io`], or [`SnapshotError::Refused`] when a stored block cannot be read.
pub fn write_snapshot<S: ChainStore, W: Write>(chain: &Chain<S>, out: &mut W) -> Result<u64, SnapshotError> {
    let count = chain.height().0;
    out.write_all(SNAPSHOT_MAGIC)?;
    out.write_all(chain.genesis_hash().as_bytes())?;
    out.write_all(&count.to_be_bytes())?;
    for h in 1..=count {
        let block = chain
            .block_at(crate::amount::Height(h))
            .and_then(|b| b.ok_or_else(|| ChainError::Inconsistent(format!("block {h} missing"))))
            .map_err(|source| SnapshotError::Refused { index: h, source })?;
        let bytes = block.encode();
        out.write_all(&(bytes.len() as u32).to_be_bytes())?;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    Ok(count)
}

/// Reads a snapshot's header and returns a reader of its blocks.
///
/// # Errors
/// [`SnapshotError::BadMagic`], [`SnapshotError::WrongNetwork`] or [`SnapshotError::Io`].
pub fn read_snapshot<R: Read>(mut input: R, params: &NetworkParams) -> Result<SnapshotReader<R>, SnapshotError> {
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic)?;
    if &magic != SNAPSHOT_MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let mut genesis = [0u8; 32];
    input.read_exact(&mut genesis)?;
    let found = BlockHash(Hash256(genesis));
    let expected = crate::block::genesis_block(params).hash();
    if found != expected {
        return Err(SnapshotError::WrongNetwork { expected, found });
    }
    let mut count = [0u8; 8];
    input.read_exact(&mut count)?;
    Ok(SnapshotReader { input, params: params.clone(), count: u64::from_be_bytes(count), next: 1, ended: false })
}

/// The blocks of a snapshot, in order. After a record that cannot be read (cut short, or over
/// the size limit) the position in the file is lost, so the iteration ends with that error.
pub struct SnapshotReader<R: Read> {
    input: R,
    params: NetworkParams,
    count: u64,
    next: u64,
    ended: bool,
}

impl<R: Read> SnapshotReader<R> {
    /// Returns how many blocks the snapshot says it holds.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<R: Read> Iterator for SnapshotReader<R> {
    type Item = Result<Block, SnapshotError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended || self.next > self.count {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let mut len = [0u8; 4];
        if let Err(e) = self.input.read_exact(&mut len) {
            self.ended = true;
            return Some(Err(e.into()));
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > self.params.max_block_bytes {
            self.ended = true;
            return Some(Err(SnapshotError::TooLarge { index, len, max: self.params.max_block_bytes }));
        }
        let mut bytes = vec![0u8; len];
        if let Err(e) = self.input.read_exact(&mut bytes) {
            self.ended = true;
            return Some(Err(e.into()));
        }
        Some(Block::decode(&bytes, &self.params).map_err(|source| SnapshotError::Decode { index, source }))
    }
}

/// Imports a snapshot into `chain`: every block is validated as if a peer had sent it. Returns
/// the number of blocks that were new.
///
/// # Errors
/// The first failure; blocks before it stay imported.
pub fn import_snapshot<S: ChainStore, R: Read>(
    chain: &mut Chain<S>,
    input: R,
    now_ms: u64,
) -> Result<u64, SnapshotError> {
    let params = chain.params().clone();
    let reader = read_snapshot(input, &params)?;
    let mut new = 0;
    for (i, block) in reader.enumerate() {
        let block = block?;
        let processed = chain
            .process_block(block, now_ms)
            .map_err(|source| SnapshotError::Refused { index: i as u64 + 1, source })?;
        if let Some((_, rule)) = processed.invalid.first() {
            let source = ChainError::Invalid { hash: processed.invalid[0].0, source: Box::new(rule.clone()) };
            return Err(SnapshotError::Refused { index: i as u64 + 1, source });
        }
        if processed.placement == crate::chain::Placement::Stored {
            new += 1;
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use crate::testkit::{address, easy_params, next_block, pay, wallet};

    const NOW: u64 = 10_000_000_000;

    fn source_chain() -> Chain<MemoryStore> {
        let p = easy_params();
        let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        for i in 0..12 {
            let txs = if i > 2 { vec![pay(&c, &wallet(1), &[(address(2), 1)], 1)] } else { vec![] };
            let b = next_block(&c, address(1), &txs, 1_000);
            c.process_block(b, NOW).unwrap();
        }
        c
    }

    #[test]
    fn a_snapshot_rebuilds_the_same_chain_and_state() {
        let src = source_chain();
        let mut file = Vec::new();
        assert_eq!(write_snapshot(&src, &mut file).unwrap(), 12);
        let p = easy_params();
        let mut fresh = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        assert_eq!(import_snapshot(&mut fresh, file.as_slice(), NOW).unwrap(), 12);
        assert_eq!(fresh.tip(), src.tip());
        assert_eq!(fresh.ledger(), src.ledger());
        // Importing again adds nothing.
        assert_eq!(import_snapshot(&mut fresh, file.as_slice(), NOW).unwrap(), 0);
    }

    #[test]
    fn damaged_or_foreign_snapshots_are_refused() {
        let src = source_chain();
        let mut file = Vec::new();
        write_snapshot(&src, &mut file).unwrap();
        let p = easy_params();
        // A flipped byte inside the last block: its proof of work or its Merkle root breaks.
        let mut damaged = file.clone();
        let at = damaged.len() - 10;
        damaged[at] ^= 0xff;
        let mut fresh = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        let err = import_snapshot(&mut fresh, damaged.as_slice(), NOW).unwrap_err();
        assert!(
            matches!(err, SnapshotError::Refused { index: 12, .. } | SnapshotError::Decode { index: 12, .. }),
            "{err}"
        );
        assert_eq!(fresh.height().0, 11, "the valid blocks before it are kept");
        // Another network.
        let other = NetworkParams { network_id: "other".into(), ..p.clone() };
        let mut theirs = Chain::open(other.clone(), MemoryStore::new(&other)).unwrap();
        assert!(matches!(import_snapshot(&mut theirs, file.as_slice(), NOW), Err(SnapshotError::WrongNetwork { .. })));
        // Not a snapshot; cut short.
        assert!(matches!(import_snapshot(&mut theirs, &b"nonsense-and-more"[..], NOW), Err(SnapshotError::BadMagic)));
        let mut fresh = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        assert!(matches!(import_snapshot(&mut fresh, &file[..file.len() - 3], NOW), Err(SnapshotError::Io(_))));
    }
}
