//! The incentives of `docs/threat-model.md`: for each rational deviation, the party that picks
//! it gains nothing or loses stake, and the honest parties are paid. Each test turns on the
//! parameters it is about (the mock leaves them at zero for the other tests).

use super::*;
use cohort_primitives::{Capabilities, Deadlines, DeterminismClass, DeviceKind};
use frame_support::{assert_noop, dispatch::Pays, traits::Hooks};
use sp_runtime::Perbill;

/// Where unclaimed escrow and waiting fees go.
fn treasury() -> u64 {
	free(TREASURY)
}

#[test]
fn a_declined_slot_is_not_missed_and_goes_to_a_standby() {
	run(|| {
		register_workers(10..16);
		let id = create_with(spec());
		run_to_block(2);
		let standbys = round_info(id, 0).standbys.to_vec();
		let [unable, unserved] = workers_of(id, 0, 0)[..] else { panic!() };
		let decline = |who, reason| Training::decline(RuntimeOrigin::signed(who), id, 0, 0, reason);
		assert_ok!(decline(unable, DeclineReason::Infeasible));
		assert_ok!(decline(unserved, DeclineReason::DataUnavailable));
		assert!(training_events().contains(&Event::SlotDeclined {
			bounty: id,
			round: 0,
			shard: 0,
			worker: unable,
			reason: DeclineReason::Infeasible,
		}));
		// The slot is closed: declining again finds nothing to decline.
		assert_noop!(decline(unable, DeclineReason::Infeasible), Error::<Test>::NotAssigned);
		for who in [unable, unserved] {
			assert_eq!(open_assignments(who), 0);
		}
		train_round(id, 0, |_, s| (s == 1).then_some(good(0, s)));

		// Nobody revealed in shard 0: the standbys take both slots. The decliners lose
		// nothing; a worker that cannot do the work counts a miss toward inactivity, one whose
		// data nobody served does not.
		for (from, missed) in [(unable, 1), (unserved, 0)] {
			let to =
				shard(id, 0, 0).slots.iter().find(|s| s.replaced == Some(from)).unwrap().worker;
			assert!(standbys.contains(&to));
			assert_eq!(pallet_workers::Workers::<Test>::get(from).unwrap().missed_in_row, missed);
			assert_eq!(Workers::held(&from), WORKER_BOND);
			assert_eq!(free(from), 10_000 - WORKER_BOND);
		}
	});
}

#[test]
fn declining_data_a_partner_trained_on_counts_as_a_miss() {
	run(|| {
		let id = started(spec());
		let [decliner, partner] = workers_of(id, 0, 0)[..] else { panic!() };
		let unserved = DeclineReason::DataUnavailable;
		assert_ok!(Training::decline(RuntimeOrigin::signed(decliner), id, 0, 0, unserved));
		// Its partner was served the same data and trained on it: a lone reveal, which every
		// validator must recompute, and a miss (no slash) for the decliner.
		train_round(id, 0, |w, s| (w != decliner).then_some(good(0, s)));
		let dispute = Disputes::<Test>::get(dispute_of(id, 0, 0)).unwrap();
		assert_eq!(dispute.reason, DisputeReason::LoneReveal);
		let missed = |who| pallet_workers::Workers::<Test>::get(who).unwrap().missed_in_row;
		assert_eq!((missed(decliner), missed(partner)), (1, 0));
		assert_eq!(Workers::held(&decliner), WORKER_BOND);
	});
}

#[test]
fn a_committed_or_late_slot_cannot_be_declined() {
	run(|| {
		let id = started(spec());
		let [committed, late] = workers_of(id, 0, 0)[..] else { panic!() };
		let decline = |who| {
			Training::decline(RuntimeOrigin::signed(who), id, 0, 0, DeclineReason::Infeasible)
		};
		assert_ok!(commit(committed, id, 0, 0, good(0, 0)));
		assert_noop!(decline(committed), Error::<Test>::CannotDecline);
		run_to_block(round_info(id, 0).commit_deadline);
		assert_noop!(decline(late), Error::<Test>::CommitDeadlinePassed);
	});
}

