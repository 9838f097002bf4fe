//! Regression tests of inputs found by the fuzz targets in `fuzz/` (`docs/RELIABILITY.md`,
//! section "Fuzzing"). Each test replays one crashing input, byte for byte as the fuzzer found
//! it (the same file is kept in the target's seed corpus under `fuzz/corpus/`), through the same
//! entry point, and checks the behaviour the fix gives.

use crate::block::genesis_block;
use crate::snapshot::{read_snapshot, SnapshotError, SnapshotReader, SNAPSHOT_MAGIC};
use crate::testkit::easy_params;

/// A snapshot header of the test network followed by `rest`.
fn snapshot_with(rest: &[u8]) -> Vec<u8> {
    let mut file = SNAPSHOT_MAGIC.to_vec();
    file.extend_from_slice(genesis_block(&easy_params()).hash().as_bytes());
    file.extend_from_slice(rest);
    file
}

/// `binary_decoders`, crash-4d91d239f13294dd4f7853e819db8e047c3b3f88: a snapshot claiming about
/// 10^18 blocks whose first record is cut short. The reader returned the I/O error, then tried
/// the next record and returned an error again, once per claimed block: a consumer that reads
/// every item (`collect`, `filter_map(Result::ok)`) never finished. A short read leaves the
/// stream at an unknown position, so the reader now ends after it.
#[test]
fn snapshot_reader_ends_after_a_short_read() {
    // The fuzzer's input: selector byte 0xbd (selector 9: "after a valid snapshot header").
    let input = [0xbd, 0x0e, 0xc0, 0x38, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01];
    let file = snapshot_with(&input[1..]);
    let reader = read_snapshot(file.as_slice(), &easy_params()).unwrap();
    assert_eq!(SnapshotReader::count(&reader), 0x0ec0_3800_0000_0005);
    let items: Vec<_> = reader.take(1_000).collect();
    assert_eq!(items.len(), 1, "one error, then the end");
    assert!(matches!(items[0], Err(SnapshotError::Io(_))));
}

/// Found while fixing the reader above (same code, not yet by the fuzzer): a snapshot claiming
/// `u64::MAX` blocks whose first record is over the size limit. Ending the iteration computed
/// `count + 1`, which overflowed: a panic in debug builds, and in release a wrap to 0 that made
/// the reader start over instead of ending.
#[test]
fn snapshot_reader_ends_after_an_oversize_record_whatever_the_count() {
    let mut rest = u64::MAX.to_be_bytes().to_vec();
    rest.extend_from_slice(&u32::MAX.to_be_bytes());
    let file = snapshot_with(&rest);
    let reader = read_snapshot(file.as_slice(), &easy_params()).unwrap();
    let items: Vec<_> = reader.take(1_000).collect();
    assert_eq!(items.len(), 1, "one error, then the end");
    assert!(matches!(items[0], Err(SnapshotError::TooLarge { index: 1, .. })));
}

/// `transaction_json` and `block_json` (and `p2p_message` through a `BLOCK`): a reward whose data
/// is longer than the u16 length of its encoding. Found while writing the targets by reading
/// the encoders, then confirmed by running the targets on the inputs kept as
/// `regression-reward-data-65536-bytes` in their corpora (70 KB, over the size the fuzzer
/// reaches from its seeds): computing the reward's id broke the `Writer::var_bytes`
/// precondition, a panic in debug builds (in `Chain::process_block`, which computes ids before
/// any rule, for any peer's `BLOCK`) and a preimage with a wrapped length in release. The JSON
/// decoder now refuses such data, as the binary decoder does.
#[test]
fn reward_data_longer_than_its_encoding_is_refused_by_the_json_decoder() {
    use crate::chain::{Chain, ChainError};
    use crate::store::memory::MemoryStore;
    use crate::testkit::{address, next_block};
    use crate::transaction::{Transaction, TxError, MAX_ENCODED_REWARD_DATA};
    use crate::validation::BlockError;
    use crate::wire::{WireError, WireMessage};

    let p = easy_params();
    let mut chain = Chain::open(p.clone(), MemoryStore::new(&p)).unwrap();
    let block = next_block(&chain, address(1), &[], 1_000);
    let with_data = |len: usize| {
        let json = WireMessage::Block { block: block.clone() }.to_text();
        assert!(json.contains(r#""data":"""#));
        json.replacen(r#""data":"""#, &format!(r#""data":"{}""#, "x".repeat(len)), 1)
    };
    let too_long = with_data(MAX_ENCODED_REWARD_DATA + 1);
    assert!(matches!(WireMessage::decode(&too_long), Err(WireError::Malformed(m)) if m.contains("reward data")));
    let reward = serde_json::to_string(&block.transactions[0]).unwrap();
    let reward = reward.replacen(r#""data":"""#, &format!(r#""data":"{}""#, "x".repeat(65_536)), 1);
    assert!(serde_json::from_str::<Transaction>(&reward).is_err());

    // The longest the encoding carries still decodes, and the chain refuses it by its rule.
    let longest = match WireMessage::decode(&with_data(MAX_ENCODED_REWARD_DATA)).unwrap() {
        WireMessage::Block { block } => block,
        other => panic!("expected a block, got {other:?}"),
    };
    let refused = chain.process_block(longest, 10_000_000_000);
    assert!(matches!(
        refused,
        Err(ChainError::Invalid { source, .. })
            if matches!(*source, BlockError::Transaction { index: 0, source: TxError::RewardDataTooLong { .. }, .. })
    ));
}
