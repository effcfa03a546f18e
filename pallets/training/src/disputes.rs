//! Disputes: opened over a shard's result or a round's checkpoint, voted on by the active
//! validators weighted by stake, settled at more than 2/3 of that stake, or left unresolved at
//! their deadline.

use crate::{
	BalanceOf, Bounties, BountyId, BountyOf, Candidate, Config, Dispute, DisputeId, DisputeOf,
	DisputeReason, DisputeStatus, DisputeSubject, Disputes, Error, Event, NextDisputeId, Pallet,
	Phase, RoundIndex, RoundOf, Rounds, ShardIndex, ShardOf, ShardOutcome, Shards, SlotOutcome,
	Vote, MAX_REPLICATION,
};
use alloc::vec::Vec;
use cohort_primitives::{SlashReason, Verdict, VoterStake, WorkerRegistry, H256};
use frame_support::{ensure, pallet_prelude::*, traits::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

/// The candidates of a shard dispute: each distinct revealed root with the workers behind it.
fn shard_candidates<AccountId: Clone>(
	state: &crate::ShardState<AccountId>,
) -> BoundedVec<Candidate<AccountId>, ConstU32<MAX_REPLICATION>> {
	let mut candidates: Vec<Candidate<AccountId>> = Vec::new();
	for slot in state.slots.iter().filter(|s| s.outcome == SlotOutcome::Pending) {
		let Some(root) = slot.root else { continue };
		match candidates.iter_mut().find(|c| c.root == root) {
			// At most `MAX_REPLICATION` slots, so neither list can overflow.
			Some(candidate) => {
				let _ = candidate.backers.try_push(slot.worker.clone());
			}
			None => candidates.push(Candidate {
				root,
				backers: BoundedVec::truncate_from(alloc::vec![slot.worker.clone()]),
			}),
		}
	}
	BoundedVec::truncate_from(candidates)
}

impl<T: Config> Pallet<T> {
	/// Store a new dispute and count it against its round.
	fn open_dispute(
		bounty: &BountyOf<T>,
		id: BountyId,
		round: &mut RoundOf<T>,
		subject: DisputeSubject,
		reason: DisputeReason,
		candidates: BoundedVec<Candidate<T::AccountId>, ConstU32<MAX_REPLICATION>>,
		now: BlockNumberFor<T>,
	) -> DisputeId {
		let dispute = NextDisputeId::<T>::mutate(|next| {
			let dispute = *next;
			*next = next.saturating_add(1);
			dispute
		});
		let deadline = now.saturating_add(bounty.spec.deadlines.vote.into());
		Disputes::<T>::insert(
			dispute,
			Dispute {
				bounty: id,
				round: bounty.round,
				subject,
				reason,
				candidates,
				votes: BoundedVec::new(),
				deadline,
				verifier_reward: Self::dispute_reward(bounty),
				status: DisputeStatus::Open,
			},
		);
		round.open_disputes = round.open_disputes.saturating_add(1);
		Self::deposit_event(Event::DisputeOpened {
			dispute,
			bounty: id,
			round: bounty.round,
			subject,
			reason,
			deadline,
		});
		dispute
	}

	/// Open a dispute over `shard`'s revealed roots.
	pub(crate) fn open_shard_dispute(
		id: BountyId,
		shard: ShardIndex,
		state: &ShardOf<T>,
		round: &mut RoundOf<T>,
		bounty: &BountyOf<T>,
		reason: DisputeReason,
		now: BlockNumberFor<T>,
	) -> DisputeId {
		let candidates = shard_candidates(state);
		let dispute = Self::open_dispute(
			bounty,
			id,
			round,
			DisputeSubject::Shard(shard),
			reason,
			candidates,
			now,
		);
		let deadline = now.saturating_add(bounty.spec.deadlines.vote.into());
		round.settle_deadline = round.settle_deadline.max(deadline);
		dispute
	}

	pub(crate) fn do_vote(
		voter: T::AccountId,
		dispute: DisputeId,
		verdict: Verdict,
	) -> DispatchResult {
		let mut record = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
		let stake = T::Voters::stake_of(&voter).ok_or(Error::<T>::NotValidator)?;
		ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < record.deadline, Error::<T>::DisputeExpired);
		ensure!(record.votes.iter().all(|v| v.voter != voter), Error::<T>::AlreadyVoted);
		if let Verdict::Correct(root) = verdict {
			ensure!(record.candidates.iter().any(|c| c.root == root), Error::<T>::UnknownRoot);
		}
		record
			.votes
			.try_push(Vote { voter: voter.clone(), verdict, stake })
			.map_err(|_| Error::<T>::TooManyVotes)?;
		Self::deposit_event(Event::Voted { dispute, voter, verdict, stake });

		// Stake counts as it is now: a voter that left the active set no longer backs anything.
		let backing = record
			.votes
			.iter()
			.filter(|v| v.verdict == verdict)
			.filter_map(|v| T::Voters::stake_of(&v.voter))
			.fold(BalanceOf::<T>::zero(), |sum, stake| sum.saturating_add(stake));
		let total = T::Voters::total();
		// More than 2/3: 3·backing > 2·total.
		if backing.saturating_mul(3u32.into()) > total.saturating_mul(2u32.into()) {
			Self::settle(dispute, &mut record, verdict, now);
		}
		Disputes::<T>::insert(dispute, record);
		Ok(())
	}

	/// Apply a verdict: pay the correct root's backers (shards) or adopt the checkpoint, slash
	/// every other backer, pay the voters who voted the verdict.
	fn settle(
		dispute: DisputeId,
		record: &mut DisputeOf<T>,
		verdict: Verdict,
		now: BlockNumberFor<T>,
	) {
		let id = record.bounty;
		let Some(mut bounty) = Bounties::<T>::get(id) else { return };
		let Some(mut round) = Rounds::<T>::get(id, record.round) else { return };
		record.status = DisputeStatus::Settled(verdict);
		round.open_disputes = round.open_disputes.saturating_sub(1);

		// The voters whose stake carried the verdict: they voted it and still validate.
		let winners: Vec<T::AccountId> = record
			.votes
			.iter()
			.filter(|v| v.verdict == verdict && T::Voters::stake_of(&v.voter).is_some())
			.map(|v| v.voter.clone())
			.collect();
		let each = record.verifier_reward / (winners.len() as u32).max(1).into();
		let mut paid = BalanceOf::<T>::zero();
		for voter in &winners {
			paid = paid.saturating_add(Self::pay(&mut bounty, voter, each));
		}
		Self::deposit_event(Event::DisputeSettled {
			dispute,
			verdict,
			voters: winners.len() as u32,
			paid,
		});

		match record.subject {
			DisputeSubject::Shard(shard) => {
				Self::settle_shard(id, &mut bounty, &mut round, shard, verdict);
				let round_index = record.round;
				let all_settled = round.open_disputes == 0;
				Rounds::<T>::insert(id, round_index, round);
				if all_settled && bounty.phase == Phase::Settling && bounty.round == round_index {
					Self::begin_aggregation(id, &mut bounty, now);
				}
			}
			DisputeSubject::Checkpoint => {
				let slash = T::SlashFraction::get();
				let reason = SlashReason::CheckpointDispute { bounty: id, round: record.round };
				for candidate in record.candidates.iter() {
					if verdict != Verdict::Correct(candidate.root) {
						for backer in candidate.backers.iter() {
							T::Workers::slash(backer, slash, reason);
						}
					}
				}
				let checkpoint = match verdict {
					Verdict::Correct(root) => root,
					Verdict::NoneCorrect => bounty.checkpoint,
				};
				Rounds::<T>::insert(id, record.round, round);
				Self::finish_round(id, &mut bounty, checkpoint, now);
			}
		}
		Bounties::<T>::insert(id, bounty);
	}

	/// Settle the slots of a disputed shard.
	fn settle_shard(
		id: BountyId,
		bounty: &mut BountyOf<T>,
		round: &mut RoundOf<T>,
		shard: ShardIndex,
		verdict: Verdict,
	) {
		let round_index = bounty.round;
		let Some(mut state) = Shards::<T>::get((id, round_index, shard)) else { return };
		let slash = T::SlashFraction::get();
		let reason = SlashReason::ShardDispute { bounty: id, round: round_index, shard };
		for slot in state.slots.iter_mut() {
			let Some(root) = slot.root else { continue };
			if slot.outcome != SlotOutcome::Pending || verdict == Verdict::Correct(root) {
				continue;
			}
			let slashed = T::Workers::slash(&slot.worker, slash, reason);
			slot.outcome = SlotOutcome::Slashed;
			T::Workers::assignment_closed(&slot.worker);
			Self::deposit_event(Event::ContributionRejected {
				bounty: id,
				round: round_index,
				shard,
				worker: slot.worker.clone(),
				root,
				slashed,
			});
		}
		match verdict {
			Verdict::Correct(root) => {
				Self::accept_shard(id, round_index, shard, &mut state, round, bounty, root)
			}
			Verdict::NoneCorrect => state.outcome = ShardOutcome::Rejected,
		}
		Shards::<T>::insert((id, round_index, shard), state);
	}

	/// Expire every open dispute of `bounty`'s current round whose deadline has come; their
	/// slots are void (no contribution, nobody slashed).
	pub(crate) fn expire_round_disputes(
		id: BountyId,
		bounty: &BountyOf<T>,
		now: BlockNumberFor<T>,
	) {
		let round_index = bounty.round;
		let Some(mut round) = Rounds::<T>::get(id, round_index) else { return };
		for shard in 0..bounty.spec.shards_per_round {
			let Some(mut state) = Shards::<T>::get((id, round_index, shard)) else { continue };
			let ShardOutcome::Disputed(dispute) = state.outcome else { continue };
			let due = Disputes::<T>::get(dispute)
				.is_some_and(|d| d.status == DisputeStatus::Open && d.deadline <= now);
			if !due {
				continue;
			}
			Self::expire_dispute(dispute);
			round.open_disputes = round.open_disputes.saturating_sub(1);
			for slot in state.slots.iter_mut().filter(|s| s.outcome == SlotOutcome::Pending) {
				slot.outcome = SlotOutcome::Void;
				T::Workers::assignment_closed(&slot.worker);
			}
			state.outcome = ShardOutcome::Unresolved;
			Shards::<T>::insert((id, round_index, shard), state);
		}
		Rounds::<T>::insert(id, round_index, round);
	}

	/// Mark `dispute` unresolved.
	pub(crate) fn expire_dispute(dispute: DisputeId) {
		Disputes::<T>::mutate_extant(dispute, |record| {
			if record.status == DisputeStatus::Open {
				record.status = DisputeStatus::Unresolved;
				Self::deposit_event(Event::DisputeUnresolved { dispute });
			}
		});
	}

	pub(crate) fn do_dispute_checkpoint(
		who: T::AccountId,
		id: BountyId,
		round_index: RoundIndex,
		claimed: H256,
	) -> DispatchResult {
		let mut bounty = Bounties::<T>::get(id).ok_or(Error::<T>::UnknownBounty)?;
		ensure!(
			bounty.round == round_index && bounty.phase != Phase::Waiting,
			Error::<T>::WrongRound
		);
		ensure!(bounty.phase == Phase::Review, Error::<T>::WrongPhase);
		let mut round = Rounds::<T>::get(id, round_index).ok_or(Error::<T>::WrongRound)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < round.review_deadline, Error::<T>::ReviewClosed);
		ensure!(round.checkpoint_dispute.is_none(), Error::<T>::AlreadyDisputed);
		let aggregator = round.aggregator.clone().ok_or(Error::<T>::WrongPhase)?;
		ensure!(
			who != aggregator && Self::took_part(id, &bounty, round_index, &who),
			Error::<T>::NotParticipant
		);
		ensure!(T::Workers::is_bonded(&who), Error::<T>::NotBonded);
		let proposed = round.proposed.ok_or(Error::<T>::WrongPhase)?;
		ensure!(claimed != proposed, Error::<T>::SameCheckpoint);
		// The disputer's bond answers for its claim until the checkpoint is settled.
		T::Workers::assignment_opened(&who);
		let candidates = BoundedVec::truncate_from(alloc::vec![
			Candidate {
				root: proposed,
				backers: BoundedVec::truncate_from(alloc::vec![aggregator])
			},
			Candidate { root: claimed, backers: BoundedVec::truncate_from(alloc::vec![who]) },
		]);
		let dispute = Self::open_dispute(
			&bounty,
			id,
			&mut round,
			DisputeSubject::Checkpoint,
			DisputeReason::Checkpoint,
			candidates,
			now,
		);
		let deadline = now.saturating_add(bounty.spec.deadlines.vote.into());
		round.checkpoint_dispute = Some(dispute);
		let wake = round.review_deadline.max(deadline);
		Rounds::<T>::insert(id, round_index, round);
		Self::schedule(id, &mut bounty, wake);
		Bounties::<T>::insert(id, bounty);
		Ok(())
	}
}