#[test]
fn a_slot_never_committed_costs_the_missed_slash() {
	run(|| {
		MissedSlashFraction::set(Perbill::from_percent(1));
		let id = started(spec());
		let [silent, lone] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, |w, s| (w != silent).then_some(good(0, s)));
		// The silent worker forced its partner into a lone-reveal dispute: that costs it 1 %.
		assert_eq!(Workers::held(&silent), WORKER_BOND - WORKER_BOND / 100);
		assert!(training_events().contains(&Event::SlotAbandoned {
			bounty: id,
			round: 0,
			shard: 0,
			worker: silent,
			slashed: WORKER_BOND / 100,
		}));
		let dispute = dispute_of(id, 0, 0);
		vote_for(dispute, &VALIDATORS, Verdict::Correct(good(0, 0)));
		// The partner, who did its work, is paid.
		assert_eq!(free(lone), 10_000 - WORKER_BOND + REWARD);
		assert_eq!(Workers::held(&lone), WORKER_BOND);
	});
}

#[test]
fn an_unresolved_dispute_pays_the_treasury_not_the_owner() {
	run(|| {
		let id = started(BountySpec { rounds: 1, ..spec() });
		let [_, liar] = workers_of(id, 0, 1)[..] else { panic!() };
		train_round(id, 0, |w, s| Some(if w == liar && s == 1 { bad() } else { good(0, s) }));
		let dispute = bisected(id, 0, 1);
		let deadline = Disputes::<Test>::get(dispute).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(shard(id, 0, 1).outcome, ShardOutcome::Unresolved);
		// Both slots' rewards are nobody's: the owner received the revealed work, so it does
		// not get them back either.
		assert_eq!(treasury(), 2 * REWARD);
		assert!(training_events().contains(&Event::UnclaimedToTreasury {
			bounty: id,
			round: 0,
			amount: 2 * REWARD
		}));
		aggregate(id, 0, checkpoint_after(0));
		assert_eq!(bounty(id).status, BountyStatus::Completed);
		// The owner paid shard 0's two rewards and shard 1's two to the treasury.
		assert_eq!(free(OWNER), 100_000 - 4 * REWARD);
		assert_eq!(escrow_held(), 0);
	});
}

#[test]
fn a_waiting_bounty_pays_for_its_place_and_expires() {
	run(|| {
		BountyDeposit::set(25);
		WaitingFee::set(10);
		// One worker where two are needed: the bounty can never start.
		register_workers(10..11);
		let id = create_with(spec());
		assert_eq!(Balances::balance_on_hold(&HoldReason::Deposit.into(), &OWNER), 25);
		// Tries at blocks 2, 5 and 8: two fees paid, the third cannot be.
		run_to_block(5);
		assert!(training_events().contains(&Event::WaitingFeePaid {
			bounty: id,
			fee: 10,
			left: 5
		}));
		assert_eq!(bounty(id).status, BountyStatus::Active);
		run_to_block(8);
		assert_eq!(bounty(id).status, BountyStatus::Expired);
		assert_eq!(phase(id), Phase::Finished);
		assert_eq!(ActiveBounties::<Test>::get(), 0);
		assert_eq!(treasury(), 20);
		// The escrow and what was left of the deposit came back.
		assert_eq!(free(OWNER), 100_000 - 20);
		assert_eq!(Balances::balance_on_hold(&HoldReason::Deposit.into(), &OWNER), 0);
		assert_eq!(escrow_held(), 0);
	});
}

