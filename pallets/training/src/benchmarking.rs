//! Benchmarks for `pallet_training`; the runtime's weights are generated from them. Rounds are
//! driven through the pallet's own calls and hook, in their worst cases: every replica paid,
//! full determinism classes drawn, the settling opened vote starting the aggregation.

use super::*;
use crate::Pallet as Training;
use alloc::{vec, vec::Vec};
use codec::Encode;
use cohort_primitives::{
	seal, vote_seal, Aggregation, Architecture, Capabilities, DatasetSpec, Deadlines,
	DeterminismClass, DeviceKind, HyperParams, ModelSpec, Optimizer, Requirements, H256,
	MAX_MODEL_CONFIG_LEN,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get, Hooks},
	weights::Weight,
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{traits::Saturating, Perbill};

/// Replicas per shard in the benchmarks.
const R: u32 = crate::weights::BENCHMARK_REPLICATION;
/// The trajectory root every benchmark worker reveals: the chain stores it and checks only
/// that it opens the seal.
const TRAJECTORY: H256 = H256::repeat_byte(0x7a);

fn owner<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("owner", 0, 0);
	T::Currency::set_balance(&who, T::MinReward::get().saturating_mul(1_000_000_000u32.into()));
	who
}

fn bench_spec<T: Config>(shards: u32, config_len: u32) -> SpecInput<T> {
	let phase = T::MinPhaseBlocks::get();
	BountySpec {
		model: ModelSpec {
			architecture: Architecture::CharTransformer,
			config: vec![7; config_len as usize],
			initial_checkpoint: H256::repeat_byte(1),
		},
		dataset: DatasetSpec { hash: H256::repeat_byte(2), shards: 1_000 },
		hyper: HyperParams {
			inner_steps: 50,
			batch_size: 16,
			inner_learning_rate: Perbill::from_parts(300_000),
			outer_learning_rate: Perbill::from_percent(70),
			optimizer: Optimizer::AdamW,
		},
		rounds: 2,
		shards_per_round: shards,
		replication: R,
		aggregation: Aggregation::Median,
		audit_rate: Perbill::zero(),
		deadlines: Deadlines {
			commit: phase,
			reveal: phase.max(T::MinRevealBlocks::get()),
			vote: phase.max(T::MinVoteBlocks::get()),
			checkpoint: phase.max(T::MinReviewBlocks::get()),
			review: phase.max(T::MinReviewBlocks::get()),
		},
		reward_per_contribution: T::MinReward::get(),
		requirements: Requirements::default(),
	}
}

/// Register `count` workers of one class.
fn workers<T: Config>(count: u32) -> Vec<T::AccountId> {
	workers_of::<T>(b"bench", 0, count)
}

/// Register `count` workers of `class`, their accounts numbered from `first`.
fn workers_of<T: Config>(class: &[u8], first: u32, count: u32) -> Vec<T::AccountId> {
	let class = DeterminismClass::new(class).expect("well-formed");
	(first..first + count)
		.map(|i| {
			let who: T::AccountId = account("worker", i, 0);
			let capabilities = Capabilities {
				device: DeviceKind::Cpu,
				memory_mib: 1,
				gflops: 1,
				class: class.clone(),
			};
			T::Workers::register_for_benchmark(&who, capabilities);
			who
		})
		.collect()
}

/// The block where `bounty` wakes up.
fn wake_at<T: Config>(bounty: BountyId) -> BlockNumberFor<T> {
	Bounties::<T>::get(bounty).and_then(|b| b.wake_at).expect("scheduled")
}

/// Move to the block where `bounty` wakes up, for its hook to run there; returns it.
fn due<T: Config>(bounty: BountyId) -> BlockNumberFor<T> {
	let at = wake_at::<T>(bounty);
	frame_system::Pallet::<T>::set_block_number(at);
	at
}

/// Run the hook at the block where `bounty` wakes up.
fn wake<T: Config>(bounty: BountyId) {
	Training::<T>::on_initialize(due::<T>(bounty));
}

