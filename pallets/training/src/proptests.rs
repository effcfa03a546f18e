//! Property tests over random sequences of calls and blocks:
//! - `no_balance_is_created_or_lost`: protocol-shaped traffic (bounties, honest and lying
//!   workers, votes, checkpoints, cancellations; audits voted by committees and appealed, or by
//!   every validator) never changes total issuance, never lets an
//!   escrow drift from what is held, and keeps both pallets' invariants after every step;
//! - `arbitrary_calls_never_panic`: every call of both pallets, with arbitrary arguments from
//!   arbitrary origins, dispatches without a panic and leaves the invariants intact.

use crate::{mock::*, *};
use codec::Encode;
use cohort_primitives::{
	seal, vote_seal, Aggregation, Capabilities, Deadlines, DeterminismClass, DeviceKind, Verdict,
	H256,
};
use frame_support::{
	assert_ok, dispatch::GetDispatchInfo, traits::UnfilteredDispatchable, BoundedVec,
};
use proptest::prelude::*;
use sp_runtime::{Perbill, Percent};

/// Accounts the generated traffic uses: the owner, workers 10..=17, validators, outsiders.
const ACCOUNTS: [AccountId; 14] = [OWNER, 2, 10, 11, 12, 13, 14, 15, 16, 17, 100, 101, 102, 20];

fn root_of(bounty: BountyId, round: RoundIndex, shard: ShardIndex, lies: bool) -> H256 {
	let honest = sp_io::hashing::blake2_256(&(bounty, round, shard).encode());
	let mut root = H256(honest);
	if lies {
		root.0[0] ^= 0xff;
	}
	root
}

fn salt(worker: AccountId) -> H256 {
	H256::from_low_u64_be(worker)
}

/// `voter`'s next move on `dispute`: seal `verdict`, or open the seal it sent. Either may be
/// refused (sealing ended, a seal of another verdict, too early): that is traffic too.
fn vote_step(voter: AccountId, dispute: DisputeId, record: &DisputeOf<Test>, verdict: Verdict) {
	let origin = RuntimeOrigin::signed(voter);
	let _ = if record.votes.iter().any(|vote| vote.voter == voter) {
		Training::reveal_vote(origin, dispute, verdict, salt(voter))
	} else {
		let sealed = vote_seal(dispute, &verdict, &salt(voter), &voter.encode());
		Training::vote(origin, dispute, sealed)
	};
}

/// One step of protocol-shaped traffic. Workers act on every bounty at once, so that random
/// sequences reach every phase; which workers lie is fixed per sequence, so that what a worker
/// reveals is what it committed.
#[derive(Debug, Clone)]
enum Step {
	Create {
		rounds: u32,
		shards: u32,
		replication: u32,
		audit: u8,
		reward: u64,
	},
	Cancel {
		bounty: BountyId,
	},
	TopUp {
		bounty: BountyId,
		rounds: u32,
	},
	/// Every assigned worker of every bounty's current round commits.
	Commit,
	/// Every committed worker reveals what it committed.
	Reveal,
	/// Both sides of every bisection game play it out honestly; then the validators in the
	/// `voters` bitmask take their next vote move on every open dispute (seal, or open the
	/// seal): for its first candidate, or, dissenting, for none.
	Vote {
		voters: u8,
		dissent: bool,
	},
	/// Every designated aggregator commits a checkpoint (a wrong one if `wrong`).
	Checkpoint {
		wrong: bool,
	},
	DisputeCheckpoint {
		bounty: BountyId,
		who: usize,
	},
	Unbond {
		worker: usize,
	},
	Blocks(u64),
}

fn step() -> impl Strategy<Value = Step> {
	prop_oneof![
		2 => (1u32..4, 1u32..4, 1u32..4, 0u8..3, 10u64..300).prop_map(
			|(rounds, shards, replication, audit, reward)| Step::Create {
				rounds,
				shards,
				replication,
				audit,
				reward
			}
		),
		1 => (0u64..4).prop_map(|bounty| Step::Cancel { bounty }),
		1 => (0u64..4, 0u32..3).prop_map(|(bounty, rounds)| Step::TopUp { bounty, rounds }),
		3 => Just(Step::Commit),
		3 => Just(Step::Reveal),
		4 => (0u8..16, prop::bool::weighted(0.2))
			.prop_map(|(voters, dissent)| Step::Vote { voters, dissent }),
		2 => any::<bool>().prop_map(|wrong| Step::Checkpoint { wrong }),
		1 => (0u64..4, 0usize..8).prop_map(|(bounty, who)| Step::DisputeCheckpoint { bounty, who }),
		1 => (0usize..8).prop_map(|worker| Step::Unbond { worker }),
		4 => (1u64..4).prop_map(Step::Blocks),
	]
}