#[test]
fn a_round_that_accepts_nothing_pays_for_its_place_as_a_waiting_bounty_does() {
	run(|| {
		BountyDeposit::set(25);
		WaitingFee::set(10);
		// Every slot declines (the submitter's own workers, say, holding a place for free):
		// the round ends with nothing accepted at the next block's check.
		let slow = Deadlines { commit: 8, vote: 8, ..spec().deadlines };
		let slow = BountySpec { deadlines: slow, ..spec() };
		let id = started(slow);
		let decline_all = |id, round| {
			for s in 0..2 {
				for worker in workers_of(id, round, s) {
					let reason = DeclineReason::DataUnavailable;
					assert_ok!(Training::decline(
						RuntimeOrigin::signed(worker),
						id,
						round,
						s,
						reason
					));
				}
			}
		};
		decline_all(id, 0);
		next_block();
		// Started at block 2, checked at block 3: one period of `WaitingRetryBlocks`.
		assert!(training_events().contains(&Event::WaitingFeePaid {
			bounty: id,
			fee: 10,
			left: 15
		}));
		assert_eq!(
			round_info(id, 0).phase,
			RoundPhase::Finished { result: spec().model.initial_checkpoint }
		);
		// The next round, idle until its commit deadline (three periods), takes more than is
		// left: the bounty is cancelled and its escrow goes back.
		run_to_block(round_info(id, 1).commit_deadline - 1);
		decline_all(id, 1);
		next_block();
		assert!(training_events().contains(&Event::WaitingFeePaid {
			bounty: id,
			fee: 15,
			left: 0
		}));
		assert_eq!(bounty(id).status, BountyStatus::Cancelled);
		assert_eq!(escrow_held(), 0);
		assert_eq!(treasury(), 25);
	});
}

#[test]
fn a_bounty_returns_the_rest_of_its_deposit_when_it_closes() {
	run(|| {
		BountyDeposit::set(25);
		WaitingFee::set(10);
		register_workers(10..11);
		let id = create_with(spec());
		run_to_block(2);
		assert_ok!(Training::cancel_bounty(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(free(OWNER), 100_000 - 10);
		// A bounty that ran pays no waiting fee and gets its whole deposit back.
		register_workers(11..14);
		let id = create_with(BountySpec { rounds: 1, ..spec() });
		run_to_block(3);
		train_round(id, 0, honest(0));
		aggregate(id, 0, checkpoint_after(0));
		assert_eq!(bounty(id).status, BountyStatus::Completed);
		assert_eq!(free(OWNER), 100_000 - 10 - 4 * REWARD);
	});
}

#[test]
fn a_burst_of_deadlines_is_spread_over_blocks() {
	run(|| {
		register_workers(10..26);
		let ids: Vec<_> = (0..4).map(|_| create_with(spec())).collect();
		// All four are due at block 2; the mock's hook advances three a block.
		run_to_block(2);
		let started = |id| Rounds::<Test>::contains_key(id, 0);
		assert_eq!(ids.iter().filter(|id| started(**id)).count(), 3);
		run_to_block(3);
		assert!(ids.iter().all(|id| started(*id)));
	});
}

#[test]
fn a_worker_cannot_change_class_while_assigned() {
	run(|| {
		let id = started(spec());
		let worker = workers_of(id, 0, 0)[0];
		let gpu = DeterminismClass::new(b"cuda-sm90-132sm").unwrap();
		let capabilities =
			Capabilities { device: DeviceKind::Cuda, memory_mib: 1, gflops: 1, class: gpu };
		assert_noop!(
			Workers::update(RuntimeOrigin::signed(worker), Some(capabilities), None, None),
			pallet_workers::Error::<Test>::HasOpenAssignments
		);
	});
}

#[test]
fn the_aggregator_is_paid_when_its_checkpoint_stands() {
	run(|| {
		AggregatorShare::set(Perbill::from_percent(20));
		let id = started(BountySpec { rounds: 1, ..spec() });
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		aggregate(id, 0, checkpoint_after(0));
		assert!(training_events().contains(&Event::CheckpointFeePaid {
			bounty: id,
			round: 0,
			to: aggregator,
			fee: 20
		}));
		assert_eq!(free(aggregator), 10_000 - WORKER_BOND + REWARD + 20);
		assert_eq!(free(OWNER), 100_000 - 4 * REWARD - 20);
	});
}

#[test]
fn anyone_bonded_may_challenge_a_checkpoint_and_the_winner_is_paid_its_fee() {
	run(|| {
		AggregatorShare::set(Perbill::from_percent(20));
		let id = started(BountySpec { rounds: 1, ..spec() });
		// A bonded worker that holds no slot of the round: a colluding round cannot keep
		// everyone else from reviewing it.
		register_workers(20..21);
		let outsider = 20;
		train_round(id, 0, honest(0));
		let aggregator = aggregator_of(id, 0);
		assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
		assert_noop!(
			Training::dispute_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, good(0, 0)),
			Error::<Test>::NotParticipant
		);
		let right = checkpoint_after(0);
		assert_ok!(Training::dispute_checkpoint(RuntimeOrigin::signed(outsider), id, 0, right));
		let dispute = challenge_of(id, 0);
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(right));
		assert_eq!(bounty(id).checkpoint, right);
		assert_eq!(Workers::held(&aggregator), WORKER_BOND - WORKER_BOND / 10);
		assert!(training_events().contains(&Event::CheckpointFeePaid {
			bounty: id,
			round: 0,
			to: outsider,
			fee: 20
		}));
		assert_eq!(free(outsider), 10_000 - WORKER_BOND + 20);
	});
}