/// A bounty of `shards` shards whose first round is assigned among `pool` workers.
fn started<T: Config>(shards: u32, pool: u32) -> BountyId {
	workers::<T>(pool);
	Training::<T>::create_bounty(
		RawOrigin::Signed(owner::<T>()).into(),
		bench_spec::<T>(shards, 0),
	)
	.expect("a valid spec");
	let bounty = NextBountyId::<T>::get() - 1;
	wake::<T>(bounty);
	bounty
}

fn salt_of<T: Config>(who: &T::AccountId) -> H256 {
	H256(sp_io::hashing::blake2_256(&who.encode()))
}

/// Every replica commits and reveals `result(shard, replica)`; stops before the check.
fn commit_and_reveal<T: Config>(bounty: BountyId, result: impl Fn(u32, usize) -> H256) {
	let round = Rounds::<T>::get(bounty, 0).expect("started");
	let shards = Bounties::<T>::get(bounty).expect("exists").spec.shards_per_round;
	for shard in 0..shards {
		let slots = Shards::<T>::get((bounty, 0, shard)).expect("assigned").slots;
		for (replica, slot) in slots.iter().enumerate() {
			let root = result(shard, replica);
			let sealed =
				seal(&root, &TRAJECTORY, &salt_of::<T>(&slot.worker), &slot.worker.encode());
			Training::<T>::do_commit(
				slot.worker.clone(),
				bounty,
				0,
				shard,
				round.checkpoint,
				sealed,
			)
			.expect("assigned");
		}
	}
	frame_system::Pallet::<T>::set_block_number(round.commit_deadline);
	for shard in 0..shards {
		let slots = Shards::<T>::get((bounty, 0, shard)).expect("assigned").slots;
		for (replica, slot) in slots.iter().enumerate() {
			let root = result(shard, replica);
			Training::<T>::do_reveal(
				slot.worker.clone(),
				bounty,
				0,
				shard,
				root,
				TRAJECTORY,
				salt_of::<T>(&slot.worker),
			)
			.expect("committed");
		}
	}
}

fn honest(shard: u32, _replica: usize) -> H256 {
	H256::repeat_byte(shard as u8 + 1)
}

/// Every shard's second replica lies: the check opens a dispute on every shard.
fn second_replica_lies(shard: u32, replica: usize) -> H256 {
	match replica {
		0 => honest(shard, replica),
		_ => H256::repeat_byte(0xee),
	}
}

/// A bounty whose first round was trained honestly and checked: it waits for its aggregator.
fn aggregating<T: Config>(shards: u32, pool: u32) -> BountyId {
	let bounty = started::<T>(shards, pool);
	commit_and_reveal::<T>(bounty, honest);
	wake::<T>(bounty);
	bounty
}

/// Where `bounty` stands.
fn phase<T: Config>(bounty: BountyId) -> Phase {
	Training::<T>::phase(bounty, &Bounties::<T>::get(bounty).expect("exists"))
}

/// The designated aggregator of `bounty`'s first round.
fn aggregator<T: Config>(bounty: BountyId) -> T::AccountId {
	match Rounds::<T>::get(bounty, 0).expect("started").phase {
		RoundPhase::Aggregating { aggregator, .. } => aggregator,
		_ => panic!("no aggregator designated"),
	}
}

/// Make `count` validators with a stake that outweighs any genesis validator, before the
/// disputes they vote on open (a dispute's electorate is the set when it opens).
fn voters<T: Config>(count: u32) -> Vec<T::AccountId> {
	(0..count)
		.map(|i| {
			let who: T::AccountId = account("voter", i, 0);
			T::Currency::set_balance(&who, T::MinReward::get());
			T::Voters::add_voter_for_benchmark(
				&who,
				T::MinReward::get().saturating_mul(1_000_000_000u32.into()),
			);
			who
		})
		.collect()
}

