//! Rule-by-rule tests of block acceptance through [`Chain::process_block`] (the entry point for
//! blocks from any source), fork choice, reorganisation and persistence.

use crate::amount::{Amount, Height};
use crate::block::{genesis_block, Block};
use crate::chain::{Chain, ChainError, Placement};
use crate::hash::{BlockHash, Hash256};
use crate::oracle;
use crate::params::NetworkParams;
use crate::state::Ledger;
use crate::store::memory::MemoryStore;
use crate::store::redb_store::RedbStore;
use crate::store::{ChainStore, StoreError};
use crate::target::{CompactTarget, Target};
use crate::testkit::{address, easy_params, mine, next_block, pay, seal, wallet};
use crate::transaction::{Reward, Signature64, Transaction, TxError, TxOutput};
use crate::validation::{BlockError, Invalidity};
use k256::ecdsa::Signature;
use k256::elliptic_curve::ops::Neg;

const NOW: u64 = 10_000_000_000;

fn new_chain() -> Chain<MemoryStore> {
    let p = easy_params();
    Chain::open(p.clone(), MemoryStore::new(&p)).unwrap()
}

/// A chain where wallet 1 has mined `n` blocks (balance 50 each).
fn funded(n: usize) -> Chain<MemoryStore> {
    let mut c = new_chain();
    for _ in 0..n {
        let b = next_block(&c, address(1), &[], 1_000);
        c.process_block(b, NOW).unwrap();
    }
    c
}

fn rule_of(r: Result<crate::chain::Processed, ChainError>) -> BlockError {
    match r {
        Err(ChainError::Invalid { source, .. }) => *source,
        Ok(p) if !p.invalid.is_empty() => p.invalid[0].1.clone(),
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

fn tx_rule_of(r: Result<crate::chain::Processed, ChainError>) -> TxError {
    match rule_of(r) {
        BlockError::Transaction { source, .. } => source,
        other => panic!("expected a transaction rule, got {other:?}"),
    }
}

#[test]
fn a_valid_block_extends_the_chain() {
    let mut c = new_chain();
    let b = next_block(&c, address(1), &[], 1_000);
    let hash = b.hash();
    let p = c.process_block(b, NOW).unwrap();
    assert_eq!(p.placement, Placement::Stored);
    assert_eq!(c.tip(), hash);
    assert_eq!(c.height(), Height(1));
    assert_eq!(c.account(&address(1)).balance, Amount(50));
    assert!(p.switch.unwrap().disconnected.is_empty());
    // The same block again is known, not an error.
    let again = c.block_at(Height(1)).unwrap().unwrap();
    assert_eq!(c.process_block(again, NOW).unwrap().placement, Placement::AlreadyKnown);
}

#[test]
fn bad_proof_of_work_is_refused() {
    let mut c = new_chain();
    let mut b = next_block(&c, address(1), &[], 1_000);
    let target = b.header.bits.to_target().unwrap();
    while target.is_met_by(b.hash().as_bytes()) {
        b.header.nonce += 1;
    }
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::InsufficientWork { .. }));
    assert_eq!(c.height(), Height(0));
}

#[test]
fn wrong_target_and_jumped_difficulty_are_refused() {
    let p = NetworkParams { initial_difficulty: 2, ..easy_params() };
    let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    // Easier than the rule: a lower difficulty is cheaper work.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.bits = Target(b.header.bits.to_target().unwrap().0 * 2).to_compact();
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::WrongTarget { .. }));
    // Harder than the rule (a jump of one hex digit) is refused too: the target is exact.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.bits = Target::from_leading_zero_hex_digits(3).to_compact();
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::WrongTarget { .. }));
    // Easier than any network allows.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.bits = Target(crate::target::pow_limit().0 * 2).to_compact();
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::TargetAbovePowLimit { .. }));
    // Bits that are not a number at all.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.bits = CompactTarget(0x2280_0000);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::InvalidBits(_)));
    assert_eq!(c.height(), Height(0));
}

#[test]
fn timestamps_must_pass_the_median_and_not_be_in_the_future() {
    let mut c = funded(5);
    let mtp = c.median_time_past();
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.timestamp = mtp;
    mine(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::TimestampNotAfterMedian { got: mtp, median: mtp });
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.timestamp = NOW + c.params().max_future_block_time_ms + 1;
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::TimestampTooFarInFuture { .. }));
    // Exactly the limit is fine.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.timestamp = NOW + c.params().max_future_block_time_ms;
    mine(&mut b);
    c.process_block(b, NOW).unwrap();
}

#[test]
fn wrong_merkle_root_is_refused() {
    let mut c = new_chain();
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.merkle_root = Hash256::digest(b"not the root");
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::BadMerkleRoot { .. }));
}

#[test]
fn wrong_previous_hash_or_height() {
    let mut c = funded(2);
    // An unknown parent: held as an orphan, not connected.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.last_hash = BlockHash(Hash256::digest(b"nowhere"));
    mine(&mut b);
    let p = c.process_block(b, NOW).unwrap();
    assert_eq!(p.placement, Placement::Orphan { missing: BlockHash(Hash256::digest(b"nowhere")) });
    assert_eq!(c.height(), Height(2));
    // A known parent at the wrong height.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.header.last_hash = c.hash_at(Height(0)).unwrap();
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::BadHeight { .. }));
}

#[test]
fn reward_rules_are_enforced() {
    let p = easy_params();
    let mut c = funded(1);
    // Two rewards.
    let mut b = next_block(&c, address(1), &[], 1_000);
    let extra = Reward::new(&p.network_id, Height(2), address(2), Amount(50), "second".into());
    b.transactions.push(Transaction::Reward(extra));
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::MultipleRewards { index: 1 });
    // Wrong amount (minting).
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.transactions[0] =
        Transaction::Reward(Reward::new(&p.network_id, Height(2), address(1), Amount(51), String::new()));
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::WrongReward { got: Amount(51), expected: Amount(50) });
    // Reward not first.
    let tx = pay(&c, &wallet(1), &[(address(2), 5)], 1);
    let mut b = next_block(&c, address(1), &[tx], 1_000);
    b.transactions.swap(0, 1);
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::MissingReward);
    // No reward at all.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.transactions.clear();
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::MissingReward);
    // A reward committing to another height.
    let mut b = next_block(&c, address(1), &[], 1_000);
    b.transactions[0] =
        Transaction::Reward(Reward::new(&p.network_id, Height(7), address(1), Amount(50), String::new()));
    seal(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::RewardHeightMismatch { .. }));
    // Reward with fees is right.
    let tx = pay(&c, &wallet(1), &[(address(2), 5)], 3);
    let b = next_block(&c, address(3), &[tx], 1_000);
    c.process_block(b, NOW).unwrap();
    assert_eq!(c.account(&address(3)).balance, Amount(53));
    assert_eq!(c.account(&address(1)).balance, Amount(42));
    assert_eq!(c.account(&address(2)).balance, Amount(5));
}

#[test]
fn reward_data_is_limited() {
    let p = easy_params();
    let mut c = new_chain();
    let mut b = next_block(&c, address(1), &[], 1_000);
    let data = "x".repeat(p.max_reward_data_bytes + 1);
    b.transactions[0] = Transaction::Reward(Reward::new(&p.network_id, Height(1), address(1), Amount(50), data));
    seal(&mut b);
    assert!(matches!(tx_rule_of(c.process_block(b, NOW)), TxError::RewardDataTooLong { .. }));
    // The template cuts long data so the miner never builds an invalid block.
    let mut b = c.block_template(address(1), &[], &"y".repeat(10_000), 1_000).block;
    mine(&mut b);
    c.process_block(b, NOW).unwrap();
}

/// Replaces the signature by one from another key over the same content.
fn sign_with_another_key(t: &mut crate::transaction::Transfer) {
    let forged = crate::transaction::Transfer::sign(
        "testkit",
        wallet(9).signing_key(),
        t.input.nonce,
        t.input.timestamp,
        t.input.amount,
        t.input.fee,
        t.outputs.clone(),
    );
    t.input.signature = forged.input.signature;
}

fn resign_with(c: &Chain<MemoryStore>, f: impl FnOnce(&mut crate::transaction::Transfer)) -> Block {
    let mut tx = pay(c, &wallet(1), &[(address(2), 10)], 1);
    f(&mut tx);
    tx.id = tx.compute_id(&c.params().network_id);
    let mut b = next_block(c, address(1), &[], 1_000);
    b.transactions.push(Transaction::Normal(tx));
    let fees = b.fees().unwrap();
    let height = b.header.height;
    b.transactions[0] = Transaction::Reward(Reward::new(
        &c.params().network_id,
        height,
        address(1),
        c.params().subsidy(height).checked_add(fees).unwrap(),
        String::new(),
    ));
    seal(&mut b);
    b
}

#[test]
fn signature_rules_are_enforced_in_blocks() {
    let mut c = funded(1);
    let b = resign_with(&c, |t| t.outputs[1].amount = Amount(11));
    // Changed outputs after signing: amounts no longer add up first.
    assert!(matches!(tx_rule_of(c.process_block(b, NOW)), TxError::AmountMismatch { .. }));
    let b = resign_with(&c, |t| {
        t.outputs[1].amount = Amount(11);
        t.outputs[0].amount = Amount(38);
    });
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::BadSignature { sender: address(1) });
    let b = resign_with(&c, |t| {
        t.input.fee = Amount(2);
        t.outputs[0].amount = Amount(38);
    });
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::BadSignature { sender: address(1) });
    let b = resign_with(&c, sign_with_another_key);
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::BadSignature { sender: address(1) });
    let b = resign_with(&c, |t| {
        let sig = Signature::from_slice(&t.input.signature.0).unwrap();
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, s.as_ref().neg()).unwrap();
        t.input.signature = Signature64(high.to_bytes().into());
    });
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::HighS);
    assert_eq!(c.height(), Height(1));
}

