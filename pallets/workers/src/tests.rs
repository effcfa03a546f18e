//! Every call, every error and the registry interface, on the mock runtime.

use crate::{mock::*, ClassMembers, Error, Event, WorkerStatus, Workers as WorkerRecords};
use cohort_primitives::{
	DeterminismClass, DeviceKind, EligibleWorker, Requirements, SlashReason, WorkerRegistry,
};
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
	.map(|_| ())
	.map_err(|e| e.error)
}

fn move_to(who: AccountId, class_name: &str) -> sp_runtime::DispatchResult {
	Workers::update(RuntimeOrigin::signed(who), Some(caps(class_name)), None, None)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn members(class_name: &str) -> Vec<AccountId> {
	ClassMembers::<Test>::get(class(class_name)).to_vec()
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
		assert_eq!(members("cpu"), vec![1, 2, 3]);
		// A full class admits nobody bonded no more than its smallest member.
		assert_noop!(register(4, "cpu", 100), Error::<Test>::ClassFull);
		assert_ok!(register(4, "cuda-sm90", 100));
		// Both class seats are held by live workers with as much bonded as the newcomer.
		assert_noop!(register(5, "metal", 100), Error::<Test>::TooManyClasses);
	});
}

#[test]
fn a_new_class_bonded_above_the_least_bonded_class_takes_its_seat() {
	run(|| {
		for who in [1, 2, 3] {
			assert_ok!(register(who, "cpu", 100));
		}
		assert_ok!(register(4, "squat-a", 150));
		// A squatter's class is priced by its bond: the newcomer must put up more than the
		// least bonded class holds in all (150 here, against cpu's 300).
		assert_noop!(register(5, "metal", 150), Error::<Test>::TooManyClasses);
		assert_ok!(register(5, "metal", 151));
		assert!(!ClassMembers::<Test>::contains_key(class("squat-a")));
		assert_eq!(members("metal"), vec![5]);
		assert_eq!(members("cpu"), vec![1, 2, 3]);
		assert_eq!(status(4), WorkerStatus::Displaced);
		assert!(System::events().iter().any(
			|record| record.event == RuntimeEvent::Workers(Event::Displaced { who: 4, by: 5 })
		));
		// A move takes a free or silent seat only, never by bond: otherwise one bond could
		// empty a class seat after another without the bonding delay.
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(4), 500));
		assert_noop!(move_to(4, "rocm"), Error::<Test>::TooManyClasses);
	});
}

#[test]
fn a_full_class_seats_a_bigger_bond_and_displaces_its_smallest_member() {
	run(|| {
		assert_ok!(register(1, "cpu", 300));
		assert_ok!(register(2, "cpu", 100));
		assert_ok!(register(3, "cpu", 200));
		assert_ok!(register(4, "cpu", 101));
		assert_eq!(members("cpu"), vec![1, 3, 4]);
		assert_eq!(status(2), WorkerStatus::Displaced);
		assert!(System::events()
			.iter()
			.any(|record| record.event == Event::Displaced { who: 2, by: 4 }.into()));
		// Displaced: drawn for nothing, still bonded (so still answerable for what it did).
		assert!(!Workers::is_eligible(&2, &Requirements::default()));
		assert!(Workers::is_bonded(&2));
		assert_eq!(Workers::held(&2), 100);
		assert_noop!(Workers::heartbeat(RuntimeOrigin::signed(2)), Error::<Test>::Displaced);
		// It takes a seat again, at once, by bonding more than the smallest seated member.
		assert_noop!(move_to(2, "cpu"), Error::<Test>::ClassFull);
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(2), 50));
		assert_ok!(move_to(2, "cpu"));
		assert_eq!(members("cpu"), vec![1, 2, 3]);
		assert_eq!((status(2), status(4)), (WorkerStatus::Active, WorkerStatus::Displaced));
		assert!(Workers::is_eligible(&2, &Requirements::default()));
		// Or it leaves.
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(4)));
		assert_eq!(status(4), WorkerStatus::Leaving { unlock_at: 1 + BONDING_DURATION });
	});
}

#[test]
fn a_duty_does_not_keep_a_seat_but_is_finished_backed_by_the_bond() {
	run(|| {
		for who in [1, 2, 3] {
			assert_ok!(register(who, "cpu", 100 + who));
		}
		// Squatters cannot shield their seats by keeping themselves busy.
		Workers::assignment_opened(&1);
		assert_ok!(register(4, "cpu", 500));
		assert_eq!(members("cpu"), vec![2, 3, 4]);
		assert_eq!(status(1), WorkerStatus::Displaced);
		// The duty is still backed: the worker stays bonded, slashable, and cannot leave.
		assert!(Workers::is_bonded(&1));
		let reason = SlashReason::ShardDispute { bounty: 1, round: 0, shard: 0 };
		assert_eq!(Workers::slash(&1, Perbill::from_percent(10), reason), 10);
		assert_noop!(Workers::unbond(RuntimeOrigin::signed(1)), Error::<Test>::HasOpenAssignments);
		// It need not wait for its duties to take its seat back: it bonds more and returns.
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(1), 200));
		assert_ok!(move_to(1, "cpu"));
		assert_eq!(members("cpu"), vec![1, 3, 4]);
		assert_eq!((status(1), status(2)), (WorkerStatus::Active, WorkerStatus::Displaced));
		assert_eq!(WorkerRecords::<Test>::get(1).unwrap().open_assignments, 1);
	});
}

