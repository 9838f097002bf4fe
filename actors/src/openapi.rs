//! The OpenAPI document of the HTTP API, generated with [utoipa] from the handlers'
//! `#[utoipa::path]` annotations (`api.rs`, `dev_api.rs`) and the schema types below. It is
//! built once, served at `GET /openapi.json`, and copied to `docs/openapi.json`, which a test
//! compares with it: regenerate the copy with
//! `UPDATE_OPENAPI=1 cargo test -p bitcoin-rust-node --lib openapi`.
//!
//! utoipa 4 writes OpenAPI 3.0.3 (with `nullable`), the version the hand-written document used.
//! The schema types here describe the JSON of answers and bodies whose Rust types live in the
//! protocol core (which does not depend on utoipa) or are built with `json!`; they exist only
//! for this document.

use crate::api_types;
use serde_json::json;
use std::collections::HashMap;
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, PathItemType};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, SchemaType,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, LicenseBuilder, RefOr, Required, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

/// The document's `info.description`.
const DESCRIPTION: &str = "The HTTP API of a `bitcoin_rust` node: a proof-of-work account-based cryptocurrency node (the protocol is specified in docs/PROTOCOL.md). It serves chain data (paginated blocks, lookups by height, hash, transaction id and address), the mempool, signed-transaction submission, the node's own wallet, mining control, peers, the node status and the dashboard's `/events` WebSocket.\n\n\
    **Compatibility.** The first prototype's endpoints keep their paths and field names (`GET /blocks`, `POST /mine`, `GET /transactions`, `POST /transact`, `GET|POST /mine-transactions`, `GET /publickey`, `GET /balance`, `GET|POST /startmining`, `GET|POST /stopmining`; blocks with `block_number`, `timestamp`, `last_hash`, `hash`, `data`, `nonce`, `difficulty`; transactions tagged `{\"kind\", \"tx\"}`), but answer JSON instead of redirects.\n\n\
    **Conventions.** Amounts are whole coins (u64, no fractions); heights and nonces are u64; times are milliseconds since the Unix epoch; hashes are 64 hex digits; addresses are compressed secp256k1 public keys (66 hex digits; 130-digit uncompressed keys are accepted on input). Every error is JSON `{\"error\": {\"code\", \"message\"}}`: 400 malformed, 401 unauthorised, 403 a request to a loopback-bound node not addressed to `localhost`, `127.0.0.1` or `[::1]` (`bad_host`) or a state-changing call from a web page on an untrusted origin (`cross_site_refused`), 404 unknown (also any unknown route or method), 409 conflict, 413 too large, 415 a body that is not JSON, 422 a rule broken (`code` names the rule), 500 storage failure, 503 unavailable.\n\n\
    **Security.** Calls that change state (every POST but `POST /transactions`, whose transfers carry their own signatures, and `GET /mine-transactions`, `/startmining`, `/stopmining`) need `Authorization: Bearer <token>` when the node has `http.auth_token` configured; without a token they are open to programs (the API binds loopback by default, and a non-loopback bind requires a token). Web pages are another matter: a state-changing call (every POST, `POST /transactions` included, and those GETs), and the `/events` handshake, carrying an `Origin` the node does not trust, or no `Origin` but `Sec-Fetch-Site: cross-site`, is refused with 403 `cross_site_refused` before anything happens, token or not. Trusted origins are the same for this and for CORS: loopback origins (`http(s)://` `localhost`, `127.0.0.1` or `[::1]`, any port: the dashboard served at `/ui/` and the dev server), the origin of `http.advertise_url`, origins whose host is one of `http.allowed_hosts`, and the origins of `http.cors_origins` (`[\"*\"]` trusts any origin, which turns this guard off). CORS allows methods GET, POST, OPTIONS; headers Content-Type, Authorization, Accept; `X-Chain-Height`, `X-Page-Truncated` and `X-Next-From` are exposed. Request bodies are limited to `http.max_body_bytes`, 2 MiB by default (413 beyond). A non-empty body must be `Content-Type: application/json` (415 `unsupported_media_type` otherwise, so that no HTML form can post one); an empty body may carry any type. Answers are bounded too: `GET /blocks` and `GET /transactions` send at most 4 MiB of JSON per answer, and a dashboard on `/events` never has more than 1 MiB of events queued.";

