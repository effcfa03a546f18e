//! Every call, every error and the registry interface, on the mock runtime.

use crate::{mock::*, ClassMembers, Error, Event, WorkerStatus, Workers as WorkerRecords};
use cohort_primitives::{DeviceKind, Requirements, SlashReason, WorkerRegistry};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use sp_runtime::Perbill;

fn register(who: AccountId, class_name: &str, bond: u64) -> sp_runtime::DispatchResult {
	Workers::register(
		RuntimeOrigin::signed(who),
		caps(class_name),
		vec![who as u8; 38],
		vec![vec![4, 127, 0, 0, 1]],
		bond,
	)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn status(who: AccountId) -> WorkerStatus<u64> {
	WorkerRecords::<Test>::get(who).unwrap().status
}

#[test]
fn register_holds_the_bond_and_lists_the_worker() {
	run(|| {
		assert_ok!(register(1, "cpu", 150));
		assert_eq!(Workers::held(&1), 150);
		assert_eq!(Balances::balance(&1), 850);
		assert_eq!(ClassMembers::<Test>::get(class("cpu")).to_vec(), vec![1]);
		let worker = WorkerRecords::<Test>::get(1).unwrap();
		assert_eq!(worker.status, WorkerStatus::Active);
		assert_eq!(worker.last_heartbeat, 1);
		assert_eq!(
			last_event(),
			Event::Registered { who: 1, bond: 150, capabilities: caps("cpu") }.into()
		);
	});
}

#[test]
fn register_refuses_bad_input_without_change() {
	run(|| {
		assert_noop!(register(1, "cpu", MIN_BOND - 1), Error::<Test>::BondTooLow);
		assert_noop!(register(1, "cpu", 1_000), Error::<Test>::InsufficientBalance);
		let mut bad_class = caps("cpu");
		bad_class.class.0 = b"CPU x86".to_vec().try_into().unwrap();
		assert_noop!(
			Workers::register(RuntimeOrigin::signed(1), bad_class, vec![1], vec![], 100),
			Error::<Test>::InvalidClass
		);
		assert_noop!(
			Workers::register(RuntimeOrigin::signed(1), caps("cpu"), vec![], vec![], 100),
			Error::<Test>::EmptyPeerId
		);
		assert_noop!(
			Workers::register(RuntimeOrigin::signed(1), caps("cpu"), vec![1; 65], vec![], 100),
			Error::<Test>::PeerIdTooLong
		);
		assert_noop!(
			Workers::register(
				RuntimeOrigin::signed(1),
				caps("cpu"),
				vec![1],
				vec![vec![4]; 9],
				100
			),
			Error::<Test>::TooManyAddresses
		);
		assert_noop!(
			Workers::register(RuntimeOrigin::signed(1), caps("cpu"), vec![1], vec![vec![]], 100),
			Error::<Test>::InvalidAddress
		);
		assert_noop!(
			Workers::register(
				RuntimeOrigin::signed(1),
				caps("cpu"),
				vec![1],
				vec![vec![4; 129]],
				100
			),
			Error::<Test>::InvalidAddress
		);
		assert_ok!(register(1, "cpu", 100));
		assert_noop!(register(1, "cpu", 100), Error::<Test>::AlreadyRegistered);
	});
}

#[test]
fn classes_and_their_sizes_are_bounded() {
	run(|| {
		for who in [3, 1, 2] {
			assert_ok!(register(who, "cpu", 100));
		}
		assert_eq!(ClassMembers::<Test>::get(class("cpu")).to_vec(), vec![1, 2, 3]);
		assert_noop!(register(4, "cpu", 100), Error::<Test>::ClassFull);
		assert_ok!(register(4, "cuda-sm90", 100));
		assert_noop!(register(5, "metal", 100), Error::<Test>::TooManyClasses);
	});
}

#[test]
fn update_changes_addresses_and_moves_class() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		assert_ok!(Workers::update(
			RuntimeOrigin::signed(1),
			Some(caps("cuda-sm90")),
			Some(vec![9; 38]),
			Some(vec![vec![4, 10, 0, 0, 1], vec![4, 10, 0, 0, 2]]),
		));
		let worker = WorkerRecords::<Test>::get(1).unwrap();
		assert_eq!(worker.peer_id.to_vec(), vec![9; 38]);
		assert_eq!(worker.addresses.len(), 2);
		assert!(!ClassMembers::<Test>::contains_key(class("cpu")));
		assert_eq!(ClassMembers::<Test>::get(class("cuda-sm90")).to_vec(), vec![1]);
		assert_eq!(last_event(), Event::Updated { who: 1 }.into());
		assert_noop!(
			Workers::update(RuntimeOrigin::signed(2), None, None, None),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Workers::update(RuntimeOrigin::signed(1), None, Some(vec![]), None),
			Error::<Test>::EmptyPeerId
		);
	});
}

