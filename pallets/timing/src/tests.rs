use crate as pallet_timing;
use frame_support::{derive_impl, traits::Get};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timing: pallet_timing,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_timing::Config for Test {}

fn ext(slot_duration_ms: u64, session_length: u64) -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		timing: pallet_timing::GenesisConfig { slot_duration_ms, session_length },
	}
	.build_storage()
	.unwrap();
	storage.into()
}

#[test]
fn genesis_values_drive_the_getters() {
	ext(1_000, 10).execute_with(|| {
		assert_eq!(pallet_timing::SlotDuration::<Test>::get(), 1_000);
		assert_eq!(pallet_timing::MinimumPeriod::<Test>::get(), 500);
		assert_eq!(pallet_timing::SessionLength::<Test>::get(), 10);
	});
}

#[test]
fn zero_in_genesis_means_the_public_defaults() {
	ext(0, 0).execute_with(|| {
		assert_eq!(pallet_timing::SlotDuration::<Test>::get(), 6_000);
		assert_eq!(pallet_timing::MinimumPeriod::<Test>::get(), 3_000);
		assert_eq!(pallet_timing::SessionLength::<Test>::get(), 600);
	});
}

#[test]
#[should_panic(expected = "slot_duration_ms must be an even number")]
fn odd_slot_duration_is_refused_at_genesis() {
	ext(1_001, 10);
}
