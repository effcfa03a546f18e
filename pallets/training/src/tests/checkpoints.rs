//! Aggregation: the aggregator's checkpoint, its review window, a disputed checkpoint replaced
//! or kept, a silent aggregator replaced, the aggregator and disputer kept bonded until the
//! checkpoint settles, and the next round training during the review.

use super::*;
use cohort_primitives::SlashReason;
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
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(checkpoint_after(0)));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		next_block();
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
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(bad()));
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

#[test]
fn the_next_round_trains_while_the_checkpoint_is_reviewed_and_closes_after_it() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let proposed_at = System::block_number();
		propose(id, 0, checkpoint_after(0));
		let review_deadline = phase_deadline(id, 0);
		assert_eq!(round_info(id, 1).started_at, proposed_at);
		// Every slot of round 1 commits and reveals before round 0's review ends: the barriers
		// close its windows, but the round waits for the review to close.
		for s in 0..2 {
			for worker in workers_of(id, 1, s) {
				assert_ok!(commit(worker, id, 1, s, good(1, s)));
			}
		}
		run_to_block(round_info(id, 1).commit_deadline);
		for s in 0..2 {
			for worker in workers_of(id, 1, s) {
				assert_ok!(reveal(worker, id, 1, s, good(1, s)));
			}
		}
		let reveal_deadline = round_info(id, 1).reveal_deadline;
		assert!(reveal_deadline < review_deadline);
		run_to_block(reveal_deadline);
		assert_eq!(phase(id), Phase::Training);
		assert_eq!(shard(id, 1, 0).outcome, ShardOutcome::Pending);
		assert_eq!(result_of(id, 0), None);
		// A challenge names the round under review, not the bounty's current one.
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(aggregator_of(id, 0)), id, 1, bad()),
			Error::<Test>::WrongPhase
		);
		run_to_block(review_deadline);
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert_eq!(shard(id, 1, 0).outcome, ShardOutcome::Accepted(good(1, 0)));
		assert_eq!(phase(id), Phase::Aggregating);
		assert!(!training_events().iter().any(|e| matches!(e, Event::RoundVoided { .. })));
	});
}

#[test]
fn a_round_trained_from_a_checkpoint_that_falls_is_voided_and_starts_again() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		propose(id, 0, bad());
		assert_eq!(round_info(id, 1).checkpoint, bad());
		// Round 1's workers train from the proposed checkpoint and commit.
		let trained: Vec<(AccountId, ShardIndex)> =
			(0..2).flat_map(|s| workers_of(id, 1, s).into_iter().map(move |w| (w, s))).collect();
		for (worker, s) in &trained {
			assert_ok!(commit(*worker, id, 1, *s, good(1, *s)));
		}
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		let before: Vec<u64> = trained.iter().map(|(w, _)| Workers::held(w)).collect();
		let first = trained.iter().map(|(w, _)| *w).find(|w| *w != aggregator).unwrap();
		let free_before = free(first);
		let dispute = challenge_of(id, 0);
		// Every validator votes, so sealing ends at once and the verdict comes before round 1's
		// reveal deadline: its workers' seals are voided, not missed.
		vote_for(dispute, &VALIDATORS, Verdict::Correct(checkpoint_after(0)));
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert!(training_events().contains(&Event::RoundVoided {
			bounty: id,
			round: 1,
			checkpoint: bad(),
			slots: 4
		}));
		// Voided and drawn again by the hook that settled the challenge.
		// The aggregator pays for the lost work out of its slash (a tenth of its bond, one
		// slot's reward here): its own slot aside, the three others a third of a reward each.
		let paid: Vec<_> = training_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::VoidedWorkPaid { bounty, round: 1, worker, from, amount }
					if bounty == id =>
				{
					Some((worker, from, amount))
				}
				_ => None,
			})
			.collect();
		let share = REWARD / 3;
		let others = trained.iter().map(|(w, _)| *w).filter(|w| *w != aggregator);
		assert_eq!(paid, others.map(|w| (w, aggregator, share)).collect::<Vec<_>>());
		assert_eq!(free(first), free_before + share);
		// Nobody of the voided round is slashed (the aggregator is, for its checkpoint), and
		// the round starts again from the checkpoint that stood, with fresh slots.
		for ((worker, _), held) in trained.iter().zip(before) {
			let lost = if *worker == aggregator { WORKER_BOND / 10 } else { 0 };
			assert_eq!(Workers::held(worker), held - lost);
		}
		assert_eq!(bounty(id).round, 1);
		assert_eq!(round_info(id, 1).checkpoint, checkpoint_after(0));
		assert!(shard(id, 1, 0).slots.iter().all(|slot| slot.seal.is_none()));
		let (worker, s) = trained[0];
		assert_noop!(
			Training::commit(
				RuntimeOrigin::signed(worker),
				id,
				1,
				s,
				bad(),
				sealed(worker, good(1, s))
			),
			Error::<Test>::StaleCheckpoint
		);
		train_round(id, 1, honest(1));
		assert_eq!(shard(id, 1, 0).outcome, ShardOutcome::Accepted(good(1, 0)));
		aggregate(id, 1, checkpoint_after(1));
		assert_eq!(bounty(id).status, BountyStatus::Completed);
		assert_eq!(bounty(id).checkpoint, checkpoint_after(1));
	});
}

