//! Bisection games: two disagreeing replicas narrowed to the one step they part at, moves
//! refused, and a side that stops answering excused once, then losing.

use super::*;
use frame_support::{assert_noop, BoundedVec};

/// Round 0 of a fresh bounty with the second replica of shard 0 revealing the wrong root,
/// whose trajectory leaves the honest one at leaf 7: its dispute, and (honest, liar).
fn disagreement() -> (BountyId, DisputeId, AccountId, AccountId) {
	let id = started(spec());
	let [honest_worker, liar] = workers_of(id, 0, 0)[..] else { panic!() };
	train_round(id, 0, lying(liar));
	(id, dispute_of(id, 0, 0), honest_worker, liar)
}

#[test]
fn two_roots_are_bisected_to_the_first_step_they_part_at() {
	run(|| {
		let (id, dispute, honest_worker, liar) = disagreement();
		let opened = game(dispute);
		assert_eq!(opened.sides.clone().map(|s| s.backers.to_vec()), [[honest_worker], [liar]]);
		assert_eq!((opened.leaves, opened.low, opened.high), (11, 0, 12));
		// No vote counts before the game has found its step.
		assert_noop!(seal_vote(100, dispute, Verdict::NoneCorrect), Error::<Test>::StillBisecting);

		let turns = play(dispute);
		let over = game(dispute);
		// Leaves 0..=6 agree, leaf 7 (position 8) differs: the transition is the 7th step.
		assert_eq!((over.low, over.high), (7, 8));
		assert_eq!(over.agreed, Some(leaves_of(&good(0, 0))[6]));
		assert_eq!(over.sides[0].at_high, Some(leaves_of(&good(0, 0))[7]));
		assert_eq!(over.sides[1].at_high, Some(leaves_of(&bad())[7]));
		// ⌈log2(12)⌉ = 4 turns at most for 11 leaves.
		assert!(turns <= Bisection::<AccountId, u64>::max_turns(11));
		assert_eq!(Bisection::<AccountId, u64>::max_turns(11), 4);

		// The vote window opens whole when the game ends.
		let now = System::block_number();
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.sealing_ends, now + u64::from(spec().deadlines.vote));
		assert_eq!(record.deadline, record.sealing_ends + 2);
		assert!(training_events().contains(&Event::BisectionNarrowed {
			dispute,
			low: 7,
			high: 8,
			vote_deadline: record.deadline
		}));
		let verdict = Verdict::Correct(good(0, 0));
		vote_for(dispute, &[100, 101, 102], verdict);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
	});
}

#[test]
fn replicas_that_differ_only_in_their_delta_are_narrowed_to_the_delta() {
	run(|| {
		let id = started(spec());
		let [_, other] = workers_of(id, 0, 0)[..] else { panic!() };
		// The other replica reveals the delta of another shard along the same trajectory.
		train_round(id, 0, move |w, s| Some(if w == other { good(0, 1) } else { good(0, s) }));
		let dispute = dispute_of(id, 0, 0);
		play(dispute);
		let over = game(dispute);
		assert_eq!((over.low, over.high), (11, 12));
		assert_eq!(over.sides.clone().map(|s| s.at_high), [None, None]);
	});
}

#[test]
fn moves_are_refused_from_outsiders_twice_with_bad_proofs_or_late() {
	run(|| {
		let (_, dispute, honest_worker, liar) = disagreement();
		let start = game(dispute);
		let leaves = leaves_of(&good(0, 0));
		let index = start.midpoint() - 1;
		let proof =
			BoundedVec::truncate_from(cohort_formats::trajectory::proof(&leaves, index).siblings);
		let bisect = |who: AccountId, leaf: H256, proof: &BoundedVec<H256, _>| {
			Training::bisect(RuntimeOrigin::signed(who), dispute, leaf, proof.clone())
		};
		assert_noop!(
			Training::bisect(RuntimeOrigin::signed(100), 99, leaves[0], proof.clone()),
			Error::<Test>::UnknownDispute
		);
		assert_noop!(bisect(100, leaves[index as usize], &proof), Error::<Test>::NotParty);
		// The honest leaf with the liar's trajectory, and a leaf at another place.
		assert_noop!(bisect(liar, leaves[index as usize], &proof), Error::<Test>::InvalidProof);
		assert_noop!(bisect(honest_worker, leaves[0], &proof), Error::<Test>::InvalidProof);
		assert_ok!(bisect(honest_worker, leaves[index as usize], &proof));
		assert_noop!(
			bisect(honest_worker, leaves[index as usize], &proof),
			Error::<Test>::AlreadyMoved
		);
		System::set_block_number(start.deadline);
		assert_noop!(honest_move(dispute, 1), Error::<Test>::MoveDeadlinePassed);
	});
}