/// `voter`'s seal of `verdict` on `dispute`, with a salt of its own.
fn vote_of<T: Config>(voter: &T::AccountId, dispute: DisputeId, verdict: Verdict) -> (H256, H256) {
	let salt = H256(sp_io::hashing::blake2_256(&voter.encode()));
	(vote_seal(dispute, &verdict, &salt, &voter.encode()), salt)
}

/// The disputes open on the `s` shards of `bounty`'s first round.
fn disputes_of<T: Config>(bounty: BountyId, s: u32) -> Vec<DisputeId> {
	(0..s)
		.filter_map(|shard| match Shards::<T>::get((bounty, 0, shard))?.outcome {
			ShardOutcome::Disputed(dispute) => Some(dispute),
			_ => None,
		})
		.collect()
}

/// A round of `s` shards whose shard 0 is disputed by its two replicas, the game played out:
/// open to votes. Returns the dispute and the verdict that settles it.
fn disputed<T: Config>(s: u32) -> (BountyId, DisputeId, Verdict) {
	let bounty = started::<T>(s, R);
	// The second replica of shard 0 lies; every other shard is accepted.
	commit_and_reveal::<T>(bounty, |shard, replica| {
		if shard == 0 && replica == 1 {
			H256::repeat_byte(0xee)
		} else {
			honest(shard, replica)
		}
	});
	wake::<T>(bounty);
	let dispute = NextDisputeId::<T>::get() - 1;
	// The two sides have played their bisection game out (`bisect` is benchmarked alone).
	Games::<T>::mutate(dispute, |game| {
		let game = game.as_mut().expect("two roots are bisected");
		game.low = game.high - 1;
	});
	(bounty, dispute, Verdict::Correct(honest(0, 0)))
}

