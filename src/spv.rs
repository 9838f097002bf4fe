//! Checking an inclusion proof the way a light (SPV) client does: with block headers only, never
//! the blocks' transactions, and trusting nothing the node says without recomputing it.
//!
//! [`verify_inclusion`] takes an [`InclusionProof`] and the headers from the proof's block up to
//! a tip, and checks, in this order:
//!
//! 1. the path leads from `leaf(txid)` to the proof's `merkle_root` (`path_mismatch`);
//! 2. the first header is at the proof's height (`height_mismatch`), hashes to the proof's
//!    `block_hash` (`block_hash_mismatch`) and carries its `merkle_root` (`merkle_root_mismatch`);
//! 3. every header meets the target its own `bits` encode, within the proof-of-work limit
//!    (`invalid_bits`, `insufficient_work`: the rules of `docs/PROTOCOL.md` §5.4);
//! 4. every header after the first is one higher (`not_consecutive`) and names the one below as
//!    its `last_hash` (`broken_link`).
//!
//! What it does not check: that each `bits` is the target the retarget rule (§5.2) demands, which
//! needs every header from genesis, nor that the tip is the heaviest chain on the network. The
//! summary reports how much work is stacked on the transaction so the caller can judge.

use crate::block::BlockHeader;
use crate::hash::{BlockHash, Hash256};
use crate::merkle::InclusionProof;
use crate::target::Work;
use crate::validation::{check_proof_of_work, BlockError};

/// Why a proof does not hold against the headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpvError {
    /// No header was given.
    #[error("no headers to check the proof against")]
    NoHeaders,
    /// The path does not lead to the proof's Merkle root.
    #[error("the path leads from the transaction to {computed}, not to the proof's merkle_root {claimed}")]
    PathMismatch {
        /// The root the path leads to.
        computed: Hash256,
        /// The root the proof names.
        claimed: Hash256,
    },
    /// The first header is not at the proof's height.
    #[error("the proof is for height {proof} but the header is at height {header}")]
    HeightMismatch {
        /// The proof's height.
        proof: u64,
        /// The header's height.
        header: u64,
    },
    /// The first header does not hash to the proof's block hash.
    #[error("the header at height {height} hashes to {computed}, not to the proof's block_hash {claimed}")]
    BlockHashMismatch {
        /// The height.
        height: u64,
        /// What the header hashes to.
        computed: BlockHash,
        /// What the proof names.
        claimed: BlockHash,
    },
    /// The block's header carries another Merkle root than the proof.
    #[error("block {block} has merkle_root {header}, not the proof's {proof}")]
    MerkleRootMismatch {
        /// The block.
        block: BlockHash,
        /// The header's root.
        header: Hash256,
        /// The proof's root.
        proof: Hash256,
    },
    /// A header does not meet its own target.
    #[error("header {hash} at height {height}: {source}")]
    Work {
        /// The header's height.
        height: u64,
        /// Its hash.
        hash: BlockHash,
        /// The broken rule.
        #[source]
        source: Box<BlockError>,
    },
    /// The headers are not at consecutive heights.
    #[error("expected a header at height {expected}, got one at height {got}")]
    NotConsecutive {
        /// The height that should come next.
        expected: u64,
        /// The height that came.
        got: u64,
    },
    /// A header does not name the one below it as its parent.
    #[error("header {hash} at height {height} names parent {last_hash}, but the header below is {below}")]
    BrokenLink {
        /// The header's height.
        height: u64,
        /// Its hash.
        hash: BlockHash,
        /// The parent it names.
        last_hash: BlockHash,
        /// The hash of the header below.
        below: BlockHash,
    },
}

impl SpvError {
    /// Returns the short name of the failed check.
    pub fn rule(&self) -> &'static str {
        match self {
            SpvError::NoHeaders => "no_headers",
            SpvError::PathMismatch { .. } => "path_mismatch",
            SpvError::HeightMismatch { .. } => "height_mismatch",
            SpvError::BlockHashMismatch { .. } => "block_hash_mismatch",
            SpvError::MerkleRootMismatch { .. } => "merkle_root_mismatch",
            SpvError::Work { source, .. } => source.rule(),
            SpvError::NotConsecutive { .. } => "not_consecutive",
            SpvError::BrokenLink { .. } => "broken_link",
        }
    }
}

/// What a verified proof stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpvSummary {
    /// Headers from the proof's block to the tip, both included.
    pub confirmations: u64,
    /// The last header's hash.
    pub tip: BlockHash,
    /// The last header's height.
    pub tip_height: u64,
    /// The work of those headers (expected hashes), from their own targets.
    pub work: Work,
}

