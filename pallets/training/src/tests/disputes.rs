//! Shard disputes: a wrong root voted down and slashed, audits of agreeing replicas, disputes
//! without quorum, votes refused, and votes that count only while their voter validates.

use super::*;
use cohort_primitives::{Deadlines, SlashReason};
use frame_support::{assert_noop, dispatch::DispatchClass, traits::Get, weights::Weight};
use sp_runtime::Perbill;

#[test]
fn a_wrong_root_is_disputed_voted_down_and_slashed() {
	run(|| {
		let id = started(spec());
		let [honest_worker, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(liar));

		let dispute = bisected(id, 0, 0);
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.reason, DisputeReason::Disagreement);
		assert_eq!(record.candidates.len(), 2);
		assert_eq!(phase(id), Phase::Settling);
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Accepted(good(0, 1)));

		let verdict = Verdict::Correct(good(0, 0));
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		// Three quarters of the stake sealed: sealing goes on to the end of the vote window.
		assert_noop!(reveal_vote(100, dispute, verdict), Error::<Test>::SealingOpen);
		end_sealing(dispute);
		assert_ok!(reveal_vote(100, dispute, verdict));
		assert_ok!(reveal_vote(101, dispute, verdict));
		// Half the stake is not more than 2/3.
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Open);
		let pot = free(SLASH_POT);
		assert_ok!(reveal_vote(102, dispute, verdict));
		// Every seal is open: the next block's hook counts the votes, settles the shard, and
		// begins aggregation, which draws the round after it before anyone can act on that
		// block's randomness.
		count_votes(dispute);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));

		assert_eq!(free(honest_worker), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(free(liar), 10_000 - WORKER_BOND);
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(free(SLASH_POT), pot + WORKER_BOND / 10);
		let slashed = pallet_workers::Workers::<Test>::get(liar).unwrap();
		assert_eq!(
			slashed.last_slash,
			Some(SlashReason::ShardDispute { bounty: id, round: 0, shard: 0 })
		);
		// The verifier reward (2 slots × 10) is shared by the three voters of the verdict.
		for voter in [100, 101, 102] {
			assert_eq!(free(voter), 1_000 + 20 / 3);
		}
		assert_eq!(free(103), 1_000);
		assert_noop!(seal_vote(103, dispute, verdict), Error::<Test>::DisputeClosed);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(phase(id), Phase::Aggregating);
		assert_eq!(open_assignments(liar), drawn_slots(id, liar));
	});
}

#[test]
fn the_last_seal_opened_leaves_the_count_to_the_next_blocks_hook() {
	run(|| {
		let (_, _, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		end_sealing(dispute);
		let opened_at = System::block_number();
		for voter in [100, 101, 102] {
			let salt = vote_salt(voter, dispute);
			let info = Training::reveal_vote(RuntimeOrigin::signed(voter), dispute, verdict, salt)
				.expect("sealed");
			// Every opening weighs what it declared: none counts or settles anything.
			assert_eq!(info.actual_weight, None);
		}
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.status, DisputeStatus::Open);
		assert_eq!(record.deadline, opened_at + 1);
		next_block();
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
	});
}

/// The block sealing ends and the deadline of a vote window of `blocks` opened at `now`,
/// booked for every validator in `Stakes`.
fn book(now: u64, blocks: u32) -> (u64, u64) {
	let window = Training::book_vote_window(now, blocks, Stakes::get().len() as u32);
	(window.sealing_ends, window.deadline)
}

/// Count a block on for 4 openings (half the normal share over an opening's weight): one
/// window's, with the mock's 4 validators.
fn four_openings_a_block() {
	let weights: frame_system::limits::BlockWeights =
		<<Test as frame_system::Config>::BlockWeights as Get<_>>::get();
	let room: Weight = weights.get(DispatchClass::Normal).max_total.unwrap();
	let read = <Test as frame_system::Config>::DbWeight::get().reads(1);
	OpeningWeight::set(Weight::from_parts(room.ref_time() / 8, 0) - read);
	assert_eq!(Training::opening_weight(), Weight::from_parts(room.ref_time() / 8, 0));
}

