//! The weights `pallet_workers` needs from its runtime, one per call.

use frame_support::weights::Weight;

/// Weight functions needed for `pallet_workers`.
pub trait WeightInfo {
	fn register() -> Weight;
	fn update() -> Weight;
	fn bond_extra() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn heartbeat() -> Weight;
}

/// For mock runtimes, whose tests check behaviour, not fees. A real runtime uses the weights
/// its benchmarks generate, as `cohort-runtime` does in `runtime/src/weights/pallet_workers.rs`.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::zero()
	}
	fn update() -> Weight {
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
	fn heartbeat() -> Weight {
		Weight::zero()
	}
}
