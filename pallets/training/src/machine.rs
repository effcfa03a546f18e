//! The round state machine: every phase transition of a bounty's current round, in one place.
//! See the pallet docs for the phases.
//!
//! It is entered from three places, each of which loads the bounty and its round once
//! ([`Progress`]), moves them through as many transitions as the moment allows, and stores them
//! once: the block hook when a phase's deadline comes ([`Pallet::advance`]), the aggregator's
//! checkpoint ([`Pallet::propose_checkpoint`]), which starts the round drawn before it, and a
//! slot's `commit`, `reveal` or `decline`, the last a window waits for
//! ([`Pallet::close_barriers`]). Rounds are drawn in the hook only, which runs before any
//! extrinsic of its block: the workers it draws among are those the block before left, which
//! nobody who can read the draw's randomness can change any more. Disputes conclude in the
//! hook too, also when every seal opened before the deadline (`disputes.rs`). The per-shard
//! rules live in `shards.rs`, the disputes in `disputes.rs`; this module decides only which
//! phase comes next.

use crate::{
	assignment,
	draw::{AuditSeed, Draw},
	shards::ShardDecision,
	weights::weighed_shards,
	Bounties, BountyId, BountyOf, BountyStatus, Config, DrawnShards, Error, Event, NextRound,
	Pallet, RoundIndex, RoundInfo, RoundOf, RoundPhase, Rounds, ShardOutcome, ShardState, Shards,
	SlotOutcome, SpecOf, WeightInfo, MAX_STANDBYS,
};
use alloc::vec::Vec;
use cohort_primitives::{DeterminismClass, Verdict, WorkerRegistry, H256};
use frame_support::{ensure, pallet_prelude::*, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};

/// The block `blocks` after `from`.
pub(crate) fn after<T: Config>(from: BlockNumberFor<T>, blocks: u32) -> BlockNumberFor<T> {
	from.saturating_add(blocks.into())
}

/// A round as drawn: its class, the workers of each shard, its standbys.
pub(crate) struct Drawn<AccountId> {
	class: DeterminismClass,
	shards: Vec<Vec<AccountId>>,
	standbys: Vec<AccountId>,
}

/// A bounty and the round its phases are about, loaded once per entry point and stored once.
pub(crate) struct Progress<T: Config> {
	/// The bounty's id.
	pub id: BountyId,
	/// The bounty.
	pub bounty: BountyOf<T>,
	/// The index of `round`: the bounty's current round, or the one just finished while the
	/// next one waits for workers.
	pub index: RoundIndex,
	/// The round.
	pub round: RoundOf<T>,
	/// How many more disputes this entry may conclude (or bisection turns end): as many
	/// as the block hook's weight leaves room for (see [`Pallet::advance`]); none from an
	/// extrinsic. A dispute past its deadline that finds no room concludes in a later block's
	/// hook.
	pub conclusions: u32,
	/// Whether this entry drew a round, or tried to: reading every eligible worker is a
	/// draw's cost, which the block hook charges only then (see [`Pallet::advance`]).
	pub drew: bool,
}

impl<T: Config> Progress<T> {
	/// The bounty `id` with round `index`, checked to be its current round.
	pub(crate) fn current(id: BountyId, index: RoundIndex) -> Result<Self, DispatchError> {
		let bounty = Bounties::<T>::get(id).ok_or(Error::<T>::UnknownBounty)?;
		ensure!(bounty.round == index, Error::<T>::WrongRound);
		let round = Rounds::<T>::get(id, index).ok_or(Error::<T>::WrongRound)?;
		Ok(Self { id, bounty, index, round, conclusions: 0, drew: false })
	}

	/// The bounty `id` with round `index`: its current round, or the round before it while
	/// that one's checkpoint is under review and the current round trains from it (a
	/// checkpoint's challenge, and the votes on it, are about that round).
	pub(crate) fn open(id: BountyId, index: RoundIndex) -> Result<Self, DispatchError> {
		let bounty = Bounties::<T>::get(id).ok_or(Error::<T>::UnknownBounty)?;
		if let Some((reviewed, round)) = Pallet::<T>::reviewed_round(id, &bounty) {
			if reviewed == index {
				return Ok(Self { id, bounty, index, round, conclusions: 0, drew: false });
			}
		}
		Self::current(id, index)
	}

	/// Write the bounty and the round back.
	pub(crate) fn store(self) {
		Rounds::<T>::insert(self.id, self.index, self.round);
		Bounties::<T>::insert(self.id, self.bounty);
	}
}

