//! Training rounds: whole honest rounds, commits and reveals out of turn, stale checkpoints,
//! copied seals, withheld reveals handed to standbys or left as lone reveals, empty rounds, and
//! a worker that cannot leave while its slot is open.

use super::*;
use frame_support::assert_noop;

#[test]
fn a_worker_far_slower_than_its_class_stands_by_while_a_fast_one_trains_twice() {
	run(|| {
		register_workers(10..13);
		// A quarter of the others' speed: a round it trained in would last four times as
		// long as one where a fast worker trains a second shard.
		register_worker_at(13, 25);
		let id = create_with(spec());
		run_to_block(2);
		let mut assigned: Vec<AccountId> = (0..2).flat_map(|s| workers_of(id, 0, s)).collect();
		assert!(!assigned.contains(&13), "{assigned:?}");
		assigned.sort();
		assigned.dedup();
		assert_eq!(assigned, vec![10, 11, 12]);
		assert_eq!(round_info(id, 0).standbys.into_inner(), vec![13]);
	});
}

#[test]
fn an_honest_bounty_runs_every_round_and_refunds_the_rest() {
	run(|| {
		register_workers(10..14);
		let issuance = Balances::total_issuance();
		let id = create_with(spec());
		assert_eq!(bounty(id).escrow, 2 * ROUND_COST);
		assert_eq!(escrow_held(), 2 * ROUND_COST);
		assert!(training_events().contains(&Event::BountyCreated {
			bounty: id,
			owner: OWNER,
			escrow: 2 * ROUND_COST
		}));

		// The round is assigned in the next block: each shard to 2 distinct workers.
		run_to_block(2);
		assert_eq!(phase(id), Phase::Training);
		let mut everyone = Vec::new();
		for s in 0..2 {
			let workers = workers_of(id, 0, s);
			assert_eq!(workers.len(), 2);
			assert_ne!(workers[0], workers[1]);
			everyone.extend(workers);
		}
		everyone.sort();
		assert_eq!(everyone, vec![10, 11, 12, 13]);
		assert_eq!(shard(id, 0, 1).dataset_shard, 1);
		assert!(everyone.iter().all(|w| open_assignments(*w) == 1));

		train_round(id, 0, honest(0));
		for s in 0..2 {
			assert_eq!(shard(id, 0, s).outcome, ShardOutcome::Accepted(good(0, s)));
		}
		// Every slot is settled; the designated aggregator has its duty, and each worker its
		// slot of round 1, drawn as aggregation began.
		let aggregator = aggregator_of(id, 0);
		for worker in 10..14 {
			assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
			let duties = drawn_slots(id, worker) + u32::from(worker == aggregator);
			assert_eq!(open_assignments(worker), duties);
		}
		assert_eq!((10..14).map(|w| drawn_slots(id, w)).sum::<u32>(), 4);
		assert_eq!(phase(id), Phase::Aggregating);

		// Round 1 starts from the proposed checkpoint at once, while it is reviewed.
		propose(id, 0, checkpoint_after(0));
		assert_eq!(bounty(id).round, 1);
		assert_eq!(round_info(id, 1).checkpoint, checkpoint_after(0));
		assert_eq!(result_of(id, 0), None);
		// Round 1 trains dataset shards 2 and 3.
		assert_eq!(shard(id, 1, 0).dataset_shard, 2);

		let review_deadline = phase_deadline(id, 0);
		train_round(id, 1, honest(1));
		run_to_block(review_deadline);
		assert_eq!(result_of(id, 0), Some(checkpoint_after(0)));
		// The last round's checkpoint starts nothing.
		aggregate(id, 1, checkpoint_after(1));
		assert!(Rounds::<Test>::get(id, 2).is_none());
		let record = bounty(id);
		assert_eq!(record.status, BountyStatus::Completed);
		assert_eq!(record.checkpoint, checkpoint_after(1));
		assert_eq!(record.escrow, 0);
		assert_eq!(escrow_held(), 0);
		// 8 contributions paid; the verifier shares nobody earned came back.
		assert_eq!(free(OWNER), 100_000 - 8 * REWARD);
		assert!(training_events().contains(&Event::BountyFinished {
			bounty: id,
			status: BountyStatus::Completed,
			checkpoint: checkpoint_after(1),
			refund: 0,
		}));
		// Each round's unspent verifier shares came back as it ended.
		assert!(training_events().contains(&Event::RoundFinished {
			bounty: id,
			round: 1,
			checkpoint: checkpoint_after(1),
			accepted: 4,
			refund: ROUND_COST - 4 * REWARD,
		}));
		assert_eq!(ActiveBounties::<Test>::get(), 0);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn commit_and_reveal_refuse_out_of_turn_calls() {
	run(|| {
		register_workers(10..14);
		let id = create_with(spec());
		let unseen = H256::zero();
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(10), id, 0, 0, unseen, unseen),
			Error::<Test>::WrongRound
		);
		run_to_block(2);
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		let outsider = workers_of(id, 0, 1)[0];
		let checkpoint = round_info(id, 0).checkpoint;
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(a), 9, 0, 0, checkpoint, sealed(a, good(0, 0))),
			Error::<Test>::UnknownBounty
		);
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(a), id, 1, 0, checkpoint, sealed(a, good(0, 0))),
			Error::<Test>::WrongRound
		);
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(a), id, 0, 7, checkpoint, sealed(a, good(0, 0))),
			Error::<Test>::UnknownShard
		);
		assert_noop!(commit(outsider, id, 0, 0, good(0, 0)), Error::<Test>::NotAssigned);
		assert_noop!(reveal(a, id, 0, 0, good(0, 0)), Error::<Test>::RevealNotOpen);
		assert_ok!(commit(a, id, 0, 0, good(0, 0)));
		assert_noop!(commit(a, id, 0, 0, good(0, 0)), Error::<Test>::AlreadyCommitted);
		run_to_block(round_info(id, 0).commit_deadline);
		assert_noop!(commit(b, id, 0, 0, good(0, 0)), Error::<Test>::CommitDeadlinePassed);
		assert_noop!(reveal(b, id, 0, 0, good(0, 0)), Error::<Test>::NotCommitted);
		assert_noop!(reveal(a, id, 0, 0, bad()), Error::<Test>::SealMismatch);
		// The trajectory is sealed with the root: another one does not open the seal.
		let other = H256::repeat_byte(0x5a);
		assert_noop!(
			Training::reveal(RuntimeOrigin::signed(a), id, 0, 0, good(0, 0), other, salt(a)),
			Error::<Test>::SealMismatch
		);
		assert_ok!(reveal(a, id, 0, 0, good(0, 0)));
		assert_noop!(reveal(a, id, 0, 0, good(0, 0)), Error::<Test>::AlreadyRevealed);
		// b never revealed and no standby is left: the round goes on to settle the lone reveal.
		run_to_block(round_info(id, 0).reveal_deadline);
		assert_eq!(phase(id), Phase::Settling);
		assert_noop!(reveal(a, id, 0, 0, good(0, 0)), Error::<Test>::WrongPhase);
	});
}

