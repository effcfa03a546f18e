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
//! moves within [`Config::MoveBlocks`] ends the game, and its dispute is settled by recomputing
//! the whole shard, as if no game had been played (`disputes.rs`, `forfeit_due_games`). A
//! silent side is not judged by its silence: a worker cut off from the chain for a turn (a
//! restart, a flooded link) would otherwise lose its bond to a liar that kept moving. The
//! liar that goes silent gains nothing either: the recomputation votes its root down.

use crate::{
	draw::Draw,
	machine::{after, Progress},
	Bisection, Config, DisputeId, Error, Event, GameOf, Games, Pallet, ShardIndex, ShardOf, Side,
	SlotOutcome, MAX_PROOF_DEPTH,
};
use alloc::vec::Vec;
use cohort_formats::trajectory;
use cohort_primitives::H256;
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
	) -> Option<GameOf<T>> {
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
		let audited =
			Draw::audit(p.round.audit_seed, (b"cohort/audit-winner", p.id, p.index, shard))
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

	/// `who`'s move in the game of `dispute`, at `now`: its `leaf` at the midpoint, proven
	/// against the trajectory its side sealed. Once both sides have moved the turn ends; returns
	/// the game when that ended it (its vote window is the dispute's to open).
	pub(crate) fn play_move(
		who: T::AccountId,
		dispute: DisputeId,
		leaf: H256,
		proof: BoundedVec<H256, ConstU32<MAX_PROOF_DEPTH>>,
		now: BlockNumberFor<T>,
	) -> Result<Option<GameOf<T>>, DispatchError> {
		let mut game = Games::<T>::get(dispute).ok_or(Error::<T>::NoBisection)?;
		ensure!(!game.is_over(), Error::<T>::BisectionOver);
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
			if !game.is_over() {
				game.deadline = after::<T>(now, T::MoveBlocks::get());
			}
		}
		Games::<T>::insert(dispute, &game);
		Ok(game.is_over().then_some(game))
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

	/// The backers of the sides of `dispute`'s game that let its turn's deadline pass (`now`)
	/// without moving, if any did.
	pub(crate) fn forfeited(
		dispute: DisputeId,
		now: BlockNumberFor<T>,
	) -> Option<Vec<T::AccountId>> {
		let game = Games::<T>::get(dispute)?;
		if game.is_over() || game.deadline > now {
			return None;
		}
		let silent =
			game.sides.iter().filter(|s| s.moved.is_none()).flat_map(|s| s.backers.iter().cloned());
		Some(silent.collect())
	}

	/// Whether the winner of `dispute`'s bisection game is audited before it is accepted. A
	/// game proves the loser wrong at the step the two part; it does not prove the winner right
	/// from there on. With one honest side that is the same thing; two dishonest sides could
	/// sacrifice one to carry the other. So the winner is drawn for audit at the bounty's rate,
	/// as replicas that agree are (the draw is made when the game opens): a pair that disagrees
	/// on purpose loses one bond for certain and gets no further than a pair that agrees.
	pub(crate) fn audits_winner(dispute: DisputeId) -> bool {
		Games::<T>::get(dispute).is_some_and(|game| game.audited)
	}
}
