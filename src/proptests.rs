//! Property tests: encodings round-trip, and on random valid chains with same-block credits,
//! self-sends and reorganisations, the incremental ledger equals the reference scan
//! ([`crate::oracle`]) for every address and equals a replay of the winning branch from genesis.

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::block::{Block, BlockHeader};
use crate::chain::Chain;
use crate::hash::{BlockHash, Hash256};
use crate::oracle;
use crate::params::NetworkParams;
use crate::state::{Account, BlockUndo};
use crate::store::memory::MemoryStore;
use crate::store::{decode_undo, encode_undo};
use crate::target::{CompactTarget, Target};
use crate::testkit::{address, easy_params, key, next_block, wallet};
use crate::transaction::{Reward, Transaction, Transfer, TxOutput};
use primitive_types::U256;
use proptest::prelude::*;

const NOW: u64 = 10_000_000_000;
const WALLETS: u64 = 5;

fn arb_transfer() -> impl Strategy<Value = Transfer> {
    (0u64..20, any::<u64>(), any::<u64>(), any::<u64>(), prop::collection::vec((0u64..50, 1u64..u64::MAX / 200), 0..6))
        .prop_map(|(k, nonce, ts, fee, outs)| {
            let outputs: Vec<TxOutput> =
                outs.into_iter().map(|(s, a)| TxOutput { address: address(s), amount: Amount(a) }).collect();
            Transfer::sign("prop", &key(k), nonce, ts, Amount(fee), Amount(fee / 2), outputs)
        })
}

fn arb_reward() -> impl Strategy<Value = Reward> {
    (any::<u64>(), 0u64..30, any::<u64>(), "\\PC{0,60}")
        .prop_map(|(h, s, a, data)| Reward::new("prop", Height(h), address(s), Amount(a), data))
}

fn arb_header() -> impl Strategy<Value = BlockHeader> {
    (any::<u32>(), any::<u64>(), any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u64>(), any::<u32>(), any::<u64>())
        .prop_map(|(version, h, prev, root, ts, bits, nonce)| BlockHeader {
            version,
            height: Height(h),
            last_hash: BlockHash(Hash256(prev)),
            merkle_root: Hash256(root),
            timestamp: ts,
            bits: CompactTarget(bits),
            nonce,
        })
}

fn prop_params() -> NetworkParams {
    NetworkParams { network_id: "prop".into(), max_reward_data_bytes: 1_024, ..NetworkParams::default() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn header_round_trips(h in arb_header()) {
        prop_assert_eq!(BlockHeader::decode(&h.encode()), h);
    }

    #[test]
    fn transactions_round_trip_in_binary_and_json(t in arb_transfer(), r in arb_reward()) {
        let p = prop_params();
        for tx in [Transaction::Normal(t), Transaction::Reward(r)] {
            let bytes = tx.encode();
            prop_assert_eq!(bytes.len(), tx.encoded_len());
            prop_assert_eq!(&Transaction::decode(&bytes, &p).unwrap(), &tx);
            let json = serde_json::to_string(&tx).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Transaction>(&json).unwrap(), &tx);
        }
    }

    #[test]
    fn blocks_round_trip(h in arb_header(), ts in prop::collection::vec(arb_transfer(), 0..4), r in arb_reward()) {
        let p = prop_params();
        let mut txs = vec![Transaction::Reward(r)];
        txs.extend(ts.into_iter().map(Transaction::Normal));
        let b = Block { header: h, transactions: txs };
        prop_assert_eq!(&Block::decode(&b.encode(), &p).unwrap(), &b);
        let json = serde_json::to_string(&b).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Block>(&json).unwrap(), &b);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let p = prop_params();
        let _ = Block::decode(&bytes, &p);
        let _ = Transaction::decode(&bytes, &p);
        let _ = decode_undo(&bytes);
    }

    #[test]
    fn undo_records_round_trip(entries in prop::collection::vec((0u64..40, any::<Option<(u64, u64)>>()), 0..10)) {
        let undo = BlockUndo {
            accounts: entries
                .into_iter()
                .map(|(s, a)| (address(s), a.map(|(b, n)| Account { balance: Amount(b), nonce: n })))
                .collect(),
        };
        prop_assert_eq!(decode_undo(&encode_undo(&undo)).unwrap(), undo);
    }

    #[test]
    fn compact_targets_round_down_by_less_than_one_part_in_32768(bytes in any::<[u8; 32]>()) {
        let t = U256::from_big_endian(&bytes);
        prop_assume!(!t.is_zero());
        let back = Target(t).to_compact().to_target();
        if let Ok(back) = back {
            prop_assert!(back.0 <= t);
            prop_assert!(t - back.0 <= t >> 15);
            prop_assert_eq!(back.to_compact().to_target().unwrap(), back);
        } else {
            // Only values that round to zero have no compact form.
            prop_assert!(t < U256::from(0x8000u64));
        }
    }
}

