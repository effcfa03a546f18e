//! Every call, every error and whole rounds on the mock runtime. `run` checks both pallets'
//! invariants (escrow holds, bonds, wake-up lists) at the end of every test.

use crate::{mock::*, *};
use codec::Encode;
use cohort_primitives::{seal, Aggregation, SlashReason, Verdict, H256};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::{DispatchResult, Perbill, Percent};

const ROUND_COST: u64 = 2 * 2 * REWARD + 3 * 2 * (REWARD / 10);

fn salt(worker: AccountId) -> H256 {
	H256::from_low_u64_be(1_000 + worker)
}

fn sealed(worker: AccountId, root: H256) -> H256 {
	seal(&root, &salt(worker), &worker.encode())
}

/// The honest result of a shard.
fn good(round: RoundIndex, shard: ShardIndex) -> H256 {
	H256::from_low_u64_be(u64::from(round) * 100 + u64::from(shard) + 1)
}

fn bad() -> H256 {
	H256::repeat_byte(0xee)
}

/// The honest checkpoint after `round`.
fn checkpoint_after(round: RoundIndex) -> H256 {
	H256::repeat_byte(0x50 + round as u8)
}

fn create_with(spec: SpecInput<Test>) -> BountyId {
	assert_ok!(Training::create_bounty(RuntimeOrigin::signed(OWNER), spec));
	NextBountyId::<Test>::get() - 1
}

fn bounty(id: BountyId) -> BountyOf<Test> {
	Bounties::<Test>::get(id).expect("bounty exists")
}

fn round_info(id: BountyId, round: RoundIndex) -> RoundOf<Test> {
	Rounds::<Test>::get(id, round).expect("round started")
}

fn shard(id: BountyId, round: RoundIndex, shard: ShardIndex) -> ShardOf<Test> {
	Shards::<Test>::get((id, round, shard)).expect("shard assigned")
}

fn workers_of(id: BountyId, round: RoundIndex, s: ShardIndex) -> Vec<AccountId> {
	shard(id, round, s).slots.iter().map(|slot| slot.worker).collect()
}

fn commit(
	worker: AccountId,
	id: BountyId,
	round: RoundIndex,
	s: ShardIndex,
	root: H256,
) -> DispatchResult {
	let checkpoint = round_info(id, round).checkpoint;
	Training::commit(RuntimeOrigin::signed(worker), id, round, s, checkpoint, sealed(worker, root))
}

fn reveal(
	worker: AccountId,
	id: BountyId,
	round: RoundIndex,
	s: ShardIndex,
	root: H256,
) -> DispatchResult {
	Training::reveal(RuntimeOrigin::signed(worker), id, round, s, root, salt(worker))
}

fn training_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Training(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn escrow_held() -> u64 {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &OWNER)
}

fn free(who: AccountId) -> u64 {
	Balances::balance(&who)
}

/// Every assigned worker commits `result(worker, shard)` (if any) and reveals it; then the
/// chain reaches the reveal deadline.
fn train_round(
	id: BountyId,
	round: RoundIndex,
	result: impl Fn(AccountId, ShardIndex) -> Option<H256>,
) {
	let info = round_info(id, round);
	let shards = bounty(id).spec.shards_per_round;
	for s in 0..shards {
		for worker in workers_of(id, round, s) {
			if let Some(root) = result(worker, s) {
				assert_ok!(commit(worker, id, round, s, root));
			}
		}
	}
	run_to_block(info.commit_deadline);
	for s in 0..shards {
		for worker in workers_of(id, round, s) {
			if let Some(root) = result(worker, s) {
				assert_ok!(reveal(worker, id, round, s, root));
			}
		}
	}
	run_to_block(info.reveal_deadline);
}

fn honest(round: RoundIndex) -> impl Fn(AccountId, ShardIndex) -> Option<H256> {
	move |_, s| Some(good(round, s))
}

/// Round 0 with `liar` revealing a wrong root wherever it is assigned.
fn lying(liar: AccountId) -> impl Fn(AccountId, ShardIndex) -> Option<H256> {
	move |w, s| Some(if w == liar { bad() } else { good(0, s) })
}

