//! Bisection games: two replicas of a shard that revealed different roots find, turn by turn,
//! the one transition of their training they disagree on, so that the validators recompute one
//! inner step instead of the whole shard.
//!
//! A dispute over exactly two roots that both sides back with a trajectory opens a game
//! ([`Bisection`]). Each turn both sides call `bisect` with their leaf at the midpoint and a
//! proof against the trajectory root they sealed before they saw each other's; equal leaves move
//! `low` up, different ones `high` down, and the next turn opens at once. After
//! `⌈log2(steps + 2)⌉` turns the game is over and the dispute's vote window opens: validators
//! recompute the one transition from `low` to `high` and vote for the side whose leaf (or, at
//! the last position, delta root) they get. Any backer of a side moves for it (a game is only
//! opened where each root's backers revealed one trajectory). A side none of whose backers
//! moves within [`Config::MoveBlocks`] loses: it is slashed like the loser of a vote, and the
//! other side's root stands, subject to the winner's audit (a game is only opened between
//! sides that revealed, so the silent side committed to defend its result).

use crate::{
	draw::Draw,
	machine::{after, Progress},
	Bisection, Config, DisputeId, DisputeStatus, Disputes, Error, Event, Games, Pallet, ShardIndex,
	ShardOf, Side, SlotOutcome, MAX_PROOF_DEPTH,
};
use alloc::vec::Vec;
use cohort_formats::trajectory;
use cohort_primitives::{Verdict, H256};
use frame_support::{ensure, pallet_prelude::*, traits::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	/// The game a new dispute over `shard`'s revealed roots (in `state`) plays, if any: only
	/// between exactly two roots, each revealed by its pending slots along one trajectory (a
	/// root whose backers revealed different trajectories is settled by recomputing the
	/// shard: none of them could be made to answer for the others).
	pub(crate) fn new_game(
		p: &Progress<T>,
		shard: ShardIndex,
		state: &ShardOf<T>,
		roots: &[H256],
		now: BlockNumberFor<T>,
	) -> Option<Bisection<T::AccountId, BlockNumberFor<T>>> {
		let [first, second] = roots else { return None };
		let side = |root: &H256| {
			let slots: Vec<_> = state
				.slots
				.iter()
				.filter(|s| s.outcome == SlotOutcome::Pending && s.root == Some(*root))
				.collect();
			let trajectory = slots.first()?.trajectory?;
			if slots.iter().any(|slot| slot.trajectory != Some(trajectory)) {
				return None;
			}
			let backers = slots.into_iter().map(|slot| slot.worker.clone()).collect::<Vec<_>>();
			Some(Side {
				// At most `MAX_REPLICATION` slots.
				backers: BoundedVec::truncate_from(backers),
				root: *root,
				trajectory,
				at_high: None,
				moved: None,
			})
		};
		let leaves = p.bounty.spec.hyper.inner_steps.saturating_add(1);
		let audited = Draw::new::<T>((b"cohort/audit-winner", p.id, p.index, shard))
			.chance(p.bounty.spec.audit_rate);
		Some(Bisection {
			sides: [side(first)?, side(second)?],
			leaves,
			low: 0,
			agreed: None,
			high: leaves.saturating_add(1),
			deadline: after::<T>(now, T::MoveBlocks::get()),
			audited,
		})
	}

	/// The most blocks a game over `leaves` leaves can take before its vote window opens.
	pub(crate) fn game_blocks(leaves: u32) -> u32 {
		Bisection::<T::AccountId, BlockNumberFor<T>>::max_turns(leaves)
			.saturating_mul(T::MoveBlocks::get())
	}

	pub(crate) fn do_bisect(
		who: T::AccountId,
		dispute: DisputeId,
		leaf: H256,
		proof: BoundedVec<H256, ConstU32<MAX_PROOF_DEPTH>>,
	) -> DispatchResult {
		let mut game = Games::<T>::get(dispute).ok_or(Error::<T>::NoBisection)?;
		let mut record = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
		ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
		ensure!(!game.is_over(), Error::<T>::BisectionOver);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < game.deadline, Error::<T>::MoveDeadlinePassed);
		let at =
			game.sides.iter().position(|s| s.backers.contains(&who)).ok_or(Error::<T>::NotParty)?;
		ensure!(game.sides[at].moved.is_none(), Error::<T>::AlreadyMoved);
		let position = game.midpoint();
		// Position `i + 1` is leaf `i`; the midpoint lies strictly inside (0, leaves + 1).
		let proof = trajectory::Proof {
			index: position.saturating_sub(1),
			len: game.leaves,
			siblings: proof.into_inner(),
		};
		ensure!(
			trajectory::verify(&game.sides[at].trajectory, &leaf, &proof),
			Error::<T>::InvalidProof
		);
		game.sides[at].moved = Some(leaf);
		Self::deposit_event(Event::BisectionMoved { dispute, party: who, position, leaf });

		if let [Some(a), Some(b)] = game.sides.clone().map(|s| s.moved) {
			if a == b {
				game.low = position;
				game.agreed = Some(a);
			} else {
				game.high = position;
				for side in game.sides.iter_mut() {
					side.at_high = side.moved;
				}
			}
			for side in game.sides.iter_mut() {
				side.moved = None;
			}
			if game.is_over() {
				// The vote window opens now: the validators have it whole for one step.
				(record.sealing_ends, record.deadline) =
					Self::book_vote_window(now, Self::vote_blocks(record.bounty));
				Disputes::<T>::insert(dispute, &record);
				Self::deposit_event(Event::BisectionNarrowed {
					dispute,
					low: game.low,
					high: game.high,
					vote_deadline: record.deadline,
				});
			} else {
				game.deadline = after::<T>(now, T::MoveBlocks::get());
			}
		}
		Games::<T>::insert(dispute, game);
		Ok(())
	}

	/// The vote window of `bounty`'s disputes.
	fn vote_blocks(bounty: cohort_primitives::BountyId) -> u32 {
		crate::Bounties::<T>::get(bounty).map_or(T::MinVoteBlocks::get(), |b| b.spec.deadlines.vote)
	}

	/// Whether `dispute` is still being bisected: no vote counts until the game is over.
	pub(crate) fn bisecting(dispute: DisputeId) -> bool {
		Games::<T>::get(dispute).is_some_and(|game| !game.is_over())
	}

	/// The block the game of `dispute` next needs the chain: its current turn's deadline while
	/// it is being played.
	pub(crate) fn game_deadline(dispute: DisputeId) -> Option<BlockNumberFor<T>> {
		Games::<T>::get(dispute).filter(|game| !game.is_over()).map(|game| game.deadline)
	}

	/// End every game of the round in `p` whose turn's deadline has come with a side that did
	/// not move: that side loses. With both silent, neither root stands. Each forfeit counts
	/// against `p.conclusions` as one conclusion: it settles no votes (none are taken while a
	/// game is played), only the slots of at most `MAX_REPLICATION` backers, far less than a
	/// conclusion's worst case of every validator's seal left shut. Games the hook has no
	/// room for are forfeited in a later block's hook (their deadline has passed, so the
	/// settling wakes at once).
	pub(crate) fn forfeit_due_games(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let disputes: Vec<DisputeId> = (0..p.bounty.spec.shards_per_round)
			.filter_map(|shard| match crate::Shards::<T>::get((p.id, p.index, shard))?.outcome {
				crate::ShardOutcome::Disputed(dispute) => Some(dispute),
				_ => None,
			})
			.collect();
		for dispute in disputes {
			if p.conclusions == 0 {
				break;
			}
			let Some(game) = Games::<T>::get(dispute) else { continue };
			if game.is_over() || game.deadline > now {
				continue;
			}
			let Some(mut record) = Disputes::<T>::get(dispute) else { continue };
			if record.status != DisputeStatus::Open {
				continue;
			}
			p.conclusions = p.conclusions.saturating_sub(1);
			let silent: Vec<T::AccountId> = game
				.sides
				.iter()
				.filter(|s| s.moved.is_none())
				.flat_map(|s| s.backers.iter().cloned())
				.collect();
			let verdict = match game.sides.iter().find(|s| s.moved.is_some()) {
				Some(winner) => Verdict::Correct(winner.root),
				None => Verdict::NoneCorrect,
			};
			for party in silent {
				Self::deposit_event(Event::BisectionForfeited { dispute, party });
			}
			record.status = DisputeStatus::Settled(verdict);
			Self::settle(p, dispute, &record, verdict);
			Disputes::<T>::insert(dispute, record);
		}
	}
}
