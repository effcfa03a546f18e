//! The block hook's weight budget: bounties due beyond it advance a block later, and a
//! round's expired disputes and bisection turns beyond it end in the blocks after.

use super::*;
use frame_support::{assert_noop, traits::Hooks, weights::Weight, BoundedVec};
use sp_runtime::Perbill;

/// `share` of the hook's budget, in time only.
fn share_of_budget(share: Perbill) -> Weight {
	Weight::from_parts(share * Training::hook_budget().ref_time(), 0)
}

/// Weights under which a bounty's bound (a draw, half the budget, and one conclusion, three
/// tenths) is over the budget: the hook concludes one dispute (or ends one bisection turn) a block.
fn one_conclusion_a_block() {
	DrawWeight::set(share_of_budget(Perbill::from_percent(50)));
	ConclusionWeight::set(share_of_budget(Perbill::from_percent(30)));
}

/// What the hook charges for a block in which `id`'s settling goes on with one dispute
/// concluded (or one bisection turn ended): one pass over the round, the conclusion, and the
/// block's vote-window bookings dropped and its author noted.
fn one_conclusion_charged(id: BountyId) -> Weight {
	let spec = bounty(id).spec;
	let pass = Training::transition_weight(crate::weights::weighed_shards(
		spec.shards_per_round,
		spec.replication,
	));
	let dropped = Training::dropping_weight().saturating_add(Training::noting_weight());
	pass.saturating_add(Training::conclusion_weight()).saturating_add(dropped)
}

#[test]
fn a_bounty_due_beyond_the_hooks_budget_advances_a_block_later() {
	run(|| {
		register_workers(10..18);
		let first = create_with(spec());
		let second = create_with(spec());
		let wake = bounty(first).wake_at.expect("a draw is due");
		assert_eq!(bounty(second).wake_at, Some(wake));
		// Each draw takes three fifths of the budget: the first bounty advances, the second
		// waits a block, and the hook stays within its budget.
		DrawWeight::set(share_of_budget(Perbill::from_percent(60)));
		run_to_block(wake - 1);
		System::set_block_number(wake);
		let used = Training::on_initialize(wake);
		assert!(used.all_lte(Training::hook_budget()), "{used} within the budget");
		assert!(Rounds::<Test>::get(first, 0).is_some());
		assert!(Rounds::<Test>::get(second, 0).is_none());
		assert_eq!(bounty(second).wake_at, Some(wake + 1));
		next_block();
		assert!(Rounds::<Test>::get(second, 0).is_some());
	});
}

#[test]
fn a_wake_up_that_draws_no_round_is_not_charged_a_draw() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let missed = aggregator_of(id, 0);
		let deadline = phase_deadline(id, 0);
		// A draw would take half the hook's budget.
		DrawWeight::set(share_of_budget(Perbill::from_percent(50)));
		run_to_block(deadline - 1);
		System::set_block_number(deadline);
		let used = Training::on_initialize(deadline);
		// The aggregator missed its deadline: the next one is designated, and the round after
		// stays as it was drawn when aggregation began. Nothing is drawn, and no draw is
		// charged: the passes over the round only (and the block's bookings dropped, its
		// author noted).
		assert_ne!(aggregator_of(id, 0), missed);
		let spec = bounty(id).spec;
		let shards = crate::weights::weighed_shards(spec.shards_per_round, spec.replication);
		let dropped = Training::dropping_weight().saturating_add(Training::noting_weight());
		assert_eq!(used, Training::transition_weight(shards).saturating_mul(2) + dropped);
		assert!(used.ref_time() < DrawWeight::get().ref_time());
	});
}