#[test]
fn a_counted_vote_is_free_and_a_vote_against_the_verdict_is_penalized() {
	run(|| {
		WrongVoteSlash::set(Perbill::from_percent(10));
		// Validator 101 holds twice the stake of each other one.
		Stakes::mutate(|stakes| stakes.insert(101, 200));
		Bonds::mutate(|bonds| bonds.insert(101, 200));
		let id = started(spec());
		let [_, liar] = workers_of(id, 0, 0)[..] else { panic!() };
		train_round(id, 0, lying(liar));
		let dispute = bisected(id, 0, 0);
		let right = Verdict::Correct(good(0, 0));

		// A refused vote pays its fee; a counted one does not, sealed or opened.
		let seal = H256::repeat_byte(7);
		let refused = Training::vote(RuntimeOrigin::signed(OWNER), dispute, seal).unwrap_err();
		assert_eq!(refused.post_info.pays_fee, Pays::Yes);
		let wrong = Verdict::NoneCorrect;
		let sealed = vote_seal(dispute, &wrong, &vote_salt(100, dispute), &100u64.encode());
		let counted = Training::vote(RuntimeOrigin::signed(100), dispute, sealed);
		assert_eq!(counted.unwrap().pays_fee, Pays::No);
		vote_for(dispute, &[101, 102, 103], right);
		let opened = Training::reveal_vote(
			RuntimeOrigin::signed(100),
			dispute,
			wrong,
			vote_salt(100, dispute),
		);
		assert_eq!(opened.unwrap().pays_fee, Pays::No);
		count_votes(dispute);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(right));
		// The winners share the 20 of verifier reward by stake: 200, 100 and 100 of 400.
		assert_eq!(free(101), 1_000 + 10);
		assert_eq!(free(102), 1_000 + 5);
		assert_eq!(free(103), 1_000 + 5);
		// The voter against the verdict earned nothing and lost 10 % of its stake: guessing
		// costs more than the share it could have won.
		assert_eq!(free(100), 1_000);
		assert_eq!(Bonds::get()[&100], 90);
		assert!(training_events().contains(&Event::VoterPenalized {
			dispute,
			voter: 100,
			amount: 10
		}));
	});
}

