//! The typed answers of the HTTP API (`api.rs`, `dev_api.rs`): one struct or enum per JSON
//! answer the node builds itself, so that the handler, the OpenAPI document (`openapi.rs`, which
//! derives their schemas with utoipa) and the dashboard's TypeScript types
//! (`frontend/src/generated/`, ts-rs, feature `ts`) are written from the same definition and
//! cannot drift apart.
//!
//! Answers the protocol core already types (a block, a transfer, an inclusion proof) are sent as
//! they are and keep their hand-written schemas in `openapi.rs`: the core does not depend on
//! utoipa. Fields of core types name those schemas with `value_type = doc::Name` (utoipa only
//! takes the last segment as the schema's name; `openapi::finish_json` drops the `doc.` prefix).
//!
//! [`sorted`] writes an answer the way the `json!` values it replaces were written: keys sorted
//! at every level (through a [`serde_json::Value`], whose maps are sorted), byte for byte.

use crate::api_error::ApiError;
use actix_web::HttpResponse;
use actix_web::HttpResponseBuilder;
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::block::BlockJson;
use bitcoin_rust_core::chain::read;
use bitcoin_rust_core::chain::TipStatus;
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::seen::{self, SeenFrom};
use bitcoin_rust_core::transaction::{Transaction, Transfer};
use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Ref, Schema, SchemaType};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// Writes `answer` as the body of `builder` with its keys sorted at every level, as a
/// `json!` value was written.
///
/// # Errors
/// [`ApiError::internal`] if the answer does not serialise (it always does: no maps with
/// non-string keys, no failing `Serialize`).
pub fn sorted<T: Serialize>(mut builder: HttpResponseBuilder, answer: &T) -> Result<HttpResponse, ApiError> {
    let value = serde_json::to_value(answer).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(builder.json(value))
}

// ---- Hand-written pieces of schemas ----
//
// utoipa 4 writes an optional reference as `allOf: [$ref], nullable: true`, which OpenAPI 3.0.3
// leaves undefined (`nullable` has no effect without `type`); the document has always said
// "this schema, or null" with `anyOf`, which schemathesis reads as meant. A `bool` cannot say
// it is always `true` (or `false`) either.

/// `anyOf: [$ref name, null]`, with `description`.
fn nullable_ref(name: &str, description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::AnyOf(
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(name))
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Object)
                    .nullable(true)
                    .enum_values(Some([serde_json::Value::Null]))
                    .build(),
            )
            .description(Some(description))
            .build(),
    ))
}

fn tx_first_seen_schema() -> RefOr<Schema> {
    nullable_ref("FirstSeen", "When and from where this node first saw the transfer (alone or inside a block); null when it is older than the 16,384 most recent.")
}

fn block_first_seen_schema() -> RefOr<Schema> {
    nullable_ref("FirstSeen", "When and from where this node first saw the block; null for genesis and for blocks older than the 4,096 most recent it saw.")
}

fn pending_transfer_schema() -> RefOr<Schema> {
    nullable_ref("Transfer", "The address's pending transfer in the mempool, or null.")
}

/// A boolean that is always `value`.
fn constant_bool(value: bool) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Boolean).enum_values(Some([value]))
}

fn always_true() -> ObjectBuilder {
    constant_bool(true)
}

fn always_false() -> ObjectBuilder {
    constant_bool(false)
}

/// The mining backends' names (a `&'static str` in [`Status`] and
/// [`crate::miner_actor::MiningStatus`]), described as `description`.
fn backend_names(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::String)
        .description(Some(description))
        .enum_values(Some(["avx512", "avx2", "sha-ni", "portable"]))
}

fn pow_backend_schema() -> ObjectBuilder {
    backend_names("The SHA-256 implementation the miner runs.")
}

/// `MiningStatus.backend`: `schema_with` replaces the field's doc comment, so it is repeated here.
pub(crate) fn mining_backend_schema() -> ObjectBuilder {
    backend_names("The SHA-256 implementation the mining threads run: the fastest the CPU has unless `mining.backend` says otherwise.")
}

// ---- Constant tags ----

/// The status of a transfer waiting in the mempool.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum PendingTag {
    /// In the mempool.
    Pending,
}

/// The status of a transaction of the best chain.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConfirmedTag {
    /// In a block of the best chain.
    Confirmed,
}