#[test]
fn bond_extra_adds_to_the_hold() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(1), 50));
		assert_eq!(Workers::held(&1), 150);
		assert_eq!(last_event(), Event::Bonded { who: 1, amount: 50, total: 150 }.into());
		assert_noop!(Workers::bond_extra(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Workers::bond_extra(RuntimeOrigin::signed(1), 900),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Workers::bond_extra(RuntimeOrigin::signed(2), 5),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn unbond_leaves_at_once_and_withdraw_waits_for_the_delay() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(1)));
		let unlock_at = 1 + BONDING_DURATION;
		assert_eq!(status(1), WorkerStatus::Leaving { unlock_at });
		assert!(!ClassMembers::<Test>::contains_key(class("cpu")));
		assert!(!Workers::is_eligible(&1, &Requirements::default()));
		assert_eq!(last_event(), Event::Unbonded { who: 1, amount: 100, unlock_at }.into());
		assert_noop!(Workers::unbond(RuntimeOrigin::signed(1)), Error::<Test>::Leaving);
		assert_noop!(Workers::heartbeat(RuntimeOrigin::signed(1)), Error::<Test>::Leaving);
		assert_noop!(Workers::bond_extra(RuntimeOrigin::signed(1), 5), Error::<Test>::Leaving);
		assert_noop!(register(1, "cpu", 100), Error::<Test>::AlreadyRegistered);

		System::set_block_number(unlock_at - 1);
		assert_noop!(
			Workers::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::StillLocked
		);
		System::set_block_number(unlock_at);
		assert_ok!(Workers::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(Balances::balance(&1), 1_000);
		assert!(WorkerRecords::<Test>::get(1).is_none());
		assert_eq!(last_event(), Event::Withdrawn { who: 1, amount: 100 }.into());
		assert_ok!(register(1, "cpu", 100));
	});
}

#[test]
fn withdraw_needs_a_leaving_worker() {
	run(|| {
		assert_noop!(
			Workers::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(1, "cpu", 100));
		assert_noop!(
			Workers::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NotLeaving
		);
	});
}

#[test]
fn unbond_waits_for_open_assignments() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		Workers::assignment_opened(&1);
		Workers::assignment_opened(&1);
		Workers::assignment_closed(&1);
		assert_noop!(Workers::unbond(RuntimeOrigin::signed(1)), Error::<Test>::HasOpenAssignments);
		Workers::assignment_closed(&1);
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(1)));
	});
}

