//! Transactions: signed [`Transfer`]s in the first prototype's shape, and the block [`Reward`]
//! (coinbase), with their canonical encodings, signing preimage, ids and context-free rules.
//!
//! The byte layouts are specified in `docs/PROTOCOL.md`; the functions here are the reference.

use crate::address::{Address, ADDRESS_LEN};
use crate::amount::{Amount, Height};
use crate::encoding::{DecodeError, Reader, Writer};
use crate::hash::{sha256, Hash256, TxId};
use crate::params::NetworkParams;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// The domain tag at the start of every transfer's signing preimage.
pub const TRANSFER_DOMAIN: &[u8] = b"bitcoin-rust/transfer/v1";
/// The domain tag at the start of every reward's preimage.
pub const REWARD_DOMAIN: &[u8] = b"bitcoin-rust/reward/v1";
/// The tag byte of a transfer in a block's binary encoding.
pub const TAG_TRANSFER: u8 = 0x01;
/// The tag byte of a reward in a block's binary encoding.
pub const TAG_REWARD: u8 = 0x02;
/// The largest output count the encoding can carry, whatever the network's limit.
pub const MAX_ENCODED_OUTPUTS: usize = u16::MAX as usize;
/// The longest reward data the encoding can carry (its length is a u16).
pub const MAX_ENCODED_REWARD_DATA: usize = u16::MAX as usize;

/// A 64-byte ECDSA signature `r || s` (big-endian scalars).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Signature64(#[cfg_attr(feature = "ts", ts(type = "string"))] pub [u8; 64]);

impl fmt::Debug for Signature64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature64({})", hex::encode(self.0))
    }
}

impl Serialize for Signature64 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::hash::serialize_hex(&self.0, serializer)
    }
}

impl FromStr for Signature64 {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 64];
        hex::decode_to_slice(s, &mut out).map_err(|_| "a signature is 128 hex digits (r || s)")?;
        Ok(Signature64(out))
    }
}

impl<'de> Deserialize<'de> for Signature64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(crate::hash::ParseStr::new("a string of 128 hex digits"))
    }
}

/// One output: coins credited to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TxOutput {
    /// Who is credited.
    pub address: Address,
    /// How many coins.
    pub amount: Amount,
}

/// The spending side of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferInput {
    /// When the sender signed, in ms since the Unix epoch (informational; not ordered by).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp: u64,
    /// The sender's whole balance at the parent block.
    pub amount: Amount,
    /// The sender.
    pub address: Address,
    /// The count of the sender's earlier spends in the chain.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub nonce: u64,
    /// The fee paid to the miner.
    pub fee: Amount,
    /// The sender's signature over the preimage.
    pub signature: Signature64,
}

/// A signed transfer. `id` is the claimed id; [`Transfer::compute_id`] is the true one, and
/// [`check_transfer`] refuses a transfer whose two ids differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transfer {
    /// The transaction id.
    pub id: TxId,
    /// The spending side.
    pub input: TransferInput,
    /// The credits: the change back to the sender (if any) and the recipients, in order.
    pub outputs: Vec<TxOutput>,
}

/// What a reward commits to besides its output.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Coinbase {
    /// The height of the block that carries the reward.
    pub height: Height,
    /// Free text from the miner (`POST /mine {data}`), at most `max_reward_data_bytes`.
    #[serde(default, deserialize_with = "deserialize_reward_data")]
    pub data: String,
}

/// Reads reward data from JSON, refusing text longer than the binary encoding and the id's
/// preimage can carry (the network's own limit, far lower, is a block rule: `check_reward`).
fn deserialize_reward_data<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let data = String::deserialize(deserializer)?;
    if data.len() > MAX_ENCODED_REWARD_DATA {
        return Err(serde::de::Error::custom(format!(
            "reward data is {} bytes; the encoding carries at most {MAX_ENCODED_REWARD_DATA}",
            data.len()
        )));
    }
    Ok(data)
}

