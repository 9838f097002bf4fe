//! [`BlockTree`]: every block the chain has stored, in memory as compactly as fork choice
//! allows. A block takes one 120-byte [`Node`] in an arena (indexed by its arrival order, its
//! [`Slot`]) and one entry of the hash → slot map; parents, children and siblings are slots, not
//! hashes; the full header, the body and the transaction ids stay in the store. Why a block is
//! invalid (rare) is kept beside the arena, and fork choice looks only at the candidate tips
//! (valid blocks without a valid child), not at every block.

use crate::amount::Height;
use crate::block::BlockHeader;
use crate::hash::BlockHash;
use crate::params::NetworkParams;
use crate::target::{CompactTarget, RetargetPoint, ScheduleClock, Target, Work};
use crate::validation::Invalidity;
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A block's place in the arena: its arrival order in the tree (ties of equal work go to the
/// lower slot, the block seen first).
pub type Slot = u32;

/// "No slot": the parent of genesis, the end of a child list.
const NONE: Slot = Slot::MAX;

/// What the tree holds of one block.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    /// The block hash.
    pub hash: BlockHash,
    /// Cumulative work from genesis through this block.
    pub chain_work: Work,
    /// The branch's schedule clock at this block (for the retarget rule).
    pub clock: ScheduleClock,
    /// The height.
    pub height: Height,
    /// The header's timestamp, ms.
    pub timestamp: u64,
    /// The header's compact target.
    pub bits: CompactTarget,
    /// The parent's slot ([`NONE`] for genesis).
    parent: Slot,
    /// The first child's slot, and the next sibling's: the children form a list.
    first_child: Slot,
    next_sibling: Slot,
    /// True once the block (or an ancestor) broke a state rule; why is in [`BlockTree::why`].
    pub invalid: bool,
}

impl Node {
    /// Returns the target the header's bits encode (checked when the block was accepted).
    pub fn target(&self) -> Target {
        self.bits.to_target().unwrap_or_else(|_| crate::target::pow_limit())
    }

    /// Returns what the retarget rule needs of this block.
    pub fn point(&self) -> RetargetPoint {
        RetargetPoint { height: self.height, target: self.target(), clock: self.clock }
    }
}

/// The block tree: an arena of [`Node`]s with a hash index, the candidate tips and the leaves.
#[derive(Debug, Default)]
pub(super) struct BlockTree {
    nodes: Vec<Node>,
    slots: HashMap<BlockHash, Slot>,
    /// Why each invalid block is invalid.
    why: HashMap<Slot, Invalidity>,
    /// The valid blocks without a valid child, by work (then lower slot first): the heaviest
    /// valid block of the tree is always one of them (a valid child has more work than its
    /// parent), so fork choice needs no other.
    candidates: BTreeSet<(Work, Reverse<Slot>, Slot)>,
    /// The blocks without any child: the tips of every branch.
    leaves: HashSet<Slot>,
}

impl BlockTree {
    /// Returns the number of blocks.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns a block's slot.
    pub fn slot(&self, hash: &BlockHash) -> Option<Slot> {
        self.slots.get(hash).copied()
    }

    /// Returns the block in `slot` (a slot handed out by this tree).
    pub fn node(&self, slot: Slot) -> &Node {
        &self.nodes[slot as usize]
    }

    /// Returns the block `hash`.
    pub fn get(&self, hash: &BlockHash) -> Option<&Node> {
        self.slot(hash).map(|s| self.node(s))
    }

    /// Returns the parent's slot (`None` for genesis).
    pub fn parent(&self, slot: Slot) -> Option<Slot> {
        Some(self.node(slot).parent).filter(|p| *p != NONE)
    }

