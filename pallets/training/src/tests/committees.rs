//! Audit committees (`Config::AuditCommittee`): one validator drawn by stake recomputes an
//! audited shard and confirms it alone; anything else it does is appealed to the whole
//! electorate, whose verdict decides the shard and judges the committee.

use super::*;
use frame_support::traits::Get;
use sp_runtime::Perbill;

/// A first round of one audited shard, trained once, with a committee of one: the worker, the
/// audit and its committee's member.
fn audited(result: H256) -> (BountyId, AccountId, DisputeId, AccountId) {
	AuditCommittee::set(1);
	WrongVoteSlash::set(Perbill::from_percent(10));
	let spec =
		BountySpec { shards_per_round: 1, replication: 1, audit_rate: Perbill::one(), ..spec() };
	let id = started(spec);
	train_round(id, 0, |_, _| Some(result));
	let worker = workers_of(id, 0, 0)[0];
	let audit = dispute_of(id, 0, 0);
	let record = Disputes::<Test>::get(audit).unwrap();
	assert_eq!(record.reason, DisputeReason::Audit);
	assert_eq!(record.committee.len(), 1, "{record:?}");
	(id, worker, audit, record.committee[0])
}

/// The validators that are not `member`.
fn others(member: AccountId) -> Vec<AccountId> {
	VALIDATORS.into_iter().filter(|v| *v != member).collect()
}

/// The appeal `audit` was handed to (`rechecked`: its confirmation drawn for a recheck),
/// checked to be open to the whole electorate.
fn appeal_of(id: BountyId, audit: DisputeId, rechecked: bool) -> DisputeId {
	let appeal = dispute_of(id, 0, 0);
	assert_eq!(Disputes::<Test>::get(audit).unwrap().status, DisputeStatus::Appealed(appeal));
	let record = Disputes::<Test>::get(appeal).unwrap();
	assert_eq!(record.reason, DisputeReason::Appeal(audit));
	assert!(record.committee.is_empty());
	let appealed = Event::AuditAppealed { dispute: audit, appeal, rechecked };
	assert!(training_events().contains(&appealed));
	appeal
}

fn penalized(dispute: DisputeId, voter: AccountId) -> bool {
	training_events()
		.iter()
		.any(|e| matches!(e, Event::VoterPenalized { dispute: d, voter: v, .. } if *d == dispute && *v == voter))
}

fn reward_of(id: BountyId) -> u64 {
	Training::dispute_reward(&bounty(id))
}

#[test]
fn an_audit_is_confirmed_by_its_committee_alone() {
	run(|| {
		let (id, worker, audit, member) = audited(good(0, 0));
		for other in others(member) {
			assert_eq!(
				seal_vote(other, audit, Verdict::Correct(good(0, 0))),
				Err(Error::<Test>::NotOnCommittee.into())
			);
		}
		let before = free(member);
		// One seal is all the committee's stake: sealing ends at once.
		vote_for(audit, &[member], Verdict::Correct(good(0, 0)));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(free(member), before + reward_of(id));
		next_block();
		assert_eq!(phase(id), Phase::Aggregating);
	});
}

#[test]
fn a_committee_voting_down_honest_work_is_appealed_and_loses_its_penalty() {
	run(|| {
		let (id, worker, audit, member) = audited(good(0, 0));
		vote_for(audit, &[member], Verdict::NoneCorrect);
		// The committee's verdict slashes nobody: the whole electorate recomputes.
		assert_eq!(Workers::held(&worker), WORKER_BOND);
		let appeal = appeal_of(id, audit, false);
		let voters = others(member);
		vote_for(appeal, &voters, Verdict::Correct(good(0, 0)));
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(Workers::held(&worker), WORKER_BOND);
		assert!(penalized(audit, member));
		assert_eq!(Bonds::get()[&member], 90);
		// The appeal's voters share the audit's reward, which the committee did not earn.
		let share = reward_of(id) / 3;
		for voter in voters {
			assert_eq!(free(voter), 1_000 + share, "{voter}");
		}
	});
}

#[test]
fn a_committee_that_does_not_vote_is_appealed_unpenalized() {
	run(|| {
		// A member that cannot tell (another class, a verifier down) abstains: the audit goes
		// to the electorate, and the member only forgoes the reward.
		let (id, worker, audit, member) = audited(good(0, 0));
		run_to_block(Disputes::<Test>::get(audit).unwrap().deadline);
		let appeal = appeal_of(id, audit, false);
		vote_for(appeal, &VALIDATORS, Verdict::Correct(good(0, 0)));
		assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		assert!(!penalized(audit, member));
		assert_eq!(Bonds::get()[&member], 100);
	});
}

#[test]
fn a_cheat_its_committee_catches_is_slashed_by_the_appeal() {
	run(|| {
		let (id, worker, audit, member) = audited(bad());
		vote_for(audit, &[member], Verdict::NoneCorrect);
		let appeal = appeal_of(id, audit, false);
		vote_for(appeal, &VALIDATORS, Verdict::NoneCorrect);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Rejected);
		assert_eq!(Workers::held(&worker), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(free(worker), 10_000 - WORKER_BOND);
		assert!(!penalized(audit, member));
	});
}