/// What a validator may do with a dispute, honest or not.
#[derive(Clone, Copy, Debug, PartialEq)]
enum VoterPlay {
	/// Recompute, seal the right verdict, open it.
	Honest,
	/// Send nothing.
	Abstain,
	/// Send another validator's seal bytes, hoping to share its reward.
	CopySeal,
	/// Seal a wrong guess and open it.
	WrongOpened,
	/// Seal a wrong guess and keep it shut once the others' votes show it lost.
	WrongShut,
}

/// Validator 103's gain (reward earned minus stake lost) when it plays `play` on a dispute the
/// three others vote honestly on.
fn voter_payoff(play: VoterPlay) -> i64 {
	let mut payoff = 0;
	run(|| {
		WrongVoteSlash::set(Perbill::from_percent(10));
		let (_, _, dispute) = lying_dispute();
		let right = Verdict::Correct(good(0, 0));
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, right));
		}
		let wrong = Verdict::Correct(bad());
		match play {
			VoterPlay::Honest => {
				assert_ok!(seal_vote(103, dispute, right));
			}
			VoterPlay::Abstain => {}
			VoterPlay::CopySeal => {
				let seen = Disputes::<Test>::get(dispute).unwrap().votes[0].seal;
				assert_ok!(Training::vote(RuntimeOrigin::signed(103), dispute, seen));
			}
			VoterPlay::WrongOpened | VoterPlay::WrongShut => {
				assert_ok!(seal_vote(103, dispute, wrong));
			}
		}
		end_sealing(dispute);
		for voter in [100, 101, 102] {
			assert_ok!(reveal_vote(voter, dispute, right));
		}
		match play {
			VoterPlay::Honest => {
				assert_ok!(reveal_vote(103, dispute, right));
			}
			VoterPlay::WrongOpened => {
				assert_ok!(reveal_vote(103, dispute, wrong));
			}
			_ => {}
		}
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().status, DisputeStatus::Settled(right));
		payoff = free(103) as i64 - 1_000 + Bonds::get()[&103] as i64 - 100;
	});
	payoff
}

/// A rational validator picks the play that pays it most: that is recomputing and voting
/// honestly. Copying a seal, or guessing wrong whether it opens the guess or not, loses
/// `WrongVoteSlash` of its stake; abstaining earns nothing.
#[test]
fn a_rational_validator_earns_most_by_recomputing_and_voting_honestly() {
	let plays = [
		VoterPlay::Honest,
		VoterPlay::Abstain,
		VoterPlay::CopySeal,
		VoterPlay::WrongOpened,
		VoterPlay::WrongShut,
	];
	let payoffs: Vec<(VoterPlay, i64)> = plays.iter().map(|p| (*p, voter_payoff(*p))).collect();
	// The 20 of verifier reward shared by four equal stakes; 10 % of a stake of 100.
	assert_eq!(
		payoffs,
		vec![
			(VoterPlay::Honest, 5),
			(VoterPlay::Abstain, 0),
			(VoterPlay::CopySeal, -10),
			(VoterPlay::WrongOpened, -10),
			(VoterPlay::WrongShut, -10),
		]
	);
}

#[test]
fn the_class_is_drawn_in_proportion_to_its_workers() {
	run(|| {
		let honest_class = cpu();
		let sybils = DeterminismClass::new(b"invented").unwrap();
		let tiny = DeterminismClass::new(b"tiny").unwrap();
		let classes = vec![
			(honest_class.clone(), vec![1, 2, 3, 4]),
			(sybils, (10..22).collect::<Vec<_>>()),
			// Fewer workers than the replication: never drawn.
			(tiny.clone(), vec![30]),
		];
		let mut honest_rounds = 0;
		for round in 0..1_000u32 {
			let mut draw = crate::draw::Draw::new::<Test>((b"test", round));
			let (class, _) = Training::draw_class(&mut draw, classes.clone(), 2).unwrap();
			assert_ne!(class, tiny);
			honest_rounds += u32::from(class == honest_class);
		}
		// 4 of the 16 eligible workers: about a quarter of the rounds. Twelve sybils in an
		// invented class no longer take every round by being the largest class.
		assert!((200..300).contains(&honest_rounds), "{honest_rounds} of 1000");
	});
}

