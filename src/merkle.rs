//! The Merkle root over a block's transaction ids, and inclusion proofs in that tree.
//!
//! Leaves and inner nodes are domain-separated (as in RFC 6962), and an odd node at the end of a
//! level is promoted unchanged rather than paired with itself, so two different id lists never
//! share a root (Bitcoin's duplicate-last rule allowed that: CVE-2012-2459).
//!
//! ```text
//! leaf(id)      = SHA-256(0x00 || id)
//! node(l, r)    = SHA-256(0x01 || l || r)
//! root([])      = 32 zero bytes
//! ```
//!
//! An inclusion proof ([`merkle_proof`]) is the path from a leaf up to the root: at each level
//! where the running node has a sibling, one [`ProofStep`] naming the sibling's hash and the
//! [`Side`] it stands on. A level where the running node is the odd last element has no step (the
//! node is carried up unchanged), so paths in trees whose size is not a power of two can be
//! shorter than `ceil(log2(n))`. [`root_from_proof`] folds a path back into a root.

use crate::hash::{BlockHash, Hash256, TxId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Returns `leaf(id) = SHA-256(0x00 || id)`.
pub fn leaf_hash(id: &TxId) -> Hash256 {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(id.as_bytes());
    Hash256(h.finalize().into())
}

/// Returns `node(l, r) = SHA-256(0x01 || l || r)`.
pub fn node_hash(left: &Hash256, right: &Hash256) -> Hash256 {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.as_bytes());
    h.update(right.as_bytes());
    Hash256(h.finalize().into())
}

/// Returns the next level up: `node(a, b)` for each pair, an odd last element carried unchanged.
fn next_level(level: &[Hash256]) -> Vec<Hash256> {
    level.chunks(2).map(|pair| if let [l, r] = pair { node_hash(l, r) } else { pair[0] }).collect()
}

/// Returns the Merkle root of `ids` in order.
pub fn merkle_root(ids: &[TxId]) -> Hash256 {
    if ids.is_empty() {
        return Hash256::ZERO;
    }
    let mut level: Vec<Hash256> = ids.iter().map(leaf_hash).collect();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

/// The side on which a sibling hash stands next to the running hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The sibling is the left input: `running = node(sibling, running)`.
    Left,
    /// The sibling is the right input: `running = node(running, sibling)`.
    Right,
}

/// One step of an inclusion proof: a sibling hash and the side it stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofStep {
    /// Where the sibling stands.
    pub side: Side,
    /// The sibling's hash (a leaf hash or an inner node).
    pub hash: Hash256,
}

/// Why an inclusion proof cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleProofError {
    /// The position is not in the list.
    #[error("index {index} is outside a list of {len} transaction ids")]
    IndexOutOfRange {
        /// The position asked for.
        index: usize,
        /// The list's length.
        len: usize,
    },
}

/// Returns the inclusion proof of `ids[index]`: the sibling hashes from the leaf up to the root,
/// each with its side. A level where the running node is the odd last element contributes no
/// step (§4.3 of `docs/PROTOCOL.md`: it is carried up unchanged). A one-id tree has an empty path.
///
/// # Errors
/// [`MerkleProofError::IndexOutOfRange`] if `index >= ids.len()`.
pub fn merkle_proof(ids: &[TxId], index: usize) -> Result<Vec<ProofStep>, MerkleProofError> {
    if index >= ids.len() {
        return Err(MerkleProofError::IndexOutOfRange { index, len: ids.len() });
    }
    let mut level: Vec<Hash256> = ids.iter().map(leaf_hash).collect();
    let mut at = index;
    let mut path = Vec::new();
    while level.len() > 1 {
        if at % 2 == 1 {
            path.push(ProofStep { side: Side::Left, hash: level[at - 1] });
        } else if let Some(right) = level.get(at + 1) {
            path.push(ProofStep { side: Side::Right, hash: *right });
        }
        level = next_level(&level);
        at /= 2;
    }
    Ok(path)
}

/// Returns the root a path leads to from the leaf of `id`.
pub fn root_from_proof(id: &TxId, path: &[ProofStep]) -> Hash256 {
    path.iter().fold(leaf_hash(id), |running, step| match step.side {
        Side::Left => node_hash(&step.hash, &running),
        Side::Right => node_hash(&running, &step.hash),
    })
}

/// Returns true when the path leads from the leaf of `id` to `root`.
pub fn verify_proof(id: &TxId, path: &[ProofStep], root: &Hash256) -> bool {
    root_from_proof(id, path) == *root
}

/// A transaction's inclusion proof as `GET /transactions/{txid}/proof` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The transaction id.
    pub txid: TxId,
    /// The block holding it.
    pub block_hash: BlockHash,
    /// That block's height.
    pub height: u64,
    /// The transaction's position in the block (0 is the reward).
    pub index: u32,
    /// The block header's Merkle root.
    pub merkle_root: Hash256,
    /// The siblings from the leaf up.
    pub path: Vec<ProofStep>,
}

impl InclusionProof {
    /// Returns the root the path leads to from the leaf of `txid`.
    pub fn computed_root(&self) -> Hash256 {
        root_from_proof(&self.txid, &self.path)
    }