/// The status `GET /healthz` answers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum HealthTag {
    /// Alive.
    Ok,
}

/// The status `POST /peers` answers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConnectingTag {
    /// Dialling.
    Connecting,
}

// ---- GET /status, GET /healthz ----

/// A summary of the node. `address` is the miner's (wallet) address.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Status {
    /// The network's id.
    #[schema(example = "bitcoin-rust-devnet")]
    pub network: String,
    /// The genesis hash.
    #[schema(value_type = doc::Hash)]
    pub genesis: BlockHash,
    /// The tip's height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// The tip's hash.
    #[schema(value_type = doc::Hash)]
    pub tip: BlockHash,
    /// The tip's timestamp, ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tip_timestamp: u64,
    /// The next block's difficulty as leading zero hex digits (6 decimals).
    pub difficulty: f64,
    /// The next block's compact target.
    #[schema(value_type = u64, maximum = 4294967295)]
    pub bits: u32,
    /// The next block's target, 64 hex digits.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub target: String,
    /// Cumulative work of the best chain, a decimal integer string (it exceeds 64 bits).
    #[schema(pattern = "^[0-9]+$")]
    pub total_work: String,
    /// Median time past of the tip, ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub median_time_past: u64,
    /// Target block interval, ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mine_rate_ms: u64,
    /// Pending transfers.
    #[schema(value_type = u64)]
    pub mempool: usize,
    /// Their encoded size, bytes.
    #[schema(value_type = u64)]
    pub mempool_bytes: usize,
    /// Connected peers.
    #[schema(value_type = u64)]
    pub peers: usize,
    /// Continuous mining is on.
    pub mining: bool,
    /// Hashes per second.
    #[schema(minimum = 0)]
    pub hashrate: f64,
    /// The SHA-256 implementation the miner runs.
    #[schema(schema_with = pow_backend_schema)]
    pub pow_backend: &'static str,
    /// A peer claims a higher chain than ours.
    pub syncing: bool,
    /// The highest height a connected peer claims (0 without peers).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub best_peer_height: u64,
    /// Blocks held while their parent is unknown.
    #[schema(value_type = u64)]
    pub orphans: usize,
    /// While the node is isolated by `POST /dev/isolate`: when the isolation ends (Unix ms); null otherwise.
    #[schema(required = true)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub isolated_until_ms: Option<u64>,
    /// This node's P2P id (its compressed public key, 66 hex digits).
    pub node_id: String,
    /// The P2P URL this node advertises.
    pub p2p_url: String,
    /// The miner's (wallet) address.
    #[schema(value_type = doc::Address)]
    pub address: Address,
    /// Seconds since the node started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_s: u64,
    /// Software version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// Dev-chain settings.
    #[schema(inline)]
    pub dev: DevStatus,
}

/// Dev-chain settings (`[dev]`, README "Dev chain"): which `/dev/*` calls answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DevStatus {
    /// `POST /dev/mine` answers.
    pub enabled: bool,
    /// A block is mined as soon as a transfer enters the pool.
    pub mine_on_transaction: bool,
    /// A block is mined every this many ms; 0: off.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_interval_ms: u64,
    /// `POST /dev/faucet` answers.
    pub faucet: bool,
    /// The most one faucet call pays.
    #[schema(minimum = 1)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub faucet_max_amount: u64,
    /// The network never retargets (PROTOCOL.md §4.5).
    pub fixed_difficulty: bool,
}

/// Alive: the chain actor answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"status": "ok", "height": 2}))]
pub struct Health {
    /// Always `ok`.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub status: HealthTag,
    /// The tip's height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
}

// ---- Wallet and addresses ----

/// The node wallet's address.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"public_key": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"}))]
pub struct PublicKey {
    /// The wallet's address.
    #[schema(value_type = doc::Address)]
    pub public_key: Address,
}

/// An address's balance and nonce at the tip.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "balance": 39, "nonce": 1}))]
pub struct Balance {
    /// The address.
    #[schema(value_type = doc::Address)]
    pub address: Address,
    /// Balance at the tip, whole coins.
    #[schema(value_type = u64)]
    pub balance: Amount,
    /// Transfers the address has made in the best chain (the nonce its next transfer must carry).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub nonce: u64,
}

