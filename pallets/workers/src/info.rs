//! What the registry records about one worker: pure data, no storage access.

use cohort_primitives::chain_type;
use cohort_primitives::{Capabilities, SlashReason};
#[cfg(feature = "std")]
use {core::fmt::Display, serde::Serialize};

pub use cohort_primitives::{
	Addresses, Multiaddr, PeerId, MAX_ADDRESSES, MAX_ADDRESS_LEN, MAX_PEER_ID_LEN,
};

chain_type! {
	/// Where a worker stands.
	#[derive(Copy)]
	pub enum WorkerStatus<BlockNumber> {
		/// Takes assignments while its heartbeat is fresh.
		Active,
		/// Missed too many deadlines in a row; a `heartbeat` makes it active again.
		Inactive,
		/// Unbonded: takes no assignments, and its bond can be withdrawn from `unlock_at` on.
		Leaving {
			/// The first block at which `withdraw_unbonded` succeeds.
			unlock_at: BlockNumber,
		},
		/// Lost its seat in its class to a bigger bond (or its class's seat to a new class):
		/// listed nowhere and drawn for nothing, while its open duties finish backed by its
		/// bond. `update` takes a seat again where one can be had; `unbond` leaves.
		Displaced,
	}
}

chain_type! {
	/// One registered worker.
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "Balance: Display, BlockNumber: Serialize"))
	)]
	pub struct WorkerInfo<Balance, BlockNumber> {
		/// Bonded stake, all of it on hold; slashes take from it.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub bond: Balance,
		/// What the worker offers.
		pub capabilities: Capabilities,
		/// Its libp2p peer id.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::hex"))]
		pub peer_id: PeerId,
		/// Its libp2p listen addresses.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::hex_list"))]
		pub addresses: Addresses,
		/// Active, inactive, displaced or leaving.
		pub status: WorkerStatus<BlockNumber>,
		/// The block of its last heartbeat (registration counts as one).
		pub last_heartbeat: BlockNumber,
		/// Assignment deadlines missed since it last met one.
		pub missed_in_row: u32,
		/// Slots it holds that are not settled yet; it cannot unbond while any is open.
		pub open_assignments: u32,
		/// Everything it has ever been slashed.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub slashed: Balance,
		/// Why it was last slashed.
		pub last_slash: Option<SlashReason>,
	}
}
