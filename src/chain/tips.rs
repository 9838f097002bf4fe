//! What the node knows of every branch: the tips of the block tree (like Bitcoin Core's
//! `getchaintips`) and where any one block stands (best chain, valid side branch, invalid and
//! why, waiting for its parent, or refused before it was stored).

use super::Chain;
use crate::amount::Height;
use crate::block::Block;
use crate::hash::BlockHash;
use crate::store::ChainStore;
use crate::validation::Invalidity;

/// The most tips [`Chain::chain_tips`] lists.
pub const MAX_LISTED_TIPS: usize = 1_000;

/// Where a block stands in this node's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockStatus {
    /// On the best chain.
    Active,
    /// Stored on a side branch: it passed every check made before storing (proof of work, body,
    /// header against its parent, signatures); the state rules are applied if its branch
    /// becomes the heaviest.
    ValidFork,
    /// Stored, and found invalid when its branch was connected (or it descends from such a block).
    Invalid(Invalidity),
    /// Held in the orphan pool: its parent is unknown.
    UnknownParent,
    /// Refused before it was stored, for the named rule (its body is not kept).
    Refused(&'static str),
}

impl BlockStatus {
    /// The status name of the API: `active`, `valid-fork`, `invalid` or `unknown-parent`
    /// (a refused block is `invalid`).
    pub fn name(&self) -> &'static str {
        match self {
            BlockStatus::Active => "active",
            BlockStatus::ValidFork => "valid-fork",
            BlockStatus::Invalid(_) | BlockStatus::Refused(_) => "invalid",
            BlockStatus::UnknownParent => "unknown-parent",
        }
    }

    /// The rule an invalid or refused block broke (`invalid_ancestor` when an ancestor did).
    pub fn invalid_rule(&self) -> Option<&str> {
        match self {
            BlockStatus::Invalid(why) => Some(why.rule()),
            BlockStatus::Refused(rule) => Some(rule),
            _ => None,
        }
    }
}

/// The status of a tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TipStatus {
    /// The best chain's tip.
    Active,
    /// The tip of a stored, valid side branch.
    ValidFork,
    /// The tip of a branch found invalid, with why.
    Invalid(Invalidity),
    /// The newest block of a run of orphans waiting for a missing parent.
    UnknownParent,
}

impl TipStatus {
    /// The status name of the API.
    pub fn name(&self) -> &'static str {
        match self {
            TipStatus::Active => "active",
            TipStatus::ValidFork => "valid-fork",
            TipStatus::Invalid(_) => "invalid",
            TipStatus::UnknownParent => "unknown-parent",
        }
    }
}

/// One tip of the block tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTip {
    /// The tip's hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: Height,
    /// Blocks of its branch that are not on the best chain (0 for the active tip; for an
    /// orphan run, the blocks held).
    pub branch_length: u64,
    /// `height - branch_length`: the last block the branch shares with the best chain (for an
    /// orphan run, the height of the missing parent).
    pub fork_height: Height,
    /// Its status.
    pub status: TipStatus,
}

/// Every tip, sorted: the active tip first, then by height, highest first (ties by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTips {
    /// The tips listed (at most [`MAX_LISTED_TIPS`]).
    pub tips: Vec<ChainTip>,
    /// True when more tips exist than were listed.
    pub truncated: bool,
}

impl<S: ChainStore> Chain<S> {
    /// Returns where the block `hash` stands, or `None` if the node has never stored, held or
    /// refused it (refusals are remembered for a bounded number of blocks).
    pub fn block_status(&self, hash: &BlockHash) -> Option<BlockStatus> {
        if let Some(slot) = self.tree.slot(hash) {
            return Some(match self.tree.why(slot) {
                Some(why) => BlockStatus::Invalid(why.clone()),
                None if self.is_active_slot(slot) => BlockStatus::Active,
                None => BlockStatus::ValidFork,
            });
        }
        if self.orphans.blocks.contains_key(hash) {
            return Some(BlockStatus::UnknownParent);
        }
        self.rejected.get(hash).map(|rule| BlockStatus::Refused(rule))
    }

    /// Returns a block held in the orphan pool.
    pub fn orphan(&self, hash: &BlockHash) -> Option<&Block> {
        self.orphans.blocks.get(hash).map(|(b, _)| b)
    }

    /// Lists the tips of the block tree and of the orphan pool: exactly one `Active` tip (the
    /// best chain's), one per side branch (valid or invalid), and one per run of orphans. Costs
    /// one step per block off the best chain, for branches and orphans the node already holds.
    pub fn chain_tips(&self) -> ChainTips {
        let tip = self.tip();
        let mut tips = vec![ChainTip {
            hash: tip,
            height: self.height(),
            branch_length: 0,
            fork_height: self.height(),
            status: TipStatus::Active,
        }];
        for leaf in self.tree.leaves() {
            if self.is_active_slot(leaf) {
                continue;
            }
            let mut branch_length = 0u64;
            let mut cur = Some(leaf);
            while let Some(s) = cur.filter(|s| !self.is_active_slot(*s)) {
                branch_length += 1;
                cur = self.tree.parent(s);
            }
            let status = match self.tree.why(leaf) {
                Some(why) => TipStatus::Invalid(why.clone()),
                None => TipStatus::ValidFork,
            };
            let height = self.tree.node(leaf).height;
            tips.push(ChainTip {
                hash: self.hash_of(leaf),
                height,
                branch_length,
                fork_height: Height(height.0.saturating_sub(branch_length)),
                status,
            });
        }
        for (hash, (block, _)) in &self.orphans.blocks {
            if self.orphans.has_children(hash) {
                continue;
            }
            let mut branch_length = 1u64;
            let mut parent = block.header.last_hash;
            while let Some((b, _)) = self.orphans.blocks.get(&parent) {
                branch_length += 1;
                parent = b.header.last_hash;
                if branch_length as usize > self.orphans.blocks.len() {
                    break;
                }
            }
            let height = block.header.height;
            tips.push(ChainTip {
                hash: *hash,
                height,
                branch_length,
                fork_height: Height(height.0.saturating_sub(branch_length)),
                status: TipStatus::UnknownParent,
            });
        }
        tips[1..].sort_by(|a, b| b.height.cmp(&a.height).then(a.hash.cmp(&b.hash)));
        let truncated = tips.len() > MAX_LISTED_TIPS;
        tips.truncate(MAX_LISTED_TIPS);
        ChainTips { tips, truncated }
    }
}