/// Checks `proof` against `headers`: the header of the proof's block first, then each one
/// above it, up to a tip. See the module documentation for the checks and their order.
///
/// # Errors
/// The first check that fails, as an [`SpvError`].
pub fn verify_inclusion(proof: &InclusionProof, headers: &[BlockHeader]) -> Result<SpvSummary, SpvError> {
    let computed = proof.computed_root();
    if computed != proof.merkle_root {
        return Err(SpvError::PathMismatch { computed, claimed: proof.merkle_root });
    }
    let first = headers.first().ok_or(SpvError::NoHeaders)?;
    if first.height.0 != proof.height {
        return Err(SpvError::HeightMismatch { proof: proof.height, header: first.height.0 });
    }
    let block = first.hash();
    if block != proof.block_hash {
        return Err(SpvError::BlockHashMismatch { height: proof.height, computed: block, claimed: proof.block_hash });
    }
    if first.merkle_root != proof.merkle_root {
        return Err(SpvError::MerkleRootMismatch { block, header: first.merkle_root, proof: proof.merkle_root });
    }
    let mut work = Work::default();
    let mut below: Option<(u64, BlockHash)> = None;
    for header in headers {
        let hash = header.hash();
        let height = header.height.0;
        check_proof_of_work(header).map_err(|source| SpvError::Work { height, hash, source: Box::new(source) })?;
        if let Some((below_height, below_hash)) = below {
            let expected = below_height.saturating_add(1);
            if height != expected {
                return Err(SpvError::NotConsecutive { expected, got: height });
            }
            if header.last_hash != below_hash {
                return Err(SpvError::BrokenLink { height, hash, last_hash: header.last_hash, below: below_hash });
            }
        }
        // check_proof_of_work succeeded, so the bits decode.
        if let Ok(target) = header.bits.to_target() {
            work = work.saturating_add(target.work());
        }
        below = Some((height, hash));
    }
    let (tip_height, tip) = below.ok_or(SpvError::NoHeaders)?;
    Ok(SpvSummary { confirmations: headers.len() as u64, tip, tip_height, work })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Chain;
    use crate::merkle::{merkle_proof, Side};
    use crate::store::memory::MemoryStore;
    use crate::testkit::{address, easy_params, mine, next_block, pay, wallet};

    const NOW: u64 = 10_000_000_000;

    /// A chain of 4 blocks whose block 2 holds the reward and three transfers; returns the headers
    /// from block 2 up and the proof of the transfer at `index`.
    fn setup(index: usize) -> (Vec<BlockHeader>, InclusionProof) {
        let p = easy_params();
        let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).expect("open");
        for miner in 0..3 {
            let b = next_block(&c, address(miner), &[], 1_000);
            c.process_block(b, NOW).expect("valid");
        }
        let txs: Vec<_> = (0..3).map(|n| pay(&c, &wallet(n), &[(address(9), 1)], 1)).collect();
        let b = next_block(&c, address(0), &txs, 1_000);
        c.process_block(b.clone(), NOW).expect("valid");
        let on_top = next_block(&c, address(0), &[], 1_000);
        c.process_block(on_top.clone(), NOW).expect("valid");
        let ids = b.txids();
        let proof = InclusionProof {
            txid: ids[index],
            block_hash: b.hash(),
            height: b.header.height.0,
            index: index as u32,
            merkle_root: b.header.merkle_root,
            path: merkle_proof(&ids, index).expect("in range"),
        };
        (vec![b.header, on_top.header], proof)
    }

    #[test]
    fn a_good_proof_holds_for_every_position() {
        for index in 0..4 {
            let (headers, proof) = setup(index);
            let s = verify_inclusion(&proof, &headers).expect("verified");
            assert_eq!(s.confirmations, 2);
            assert_eq!(s.tip, headers[1].hash());
            assert_eq!(s.tip_height, proof.height + 1);
            assert!(s.work > Work::default());
        }
    }

    #[test]
    fn each_tampering_is_named() {
        let (headers, proof) = setup(1);
        let mut p = proof.clone();
        p.path[0].side = match p.path[0].side {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        };
        assert_eq!(verify_inclusion(&p, &headers).map_err(|e| e.rule()), Err("path_mismatch"));

        // A path consistent with another root: the header disagrees.
        let mut p = proof.clone();
        p.path.clear();
        p.merkle_root = p.computed_root();
        assert_eq!(verify_inclusion(&p, &headers).map_err(|e| e.rule()), Err("merkle_root_mismatch"));

        let mut p = proof.clone();
        p.height += 1;
        assert_eq!(verify_inclusion(&p, &headers).map_err(|e| e.rule()), Err("height_mismatch"));
        let mut p = proof.clone();
        p.block_hash = headers[1].hash();
        assert_eq!(verify_inclusion(&p, &headers).map_err(|e| e.rule()), Err("block_hash_mismatch"));
        assert_eq!(verify_inclusion(&proof, &[]).map_err(|e| e.rule()), Err("no_headers"));

        // A header above without work.
        let mut h = headers.clone();
        let target = h[1].bits.to_target().expect("bits");
        while target.is_met_by(h[1].hash().as_bytes()) {
            h[1].nonce += 1;
        }
        assert_eq!(verify_inclusion(&proof, &h).map_err(|e| e.rule()), Err("insufficient_work"));

        // A header above that is mined but links elsewhere, or skips a height.
        let mut block = crate::block::Block { header: headers[1], transactions: Vec::new() };
        block.header.last_hash = BlockHash(Hash256::digest(b"elsewhere"));
        mine(&mut block);
        let h = vec![headers[0], block.header];
        assert_eq!(verify_inclusion(&proof, &h).map_err(|e| e.rule()), Err("broken_link"));
        let mut block = crate::block::Block { header: headers[1], transactions: Vec::new() };
        block.header.height.0 += 1;
        mine(&mut block);
        let h = vec![headers[0], block.header];
        assert_eq!(verify_inclusion(&proof, &h).map_err(|e| e.rule()), Err("not_consecutive"));
    }
}