/// A transaction of the best chain involving an address.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// The transaction.
    #[schema(value_type = doc::TransactionEntry)]
    pub transaction: Transaction,
    /// Its block's height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// Its block's hash.
    #[schema(value_type = doc::Hash)]
    pub block_hash: BlockHash,
    /// Its block's timestamp, ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp: u64,
    /// Coins the address received in it (its change included).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: u64,
    /// Coins the address spent in it: the whole input amount when it is the sender, else 0.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub spent: u64,
}

impl From<read::HistoryEntry> for HistoryEntry {
    fn from(e: read::HistoryEntry) -> Self {
        HistoryEntry {
            transaction: e.transaction,
            height: e.height,
            block_hash: e.block_hash,
            timestamp: e.timestamp,
            received: e.received,
            spent: e.spent,
        }
    }
}

/// An address's balance, pending transfer and history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddressInfo {
    /// The address.
    #[schema(value_type = doc::Address)]
    pub address: Address,
    /// Balance at the tip.
    #[schema(value_type = u64)]
    pub balance: Amount,
    /// Transfers made in the best chain.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub nonce: u64,
    /// The address's pending transfer in the mempool, or null.
    #[schema(schema_with = pending_transfer_schema, required = true)]
    pub pending: Option<Transfer>,
    /// Newest first, at most `limit`, from blocks below `before`.
    pub history: Vec<HistoryEntry>,
    /// `before` for the next (older) page; null when no older block remains.
    #[schema(required = true)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub next_before: Option<u64>,
}

// ---- Transactions ----

/// When and from where this node first saw a block or transfer: its own miner or wallet (`self`), the HTTP API (`http`), or a peer (`peer`, with the peer's node id; for a transfer first seen inside a block, the peer that sent the block). Node policy, not consensus: kept for the 4,096 most recent blocks and 16,384 most recent transfers, lost at a restart. `at_ms` is this node's clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"at_ms": 1764680000123u64, "source": "peer", "peer": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"}))]
pub struct FirstSeen {
    /// Unix milliseconds on this node's clock.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: u64,
    /// From where.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub source: SeenSource,
    /// The sending peer's node id (its compressed public key, 66 hex digits) when `source` is `peer`; null otherwise.
    #[schema(value_type = Option<String>, pattern = "^[0-9a-f]{66}$", required = true)]
    pub peer: Option<NodeId>,
}

/// Where a first sighting came from.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SeenSource {
    /// This node's miner or wallet.
    #[serde(rename = "self")]
    SelfNode,
    /// The HTTP API.
    Http,
    /// A peer.
    Peer,
}

impl From<seen::FirstSeen> for FirstSeen {
    fn from(s: seen::FirstSeen) -> Self {
        let source = match s.from {
            SeenFrom::SelfNode => SeenSource::SelfNode,
            SeenFrom::Http => SeenSource::Http,
            SeenFrom::Peer(_) => SeenSource::Peer,
        };
        FirstSeen { at_ms: s.at_ms, source, peer: s.from.peer() }
    }
}

/// A transfer waiting in the mempool.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingTransaction {
    /// Always `pending`.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub status: PendingTag,
    /// Always 0.
    #[schema(maximum = 0)]
    #[cfg_attr(feature = "ts", ts(type = "0"))]
    pub confirmations: u64,
    /// The transfer, tagged (`kind` is always `Normal`).
    #[schema(value_type = doc::NormalEntry)]
    pub transaction: Transaction,
    /// When and from where this node first saw the transfer.
    #[schema(schema_with = tx_first_seen_schema, required = true)]
    pub first_seen: Option<FirstSeen>,
}

/// A transaction of the best chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConfirmedTransaction {
    /// Always `confirmed`.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub status: ConfirmedTag,
    /// Blocks from its block to the tip, its block included (at least 1).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub confirmations: u64,
    /// Its block's hash.
    #[schema(value_type = doc::Hash)]
    pub block_hash: BlockHash,
    /// Its block's height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_number: u64,
    /// Its position in the block (0 is the reward).
    #[schema(value_type = u64, maximum = 4294967295)]
    pub index: u32,
    /// The transaction, tagged.
    #[schema(value_type = doc::TransactionEntry)]
    pub transaction: Transaction,
    /// When and from where this node first saw the transfer.
    #[schema(schema_with = tx_first_seen_schema, required = true)]
    pub first_seen: Option<FirstSeen>,
}