/// Play out the bisection game of each of `disputes` (`bisect` is benchmarked alone), and
/// have every one of `voters` seal its verdict on it: `verdict_of(shard, voter)`.
fn seal_played_out<T: Config>(
	disputes: &[DisputeId],
	voters: &[T::AccountId],
	verdict_of: impl Fn(usize, usize) -> Verdict,
) {
	for (shard, &dispute) in disputes.iter().enumerate() {
		Games::<T>::mutate(dispute, |game| {
			let game = game.as_mut().expect("two roots are bisected");
			game.low = game.high - 1;
		});
		for (i, voter) in voters.iter().enumerate() {
			let (seal, _) = vote_of::<T>(voter, dispute, verdict_of(shard, i));
			Training::<T>::do_seal_vote(voter.clone(), dispute, seal).expect("a validator");
		}
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_bounty(c: Linear<0, MAX_MODEL_CONFIG_LEN>) {
		let owner = owner::<T>();
		let spec = bench_spec::<T>(T::MaxShardsPerRound::get(), c);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), spec);
		assert_eq!(NextBountyId::<T>::get(), 1);
	}

	#[benchmark]
	fn cancel_bounty() {
		let bounty = started::<T>(1, R);
		let owner = Bounties::<T>::get(bounty).expect("exists").owner;
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), bounty);
		assert_eq!(Bounties::<T>::get(bounty).expect("exists").status, BountyStatus::Cancelling);
	}

	#[benchmark]
	fn serve_data() {
		let bounty = started::<T>(1, R);
		let owner = Bounties::<T>::get(bounty).expect("exists").owner;
		let peer_id = vec![1; cohort_primitives::MAX_PEER_ID_LEN as usize];
		let address = vec![4; cohort_primitives::MAX_ADDRESS_LEN as usize];
		let addresses = vec![address; cohort_primitives::MAX_ADDRESSES as usize];
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), bounty, peer_id, addresses);
		assert!(DataServers::<T>::contains_key(bounty));
	}

	#[benchmark]
	fn top_up() {
		let bounty = started::<T>(1, R);
		let owner = Bounties::<T>::get(bounty).expect("exists").owner;
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), bounty, 1);
		assert_eq!(Bounties::<T>::get(bounty).expect("exists").spec.rounds, 3);
	}

	#[benchmark]
	fn commit() {
		let bounty = started::<T>(1, R);
		let worker = Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0].worker.clone();
		let checkpoint = Rounds::<T>::get(bounty, 0).expect("started").checkpoint;
		let sealed = seal(&honest(0, 0), &TRAJECTORY, &salt_of::<T>(&worker), &worker.encode());
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), bounty, 0, 0, checkpoint, sealed);
		assert!(Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0].seal.is_some());
	}

	#[benchmark]
	fn reveal() {
		let bounty = started::<T>(1, R);
		let worker = Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0].worker.clone();
		let round = Rounds::<T>::get(bounty, 0).expect("started");
		let salt = salt_of::<T>(&worker);
		let sealed = seal(&honest(0, 0), &TRAJECTORY, &salt, &worker.encode());
		Training::<T>::do_commit(worker.clone(), bounty, 0, 0, round.checkpoint, sealed)
			.expect("assigned");
		frame_system::Pallet::<T>::set_block_number(round.commit_deadline);
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), bounty, 0, 0, honest(0, 0), TRAJECTORY, salt);
		assert!(Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0].root.is_some());
	}

	#[benchmark]
	fn decline() {
		let bounty = started::<T>(1, R);
		let worker = Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0].worker.clone();
		// `Infeasible` also counts a missed deadline in the worker registry.
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), bounty, 0, 0, DeclineReason::Infeasible);
		let slot = &Shards::<T>::get((bounty, 0, 0)).expect("assigned").slots[0];
		assert_eq!(slot.outcome, SlotOutcome::Declined(DeclineReason::Infeasible));
	}

	#[benchmark]
	fn vote() {
		let voters = voters::<T>(3);
		let (_, dispute, verdict) = disputed::<T>(1);
		for voter in &voters[..2] {
			let (seal, _) = vote_of::<T>(voter, dispute, verdict);
			Training::<T>::do_seal_vote(voter.clone(), dispute, seal).expect("a validator");
		}
		let (seal, _) = vote_of::<T>(&voters[2], dispute, verdict);
		#[extrinsic_call]
		_(RawOrigin::Signed(voters[2].clone()), dispute, seal);
		assert_eq!(Disputes::<T>::get(dispute).expect("exists").votes.len(), 3);
	}

	#[benchmark]
	fn reveal_vote() {
		// The most seals a dispute takes, and the last of them opened: the longest record to
		// search, and the opening that makes the dispute due.
		let voters = voters::<T>(crate::MAX_VOTERS);
		let (bounty, dispute, verdict) = disputed::<T>(1);
		for voter in &voters {
			let (seal, _) = vote_of::<T>(voter, dispute, verdict);
			Training::<T>::do_seal_vote(voter.clone(), dispute, seal).expect("a validator");
		}
		// The bounty wakes next at the dispute's deadline (its game's turn is over), so the
		// last opening moves its wake-up.
		let Dispute { sealing_ends, deadline, .. } = Disputes::<T>::get(dispute).expect("exists");
		while wake_at::<T>(bounty) < deadline {
			wake::<T>(bounty);
		}
		let now = frame_system::Pallet::<T>::block_number().max(sealing_ends);
		frame_system::Pallet::<T>::set_block_number(now);
		let (last, opened) = voters.split_last().expect("voters");
		for voter in opened {
			let (_, salt) = vote_of::<T>(voter, dispute, verdict);
			Training::<T>::do_reveal_vote(voter.clone(), dispute, verdict, salt).expect("sealed");
		}
		let (_, salt) = vote_of::<T>(last, dispute, verdict);
		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), dispute, verdict, salt);
		let record = Disputes::<T>::get(dispute).expect("exists");
		assert!(record.all_open());
		// The next block's hook counts the votes.
		assert_eq!(record.deadline, now + 1u32.into());
		assert_eq!(wake_at::<T>(bounty), now + 1u32.into());
	}

	#[benchmark]
	fn bisect() {
		let bounty = started::<T>(1, R);
		commit_and_reveal::<T>(bounty, |_, replica| H256::repeat_byte(replica as u8 + 1));
		wake::<T>(bounty);
		let dispute = NextDisputeId::<T>::get() - 1;
		// Two trajectories of the bench spec's 50 steps, parting at their last leaf: the
		// deepest proof, and the move that ends the game.
		let leaves = |side: u8| -> Vec<H256> {
			(0..51u8).map(|i| H256::repeat_byte(if i == 50 { side } else { 100 + i })).collect()
		};
		let mut game = Games::<T>::get(dispute).expect("two roots are bisected");
		for (side, record) in game.sides.iter_mut().enumerate() {
			record.trajectory = cohort_formats::trajectory::root(&leaves(side as u8));
		}
		game.low = 50;
		game.agreed = Some(leaves(0)[49]);
		game.high = 52;
		game.sides[0].moved = Some(leaves(0)[50]);
		let party = game.sides[1].backers[0].clone();
		Games::<T>::insert(dispute, game);
		let proof = cohort_formats::trajectory::proof(&leaves(1), 50).siblings;
		#[extrinsic_call]
		_(RawOrigin::Signed(party), dispute, leaves(1)[50], BoundedVec::truncate_from(proof));
		assert!(Games::<T>::get(dispute).expect("kept").is_over());
	}

	#[benchmark]
	fn commit_checkpoint() {
		let bounty = aggregating::<T>(1, R);
		let aggregator = aggregator::<T>(bounty);
		#[extrinsic_call]
		_(RawOrigin::Signed(aggregator), bounty, 0, H256::repeat_byte(9));
		let round = Rounds::<T>::get(bounty, 0).expect("started");
		assert!(matches!(round.phase, RoundPhase::Review { .. }));
	}

	#[benchmark]
	fn dispute_checkpoint(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		// Enough workers that the disputer's only slot is in the last shard.
		let bounty = aggregating::<T>(s, s * R);
		let aggregator = aggregator::<T>(bounty);
		Training::<T>::commit_checkpoint(
			RawOrigin::Signed(aggregator.clone()).into(),
			bounty,
			0,
			H256::repeat_byte(9),
		)
		.expect("the aggregator");
		let last = Shards::<T>::get((bounty, 0, s - 1)).expect("assigned");
		let disputer = last
			.slots
			.iter()
			.map(|slot| slot.worker.clone())
			.find(|w| *w != aggregator)
			.expect("r >= 2");
		#[extrinsic_call]
		_(RawOrigin::Signed(disputer), bounty, 0, H256::repeat_byte(8));
		let round = Rounds::<T>::get(bounty, 0).expect("started");
		assert!(matches!(round.phase, RoundPhase::Review { challenge: Some(_), .. }));
	}

	#[benchmark]
	fn on_initialize_idle() {
		let now: BlockNumberFor<T> = 1u32.into();
		#[block]
		{
			Training::<T>::on_initialize(now);
		}
	}

	#[benchmark]
	fn start_round(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		// A bounty that requires no class draws among them all: every class full.
		let per_class = T::Workers::max_per_class();
		for class in 0..T::Workers::max_classes() {
			let name = alloc::format!("bench{class}");
			workers_of::<T>(name.as_bytes(), class * per_class, per_class);
		}
		Training::<T>::create_bounty(RawOrigin::Signed(owner::<T>()).into(), bench_spec::<T>(s, 0))
			.expect("a valid spec");
		let at = due::<T>(0);
		#[block]
		{
			Training::<T>::on_initialize(at);
		}
		assert_eq!(phase::<T>(0), Phase::Training);
	}

	#[benchmark]
	fn check_round(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		let bounty = started::<T>(s, R);
		commit_and_reveal::<T>(bounty, honest);
		let at = due::<T>(bounty);
		#[block]
		{
			Training::<T>::on_initialize(at);
		}
		assert_eq!(phase::<T>(bounty), Phase::Aggregating);
	}

	#[benchmark]
	fn check_round_disputed(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		let bounty = started::<T>(s, R);
		commit_and_reveal::<T>(bounty, second_replica_lies);
		let at = due::<T>(bounty);
		#[block]
		{
			Training::<T>::on_initialize(at);
		}
		assert_eq!(phase::<T>(bounty), Phase::Settling);
		assert_eq!(disputes_of::<T>(bounty, s).len(), s as usize);
	}

	#[benchmark]
	fn settle_round(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		let voters = voters::<T>(crate::MAX_VOTERS);
		let bounty = started::<T>(s, R);
		commit_and_reveal::<T>(bounty, second_replica_lies);
		wake::<T>(bounty);
		let disputes = disputes_of::<T>(bounty, s);
		seal_played_out::<T>(&disputes, &voters, |_, _| Verdict::Correct(honest(0, 0)));
		// Every dispute opened in one block has one vote deadline; the hook's wake-ups before
		// it (the games' turns, over already) conclude nothing.
		let deadline = Disputes::<T>::get(disputes[0]).expect("opened").deadline;
		while wake_at::<T>(bounty) < deadline {
			wake::<T>(bounty);
		}
		let at = due::<T>(bounty);
		// The bounty's part of the hook, with room for every conclusion: the hook itself would
		// stop at its budget and conclude the rest in later blocks.
		#[block]
		{
			Training::<T>::advance(bounty, at, Weight::MAX, true);
		}
		for dispute in disputes {
			let status = Disputes::<T>::get(dispute).expect("kept").status;
			assert_eq!(status, DisputeStatus::Unresolved);
		}
	}

	#[benchmark]
	fn settle_round_verdicts(s: Linear<1, { T::MaxShardsPerRound::get() }>) {
		let voters = voters::<T>(crate::MAX_VOTERS);
		let bounty = started::<T>(s, R);
		commit_and_reveal::<T>(bounty, second_replica_lies);
		wake::<T>(bounty);
		let disputes = disputes_of::<T>(bounty, s);
		// Three quarters of the stake votes each shard's honest root, the rest the liar's:
		// every voter is paid or penalized.
		let carrying = voters.len() * 3 / 4;
		let verdict_of = |shard: usize, voter: usize| {
			let root =
				if voter < carrying { honest(shard as u32, 0) } else { H256::repeat_byte(0xee) };
			Verdict::Correct(root)
		};
		seal_played_out::<T>(&disputes, &voters, &verdict_of);
		// Votes open once sealing ends; the bounty's wake-ups before then (the games' turns,
		// over already) conclude nothing.
		let sealing_ends = disputes
			.iter()
			.map(|dispute| Disputes::<T>::get(dispute).expect("opened").sealing_ends)
			.max()
			.expect("a dispute a shard");
		while wake_at::<T>(bounty) < sealing_ends {
			wake::<T>(bounty);
		}
		let now = frame_system::Pallet::<T>::block_number().max(sealing_ends);
		frame_system::Pallet::<T>::set_block_number(now);
		for (shard, &dispute) in disputes.iter().enumerate() {
			for (i, voter) in voters.iter().enumerate() {
				let verdict = verdict_of(shard, i);
				let (_, salt) = vote_of::<T>(voter, dispute, verdict);
				Training::<T>::do_reveal_vote(voter.clone(), dispute, verdict, salt)
					.expect("sealed");
			}
		}
		// Every seal is open: every dispute is due at the next block.
		let at = due::<T>(bounty);
		assert_eq!(at, now + 1u32.into());
		#[block]
		{
			Training::<T>::advance(bounty, at, Weight::MAX, true);
		}
		for (shard, dispute) in disputes.into_iter().enumerate() {
			let status = Disputes::<T>::get(dispute).expect("kept").status;
			assert_eq!(status, DisputeStatus::Settled(verdict_of(shard, 0)));
		}
	}

	impl_benchmark_test_suite!(Training, crate::mock::new_test_ext(), crate::mock::Test);
}
