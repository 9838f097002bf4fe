//! Fuzz target: the JSON decoders of transactions.
//!
//! The bytes are taken as text and decoded both as a block entry ([`Transaction`], tagged
//! `{"kind":"Normal"|"Reward","tx":{...}}`) and as a bare [`Transfer`] (what a `TRANSACTION`
//! message and `POST /transact` carry). Whatever decodes must:
//!
//! - re-encode to JSON that decodes to an equal value with the same claimed id;
//! - have a stable content id, and a canonical binary encoding of exactly
//!   [`Transaction::encoded_len`] bytes that decodes (ids computed from content) to the same
//!   transaction with its content id, unless it is over a network limit that only the binary
//!   decoder enforces (outputs, reward data);
//! - go through the stateless checks ([`check_transfer`], [`check_reward`]) without panicking,
//!   and a transfer that passes them with its signature must keep passing after the round trip.

#![no_main]

use bitcoin_rust_core::encoding::DecodeError;
use bitcoin_rust_core::testkit::easy_params;
use bitcoin_rust_core::transaction::{check_reward, check_transfer, Transaction, Transfer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tx) = serde_json::from_str::<Transaction>(text) {
        round_trip(&tx);
    }
    if let Ok(t) = serde_json::from_str::<Transfer>(text) {
        let again: Transfer = serde_json::from_str(&serde_json::to_string(&t).expect("a transfer serialises"))
            .expect("a serialised transfer decodes");
        assert_eq!(again, t);
        round_trip(&Transaction::Normal(t));
    }
});

fn round_trip(tx: &Transaction) {
    let params = easy_params();
    let net = &params.network_id;
    let json = serde_json::to_string(tx).expect("a transaction serialises");
    let back: Transaction = serde_json::from_str(&json).expect("a serialised transaction decodes");
    assert_eq!(&back, tx, "JSON round trip");
    assert_eq!(back.id(), tx.id(), "the claimed id survives the round trip");
    let content_id = tx.compute_id(net);
    assert_eq!(back.compute_id(net), content_id, "the content id is stable");

    let bytes = tx.encode();
    assert_eq!(bytes.len(), tx.encoded_len(), "encoded_len is the encoding's length");
    match Transaction::decode(&bytes, &params) {
        Ok(decoded) => {
            assert_eq!(decoded.id(), content_id, "binary decoding computes the content id");
            assert_eq!(decoded.encode(), bytes, "binary round trip");
            let mut expected = tx.clone();
            match &mut expected {
                Transaction::Normal(t) => t.id = content_id,
                Transaction::Reward(r) => r.id = content_id,
            }
            assert_eq!(decoded, expected, "binary decoding gives the same transaction");
        }
        Err(DecodeError::TooLong { what: "outputs" | "reward data", .. }) => {}
        Err(e) => panic!("a JSON transaction's encoding does not decode: {e}"),
    }

    let passed = match tx {
        Transaction::Normal(t) => check_transfer(t, &params, true).is_ok(),
        Transaction::Reward(r) => check_reward(r, &params).is_ok(),
    };
    if passed {
        let again = match &back {
            Transaction::Normal(t) => check_transfer(t, &params, true).is_ok(),
            Transaction::Reward(r) => check_reward(r, &params).is_ok(),
        };
        assert!(again, "a valid transaction stays valid after the round trip");
    }
}
