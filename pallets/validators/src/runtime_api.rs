//! The read-side runtime API behind the node's `cohort_validators` RPC method.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_staking::SessionIndex;

/// One candidate as the RPC shows it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct CandidateInfo<AccountId, Balance> {
	/// The candidate's account.
	pub account: AccountId,
	/// Its active bond.
	pub bond: Balance,
	/// Whether it is in the current validator set.
	pub active: bool,
}

/// The validator set now, and who stands for the next election.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ValidatorSetInfo<AccountId, Balance> {
	/// The session in progress.
	pub session: SessionIndex,
	/// The validators of the current session, in session order.
	pub active: Vec<AccountId>,
	/// Every candidate, highest bond first.
	pub candidates: Vec<CandidateInfo<AccountId, Balance>>,
}

sp_api::decl_runtime_apis! {
	/// Queries about the proof-of-stake validator set.
	pub trait ValidatorsApi<AccountId, Balance>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
	{
		/// The current set and every candidate with its bond.
		fn validator_set() -> ValidatorSetInfo<AccountId, Balance>;
	}
}
