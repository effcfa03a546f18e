//! Benchmarks for `pallet_validators`; `weights.rs` is generated from them.

use super::*;
use crate::Pallet as Validators;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::RawOrigin;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// A funded account, with `bond` bonded if non-zero.
fn staker<T: Config>(index: u32, bond: BalanceOf<T>) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account("staker", index, 0);
	let funds = T::MinValidatorBond::get().saturating_mul(1_000u32.into());
	T::Currency::set_balance(&who, funds);
	if !bond.is_zero() {
		Validators::<T>::do_bond(&who, bond).expect("funded");
	}
	who
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let who = staker::<T>(0, Zero::zero());
		let value = T::MinValidatorBond::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), value);
		assert_eq!(Validators::<T>::active_bond(&who), value);
	}

	#[benchmark]
	fn bond_extra() {
		let value = T::MinValidatorBond::get();
		let who = staker::<T>(0, value);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), value);
		assert_eq!(Validators::<T>::active_bond(&who), value.saturating_mul(2u32.into()));
	}

	#[benchmark]
	fn unbond() {
		let min = T::MinValidatorBond::get();
		let who = staker::<T>(0, min.saturating_mul(2u32.into()));
		Candidates::<T>::insert(&who, ());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), min);
		assert_eq!(Validators::<T>::active_bond(&who), min);
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let min = T::MinValidatorBond::get();
		let who = staker::<T>(0, min);
		Validators::<T>::unbond(RawOrigin::Signed(who.clone()).into(), min).expect("bonded");
		CurrentSession::<T>::put(T::BondingDuration::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Ledger::<T>::get(&who).is_none());
	}

	#[benchmark]
	fn validate() {
		let who = staker::<T>(0, T::MinValidatorBond::get());
		T::SessionKeys::set_keys_for_benchmark(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Candidates::<T>::contains_key(&who));
	}

	#[benchmark]
	fn chill() {
		let who = staker::<T>(0, T::MinValidatorBond::get());
		Candidates::<T>::insert(&who, ());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Candidates::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_validator_count() {
		let max = T::MaxValidators::get();
		#[extrinsic_call]
		_(RawOrigin::Root, max, 1);
		assert_eq!(ValidatorCount::<T>::get(), max);
	}

	#[benchmark]
	fn slash_offender() {
		let who = staker::<T>(0, T::MinValidatorBond::get());
		Candidates::<T>::insert(&who, ());
		#[block]
		{
			Validators::<T>::slash_bond(&who, Perbill::from_percent(10));
		}
		assert!(!Candidates::<T>::contains_key(&who));
	}

	impl_benchmark_test_suite!(Validators, crate::mock::new_test_ext(), crate::mock::Test);
}