/// A random transfer: (sender, [(recipient, percent of what remains)], fee).
type TransferSpec = (u64, Vec<(u64, u8)>, u64);

/// One step of a random chain history.
#[derive(Debug, Clone)]
enum Step {
    /// Mine a block by `miner` with transfers: (sender, [(recipient, share of balance in %)], fee).
    Block { miner: u64, transfers: Vec<TransferSpec> },
    /// Replace the last `depth` blocks by `depth + 1` others, mined by `miner`.
    Reorg { depth: u64, miner: u64, transfers: Vec<TransferSpec> },
}

fn arb_transfers() -> impl Strategy<Value = Vec<TransferSpec>> {
    prop::collection::vec((0..WALLETS, prop::collection::vec((0..WALLETS, 1u8..60), 0..3), 0u64..3), 0..4)
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..WALLETS, arb_transfers()).prop_map(|(miner, transfers)| Step::Block { miner, transfers }),
        1 => (1u64..4, 0..WALLETS, arb_transfers()).prop_map(|(depth, miner, transfers)| Step::Reorg { depth, miner, transfers }),
    ]
}

/// Turns the random description into transfers valid at the chain's tip: one per sender, change
/// first, recipients merged (a payment to oneself merges into the change: a self-send).
fn make_transfers(c: &Chain<MemoryStore>, spec: &[TransferSpec]) -> Vec<Transfer> {
    let mut out: Vec<Transfer> = Vec::new();
    for (from, pays, fee) in spec {
        let w = wallet(*from);
        if out.iter().any(|t| t.sender() == w.address()) {
            continue;
        }
        let acct = c.account(&w.address());
        if acct.balance.0 == 0 {
            continue;
        }
        let fee = (*fee).min(acct.balance.0);
        let mut remaining = acct.balance.0 - fee;
        let mut outputs: Vec<TxOutput> = Vec::new();
        for (to, pct) in pays {
            let amt = remaining * u64::from(*pct) / 100;
            if amt == 0 {
                continue;
            }
            let to_addr: Address = address(*to);
            if to_addr == w.address() {
                continue; // stays in the change
            }
            match outputs.iter_mut().find(|o| o.address == to_addr) {
                Some(o) => o.amount.0 += amt,
                None => outputs.push(TxOutput { address: to_addr, amount: Amount(amt) }),
            }
            remaining -= amt;
        }
        if remaining > 0 {
            outputs.insert(0, TxOutput { address: w.address(), amount: Amount(remaining) });
        }
        if outputs.is_empty() {
            continue;
        }
        out.push(Transfer::sign(
            &c.params().network_id,
            w.signing_key(),
            acct.nonce,
            0,
            acct.balance,
            Amount(fee),
            outputs,
        ));
    }
    out
}

fn active_blocks(c: &Chain<MemoryStore>) -> Vec<Block> {
    (0..=c.height().0).map(|h| c.block_at(Height(h)).unwrap().unwrap()).collect()
}

