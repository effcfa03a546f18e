//! The pallets whose weights `cohort-node benchmark pallet` measures (node built with
//! `--features runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_validators, Validators]
	[pallet_workers, Workers]
	[pallet_training, Training]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