/// The aggregator's accomplice in [`bogus_first_challenge`], and an honest reviewer.
const ACCOMPLICE: AccountId = 20;
const HONEST_REVIEWER: AccountId = 21;

/// A one-round bounty whose aggregator committed a wrong checkpoint, challenged first by its
/// [`ACCOMPLICE`] with a claim nobody will vote for; [`HONEST_REVIEWER`] is bonded and has
/// not claimed yet. The bounty, the aggregator, and the challenge's dispute.
fn bogus_first_challenge() -> (BountyId, AccountId, DisputeId) {
	AggregatorShare::set(Perbill::from_percent(20));
	let id = started(BountySpec { rounds: 1, ..spec() });
	register_workers(20..22);
	train_round(id, 0, honest(0));
	let aggregator = aggregator_of(id, 0);
	assert_ok!(Training::commit_checkpoint(RuntimeOrigin::signed(aggregator), id, 0, bad()));
	let bogus = H256::repeat_byte(0x77);
	assert_ok!(Training::dispute_checkpoint(RuntimeOrigin::signed(ACCOMPLICE), id, 0, bogus));
	(id, aggregator, challenge_of(id, 0))
}

/// [`HONEST_REVIEWER`] claims `claim` in bounty `id`'s review.
fn honest_claim(id: BountyId, claim: H256) -> DispatchResult {
	Training::dispute_checkpoint(RuntimeOrigin::signed(HONEST_REVIEWER), id, 0, claim)
}

#[test]
fn a_bogus_first_challenge_cannot_keep_an_honest_one_out() {
	run(|| {
		let (id, aggregator, dispute) = bogus_first_challenge();
		// The honest reviewer's claim joins the same dispute.
		let right = checkpoint_after(0);
		assert_ok!(honest_claim(id, right));
		assert_eq!(Disputes::<Test>::get(dispute).unwrap().candidates.len(), 3);
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(right));
		assert_eq!(bounty(id).checkpoint, right);
		for liar in [aggregator, ACCOMPLICE] {
			assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
			assert_eq!(open_assignments(liar), 0);
		}
		assert_eq!(Workers::held(&HONEST_REVIEWER), WORKER_BOND);
		assert_eq!(free(HONEST_REVIEWER), 10_000 - WORKER_BOND + 20);
		assert_eq!(open_assignments(HONEST_REVIEWER), 0);
	});
}

#[test]
fn workers_moving_after_the_next_round_is_drawn_change_nothing_in_it() {
	// Round 1 is drawn when round 0's aggregation begins, from that block's randomness, which
	// everyone can read from then on. Workers who have seen it then try to change the draw:
	// two left out of it leave or declare another speed, a newcomer joins, and one drawn
	// tries to leave (refused: a drawn slot is a duty). Round 1 starts with the workers,
	// slots and standbys it would have had.
	let round_one = |move_after_the_draw: bool| {
		let mut drawn = (Vec::new(), Vec::new());
		run(|| {
			register_workers(10..17);
			let id = create_with(spec());
			run_to_block(2);
			train_round(id, 0, honest(0));
			assert_eq!(phase(id), Phase::Aggregating);
			let in_draw: Vec<AccountId> =
				(0..2).flat_map(|s| DrawnShards::<Test>::get(id, s).unwrap()).collect();
			let aggregator = aggregator_of(id, 0);
			let left_out: Vec<AccountId> =
				(10..17).filter(|w| !in_draw.contains(w) && *w != aggregator).collect();
			if move_after_the_draw {
				let [leaver, sprinter, ..] = left_out[..] else { panic!("{left_out:?}") };
				assert_ok!(Workers::unbond(RuntimeOrigin::signed(leaver)));
				let fast = Capabilities {
					device: DeviceKind::Cpu,
					memory_mib: 8192,
					gflops: 1_000,
					class: cpu(),
				};
				let update =
					Workers::update(RuntimeOrigin::signed(sprinter), Some(fast), None, None);
				assert_ok!(update);
				register_worker_at(17, 100);
				assert_noop!(
					Workers::unbond(RuntimeOrigin::signed(in_draw[0])),
					pallet_workers::Error::<Test>::HasOpenAssignments
				);
			}
			propose(id, 0, checkpoint_after(0));
			assert_eq!(bounty(id).round, 1, "round 1 starts on the proposed checkpoint");
			let shards = (0..2).map(|s| workers_of(id, 1, s)).collect::<Vec<_>>();
			assert_eq!(shards.concat(), in_draw);
			drawn = (shards, round_info(id, 1).standbys.to_vec());
		});
		drawn
	};
	assert_eq!(round_one(true), round_one(false));
}