#[test]
fn a_challenge_whose_every_seal_opened_is_settled_by_the_next_blocks_hook() {
	// No vote settles anything: whoever sends an extrinsic in a block can read the block's
	// randomness and move workers before it. The last seal opened makes the challenge due at
	// the next block's hook, which settles it and goes on from its verdict at once (the round
	// ahead closing and drawing the round after it, or a voided round drawn again), well before
	// the review's own end.
	let settled = |stands: bool| {
		run(|| {
			let id = started(BountySpec { rounds: 3, ..spec() });
			train_round(id, 0, honest(0));
			let aggregator = aggregator_of(id, 0);
			propose(id, 0, checkpoint_after(0));
			let checker = (10..14).find(|w| *w != aggregator).unwrap();
			assert_ok!(Training::dispute_checkpoint(RuntimeOrigin::signed(checker), id, 0, bad()));
			// Round 1 trains and reveals in full; it waits for the challenge.
			train_round(id, 1, honest(1));
			assert_eq!(phase(id), Phase::Training);
			let verdict = Verdict::Correct(if stands { checkpoint_after(0) } else { bad() });
			let dispute = challenge_of(id, 0);
			let deadline = || Disputes::<Test>::get(dispute).unwrap().deadline;
			let review_ends = deadline().max(phase_deadline(id, 0));
			for voter in [100, 101, 102] {
				assert_ok!(seal_vote(voter, dispute, verdict));
			}
			end_sealing(dispute);
			for voter in [100, 101, 102] {
				assert_ok!(reveal_vote(voter, dispute, verdict));
			}
			let opened_at = System::block_number();
			assert_eq!(deadline(), opened_at + 1);
			assert!(opened_at + 1 < review_ends);
			assert_eq!(result_of(id, 0), None);
			assert_eq!(DrawnShards::<Test>::iter_prefix(id).count(), 0);
			next_block();
			let Verdict::Correct(result) = verdict else { unreachable!() };
			assert_eq!(result_of(id, 0), Some(result));
			if stands {
				// Round 1 closed and drew round 2.
				assert_eq!(phase(id), Phase::Aggregating);
				assert_eq!(DrawnShards::<Test>::iter_prefix(id).count(), 2);
			} else {
				// Round 1 trained from the checkpoint that fell: void, and drawn again.
				assert_eq!(bounty(id).round, 1);
				assert_eq!(round_info(id, 1).started_at, opened_at + 1);
				assert_eq!(round_info(id, 1).checkpoint, bad());
			}
			let drawn: Vec<_> = training_events()
				.into_iter()
				.filter(|e| matches!(e, Event::RoundStarted { round: 1, .. }))
				.collect();
			assert_eq!(drawn.len(), if stands { 1 } else { 2 });
		})
	};
	settled(true);
	settled(false);
}