#[test]
fn heartbeats_keep_a_worker_eligible() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		let any = Requirements::default();
		System::set_block_number(1 + HEARTBEAT_INTERVAL);
		assert!(Workers::is_eligible(&1, &any));
		System::set_block_number(2 + HEARTBEAT_INTERVAL);
		assert!(!Workers::is_eligible(&1, &any));
		assert_eq!(Workers::eligible_by_class(&any), vec![]);
		assert_ok!(Workers::heartbeat(RuntimeOrigin::signed(1)));
		assert!(Workers::is_eligible(&1, &any));
		assert_eq!(last_event(), Event::Heartbeat { who: 1 }.into());
		assert_noop!(Workers::heartbeat(RuntimeOrigin::signed(2)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn missed_deadlines_in_a_row_make_a_worker_inactive_until_a_heartbeat() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		let any = Requirements::default();
		Workers::deadline_missed(&1);
		Workers::deadline_met(&1);
		Workers::deadline_missed(&1);
		assert_eq!(status(1), WorkerStatus::Active);
		Workers::deadline_missed(&1);
		assert_eq!(status(1), WorkerStatus::Inactive);
		assert_eq!(last_event(), Event::MarkedInactive { who: 1, missed: MAX_MISSED }.into());
		assert!(!Workers::is_eligible(&1, &any));
		assert_ok!(Workers::heartbeat(RuntimeOrigin::signed(1)));
		assert_eq!(status(1), WorkerStatus::Active);
		assert_eq!(last_event(), Event::Reactivated { who: 1 }.into());
		assert_eq!(WorkerRecords::<Test>::get(1).unwrap().missed_in_row, 0);
	});
}

#[test]
fn slash_moves_a_fraction_of_the_bond_to_the_destination() {
	run(|| {
		assert_ok!(register(1, "cpu", 200));
		let issuance = Balances::total_issuance();
		let reason = SlashReason::ShardDispute { bounty: 7, round: 1, shard: 2 };
		assert_eq!(Workers::slash(&1, Perbill::from_percent(10), reason), 20);
		assert_eq!(Workers::held(&1), 180);
		assert_eq!(Balances::balance(&SLASH_POT), 21);
		assert_eq!(Balances::total_issuance(), issuance);
		let worker = WorkerRecords::<Test>::get(1).unwrap();
		assert_eq!((worker.bond, worker.slashed, worker.last_slash), (180, 20, Some(reason)));
		assert_eq!(last_event(), Event::Slashed { who: 1, amount: 20, reason }.into());
		// Below the minimum bond a worker gets no work until it tops up.
		assert_eq!(Workers::slash(&1, Perbill::from_percent(50), reason), 90);
		assert!(!Workers::is_eligible(&1, &Requirements::default()));
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(1), 10));
		assert!(Workers::is_eligible(&1, &Requirements::default()));
		assert_eq!(Workers::slash(&42, Perbill::from_percent(50), reason), 0);
	});
}

#[test]
fn eligible_workers_come_grouped_by_class() {
	run(|| {
		assert_ok!(register(1, "cuda-sm90", 100));
		assert_ok!(register(2, "cpu", 100));
		assert_ok!(register(3, "cpu", 100));
		assert_ok!(register(4, "cuda-sm90", 100));
		let any = Requirements::default();
		// Every class with an eligible worker, in name order: the round's draw picks among them.
		assert_eq!(
			Workers::eligible_by_class(&any),
			vec![(class("cpu"), vec![2, 3]), (class("cuda-sm90"), vec![1, 4])]
		);
		Workers::deadline_missed(&3);
		Workers::deadline_missed(&3);
		assert_eq!(
			Workers::eligible_by_class(&any),
			vec![(class("cpu"), vec![2]), (class("cuda-sm90"), vec![1, 4])]
		);
		let cpu_only = Requirements { class: Some(class("cpu")), ..Default::default() };
		assert_eq!(Workers::eligible_by_class(&cpu_only), vec![(class("cpu"), vec![2])]);
		let gpus = Requirements { device: Some(DeviceKind::Cuda), ..Default::default() };
		assert_eq!(Workers::eligible_by_class(&gpus), vec![]);
		let big = Requirements { min_memory_mib: 8192, ..Default::default() };
		assert_eq!(Workers::eligible_by_class(&big), vec![]);
	});
}