fn check_against_oracle(c: &Chain<MemoryStore>) -> Result<(), TestCaseError> {
    let blocks = active_blocks(c);
    for s in 0..WALLETS {
        let a = address(s);
        prop_assert_eq!(c.account(&a).balance, oracle::balance(&blocks, &a), "balance of wallet {}", s);
        prop_assert_eq!(c.account(&a).nonce, oracle::nonce(&blocks, &a), "nonce of wallet {}", s);
    }
    let supply: u64 = (1..blocks.len() as u64).map(|h| c.params().subsidy(Height(h)).0).sum();
    prop_assert_eq!(c.ledger().total_supply(), Some(Amount(supply)), "coins are neither created nor lost");
    c.verify_by_replay().map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ledger_matches_the_oracle_through_random_histories_with_reorgs(
        steps in prop::collection::vec(arb_step(), 1..14)
    ) {
        let p = easy_params();
        let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        for step in steps {
            match step {
                Step::Block { miner, transfers } => {
                    let txs = make_transfers(&c, &transfers);
                    let b = next_block(&c, address(miner), &txs, 1_000);
                    let processed = c.process_block(b, NOW).unwrap();
                    prop_assert!(processed.invalid.is_empty());
                    prop_assert!(processed.switch.is_some());
                }
                Step::Reorg { depth, miner, transfers } => {
                    let depth = depth.min(c.height().0);
                    let fork = c.height().0 - depth;
                    // Rebuild the chain up to the fork point in a second node.
                    let mut other = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
                    for h in 1..=fork {
                        other.process_block(c.block_at(Height(h)).unwrap().unwrap(), NOW).unwrap();
                    }
                    let mut branch = Vec::new();
                    for i in 0..=depth {
                        let txs = if i == 0 { make_transfers(&other, &transfers) } else { Vec::new() };
                        // A different interval than the main chain so the blocks differ.
                        let b = next_block(&other, address(miner), &txs, 1_500 + i);
                        other.process_block(b.clone(), NOW).unwrap();
                        branch.push(b);
                    }
                    let before = c.tip();
                    for b in branch {
                        c.process_block(b, NOW).unwrap();
                    }
                    if other.tip_info().chain_work > c.info(&before).unwrap().chain_work {
                        prop_assert_eq!(c.tip(), other.tip());
                        prop_assert_eq!(c.ledger(), other.ledger());
                    }
                }
            }
            check_against_oracle(&c)?;
        }
    }
}

/// An amount that is often small, often close to `u64::MAX`, and sometimes anything.
fn arb_amount() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1_000, (u64::MAX - 1_000)..=u64::MAX, any::<u64>(), (u64::MAX / 2 - 500)..(u64::MAX / 2 + 500)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the balances and the candidates (stale, duplicated, overflowing credits, fees or
    /// reward), the transfers a [`crate::state::BlockScratch`] takes form a block that
    /// [`crate::state::Ledger::connect_block`] accepts: a template never breaks a state rule.
    #[test]
    fn what_a_scratch_block_takes_always_connects(
        balances in prop::collection::vec(arb_amount(), 6),
        miner in 0u64..8,
        subsidy in arb_amount(),
        candidates in prop::collection::vec(
            (0u64..6, prop::bool::weighted(0.9), prop::bool::weighted(0.9), arb_amount(),
             prop::collection::vec((0u64..8, arb_amount()), 1..4)),
            0..12,
        ),
    ) {
        use crate::state::{BlockScratch, Ledger};
        let accounts = balances
            .iter()
            .enumerate()
            .map(|(s, b)| (address(s as u64), Account { balance: Amount(*b), nonce: 0 }))
            .collect();
        let ledger = Ledger::from_parts(accounts, Default::default());
        let params = NetworkParams { mining_reward: Amount(subsidy), halving_interval: u64::MAX, ..prop_params() };
        let height = Height(1);
        let mut scratch = BlockScratch::new(&ledger, params.subsidy(height), Some(address(miner)));
        let mut chosen = Vec::new();
        for (s, right_nonce, right_amount, fee, outs) in candidates {
            let balance = balances[s as usize];
            let amount = if right_amount { balance } else { balance ^ 1 };
            let outputs = outs.into_iter().map(|(a, v)| TxOutput { address: address(a), amount: Amount(v) }).collect();
            let t = Transfer::sign("prop", &key(s), u64::from(!right_nonce), 0, Amount(amount), Amount(fee), outputs);
            if scratch.try_add(&t).is_ok() {
                chosen.push(Transaction::Normal(t));
            }
        }
        prop_assert_eq!(scratch.len(), chosen.len());
        if scratch.check_reward().is_ok() {
            let reward = Reward::new("prop", height, address(miner), scratch.reward(), String::new());
            let mut transactions = vec![Transaction::Reward(reward)];
            transactions.extend(chosen);
            let header = BlockHeader {
                version: 1,
                height,
                last_hash: BlockHash::default(),
                merkle_root: Hash256::default(),
                timestamp: 0,
                bits: CompactTarget(0),
                nonce: 0,
            };
            let block = Block { header, transactions };
            let mut connected = ledger.clone();
            prop_assert!(connected.connect_block(&block, &params).is_ok(), "{:?}", connected.connect_block(&block, &params));
        }
    }
}