/// A bounty of `spec` with workers 10..=13 registered and its first round assigned.
fn started(spec: SpecInput<Test>) -> BountyId {
	register_workers(10..14);
	let id = create_with(spec);
	run_to_block(2);
	id
}

/// The designated aggregator commits `checkpoint`; the review window passes undisputed.
fn aggregate(id: BountyId, round: RoundIndex, checkpoint: H256) {
	let info = round_info(id, round);
	let aggregator = info.aggregator.expect("an aggregator is designated");
	assert_ok!(Training::commit_checkpoint(
		RuntimeOrigin::signed(aggregator),
		id,
		round,
		checkpoint
	));
	run_to_block(round_info(id, round).review_deadline);
}

fn vote(voter: AccountId, dispute: DisputeId, verdict: Verdict) -> DispatchResult {
	Training::vote(RuntimeOrigin::signed(voter), dispute, verdict)
}

fn dispute_of(id: BountyId, round: RoundIndex, s: ShardIndex) -> DisputeId {
	match shard(id, round, s).outcome {
		ShardOutcome::Disputed(dispute) => dispute,
		other => panic!("shard {s} is {other:?}, not disputed"),
	}
}

fn open_assignments(worker: AccountId) -> u32 {
	pallet_workers::Workers::<Test>::get(worker).unwrap().open_assignments
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
		assert_eq!(bounty(id).phase, Phase::Training);
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
		// Every slot is settled; only the designated aggregator still has a duty.
		let aggregator = round_info(id, 0).aggregator.unwrap();
		for worker in 10..14 {
			assert_eq!(free(worker), 10_000 - WORKER_BOND + REWARD);
			assert_eq!(open_assignments(worker), u32::from(worker == aggregator));
		}
		assert_eq!(bounty(id).phase, Phase::Aggregating);

		aggregate(id, 0, checkpoint_after(0));
		assert_eq!(round_info(id, 0).result, Some(checkpoint_after(0)));
		assert_eq!(bounty(id).round, 1);
		assert_eq!(round_info(id, 1).checkpoint, checkpoint_after(0));
		// Round 1 trains dataset shards 2 and 3.
		assert_eq!(shard(id, 1, 0).dataset_shard, 2);

		train_round(id, 1, honest(1));
		aggregate(id, 1, checkpoint_after(1));
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
fn a_wrong_root_is_disputed_voted_down_and_slashed() {
	run(|| {
		let id = started(spec());
		let [honest_worker, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(liar));

		let dispute = dispute_of(id, 0, 0);
		let record = Disputes::<Test>::get(dispute).unwrap();
		assert_eq!(record.reason, DisputeReason::Disagreement);
		assert_eq!(record.candidates.len(), 2);
		assert_eq!(bounty(id).phase, Phase::Settling);
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
		assert_eq!(bounty(id).phase, Phase::Aggregating);
		assert_eq!(open_assignments(liar), 0);
	});
}

#[test]
fn a_copied_seal_is_refused_or_slashed() {
	run(|| {
		let id = started(spec());
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		let c = workers_of(id, 0, 1)[0];
		let checkpoint = round_info(id, 0).checkpoint;
		let a_seal = sealed(a, good(0, 0));
		assert_ok!(Training::commit(RuntimeOrigin::signed(a), id, 0, 0, checkpoint, a_seal));
		// The same seal in the same shard is refused outright.
		assert_noop!(
			Training::commit(RuntimeOrigin::signed(b), id, 0, 0, checkpoint, a_seal),
			Error::<Test>::DuplicateSeal
		);
		// In another shard it is accepted, but cannot be revealed: the seal binds a's account.
		assert_ok!(Training::commit(RuntimeOrigin::signed(c), id, 0, 1, checkpoint, a_seal));
		run_to_block(round_info(id, 0).commit_deadline);
		assert_noop!(
			Training::reveal(RuntimeOrigin::signed(c), id, 0, 1, good(0, 0), salt(a)),
			Error::<Test>::SealMismatch
		);
		assert_ok!(reveal(a, id, 0, 0, good(0, 0)));
		// The copy is never opened: at the reveal deadline its committer is slashed.
		run_to_block(round_info(id, 0).reveal_deadline);
		assert_eq!(Workers::held(&c), WORKER_BOND - WORKER_BOND / 10);
		let slot = shard(id, 0, 1).slots.into_iter().find(|s| s.worker == c).unwrap();
		assert_eq!(slot.outcome, SlotOutcome::Slashed);
		assert_eq!(Workers::held(&a), WORKER_BOND);
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
		aggregate(id, 0, checkpoint_after(0));
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
fn a_withheld_reveal_is_slashed_and_handed_to_a_standby() {
	run(|| {
		register_workers(10..16);
		let id = create_with(spec());
		run_to_block(2);
		let standbys = round_info(id, 0).standbys.to_vec();
		assert_eq!(standbys.len(), 2);
		let announced = training_events().into_iter().find_map(|event| match event {
			Event::RoundStarted { standbys, .. } => Some(standbys),
			_ => None,
		});
		assert_eq!(announced, Some(standbys.clone()));
		let [withholder, partner] = workers_of(id, 0, 0)[..] else { panic!() };
		// The withholder commits but never reveals.
		assert_ok!(commit(withholder, id, 0, 0, good(0, 0)));
		train_round(id, 0, |w, s| (w != withholder).then_some(good(0, s)));

		let state = shard(id, 0, 0);
		let standby = state.slots.iter().find(|s| s.replaced == Some(withholder)).unwrap().worker;
		assert!(standbys.contains(&standby));
		assert!(training_events().contains(&Event::SlotReassigned {
			bounty: id,
			round: 0,
			shard: 0,
			from: withholder,
			to: standby
		}));
		assert_eq!(pallet_workers::Workers::<Test>::get(withholder).unwrap().missed_in_row, 1);
		assert_eq!(open_assignments(withholder), 0);
		// A seal committed and never opened costs stake: it could be a copy or a withheld result.
		assert_eq!(Workers::held(&withholder), WORKER_BOND - WORKER_BOND / 10);
		assert!(training_events().contains(&Event::SealUnrevealed {
			bounty: id,
			round: 0,
			shard: 0,
			worker: withholder,
			slashed: WORKER_BOND / 10,
		}));
		// Shard 1 was complete and is already accepted; shard 0 waits for the standby.
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Accepted(good(0, 1)));
		assert_eq!(state.outcome, ShardOutcome::Pending);
		let info = round_info(id, 0);
		assert!(info.retried);
		assert_eq!(bounty(id).phase, Phase::Training);

		assert_ok!(commit(standby, id, 0, 0, good(0, 0)));
		run_to_block(info.commit_deadline);
		assert_ok!(reveal(standby, id, 0, 0, good(0, 0)));
		run_to_block(info.reveal_deadline);
		assert_eq!(shard(id, 0, 0).outcome, ShardOutcome::Accepted(good(0, 0)));
		assert_eq!(free(standby), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(free(partner), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(free(withholder), 10_000 - WORKER_BOND);
		assert_eq!(bounty(id).phase, Phase::Aggregating);
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
		assert_eq!(bounty(id).phase, Phase::Aggregating);
	});
}

#[test]
fn a_dispute_without_quorum_is_unresolved_and_nobody_is_slashed() {
	run(|| {
		let id = started(spec());
		let [a, b] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(b));
		let dispute = dispute_of(id, 0, 0);
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
		assert_eq!(bounty(id).phase, Phase::Aggregating);
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
		assert_eq!(bounty(id).phase, Phase::Waiting);
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
fn a_round_waits_for_enough_workers() {
	run(|| {
		register_workers(10..11);
		let id = create_with(spec());
		run_to_block(2);
		assert!(training_events().contains(&Event::RoundWaiting {
			bounty: id,
			round: 0,
			eligible: 1,
			needed: 2
		}));
		assert_eq!(bounty(id).wake_at, Some(5));
		register_workers(11..12);
		run_to_block(5);
		// Two workers meet r = 2; they share both shards.
		assert_eq!(bounty(id).phase, Phase::Training);
		for s in 0..2 {
			let mut workers = workers_of(id, 0, s);
			workers.sort();
			assert_eq!(workers, vec![10, 11]);
		}
		assert_eq!(open_assignments(10), 2);
	});
}

#[test]
fn create_bounty_refuses_bad_specs_with_named_errors() {
	run(|| {
		register_workers(10..14);
		let refuse = |spec: SpecInput<Test>, error: Error<Test>| {
			assert_noop!(Training::create_bounty(RuntimeOrigin::signed(OWNER), spec), error);
		};
		let mut long_config = spec();
		long_config.model.config = vec![0; cohort_primitives::MAX_MODEL_CONFIG_LEN as usize + 1];
		refuse(long_config, Error::<Test>::ModelConfigTooLong);
		refuse(BountySpec { rounds: 0, ..spec() }, Error::<Test>::ZeroRounds);
		refuse(BountySpec { rounds: 11, ..spec() }, Error::<Test>::TooManyRounds);
		refuse(BountySpec { shards_per_round: 0, ..spec() }, Error::<Test>::InvalidShardCount);
		refuse(BountySpec { shards_per_round: 5, ..spec() }, Error::<Test>::InvalidShardCount);
		let mut no_data = spec();
		no_data.dataset.shards = 0;
		refuse(no_data, Error::<Test>::EmptyDataset);
		refuse(BountySpec { replication: 0, ..spec() }, Error::<Test>::ZeroReplication);
		// More replicas than one class can ever hold (16 in the mock, 8 by the protocol).
		refuse(BountySpec { replication: 9, ..spec() }, Error::<Test>::ReplicationUnreachable);
		for blocks in [0, 21] {
			let mut deadlines = spec();
			deadlines.deadlines.reveal = blocks;
			refuse(deadlines, Error::<Test>::DeadlineOutOfBounds);
		}
		// A seal still closed at the reveal deadline is slashed: the window has a floor.
		let mut hurried = spec();
		hurried.deadlines.reveal = 1;
		refuse(hurried, Error::<Test>::RevealWindowTooShort);
		refuse(BountySpec { reward_per_contribution: 9, ..spec() }, Error::<Test>::RewardTooLow);
		let mut no_steps = spec();
		no_steps.hyper.inner_steps = 0;
		refuse(no_steps, Error::<Test>::InvalidHyperParameters);
		refuse(
			BountySpec {
				aggregation: Aggregation::TrimmedMean { trim: Percent::from_percent(50) },
				..spec()
			},
			Error::<Test>::InvalidAggregation,
		);
		let mut bad_class = spec();
		bad_class.requirements.class =
			Some(cohort_primitives::DeterminismClass(b"Not A Class".to_vec().try_into().unwrap()));
		refuse(bad_class, Error::<Test>::InvalidClass);
		refuse(
			BountySpec { reward_per_contribution: u64::MAX / 2, ..spec() },
			Error::<Test>::EscrowOverflow,
		);
		refuse(
			BountySpec { reward_per_contribution: 100_000, ..spec() },
			Error::<Test>::InsufficientBalance,
		);
		for _ in 0..4 {
			create_with(spec());
		}
		refuse(spec(), Error::<Test>::TooManyBounties);
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
		assert_ok!(reveal(a, id, 0, 0, good(0, 0)));
		assert_noop!(reveal(a, id, 0, 0, good(0, 0)), Error::<Test>::AlreadyRevealed);
		// b never revealed and no standby is left: the round goes on to settle the lone reveal.
		run_to_block(round_info(id, 0).reveal_deadline);
		assert_eq!(bounty(id).phase, Phase::Settling);
		assert_noop!(reveal(a, id, 0, 0, good(0, 0)), Error::<Test>::WrongPhase);
	});
}

#[test]
fn votes_are_refused_from_non_validators_twice_late_or_for_unknown_roots() {
	run(|| {
		let id = started(spec());
		let liar = workers_of(id, 0, 0)[1];
		train_round(id, 0, lying(liar));
		let dispute = dispute_of(id, 0, 0);
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
fn a_disputed_checkpoint_is_replaced_and_its_aggregator_slashed() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = round_info(id, 0).aggregator.unwrap();
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
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(20), id, 0, checkpoint_after(0)),
			Error::<Test>::NotParticipant
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
		let dispute = round_info(id, 0).checkpoint_dispute.unwrap();
		for voter in [100, 101, 102] {
			assert_ok!(vote(voter, dispute, Verdict::Correct(checkpoint_after(0))));
		}
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
		assert_eq!(round_info(id, 0).result, Some(checkpoint_after(0)));
		assert_eq!(bounty(id).round, 1);
		assert_eq!(round_info(id, 1).checkpoint, checkpoint_after(0));
	});
}

#[test]
fn the_review_window_closes() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let aggregator = round_info(id, 0).aggregator.unwrap();
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		System::set_block_number(round_info(id, 0).review_deadline);
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
		let aggregator = round_info(id, 0).aggregator.unwrap();
		let checker = (10..14).find(|w| *w != aggregator).unwrap();
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		assert_ok!(Training::dispute_checkpoint(
			RuntimeOrigin::signed(checker),
			id,
			0,
			checkpoint_after(0)
		));
		let dispute = round_info(id, 0).checkpoint_dispute.unwrap();
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Unresolved);
		assert_eq!(round_info(id, 0).result, Some(spec().model.initial_checkpoint));
		assert_eq!(Workers::held(&aggregator), WORKER_BOND);
		assert_eq!(Workers::held(&checker), WORKER_BOND);
	});
}

#[test]
fn a_silent_aggregator_is_replaced_then_the_round_keeps_its_checkpoint() {
	run(|| {
		let id = started(spec());
		train_round(id, 0, honest(0));
		let first = round_info(id, 0).aggregator.unwrap();
		run_to_block(round_info(id, 0).checkpoint_deadline);
		let second = round_info(id, 0).aggregator.unwrap();
		assert_ne!(first, second);
		assert!(training_events().contains(&Event::AggregatorMissed {
			bounty: id,
			round: 0,
			aggregator: first
		}));
		System::set_block_number(round_info(id, 0).checkpoint_deadline);
		assert_noop!(
			Training::commit_checkpoint(RuntimeOrigin::signed(second), id, 0, checkpoint_after(0)),
			Error::<Test>::CheckpointDeadlinePassed
		);
		System::set_block_number(round_info(id, 0).checkpoint_deadline - 1);
		run_to_block(round_info(id, 0).checkpoint_deadline);
		// Two attempts in the mock: the round ends with H_1 = H_0 and round 1 starts from it.
		let h0 = spec().model.initial_checkpoint;
		assert_eq!(round_info(id, 0).result, Some(h0));
		assert_eq!(round_info(id, 1).checkpoint, h0);
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
fn a_worker_cannot_leave_while_its_slot_is_open() {
	run(|| {
		let id = started(spec());
		assert_noop!(
			Workers::unbond(RuntimeOrigin::signed(10)),
			pallet_workers::Error::<Test>::HasOpenAssignments
		);
		train_round(id, 0, honest(0));
		assert_ok!(Workers::unbond(RuntimeOrigin::signed(10)));
	});
}

#[test]
fn every_call_is_refused_for_unsigned_origins() {
	run(|| {
		let none = RuntimeOrigin::none();
		assert_noop!(
			Training::create_bounty(none.clone(), spec()),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			Training::vote(RuntimeOrigin::root(), 0, Verdict::NoneCorrect),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_aggregator_and_the_disputer_stay_bonded_until_the_checkpoint_settles() {
	run(|| {
		let id = started(BountySpec { rounds: 1, ..spec() });
		train_round(id, 0, honest(0));
		let aggregator = round_info(id, 0).aggregator.unwrap();
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
		let dispute = round_info(id, 0).checkpoint_dispute.unwrap();
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

#[test]
fn a_vote_counts_only_while_its_voter_validates() {
	run(|| {
		let id = started(spec());
		let liar = workers_of(id, 0, 0)[1];
		train_round(id, 0, lying(liar));
		let dispute = dispute_of(id, 0, 0);
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
