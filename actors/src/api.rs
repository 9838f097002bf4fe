//! The HTTP API: every call of the first prototype on its path and method (answering JSON
//! instead of redirects), plus status, paginated blocks, lookups, signed-transaction submission,
//! Merkle inclusion proofs, peers, the dashboard's `/events` and the OpenAPI document. Handlers
//! only translate HTTP into actor messages; `docs/openapi.json` documents each route.

use crate::api_error::ApiError;
use crate::api_types::{
    self as answer, AddressInfo, Balance, BlockView, ChainTips, ConfirmedTransaction, ConnectingTag, DevStatus, Health,
    HealthTag, PeerConnecting, PendingTag, PendingTransaction, PublicKey, StartMessage, StartMiningResult, Status,
    StopMessage, StopMiningResult, SubmittedTransfer, TransactionLookup,
};
use crate::chain_actor::{BlockLookup, ChainActor, GetChainTips, GetStatus, GetUnstoredBlock};
use crate::chain_reader::ChainReader;
use crate::config::NodeConfig;
use crate::http_actor::HttpActor;
use crate::mempool_actor::{
    GetDropped, GetMempoolInfo, GetPending, GetPendingOf, GetPendingTx, GetTxFirstSeen, MempoolActor, SubmitTransfer,
    TxOrigin,
};
use crate::miner_actor::{GetMiningStatus, MineOne, MinerActor, StartMining, StopMining};
use crate::openapi as doc;
use crate::peer::router::{ConnectPeer, GetPeers, PeerActor};
use crate::wallet_actor::{GetWalletAddress, Transact, WalletActor};
use actix::Addr;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::chain::read::{self, BlockRef};
use bitcoin_rust_core::hash::{BlockHash, TxId};
use bitcoin_rust_core::store::ChainSnapshot;
use bitcoin_rust_core::transaction::{CheckedTransfer, Transaction, Transfer};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// The most blocks `GET /blocks` returns without pagination.
pub const MAX_UNPAGED_BLOCKS: u64 = 10_000;
/// The most blocks of one page.
pub const MAX_PAGE: usize = 1_000;
/// How long `POST /mine` waits for a block.
pub const MINE_TIMEOUT: Duration = Duration::from_secs(300);

/// What handlers reach.
#[derive(Clone)]
pub struct AppState {
    /// The chain actor.
    pub chain: Addr<ChainActor>,
    /// The chain's read side (blocks, accounts, history, transactions).
    pub reader: ChainReader,
    /// The mempool actor.
    pub mempool: Addr<MempoolActor>,
    /// The miner actor.
    pub miner: Addr<MinerActor>,
    /// The peer actor.
    pub peers: Addr<PeerActor>,
    /// The HTTP actor (wallet, dashboards).
    pub http: Addr<HttpActor>,
    /// The wallet actor (the node's wallet, `POST /transact`).
    pub wallet: Addr<WalletActor>,
    /// The configuration.
    pub config: Arc<NodeConfig>,
    /// When the node started.
    pub started: Instant,
}

type Result<T> = std::result::Result<T, ApiError>;

/// Refuses a state-changing call without the configured bearer token.
pub(crate) fn authorise(req: &HttpRequest, state: &AppState) -> Result<()> {
    let token = &state.config.http.auth_token;
    if token.is_empty() {
        return Ok(());
    }
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant-time comparison.
    let ok = given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this call needs the header Authorization: Bearer <http.auth_token>",
        ))
    }
}

/// Parses the address of a payment from the node's wallet: it must be a real public key. (The
/// protocol would carry any 33 bytes starting 02 or 03, but nobody could ever spend coins sent
/// to a non-key: protect the user.)
pub(crate) fn parse_recipient(s: &str) -> Result<Address> {
    let recipient = parse_address(s)?;
    if !recipient.is_on_curve() {
        return Err(ApiError::bad_request(
            "bad_address",
            "not a secp256k1 public key: coins sent there could never be spent",
        ));
    }
    Ok(recipient)
}

pub(crate) fn parse_address(s: &str) -> Result<Address> {
    s.parse().map_err(|e: bitcoin_rust_core::address::AddressError| ApiError::bad_request("bad_address", e.to_string()))
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // The OpenAPI document is built here, at start-up, rather than at the first request.
    crate::openapi::document();
    cfg.route("/blocks", web::get().to(get_blocks))
        .route("/blocks/{id}", web::get().to(get_block))
        .route("/chain/tips", web::get().to(get_chain_tips))
        .route("/mine", web::post().to(post_mine))
        .route("/transactions", web::get().to(get_transactions))
        .route("/transactions", web::post().to(post_transaction))
        .route("/transactions/{id}", web::get().to(get_transaction))
        .route("/transactions/{id}/proof", web::get().to(get_transaction_proof))
        .route("/transact", web::post().to(post_transact))
        .route("/mine-transactions", web::get().to(mine_transactions_get))
        .route("/mine-transactions", web::post().to(mine_transactions))
        .route("/publickey", web::get().to(get_public_key))
        .route("/balance", web::get().to(get_own_balance))
        .route("/balance/{address}", web::get().to(get_balance))
        .route("/address/{address}", web::get().to(get_address))
        .route("/startmining", web::get().to(start_mining_get))
        .route("/startmining", web::post().to(start_mining))
        .route("/stopmining", web::get().to(stop_mining_get))
        .route("/stopmining", web::post().to(stop_mining))
        .route("/mining-status", web::get().to(mining_status))
        .route("/status", web::get().to(get_status))
        .route("/healthz", web::get().to(healthz))
        .route("/peers", web::get().to(get_peers))
        .route("/peers", web::post().to(post_peer))
        .route("/events", web::get().to(events))
        .route("/openapi.json", web::get().to(openapi))
        .route("/metrics", web::get().to(metrics));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    from: Option<u64>,
    limit: Option<usize>,
}

/// The most bytes of JSON one `GET /blocks` or `GET /transactions` answer carries: items are
/// added, in order, until the next would pass it (the first is always sent, whatever its size).
pub const MAX_LIST_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// How many blocks `GET /blocks` asks the chain actor for at once (what it holds at most, on
/// top of the answer).
const BLOCK_FETCH_CHUNK: usize = 8;

/// A JSON array (of blocks, or of transfers) filled up to a byte budget.
#[derive(Debug)]
pub(crate) struct JsonPage {
    /// Each item's JSON, in the order offered.
    parts: Vec<Vec<u8>>,
    /// The array's length so far (brackets and commas included).
    bytes: usize,
    cap: usize,
    /// True once an item was refused for the budget.
    pub(crate) truncated: bool,
}

