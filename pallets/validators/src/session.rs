//! The election: this pallet as `pallet_session`'s session manager.

use crate::{
	BalanceOf, Candidates, Config, CurrentSession, ElectedStakes, Event, Ledger,
	MinimumValidatorCount, Pallet, SessionKeysRegistered, SessionStakes, ValidatorCount,
};
use alloc::vec::Vec;
use frame_support::{traits::Get, BoundedVec};
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
			.filter(T::SessionKeys::has_keys)
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
		let elected = Self::elect(new_index)?;
		// At most `ValidatorCount`, itself at most `MaxValidators`.
		ElectedStakes::<T>::insert(new_index, BoundedVec::truncate_from(elected.clone()));
		Some(elected.into_iter().map(|(who, _)| who).collect())
	}

	fn end_session(_end_index: SessionIndex) {}

	fn start_session(start_index: SessionIndex) {
		CurrentSession::<T>::put(start_index);
		if let Some(stakes) = ElectedStakes::<T>::take(start_index) {
			SessionStakes::<T>::put(stakes);
		}
	}
}

/// Through `pallet_session::historical`, an elected validator is identified by its account
/// alone (the full identification is `()`). Anything that can change within a session, such
/// as the bond, would make one offence look like several to `pallet_offences`, which tells
/// repeated reports apart by the offender's identification, and so slash it once per report.
impl<T: Config> pallet_session::historical::SessionManager<T::AccountId, ()> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
		let elected = <Self as pallet_session::SessionManager<_>>::new_session(new_index)?;
		Some(elected.into_iter().map(|who| (who, ())).collect())
	}

	fn start_session(start_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::start_session(start_index)
	}

	fn end_session(end_index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::end_session(end_index)
	}
}

/// `pallet_session::historical::Config::FullIdentificationOf`: `Some(())` for every account
/// with stake at risk, so that key-ownership proofs exist exactly for those who can be slashed.
pub struct BondedIdentification<T>(core::marker::PhantomData<T>);
impl<T: Config> Convert<T::AccountId, Option<()>> for BondedIdentification<T> {
	fn convert(who: T::AccountId) -> Option<()> {
		Ledger::<T>::contains_key(&who).then_some(())
	}
}
