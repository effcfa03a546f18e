//! # Cohort primitives
//!
//! What the runtime and the off-chain worker must agree on byte for byte: the identifiers of
//! bounties, rounds and shards, a bounty's specification, a worker's capabilities, where a peer listens, the verdict of
//! a dispute, and the commitment seals (a worker's `blake3(root ‖ trajectory ‖ salt ‖ account)`, a
//! validator's sealed vote) that the chain checks and the worker computes. Also the two traits through which `pallet-training` reaches the worker
//! registry and the validator set, so that neither pallet depends on the other.
//!
//! Everything here is `no_std`; with `std` every type also (de)serializes to the JSON that the
//! node's `cohort_*` RPC methods return.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod bounty;
mod capabilities;
#[cfg(feature = "std")]
pub mod json;
mod peer;
mod seal;
mod traits;

pub use bounty::{
	Aggregation, Architecture, BountySpec, DatasetSpec, Deadlines, HyperParams, ModelConfig,
	ModelSpec, Optimizer, Verdict, MAX_MODEL_CONFIG_LEN,
};
pub use capabilities::{Capabilities, DeterminismClass, DeviceKind, Requirements};
pub use peer::{
	checked_addresses, checked_peer_id, Addresses, Multiaddr, PeerError, PeerId, PeerRecord,
	MAX_ADDRESSES, MAX_ADDRESS_LEN, MAX_PEER_ID_LEN,
};
pub use seal::{seal, vote_seal};
pub use sp_core::H256;
pub use traits::{EligibleWorker, SlashReason, VoterStake, WorkerRegistry};

/// Identifies a bounty; assigned in order of creation.
pub type BountyId = u64;
/// Index of a round within its bounty, from 0.
pub type RoundIndex = u32;
/// Index of a shard within its round, from 0 to `shards_per_round - 1`.
pub type ShardIndex = u32;
/// Identifies a dispute; assigned in order of opening.
pub type DisputeId = u64;

/// Declare a type stored on chain or carried in calls: SCALE-encoded with a bounded size,
/// described for metadata, and (with `std`) serialized in camelCase for the `cohort_*` RPC
/// methods. Extra derives, serde bounds or `Deserialize` go on the item itself. Needs `codec`,
/// `scale_info` and, with `std`, `serde` among the caller's dependencies.
#[macro_export]
macro_rules! chain_type {
	($item:item) => {
		#[derive(
			Clone,
			PartialEq,
			Eq,
			codec::Encode,
			codec::Decode,
			codec::DecodeWithMemTracking,
			codec::MaxEncodedLen,
			scale_info::TypeInfo,
			Debug,
		)]
		#[cfg_attr(feature = "std", derive(serde::Serialize))]
		#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
		$item
	};
}

/// Like [`chain_type!`] for what runtime APIs return: no size bound, never stored.
#[macro_export]
macro_rules! view_type {
	($item:item) => {
		#[derive(
			Clone, PartialEq, Eq, codec::Encode, codec::Decode, scale_info::TypeInfo, Debug,
		)]
		#[cfg_attr(feature = "std", derive(serde::Serialize))]
		#[cfg_attr(feature = "std", serde(rename_all = "camelCase"))]
		$item
	};
}
