//! Writes the dashboard's TypeScript types (`frontend/src/generated/`) from the Rust types with
//! ts-rs: `cargo test -p bitcoin-rust-node --features ts export_bindings`. `scripts/test.sh` runs
//! it and fails when the checked-in files differ (`git diff --exit-code frontend/src/generated`).

use crate::api_types::{
    AddressInfo, Balance, BlockView, ChainTips, DevMined, Health, Isolation, PeerConnecting, PublicKey,
    StartMiningResult, Status, StopMiningResult, SubmittedTransfer, TransactionLookup,
};
use crate::chain_actor::ChainStatus;
use crate::dashboard_event::DashboardEvent;
use crate::miner_actor::MiningStatus;
use crate::peer::router::PeersView;
use bitcoin_rust_core::block::BlockJson;
use bitcoin_rust_core::transaction::Transaction;
use ts_rs::TS;

#[test]
fn export_bindings() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src/generated");
    std::fs::create_dir_all(&dir).expect("create frontend/src/generated");
    DashboardEvent::export_all_to(&dir).expect("export DashboardEvent");
    BlockJson::export_all_to(&dir).expect("export Block");
    Transaction::export_all_to(&dir).expect("export Transaction");
    ChainStatus::export_all_to(&dir).expect("export ChainStatus");
    MiningStatus::export_all_to(&dir).expect("export MiningStatus");
    PeersView::export_all_to(&dir).expect("export PeersView");
    // The answers of `api_types.rs` (with every type they name).
    Status::export_all_to(&dir).expect("export Status");
    Health::export_all_to(&dir).expect("export Health");
    PublicKey::export_all_to(&dir).expect("export PublicKey");
    Balance::export_all_to(&dir).expect("export Balance");
    AddressInfo::export_all_to(&dir).expect("export AddressInfo");
    TransactionLookup::export_all_to(&dir).expect("export TransactionLookup");
    SubmittedTransfer::export_all_to(&dir).expect("export SubmittedTransfer");
    BlockView::export_all_to(&dir).expect("export BlockView");
    ChainTips::export_all_to(&dir).expect("export ChainTips");
    StartMiningResult::export_all_to(&dir).expect("export StartMiningResult");
    StopMiningResult::export_all_to(&dir).expect("export StopMiningResult");
    PeerConnecting::export_all_to(&dir).expect("export PeerConnecting");
    DevMined::export_all_to(&dir).expect("export DevMined");
    Isolation::export_all_to(&dir).expect("export Isolation");
}
