//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`: real, valid
//! messages, transactions, blocks, store records and snapshots made from the fixture chain, so
//! the fuzzer starts from inputs that reach deep into the decoders and the chain.
//!
//! Deterministic (testkit keys, RFC 6979 signatures, fixed timestamps): running it again writes
//! the same files. Run it with `cargo run --manifest-path fuzz/Cargo.toml --example gen_corpus`
//! (optionally with another output directory as the argument).

use arbitrary::{Arbitrary, Unstructured};
use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::handshake::{sign_auth, AuthContext, HandshakeNonce, NodeId};
use bitcoin_rust_core::hash::Hash256;
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::snapshot::write_snapshot;
use bitcoin_rust_core::state::{Account, BlockUndo, TxLocation};
use bitcoin_rust_core::store;
use bitcoin_rust_core::target::Work;
use bitcoin_rust_core::transaction::Transaction;
use bitcoin_rust_core::wire::{Hello, WireMessage, PROTOCOL_VERSION};
use bitcoin_rust_fuzz::mutate::{Input, Mutation, Parent};
use bitcoin_rust_fuzz::{fixture, NOW};
use std::path::{Path, PathBuf};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let f = fixture();
    let chain = &f.base;
    let text = |m: &WireMessage| m.to_text().into_bytes();

    // p2p_message: one frame of every type, blocks that extend, fork and reorganise the chain.
    let p2p = "p2p_message";
    let key = SigningKey::from_slice(&[1u8; 32]).expect("a valid secret");
    let node_id = NodeId::of(&key);
    let nonce = HandshakeNonce([0x11; 32]);
    let hello = WireMessage::Hello(Hello {
        network: f.params.network_id.clone(),
        genesis: chain.genesis_hash(),
        node_id,
        nonce,
        version: PROTOCOL_VERSION,
        agent: "bitcoin_rust/0.1.0".into(),
        best_height: chain.height().0,
        best_hash: chain.tip(),
        total_work: Work::from_decimal("112").expect("digits"),
        listen: Some("ws://127.0.0.1:5001".into()),
        http: Some("http://127.0.0.1:3001".into()),
    });
    write(&dir, p2p, "hello", &text(&hello))?;
    let verifier = NodeId::of(&SigningKey::from_slice(&[2u8; 32]).expect("a valid secret"));
    let signature = sign_auth(
        &key,
        &AuthContext {
            network: &f.params.network_id,
            genesis: chain.genesis_hash(),
            signer: node_id,
            signer_nonce: nonce,
            verifier,
            verifier_nonce: HandshakeNonce([0x22; 32]),
        },
    );
    write(&dir, p2p, "auth", &text(&WireMessage::Auth { signature }))?;
    for c in &f.candidates {
        write(&dir, p2p, &format!("block-{}", c.name), &text(&WireMessage::Block { block: c.block.clone() }))?;
        if !c.before.is_empty() {
            let mut run = c.before.clone();
            run.push(c.block.clone());
            write(&dir, p2p, &format!("chain-{}", c.name), &text(&WireMessage::Chain { chain: run }))?;
        }
    }
    write(&dir, p2p, "chain-base", &text(&WireMessage::Chain { chain: f.blocks.clone() }))?;
    for (i, t) in f.transfers.iter().enumerate() {
        write(&dir, p2p, &format!("transaction-{i}"), &text(&WireMessage::Transaction { transaction: t.clone() }))?;
    }
    let others = [
        ("clear", WireMessage::ClearTransactions),
        (
            "get-blocks-locator",
            WireMessage::GetBlocks { locator: Some(chain.locator()), from_height: None, limit: None },
        ),
        ("get-blocks-height", WireMessage::GetBlocks { locator: None, from_height: Some(3), limit: Some(2) }),
        ("get-peers", WireMessage::GetPeers),
        ("peers", WireMessage::Peers { peers: vec!["ws://127.0.0.1:5002".into(), "ws://[::1]:5003".into()] }),
        ("ping", WireMessage::Ping { nonce: 7, best_height: Some(6), best_hash: Some(chain.tip()) }),
        ("pong", WireMessage::Pong { nonce: 7 }),
        ("reject", WireMessage::Reject { code: "malformed".into(), message: "not a protocol message".into() }),
    ];
    for (name, m) in &others {
        write(&dir, p2p, name, &text(m))?;
    }

    // transaction_json and block_json.
    for (i, t) in f.transfers.iter().enumerate() {
        write(&dir, "transaction_json", &format!("transfer-{i}"), &json(t))?;
        write(&dir, "transaction_json", &format!("normal-{i}"), &json(&Transaction::Normal(t.clone())))?;
    }
    for (i, b) in f.blocks.iter().enumerate() {
        write(&dir, "transaction_json", &format!("reward-{}", i + 1), &json(&b.transactions[0]))?;
        write(&dir, "block_json", &format!("base-{}", i + 1), &json(b))?;
    }
    for c in &f.candidates {
        write(&dir, "block_json", &format!("candidate-{}", c.name), &json(&c.block))?;
    }

    // binary_decoders: the selector byte, then the record.
    let bin = "binary_decoders";
    let with = |selector: u8, bytes: &[u8]| [&[selector][..], bytes].concat();
    for c in &f.candidates {
        write(&dir, bin, &format!("0-block-{}", c.name), &with(0, &c.block.encode()))?;
    }
    let tip_block: &Block = &f.candidates[0].block;
    for (i, t) in tip_block.transactions.iter().enumerate() {
        write(&dir, bin, &format!("1-transaction-{i}"), &with(1, &t.encode()))?;
    }
    write(&dir, bin, "2-header", &with(2, &tip_block.header.encode()))?;
    let account = Account { balance: chain.account(&f.address(1)).balance, nonce: 2 };
    write(&dir, bin, "3-account", &with(3, &store::encode_account(&account)))?;
    write(&dir, bin, "4-location", &with(4, &store::encode_location(&TxLocation { height: Height(5), index: 1 })))?;
    let undo = BlockUndo { accounts: vec![(f.address(1), Some(account)), (f.address(2), None)] };
    write(&dir, bin, "5-undo", &with(5, &store::encode_undo(&undo)))?;
    write(&dir, bin, "6-address", &with(6, f.address(3).as_bytes()))?;
    write(&dir, bin, "6-hash", &with(6, Hash256::digest(b"seed").as_bytes()))?;
    write(
        &dir,
        bin,
        "7-header-record",
        &with(
            7,
            &store::encode_header_record(
                &tip_block.header,
                Some(&bitcoin_rust_core::validation::Invalidity::Unrecorded),
            ),
        ),
    )?;
    let mut snapshot = Vec::new();
    write_snapshot(chain, &mut snapshot).expect("the fixture chain writes a snapshot");
    write(&dir, bin, "8-snapshot", &with(8, &snapshot))?;
    // Selector 9 prepends the magic and the genesis hash itself.
    write(&dir, bin, "9-snapshot-body", &with(9, &snapshot[8 + 32..]))?;

    // mutated_block: `arbitrary` inputs. Each candidate as it is (ids and Merkle root
    // recomputed, mined, one empty block on it, prerequisites processed first), then chosen
    // mutations that reach each state rule and the reorganisation paths.
    use Mutation as M;
    let input = |candidate: u8, mutations: Vec<Mutation>, followers: u8| Input {
        candidate,
        mutations,
        fix_ids: true,
        fix_merkle: true,
        mine: true,
        nonce_start: 0,
        followers,
        with_before: true,
        original_first: false,
    };
    let mut seeds: Vec<(String, Input)> = f
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("candidate-{}", c.name), input(i as u8, vec![], 1)))
        .collect();
    let (tip_with_transfers, tip_empty, fork_sibling, fork_reorg, fork_old) = (0, 1, 2, 3, 4);
    let chosen = [
        ("already-in-chain", input(tip_empty, vec![M::AddConfirmed { block: 4, tx: 1 }], 0)),
        (
            "new-transfer-paid",
            input(
                tip_empty,
                vec![M::AddTransfer { from: 1, to: 2, amount: 0, fee: 3, valid: true }, M::RewardAmountDelta(3)],
                1,
            ),
        ),
        (
            "new-transfer-fee-unpaid",
            input(tip_empty, vec![M::AddTransfer { from: 1, to: 2, amount: 0, fee: 3, valid: true }], 0),
        ),
        (
            "stale-nonce-resigned",
            input(tip_with_transfers, vec![M::InputNonceDelta { tx: 0, delta: 1 }, M::Resign { tx: 0 }], 0),
        ),
        (
            "balance-mismatch-resigned",
            input(
                tip_with_transfers,
                vec![
                    M::InputAmountDelta { tx: 1, delta: -1 },
                    M::OutputAmountDelta { tx: 1, output: 0, delta: -1 },
                    M::Resign { tx: 1 },
                ],
                0,
            ),
        ),
        (
            "empty-sender-resigned",
            input(tip_with_transfers, vec![M::Sender { tx: 2, wallet: 6 }, M::Resign { tx: 2 }], 0),
        ),
        ("reward-one-too-many", input(tip_with_transfers, vec![M::RewardAmountDelta(1)], 0)),
        ("high-s", input(tip_with_transfers, vec![M::SignatureNegateS { tx: 0 }], 0)),
        ("flipped-signature", input(tip_with_transfers, vec![M::SignatureByte { tx: 1, byte: 40, xor: 1 }], 0)),
        ("two-rewards", input(tip_empty, vec![M::AddReward { wallet: 2, amount: 50 }], 0)),
        ("duplicate-transfer", input(tip_with_transfers, vec![M::DuplicateTx(1)], 0)),
        ("reward-not-first", input(tip_with_transfers, vec![M::SwapTx(0, 1)], 0)),
        ("reward-data-over-limit", input(tip_empty, vec![M::RewardData { len: 300, fill: b'x' }], 0)),
        (
            "reorg-takes-confirmed-transfer",
            input(fork_reorg, vec![M::AddConfirmed { block: 5, tx: 1 }, M::RewardAmountDelta(1)], 1),
        ),
        ("reorg-by-followers", input(fork_sibling, vec![], 2)),
        ("old-fork-overtakes", input(fork_old, vec![], 2)),
        ("pending-included", input(tip_empty, vec![M::AddPending(1), M::AddPending(2), M::RewardAmountDelta(4)], 1)),
        ("future-timestamp", input(tip_empty, vec![M::Timestamp(NOW + f.params.max_future_block_time_ms + 1)], 0)),
        ("harder-target", input(tip_empty, vec![M::TargetShift(-1)], 0)),
        (
            "parent-is-genesis",
            input(tip_empty, vec![M::Parent(Parent::Genesis), M::Height(1), M::RewardHeightDelta(-6)], 0),
        ),
    ];
    seeds.extend(chosen.into_iter().map(|(n, i)| (n.to_string(), i)));
    for (name, seed) in &seeds {
        let bytes = seed.to_bytes();
        let decoded = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("seed bytes decode");
        assert_eq!(&decoded, seed, "seed {name} encodes to bytes that decode to it");
        write(&dir, "mutated_block", name, &bytes)?;
    }
    // And a few deterministic pseudo-random inputs, which `arbitrary` reads as a handful of
    // mutations each, so the fuzzer starts with inputs of a useful length.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..8 {
        let input: Vec<u8> = (0..160)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        write(&dir, "mutated_block", &format!("random-{n}"), &input)?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("seed values serialise")
}
