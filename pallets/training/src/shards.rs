//! The round state machine: assignment, commit and reveal, the check at the reveal deadline,
//! standbys, aggregation and the start of the next round. See the pallet docs for the phases.

use crate::{
	draw::Draw, ActiveBounties, BalanceOf, Bounties, BountyId, BountyOf, BountyStatus, Config,
	DisputeReason, Disputes, Error, Event, Pallet, Phase, RoundIndex, RoundInfo, RoundOf, Rounds,
	ShardIndex, ShardOf, ShardOutcome, ShardState, Shards, Slot, SlotOutcome, WeightInfo,
	MAX_STANDBYS,
};
use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{seal, SlashReason, WorkerRegistry, H256};
use frame_support::{ensure, pallet_prelude::*, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

/// The block `blocks` after `from`.
fn after<T: Config>(from: BlockNumberFor<T>, blocks: u32) -> BlockNumberFor<T> {
	from.saturating_add(blocks.into())
}

impl<T: Config> Pallet<T> {
	/// End the current phase of `bounty`, due at `now`. Returns the weight used.
	pub(crate) fn advance(id: BountyId, now: BlockNumberFor<T>) -> Weight {
		let Some(mut bounty) = Bounties::<T>::get(id) else {
			return T::DbWeight::get().reads(1);
		};
		bounty.wake_at = None;
		let shards = bounty.spec.shards_per_round;
		match bounty.phase {
			Phase::Waiting => Self::start_round(id, &mut bounty, now),
			Phase::Training => Self::check_round(id, &mut bounty, now),
			Phase::Settling => {
				Self::expire_round_disputes(id, &bounty, now);
				Self::begin_aggregation(id, &mut bounty, now);
			}
			Phase::Aggregating => Self::aggregator_missed(id, &mut bounty, now),
			Phase::Review => Self::end_review(id, &mut bounty, now),
			Phase::Finished => {}
		}
		Bounties::<T>::insert(id, bounty);
		// A phase ends in one transition, and a finished round starts the next: the two
		// heaviest transitions together bound what one bounty costs.
		T::WeightInfo::start_round(shards).saturating_add(T::WeightInfo::check_round(shards))
	}

	/// The round record of `bounty`'s current round.
	fn current_round(id: BountyId, bounty: &BountyOf<T>) -> RoundOf<T> {
		Rounds::<T>::get(id, bounty.round).expect("a bounty past Waiting has its round stored")
	}

	/// Assign the current round, or keep waiting when too few workers are eligible.
	pub(crate) fn start_round(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let spec = &bounty.spec;
		let round = bounty.round;
		let needed = spec.replication;
		let (class, mut eligible) = T::Workers::eligible(&spec.requirements);
		let Some(class) = class.filter(|_| eligible.len() as u32 >= needed) else {
			bounty.phase = Phase::Waiting;
			Self::deposit_event(Event::RoundWaiting {
				bounty: id,
				round,
				eligible: eligible.len() as u32,
				needed,
			});
			Self::schedule(id, bounty, after::<T>(now, T::WaitingRetryBlocks::get()));
			return;
		};
		Draw::new::<T>((b"cohort/assign", id, round)).shuffle(&mut eligible);

		// Slot j of shard s goes to the (s·r + j)-th worker of the shuffled list, wrapping:
		// the r replicas of a shard are r consecutive, hence distinct, workers since r <= n.
		let n = eligible.len();
		let r = needed as usize;
		let shards = spec.shards_per_round;
		for shard in 0..shards {
			let workers: Vec<T::AccountId> =
				(0..r).map(|j| eligible[(shard as usize * r + j) % n].clone()).collect();
			for worker in &workers {
				T::Workers::assignment_opened(worker);
			}
			let dataset_shard = ((u64::from(round) * u64::from(shards) + u64::from(shard))
				% u64::from(spec.dataset.shards)) as u32;
			let slots = workers
				.iter()
				.map(|worker| Slot {
					worker: worker.clone(),
					seal: None,
					root: None,
					replaced: None,
					outcome: SlotOutcome::Pending,
				})
				.collect::<Vec<_>>();
			Shards::<T>::insert(
				(id, round, shard),
				ShardState {
					dataset_shard,
					slots: BoundedVec::truncate_from(slots),
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
		let used = n.min(shards as usize * r);
		let standbys: Vec<T::AccountId> =
			eligible.into_iter().skip(used).take(MAX_STANDBYS as usize).collect();
		let commit_deadline = after::<T>(now, spec.deadlines.commit);
		let reveal_deadline = after::<T>(commit_deadline, spec.deadlines.reveal);
		Rounds::<T>::insert(
			id,
			round,
			RoundInfo {
				checkpoint: bounty.checkpoint,
				class: class.clone(),
				started_at: now,
				commit_deadline,
				reveal_deadline,
				retried: false,
				standbys: BoundedVec::truncate_from(standbys.clone()),
				open_disputes: 0,
				settle_deadline: now,
				accepted: 0,
				aggregator: None,
				aggregator_attempts: 0,
				aggregator_offset: 0,
				checkpoint_deadline: now,
				proposed: None,
				review_deadline: now,
				checkpoint_dispute: None,
				result: None,
			},
		);
		bounty.phase = Phase::Training;
		Self::deposit_event(Event::RoundStarted {
			bounty: id,
			round,
			checkpoint: bounty.checkpoint,
			class,
			commit_deadline,
			reveal_deadline,
			standbys,
		});
		Self::schedule(id, bounty, reveal_deadline);
	}

	/// The reveal deadline has come: settle what can be settled, hand missed slots to standbys
	/// once, open disputes for the rest.
	fn check_round(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let round_index = bounty.round;
		let mut round = Self::current_round(id, bounty);
		let mut retrying = false;
		for shard in 0..bounty.spec.shards_per_round {
			let Some(mut state) = Shards::<T>::get((id, round_index, shard)) else { continue };
			if state.outcome != ShardOutcome::Pending {
				continue;
			}
			let replaced = !round.retried
				&& Self::replace_missing(id, round_index, shard, &mut state, &mut round, bounty);
			if replaced {
				retrying = true;
			} else {
				Self::decide_shard(id, round_index, shard, &mut state, &mut round, bounty, now);
			}
			Shards::<T>::insert((id, round_index, shard), state);
		}
		if retrying {
			round.retried = true;
			round.commit_deadline = after::<T>(now, bounty.spec.deadlines.commit);
			round.reveal_deadline = after::<T>(round.commit_deadline, bounty.spec.deadlines.reveal);
			Self::deposit_event(Event::RoundExtended {
				bounty: id,
				round: round_index,
				commit_deadline: round.commit_deadline,
				reveal_deadline: round.reveal_deadline,
			});
			let at = round.reveal_deadline;
			Rounds::<T>::insert(id, round_index, round);
			Self::schedule(id, bounty, at);
			return;
		}
		Rounds::<T>::insert(id, round_index, round);
		Self::end_training(id, bounty, now);
	}

	/// Give every unrevealed slot of `state` to a standby that holds no slot of the shard.
	/// Slots left without a standby count as missed now. Returns whether any slot was handed
	/// over (the shard then waits for the new deadlines).
	fn replace_missing(
		id: BountyId,
		round_index: RoundIndex,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		round: &mut RoundOf<T>,
		bounty: &BountyOf<T>,
	) -> bool {
		let mut replaced = false;
		for index in 0..state.slots.len() {
			let slot = &state.slots[index];
			if slot.root.is_some() || slot.outcome != SlotOutcome::Pending {
				continue;
			}
			let taken: Vec<T::AccountId> = state.slots.iter().map(|s| s.worker.clone()).collect();
			let pick = round.standbys.iter().position(|candidate| {
				!taken.contains(candidate)
					&& T::Workers::is_eligible(candidate, &bounty.spec.requirements)
			});
			let from = slot.worker.clone();
			let missed = Self::slot_missed(id, round_index, shard, slot);
			match pick {
				Some(at) => {
					let to = round.standbys.remove(at);
					T::Workers::assignment_opened(&to);
					state.slots[index] = Slot {
						worker: to.clone(),
						seal: None,
						root: None,
						replaced: Some(from.clone()),
						outcome: SlotOutcome::Pending,
					};
					Self::deposit_event(Event::SlotReassigned {
						bounty: id,
						round: round_index,
						shard,
						from,
						to,
					});
					replaced = true;
				}
				None => state.slots[index].outcome = missed,
			}
		}
		replaced
	}

	/// Count a missed deadline against the worker of `slot` (which has not revealed) and close
	/// the slot; returns the slot's outcome. A seal committed and not revealed is slashed
	/// besides: nobody copies a seal or withholds a result for free. (An honest worker that
	/// crashed after committing reveals from its store when it restarts; only one down for the
	/// whole reveal window, at least `MinRevealBlocks`, loses stake.)
	fn slot_missed(
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		slot: &Slot<T::AccountId>,
	) -> SlotOutcome {
		let worker = &slot.worker;
		T::Workers::deadline_missed(worker);
		let outcome = match slot.seal {
			Some(_) => {
				let reason = SlashReason::Unrevealed { bounty: id, round, shard };
				let slashed = T::Workers::slash(worker, T::SlashFraction::get(), reason);
				Self::deposit_event(Event::SealUnrevealed {
					bounty: id,
					round,
					shard,
					worker: worker.clone(),
					slashed,
				});
				SlotOutcome::Slashed
			}
			None => SlotOutcome::Missed,
		};
		T::Workers::assignment_closed(worker);
		Self::deposit_event(Event::DeadlineMissed {
			bounty: id,
			round,
			shard,
			worker: worker.clone(),
		});
		outcome
	}

	/// Settle a shard at its last reveal deadline: accept agreeing replicas, dispute the rest.
	fn decide_shard(
		id: BountyId,
		round_index: RoundIndex,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		round: &mut RoundOf<T>,
		bounty: &mut BountyOf<T>,
		now: BlockNumberFor<T>,
	) {
		let mut roots: Vec<H256> = Vec::new();
		for slot in state.slots.iter_mut().filter(|s| s.outcome == SlotOutcome::Pending) {
			match slot.root {
				Some(root) => {
					T::Workers::deadline_met(&slot.worker);
					roots.push(root);
				}
				None => slot.outcome = Self::slot_missed(id, round_index, shard, slot),
			}
		}
		let Some(first) = roots.first().copied() else {
			state.outcome = ShardOutcome::Empty;
			Self::deposit_event(Event::ShardEmpty { bounty: id, round: round_index, shard });
			return;
		};
		let agree = roots.iter().all(|root| *root == first);
		let complete = roots.len() as u32 == bounty.spec.replication;
		let reason = if !agree {
			Some(DisputeReason::Disagreement)
		} else if !complete {
			Some(DisputeReason::LoneReveal)
		} else if Draw::new::<T>((b"cohort/audit", id, round_index, shard))
			.chance(bounty.spec.audit_rate)
		{
			Some(DisputeReason::Audit)
		} else {
			None
		};
		match reason {
			None => Self::accept_shard(id, round_index, shard, state, round, bounty, first),
			Some(reason) => {
				let dispute =
					Self::open_shard_dispute(id, shard, state, round, bounty, reason, now);
				state.outcome = ShardOutcome::Disputed(dispute);
			}
		}
	}

	/// Accept `root` for a shard: pay every pending slot that revealed it; the others (in a
	/// settled dispute) are the caller's business.
	pub(crate) fn accept_shard(
		id: BountyId,
		round_index: RoundIndex,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		round: &mut RoundOf<T>,
		bounty: &mut BountyOf<T>,
		root: H256,
	) {
		let reward = bounty.spec.reward_per_contribution;
		for slot in state.slots.iter_mut() {
			if slot.outcome != SlotOutcome::Pending || slot.root != Some(root) {
				continue;
			}
			let paid = Self::pay(bounty, &slot.worker, reward);
			slot.outcome = SlotOutcome::Accepted;
			round.accepted = round.accepted.saturating_add(1);
			T::Workers::assignment_closed(&slot.worker);
			Self::deposit_event(Event::ContributionAccepted {
				bounty: id,
				round: round_index,
				shard,
				worker: slot.worker.clone(),
				root,
				reward: paid,
			});
		}
		state.outcome = ShardOutcome::Accepted(root);
	}

	/// Training is over: wait for verdicts, or go on to aggregation.
	fn end_training(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let round = Self::current_round(id, bounty);
		if round.open_disputes > 0 && round.settle_deadline > now {
			bounty.phase = Phase::Settling;
			Self::schedule(id, bounty, round.settle_deadline);
		} else {
			Self::expire_round_disputes(id, bounty, now);
			Self::begin_aggregation(id, bounty, now);
		}
	}

	/// Every worker whose contribution was accepted this round and whose bond can still
	/// answer for a checkpoint, in shard order, each once.
	fn accepted_workers(id: BountyId, bounty: &BountyOf<T>) -> Vec<T::AccountId> {
		let mut workers: Vec<T::AccountId> = Vec::new();
		for shard in 0..bounty.spec.shards_per_round {
			let Some(state) = Shards::<T>::get((id, bounty.round, shard)) else { continue };
			for slot in state.slots.iter().filter(|s| s.outcome == SlotOutcome::Accepted) {
				if !workers.contains(&slot.worker) && T::Workers::is_bonded(&slot.worker) {
					workers.push(slot.worker.clone());
				}
			}
		}
		workers
	}

	/// Designate an aggregator among the accepted workers, or finish the round unchanged when
	/// nothing was accepted.
	pub(crate) fn begin_aggregation(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		now: BlockNumberFor<T>,
	) {
		let workers = Self::accepted_workers(id, bounty);
		if workers.is_empty() {
			let unchanged = bounty.checkpoint;
			return Self::finish_round(id, bounty, unchanged, now);
		}
		let mut round = Self::current_round(id, bounty);
		round.aggregator_offset =
			Draw::new::<T>((b"cohort/aggregator", id, bounty.round)).below(workers.len() as u32);
		Rounds::<T>::insert(id, bounty.round, round);
		Self::designate_aggregator(id, bounty, &workers, now);
	}

	/// Designate the next aggregator in line.
	fn designate_aggregator(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		workers: &[T::AccountId],
		now: BlockNumberFor<T>,
	) {
		let mut round = Self::current_round(id, bounty);
		let index =
			(round.aggregator_offset as usize + round.aggregator_attempts as usize) % workers.len();
		let aggregator = workers[index].clone();
		// Aggregating is a duty its bond answers for until the checkpoint is settled.
		T::Workers::assignment_opened(&aggregator);
		round.aggregator = Some(aggregator.clone());
		round.aggregator_attempts = round.aggregator_attempts.saturating_add(1);
		round.checkpoint_deadline = after::<T>(now, bounty.spec.deadlines.checkpoint);
		let deadline = round.checkpoint_deadline;
		Rounds::<T>::insert(id, bounty.round, round);
		bounty.phase = Phase::Aggregating;
		Self::deposit_event(Event::AggregatorDesignated {
			bounty: id,
			round: bounty.round,
			aggregator,
			deadline,
		});
		Self::schedule(id, bounty, deadline);
	}

	/// The aggregator's deadline passed without a checkpoint.
	fn aggregator_missed(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let round = Self::current_round(id, bounty);
		if let Some(aggregator) = round.aggregator.clone() {
			T::Workers::deadline_missed(&aggregator);
			T::Workers::assignment_closed(&aggregator);
			Self::deposit_event(Event::AggregatorMissed {
				bounty: id,
				round: bounty.round,
				aggregator,
			});
		}
		let workers = Self::accepted_workers(id, bounty);
		let attempts = round.aggregator_attempts;
		if attempts < T::MaxAggregatorAttempts::get() && (attempts as usize) < workers.len() {
			Self::designate_aggregator(id, bounty, &workers, now);
		} else {
			let unchanged = bounty.checkpoint;
			Self::finish_round(id, bounty, unchanged, now);
		}
	}

	/// The review window closed: an undisputed checkpoint stands; a dispute still open expires
	/// (no contribution, nobody slashed) and the round keeps `H_k`.
	fn end_review(id: BountyId, bounty: &mut BountyOf<T>, now: BlockNumberFor<T>) {
		let mut round = Self::current_round(id, bounty);
		let proposed = round.proposed.unwrap_or(bounty.checkpoint);
		match round.checkpoint_dispute {
			None => Self::finish_round(id, bounty, proposed, now),
			Some(dispute) => {
				Self::expire_dispute(dispute);
				round.open_disputes = round.open_disputes.saturating_sub(1);
				Rounds::<T>::insert(id, bounty.round, round);
				let unchanged = bounty.checkpoint;
				Self::finish_round(id, bounty, unchanged, now);
			}
		}
	}

	/// Record `checkpoint` as the round's result and start the next round, or close the
	/// bounty after its last round (or when it is cancelling).
	pub(crate) fn finish_round(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		checkpoint: H256,
		now: BlockNumberFor<T>,
	) {
		let round_index = bounty.round;
		let accepted = Rounds::<T>::mutate(id, round_index, |round| {
			round.as_mut().map_or(0, |round| {
				round.result = Some(checkpoint);
				Self::close_checkpoint_duties(round);
				round.accepted
			})
		});
		bounty.checkpoint = checkpoint;
		// What this round did not spend goes back now; the escrow keeps exactly the cost of
		// the rounds still to run, which is what a cancellation would refund.
		let next = round_index.saturating_add(1);
		let later = match bounty.status {
			BountyStatus::Cancelling => 0,
			_ => bounty.spec.rounds.saturating_sub(next),
		};
		let keep = Self::round_cost(&bounty.spec).unwrap_or_default().saturating_mul(later.into());
		let refund = Self::refund(bounty, bounty.escrow.saturating_sub(keep));
		Self::deposit_event(Event::RoundFinished {
			bounty: id,
			round: round_index,
			checkpoint,
			accepted,
			refund,
		});
		if bounty.status == BountyStatus::Cancelling {
			Self::close(id, bounty, BountyStatus::Cancelled);
		} else if next >= bounty.spec.rounds {
			Self::close(id, bounty, BountyStatus::Completed);
		} else {
			bounty.round = next;
			Self::start_round(id, bounty, now);
		}
	}

	/// The round's checkpoint is settled: the aggregator that committed it, and the worker
	/// that disputed it, are free of their duty. (An aggregator that missed its deadline was
	/// freed then.)
	fn close_checkpoint_duties(round: &RoundOf<T>) {
		if let (Some(aggregator), Some(_)) = (&round.aggregator, round.proposed) {
			T::Workers::assignment_closed(aggregator);
		}
		let disputer = round
			.checkpoint_dispute
			.and_then(Disputes::<T>::get)
			.and_then(|dispute| dispute.candidates.get(1).and_then(|c| c.backers.first().cloned()));
		if let Some(disputer) = disputer {
			T::Workers::assignment_closed(&disputer);
		}
	}

	/// Close `bounty` as `status`, refunding the rest of its escrow.
	pub(crate) fn close(id: BountyId, bounty: &mut BountyOf<T>, status: BountyStatus) {
		let refund = Self::refund(bounty, bounty.escrow);
		bounty.status = status;
		bounty.phase = Phase::Finished;
		Self::unschedule(id, bounty);
		ActiveBounties::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::BountyFinished {
			bounty: id,
			status,
			checkpoint: bounty.checkpoint,
			refund,
		});
	}

	/// The bounty and round a call names, checked to be the current round in `phase`.
	fn round_in_phase(
		id: BountyId,
		round: RoundIndex,
		phase: Phase,
	) -> Result<(BountyOf<T>, RoundOf<T>), DispatchError> {
		let bounty = Bounties::<T>::get(id).ok_or(Error::<T>::UnknownBounty)?;
		ensure!(bounty.round == round && bounty.phase != Phase::Waiting, Error::<T>::WrongRound);
		ensure!(bounty.phase == phase, Error::<T>::WrongPhase);
		let record = Rounds::<T>::get(id, round).ok_or(Error::<T>::WrongRound)?;
		Ok((bounty, record))
	}

	/// The shard a call names and the index of the caller's open slot in it.
	fn open_slot(
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		worker: &T::AccountId,
	) -> Result<(ShardOf<T>, usize), DispatchError> {
		let state = Shards::<T>::get((id, round, shard)).ok_or(Error::<T>::UnknownShard)?;
		let index = state
			.slots
			.iter()
			.position(|slot| slot.worker == *worker && slot.outcome == SlotOutcome::Pending)
			.filter(|_| state.outcome == ShardOutcome::Pending)
			.ok_or(Error::<T>::NotAssigned)?;
		Ok((state, index))
	}

	pub(crate) fn do_commit(
		worker: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		checkpoint: H256,
		sealed: H256,
	) -> DispatchResult {
		let (_, record) = Self::round_in_phase(id, round, Phase::Training)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < record.commit_deadline, Error::<T>::CommitDeadlinePassed);
		ensure!(checkpoint == record.checkpoint, Error::<T>::StaleCheckpoint);
		let (mut state, index) = Self::open_slot(id, round, shard, &worker)?;
		ensure!(state.slots[index].seal.is_none(), Error::<T>::AlreadyCommitted);
		ensure!(
			state.slots.iter().all(|slot| slot.seal != Some(sealed)),
			Error::<T>::DuplicateSeal
		);
		state.slots[index].seal = Some(sealed);
		Shards::<T>::insert((id, round, shard), state);
		Self::deposit_event(Event::Committed { bounty: id, round, shard, worker, seal: sealed });
		Ok(())
	}

	pub(crate) fn do_reveal(
		worker: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		root: H256,
		salt: H256,
	) -> DispatchResult {
		let (_, record) = Self::round_in_phase(id, round, Phase::Training)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= record.commit_deadline, Error::<T>::RevealNotOpen);
		ensure!(now < record.reveal_deadline, Error::<T>::RevealDeadlinePassed);
		let (mut state, index) = Self::open_slot(id, round, shard, &worker)?;
		let slot = &mut state.slots[index];
		let committed = slot.seal.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.root.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(seal(&root, &salt, &worker.encode()) == committed, Error::<T>::SealMismatch);
		slot.root = Some(root);
		Shards::<T>::insert((id, round, shard), state);
		Self::deposit_event(Event::Revealed { bounty: id, round, shard, worker, root });
		Ok(())
	}

	pub(crate) fn do_commit_checkpoint(
		who: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		checkpoint: H256,
	) -> DispatchResult {
		let (mut bounty, mut record) = Self::round_in_phase(id, round, Phase::Aggregating)?;
		ensure!(record.aggregator.as_ref() == Some(&who), Error::<T>::NotAggregator);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < record.checkpoint_deadline, Error::<T>::CheckpointDeadlinePassed);
		T::Workers::deadline_met(&who);
		record.proposed = Some(checkpoint);
		record.review_deadline = after::<T>(now, bounty.spec.deadlines.review);
		let review_deadline = record.review_deadline;
		Rounds::<T>::insert(id, round, record);
		bounty.phase = Phase::Review;
		Self::schedule(id, &mut bounty, review_deadline);
		Bounties::<T>::insert(id, bounty);
		Self::deposit_event(Event::CheckpointCommitted {
			bounty: id,
			round,
			checkpoint,
			review_deadline,
		});
		Ok(())
	}

	/// Whether `who` held a slot of `round` (as assigned worker or as the one a standby
	/// replaced).
	pub(crate) fn took_part(
		id: BountyId,
		bounty: &BountyOf<T>,
		round: RoundIndex,
		who: &T::AccountId,
	) -> bool {
		(0..bounty.spec.shards_per_round).any(|shard| {
			Shards::<T>::get((id, round, shard)).is_some_and(|state| {
				state
					.slots
					.iter()
					.any(|slot| slot.worker == *who || slot.replaced.as_ref() == Some(who))
			})
		})
	}

	/// The verifier reward a dispute over one shard (or the checkpoint) carries.
	pub(crate) fn dispute_reward(bounty: &BountyOf<T>) -> BalanceOf<T> {
		Self::verifier_share(&bounty.spec).saturating_mul(bounty.spec.replication.into())
	}
}