/// The OpenAPI document: every route, the schemas and shared responses, tags and servers.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::api::get_blocks, crate::api::get_block, crate::api::get_chain_tips, crate::api::post_mine,
        crate::api::get_transactions, crate::api::post_transaction, crate::api::get_transaction,
        crate::api::get_transaction_proof, crate::api::post_transact, crate::api::mine_transactions_get,
        crate::api::mine_transactions, crate::api::get_public_key, crate::api::get_own_balance,
        crate::api::get_balance, crate::api::get_address, crate::api::start_mining_get,
        crate::api::start_mining, crate::api::stop_mining_get, crate::api::stop_mining,
        crate::api::mining_status, crate::api::get_status, crate::api::healthz, crate::api::get_peers,
        crate::api::post_peer, crate::api::events, crate::api::openapi, crate::api::metrics,
        crate::dev_api::post_mine, crate::dev_api::post_faucet, crate::dev_api::post_isolate,
    ),
    components(
        schemas(
            Hash, Address, Amount, Error, TxOutput, TransferInput, Transfer, Coinbase, Reward, NormalEntry,
            RewardEntry, TransactionEntry, Block, api_types::BlockView, api_types::PendingTransaction,
            api_types::ConfirmedTransaction, api_types::TransactionLookup, ProofStep, InclusionProof,
            api_types::SubmittedTransfer, crate::api::TransactBody, crate::api::MineBody, crate::api::PeerBody,
            api_types::PeerConnecting, api_types::Balance, api_types::HistoryEntry, api_types::AddressInfo,
            api_types::PublicKey, crate::miner_actor::MiningStatus, api_types::StartMiningResult,
            api_types::StopMiningResult, api_types::Status, api_types::Health, crate::peer::router::PeerView,
            crate::peer::router::PendingPeer, crate::peer::router::PeersView, crate::dev_api::DevMineBody,
            api_types::DevMined, crate::dev_api::FaucetBody, api_types::FirstSeen, api_types::ChainTip,
            api_types::ChainTips, crate::dev_api::IsolateBody, api_types::Isolation,
        ),
        responses(
            BadRequest, Unauthorized, NotFound, Conflict, PayloadTooLarge, RuleBroken, Unavailable,
            MiningUnavailable, Internal, BadHost, CrossSiteRefused, UnsupportedMediaType,
        )
    ),
    tags(
        (name = "chain", description = "Blocks of the chain."),
        (name = "transactions", description = "Pending and confirmed transactions."),
        (name = "wallet", description = "Balances, addresses and the node's own wallet."),
        (name = "mining", description = "Mining control."),
        (name = "network", description = "Peers."),
        (name = "node", description = "Status, health, events and this document."),
        (name = "dev", description = "Dev-chain calls (`[dev]` in the configuration; 404 `dev_mode_off` otherwise)."),
    ),
    servers((url = "http://127.0.0.1:3001", description = "Default local node")),
    modifiers(&Finish)
)]
pub struct ApiDoc;

/// `GET /blocks/{id}`'s link from a block to its reward's inclusion proof.
static LINKS: LazyLock<serde_json::Value> = LazyLock::new(
    || json!({"RewardProof": {"operationId": "getTransactionProof", "description": "The inclusion proof of the block's reward (its first transaction), when the block is on the best chain.", "parameters": {"id": "$response.body#/data/0/tx/id"}}}),
);

/// `GET /blocks/{id}`'s examples of `id`: a height and a hash.
static BLOCK_ID_EXAMPLES: LazyLock<serde_json::Value> = LazyLock::new(
    || json!({"height": {"value": "2"}, "hash": {"value": "0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea"}}),
);

/// What the derive cannot say: `info`, the bearer scheme, and the two things utoipa 4 has no
/// type for (a response's `links`, a parameter's `examples`), added as raw fields.
struct Finish;