#[test]
fn vote_windows_closing_together_book_a_block_for_every_opening() {
	run(|| {
		four_openings_a_block();
		let window = |now| book(now, 3);
		// The mock's windows: sealing ends 3 blocks on, votes open for `VoteRevealBlocks` (2).
		assert_eq!(window(10), (13, 15));
		// Each window sealing in the same block needs a block more for its openings, and
		// keeps a block to spare after them.
		assert_eq!(window(10), (13, 16));
		assert_eq!(window(10), (13, 17));
		// One sealing far ahead books its own blocks: it moves nobody else's deadline.
		assert_eq!(window(100), (103, 105));
		// One sealing a block later finds the blocks up to 15 booked by those before it.
		assert_eq!(window(11), (14, 18));
		// A set of two validators books two openings a window.
		Stakes::mutate(|stakes| stakes.retain(|voter, _| *voter < 102));
		assert_eq!(window(11), (14, 19));
		assert_eq!(window(11), (14, 19));
		assert_eq!(RevealsBooked::<Test>::get(17), 4);
		assert_eq!(window(12), (15, 20));
		assert_eq!(RevealsBooked::<Test>::get(18), 2);
		// The hook of a block drops its bookings: no window booked later seals before it.
		run_to_block(13);
		assert!(!RevealsBooked::<Test>::contains_key(13));
		assert!(RevealsBooked::<Test>::contains_key(14));
	});
}

#[test]
fn windows_sealing_in_consecutive_blocks_share_the_blocks_they_open_in() {
	run(|| {
		four_openings_a_block();
		// A cartel ends two games in each of 8 consecutive blocks: the openings of 16 windows
		// fall due from block 20 on. Booked by the block they seal in, every window would be
		// due by block 30, 10 blocks for 16 blocks' openings; booked into the blocks they open
		// in, each window's deadline leaves room for every one booked before it.
		let mut deadlines = Vec::new();
		for sealing in 20..28 {
			for _ in 0..2 {
				deadlines.push(book(sealing - 3, 3).1);
			}
		}
		assert_eq!(deadlines, (22..38).collect::<Vec<_>>());
		assert!((20..36).all(|block| RevealsBooked::<Test>::get(block) == 4));
		assert_eq!(FullRevealBlocks::<Test>::get(1), 12, "blocks 20 to 31 of stretch 1 are full");
		assert_eq!(FullRevealBlocks::<Test>::get(2), 4);
	});
}

#[test]
fn a_booking_passes_a_full_stretch_in_one_read_and_stops_reading_at_its_bound() {
	run(|| {
		four_openings_a_block();
		let stretch = BOOKING_STRETCH as u64;
		// Fill every block of stretches 2 to 41 (blocks 32 to 671).
		for block in 2 * stretch..42 * stretch {
			RevealsBooked::<Test>::insert(block, 4);
		}
		for index in 2..42 {
			FullRevealBlocks::<Test>::insert(index, BOOKING_STRETCH);
		}
		// A window sealing at the start of stretch 2 passes 40 stretches, a read each, and
		// books block 672.
		assert_eq!(book(29, 3), (32, 674));
		assert_eq!(RevealsBooked::<Test>::get(672), 4);
		// One sealing inside stretch 2 reads its blocks to the stretch's end (15 reads), then
		// a stretch a read while a block read still fits in `BOOKING_READS` (48): 32 of
		// them, to block 560, and that block. It books the rest at block 561, beside the
		// openings booked there before, and its deadline counts them all: two blocks' worth.
		assert_eq!(book(30, 3), (33, 564));
		assert_eq!(RevealsBooked::<Test>::get(561), 8);
	});
}