    /// Returns true when the path leads from `txid` to the proof's `merkle_root` (which says
    /// nothing yet about the block: compare `merkle_root` with its header too).
    pub fn path_is_valid(&self) -> bool {
        self.computed_root() == self.merkle_root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> TxId {
        TxId(Hash256::digest(&[n]))
    }

    #[test]
    fn root_depends_on_every_id_and_order() {
        let ids: Vec<TxId> = (0..5).map(id).collect();
        let root = merkle_root(&ids);
        let mut swapped = ids.clone();
        swapped.swap(0, 1);
        assert_ne!(merkle_root(&swapped), root);
        let mut changed = ids.clone();
        changed[4] = id(9);
        assert_ne!(merkle_root(&changed), root);
    }

    #[test]
    fn duplicating_the_last_id_changes_the_root() {
        let three: Vec<TxId> = (0..3).map(id).collect();
        let mut four = three.clone();
        four.push(id(2));
        assert_ne!(merkle_root(&three), merkle_root(&four));
    }

    #[test]
    fn single_leaf_is_domain_separated() {
        let one = [id(1)];
        assert_ne!(merkle_root(&one), one[0].0);
        assert_eq!(merkle_root(&[]), Hash256::ZERO);
    }

    fn flipped(side: Side) -> Side {
        match side {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// Checks the proof of every position of `ids` against `merkle_root`, and that changing the
    /// leaf, any sibling hash, any side, or dropping or adding a step breaks it.
    fn check_every_position(ids: &[TxId]) {
        let root = merkle_root(ids);
        let depth = usize::BITS - (ids.len() - 1).leading_zeros();
        for index in 0..ids.len() {
            let path = merkle_proof(ids, index).expect("in range");
            assert!(verify_proof(&ids[index], &path, &root), "{} ids, index {index}", ids.len());
            assert!(path.len() <= depth as usize);
            let other = if index == 0 { ids.len() - 1 } else { 0 };
            if other != index {
                assert!(!verify_proof(&ids[other], &path, &root), "another leaf");
            }
            assert!(!verify_proof(&id(200), &path, &root), "an unknown leaf");
            for step in 0..path.len() {
                let mut p = path.clone();
                p[step].hash.0[31] ^= 1;
                assert!(!verify_proof(&ids[index], &p, &root), "{} ids, index {index}, sibling {step}", ids.len());
                let mut p = path.clone();
                p[step].side = flipped(p[step].side);
                assert!(!verify_proof(&ids[index], &p, &root), "{} ids, index {index}, side {step}", ids.len());
                let mut p = path.clone();
                p.remove(step);
                assert!(!verify_proof(&ids[index], &p, &root), "{} ids, index {index}, dropped {step}", ids.len());
            }
            let mut p = path.clone();
            p.push(ProofStep { side: Side::Right, hash: root });
            assert!(!verify_proof(&ids[index], &p, &root), "an extra step");
        }
        assert_eq!(
            merkle_proof(ids, ids.len()),
            Err(MerkleProofError::IndexOutOfRange { index: ids.len(), len: ids.len() })
        );
    }

    #[test]
    fn every_position_of_trees_of_1_to_9_transactions_has_a_proof() {
        for n in 1..=9u8 {
            let ids: Vec<TxId> = (0..n).map(id).collect();
            check_every_position(&ids);
        }
        assert_eq!(merkle_proof(&[], 0), Err(MerkleProofError::IndexOutOfRange { index: 0, len: 0 }));
    }

    #[test]
    fn the_odd_last_element_is_carried_up_without_a_step() {
        // Five ids: the fifth is carried up twice unchanged, then meets node(node(0,1), node(2,3)).
        let ids: Vec<TxId> = (0..5).map(id).collect();
        let l: Vec<Hash256> = ids.iter().map(leaf_hash).collect();
        let left = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]));
        assert_eq!(merkle_proof(&ids, 4), Ok(vec![ProofStep { side: Side::Left, hash: left }]));
        assert_eq!(
            merkle_proof(&ids, 2),
            Ok(vec![
                ProofStep { side: Side::Right, hash: l[3] },
                ProofStep { side: Side::Left, hash: node_hash(&l[0], &l[1]) },
                ProofStep { side: Side::Right, hash: l[4] },
            ])
        );
        // One id: the root is its leaf, the path is empty.
        assert_eq!(merkle_proof(&ids[..1], 0), Ok(vec![]));
        assert_eq!(root_from_proof(&ids[0], &[]), merkle_root(&ids[..1]));
    }

    #[test]
    fn a_proof_serialises_as_the_api_shows_it() {
        let step = ProofStep { side: Side::Left, hash: Hash256([0xab; 32]) };
        let json = serde_json::to_value(step).expect("json");
        assert_eq!(json, serde_json::json!({"side": "left", "hash": "ab".repeat(32)}));
        assert_eq!(serde_json::from_value::<ProofStep>(json).expect("parse"), step);
        assert!(serde_json::from_str::<ProofStep>(r#"{"side": "up", "hash": "00"}"#).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        #[test]
        fn proofs_verify_and_tampering_fails(
            seeds in proptest::collection::vec(proptest::prelude::any::<[u8; 32]>(), 1..70),
            pick in proptest::prelude::any::<proptest::sample::Index>(),
            bit in 0usize..256,
        ) {
            let ids: Vec<TxId> = seeds.iter().map(|s| TxId(Hash256(*s))).collect();
            let index = pick.index(ids.len());
            let root = merkle_root(&ids);
            let path = merkle_proof(&ids, index).expect("in range");
            proptest::prop_assert!(verify_proof(&ids[index], &path, &root));
            proptest::prop_assert!(path.len() <= (usize::BITS - (ids.len() - 1).leading_zeros()) as usize);
            let mut leaf = ids[index];
            leaf.0 .0[bit / 8] ^= 1 << (bit % 8);
            proptest::prop_assert!(!verify_proof(&leaf, &path, &root));
            if !path.is_empty() {
                let step = bit % path.len();
                let mut p = path.clone();
                p[step].hash.0[bit / 8] ^= 1 << (bit % 8);
                proptest::prop_assert!(!verify_proof(&ids[index], &p, &root));
                let mut p = path.clone();
                p[step].side = flipped(p[step].side);
                proptest::prop_assert!(!verify_proof(&ids[index], &p, &root));
            }
        }
    }
}
