//! Shard disputes: a wrong root voted down and slashed, audits of agreeing replicas, disputes
//! without quorum, votes refused, and votes that count only while their voter validates.

use super::*;
use cohort_primitives::{Deadlines, SlashReason};
use frame_support::assert_noop;
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
		assert_ok!(vote(100, dispute, verdict));
		assert_ok!(vote(101, dispute, verdict));
		// Half the stake is not more than 2/3.
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Open);
		let pot = free(SLASH_POT);
		assert_ok!(vote(102, dispute, verdict));
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
		assert_noop!(vote(103, dispute, verdict), Error::<Test>::DisputeClosed);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		// The last verdict moves the round on at once.
		assert_eq!(phase(id), Phase::Aggregating);
		assert_eq!(open_assignments(liar), 0);
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

		for voter in [100, 101, 102] {
			assert_ok!(vote(voter, audit, Verdict::Correct(good(0, 0))));
			assert_ok!(vote(voter, collusion, Verdict::NoneCorrect));
		}
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Rejected);
		for worker in workers_of(id, 0, 0) {
			assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		}
		for worker in workers_of(id, 0, 1) {
			assert_eq!(Workers::held(&worker), WORKER_BOND - WORKER_BOND / 10);
			assert_eq!(free(worker), 10_000 - WORKER_BOND);
		}
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
		let deadline = |s| Disputes::<Test>::get(dispute_of(id, 0, s)).unwrap().deadline;
		let vote_window = u64::from(spec().deadlines.vote);
		assert_eq!(deadline(1), deadline(0) + vote_window);
		assert_eq!(deadline(0), System::block_number() + vote_window);
	});
}

#[test]
fn a_dispute_without_quorum_is_unresolved_and_nobody_is_slashed() {
	run(|| {
		let id = started(spec());
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(b));
		let dispute = bisected(id, 0, 0);
		assert_ok!(vote(100, dispute, Verdict::Correct(good(0, 0))));
		assert_ok!(vote(101, dispute, Verdict::Correct(good(0, 0))));
		assert_ok!(vote(102, dispute, Verdict::Correct(bad())));
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
			assert_eq!(open_assignments(worker), 0);
		}
		assert_noop!(vote(103, dispute, Verdict::NoneCorrect), Error::<Test>::DisputeClosed);
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn votes_are_refused_from_non_validators_twice_late_or_for_unknown_roots() {
	run(|| {
		let id = started(spec());
		let liar = workers_of(id, 0, 0)[1];
		train_round(id, 0, lying(liar));
		let dispute = bisected(id, 0, 0);
		assert_noop!(vote(100, 99, Verdict::NoneCorrect), Error::<Test>::UnknownDispute);
		assert_noop!(vote(10, dispute, Verdict::NoneCorrect), Error::<Test>::NotValidator);
		assert_noop!(
			vote(100, dispute, Verdict::Correct(H256::zero())),
			Error::<Test>::UnknownRoot
		);
		assert_ok!(vote(100, dispute, Verdict::NoneCorrect));
		assert_noop!(vote(100, dispute, Verdict::Correct(bad())), Error::<Test>::AlreadyVoted);
		System::set_block_number(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_noop!(vote(101, dispute, Verdict::NoneCorrect), Error::<Test>::DisputeExpired);
	});
}

#[test]
fn a_vote_counts_only_while_its_voter_validates() {
	run(|| {
		let id = started(spec());
		let liar = workers_of(id, 0, 0)[1];
		train_round(id, 0, lying(liar));
		let dispute = bisected(id, 0, 0);
		let verdict = Verdict::Correct(good(0, 0));
		assert_ok!(vote(100, dispute, verdict));
		// 100 leaves the active set: 300 of stake remain, and its vote no longer counts.
		Stakes::mutate(|stakes| stakes.remove(&100));
		assert_ok!(vote(101, dispute, verdict));
		assert_ok!(vote(102, dispute, verdict));
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Open);
		assert_ok!(vote(103, dispute, verdict));
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(verdict));
		// The verifier reward goes to the voters of the verdict that still validate.
		assert_eq!(free(100), 1_000);
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
		assert_eq!(first.deadline, System::block_number() + u64::from(vote_window));
		let standbys = workers_of(id, 0, 1);
		assert!(standbys.iter().all(|w| !silent.contains(w)), "{standbys:?} {silent:?}");
		for worker in &standbys {
			assert_ok!(commit(*worker, id, 0, 1, good(0, 1)));
		}
		run_to_block(round_info(id, 0).commit_deadline);
		for worker in &standbys {
			assert_ok!(reveal(*worker, id, 0, 1, good(0, 1)));
		}
		run_to_block(round_info(id, 0).reveal_deadline);
		// The retry's audit waits a window more: shard 0's is still open, and a verifier
		// recomputes one shard at a time.
		let now = System::block_number();
		assert!(first.deadline > now);
		let second = Disputes::<Test>::get(dispute_of(id, 0, 1)).unwrap();
		assert_eq!(second.deadline, now + 2 * u64::from(vote_window));
	});
}
