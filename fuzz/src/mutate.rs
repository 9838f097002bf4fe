//! The mutation model of the `mutated_block` target: which valid block to start from, what to
//! change in it, and how to finish it (ids, Merkle root, proof of work), decoded from the
//! fuzzer's bytes with `arbitrary`. [`Input::to_bytes`] is the inverse, so the seed corpus can
//! hold chosen mutations (a transfer already in the chain, a reward one coin too high, a
//! re-signed transfer with a stale nonce...) that reach the state rules from the first run.

use crate::{try_mine, Fixture, WALLETS};
use arbitrary::Arbitrary;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::{Amount, Height};
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::hash::{BlockHash, Hash256, TxId};
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::merkle::merkle_root;
use bitcoin_rust_core::target::{CompactTarget, Target};
use bitcoin_rust_core::transaction::{Reward, Signature64, Transaction, Transfer, TxOutput};

/// The most mutations applied from one input.
pub const MAX_MUTATIONS: usize = 16;

/// Which block a mutated parent hash points at.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Genesis,
    Tip,
    /// The base chain's block at this height (modulo its length).
    Base(u8),
    /// The block itself (a cycle).
    SelfHash,
    Random([u8; 32]),
}

/// One change to the block.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
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
    /// The reward's data: `len % 1100` copies of the character `fill` (as a Latin-1 code point).
    RewardData {
        len: u16,
        fill: u8,
    },
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
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub candidate: u8,
    pub mutations: Vec<Mutation>,
    pub fix_ids: bool,
    pub fix_merkle: bool,
    pub mine: bool,
    pub nonce_start: u16,
    /// Empty blocks mined on the mutated block (0 to 2).
    pub followers: u8,
    /// Process the candidate's prerequisite blocks first (else it may be an orphan).
    pub with_before: bool,
    /// Also process the untouched candidate before the mutated one.
    pub original_first: bool,
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