/// A block reward (coinbase): pays the subsidy plus the fees of its block to the miner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reward {
    /// The transaction id.
    pub id: TxId,
    /// Height and data.
    pub coinbase: Coinbase,
    /// The payment to the miner.
    pub output: TxOutput,
}

/// A block entry, tagged as in the first prototype: `{"kind":"Normal","tx":{...}}` or
/// `{"kind":"Reward","tx":{...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tx")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Transaction {
    /// A signed transfer.
    Normal(Transfer),
    /// The block reward.
    Reward(Reward),
}

/// A transaction rule that was broken. Each variant is one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// A transfer needs at least one output.
    #[error("a transfer needs at least one output")]
    NoOutputs,
    /// Too many outputs.
    #[error("too many outputs: got {got}, the limit is {max}")]
    TooManyOutputs {
        /// Output count.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// An output of zero coins.
    #[error("output {index} has amount 0; amounts must be positive")]
    ZeroAmount {
        /// The output's position.
        index: usize,
    },
    /// The same address twice in the outputs.
    #[error("address {address} appears twice in the outputs")]
    DuplicateOutputAddress {
        /// The repeated address.
        address: Address,
    },
    /// The outputs (plus fee) overflow a 64-bit amount.
    #[error("the outputs plus fee overflow a 64-bit amount")]
    OutputSumOverflow,
    /// `sum(outputs) + fee != input.amount`.
    #[error("outputs plus fee are {outputs_plus_fee} but the input amount is {input}")]
    AmountMismatch {
        /// `input.amount`.
        input: Amount,
        /// `sum(outputs) + fee`.
        outputs_plus_fee: Amount,
    },
    /// The signature bytes are not a valid `r || s`.
    #[error("the signature is not a valid secp256k1 signature")]
    MalformedSignature,
    /// The signature's `s` is in the upper half of the group order.
    #[error("the signature is not low-S")]
    HighS,
    /// The signature does not verify against the sender's key and the preimage.
    #[error("the signature does not verify for sender {sender}")]
    BadSignature {
        /// The claimed sender.
        sender: Address,
    },
    /// The claimed id is not the hash of the content.
    #[error("transaction id {claimed} does not match its content (expected {expected})")]
    IdMismatch {
        /// What the transaction said.
        claimed: TxId,
        /// What its content hashes to.
        expected: TxId,
    },
    /// The sender's nonce is not its next one.
    #[error("nonce {got} is not the sender's next nonce {expected}")]
    BadNonce {
        /// The transfer's nonce.
        got: u64,
        /// The sender's next nonce.
        expected: u64,
    },
    /// `input.amount` is not the sender's balance.
    #[error("input amount {claimed} is not the sender's balance {balance}")]
    BalanceMismatch {
        /// `input.amount`.
        claimed: Amount,
        /// The sender's balance at the parent block.
        balance: Amount,
    },
    /// The reward's data text is too long.
    #[error("reward data is {got} bytes, the limit is {max}")]
    RewardDataTooLong {
        /// Its length.
        got: usize,
        /// The limit.
        max: usize,
    },
}

impl TxError {
    /// Returns a short machine-readable name of the rule.
    pub fn rule(&self) -> &'static str {
        match self {
            TxError::NoOutputs => "no_outputs",
            TxError::TooManyOutputs { .. } => "too_many_outputs",
            TxError::ZeroAmount { .. } => "zero_amount",
            TxError::DuplicateOutputAddress { .. } => "duplicate_output_address",
            TxError::OutputSumOverflow => "output_sum_overflow",
            TxError::AmountMismatch { .. } => "amount_mismatch",
            TxError::MalformedSignature => "malformed_signature",
            TxError::HighS => "high_s_signature",
            TxError::BadSignature { .. } => "bad_signature",
            TxError::IdMismatch { .. } => "id_mismatch",
            TxError::BadNonce { .. } => "bad_nonce",
            TxError::BalanceMismatch { .. } => "balance_mismatch",
            TxError::RewardDataTooLong { .. } => "reward_data_too_long",
        }
    }
}