#[test]
fn amount_rules_are_enforced_in_blocks() {
    let mut c = funded(1);
    let b = resign_with(&c, |t| {
        t.outputs = vec![TxOutput { address: address(2), amount: Amount(0) }];
    });
    assert!(matches!(tx_rule_of(c.process_block(b, NOW)), TxError::ZeroAmount { .. }));
    let b = resign_with(&c, |t| {
        t.outputs = vec![
            TxOutput { address: address(2), amount: Amount(u64::MAX) },
            TxOutput { address: address(3), amount: Amount(51) },
        ];
    });
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::OutputSumOverflow);
    let b = resign_with(&c, |t| {
        t.outputs = vec![
            TxOutput { address: address(2), amount: Amount(20) },
            TxOutput { address: address(2), amount: Amount(29) },
        ];
    });
    assert!(matches!(tx_rule_of(c.process_block(b, NOW)), TxError::DuplicateOutputAddress { .. }));
    // Spending more than the balance: input amount must be the balance.
    let mut c2 = funded(1);
    let tx = crate::transaction::Transfer::sign(
        "testkit",
        wallet(1).signing_key(),
        0,
        0,
        Amount(100),
        Amount(0),
        vec![TxOutput { address: address(2), amount: Amount(100) }],
    );
    let mut b = next_block(&c2, address(1), &[], 1_000);
    b.transactions.push(Transaction::Normal(tx));
    seal(&mut b);
    assert_eq!(
        tx_rule_of(c2.process_block(b, NOW)),
        TxError::BalanceMismatch { claimed: Amount(100), balance: Amount(50) }
    );
}

#[test]
fn replayed_nonce_and_duplicate_ids_are_refused() {
    let mut c = funded(1);
    let tx = pay(&c, &wallet(1), &[(address(2), 10)], 1);
    let b = next_block(&c, address(3), std::slice::from_ref(&tx), 1_000);
    c.process_block(b, NOW).unwrap();
    assert_eq!(c.account(&address(1)).nonce, 1);
    // The same signed transfer again: its nonce is spent (and its id is in the chain).
    let mut b = next_block(&c, address(3), &[], 1_000);
    b.transactions.push(Transaction::Normal(tx.clone()));
    let height = b.header.height;
    b.transactions[0] = Transaction::Reward(Reward::new("testkit", height, address(3), Amount(51), String::new()));
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::TransactionAlreadyInChain { id: tx.id });
    // A fresh transfer with an old nonce.
    let mut old = pay(&c, &wallet(1), &[(address(2), 5)], 0);
    old = crate::transaction::Transfer::sign(
        "testkit",
        wallet(1).signing_key(),
        0,
        99,
        old.input.amount,
        old.input.fee,
        old.outputs,
    );
    let mut b = next_block(&c, address(3), &[], 1_000);
    b.transactions.push(Transaction::Normal(old));
    seal(&mut b);
    assert_eq!(tx_rule_of(c.process_block(b, NOW)), TxError::BadNonce { got: 0, expected: 1 });
    // The same id twice within one block.
    let tx = pay(&c, &wallet(1), &[(address(2), 5)], 0);
    let mut b = next_block(&c, address(3), std::slice::from_ref(&tx), 1_000);
    b.transactions.push(Transaction::Normal(tx.clone()));
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::DuplicateTransaction { id: tx.id });
}

#[test]
fn one_spend_per_sender_per_block() {
    let mut c = funded(1);
    let a = pay(&c, &wallet(1), &[(address(2), 5)], 0);
    let b2 = pay(&c, &wallet(1), &[(address(3), 5)], 0);
    let mut b = next_block(&c, address(1), &[a], 1_000);
    b.transactions.push(Transaction::Normal(b2));
    seal(&mut b);
    assert_eq!(rule_of(c.process_block(b, NOW)), BlockError::DuplicateSender { sender: address(1) });
    // The template never builds such a block.
    let a = pay(&c, &wallet(1), &[(address(2), 5)], 0);
    let b2 = pay(&c, &wallet(1), &[(address(3), 5)], 1);
    let b = next_block(&c, address(1), &[a, b2], 1_000);
    assert_eq!(b.transactions.len(), 2);
    c.process_block(b, NOW).unwrap();
}

#[test]
fn oversize_and_overfull_blocks_are_refused() {
    let p = NetworkParams { max_block_bytes: 1_000, max_block_transactions: 3, ..easy_params() };
    let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    for _ in 0..4 {
        let b = next_block(&c, address(1), &[], 1_000);
        c.process_block(b, NOW).unwrap();
    }
    for seed in 2..5 {
        let tx = pay(&c, &wallet(1), &[(address(seed), 1)], 0);
        let b = next_block(&c, address(seed), &[tx], 1_000);
        c.process_block(b, NOW).unwrap();
    }
    let txs: Vec<_> = (1..5).map(|s| pay(&c, &wallet(s), &[(address(9), 1)], 0)).collect();
    let mut b = next_block(&c, address(1), &txs[..2], 1_000);
    for tx in &txs[2..] {
        b.transactions.push(Transaction::Normal(tx.clone()));
    }
    seal(&mut b);
    assert!(matches!(rule_of(c.process_block(b.clone(), NOW)), BlockError::TooManyTransactions { got: 5, max: 3 }));
    let p2 = NetworkParams { max_block_bytes: 1_000, ..easy_params() };
    let mut b = next_block(&c, address(1), &[], 1_000);
    let mut outputs = Vec::new();
    for s in 10..40 {
        outputs.push(TxOutput { address: address(s), amount: Amount(1) });
    }
    let fat = crate::transaction::Transfer::sign(
        &p.network_id,
        wallet(1).signing_key(),
        c.account(&address(1)).nonce,
        0,
        Amount(30),
        Amount(0),
        outputs,
    );
    b.transactions.push(Transaction::Normal(fat));
    seal(&mut b);
    assert!(b.encoded_len() > p2.max_block_bytes);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::BlockTooLarge { .. }));
}

#[test]
fn balances_follow_the_rule_and_match_the_oracle() {
    let mut c = funded(2);
    // Same-block credit: wallet 2 receives from 1 while wallet 1 receives the reward.
    let t1 = pay(&c, &wallet(1), &[(address(2), 30)], 2);
    let b = next_block(&c, address(1), &[t1], 1_000);
    c.process_block(b, NOW).unwrap();
    // Wallet 1 spent 100: change 68, plus the reward 50 + 2 fee in the same block.
    assert_eq!(c.account(&address(1)).balance, Amount(120));
    // Send to self never burns: a pure self-send only pays the fee.
    let self_send = pay(&c, &wallet(2), &[], 1);
    let t2 = pay(&c, &wallet(1), &[(address(2), 10)], 0);
    let b = next_block(&c, address(3), &[self_send, t2], 1_000);
    c.process_block(b, NOW).unwrap();
    assert_eq!(c.account(&address(2)).balance, Amount(39));
    assert_eq!(c.account(&address(1)).balance, Amount(110));
    let blocks: Vec<Block> = (0..=c.height().0).map(|h| c.block_at(Height(h)).unwrap().unwrap()).collect();
    for s in 0..5 {
        assert_eq!(oracle::balance(&blocks, &address(s)), c.account(&address(s)).balance);
        assert_eq!(oracle::nonce(&blocks, &address(s)), c.account(&address(s)).nonce);
    }
    c.verify_by_replay().unwrap();
}

#[test]
fn heavier_branch_wins_and_reorg_restores_state_and_returns_transactions() {
    let mut a = funded(2);
    let mut b = funded(2);
    assert_eq!(a.tip(), b.tip());
    // Branch A: wallet 1 pays wallet 2.
    let tx = pay(&a, &wallet(1), &[(address(2), 25)], 1);
    let blk = next_block(&a, address(3), std::slice::from_ref(&tx), 1_000);
    a.process_block(blk, NOW).unwrap();
    // Branch B: two blocks by wallet 4 (more work).
    let mut b_blocks = Vec::new();
    for _ in 0..2 {
        let blk = next_block(&b, address(4), &[], 1_000);
        b_blocks.push(blk.clone());
        b.process_block(blk, NOW).unwrap();
    }
    let first = a.process_block(b_blocks[0].clone(), NOW).unwrap();
    // Equal work: the first seen stays.
    assert!(first.switch.is_none());
    assert_eq!(a.account(&address(2)).balance, Amount(25));
    let second = a.process_block(b_blocks[1].clone(), NOW).unwrap();
    let switch = second.switch.expect("heavier branch adopted");
    assert!(switch.is_reorg());
    assert_eq!(switch.returned_transfers(), vec![tx]);
    assert_eq!(a.tip(), b.tip());
    assert_eq!(a.ledger(), b.ledger());
    assert_eq!(a.account(&address(2)).balance, Amount(0));
    a.verify_by_replay().unwrap();
}

#[test]
fn most_work_wins_over_most_blocks() {
    // A short branch with harder blocks beats a longer one of easier blocks.
    let p = NetworkParams { retarget_half_life_blocks: 1, ..easy_params() };
    let mut fast = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    let mut slow = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    for c in [&mut fast, &mut slow] {
        let blk = next_block(c, address(1), &[], 1_000);
        c.process_block(blk, NOW).unwrap();
    }
    // Fast blocks (ahead of schedule) get harder targets.
    for _ in 0..6 {
        let blk = next_block(&fast, address(2), &[], 1);
        fast.process_block(blk, NOW).unwrap();
    }
    // Slow blocks get easier ones, and there are more of them.
    for _ in 0..7 {
        let blk = next_block(&slow, address(3), &[], 20_000);
        slow.process_block(blk, NOW).unwrap();
    }
    assert!(slow.height() > fast.height());
    let heavier = if fast.tip_info().chain_work > slow.tip_info().chain_work { &fast } else { &slow };
    assert_eq!(heavier.tip(), fast.tip(), "the shorter chain has more work");
    for h in 2..=slow.height().0 {
        let blk = slow.block_at(Height(h)).unwrap().unwrap();
        fast.process_block(blk, NOW).unwrap();
    }
    assert_eq!(fast.height(), Height(7), "the node stays on its heavier, shorter branch");
}

