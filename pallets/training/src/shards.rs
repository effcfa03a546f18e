//! One shard of a round: its slots, the `commit` and `reveal` calls, and what the reveal
//! deadline decides for it. Every slot opens and closes through [`Pallet::new_slot`] and
//! [`Pallet::close_slot`], so a worker's count of open duties moves in one place.

use crate::{
	draw::{AuditSeed, Draw},
	machine::Progress,
	Config, DeclineReason, DisputeReason, Error, Event, Pallet, RoundIndex, RoundPhase, ShardIndex,
	ShardOf, ShardOutcome, Shards, Slot, SlotOutcome,
};
use alloc::vec::Vec;
use codec::Encode;
use cohort_primitives::{seal, BountyId, SlashReason, WorkerRegistry, H256};
use frame_support::{ensure, pallet_prelude::*};

/// What the reveal deadline decides for a shard.
pub(crate) enum ShardDecision {
	/// Nobody revealed.
	Empty,
	/// Every replica revealed this root, and no audit was drawn.
	Accept(H256),
	/// The validators must decide.
	Dispute(DisputeReason),
}

impl<T: Config> Pallet<T> {
	/// A new slot for `worker` (standing in for `replaced`, if any): a duty its bond answers for
	/// until the slot closes.
	pub(crate) fn new_slot(
		worker: T::AccountId,
		replaced: Option<T::AccountId>,
	) -> Slot<T::AccountId> {
		T::Workers::assignment_opened(&worker);
		Slot {
			worker,
			seal: None,
			root: None,
			trajectory: None,
			replaced,
			outcome: SlotOutcome::Pending,
		}
	}

	/// Close a pending `slot` with `outcome`: its worker's duty is over.
	pub(crate) fn close_slot(slot: &mut Slot<T::AccountId>, outcome: SlotOutcome) {
		debug_assert!(slot.outcome == SlotOutcome::Pending, "a slot closes once");
		slot.outcome = outcome;
		T::Workers::assignment_closed(&slot.worker);
	}

	/// Give every unrevealed (or declined) slot of `state` to a standby that holds no slot of
	/// the shard, if nobody revealed in the shard: a revealed root is public, and a standby
	/// that joined after it could commit it without training. A shard with a reveal is
	/// decided as it stands. Slots left without a standby count as missed now. Returns how
	/// many slots were handed over (the shard then waits for the new deadlines).
	pub(crate) fn replace_missing(
		p: &mut Progress<T>,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
	) -> u32 {
		if state.slots.iter().any(|slot| slot.root.is_some()) {
			return 0;
		}
		let mut replaced = 0u32;
		for index in 0..state.slots.len() {
			let declined = matches!(state.slots[index].outcome, SlotOutcome::Declined(_));
			if state.slots[index].outcome != SlotOutcome::Pending && !declined {
				continue;
			}
			let taken: Vec<T::AccountId> = state.slots.iter().map(|s| s.worker.clone()).collect();
			let pick = p.round.standbys.iter().position(|candidate| {
				!taken.contains(candidate)
					&& T::Workers::is_eligible(candidate, &p.bounty.spec.requirements)
			});
			let from = state.slots[index].worker.clone();
			if !declined {
				Self::slot_missed(p.id, p.index, shard, &mut state.slots[index]);
			}
			if let Some(at) = pick {
				let to = p.round.standbys.remove(at);
				state.slots[index] = Self::new_slot(to.clone(), Some(from.clone()));
				Self::deposit_event(Event::SlotReassigned {
					bounty: p.id,
					round: p.index,
					shard,
					from,
					to,
				});
				replaced = replaced.saturating_add(1);
			}
		}
		replaced
	}

