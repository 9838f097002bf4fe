//! Fuzz target: the miner's SHA-256 kernels against the `sha2` crate.
//!
//! The input gives a header (every field), where a nonce range starts (anywhere, including
//! across a high-word boundary and at the end of the `u64` range), its length (up to 4,096),
//! and the target's first word (the rest all ones, so candidates that only tie the first word
//! exercise the full comparison). Every backend this CPU supports must return exactly what the
//! portable search ([`HeaderHasher::search`]) returns: the first nonce of the range that meets
//! the target and its hash, or nothing.

#![no_main]

use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::{BlockHeader, HeaderHasher};
use bitcoin_rust_core::hash::{BlockHash, Hash256};
use bitcoin_rust_core::pow::{NonceSearch, PowBackend};
use bitcoin_rust_core::target::{CompactTarget, Target};
use bitcoin_rust_fuzz::take;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let header = BlockHeader {
        version: u32::from_be_bytes(take(&mut data)),
        height: Height(u64::from_be_bytes(take(&mut data))),
        last_hash: BlockHash(Hash256(take(&mut data))),
        merkle_root: Hash256(take(&mut data)),
        timestamp: u64::from_be_bytes(take(&mut data)),
        bits: CompactTarget(u32::from_be_bytes(take(&mut data))),
        nonce: 0,
    };
    let start = u64::from_be_bytes(take(&mut data));
    let len = u64::from(u16::from_be_bytes(take(&mut data)) % 4_096);
    let word = u32::from_be_bytes(take(&mut data));
    let start = start.min(u64::MAX - len);
    let range = start..start + len;
    let mut bytes = [0xffu8; 32];
    bytes[..4].copy_from_slice(&word.to_be_bytes());
    let target = Target::from_be_bytes(&bytes);
    let expected = HeaderHasher::new(&header).search(&target, range.clone());
    for backend in PowBackend::supported() {
        let got = NonceSearch::new(&header, backend).search(&target, range.clone());
        assert_eq!(got, expected, "{backend} on {header:?}, {range:?}, first target word {word:#x}");
    }
});
