//! `bitcoin_rust wallet verify-proof <file|txid>`: checks a Merkle inclusion proof the way a light
//! (SPV) client does. The proof comes from a file or from `GET /transactions/{txid}/proof`; the
//! headers from the proof's block up to the node's tip come from `GET /blocks?from=&limit=` (only
//! the header fields of each block are read, and every hash is recomputed here); the checks are
//! [`bitcoin_rust_core::spv::verify_inclusion`]'s: the path, the block hash and root, each
//! header's own proof of work, and the linkage up to the tip.

use super::{Client, Failure, Output};
use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::BlockHeader;
use bitcoin_rust_core::hash::{BlockHash, Hash256, TxId};
use bitcoin_rust_core::merkle::InclusionProof;
use bitcoin_rust_core::spv::{verify_inclusion, SpvError};
use bitcoin_rust_core::target::CompactTarget;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;

/// The most blocks asked for in one page (the API's limit).
const PAGE: u64 = 1_000;
/// How many times the headers are fetched again when the tip moved while they were read.
const TIP_ATTEMPTS: usize = 3;

/// The header fields of a block's JSON (everything else, the transactions included, is ignored).
#[derive(Deserialize)]
struct HeaderFields {
    version: u32,
    block_number: u64,
    last_hash: BlockHash,
    merkle_root: Hash256,
    timestamp: u64,
    bits: u32,
    nonce: u64,
}

impl From<HeaderFields> for BlockHeader {
    fn from(h: HeaderFields) -> Self {
        BlockHeader {
            version: h.version,
            height: Height(h.block_number),
            last_hash: h.last_hash,
            merkle_root: h.merkle_root,
            timestamp: h.timestamp,
            bits: CompactTarget(h.bits),
            nonce: h.nonce,
        }
    }
}

/// Reads the proof: `-` is standard input, an existing file is read, 64 hex digits are a txid
/// whose proof the node is asked for.
async fn load(client: &Client, arg: &str) -> Result<InclusionProof, Failure> {
    let text = if arg == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Failure::usage(e.to_string()))?
    } else if Path::new(arg).exists() {
        std::fs::read_to_string(arg).map_err(|e| Failure::usage(format!("{arg}: {e}")))?
    } else if let Ok(txid) = arg.parse::<TxId>() {
        let value = client.get(&format!("/transactions/{txid}/proof")).await?;
        return serde_json::from_value(value)
            .map_err(|e| Failure::node("bad_response", format!("the node's proof does not parse: {e}")));
    } else {
        return Err(Failure::usage(format!("{arg} is neither a file nor a transaction id (64 hex digits)")));
    };
    serde_json::from_str(&text).map_err(|e| Failure::usage(format!("not an inclusion proof: {e}")))
}

/// Fetches the headers of the node's best chain from height `from` to its tip, lowest first
/// (empty if the chain is shorter). When the tip moves while they are read, reads again (a few
/// times, then keeps what it has: still a chain of headers, checked like any other).
async fn headers_from(client: &Client, from: u64) -> Result<Vec<BlockHeader>, Failure> {
    let mut headers = Vec::new();
    for _ in 0..TIP_ATTEMPTS {
        let status = client.get("/status").await?;
        let tip_height = status["height"].as_u64().ok_or_else(|| Failure::node("bad_response", "no height"))?;
        let tip: Option<BlockHash> = status["tip"].as_str().and_then(|t| t.parse().ok());
        headers.clear();
        let mut next = from;
        while next <= tip_height {
            let limit = (tip_height - next + 1).min(PAGE);
            let page = client.get(&format!("/blocks?from={next}&limit={limit}")).await?;
            let blocks = page.as_array().cloned().unwrap_or_default();
            if blocks.is_empty() {
                break;
            }
            for block in blocks {
                let fields: HeaderFields = serde_json::from_value(block)
                    .map_err(|e| Failure::node("bad_response", format!("a block without its header fields: {e}")))?;
                headers.push(BlockHeader::from(fields));
            }
            next = headers.last().map_or(tip_height, |h| h.height.0).saturating_add(1);
        }
        if tip.is_some() && headers.last().map(BlockHeader::hash) == tip {
            break;
        }
    }
    Ok(headers)
}

/// Runs `verify-proof`.
pub(super) async fn run(client: &Client, arg: &str) -> Result<Output, Failure> {
    let proof = load(client, arg).await?;
    let headers = headers_from(client, proof.height).await?;
    let about = json!({
        "txid": proof.txid,
        "block_hash": proof.block_hash,
        "height": proof.height,
        "index": proof.index,
        "merkle_root": proof.merkle_root,
        "path_steps": proof.path.len(),
    });
    match verify_inclusion(&proof, &headers) {
        Ok(s) => {
            let mut json = about;
            json["verified"] = Value::Bool(true);
            json["confirmations"] = json!(s.confirmations);
            json["tip"] = json!(s.tip);
            json["tip_height"] = json!(s.tip_height);
            json["work"] = json!(s.work.to_decimal());
            let text = format!(
                "verified: {txid} is transaction {index} of block {block} (height {height})\n\
                 - merkle path: {steps} step(s) lead from leaf(txid) to merkle_root {root}\n\
                 - header: hashes to {block} and carries that merkle_root\n\
                 - proof of work: {n} header(s) from height {height} to the tip each meet their own target \
                 ({work} expected hashes)\n\
                 - linkage: each names the one below as last_hash, up to the tip {tip} (height {tip_height})\n\
                 confirmations: {n}",
                txid = proof.txid,
                index = proof.index,
                block = proof.block_hash,
                height = proof.height,
                steps = proof.path.len(),
                root = proof.merkle_root,
                n = s.confirmations,
                work = s.work,
                tip = s.tip,
                tip_height = s.tip_height,
            );
            Ok(Output { code: 0, json, text })
        }
        Err(e) => {
            let message = match &e {
                SpvError::NoHeaders => {
                    format!("the node's best chain has no block at height {}: {e}", proof.height)
                }
                _ => e.to_string(),
            };
            let mut json = about;
            json["verified"] = Value::Bool(false);
            json["reason"] = json!(e.rule());
            json["message"] = json!(message);
            let text = format!("NOT verified ({}): {message}", e.rule());
            Ok(Output { code: 1, json, text })
        }
    }
}