fn write_outputs(w: &mut Writer, outputs: &[TxOutput]) {
    w.u16(outputs.len().min(MAX_ENCODED_OUTPUTS) as u16);
    for o in outputs.iter().take(MAX_ENCODED_OUTPUTS) {
        w.bytes(o.address.as_bytes()).u64(o.amount.0);
    }
}

fn read_address(r: &mut Reader<'_>) -> Result<Address, DecodeError> {
    Address::from_compressed(r.array::<ADDRESS_LEN>()?)
        .map_err(|e| DecodeError::Invalid { what: "address", reason: e.to_string() })
}

impl Transfer {
    /// Returns the signing preimage (see `docs/PROTOCOL.md`, "Transfer preimage").
    pub fn preimage(&self, network_id: &str) -> Vec<u8> {
        Self::preimage_of(network_id, &self.input, &self.outputs)
    }

    fn preimage_of(network_id: &str, input: &TransferInput, outputs: &[TxOutput]) -> Vec<u8> {
        let mut w = Writer::with_capacity(128 + outputs.len() * 41);
        w.short_bytes(TRANSFER_DOMAIN)
            .short_bytes(network_id.as_bytes())
            .bytes(input.address.as_bytes())
            .u64(input.nonce)
            .u64(input.timestamp)
            .u64(input.amount.0)
            .u64(input.fee.0);
        write_outputs(&mut w, outputs);
        w.into_bytes()
    }

    /// Returns the digest that is signed: SHA-256 of the preimage.
    pub fn sighash(&self, network_id: &str) -> [u8; 32] {
        sha256(&self.preimage(network_id))
    }

    /// Returns the true id: SHA-256 of the preimage followed by the 64-byte signature.
    pub fn compute_id(&self, network_id: &str) -> TxId {
        let mut data = self.preimage(network_id);
        data.extend_from_slice(&self.input.signature.0);
        TxId(Hash256::digest(&data))
    }

    /// Builds and signs a transfer; the id is computed.
    ///
    /// The caller chooses the outputs (change first by convention); [`check_transfer`] is not run.
    pub fn sign(
        network_id: &str,
        key: &SigningKey,
        nonce: u64,
        timestamp: u64,
        amount: Amount,
        fee: Amount,
        outputs: Vec<TxOutput>,
    ) -> Transfer {
        let mut input = TransferInput {
            timestamp,
            amount,
            address: Address::from_verifying_key(key.verifying_key()),
            nonce,
            fee,
            signature: Signature64([0u8; 64]),
        };
        let digest = sha256(&Self::preimage_of(network_id, &input, &outputs));
        let sig: Signature = key.sign_prehash(&digest).expect("signing a 32-byte digest with a valid key cannot fail");
        let sig = sig.normalize_s().unwrap_or(sig);
        input.signature = Signature64(sig.to_bytes().into());
        let mut t = Transfer { id: TxId::default(), input, outputs };
        t.id = t.compute_id(network_id);
        t
    }

    /// Verifies the signature: well-formed, low-S, and by the sender over the preimage.
    ///
    /// # Errors
    /// [`TxError::MalformedSignature`], [`TxError::HighS`] or [`TxError::BadSignature`].
    pub fn verify_signature(&self, network_id: &str) -> Result<(), TxError> {
        let sig = Signature::from_slice(&self.input.signature.0).map_err(|_| TxError::MalformedSignature)?;
        if sig.normalize_s().is_some() {
            return Err(TxError::HighS);
        }
        let key =
            self.input.address.verifying_key().map_err(|_| TxError::BadSignature { sender: self.input.address })?;
        if crate::ecdsa_check::verify_prehash(&key, &self.sighash(network_id), &sig) {
            Ok(())
        } else {
            Err(TxError::BadSignature { sender: self.input.address })
        }
    }

    /// Returns the sender.
    pub fn sender(&self) -> Address {
        self.input.address
    }

    /// Writes the binary body encoding (tag included).
    pub fn encode_into(&self, w: &mut Writer) {
        w.u8(TAG_TRANSFER)
            .bytes(self.input.address.as_bytes())
            .u64(self.input.nonce)
            .u64(self.input.timestamp)
            .u64(self.input.amount.0)
            .u64(self.input.fee.0);
        write_outputs(w, &self.outputs);
        w.bytes(&self.input.signature.0);
    }

