//! Weights for `pallet_validators`.
//!
//! The storage access counts below are exact (read off the code paths). The `ref_time`
//! constants are provisional: they come from the Substrate reference machine's costs for
//! comparable `pallet_staking` calls, until `cohort-node benchmark pallet --pallet
//! pallet_validators` (node built with `--features runtime-benchmarks`, benchmarks in
//! `benchmarking.rs`) regenerates this file on Cohort's reference hardware.

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Weight functions needed for `pallet_validators`.
pub trait WeightInfo {
	fn bond() -> Weight;
	fn bond_extra() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn validate() -> Weight;
	fn chill() -> Weight;
	fn set_validator_count() -> Weight;
	fn slash_offender() -> Weight;
}

/// Weights for `pallet_validators` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	// Reads: Ledger, System::Account, Balances::Holds. Writes: the same three.
	fn bond() -> Weight {
		Weight::from_parts(62_000_000, 4_764).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	// Reads: Ledger, System::Account, Balances::Holds. Writes: the same three.
	fn bond_extra() -> Weight {
		Weight::from_parts(60_000_000, 4_764).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	// Reads: Ledger, CurrentSession, Candidates. Writes: Ledger, Candidates, CounterForCandidates.
	fn unbond() -> Weight {
		Weight::from_parts(45_000_000, 4_764).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	// Reads: Ledger, CurrentSession, System::Account, Balances::Holds. Writes: Ledger,
	// System::Account, Balances::Holds.
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(58_000_000, 4_764).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	// Reads: Ledger, Session::NextKeys, Candidates, CounterForCandidates. Writes: Candidates,
	// CounterForCandidates.
	fn validate() -> Weight {
		Weight::from_parts(30_000_000, 4_764).saturating_add(T::DbWeight::get().reads_writes(4, 2))
	}
	// Reads: Candidates, CounterForCandidates. Writes: Candidates, CounterForCandidates.
	fn chill() -> Weight {
		Weight::from_parts(22_000_000, 3_551).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	// Writes: ValidatorCount, MinimumValidatorCount.
	fn set_validator_count() -> Weight {
		Weight::from_parts(8_000_000, 0).saturating_add(T::DbWeight::get().writes(2))
	}
	// Reads: Ledger, System::Account, Balances::Holds, Candidates, CounterForCandidates, and the
	// slash destination's account. Writes: the same.
	fn slash_offender() -> Weight {
		Weight::from_parts(85_000_000, 6_196).saturating_add(T::DbWeight::get().reads_writes(6, 6))
	}
}
