//! Fuzz target: every canonical binary decoder of the core.
//!
//! The first byte chooses the decoder, the rest is its input:
//!
//! | byte % 10 | decoder |
//! |---|---|
//! | 0 | [`Block::decode`] (block bodies in the store, snapshot records) |
//! | 1 | [`Transaction::decode`] |
//! | 2 | [`BlockHeader::decode`] of the first 96 bytes |
//! | 3 | [`store::decode_account`] |
//! | 4 | [`store::decode_location`] |
//! | 5 | [`store::decode_undo`] |
//! | 6 | [`store::decode_address`] and [`store::decode_hash`] |
//! | 7 | [`store::decode_header_record`] |
//! | 8 | [`snapshot::read_snapshot`] on the bytes as they are, every block read |
//! | 9 | the same after a valid snapshot header (magic and the test network's genesis hash), then [`snapshot::import_snapshot`] into a fresh chain |
//!
//! Decoders must never panic or read past their input, and what decodes must re-encode to the
//! very same bytes (the encodings are canonical), except a header record's status byte, which
//! reads any non-1 value as "valid". An imported snapshot must leave a chain that passes
//! [`check_chain`].

#![no_main]

use bitcoin_rust_core::block::{genesis_block, Block, BlockHeader, HEADER_LEN};
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::snapshot::{self, SNAPSHOT_MAGIC};
use bitcoin_rust_core::store::{self, memory::MemoryStore};
use bitcoin_rust_core::testkit::easy_params;
use bitcoin_rust_core::transaction::Transaction;
use bitcoin_rust_fuzz::{check_chain, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let params = easy_params();
    match selector % 10 {
        0 => {
            if let Ok(b) = Block::decode(bytes, &params) {
                assert_eq!(b.encode(), bytes, "block encoding is canonical");
                assert_eq!(b.encoded_len(), bytes.len());
                for t in &b.transactions {
                    assert_eq!(t.id(), t.compute_id(&params.network_id), "decoded ids are content ids");
                }
            }
        }
        1 => {
            if let Ok(t) = Transaction::decode(bytes, &params) {
                assert_eq!(t.encode(), bytes, "transaction encoding is canonical");
                assert_eq!(t.encoded_len(), bytes.len());
                assert_eq!(t.id(), t.compute_id(&params.network_id));
            }
        }
        2 => {
            if let Some(arr) = bytes.get(..HEADER_LEN) {
                let arr: &[u8; HEADER_LEN] = arr.try_into().expect("96 bytes");
                let h = BlockHeader::decode(arr);
                assert_eq!(&h.encode(), arr, "header encoding is canonical");
            }
        }
        3 => {
            if let Ok(a) = store::decode_account(bytes) {
                assert_eq!(store::encode_account(&a).as_slice(), bytes);
            }
        }
        4 => {
            if let Ok(l) = store::decode_location(bytes) {
                assert_eq!(store::encode_location(&l).as_slice(), bytes);
            }
        }
        5 => {
            if let Ok(u) = store::decode_undo(bytes) {
                assert_eq!(store::encode_undo(&u), bytes, "undo encoding is canonical");
            }
        }
        6 => {
            if let Ok(a) = store::decode_address(bytes) {
                assert_eq!(a.as_bytes().as_slice(), bytes);
            }
            if let Ok(h) = store::decode_hash(bytes) {
                assert_eq!(h.as_bytes().as_slice(), bytes);
            }
        }
        7 => {
            if let Ok((header, invalid)) = store::decode_header_record(bytes) {
                // The record form is canonical: what decodes encodes back to the same bytes.
                let again = store::encode_header_record(&header, invalid.as_ref());
                assert_eq!(again, bytes);
                assert_eq!(invalid.is_none(), bytes[HEADER_LEN] == 0);
            }
        }
        8 => read_all(bytes),
        _ => {
            let mut file = SNAPSHOT_MAGIC.to_vec();
            file.extend_from_slice(genesis_block(&params).hash().as_bytes());
            file.extend_from_slice(bytes);
            read_all(&file);
            let mut chain = Chain::open(params.clone(), MemoryStore::new(&params)).expect("a new chain opens");
            let _ = snapshot::import_snapshot(&mut chain, file.as_slice(), NOW);
            check_chain(&chain, &[], true);
        }
    }
});

/// Reads every block record a snapshot yields, as any consumer of the reader would.
fn read_all(file: &[u8]) {
    let params = easy_params();
    let Ok(reader) = snapshot::read_snapshot(file, &params) else { return };
    let mut read = 0u64;
    for item in reader {
        if let Ok(block) = item {
            assert!(block.encoded_len() <= params.max_block_bytes);
        }
        read += 1;
        // Each record takes at least its 4-byte length from the file.
        assert!(read <= file.len() as u64, "the reader yields more records than the file can hold");
    }
}
