//! Fuzz target: block validation with structured mutations of valid blocks.
//!
//! The input (decoded with `arbitrary`) picks one of the fixture's valid candidate blocks (the
//! next block on the tip with transfers, an empty one, a sibling of the tip, a block on that
//! sibling that makes the fork heavier, a block on an older ancestor) and a list of mutations:
//! header fields (version, height, parent, Merkle root, timestamp, bits, nonce), the reward
//! (amount, address, height, data), transfers (amounts, fee, nonce, sender, outputs added or
//! removed, signature bytes flipped, `s` negated to high-S, re-signed by the sender's key, ids
//! recomputed or forged) and the transaction list (transfers added valid or not, removed,
//! duplicated, swapped, a second reward). Then, as the input says, the ids and the Merkle root
//! are recomputed and the block is mined again (a bounded nonce search: with the test network's
//! difficulty most mutated blocks pass proof of work), and it may be followed by up to two empty
//! blocks mined on top of it, so that mutated blocks also get connected and disconnected by
//! reorganisations.
//!
//! [`Chain::process_block`] must not panic, and after each block: if the best chain switched,
//! the chain passes [`check_chain`] (the ledger equals a replay of the best chain with every
//! rule, the signatures of the connected blocks verify, the supply equals the sum of the
//! subsidies, every account equals the reference scan) and the mempool, brought to the new tip,
//! holds only transfers valid there ([`check_pool`]); if it did not, the tip and the ledger are
//! unchanged.

#![no_main]

use arbitrary::Arbitrary;
use bitcoin_rust_core::amount::{Amount, Height};
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::hash::{BlockHash, Hash256, TxId};
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::merkle::merkle_root;
use bitcoin_rust_core::target::{CompactTarget, Target};
use bitcoin_rust_core::transaction::{Reward, Signature64, Transaction, Transfer, TxOutput};
use bitcoin_rust_fuzz::{check_chain, check_pool, check_unchanged, fixture, try_mine, Fixture, NOW};
use libfuzzer_sys::fuzz_target;

/// Which block a mutated parent hash points at.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Parent {
    Genesis,
    Tip,
    /// The base chain's block at this height (modulo its length).
    Base(u8),
    /// The block itself (a cycle).
    SelfHash,
    Random([u8; 32]),
}

/// One change to the block.
#[derive(Arbitrary, Debug, Clone)]
enum Mutation {
    Version(u32),
    HeightDelta(i8),
    Height(u64),
    Parent(Parent),
    MerkleRoot([u8; 32]),
    TimestampDelta(i32),
    Timestamp(u64),
    Bits(u32),
    /// Doubles (positive) or halves (negative) the target that many times.
    TargetShift(i8),
    Nonce(u64),
    RewardAmountDelta(i64),
    RewardAddress(u8),
    RewardHeightDelta(i8),
    RewardData(String),
    OutputAmountDelta {
        tx: u8,
        output: u8,
        delta: i64,
    },
    OutputAmount {
        tx: u8,
        output: u8,
        amount: u64,
    },
    OutputAddress {
        tx: u8,
        output: u8,
        wallet: u8,
    },
    OutputAddressBytes {
        tx: u8,
        output: u8,
        bytes: [u8; 32],
    },
    AddOutput {
        tx: u8,
        wallet: u8,
        amount: u64,
    },
    RemoveOutput {
        tx: u8,
        output: u8,
    },
    FeeDelta {
        tx: u8,
        delta: i64,
    },
    InputAmountDelta {
        tx: u8,
        delta: i64,
    },
    InputNonceDelta {
        tx: u8,
        delta: i8,
    },
    InputTimestamp {
        tx: u8,
        timestamp: u64,
    },
    Sender {
        tx: u8,
        wallet: u8,
    },
    SignatureByte {
        tx: u8,
        byte: u8,
        xor: u8,
    },
    SignatureNegateS {
        tx: u8,
    },
    SignatureZero {
        tx: u8,
    },
    Resign {
        tx: u8,
    },
    RecomputeId {
        tx: u8,
    },
    ClaimedId {
        tx: u8,
        id: [u8; 32],
    },
    /// A transfer from `from` to `to`, valid at the base tip when `valid`, else with the
    /// amounts given.
    AddTransfer {
        from: u8,
        to: u8,
        amount: u64,
        fee: u64,
        valid: bool,
    },
    /// One of the fixture's pending transfers (valid at the base tip).
    AddPending(u8),
    /// A transfer of another base block (already in the chain).
    AddConfirmed {
        block: u8,
        tx: u8,
    },
    AddReward {
        wallet: u8,
        amount: u64,
    },
    RemoveTx(u8),
    DuplicateTx(u8),
    SwapTx(u8, u8),
}

