//! Fuzz target: the JSON decoder of blocks.
//!
//! The bytes are taken as text and decoded as a [`Block`] (through [`BlockJson`], which checks
//! the derived `hash` and `target` fields when given) and as a bare [`BlockJson`]. A block that
//! decodes must:
//!
//! - re-encode to JSON that decodes to an equal block with the same hash, and whose derived
//!   fields (`hash`, `target`) are those of the header;
//! - have a canonical binary encoding of exactly [`Block::encoded_len`] bytes that decodes to the
//!   same header and transactions (ids computed from content), unless it is over a network
//!   limit that only the binary decoder enforces;
//! - go through the stateless block checks ([`check_proof_of_work`], [`check_block_body`])
//!   without panicking.

#![no_main]

use bitcoin_rust_core::block::{Block, BlockJson};
use bitcoin_rust_core::encoding::DecodeError;
use bitcoin_rust_core::testkit::easy_params;
use bitcoin_rust_core::transaction::Transaction;
use bitcoin_rust_core::validation::{check_block_body, check_proof_of_work};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(block) = serde_json::from_str::<Block>(text) {
        round_trip(&block);
    }
    if let Ok(json) = serde_json::from_str::<BlockJson>(text) {
        let given_hash = json.hash;
        if let Ok(block) = Block::try_from(json) {
            if let Some(h) = given_hash {
                assert_eq!(h, block.hash(), "a given hash is accepted only when it is the header's");
            }
            round_trip(&block);
        }
    }
});

fn round_trip(block: &Block) {
    let params = easy_params();
    let json = serde_json::to_string(block).expect("a block serialises");
    let back: Block = serde_json::from_str(&json).expect("a serialised block decodes");
    assert_eq!(&back, block, "JSON round trip");
    assert_eq!(back.hash(), block.hash(), "the hash is stable");
    let derived: BlockJson = serde_json::from_str(&json).expect("a serialised block is BlockJson");
    assert_eq!(derived.hash, Some(block.hash()), "the serialised hash is the header's");
    assert_eq!(derived.target, block.header.bits.to_target().ok().map(|t| t.to_hex()));

    let bytes = block.encode();
    assert_eq!(bytes.len(), block.encoded_len(), "encoded_len is the encoding's length");
    match Block::decode(&bytes, &params) {
        Ok(decoded) => {
            assert_eq!(decoded.header, block.header, "binary round trip of the header");
            assert_eq!(decoded.hash(), block.hash());
            assert_eq!(decoded.encode(), bytes, "binary round trip");
            assert_eq!(decoded.transactions.len(), block.transactions.len());
            for (d, t) in decoded.transactions.iter().zip(&block.transactions) {
                assert_eq!(d.id(), t.compute_id(&params.network_id), "decoding computes content ids");
                let mut expected = t.clone();
                match &mut expected {
                    Transaction::Normal(x) => x.id = d.id(),
                    Transaction::Reward(x) => x.id = d.id(),
                }
                assert_eq!(d, &expected, "binary decoding gives the same transaction");
            }
        }
        Err(DecodeError::TooLong { what: "outputs" | "reward data" | "block" | "transaction count", .. }) => {}
        Err(e) => panic!("a JSON block's encoding does not decode: {e}"),
    }

    let _ = check_proof_of_work(&block.header);
    let _ = check_block_body(block, &params, true);
}