impl ConfirmedTransaction {
    /// Returns the answer for a confirmed transaction and its first sighting.
    pub fn new(c: read::ConfirmedTx, first_seen: Option<seen::FirstSeen>) -> Self {
        ConfirmedTransaction {
            status: ConfirmedTag::Confirmed,
            confirmations: c.confirmations,
            block_hash: c.block_hash,
            block_number: c.height,
            index: c.index,
            transaction: c.transaction,
            first_seen: first_seen.map(FirstSeen::from),
        }
    }
}

/// A transaction found in the mempool (`pending`) or on the best chain (`confirmed`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum TransactionLookup {
    /// In the mempool.
    Pending(PendingTransaction),
    /// On the best chain.
    Confirmed(ConfirmedTransaction),
}

/// A transfer accepted into the mempool.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"replaced": null, "status": "pending", "transaction": {"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 50, "fee": 1, "nonce": 0, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302", "timestamp": 1700000005000u64}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]}}))]
pub struct SubmittedTransfer {
    /// Always `pending`.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub status: PendingTag,
    /// The transfer.
    #[schema(value_type = doc::Transfer)]
    pub transaction: Transfer,
    /// The id of the sender's previous pending transfer this one replaced (it paid a lower fee), or null.
    #[schema(value_type = Option<String>, pattern = "^[0-9a-fA-F]{64}$", required = true)]
    pub replaced: Option<TxId>,
}

// ---- Blocks and tips ----

/// Where a block stands: on the best chain (`active`); stored on a side branch, having passed every check made before storing (proof of work, body, header against its parent, signatures; the state rules apply if its branch becomes the heaviest) (`valid-fork`); found invalid when its branch was connected, or descending from such a block (`invalid`); held because its parent is unknown (`unknown-parent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum BlockStatus {
    /// On the best chain.
    Active,
    /// On a stored, valid side branch.
    ValidFork,
    /// Found invalid, or descending from an invalid block.
    Invalid,
    /// Held for a missing parent.
    UnknownParent,
}

impl BlockStatus {
    /// Returns the status named `name` (`active`, `valid-fork`, `invalid`, `unknown-parent`),
    /// or `None` for any other name.
    pub fn from_name(name: &str) -> Option<BlockStatus> {
        match name {
            "active" => Some(BlockStatus::Active),
            "valid-fork" => Some(BlockStatus::ValidFork),
            "invalid" => Some(BlockStatus::Invalid),
            "unknown-parent" => Some(BlockStatus::UnknownParent),
            _ => None,
        }
    }
}

/// A block's JSON (all the fields of Block, flattened) plus where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"bits": 520159232, "block_number": 2, "confirmations": 1, "data": [{"kind": "Reward", "tx": {"coinbase": {"data": "", "height": 2}, "id": "70b87f2975c20175ad883ae7ad2137a720e8f430bfb509dd4b52c9e89012a5ce", "output": {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 51}}}, {"kind": "Normal", "tx": {"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 50, "fee": 1, "nonce": 0, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302", "timestamp": 1700000005000u64}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]}}], "difficulty": 4.0, "fees": 1, "first_seen": {"at_ms": 1700000008120u64, "peer": null, "source": "self"}, "hash": "0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea", "in_best_chain": true, "invalid_rule": null, "last_hash": "0000721190dd66b0e8853f138072b644d996a3614308c7e63de75b8cf737a32d", "merkle_root": "abd90549d83e438d05597c20fc9fb61e0e061bee814f2ddd898bed3834ee79ed", "next_hash": null, "nonce": 3388, "size": 366, "status": "active", "subsidy": 50, "target": "0001000000000000000000000000000000000000000000000000000000000000", "timestamp": 1700000008000u64, "version": 1}))]
pub struct BlockView {
    /// The block.
    #[serde(flatten)]
    #[schema(value_type = doc::Block)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub block: BlockJson,
    /// Blocks on the best chain from this one to the tip, itself included; 0 if not on the best chain.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub confirmations: u64,
    /// True if the block is on the best chain.
    pub in_best_chain: bool,
    /// The next block on the best chain; null at the tip or off the best chain.
    #[schema(value_type = Option<String>, pattern = "^[0-9a-fA-F]{64}$", required = true)]
    pub next_hash: Option<BlockHash>,
    /// The subsidy part of the reward at this height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub subsidy: u64,
    /// The sum of the fees of the block's transfers.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub fees: u64,
    /// Size of the block's binary encoding, bytes.
    #[schema(value_type = u64)]
    pub size: usize,
    /// Where the block stands.
    #[schema(inline)]
    pub status: BlockStatus,
    /// For an `invalid` block: the rule it broke (PROTOCOL.md §5.6), `invalid_ancestor` when an ancestor broke one, or `unrecorded` for a block marked invalid by an older version; null otherwise.
    #[schema(required = true, example = json!(null))]
    pub invalid_rule: Option<String>,
    /// When and from where this node first saw the block.
    #[schema(schema_with = block_first_seen_schema, required = true)]
    pub first_seen: Option<FirstSeen>,
}