/// A whole run: a candidate, its mutations, how to finish the block and what follows it.
#[derive(Arbitrary, Debug)]
struct Input {
    candidate: u8,
    mutations: Vec<Mutation>,
    fix_ids: bool,
    fix_merkle: bool,
    mine: bool,
    nonce_start: u16,
    /// Empty blocks mined on the mutated block (0 to 2).
    followers: u8,
    /// Process the candidate's prerequisite blocks first (else it may be an orphan).
    with_before: bool,
    /// Also process the untouched candidate before the mutated one.
    original_first: bool,
}

fn index(len: usize, i: u8) -> Option<usize> {
    (len > 0).then(|| i as usize % len)
}

fn transfer_mut(block: &mut Block, tx: u8) -> Option<&mut Transfer> {
    let normals: Vec<usize> = block
        .transactions
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, Transaction::Normal(_)))
        .map(|(i, _)| i)
        .collect();
    let i = normals[index(normals.len(), tx)?];
    match &mut block.transactions[i] {
        Transaction::Normal(t) => Some(t),
        Transaction::Reward(_) => None,
    }
}

fn reward_mut(block: &mut Block) -> Option<&mut Reward> {
    block.transactions.iter_mut().find_map(|t| match t {
        Transaction::Reward(r) => Some(r),
        Transaction::Normal(_) => None,
    })
}

fn add(v: u64, delta: i64) -> u64 {
    v.wrapping_add(delta as u64)
}

fn resign(f: &Fixture, t: &mut Transfer) {
    if let Some(key) = f.key_of(&t.input.address) {
        let key: &SigningKey = key;
        *t = Transfer::sign(
            &f.params.network_id,
            key,
            t.input.nonce,
            t.input.timestamp,
            t.input.amount,
            t.input.fee,
            t.outputs.clone(),
        );
    }
}