impl<T: Config> Pallet<T> {
	/// The block hook: end the current phase of `id`, due at `now`, within `room` unless it is
	/// the block's `first` bounty (which always advances). Returns the weight used, or `None`
	/// when even its least cost does not fit (the caller defers it, see [`Self::defer`]).
	///
	/// A phase ends in one transition, and a finished round starts the next, or lets the round
	/// that trained during its review close (or voids and starts it again): the heaviest
	/// transitions together, with one dispute concluded (a challenged checkpoint at the end of
	/// its review, or the first of the round's expired shard disputes), bound what a bounty
	/// costs. Its other expired shard disputes conclude as far as `room` goes beyond that, the
	/// rest in the blocks after. What is charged is what was done: a settling that goes on
	/// (disputes left to conclude) did one pass over the round and its conclusions, so that a
	/// backlog of expired disputes leaves the blocks it spreads over to extrinsics (votes among
	/// them, whose windows keep running); a wake-up that drew no round is not charged a draw
	/// (an all-class draw is the largest part of the bound).
	pub(crate) fn advance(
		id: BountyId,
		now: BlockNumberFor<T>,
		room: Weight,
		first: bool,
	) -> Option<Weight> {
		let Some(mut bounty) = Bounties::<T>::get(id) else {
			return Some(T::DbWeight::get().reads(1));
		};
		let shards = weighed_shards(bounty.spec.shards_per_round, bounty.spec.replication);
		let conclusion = Self::conclusion_weight();
		let least = T::WeightInfo::start_round(shards)
			.saturating_add(Self::transition_weight(shards).saturating_mul(2))
			.saturating_add(conclusion);
		if !first && least.any_gt(room) {
			return None;
		}
		let more = room.saturating_sub(least).checked_div_per_component(&conclusion);
		let conclusions =
			more.map_or(u32::MAX, |more| u32::try_from(more).unwrap_or(u32::MAX).saturating_add(1));
		bounty.wake_at = None;
		let (mut concluded, mut work) = (0, least.saturating_sub(conclusion));
		match Rounds::<T>::get(id, bounty.round) {
			// Waiting for workers: try to assign again.
			None => {
				if let Some(round) = Self::start_round(id, &mut bounty, now) {
					Rounds::<T>::insert(id, bounty.round, round);
				}
				Bounties::<T>::insert(id, bounty);
			}
			Some(round) => {
				let index = bounty.round;
				let mut p = Progress { id, index, bounty, round, conclusions, drew: false };
				match p.round.phase {
					RoundPhase::Training => Self::training_due(&mut p, now),
					RoundPhase::Settling { .. } => {
						Self::settle_due(&mut p, now);
						if p.index == index && matches!(p.round.phase, RoundPhase::Settling { .. })
						{
							work = Self::transition_weight(shards);
						}
					}
					RoundPhase::Aggregating { .. } => Self::aggregator_missed(&mut p, now),
					RoundPhase::Review { .. } => Self::end_review(&mut p, now),
					RoundPhase::Finished { .. } => {}
				}
				// Without a draw, what was done is the passes over rounds.
				if !p.drew {
					work = work.min(Self::transition_weight(shards).saturating_mul(2));
				}
				concluded = conclusions.saturating_sub(p.conclusions);
				p.store();
			}
		}
		Some(work.saturating_add(conclusion.saturating_mul(concluded.into())))
	}

	/// What the block hook may spend on bounties' phases: the share of a block that normal
	/// extrinsics leave (`frame_system`'s `BlockWeights`), so that a burst of deadlines does not
	/// crowd them out. A phase that ends a block late refuses nothing it should have accepted:
	/// every call checks its own deadline.
	pub(crate) fn hook_budget() -> Weight {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
		weights.max_block.saturating_sub(normal)
	}

	/// What concluding one more shard dispute costs: the heavier of the two ends measured
	/// with the most validators sealed, every seal left shut (unresolved, each a penalty) or
	/// every seal opened (a verdict, each voter paid or penalized, the replicas slashed or
	/// paid); the dispute the conclusion may open (the audit of a game's winner, or the
	/// appeal of an audit): its vote window booked, the round's whole-shard disputes counted
	/// to queue it (each shard, its dispute and game read), the randomness of a recheck read,
	/// and the dispute, its bounty's list and the next id written; the dispute's own bookings
	/// given back; and, for an appeal's verdict, the audit read and each of its committee's
	/// members penalized twice at most (a validator's bond and hold read and written).
	pub(crate) fn conclusion_weight() -> Weight {
		let unresolved =
			T::WeightInfo::settle_round(2).saturating_sub(T::WeightInfo::settle_round(1));
		let settled = T::WeightInfo::settle_round_verdicts(2)
			.saturating_sub(T::WeightInfo::settle_round_verdicts(1));
		let committee = u64::from(T::AuditCommittee::get().min(crate::MAX_VOTERS));
		let shards = u64::from(T::MaxShardsPerRound::get());
		let opening = T::DbWeight::get().reads_writes(3 * shards + 1, 3);
		let judging = T::DbWeight::get().reads_writes(1 + 4 * committee, 4 * committee);
		unresolved
			.max(settled)
			.saturating_add(Self::booking_weight())
			.saturating_add(opening)
			.saturating_add(Self::releasing_weight())
			.saturating_add(judging)
	}

	/// The heaviest phase transition of a round of `shards` shards, short of a draw and of
	/// concluding disputes: the check at its reveal deadline, every replica paid or a dispute
	/// opened on every shard (each booking its vote window: the worst case on top of the
	/// benchmark, which books with nothing booked before).
	pub(crate) fn transition_weight(shards: u32) -> Weight {
		let bookings = Self::booking_weight().saturating_mul(shards.into());
		T::WeightInfo::check_round(shards)
			.max(T::WeightInfo::check_round_disputed(shards).saturating_add(bookings))
	}