impl Modify for Finish {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.info = InfoBuilder::new()
            .title("bitcoin_rust node HTTP API")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(DESCRIPTION))
            .license(Some(LicenseBuilder::new().name("MIT").build()))
            .build();
        if let Some(components) = doc.components.as_mut() {
            let mut bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The node's `http.auth_token` (env `BITCOIN_RUST_HTTP__AUTH_TOKEN`), sent as `Authorization: Bearer <token>`. Only enforced when the node has `http.auth_token` configured; with no token configured (the loopback default), these calls are open.")).build();
            bearer.bearer_format = None;
            components.add_security_scheme("bearerAuth", SecurityScheme::Http(bearer));
        }
        for (path, method) in [("/mine", PathItemType::Post), ("/dev/mine", PathItemType::Post)] {
            // An empty body is allowed (the derive would make the schema nullable instead).
            if let Some(body) = operation(doc, path, method).and_then(|op| op.request_body.as_mut()) {
                body.required = Some(Required::False);
            }
        }
        // utoipa 4 writes an untagged enum as a bare `oneOf`: name the property that tells the
        // two answers apart.
        if let Some(RefOr::T(Schema::OneOf(lookup))) =
            doc.components.as_mut().and_then(|c| c.schemas.get_mut("TransactionLookup"))
        {
            lookup.discriminator = Some(discriminator(
                "status",
                &[
                    ("pending", "#/components/schemas/PendingTransaction"),
                    ("confirmed", "#/components/schemas/ConfirmedTransaction"),
                ],
            ));
        }
        for path in ["/blocks", "/transactions"] {
            if let Some(RefOr::T(ok)) =
                operation(doc, path, PathItemType::Get).and_then(|op| op.responses.responses.get_mut("200"))
            {
                if let Some(header) = ok.headers.get_mut("X-Page-Truncated") {
                    header.schema =
                        ObjectBuilder::new().schema_type(SchemaType::String).enum_values(Some(["true"])).into();
                }
            }
        }
        let Some(get_block) = operation(doc, "/blocks/{id}", PathItemType::Get) else {
            return;
        };
        if let Some(RefOr::T(found)) = get_block.responses.responses.get_mut("200") {
            found.extensions = Some(HashMap::from([("links".to_string(), LINKS.clone())]));
        }
        if let Some(id) = get_block.parameters.as_mut().and_then(|p| p.first_mut()) {
            id.extensions = Some(HashMap::from([("examples".to_string(), BLOCK_ID_EXAMPLES.clone())]));
        }
    }
}

fn operation<'d>(doc: &'d mut utoipa::openapi::OpenApi, path: &str, method: PathItemType) -> Option<&'d mut Operation> {
    doc.paths.paths.get_mut(path).and_then(|item| item.operations.get_mut(&method))
}

/// Two textual touches on utoipa's JSON. Handlers name the schema types as `doc::Name` (the
/// core's `Address`, `Amount` and `Transfer` are in scope there), which utoipa 4 turns into the
/// reference `doc.Name`: back to `Name`. And utoipa keeps bounds as `f64`, so u64::MAX would be
/// written `1.8446744073709552e+19` (2^64, one past it): written back exactly.
fn finish_json(json: &str) -> String {
    json.replace("\"#/components/schemas/doc.", "\"#/components/schemas/")
        .replace(": 1.8446744073709552e+19", ": 18446744073709551615")
}

/// The document as served and as checked in: pretty JSON ending in a newline, built once.
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => finish_json(&json) + "\n",
        Err(e) => format!("{{\"error\": \"the OpenAPI document failed to serialise: {e}\"}}\n"),
    });
    &DOCUMENT
}

fn discriminator(property: &str, mapping: &[(&str, &str)]) -> Discriminator {
    let mut d = Discriminator::new(property);
    d.mapping = mapping.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    d
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Ref::from_schema_name("Error")).build())
        .build()
        .into()
}

// ---- Shared responses (`components/responses`) ----

/// Malformed request: bad JSON, unknown or malformed query parameter, bad address, amount, id or limit (`error.code` says which).
pub struct BadRequest;

impl<'r> ToResponse<'r> for BadRequest {
    fn response() -> (&'r str, RefOr<Response>) {
        ("BadRequest", error_response("Malformed request: bad JSON, unknown or malformed query parameter, bad address, amount, id or limit (`error.code` says which)."))
    }
}

/// `http.auth_token` is configured and the `Authorization: Bearer <token>` header is missing or wrong (`unauthorized`).
pub struct Unauthorized;

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        ("Unauthorized", error_response("`http.auth_token` is configured and the `Authorization: Bearer <token>` header is missing or wrong (`unauthorized`)."))
    }
}

/// Nothing there (`not_found`).
pub struct NotFound;

impl<'r> ToResponse<'r> for NotFound {
    fn response() -> (&'r str, RefOr<Response>) {
        ("NotFound", error_response("Nothing there (`not_found`)."))
    }
}

/// Conflicts with the mempool or chain: `already_pending`, `already_confirmed`, `replacement_fee_too_low`, `mempool_full`.
pub struct Conflict;