/// Run `dispute`'s game to its turn's deadline, `silent` the backers of the sides that do not
/// move: each is excused (a missed deadline more, nobody slashed, no verdict) and the turn
/// goes on for the grace.
fn excused(dispute: DisputeId, silent: &[AccountId]) {
	let missed = |who: &AccountId| pallet_workers::Workers::<Test>::get(who).unwrap().missed_in_row;
	let before: Vec<u32> = silent.iter().map(missed).collect();
	let deadline = game(dispute).deadline;
	run_to_block(deadline);
	let move_blocks: u32 = <<Test as Config>::MoveBlocks as frame_support::traits::Get<u32>>::get();
	let grace = deadline + u64::from(crate::bisection::GRACE_TURNS * move_blocks);
	assert_eq!(game(dispute).deadline, grace);
	let events = training_events();
	for (party, before) in silent.iter().zip(before) {
		let missed_turn = Event::BisectionTurnMissed { dispute, party: *party, deadline: grace };
		assert!(events.contains(&missed_turn));
		assert_eq!(missed(party), before + 1);
		assert_eq!(Workers::held(party), WORKER_BOND, "nobody is slashed for one silence");
	}
	assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Open);
}

#[test]
fn an_honest_side_kept_off_the_chain_for_a_turn_is_excused_and_the_liar_slashed() {
	run(|| {
		// The attack: the liar keeps moving while its honest partner cannot reach the chain
		// for a turn (a restart, a flooded link). Losing at the first silence, the honest
		// worker would be slashed and the liar's root stand unless audited.
		let (id, dispute, honest_worker, liar) = disagreement();
		assert_ok!(honest_move(dispute, 1));
		excused(dispute, &[honest_worker]);
		// Back within its grace, the honest side moves and the game goes on.
		assert_ok!(honest_move(dispute, 0));
		play(dispute);
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(good(0, 0)));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(honest_worker), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(Workers::held(&honest_worker), WORKER_BOND);
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
	});
}

#[test]
fn the_side_that_lets_a_second_turn_pass_loses_and_the_other_is_paid() {
	run(|| {
		// The liar answers the first turn, then goes silent: excused once, then it loses. A
		// liar that goes quiet must not escape: a whole-shard vote in the game's place would
		// be decided by validators of another class within a tolerance, or not at all.
		let (id, dispute, honest_worker, liar) = disagreement();
		assert_ok!(honest_move(dispute, 0));
		assert_ok!(honest_move(dispute, 1));
		assert_ok!(honest_move(dispute, 0));
		excused(dispute, &[liar]);
		let pot = free(SLASH_POT);
		run_to_block(game(dispute).deadline);

		assert!(training_events().contains(&Event::BisectionForfeited { dispute, party: liar }));
		let verdict = Verdict::Correct(good(0, 0));
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(honest_worker), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(free(SLASH_POT), pot + WORKER_BOND / 10);
		assert_eq!(open_assignments(liar), 0);
		// The round does not wait for the rest of the game's time.
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn two_sides_silent_past_their_grace_both_lose() {
	run(|| {
		let (id, dispute, honest_worker, liar) = disagreement();
		excused(dispute, &[honest_worker, liar]);
		run_to_block(game(dispute).deadline);
		assert_eq!(
			Disputes::<Test>::get(dispute).unwrap().status,
			DisputeStatus::Settled(Verdict::NoneCorrect)
		);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Rejected);
		for worker in [honest_worker, liar] {
			assert_eq!(Workers::held(&worker), WORKER_BOND - WORKER_BOND / 10);
		}
	});
}

#[test]
fn the_grace_is_once_a_game() {
	run(|| {
		// The honest side misses the first turn (excused), moves, and misses the next: it
		// loses, and the liar's root stands (the mock audits no winner). What the grace
		// covers is one outage a game, not two.
		let (id, dispute, honest_worker, liar) = disagreement();
		assert_ok!(honest_move(dispute, 1));
		excused(dispute, &[honest_worker]);
		assert_ok!(honest_move(dispute, 0));
		assert_ok!(honest_move(dispute, 1));
		run_to_block(game(dispute).deadline);
		let party = honest_worker;
		assert!(training_events().contains(&Event::BisectionForfeited { dispute, party }));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(bad()));
		assert_eq!(Workers::held(&honest_worker), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&liar), WORKER_BOND);
	});
}

