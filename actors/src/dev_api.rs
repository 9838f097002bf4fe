//! The dev-chain calls (`[dev]` in the configuration): `POST /dev/mine` mines blocks now and
//! `POST /dev/faucet` pays from the node's wallet. Both answer 404 `dev_mode_off` /
//! `faucet_off` on a node that has not turned them on, so a production node never mines or pays
//! on request. Like the rest of the API, they need the bearer token when one is set.

use crate::api::{
    authorise, parse_recipient, read_optional_json, whole_coins, AppState, DEFAULT_WALLET_FEE, MINE_TIMEOUT,
};
use crate::api_error::ApiError;
use crate::api_types::{self as answer, DevMined, DevMinedBlock, Isolation};
use crate::config::MAX_DEV_MINE_BLOCKS;
use crate::miner_actor::MineOne;
use crate::openapi as doc;
use crate::peer::router::{Isolate, MAX_ISOLATION_SECONDS};
use crate::wallet_actor::Transact;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bitcoin_rust_core::amount::Amount;
use serde::Deserialize;
use std::time::Instant;
use utoipa::ToSchema;

type Result<T> = std::result::Result<T, ApiError>;

/// Registers the dev-chain routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dev/mine", web::post().to(post_mine))
        .route("/dev/faucet", web::post().to(post_faucet))
        .route("/dev/isolate", web::post().to(post_isolate));
}

// `POST /dev/isolate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"seconds": 30}))]
pub(crate) struct IsolateBody {
    /// How long to stay isolated; 0 ends an isolation now.
    #[schema(value_type = u128, minimum = 0, maximum = 3600)]
    seconds: serde_json::Value,
}

/// Isolate the node for N seconds (the fork lab)
///
/// Drops every peer connection, refuses new ones (`REJECT isolated`) and dials none for `seconds`, then dials again the peers it dropped and its configured ones by itself. `seconds: 0` ends an isolation now; a new call replaces a running isolation. With two miners isolated, a fork forms; when they rejoin, the heavier branch wins (see `GET /chain/tips`). Only with `[dev] enabled = true` (or `--dev`); otherwise 404 `dev_mode_off`. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/dev/isolate",
    operation_id = "devIsolate",
    tag = "dev",
    request_body(content = IsolateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The isolation state.", body = Isolation),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_isolate(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    dev_mode(&state)?;
    authorise(&req, &state)?;
    let body = read_optional_json::<Option<IsolateBody>>(payload, &state, r#"{"seconds": N}"#)
        .await?
        .ok_or_else(|| ApiError::bad_request("bad_seconds", r#"send {"seconds": N} with 0 <= N <= 3600"#))?;
    let seconds = match body.seconds.as_u64() {
        Some(n) if n <= MAX_ISOLATION_SECONDS => n,
        _ => {
            return Err(ApiError::bad_request(
                "bad_seconds",
                format!("seconds must be a whole number in 0..={MAX_ISOLATION_SECONDS}, got {}", body.seconds),
            ))
        }
    };
    let isolation = state.peers.send(Isolate { seconds }).await?;
    let isolated =
        Isolation { isolated_until_ms: isolation.isolated_until_ms, seconds, dropped_peers: isolation.dropped_peers };
    answer::sorted(HttpResponse::Ok(), &isolated)
}

/// How many blocks to mine now; an empty body mines one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"blocks": 10}))]
pub(crate) struct DevMineBody {
    /// How many blocks (default 1); anything else is 400 `bad_block_count`.
    #[serde(default)]
    #[schema(value_type = Option<u128>, minimum = 1, maximum = 1000, nullable = false)]
    blocks: Option<serde_json::Value>,
    /// Text for each block's reward.
    #[serde(default)]
    #[schema(nullable = false)]
    data: Option<String>,
}

// `POST /dev/faucet`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"address": "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "amount": 100}))]
pub(crate) struct FaucetBody {
    #[schema(value_type = doc::Address)]
    address: String,
    /// Whole coins, 1 to `dev.faucet_max_amount` (else 400 `bad_amount`).
    #[schema(value_type = u128, minimum = 1)]
    amount: serde_json::Value,
}

fn dev_mode(state: &AppState) -> Result<()> {
    if state.config.dev.enabled {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "dev_mode_off",
            "dev-chain calls need [dev] enabled = true (or the --dev flag)",
        ))
    }
}

/// Mine N blocks now (dev chains)
///
/// Mines `blocks` blocks one after the other on the tip, each with the best pending transfers, and answers once the chain accepted the last (at most 5 minutes in all). Only with `[dev] enabled = true` (or `--dev`); otherwise 404 `dev_mode_off`. Pair with `network.fixed_difficulty` so the blocks come at once. The body is read whatever its Content-Type. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/dev/mine",
    operation_id = "devMine",
    tag = "dev",
    request_body(content = DevMineBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The blocks mined.", body = DevMined),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::MiningUnavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_mine(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    dev_mode(&state)?;
    authorise(&req, &state)?;
    // An empty body mines one block.
    let body = read_optional_json::<DevMineBody>(payload, &state, r#"{"blocks": N, "data": "..."}"#).await?;
    let count = match &body.blocks {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=u64::from(MAX_DEV_MINE_BLOCKS)).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "bad_block_count",
                    format!("blocks must be a whole number in 1..={MAX_DEV_MINE_BLOCKS}, got {v}"),
                ))
            }
        },
    };
    let data = body.data.unwrap_or_default();
    let started = Instant::now();
    let mut mined = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let remaining = MINE_TIMEOUT.saturating_sub(started.elapsed());
        let block = tokio::time::timeout(remaining, state.miner.send(MineOne { data: data.clone() }))
            .await
            .map_err(|_| ApiError::unavailable(format!("mined {} of {count} blocks in time", mined.len())))??
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        mined.push(DevMinedBlock {
            height: block.header.height.0,
            hash: block.hash(),
            transactions: block.transactions.len(),
        });
    }
    // `count` is at least 1, so a block was mined (or the loop returned an error).
    let (height, tip) =
        mined.last().map(|b| (b.height, b.hash)).ok_or_else(|| ApiError::internal("no block was mined"))?;
    let answer = DevMined { mined: mined.len(), height, tip, blocks: mined };
    answer::sorted(HttpResponse::Ok(), &answer)
}