impl JsonPage {
    pub(crate) fn new(cap: usize) -> JsonPage {
        JsonPage { parts: Vec::new(), bytes: 2, cap, truncated: false }
    }

    /// Adds an item's JSON unless it would pass the budget (the first is always taken);
    /// answers whether it was taken. Once one is refused, every later one is.
    pub(crate) fn offer(&mut self, json: Vec<u8>) -> bool {
        let extra = json.len() + usize::from(!self.parts.is_empty());
        if self.truncated || (!self.parts.is_empty() && self.bytes + extra > self.cap) {
            self.truncated = true;
            return false;
        }
        self.bytes += extra;
        self.parts.push(json);
        true
    }

    /// The JSON array, the parts in `parts` order, reversed first if `reverse`.
    pub(crate) fn finish(mut self, reverse: bool) -> Vec<u8> {
        if reverse {
            self.parts.reverse();
        }
        let mut out = Vec::with_capacity(self.bytes);
        out.push(b'[');
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(part);
        }
        out.push(b']');
        out
    }
}

fn block_json(block: &bitcoin_rust_core::block::Block) -> Result<Vec<u8>> {
    serde_json::to_vec(block).map_err(|e| ApiError::internal(e.to_string()))
}

/// Fills a page with the blocks `from ..= to` (at most), lowest first; answers the page and,
/// when the byte budget cut it short, the first height left out.
async fn blocks_upwards(reader: &ChainReader, from: u64, to: u64) -> Result<(JsonPage, Option<u64>)> {
    let mut page = JsonPage::new(MAX_LIST_ANSWER_BYTES);
    let mut next = from;
    while next <= to {
        let want = usize::try_from(to - next + 1).unwrap_or(usize::MAX).min(BLOCK_FETCH_CHUNK);
        let chunk = reader.read(move |s| read::blocks_in_range(s, Height(next), want)).await?;
        let got = chunk.len();
        for block in &chunk {
            if !page.offer(block_json(block)?) {
                return Ok((page, Some(block.header.height.0)));
            }
        }
        if got < want {
            break;
        }
        next += got as u64;
    }
    Ok((page, None))
}

/// Fills a page with the blocks `from ..= to` (at most), highest first (so that the newest
/// blocks are the ones kept when the budget cuts the page short).
async fn blocks_downwards(reader: &ChainReader, from: u64, to: u64) -> Result<JsonPage> {
    let mut page = JsonPage::new(MAX_LIST_ANSWER_BYTES);
    let mut top = to;
    loop {
        let low = top.saturating_sub(BLOCK_FETCH_CHUNK as u64 - 1).max(from);
        let want = usize::try_from(top - low + 1).unwrap_or(usize::MAX);
        let chunk = reader.read(move |s| read::blocks_in_range(s, Height(low), want)).await?;
        for block in chunk.iter().rev() {
            if !page.offer(block_json(block)?) {
                return Ok(page);
            }
        }
        if low == from {
            return Ok(page);
        }
        top = low - 1;
    }
}

/// Blocks of the best chain
///
/// Without parameters: the whole best chain from genesis, as the first prototype answered (refused with 400 `use_pagination` once the chain has more than 10,000 blocks). With `from` and/or `limit`: one page of blocks, lowest height first. `limit` defaults to 100 and is at most 1,000; without `from` the page is the newest one. A page beyond the tip is empty. Unknown query parameters are refused (400 `bad_query`). Every answer carries at most 4 MiB of JSON: blocks are added in order until the next would pass that (one block is always sent), and an answer cut short says so with `X-Page-Truncated: true`; ascending answers (with `from`, or without parameters) then name the first height left out in `X-Next-From` (ask again from there), while the newest page (no `from`) keeps its newest blocks and leaves out the oldest.
#[utoipa::path(
    get,
    path = "/blocks",
    operation_id = "getBlocks",
    tag = "chain",
    params(
        // u128: a u64 with no format (heights past int64 are valid).
        ("from" = Option<u128>, Query, description = "First height of the page (a u64).", minimum = 0, maximum = 18446744073709551615, nullable = false),
        ("limit" = Option<u64>, Query, description = "Most blocks of the page (1 to 1000, default 100 when paginating).", minimum = 1, maximum = 1000, nullable = false),
    ),
    responses(
        (status = 200, description = "Blocks, lowest height first.", body = Vec<doc::Block>, headers(
            ("X-Chain-Height" = u64, description = "The tip's height."),
            ("X-Page-Truncated" = String, description = "`true` when the 4 MiB cap cut the answer short (absent otherwise)."),
            ("X-Next-From" = u64, description = "With `X-Page-Truncated` on an ascending answer: the first height left out."),
        )),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_blocks(state: web::Data<AppState>, page: web::Query<Page>) -> Result<HttpResponse> {
    let status = state.chain.send(GetStatus).await?;
    let (from, limit, newest) = match (page.from, page.limit) {
        (None, None) => {
            if status.height + 1 > MAX_UNPAGED_BLOCKS {
                return Err(ApiError::bad_request(
                    "use_pagination",
                    format!(
                        "the chain has {} blocks; ask for pages with ?from=HEIGHT&limit=N (at most {MAX_PAGE})",
                        status.height + 1
                    ),
                ));
            }
            (0, MAX_UNPAGED_BLOCKS as usize, false)
        }
        (from, limit) => {
            let limit = limit.unwrap_or(100);
            if limit == 0 || limit > MAX_PAGE {
                return Err(ApiError::bad_request("bad_limit", format!("limit must be in 1..={MAX_PAGE}")));
            }
            // Without `from`, the newest page.
            match from {
                Some(from) => (from, limit, false),
                None => ((status.height + 1).saturating_sub(limit as u64), limit, true),
            }
        }
    };
    let to = from.saturating_add(limit as u64 - 1).min(status.height);
    let mut answer = HttpResponse::Ok();
    answer.insert_header(("X-Chain-Height", status.height.to_string()));
    let body = if from > status.height {
        b"[]".to_vec()
    } else if newest {
        let page = blocks_downwards(&state.reader, from, to).await?;
        if page.truncated {
            answer.insert_header(("X-Page-Truncated", "true"));
        }
        page.finish(true)
    } else {
        let (page, next) = blocks_upwards(&state.reader, from, to).await?;
        if let Some(next) = next {
            answer.insert_header(("X-Page-Truncated", "true"));
            answer.insert_header(("X-Next-From", next.to_string()));
        }
        page.finish(false)
    };
    Ok(answer.content_type("application/json").body(body))
}

/// One block, by height or hash
///
/// `id` is a height on the best chain (decimal) or a block hash (64 hex digits; any branch the node knows). A hash the node refused before storing it (for a rule its hash commits to) answers 404 with code `block_refused`, the message naming the rule; an unknown id answers 404 `not_found`.
#[utoipa::path(
    get,
    path = "/blocks/{id}",
    operation_id = "getBlock",
    tag = "chain",
    params(
        ("id" = String, Path, description = "A height (decimal u64) or a block hash (64 hex digits).", pattern = "^([0-9]{1,20}|[0-9a-fA-F]{64})$"),
    ),
    responses(
        (status = 200, description = "The block and where it stands.", body = BlockView),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 404, response = doc::NotFound),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_block(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id = id.into_inner();
    let r = if let Ok(h) = id.parse::<u64>() {
        BlockRef::Height(h)
    } else {
        BlockRef::Hash(id.parse::<BlockHash>().map_err(|e| {
            ApiError::bad_request("bad_block_id", format!("a block is a height or a 64-hex-digit hash: {e}"))
        })?)
    };
    if let Some(mut view) = state.reader.read(move |s| read::block_view(s, r)).await? {
        view.first_seen = state.reader.block_first_seen(&view.block.hash());
        return Ok(HttpResponse::Ok().json(BlockView::new(view)?));
    }
    let BlockRef::Hash(hash) = r else {
        return Err(ApiError::not_found(format!("no block {id}")));
    };
    match state.chain.send(GetUnstoredBlock(hash)).await? {
        BlockLookup::Found(view) => Ok(HttpResponse::Ok().json(BlockView::new(*view)?)),
        BlockLookup::Refused(rule) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "block_refused",
            format!("block {id} was refused for breaking {rule}; its body was not kept"),
        )),
        BlockLookup::Unknown => Err(ApiError::not_found(format!("no block {id}"))),
    }
}