#[test]
fn a_window_goes_whole_into_one_block_and_a_larger_one_a_block_at_a_time() {
	run(|| {
		four_openings_a_block();
		// Two validators: two windows to a block.
		Stakes::mutate(|stakes| stakes.retain(|voter, _| *voter < 102));
		assert_eq!(book(10, 3), (13, 15));
		assert_eq!(FullRevealBlocks::<Test>::get(0), 0);
		assert_eq!(book(10, 3), (13, 15));
		assert_eq!(FullRevealBlocks::<Test>::get(0), 1);
		// Three: a block with room for two more seals is passed whole.
		Stakes::mutate(|stakes| {
			stakes.insert(102, 1);
		});
		assert_eq!(book(11, 3), (14, 16));
		assert_eq!(RevealsBooked::<Test>::get(14), 3);
		assert_eq!(book(11, 3), (14, 17));
		assert_eq!(RevealsBooked::<Test>::get(14), 3, "one seal's room is too small");
		// Six, more than a block's 4: a block's worth goes into each of two blocks.
		Stakes::mutate(|stakes| {
			for voter in 103..106 {
				stakes.insert(voter, 1);
			}
		});
		assert_eq!(book(12, 3), (15, 19));
		assert_eq!(RevealsBooked::<Test>::get(15), 3);
		assert_eq!(RevealsBooked::<Test>::get(16), 4);
		assert_eq!(RevealsBooked::<Test>::get(17), 2);
	});
}

#[test]
fn the_hook_drops_a_stretchs_count_at_its_last_block() {
	run(|| {
		FullRevealBlocks::<Test>::insert(0, 3);
		FullRevealBlocks::<Test>::insert(1, 3);
		run_to_block(BOOKING_STRETCH as u64 - 2);
		assert!(FullRevealBlocks::<Test>::contains_key(0));
		run_to_block(BOOKING_STRETCH as u64 - 1);
		assert!(!FullRevealBlocks::<Test>::contains_key(0));
		assert!(FullRevealBlocks::<Test>::contains_key(1));
	});
}

#[test]
fn a_dispute_that_concludes_early_gives_its_booked_openings_back() {
	run(|| {
		four_openings_a_block();
		let (_, disputes) = four_audits();
		let record = Disputes::<Test>::get(disputes[0]).unwrap();
		let [(block, 4)] = record.booked[..] else { panic!("{:?}", record.booked) };
		assert_eq!(RevealsBooked::<Test>::get(block), 4);
		let stretch = block / BOOKING_STRETCH as u64;
		let full = FullRevealBlocks::<Test>::get(stretch);
		assert!(full >= 1, "the block has no room for another window");
		// Every validator seals and opens at once: the next block's hook concludes the
		// dispute, before the block its openings were booked into, which is free again.
		vote_for(disputes[0], &VALIDATORS, Verdict::Correct(good(0, 0)));
		assert!(System::block_number() < block);
		let record = Disputes::<Test>::get(disputes[0]).unwrap();
		assert!(matches!(record.status, DisputeStatus::Settled(_)));
		assert!(record.booked.is_empty());
		assert!(!RevealsBooked::<Test>::contains_key(block));
		assert_eq!(FullRevealBlocks::<Test>::get(stretch), full - 1);
		// A window sealing there now books that block, not one after it.
		assert_eq!(book(block - 3, 3), (block, block + 2));
	});
}

