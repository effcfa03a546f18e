//! The weights `pallet_validators` needs from its runtime, one per call plus one for slashing
//! an offender (charged to the offence report).

use frame_support::weights::Weight;

/// Weight functions needed for `pallet_validators`.
pub trait WeightInfo {
	/// `bond`: a stash's first bond locked.
	fn bond() -> Weight;
	/// `bond_extra`: more of the stash's balance locked.
	fn bond_extra() -> Weight;
	/// `unbond`: part of the bond scheduled to unlock.
	fn unbond() -> Weight;
	/// `withdraw_unbonded`: the unlocked bond released.
	fn withdraw_unbonded() -> Weight;
	/// `validate`: the stash declared a validator candidate.
	fn validate() -> Weight;
	/// `chill`: the stash withdrawn from the candidates.
	fn chill() -> Weight;
	/// `set_validator_count`: the root call that sets the active set's size.
	fn set_validator_count() -> Weight;
	/// Slashing one offender, charged to the offence report that names it.
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