#[test]
fn orphans_wait_for_their_parent() {
    let mut src = funded(0);
    let mut blocks = Vec::new();
    for _ in 0..5 {
        let b = next_block(&src, address(1), &[], 1_000);
        blocks.push(b.clone());
        src.process_block(b, NOW).unwrap();
    }
    let mut c = new_chain();
    for b in blocks.iter().skip(1) {
        let p = c.process_block(b.clone(), NOW).unwrap();
        assert_eq!(p.placement, Placement::Orphan { missing: blocks[0].hash() });
    }
    assert_eq!(c.orphan_count(), 4);
    let p = c.process_block(blocks[0].clone(), NOW).unwrap();
    assert_eq!(p.switch.unwrap().connected.len(), 5);
    assert_eq!(c.tip(), src.tip());
    assert_eq!(c.orphan_count(), 0);
}

#[test]
fn an_invalid_block_deep_in_a_heavier_branch_leaves_the_chain_intact() {
    let mut a = funded(1);
    let mut fork = funded(1);
    // Fork: block 2 valid, block 3 mints coins, block 4 builds on it.
    let b2 = next_block(&fork, address(5), &[], 1_000);
    fork.process_block(b2.clone(), NOW).unwrap();
    let mut b3 = next_block(&fork, address(5), &[], 1_000);
    let h = b3.header.height;
    b3.transactions[0] = Transaction::Reward(Reward::new("testkit", h, address(5), Amount(5_000), String::new()));
    seal(&mut b3);
    // Main: one block.
    let m2 = next_block(&a, address(6), &[], 1_000);
    a.process_block(m2.clone(), NOW).unwrap();
    a.process_block(b2.clone(), NOW).unwrap();
    let p = a.process_block(b3.clone(), NOW).unwrap();
    assert_eq!(p.invalid[0].0, b3.hash());
    assert!(matches!(p.invalid[0].1, BlockError::WrongReward { .. }));
    // b2 has the same work as m2, which was first: the tip stays m2.
    assert_eq!(a.tip(), m2.hash());
    assert_eq!(a.account(&address(5)).balance, Amount(0));
    assert!(matches!(a.process_block(b3, NOW), Err(ChainError::KnownInvalid { .. })));
    a.verify_by_replay().unwrap();
}

#[test]
fn redb_store_survives_reopen_and_refuses_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let p = easy_params();
    let tip;
    let ledger: Ledger;
    {
        let mut c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
        for i in 0..6 {
            let txs = if i > 1 { vec![pay(&c, &wallet(1), &[(address(2), 3)], 1)] } else { vec![] };
            let b = next_block(&c, address(1), &txs, 1_000);
            c.process_block(b, NOW).unwrap();
        }
        tip = c.tip();
        ledger = c.ledger().clone();
    }
    let c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
    assert_eq!(c.tip(), tip);
    assert_eq!(c.ledger(), &ledger);
    c.verify_by_replay().unwrap();
    drop(c);
    // Another network's node refuses the file.
    let other = NetworkParams { network_id: "other".into(), ..p.clone() };
    assert!(matches!(RedbStore::open(&path, &other), Err(StoreError::WrongNetwork { .. })));
    // A file that is not a database.
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, vec![0x42u8; 10_000]).unwrap();
    let err = RedbStore::open(&junk, &p).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    // A damaged database: overwrite its middle with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid - 2048..mid + 2048] {
        *b = 0xA5;
    }
    let damaged = dir.path().join("damaged.redb");
    std::fs::write(&damaged, &bytes).unwrap();
    let opened = RedbStore::open(&damaged, &p).and_then(|s| s.load().map(|_| s));
    match opened {
        Err(_) => {}
        Ok(s) => {
            // If the damage hit free pages only, the data must still be right.
            let c = Chain::open(p.clone(), s).unwrap();
            c.verify_by_replay().unwrap();
        }
    }
}

#[test]
fn genesis_is_the_first_active_block() {
    let c = new_chain();
    assert_eq!(c.tip(), genesis_block(&easy_params()).hash());
    assert_eq!(c.locator(), vec![c.tip()]);
}

#[test]
fn an_early_anchor_timestamp_cannot_collapse_the_difficulty() {
    let p = NetworkParams { initial_difficulty: 2, ..easy_params() };
    let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    // Block 1 claims the earliest possible time; later blocks use real time.
    let mut b1 = c.empty_block_on(&c.tip(), address(1), 1).unwrap();
    b1.header.timestamp = 1;
    seal(&mut b1);
    c.process_block(b1, NOW).unwrap();
    let start = NOW - 1_000_000;
    for i in 0..40 {
        let mut b = c.empty_block_on(&c.tip(), address(1), start + i * p.mine_rate_ms).unwrap();
        mine(&mut b);
        c.process_block(b, NOW).unwrap();
    }
    let initial = crate::target::initial_target(&p);
    // The huge first gap counts as at most six intervals (five late: 2^(5/4) easier), instead of
    // the years it claims, which would have driven the target to the easiest allowed (16x here).
    assert!(c.next_target().0 <= initial.0 * 3, "target collapsed: {:?}", c.next_target());
}

/// Two chains sharing `common` blocks (wallet 1 mined them); then `main` mines `main_len`
/// blocks to address 1 (the first holds a payment from wallet 1 to address 9) and `side` mines
/// `side_len` blocks to address 7, on the same schedule (so each block has the same target on
/// both branches). Returns the two chains and the side branch's blocks.
fn deep_fork(common: usize, main_len: usize, side_len: usize) -> (Chain<MemoryStore>, Chain<MemoryStore>, Vec<Block>) {
    let mut main = funded(common);
    let mut side = new_chain();
    for h in 1..=common as u64 {
        side.process_block(main.block_at(Height(h)).unwrap().unwrap(), NOW).unwrap();
    }
    let payment = pay(&main, &wallet(1), &[(address(9), 10)], 1);
    for i in 0..main_len {
        let txs = if i == 0 { vec![payment.clone()] } else { Vec::new() };
        let b = next_block(&main, address(1), &txs, 1_000);
        main.process_block(b, NOW).unwrap();
    }
    let mut side_blocks = Vec::new();
    for _ in 0..side_len {
        let b = next_block(&side, address(7), &[], 1_000);
        side.process_block(b.clone(), NOW).unwrap();
        side_blocks.push(b);
    }
    (main, side, side_blocks)
}

#[test]
fn a_heavier_branch_wins_however_deep_it_forks() {
    let (mut c, side, side_blocks) = deep_fork(3, 150, 151);
    let old_tip = c.tip();
    assert!(side.tip_info().chain_work > c.tip_info().chain_work);
    let mut switch = None;
    for b in side_blocks {
        let p = c.process_block(b, NOW).unwrap();
        assert_eq!(p.placement, Placement::Stored);
        assert!(p.invalid.is_empty());
        if let Some(s) = p.switch {
            assert!(switch.is_none(), "one switch, when the branch becomes heavier");
            switch = Some(s);
        }
    }
    let switch = switch.expect("the heavier branch was taken");
    assert_eq!((switch.old_tip, switch.new_tip, switch.fork_height), (old_tip, side.tip(), Height(3)));
    assert_eq!((switch.disconnected.len(), switch.connected.len()), (150, 151));
    // The payment of the abandoned branch goes back to the pool's care.
    assert_eq!(switch.returned_transfers().len(), 1);
    assert_eq!(c.tip(), side.tip());
    assert_eq!(c.ledger(), side.ledger());
    assert_eq!(c.account(&address(9)).balance, Amount::ZERO);
    c.verify_by_replay().unwrap();
}

#[test]
fn equal_work_at_any_depth_keeps_the_first_seen_branch() {
    let (mut c, side, side_blocks) = deep_fork(3, 150, 150);
    let tip = c.tip();
    assert_eq!(side.tip_info().chain_work, c.tip_info().chain_work);
    for b in side_blocks {
        let p = c.process_block(b, NOW).unwrap();
        assert_eq!(p.placement, Placement::Stored);
        assert!(p.switch.is_none());
    }
    assert_eq!(c.tip(), tip);
    assert_eq!(c.account(&address(9)).balance, Amount(10));
    c.verify_by_replay().unwrap();
    // One more block on the side branch makes it heavier: it wins then.
    let mut side = side;
    let b = next_block(&side, address(7), &[], 1_000);
    side.process_block(b.clone(), NOW).unwrap();
    let switch = c.process_block(b, NOW).unwrap().switch.expect("now heavier");
    assert_eq!(switch.disconnected.len(), 150);
    assert_eq!(c.ledger(), side.ledger());
    c.verify_by_replay().unwrap();
}

#[test]
fn a_refused_block_is_remembered_only_when_its_hash_fixes_the_failure() {
    let mut c = funded(1);
    let b = resign_with(&c, sign_with_another_key);
    assert!(matches!(c.process_block(b.clone(), NOW), Err(ChainError::Invalid { .. })));
    assert!(matches!(c.process_block(b, NOW), Err(ChainError::KnownInvalid { .. })));
    // A wrong Merkle root says nothing about the real block with that header: not remembered.
    let good = next_block(&c, address(1), &[], 1_000);
    let mut tampered = good.clone();
    tampered.transactions[0] =
        Transaction::Reward(Reward::new("testkit", good.header.height, address(2), Amount(50), String::new()));
    assert!(matches!(rule_of(c.process_block(tampered, NOW)), BlockError::BadMerkleRoot { .. }));
    c.process_block(good, NOW).unwrap();
    assert_eq!(c.height(), Height(2));
}