/// Every tip of the block tree
///
/// Like Bitcoin Core's `getchaintips`: the best chain's tip, the tip of every stored side branch (valid or invalid) and the newest block of every run of orphans, each with its height, how many of its blocks are off the best chain and where it forks. Costs one step per stored block off the best chain.
#[utoipa::path(
    get,
    path = "/chain/tips",
    operation_id = "getChainTips",
    tag = "chain",
    responses(
        (status = 200, description = "The tips.", body = ChainTips),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_chain_tips(state: web::Data<AppState>) -> Result<HttpResponse> {
    let tips = state.chain.send(GetChainTips).await?;
    answer::sorted(HttpResponse::Ok(), &ChainTips::from(&tips))
}

/// Optional. `data` may be any JSON value: a string is used as it is, null or absent means empty, anything else becomes its JSON text exactly as sent (numbers keep every digit, e.g. `18446744073709551617` stays that text; whitespace around the value is cut, inside it is kept). It only becomes the reward's text (cut to 256 bytes by default): it never mints coins.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"data": "hello"}))]
pub(crate) struct MineBody {
    /// Text for the block reward (any JSON value).
    // Kept as the caller wrote it: a number's digits are never rounded through f64.
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    data: Option<Box<serde_json::value::RawValue>>,
}

/// The reward text `POST /mine` makes of its `data`: a string's contents, nothing for null or
/// no `data`, and otherwise the value's JSON text exactly as sent (surrounding whitespace cut).
fn reward_text(data: Option<&serde_json::value::RawValue>) -> String {
    let Some(raw) = data else { return String::new() };
    match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::Null) => String::new(),
        Ok(serde_json::Value::String(s)) => s,
        _ => raw.get().trim().to_string(),
    }
}

async fn mine_block(state: &AppState, data: String) -> Result<HttpResponse> {
    let mined = tokio::time::timeout(MINE_TIMEOUT, state.miner.send(MineOne { data }))
        .await
        .map_err(|_| ApiError::unavailable("no block was found in time"))??;
    let block = mined.map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok().json(block))
}

/// Reads an optional JSON body: an empty (or blank) body is `T::default()`; anything else must
/// parse as `T` (400 `malformed_json` naming `expected`). (A non-empty body that is not
/// `application/json` never gets here: [`crate::http_guard`] answers it 415.)
pub(crate) async fn read_optional_json<T: serde::de::DeserializeOwned + Default>(
    payload: web::Payload,
    state: &AppState,
    expected: &str,
) -> Result<T> {
    let body = read_body(payload, state.config.http.max_body_bytes).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("expected {expected}: {e}")))
}