impl<'r> ToResponse<'r> for Conflict {
    fn response() -> (&'r str, RefOr<Response>) {
        ("Conflict", error_response("Conflicts with the mempool or chain: `already_pending`, `already_confirmed`, `replacement_fee_too_low`, `mempool_full`."))
    }
}

/// The body is over `http.max_body_bytes` (`payload_too_large`) or the transfer alone exceeds the mempool's byte limit (`transaction_too_large`).
pub struct PayloadTooLarge;

impl<'r> ToResponse<'r> for PayloadTooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        ("PayloadTooLarge", error_response("The body is over `http.max_body_bytes` (`payload_too_large`) or the transfer alone exceeds the mempool's byte limit (`transaction_too_large`)."))
    }
}

/// A transaction rule is broken; `error.code` is the rule's name (docs/PROTOCOL.md §3.1), or a wallet refusal (`insufficient_funds`, `zero_amount`, `output_sum_overflow`, `too_many_outputs`).
pub struct RuleBroken;

impl<'r> ToResponse<'r> for RuleBroken {
    fn response() -> (&'r str, RefOr<Response>) {
        ("RuleBroken", error_response("A transaction rule is broken; `error.code` is the rule's name (docs/PROTOCOL.md §3.1), or a wallet refusal (`insufficient_funds`, `zero_amount`, `output_sum_overflow`, `too_many_outputs`)."))
    }
}

/// The node cannot answer now: it is shutting down, its store failed a read, or the chain kept moving under a submitted transfer (`unavailable`; try again).
pub struct Unavailable;

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        ("Unavailable", error_response("The node cannot answer now (`unavailable`): it is shutting down, its store failed a read, or, for a submitted transfer, the chain's tip kept moving while it was checked (a sync): send it again."))
    }
}

/// No block was found in time (5 minutes), the miner stopped, or the node is shutting down (`unavailable`).
pub struct MiningUnavailable;

impl<'r> ToResponse<'r> for MiningUnavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        ("MiningUnavailable", error_response("No block was found in time (5 minutes), the miner stopped, or the node is shutting down (`unavailable`)."))
    }
}

/// Storage failure (`internal`).
pub struct Internal;

impl<'r> ToResponse<'r> for Internal {
    fn response() -> (&'r str, RefOr<Response>) {
        ("Internal", error_response("Storage failure (`internal`)."))
    }
}

/// The node is bound to loopback and the request's `Host` is not `localhost`, `127.0.0.1` or `[::1]` (`bad_host`): a defence against DNS rebinding.
pub struct BadHost;

impl<'r> ToResponse<'r> for BadHost {
    fn response() -> (&'r str, RefOr<Response>) {
        ("BadHost", error_response("The node is bound to loopback and the request's `Host` is not `localhost`, `127.0.0.1` or `[::1]` (`bad_host`): a defence against DNS rebinding."))
    }
}

/// Refused (`error.code` says which): `cross_site_refused` — the call changes state (or opens `/events`) and carries an `Origin` the node does not trust (its loopback origins, the origin of `http.advertise_url`, origins whose host is in `http.allowed_hosts`, and `http.cors_origins`), or carries no `Origin` but `Sec-Fetch-Site: cross-site`; nothing was done. `bad_host` — the node is bound to loopback and the request's `Host` is not `localhost`, `127.0.0.1` or `[::1]` (or one of `http.allowed_hosts`).
pub struct CrossSiteRefused;

impl<'r> ToResponse<'r> for CrossSiteRefused {
    fn response() -> (&'r str, RefOr<Response>) {
        ("CrossSiteRefused", error_response("Refused (`error.code` says which): `cross_site_refused` — the call changes state (or opens `/events`) and carries an `Origin` the node does not trust (its loopback origins, the origin of `http.advertise_url`, origins whose host is in `http.allowed_hosts`, and `http.cors_origins`), or carries no `Origin` but `Sec-Fetch-Site: cross-site`; nothing was done. `bad_host` — the node is bound to loopback and the request's `Host` is not `localhost`, `127.0.0.1` or `[::1]` (or one of `http.allowed_hosts`)."))
    }
}

/// The call has a non-empty body that is not `Content-Type: application/json` (`unsupported_media_type`): bodies an HTML form can send (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) never reach the handler. An empty body may have any content type.
pub struct UnsupportedMediaType;

impl<'r> ToResponse<'r> for UnsupportedMediaType {
    fn response() -> (&'r str, RefOr<Response>) {
        ("UnsupportedMediaType", error_response("The call has a non-empty body that is not `Content-Type: application/json` (`unsupported_media_type`): bodies an HTML form can send (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) never reach the handler. An empty body may have any content type."))
    }
}