fn dev_params() -> NetworkParams {
    use crate::params::GenesisAllocation;
    NetworkParams {
        network_id: "testkit-dev".into(),
        fixed_difficulty: true,
        genesis_allocations: vec![
            GenesisAllocation { address: address(7), amount: Amount(1_000) },
            GenesisAllocation { address: address(8), amount: Amount(5) },
        ],
        ..easy_params()
    }
}

#[test]
fn genesis_allocations_are_spendable_from_block_1_and_agree_with_the_oracle_and_a_replay() {
    let p = dev_params();
    let dir = tempfile::tempdir().unwrap();
    let mut c = Chain::open(p.clone(), RedbStore::open(&dir.path().join("c.redb"), &p).unwrap()).unwrap();
    assert_eq!(c.account(&address(7)).balance, Amount(1_000));
    assert_eq!(c.account(&address(7)).nonce, 0);
    let t = pay(&c, &wallet(7), &[(address(2), 400)], 3);
    let b = next_block(&c, address(1), &[t], 1_000);
    c.process_block(b, NOW).unwrap();
    assert_eq!(c.account(&address(7)).balance, Amount(597));
    assert_eq!(c.account(&address(2)).balance, Amount(400));
    let blocks: Vec<Block> = (0..=c.height().0).map(|h| c.block_at(Height(h)).unwrap().unwrap()).collect();
    for s in [1, 2, 7, 8] {
        let expected = oracle::balance_with_allocations(&blocks, &address(s), &p.genesis_allocations);
        assert_eq!(expected, c.account(&address(s)).balance, "wallet {s}");
    }
    c.verify_by_replay().unwrap();
    // The allocations survive a restart (they are stored with genesis) ...
    drop(c);
    let c = Chain::open(p.clone(), RedbStore::open(&dir.path().join("c.redb"), &p).unwrap()).unwrap();
    assert_eq!(c.account(&address(8)).balance, Amount(5));
    c.verify_by_replay().unwrap();
    drop(c);
    // ... and they are part of the network: other allocations make another genesis.
    let mut other = p.clone();
    other.genesis_allocations[1].amount = Amount(6);
    assert_ne!(genesis_block(&other).hash(), genesis_block(&p).hash());
    assert!(matches!(RedbStore::open(&dir.path().join("c.redb"), &other), Err(StoreError::WrongNetwork { .. })));
}

#[test]
fn networks_without_dev_parameters_keep_their_genesis() {
    // The commitment only grows when dev parameters are used: the documented default genesis
    // (docs/PROTOCOL.md, checked in protocol_vectors) is unchanged.
    let plain = easy_params();
    let fixed = NetworkParams { fixed_difficulty: true, ..easy_params() };
    assert_ne!(genesis_block(&plain).hash(), genesis_block(&fixed).hash());
}

#[test]
fn a_fixed_difficulty_chain_keeps_its_target_however_fast_blocks_come() {
    let p = dev_params();
    let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    let initial = c.next_target();
    for _ in 0..40 {
        let b = next_block(&c, address(1), &[], 1);
        assert_eq!(b.header.bits, initial.to_compact());
        c.process_block(b, NOW).unwrap();
    }
    assert_eq!(c.next_target(), initial);
    // A block claiming another target is refused.
    let mut b = next_block(&c, address(1), &[], 1);
    b.header.bits = Target(initial.0 >> 1).to_compact();
    mine(&mut b);
    assert!(matches!(rule_of(c.process_block(b, NOW)), BlockError::WrongTarget { .. }));
    // A network that retargets makes the same run harder.
    let mut r = Chain::open(easy_params(), MemoryStore::new(&easy_params())).unwrap();
    for _ in 0..40 {
        let b = next_block(&r, address(1), &[], 1);
        r.process_block(b, NOW).unwrap();
    }
    assert!(r.next_target() < initial);
}

#[test]
fn genesis_allocation_parameters_are_validated() {
    use crate::params::{GenesisAllocation, ParamsError};
    let mut p = dev_params();
    assert_eq!(p.validate(), Ok(()));
    p.genesis_allocations.push(GenesisAllocation { address: address(7), amount: Amount(1) });
    assert_eq!(p.validate(), Err(ParamsError::DuplicateAllocation(address(7))));
    let mut p = dev_params();
    p.genesis_allocations[0].amount = Amount(0);
    assert_eq!(p.validate(), Err(ParamsError::EmptyAllocation(address(7))));
    let mut p = dev_params();
    p.genesis_allocations[0].amount = Amount(crate::params::MAX_GENESIS_SUPPLY);
    assert_eq!(p.validate(), Err(ParamsError::AllocationsTooLarge));
}

/// A store that fails to read the one block body or undo record named in `fail`, fails
/// every write while `fail_writes` is set, and, when `writes_left` is `Some(n)`, lets `n` more
/// writes (commits, block bodies, batch ends) through and fails the ones after.
struct FlakyStore {
    inner: MemoryStore,
    fail: std::rc::Rc<std::cell::Cell<Option<BlockHash>>>,
    fail_writes: std::rc::Rc<std::cell::Cell<bool>>,
    writes_left: std::rc::Rc<std::cell::Cell<Option<u32>>>,
}

impl FlakyStore {
    fn new(inner: MemoryStore) -> FlakyStore {
        FlakyStore { inner, fail: Default::default(), fail_writes: Default::default(), writes_left: Default::default() }
    }

    fn check(&self, hash: &BlockHash) -> Result<(), StoreError> {
        if self.fail.get() == Some(*hash) {
            return Err(StoreError::Corrupt { path: "flaky".into(), reason: format!("cannot read {hash}") });
        }
        Ok(())
    }

    fn check_write(&self) -> Result<(), StoreError> {
        match self.writes_left.get() {
            Some(0) => return Err(StoreError::Backend("flaky: the disk is full".into())),
            Some(n) => self.writes_left.set(Some(n - 1)),
            None => {}
        }
        if self.fail_writes.get() {
            return Err(StoreError::Backend("flaky: the disk is full".into()));
        }
        Ok(())
    }
}

impl ChainStore for FlakyStore {
    fn genesis(&self) -> BlockHash {
        self.inner.genesis()
    }
    fn load(&self) -> Result<crate::store::LoadedChain, StoreError> {
        self.inner.load()
    }
    fn indexed_txids(
        &self,
        ids: &[crate::hash::TxId],
    ) -> Result<std::collections::HashMap<crate::hash::TxId, crate::state::TxLocation>, StoreError> {
        self.inner.indexed_txids(ids)
    }
    fn tx_index(&self) -> Result<std::collections::HashMap<crate::hash::TxId, crate::state::TxLocation>, StoreError> {
        self.inner.tx_index()
    }
    fn put_block(&mut self, block: &Block) -> Result<(), StoreError> {
        self.check_write()?;
        self.inner.put_block(block)
    }
    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        self.check(hash)?;
        self.inner.block(hash)
    }
    fn undo(&self, hash: &BlockHash) -> Result<Option<crate::state::BlockUndo>, StoreError> {
        self.check(hash)?;
        self.inner.undo(hash)
    }
    fn commit(&mut self, commit: &crate::store::ChainCommit) -> Result<(), StoreError> {
        self.check_write()?;
        self.inner.commit(commit)
    }
    fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.inner.begin_batch()
    }
    fn end_batch(&mut self) -> Result<(), StoreError> {
        // The batch's one write: it fails too while writes fail.
        self.check_write()?;
        self.inner.end_batch()
    }
    fn abort_batch(&mut self) {
        self.inner.abort_batch()
    }
}

#[test]
fn a_read_failing_half_way_through_a_deep_switch_leaves_the_chain_as_it_was() {
    let (main, side, side_blocks) = deep_fork(2, 120, 121);
    let p = easy_params();
    let store = FlakyStore::new(MemoryStore::new(&p));
    let fail = store.fail.clone();
    let mut c = Chain::open(p.clone(), store).unwrap();
    for h in 1..=main.height().0 {
        c.process_block(main.block_at(Height(h)).unwrap().unwrap(), NOW).unwrap();
    }
    let (last, earlier) = side_blocks.split_last().unwrap();
    for b in earlier {
        assert!(c.process_block(b.clone(), NOW).unwrap().switch.is_none());
    }
    // The block that makes the side branch heavier arrives while a main-branch undo record deep
    // below the tip cannot be read; the next one while a side-branch body cannot.
    let mut side = side;
    let mut arriving = last.clone();
    for bad in [main.hash_at(Height(40)).unwrap(), side_blocks[60].hash()] {
        fail.set(Some(bad));
        assert!(matches!(c.process_block(arriving.clone(), NOW), Err(ChainError::Store(_))));
        assert_eq!(c.tip(), main.tip());
        assert_eq!(c.ledger(), main.ledger());
        fail.set(None);
        c.verify_by_replay().unwrap();
        arriving = next_block(&side, address(7), &[], 1_000);
        side.process_block(arriving.clone(), NOW).unwrap();
    }
    // Once the store reads again, the next block of the branch takes it.
    assert!(c.process_block(arriving, NOW).unwrap().switch.is_some());
    assert_eq!(c.tip(), side.tip());
    assert_eq!(c.ledger(), side.ledger());
    c.verify_by_replay().unwrap();
}