#[test]
fn expired_disputes_beyond_the_hooks_budget_conclude_in_the_blocks_after() {
	run(|| {
		// The last two audits expire in one block.
		let (id, disputes) = four_audits();
		let record = |s: usize| Disputes::<Test>::get(disputes[s]).unwrap();
		let deadline = record(2).deadline;
		assert_eq!(record(3).deadline, deadline);
		// One dispute concludes a block, and the bounty is charged only that while its
		// settling goes on.
		one_conclusion_a_block();
		run_to_block(deadline - 1);
		System::set_block_number(deadline);
		assert_eq!(Training::on_initialize(deadline), one_conclusion_charged(id));
		assert_eq!(record(2).status, DisputeStatus::Unresolved);
		assert_eq!(record(3).status, DisputeStatus::Open);
		assert_eq!(phase(id), Phase::Settling);
		// The vote window is over for it all the same.
		assert_noop!(
			seal_vote(100, disputes[3], Verdict::NoneCorrect),
			Error::<Test>::SealingClosed
		);
		next_block();
		assert_eq!(record(3).status, DisputeStatus::Unresolved);
		// Nothing was accepted: the next round has started.
		assert_eq!((bounty(id).round, phase(id)), (1, Phase::Training));
	});
}

#[test]
fn a_bounty_deferred_goes_before_one_that_is_due_again_at_once() {
	run(|| {
		let (_, disputes) = four_audits();
		let record = |s: usize| Disputes::<Test>::get(disputes[s]).unwrap();
		let deadline = record(3).deadline;
		// A second bounty whose first draw is due when the settling bounty's disputes expire.
		run_to_block(deadline - 1);
		register_workers(14..18);
		let other = create_with(spec());
		assert_eq!(bounty(other).wake_at, Some(deadline));
		one_conclusion_a_block();
		// The settling bounty concludes one dispute and is due again at once; the other one,
		// deferred, goes first in the next block and is drawn there.
		run_to_block(deadline);
		assert_eq!(record(3).status, DisputeStatus::Open);
		assert!(Rounds::<Test>::get(other, 0).is_none());
		next_block();
		assert!(Rounds::<Test>::get(other, 0).is_some());
		assert_eq!(record(3).status, DisputeStatus::Open);
		next_block();
		assert_eq!(record(3).status, DisputeStatus::Unresolved);
	});
}

#[test]
fn turns_ended_beyond_the_hooks_budget_end_in_the_blocks_after() {
	run(|| {
		// Both shards' second replicas lie, and nobody moves in either game: both turns end
		// at one deadline (each side excused), and both games are forfeited at the end of the
		// grace.
		let id = started(spec());
		let liars = [0, 1].map(|s| workers_of(id, 0, s)[1]);
		train_round(id, 0, |w, s| Some(if liars.contains(&w) { bad() } else { good(0, s) }));
		let disputes = [0, 1].map(|s| dispute_of(id, 0, s));
		let deadline = game(disputes[0]).deadline;
		assert_eq!(game(disputes[1]).deadline, deadline);
		let excused = |s: usize| game(disputes[s]).sides.iter().all(|side| side.excused);
		let status = |s: usize| Disputes::<Test>::get(disputes[s]).unwrap().status;
		// One turn ended a block, each charged as one conclusion.
		one_conclusion_a_block();
		run_to_block(deadline - 1);
		System::set_block_number(deadline);
		assert_eq!(Training::on_initialize(deadline), one_conclusion_charged(id));
		assert!(excused(0));
		assert!(!excused(1));
		// Its turn is over for it all the same.
		assert_noop!(
			Training::bisect(
				RuntimeOrigin::signed(liars[1]),
				disputes[1],
				H256::zero(),
				BoundedVec::new()
			),
			Error::<Test>::MoveDeadlinePassed
		);
		next_block();
		assert!(excused(1));
		// Their second silence loses them the games, one a block too.
		run_to_block(game(disputes[0]).deadline);
		assert_eq!(status(0), DisputeStatus::Settled(Verdict::NoneCorrect));
		assert_eq!(status(1), DisputeStatus::Open);
		next_block();
		assert_eq!(status(1), DisputeStatus::Settled(Verdict::NoneCorrect));
	});
}
