//! Every call, every error and whole rounds on the mock runtime. `run` checks both pallets'
//! invariants (escrow holds, bonds, wake-up lists) at the end of every test.
//!
//! This module holds the helpers the tests share; the tests live in one submodule per concern.

mod bisection;
mod bounties;
mod checkpoints;
mod committees;
mod disputes;
mod escrow;
mod hook;
mod incentives;
mod pruning;
mod rounds;

use crate::{mock::*, *};
use codec::Encode;
use cohort_primitives::{seal, vote_seal, Verdict, H256};
use frame_support::{
	assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::DispatchResult;

const ROUND_COST: u64 = 2 * 2 * REWARD + 5 * 2 * (REWARD / 10);

fn salt(worker: AccountId) -> H256 {
	H256::from_low_u64_be(1_000 + worker)
}

fn sealed(worker: AccountId, root: H256) -> H256 {
	seal(&root, &trajectory_of(&root), &salt(worker), &worker.encode())
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

/// Where bounty `id` stands.
fn phase(id: BountyId) -> Phase {
	Training::phase(id, &bounty(id))
}

/// The aggregator designated for (or committed by) `round`.
fn aggregator_of(id: BountyId, round: RoundIndex) -> AccountId {
	match round_info(id, round).phase {
		RoundPhase::Aggregating { aggregator, .. } | RoundPhase::Review { aggregator, .. } => {
			aggregator
		}
		other => panic!("round {round} has no aggregator: {other:?}"),
	}
}

/// The deadline of `round`'s aggregating or review phase.
fn phase_deadline(id: BountyId, round: RoundIndex) -> u64 {
	match round_info(id, round).phase {
		RoundPhase::Aggregating { deadline, .. } | RoundPhase::Review { deadline, .. } => deadline,
		other => panic!("round {round} has no aggregator's deadline: {other:?}"),
	}
}

/// The dispute over `round`'s proposed checkpoint.
fn challenge_of(id: BountyId, round: RoundIndex) -> DisputeId {
	match round_info(id, round).phase {
		RoundPhase::Review { challenge: Some(challenge), .. } => challenge.dispute,
		other => panic!("round {round}'s checkpoint is not challenged: {other:?}"),
	}
}

/// The checkpoint `round` produced, once finished.
fn result_of(id: BountyId, round: RoundIndex) -> Option<H256> {
	match round_info(id, round).phase {
		RoundPhase::Finished { result } => Some(result),
		_ => None,
	}
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
	Training::reveal(
		RuntimeOrigin::signed(worker),
		id,
		round,
		s,
		root,
		trajectory_of(&root),
		salt(worker),
	)
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
/// chain reaches the reveal deadline (which a barrier may have brought forward).
fn train_round(
	id: BountyId,
	round: RoundIndex,
	result: impl Fn(AccountId, ShardIndex) -> Option<H256>,
) {
	let shards = bounty(id).spec.shards_per_round;
	for s in 0..shards {
		for worker in workers_of(id, round, s) {
			if let Some(root) = result(worker, s) {
				assert_ok!(commit(worker, id, round, s, root));
			}
		}
	}
	run_to_block(round_info(id, round).commit_deadline);
	for s in 0..shards {
		for worker in workers_of(id, round, s) {
			if let Some(root) = result(worker, s) {
				assert_ok!(reveal(worker, id, round, s, root));
			}
		}
	}
	run_to_block(round_info(id, round).reveal_deadline);
}

fn honest(round: RoundIndex) -> impl Fn(AccountId, ShardIndex) -> Option<H256> {
	move |_, s| Some(good(round, s))
}

/// Round 0 with `liar` revealing a wrong root wherever it is assigned.
fn lying(liar: AccountId) -> impl Fn(AccountId, ShardIndex) -> Option<H256> {
	move |w, s| Some(if w == liar { bad() } else { good(0, s) })
}

/// A bounty of four shards, each audited, trained honestly: four whole-shard disputes open
/// in one block, the last two in one vote window (the mock's `MaxRecomputeQueue` is two).
fn four_audits() -> (BountyId, Vec<DisputeId>) {
	let audited =
		BountySpec { shards_per_round: 4, audit_rate: sp_runtime::Perbill::one(), ..spec() };
	let id = started(audited);
	train_round(id, 0, honest(0));
	(id, (0..4).map(|s| dispute_of(id, 0, s)).collect())
}

/// A bounty of `spec` with workers 10..=13 registered and its first round assigned.
fn started(spec: SpecInput<Test>) -> BountyId {
	register_workers(10..14);
	let id = create_with(spec);
	run_to_block(2);
	id
}

/// The designated aggregator commits `checkpoint`; the next round (if any) starts from it.
fn propose(id: BountyId, round: RoundIndex, checkpoint: H256) {
	let aggregator = aggregator_of(id, round);
	assert_ok!(Training::commit_checkpoint(
		RuntimeOrigin::signed(aggregator),
		id,
		round,
		checkpoint
	));
}

/// The designated aggregator commits `checkpoint`; the review window passes undisputed (and
/// with it the commit window of the round that started from it: for tests of one round).
fn aggregate(id: BountyId, round: RoundIndex, checkpoint: H256) {
	propose(id, round, checkpoint);
	run_to_block(phase_deadline(id, round));
}

/// `voter`'s salt for its sealed vote on `dispute`.
fn vote_salt(voter: AccountId, dispute: DisputeId) -> H256 {
	H256::from_low_u64_be(voter * 1_000_000 + dispute)
}

/// `voter` seals its vote `verdict` on `dispute`.
fn seal_vote(voter: AccountId, dispute: DisputeId, verdict: Verdict) -> DispatchResult {
	let seal = vote_seal(dispute, &verdict, &vote_salt(voter, dispute), &voter.encode());
	Training::vote(RuntimeOrigin::signed(voter), dispute, seal).map(drop).map_err(|e| e.error)
}

/// `voter` opens its sealed vote `verdict` on `dispute`.
fn reveal_vote(voter: AccountId, dispute: DisputeId, verdict: Verdict) -> DispatchResult {
	let salt = vote_salt(voter, dispute);
	Training::reveal_vote(RuntimeOrigin::signed(voter), dispute, verdict, salt)
		.map(drop)
		.map_err(|e| e.error)
}

/// Run to the block at which sealing ends on `dispute`, if it has not ended yet.
fn end_sealing(dispute: DisputeId) {
	let ends = Disputes::<Test>::get(dispute).expect("dispute exists").sealing_ends;
	if System::block_number() < ends {
		run_to_block(ends);
	}
}

/// Each of `votes` is sealed, sealing ends (at once once all the stake has sealed, else at
/// the vote window's end), and each is opened, in order; once every seal is open, the next
/// block's hook counts them (see [`count_votes`]).
fn vote_all(dispute: DisputeId, votes: &[(AccountId, Verdict)]) {
	for (voter, verdict) in votes {
		assert_ok!(seal_vote(*voter, dispute, *verdict));
	}
	end_sealing(dispute);
	for (voter, verdict) in votes {
		assert_ok!(reveal_vote(*voter, dispute, *verdict));
	}
	count_votes(dispute);
}

/// Run the next block, whose hook counts the votes on `dispute` if every seal on it is open.
fn count_votes(dispute: DisputeId) {
	if Disputes::<Test>::get(dispute).expect("dispute exists").all_open() {
		next_block();
	}
}

/// `voters` all vote `verdict` on `dispute` (see [`vote_all`]).
fn vote_for(dispute: DisputeId, voters: &[AccountId], verdict: Verdict) {
	let votes: Vec<_> = voters.iter().map(|voter| (*voter, verdict)).collect();
	vote_all(dispute, &votes);
}

fn dispute_of(id: BountyId, round: RoundIndex, s: ShardIndex) -> DisputeId {
	match shard(id, round, s).outcome {
		ShardOutcome::Disputed(dispute) => dispute,
		other => panic!("shard {s} is {other:?}, not disputed"),
	}
}

/// A first round of the mock spec whose shard 0 has a lying replica, the bisection game of
/// its dispute played out: the bounty, the liar and the dispute, open to votes.
fn lying_dispute() -> (BountyId, AccountId, DisputeId) {
	let id = started(spec());
	let liar = workers_of(id, 0, 0)[1];
	train_round(id, 0, lying(liar));
	(id, liar, bisected(id, 0, 0))
}

fn game(dispute: DisputeId) -> Bisection<AccountId, u64> {
	Games::<Test>::get(dispute).expect("the dispute is bisected")
}

/// The dispute over `shard` of `round`, its bisection game played out: open to votes.
fn bisected(id: BountyId, round: RoundIndex, s: ShardIndex) -> DisputeId {
	let dispute = dispute_of(id, round, s);
	play(dispute);
	dispute
}

fn open_assignments(worker: AccountId) -> u32 {
	pallet_workers::Workers::<Test>::get(worker).unwrap().open_assignments
}

/// The slots `worker` was drawn for in bounty `id`'s next round, drawn ahead while the
/// current one aggregates: each is a duty already.
fn drawn_slots(id: BountyId, worker: AccountId) -> u32 {
	DrawnShards::<Test>::iter_prefix_values(id).flatten().filter(|w| *w == worker).count() as u32
}

/// The next block: where a verdict that ends the round's disputes begins its aggregation.
fn next_block() {
	run_to_block(System::block_number() + 1);
}