#[test]
fn the_template_leaves_out_and_reports_what_no_block_could_include() {
    // The subsidy halves every block from u64::MAX / 2, so address 1 can hold nearly 2^64.
    let p = NetworkParams {
        mining_reward: Amount(u64::MAX),
        halving_interval: 1,
        genesis_allocations: vec![
            crate::params::GenesisAllocation { address: address(2), amount: Amount((1 << 62) - 1_000) },
            crate::params::GenesisAllocation { address: address(3), amount: Amount(1_000) },
        ],
        ..easy_params()
    };
    let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    for _ in 0..3 {
        let b = next_block(&c, address(1), &[], 1_000);
        c.process_block(b, NOW).unwrap();
    }
    let rich = c.account(&address(1)).balance;
    assert_eq!(rich, Amount((7 << 61) - 3));
    // Wallet 2 pays nearly 2^62 to address 1: past the largest amount.
    let overflowing = pay(&c, &wallet(2), &[(address(1), (1 << 62) - 1_001)], 1);
    let valid = pay(&c, &wallet(3), &[(address(4), 10)], 2);
    let mut pool = crate::mempool::Mempool::new(crate::mempool::MempoolLimits::default(), &p);
    let refused = pool.check_and_add(overflowing.clone(), c.ledger(), &p).unwrap_err();
    assert_eq!(refused.rule(), "balance_overflow");

    let template = c.block_template(address(5), &[overflowing.clone(), valid.clone()], "", NOW);
    assert_eq!(template.left_out, vec![(overflowing.id, BlockError::BalanceOverflow { address: address(1) })]);
    assert_eq!(template.block.transactions.len(), 2);
    assert_eq!(template.block.transactions[1], Transaction::Normal(valid.clone()));
    let mut block = template.block;
    mine(&mut block);
    assert!(c.process_block(block, NOW).unwrap().switch.is_some(), "the template is a valid block");
    assert_eq!(c.account(&address(4)).balance, Amount(10));
    assert_eq!(c.account(&address(5)).balance, Amount(p.subsidy(Height(4)).0 + 2));

    // Once address 1 spends (nearly) its whole balance in the same block, the credit fits.
    let spend = pay(&c, &wallet(1), &[(address(6), rich.0 - 2)], 1);
    let overflowing = pay(&c, &wallet(2), &[(address(1), (1 << 62) - 1_001)], 1);
    let template = c.block_template(address(5), &[spend, overflowing], "", NOW);
    assert!(template.left_out.is_empty());
    let mut block = template.block;
    mine(&mut block);
    assert!(c.process_block(block, NOW).unwrap().invalid.is_empty());
    c.verify_by_replay().unwrap();
}

#[test]
fn a_locator_asks_for_a_side_branch_from_where_its_last_batch_ended() {
    let (mut c, side, _) = deep_fork(3, 120, 121);
    let active_locator = c.locator();
    let mut requests = 0;
    while c.tip() != side.tip() {
        requests += 1;
        assert!(requests <= 3, "121 blocks in batches of 50 take 3 answers");
        // What the peer on the side branch answers to our locator (a CHAIN of 50 blocks): the
        // first answer starts at the fork point (to within the locator's spacing), the next
        // ones where the previous one ended.
        let answer = blocks_after_locator(&side, &c.locator(), 50);
        let last = answer.last().unwrap().hash();
        let mut new_blocks = 0;
        for b in answer {
            if c.process_block(b, NOW).unwrap().placement != Placement::AlreadyKnown {
                new_blocks += 1;
            }
        }
        assert!(new_blocks > 0, "each answer brings new blocks");
        if c.tip() != side.tip() {
            let locator = c.locator();
            assert_eq!(locator[0], last, "the branch's tip leads");
            assert_eq!(&locator[1..], &active_locator[..], "then the best chain, as before");
        }
    }
    assert_eq!(c.tip(), side.tip());
    assert_eq!(c.ledger(), side.ledger());
    assert_eq!(c.locator()[0], c.tip(), "no side branch was stored since");

    // After a restart, a branch half fetched is asked for from where it ended.
    let (mut c, side, side_blocks) = deep_fork(3, 120, 121);
    for b in &side_blocks[..70] {
        c.process_block(b.clone(), NOW).unwrap();
    }
    let c = Chain::open(easy_params(), c.into_store()).unwrap();
    assert_eq!(c.locator()[0], side_blocks[69].hash());
    assert_eq!(blocks_after_locator(&side, &c.locator(), 50), &side_blocks[70..120]);
}

/// What `chain` answers to a peer's `GET_BLOCKS` with `locator` and `limit`: up to `limit`
/// blocks of its best chain after the locator's fork point, read from its store as a node reads
/// them (`chain::read`).
fn blocks_after_locator(chain: &Chain<MemoryStore>, locator: &[BlockHash], limit: usize) -> Vec<Block> {
    let s = chain.store();
    let fork = crate::chain::read::fork_height_of_locator(s, locator).unwrap();
    crate::chain::read::blocks_in_range(s, Height(fork.0 + 1), limit).unwrap()
}

/// Measures a deep reorganisation of full-ish blocks on a redb store (figures for
/// docs/RELIABILITY.md §7): `cargo test -p bitcoin-rust-core --lib -- --ignored
/// deep_reorganisation_budget --nocapture`.
#[test]
#[ignore = "a measurement, not a check: run by hand"]
fn deep_reorganisation_budget() {
    const SENDERS: u64 = 1_000;
    let depth: u64 = std::env::var("REORG_DEPTH").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let p = NetworkParams {
        genesis_allocations: (0..SENDERS)
            .map(|s| crate::params::GenesisAllocation { address: address(1_000 + s), amount: Amount(1_000_000) })
            .collect(),
        ..easy_params()
    };
    // Every block: each of the funded keys pays 1 coin to a recipient of its branch.
    let build = |blocks: u64, branch: u64| {
        let mut c = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        let mut out = Vec::new();
        for _ in 0..blocks {
            let txs: Vec<_> =
                (0..SENDERS).map(|s| pay(&c, &wallet(1_000 + s), &[(address(branch * 10_000 + s), 1)], 1)).collect();
            let b = next_block(&c, address(branch), &txs, 1_000);
            assert_eq!(b.transactions.len() as u64, SENDERS + 1);
            c.process_block(b.clone(), NOW).unwrap();
            out.push(b);
        }
        out
    };
    let a = build(depth, 1);
    let b = build(depth + 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("chain.redb"), &p).unwrap();
    let mut c = Chain::open(p.clone(), store).unwrap();
    for blk in a.into_iter().chain(b[..depth as usize].iter().cloned()) {
        c.process_block(blk, NOW).unwrap();
    }
    let last = b[depth as usize].clone();
    // The same work without the switch: verifying the last block's signatures.
    let started = std::time::Instant::now();
    crate::validation::verify_signatures_parallel(&last, &p).unwrap();
    let verify = started.elapsed();
    // Peak memory of the switch (Linux): reset the high-water mark, then read it after.
    let kib = |field: &str| {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
            .unwrap_or(0)
    };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = kib("VmRSS:");
    let started = std::time::Instant::now();
    let switch = c.process_block(last, NOW).unwrap().switch.expect("the heavier branch wins");
    let total = started.elapsed();
    let peak = kib("VmHWM:");
    eprintln!("resident memory: {} MB before the switch, peak {} MB during it", before / 1_000, peak / 1_000);
    let bytes = |blocks: &[Block]| blocks.iter().map(Block::encoded_len).sum::<usize>();
    eprintln!(
        "reorganisation of {} blocks onto {} ({} transfers each): process_block {:?} (of which ~{:?} verifying \
         its own block), switch payload {} KB disconnected + {} KB connected (encoded), {} accounts touched",
        switch.disconnected.len(),
        switch.connected.len(),
        SENDERS,
        total,
        verify,
        bytes(&switch.disconnected) / 1_000,
        bytes(&switch.connected) / 1_000,
        switch.touched.len(),
    );
    c.verify_by_replay().unwrap();
}

/// A chain with an active branch (m2, m3), a valid side branch (s2), an invalid branch (b2 valid,
/// b3 minting coins, b4 on top of b3) and a run of two orphans (o2, o3 after an unknown o1).
fn chain_with_every_kind_of_tip() -> (Chain<MemoryStore>, [Block; 8]) {
    let mut c = funded(1);
    let mut side = funded(1);
    let mut bad = funded(1);
    let mut orphan_src = funded(0);
    let m2 = next_block(&c, address(6), &[], 1_000);
    c.process_block(m2.clone(), NOW).unwrap();
    let m3 = next_block(&c, address(6), &[], 1_000);
    c.process_block(m3.clone(), NOW).unwrap();
    let s2 = next_block(&side, address(7), &[], 2_000);
    side.process_block(s2.clone(), NOW).unwrap();
    c.process_block(s2.clone(), NOW).unwrap();
    let b2 = next_block(&bad, address(5), &[], 3_000);
    bad.process_block(b2.clone(), NOW).unwrap();
    let mut b3 = next_block(&bad, address(5), &[], 1_000);
    b3.transactions[0] =
        Transaction::Reward(Reward::new("testkit", b3.header.height, address(5), Amount(5_000), String::new()));
    seal(&mut b3);
    let mut bad_ledger_free = funded(1);
    bad_ledger_free.process_block(b2.clone(), NOW).unwrap();
    // b4 builds on b3 without b3 being valid: make it from the header alone.
    let mut b4 = next_block(&bad_ledger_free, address(5), &[], 1_000);
    b4.header.last_hash = b3.hash();
    b4.header.height = Height(3 + 1);
    b4.transactions[0] =
        Transaction::Reward(Reward::new("testkit", b4.header.height, address(5), Amount(50), String::new()));
    b4.header.timestamp = b3.header.timestamp + 1_000;
    seal(&mut b4);
    // Orphans: a different miner's blocks 1..3, of which 1 is never given.
    let mut orphans = Vec::new();
    for _ in 0..3 {
        let b = next_block(&orphan_src, address(8), &[], 1_500);
        orphan_src.process_block(b.clone(), NOW).unwrap();
        orphans.push(b);
    }
    (c, [m2, m3, s2, b2, b3, b4, orphans[1].clone(), orphans[2].clone()])
}

