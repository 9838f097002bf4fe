//! [`NetworkParams`]: the consensus parameters of a network and the policy limits derived from
//! them. Two nodes share a network exactly when they share these parameters, which is why the
//! genesis block commits to all of them (see [`crate::block::genesis_block`]).

use crate::address::Address;
use crate::amount::Amount;
use serde::{Deserialize, Serialize};

/// The consensus parameters of one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkParams {
    /// The network's name, committed to by genesis and by every signature (at most 64 bytes).
    pub network_id: String,
    /// `DIFFICULTY`: the initial target, as a number of leading zero hex digits (1..=60).
    pub initial_difficulty: u32,
    /// `MINE_RATE`: the target interval between blocks, in milliseconds.
    pub mine_rate_ms: u64,
    /// `MINING_REWARD`: the subsidy of the first blocks, before any halving.
    pub mining_reward: Amount,
    /// `HALVING_INTERVAL`: the subsidy halves every this many blocks.
    pub halving_interval: u64,
    /// The genesis block's timestamp in milliseconds since the Unix epoch.
    pub genesis_timestamp_ms: u64,
    /// How far ahead of the local clock a block's timestamp may be, in milliseconds.
    pub max_future_block_time_ms: u64,
    /// The retarget half-life, in blocks: the target doubles (halves) when the chain falls this
    /// many block intervals behind (ahead of) its schedule.
    pub retarget_half_life_blocks: u64,
    /// The largest canonical encoding of a block, in bytes.
    pub max_block_bytes: usize,
    /// The most transactions (reward included) in one block.
    pub max_block_transactions: usize,
    /// The most outputs of one transfer.
    pub max_outputs: usize,
    /// The longest data text a reward may carry, in bytes.
    pub max_reward_data_bytes: usize,
    /// Keeps the initial target for every block (no retargeting), like Bitcoin's regtest: for
    /// dev chains that mine blocks on demand, far faster than `mine_rate_ms`.
    pub fixed_difficulty: bool,
    /// Coins that exist from block 0 (dev accounts): each address starts with this balance and
    /// nonce 0, as if credited in the genesis block.
    pub genesis_allocations: Vec<GenesisAllocation>,
}

/// One address funded at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAllocation {
    /// The funded address.
    pub address: Address,
    /// Its balance at genesis (at least 1).
    pub amount: Amount,
}

/// The most genesis allocations of one network.
pub const MAX_GENESIS_ALLOCATIONS: usize = 1_000;
/// The most coins all genesis allocations together may create (2^62), so that they and every
/// subsidy ever paid fit in 64 bits.
pub const MAX_GENESIS_SUPPLY: u64 = 1 << 62;

/// The longest network id, in bytes.
pub const MAX_NETWORK_ID_BYTES: usize = 64;

impl Default for NetworkParams {
    fn default() -> Self {
        NetworkParams {
            network_id: "bitcoin-rust-devnet".to_string(),
            initial_difficulty: 4,
            mine_rate_ms: 8_000,
            mining_reward: Amount(50),
            halving_interval: 210,
            genesis_timestamp_ms: 0,
            max_future_block_time_ms: 120_000,
            retarget_half_life_blocks: 4,
            max_block_bytes: 1_000_000,
            max_block_transactions: 4_000,
            max_outputs: 100,
            max_reward_data_bytes: 256,
            fixed_difficulty: false,
            genesis_allocations: Vec::new(),
        }
    }
}

/// A parameter outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The network id is empty or too long.
    #[error("network_id must be 1..={max} bytes, got {got}")]
    NetworkId {
        /// Its length.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A numeric parameter is out of range.
    #[error("{name} must be in {range}, got {got}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// The value given.
        got: u64,
        /// The allowed range, as text.
        range: &'static str,
    },
    /// A genesis allocation of zero coins.
    #[error("genesis allocation to {0} must be at least 1 coin")]
    EmptyAllocation(Address),
    /// The same address allocated twice.
    #[error("address {0} is allocated twice at genesis")]
    DuplicateAllocation(Address),
    /// Too many allocations, or too many coins in them.
    #[error(
        "genesis allocations are limited to {MAX_GENESIS_ALLOCATIONS} addresses and {MAX_GENESIS_SUPPLY} coins in all"
    )]
    AllocationsTooLarge,
}