	/// Put `deferred`, the bounties the hook at `now` had no room for, first among those due
	/// at the next block: a bounty that is due again at once (a settling with disputes left to
	/// conclude) does not keep them waiting block after block.
	pub(crate) fn put_first(deferred: &[BountyId], now: BlockNumberFor<T>) -> Weight {
		if deferred.is_empty() {
			return Weight::zero();
		}
		crate::Wakeups::<T>::mutate(after::<T>(now, 1), |due| {
			let mut ordered = core::mem::take(due).into_inner();
			ordered.sort_by_key(|bounty| !deferred.contains(bounty));
			*due = BoundedVec::truncate_from(ordered);
		});
		T::DbWeight::get().reads_writes(1, 1)
	}

	/// The block hook has no room for `id` at `now`: it advances a block later.
	pub(crate) fn defer(id: BountyId, now: BlockNumberFor<T>) -> Weight {
		Bounties::<T>::mutate_extant(id, |bounty| {
			// Its wake-up list was taken already; it is listed again at the next block.
			bounty.wake_at = None;
			Self::schedule(id, bounty, after::<T>(now, 1));
		});
		T::DbWeight::get().reads_writes(2, 2)
	}

	/// Draw the class of a round: among the classes with at least `needed` eligible workers,
	/// each with a chance proportional to its eligible workers, so that no class, however
	/// invented, takes every round by being the largest. `None` when no class qualifies.
	pub(crate) fn draw_class<W>(
		draw: &mut Draw,
		classes: Vec<(DeterminismClass, Vec<W>)>,
		needed: u32,
	) -> Option<(DeterminismClass, Vec<W>)> {
		let mut classes: Vec<_> =
			classes.into_iter().filter(|(_, workers)| workers.len() as u32 >= needed).collect();
		if classes.len() <= 1 {
			return classes.pop();
		}
		let total: u32 = classes.iter().map(|(_, workers)| workers.len() as u32).sum();
		let mut pick = draw.below(total);
		classes.into_iter().find(|(_, workers)| {
			let size = workers.len() as u32;
			let here = pick < size;
			pick = pick.saturating_sub(size);
			here
		})
	}

	/// Assign round `bounty.round` from `bounty.checkpoint`: the new round's record, or `None`
	/// (and another try later, paid from the deposit) when too few workers are eligible. The
	/// caller stores both.
	pub(crate) fn start_round(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		now: BlockNumberFor<T>,
	) -> Option<RoundOf<T>> {
		let (round, checkpoint) = (bounty.round, bounty.checkpoint);
		let draw = Draw::new::<T>((b"cohort/assign", id, round));
		match Self::draw_round(&bounty.spec, draw) {
			Ok(drawn) => Some(Self::open_round(id, bounty, round, checkpoint, drawn, now)),
			Err(eligible) => {
				let needed = bounty.spec.replication;
				Self::deposit_event(Event::RoundWaiting { bounty: id, round, eligible, needed });
				Self::wait(id, bounty, now);
				None
			}
		}
	}

	/// Draw a round of `spec` with `draw` among the workers eligible now: its class (see
	/// [`Self::draw_class`]), then who trains which slot, the shuffled order weighed by
	/// declared speed (see `assignment`). The most workers any class has when no class has
	/// enough.
	fn draw_round(spec: &SpecOf<T>, mut draw: Draw) -> Result<Drawn<T::AccountId>, u32> {
		let needed = spec.replication;
		let classes = T::Workers::eligible_by_class(&spec.requirements);
		let most = classes.iter().map(|(_, workers)| workers.len() as u32).max().unwrap_or(0);
		let (class, mut eligible) = Self::draw_class(&mut draw, classes, needed).ok_or(most)?;
		draw.shuffle(&mut eligible);
		let gflops: Vec<u32> = eligible.iter().map(|worker| worker.gflops).collect();
		let plan =
			assignment::assign(&gflops, spec.shards_per_round, needed, MAX_STANDBYS as usize);
		let accounts = |indices: &[usize]| -> Vec<T::AccountId> {
			indices.iter().map(|&i| eligible[i].account.clone()).collect()
		};
		Ok(Drawn {
			class,
			shards: plan.shards.iter().map(|members| accounts(members)).collect(),
			standbys: accounts(&plan.standbys),
		})
	}