#[test]
fn a_challenge_left_without_verdict_voids_the_round_ahead() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		propose(id, 0, checkpoint_after(0));
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::dispute_checkpoint(RuntimeOrigin::signed(checker), id, 0, bad()));
		let dispute = challenge_of(id, 0);
		let ends = Disputes::<Test>::get(dispute).unwrap().deadline.max(phase_deadline(id, 0));
		// Round 1 trains and closes its windows; it waits for the challenge, which nobody votes.
		train_round(id, 1, honest(1));
		assert_eq!(result_of(id, 0), None);
		run_to_block(ends);
		// The round keeps H_0, so round 1, which trained from the proposed checkpoint, is void.
		assert_eq!(result_of(id, 0), Some(spec().model.initial_checkpoint));
		assert!(training_events().iter().any(|e| matches!(e, Event::RoundVoided { round: 1, .. })));
		assert_eq!(round_info(id, 1).checkpoint, spec().model.initial_checkpoint);
		assert_eq!(phase(id), Phase::Training);
	});
}

#[test]
fn the_round_ahead_is_drawn_when_aggregation_begins_not_when_the_checkpoint_lands() {
	// The same round 0, its checkpoint committed at once or two blocks later: round 1's slots
	// are the same, so an aggregator cannot pick them by picking its block.
	let assignment = |wait: u64| {
		let mut slots = Vec::new();
		run(|| {
			let id = started(spec());
			train_round(id, 0, honest(0));
			run_to_block(System::block_number() + wait);
			propose(id, 0, checkpoint_after(0));
			slots = (0..2).map(|s| workers_of(id, 1, s)).collect::<Vec<_>>();
		});
		slots
	};
	assert_eq!(assignment(0), assignment(2));
}

#[test]
fn a_void_does_not_spare_a_seal_withheld_past_its_reveal_deadline() {
	run(|| {
		// Votes may take longer than round 1's windows.
		let mut long_votes = spec();
		long_votes.deadlines.vote = 12;
		let id = started(long_votes);
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		propose(id, 0, bad());
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		// Round 1: everyone commits, one withholds its reveal past the deadline; the round
		// waits for the challenge.
		let [withholder, partner] = workers_of(id, 1, 0)[..] else { panic!() };
		for s in 0..2 {
			for worker in workers_of(id, 1, s) {
				assert_ok!(commit(worker, id, 1, s, good(1, s)));
			}
		}
		run_to_block(round_info(id, 1).commit_deadline);
		for s in 0..2 {
			for worker in workers_of(id, 1, s).into_iter().filter(|w| *w != withholder) {
				assert_ok!(reveal(worker, id, 1, s, good(1, s)));
			}
		}
		run_to_block(round_info(id, 1).reveal_deadline);
		assert_eq!(result_of(id, 0), None);
		let held = Workers::held(&withholder);
		let partner_held = Workers::held(&partner);
		let dispute = challenge_of(id, 0);
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(checkpoint_after(0)));
		assert!(training_events().iter().any(|e| matches!(
			e,
			Event::SealUnrevealed { round: 1, worker, .. } if *worker == withholder
		)));
		assert!(training_events().contains(&Event::RoundVoided {
			bounty: id,
			round: 1,
			checkpoint: bad(),
			slots: 3
		}));
		let lost = |w: AccountId| if w == aggregator { WORKER_BOND / 10 } else { 0 };
		assert_eq!(Workers::held(&withholder), held - WORKER_BOND / 10 - lost(withholder));
		assert_eq!(Workers::held(&partner), partner_held - lost(partner));
	});
}

