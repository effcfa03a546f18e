//! The escrow a bounty holds and gives back: topping up adds rounds at their exact cost, and a
//! cancelled bounty refunds exactly what is not owed, whether it was waiting, mid-way or in its
//! last round.

use super::*;
use frame_support::assert_noop;

#[test]
fn top_up_adds_rounds_and_their_cost() {
	run(|| {
		let id = create_with(spec());
		assert_ok!(Training::top_up(RuntimeOrigin::signed(OWNER), id, 3));
		assert_eq!(bounty(id).spec.rounds, 5);
		assert_eq!(bounty(id).escrow, 5 * ROUND_COST);
		assert_eq!(escrow_held(), 5 * ROUND_COST);
		assert_noop!(
			Training::top_up(RuntimeOrigin::signed(OWNER), id, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Training::top_up(RuntimeOrigin::signed(OWNER), id, 6),
			Error::<Test>::TooManyRounds
		);
		assert_noop!(Training::top_up(RuntimeOrigin::signed(2), id, 1), Error::<Test>::NotOwner);
		assert_noop!(
			Training::top_up(RuntimeOrigin::signed(OWNER), 5, 1),
			Error::<Test>::UnknownBounty
		);
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		assert_noop!(
			Training::top_up(RuntimeOrigin::signed(OWNER), id, 1),
			Error::<Test>::NotActive
		);
	});
}

#[test]
fn cancelling_mid_way_refunds_exactly_what_is_not_owed() {
	run(|| {
		let id = started(BountySpec { rounds: 3, ..spec() });
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		// Rounds 1 and 2 never start: their cost comes back at once.
		assert!(training_events()
			.contains(&Event::BountyCancelled { bounty: id, refund: 2 * ROUND_COST }));
		assert_eq!(bounty(id).escrow, ROUND_COST);
		assert_eq!(bounty(id).status, BountyStatus::Cancelling);
		assert_noop!(
			Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id),
			Error::<Test>::NotActive
		);
		// The round in progress finishes and is paid; then the bounty closes.
		train_round(id, 0, honest(0));
		aggregate(id, 0, checkpoint_after(0));
		let record = bounty(id);
		assert_eq!(record.status, BountyStatus::Cancelled);
		assert_eq!(record.checkpoint, checkpoint_after(0));
		assert!(Rounds::<Test>::get(id, 1).is_none());
		assert_eq!(free(OWNER), 100_000 - 4 * REWARD);
		assert_eq!(escrow_held(), 0);
	});
}

#[test]
fn cancelling_a_waiting_bounty_refunds_everything_at_once() {
	run(|| {
		let id = create_with(spec());
		run_to_block(2);
		assert_eq!(phase(id), Phase::Waiting);
		assert_noop!(
			Training::cancel_bounty(RuntimeOrigin::signed(2), id),
			Error::<Test>::NotOwner
		);
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(bounty(id).status, BountyStatus::Cancelled);
		assert_eq!(free(OWNER), 100_000);
		assert_noop!(
			Training::cancel_bounty(RuntimeOrigin::signed(OWNER), 7),
			Error::<Test>::UnknownBounty
		);
	});
}

#[test]
fn a_cancelled_bounty_returns_its_last_rounds_savings_with_that_round() {
	run(|| {
		let id = started(spec());
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		train_round(id, 0, honest(0));
		aggregate(id, 0, checkpoint_after(0));
		assert!(training_events().contains(&Event::RoundFinished {
			bounty: id,
			round: 0,
			checkpoint: checkpoint_after(0),
			accepted: 4,
			refund: ROUND_COST - 4 * REWARD,
		}));
		assert_eq!(bounty(id).status, BountyStatus::Cancelled);
		assert_eq!(free(OWNER), 100_000 - 4 * REWARD);
	});
}