fn apply(f: &Fixture, block: &mut Block, m: &Mutation) {
    let net = &f.params.network_id;
    let h = &mut block.header;
    match m {
        Mutation::Version(v) => h.version = *v,
        Mutation::HeightDelta(d) => h.height = Height(add(h.height.0, *d as i64)),
        Mutation::Height(v) => h.height = Height(*v),
        Mutation::Parent(p) => {
            h.last_hash = match p {
                Parent::Genesis => f.base.genesis_hash(),
                Parent::Tip => f.base.tip(),
                Parent::Base(i) => f.blocks[*i as usize % f.blocks.len()].hash(),
                Parent::SelfHash => h.hash(),
                Parent::Random(b) => BlockHash(Hash256(*b)),
            }
        }
        Mutation::MerkleRoot(b) => h.merkle_root = Hash256(*b),
        Mutation::TimestampDelta(d) => h.timestamp = add(h.timestamp, *d as i64),
        Mutation::Timestamp(v) => h.timestamp = *v,
        Mutation::Bits(v) => h.bits = CompactTarget(*v),
        Mutation::TargetShift(s) => {
            if let Ok(t) = h.bits.to_target() {
                let shift = s.unsigned_abs() as usize % 256;
                let t = if *s >= 0 { Target(t.0 << shift) } else { Target(t.0 >> shift) };
                h.bits = t.to_compact();
            }
        }
        Mutation::Nonce(v) => h.nonce = *v,
        Mutation::RewardAmountDelta(d) => {
            if let Some(r) = reward_mut(block) {
                r.output.amount = Amount(add(r.output.amount.0, *d));
            }
        }
        Mutation::RewardAddress(w) => {
            if let Some(r) = reward_mut(block) {
                r.output.address = f.address(*w);
            }
        }
        Mutation::RewardHeightDelta(d) => {
            if let Some(r) = reward_mut(block) {
                r.coinbase.height = Height(add(r.coinbase.height.0, *d as i64));
            }
        }
        Mutation::RewardData(s) => {
            if let Some(r) = reward_mut(block) {
                r.coinbase.data = s.clone();
            }
        }
        Mutation::OutputAmountDelta { tx, output, delta } => {
            if let Some(t) = transfer_mut(block, *tx) {
                if let Some(i) = index(t.outputs.len(), *output) {
                    t.outputs[i].amount = Amount(add(t.outputs[i].amount.0, *delta));
                }
            }
        }
        Mutation::OutputAmount { tx, output, amount } => {
            if let Some(t) = transfer_mut(block, *tx) {
                if let Some(i) = index(t.outputs.len(), *output) {
                    t.outputs[i].amount = Amount(*amount);
                }
            }
        }
        Mutation::OutputAddress { tx, output, wallet } => {
            if let Some(t) = transfer_mut(block, *tx) {
                if let Some(i) = index(t.outputs.len(), *output) {
                    t.outputs[i].address = f.address(*wallet);
                }
            }
        }
        Mutation::OutputAddressBytes { tx, output, bytes } => {
            if let Some(t) = transfer_mut(block, *tx) {
                if let Some(i) = index(t.outputs.len(), *output) {
                    let mut a = [0x02u8; 33];
                    a[1..].copy_from_slice(bytes);
                    if let Ok(address) = bitcoin_rust_core::address::Address::from_compressed(a) {
                        t.outputs[i].address = address;
                    }
                }
            }
        }
        Mutation::AddOutput { tx, wallet, amount } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.outputs.push(TxOutput { address: f.address(*wallet), amount: Amount(*amount) });
            }
        }
        Mutation::RemoveOutput { tx, output } => {
            if let Some(t) = transfer_mut(block, *tx) {
                if let Some(i) = index(t.outputs.len(), *output) {
                    t.outputs.remove(i);
                }
            }
        }
        Mutation::FeeDelta { tx, delta } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.fee = Amount(add(t.input.fee.0, *delta));
            }
        }
        Mutation::InputAmountDelta { tx, delta } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.amount = Amount(add(t.input.amount.0, *delta));
            }
        }
        Mutation::InputNonceDelta { tx, delta } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.nonce = add(t.input.nonce, *delta as i64);
            }
        }
        Mutation::InputTimestamp { tx, timestamp } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.timestamp = *timestamp;
            }
        }
        Mutation::Sender { tx, wallet } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.address = f.address(*wallet);
            }
        }
        Mutation::SignatureByte { tx, byte, xor } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.signature.0[*byte as usize % 64] ^= *xor;
            }
        }
        Mutation::SignatureNegateS { tx } => {
            if let Some(t) = transfer_mut(block, *tx) {
                // s' = n - s, the other valid encoding of the same signature (high-S if s was low).
                const N: [u8; 32] = [
                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
                ];
                let s = &mut t.input.signature.0[32..];
                let mut borrow = 0i16;
                for i in (0..32).rev() {
                    let v = N[i] as i16 - s[i] as i16 - borrow;
                    borrow = i16::from(v < 0);
                    s[i] = v.rem_euclid(256) as u8;
                }
            }
        }
        Mutation::SignatureZero { tx } => {
            if let Some(t) = transfer_mut(block, *tx) {
                t.input.signature = Signature64([0u8; 64]);
            }
        }
        Mutation::Resign { tx } => {
            if let Some(t) = transfer_mut(block, *tx) {
                resign(f, t);
            }
        }
        Mutation::RecomputeId { tx } => {
            let n = block.transactions.len();
            if let Some(i) = index(n, *tx) {
                match &mut block.transactions[i] {
                    Transaction::Normal(t) => t.id = t.compute_id(net),
                    Transaction::Reward(r) => r.id = r.compute_id(net),
                }
            }
        }
        Mutation::ClaimedId { tx, id } => {
            let n = block.transactions.len();
            if let Some(i) = index(n, *tx) {
                match &mut block.transactions[i] {
                    Transaction::Normal(t) => t.id = TxId(Hash256(*id)),
                    Transaction::Reward(r) => r.id = TxId(Hash256(*id)),
                }
            }
        }
        Mutation::AddTransfer { from, to, amount, fee, valid } => {
            let (sender, key) = &f.wallets[(*from as u64 % bitcoin_rust_fuzz::WALLETS) as usize];
            let account = f.base.account(sender);
            let to = f.address(*to);
            let (amount, fee, outputs) = if *valid {
                let fee = fee % (account.balance.0 + 1);
                let paid = account.balance.0 - fee;
                let outputs = if paid > 0 { vec![TxOutput { address: to, amount: Amount(paid) }] } else { vec![] };
                (account.balance, Amount(fee), outputs)
            } else {
                (
                    Amount(*amount),
                    Amount(*fee),
                    vec![TxOutput { address: to, amount: Amount(amount.wrapping_sub(*fee)) }],
                )
            };
            let t = Transfer::sign(net, key, account.nonce, 0, amount, fee, outputs);
            block.transactions.push(Transaction::Normal(t));
        }
        Mutation::AddPending(i) => {
            let t = f.transfers[*i as usize % f.transfers.len()].clone();
            block.transactions.push(Transaction::Normal(t));
        }
        Mutation::AddConfirmed { block: b, tx } => {
            let base = &f.blocks[*b as usize % f.blocks.len()];
            if let Some(i) = index(base.transactions.len(), *tx) {
                block.transactions.push(base.transactions[i].clone());
            }
        }
        Mutation::AddReward { wallet, amount } => {
            let height = block.header.height;
            let r = Reward::new(net, height, f.address(*wallet), Amount(*amount), String::new());
            block.transactions.push(Transaction::Reward(r));
        }
        Mutation::RemoveTx(i) => {
            if let Some(i) = index(block.transactions.len(), *i) {
                block.transactions.remove(i);
            }
        }
        Mutation::DuplicateTx(i) => {
            if let Some(i) = index(block.transactions.len(), *i) {
                let t = block.transactions[i].clone();
                block.transactions.push(t);
            }
        }
        Mutation::SwapTx(a, b) => {
            let n = block.transactions.len();
            if let (Some(a), Some(b)) = (index(n, *a), index(n, *b)) {
                block.transactions.swap(a, b);
            }
        }
    }
}