#[test]
fn a_committee_cannot_slash_even_with_every_seal_it_has() {
	run(|| {
		// A committee of two of the four: both vote the honest root down. Their verdict
		// carries all the committee's stake, and still only opens the appeal, whose
		// honest majority keeps the worker's bond and penalizes both.
		AuditCommittee::set(2);
		WrongVoteSlash::set(Perbill::from_percent(10));
		let spec = BountySpec {
			shards_per_round: 1,
			replication: 1,
			audit_rate: Perbill::one(),
			..spec()
		};
		let id = started(spec);
		train_round(id, 0, honest(0));
		let worker = workers_of(id, 0, 0)[0];
		let audit = dispute_of(id, 0, 0);
		let committee = Disputes::<Test>::get(audit).unwrap().committee.into_inner();
		assert_eq!(committee.len(), 2);
		assert_ne!(committee[0], committee[1]);
		vote_for(audit, &committee, Verdict::NoneCorrect);
		let appeal = appeal_of(id, audit, false);
		let mut votes: Vec<_> =
			VALIDATORS.iter().map(|v| (*v, Verdict::Correct(good(0, 0)))).collect();
		for vote in votes.iter_mut().filter(|(v, _)| committee.contains(v)) {
			vote.1 = Verdict::NoneCorrect;
		}
		// Two honest validators of four hold half the stake, short of 2/3: unresolved, the
		// worker unslashed, its reward to the treasury. The committee is penalized only by a
		// verdict, so here not at all.
		vote_all(appeal, &votes);
		assert_eq!(Workers::held(&worker), WORKER_BOND);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Unresolved);
		assert!(committee.iter().all(|member| !penalized(audit, *member)));
	});
}

#[test]
fn committees_are_drawn_by_stake_from_the_electorate() {
	run(|| {
		// Validator 103 holds 97 % of the stake: it sits on nearly every committee.
		Stakes::mutate(|stakes| {
			stakes.insert(100, 1);
			stakes.insert(101, 1);
			stakes.insert(102, 1);
			stakes.insert(103, 97);
		});
		Bonds::set(Stakes::get());
		AuditCommittee::set(1);
		let spec = BountySpec { shards_per_round: 4, audit_rate: Perbill::one(), ..spec() };
		let id = started(spec);
		train_round(id, 0, honest(0));
		let drawn: Vec<AccountId> = (0..4)
			.map(|s| Disputes::<Test>::get(dispute_of(id, 0, s)).unwrap().committee[0])
			.collect();
		assert!(drawn.iter().filter(|member| **member == 103).count() >= 3, "{drawn:?}");
	});
}

#[test]
fn a_rechecked_confirmation_of_a_wrong_root_costs_its_member_the_confirmation_slash() {
	run(|| {
		// A bribed (or lazy) member confirms a cheat; its confirmation is drawn for a recheck
		// (here always), every validator recomputes, and the cheat and the member both pay.
		RecheckRate::set(Perbill::one());
		let (id, worker, audit, member) = audited(bad());
		WrongConfirmationSlash::set(Perbill::from_percent(50));
		vote_for(audit, &[member], Verdict::Correct(bad()));
		assert_eq!(Workers::held(&worker), WORKER_BOND);
		let appeal = appeal_of(id, audit, true);
		vote_for(appeal, &others(member), Verdict::NoneCorrect);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Rejected);
		assert_eq!(Workers::held(&worker), WORKER_BOND - WORKER_BOND / 10);
		assert!(penalized(audit, member));
		assert_eq!(Bonds::get()[&member], 50);
	});
}

#[test]
fn a_rechecked_honest_confirmation_costs_its_member_nothing() {
	run(|| {
		RecheckRate::set(Perbill::one());
		WrongConfirmationSlash::set(Perbill::from_percent(50));
		let (id, worker, audit, member) = audited(good(0, 0));
		vote_for(audit, &[member], Verdict::Correct(good(0, 0)));
		let appeal = appeal_of(id, audit, true);
		vote_for(appeal, &VALIDATORS, Verdict::Correct(good(0, 0)));
		assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
		assert!(!penalized(audit, member));
		assert_eq!(Bonds::get()[&member], 100);
	});
}

#[test]
fn no_recheck_is_drawn_from_a_block_its_member_authored() {
	run(|| {
		// The recheck reads the parent block's hash, which its author could grind until the
		// draw spared its confirmation: after a block the member authored, it waits a block.
		RecheckRate::set(Perbill::one());
		let (id, _, audit, member) = audited(bad());
		MockAuthor::set(Some(member));
		next_block();
		assert_ok!(seal_vote(member, audit, Verdict::Correct(bad())));
		assert_ok!(reveal_vote(member, audit, Verdict::Correct(bad())));
		MockAuthor::set(Some(others(member)[0]));
		next_block();
		assert_eq!(Disputes::<Test>::get(audit).unwrap().status, DisputeStatus::Open);
		assert_eq!(dispute_of(id, 0, 0), audit);
		next_block();
		appeal_of(id, audit, true);
	});
}

#[test]
fn a_member_authoring_block_after_block_has_its_confirmation_rechecked() {
	run(|| {
		// The others down, the member authors every block: its confirmation cannot wait for
		// another author's block for ever, and is rechecked once a reveal window has passed.
		let (id, _, audit, member) = audited(good(0, 0));
		MockAuthor::set(Some(member));
		next_block();
		assert_ok!(seal_vote(member, audit, Verdict::Correct(good(0, 0))));
		assert_ok!(reveal_vote(member, audit, Verdict::Correct(good(0, 0))));
		let reveal_window = u64::from(<<Test as Config>::VoteRevealBlocks as Get<u32>>::get());
		let deadline = Disputes::<Test>::get(audit).unwrap().deadline;
		run_to_block(deadline + reveal_window - 1);
		assert_eq!(Disputes::<Test>::get(audit).unwrap().status, DisputeStatus::Open);
		next_block();
		appeal_of(id, audit, true);
	});
}