fn liar(liars: u16, worker: AccountId) -> bool {
	liars & (1 << (worker % 16)) != 0
}

/// Every bounty with its current round, if that round has started.
fn current_rounds() -> Vec<(BountyId, BountyOf<Test>, RoundOf<Test>)> {
	Bounties::<Test>::iter()
		.filter_map(|(id, bounty)| Rounds::<Test>::get(id, bounty.round).map(|r| (id, bounty, r)))
		.collect()
}

fn apply(step: Step, liars: u16) {
	let signed = RuntimeOrigin::signed;
	let _ = match step {
		Step::Create { rounds, shards, replication, audit, reward } => {
			let audit_rate =
				[Perbill::zero(), Perbill::from_percent(50), Perbill::one()][audit as usize];
			Training::create_bounty(
				signed(OWNER),
				BountySpec {
					rounds,
					shards_per_round: shards,
					replication,
					audit_rate,
					reward_per_contribution: reward,
					deadlines: Deadlines {
						commit: 4,
						reveal: 4,
						vote: 8,
						checkpoint: 4,
						review: 4,
					},
					..spec()
				},
			)
		}
		Step::Cancel { bounty } => Training::cancel_bounty(signed(OWNER), bounty),
		Step::TopUp { bounty, rounds } => Training::top_up(signed(OWNER), bounty, rounds),
		Step::Commit | Step::Reveal => {
			for (id, bounty, info) in current_rounds() {
				let round = bounty.round;
				for shard in 0..bounty.spec.shards_per_round {
					let Some(state) = Shards::<Test>::get((id, round, shard)) else { continue };
					for slot in state.slots.iter() {
						let w = slot.worker;
						let root = root_of(id, round, shard, liar(liars, w));
						let _ = if matches!(step, Step::Commit) {
							let sealed = seal(&root, &trajectory_of(&root), &salt(w), &w.encode());
							Training::commit(signed(w), id, round, shard, info.checkpoint, sealed)
						} else {
							Training::reveal(
								signed(w),
								id,
								round,
								shard,
								root,
								trajectory_of(&root),
								salt(w),
							)
						};
					}
				}
			}
			Ok(())
		}
		Step::Vote { voters, dissent } => {
			// Games are played out first (a move refused, e.g. past its turn, stops a game).
			for dispute in Disputes::<Test>::iter_keys().collect::<Vec<_>>() {
				while Games::<Test>::get(dispute).is_some_and(|game| !game.is_over()) {
					if honest_move(dispute, 0).and(honest_move(dispute, 1)).is_err() {
						break;
					}
				}
			}
			for (dispute, record) in Disputes::<Test>::iter() {
				let verdict = match record.candidates.first() {
					Some(candidate) if !dissent => Verdict::Correct(candidate.root),
					_ => Verdict::NoneCorrect,
				};
				for (i, voter) in VALIDATORS.iter().enumerate() {
					if voters & (1 << i) != 0 {
						vote_step(*voter, dispute, &record, verdict);
					}
				}
			}
			Ok(())
		}
		Step::Checkpoint { wrong } => {
			for (id, bounty, info) in current_rounds() {
				let RoundPhase::Aggregating { aggregator, .. } = info.phase else { continue };
				let hash = H256::repeat_byte(if wrong { 0xbb } else { 0xaa });
				let _ = Training::commit_checkpoint(signed(aggregator), id, bounty.round, hash);
			}
			Ok(())
		}
		Step::DisputeCheckpoint { bounty, who } => {
			let current = Bounties::<Test>::get(bounty).map_or(0, |b| b.round);
			// The round under review is the one before the current one when that trains ahead.
			let round = Bounties::<Test>::get(bounty)
				.and_then(|record| Training::reviewed_round(bounty, &record))
				.map_or(current, |(reviewed, _)| reviewed);
			let claimed = H256::repeat_byte(0xaa);
			Training::dispute_checkpoint(signed(10 + who as u64), bounty, round, claimed)
		}
		Step::Unbond { worker } => Workers::unbond(signed(10 + worker as u64)),
		Step::Blocks(n) => {
			run_to_block(System::block_number() + n);
			Ok(())
		}
	};
}

