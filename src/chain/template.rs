//! Block templates: what the miner hashes on the tip, and reward-only blocks on any block of
//! the tree (for tests and the dev chain).

use super::{BlockTemplate, Chain};
use crate::address::Address;
use crate::amount::Height;
use crate::block::{Block, BlockHeader, BLOCK_VERSION};
use crate::hash::{BlockHash, TxId};
use crate::merkle::merkle_root;
use crate::state::{BlockScratch, LedgerOver};
use crate::store::ChainStore;
use crate::transaction::{check_transfer, Reward, Transaction, Transfer};
use crate::validation::BlockError;

impl<S: ChainStore> Chain<S> {
    /// Builds a block on the tip for `miner`, with nonce 0: the reward (subsidy plus fees,
    /// carrying `data` cut to the network's limit) and, in the order given, every transfer that
    /// keeps the block valid, within the size and count limits. Each candidate is checked with
    /// its own rules and then applied to a scratch copy of the block's state changes
    /// ([`BlockScratch`]: nonce and balance at the tip, one spend per sender, no id twice or
    /// already in the chain, fees and every credit within 64 bits, the miner's included); one
    /// that fails is left out and reported in [`BlockTemplate::left_out`] with the rule, so the
    /// pool can drop it instead of offering it again. The block is valid once its nonce meets
    /// the target (unless the miner's own balance cannot take the subsidy).
    pub fn block_template(&self, miner: Address, transfers: &[Transfer], data: &str, now_ms: u64) -> BlockTemplate {
        let height = Height(self.height().0 + 1);
        let timestamp = now_ms.max(self.median_time_past() + 1);
        let mut data = data.to_string();
        while data.len() > self.params.max_reward_data_bytes {
            data.pop();
        }
        let mut size = crate::block::HEADER_LEN + 4 + crate::transaction::reward_encoded_len(data.len());
        // Whether an offered transfer is already in the chain: the written index's entries for
        // them, read at once. If the store cannot be read, the block offers none of them (it
        // cannot tell which would break the rule, and none is reported as breaking it).
        let ids: Vec<TxId> = transfers.iter().map(|t| t.id).collect();
        let (tip, transfers) = match self.tip_state(&ids) {
            Ok(tip) => (tip, transfers),
            Err(_) => (LedgerOver::new(&self.ledger, Default::default()), &[][..]),
        };
        let mut scratch = BlockScratch::new(&tip, self.params.subsidy(height), Some(miner));
        let mut chosen = Vec::new();
        let mut left_out = Vec::new();
        for t in transfers {
            if chosen.len() + 1 >= self.params.max_block_transactions {
                break;
            }
            let tx_size = Transaction::Normal(t.clone()).encoded_len();
            if size + tx_size > self.params.max_block_bytes {
                continue;
            }
            let fits = check_transfer(t, &self.params, false)
                .map_err(|source| BlockError::Transaction { index: chosen.len() + 1, id: t.id, source })
                .and_then(|()| scratch.try_add(t));
            match fits {
                Ok(()) => {
                    size += tx_size;
                    chosen.push(Transaction::Normal(t.clone()));
                }
                Err(rule) => left_out.push((t.id, rule)),
            }
        }
        let reward = Reward::new(&self.params.network_id, height, miner, scratch.reward(), data);
        let mut transactions = vec![Transaction::Reward(reward)];
        transactions.extend(chosen);
        let ids: Vec<TxId> = transactions.iter().map(|t| t.id()).collect();
        let block = Block {
            header: BlockHeader {
                version: BLOCK_VERSION,
                height,
                last_hash: self.tip(),
                merkle_root: merkle_root(&ids),
                timestamp,
                bits: self.next_target().to_compact(),
                nonce: 0,
            },
            transactions,
        };
        BlockTemplate { block, left_out }
    }

    /// Builds a reward-only block on any block of the tree (not only the tip), with nonce 0
    /// and the earliest valid timestamp at or after `timestamp_ms`. Returns `None` for an
    /// unknown parent.
    pub fn empty_block_on(&self, parent: &BlockHash, miner: Address, timestamp_ms: u64) -> Option<Block> {
        let ctx = self.header_context(parent, timestamp_ms)?;
        let height = Height(ctx.parent_height.0 + 1);
        let reward = Reward::new(&self.params.network_id, height, miner, self.params.subsidy(height), String::new());
        let transactions = vec![Transaction::Reward(reward)];
        Some(Block {
            header: BlockHeader {
                version: BLOCK_VERSION,
                height,
                last_hash: *parent,
                merkle_root: merkle_root(&[transactions[0].id()]),
                timestamp: timestamp_ms.max(ctx.median_time_past + 1),
                bits: ctx.expected_bits,
                nonce: 0,
            },
            transactions,
        })
    }
}