#[test]
fn a_stale_checkpoint_is_refused() {
	run(|| {
		let id = started(spec());
		let a = workers_of(id, 0, 0)[0];
		assert_noop!(
			Training::commit(
				RuntimeOrigin::signed(a),
				id,
				0,
				0,
				H256::zero(),
				sealed(a, good(0, 0))
			),
			Error::<Test>::StaleCheckpoint
		);
		// In round 1, round 0's checkpoint is stale too.
		train_round(id, 0, honest(0));
		propose(id, 0, checkpoint_after(0));
		let w = workers_of(id, 1, 0)[0];
		let h0 = spec().model.initial_checkpoint;
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(w), id, 1, 0, h0, sealed(w, good(1, 0))),
			Error::<Test>::StaleCheckpoint
		);
		assert_ok!(commit(w, id, 1, 0, good(1, 0)));
	});
}

#[test]
fn a_copied_seal_is_slashed_and_never_keeps_its_author_out() {
	run(|| {
		let id = started(spec());
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		let c = workers_of(id, 0, 1)[0];
		let checkpoint = round_info(id, 0).checkpoint;
		let a_seal = sealed(a, good(0, 0));
		// b sees a's commit in the pool and gets the same seal in first, in a's shard, and c
		// copies it into another shard. Neither keeps a from committing it.
		assert_ok!(Training::commit(RuntimeOrigin::signed(b), id, 0, 0, checkpoint, a_seal));
		assert_ok!(Training::commit(RuntimeOrigin::signed(c), id, 0, 1, checkpoint, a_seal));
		assert_ok!(Training::commit(RuntimeOrigin::signed(a), id, 0, 0, checkpoint, a_seal));
		run_to_block(round_info(id, 0).commit_deadline);
		// The seal binds a's account: nobody else can open it.
		for (copier, s) in [(b, 0), (c, 1)] {
			assert_noop!(
				Training::reveal(
					RuntimeOrigin::signed(copier),
					id,
					0,
					s,
					good(0, 0),
					trajectory_of(&good(0, 0)),
					salt(a)
				),
				Error::<Test>::SealMismatch
			);
		}
		assert_ok!(reveal(a, id, 0, 0, good(0, 0)));
		// The copies are never opened: at the reveal deadline their committers are slashed.
		run_to_block(round_info(id, 0).reveal_deadline);
		for (copier, s) in [(b, 0), (c, 1)] {
			assert_eq!(Workers::held(&copier), WORKER_BOND - WORKER_BOND / 10);
			let slot = shard(id, 0, s).slots.into_iter().find(|x| x.worker == copier).unwrap();
			assert_eq!(slot.outcome, SlotOutcome::Slashed);
		}
		assert_eq!(Workers::held(&a), WORKER_BOND);
	});
}

