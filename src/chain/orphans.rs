//! The orphan pool: blocks whose parent is not in the tree yet, held (bounded by count and
//! bytes, oldest dropped first) until the parent arrives.

use crate::block::Block;
use crate::hash::BlockHash;
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Default)]
pub(super) struct OrphanPool {
    pub(super) blocks: HashMap<BlockHash, (Block, usize)>,
    by_parent: HashMap<BlockHash, Vec<BlockHash>>,
    order: VecDeque<BlockHash>,
    bytes: usize,
    max_count: usize,
    max_bytes: usize,
}

impl OrphanPool {
    /// An empty pool holding at most `max_count` blocks and `max_bytes` bytes.
    pub(super) fn new(max_count: usize, max_bytes: usize) -> OrphanPool {
        OrphanPool { max_count, max_bytes, ..OrphanPool::default() }
    }

    pub(super) fn insert(&mut self, block: Block) {
        let hash = block.hash();
        if self.blocks.contains_key(&hash) {
            return;
        }
        let size = block.encoded_len();
        self.by_parent.entry(block.header.last_hash).or_default().push(hash);
        self.blocks.insert(hash, (block, size));
        self.order.push_back(hash);
        self.bytes += size;
        while self.blocks.len() > self.max_count || self.bytes > self.max_bytes {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.remove(&oldest);
                }
                None => break,
            }
        }
    }

    pub(super) fn remove(&mut self, hash: &BlockHash) -> Option<Block> {
        let (block, size) = self.blocks.remove(hash)?;
        self.bytes -= size;
        if let Some(siblings) = self.by_parent.get_mut(&block.header.last_hash) {
            siblings.retain(|h| h != hash);
            if siblings.is_empty() {
                self.by_parent.remove(&block.header.last_hash);
            }
        }
        self.order.retain(|h| h != hash);
        Some(block)
    }

    /// Returns true when a held block has `hash` as its parent.
    pub(super) fn has_children(&self, hash: &BlockHash) -> bool {
        self.by_parent.get(hash).is_some_and(|c| !c.is_empty())
    }

    pub(super) fn take_children(&mut self, parent: &BlockHash) -> Vec<Block> {
        let children = self.by_parent.get(parent).cloned().unwrap_or_default();
        children.iter().filter_map(|h| self.remove(h)).collect()
    }

    /// Drops every held descendant of `hash`.
    pub(super) fn drop_descendants(&mut self, hash: &BlockHash) {
        let mut frontier = vec![*hash];
        while let Some(h) = frontier.pop() {
            for child in self.take_children(&h) {
                frontier.push(child.hash());
            }
        }
    }

    /// Returns the first ancestor of `block` that is neither known nor held.
    pub(super) fn missing_root(&self, block: &Block) -> BlockHash {
        let mut missing = block.header.last_hash;
        let mut steps = 0;
        while let Some((b, _)) = self.blocks.get(&missing) {
            missing = b.header.last_hash;
            steps += 1;
            if steps > self.max_count {
                break;
            }
        }
        missing
    }
}
