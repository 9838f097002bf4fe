//! The worked examples of `docs/PROTOCOL.md`, recomputed: every hex string the document shows
//! must be what this code produces, so the document cannot drift from the implementation.
//! Run with `--nocapture` to print the vectors.

use crate::address::Address;
use crate::amount::{Amount, Height};
use crate::block::{genesis_block, genesis_commitment, Block, BlockHeader, BLOCK_VERSION};
use crate::chain::Chain;
use crate::hash::Hash256;
use crate::merkle::{leaf_hash, merkle_proof, merkle_root, node_hash, verify_proof, InclusionProof};
use crate::params::NetworkParams;
use crate::store::memory::MemoryStore;
use crate::target::initial_target;
use crate::testkit::mine;
use crate::transaction::{Reward, Transaction, Transfer, TxOutput};
use k256::ecdsa::SigningKey;

const DOC: &str = include_str!("../docs/PROTOCOL.md");

fn secret(n: u8) -> SigningKey {
    let mut b = [0u8; 32];
    b[31] = n;
    SigningKey::from_slice(&b).expect("1 and 2 are valid secret keys")
}

fn check(label: &str, value: &str, missing: &mut Vec<String>) {
    println!("{label}: {value}");
    // Long hex values are wrapped over several lines in the document.
    let flat: String = DOC.split_whitespace().collect();
    if !flat.contains(value) {
        missing.push(format!("{label}: {value}"));
    }
}

#[test]
fn the_worked_examples_of_protocol_md_are_what_the_code_computes() {
    let p = NetworkParams::default();
    let mut missing = Vec::new();
    let k1 = secret(1);
    let k2 = secret(2);
    let a1 = Address::from_verifying_key(k1.verifying_key());
    let a2 = Address::from_verifying_key(k2.verifying_key());
    check("address of secret 1", &a1.to_hex(), &mut missing);
    check("address of secret 2", &a2.to_hex(), &mut missing);

    let g = genesis_block(&p);
    check("genesis commitment", &genesis_commitment(&p).to_hex(), &mut missing);
    check("genesis header", &hex::encode(g.header.encode()), &mut missing);
    check("genesis hash", &g.hash().to_hex(), &mut missing);
    check("initial target", &initial_target(&p).to_hex(), &mut missing);

    // A dev network (§4.5): fixed difficulty and two genesis allocations (config/dev.toml).
    let dev = NetworkParams {
        network_id: "bitcoin-rust-dev".into(),
        initial_difficulty: 1,
        mine_rate_ms: 1_000,
        fixed_difficulty: true,
        genesis_allocations: vec![
            crate::params::GenesisAllocation { address: a1, amount: Amount(1_000_000) },
            crate::params::GenesisAllocation { address: a2, amount: Amount(1_000_000) },
        ],
        ..NetworkParams::default()
    };
    check("dev genesis commitment", &genesis_commitment(&dev).to_hex(), &mut missing);
    check("dev genesis hash", &genesis_block(&dev).hash().to_hex(), &mut missing);

    // Block 1: the reward only, to secret 1, with data "hello".
    let reward1 = Reward::new(&p.network_id, Height(1), a1, Amount(50), "hello".into());
    check("reward 1 preimage", &hex::encode(reward1.preimage(&p.network_id)), &mut missing);
    check("reward 1 id", &reward1.id.to_hex(), &mut missing);
    let mut b1 = Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            height: Height(1),
            last_hash: g.hash(),
            merkle_root: merkle_root(&[reward1.id]),
            timestamp: 1_700_000_000_000,
            bits: initial_target(&p).to_compact(),
            nonce: 0,
        },
        transactions: vec![Transaction::Reward(reward1)],
    };
    check("block 1 merkle root", &b1.header.merkle_root.to_hex(), &mut missing);
    mine(&mut b1);
    check("block 1 nonce", &b1.header.nonce.to_string(), &mut missing);
    check("block 1 header", &hex::encode(b1.header.encode()), &mut missing);
    check("block 1 hash", &b1.hash().to_hex(), &mut missing);

    // A transfer: secret 1 (balance 50, nonce 0) pays 10 to secret 2 with fee 1.
    let t = Transfer::sign(
        &p.network_id,
        &k1,
        0,
        1_700_000_005_000,
        Amount(50),
        Amount(1),
        vec![TxOutput { address: a1, amount: Amount(39) }, TxOutput { address: a2, amount: Amount(10) }],
    );
    check("transfer preimage", &hex::encode(t.preimage(&p.network_id)), &mut missing);
    check("transfer sighash", &hex::encode(t.sighash(&p.network_id)), &mut missing);
    check("transfer signature", &hex::encode(t.input.signature.0), &mut missing);
    check("transfer id", &t.id.to_hex(), &mut missing);
    check("transfer encoding", &hex::encode(Transaction::Normal(t.clone()).encode()), &mut missing);

    // Block 2: reward 50 + 1 to secret 2, then the transfer.
    let reward2 = Reward::new(&p.network_id, Height(2), a2, Amount(51), String::new());
    let ids = [reward2.id, t.id];
    let mut b2 = Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            height: Height(2),
            last_hash: b1.hash(),
            merkle_root: merkle_root(&ids),
            timestamp: 1_700_000_008_000,
            bits: initial_target(&p).to_compact(),
            nonce: 0,
        },
        transactions: vec![Transaction::Reward(reward2.clone()), Transaction::Normal(t.clone())],
    };
    check("reward 2 id", &reward2.id.to_hex(), &mut missing);
    let leaf = |id: &crate::hash::TxId| {
        let mut v = vec![0u8];
        v.extend_from_slice(id.as_bytes());
        Hash256::digest(&v)
    };
    check("block 2 leaf 0", &leaf(&ids[0]).to_hex(), &mut missing);
    check("block 2 leaf 1", &leaf(&ids[1]).to_hex(), &mut missing);
    check("block 2 merkle root", &b2.header.merkle_root.to_hex(), &mut missing);
    mine(&mut b2);
    check("block 2 nonce", &b2.header.nonce.to_string(), &mut missing);
    check("block 2 hash", &b2.hash().to_hex(), &mut missing);

    // §4.3.1: the inclusion proofs of block 2's two transactions.
    for (index, label) in [(0, "reward"), (1, "transfer")] {
        let path = merkle_proof(&ids, index).expect("in range");
        assert!(verify_proof(&ids[index], &path, &b2.header.merkle_root));
        let proof = InclusionProof {
            txid: ids[index],
            block_hash: b2.hash(),
            height: 2,
            index: index as u32,
            merkle_root: b2.header.merkle_root,
            path,
        };
        let json = serde_json::to_string(&proof).expect("json");
        check(&format!("block 2 proof of the {label}"), &json, &mut missing);
        let headers = [b2.header];
        let summary = crate::spv::verify_inclusion(&proof, &headers).expect("the proof holds");
        assert_eq!(summary.confirmations, 1);
    }

    // The blocks are valid on a real chain, and balances come out as the document says.
    let mut chain = Chain::open(p.clone(), MemoryStore::new(&p)).expect("open");
    let now = 1_700_000_010_000;
    chain.process_block(b1, now).expect("block 1 valid");
    chain.process_block(b2.clone(), now).expect("block 2 valid");
    assert_eq!(chain.height(), Height(2));
    assert_eq!(chain.account(&a1).balance, Amount(39));
    assert_eq!(chain.account(&a2).balance, Amount(61));
    println!("block 2 json: {}", serde_json::to_string_pretty(&b2).expect("json"));

    assert!(missing.is_empty(), "docs/PROTOCOL.md lacks these values:\n{}", missing.join("\n"));
}

