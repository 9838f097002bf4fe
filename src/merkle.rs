//! The Merkle root over a block's transaction ids.
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

use crate::hash::{Hash256, TxId};
use sha2::{Digest, Sha256};

/// Returns the Merkle root of `ids` in order.
pub fn merkle_root(ids: &[TxId]) -> Hash256 {
    if ids.is_empty() {
        return Hash256::ZERO;
    }
    let mut level: Vec<[u8; 32]> = ids
        .iter()
        .map(|id| {
            let mut h = Sha256::new();
            h.update([0x00]);
            h.update(id.as_bytes());
            h.finalize().into()
        })
        .collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            if let [l, r] = pair {
                let mut h = Sha256::new();
                h.update([0x01]);
                h.update(l);
                h.update(r);
                next.push(h.finalize().into());
            } else {
                next.push(pair[0]);
            }
        }
        level = next;
    }
    Hash256(level[0])
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
}