pub fn apply(f: &Fixture, block: &mut Block, m: &Mutation) {
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
        Mutation::RewardData { len, fill } => {
            if let Some(r) = reward_mut(block) {
                r.coinbase.data = std::iter::repeat_n(*fill as char, *len as usize % 1100).collect();
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
                    if let Ok(address) = Address::from_compressed(a) {
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
            let (sender, key) = &f.wallets[(*from as u64 % WALLETS) as usize];
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

impl Input {
    /// Returns the candidate block with the mutations applied and finished as the input says.
    pub fn build(&self, f: &Fixture) -> Block {
        let mut block = f.candidates[self.candidate as usize % f.candidates.len()].block.clone();
        for m in self.mutations.iter().take(MAX_MUTATIONS) {
            apply(f, &mut block, m);
        }
        let net = &f.params.network_id;
        if self.fix_ids {
            for t in &mut block.transactions {
                match t {
                    Transaction::Normal(t) => t.id = t.compute_id(net),
                    Transaction::Reward(r) => r.id = r.compute_id(net),
                }
            }
        }
        if self.fix_merkle {
            block.header.merkle_root = merkle_root(&block.txids());
        }
        if self.mine {
            try_mine(&mut block, self.nonce_start as u64 * 256, 256);
        }
        block
    }

    /// Returns bytes that `arbitrary` decodes to this input (for the seed corpus).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.candidate];
        for m in &self.mutations {
            out.push(1);
            m.encode(&mut out);
        }
        out.push(0);
        out.extend([u8::from(self.fix_ids), u8::from(self.fix_merkle), u8::from(self.mine)]);
        out.extend(self.nonce_start.to_le_bytes());
        out.extend([self.followers, u8::from(self.with_before), u8::from(self.original_first)]);
        out
    }
}

/// The `u32` that `arbitrary` maps to variant `index` of an enum of `count` variants (it takes
/// `(u32 * count) >> 32`).
fn variant(out: &mut Vec<u8>, index: u32, count: u32) {
    let v = ((index as u64) << 32).div_ceil(count as u64) as u32;
    out.extend(v.to_le_bytes());
}

impl Parent {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Parent::Genesis => variant(out, 0, 5),
            Parent::Tip => variant(out, 1, 5),
            Parent::Base(i) => {
                variant(out, 2, 5);
                out.push(*i);
            }
            Parent::SelfHash => variant(out, 3, 5),
            Parent::Random(b) => {
                variant(out, 4, 5);
                out.extend(b);
            }
        }
    }
}

impl Mutation {
    /// The number of variants, in declaration order below.
    const COUNT: u32 = 38;

    fn encode(&self, out: &mut Vec<u8>) {
        let mut v = |i: u32, fields: &[&[u8]]| {
            variant(out, i, Self::COUNT);
            for f in fields {
                out.extend_from_slice(f);
            }
        };
        match self {
            Mutation::Version(x) => v(0, &[&x.to_le_bytes()]),
            Mutation::HeightDelta(x) => v(1, &[&x.to_le_bytes()]),
            Mutation::Height(x) => v(2, &[&x.to_le_bytes()]),
            Mutation::Parent(p) => {
                v(3, &[]);
                p.encode(out);
            }
            Mutation::MerkleRoot(b) => v(4, &[b]),
            Mutation::TimestampDelta(x) => v(5, &[&x.to_le_bytes()]),
            Mutation::Timestamp(x) => v(6, &[&x.to_le_bytes()]),
            Mutation::Bits(x) => v(7, &[&x.to_le_bytes()]),
            Mutation::TargetShift(x) => v(8, &[&x.to_le_bytes()]),
            Mutation::Nonce(x) => v(9, &[&x.to_le_bytes()]),
            Mutation::RewardAmountDelta(x) => v(10, &[&x.to_le_bytes()]),
            Mutation::RewardAddress(x) => v(11, &[&[*x]]),
            Mutation::RewardHeightDelta(x) => v(12, &[&x.to_le_bytes()]),
            Mutation::RewardData { len, fill } => v(13, &[&len.to_le_bytes(), &[*fill]]),
            Mutation::OutputAmountDelta { tx, output, delta } => v(14, &[&[*tx, *output], &delta.to_le_bytes()]),
            Mutation::OutputAmount { tx, output, amount } => v(15, &[&[*tx, *output], &amount.to_le_bytes()]),
            Mutation::OutputAddress { tx, output, wallet } => v(16, &[&[*tx, *output, *wallet]]),
            Mutation::OutputAddressBytes { tx, output, bytes } => v(17, &[&[*tx, *output], bytes]),
            Mutation::AddOutput { tx, wallet, amount } => v(18, &[&[*tx, *wallet], &amount.to_le_bytes()]),
            Mutation::RemoveOutput { tx, output } => v(19, &[&[*tx, *output]]),
            Mutation::FeeDelta { tx, delta } => v(20, &[&[*tx], &delta.to_le_bytes()]),
            Mutation::InputAmountDelta { tx, delta } => v(21, &[&[*tx], &delta.to_le_bytes()]),
            Mutation::InputNonceDelta { tx, delta } => v(22, &[&[*tx], &delta.to_le_bytes()]),
            Mutation::InputTimestamp { tx, timestamp } => v(23, &[&[*tx], &timestamp.to_le_bytes()]),
            Mutation::Sender { tx, wallet } => v(24, &[&[*tx, *wallet]]),
            Mutation::SignatureByte { tx, byte, xor } => v(25, &[&[*tx, *byte, *xor]]),
            Mutation::SignatureNegateS { tx } => v(26, &[&[*tx]]),
            Mutation::SignatureZero { tx } => v(27, &[&[*tx]]),
            Mutation::Resign { tx } => v(28, &[&[*tx]]),
            Mutation::RecomputeId { tx } => v(29, &[&[*tx]]),
            Mutation::ClaimedId { tx, id } => v(30, &[&[*tx], id]),
            Mutation::AddTransfer { from, to, amount, fee, valid } => {
                v(31, &[&[*from, *to], &amount.to_le_bytes(), &fee.to_le_bytes(), &[u8::from(*valid)]])
            }
            Mutation::AddPending(i) => v(32, &[&[*i]]),
            Mutation::AddConfirmed { block, tx } => v(33, &[&[*block, *tx]]),
            Mutation::AddReward { wallet, amount } => v(34, &[&[*wallet], &amount.to_le_bytes()]),
            Mutation::RemoveTx(i) => v(35, &[&[*i]]),
            Mutation::DuplicateTx(i) => v(36, &[&[*i]]),
            Mutation::SwapTx(a, b) => v(37, &[&[*a, *b]]),
        }
    }
}
