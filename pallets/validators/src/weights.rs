//! The weights `pallet_validators` needs from its runtime, one per call plus one for slashing
//! an offender (charged to the offence report).

use frame_support::weights::Weight;

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

/// For mock runtimes, whose tests check behaviour, not fees: every call weighs nothing. A real
/// runtime measures the pallet with its benchmarks (`benchmarking.rs`) and uses the generated
/// weights, as `cohort-runtime` does in `runtime/src/weights/pallet_validators.rs`.
impl WeightInfo for () {
	fn bond() -> Weight {
		Weight::zero()
	}
	fn bond_extra() -> Weight {
		Weight::zero()
	}
	fn unbond() -> Weight {
		Weight::zero()
	}
	fn withdraw_unbonded() -> Weight {
		Weight::zero()
	}
	fn validate() -> Weight {
		Weight::zero()
	}
	fn chill() -> Weight {
		Weight::zero()
	}
	fn set_validator_count() -> Weight {
		Weight::zero()
	}
	fn slash_offender() -> Weight {
		Weight::zero()
	}
}