/// Reads a request body up to the configured limit, answering 413 in the API's error shape.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("bad_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body exceeds {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Mine one block now
///
/// Mines one block on the tip with the best pending transfers and `data` as the reward's text, and answers once the chain accepted it (at most 5 minutes). The body is optional (empty means no data) and is read whatever its Content-Type. Whatever is sent, the reward follows the consensus rule: data is text, never coins. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/mine",
    operation_id = "mine",
    tag = "mining",
    request_body(content = MineBody, content_type = "application/json", example = json!({"data": "hello"})),
    responses(
        (status = 200, description = "The block mined, once the chain accepted it.", body = doc::Block),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::MiningUnavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_mine(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    let body = read_optional_json::<MineBody>(payload, &state, "{\"data\": ...}").await?;
    // Whatever the caller sends becomes text in the reward: it never mints coins.
    mine_block(&state, reward_text(body.data.as_deref())).await
}

/// Mine the pending transfers
///
/// The first prototype's `/mine-transactions`: mines one block now with the best pending transfers (no reward text) and answers once the chain accepted it (at most 5 minutes). GET and POST do the same; any body is ignored. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/mine-transactions",
    operation_id = "mineTransactions",
    tag = "mining",
    responses(
        (status = 200, description = "The block mined, once the chain accepted it.", body = doc::Block),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::MiningUnavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn mine_transactions(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    mine_block(&state, String::new()).await
}

/// Mine the pending transfers
///
/// The first prototype's `/mine-transactions`: mines one block now with the best pending transfers (no reward text) and answers once the chain accepted it (at most 5 minutes). GET and POST do the same; any body is ignored. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    get,
    path = "/mine-transactions",
    operation_id = "mineTransactionsGet",
    tag = "mining",
    responses(
        (status = 200, description = "The block mined, once the chain accepted it.", body = doc::Block),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 503, response = doc::MiningUnavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn mine_transactions_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    mine_transactions(req, state).await
}

/// Pending transfers
///
/// The transfers of the mempool, highest fee first (the first prototype's transaction pool), in at most 4 MiB of JSON: when the pool holds more (it holds at most `mempool.max_bytes`, 8 MiB of encoded transfers by default), the answer stops before the transfer that would pass the cap and carries `X-Page-Truncated: true`.
#[utoipa::path(
    get,
    path = "/transactions",
    operation_id = "getTransactions",
    tag = "transactions",
    responses(
        (status = 200, description = "Pending transfers.", body = Vec<doc::Transfer>, headers(
            ("X-Page-Truncated" = String, description = "`true` when the 4 MiB cap left out the lowest-fee transfers (absent otherwise)."),
        )),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_transactions(state: web::Data<AppState>) -> Result<HttpResponse> {
    let pending = state.mempool.send(GetPending { limit: usize::MAX }).await?;
    let mut page = JsonPage::new(MAX_LIST_ANSWER_BYTES);
    for tx in &pending {
        if !page.offer(serde_json::to_vec(tx).map_err(|e| ApiError::internal(e.to_string()))?) {
            break;
        }
    }
    let mut answer = HttpResponse::Ok();
    if page.truncated {
        answer.insert_header(("X-Page-Truncated", "true"));
    }
    Ok(answer.content_type("application/json").body(page.finish(false)))
}

/// One transaction, pending or confirmed
///
/// Looks the id up in the mempool, then on the best chain. An id that is neither but left the pool recently without being mined (replaced by a higher fee, evicted from a full pool, made invalid by a new best chain, refused when reloaded after a restart) answers 404 with the code `dropped` and the reason in the message; an id never seen (or dropped long ago) answers 404 `not_found`.
#[utoipa::path(
    get,
    path = "/transactions/{id}",
    operation_id = "getTransaction",
    tag = "transactions",
    params(
        ("id" = doc::Hash, Path, description = "A transaction id, 64 hex digits.", example = "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad"),
    ),
    responses(
        (status = 200, description = "The transaction and its status.", body = TransactionLookup),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 404, response = doc::NotFound),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_transaction(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id: TxId =
        id.parse().map_err(|e| ApiError::bad_request("bad_txid", format!("a transaction id is 64 hex digits: {e}")))?;
    let first_seen = state.mempool.send(GetTxFirstSeen(id)).await?;
    if let Some(tx) = state.mempool.send(GetPendingTx(id)).await? {
        let pending = PendingTransaction {
            status: PendingTag::Pending,
            confirmations: 0,
            transaction: Transaction::Normal(tx),
            first_seen: first_seen.map(answer::FirstSeen::from),
        };
        return answer::sorted(HttpResponse::Ok(), &TransactionLookup::Pending(pending));
    }
    match state.reader.read(move |s| read::confirmed_tx(s, &id)).await? {
        Some(c) => {
            answer::sorted(HttpResponse::Ok(), &TransactionLookup::Confirmed(ConfirmedTransaction::new(c, first_seen)))
        }
        None => match state.mempool.send(GetDropped(id)).await? {
            Some(why) => {
                Err(ApiError::new(StatusCode::NOT_FOUND, "dropped", format!("{id} left the pool unmined: {why}")))
            }
            None => Err(ApiError::not_found(format!("no transaction {id}, pending or confirmed"))),
        },
    }
}

/// The Merkle inclusion proof of a confirmed transaction
///
/// The path from the transaction's leaf up to its block's Merkle root: at each level where the running node has a sibling, the sibling's hash and the side on which it stands; a level where the running node is the odd last element (carried up unchanged) has no step (docs/PROTOCOL.md §4.3.1, worked example in §7.4). Fold it from `leaf(txid) = SHA-256(00 || txid)`, with `running = SHA-256(01 || hash || running)` for a `left` step and `running = SHA-256(01 || running || hash)` for a `right` one: the result is `merkle_root`, the Merkle root of the block `block_hash` at `height` on the best chain. `bitcoin_rust wallet verify-proof` checks a proof against the headers up to the tip. A pending, dropped or unknown id answers 404 `not_found`: only a block confirms a transaction.
#[utoipa::path(
    get,
    path = "/transactions/{id}/proof",
    operation_id = "getTransactionProof",
    tag = "transactions",
    params(
        ("id" = doc::Hash, Path, description = "A transaction id, 64 hex digits.", example = "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad"),
    ),
    responses(
        (status = 200, description = "The proof.", body = doc::InclusionProof),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 404, response = doc::NotFound),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_transaction_proof(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id: TxId =
        id.parse().map_err(|e| ApiError::bad_request("bad_txid", format!("a transaction id is 64 hex digits: {e}")))?;
    if let Some(proof) = state.reader.read(move |s| read::tx_proof(s, &id)).await? {
        return Ok(HttpResponse::Ok().json(proof));
    }
    if state.mempool.send(GetPendingTx(id)).await?.is_some() {
        return Err(ApiError::not_found(format!("{id} is pending: it has a proof once a block confirms it")));
    }
    Err(ApiError::not_found(format!("no confirmed transaction {id}")))
}

/// Submit a signed transfer
///
/// Submits a transfer signed elsewhere (see docs/PROTOCOL.md §3.1 for the preimage and id). It is checked against every rule at the tip and the mempool's policy: one pending transfer per sender, a replacement must pay a higher fee. Unknown fields are refused. Accepted transfers are relayed to peers. No token is needed: the transfer is signed.
#[utoipa::path(
    post,
    path = "/transactions",
    operation_id = "submitTransaction",
    tag = "transactions",
    request_body(content = doc::Transfer, content_type = "application/json", example = json!({"id": "06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad", "input": {"timestamp": 1700000005000u64, "amount": 50, "address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "nonce": 0, "fee": 1, "signature": "f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302"}, "outputs": [{"address": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "amount": 39}, {"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10}]})),
    responses(
        (status = 202, description = "Accepted into the mempool.", body = SubmittedTransfer),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::RuleBroken),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn post_transaction(state: web::Data<AppState>, body: web::Json<Transfer>) -> Result<HttpResponse> {
    // Checked here, on the HTTP worker that decoded it (about one ECDSA verification): a hop to
    // a blocking thread and back cost more CPU than it spared this worker, and the workers
    // (`http.workers`, one per core) bound the CPU that HTTP submissions can take at once.
    let checked = CheckedTransfer::check(body.into_inner(), &state.config.network)?;
    let tx = checked.transfer().clone();
    let accepted = state.mempool.send(SubmitTransfer { tx: checked, origin: TxOrigin::Http }).await??;
    // "Accepted" is answered once the journal holds the transfer (it survives a `kill -9`).
    accepted.journaled.await;
    let submitted =
        SubmittedTransfer { status: PendingTag::Pending, transaction: tx, replaced: accepted.added.replaced };
    answer::sorted(HttpResponse::Accepted(), &submitted)
}

/// A payment from the node's own wallet (the first prototype's `POST /transact`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"recipient": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10, "fee": 1}))]
pub(crate) struct TransactBody {
    #[schema(value_type = doc::Address)]
    recipient: String,
    /// Coins to pay: a whole number (u64); 0 is refused with 422 `zero_amount`, anything else (negative, fractional, string) with 400 `bad_amount`.
    #[schema(value_type = u64, minimum = 1)]
    amount: serde_json::Value,
    /// Fee for this payment, whole coins; absent or null means 1. When the wallet already has a pending transfer, the payment is added to it and this fee (at least 1) is added to its fee.
    #[serde(default)]
    #[schema(value_type = Option<u64>, minimum = 0)]
    fee: Option<serde_json::Value>,
}

pub(crate) fn whole_coins(field: &str, v: &serde_json::Value) -> Result<Amount> {
    match v.as_u64() {
        Some(n) => Ok(Amount(n)),
        None => Err(ApiError::bad_request(
            "bad_amount",
            format!("{field} must be a whole number of coins (0 to 2^64-1), got {v}"),
        )),
    }
}

/// The fee `POST /transact` pays when the caller gives none.
pub const DEFAULT_WALLET_FEE: Amount = Amount(1);

/// Pay from the node's wallet
///
/// The first prototype's `POST /transact`, answering JSON instead of a redirect. The node's wallet signs a transfer spending its whole balance at the tip: change to itself plus the payment, and submits it to the mempool. If the wallet already has a pending transfer, the new payment is merged into it (a replacement carrying every payment still waiting, with the fees added), so the answer may hold several payments. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/transact",
    operation_id = "transact",
    tag = "wallet",
    request_body(content = TransactBody, content_type = "application/json", example = json!({"recipient": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 10, "fee": 1})),
    responses(
        (status = 200, description = "The signed transfer now pending.", body = doc::Transfer),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::RuleBroken),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_transact(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TransactBody>,
) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    let body = body.into_inner();
    let recipient = parse_recipient(&body.recipient)?;
    let amount = whole_coins("amount", &body.amount)?;
    let fee = match &body.fee {
        Some(f) => whole_coins("fee", f)?,
        None => DEFAULT_WALLET_FEE,
    };
    let tx = state.wallet.send(Transact { recipient, amount, fee }).await??;
    Ok(HttpResponse::Ok().json(tx))
}

/// The node wallet's address
///
/// The address (compressed public key) of the node's wallet, which also receives its mining rewards.
#[utoipa::path(
    get,
    path = "/publickey",
    operation_id = "getPublicKey",
    tag = "wallet",
    responses(
        (status = 200, description = "The wallet's address.", body = PublicKey),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_public_key(state: web::Data<AppState>) -> Result<HttpResponse> {
    let address = state.wallet.send(GetWalletAddress).await?;
    answer::sorted(HttpResponse::Ok(), &PublicKey { public_key: address })
}

async fn balance_of(state: &AppState, address: Address) -> Result<HttpResponse> {
    let a = state.reader.read(move |s| Ok(s.account(&address)?)).await?;
    answer::sorted(HttpResponse::Ok(), &Balance { address, balance: a.balance, nonce: a.nonce })
}

/// The node wallet's balance
///
/// Balance and nonce of the node's wallet at the tip.
#[utoipa::path(
    get,
    path = "/balance",
    operation_id = "getOwnBalance",
    tag = "wallet",
    responses(
        (status = 200, description = "The wallet's balance.", body = Balance),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_own_balance(state: web::Data<AppState>) -> Result<HttpResponse> {
    let address = state.wallet.send(GetWalletAddress).await?;
    balance_of(&state, address).await
}

/// An address's balance
///
/// Balance and nonce of any address at the tip (0 and 0 for an address never seen).
#[utoipa::path(
    get,
    path = "/balance/{address}",
    operation_id = "getBalance",
    tag = "wallet",
    params(
        ("address" = doc::Address, Path, description = "An address: 66 hex digits (compressed), or 130 (uncompressed, as the first prototype used); a `0x` prefix is allowed.", example = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
    ),
    responses(
        (status = 200, description = "The address's balance.", body = Balance),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_balance(state: web::Data<AppState>, address: web::Path<String>) -> Result<HttpResponse> {
    balance_of(&state, parse_address(&address)?).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    limit: Option<usize>,
    before: Option<u64>,
}

/// An address's balance, pending transfer and history
///
/// Balance and nonce at the tip, the pending transfer (if any), and the transactions of the best chain that involve the address, newest first. Page back with `before` = the lowest `height` seen. Unknown query parameters are refused (400 `bad_query`).
#[utoipa::path(
    get,
    path = "/address/{address}",
    operation_id = "getAddress",
    tag = "wallet",
    params(
        ("address" = doc::Address, Path, description = "An address: 66 hex digits (compressed), or 130 (uncompressed, as the first prototype used); a `0x` prefix is allowed.", example = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
        ("limit" = Option<u64>, Query, description = "Most history entries (1 to 500, default 50).", minimum = 1, maximum = 500, nullable = false),
        // u128: a u64 with no format (heights past int64 are valid).
        ("before" = Option<u128>, Query, description = "Only blocks below this height (a u64).", minimum = 0, maximum = 18446744073709551615, nullable = false),
    ),
    responses(
        (status = 200, description = "What the node knows of the address.", body = AddressInfo),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::BadHost),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_address(
    state: web::Data<AppState>,
    address: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse> {
    let address = parse_address(&address)?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(ApiError::bad_request("bad_limit", "limit must be in 1..=500"));
    }
    let before = q.before;
    // The account and its history from one snapshot: they are about the same tip.
    let (account, history) =
        state.reader.read(move |s| Ok((s.account(&address)?, read::history(s, &address, limit, before)?))).await?;
    let pending = state.mempool.send(GetPendingOf(address)).await?;
    let info = AddressInfo {
        address,
        balance: account.balance,
        nonce: account.nonce,
        pending,
        history: history.entries.into_iter().map(answer::HistoryEntry::from).collect(),
        next_before: history.next_before,
    };
    answer::sorted(HttpResponse::Ok(), &info)
}

/// Start mining
///
/// Turns continuous mining on (the first prototype's `/startmining`, answering JSON instead of a redirect). GET and POST do the same. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/startmining",
    operation_id = "startMining",
    tag = "mining",
    responses(
        (status = 200, description = "Mining is on.", body = StartMiningResult),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn start_mining(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    let already = state.miner.send(StartMining).await?;
    let message = if already { StartMessage::AlreadyRunning } else { StartMessage::Started };
    answer::sorted(HttpResponse::Ok(), &StartMiningResult { running: true, message })
}

/// Start mining
///
/// Turns continuous mining on (the first prototype's `/startmining`, answering JSON instead of a redirect). GET and POST do the same. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    get,
    path = "/startmining",
    operation_id = "startMiningGet",
    tag = "mining",
    responses(
        (status = 200, description = "Mining is on.", body = StartMiningResult),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn start_mining_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    start_mining(req, state).await
}

/// Stop mining
///
/// Turns continuous mining off within 100 ms (the first prototype's `/stopmining`, answering JSON instead of a redirect). A `POST /mine` in progress still completes. GET and POST do the same. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/stopmining",
    operation_id = "stopMining",
    tag = "mining",
    responses(
        (status = 200, description = "Mining is off.", body = StopMiningResult),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn stop_mining(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    let was = state.miner.send(StopMining).await?;
    let message = if was { StopMessage::Stopped } else { StopMessage::NotRunning };
    answer::sorted(HttpResponse::Ok(), &StopMiningResult { running: false, message })
}

/// Stop mining
///
/// Turns continuous mining off within 100 ms (the first prototype's `/stopmining`, answering JSON instead of a redirect). A `POST /mine` in progress still completes. GET and POST do the same. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    get,
    path = "/stopmining",
    operation_id = "stopMiningGet",
    tag = "mining",
    responses(
        (status = 200, description = "Mining is off.", body = StopMiningResult),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn stop_mining_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    stop_mining(req, state).await
}

/// The miner's state
///
/// Whether continuous mining is on, threads, hash rate, the height being mined and the blocks mined since start.
#[utoipa::path(
    get,
    path = "/mining-status",
    operation_id = "getMiningStatus",
    tag = "mining",
    responses(
        (status = 200, description = "The miner's state.", body = MiningStatus),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn mining_status(state: web::Data<AppState>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.miner.send(GetMiningStatus).await?))
}

/// Node summary
///
/// Chain, mempool, mining and peer summary in one call.
#[utoipa::path(
    get,
    path = "/status",
    operation_id = "getStatus",
    tag = "node",
    responses(
        (status = 200, description = "The node's status.", body = Status),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_status(state: web::Data<AppState>) -> Result<HttpResponse> {
    let (chain, mempool, mining, peers) = futures_util::future::join4(
        state.chain.send(GetStatus),
        state.mempool.send(GetMempoolInfo),
        state.miner.send(GetMiningStatus),
        state.peers.send(GetPeers),
    )
    .await;
    let (chain, mempool, mining, peers) = (chain?, mempool?, mining?, peers?);
    let max_peer_height = peers.peers.iter().map(|p| p.best_height).max().unwrap_or(0);
    let dev = &state.config.dev;
    let status = Status {
        network: chain.network,
        genesis: chain.genesis,
        height: chain.height,
        tip: chain.tip,
        tip_timestamp: chain.tip_timestamp,
        difficulty: chain.difficulty,
        bits: chain.bits,
        target: chain.target,
        total_work: chain.total_work,
        median_time_past: chain.median_time_past,
        mine_rate_ms: state.config.network.mine_rate_ms,
        mempool: mempool.count,
        mempool_bytes: mempool.bytes,
        peers: peers.peers.len(),
        mining: mining.running,
        hashrate: mining.hashrate,
        pow_backend: mining.backend,
        syncing: max_peer_height > chain.height,
        best_peer_height: max_peer_height,
        orphans: chain.orphans,
        isolated_until_ms: peers.isolated_until_ms,
        node_id: peers.node_id,
        p2p_url: peers.listen_url,
        address: mining.address,
        uptime_s: state.started.elapsed().as_secs(),
        version: env!("CARGO_PKG_VERSION"),
        dev: DevStatus {
            enabled: dev.enabled,
            mine_on_transaction: dev.mine_on_transaction,
            block_interval_ms: dev.block_interval_ms,
            faucet: dev.enabled && dev.faucet,
            faucet_max_amount: dev.faucet_max_amount,
            fixed_difficulty: state.config.network.fixed_difficulty,
        },
    };
    answer::sorted(HttpResponse::Ok(), &status)
}

/// Liveness
///
/// Answers 200 while the chain actor answers.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "node",
    responses(
        (status = 200, description = "Alive.", body = Health),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse> {
    let status = state.chain.send(GetStatus).await?;
    answer::sorted(HttpResponse::Ok(), &Health { status: HealthTag::Ok, height: status.height })
}

/// The peer set
///
/// Connected peers, configured peers not connected now, bans, and this node's id and P2P URL.
#[utoipa::path(
    get,
    path = "/peers",
    operation_id = "getPeers",
    tag = "network",
    responses(
        (status = 200, description = "The peer set.", body = PeersView),
        (status = 403, response = doc::BadHost),
        (status = 503, response = doc::Unavailable),
    )
)]
async fn get_peers(state: web::Data<AppState>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.peers.send(GetPeers).await?))
}

/// A peer to dial and keep connected.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "ws://127.0.0.1:5002"}))]
pub(crate) struct PeerBody {
    /// The peer's P2P WebSocket URL, `ws://` or `wss://`, at most 255 characters (trimmed).
    #[schema(example = "ws://127.0.0.1:5002")]
    url: String,
}

/// Connect to a peer
///
/// Dials a peer's P2P WebSocket URL and keeps it connected (retrying with exponential backoff), like an entry of `PEERS`. Lifts a ban of that URL. Unknown fields are refused. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/peers",
    operation_id = "addPeer",
    tag = "network",
    request_body(content = PeerBody, content_type = "application/json", example = json!({"url": "ws://127.0.0.1:5002"})),
    responses(
        (status = 202, description = "Dialling.", body = PeerConnecting),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_peer(req: HttpRequest, state: web::Data<AppState>, body: web::Json<PeerBody>) -> Result<HttpResponse> {
    authorise(&req, &state)?;
    let url = body.into_inner().url;
    state
        .peers
        .send(ConnectPeer { url: url.clone() })
        .await?
        .map_err(|e| ApiError::bad_request("bad_peer_url", e.to_string()))?;
    answer::sorted(HttpResponse::Accepted(), &PeerConnecting { url, status: ConnectingTag::Connecting })
}

/// Node metrics in the Prometheus text format
///
/// Height, total work, difficulty, blocks connected/disconnected/refused and reorganisations since start, orphans, mempool size and bytes, mining state, hash rate, blocks mined, peers by direction, bans, P2P messages and bytes by direction and type, peer misbehaviour by reason, HTTP requests by route/method/status and latency histograms by route, connected dashboards. All names start with `bitcoin_rust_`.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    tag = "node",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain"),
        (status = 403, response = doc::BadHost),
        (status = 503, description = "The node is shutting down.", body = doc::Error),
    )
)]
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse> {
    use crate::metrics::Exposition;
    let (chain, counters, mempool, mining) = futures_util::future::join4(
        state.chain.send(GetStatus),
        state.chain.send(crate::chain_actor::GetChainCounters),
        state.mempool.send(GetMempoolInfo),
        state.miner.send(GetMiningStatus),
    )
    .await;
    let (peers, http) = futures_util::future::join(
        state.peers.send(crate::peer::router::GetPeerMetrics),
        state.http.send(crate::http_actor::GetHttpMetrics),
    )
    .await;
    let (chain, counters, mempool, mining, peers, http) = (chain?, counters?, mempool?, mining?, peers?, http?);
    let mut e = Exposition::default();
    e.gauge("bitcoin_rust_height", "Height of the best chain.", chain.height as f64);
    e.gauge(
        "bitcoin_rust_total_work",
        "Cumulative work of the best chain (expected hashes).",
        chain.total_work.parse().unwrap_or(0.0),
    );
    e.gauge("bitcoin_rust_difficulty", "Difficulty of the next block, as leading zero hex digits.", chain.difficulty);
    e.counter(
        "bitcoin_rust_blocks_connected_total",
        "Blocks connected to the best chain since start.",
        counters.blocks_connected as f64,
    );
    e.counter(
        "bitcoin_rust_blocks_disconnected_total",
        "Blocks disconnected by reorganisations since start.",
        counters.blocks_disconnected as f64,
    );
    e.counter("bitcoin_rust_reorgs_total", "Reorganisations since start.", counters.reorgs as f64);
    e.counter(
        "bitcoin_rust_blocks_refused_total",
        "Blocks refused for breaking a rule since start.",
        counters.blocks_refused as f64,
    );
    e.counter(
        "bitcoin_rust_blocks_too_early_total",
        "Blocks refused for now since start: timestamp too far in the future (timestamp_too_far_in_future).",
        counters.blocks_too_early as f64,
    );
    e.gauge("bitcoin_rust_orphans", "Blocks held while their parent is unknown.", chain.orphans as f64);
    e.gauge("bitcoin_rust_mempool_transactions", "Pending transfers.", mempool.count as f64);
    e.gauge("bitcoin_rust_mempool_bytes", "Bytes of pending transfers.", mempool.bytes as f64);
    e.gauge("bitcoin_rust_mining", "1 while continuous mining is on.", f64::from(u8::from(mining.running)));
    e.gauge("bitcoin_rust_hashrate", "Hashes per second over the last second.", mining.hashrate);
    e.family("bitcoin_rust_pow_backend", "gauge", "The SHA-256 implementation the miner runs (1 for the one in use).");
    e.sample("bitcoin_rust_pow_backend", &[("backend", mining.backend)], 1.0);
    e.counter("bitcoin_rust_blocks_mined_total", "Blocks this node mined since start.", mining.blocks_mined as f64);
    e.family("bitcoin_rust_peers", "gauge", "Connected peers by direction.");
    e.sample("bitcoin_rust_peers", &[("direction", "inbound")], peers.inbound as f64);
    e.sample("bitcoin_rust_peers", &[("direction", "outbound")], peers.outbound as f64);
    e.gauge("bitcoin_rust_peers_banned", "Node ids and URLs refused for misbehaviour now.", peers.banned as f64);
    e.family("bitcoin_rust_p2p_messages_total", "counter", "P2P messages by direction and type.");
    for (dir, map) in [("in", &peers.received), ("out", &peers.sent)] {
        for (kind, t) in map.iter() {
            e.sample("bitcoin_rust_p2p_messages_total", &[("direction", dir), ("type", kind)], t.messages as f64);
        }
    }
    e.family("bitcoin_rust_p2p_bytes_total", "counter", "P2P message bytes by direction and type.");
    for (dir, map) in [("in", &peers.received), ("out", &peers.sent)] {
        for (kind, t) in map.iter() {
            e.sample("bitcoin_rust_p2p_bytes_total", &[("direction", dir), ("type", kind)], t.bytes as f64);
        }
    }
    e.family("bitcoin_rust_p2p_refused_total", "counter", "Peer misbehaviour reports by reason (rule).");
    for (reason, n) in &peers.refused {
        e.sample("bitcoin_rust_p2p_refused_total", &[("reason", reason)], *n as f64);
    }
    e.gauge(
        "bitcoin_rust_p2p_queued_bytes",
        "Bytes waiting in the admitted peers' send queues (as of their last heartbeat).",
        peers.queued_bytes as f64,
    );
    e.counter(
        "bitcoin_rust_p2p_broadcasts_skipped_total",
        "Broadcasts not queued because the peer's send queue was full.",
        peers.skipped_broadcasts as f64,
    );
    e.counter(
        "bitcoin_rust_p2p_write_timeouts_total",
        "Peer connections dropped because their send queue stayed full past p2p.write_timeout_ms.",
        peers.write_timeouts as f64,
    );
    e.family(
        "bitcoin_rust_p2p_connections_refused_total",
        "counter",
        "Inbound connections refused before the handshake, by reason.",
    );
    for (reason, n) in &peers.refused_connections {
        e.sample("bitcoin_rust_p2p_connections_refused_total", &[("reason", reason)], *n as f64);
    }
    e.family("bitcoin_rust_http_requests_total", "counter", "HTTP requests by route, method and status.");
    for ((route, method, status), n) in &http.requests {
        e.sample(
            "bitcoin_rust_http_requests_total",
            &[("route", route), ("method", method), ("status", &status.to_string())],
            *n as f64,
        );
    }
    e.histograms(
        "bitcoin_rust_http_request_duration_seconds",
        "HTTP request latency by route.",
        "route",
        &http.latency,
    );
    e.gauge("bitcoin_rust_dashboards", "Dashboards connected to /events.", http.dashboards as f64);
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(e.finish()))
}

/// Dashboard event stream (WebSocket)
///
/// Upgrades to a WebSocket that pushes the dashboard's events as JSON text frames (OpenAPI cannot describe the stream itself). Clients only listen: what they send is ignored, except that the server pings every 10 s and drops a client silent (no pong or other frame) for 30 s. A dashboard that reads slower than events come never makes the node queue more than 1 MiB of events for it: the node then drops what is queued and sends one `resync` event instead, and drops a client that has not taken a frame for 30 s. Pages on origins the node does not trust are refused (403 `cross_site_refused`). Open it with a standard WebSocket handshake (`Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Version: 13`, `Sec-WebSocket-Key`). Frames are at most 64 KiB. Every event has a `type`:
///
/// - `hello` — sent once on connect: `{"type": "hello"}`.
/// - `block` — a block joined the best chain (for a switch connecting more than 16 blocks, only the last 16): `{"type": "block", "block": {"block_number": u64, "hash": hash, "last_hash": hash, "timestamp": ms, "transactions": <count>, "difficulty": number, "miner": address|null, "reward": u64|null, "data": <reward text>}, "txids": [hash, ...], "status": {"network", "genesis", "height", "tip", "tip_timestamp", "difficulty", "bits", "target", "total_work", "median_time_past", "orphans", "known_blocks"}}`. Note that in this summary `transactions` is a count and `data` is the reward's text, unlike the Block JSON.
/// - `reorg` — the best chain switched branches (sent before the `block` events of the new branch): `{"type": "reorg", "old_tip": hash, "new_tip": hash, "fork_height": u64, "disconnected": [hash, ...], "connected": [hash, ...]}`.
/// - `transaction` — a transfer entered the mempool: `{"type": "transaction", "transaction": <Transfer>, "origin": "wallet" | "http" | "restored" | "reloaded" | {"peer": {"session": <session id>, "node": <node id, 66 hex digits>}}, "mempool": <pool size after>}`.
/// - `mempool` — transfers left the mempool (mined, invalidated, replaced or evicted): `{"type": "mempool", "removed": [txid, ...], "mempool": <pool size after>}`.
/// - `mining` — the miner's state changed (and every second while mining): `{"type": "mining", "mining": <MiningStatus>}`.
/// - `resync` — events were skipped because this client fell behind: `{"type": "resync"}`; reload the state (status, blocks, mempool) over HTTP, then carry on with the events that follow.
/// - `shutdown` — the node is stopping: `{"type": "shutdown"}`; the socket closes after it.
///
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "events",
    tag = "node",
    responses(
        (status = 101, description = "Switching Protocols: the connection is now a WebSocket carrying the events described above."),
        (status = 400, description = "Not a WebSocket handshake (missing `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Version: 13` or `Sec-WebSocket-Key`): `not_websocket`.", body = doc::Error),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 503, description = "At most 64 dashboards are connected at once (`too_many_dashboards`), or the node is shutting down (`unavailable`).", body = doc::Error),
    )
)]
async fn events(
    req: HttpRequest,
    body: web::Payload,
    http: web::Data<Addr<HttpActor>>,
) -> actix_web::Result<HttpResponse> {
    crate::events_session::events(req, body, http).await
}