#[test]
fn a_move_takes_a_free_seat_but_never_displaces() {
	run(|| {
		for who in [1, 2, 3] {
			assert_ok!(register(who, "cpu", 100));
		}
		assert_ok!(register(4, "cuda-sm90", 500));
		// One bond hopping from class to class could otherwise empty a seat in each.
		assert_noop!(move_to(4, "cpu"), Error::<Test>::ClassFull);
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(3)));
		assert_ok!(move_to(4, "cpu"));
		assert_eq!(members("cpu"), vec![1, 2, 4]);
		assert!(!ClassMembers::<Test>::contains_key(class("cuda-sm90")));
		// A displaced worker may go to another class's free seat, but not while assigned.
		assert_ok!(register(5, "cpu", 200));
		assert_eq!(status(1), WorkerStatus::Displaced);
		Workers::assignment_opened(&1);
		assert_noop!(move_to(1, "metal"), Error::<Test>::HasOpenAssignments);
		Workers::assignment_closed(&1);
		assert_ok!(move_to(1, "metal"));
		assert_eq!((members("metal"), status(1)), (vec![1], WorkerStatus::Active));
	});
}

#[test]
fn a_new_class_takes_the_seat_of_a_class_nobody_has_heard_from() {
	run(|| {
		assert_ok!(register(1, "cpu", 100));
		assert_ok!(register(2, "squat-a", 100));
		assert_ok!(register(3, "squat-a", 100));
		// Worker 3 heartbeats at block 10 and then misses deadlines: inactive, which others
		// can cause (bounties nobody meets), does not free a seat; silence does.
		System::set_block_number(10);
		assert_ok!(Workers::heartbeat(RuntimeOrigin::signed(3)));
		Workers::deadline_missed(&3);
		Workers::deadline_missed(&3);
		assert_eq!(status(3), WorkerStatus::Inactive);
		System::set_block_number(10 + 2 * HEARTBEAT_INTERVAL);
		assert_ok!(Workers::heartbeat(RuntimeOrigin::signed(1)));
		assert_noop!(register(4, "metal", 100), Error::<Test>::TooManyClasses);
		System::set_block_number(11 + 2 * HEARTBEAT_INTERVAL);
		assert_ok!(register(4, "metal", 100));
		assert!(!ClassMembers::<Test>::contains_key(class("squat-a")));
		assert_eq!(members("metal"), vec![4]);
		assert_eq!(members("cpu"), vec![1]);
		for who in [2, 3] {
			assert_eq!(status(who), WorkerStatus::Displaced);
		}
	});
}