	/// Start `round` of bounty `id` as `drawn`, to train from `checkpoint`: its shards are
	/// stored, and the bounty is woken at the round's reveal deadline. Returns the round's
	/// record for the caller to store.
	fn open_round(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		round: RoundIndex,
		checkpoint: H256,
		drawn: Drawn<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> RoundOf<T> {
		let spec = &bounty.spec;
		let (shards, needed) = (spec.shards_per_round, spec.replication);
		let Drawn { class, shards: members, standbys } = drawn;
		for (shard, workers) in (0..shards).zip(members) {
			let dataset_shard = ((u64::from(round) * u64::from(shards) + u64::from(shard))
				% u64::from(spec.dataset.shards)) as u32;
			let slots = workers.iter().map(|worker| Self::new_slot(worker.clone(), None));
			Shards::<T>::insert(
				(id, round, shard),
				ShardState {
					dataset_shard,
					slots: BoundedVec::truncate_from(slots.collect::<Vec<_>>()),
					outcome: ShardOutcome::Pending,
				},
			);
			Self::deposit_event(Event::ShardAssigned {
				bounty: id,
				round,
				shard,
				dataset_shard,
				workers,
			});
		}
		let commit_deadline = after::<T>(now, spec.deadlines.commit);
		let reveal_deadline = after::<T>(commit_deadline, spec.deadlines.reveal);
		Self::deposit_event(Event::RoundStarted {
			bounty: id,
			round,
			checkpoint,
			class: class.clone(),
			commit_deadline,
			reveal_deadline,
			standbys: standbys.clone(),
		});
		Self::schedule(id, bounty, reveal_deadline);
		RoundInfo {
			checkpoint,
			class,
			started_at: now,
			commit_deadline,
			reveal_deadline,
			retried: false,
			standbys: BoundedVec::truncate_from(standbys),
			accepted: 0,
			uncommitted: shards.saturating_mul(needed),
			unrevealed: 0,
			audit_seed: AuditSeed::start::<T>(id, round),
			phase: RoundPhase::Training,
		}
	}

	/// Too few workers for the bounty's next round: try again after `WaitingRetryBlocks`, for
	/// a `WaitingFee` from its deposit; a deposit that cannot pay it any more expires the
	/// bounty (its escrow goes back).
	fn wait(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let fee = T::WaitingFee::get();
		if bounty.deposit < fee {
			return Self::close(id, bounty, BountyStatus::Expired);
		}
		let paid = Self::charge_deposit(bounty, fee);
		Self::deposit_event(Event::WaitingFeePaid { bounty: id, fee: paid, left: bounty.deposit });
		Self::schedule(id, bounty, after::<T>(now, T::WaitingRetryBlocks::get()));
	}

	/// A round that accepted nothing held one of the `MaxActiveBounties` places as a waiting
	/// bounty does, and pays for it as one: a `WaitingFee` from the deposit for every
	/// `WaitingRetryBlocks` it lasted. Before, a submitter whose own worker alone could serve
	/// its bounties (requirements nobody else declares) held every place for a decline fee a
	/// round, and locked every honest bounty out. A deposit that cannot pay cancels the
	/// bounty once this round is finished (its escrow goes back).
	fn pay_for_an_idle_round(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let lasted = now.saturating_sub(p.round.started_at);
		let period: BlockNumberFor<T> = T::WaitingRetryBlocks::get().max(1).into();
		let periods = lasted.saturating_add(period).saturating_sub(One::one()) / period;
		let periods: u32 = periods.max(One::one()).try_into().unwrap_or(u32::MAX);
		let fee = T::WaitingFee::get().saturating_mul(periods.into());
		let paid = Self::charge_deposit(&mut p.bounty, fee);
		Self::deposit_event(Event::WaitingFeePaid {
			bounty: p.id,
			fee: paid,
			left: p.bounty.deposit,
		});
		if paid < fee && p.bounty.status == BountyStatus::Active {
			p.bounty.status = BountyStatus::Cancelling;
		}
	}

	/// The bounty woke in its round's training: the reveal deadline has come, or the review of
	/// the checkpoint the round trains from (see [`Self::start_ahead`]) ended. A round that
	/// trains from a checkpoint still under review does not close before that review ends:
	/// its work counts only if the checkpoint stands.
	fn training_due(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		if let Some((_, reviewed)) = Self::reviewed_round(p.id, &p.bounty) {
			let ends = Self::review_ends(&reviewed.phase);
			if ends <= now {
				return Self::end_review_before(p, reviewed, now);
			}
			let reveal = p.round.reveal_deadline;
			let at = if reveal > now { reveal.min(ends) } else { ends };
			return Self::schedule(p.id, &mut p.bounty, at);
		}
		if now >= p.round.reveal_deadline {
			Self::close_training(p, now)
		} else {
			let at = p.round.reveal_deadline;
			Self::schedule(p.id, &mut p.bounty, at)
		}
	}

	/// What [`Pallet::close_barriers`] may add to a commit, reveal or decline beyond its
	/// benchmark (measured before the barriers): the bounty and the round written back, and
	/// two wake-ups moved.
	pub(crate) fn barrier_weight() -> Weight {
		T::DbWeight::get().reads_writes(4, 6)
	}

	/// Close the round's windows at their barriers: once no slot of the window can still
	/// commit, reveals open at the next block (the reveal window keeps its length); once every
	/// committed slot has revealed and commits are closed, the reveal deadline comes at the
	/// next block, and with it the check. A barrier falls only when everyone it concerns has
	/// acted, so it never cuts an honest worker's window short; the deadlines stay as upper
	/// bounds for a slot that does not act.
	pub(crate) fn close_barriers(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let next = after::<T>(now, 1);
		if p.round.uncommitted == 0 && p.round.commit_deadline > next {
			Self::move_training_deadlines(p, next);
			Self::deposit_event(Event::CommitsClosed {
				bounty: p.id,
				round: p.index,
				commit_deadline: p.round.commit_deadline,
				reveal_deadline: p.round.reveal_deadline,
			});
		}
		let commits_closed = p.round.uncommitted == 0 || now >= p.round.commit_deadline;
		if commits_closed && p.round.unrevealed == 0 && p.round.reveal_deadline > next {
			p.round.reveal_deadline = next;
			Self::deposit_event(Event::RevealsClosed {
				bounty: p.id,
				round: p.index,
				reveal_deadline: next,
			});
			Self::schedule(p.id, &mut p.bounty, next);
		}
		Self::wake_for_review(p, now);
	}

	/// While the round before `p`'s is under review, wake the bounty when that review ends if
	/// that comes before the wake-up set for `p`'s round (a barrier moves it): the review's
	/// end, its fee and the bonds it holds are not delayed by the round ahead.
	fn wake_for_review(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let Some((_, reviewed)) = Self::reviewed_round(p.id, &p.bounty) else { return };
		let ends = Self::review_ends(&reviewed.phase).max(after::<T>(now, 1));
		if p.bounty.wake_at.is_none_or(|at| ends < at) {
			Self::schedule(p.id, &mut p.bounty, ends);
		}
	}

	/// The block a review in `phase` ends at: its deadline, or a challenge's vote deadline
	/// when that is later; or the block after every seal on the challenge opened, when that
	/// is sooner (no vote is left to wait for, and a later challenge cannot be voted on).
	pub(crate) fn review_ends(
		phase: &RoundPhase<T::AccountId, BlockNumberFor<T>>,
	) -> BlockNumberFor<T> {
		let RoundPhase::Review { deadline, challenge, .. } = phase else {
			return Zero::zero();
		};
		let dispute =
			challenge.as_ref().and_then(|challenge| crate::Disputes::<T>::get(challenge.dispute));
		match dispute {
			None => *deadline,
			Some(dispute) if dispute.all_open() => dispute.deadline,
			Some(dispute) => dispute.deadline.max(*deadline),
		}
	}

	/// End the review of `reviewed`, the round before `p`'s; `p` then holds what the review
	/// leaves current (its own round going on, started again, or the bounty closed).
	fn end_review_before(p: &mut Progress<T>, reviewed: RoundOf<T>, now: BlockNumberFor<T>) {
		Rounds::<T>::insert(p.id, p.index, p.round.clone());
		let mut review = Progress {
			id: p.id,
			bounty: p.bounty.clone(),
			index: p.index.saturating_sub(1),
			round: reviewed,
			conclusions: p.conclusions,
			drew: p.drew,
		};
		Self::end_review(&mut review, now);
		*p = review;
	}

	/// The reveal deadline has come: accept what agrees, dispute the rest, and hand missed
	/// slots to standbys once (their shards then train again until new deadlines).
	fn close_training(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let retry = !p.round.retried;
		if !retry {
			p.round.audit_seed = AuditSeed::for_retry::<T>(p.round.audit_seed, p.id, p.index);
		}
		let mut handed_over = 0u32;
		// Before the standbys' retry no dispute of the round is open yet.
		let mut recomputes = if retry { 0 } else { Self::queued_recomputes(p, now) };
		for shard in 0..p.bounty.spec.shards_per_round {
			let key = (p.id, p.index, shard);
			let Some(mut state) = Shards::<T>::get(key) else { continue };
			if state.outcome != ShardOutcome::Pending {
				continue;
			}
			let handed = if retry { Self::replace_missing(p, shard, &mut state) } else { 0 };
			if handed > 0 {
				handed_over = handed_over.saturating_add(handed);
			} else {
				match Self::decide_shard(p, shard, &mut state) {
					ShardDecision::Empty => {}
					ShardDecision::Accept(root) => Self::accept_shard(p, shard, &mut state, root),
					ShardDecision::Dispute(reason) => {
						Self::open_shard_dispute(p, shard, &mut state, reason, now, &mut recomputes)
					}
				}
			}
			Shards::<T>::insert(key, state);
		}
		if handed_over > 0 {
			p.round.retried = true;
			// Only the standbys' new slots are open now; every other slot was decided.
			p.round.uncommitted = handed_over;
			p.round.unrevealed = 0;
			Self::move_training_deadlines(p, after::<T>(now, p.bounty.spec.deadlines.commit));
			Self::deposit_event(Event::RoundExtended {
				bounty: p.id,
				round: p.index,
				commit_deadline: p.round.commit_deadline,
				reveal_deadline: p.round.reveal_deadline,
			});
			return;
		}
		Self::settle_due(p, now);
	}

	/// Settle what of the round's shard disputes is due at `now`: games whose turn ended with a
	/// side silent, disputes whose vote window closed. Aggregation begins once none is left;
	/// until then the round settles, woken when the next of them is due.
	fn settle_due(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		Self::forfeit_due_games(p, now);
		Self::expire_shard_disputes(p, now);
		match Self::next_settling_block(p) {
			Some(deadline) => {
				// Disputes past their deadline that the hook had no room for conclude next.
				let deadline = deadline.max(after::<T>(now, 1));
				p.round.phase = RoundPhase::Settling { deadline };
				Self::schedule(p.id, &mut p.bounty, deadline);
			}
			None => Self::begin_aggregation(p, now),
		}
	}

	/// The next block one of the round's open shard disputes is due: the end of its game's
	/// turn while it is bisected, else its vote deadline. `None` when none is open.
	fn next_settling_block(p: &Progress<T>) -> Option<BlockNumberFor<T>> {
		(0..p.bounty.spec.shards_per_round)
			.filter_map(|shard| match Shards::<T>::get((p.id, p.index, shard))?.outcome {
				ShardOutcome::Disputed(dispute) => Some(dispute),
				_ => None,
			})
			.filter_map(|dispute| {
				let record = crate::Disputes::<T>::get(dispute)?;
				(record.status == crate::DisputeStatus::Open)
					.then(|| Self::game_deadline(dispute).unwrap_or(record.deadline))
			})
			.min()
	}

	/// Every worker whose contribution was accepted this round and whose bond can still
	/// answer for a checkpoint, in shard order, each once.
	fn accepted_workers(p: &Progress<T>) -> Vec<T::AccountId> {
		let mut workers: Vec<T::AccountId> = Vec::new();
		for shard in 0..p.bounty.spec.shards_per_round {
			let Some(state) = Shards::<T>::get((p.id, p.index, shard)) else { continue };
			for slot in state.slots.iter().filter(|s| s.outcome == SlotOutcome::Accepted) {
				if !workers.contains(&slot.worker) && T::Workers::is_bonded(&slot.worker) {
					workers.push(slot.worker.clone());
				}
			}
		}
		workers
	}

	/// Designate the first aggregator among the accepted workers, or finish the round
	/// unchanged when nothing was accepted (see [`Self::pay_for_an_idle_round`]).
	fn begin_aggregation(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let workers = Self::accepted_workers(p);
		if workers.is_empty() {
			Self::pay_for_an_idle_round(p, now);
			let unchanged = p.bounty.checkpoint;
			return Self::finish_round(p, unchanged, now);
		}
		let offset =
			Draw::new::<T>((b"cohort/aggregator", p.id, p.index)).below(workers.len() as u32);
		let next = Self::draw_next_round(p);
		Self::designate_aggregator(p, &workers, (offset, next), 0, now);
	}

	/// Draw the round after `p`'s now, to start on the checkpoint aggregation will propose
	/// ([`Self::start_ahead`]); its shards' workers go to [`DrawnShards`]. Drawn now, from
	/// this block's randomness and the workers eligible in it, because both are fixed before
	/// anyone can know the draw: an aggregator choosing the block it commits in, or a worker
	/// joining, leaving or changing its class or speed once it has seen the randomness,
	/// changes nothing. `None` when that round will not start ahead (the last round, a
	/// cancelling bounty) or too few workers are eligible.
	fn draw_next_round(p: &mut Progress<T>) -> Option<NextRound<T::AccountId>> {
		let next = p.index.saturating_add(1);
		if p.bounty.status != BountyStatus::Active || next >= p.bounty.spec.rounds {
			return None;
		}
		p.drew = true;
		let draw = Draw::new::<T>((b"cohort/assign", p.id, next));
		let Drawn { class, shards, standbys } = Self::draw_round(&p.bounty.spec, draw).ok()?;
		for (shard, workers) in (0..).zip(shards) {
			// A drawn slot is a duty from now: its worker cannot unbond or change its class
			// before the round starts (or is dropped), and then answers for the slot.
			workers.iter().for_each(T::Workers::assignment_opened);
			DrawnShards::<T>::insert(p.id, shard, BoundedVec::truncate_from(workers));
		}
		Some(NextRound { class, standbys: BoundedVec::truncate_from(standbys) })
	}

	/// The shards' workers [`Self::draw_next_round`] drew for bounty `id`, taken from storage
	/// with the duties their draw opened; `None` when there are none (or, which never
	/// happens, a shard's are missing).
	fn take_drawn_shards(id: BountyId, shards: u32) -> Option<Vec<Vec<T::AccountId>>> {
		let taken: Vec<_> = (0..shards).map(|shard| DrawnShards::<T>::take(id, shard)).collect();
		taken.iter().flatten().flatten().for_each(T::Workers::assignment_closed);
		taken.into_iter().map(|workers| workers.map(BoundedVec::into_inner)).collect()
	}

	/// Designate the `attempt`-th aggregator in line, starting at `offset`; the next round,
	/// `next`, starts as drawn if it starts during the review.
	fn designate_aggregator(
		p: &mut Progress<T>,
		workers: &[T::AccountId],
		(offset, next): (u32, Option<NextRound<T::AccountId>>),
		attempt: u32,
		now: BlockNumberFor<T>,
	) {
		let aggregator = workers[(offset as usize + attempt as usize) % workers.len()].clone();
		// Aggregating is a duty its bond answers for until the checkpoint is settled.
		T::Workers::assignment_opened(&aggregator);
		let deadline = after::<T>(now, p.bounty.spec.deadlines.checkpoint);
		p.round.phase = RoundPhase::Aggregating {
			aggregator: aggregator.clone(),
			deadline,
			attempt: attempt.saturating_add(1),
			offset,
			next,
		};
		Self::deposit_event(Event::AggregatorDesignated {
			bounty: p.id,
			round: p.index,
			aggregator,
			deadline,
		});
		Self::schedule(p.id, &mut p.bounty, deadline);
	}

	/// The aggregator's deadline passed without a checkpoint: the next in line, or the round
	/// keeps `H_k` once `MaxAggregatorAttempts` (or every accepted worker) had its turn.
	fn aggregator_missed(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let RoundPhase::Aggregating { aggregator, attempt, offset, next, .. } =
			p.round.phase.clone()
		else {
			return;
		};
		T::Workers::deadline_missed(&aggregator);
		T::Workers::assignment_closed(&aggregator);
		Self::deposit_event(Event::AggregatorMissed { bounty: p.id, round: p.index, aggregator });
		let workers = Self::accepted_workers(p);
		if attempt < T::MaxAggregatorAttempts::get() && (attempt as usize) < workers.len() {
			Self::designate_aggregator(p, &workers, (offset, next), attempt, now);
		} else {
			let unchanged = p.bounty.checkpoint;
			Self::finish_round(p, unchanged, now);
		}
	}

	/// The designated aggregator commits `checkpoint`: the review window opens.
	pub(crate) fn propose_checkpoint(
		p: &mut Progress<T>,
		who: &T::AccountId,
		checkpoint: H256,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		let RoundPhase::Aggregating { aggregator, deadline, next, .. } = &p.round.phase else {
			return Err(Error::<T>::WrongPhase.into());
		};
		ensure!(aggregator == who, Error::<T>::NotAggregator);
		ensure!(now < *deadline, Error::<T>::CheckpointDeadlinePassed);
		let next = next.clone();
		T::Workers::deadline_met(who);
		let deadline = after::<T>(now, p.bounty.spec.deadlines.review);
		p.round.phase = RoundPhase::Review {
			aggregator: who.clone(),
			proposed: checkpoint,
			deadline,
			challenge: None,
		};
		Self::schedule(p.id, &mut p.bounty, deadline);
		Self::deposit_event(Event::CheckpointCommitted {
			bounty: p.id,
			round: p.index,
			checkpoint,
			review_deadline: deadline,
		});
		Self::start_ahead(p, checkpoint, next, deadline, now);
		Ok(())
	}

	/// Start the next round from `checkpoint` while it is reviewed (until `review_deadline`),
	/// as drawn when aggregation began (`next`, and its shards in [`DrawnShards`]), so that
	/// the review window overlaps the next round's training instead of adding to it.
	/// If the checkpoint does not stand, that round is voided and starts again from the one
	/// that does ([`Self::finish_round`]); until the review ends it cannot close. Not for the
	/// last round, a cancelling bounty, or when too few workers were eligible then (the
	/// round then starts when the review ends, drawn then, as it would have).
	fn start_ahead(
		p: &mut Progress<T>,
		checkpoint: H256,
		next: Option<NextRound<T::AccountId>>,
		review_deadline: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) {
		let shards = Self::take_drawn_shards(p.id, p.bounty.spec.shards_per_round);
		let index = p.index.saturating_add(1);
		if p.bounty.status != BountyStatus::Active || index >= p.bounty.spec.rounds {
			return;
		}
		let (Some(NextRound { class, standbys }), Some(shards)) = (next, shards) else {
			// Nothing changed; the review's wake-up stands.
			return;
		};
		let drawn = Drawn { class, shards, standbys: standbys.into_inner() };
		let round = Self::open_round(p.id, &mut p.bounty, index, checkpoint, drawn, now);
		p.bounty.round = index;
		let at = review_deadline.min(round.reveal_deadline);
		Self::schedule(p.id, &mut p.bounty, at);
		Rounds::<T>::insert(p.id, index, round);
	}

	/// The review ended (see [`Self::review_ends`]): an unchallenged checkpoint stands; a
	/// challenge is concluded on the votes opened by now: the checkpoint its verdict names
	/// stands (or `H_k`), its fee paid to whoever first claimed it; without a verdict the round
	/// keeps `H_k`.
	fn end_review(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let RoundPhase::Review { aggregator, proposed, challenge, .. } = p.round.phase.clone()
		else {
			return;
		};
		let result = match challenge {
			None => {
				Self::pay_checkpoint_fee(p, &aggregator);
				proposed
			}
			Some(challenge) => match Self::conclude(p, challenge.dispute) {
				// Whoever first claimed the checkpoint that stands did the aggregator's work.
				Some((Verdict::Correct(checkpoint), Some(author))) => {
					Self::pay_checkpoint_fee(p, &author);
					checkpoint
				}
				Some((Verdict::Correct(checkpoint), None)) => checkpoint,
				Some((Verdict::NoneCorrect, _)) | None => p.bounty.checkpoint,
			},
		};
		Self::finish_round(p, result, now);
	}

	/// Pay the checkpoint's fee to `author`, whose checkpoint became the round's result.
	fn pay_checkpoint_fee(p: &mut Progress<T>, author: &T::AccountId) {
		let fee = Self::checkpoint_fee(&p.bounty.spec);
		let paid = Self::pay(&mut p.bounty, author, fee);
		if !paid.is_zero() {
			Self::deposit_event(Event::CheckpointFeePaid {
				bounty: p.id,
				round: p.index,
				to: author.clone(),
				fee: paid,
			});
		}
	}

	/// Record `result` as the round's `H_{k+1}` and go on: with the round that trained from
	/// it during the review, if it was `result` (that round is `p`'s then), voiding it if not;
	/// else with the next round, or close the bounty after its last round (or when it is
	/// cancelling). Only the block hook finishes a round, so whatever it draws (the round
	/// after the one ahead, a new round, a voided round again) is drawn before any extrinsic
	/// of the block.
	fn finish_round(p: &mut Progress<T>, result: H256, now: BlockNumberFor<T>) {
		Self::close_checkpoint_duties(&p.round.phase);
		// A round that never reached review (its aggregators all missed) leaves the round
		// drawn after it unused; from any other phase there is none.
		if let RoundPhase::Aggregating { next: Some(_), .. } = p.round.phase {
			let _ = Self::take_drawn_shards(p.id, p.bounty.spec.shards_per_round);
		}
		p.round.phase = RoundPhase::Finished { result };
		p.bounty.checkpoint = result;
		let next = p.index.saturating_add(1);
		let ahead = match Rounds::<T>::get(p.id, next) {
			Some(ahead) if ahead.checkpoint == result => Some(ahead),
			Some(ahead) => {
				Self::void_round(p, next, &ahead, now);
				None
			}
			None => None,
		};
		// What this round did not spend goes back now; the escrow keeps exactly the cost of
		// the rounds still to run, which is what a cancellation would refund.
		let later = match p.bounty.status {
			BountyStatus::Cancelling => u32::from(ahead.is_some()),
			_ => p.bounty.spec.rounds.saturating_sub(next),
		};
		let keep =
			Self::round_cost(&p.bounty.spec).unwrap_or_default().saturating_mul(later.into());
		let unspent = p.bounty.escrow.saturating_sub(keep);
		let refund = Self::refund(&mut p.bounty, unspent);
		Self::deposit_event(Event::RoundFinished {
			bounty: p.id,
			round: p.index,
			checkpoint: result,
			accepted: p.round.accepted,
			refund,
		});
		if let Some(ahead) = ahead {
			// The finished round is written now; the one ahead is what `p` is about.
			let finished = core::mem::replace(&mut p.round, ahead);
			Rounds::<T>::insert(p.id, p.index, finished);
			p.index = next;
			return Self::training_due(p, now);
		}
		if p.bounty.status == BountyStatus::Cancelling {
			Self::close(p.id, &mut p.bounty, BountyStatus::Cancelled);
		} else if next >= p.bounty.spec.rounds {
			Self::close(p.id, &mut p.bounty, BountyStatus::Completed);
		} else {
			p.bounty.round = next;
			p.drew = true;
			if let Some(round) = Self::start_round(p.id, &mut p.bounty, now) {
				// The finished round is written now; the new one is what `p` is about.
				let finished = core::mem::replace(&mut p.round, round);
				Rounds::<T>::insert(p.id, p.index, finished);
				p.index = next;
			}
		}
	}

	/// Void round `index` of `p`'s bounty, `round`, which trained from a checkpoint that did
	/// not stand: its open slots close with no reward and no slash (they trained the model as
	/// the chain then had it) and its record goes, so that it can start again from the
	/// checkpoint that stood. A slot that had not revealed by the round's reveal deadline
	/// (which passed while the round waited for the review) missed it as in any round: a void
	/// is no way out of the slash of a withheld seal.
	fn void_round(p: &Progress<T>, index: RoundIndex, round: &RoundOf<T>, now: BlockNumberFor<T>) {
		let late = now >= round.reveal_deadline;
		let mut voided = 0u32;
		for shard in 0..p.bounty.spec.shards_per_round {
			let Some(mut state) = Shards::<T>::take((p.id, index, shard)) else { continue };
			for slot in state.slots.iter_mut().filter(|s| s.outcome == SlotOutcome::Pending) {
				if late && slot.root.is_none() {
					Self::slot_missed(p.id, index, shard, slot);
				} else {
					Self::close_slot(slot, SlotOutcome::Void);
					voided = voided.saturating_add(1);
				}
			}
		}
		Rounds::<T>::remove(p.id, index);
		Self::deposit_event(Event::RoundVoided {
			bounty: p.id,
			round: index,
			checkpoint: round.checkpoint,
			slots: voided,
		});
	}

	/// The round's checkpoint is settled: the aggregator that committed it, and the worker
	/// that challenged it, are free of their duty. (An aggregator that missed its deadline was
	/// freed then.)
	fn close_checkpoint_duties(phase: &RoundPhase<T::AccountId, BlockNumberFor<T>>) {
		if let RoundPhase::Review { aggregator, challenge, .. } = phase {
			T::Workers::assignment_closed(aggregator);
			for challenger in challenge.iter().flat_map(|c| c.challengers.iter()) {
				T::Workers::assignment_closed(challenger);
			}
		}
	}

	/// Move the round's commit deadline to `commit`, its reveal deadline a whole reveal window
	/// after it, and wake the bounty at the reveal deadline.
	fn move_training_deadlines(p: &mut Progress<T>, commit: BlockNumberFor<T>) {
		p.round.commit_deadline = commit;
		p.round.reveal_deadline = after::<T>(commit, p.bounty.spec.deadlines.reveal);
		let at = p.round.reveal_deadline;
		Self::schedule(p.id, &mut p.bounty, at);
	}

	/// Close `bounty` as `status`, refunding the rest of its escrow.
	pub(crate) fn close(id: BountyId, bounty: &mut BountyOf<T>, status: BountyStatus) {
		let refund = Self::refund(bounty, bounty.escrow);
		Self::release_deposit(bounty);
		bounty.status = status;
		Self::unschedule(id, bounty);
		crate::DataServers::<T>::remove(id);
		crate::ActiveBounties::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::retire(id, frame_system::Pallet::<T>::block_number());
		Self::deposit_event(Event::BountyFinished {
			bounty: id,
			status,
			checkpoint: bounty.checkpoint,
			refund,
		});
	}
}