fn check_invariants(issuance: u64) -> Result<(), TestCaseError> {
	let counted: u32 =
		pallet_workers::Workers::<Test>::iter_values().map(|w| w.open_assignments).sum();
	let duties: u32 = Training::open_duties().values().sum();
	prop_assert_eq!(counted, duties, "open duties and workers' counters differ");
	prop_assert_eq!(Balances::total_issuance(), issuance, "balance created or lost");
	prop_assert!(Training::do_try_state().is_ok(), "{:?}", Training::do_try_state());
	prop_assert!(Workers::do_try_state().is_ok(), "{:?}", Workers::do_try_state());
	for (id, bounty) in Bounties::<Test>::iter() {
		let cost = Training::round_cost(&bounty.spec).unwrap();
		let rounds = u64::from(bounty.spec.rounds);
		let later = rounds - u64::from(bounty.round) - 1;
		// The rounds not finished: the current one, and the one before it under review.
		let running = if Training::reviewed_round(id, &bounty).is_some() { 2 } else { 1 };
		prop_assert!(bounty.escrow <= cost * rounds, "escrow above the bounty's whole cost");
		match bounty.status {
			// Every round not started yet is fully covered.
			BountyStatus::Active => {
				prop_assert!(bounty.escrow >= cost * later, "later rounds not covered");
				prop_assert!(
					bounty.escrow <= cost * (later + running),
					"a finished round kept escrow"
				);
			}
			BountyStatus::Cancelling => {
				prop_assert!(bounty.escrow <= cost * running, "cancelled rounds kept")
			}
			BountyStatus::Completed | BountyStatus::Cancelled | BountyStatus::Expired => {
				prop_assert_eq!(bounty.escrow, 0)
			}
		}
	}
	Ok(())
}

/// Any call of either pallet, with arguments drawn near the interesting values.
fn call() -> impl Strategy<Value = RuntimeCall> {
	let hash = prop_oneof![
		Just(H256::zero()),
		Just(H256::repeat_byte(0xc0)),
		any::<[u8; 32]>().prop_map(H256)
	];
	let spec = (0u32..12, 0u32..6, 0u32..10, 0u32..25, 0u64..400, 0usize..1100, 0u8..60).prop_map(
		|(rounds, shards, replication, deadline, reward, config_len, trim)| {
			let mut spec = spec();
			spec.rounds = rounds;
			spec.shards_per_round = shards;
			spec.replication = replication;
			spec.deadlines.vote = deadline;
			spec.reward_per_contribution = reward;
			spec.model.config = vec![7; config_len];
			spec.aggregation = Aggregation::TrimmedMean { trim: Percent::from_percent(trim) };
			spec
		},
	);
	let class = prop_oneof![
		Just(DeterminismClass::new(b"cpu-x86_64-fma").unwrap()),
		Just(DeterminismClass(b"BAD CLASS".to_vec().try_into().unwrap())),
		Just(DeterminismClass(Default::default())),
	];
	let capabilities = (class, any::<u32>()).prop_map(|(class, memory_mib)| Capabilities {
		device: DeviceKind::Cpu,
		memory_mib,
		gflops: 1,
		class,
	});
	let bytes = prop::collection::vec(any::<u8>(), 0..80);
	let addresses = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..140), 0..10);
	let verdict = prop_oneof![Just(Verdict::NoneCorrect), hash.clone().prop_map(Verdict::Correct)];
	prop_oneof![
		spec.prop_map(|spec| RuntimeCall::Training(Call::create_bounty { spec })),
		(0u64..4).prop_map(|bounty| RuntimeCall::Training(Call::cancel_bounty { bounty })),
		(0u64..4, any::<u32>())
			.prop_map(|(bounty, rounds)| RuntimeCall::Training(Call::top_up { bounty, rounds })),
		(0u64..4, 0u32..3, 0u32..5, hash.clone(), hash.clone()).prop_map(
			|(bounty, round, shard, checkpoint, seal)| {
				RuntimeCall::Training(Call::commit { bounty, round, shard, checkpoint, seal })
			}
		),
		(0u64..4, 0u32..3, 0u32..5, hash.clone(), hash.clone(), hash.clone()).prop_map(
			|(bounty, round, shard, root, trajectory, salt)| {
				RuntimeCall::Training(Call::reveal { bounty, round, shard, root, trajectory, salt })
			}
		),
		(0u64..6, hash.clone())
			.prop_map(|(dispute, seal)| RuntimeCall::Training(Call::vote { dispute, seal })),
		(0u64..6, verdict, hash.clone()).prop_map(|(dispute, verdict, salt)| {
			RuntimeCall::Training(Call::reveal_vote { dispute, verdict, salt })
		}),
		(0u64..6, hash.clone(), prop::collection::vec(hash.clone(), 0..40)).prop_map(
			|(dispute, leaf, proof)| RuntimeCall::Training(Call::bisect {
				dispute,
				leaf,
				proof: BoundedVec::truncate_from(proof)
			})
		),
		(0u64..4, 0u32..3, hash.clone()).prop_map(|(bounty, round, checkpoint)| {
			RuntimeCall::Training(Call::commit_checkpoint { bounty, round, checkpoint })
		}),
		(0u64..4, 0u32..3, hash).prop_map(|(bounty, round, claimed)| {
			RuntimeCall::Training(Call::dispute_checkpoint { bounty, round, claimed })
		}),
		(0u64..4, 0u32..3, 0u32..4, any::<bool>()).prop_map(|(bounty, round, shard, data)| {
			let reason =
				if data { DeclineReason::DataUnavailable } else { DeclineReason::Infeasible };
			RuntimeCall::Training(Call::decline { bounty, round, shard, reason })
		}),
		(capabilities.clone(), bytes.clone(), addresses.clone(), 0u64..20_000).prop_map(
			|(capabilities, peer_id, addresses, bond)| RuntimeCall::Workers(
				pallet_workers::Call::register { capabilities, peer_id, addresses, bond }
			)
		),
		(
			proptest::option::of(capabilities),
			proptest::option::of(bytes),
			proptest::option::of(addresses)
		)
			.prop_map(|(capabilities, peer_id, addresses)| RuntimeCall::Workers(
				pallet_workers::Call::update { capabilities, peer_id, addresses }
			)),
		(0u64..20_000)
			.prop_map(|amount| RuntimeCall::Workers(pallet_workers::Call::bond_extra { amount })),
		Just(RuntimeCall::Workers(pallet_workers::Call::unbond {})),
		Just(RuntimeCall::Workers(pallet_workers::Call::withdraw_unbonded {})),
		Just(RuntimeCall::Workers(pallet_workers::Call::heartbeat {})),
	]
}