// ---- Schemas (`components/schemas`) ----

/// A 32-byte SHA-256 hash (block hash, transaction id, Merkle root) as 64 hex digits, in stored byte order (no reversal). The node writes lower case; it also reads upper case.
pub struct Hash;

impl<'s> ToSchema<'s> for Hash {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Hash",
            ObjectBuilder::new()
                .schema_type(SchemaType::String)
                .description(Some("A 32-byte SHA-256 hash (block hash, transaction id, Merkle root) as 64 hex digits, in stored byte order (no reversal). The node writes lower case; it also reads upper case."))
                .example(Some(json!("0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea")))
                .min_length(Some(64))
                .max_length(Some(64))
                .pattern(Some("^[0-9a-fA-F]{64}$"))
                .build()
                .into(),
        )
    }
}

/// A secp256k1 public key in SEC1 form. The node always writes the compressed form (66 lower-case hex digits, `02`/`03` + x). On input it also accepts the uncompressed form of the first prototype (130 hex digits, `04` + x + y), upper case and a `0x` prefix, and normalises to compressed.
pub struct Address;

impl<'s> ToSchema<'s> for Address {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Address",
            ObjectBuilder::new()
                .schema_type(SchemaType::String)
                .description(Some("A secp256k1 public key in SEC1 form. The node always writes the compressed form (66 lower-case hex digits, `02`/`03` + x). On input it also accepts the uncompressed form of the first prototype (130 hex digits, `04` + x + y), upper case and a `0x` prefix, and normalises to compressed."))
                .example(Some(json!("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")))
                .pattern(Some("^(0x)?(0[23][0-9a-fA-F]{64}|04[0-9a-fA-F]{128})$"))
                .build()
                .into(),
        )
    }
}

/// A whole number of coins (u64, 0 to 2^64-1); there are no fractional units.
pub struct Amount;

impl<'s> ToSchema<'s> for Amount {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Amount",
            ObjectBuilder::new()
                .schema_type(SchemaType::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .description(Some("A whole number of coins (u64, 0 to 2^64-1); there are no fractional units."))
                .example(Some(json!(10)))
                .minimum(Some(0.0))
                .build()
                .into(),
        )
    }
}

/// Every error of the API.
pub struct Error;

impl<'s> ToSchema<'s> for Error {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Error",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("Every error of the API."))
                .example(Some(json!({"error": {"code": "not_found", "message": "no block 99"}})))
                .property(
                    "error",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Object)
                        .property(
                            "code",
                            ObjectBuilder::new()
                                .schema_type(SchemaType::String)
                                .description(Some("Machine-readable code. 400: `malformed_json`, `bad_query`, `bad_path`, `bad_address`, `bad_amount`, `bad_block_id`, `bad_txid`, `bad_limit`, `use_pagination`, `bad_peer_url`, `bad_body`, `bad_block_count`, `not_websocket`, `cors_refused` (a CORS preflight from an origin, or for a method or header, that is not allowed). 401: `unauthorized`. 403: `bad_host`, `cross_site_refused`. 404: `not_found`, `dropped` (a transfer that left the pool unmined; the message says why), `dev_mode_off`, `faucet_off`. 409: `already_pending`, `already_paid`, `already_confirmed`, `replacement_fee_too_low`, `mempool_full`. 413: `payload_too_large`, `transaction_too_large`. 415: `unsupported_media_type`. 422: the name of the broken rule (docs/PROTOCOL.md §3.1, §3.2, §5.6), e.g. `bad_signature`, `bad_nonce`, `balance_mismatch`, `amount_mismatch`, `id_mismatch`, `zero_amount`, `insufficient_funds`. 500: `internal`. 503: `unavailable`, `too_many_dashboards`."))
                                .example(Some(json!("bad_nonce")))
                                .build(),
                        )
                        .property(
                            "message",
                            ObjectBuilder::new()
                                .schema_type(SchemaType::String)
                                .description(Some("A sentence for people."))
                                .example(Some(json!("nonce is 1 but the sender has made 0 transfers")))
                                .build(),
                        )
                        .required("code")
                        .required("message")
                        .build(),
                )
                .required("error")
                .build()
                .into(),
        )
    }
}

/// Coins credited to an address. The server refuses unknown fields.
pub struct TxOutput;

