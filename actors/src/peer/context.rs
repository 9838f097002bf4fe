//! What every peer session is given: [`SessionContext`], the addresses of the actors it talks
//! to, this node's identity and the P2P limits, and [`RouterLinks`], the `Recipient`s through
//! which a session reaches the router. The router builds both (it dials with them); the session
//! only uses them: neither imports the other.

use super::messages::{
    AdmitInbound, DialFailed, GetPeerUrls, LearnAddresses, Misbehaved, PeerTip, PeerTraffic, Register, ReleaseInbound,
    Unregister,
};
use crate::chain_actor::ChainActor;
use crate::chain_reader::ChainReader;
use crate::config::P2pConfig;
use crate::mempool_actor::MempoolActor;
use actix::prelude::*;
use bitcoin_rust_core::handshake::NodeId;
use bitcoin_rust_core::hash::BlockHash;
use bitcoin_rust_core::k256_reexport::SigningKey;
use bitcoin_rust_core::params::NetworkParams;
use std::sync::Arc;

/// Where sessions reach the router: one `Recipient` per message, so a session never names the
/// router's type.
#[derive(Clone)]
pub struct RouterLinks {
    /// [`AdmitInbound`].
    pub admit: Recipient<AdmitInbound>,
    /// [`ReleaseInbound`].
    pub release: Recipient<ReleaseInbound>,
    /// [`Register`].
    pub register: Recipient<Register>,
    /// [`Unregister`].
    pub unregister: Recipient<Unregister>,
    /// [`Misbehaved`].
    pub misbehaved: Recipient<Misbehaved>,
    /// [`PeerTip`].
    pub tip: Recipient<PeerTip>,
    /// [`LearnAddresses`].
    pub learn: Recipient<LearnAddresses>,
    /// [`GetPeerUrls`].
    pub urls: Recipient<GetPeerUrls>,
    /// [`PeerTraffic`].
    pub traffic: Recipient<PeerTraffic>,
    /// [`DialFailed`].
    pub dial_failed: Recipient<DialFailed>,
}

/// What every session of a node shares.
#[derive(Clone)]
pub struct SessionContext {
    /// The chain actor.
    pub chain: Addr<ChainActor>,
    /// The chain's read side (blocks for `GET_BLOCKS`).
    pub reader: ChainReader,
    /// The mempool actor.
    pub mempool: Addr<MempoolActor>,
    /// The peer router.
    pub router: RouterLinks,
    /// The network's parameters.
    pub params: Arc<NetworkParams>,
    /// The genesis hash.
    pub genesis: BlockHash,
    /// This node's key (its id is the public key).
    pub key: Arc<SigningKey>,
    /// This node's id.
    pub node_id: NodeId,
    /// The URL we accept peers on.
    pub listen_url: Arc<str>,
    /// Our HTTP API's URL, shared in the handshake.
    pub http_url: Arc<str>,
    /// P2P limits.
    pub config: Arc<P2pConfig>,
}