fn origin() -> impl Strategy<Value = RuntimeOrigin> {
	prop_oneof![
		8 => prop::sample::select(ACCOUNTS.to_vec()).prop_map(RuntimeOrigin::signed),
		1 => Just(RuntimeOrigin::root()),
		1 => Just(RuntimeOrigin::none()),
	]
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	#[test]
	fn no_balance_is_created_or_lost(
		liars in any::<u16>(),
		committee in 0u32..3,
		steps in prop::collection::vec(step(), 1..80),
	) {
		new_test_ext().execute_with(|| {
			// Audits voted on by the whole electorate, or by a committee of one or two whose
			// other outcomes are appealed (the validators not on it are refused).
			AuditCommittee::set(committee);
			RecheckRate::set(Perbill::from_percent(50));
			WrongConfirmationSlash::set(Perbill::from_percent(10));
			// Every incentive on, so that its payments are in the books the test balances.
			MissedSlashFraction::set(Perbill::from_percent(1));
			AggregatorShare::set(Perbill::from_percent(20));
			WrongVoteSlash::set(Perbill::from_percent(1));
			BountyDeposit::set(50);
			WaitingFee::set(10);
			register_workers(10..18);
			let issuance = Balances::total_issuance();
			for step in steps {
				apply(step, liars);
				check_invariants(issuance)?;
			}
			// Let everything run out: every bounty's deadlines pass.
			run_to_block(System::block_number() + 200);
			check_invariants(issuance)?;
			Ok::<(), TestCaseError>(())
		})?;
	}

	#[test]
	fn arbitrary_calls_never_panic(
		calls in prop::collection::vec((origin(), call(), 0u64..4), 1..60)
	) {
		new_test_ext().execute_with(|| {
			AuditCommittee::set(1);
			register_workers(10..14);
			let issuance = Balances::total_issuance();
			for (origin, call, blocks) in calls {
				// Weight functions must not panic on any argument either.
				let _ = call.get_dispatch_info();
				let _ = call.dispatch_bypass_filter(origin);
				run_to_block(System::block_number() + blocks);
				check_invariants(issuance)?;
			}
			Ok::<(), TestCaseError>(())
		})?;
	}
}

