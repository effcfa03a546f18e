//! A mock runtime: System, Balances and this pallet, with session keys faked by a set.

use crate as pallet_validators;
use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64},
};
use sp_runtime::{BuildStorage, Perbill};
use std::collections::BTreeSet;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Validators: pallet_validators,
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

/// Receives slashed stake.
pub const SLASH_POT: AccountId = 99;
pub const MIN_BOND: u64 = 100;
pub const BONDING_DURATION: u32 = 2;

parameter_types! {
	pub const SlashPot: AccountId = SLASH_POT;
	pub static WithKeys: BTreeSet<AccountId> = BTreeSet::new();
}

pub struct MockSessionKeys;
impl crate::SessionKeysRegistered<AccountId> for MockSessionKeys {
	fn has_keys(who: &AccountId) -> bool {
		WithKeys::get().contains(who)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_keys_for_benchmark(who: &AccountId) {
		set_keys(*who);
	}
}

/// Give `who` session keys, as `session.set_keys` would.
pub fn set_keys(who: AccountId) {
	WithKeys::mutate(|keys| keys.insert(who));
}

impl pallet_validators::Config for Test {
	type Balance = u64;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type SessionKeys = MockSessionKeys;
	type OnSlash = ResolveTo<SlashPot, Balances>;
	type MinValidatorBond = ConstU64<MIN_BOND>;
	type MaxValidators = ConstU32<4>;
	type MaxCandidates = ConstU32<6>;
	type MaxUnlockingChunks = ConstU32<2>;
	type BondingDuration = ConstU32<BONDING_DURATION>;
	type OffenceSlashFraction = SlashFraction;
	type WeightInfo = ();
}

parameter_types! {
	pub const SlashFraction: Perbill = Perbill::from_percent(10);
}

/// Accounts 1..=8 hold 1_000 each; 1, 2 and 3 are bonded candidates with keys (bonds 300,
/// 200, 100); 3 validators are wanted, at least 2.
pub fn new_test_ext() -> sp_io::TestExternalities {
	WithKeys::mutate(|keys| {
		keys.clear();
		keys.extend([1, 2, 3]);
	});
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig {
			balances: (1..=8).map(|who| (who, 1_000)).chain([(SLASH_POT, 1)]).collect(),
			..Default::default()
		},
		validators: pallet_validators::GenesisConfig {
			validators: vec![(1, 300), (2, 200), (3, 100)],
			validator_count: 3,
			minimum_validator_count: 2,
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
		Validators::do_try_state().expect("pallet invariants hold");
	});
}