impl BlockView {
    /// Returns the answer for the core's view of a block.
    ///
    /// # Errors
    /// [`ApiError::internal`] if the view's status is not one of the four the API names.
    pub fn new(v: read::BlockView) -> Result<Self, ApiError> {
        let status = BlockStatus::from_name(v.status)
            .ok_or_else(|| ApiError::internal(format!("unknown block status {}", v.status)))?;
        Ok(BlockView {
            block: BlockJson::from(&v.block),
            confirmations: v.confirmations,
            in_best_chain: v.in_best_chain,
            next_hash: v.next_hash,
            subsidy: v.subsidy,
            fees: v.fees,
            size: v.size,
            status,
            invalid_rule: v.invalid_rule,
            first_seen: v.first_seen.map(FirstSeen::from),
        })
    }
}

/// `active`: the best chain's tip (exactly one, equal to `/status.tip`); `valid-fork`: the tip of a stored side branch whose blocks passed every check made before storing; `invalid`: the tip of a branch found invalid when connected; `unknown-parent`: the newest of a run of blocks held for a missing parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum TipState {
    /// The best chain's tip.
    Active,
    /// The tip of a stored, valid side branch.
    ValidFork,
    /// The tip of a branch found invalid.
    Invalid,
    /// The newest block of a run of orphans.
    UnknownParent,
}

/// One tip of the block tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChainTip {
    /// The tip's hash.
    #[schema(value_type = doc::Hash)]
    pub hash: BlockHash,
    /// Its height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// Blocks of the branch off the best chain (0 for the active tip; for an `unknown-parent` run, the blocks held).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub branch_length: u64,
    /// `height - branch_length`: the height of the last block the branch shares with the best chain (for an `unknown-parent` run, the height of the missing parent).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub fork_height: u64,
    /// Where the tip stands.
    #[schema(inline)]
    pub status: TipState,
    /// For `invalid`: the rule the tip broke, or `invalid_ancestor`.
    #[schema(required = true)]
    pub invalid_rule: Option<String>,
}

impl From<&bitcoin_rust_core::chain::ChainTip> for ChainTip {
    fn from(t: &bitcoin_rust_core::chain::ChainTip) -> Self {
        let (status, invalid_rule) = match &t.status {
            TipStatus::Active => (TipState::Active, None),
            TipStatus::ValidFork => (TipState::ValidFork, None),
            TipStatus::Invalid(why) => (TipState::Invalid, Some(why.rule().to_string())),
            TipStatus::UnknownParent => (TipState::UnknownParent, None),
        };
        ChainTip {
            hash: t.hash,
            height: t.height.0,
            branch_length: t.branch_length,
            fork_height: t.fork_height.0,
            status,
            invalid_rule,
        }
    }
}

/// Every tip of the block tree.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"tips": [{"hash": "0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea", "height": 2, "branch_length": 0, "fork_height": 2, "status": "active", "invalid_rule": null}, {"hash": "00009a1bd3e36b1f1e1b8f8e3f47d0f3b0b2b6b4f5b9d0f52a1c8f4e2d7c6b5a", "height": 2, "branch_length": 1, "fork_height": 1, "status": "valid-fork", "invalid_rule": null}], "truncated": false}))]
pub struct ChainTips {
    /// The active tip first, then by height, highest first (ties by hash); at most 1,000.
    pub tips: Vec<ChainTip>,
    /// True when more tips exist than were listed.
    pub truncated: bool,
}