/// Processes one block and checks the chain's invariants whatever happened.
fn feed(
    chain: &mut bitcoin_rust_core::chain::Chain<bitcoin_rust_core::store::memory::MemoryStore>,
    pool: &mut bitcoin_rust_core::mempool::Mempool,
    block: Block,
) {
    let tip = chain.tip();
    let ledger = chain.ledger().clone();
    match chain.process_block(block, NOW) {
        Ok(p) => match &p.switch {
            Some(switch) => {
                assert_eq!(switch.old_tip, tip);
                assert_eq!(switch.new_tip, chain.tip());
                pool.on_chain_switch(switch);
                check_chain(chain, &switch.connected, false);
                check_pool(pool, chain);
            }
            None => check_unchanged(chain, &tip, &ledger),
        },
        Err(_) => check_unchanged(chain, &tip, &ledger),
    }
}

fuzz_target!(|input: Input| {
    let f = fixture();
    let candidate = &f.candidates[input.candidate as usize % f.candidates.len()];
    let mut chain = f.open_chain();
    let mut pool = f.pool.clone();
    if input.with_before {
        for b in &candidate.before {
            feed(&mut chain, &mut pool, b.clone());
        }
    }
    if input.original_first {
        feed(&mut chain, &mut pool, candidate.block.clone());
    }
    let mut block = candidate.block.clone();
    for m in input.mutations.iter().take(16) {
        apply(f, &mut block, m);
    }
    let net = &f.params.network_id;
    if input.fix_ids {
        for t in &mut block.transactions {
            match t {
                Transaction::Normal(t) => t.id = t.compute_id(net),
                Transaction::Reward(r) => r.id = r.compute_id(net),
            }
        }
    }
    if input.fix_merkle {
        block.header.merkle_root = merkle_root(&block.txids());
    }
    if input.mine {
        try_mine(&mut block, input.nonce_start as u64 * 256, 256);
    }
    let hash = block.hash();
    let timestamp = block.header.timestamp;
    feed(&mut chain, &mut pool, block);
    let mut parent = hash;
    for i in 0..input.followers % 3 {
        if chain.info(&parent).is_none() {
            break;
        }
        let Some(mut next) = chain.empty_block_on(&parent, f.address(i + 3), timestamp.saturating_add(1_000)) else {
            break;
        };
        if !try_mine(&mut next, 0, 1_024) {
            break;
        }
        parent = next.hash();
        feed(&mut chain, &mut pool, next);
    }
});