impl<'s> ToSchema<'s> for TxOutput {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "TxOutput",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("Coins credited to an address. The server refuses unknown fields."))
                .example(Some(json!({"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10})))
                .property("address", Ref::from_schema_name("Address"))
                .property("amount", Ref::from_schema_name("Amount"))
                .required("address")
                .required("amount")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// The spending side of a transfer. `address` is the sender. The server refuses unknown fields.
pub struct TransferInput;

impl<'s> ToSchema<'s> for TransferInput {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "TransferInput",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("The spending side of a transfer. `address` is the sender. The server refuses unknown fields."))
                .example(Some(json!({"timestamp": 1700000005000u64, "amount": 50, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "nonce": 0, "fee": 1, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302"})))
                .property(
                    "timestamp",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("When the sender signed, ms since the Unix epoch (informational, used by no rule)."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "amount",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The sender's whole balance at the parent block (it is spent entirely: outputs + fee)."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property("address", Ref::from_schema_name("Address"))
                .property(
                    "nonce",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The number of transfers the sender has already made in the chain (0 for its first)."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "fee",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The fee paid to the miner, whole coins."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "signature",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::String)
                        .description(Some("ECDSA secp256k1 signature `r || s` (64 bytes, low-S) over SHA-256 of the signing preimage, 128 hex digits."))
                        .pattern(Some("^[0-9a-fA-F]{128}$"))
                        .build(),
                )
                .required("timestamp")
                .required("amount")
                .required("address")
                .required("nonce")
                .required("fee")
                .required("signature")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// A signed transfer in the first prototype's shape plus `nonce` and `fee` (docs/PROTOCOL.md §3.1). `id` = SHA-256(preimage || signature). The server refuses unknown fields.
pub struct Transfer;

impl<'s> ToSchema<'s> for Transfer {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Transfer",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A signed transfer in the first prototype's shape plus `nonce` and `fee` (docs/PROTOCOL.md §3.1). `id` = SHA-256(preimage || signature). The server refuses unknown fields."))
                .example(Some(json!({"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"timestamp": 1700000005000u64, "amount": 50, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "nonce": 0, "fee": 1, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302"}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]})))
                .property("id", Ref::from_schema_name("Hash"))
                .property("input", Ref::from_schema_name("TransferInput"))
                .property(
                    "outputs",
                    ArrayBuilder::new().items(Ref::from_schema_name("TxOutput")).description(Some("The change back to the sender (if any) and the payments, in the order signed (at least 1, at most `max_outputs`, 100 by default).")).build(),
                )
                .required("id")
                .required("input")
                .required("outputs")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// Coinbase
pub struct Coinbase;

impl<'s> ToSchema<'s> for Coinbase {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Coinbase",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .example(Some(json!({"height": 2, "data": ""})))
                .property(
                    "height",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The height of the block carrying the reward."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "data",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::String)
                        .description(Some(
                            "Free text from the miner (`POST /mine {data}`), at most 256 bytes by default.",
                        ))
                        .build(),
                )
                .required("height")
                .required("data")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// A block reward (coinbase): pays subsidy(height) + the block's fees to the miner (docs/PROTOCOL.md §3.2).
pub struct Reward;

impl<'s> ToSchema<'s> for Reward {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Reward",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A block reward (coinbase): pays subsidy(height) + the block's fees to the miner (docs/PROTOCOL.md §3.2)."))
                .example(Some(json!({"id": "70b87f2975c20175ad883ae7ad2137a720e8f430bfb509dd4b52c9e89012a5ce", "coinbase": {"height": 2, "data": ""}, "output": {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 51}})))
                .property("id", Ref::from_schema_name("Hash"))
                .property("coinbase", Ref::from_schema_name("Coinbase"))
                .property("output", Ref::from_schema_name("TxOutput"))
                .required("id")
                .required("coinbase")
                .required("output")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// A transfer, tagged as in the first prototype.
pub struct NormalEntry;

impl<'s> ToSchema<'s> for NormalEntry {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "NormalEntry",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A transfer, tagged as in the first prototype."))
                .example(Some(json!({"kind": "Normal", "tx": {"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"timestamp": 1700000005000u64, "amount": 50, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "nonce": 0, "fee": 1, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302"}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]}})))
                .property(
                    "kind",
                    ObjectBuilder::new().schema_type(SchemaType::String).enum_values(Some([json!("Normal")])).build(),
                )
                .property("tx", Ref::from_schema_name("Transfer"))
                .required("kind")
                .required("tx")
                .build()
                .into(),
        )
    }
}

/// A block reward, tagged as in the first prototype.
pub struct RewardEntry;

impl<'s> ToSchema<'s> for RewardEntry {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "RewardEntry",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A block reward, tagged as in the first prototype."))
                .example(Some(json!({"kind": "Reward", "tx": {"id": "70b87f2975c20175ad883ae7ad2137a720e8f430bfb509dd4b52c9e89012a5ce", "coinbase": {"height": 2, "data": ""}, "output": {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 51}}})))
                .property(
                    "kind",
                    ObjectBuilder::new().schema_type(SchemaType::String).enum_values(Some([json!("Reward")])).build(),
                )
                .property("tx", Ref::from_schema_name("Reward"))
                .required("kind")
                .required("tx")
                .build()
                .into(),
        )
    }
}