    fn decode_after_tag(r: &mut Reader<'_>, params: &NetworkParams) -> Result<Transfer, DecodeError> {
        let address = read_address(r)?;
        let nonce = r.u64()?;
        let timestamp = r.u64()?;
        let amount = Amount(r.u64()?);
        let fee = Amount(r.u64()?);
        let count = r.u16()? as usize;
        if count > params.max_outputs {
            return Err(DecodeError::TooLong { what: "outputs", got: count, max: params.max_outputs });
        }
        let mut outputs = Vec::with_capacity(count);
        for _ in 0..count {
            let address = read_address(r)?;
            outputs.push(TxOutput { address, amount: Amount(r.u64()?) });
        }
        let signature = Signature64(r.array::<64>()?);
        let mut t = Transfer {
            id: TxId::default(),
            input: TransferInput { timestamp, amount, address, nonce, fee, signature },
            outputs,
        };
        t.id = t.compute_id(&params.network_id);
        Ok(t)
    }
}

impl Reward {
    /// Returns the preimage, whose SHA-256 is the id.
    pub fn preimage(&self, network_id: &str) -> Vec<u8> {
        let mut w = Writer::with_capacity(128 + self.coinbase.data.len());
        w.short_bytes(REWARD_DOMAIN)
            .short_bytes(network_id.as_bytes())
            .u64(self.coinbase.height.0)
            .bytes(self.output.address.as_bytes())
            .u64(self.output.amount.0)
            .var_bytes(self.coinbase.data.as_bytes());
        w.into_bytes()
    }

    /// Returns the true id.
    pub fn compute_id(&self, network_id: &str) -> TxId {
        TxId(Hash256::digest(&self.preimage(network_id)))
    }

    /// Builds a reward with its id computed. `data` longer than the encoding allows is cut at
    /// a character boundary; [`check_reward`] enforces the network's smaller limit.
    pub fn new(network_id: &str, height: Height, miner: Address, amount: Amount, data: String) -> Reward {
        let mut data = data;
        while data.len() > MAX_ENCODED_REWARD_DATA {
            data.pop();
        }
        let mut r = Reward {
            id: TxId::default(),
            coinbase: Coinbase { height, data },
            output: TxOutput { address: miner, amount },
        };
        r.id = r.compute_id(network_id);
        r
    }

    /// Writes the binary body encoding (tag included).
    pub fn encode_into(&self, w: &mut Writer) {
        w.u8(TAG_REWARD)
            .u64(self.coinbase.height.0)
            .bytes(self.output.address.as_bytes())
            .u64(self.output.amount.0)
            .var_bytes(self.coinbase.data.as_bytes());
    }

    fn decode_after_tag(r: &mut Reader<'_>, params: &NetworkParams) -> Result<Reward, DecodeError> {
        let height = Height(r.u64()?);
        let address = read_address(r)?;
        let amount = Amount(r.u64()?);
        let data = r.var_bytes("reward data", params.max_reward_data_bytes)?;
        let data = String::from_utf8(data.to_vec())
            .map_err(|_| DecodeError::Invalid { what: "reward data", reason: "not UTF-8".to_string() })?;
        let mut reward =
            Reward { id: TxId::default(), coinbase: Coinbase { height, data }, output: TxOutput { address, amount } };
        reward.id = reward.compute_id(&params.network_id);
        Ok(reward)
    }
}

impl Transaction {
    /// Returns the claimed id.
    pub fn id(&self) -> TxId {
        match self {
            Transaction::Normal(t) => t.id,
            Transaction::Reward(r) => r.id,
        }
    }

    /// Returns the true id of the content.
    pub fn compute_id(&self, network_id: &str) -> TxId {
        match self {
            Transaction::Normal(t) => t.compute_id(network_id),
            Transaction::Reward(r) => r.compute_id(network_id),
        }
    }

