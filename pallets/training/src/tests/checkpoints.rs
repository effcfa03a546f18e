//! Aggregation: the aggregator's checkpoint, its review window, a disputed checkpoint replaced
//! or kept, a silent aggregator replaced, and the aggregator and disputer kept bonded until the
//! checkpoint settles.

use super::*;
use frame_support::assert_noop;

#[test]
fn a_disputed_checkpoint_is_replaced_and_its_aggregator_slashed() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_noop!(
			Training::commit_checkpoint(RuntimeOrigin::signed(checker), id, 0, bad()),
			Error::<Test>::NotAggregator
		);
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(checker), id, 0, bad()),
			Error::<Test>::WrongPhase
		);
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		// Any bonded worker may challenge; an account without a bond may not.
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(20), id, 0, checkpoint_after(0)),
			Error::<Test>::NotBonded
		);
		assert_noop!(
			Training::dispute_checkpoint(
				RuntimeOrigin::signed(aggregator),
				id,
				0,
				checkpoint_after(0)
			),
			Error::<Test>::NotParticipant
		);
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(checker), id, 0, bad()),
			Error::<Test>::SameCheckpoint
		);
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(checker), id, 0, H256::zero()),
			Error::<Test>::AlreadyDisputed
		);
		let dispute = challenge_of(id, 0);
		for voter in [100, 101, 102] {
			assert_ok!(vote(voter, dispute, Verdict::Correct(checkpoint_after(0))));
		}
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert_eq!(bounty(id).round, 1);
		assert_eq!(round_info(id, 1).checkpoint, checkpoint_after(0));
	});
}

#[test]
fn the_review_window_closes() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		System::set_block_number(phase_deadline(id, 0));
		assert_noop!(
			Training::dispute_checkpoint(
				RuntimeOrigin::signed(checker),
				id,
				0,
				checkpoint_after(0)
			),
			Error::<Test>::ReviewClosed
		);
	});
}

#[test]
fn an_unsettled_checkpoint_dispute_keeps_the_old_checkpoint() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		let dispute = challenge_of(id, 0);
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(result_of(id, 0), Some(spec().model.initial_checkpoint));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
	});
}

#[test]
fn a_silent_aggregator_is_replaced_then_the_round_keeps_its_checkpoint() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let first = aggregator_of(id, 0);
		run_to_block(phase_deadline(id, 0));
		let second = aggregator_of(id, 0);
		assert_ne!(first, second);
		assert!(training_events().contains(&Event::AggregatorMissed {
			bounty: id,
			round: 0,
			aggregator: first
		}));
		System::set_block_number(phase_deadline(id, 0));
		assert_noop!(
			Training::commit_checkpoint(RuntimeOrigin::signed(second), id, 0, checkpoint_after(0)),
			Error::<Test>::CheckpointDeadlinePassed
		);
		System::set_block_number(phase_deadline(id, 0) - 1);
		run_to_block(phase_deadline(id, 0));
		// Two attempts in the mock: the round ends with H_1 = H_0 and round 1 starts from it.
		let h0 = spec().model.initial_checkpoint;
		assert_eq!(result_of(id, 0), Some(h0));
		assert_eq!(round_info(id, 1).checkpoint, h0);
	});
}

#[test]
fn the_aggregator_and_the_disputer_stay_bonded_until_the_checkpoint_settles() {
	run(|| {
		let id = started(BountySpec { rounds: 1, ..spec() });
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let [checker, leaver] =
			[10, 11, 12, 13].into_iter().filter(|w| *w != aggregator).collect::<Vec<_>>()[..2]
		else {
			panic!()
		};
		assert_noop!(
			Workers::unbond(RuntimeOrigin::signed(aggregator)),
			pallet_workers::Error::<Test>::HasOpenAssignments
		);
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		// A worker whose slot is settled may leave, but then has no bond to back a claim.
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(leaver)));
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(leaver), id, 0, checkpoint_after(0)),
			Error::<Test>::NotBonded
		);
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		assert_noop!(
			Workers::unbond(RuntimeOrigin::signed(checker)),
			pallet_workers::Error::<Test>::HasOpenAssignments
		);
		let dispute = challenge_of(id, 0);
		for voter in [100, 101, 102] {
			assert_ok!(vote(voter, dispute, Verdict::Correct(bad())));
		}
		// The aggregator was right; the disputer pays for its false claim.
		assert_eq!(Workers::held(&checker), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&aggregator), WORKER_BOND);
		assert_eq!(bounty(id).checkpoint, bad());
		assert_eq!(open_assignments(aggregator), 0);
		assert_eq!(open_assignments(checker), 0);
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(aggregator)));
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(checker)));
	});
}