#[test]
fn a_game_over_whose_vote_finds_no_quorum_is_unresolved_at_its_new_deadline() {
	run(|| {
		let (id, dispute, ..) = disagreement();
		play(dispute);
		let deadline = Disputes::<Test>::get(dispute).unwrap().deadline;
		run_to_block(deadline - 1);
		assert_eq!(phase(id), Phase::Settling);
		run_to_block(deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn a_games_winner_is_audited_at_the_bounty_rate_before_it_is_accepted() {
	run(|| {
		let id = started(BountySpec { audit_rate: sp_runtime::Perbill::one(), ..spec() });
		let [honest_worker, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(liar));
		let dispute = bisected(id, 0, 0);
		let verdict = Verdict::Correct(good(0, 0));
		vote_for(dispute, &[100, 101, 102], verdict);
		// The loser is slashed at once; the winner waits for its audit, one root, no game.
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		let audit = dispute_of(id, 0, 0);
		assert_ne!(audit, dispute);
		let record = Disputes::<Test>::get(audit).unwrap();
		assert_eq!(record.reason, DisputeReason::Audit);
		assert_eq!(record.candidates.len(), 1);
		assert_eq!(record.candidates[0].backers.to_vec(), vec![honest_worker]);
		assert!(Games::<Test>::get(audit).is_none());
		assert_eq!(phase(id), Phase::Settling);
		assert_eq!(free(honest_worker), 10_000 - WORKER_BOND);

		vote_for(audit, &[100, 101, 102], verdict);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(honest_worker), 10_000 - WORKER_BOND + REWARD);
	});
}

#[test]
fn any_backer_of_a_side_moves_for_it_and_the_first_move_counts() {
	run(|| {
		let id = started(BountySpec { replication: 3, ..spec() });
		let [a, b, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(liar));
		let dispute = dispute_of(id, 0, 0);
		assert_eq!(game(dispute).sides[0].backers.to_vec(), vec![a, b]);
		// `a` stays silent (as a sybil of the liar would): `b` answers every turn for the side.
		while !game(dispute).is_over() {
			assert_ok!(move_as(b, dispute, 0));
			assert_noop!(move_as(a, dispute, 0), Error::<Test>::AlreadyMoved);
			assert_ok!(honest_move(dispute, 1));
		}
		assert_eq!((game(dispute).low, game(dispute).high), (7, 8));
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(good(0, 0)));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		for slot in shard(id, 0, 0).slots.iter().filter(|slot| slot.worker != liar) {
			assert_eq!(slot.outcome, SlotOutcome::Accepted);
			assert_eq!(Workers::held(&slot.worker), WORKER_BOND);
		}
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
	});
}

#[test]
fn a_root_whose_backers_revealed_different_trajectories_is_not_bisected() {
	run(|| {
		let id = started(BountySpec { replication: 3, ..spec() });
		let [a, b, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		let checkpoint = round_info(id, 0).checkpoint;
		// `b` reveals the honest root along another trajectory than `a`'s.
		let other = trajectory_of(&bad());
		let seals = [
			(a, good(0, 0), trajectory_of(&good(0, 0))),
			(b, good(0, 0), other),
			(liar, bad(), trajectory_of(&bad())),
		];
		for (who, root, trajectory) in seals {
			let sealed = cohort_primitives::seal(&root, &trajectory, &salt(who), &who.encode());
			assert_ok!(Training::commit(RuntimeOrigin::signed(who), id, 0, 0, checkpoint, sealed));
		}
		run_to_block(round_info(id, 0).commit_deadline);
		for (who, root, trajectory) in seals {
			assert_ok!(Training::reveal(
				RuntimeOrigin::signed(who),
				id,
				0,
				0,
				root,
				trajectory,
				salt(who)
			));
		}
		run_to_block(round_info(id, 0).reveal_deadline);
		// Nobody could answer for both `a` and `b`: the validators recompute the shard.
		let dispute = dispute_of(id, 0, 0);
		assert!(Games::<Test>::get(dispute).is_none());
		assert_ok!(seal_vote(100, dispute, Verdict::Correct(good(0, 0))));
	});
}