#[test]
fn a_withheld_reveal_is_slashed_and_not_handed_to_a_standby() {
	run(|| {
		register_workers(10..16);
		let id = create_with(spec());
		run_to_block(2);
		let standbys = round_info(id, 0).standbys.to_vec();
		assert_eq!(standbys.len(), 2);
		let [withholder, partner] = workers_of(id, 0, 0)[..] else { panic!() };
		// The withholder commits but never reveals; its partner reveals.
		assert_ok!(commit(withholder, id, 0, 0, good(0, 0)));
		train_round(id, 0, |w, s| (w != withholder).then_some(good(0, s)));

		// A seal committed and never opened costs stake: it could be a copy or a withheld result.
		assert_eq!(Workers::held(&withholder), WORKER_BOND - WORKER_BOND / 10);
		assert!(training_events().contains(&Event::SealUnrevealed {
			bounty: id,
			round: 0,
			shard: 0,
			worker: withholder,
			slashed: WORKER_BOND / 10,
		}));
		assert_eq!(open_assignments(withholder), 0);
		// The partner's root is public now: a standby that joined the shard could commit it
		// without training. So nobody joins; the lone reveal goes to the validators.
		assert!(!training_events().iter().any(|e| matches!(e, Event::SlotReassigned { .. })));
		assert!(!round_info(id, 0).retried);
		let dispute = dispute_of(id, 0, 0);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().reason, DisputeReason::LoneReveal);
		for standby in &standbys {
			assert_noop!(commit(*standby, id, 0, 0, good(0, 0)), Error::<Test>::WrongPhase);
		}
		vote_for(dispute, &VALIDATORS, Verdict::Correct(good(0, 0)));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(partner), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(free(withholder), 10_000 - WORKER_BOND);
		for standby in standbys {
			assert_eq!(free(standby), 10_000 - WORKER_BOND);
		}
		next_block();
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn a_shard_nobody_revealed_is_handed_to_standbys() {
	run(|| {
		register_workers(10..16);
		let id = create_with(spec());
		run_to_block(2);
		let standbys = round_info(id, 0).standbys.to_vec();
		let announced = training_events().into_iter().find_map(|event| match event {
			Event::RoundStarted { standbys, .. } => Some(standbys),
			_ => None,
		});
		assert_eq!(announced, Some(standbys.clone()));
		let [withholder, silent] = workers_of(id, 0, 0)[..] else { panic!() };
		// Nobody reveals in shard 0: one seal stays shut, the other slot is never committed.
		assert_ok!(commit(withholder, id, 0, 0, good(0, 0)));
		train_round(id, 0, |w, s| (s == 1).then_some(good(0, s)).filter(|_| w != silent));

		assert_eq!(Workers::held(&withholder), WORKER_BOND - WORKER_BOND / 10);
		for from in [withholder, silent] {
			let to =
				shard(id, 0, 0).slots.iter().find(|s| s.replaced == Some(from)).unwrap().worker;
			assert!(standbys.contains(&to));
			assert!(training_events().contains(&Event::SlotReassigned {
				bounty: id,
				round: 0,
				shard: 0,
				from,
				to
			}));
			assert_eq!(pallet_workers::Workers::<Test>::get(from).unwrap().missed_in_row, 1);
			assert_eq!(open_assignments(from), 0);
		}
		// Shard 1 was complete and is already accepted; shard 0 waits for the standbys.
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Accepted(good(0, 1)));
		let info = round_info(id, 0);
		assert!(info.retried);
		assert_eq!(phase(id), Phase::Training);
		for standby in &standbys {
			assert_ok!(commit(*standby, id, 0, 0, good(0, 0)));
		}
		run_to_block(info.commit_deadline);
		for standby in &standbys {
			assert_ok!(reveal(*standby, id, 0, 0, good(0, 0)));
		}
		run_to_block(info.reveal_deadline);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		for standby in standbys {
			assert_eq!(free(standby), 10_000 - WORKER_BOND + REWARD);
		}
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn an_unrevealed_slot_without_standby_makes_a_lone_reveal_disputed() {
	run(|| {
		let id = started(spec());
		let [silent, lone] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, |w, s| (w != silent).then_some(good(0, s)));
		let dispute = Disputes::<Test>::get(dispute_of(id, 0, 0)).unwrap();
		assert_eq!(dispute.reason, DisputeReason::LoneReveal);
		assert_eq!(dispute.candidates[0].backers.to_vec(), vec![lone]);
		assert_eq!(shard(id, 0, 0).slots[0].outcome, SlotOutcome::Missed);
		// It never committed: a missed deadline, not a slash.
		assert_eq!(Workers::held(&silent), WORKER_BOND);
	});
}

#[test]
fn an_empty_round_finishes_without_an_aggregator() {
	run(|| {
		let id = started(BountySpec { rounds: 1, ..spec() });
		train_round(id, 0, |_, _| None);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Empty);
		assert_eq!(bounty(id).status, BountyStatus::Completed);
		assert_eq!(bounty(id).checkpoint, spec().model.initial_checkpoint);
		assert_eq!(free(OWNER), 100_000);
	});
}

#[test]
fn a_worker_cannot_leave_while_its_slot_is_open() {
	run(|| {
		// One round, so that no round is drawn after it (a drawn slot is a duty too).
		let id = started(BountySpec { rounds: 1, ..spec() });
		assert_noop!(
			Workers::unbond(RuntimeOrigin::signed(10)),
			pallet_workers::Error::<Test>::HasOpenAssignments
		);
		train_round(id, 0, honest(0));
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(10)));
	});
}