#[test]
fn agreeing_replicas_are_audited_and_colluders_slashed() {
	run(|| {
		let id = started(BountySpec { audit_rate: Perbill::one(), ..spec() });
		train_round(id, 0, honest(0));
		let audit = dispute_of(id, 0, 0);
		let collusion = dispute_of(id, 0, 1);
		assert_eq!(Disputes::<Test>::get(audit).unwrap().reason, DisputeReason::Audit);

		vote_for(audit, &[100, 101, 102], Verdict::Correct(good(0, 0)));
		vote_for(collusion, &[100, 101, 102], Verdict::NoneCorrect);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Rejected);
		for worker in workers_of(id, 0, 0) {
			assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		}
		for worker in workers_of(id, 0, 1) {
			assert_eq!(Workers::held(&worker), WORKER_BOND - WORKER_BOND / 10);
			assert_eq!(free(worker), 10_000 - WORKER_BOND);
		}
		next_block();
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn whole_shard_disputes_opened_together_each_get_a_vote_window_more() {
	run(|| {
		let id = started(BountySpec { audit_rate: Perbill::one(), ..spec() });
		train_round(id, 0, honest(0));
		// Both shards are audited in one block; a verifier recomputes one shard at a time, so
		// the second audit's window ends a whole vote window after the first's.
		let record = |s| Disputes::<Test>::get(dispute_of(id, 0, s)).unwrap();
		let vote_window = u64::from(spec().deadlines.vote);
		let reveal_window = u64::from(<<Test as Config>::VoteRevealBlocks as Get<u32>>::get());
		assert_eq!(record(1).sealing_ends, record(0).sealing_ends + vote_window);
		assert_eq!(record(0).sealing_ends, System::block_number() + vote_window);
		// Each dispute's votes are opened in the blocks after its sealing.
		assert_eq!(record(0).deadline, record(0).sealing_ends + reveal_window);
	});
}

#[test]
fn withheld_votes_hold_a_round_of_whole_shard_disputes_for_at_most_the_capped_queue() {
	run(|| {
		// Four audits open together; the queue is capped at two windows (the mock's
		// `MaxRecomputeQueue`), so the last two share the third window.
		let (id, disputes) = four_audits();
		let record = |s: usize| Disputes::<Test>::get(disputes[s]).unwrap();
		let vote_window = u64::from(spec().deadlines.vote);
		let first = record(0).sealing_ends;
		let ends: Vec<u64> = (0..4).map(|s| record(s).sealing_ends - first).collect();
		assert_eq!(ends, [0, vote_window, 2 * vote_window, 2 * vote_window]);
		// Nobody votes: by the third window's deadline, 2 windows after the first's rather
		// than 3, every dispute has ended unresolved and, nothing accepted, the next round
		// has started.
		run_to_block(record(3).deadline);
		for s in 0..4 {
			assert_eq!(record(s).status, DisputeStatus::Unresolved);
		}
		assert_eq!((bounty(id).round, phase(id)), (1, Phase::Training));
	});
}

#[test]
fn a_dispute_without_quorum_is_unresolved_and_nobody_is_slashed() {
	run(|| {
		let id = started(spec());
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(b));
		let dispute = bisected(id, 0, 0);
		vote_all(
			dispute,
			&[
				(100, Verdict::Correct(good(0, 0))),
				(101, Verdict::Correct(good(0, 0))),
				(102, Verdict::Correct(bad())),
			],
		);
		let pot = free(SLASH_POT);
		let deadline = Disputes::<Test>::get(dispute).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Unresolved);
		assert!(shard(id, 0, 0).slots.iter().all(|s| s.outcome == SlotOutcome::Void));
		assert_eq!(free(SLASH_POT), pot);
		for worker in [a, b] {
			assert_eq!(free(worker), 10_000 - WORKER_BOND);
			assert_eq!(Workers::held(&worker), WORKER_BOND);
			assert_eq!(open_assignments(worker), drawn_slots(id, worker));
		}
		assert_noop!(seal_vote(103, dispute, Verdict::NoneCorrect), Error::<Test>::DisputeClosed);
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn seals_are_refused_from_non_validators_twice_or_after_sealing() {
	run(|| {
		let (_, _, dispute) = lying_dispute();
		assert_noop!(seal_vote(100, 99, Verdict::NoneCorrect), Error::<Test>::UnknownDispute);
		assert_noop!(seal_vote(10, dispute, Verdict::NoneCorrect), Error::<Test>::NotValidator);
		assert_ok!(seal_vote(100, dispute, Verdict::NoneCorrect));
		assert_noop!(seal_vote(100, dispute, Verdict::Correct(bad())), Error::<Test>::AlreadyVoted);
		end_sealing(dispute);
		assert_noop!(seal_vote(101, dispute, Verdict::NoneCorrect), Error::<Test>::SealingClosed);
	});
}

#[test]
fn votes_open_only_after_sealing_with_their_own_seal_once_and_in_time() {
	run(|| {
		let (_, _, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		assert_ok!(seal_vote(100, dispute, verdict));
		assert_ok!(seal_vote(101, dispute, Verdict::NoneCorrect));
		assert_noop!(reveal_vote(100, dispute, verdict), Error::<Test>::SealingOpen);
		end_sealing(dispute);
		assert_noop!(reveal_vote(100, 99, verdict), Error::<Test>::UnknownDispute);
		assert_noop!(reveal_vote(102, dispute, verdict), Error::<Test>::NotSealed);
		assert_noop!(
			reveal_vote(100, dispute, Verdict::Correct(H256::zero())),
			Error::<Test>::UnknownRoot
		);
		// Another verdict, or the right one with another salt, does not open the seal.
		assert_noop!(
			reveal_vote(100, dispute, Verdict::NoneCorrect),
			Error::<Test>::VoteSealMismatch
		);
		let other_salt =
			Training::reveal_vote(RuntimeOrigin::signed(100), dispute, verdict, H256::zero());
		assert_eq!(other_salt.map_err(|e| e.error), Err(Error::<Test>::VoteSealMismatch.into()));
		assert_ok!(reveal_vote(100, dispute, verdict));
		assert_noop!(reveal_vote(100, dispute, verdict), Error::<Test>::AlreadyVoted);
		System::set_block_number(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_noop!(
			reveal_vote(101, dispute, Verdict::NoneCorrect),
			Error::<Test>::DisputeExpired
		);
	});
}

#[test]
fn sealing_ends_once_all_the_stake_has_sealed() {
	run(|| {
		let (_, _, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		let before = Disputes::<Test>::get(dispute).unwrap();
		for voter in VALIDATORS {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		let now = System::block_number();
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert!(before.sealing_ends > now);
		assert_eq!(record.sealing_ends, now);
		// The dispute's end stays where it was: only a seal left shut waits for it.
		assert_eq!(record.deadline, before.deadline);
		assert!(training_events().contains(&Event::SealingEnded { dispute }));
		// Opened in the same block, the votes are counted in the next.
		for voter in VALIDATORS {
			assert_ok!(reveal_vote(voter, dispute, verdict));
		}
		next_block();
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
		assert_eq!(System::block_number(), now + 1);
	});
}

/// The copying validator of issue 13: it sees a sealed vote and sends the same bytes, hoping
/// to share the reward without recomputing. The seal binds its author's account, so the copy
/// cannot be opened: the copier earns nothing and loses what a wrong vote costs, while the
/// validators that recomputed share the reward.
#[test]
fn a_copied_seal_cannot_be_opened_and_costs_its_copier() {
	run(|| {
		WrongVoteSlash::set(Perbill::from_percent(1));
		let (id, liar, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		let seen = Disputes::<Test>::get(dispute).unwrap().votes[0].seal;
		assert_ok!(Training::vote(RuntimeOrigin::signed(103), dispute, seen));
		// Every opening the copier could try fails: the seal is 100's.
		for (verdict, salt) in [
			(verdict, vote_salt(100, dispute)),
			(verdict, vote_salt(103, dispute)),
			(Verdict::NoneCorrect, vote_salt(100, dispute)),
		] {
			let opened = Training::reveal_vote(RuntimeOrigin::signed(103), dispute, verdict, salt);
			assert_eq!(opened.map_err(|e| e.error), Err(Error::<Test>::VoteSealMismatch.into()));
		}
		for voter in [100, 101, 102] {
			assert_ok!(reveal_vote(voter, dispute, verdict));
		}
		// A seal is still shut: the verdict waits for the dispute's end.
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Open);
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
		for voter in [100, 101, 102] {
			assert_eq!(free(voter), 1_000 + 20 / 3);
		}
		assert_eq!(free(103), 1_000);
		assert_eq!(Bonds::get()[&103], 99);
		assert!(training_events().contains(&Event::VoterPenalized {
			dispute,
			voter: 103,
			amount: 1
		}));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
	});
}

/// A validator that seals a guess and opens it only if the others agree gains nothing by
/// keeping it shut: a shut seal costs what a wrong vote does, also when no verdict is reached.
#[test]
fn a_seal_left_shut_costs_its_validator_even_without_a_verdict() {
	run(|| {
		WrongVoteSlash::set(Perbill::from_percent(1));
		let (id, _, dispute) = lying_dispute();
		for voter in VALIDATORS {
			assert_ok!(seal_vote(voter, dispute, Verdict::Correct(good(0, 0))));
		}
		// Two open theirs; two keep theirs shut: no verdict carries 2/3.
		assert_ok!(reveal_vote(100, dispute, Verdict::Correct(good(0, 0))));
		assert_ok!(reveal_vote(101, dispute, Verdict::Correct(good(0, 0))));
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Unresolved);
		for voter in [100, 101] {
			assert_eq!(Bonds::get()[&voter], 100);
		}
		for voter in [102, 103] {
			assert_eq!(Bonds::get()[&voter], 99);
		}
	});
}

#[test]
fn a_session_change_inside_the_vote_window_moves_no_count() {
	run(|| {
		let (_, liar, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		// The next session seats 104 and 105 in place of 100 and 101. Counted by that set,
		// 102's vote would be 100 of 400 and the liar would go unslashed.
		new_session(|stakes| {
			stakes.retain(|voter, _| *voter >= 102);
			stakes.extend([(104, 100), (105, 100)]);
		});
		// Whoever joined after the dispute opened has no vote on it...
		assert_noop!(seal_vote(104, dispute, verdict), Error::<Test>::NotValidator);
		end_sealing(dispute);
		for voter in [100, 101, 102] {
			assert_ok!(reveal_vote(voter, dispute, verdict));
		}
		// ...and 103's seal left shut keeps the dispute to its deadline, where 300 of the
		// electorate's 400 carry the verdict.
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		// The voters rotated out are paid their shares as the one still in the set is.
		assert!(free(100) > 1_000);
		assert_eq!(free(100), free(102));
		// The electorate goes with the last dispute it votes on.
		assert!(Electorates::<Test>::iter().next().is_none());
	});
}

#[test]
fn each_dispute_is_voted_by_the_set_of_the_session_it_opened_in() {
	run(|| {
		// Two bounties of one audited shard each; the first's vote window stays open while
		// the second trains in the next session.
		let audited = |vote| BountySpec {
			shards_per_round: 1,
			audit_rate: Perbill::one(),
			deadlines: Deadlines { vote, ..spec().deadlines },
			..spec()
		};
		let first = started(audited(20));
		train_round(first, 0, honest(0));
		let before = dispute_of(first, 0, 0);
		new_session(|stakes| {
			stakes.remove(&100);
			stakes.insert(104, 100);
		});
		register_workers(14..18);
		let second = create_with(audited(3));
		next_block();
		train_round(second, 0, honest(0));
		let after = dispute_of(second, 0, 0);
		assert_eq!(Electorates::<Test>::iter().count(), 2);

		let verdict = Verdict::Correct(good(0, 0));
		assert_noop!(seal_vote(104, before, verdict), Error::<Test>::NotValidator);
		assert_noop!(seal_vote(100, after, verdict), Error::<Test>::NotValidator);
		vote_for(after, &[101, 102, 104], verdict);
		vote_for(before, &[100, 101, 102], verdict);
		for dispute in [before, after] {
			count_votes(dispute);
			let status = Disputes::<Test>::get(dispute).unwrap().status;
			assert_eq!(status, DisputeStatus::Settled(verdict));
		}
	});
}

#[test]
fn validators_that_withdrew_their_bond_weigh_nothing() {
	run(|| {
		let (_, liar, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		// A validator with nothing bonded has no seal to make...
		Bonds::mutate(|bonds| bonds.insert(103, 0));
		assert_noop!(seal_vote(103, dispute, verdict), Error::<Test>::NotValidator);
		Bonds::mutate(|bonds| bonds.insert(103, 100));
		// ...and two that seal against the verdict and then withdraw (a queued audit's window
		// can outlast an unbonding) no longer hold half the electorate's stake: weighing
		// nothing, they neither keep the liar unslashed nor risk a penalty for it.
		let votes = [
			(100, Verdict::NoneCorrect),
			(101, Verdict::NoneCorrect),
			(102, verdict),
			(103, verdict),
		];
		for (voter, verdict) in votes {
			assert_ok!(seal_vote(voter, dispute, verdict));
		}
		Bonds::mutate(|bonds| {
			bonds.insert(100, 0);
			bonds.insert(101, 0);
		});
		end_sealing(dispute);
		for (voter, verdict) in votes {
			assert_ok!(reveal_vote(voter, dispute, verdict));
		}
		count_votes(dispute);
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.status, DisputeStatus::Settled(verdict));
		assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		let weights: Vec<u64> = record.votes.iter().map(|v| v.stake).collect();
		assert_eq!(weights, [0, 0, 100, 100]);
	});
}

#[test]
fn a_vote_weighs_the_stake_its_electorate_gave_it() {
	run(|| {
		let (_, _, dispute) = lying_dispute();
		let verdict = Verdict::Correct(good(0, 0));
		// 100's stake grows tenfold in the next session: neither its vote nor the threshold
		// of a dispute opened before moves, so 101, 102 and 103 still carry it.
		new_session(|stakes| {
			stakes.insert(100, 1_000);
		});
		let votes = [(100, Verdict::NoneCorrect), (101, verdict), (102, verdict), (103, verdict)];
		vote_all(dispute, &votes);
		count_votes(dispute);
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.status, DisputeStatus::Settled(verdict));
		assert!(record.votes.iter().all(|v| v.stake == 100));
	});
}

/// The standbys handed shard `s` of round 0 commit and reveal its honest root, and the
/// retry's reveal deadline comes.
fn retry_honestly(id: BountyId, s: ShardIndex) {
	let standbys = workers_of(id, 0, s);
	for worker in &standbys {
		assert_ok!(commit(*worker, id, 0, s, good(0, s)));
	}
	run_to_block(round_info(id, 0).commit_deadline);
	for worker in &standbys {
		assert_ok!(reveal(*worker, id, 0, s, good(0, s)));
	}
	run_to_block(round_info(id, 0).reveal_deadline);
}

#[test]
fn a_dispute_whose_seals_all_open_during_the_standbys_retry_concludes_when_it_closes() {
	run(|| {
		register_workers(10..16);
		let id = create_with(BountySpec { audit_rate: Perbill::one(), ..spec() });
		run_to_block(2);
		// Shard 0 is trained and audited; shard 1's workers are silent and go to standbys.
		train_round(id, 0, |_, s| (s == 0).then(|| good(0, s)));
		let audit = dispute_of(id, 0, 0);
		let wake = bounty(id).wake_at;
		let verdict = Verdict::Correct(good(0, 0));
		for voter in VALIDATORS {
			assert_ok!(seal_vote(voter, audit, verdict));
		}
		for voter in VALIDATORS {
			assert_ok!(reveal_vote(voter, audit, verdict));
		}
		// The round trains on: its hook would only wait for the standbys, so the last seal
		// opened does not wake it, and the audit waits for the retry's training to close.
		assert_eq!(bounty(id).wake_at, wake);
		next_block();
		assert_eq!(Disputes::<Test>::get(audit).unwrap().status, DisputeStatus::Open);
		retry_honestly(id, 1);
		assert_eq!(Disputes::<Test>::get(audit).unwrap().status, DisputeStatus::Settled(verdict));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
	});
}

#[test]
fn a_whole_shard_dispute_of_the_standbys_retry_waits_behind_those_still_open() {
	run(|| {
		register_workers(10..16);
		let vote_window = 20;
		let id = create_with(BountySpec {
			audit_rate: Perbill::one(),
			deadlines: Deadlines { vote: vote_window, ..spec().deadlines },
			..spec()
		});
		run_to_block(2);
		// Shard 0 is trained and audited; shard 1's workers are silent and go to standbys.
		let silent = workers_of(id, 0, 1);
		train_round(id, 0, |_, s| (s == 0).then(|| good(0, s)));
		let first = Disputes::<Test>::get(dispute_of(id, 0, 0)).unwrap();
		assert_eq!(first.sealing_ends, System::block_number() + u64::from(vote_window));
		let standbys = workers_of(id, 0, 1);
		assert!(standbys.iter().all(|w| !silent.contains(w)), "{standbys:?} {silent:?}");
		retry_honestly(id, 1);
		// The retry's audit waits a window more: shard 0's is still open, and a verifier
		// recomputes one shard at a time.
		let now = System::block_number();
		assert!(first.sealing_ends > now);
		let second = Disputes::<Test>::get(dispute_of(id, 0, 1)).unwrap();
		assert_eq!(second.sealing_ends, now + 2 * u64::from(vote_window));
	});
}