    /// Writes the binary body encoding.
    pub fn encode_into(&self, w: &mut Writer) {
        match self {
            Transaction::Normal(t) => t.encode_into(w),
            Transaction::Reward(r) => r.encode_into(w),
        }
    }

    /// Returns the binary body encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode_into(&mut w);
        w.into_bytes()
    }

    /// Returns the size of the binary encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Transaction::Normal(t) => 1 + 33 + 32 + 2 + 41 * t.outputs.len() + 64,
            Transaction::Reward(r) => reward_encoded_len(r.coinbase.data.len()),
        }
    }

    /// Reads one transaction; ids are computed, not read.
    ///
    /// # Errors
    /// [`DecodeError`] for truncated or invalid bytes.
    pub fn decode_from(r: &mut Reader<'_>, params: &NetworkParams) -> Result<Transaction, DecodeError> {
        match r.u8()? {
            TAG_TRANSFER => Ok(Transaction::Normal(Transfer::decode_after_tag(r, params)?)),
            TAG_REWARD => Ok(Transaction::Reward(Reward::decode_after_tag(r, params)?)),
            tag => Err(DecodeError::UnknownTag { what: "transaction", tag }),
        }
    }

    /// Decodes a whole byte string as one transaction.
    ///
    /// # Errors
    /// [`DecodeError`], including trailing bytes.
    pub fn decode(bytes: &[u8], params: &NetworkParams) -> Result<Transaction, DecodeError> {
        let mut r = Reader::new(bytes);
        let tx = Self::decode_from(&mut r, params)?;
        r.finish()?;
        Ok(tx)
    }

    /// Returns every address this transaction credits, with amounts.
    pub fn outputs(&self) -> &[TxOutput] {
        match self {
            Transaction::Normal(t) => &t.outputs,
            Transaction::Reward(r) => std::slice::from_ref(&r.output),
        }
    }
}

/// Returns the size of a reward's binary encoding when it carries `data_len` bytes of data.
pub const fn reward_encoded_len(data_len: usize) -> usize {
    1 + 8 + ADDRESS_LEN + 8 + 2 + data_len
}

/// Checks the structural rules of a transfer: outputs, amounts, arithmetic, id, and (when
/// `verify_signature`) the signature. State rules (nonce, balance) are in [`crate::state`].
///
/// # Errors
/// The first broken rule.
pub fn check_transfer(t: &Transfer, params: &NetworkParams, verify_signature: bool) -> Result<(), TxError> {
    if t.outputs.is_empty() {
        return Err(TxError::NoOutputs);
    }
    if t.outputs.len() > params.max_outputs {
        return Err(TxError::TooManyOutputs { got: t.outputs.len(), max: params.max_outputs });
    }
    let mut seen = HashSet::with_capacity(t.outputs.len());
    for (index, o) in t.outputs.iter().enumerate() {
        if o.amount == Amount::ZERO {
            return Err(TxError::ZeroAmount { index });
        }
        if !seen.insert(o.address) {
            return Err(TxError::DuplicateOutputAddress { address: o.address });
        }
    }
    let outputs_plus_fee = Amount::checked_sum(t.outputs.iter().map(|o| o.amount))
        .and_then(|s| s.checked_add(t.input.fee))
        .ok_or(TxError::OutputSumOverflow)?;
    if outputs_plus_fee != t.input.amount {
        return Err(TxError::AmountMismatch { input: t.input.amount, outputs_plus_fee });
    }
    let expected = t.compute_id(&params.network_id);
    if expected != t.id {
        return Err(TxError::IdMismatch { claimed: t.id, expected });
    }
    if verify_signature {
        t.verify_signature(&params.network_id)?;
    }
    Ok(())
}

/// A transfer that passed [`check_transfer`] with its signature: the only way to make one is
/// [`CheckedTransfer::check`], so holding one proves the stateless rules were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTransfer(Transfer);

impl CheckedTransfer {
    /// Checks every stateless rule, the signature included.
    ///
    /// # Errors
    /// The first broken rule.
    pub fn check(t: Transfer, params: &NetworkParams) -> Result<CheckedTransfer, TxError> {
        check_transfer(&t, params, true)?;
        Ok(CheckedTransfer(t))
    }