#[test]
fn chain_tips_list_every_branch_with_its_status() {
    let (mut c, [m2, m3, s2, b2, b3, b4, o2, o3]) = chain_with_every_kind_of_tip();
    // The invalid branch outweighs the best chain once b3 and b4 arrive: b3 fails, b4 with it.
    c.process_block(b2.clone(), NOW).unwrap();
    c.process_block(b3.clone(), NOW).unwrap();
    let p = c.process_block(b4.clone(), NOW).unwrap();
    assert_eq!(p.invalid[0].0, b3.hash());
    c.process_block(o2.clone(), NOW).unwrap();
    c.process_block(o3.clone(), NOW).unwrap();
    assert_eq!(c.tip(), m3.hash());
    let tips = c.chain_tips();
    assert!(!tips.truncated);
    let find = |h: BlockHash| tips.tips.iter().find(|t| t.hash == h).cloned();
    // Exactly one active tip, first, equal to the chain's tip.
    assert_eq!(tips.tips.iter().filter(|t| t.status == crate::chain::TipStatus::Active).count(), 1);
    assert_eq!(tips.tips[0].hash, c.tip());
    assert_eq!((tips.tips[0].branch_length, tips.tips[0].fork_height), (0, Height(3)));
    let s = find(s2.hash()).unwrap();
    assert_eq!((s.status.name(), s.height, s.branch_length, s.fork_height), ("valid-fork", Height(2), 1, Height(1)));
    // b3 broke a rule; b4 is the branch's tip, invalid because of its ancestor b3.
    let t = find(b4.hash()).unwrap();
    assert_eq!(t.status, crate::chain::TipStatus::Invalid(Invalidity::Ancestor(b3.hash())));
    assert_eq!((t.branch_length, t.fork_height), (3, Height(1)));
    assert!(find(b3.hash()).is_none(), "b3 has a child: not a tip");
    assert!(find(b2.hash()).is_none(), "b2 has a child: not a tip");
    assert!(find(m2.hash()).is_none());
    // The orphan run: one tip, its newest block, two blocks held, missing parent at height 1.
    let o = find(o3.hash()).unwrap();
    assert_eq!(
        (o.status.name(), o.height, o.branch_length, o.fork_height),
        ("unknown-parent", Height(3), 2, Height(1))
    );
    assert!(find(o2.hash()).is_none());
    // Sorted: active first, then by height, highest first.
    assert!(tips.tips[1..].windows(2).all(|w| w[0].height >= w[1].height));
}

#[test]
fn block_status_says_where_any_block_stands_and_why_it_was_refused() {
    let (mut c, [m2, m3, s2, b2, b3, b4, o2, _o3]) = chain_with_every_kind_of_tip();
    c.process_block(b2.clone(), NOW).unwrap();
    c.process_block(b3.clone(), NOW).unwrap();
    // b3 ties with m3 (seen first): still a valid side block until b4 makes its branch heavier.
    assert_eq!(c.block_status(&b3.hash()), Some(crate::chain::BlockStatus::ValidFork));
    c.process_block(b4.clone(), NOW).unwrap();
    c.process_block(o2.clone(), NOW).unwrap();
    use crate::chain::BlockStatus;
    assert_eq!(c.block_status(&m2.hash()), Some(BlockStatus::Active));
    assert_eq!(c.block_status(&m3.hash()), Some(BlockStatus::Active));
    assert_eq!(c.block_status(&s2.hash()), Some(BlockStatus::ValidFork));
    assert_eq!(c.block_status(&b2.hash()), Some(BlockStatus::ValidFork));
    let b3_status = c.block_status(&b3.hash()).unwrap();
    assert_eq!((b3_status.name(), b3_status.invalid_rule()), ("invalid", Some("wrong_reward")));
    assert_eq!(c.block_status(&b4.hash()).unwrap().invalid_rule(), Some("invalid_ancestor"));
    assert_eq!(c.tip(), m3.hash());
    assert_eq!(c.block_status(&o2.hash()), Some(BlockStatus::UnknownParent));
    assert_eq!(c.orphan(&o2.hash()), Some(&o2));
    // Refused before storing (a bad signature, bound to the hash): remembered with its rule.
    let forged = resign_with(&c, sign_with_another_key);
    assert!(c.process_block(forged.clone(), NOW).is_err());
    let st = c.block_status(&forged.hash()).unwrap();
    assert_eq!((st.name(), st.invalid_rule()), ("invalid", Some("bad_signature")));
    assert_eq!(c.block_status(&BlockHash(Hash256([7; 32]))), None);
}

#[test]
fn why_a_block_is_invalid_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let p = easy_params();
    let (b2, b3, b4);
    {
        let mut c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
        let b1 = next_block(&c, address(1), &[], 1_000);
        c.process_block(b1, NOW).unwrap();
        let mut fork = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
        fork.process_block(c.block_at(Height(1)).unwrap().unwrap(), NOW).unwrap();
        b2 = next_block(&fork, address(5), &[], 1_000);
        fork.process_block(b2.clone(), NOW).unwrap();
        let mut bad = next_block(&fork, address(5), &[], 1_000);
        bad.transactions[0] =
            Transaction::Reward(Reward::new("testkit", bad.header.height, address(5), Amount(5_000), String::new()));
        seal(&mut bad);
        b3 = bad;
        let mut child = next_block(&fork, address(5), &[], 2_000);
        child.header.last_hash = b3.hash();
        child.header.height = Height(4);
        child.transactions[0] =
            Transaction::Reward(Reward::new("testkit", Height(4), address(5), Amount(50), String::new()));
        child.header.timestamp = b3.header.timestamp + 1_000;
        seal(&mut child);
        b4 = child;
        // b4 first (an orphan), then b2 and b3: b3 fails and b4 with it, both stored as invalid.
        c.process_block(b4.clone(), NOW).unwrap();
        c.process_block(b2.clone(), NOW).unwrap();
        c.process_block(b3.clone(), NOW).unwrap();
        assert_eq!(c.block_status(&b4.hash()).unwrap().invalid_rule(), Some("invalid_ancestor"));
    }
    let c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
    assert_eq!(c.tip(), b2.hash());
    let st = c.block_status(&b3.hash()).unwrap();
    assert_eq!(st, crate::chain::BlockStatus::Invalid(Invalidity::Broke("wrong_reward".into())));
    assert_eq!(
        c.block_status(&b4.hash()).unwrap(),
        crate::chain::BlockStatus::Invalid(Invalidity::Ancestor(b3.hash()))
    );
    let tips = c.chain_tips();
    assert_eq!(tips.tips.len(), 2);
    assert_eq!(tips.tips[1].hash, b4.hash());
}

#[test]
fn header_records_round_trip_every_status_and_refuse_garbage() {
    use crate::store::{decode_header_record, encode_header_record};
    let header = genesis_block(&easy_params()).header;
    for why in [
        None,
        Some(Invalidity::Unrecorded),
        Some(Invalidity::Broke("wrong_reward".into())),
        Some(Invalidity::Ancestor(BlockHash(Hash256([3; 32])))),
    ] {
        let rec = encode_header_record(&header, why.as_ref());
        assert_eq!(decode_header_record(&rec).unwrap(), (header, why));
    }
    // The record of earlier versions: status 1 alone.
    let mut old = header.encode().to_vec();
    old.push(1);
    assert_eq!(decode_header_record(&old).unwrap().1, Some(Invalidity::Unrecorded));
    for tail in [&[0u8, 1][..], &[2][..], &[2, b'A'][..], &[3, 1, 2][..], &[9][..]] {
        let mut rec = header.encode().to_vec();
        rec.extend_from_slice(tail);
        assert!(decode_header_record(&rec).is_err(), "{tail:?}");
    }
}

mod read_side {
    //! The read queries of `chain::read`, answered from the store, against what the live chain
    //! says.
    use super::*;
    use crate::chain::read::{self, BlockRef, BlocksRequest};
    use crate::merkle::verify_proof;

    /// Wallet 1 mines 4 blocks; blocks 3 and 4 carry payments to 2 and 3; a side block s3 forks
    /// at height 2.
    fn chain() -> (Chain<MemoryStore>, Block) {
        let mut c = funded(2);
        let side = funded(2);
        let t1 = pay(&c, &wallet(1), &[(address(2), 7)], 1);
        let b3 = next_block(&c, address(1), &[t1], 1_000);
        c.process_block(b3, NOW).unwrap();
        let t2 = pay(&c, &wallet(1), &[(address(3), 4), (address(2), 1)], 2);
        let b4 = next_block(&c, address(1), &[t2], 1_000);
        c.process_block(b4, NOW).unwrap();
        for h in 1..=2 {
            assert_eq!(side.block_at(Height(h)).unwrap(), c.block_at(Height(h)).unwrap());
        }
        let s3 = next_block(&side, address(9), &[], 5_000);
        c.process_block(s3.clone(), NOW).unwrap();
        (c, s3)
    }

