//! The protocol core of the `bitcoin_rust` node.
//!
//! Everything that decides what is true lives here, with no networking and no async runtime:
//! hashes and amounts ([`hash`], [`amount`]), addresses ([`address`]), the signature check
//! ([`ecdsa_check`]), the canonical binary
//! encoding ([`encoding`]), network parameters ([`params`]), proof-of-work targets and the
//! retarget rule ([`target`]), transactions ([`transaction`]), Merkle roots and inclusion
//! proofs ([`merkle`]), blocks ([`block`]), the validation rules ([`validation`]), the ledger
//! state and its undo ([`state`]), the reference balance scan ([`oracle`]), the block tree and
//! fork choice ([`chain`]), mempool policy ([`mempool`]), the wallet ([`wallet`]), storage
//! ([`store`]), the peer-to-peer message format ([`wire`]) and the light-client check of an
//! inclusion proof against headers ([`spv`]), and when a block or transfer was first seen
//! ([`seen`]).
//!
//! `docs/PROTOCOL.md` specifies the byte layouts and rules these modules implement.

// `unsafe` is allowed in one module only: the miner's SHA-256 kernels (`pow::kernels`), where
// each block carries its `// SAFETY:` note. Everywhere else it is refused.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod amount;
pub mod block;
pub mod chain;
#[cfg(test)]
mod chain_tests;
pub mod ecdsa_check;
pub mod encoding;
#[cfg(test)]
mod fuzz_regressions;
pub mod handshake;
pub mod hash;
pub mod mempool;
pub mod merkle;
pub mod oracle;
pub mod params;
pub mod pow;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod protocol_vectors;
pub mod seen;
pub mod snapshot;
pub mod spv;
pub mod state;
pub mod store;
pub mod target;
pub mod testkit;
pub mod transaction;
pub mod validation;
pub mod wallet;
pub mod wire;

/// The `k256` types the public API uses (keys), for callers that do not depend on `k256`.
pub mod k256_reexport {
    pub use k256::ecdsa::{SigningKey, VerifyingKey};
}
