//! The read-side runtime API behind the node's `cohort_worker` and `cohort_workers` RPC methods.

use crate::WorkerInfo;
use alloc::vec::Vec;
use cohort_primitives::view_type;
#[cfg(feature = "std")]
use {core::fmt::Display, serde::Serialize};

view_type! {
	/// One worker as the RPC shows it.
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Display, BlockNumber: Serialize"))
	)]
	pub struct WorkerView<AccountId, Balance, BlockNumber> {
		/// The worker's account.
		pub account: AccountId,
		/// Whether a round drawn now could assign it (live, active, bonded enough).
		pub eligible: bool,
		/// Its record.
		#[cfg_attr(feature = "std", serde(flatten))]
		pub info: WorkerInfo<Balance, BlockNumber>,
	}
}

sp_api::decl_runtime_apis! {
	/// Queries about the worker registry.
	pub trait WorkersApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// One worker, if registered.
		fn worker(who: AccountId) -> Option<WorkerView<AccountId, Balance, BlockNumber>>;

		/// Every registered worker, in account order.
		fn workers() -> Vec<WorkerView<AccountId, Balance, BlockNumber>>;
	}
}
