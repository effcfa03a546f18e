//! What the registry records about one worker: pure data, no storage access.

use cohort_primitives::chain_type;
use cohort_primitives::{Capabilities, SlashReason};
use frame_support::{traits::ConstU32, BoundedVec};
#[cfg(feature = "std")]
use {core::fmt::Display, serde::Serialize};

/// The longest libp2p peer id accepted, in bytes (an Ed25519 peer id takes 38).
pub const MAX_PEER_ID_LEN: u32 = 64;
/// The most addresses a worker may register.
pub const MAX_ADDRESSES: u32 = 8;
/// The longest multiaddr accepted, in bytes (binary encoding).
pub const MAX_ADDRESS_LEN: u32 = 128;

/// A libp2p peer id, in its binary (multihash) form.
pub type PeerId = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;
/// One multiaddr, in its binary form.
pub type Multiaddr = BoundedVec<u8, ConstU32<MAX_ADDRESS_LEN>>;
/// The addresses a worker serves blobs at.
pub type Addresses = BoundedVec<Multiaddr, ConstU32<MAX_ADDRESSES>>;

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
		#[cfg_attr(feature = "std", serde(serialize_with = "serialize_addresses"))]
		pub addresses: Addresses,
		/// Active, inactive or leaving.
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

#[cfg(feature = "std")]
fn serialize_addresses<S: serde::Serializer>(
	addresses: &Addresses,
	serializer: S,
) -> Result<S::Ok, S::Error> {
	use serde::ser::SerializeSeq;
	#[derive(serde::Serialize)]
	struct Hex<'a>(#[serde(serialize_with = "cohort_primitives::json::hex")] &'a Multiaddr);
	let mut seq = serializer.serialize_seq(Some(addresses.len()))?;
	for address in addresses {
		seq.serialize_element(&Hex(address))?;
	}
	seq.end()
}