    #[test]
    fn block_views_say_where_each_block_stands() {
        let (c, s3) = chain();
        let s = c.store();
        for h in 0..=4u64 {
            let v = read::block_view(s, BlockRef::Height(h)).unwrap().unwrap();
            assert_eq!(v.block, c.block_at(Height(h)).unwrap().unwrap());
            assert_eq!((v.status, v.in_best_chain, v.confirmations), ("active", true, 4 - h + 1));
            assert_eq!(v.next_hash, c.hash_at(Height(h + 1)));
            assert_eq!(v.subsidy, if h == 0 { 0 } else { 50 });
            assert_eq!(v.size, v.block.encoded_len());
        }
        assert_eq!(read::block_view(s, BlockRef::Height(3)).unwrap().unwrap().fees, 1);
        let side = read::block_view(s, BlockRef::Hash(s3.hash())).unwrap().unwrap();
        assert_eq!(
            (side.status, side.in_best_chain, side.confirmations, side.next_hash),
            ("valid-fork", false, 0, None)
        );
        assert!(read::block_view(s, BlockRef::Height(5)).unwrap().is_none());
        assert!(read::block_view(s, BlockRef::Hash(BlockHash(Hash256([1; 32])))).unwrap().is_none());
    }

    #[test]
    fn history_and_transactions_match_the_live_chain() {
        let (c, _) = chain();
        let s = c.store();
        let h2 = read::history(s, &address(2), 10, None).unwrap();
        let got: Vec<(u64, u64, u64)> = h2.entries.iter().map(|e| (e.height, e.received, e.spent)).collect();
        assert_eq!(got, vec![(4, 1, 0), (3, 7, 0)]);
        assert_eq!(h2.next_before, None);
        // The sender: rewards received at 1..=4 and two spends; paged by one entry.
        let page = read::history(s, &address(1), 1, None).unwrap();
        assert_eq!(page.entries.len(), 2, "whole blocks: block 4's reward and spend");
        assert_eq!(page.next_before, Some(4));
        let older = read::history(s, &address(1), 10, page.next_before).unwrap();
        assert_eq!(older.entries.iter().map(|e| e.height).collect::<Vec<_>>(), vec![3, 3, 2, 1]);
        for e in &h2.entries {
            let id = e.transaction.id();
            let tx = read::confirmed_tx(s, &id).unwrap().unwrap();
            assert_eq!((tx.height, tx.block_hash, tx.transaction.id()), (e.height, e.block_hash, id));
            assert_eq!(tx.confirmations, 4 - e.height + 1);
            assert_eq!(
                Some((crate::state::TxLocation { height: Height(tx.height), index: tx.index }, tx.confirmations)),
                c.tx_location(&id).unwrap()
            );
            let proof = read::tx_proof(s, &id).unwrap().unwrap();
            assert!(verify_proof(&proof.txid, &proof.path, &proof.merkle_root));
        }
        let unknown = crate::hash::TxId(Hash256([5; 32]));
        assert!(read::confirmed_tx(s, &unknown).unwrap().is_none());
        assert!(read::tx_proof(s, &unknown).unwrap().is_none());
        let ids = [h2.entries[0].transaction.id(), unknown];
        assert_eq!(read::filter_confirmed(s, &ids).unwrap(), vec![ids[0]]);
    }

    #[test]
    fn accounts_and_blocks_for_peers_match_the_live_chain() {
        let (c, s3) = chain();
        let s = c.store();
        let addrs = [address(1), address(2), address(3), address(4)];
        let (view, tip) = read::accounts_at_tip(s, &addrs, None).unwrap();
        assert_eq!(tip, c.tip());
        for a in addrs {
            assert_eq!(view.accounts[&a], c.account(&a));
        }
        // A locator led by a side block the peer has: the fork point is the last active hash.
        let locator = vec![s3.hash(), c.hash_at(Height(2)).unwrap()];
        let req = BlocksRequest { locator: Some(locator.clone()), from_height: None, limit: 10, max_bytes: 1 << 20 };
        let blocks = read::blocks_for_peer(s, &req).unwrap();
        assert_eq!(read::fork_height_of_locator(s, &locator).unwrap(), Height(2));
        assert_eq!(blocks, read::blocks_in_range(s, Height(3), 10).unwrap());
        assert_eq!(blocks.iter().map(|b| b.header.height.0).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(
            blocks.iter().map(Block::hash).map(Some).collect::<Vec<_>>(),
            [c.hash_at(Height(3)), c.hash_at(Height(4))]
        );
        // Byte-capped: at least one block, never past the cap after the first.
        let one = BlocksRequest { locator: None, from_height: Some(1), limit: 10, max_bytes: 1 };
        assert_eq!(read::blocks_for_peer(s, &one).unwrap().len(), 1);
        let live = [c.block_at(Height(2)).unwrap().unwrap(), c.block_at(Height(3)).unwrap().unwrap()];
        assert_eq!(read::blocks_in_range(s, Height(2), 2).unwrap(), live);
    }

    #[test]
    fn an_invalid_block_is_read_as_invalid_with_its_rule() {
        let (mut c, [_m2, _m3, _s2, b2, b3, b4, _o2, _o3]) = chain_with_every_kind_of_tip();
        c.process_block(b2, NOW).unwrap();
        c.process_block(b3.clone(), NOW).unwrap();
        c.process_block(b4.clone(), NOW).unwrap();
        let v = read::block_view(c.store(), BlockRef::Hash(b3.hash())).unwrap().unwrap();
        assert_eq!((v.status, v.invalid_rule.as_deref(), v.in_best_chain), ("invalid", Some("wrong_reward"), false));
        let v = read::block_view(c.store(), BlockRef::Hash(b4.hash())).unwrap().unwrap();
        assert_eq!(v.invalid_rule.as_deref(), Some("invalid_ancestor"));
    }

    #[test]
    fn a_redb_snapshot_answers_like_the_memory_store_and_is_not_moved_by_later_commits() {
        let dir = tempfile::tempdir().unwrap();
        let p = easy_params();
        let mut c = Chain::open(p.clone(), RedbStore::open(&dir.path().join("c.redb"), &p).unwrap()).unwrap();
        let mut mem = funded(0);
        for _ in 0..3 {
            let b = next_block(&c, address(1), &[], 1_000);
            c.process_block(b.clone(), NOW).unwrap();
            mem.process_block(b, NOW).unwrap();
        }
        let reader = c.store().reader();
        let snap = reader.snapshot().unwrap();
        use crate::store::ChainSnapshot;
        assert_eq!(snap.tip_height().unwrap(), Height(3));
        for h in 0..=3 {
            let a = read::block_view(&snap, BlockRef::Height(h)).unwrap().unwrap();
            let b = read::block_view(mem.store(), BlockRef::Height(h)).unwrap().unwrap();
            assert_eq!((a.block, a.confirmations, a.status), (b.block, b.confirmations, b.status));
        }
        assert_eq!(snap.account(&address(1)).unwrap(), mem.account(&address(1)));
        // A block committed after the snapshot was opened is not in it; a new snapshot has it.
        let b4 = next_block(&c, address(1), &[], 1_000);
        c.process_block(b4.clone(), NOW).unwrap();
        assert_eq!(snap.tip_height().unwrap(), Height(3));
        assert!(snap.hash_at(Height(4)).unwrap().is_none());
        let fresh = reader.snapshot().unwrap();
        assert_eq!(fresh.hash_at(Height(4)).unwrap(), Some(b4.hash()));
    }
}

#[test]
fn a_batch_is_processed_like_its_blocks_one_by_one_with_one_net_switch() {
    let mut src = funded(0);
    let mut blocks = Vec::new();
    for _ in 0..6 {
        let b = next_block(&src, address(1), &[], 1_000);
        src.process_block(b.clone(), NOW).unwrap();
        blocks.push(b);
    }
    let mut c = new_chain();
    let done = c.process_batch(blocks.clone(), NOW).unwrap();
    assert_eq!(c.tip(), src.tip());
    assert_eq!(done.placements.len(), 6);
    assert!(done.placements.iter().all(|(_, p)| *p == Placement::Stored));
    let switch = done.switch.unwrap();
    assert_eq!(switch.connected, blocks);
    assert!(switch.disconnected.is_empty());
    assert_eq!((switch.old_tip, switch.new_tip, switch.fork_height), (c.genesis_hash(), src.tip(), Height(0)));
    assert_eq!(switch.touched[&address(1)], c.account(&address(1)));
    // Again: every block is known; nothing changes.
    let again = c.process_batch(blocks, NOW).unwrap();
    assert!(again.switch.is_none());
    assert!(again.placements.iter().all(|(_, p)| *p == Placement::AlreadyKnown));
}

#[test]
fn a_batch_with_a_reorganisation_inside_nets_out_and_stops_at_a_refused_block() {
    // Main: blocks 1-2 by wallet 1; side: blocks 1-3 by wallet 7 (heavier), on the same genesis.
    let mut main = funded(0);
    let main_blocks = extend(&mut main, 2, 1, 1_000);
    let mut side = funded(0);
    let side_blocks = extend(&mut side, 3, 7, 1_100);
    let mut c = new_chain();
    let mut batch = main_blocks.clone();
    batch.extend(side_blocks.iter().cloned());
    let done = c.process_batch(batch, NOW).unwrap();
    assert_eq!(c.tip(), side.tip());
    let switch = done.switch.unwrap();
    // Net: genesis → side tip; the main blocks came and went within the batch.
    assert_eq!(switch.connected, side_blocks);
    assert!(switch.disconnected.is_empty(), "{:?}", switch.disconnected.len());
    assert_eq!((switch.old_tip, switch.fork_height), (c.genesis_hash(), Height(0)));
    assert_eq!(switch.touched[&address(1)], c.account(&address(1)));
    assert_eq!(c.account(&address(1)).balance, Amount(0));
    // A refused block stops the batch; the blocks before it are kept.
    let more = extend(&mut side, 2, 7, 1_100);
    let mut bad = next_block(&side, address(7), &[], 1_100);
    bad.header.nonce = bad.header.nonce.wrapping_add(1);
    while bad.header.bits.to_target().unwrap().is_met_by(bad.hash().as_bytes()) {
        bad.header.nonce += 1;
    }
    let refused = c.process_batch(vec![more[0].clone(), more[1].clone(), bad.clone()], NOW).unwrap_err();
    assert_eq!(refused.hash, bad.hash());
    assert!(matches!(refused.error, ChainError::Invalid { .. }));
    assert_eq!(refused.done.placements.len(), 2);
    assert_eq!(c.tip(), more[1].hash());
}

#[test]
fn a_batch_on_redb_is_durable_at_its_end_and_reopens_at_its_last_tip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.redb");
    let p = easy_params();
    let mut src = funded(0);
    let mut blocks = Vec::new();
    for _ in 0..20 {
        let b = next_block(&src, address(1), &[], 1_000);
        src.process_block(b.clone(), NOW).unwrap();
        blocks.push(b);
    }
    {
        let mut c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
        c.process_batch(blocks[..10].to_vec(), NOW).unwrap();
        c.process_batch(blocks[10..].to_vec(), NOW).unwrap();
    }
    let c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
    assert_eq!(c.tip(), src.tip());
    c.verify_by_replay().unwrap();
}