/// The shards of round 0 of a four-shard bounty audited at one in two, trained honestly with
/// `salt_of(worker)` as each worker's salt, checked in a block whose parent hash (its author's
/// choice of contents) is `parent`.
fn audited_shards(salt_of: impl Fn(AccountId) -> H256, parent: H256) -> Vec<ShardIndex> {
	let mut audited = Vec::new();
	run(|| {
		let audit_rate = Perbill::from_percent(50);
		let id = started(BountySpec { shards_per_round: 4, audit_rate, ..spec() });
		let slots: Vec<(ShardIndex, AccountId)> =
			(0..4).flat_map(|s| workers_of(id, 0, s).into_iter().map(move |w| (s, w))).collect();
		let checkpoint = round_info(id, 0).checkpoint;
		for &(s, w) in &slots {
			let root = good(0, s);
			let sealed = seal(&root, &trajectory_of(&root), &salt_of(w), &w.encode());
			assert_ok!(Training::commit(RuntimeOrigin::signed(w), id, 0, s, checkpoint, sealed));
		}
		run_to_block(round_info(id, 0).commit_deadline);
		for &(s, w) in &slots {
			let (root, salt) = (good(0, s), salt_of(w));
			let trajectory = trajectory_of(&root);
			assert_ok!(Training::reveal(
				RuntimeOrigin::signed(w),
				id,
				0,
				s,
				root,
				trajectory,
				salt
			));
		}
		let check = round_info(id, 0).reveal_deadline;
		run_to_block(check - 1);
		System::set_parent_hash(parent);
		System::set_block_number(check);
		Training::on_initialize(check);
		audited = (0..4)
			.filter(|&s| matches!(shard(id, 0, s).outcome, ShardOutcome::Disputed(_)))
			.collect();
	});
	audited
}

#[test]
fn the_block_author_cannot_choose_which_shards_are_audited() {
	// The author of the block that checks a round chooses its parent hash among many. Drawn
	// from it, the audits could be skipped by an author holding a wrong result (or paid by
	// one); drawn from the round's audit seed, they are the same whatever the author does.
	let salt_of = |w: AccountId| H256::from_low_u64_be(1_000 + w);
	let audited = audited_shards(salt_of, H256::repeat_byte(1));
	for byte in 2..=8 {
		assert_eq!(audited_shards(salt_of, H256::repeat_byte(byte)), audited);
	}
}

#[test]
fn the_workers_sealed_salts_decide_which_shards_are_audited() {
	// Each salt is sealed before anyone reveals, so no worker can choose its own knowing the
	// others': the seed they make together is nobody's choice, yet it decides.
	let parent = H256::repeat_byte(1);
	let draws: std::collections::BTreeSet<Vec<ShardIndex>> = (1..=8u64)
		.map(|k| audited_shards(|w| H256::from_low_u64_be(k * 1_000 + w), parent))
		.collect();
	assert!(draws.len() > 1, "{draws:?}");
}