	/// Count a missed deadline against the worker of `slot` (which has not revealed) and close
	/// the slot. A seal committed and not revealed is slashed: nobody copies a seal or
	/// withholds a result for free. (An honest worker that crashed after committing reveals
	/// from its store when it restarts; only one down for the whole reveal window, at least
	/// `MinRevealBlocks`, loses stake.) A slot neither committed nor declined costs
	/// `MissedSlashFraction`: a worker that is up either commits or declines, and one that
	/// does neither would otherwise force its replicas into a lone-reveal dispute for free.
	pub(crate) fn slot_missed(
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		slot: &mut Slot<T::AccountId>,
	) {
		let worker = slot.worker.clone();
		T::Workers::deadline_missed(&worker);
		let outcome = match slot.seal {
			Some(_) => {
				let reason = SlashReason::Unrevealed { bounty: id, round, shard };
				let slashed = T::Workers::slash(&worker, T::SlashFraction::get(), reason);
				Self::deposit_event(Event::SealUnrevealed {
					bounty: id,
					round,
					shard,
					worker: worker.clone(),
					slashed,
				});
				SlotOutcome::Slashed
			}
			None => {
				let reason = SlashReason::Abandoned { bounty: id, round, shard };
				let slashed = T::Workers::slash(&worker, T::MissedSlashFraction::get(), reason);
				Self::deposit_event(Event::SlotAbandoned {
					bounty: id,
					round,
					shard,
					worker: worker.clone(),
					slashed,
				});
				SlotOutcome::Missed
			}
		};
		Self::close_slot(slot, outcome);
		Self::deposit_event(Event::DeadlineMissed { bounty: id, round, shard, worker });
	}

	/// Decide a shard at its last reveal deadline: slots that did not reveal are missed (and
	/// so, where a replica revealed, are declines for want of data); agreeing replicas are
	/// accepted unless audited; anything else goes to the validators.
	pub(crate) fn decide_shard(
		p: &Progress<T>,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
	) -> ShardDecision {
		let mut roots: Vec<H256> = Vec::new();
		for slot in state.slots.iter_mut().filter(|s| s.outcome == SlotOutcome::Pending) {
			match slot.root {
				Some(root) => {
					T::Workers::deadline_met(&slot.worker);
					roots.push(root);
				}
				None => Self::slot_missed(p.id, p.index, shard, slot),
			}
		}
		if !roots.is_empty() {
			// Another replica was served the data and trained on it: a decline for want of
			// data was this worker's doing, and counts toward inactivity as `Infeasible` does
			// (else a sybil replica could turn its partner's reveal into a lone one, a whole
			// recomputation for every validator, at no cost at all).
			let unserved = SlotOutcome::Declined(DeclineReason::DataUnavailable);
			for slot in state.slots.iter().filter(|slot| slot.outcome == unserved) {
				T::Workers::deadline_missed(&slot.worker);
			}
		}
		let Some(first) = roots.first().copied() else {
			state.outcome = ShardOutcome::Empty;
			Self::deposit_event(Event::ShardEmpty { bounty: p.id, round: p.index, shard });
			return ShardDecision::Empty;
		};
		if !roots.iter().all(|root| *root == first) {
			ShardDecision::Dispute(DisputeReason::Disagreement)
		} else if roots.len() as u32 != p.bounty.spec.replication {
			ShardDecision::Dispute(DisputeReason::LoneReveal)
		} else if Draw::audit(p.round.audit_seed, (b"cohort/audit", p.id, p.index, shard))
			.chance(p.bounty.spec.audit_rate)
		{
			ShardDecision::Dispute(DisputeReason::Audit)
		} else {
			ShardDecision::Accept(first)
		}
	}

	/// Accept `root` for a shard: pay every pending slot that revealed it; the others (in a
	/// settled dispute) are the caller's business.
	pub(crate) fn accept_shard(
		p: &mut Progress<T>,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		root: H256,
	) {
		let reward = p.bounty.spec.reward_per_contribution;
		for slot in state.slots.iter_mut() {
			if slot.outcome != SlotOutcome::Pending || slot.root != Some(root) {
				continue;
			}
			let paid = Self::pay(&mut p.bounty, &slot.worker, reward);
			Self::close_slot(slot, SlotOutcome::Accepted);
			p.round.accepted = p.round.accepted.saturating_add(1);
			Self::deposit_event(Event::ContributionAccepted {
				bounty: p.id,
				round: p.index,
				shard,
				worker: slot.worker.clone(),
				root,
				reward: paid,
			});
		}
		state.outcome = ShardOutcome::Accepted(root);
	}

