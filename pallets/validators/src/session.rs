//! The election: this pallet as `pallet_session`'s session manager.

use crate::{
	BalanceOf, Candidates, Config, CurrentSession, Event, Ledger, MinimumValidatorCount, Pallet,
	SessionKeysRegistered, ValidatorCount,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use sp_runtime::traits::Convert;
use sp_staking::SessionIndex;

impl<T: Config> Pallet<T> {
	/// The top [`ValidatorCount`] candidates by active bond that still qualify (bond at least
	/// `MinValidatorBond`, session keys set), with their bonds, highest first; ties go to the
	/// lower account id so every node elects the same set. `None` when fewer than
	/// [`MinimumValidatorCount`] qualify.
	///
	/// The work is bounded by `MaxCandidates`.
	pub fn elect(session: SessionIndex) -> Option<Vec<(T::AccountId, BalanceOf<T>)>> {
		let min_bond = T::MinValidatorBond::get();
		let mut qualified: Vec<(T::AccountId, BalanceOf<T>)> = Candidates::<T>::iter_keys()
			.filter(|who| T::SessionKeys::has_keys(who))
			.filter_map(|who| {
				let bond = Ledger::<T>::get(&who)?.active;
				(bond >= min_bond).then_some((who, bond))
			})
			.collect();
		if (qualified.len() as u32) < MinimumValidatorCount::<T>::get() {
			Self::deposit_event(Event::ElectionFailed {
				session,
				qualified: qualified.len() as u32,
			});
			return None;
		}
		qualified.sort_by(|(a, bond_a), (b, bond_b)| bond_b.cmp(bond_a).then_with(|| a.cmp(b)));
		qualified.truncate(ValidatorCount::<T>::get() as usize);
		Self::deposit_event(Event::NewValidatorSet {
			session,
			validators: qualified.iter().map(|(who, _)| who.clone()).collect(),
		});
		Some(qualified)
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		Self::elect(new_index).map(|set| set.into_iter().map(|(who, _)| who).collect())
	}

	fn end_session(_end_index: SessionIndex) {}

	fn start_session(start_index: SessionIndex) {
		CurrentSession::<T>::put(start_index);
	}
}

/// Through `pallet_session::historical`, each elected validator is identified by its bond at
/// election time; offence reports carry that identification.
impl<T: Config> pallet_session::historical::SessionManager<T::AccountId, BalanceOf<T>>
	for Pallet<T>
{
	fn new_session(new_index: SessionIndex) -> Option<Vec<(T::AccountId, BalanceOf<T>)>> {
		Self::elect(new_index)
	}

	fn start_session(start_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::start_session(start_index)
	}

	fn end_session(end_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::end_session(end_index)
	}
}

/// `pallet_session::historical::Config::FullIdentificationOf`: a validator's active bond.
pub struct BondOf<T>(core::marker::PhantomData<T>);
impl<T: Config> Convert<T::AccountId, Option<BalanceOf<T>>> for BondOf<T> {
	fn convert(who: T::AccountId) -> Option<BalanceOf<T>> {
		Ledger::<T>::get(&who).map(|ledger| ledger.active)
	}
}