/// A transaction of a block, tagged as in the first prototype: `{"kind": "Normal", "tx": <Transfer>}` or `{"kind": "Reward", "tx": <Reward>}`.
pub struct TransactionEntry;

impl<'s> ToSchema<'s> for TransactionEntry {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "TransactionEntry",
            RefOr::T(Schema::OneOf(
                OneOfBuilder::new()
                    .item(Ref::from_schema_name("NormalEntry"))
                    .item(Ref::from_schema_name("RewardEntry"))
                    .description(Some("A transaction of a block, tagged as in the first prototype: `{\"kind\": \"Normal\", \"tx\": <Transfer>}` or `{\"kind\": \"Reward\", \"tx\": <Reward>}`."))
                    .discriminator(Some(discriminator("kind", &[("Normal", "#/components/schemas/NormalEntry"), ("Reward", "#/components/schemas/RewardEntry")])))
                    .build(),
            )),
        )
    }
}

/// A block's JSON: the first prototype's names (`block_number`, `timestamp`, `last_hash`, `hash`, `data`, `nonce`, `difficulty`) plus `version`, `merkle_root`, `bits` and `target` (docs/PROTOCOL.md §4.1). `last_hash` is the parent's hash (zero for genesis).
pub struct Block;

impl<'s> ToSchema<'s> for Block {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "Block",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A block's JSON: the first prototype's names (`block_number`, `timestamp`, `last_hash`, `hash`, `data`, `nonce`, `difficulty`) plus `version`, `merkle_root`, `bits` and `target` (docs/PROTOCOL.md §4.1). `last_hash` is the parent's hash (zero for genesis)."))
                .example(Some(json!({"block_number": 2, "timestamp": 1700000008000u64, "last_hash": "0000721190dd66b0e8853f138072b644d996a3614308c7e63de75b8cf737a32d", "hash": "0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea", "data": [{"kind": "Reward", "tx": {"id": "70b87f2975c20175ad883ae7ad2137a720e8f430bfb509dd4b52c9e89012a5ce", "coinbase": {"height": 2, "data": ""}, "output": {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 51}}}, {"kind": "Normal", "tx": {"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"timestamp": 1700000005000u64, "amount": 50, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "nonce": 0, "fee": 1, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302"}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]}}], "nonce": 3388, "difficulty": 4.0, "version": 1, "merkle_root": "abd90549d83e438d05597c20fc9fb61e0e061bee814f2ddd898bed3834ee79ed", "bits": 520159232, "target": "0001000000000000000000000000000000000000000000000000000000000000"})))
                .property(
                    "block_number",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("Height (genesis is 0)."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "timestamp",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("Milliseconds since the Unix epoch."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property("last_hash", Ref::from_schema_name("Hash"))
                .property("hash", Ref::from_schema_name("Hash"))
                .property(
                    "data",
                    ArrayBuilder::new()
                        .items(Ref::from_schema_name("TransactionEntry"))
                        .description(Some("The transactions, the reward first (genesis has none)."))
                        .build(),
                )
                .property(
                    "nonce",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The proof-of-work counter (u64)."))
                        .minimum(Some(0.0))
                        .build(),
                )
                .property(
                    "difficulty",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Number)
                        .description(Some("The target as leading zero hex digits, with a fraction: (256 - log2(target)) / 4, rounded to 6 decimals. Derived."))
                        .example(Some(json!(4.0)))
                        .build(),
                )
                .property(
                    "version",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("Header version (1)."))
                        .minimum(Some(0.0))
                        .maximum(Some(4294967295.0))
                        .build(),
                )
                .property("merkle_root", Ref::from_schema_name("Hash"))
                .property(
                    "bits",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The compact target (Bitcoin's nBits), e.g. 520159232 = 0x1f010000."))
                        .minimum(Some(0.0))
                        .maximum(Some(4294967295.0))
                        .build(),
                )
                .property(
                    "target",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::String)
                        .description(Some("The full target, 64 hex digits. Derived from `bits`."))
                        .pattern(Some("^[0-9a-fA-F]{64}$"))
                        .build(),
                )
                .required("block_number")
                .required("timestamp")
                .required("last_hash")
                .required("hash")
                .required("data")
                .required("nonce")
                .required("difficulty")
                .required("version")
                .required("merkle_root")
                .required("bits")
                .required("target")
                .build()
                .into(),
        )
    }
}

