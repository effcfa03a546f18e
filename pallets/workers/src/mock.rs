//! A mock runtime: System, Balances and this pallet.

use crate as pallet_workers;
use cohort_primitives::{Capabilities, DeterminismClass, DeviceKind};
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64},
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Workers: pallet_workers,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Receives slashed bonds.
pub const SLASH_POT: AccountId = 99;
pub const MIN_BOND: u64 = 100;
pub const BONDING_DURATION: u64 = 10;
pub const HEARTBEAT_INTERVAL: u64 = 20;
pub const MAX_MISSED: u32 = 2;

parameter_types! {
	pub const SlashPot: AccountId = SLASH_POT;
}

impl pallet_workers::Config for Test {
	type Balance = u64;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnSlash = ResolveTo<SlashPot, Balances>;
	type MinWorkerBond = ConstU64<MIN_BOND>;
	type BondPerDuty = ConstU64<{ MIN_BOND / 4 }>;
	type WorkerBondingDuration = ConstU64<BONDING_DURATION>;
	type HeartbeatInterval = ConstU64<HEARTBEAT_INTERVAL>;
	type MaxMissedDeadlines = ConstU32<MAX_MISSED>;
	type MaxWorkersPerClass = ConstU32<3>;
	type MaxClasses = ConstU32<2>;
	type WeightInfo = ();
}

/// A class by name.
pub fn class(name: &str) -> DeterminismClass {
	DeterminismClass::new(name.as_bytes()).expect("well-formed class")
}

/// A CPU worker of `class_name` with 4 GiB and 50 GFLOP/s.
pub fn caps(class_name: &str) -> Capabilities {
	Capabilities { device: DeviceKind::Cpu, memory_mib: 4096, gflops: 50, class: class(class_name) }
}

/// Accounts 1..=8 hold 1_000 each; nobody is registered.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig {
			balances: (1..=8).map(|who| (who, 1_000)).chain([(SLASH_POT, 1)]).collect(),
			..Default::default()
		},
	}
	.build_storage()
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run `test` on a fresh mock chain, checking the pallet's invariants afterwards.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Workers::do_try_state().expect("pallet invariants hold");
	});
}
