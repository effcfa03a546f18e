//! Offences reported through `pallet_offences` (GRANDPA equivocations) slash the offender;
//! other pallets may penalize a validator for a duty done wrong without ending its candidacy.

use crate::{BalanceOf, Config, Event, HoldReason, Ledger, Pallet, WeightInfo};
use frame_support::{
	traits::{fungible::BalancedHold, Get, OnUnbalanced},
	weights::Weight,
};
use sp_runtime::{traits::Zero, Perbill};
use sp_staking::{
	offence::{OffenceDetails, OnOffenceHandler},
	SessionIndex,
};

impl<T: Config> Pallet<T> {
	/// Take `fraction` of everything `who` has bonded (active first, then unlocking chunks),
	/// hand it to `Config::OnSlash`, and end its candidacy. Returns the amount taken.
	pub fn slash_bond(who: &T::AccountId, fraction: Perbill) -> BalanceOf<T> {
		let taken = Self::take_from_bond(who, fraction);
		Self::remove_candidate(who);
		taken
	}

	/// Take `fraction` of everything `who` has bonded, as [`Pallet::slash_bond`] does, but
	/// leave its candidacy alone: a penalty for a duty done wrong, not an offence against
	/// consensus. Returns the amount taken.
	pub fn penalize(who: &T::AccountId, fraction: Perbill) -> BalanceOf<T> {
		Self::take_from_bond(who, fraction)
	}

	fn take_from_bond(who: &T::AccountId, fraction: Perbill) -> BalanceOf<T> {
		let Some(mut ledger) = Ledger::<T>::get(who) else {
			return Zero::zero();
		};
		let taken = ledger.slash(fraction * ledger.total());
		if !taken.is_zero() {
			let (credit, missing) = T::Currency::slash(&HoldReason::Bonded.into(), who, taken);
			// The ledger and the hold move together, so the hold always covers the ledger.
			debug_assert!(missing.is_zero(), "hold smaller than the ledger");
			T::OnSlash::on_unbalanced(credit);
			Self::deposit_event(Event::Slashed { who: who.clone(), amount: taken });
		}
		if ledger.total().is_zero() {
			Ledger::<T>::remove(who);
		} else {
			Ledger::<T>::insert(who, ledger);
		}
		taken
	}
}

/// Each offender loses `Config::OffenceSlashFraction` of its bond. The fraction the offence
/// itself proposes is ignored: the runtime fixes one fraction for every reported offence, so
/// operators know their exposure in advance.
impl<T: Config> OnOffenceHandler<T::AccountId, (T::AccountId, ()), Weight> for Pallet<T> {
	fn on_offence(
		offenders: &[OffenceDetails<T::AccountId, (T::AccountId, ())>],
		_slash_fraction: &[Perbill],
		_session: SessionIndex,
	) -> Weight {
		let fraction = T::OffenceSlashFraction::get();
		for details in offenders {
			Self::slash_bond(&details.offender.0, fraction);
		}
		T::WeightInfo::slash_offender().saturating_mul(offenders.len() as u64)
	}
}