    /// Wraps a transfer taken from a block that passed validation (its rules were checked then).
    pub(crate) fn from_valid_block(t: Transfer) -> CheckedTransfer {
        CheckedTransfer(t)
    }

    /// Returns the transfer.
    pub fn transfer(&self) -> &Transfer {
        &self.0
    }

    /// Returns the transfer, giving up the proof.
    pub fn into_inner(self) -> Transfer {
        self.0
    }
}

/// Checks the structural rules of a reward: its id and the size of its data. The amount and
/// height are checked against the block in [`crate::validation`] and [`crate::state`].
///
/// # Errors
/// The first broken rule.
pub fn check_reward(r: &Reward, params: &NetworkParams) -> Result<(), TxError> {
    if r.coinbase.data.len() > params.max_reward_data_bytes {
        return Err(TxError::RewardDataTooLong { got: r.coinbase.data.len(), max: params.max_reward_data_bytes });
    }
    let expected = r.compute_id(&params.network_id);
    if expected != r.id {
        return Err(TxError::IdMismatch { claimed: r.id, expected });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use k256::elliptic_curve::ops::Neg;

    pub(crate) fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).expect("valid test key")
    }

    pub(crate) fn addr(seed: u8) -> Address {
        Address::from_verifying_key(key(seed).verifying_key())
    }

    fn params() -> NetworkParams {
        NetworkParams::default()
    }

    fn valid() -> Transfer {
        Transfer::sign(
            &params().network_id,
            &key(1),
            0,
            1_000,
            Amount(50),
            Amount(2),
            vec![TxOutput { address: addr(1), amount: Amount(38) }, TxOutput { address: addr(2), amount: Amount(10) }],
        )
    }

    #[test]
    fn a_signed_transfer_is_valid() {
        check_transfer(&valid(), &params(), true).unwrap();
    }

    #[test]
    fn binary_and_json_round_trip() {
        let tx = Transaction::Normal(valid());
        let bytes = tx.encode();
        assert_eq!(bytes.len(), tx.encoded_len());
        assert_eq!(Transaction::decode(&bytes, &params()).unwrap(), tx);
        let json = serde_json::to_string(&tx).unwrap();
        assert!(json.starts_with("{\"kind\":\"Normal\",\"tx\":{\"id\":"));
        assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), tx);
        let reward = Transaction::Reward(Reward::new("n", Height(3), addr(1), Amount(50), "hi".into()));
        let bytes = reward.encode();
        assert_eq!(bytes.len(), reward.encoded_len());
        let p = NetworkParams { network_id: "n".into(), ..params() };
        assert_eq!(Transaction::decode(&bytes, &p).unwrap(), reward);
    }

    #[test]
    fn changing_anything_after_signing_breaks_the_signature() {
        let p = params();
        let mut t = valid();
        t.outputs[1].amount = Amount(11);
        t.outputs[0].amount = Amount(37);
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::BadSignature { sender: addr(1) }));

        let mut t = valid();
        t.input.fee = Amount(3);
        t.input.amount = Amount(51);
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::BadSignature { sender: addr(1) }));

        let mut t = valid();
        t.outputs[1].address = addr(3);
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::BadSignature { sender: addr(1) }));

        let mut t = valid();
        t.input.nonce = 1;
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::BadSignature { sender: addr(1) }));
    }

    #[test]
    fn a_signature_from_another_network_does_not_verify() {
        let t = valid();
        let other = NetworkParams { network_id: "other".into(), ..params() };
        let mut t2 = t.clone();
        t2.id = t2.compute_id(&other.network_id);
        assert_eq!(check_transfer(&t2, &other, true), Err(TxError::BadSignature { sender: addr(1) }));
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        let p = params();
        let mut t = valid();
        let forged = Transfer::sign(&p.network_id, &key(9), 0, 1_000, Amount(50), Amount(2), t.outputs.clone());
        t.input.signature = forged.input.signature;
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::BadSignature { sender: addr(1) }));
    }

    #[test]
    fn high_s_and_malformed_signatures_are_refused() {
        let p = params();
        let mut t = valid();
        let sig = Signature::from_slice(&t.input.signature.0).unwrap();
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, s.as_ref().neg()).unwrap();
        t.input.signature = Signature64(high.to_bytes().into());
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::HighS));

        let mut t = valid();
        t.input.signature = Signature64([0u8; 64]);
        t.id = t.compute_id(&p.network_id);
        assert_eq!(check_transfer(&t, &p, true), Err(TxError::MalformedSignature));
    }

    #[test]
    fn structural_rules_each_refuse() {
        let p = params();
        let n = &p.network_id;
        let k = key(1);
        let o = |s, a| TxOutput { address: addr(s), amount: Amount(a) };
        let sign = |amount, fee, outs| Transfer::sign(n, &k, 0, 0, Amount(amount), Amount(fee), outs);
        assert_eq!(check_transfer(&sign(5, 5, vec![]), &p, true), Err(TxError::NoOutputs));
        assert_eq!(
            check_transfer(&sign(5, 0, vec![o(2, 5), o(3, 0)]), &p, true),
            Err(TxError::ZeroAmount { index: 1 })
        );
        assert_eq!(
            check_transfer(&sign(10, 0, vec![o(2, 5), o(2, 5)]), &p, true),
            Err(TxError::DuplicateOutputAddress { address: addr(2) })
        );
        assert_eq!(
            check_transfer(&sign(3, 0, vec![o(2, u64::MAX), o(3, 4)]), &p, true),
            Err(TxError::OutputSumOverflow)
        );
        assert_eq!(check_transfer(&sign(u64::MAX, 1, vec![o(2, u64::MAX)]), &p, true), Err(TxError::OutputSumOverflow));
        assert_eq!(
            check_transfer(&sign(10, 1, vec![o(2, 5)]), &p, true),
            Err(TxError::AmountMismatch { input: Amount(10), outputs_plus_fee: Amount(6) })
        );
        let many: Vec<TxOutput> = (0..=p.max_outputs as u64)
            .map(|i| {
                let k = SigningKey::from_slice(&[
                    (i % 200 + 20) as u8,
                    (i / 200 + 1) as u8,
                    3,
                    4,
                    5,
                    6,
                    7,
                    8,
                    9,
                    10,
                    11,
                    12,
                    13,
                    14,
                    15,
                    16,
                    17,
                    18,
                    19,
                    20,
                    21,
                    22,
                    23,
                    24,
                    25,
                    26,
                    27,
                    28,
                    29,
                    30,
                    31,
                    32,
                ])
                .unwrap();
                TxOutput { address: Address::from_verifying_key(k.verifying_key()), amount: Amount(1) }
            })
            .collect();
        let count = many.len();
        assert_eq!(
            check_transfer(&sign(count as u64, 0, many), &p, true),
            Err(TxError::TooManyOutputs { got: count, max: p.max_outputs })
        );
        let mut t = valid();
        t.id = TxId(Hash256::digest(b"other"));
        assert!(matches!(check_transfer(&t, &p, true), Err(TxError::IdMismatch { .. })));
    }

    #[test]
    fn reward_rules() {
        let p = params();
        let r = Reward::new(&p.network_id, Height(1), addr(1), Amount(50), "x".repeat(p.max_reward_data_bytes));
        check_reward(&r, &p).unwrap();
        let r = Reward::new(&p.network_id, Height(1), addr(1), Amount(50), "x".repeat(p.max_reward_data_bytes + 1));
        assert!(matches!(check_reward(&r, &p), Err(TxError::RewardDataTooLong { .. })));
        // Rewards at different heights never share an id.
        let a = Reward::new(&p.network_id, Height(1), addr(1), Amount(50), String::new());
        let b = Reward::new(&p.network_id, Height(2), addr(1), Amount(50), String::new());
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn ids_are_deterministic() {
        assert_eq!(valid().id, valid().id);
    }
}