#[test]
fn a_seat_is_taken_again_only_with_the_minimum_bond_and_counts_as_a_sign_of_life() {
	run(|| {
		for who in [1, 2, 3] {
			assert_ok!(register(who, "cpu", 100 + who));
		}
		assert_ok!(register(4, "cpu", 500));
		assert_eq!(status(1), WorkerStatus::Displaced);
		// Slashed below the minimum while displaced: no seat (not even a free one, nor a
		// silent class's) until the bond is topped up.
		let reason = SlashReason::ShardDispute { bounty: 1, round: 0, shard: 0 };
		Workers::slash(&1, Perbill::from_percent(10), reason);
		assert_noop!(move_to(1, "metal"), Error::<Test>::BondTooLow);
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(1), 9));
		// A class founded by a move is as alive as one founded by registering.
		System::set_block_number(5 * HEARTBEAT_INTERVAL);
		assert_ok!(move_to(1, "metal"));
		assert_eq!(WorkerRecords::<Test>::get(1).unwrap().last_heartbeat, 5 * HEARTBEAT_INTERVAL);
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
fn a_worker_is_given_no_more_duties_than_its_bond_backs() {
	run(|| {
		// The mock's `BondPerDuty` is a quarter of the minimum bond: four duties.
		assert_ok!(register(1, "cpu", MIN_BOND));
		let any = Requirements::default();
		for _ in 0..3 {
			Workers::assignment_opened(&1);
		}
		assert!(Workers::is_eligible(&1, &any));
		Workers::assignment_opened(&1);
		assert!(!Workers::is_eligible(&1, &any));
		assert_eq!(Workers::eligible_by_class(&any), vec![]);
		// A duty finished, or more bond, makes room again.
		Workers::assignment_closed(&1);
		assert!(Workers::is_eligible(&1, &any));
		Workers::assignment_opened(&1);
		assert_ok!(Workers::bond_extra(RuntimeOrigin::signed(1), MIN_BOND / 4));
		assert!(Workers::is_eligible(&1, &any));
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
fn a_slash_pays_claims_first_pro_rata_and_the_rest_to_the_destination() {
	run(|| {
		assert_ok!(register(1, "cpu", 200));
		assert_ok!(register(2, "cpu", 100));
		assert_ok!(register(3, "cpu", 100));
		let issuance = Balances::total_issuance();
		let (free_2, free_3) = (Balances::balance(&2), Balances::balance(&3));
		let reason = SlashReason::CheckpointDispute { bounty: 7, round: 1 };
		// 20 taken for 23 owed (the slashed worker's own claim is not paid): each claim gets
		// 20/23 of itself, rounded down, 6 of 8 and 13 of 15, whatever its place; the
		// rounding's 1 goes to the destination.
		let mut claims = vec![(2, 8), (1, 5), (3, 15)];
		assert_eq!(Workers::slash_paying(&1, Perbill::from_percent(10), reason, &mut claims), 20);
		assert_eq!(claims, vec![(2, 2), (1, 5), (3, 2)]);
		assert_eq!((Balances::balance(&2), Balances::balance(&3)), (free_2 + 6, free_3 + 13));
		assert_eq!(Balances::balance(&SLASH_POT), 1 + 1);
		assert_eq!(Workers::held(&1), 180);
		// Claims smaller than the slash are paid in full; the rest goes to the destination.
		let mut claims = vec![(3, 2)];
		assert_eq!(Workers::slash_paying(&1, Perbill::from_percent(10), reason, &mut claims), 18);
		assert_eq!(claims, vec![(3, 0)]);
		assert_eq!(Balances::balance(&SLASH_POT), 2 + 16);
		assert_eq!(Balances::total_issuance(), issuance);
		let worker = WorkerRecords::<Test>::get(1).unwrap();
		assert_eq!((worker.bond, worker.slashed), (162, 38));
	});
}

#[test]
fn a_charge_takes_its_amount_whatever_the_bond_and_never_more_than_the_bond() {
	run(|| {
		assert_ok!(register(1, "cpu", 200));
		assert_ok!(register(2, "cpu", 100));
		let reason = SlashReason::UnavailabilityClaim { bounty: 7, round: 1 };
		let free_2 = Balances::balance(&2);
		// A price, not a fraction: 30 of a 200 bond, paid to the claim first.
		let mut claims = vec![(2, 12)];
		assert_eq!(Workers::charge_paying(&1, 30, reason, &mut claims), 30);
		assert_eq!(claims, vec![(2, 0)]);
		assert_eq!(Balances::balance(&2), free_2 + 12);
		assert_eq!(Balances::balance(&SLASH_POT), 1 + 18);
		// More than the bond takes the bond, and no more.
		assert_eq!(Workers::charge_paying(&1, 1_000, reason, &mut []), 170);
		let worker = WorkerRecords::<Test>::get(1).unwrap();
		assert_eq!((worker.bond, worker.slashed, worker.last_slash), (0, 200, Some(reason)));
		assert_eq!(Workers::held(&1), 0);
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
		// Each with the throughput it declared, for the round's draw to weigh.
		assert_eq!(
			Workers::eligible_by_class(&any)[0].1[0],
			EligibleWorker { account: 2, gflops: 50 }
		);
		// Every class with an eligible worker, in name order: the round's draw picks among them.
		assert_eq!(
			eligible_accounts(&any),
			vec![(class("cpu"), vec![2, 3]), (class("cuda-sm90"), vec![1, 4])]
		);
		Workers::deadline_missed(&3);
		Workers::deadline_missed(&3);
		assert_eq!(
			eligible_accounts(&any),
			vec![(class("cpu"), vec![2]), (class("cuda-sm90"), vec![1, 4])]
		);
		let cpu_only = Requirements { class: Some(class("cpu")), ..Default::default() };
		assert_eq!(eligible_accounts(&cpu_only), vec![(class("cpu"), vec![2])]);
		let gpus = Requirements { device: Some(DeviceKind::Cuda), ..Default::default() };
		assert_eq!(eligible_accounts(&gpus), vec![]);
		let big = Requirements { min_memory_mib: 8192, ..Default::default() };
		assert_eq!(eligible_accounts(&big), vec![]);
	});
}

/// [`Workers::eligible_by_class`], accounts only.
fn eligible_accounts(requirements: &Requirements) -> Vec<(DeterminismClass, Vec<AccountId>)> {
	Workers::eligible_by_class(requirements)
		.into_iter()
		.map(|(class, workers)| (class, workers.into_iter().map(|w| w.account).collect()))
		.collect()
}