/// What a rational worker may do with its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Play {
	/// Train, commit, reveal.
	Honest,
	/// Commit and reveal a root it did not train.
	Lie,
	/// Train and commit, then keep the seal shut after seeing the others' reveals.
	Withhold,
	/// Do nothing at all with the slot.
	Silent,
	/// Decline the slot.
	Decline,
	/// Commit the seal another shard's worker committed (it cannot be opened).
	CopySeal,
	/// Lie, then stop answering the bisection game its honest partner opens.
	LieThenStall,
	/// Lie and answer the game, while its honest partner is kept off the chain for a turn
	/// (a restart, a flooded link): the partner does not move.
	LieAndJam,
}

impl Play {
	/// Whether the worker reveals a root it did not train.
	fn lies(self) -> bool {
		matches!(self, Play::Lie | Play::LieThenStall | Play::LieAndJam)
	}
}

const PLAYS: [Play; 8] = [
	Play::Honest,
	Play::Lie,
	Play::Withhold,
	Play::Silent,
	Play::Decline,
	Play::CopySeal,
	Play::LieThenStall,
	Play::LieAndJam,
];

/// What training a shard costs a worker, in the reward's unit: the work a lie, silence or a
/// copied seal saves.
const WORK: u64 = REWARD / 10;

/// One round with the worker at `deviant` (an index into the round's slots, shard by shard)
/// playing `play` and every other party honest. Returns the deviant's payoff (balance and
/// bond won or lost, minus the work it did), and checks that every honest worker was paid
/// and none was slashed.
fn payoff(play: Play, deviant: usize, audit: Perbill) -> Result<i128, TestCaseError> {
	let mut result = Ok(0);
	new_test_ext().execute_with(|| {
		MissedSlashFraction::set(Perbill::from_percent(1));
		register_workers(10..16);
		let spec = BountySpec { rounds: 1, audit_rate: audit, ..spec() };
		assert_ok!(Training::create_bounty(RuntimeOrigin::signed(OWNER), spec));
		run_to_block(2);
		let slots: Vec<(ShardIndex, AccountId)> = (0..2)
			.flat_map(|s| {
				Shards::<Test>::get((0, 0, s))
					.unwrap()
					.slots
					.into_iter()
					.map(move |x| (s, x.worker))
			})
			.collect();
		let (shard, me) = slots[deviant];
		let worth = |who: AccountId| -> i128 {
			i128::from(Balances::free_balance(who)) + i128::from(Workers::held(&who))
		};
		let before: Vec<i128> = slots.iter().map(|(_, w)| worth(*w)).collect();
		let checkpoint = Rounds::<Test>::get(0, 0).unwrap().checkpoint;
		let good = |s: ShardIndex| root_of(0, 0, s, false);
		let commit = |who: AccountId, s: ShardIndex, root: H256| {
			let sealed = seal(&root, &trajectory_of(&root), &salt(who), &who.encode());
			Training::commit(RuntimeOrigin::signed(who), 0, 0, s, checkpoint, sealed)
		};
		for (s, who) in &slots {
			let root = if *who == me && play.lies() { root_of(0, 0, *s, true) } else { good(*s) };
			let _ = match (*who == me, play) {
				(true, Play::Silent | Play::CopySeal) => Ok(()),
				(true, Play::Decline) => Training::decline(
					RuntimeOrigin::signed(*who),
					0,
					0,
					*s,
					DeclineReason::Infeasible,
				),
				_ => commit(*who, *s, root),
			};
		}
		if play == Play::CopySeal {
			let other = Shards::<Test>::get((0, 0, 1 - shard)).unwrap();
			if let Some(copied) = other.slots.iter().find_map(|slot| slot.seal) {
				let _ =
					Training::commit(RuntimeOrigin::signed(me), 0, 0, shard, checkpoint, copied);
			}
		}
		run_to_block(Rounds::<Test>::get(0, 0).unwrap().commit_deadline);
		for (s, who) in &slots {
			let opens = *who != me || play == Play::Honest || play.lies();
			if opens {
				let root =
					if *who == me && play.lies() { root_of(0, 0, *s, true) } else { good(*s) };
				let trajectory = trajectory_of(&root);
				let _ = Training::reveal(
					RuntimeOrigin::signed(*who),
					0,
					0,
					*s,
					root,
					trajectory,
					salt(*who),
				);
			}
		}
		run_to_block(Rounds::<Test>::get(0, 0).unwrap().reveal_deadline);
		// Both sides of a game answer, unless the deviant stalls or jams its game: then one
		// side moves and the turn passes, the silent side excused once (a jammed partner is
		// back after its grace; a staller never is, and loses at its second silence). Honest
		// validators vote the root that is right, or none, also on the audit a game's verdict
		// may open for its winner (in the hook that counts the game's votes).
		for _ in 0..3 {
			let open: Vec<(DisputeId, DisputeOf<Test>)> = Disputes::<Test>::iter()
				.filter(|(_, record)| record.status == DisputeStatus::Open)
				.collect();
			let mut stalled = None;
			for (dispute, record) in open {
				if let Some(game) = Games::<Test>::get(dispute) {
					let mine = game.sides.iter().position(|s| s.backers.contains(&me));
					let mover = match (play, mine) {
						(Play::LieThenStall, Some(mine)) => Some(1 - mine),
						(Play::LieAndJam, Some(mine)) if !game.sides[1 - mine].excused => {
							Some(mine)
						}
						_ => None,
					};
					if let Some(mover) = mover {
						// Refused once the mover has moved this turn: the turn goes on.
						let _ = honest_move(dispute, mover);
						stalled = Some(game.deadline);
						continue;
					}
				}
				// A turn one side has moved in (a jammed partner back) is finished first.
				if let Some(game) = Games::<Test>::get(dispute) {
					for side in (0..2).filter(|side| game.sides[*side].moved.is_none()) {
						let _ = honest_move(dispute, side);
					}
				}
				crate::mock::play(dispute);
				let DisputeSubject::Shard(s) = record.subject else { continue };
				let right = record.candidates.iter().map(|c| c.root).find(|r| *r == good(s));
				let verdict = right.map_or(Verdict::NoneCorrect, Verdict::Correct);
				// Every validator seals, which ends sealing at once; then each opens its seal.
				for voter in VALIDATORS {
					vote_step(voter, dispute, &record, verdict);
				}
				let sealed = Disputes::<Test>::get(dispute).expect("still there");
				for voter in VALIDATORS {
					vote_step(voter, dispute, &sealed, verdict);
				}
			}
			// The next block's hook counts the votes of every dispute whose seals all opened.
			run_to_block(System::block_number() + 1);
			if let Some(deadline) = stalled {
				run_to_block(deadline);
			}
		}
		if let RoundPhase::Aggregating { aggregator, .. } = Rounds::<Test>::get(0, 0).unwrap().phase
		{
			let next = H256::repeat_byte(0xaa);
			assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), 0, 0, next));
		}
		run_to_block(System::block_number() + 20);

		result = (|| {
			prop_assert_eq!(Bounties::<Test>::get(0).unwrap().status, BountyStatus::Completed);
			for (index, (_, who)) in slots.iter().enumerate().filter(|(_, (_, w))| *w != me) {
				prop_assert_eq!(Workers::held(who), WORKER_BOND, "honest {} slashed", who);
				let earned = worth(*who) - before[index];
				prop_assert_eq!(earned, i128::from(REWARD), "honest {} not paid", who);
			}
			let trained = matches!(play, Play::Honest | Play::Withhold);
			let work = if trained { i128::from(WORK) } else { 0 };
			Ok(worth(me) - before[deviant] - work)
		})();
	});
	result
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

	/// A rational worker tries every play on its slot, in the same round, and keeps the one
	/// that pays it most: with a replica beside it and honest validators, that is honest work.
	/// Whatever it plays, every honest worker is paid and none is slashed.
	#[test]
	fn no_deviation_pays_a_rational_worker(deviant in 0usize..4, audit in 0u8..3) {
		let audit = [Perbill::zero(), Perbill::from_percent(50), Perbill::one()][audit as usize];
		let honest = payoff(Play::Honest, deviant, audit)?;
		prop_assert_eq!(honest, i128::from(REWARD - WORK));
		for play in PLAYS {
			let paid = payoff(play, deviant, audit)?;
			prop_assert!(paid <= honest, "{:?} paid {} against honest work's {}", play, paid, honest);
		}
	}
}