/// One step of an inclusion proof: a sibling hash and the side on which it stands next to the running hash.
pub struct ProofStep;

impl<'s> ToSchema<'s> for ProofStep {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "ProofStep",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("One step of an inclusion proof: a sibling hash and the side on which it stands next to the running hash."))
                .property(
                    "side",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::String)
                        .description(Some("`left`: the sibling is the left input (`running = SHA-256(01 || hash || running)`); `right`: the right input (`running = SHA-256(01 || running || hash)`)."))
                        .enum_values(Some([json!("left"), json!("right")]))
                        .build(),
                )
                .property("hash", Ref::from_schema_name("Hash"))
                .required("side")
                .required("hash")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

/// A confirmed transaction's Merkle inclusion proof (docs/PROTOCOL.md §4.3.1).
pub struct InclusionProof;

impl<'s> ToSchema<'s> for InclusionProof {
    fn schema() -> (&'s str, RefOr<Schema>) {
        (
            "InclusionProof",
            ObjectBuilder::new()
                .schema_type(SchemaType::Object)
                .description(Some("A confirmed transaction's Merkle inclusion proof (docs/PROTOCOL.md §4.3.1)."))
                .example(Some(json!({"txid": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "block_hash": "0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea", "height": 2, "index": 1, "merkle_root": "abd90549d83e438d05597c20fc9fb61e0e061bee814f2ddd898bed3834ee79ed", "path": [{"side": "left", "hash": "c6ab706fe3aac51a98d18b60ae6b10efa365deebc36cc1abb6ac0756174efa83"}]})))
                .property("txid", Ref::from_schema_name("Hash"))
                .property("block_hash", Ref::from_schema_name("Hash"))
                .property(
                    "height",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The block's height (genesis holds no transactions)."))
                        .minimum(Some(1.0))
                        .build(),
                )
                .property(
                    "index",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .description(Some("The transaction's position in the block (0 is the reward)."))
                        .minimum(Some(0.0))
                        .maximum(Some(4294967295.0))
                        .build(),
                )
                .property("merkle_root", Ref::from_schema_name("Hash"))
                .property(
                    "path",
                    ArrayBuilder::new().items(Ref::from_schema_name("ProofStep")).description(Some("The steps from the leaf up; empty for a block of one transaction.")).build(),
                )
                .required("txid")
                .required("block_hash")
                .required("height")
                .required("index")
                .required("merkle_root")
                .required("path")
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
                .build()
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKED_IN: &str = "../docs/openapi.json";

    /// Every route `api.rs` and `dev_api.rs` register is an operation of the document, and
    /// the document has no other: a new route without `#[utoipa::path]` (and a line in
    /// `ApiDoc`'s `paths`) fails here.
    #[test]
    fn every_route_is_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut routes = Vec::new();
        for file in ["api.rs", "dev_api.rs"] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            for part in text.split(".route(\"").skip(1) {
                let path = part.split('"').next().unwrap();
                let method = part.split("web::").nth(1).unwrap().split("()").next().unwrap();
                routes.push(format!("{method} {path}"));
            }
        }
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{method} {path}"));
            }
        }
        routes.sort();
        documented.sort();
        assert_eq!(routes.len(), 30, "{routes:?}");
        assert_eq!(routes, documented);
    }

    /// The CI check: `docs/openapi.json` is exactly what the code generates.
    #[test]
    fn the_checked_in_document_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CHECKED_IN);
        if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
            std::fs::write(&path, document()).unwrap();
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == document(),
            "docs/openapi.json differs from the document the handlers generate; regenerate it with \
             `UPDATE_OPENAPI=1 cargo test -p bitcoin-rust-node --lib openapi` and commit it"
        );
    }
}
