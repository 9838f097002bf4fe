//! The reference balance rule: a plain scan over the chain, written to be obviously right rather
//! than fast. The incremental [`crate::state::Ledger`] must agree with it for every address; a
//! property test checks that on random chains.
//!
//! The rule (the first prototype's, with "last" defined by chain order): the balance of an
//! address is the change of its last spend (its output in that transfer, or zero), plus every
//! credit to it in the block of that spend (from other transactions, the reward included) and in
//! every later block. An address that never spent has the sum of all its credits. The nonce is
//! the number of its spends. Genesis allocations count as credits in block 0.

use crate::address::Address;
use crate::amount::Amount;
use crate::block::Block;
use crate::params::GenesisAllocation;
use crate::transaction::Transaction;

/// Returns the balance of `address` after `chain` (genesis first), by scanning, on a network
/// without genesis allocations.
pub fn balance(chain: &[Block], address: &Address) -> Amount {
    balance_with_allocations(chain, address, &[])
}

/// Returns the balance of `address` after `chain` (genesis first), by scanning; `allocations`
/// are the network's genesis allocations, credits in block 0.
pub fn balance_with_allocations(chain: &[Block], address: &Address, allocations: &[GenesisAllocation]) -> Amount {
    let last_spend = chain.iter().enumerate().rev().find_map(|(i, b)| {
        b.transactions.iter().enumerate().find_map(|(j, tx)| match tx {
            Transaction::Normal(t) if t.sender() == *address => Some((i, j, t)),
            _ => None,
        })
    });
    let mut total: u128 = 0;
    let start = match last_spend {
        Some((i, j, spend)) => {
            total += spend.outputs.iter().filter(|o| o.address == *address).map(|o| o.amount.0 as u128).sum::<u128>();
            for (k, tx) in chain[i].transactions.iter().enumerate() {
                if k != j {
                    total += credits(tx, address);
                }
            }
            i + 1
        }
        None => {
            total += allocations.iter().filter(|a| a.address == *address).map(|a| a.amount.0 as u128).sum::<u128>();
            0
        }
    };
    for b in &chain[start..] {
        for tx in &b.transactions {
            total += credits(tx, address);
        }
    }
    Amount(u64::try_from(total).expect("a valid chain's balances fit in u64"))
}

/// Returns the nonce of `address` after `chain`: how many transfers it sent.
pub fn nonce(chain: &[Block], address: &Address) -> u64 {
    chain
        .iter()
        .flat_map(|b| b.transactions.iter())
        .filter(|tx| matches!(tx, Transaction::Normal(t) if t.sender() == *address))
        .count() as u64
}

fn credits(tx: &Transaction, address: &Address) -> u128 {
    tx.outputs().iter().filter(|o| o.address == *address).map(|o| o.amount.0 as u128).sum()
}