/// A reviewer that cannot fetch an accepted delta claims the round's own starting checkpoint,
/// `H_k`, and the validators, who could fetch every delta, find the proposal right: the claim
/// pays their reward out of its bond (no more), the escrow pays nothing for the recomputation,
/// and the honest aggregator loses nothing.
#[test]
fn a_refuted_claim_that_a_delta_cannot_be_fetched_pays_for_the_recomputation() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let claimer = (10..14).find(|w| *w != aggregator).unwrap();
		let unavailable = round_info(id, 0).checkpoint;
		propose(id, 0, checkpoint_after(0));
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(claimer),
			id,
			0,
			unavailable
		));
		// One such claim is all it takes; a second would only fill the dispute's places.
		let second = (10..14).find(|w| ![aggregator, claimer].contains(w)).unwrap();
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(second), id, 0, unavailable),
			Error::<Test>::UnavailabilityClaimed
		);
		let dispute = challenge_of(id, 0);
		let reward = Disputes::<Test>::get(dispute).unwrap().verifier_reward;
		assert!(reward > 0 && reward < WORKER_BOND / 10, "a price below the slash: {reward}");
		let voters = [100, 101, 102];
		let before = voters.map(free);
		vote_for(dispute, &voters, Verdict::Correct(checkpoint_after(0)));

		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND);
		// The voters' shares, rounded down, add up to at most the reward: the claim paid all
		// of them, and no more, so the escrow paid none.
		let earned: u64 = voters.iter().zip(before).map(|(v, before)| free(*v) - before).sum();
		assert!(earned <= reward && earned + voters.len() as u64 > reward, "{earned} of {reward}");
		assert_eq!(Workers::held(&claimer), WORKER_BOND - earned);
		let reason = SlashReason::UnavailabilityClaim { bounty: id, round: 0 };
		let charged = RuntimeEvent::Workers(pallet_workers::Event::Slashed {
			who: claimer,
			amount: earned,
			reason,
		});
		assert!(System::events().iter().any(|record| record.event == charged));
		assert!(training_events().contains(&Event::DisputeSettled {
			dispute,
			verdict: Verdict::Correct(checkpoint_after(0)),
			voters: 3,
			paid: earned,
		}));
	});
}

/// The same claim when the proposal was wrong: the validators recompute a third checkpoint,
/// the aggregator is slashed, and the claim, which stopped a checkpoint nobody else could
/// check, costs its reviewer nothing. Unresolved (nobody could fetch), it keeps `H_k` and
/// costs nobody anything.
#[test]
fn a_claim_that_a_delta_cannot_be_fetched_costs_nothing_unless_the_proposal_stands() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let claimer = (10..14).find(|w| *w != aggregator).unwrap();
		propose(id, 0, bad());
		let unavailable = round_info(id, 0).checkpoint;
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(claimer),
			id,
			0,
			unavailable
		));
		vote_for(challenge_of(id, 0), &[100, 101, 102], Verdict::Correct(checkpoint_after(0)));
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&claimer), WORKER_BOND);

		next_block();
		train_round(id, 1, honest(1));
		let aggregator = aggregator_of(id, 1);
		let claimer = (10..14).find(|w| *w != aggregator).unwrap();
		propose(id, 1, bad());
		let unavailable = round_info(id, 1).checkpoint;
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(claimer),
			id,
			1,
			unavailable
		));
		let dispute = challenge_of(id, 1);
		let held = [aggregator, claimer].map(|worker| Workers::held(&worker));
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(result_of(id, 1), Some(unavailable));
		assert_eq!([aggregator, claimer].map(|worker| Workers::held(&worker)), held);
	});
}

/// An aggregator that proposes the round's own starting checkpoint claims nothing about
/// availability: its proposal is judged as any other, and slashed when it falls.
#[test]
fn an_aggregator_proposing_the_rounds_own_checkpoint_is_slashed_when_it_falls() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		propose(id, 0, round_info(id, 0).checkpoint);
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		vote_for(challenge_of(id, 0), &[100, 101, 102], Verdict::Correct(checkpoint_after(0)));
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
	});
}
