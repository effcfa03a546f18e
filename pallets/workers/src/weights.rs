//! The weights `pallet_workers` needs from its runtime, one per call.

use frame_support::weights::Weight;

/// Weight functions needed for `pallet_workers`.
pub trait WeightInfo {
	/// `register`: a worker's bond locked and its record, class seat and addresses stored.
	fn register() -> Weight;
	/// `update`: a worker's capabilities, peer id or addresses replaced.
	fn update() -> Weight;
	/// `bond_extra`: more of the worker's balance bonded.
	fn bond_extra() -> Weight;
	/// `unbond`: the worker leaves the eligible set; its bond unlocks later.
	fn unbond() -> Weight;
	/// `withdraw_unbonded`: the unlocked bond released and the record removed.
	fn withdraw_unbonded() -> Weight;
	/// `heartbeat`: the worker's liveness recorded (and it is reactivated).
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