/// This document
///
/// The OpenAPI 3.0.3 description of this API (this document).
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "node",
    responses(
        (status = 200, description = "The OpenAPI document.", body = Object),
        (status = 403, response = doc::BadHost),
    )
)]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::document())
}

/// The JSON error for an unknown route.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse> {
    use crate::http_guard::{truncated, LOG_METHOD_CHARS, LOG_PATH_CHARS};
    Err(ApiError::not_found(format!(
        "no route {} {}",
        truncated(req.method().as_str(), LOG_METHOD_CHARS),
        truncated(req.path(), LOG_PATH_CHARS)
    )))
}

/// Maps a JSON body error to the API's error shape (400, or 413 for a body over the limit).
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", err.to_string())
        }
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        ),
        _ => ApiError::bad_request("malformed_json", err.to_string()),
    };
    api.into()
}

/// Maps a query-string error to the API's error shape.
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("bad_query", err.to_string()).into()
}

/// Maps a path error to the API's error shape.
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("bad_path", err.to_string()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reward_text_keeps_what_the_caller_wrote() {
        let text = |body: &str| {
            let b: MineBody = serde_json::from_str(body).unwrap();
            reward_text(b.data.as_deref())
        };
        assert_eq!(text(r#"{"data": "hello"}"#), "hello");
        assert_eq!(text(r#"{"data": null}"#), "");
        assert_eq!(text(r#"{}"#), "");
        // Beyond u64 and f64's exact range: every digit kept.
        assert_eq!(text(r#"{"data": 18446744073709551617}"#), "18446744073709551617");
        assert_eq!(text(r#"{"data": 1.50}"#), "1.50");
        assert_eq!(text(r#"{"data":  {"a": [1, 2]} }"#), r#"{"a": [1, 2]}"#);
        assert!(serde_json::from_str::<MineBody>(r#"{"data": 1, "x": 2}"#).is_err());
    }

    #[test]
    fn a_block_page_stops_at_the_byte_cap_but_always_carries_one_block() {
        let block = |n: usize, fill: u8| format!("{{\"n\":\"{}\"}}", (fill as char).to_string().repeat(n)).into_bytes();
        // 1,000 blocks of ~10 KB against a 64 KB cap: the page stops before passing it.
        let mut page = JsonPage::new(64 * 1024);
        let taken = (0..1000).take_while(|_| page.offer(block(10_000, b'a'))).count();
        assert_eq!(taken, 6);
        assert!(page.truncated);
        assert!(!page.offer(block(1, b'b')), "nothing after a refusal, even a small block");
        let json = page.finish(false);
        assert!(json.len() <= 64 * 1024);
        let parsed: Vec<serde_json::Value> = serde_json::from_slice(&json).expect("a JSON array");
        assert_eq!(parsed.len(), 6);

        // A block larger than the cap on its own still makes progress.
        let mut page = JsonPage::new(100);
        assert!(page.offer(block(1_000, b'c')));
        assert!(!page.offer(block(1, b'd')));
        assert_eq!(serde_json::from_slice::<Vec<serde_json::Value>>(&page.finish(false)).unwrap().len(), 1);

        // Reversed pages keep the order asked for; an empty page is an empty array.
        let mut page = JsonPage::new(1_000);
        assert!(page.offer(br#"{"n":2}"#.to_vec()));
        assert!(page.offer(br#"{"n":1}"#.to_vec()));
        assert!(!page.truncated);
        assert_eq!(page.finish(true), br#"[{"n":1},{"n":2}]"#.to_vec());
        assert_eq!(JsonPage::new(10).finish(false), b"[]".to_vec());
    }
}