/// Every (worker, shard) slot of round 0.
fn slots_of(id: BountyId) -> Vec<(AccountId, ShardIndex)> {
	(0..bounty(id).spec.shards_per_round)
		.flat_map(|s| workers_of(id, 0, s).into_iter().map(move |w| (w, s)))
		.collect()
}

/// A round does not wait out windows nobody needs any more: once every slot has committed,
/// reveals open at the next block with the reveal window's whole length, and once every
/// committed slot has revealed, the check comes at the next block.
#[test]
fn windows_close_when_every_slot_has_acted() {
	run(|| {
		let id = started(spec());
		let start = System::block_number();
		assert!(round_info(id, 0).commit_deadline > start + 1);
		for (w, s) in slots_of(id) {
			assert_ok!(commit(w, id, 0, s, good(0, s)));
		}
		let info = round_info(id, 0);
		let reveal_window = u64::from(spec().deadlines.reveal);
		assert_eq!(
			(info.commit_deadline, info.reveal_deadline),
			(start + 1, start + 1 + reveal_window)
		);
		assert!(training_events().contains(&Event::CommitsClosed {
			bounty: id,
			round: 0,
			commit_deadline: start + 1,
			reveal_deadline: start + 1 + reveal_window,
		}));
		assert_eq!(bounty(id).wake_at, Some(start + 1 + reveal_window));

		run_to_block(start + 1);
		let mut slots = slots_of(id);
		let (last, last_shard) = slots.pop().unwrap();
		for (w, s) in slots {
			assert_ok!(reveal(w, id, 0, s, good(0, s)));
		}
		// One reveal is still owed: its window stays open.
		assert_eq!(round_info(id, 0).reveal_deadline, start + 1 + reveal_window);
		assert_ok!(reveal(last, id, 0, last_shard, good(0, last_shard)));
		assert_eq!(round_info(id, 0).reveal_deadline, start + 2);
		assert!(training_events().contains(&Event::RevealsClosed {
			bounty: id,
			round: 0,
			reveal_deadline: start + 2,
		}));
		run_to_block(start + 2);
		assert_eq!(phase(id), Phase::Aggregating);
		for s in 0..2 {
			assert_eq!(shard(id, 0, s).outcome, ShardOutcome::Accepted(good(0, s)));
		}
	});
}

/// A slot that has not answered holds the commit window open to its deadline, so a barrier
/// never cuts a slow worker's time short; a decline is an answer, and closes it.
#[test]
fn a_slot_that_has_not_answered_keeps_the_window_open() {
	run(|| {
		let id = started(spec());
		let deadline = round_info(id, 0).commit_deadline;
		let mut slots = slots_of(id);
		let (late, late_shard) = slots.pop().unwrap();
		let (first, first_shard) = slots[0];
		for (w, s) in slots {
			assert_ok!(commit(w, id, 0, s, good(0, s)));
		}
		assert_eq!(round_info(id, 0).commit_deadline, deadline);
		assert_noop!(
			reveal(first, id, 0, first_shard, good(0, first_shard)),
			Error::<Test>::RevealNotOpen
		);
		assert_ok!(Training::decline(
			RuntimeOrigin::signed(late),
			id,
			0,
			late_shard,
			DeclineReason::Infeasible
		));
		let now = System::block_number();
		assert_eq!(round_info(id, 0).commit_deadline, now + 1);
		// Three seals are still to be opened: the reveal window keeps its length.
		assert_eq!(round_info(id, 0).reveal_deadline, now + 1 + u64::from(spec().deadlines.reveal));
	});
}