	/// The shard a call names and the index of the caller's open slot in it.
	fn callers_slot(
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
		let mut p = Progress::<T>::current(id, round)?;
		ensure!(p.round.phase == RoundPhase::Training, Error::<T>::WrongPhase);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < p.round.commit_deadline, Error::<T>::CommitDeadlinePassed);
		ensure!(checkpoint == p.round.checkpoint, Error::<T>::StaleCheckpoint);
		let (mut state, index) = Self::callers_slot(id, round, shard, &worker)?;
		ensure!(state.slots[index].seal.is_none(), Error::<T>::AlreadyCommitted);
		// Another replica's seal is not refused: it binds that replica's account, so a copy
		// cannot be opened (and is slashed), while refusing it would let a copier who got in
		// first keep the seal's author from committing.
		state.slots[index].seal = Some(sealed);
		Shards::<T>::insert((id, round, shard), state);
		Self::deposit_event(Event::Committed { bounty: id, round, shard, worker, seal: sealed });
		p.round.uncommitted = p.round.uncommitted.saturating_sub(1);
		p.round.unrevealed = p.round.unrevealed.saturating_add(1);
		Self::close_barriers(&mut p, now);
		p.store();
		Ok(())
	}

	pub(crate) fn do_reveal(
		worker: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		root: H256,
		trajectory: H256,
		salt: H256,
	) -> DispatchResult {
		let mut p = Progress::<T>::current(id, round)?;
		ensure!(p.round.phase == RoundPhase::Training, Error::<T>::WrongPhase);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= p.round.commit_deadline, Error::<T>::RevealNotOpen);
		ensure!(now < p.round.reveal_deadline, Error::<T>::RevealDeadlinePassed);
		let (mut state, index) = Self::callers_slot(id, round, shard, &worker)?;
		let slot = &mut state.slots[index];
		let committed = slot.seal.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.root.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(
			seal(&root, &trajectory, &salt, &worker.encode()) == committed,
			Error::<T>::SealMismatch
		);
		slot.root = Some(root);
		slot.trajectory = Some(trajectory);
		Shards::<T>::insert((id, round, shard), state);
		p.round.audit_seed = AuditSeed::mixed(p.round.audit_seed, &worker, shard, &salt);
		Self::deposit_event(Event::Revealed { bounty: id, round, shard, worker, root, trajectory });
		p.round.unrevealed = p.round.unrevealed.saturating_sub(1);
		Self::close_barriers(&mut p, now);
		p.store();
		Ok(())
	}

	pub(crate) fn do_decline(
		worker: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		shard: ShardIndex,
		reason: DeclineReason,
	) -> DispatchResult {
		let mut p = Progress::<T>::current(id, round)?;
		ensure!(p.round.phase == RoundPhase::Training, Error::<T>::WrongPhase);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < p.round.commit_deadline, Error::<T>::CommitDeadlinePassed);
		let (mut state, index) = Self::callers_slot(id, round, shard, &worker)?;
		ensure!(state.slots[index].seal.is_none(), Error::<T>::CannotDecline);
		// A worker that cannot do what it registered for counts it toward inactivity (it
		// should not keep taking slots it declines); data nobody served is not its doing.
		if reason == DeclineReason::Infeasible {
			T::Workers::deadline_missed(&worker);
		}
		Self::close_slot(&mut state.slots[index], SlotOutcome::Declined(reason));
		Shards::<T>::insert((id, round, shard), state);
		Self::deposit_event(Event::SlotDeclined { bounty: id, round, shard, worker, reason });
		p.round.uncommitted = p.round.uncommitted.saturating_sub(1);
		Self::close_barriers(&mut p, now);
		p.store();
		Ok(())
	}
}