/// Whether shard 0 is audited (at one in two) after a retry: both its replicas declined for
/// want of data (free), and the standbys that took their slots trained honestly; the retry is
/// checked in a block whose parent hash is `parent`.
fn retry_audited(parent: H256) -> bool {
	let mut audited = false;
	run(|| {
		register_workers(10..16);
		let id = create_with(BountySpec { audit_rate: Perbill::from_percent(50), ..spec() });
		run_to_block(2);
		for who in workers_of(id, 0, 0) {
			let unserved = DeclineReason::DataUnavailable;
			assert_ok!(Training::decline(RuntimeOrigin::signed(who), id, 0, 0, unserved));
		}
		train_round(id, 0, |_, s| (s == 1).then_some(good(0, s)));
		let standbys = workers_of(id, 0, 0);
		for &w in &standbys {
			assert_ok!(commit(w, id, 0, 0, good(0, 0)));
		}
		run_to_block(round_info(id, 0).commit_deadline);
		for &w in &standbys {
			assert_ok!(reveal(w, id, 0, 0, good(0, 0)));
		}
		let check = round_info(id, 0).reveal_deadline;
		run_to_block(check - 1);
		System::set_parent_hash(parent);
		System::set_block_number(check);
		Training::on_initialize(check);
		audited = matches!(shard(id, 0, 0).outcome, ShardOutcome::Disputed(_));
	});
	audited
}

#[test]
fn a_retrys_audit_is_drawn_from_a_block_hash_no_standby_knows_when_it_reveals() {
	// A retry's standbys seal their salts once every other salt of the round is public: from
	// the salts alone, a standby (after a free decline by a partner of its own) could choose
	// its shard's audit. The retry's check mixes in the hash of a block that comes after the
	// last reveal.
	let draws: std::collections::BTreeSet<bool> =
		(1..=8).map(|byte| retry_audited(H256::repeat_byte(byte))).collect();
	assert_eq!(draws.len(), 2, "audited whatever the hash, or never");
}

#[test]
fn an_honest_claim_joining_after_the_verifiers_read_the_claims_is_paid_not_slashed() {
	run(|| {
		// The accomplice's claim lands beside the wrong proposal; the verifiers read these two
		// claims, recompute, and seal the checkpoint they get, which neither names.
		let (id, aggregator, dispute) = bogus_first_challenge();
		let right = checkpoint_after(0);
		for voter in [100, 101, 102] {
			assert_ok!(seal_vote(voter, dispute, Verdict::Correct(right)));
		}
		// The honest reviewer, slower, joins with the right claim after the seals.
		assert_ok!(honest_claim(id, right));
		end_sealing(dispute);
		for voter in [100, 101, 102] {
			assert_ok!(reveal_vote(voter, dispute, Verdict::Correct(right)));
		}
		run_to_block(Disputes::<Test>::get(dispute).unwrap().deadline);
		assert_eq!(bounty(id).checkpoint, right);
		for liar in [aggregator, ACCOMPLICE] {
			assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		}
		assert_eq!(Workers::held(&HONEST_REVIEWER), WORKER_BOND);
		assert_eq!(free(HONEST_REVIEWER), 10_000 - WORKER_BOND + 20);
	});
}

#[test]
fn a_checkpoint_nobody_claimed_stands_when_the_validators_recompute_it() {
	run(|| {
		let (id, aggregator, dispute) = bogus_first_challenge();
		vote_for(dispute, &[100, 101, 102], Verdict::Correct(checkpoint_after(0)));
		assert_eq!(bounty(id).checkpoint, checkpoint_after(0));
		for liar in [aggregator, ACCOMPLICE] {
			assert_eq!(Workers::held(&liar), WORKER_BOND - WORKER_BOND / 10);
		}
	});
}