impl From<&bitcoin_rust_core::chain::ChainTips> for ChainTips {
    fn from(t: &bitcoin_rust_core::chain::ChainTips) -> Self {
        ChainTips { tips: t.tips.iter().map(ChainTip::from).collect(), truncated: t.truncated }
    }
}

// ---- Mining ----

/// What `/startmining` says.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StartMessage {
    /// Mining was off and is now on.
    #[serde(rename = "Started Mining.")]
    Started,
    /// Mining was already on.
    #[serde(rename = "Mining already running.")]
    AlreadyRunning,
}

/// What `/stopmining` says.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StopMessage {
    /// Mining was on and is now off.
    #[serde(rename = "Stopped mining.")]
    Stopped,
    /// Mining was already off.
    #[serde(rename = "Mining was not running.")]
    NotRunning,
}

/// Mining is on (`/startmining`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"running": true, "message": "Started Mining."}))]
pub struct StartMiningResult {
    /// Always true.
    #[schema(schema_with = always_true)]
    #[cfg_attr(feature = "ts", ts(type = "true"))]
    pub running: bool,
    /// Whether it was on already.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub message: StartMessage,
}

/// Mining is off (`/stopmining`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"running": false, "message": "Stopped mining."}))]
pub struct StopMiningResult {
    /// Always false.
    #[schema(schema_with = always_false)]
    #[cfg_attr(feature = "ts", ts(type = "false"))]
    pub running: bool,
    /// Whether it was on.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub message: StopMessage,
}

// ---- Peers ----

/// A peer being dialled (`POST /peers`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"url": "ws://127.0.0.1:5002", "status": "connecting"}))]
pub struct PeerConnecting {
    /// The URL as sent.
    pub url: String,
    /// Always `connecting`.
    #[schema(inline)]
    #[cfg_attr(feature = "ts", ts(inline))]
    pub status: ConnectingTag,
}

// ---- Dev chain ----

/// One block `POST /dev/mine` mined.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DevMinedBlock {
    /// Its height.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// Its hash.
    #[schema(value_type = doc::Hash)]
    pub hash: BlockHash,
    /// Transactions in the block, the reward included.
    #[schema(value_type = u64)]
    pub transactions: usize,
}

/// The blocks `POST /dev/mine` mined.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"mined": 1, "height": 21, "tip": "0833e9c05cf61a2815bf521ca432bc75ba0e3f0354382dfa4a5b0a61b4882d10", "blocks": [{"height": 21, "hash": "0833e9c05cf61a2815bf521ca432bc75ba0e3f0354382dfa4a5b0a61b4882d10", "transactions": 1}]}))]
pub struct DevMined {
    /// Blocks mined by this call.
    #[schema(value_type = u64)]
    pub mined: usize,
    /// Height of the last one.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub height: u64,
    /// Hash of the last one.
    #[schema(value_type = doc::Hash)]
    pub tip: BlockHash,
    /// The blocks, in the order mined.
    #[schema(inline)]
    pub blocks: Vec<DevMinedBlock>,
}

/// The isolation state after `POST /dev/isolate`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[schema(example = json!({"isolated_until_ms": 1764680030000u64, "seconds": 30, "dropped_peers": 2}))]
pub struct Isolation {
    /// When the isolation ends (Unix ms); null after `seconds: 0`.
    #[schema(required = true)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub isolated_until_ms: Option<u64>,
    /// The seconds asked for.
    #[schema(maximum = 3600)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seconds: u64,
    /// Connections closed now.
    #[schema(value_type = u64)]
    pub dropped_peers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_statuses_are_the_cores_names() {
        for name in ["active", "valid-fork", "invalid", "unknown-parent"] {
            let status = BlockStatus::from_name(name).expect("a known name");
            assert_eq!(serde_json::to_value(status).unwrap(), serde_json::json!(name));
        }
        assert_eq!(BlockStatus::from_name("orphan"), None);
    }

    #[test]
    fn a_first_sighting_keeps_its_api_form() {
        for from in [SeenFrom::SelfNode, SeenFrom::Http] {
            let core = seen::FirstSeen { at_ms: 7, from };
            assert_eq!(serde_json::to_value(FirstSeen::from(core)).unwrap(), serde_json::to_value(core).unwrap());
        }
    }
}