/// `n` reward-only blocks on genesis, each on the one before.
fn reward_blocks(n: usize) -> (Chain<MemoryStore>, Vec<Block>) {
    let mut src = funded(0);
    let blocks = extend(&mut src, n, 1, 1_000);
    (src, blocks)
}

/// Extends `chain` with `n` reward-only blocks paying `address(miner)`, each `step` ms after the
/// one before; returns them.
fn extend(chain: &mut Chain<MemoryStore>, n: usize, miner: u64, step: u64) -> Vec<Block> {
    let mut blocks = Vec::new();
    for _ in 0..n {
        let b = next_block(chain, address(miner), &[], step);
        chain.process_block(b.clone(), NOW).unwrap();
        blocks.push(b);
    }
    blocks
}

#[test]
fn a_batch_whose_write_fails_is_dropped_whole_and_the_chain_follows_the_store_back() {
    let n = crate::chain::BATCH_MAX_BLOCKS;
    let (src, blocks) = reward_blocks(n + n / 2);
    let p = easy_params();
    let store = FlakyStore::new(MemoryStore::new(&p));
    let writes_left = store.writes_left.clone();
    let mut c = Chain::open(p.clone(), store).unwrap();
    let genesis = c.genesis_hash();
    // The first write of the batch's first part fails: nothing is stored, nothing reported.
    writes_left.set(Some(0));
    let refused = c.process_batch(blocks.clone(), NOW).unwrap_err();
    assert!(matches!(refused.error, ChainError::Store(_)), "{}", refused.error);
    assert_eq!((refused.done.placements.len(), refused.done.switch.is_none()), (0, true));
    assert_eq!((c.tip(), c.tree_len()), (genesis, 1));
    // The first part's end (one write per block, then the batch's own) goes through; a block
    // of the second part fails to write: the second part is dropped whole, the first is kept
    // and is what is reported.
    writes_left.set(Some(n as u32 + 1 + 10));
    let refused = c.process_batch(blocks.clone(), NOW).unwrap_err();
    assert!(matches!(refused.error, ChainError::Store(_)), "{}", refused.error);
    assert_eq!(refused.hash, blocks[n + 10].hash());
    assert_eq!(refused.done.placements.len(), n);
    let switch = refused.done.switch.unwrap();
    assert_eq!((switch.old_tip, switch.new_tip, switch.connected.len()), (genesis, blocks[n - 1].hash(), n));
    assert_eq!((c.tip(), c.tree_len()), (blocks[n - 1].hash(), n + 1));
    assert_eq!(c.store().inner.tip(), blocks[n - 1].hash());
    assert_eq!(c.store().block(&blocks[n].hash()).unwrap(), None, "nothing of the dropped part is stored");
    c.verify_by_replay().unwrap();
    // The batch's own write fails after every block of it was written: dropped whole too.
    writes_left.set(Some((n / 2) as u32));
    let refused = c.process_batch(blocks[n..].to_vec(), NOW).unwrap_err();
    assert!(matches!(refused.error, ChainError::Store(_)), "{}", refused.error);
    assert_eq!((refused.done.placements.len(), refused.done.switch.is_none()), (0, true));
    assert_eq!((c.tip(), c.tree_len()), (blocks[n - 1].hash(), n + 1));
    // The same blocks come again once the disk has room.
    writes_left.set(None);
    let done = c.process_batch(blocks[n..].to_vec(), NOW).unwrap();
    assert_eq!(done.switch.unwrap().new_tip, src.tip());
    assert_eq!(c.tip(), src.tip());
    c.verify_by_replay().unwrap();
}

#[test]
fn a_reorganisation_inside_one_batch_on_redb_reads_its_own_writes_and_reopens_there() {
    // Main: 3 blocks by wallet 1; side: 4 by wallet 7, on the same genesis. In one batch, the
    // main blocks are connected, then disconnected again: their bodies and undo records are
    // read back from the batch's own write, which is not committed yet.
    let (_, main_blocks) = reward_blocks(3);
    let mut side = funded(0);
    let side_blocks = extend(&mut side, 4, 7, 1_100);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reorg.redb");
    let p = easy_params();
    {
        let mut c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
        let mut batch = main_blocks.clone();
        batch.extend(side_blocks.iter().cloned());
        let done = c.process_batch(batch, NOW).unwrap();
        assert_eq!(done.switch.unwrap().connected, side_blocks);
        assert_eq!(c.tip(), side.tip());
        c.verify_by_replay().unwrap();
    }
    let c = Chain::open(p.clone(), RedbStore::open(&path, &p).unwrap()).unwrap();
    assert_eq!((c.tip(), c.tree_len()), (side.tip(), 8));
    assert_eq!(c.block_status(&main_blocks[2].hash()), Some(crate::chain::BlockStatus::ValidFork));
    assert_eq!(c.account(&address(1)).balance, Amount(0));
    c.verify_by_replay().unwrap();
}

#[test]
fn a_block_whose_write_fails_leaves_the_tree_and_may_come_again() {
    let p = easy_params();
    let store = FlakyStore::new(MemoryStore::new(&p));
    let fail_writes = store.fail_writes.clone();
    let mut c = Chain::open(p.clone(), store).unwrap();
    let genesis = c.genesis_hash();
    let b1 = next_block(&c, address(1), &[], 1_000);
    let mut side = c.empty_block_on(&genesis, address(2), b1.header.timestamp + 1).unwrap();
    seal(&mut side);
    // The block that would switch the tip: its write is the switch's commit.
    fail_writes.set(true);
    assert!(matches!(c.process_block(b1.clone(), NOW), Err(ChainError::Store(_))));
    assert_eq!((c.tip(), c.tree_len(), c.block_status(&b1.hash())), (genesis, 1, None));
    fail_writes.set(false);
    assert!(c.process_block(b1.clone(), NOW).unwrap().switch.is_some());
    // A side block (equal work: no switch) is written on its own.
    fail_writes.set(true);
    assert!(matches!(c.process_block(side.clone(), NOW), Err(ChainError::Store(_))));
    assert_eq!((c.tree_len(), c.block_status(&side.hash())), (2, None));
    assert_eq!(c.chain_tips().tips.len(), 1, "no tip for a block that is not stored");
    fail_writes.set(false);
    assert_eq!(c.process_block(side.clone(), NOW).unwrap().placement, Placement::Stored);
    assert_eq!(c.block_status(&side.hash()), Some(crate::chain::BlockStatus::ValidFork));
    assert_eq!(c.store().block(&side.hash()).unwrap(), Some(side));
    assert_eq!(c.tip(), b1.hash());
    c.verify_by_replay().unwrap();
}

/// The store a batch leaves (its active chain, tip and accounts written once at its end) is the
/// store its blocks leave one write each: here through a reorganisation inside the batch, whose
/// switch takes the first branch's miner account out again.
#[test]
fn a_batch_on_redb_leaves_the_store_its_blocks_leave_one_by_one() {
    let (_, main_blocks) = reward_blocks(3);
    let mut side = funded(0);
    let side_blocks = extend(&mut side, 6, 7, 1_100);
    let mut all = main_blocks.clone();
    all.extend(side_blocks.iter().cloned());
    let dir = tempfile::tempdir().unwrap();
    let p = easy_params();
    let (batched, single) = (dir.path().join("batched.redb"), dir.path().join("single.redb"));
    {
        let mut c = Chain::open(p.clone(), RedbStore::open(&batched, &p).unwrap()).unwrap();
        // The main branch on its own first: the batch then starts on a stored chain of height 3.
        c.process_batch(main_blocks.clone(), NOW).unwrap();
        c.process_batch(side_blocks.clone(), NOW).unwrap();
        let mut c = Chain::open(p.clone(), RedbStore::open(&single, &p).unwrap()).unwrap();
        for b in &all {
            c.process_block(b.clone(), NOW).unwrap();
        }
    }
    let loaded = |path: &std::path::Path| {
        let store = RedbStore::open(path, &p).unwrap();
        let mut l = store.load().unwrap();
        l.headers.sort_by_key(|(h, _)| h.hash());
        l
    };
    let (a, b) = (loaded(&batched), loaded(&single));
    assert_eq!(a.active, b.active);
    assert_eq!(a.active.last(), Some(&side.tip()));
    assert_eq!(a.accounts, b.accounts);
    assert!(!a.accounts.contains_key(&address(1)), "the disconnected branch's miner has nothing");
    assert_eq!(a.headers, b.headers);
    let c = Chain::open(p.clone(), RedbStore::open(&batched, &p).unwrap()).unwrap();
    c.verify_by_replay().unwrap();
}