/// §4.3.1's three-leaf tree: the ids are `SHA-256(k)` of the single bytes 0, 1 and 2.
#[test]
fn the_inclusion_proof_example_of_protocol_md_is_what_the_code_computes() {
    let mut missing = Vec::new();
    let ids: Vec<crate::hash::TxId> = (0u8..3).map(|k| crate::hash::TxId(Hash256::digest(&[k]))).collect();
    for (k, id) in ids.iter().enumerate() {
        check(&format!("id {k}"), &id.to_hex(), &mut missing);
        check(&format!("leaf {k}"), &leaf_hash(id).to_hex(), &mut missing);
    }
    let n01 = node_hash(&leaf_hash(&ids[0]), &leaf_hash(&ids[1]));
    check("node(leaf 0, leaf 1)", &n01.to_hex(), &mut missing);
    let root = merkle_root(&ids);
    assert_eq!(root, node_hash(&n01, &leaf_hash(&ids[2])), "leaf 2 is carried up, then paired");
    check("root", &root.to_hex(), &mut missing);
    for index in 0..3 {
        let path = merkle_proof(&ids, index).expect("in range");
        assert!(verify_proof(&ids[index], &path, &root));
        check(&format!("path of index {index}"), &serde_json::to_string(&path).expect("json"), &mut missing);
    }
    assert!(missing.is_empty(), "docs/PROTOCOL.md lacks these values:\n{}", missing.join("\n"));
}

/// §8.4's worked example of the authenticated handshake: node A (secret key 1) proves its id to
/// node B (secret key 2) on the default network, with nonces of all 0x11 (A's) and 0x22 (B's).
#[test]
fn the_handshake_example_of_protocol_md_is_what_the_code_computes() {
    use crate::handshake::{auth_digest, auth_preimage, sign_auth, verify_auth, AuthContext, HandshakeNonce, NodeId};
    let p = NetworkParams::default();
    let mut missing = Vec::new();
    let (a, b) = (secret(1), secret(2));
    let cx = AuthContext {
        network: &p.network_id,
        genesis: genesis_block(&p).hash(),
        signer: NodeId::of(&a),
        signer_nonce: HandshakeNonce([0x11; 32]),
        verifier: NodeId::of(&b),
        verifier_nonce: HandshakeNonce([0x22; 32]),
    };
    check("node id of secret 1", &cx.signer.to_string(), &mut missing);
    check("node id of secret 2", &cx.verifier.to_string(), &mut missing);
    check("auth preimage A to B", &hex::encode(auth_preimage(&cx)), &mut missing);
    check("auth digest A to B", &hex::encode(auth_digest(&cx)), &mut missing);
    let sig = sign_auth(&a, &cx);
    check("auth signature A to B", &sig.to_string(), &mut missing);
    assert_eq!(verify_auth(&sig, &cx), Ok(()));
    assert!(missing.is_empty(), "docs/PROTOCOL.md lacks these values:\n{}", missing.join("\n"));
}
