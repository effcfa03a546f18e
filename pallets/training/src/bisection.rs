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
//! moves within [`Config::MoveBlocks`] is given one grace a game, [`GRACE_TURNS`] turns'
//! worth of blocks more, and counts a missed deadline: a worker cut off from the chain for a
//! turn (a restart, a flooded link) must not lose its bond to a liar that kept moving. The
//! second turn a side lets pass loses the game: it is slashed like the loser of a vote, and the
//! other side's root stands, subject to the winner's audit (a game is only opened between
//! sides that revealed, so the silent side committed to defend its result). Losing by silence
//! is what keeps a liar from escaping by going quiet: a whole-shard vote in its place is
//! decided by validators of another class within a tolerance a subtle lie meets, or not at
//! all when the liar withholds its delta (`disputes.rs`, `forfeit_due_games`).

use crate::{
	draw::Draw,
	machine::{after, Progress},
	Bisection, Config, DisputeId, Error, Event, GameOf, Games, Pallet, ShardIndex, ShardOf, Side,
	SlotOutcome, MAX_PROOF_DEPTH,
};
use alloc::vec::Vec;
use cohort_formats::trajectory;
use cohort_primitives::{Verdict, H256};
use frame_support::{ensure, pallet_prelude::*, traits::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;

/// The turns' worth of blocks ([`Config::MoveBlocks`] each) a side that lets a turn pass is
/// given, once a game, before its next turn's deadline: Cohort's runtime gives 32 blocks, about
/// half a minute, on top of the turn's 8.
pub const GRACE_TURNS: u32 = 4;

/// What the end of a turn with a silent side does to a game (see [`Pallet::turn_passed`]).
pub(crate) enum TurnPassed<AccountId, BlockNumber> {
	/// Every silent side (these backers) is given its grace: the turn goes on until
	/// `deadline`.
	Excused { silent: Vec<AccountId>, deadline: BlockNumber },
	/// A side let its second turn pass and lost: the verdict, and the losers' backers.
	Forfeited { verdict: Verdict, silent: Vec<AccountId> },
}

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
				excused: false,
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

	/// The most blocks a game over `leaves` leaves can take before its vote window opens: every
	/// turn, and each side's grace.
	pub(crate) fn game_blocks(leaves: u32) -> u32 {
		let turns = Bisection::<T::AccountId, BlockNumberFor<T>>::max_turns(leaves);
		turns.saturating_add(2 * GRACE_TURNS).saturating_mul(T::MoveBlocks::get())
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
				// Never before the deadline the turn had: after a side's grace, the bounty
				// wakes at the grace's end, and the next turn's end must not come before it.
				game.deadline = after::<T>(now, T::MoveBlocks::get()).max(game.deadline);
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

	/// End the turn of `dispute`'s game whose deadline (`now`) came with a side that did not
	/// move, if it did: a side that lets its first turn pass is excused, and the game waits
	/// [`GRACE_TURNS`] turns' worth of blocks more; one that lets a second pass loses, and the
	/// other side wins (both losing, neither root stands). The game is stored as it goes on.
	pub(crate) fn turn_passed(
		dispute: DisputeId,
		now: BlockNumberFor<T>,
	) -> Option<TurnPassed<T::AccountId, BlockNumberFor<T>>> {
		let mut game = Games::<T>::get(dispute)?;
		if game.is_over() || game.deadline > now {
			return None;
		}
		let loses = |side: &Side<T::AccountId>| side.moved.is_none() && side.excused;
		if game.sides.iter().any(loses) {
			let losers = game.sides.iter().filter(|s| loses(s));
			let silent = losers.flat_map(|s| s.backers.iter().cloned()).collect();
			let verdict = match game.sides.iter().find(|s| !loses(s)) {
				Some(winner) => Verdict::Correct(winner.root),
				None => Verdict::NoneCorrect,
			};
			return Some(TurnPassed::Forfeited { verdict, silent });
		}
		let mut silent = Vec::new();
		for side in game.sides.iter_mut().filter(|s| s.moved.is_none()) {
			side.excused = true;
			silent.extend(side.backers.iter().cloned());
		}
		let deadline = after::<T>(now, GRACE_TURNS.saturating_mul(T::MoveBlocks::get()));
		game.deadline = deadline;
		Games::<T>::insert(dispute, game);
		Some(TurnPassed::Excused { silent, deadline })
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