    /// Returns the children of `slot`.
    pub fn children(&self, slot: Slot) -> impl Iterator<Item = Slot> + '_ {
        let mut cur = self.node(slot).first_child;
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let here = cur;
            cur = self.node(here).next_sibling;
            Some(here)
        })
    }

    /// Returns the blocks without children.
    pub fn leaves(&self) -> impl Iterator<Item = Slot> + '_ {
        self.leaves.iter().copied()
    }

    /// Returns every slot, in arrival order.
    pub fn slots(&self) -> impl Iterator<Item = Slot> {
        0..self.nodes.len() as Slot
    }

    /// Returns why the block in `slot` is invalid (`None` while it is valid).
    pub fn why(&self, slot: Slot) -> Option<&Invalidity> {
        self.why.get(&slot)
    }

    /// Returns the heaviest valid block: its work and slot.
    pub fn best(&self) -> Option<(Work, Slot)> {
        self.candidates.iter().next_back().map(|&(work, _, slot)| (work, slot))
    }

    /// Adds a block whose header was checked against its parent (`None` for genesis, whose
    /// parent is not in the tree); returns its slot. A block already in the tree keeps its slot.
    pub fn insert(
        &mut self,
        hash: BlockHash,
        header: &BlockHeader,
        parent: Option<Slot>,
        params: &NetworkParams,
    ) -> Slot {
        if let Some(slot) = self.slot(&hash) {
            return slot;
        }
        let target = header.bits.to_target().unwrap_or_else(|_| crate::target::pow_limit());
        let (parent_work, parent_clock) = match parent {
            Some(p) => (self.node(p).chain_work, self.node(p).clock),
            None => (Work::default(), ScheduleClock::genesis(header.timestamp)),
        };
        let clock = if header.height == Height::GENESIS {
            parent_clock
        } else {
            parent_clock.advance(header.height, header.timestamp, params)
        };
        let slot = Slot::try_from(self.nodes.len()).expect("fewer than 2^32 blocks in the tree");
        let first_sibling = parent.map(|p| self.node(p).first_child).unwrap_or(NONE);
        self.nodes.push(Node {
            hash,
            chain_work: parent_work.saturating_add(target.work()),
            clock,
            height: header.height,
            timestamp: header.timestamp,
            bits: header.bits,
            parent: parent.unwrap_or(NONE),
            first_child: NONE,
            next_sibling: first_sibling,
            invalid: false,
        });
        self.slots.insert(hash, slot);
        if let Some(p) = parent {
            self.nodes[p as usize].first_child = slot;
            self.leaves.remove(&p);
            self.candidates.remove(&self.candidate_key(p));
        }
        self.leaves.insert(slot);
        self.candidates.insert(self.candidate_key(slot));
        slot
    }

    /// Removes the blocks in slots `from..`: the newest, on which no block outside them was
    /// built (for blocks a failed write did not store).
    pub fn truncate(&mut self, from: Slot) {
        while self.nodes.len() > from as usize {
            let slot = (self.nodes.len() - 1) as Slot;
            let Some(node) = self.nodes.pop() else { break };
            self.slots.remove(&node.hash);
            self.why.remove(&slot);
            self.candidates.remove(&(node.chain_work, Reverse(slot), slot));
            self.leaves.remove(&slot);
            if node.parent != NONE {
                // The newest child heads its parent's list: what follows it is older.
                let parent = node.parent;
                self.nodes[parent as usize].first_child = node.next_sibling;
                if node.next_sibling == NONE {
                    self.leaves.insert(parent);
                }
                if !self.node(parent).invalid && self.children(parent).all(|c| self.node(c).invalid) {
                    self.candidates.insert(self.candidate_key(parent));
                }
            }
        }
    }

    fn candidate_key(&self, slot: Slot) -> (Work, Reverse<Slot>, Slot) {
        (self.node(slot).chain_work, Reverse(slot), slot)
    }

    /// Marks the block `slot` invalid for `why` and every descendant invalid for descending from
    /// it; returns what it marked (blocks already invalid keep their reason).
    pub fn mark_invalid(&mut self, slot: Slot, why: Invalidity) -> Vec<(BlockHash, Invalidity)> {
        let mut marked = Vec::new();
        let inherited = why.inherited_from(self.node(slot).hash);
        let mut frontier = vec![(slot, why)];
        while let Some((s, why)) = frontier.pop() {
            if !self.node(s).invalid {
                self.nodes[s as usize].invalid = true;
                self.candidates.remove(&self.candidate_key(s));
                self.why.insert(s, why.clone());
                marked.push((self.node(s).hash, why));
            }
            let children: Vec<Slot> = self.children(s).collect();
            frontier.extend(children.into_iter().map(|c| (c, inherited.clone())));
        }
        // The parent may now be a valid block without a valid child.
        if let Some(p) = self.parent(slot) {
            if !self.node(p).invalid && self.children(p).all(|c| self.node(c).invalid) {
                self.candidates.insert(self.candidate_key(p));
            }
        }
        marked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(height: u64, parent: BlockHash, timestamp: u64) -> BlockHeader {
        let p = NetworkParams::default();
        BlockHeader {
            version: crate::block::BLOCK_VERSION,
            height: Height(height),
            last_hash: parent,
            merkle_root: crate::hash::Hash256::default(),
            timestamp,
            bits: crate::target::initial_target(&p).to_compact(),
            nonce: height,
        }
    }

    /// Genesis, then `a1 a2` and a side branch `b1` from genesis.
    fn tree() -> (BlockTree, [Slot; 4]) {
        let p = NetworkParams::default();
        let mut t = BlockTree::default();
        let g = header(0, BlockHash::default(), 1_000);
        let gs = t.insert(g.hash(), &g, None, &p);
        let a1 = header(1, g.hash(), 2_000);
        let a1s = t.insert(a1.hash(), &a1, Some(gs), &p);
        let a2 = header(2, a1.hash(), 3_000);
        let a2s = t.insert(a2.hash(), &a2, Some(a1s), &p);
        let b1 = header(1, g.hash(), 2_500);
        let b1s = t.insert(b1.hash(), &b1, Some(gs), &p);
        (t, [gs, a1s, a2s, b1s])
    }

    #[test]
    fn links_leaves_and_candidates_follow_inserts() {
        let (t, [g, a1, a2, b1]) = tree();
        assert_eq!(t.len(), 4);
        let mut kids: Vec<Slot> = t.children(g).collect();
        kids.sort();
        assert_eq!(kids, vec![a1, b1]);
        assert_eq!(t.parent(a2), Some(a1));
        assert_eq!(t.parent(g), None);
        let mut leaves: Vec<Slot> = t.leaves().collect();
        leaves.sort();
        assert_eq!(leaves, vec![a2, b1]);
        assert_eq!(t.best(), Some((t.node(a2).chain_work, a2)));
        assert!(t.node(a2).chain_work > t.node(a1).chain_work);
        assert_eq!(t.node(a1).chain_work, t.node(b1).chain_work);
        assert_eq!(t.candidates.len(), 2, "only a2 and b1 are candidate tips");
    }

    #[test]
    fn equal_work_goes_to_the_block_seen_first() {
        let p = NetworkParams::default();
        let (mut t, [g, a1, a2, _]) = tree();
        t.mark_invalid(a2, Invalidity::Unrecorded);
        // a1 (slot 1) and b1 (slot 3) have equal work: a1 was seen first.
        assert_eq!(t.best(), Some((t.node(a1).chain_work, a1)));
        let g_hash = t.node(g).hash;
        let again = header(1, g_hash, 2_500);
        assert_eq!(t.insert(again.hash(), &again, Some(g), &p), 3, "a known block keeps its slot");
    }

    #[test]
    fn truncating_gives_back_the_tree_before_the_newest_blocks() {
        let p = NetworkParams::default();
        let (mut t, [g, a1, a2, b1]) = tree();
        let b1_hash = t.node(b1).hash;
        let b2 = header(2, b1_hash, 3_500);
        let b2s = t.insert(b2.hash(), &b2, Some(b1), &p);
        let b3 = header(3, b2.hash(), 4_000);
        let b3s = t.insert(b3.hash(), &b3, Some(b2s), &p);
        assert_eq!(t.best(), Some((t.node(b3s).chain_work, b3s)));
        t.truncate(b1);
        assert_eq!(t.len(), 3);
        assert_eq!(t.slot(&b1_hash), None);
        assert_eq!(t.slot(&b2.hash()), None);
        assert_eq!(t.children(g).collect::<Vec<_>>(), vec![a1]);
        assert_eq!(t.leaves().collect::<Vec<_>>(), vec![a2]);
        assert_eq!(t.best(), Some((t.node(a2).chain_work, a2)));
        assert_eq!(t.candidates.len(), 1);
        // The genesis block alone: a leaf and the only candidate again.
        t.truncate(a1);
        assert_eq!((t.len(), t.leaves().collect::<Vec<_>>(), t.best().map(|b| b.1)), (1, vec![g], Some(g)));
        // A slot freed is handed out again.
        let again = header(1, t.node(g).hash, 2_000);
        assert_eq!(t.insert(again.hash(), &again, Some(g), &p), 1);
    }

    #[test]
    fn invalidity_spreads_down_and_the_parent_becomes_a_candidate_again() {
        let (mut t, [g, a1, a2, b1]) = tree();
        let a1_hash = t.node(a1).hash;
        let marked = t.mark_invalid(a1, Invalidity::Broke("wrong_reward".into()));
        assert_eq!(marked.len(), 2);
        assert_eq!(t.why(a1), Some(&Invalidity::Broke("wrong_reward".into())));
        assert_eq!(t.why(a2), Some(&Invalidity::Ancestor(a1_hash)));
        assert_eq!(t.best(), Some((t.node(b1).chain_work, b1)));
        t.mark_invalid(b1, Invalidity::Unrecorded);
        assert_eq!(t.best(), Some((t.node(g).chain_work, g)), "genesis, whose children are all invalid");
        assert!(t.mark_invalid(a1, Invalidity::Unrecorded).is_empty(), "already invalid: nothing new");
        assert_eq!(t.why(a1), Some(&Invalidity::Broke("wrong_reward".into())), "the first reason stays");
    }
}