impl NetworkParams {
    /// Checks every parameter's range.
    ///
    /// # Errors
    /// The first parameter out of range.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let len = self.network_id.len();
        if len == 0 || len > MAX_NETWORK_ID_BYTES {
            return Err(ParamsError::NetworkId { got: len, max: MAX_NETWORK_ID_BYTES });
        }
        let check = |name, got: u64, lo: u64, hi: u64, range| {
            if got < lo || got > hi {
                Err(ParamsError::OutOfRange { name, got, range })
            } else {
                Ok(())
            }
        };
        check("initial_difficulty", self.initial_difficulty as u64, 1, 60, "1..=60")?;
        check("mine_rate_ms", self.mine_rate_ms, 1, 86_400_000, "1..=86400000")?;
        check("halving_interval", self.halving_interval, 1, u64::MAX, "1..")?;
        check("retarget_half_life_blocks", self.retarget_half_life_blocks, 1, 10_000, "1..=10000")?;
        check("max_block_bytes", self.max_block_bytes as u64, 1_000, 32_000_000, "1000..=32000000")?;
        check("max_block_transactions", self.max_block_transactions as u64, 1, 100_000, "1..=100000")?;
        check("max_outputs", self.max_outputs as u64, 1, 10_000, "1..=10000")?;
        check("max_reward_data_bytes", self.max_reward_data_bytes as u64, 0, 1_024, "0..=1024")?;
        if self.genesis_allocations.len() > MAX_GENESIS_ALLOCATIONS {
            return Err(ParamsError::AllocationsTooLarge);
        }
        let mut seen = std::collections::HashSet::new();
        let mut total: u64 = 0;
        for a in &self.genesis_allocations {
            if a.amount.0 == 0 {
                return Err(ParamsError::EmptyAllocation(a.address));
            }
            if !seen.insert(a.address) {
                return Err(ParamsError::DuplicateAllocation(a.address));
            }
            total = total
                .checked_add(a.amount.0)
                .filter(|t| *t <= MAX_GENESIS_SUPPLY)
                .ok_or(ParamsError::AllocationsTooLarge)?;
        }
        Ok(())
    }

    /// Returns the block subsidy at `height`: `mining_reward >> (height / halving_interval)`.
    pub fn subsidy(&self, height: crate::amount::Height) -> Amount {
        let halvings = height.0 / self.halving_interval;
        if halvings >= 64 {
            Amount::ZERO
        } else {
            Amount(self.mining_reward.0 >> halvings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Height;

    #[test]
    fn subsidy_halves_every_interval() {
        let p = NetworkParams::default();
        assert_eq!(p.subsidy(Height(1)), Amount(50));
        assert_eq!(p.subsidy(Height(209)), Amount(50));
        assert_eq!(p.subsidy(Height(210)), Amount(25));
        assert_eq!(p.subsidy(Height(420)), Amount(12));
        assert_eq!(p.subsidy(Height(210 * 64)), Amount(0));
        assert_eq!(p.subsidy(Height(u64::MAX)), Amount(0));
    }

    #[test]
    fn out_of_range_parameters_are_named() {
        let p = NetworkParams { initial_difficulty: 0, ..NetworkParams::default() };
        assert!(matches!(p.validate(), Err(ParamsError::OutOfRange { name: "initial_difficulty", got: 0, .. })));
        let p = NetworkParams { network_id: String::new(), ..NetworkParams::default() };
        assert!(matches!(p.validate(), Err(ParamsError::NetworkId { got: 0, .. })));
        NetworkParams::default().validate().unwrap();
    }
}