/// Pay coins from the node's wallet (dev chains)
///
/// Pays `amount` to `address` from the node's wallet, exactly like `POST /transact` with fee 1 (so it joins the wallet's pending transfer if there is one). Only with `[dev] enabled = true` and `faucet = true` (off by default): otherwise 404 `dev_mode_off` or `faucet_off`. The wallet needs funds: mine a block first. Needs the bearer token when `http.auth_token` is set.
#[utoipa::path(
    post,
    path = "/dev/faucet",
    operation_id = "devFaucet",
    tag = "dev",
    request_body(content = FaucetBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The signed transfer now pending.", body = doc::Transfer),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::CrossSiteRefused),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::RuleBroken),
        (status = 500, response = doc::Internal),
        (status = 503, response = doc::Unavailable),
    ),
    security(("bearerAuth" = []))
)]
async fn post_faucet(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<FaucetBody>,
) -> Result<HttpResponse> {
    dev_mode(&state)?;
    if !state.config.dev.faucet {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "faucet_off", "the faucet needs [dev] faucet = true"));
    }
    authorise(&req, &state)?;
    let body = body.into_inner();
    let recipient = parse_recipient(&body.address)?;
    let amount = whole_coins("amount", &body.amount)?;
    let max = state.config.dev.faucet_max_amount;
    if amount.0 == 0 || amount.0 > max {
        return Err(ApiError::bad_request("bad_amount", format!("the faucet pays 1 to {max} coins per call")));
    }
    let tx = state.wallet.send(Transact { recipient, amount: Amount(amount.0), fee: DEFAULT_WALLET_FEE }).await??;
    Ok(HttpResponse::Ok().json(tx))
}
