//! Disputes: opened over a shard's result or a round's checkpoint, voted on by the
//! validators active when they opened (their session's [`Electorate`]) weighted by stake
//! (sealed votes first, opened once sealing ends, so that no validator can copy another's),
//! settled at more than 2/3 of that stake, or left unresolved at their deadline. A verdict's effect on the round's phase is the state machine's
//! (`machine.rs`); this module only applies it to the slots and bonds in question.

use crate::{
	bisection::TurnPassed,
	draw::Draw,
	machine::{after, Progress},
	BalanceOf, BountyId, BountyOf, Candidate, Challenge, Config, Dispute, DisputeId, DisputeOf,
	DisputeReason, DisputeStatus, DisputeSubject, Disputes, Electorate, ElectorateOf, Electorates,
	Error, Event, FullRevealBlocks, Games, NextDisputeId, Pallet, RevealsBooked, RoundIndex,
	RoundOf, RoundPhase, ShardIndex, ShardOf, ShardOutcome, Shards, SlotOutcome, Vote, WeightInfo,
	BOOKING_READS, BOOKING_STRETCH, MAX_PROOF_DEPTH, MAX_REPLICATION, MAX_VOTERS,
};
use alloc::vec::Vec;
use cohort_primitives::{SlashReason, Verdict, VoterStake, WorkerRegistry, H256};
use frame_support::{ensure, pallet_prelude::*, traits::ConstU32, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{One, SaturatedConversion, Saturating, Zero},
	Perbill,
};

/// What becomes of an audit whose deadline has come (see `Pallet::appeal_audit`).
enum AuditFate {
	/// Appealed to the whole electorate.
	Appealed,
	/// Confirmed, its recheck drawn at the next block: a committee member authored this
	/// block's parent, whose hash it could have ground (until a reveal window has passed:
	/// then it is rechecked).
	Deferred,
	/// Not an audit with a committee, or confirmed and not rechecked: it concludes as any
	/// other dispute.
	Concludes,
}

/// What each worker is owed out of a slash (see [`WorkerRegistry::slash_paying`]).
type Claims<T> = Vec<(<T as frame_system::Config>::AccountId, BalanceOf<T>)>;

/// A dispute's vote window: the block sealing ends, its deadline, and the blocks its seal
/// openings were booked into with how many in each (none while its length is not final: a
/// bisection game's bound).
pub(crate) struct VoteWindow<T: Config> {
	pub sealing_ends: BlockNumberFor<T>,
	pub deadline: BlockNumberFor<T>,
	pub booked: BoundedVec<(BlockNumberFor<T>, u32), ConstU32<MAX_VOTERS>>,
}

impl<T: Config> VoteWindow<T> {
	/// Make this the window of `record`, in place of its bisection game's bound (which books
	/// nothing).
	fn apply_to(self, record: &mut DisputeOf<T>) {
		record.sealing_ends = self.sealing_ends;
		record.deadline = self.deadline;
		record.booked = self.booked;
	}
}

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
	/// Store a new dispute of the round in `p`, voted on by this session's [`Electorate`],
	/// with the vote window `window` makes for that many voters (see [`Self::vote_window`]
	/// and [`Self::book_vote_window`]). Returns it and its deadline.
	fn open_dispute(
		p: &Progress<T>,
		subject: DisputeSubject,
		reason: DisputeReason,
		candidates: BoundedVec<Candidate<T::AccountId>, ConstU32<MAX_REPLICATION>>,
		window: impl FnOnce(u32) -> VoteWindow<T>,
	) -> (DisputeId, BlockNumberFor<T>) {
		let session = T::Voters::session();
		let mut electorate = Electorates::<T>::get(session).unwrap_or_else(Self::electorate);
		let dispute = NextDisputeId::<T>::mutate(|next| {
			let dispute = *next;
			*next = next.saturating_add(1);
			dispute
		});
		let committee = match reason {
			// Drawn from the audit seed, which the round's reveals decide: nobody knows the
			// committee before its result is public, so nobody cheats only when an accomplice
			// will audit it.
			// Of the shard, not of the dispute's id, which the block a dispute lands in (anyone's
			// disputes of other bounties opened before it) would let a revealer choose.
			DisputeReason::Audit => Self::draw_committee(
				&electorate,
				Draw::audit(p.round.audit_seed, (b"cohort/committee", p.id, p.index, subject)),
			),
			_ => BoundedVec::new(),
		};
		let voters = match committee.len() {
			0 => electorate.voter_count(),
			members => members as u32,
		};
		let VoteWindow { sealing_ends, deadline, booked } = window(voters);
		electorate.open = electorate.open.saturating_add(1);
		Electorates::<T>::insert(session, electorate);
		crate::BountyDisputes::<T>::insert(p.id, dispute, ());
		Disputes::<T>::insert(
			dispute,
			Dispute {
				bounty: p.id,
				round: p.index,
				subject,
				reason,
				candidates,
				session,
				committee,
				votes: BoundedVec::new(),
				sealing_ends,
				deadline,
				booked,
				verifier_reward: Self::dispute_reward(&p.bounty),
				status: DisputeStatus::Open,
			},
		);
		Self::deposit_event(Event::DisputeOpened {
			dispute,
			bounty: p.id,
			round: p.index,
			subject,
			reason,
			deadline,
		});
		(dispute, deadline)
	}

	/// The active validators with their stakes, as [`Config::Voters`] has them now: the
	/// largest `MAX_VOTERS` stakes (ties by account, so every node takes the same).
	fn electorate() -> ElectorateOf<T> {
		let mut voters = T::Voters::electorate();
		voters.sort_by(|(a, stake_a), (b, stake_b)| stake_b.cmp(stake_a).then_with(|| a.cmp(b)));
		let voters = BoundedVec::truncate_from(voters);
		let total = voters
			.iter()
			.fold(BalanceOf::<T>::zero(), |sum, (_, stake)| sum.saturating_add(*stake));
		Electorate { voters, total, open: 0 }
	}

	/// An audit's committee: [`Config::AuditCommittee`] validators of `electorate`, each
	/// drawn from `draw` in proportion to its stake (capped by what it has bonded now, as its
	/// vote will be: one that withdrew is never drawn) among those not drawn yet. Empty (the
	/// whole electorate votes) when the committee would be all of it.
	fn draw_committee(
		electorate: &ElectorateOf<T>,
		mut draw: Draw,
	) -> BoundedVec<T::AccountId, ConstU32<MAX_VOTERS>> {
		let size = T::AuditCommittee::get() as usize;
		if size == 0 || size >= electorate.voters.len() {
			return BoundedVec::new();
		}
		let mut left: Vec<(T::AccountId, u128)> = electorate
			.voters
			.iter()
			.map(|(voter, stake)| {
				let weight = (*stake).min(T::Voters::bonded(voter));
				(voter.clone(), weight.saturated_into())
			})
			.collect();
		let mut committee = Vec::with_capacity(size);
		while committee.len() < size {
			let stakes: Vec<u128> = left.iter().map(|(_, stake)| *stake).collect();
			let Some(index) = draw.weighted(&stakes) else { break };
			committee.push(left.remove(index).0);
		}
		BoundedVec::truncate_from(committee)
	}

	/// The stake `record`'s verdict needs more than 2/3 of, with each validator weighing what
	/// `electorate` gives it: its committee's, or the whole electorate's when it has none.
	fn voting_stake(record: &DisputeOf<T>, electorate: &ElectorateOf<T>) -> BalanceOf<T> {
		if record.committee.is_empty() {
			return electorate.total;
		}
		record
			.committee
			.iter()
			.filter_map(|member| electorate.stake_of(member))
			.fold(Zero::zero(), |sum: BalanceOf<T>, stake| sum.saturating_add(stake))
	}

	/// The electorate of `record`, there while it is open (and counted in it).
	fn electorate_of(record: &DisputeOf<T>) -> Option<ElectorateOf<T>> {
		Electorates::<T>::get(record.session)
	}

	/// `record` has concluded: one dispute fewer for its electorate to vote on, and none
	/// left drops it.
	fn leave_electorate(record: &DisputeOf<T>) {
		Electorates::<T>::mutate_exists(record.session, |electorate| {
			if let Some(e) = electorate {
				e.open = e.open.saturating_sub(1);
				if e.open == 0 {
					*electorate = None;
				}
			}
		});
	}

	/// The round's whole-shard disputes still open to votes: a verifier recomputes them one
	/// at a time, so one opened now waits behind them (see [`Self::open_shard_dispute`]).
	/// Counted where disputes open after others of the round may be: the standbys' retry,
	/// and the audit of a bisection game's winner.
	pub(crate) fn queued_recomputes(p: &Progress<T>, now: BlockNumberFor<T>) -> u32 {
		let open = (0..p.bounty.spec.shards_per_round)
			.filter_map(|shard| match Shards::<T>::get((p.id, p.index, shard))?.outcome {
				ShardOutcome::Disputed(dispute) => Some(dispute),
				_ => None,
			})
			.filter(|dispute| !Games::<T>::contains_key(dispute))
			.filter(|dispute| {
				Disputes::<T>::get(dispute)
					.is_some_and(|d| d.status == DisputeStatus::Open && d.deadline > now)
			});
		open.count() as u32
	}

	/// Open a dispute over `shard`'s revealed roots; the shard waits for its verdict. Two
	/// roots are bisected first (`bisection.rs`), so that the vote is on one step. Any other
	/// dispute is settled by recomputing the whole shard, which a verifier does one shard at
	/// a time: `recomputes` counts those open before this one (opened in this block, or
	/// still open from earlier: [`Self::queued_recomputes`]), and each waits a vote window
	/// more than the one before it, or the last would expire before its turn; up to
	/// [`Config::MaxRecomputeQueue`] windows more, so that withheld votes cannot hold the
	/// round for a window per shard.
	pub(crate) fn open_shard_dispute(
		p: &Progress<T>,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		reason: DisputeReason,
		now: BlockNumberFor<T>,
		recomputes: &mut u32,
	) {
		let candidates = shard_candidates(state);
		let roots: Vec<H256> = candidates.iter().map(|c| c.root).collect();
		let game = Self::new_game(p, shard, state, &roots, now);
		let vote = p.bounty.spec.deadlines.vote;
		let window = |voters| match &game {
			// A game's length: the game books the window it opens when it ends; until then
			// this bounds the whole dispute.
			Some(game) => {
				Self::vote_window(now, vote.saturating_add(Self::game_blocks(game.leaves)))
			}
			None => {
				let queued = (*recomputes).min(T::MaxRecomputeQueue::get());
				*recomputes = recomputes.saturating_add(1);
				let blocks = vote.saturating_add(vote.saturating_mul(queued));
				Self::book_vote_window(now, blocks, voters)
			}
		};
		let subject = DisputeSubject::Shard(shard);
		let (dispute, _) = Self::open_dispute(p, subject, reason, candidates, window);
		if let Some(game) = game {
			Self::deposit_event(Event::BisectionOpened {
				dispute,
				roots: game.sides.clone().map(|side| side.root),
				leaves: game.leaves,
				deadline: game.deadline,
			});
			Games::<T>::insert(dispute, game);
		}
		state.outcome = ShardOutcome::Disputed(dispute);
	}

	/// The verifier reward a dispute over one shard (or the checkpoint) carries.
	pub(crate) fn dispute_reward(bounty: &BountyOf<T>) -> BalanceOf<T> {
		Self::verifier_share(&bounty.spec).saturating_mul(bounty.spec.replication.into())
	}

	/// The vote window of `blocks` blocks opened at `now`, not booked: the block sealing ends,
	/// and the dispute's deadline `VoteRevealBlocks` after it.
	pub(crate) fn vote_window(now: BlockNumberFor<T>, blocks: u32) -> VoteWindow<T> {
		let sealing_ends = after::<T>(now, blocks);
		let deadline = after::<T>(sealing_ends, T::VoteRevealBlocks::get());
		VoteWindow { sealing_ends, deadline, booked: BoundedVec::new() }
	}

	/// [`Self::vote_window`], its seals' openings booked in [`RevealsBooked`]: one for each
	/// of the `voters` that may seal (its dispute's [`Electorate`]), from the block sealing
	/// ends on, into the first block with room for
	/// them all of the [`Self::openings_per_block`] each is counted on for, whatever windows
	/// booked the rest (a window with more seals than a block holds takes as many blocks as
	/// it needs, a block's worth in each). The dispute's deadline comes `VoteRevealBlocks`
	/// after the last block its openings were booked into (an opening may be late by as many
	/// blocks less one), or at the window's own deadline when that is later.
	///
	/// Windows that close together (a cartel can end every game of a round in one block, and
	/// of many bounties in consecutive blocks) would otherwise ask for more openings than
	/// their blocks hold: the seals left shut would be penalized and the disputes left
	/// unresolved, the liars unslashed. Whole windows to a block keep what one booking writes
	/// to one block (Cohort's runtime, 78 a block, takes two windows of 32 seals), at the
	/// price of the room too small for another window. A booking passes a block without room
	/// in one read, and a stretch of [`BOOKING_STRETCH`] such blocks in one read
	/// ([`FullRevealBlocks`]); after [`BOOKING_READS`] reads it books the rest where it
	/// stands, and its deadline counts every opening booked there. That search reaches about
	/// 500 blocks ahead, where every dispute the runtime's limits allow open at once fills
	/// about 264 (`MaxActiveBounties` × (`MaxShardsPerRound` + 1) windows of 32 seals, two
	/// to a block). A dispute that concludes gives back what it booked in blocks still to come
	/// ([`Self::release_bookings`]).
	pub(crate) fn book_vote_window(
		now: BlockNumberFor<T>,
		blocks: u32,
		voters: u32,
	) -> VoteWindow<T> {
		let mut window = Self::vote_window(now, blocks);
		let Some(per_block) = Self::openings_per_block() else { return window };
		let stretch_len: BlockNumberFor<T> = BOOKING_STRETCH.into();
		let mut left = voters.min(MAX_VOTERS);
		// The openings that go into one block together.
		let chunk = left.min(per_block);
		let sealing_ends = window.sealing_ends;
		let (mut block, mut last, mut reads) = (sealing_ends, sealing_ends, 0u32);
		while left > 0 {
			let searching = reads < BOOKING_READS;
			let stretch = block / stretch_len;
			// A stretch is read only where the block read after it stays within the search.
			if (block % stretch_len).is_zero() && reads.saturating_add(2) <= BOOKING_READS {
				reads = reads.saturating_add(1);
				if FullRevealBlocks::<T>::get(stretch) >= BOOKING_STRETCH {
					block = block.saturating_add(stretch_len);
					continue;
				}
			}
			reads = reads.saturating_add(1);
			let booked = RevealsBooked::<T>::get(block);
			let take = if searching { left.min(chunk) } else { left };
			if searching && booked.saturating_add(take) > per_block {
				block = after::<T>(block, 1);
				continue;
			}
			let now_booked = booked.saturating_add(take);
			RevealsBooked::<T>::insert(block, now_booked);
			// At most one entry a seal, and `left` is at most `MAX_VOTERS`.
			let _ = window.booked.try_push((block, take));
			// The block had room for a window and has no more: it counts as full. (A set that
			// shrinks may count a block twice: its stretch is then passed early, booked later
			// than it could be, never in a block without room.)
			if booked.saturating_add(chunk) <= per_block
				&& now_booked.saturating_add(chunk) > per_block
			{
				FullRevealBlocks::<T>::mutate(stretch, |full| *full = full.saturating_add(1));
			}
			left = left.saturating_sub(take);
			// Where it stands, the openings booked there take as many blocks as they fill.
			let blocks_taken = if searching { 1 } else { now_booked.div_ceil(per_block) };
			last = after::<T>(block, blocks_taken.saturating_sub(1));
			block = after::<T>(block, 1);
		}
		window.deadline = window.deadline.max(after::<T>(last, T::VoteRevealBlocks::get()));
		window
	}

	/// Give back the openings `record`, voted on by `voters`, booked into blocks after `now`
	/// (see [`Self::book_vote_window`]): it has concluded, and no seal of it opens there. A
	/// block that had no room for a window and has now no longer counts as full in its
	/// stretch.
	fn release_bookings(record: &mut DisputeOf<T>, voters: u32, now: BlockNumberFor<T>) {
		let booked = core::mem::take(&mut record.booked);
		let Some(per_block) = Self::openings_per_block() else { return };
		let chunk = voters.min(MAX_VOTERS).min(per_block);
		let stretch_len: BlockNumberFor<T> = BOOKING_STRETCH.into();
		for (block, count) in booked.into_iter().filter(|(block, _)| *block > now) {
			let before = RevealsBooked::<T>::get(block);
			let left = before.saturating_sub(count);
			if left == 0 {
				RevealsBooked::<T>::remove(block);
			} else {
				RevealsBooked::<T>::insert(block, left);
			}
			if before.saturating_add(chunk) > per_block && left.saturating_add(chunk) <= per_block {
				FullRevealBlocks::<T>::mutate(block / stretch_len, |full| {
					*full = full.saturating_sub(1)
				});
			}
		}
	}

	/// What a conclusion costs beyond its benchmark: its electorate read and written (the
	/// count of disputes it votes on, [`Self::leave_electorate`]), each of its validators'
	/// bonds read ([`Self::weigh_votes`]); and [`Self::release_bookings`]
	/// for each block a window's openings go into (see [`Self::booking_weight`]), its bookings
	/// and its stretch's count read and written.
	pub(crate) fn releasing_weight() -> Weight {
		let filled = Self::blocks_a_window_fills();
		T::DbWeight::get().reads_writes(
			filled.saturating_mul(2).saturating_add(1).saturating_add(MAX_VOTERS.into()),
			filled.saturating_mul(2).saturating_add(1),
		)
	}

	/// The most blocks one window's openings go into: one, unless a block holds fewer than
	/// `MAX_VOTERS`.
	fn blocks_a_window_fills() -> u64 {
		u64::from(Self::openings_per_block().map_or(1, |per_block| MAX_VOTERS.div_ceil(per_block)))
	}

	/// What opening a dispute's vote window costs at most: its [`Electorate`] found (the
	/// session and its electorate read, and the set and its stakes when the session has none
	/// yet: four reads) and written; and booking it (see [`Self::book_vote_window`]):
	/// [`BOOKING_READS`] bookings read searching and one more where it stands, and for each
	/// block its openings go into (one, unless a block holds fewer than `MAX_VOTERS`), that
	/// block's bookings written and its stretch's count read and written; with committees, an
	/// audit's drawn (each validator's bond read).
	pub(crate) fn booking_weight() -> Weight {
		let filled = Self::blocks_a_window_fills();
		let drawing = if T::AuditCommittee::get() > 0 { u64::from(MAX_VOTERS) } else { 0 };
		T::DbWeight::get().reads_writes(
			u64::from(BOOKING_READS)
				.saturating_add(5)
				.saturating_add(filled)
				.saturating_add(drawing),
			filled.saturating_mul(2).saturating_add(1),
		)
	}

	/// Drop the bookings of block `now`, and of its stretch once it is the stretch's last: no
	/// window booked from now on seals before the next block. Returns what that weighs.
	pub(crate) fn drop_bookings(now: BlockNumberFor<T>) -> Weight {
		RevealsBooked::<T>::remove(now);
		let stretch_len: BlockNumberFor<T> = BOOKING_STRETCH.into();
		if (after::<T>(now, 1) % stretch_len).is_zero() {
			FullRevealBlocks::<T>::remove(now / stretch_len);
		}
		Self::dropping_weight()
	}

	/// Record the author of the block being built as the next block's [`crate::ParentAuthor`],
	/// for its recheck draws. Returns what that weighs.
	pub(crate) fn note_author() -> Weight {
		match T::BlockAuthor::get() {
			Some(author) => crate::ParentAuthor::<T>::put(author),
			None => crate::ParentAuthor::<T>::kill(),
		}
		Self::noting_weight()
	}

	/// What [`Self::note_author`] weighs: the author found (a digest read) and written.
	pub(crate) fn noting_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 1)
	}

	/// What [`Self::drop_bookings`] weighs: two removals, the stretch's charged every block.
	pub(crate) fn dropping_weight() -> Weight {
		T::DbWeight::get().writes(2)
	}

	/// What opening a seal (`reveal_vote`) weighs: its benchmark, taken at round 0, and the
	/// round before the dispute's, which `Progress::open` reads from round 1 on to find
	/// whether the dispute is about a reviewed checkpoint.
	pub(crate) fn opening_weight() -> Weight {
		T::WeightInfo::reveal_vote().saturating_add(T::DbWeight::get().reads(1))
	}

	/// How many seals a block is counted on to open: half the share of a block the hook's
	/// budget leaves (normal extrinsics' share, `frame_system`'s `BlockWeights`) over what an
	/// opening is charged. Half, because a settling pass may be charged beyond the hook's
	/// budget (its first bounty always advances), other transactions share the blocks, and
	/// the pool need not include openings in the order they were booked (one booked later,
	/// into a later block, may take a place booked for another); a window booked longer than
	/// it needs costs nothing when every seal opens, since the last one makes the dispute due
	/// at once.
	/// `None` when an opening weighs nothing (a mock runtime's weights).
	fn openings_per_block() -> Option<u32> {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let share = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
		let per_block = (share / 2).checked_div_per_component(&Self::opening_weight())?;
		Some(u32::try_from(per_block).unwrap_or(u32::MAX).max(1))
	}

	pub(crate) fn do_seal_vote(
		voter: T::AccountId,
		dispute: DisputeId,
		seal: H256,
	) -> DispatchResult {
		let mut record = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
		ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
		let electorate = Self::electorate_of(&record).ok_or(Error::<T>::NotValidator)?;
		let stake = electorate.stake_of(&voter).ok_or(Error::<T>::NotValidator)?;
		// A validator that has withdrawn its bond since its set was elected answers for nothing.
		let stake = stake.min(T::Voters::bonded(&voter));
		ensure!(!stake.is_zero(), Error::<T>::NotValidator);
		ensure!(
			record.committee.is_empty() || record.committee.contains(&voter),
			Error::<T>::NotOnCommittee
		);
		ensure!(!Self::bisecting(dispute), Error::<T>::StillBisecting);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < record.sealing_ends, Error::<T>::SealingClosed);
		ensure!(record.votes.iter().all(|v| v.voter != voter), Error::<T>::AlreadyVoted);
		record
			.votes
			.try_push(Vote { voter: voter.clone(), seal, verdict: None, stake })
			.map_err(|_| Error::<T>::TooManyVotes)?;
		Self::deposit_event(Event::VoteSealed { dispute, voter, stake });
		// Once all the stake has sealed nobody is left to wait for: votes open at once.
		let sealed = Self::stake_behind(&record, |_| true);
		if sealed >= Self::voting_stake(&record, &electorate) {
			record.sealing_ends = now;
			Self::deposit_event(Event::SealingEnded { dispute });
		}
		Disputes::<T>::insert(dispute, record);
		Ok(())
	}

	/// Open `voter`'s seal on `dispute`. The last seal opened makes the dispute due at the
	/// next block (see [`Self::all_opened`]).
	pub(crate) fn do_reveal_vote(
		voter: T::AccountId,
		dispute: DisputeId,
		verdict: Verdict,
		salt: H256,
	) -> DispatchResult {
		let mut record = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
		ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < record.deadline, Error::<T>::DisputeExpired);
		ensure!(now >= record.sealing_ends, Error::<T>::SealingOpen);
		// A shard's verdict names a revealed root. A checkpoint's may name whatever the
		// validators recomputed, claimed or not: a verifier reads the claims when it starts to
		// recompute, and a claim added after (an honest reviewer joining an accomplice's
		// bogus challenge) must not be slashed by votes for none of those it read.
		if let (Verdict::Correct(root), DisputeSubject::Shard(_)) = (verdict, record.subject) {
			ensure!(record.candidates.iter().any(|c| c.root == root), Error::<T>::UnknownRoot);
		}
		let vote =
			record.votes.iter_mut().find(|v| v.voter == voter).ok_or(Error::<T>::NotSealed)?;
		ensure!(vote.verdict.is_none(), Error::<T>::AlreadyVoted);
		let opened = cohort_primitives::vote_seal(dispute, &verdict, &salt, &voter.encode());
		ensure!(opened == vote.seal, Error::<T>::VoteSealMismatch);
		vote.verdict = Some(verdict);
		let stake = vote.stake;
		Self::deposit_event(Event::Voted { dispute, voter, verdict, stake });

		// Settling early while a seal is shut would either penalize a validator a block slow
		// to open it, or give it a free option (seal a guess, open it only if it agrees).
		if record.all_open() {
			Self::all_opened(&mut record, now);
		}
		Disputes::<T>::insert(dispute, record);
		Ok(())
	}

	/// Every seal of `record` is open at `now`, so no vote is left to wait for: the dispute
	/// becomes due at the next block, whose hook counts the votes and concludes it as at any
	/// deadline (charged there among the conclusions it has room for). The last opening
	/// weighs no more than any other, so a block holds as many openings as their weight
	/// allows, and every validator can open its seal within the window.
	fn all_opened(record: &mut DisputeOf<T>, now: BlockNumberFor<T>) {
		let due = after::<T>(now, 1);
		record.deadline = due;
		// An open dispute is about its bounty's current round, or the round before it whose
		// checkpoint is under review (and whose end `review_ends` reads from the dispute).
		let Ok(mut p) = Progress::<T>::open(record.bounty, record.round) else { return };
		let wakes = match (record.subject, &mut p.round.phase) {
			(DisputeSubject::Shard(_), RoundPhase::Settling { deadline }) => {
				*deadline = (*deadline).min(due);
				true
			}
			(DisputeSubject::Checkpoint, _) => true,
			// A shard dispute opened while standbys retry other shards of the round: the
			// round settles it when that training closes (`close_training`), not before.
			(DisputeSubject::Shard(_), _) => false,
		};
		if wakes && p.bounty.wake_at.is_none_or(|at| at > due) {
			Self::schedule(p.id, &mut p.bounty, due);
		}
		p.store();
	}

	/// The stake behind the votes of `record` that `counts`: each vote weighs its voter's
	/// stake in the dispute's [`Electorate`], whether it validates still or not (capped by
	/// what it has bonded, [`Self::weigh_votes`]).
	fn stake_behind(
		record: &DisputeOf<T>,
		counts: impl Fn(&Vote<T::AccountId, BalanceOf<T>>) -> bool,
	) -> BalanceOf<T> {
		record
			.votes
			.iter()
			.filter(|v| counts(v))
			.fold(BalanceOf::<T>::zero(), |sum, v| sum.saturating_add(v.stake))
	}

	/// The verdict whose opened votes carry more than 2/3 of the `total` stake of the
	/// dispute's electorate, if one does.
	fn winning(record: &DisputeOf<T>, total: BalanceOf<T>) -> Option<Verdict> {
		// Each verdict once, so that each voter's stake is read once.
		let mut verdicts: Vec<Verdict> = Vec::new();
		for verdict in record.votes.iter().filter_map(|v| v.verdict) {
			if !verdicts.contains(&verdict) {
				verdicts.push(verdict);
			}
		}
		verdicts.into_iter().find(|verdict| {
			let backing = Self::stake_behind(record, |v| v.verdict == Some(*verdict));
			// 3·backing > 2·total.
			backing.saturating_mul(3u32.into()) > total.saturating_mul(2u32.into())
		})
	}

	/// Cap each vote of `record` at what its voter has bonded now, and return how many
	/// validators may vote on it (its electorate, or its committee) and the stake a verdict
	/// needs more than 2/3 of: theirs, each validator's capped alike. A
	/// dispute can outlive a validator's unbonding (a queued audit's window spans sessions):
	/// one that withdrew its bond since its set was elected would otherwise vote at full
	/// weight with nothing a penalty could take, a free guess; now it weighs what it still
	/// answers with, and so do the penalties and the reward it is paid. Reads each validator's
	/// bond once.
	fn weigh_votes(record: &mut DisputeOf<T>) -> (u32, BalanceOf<T>) {
		let Some(electorate) = Self::electorate_of(record) else { return (0, Zero::zero()) };
		let committee = &record.committee;
		let weights: Vec<(T::AccountId, BalanceOf<T>)> = electorate
			.voters
			.into_iter()
			.filter(|(voter, _)| committee.is_empty() || committee.contains(voter))
			.map(|(voter, stake)| {
				let weight = stake.min(T::Voters::bonded(&voter));
				(voter, weight)
			})
			.collect();
		for vote in record.votes.iter_mut() {
			let weight = weights.iter().find(|(voter, _)| *voter == vote.voter);
			vote.stake = weight.map_or(Zero::zero(), |(_, weight)| *weight);
		}
		let total =
			weights.iter().fold(Zero::zero(), |sum: BalanceOf<T>, (_, w)| sum.saturating_add(*w));
		(weights.len() as u32, total)
	}

	/// Whoever first claimed the root `verdict` names: the author of the work that stands.
	fn author(record: &DisputeOf<T>, verdict: Verdict) -> Option<T::AccountId> {
		record
			.candidates
			.iter()
			.find(|c| verdict == Verdict::Correct(c.root))
			.and_then(|c| c.backers.first().cloned())
	}

	/// End `dispute`, whose deadline has come: settled on the votes opened by now if one
	/// verdict carries more than 2/3 of its electorate's stake (its effect applied to `p`'s round),
	/// else unresolved; either way a seal left shut costs its validator what a wrong vote
	/// does. Counts against `p.conclusions`. Returns the verdict and its author, for the
	/// caller to go on from.
	pub(crate) fn conclude(
		p: &mut Progress<T>,
		dispute: DisputeId,
	) -> Option<(Verdict, Option<T::AccountId>)> {
		let mut record = Disputes::<T>::get(dispute)?;
		if record.status != DisputeStatus::Open {
			return None;
		}
		p.conclusions = p.conclusions.saturating_sub(1);
		let (voters, total) = Self::weigh_votes(&mut record);
		Self::leave_electorate(&record);
		Self::release_bookings(&mut record, voters, frame_system::Pallet::<T>::block_number());
		let outcome = match Self::winning(&record, total) {
			Some(verdict) => {
				record.status = DisputeStatus::Settled(verdict);
				Self::settle(p, dispute, &record, verdict);
				Some((verdict, Self::author(&record, verdict)))
			}
			None => {
				record.status = DisputeStatus::Unresolved;
				Self::deposit_event(Event::DisputeUnresolved { dispute });
				Self::penalize_voters(dispute, &record, T::WrongVoteSlash::get(), |v| {
					v.verdict.is_none()
				});
				None
			}
		};
		Disputes::<T>::insert(dispute, record);
		outcome
	}

	/// Take `fraction` of its stake from each voter of `record` that `penalized`.
	fn penalize_voters(
		dispute: DisputeId,
		record: &DisputeOf<T>,
		fraction: Perbill,
		penalized: impl Fn(&Vote<T::AccountId, BalanceOf<T>>) -> bool,
	) {
		for vote in record.votes.iter().filter(|v| penalized(v)) {
			let amount = T::Voters::penalize(&vote.voter, fraction);
			Self::deposit_event(Event::VoterPenalized {
				dispute,
				voter: vote.voter.clone(),
				amount,
			});
		}
	}

	/// Apply a verdict: pay the voters who voted it, then pay the correct root's backers and
	/// slash the others (a shard), or slash the losing side (a checkpoint).
	pub(crate) fn settle(
		p: &mut Progress<T>,
		dispute: DisputeId,
		record: &DisputeOf<T>,
		verdict: Verdict,
	) {
		// The voters whose stake carried the verdict share the reward in proportion to that
		// stake, so splitting one stake across many seats earns nothing more.
		let winners: Vec<(T::AccountId, BalanceOf<T>)> = record
			.votes
			.iter()
			.filter(|v| v.verdict == Some(verdict))
			.map(|v| (v.voter.clone(), v.stake))
			.collect();
		let backing = Self::sum_of(&winners);
		// Rounded down, so the shares never add up to more than the reward.
		let mut shares: Claims<T> = winners
			.iter()
			.map(|(voter, stake)| {
				let share = Perbill::from_rational(*stake, backing.max(One::one()))
					.mul_floor(record.verifier_reward);
				(voter.clone(), share)
			})
			.collect();
		let owed = Self::sum_of(&shares);
		if record.subject == DisputeSubject::Checkpoint {
			Self::charge_refuted_unavailability(p, record, verdict, &mut shares);
		}
		// What a refuted claim did not pay, the escrow does.
		let mut paid = owed.saturating_sub(Self::sum_of(&shares));
		for (voter, share) in &shares {
			paid = paid.saturating_add(Self::pay(&mut p.bounty, voter, *share));
		}
		Self::deposit_event(Event::DisputeSettled {
			dispute,
			verdict,
			voters: winners.len() as u32,
			paid,
		});
		// A vote against the verdict costs more than the share it could have won, and so does
		// a seal left shut: guessing does not pay, nor does sealing a guess and opening it
		// only if it agrees.
		Self::penalize_voters(dispute, record, T::WrongVoteSlash::get(), |v| {
			v.verdict != Some(verdict)
		});
		if let DisputeReason::Appeal(audit) = record.reason {
			Self::judge_committee(audit, verdict);
		}

		match record.subject {
			DisputeSubject::Shard(shard) => Self::settle_shard(p, dispute, shard, verdict),
			DisputeSubject::Checkpoint => Self::settle_checkpoint(p, record, verdict),
		}
	}

	/// Judge the committee of `audit` by its appeal's `verdict`: a member that opened another
	/// verdict made the whole electorate recompute the shard and loses what a wrong vote does;
	/// one that confirmed the root the verdict rejects, [`Config::WrongConfirmationSlash`]
	/// (it would have let a wrong result through unchecked, but for the recheck).
	fn judge_committee(audit: DisputeId, verdict: Verdict) {
		let Some(record) = Disputes::<T>::get(audit) else { return };
		let confirmed = record.candidates.first().map(|candidate| Verdict::Correct(candidate.root));
		let contradicted = |v: &Vote<T::AccountId, BalanceOf<T>>, confirming: bool| {
			v.verdict.is_some_and(|opened| {
				opened != verdict && (Some(opened) == confirmed) == confirming
			})
		};
		Self::penalize_voters(audit, &record, T::WrongConfirmationSlash::get(), |v| {
			contradicted(v, true)
		});
		Self::penalize_voters(audit, &record, T::WrongVoteSlash::get(), |v| contradicted(v, false));
	}

	/// What `claims` (or stakes) add up to.
	fn sum_of<'a>(
		claims: impl IntoIterator<Item = &'a (T::AccountId, BalanceOf<T>)>,
	) -> BalanceOf<T> {
		claims.into_iter().fold(Zero::zero(), |sum, (_, owed)| sum.saturating_add(*owed))
	}

	/// The claim in `record` (a checkpoint's dispute of `p`'s round) of the round's own
	/// starting checkpoint, `H_k`, made by a challenger: it says an accepted delta could not be
	/// fetched. Without that delta nobody can recompute the proposal, and validators that
	/// cannot fetch it either abstain, so the round keeps `H_k`. An aggregator that proposed
	/// `H_k` itself makes no such claim: its proposal is judged as any other.
	fn unavailability_claim<'a>(
		p: &Progress<T>,
		record: &'a DisputeOf<T>,
	) -> Option<&'a Candidate<T::AccountId>> {
		let unavailable = p.round.checkpoint;
		record.candidates.iter().skip(1).find(|candidate| candidate.root == unavailable)
	}

	/// When `verdict` is the proposed checkpoint, an [unavailability
	/// claim](Self::unavailability_claim) was refuted: the validators fetched every delta and
	/// found the proposal right. Its one backer pays the voters' `shares` (but its own, if it
	/// voted too), out of its bond and in the escrow's place. That is the claim's whole price,
	/// not a slash: a delta's author can serve the validators and not a reviewer, and an
	/// honest reviewer must not lose its stake for that author's choice. `shares` fall by what
	/// was paid.
	fn charge_refuted_unavailability(
		p: &Progress<T>,
		record: &DisputeOf<T>,
		verdict: Verdict,
		shares: &mut Claims<T>,
	) {
		let proposed = record.candidates.first().map(|candidate| candidate.root);
		if proposed.map(Verdict::Correct) != Some(verdict) {
			return;
		}
		let Some(claim) = Self::unavailability_claim(p, record) else { return };
		let reason = SlashReason::UnavailabilityClaim { bounty: p.id, round: p.index };
		for backer in claim.backers.iter() {
			let owed = Self::sum_of(shares.iter().filter(|(voter, _)| voter != backer));
			T::Workers::charge_paying(backer, owed, reason, shares);
		}
	}

	/// Slash the backers of every checkpoint `verdict` rejects. The backers of the one the
	/// round ahead trained from pay that round's lost work out of their slash first. A claim
	/// of `H_k` that lost is priced, not slashed (see [`Self::charge_refuted_unavailability`]).
	fn settle_checkpoint(p: &Progress<T>, record: &DisputeOf<T>, verdict: Verdict) {
		let reason = SlashReason::CheckpointDispute { bounty: p.id, round: p.index };
		let ahead = p.index.saturating_add(1);
		let round_ahead = crate::Rounds::<T>::get(p.id, ahead);
		let priced = Self::unavailability_claim(p, record).map(|claim| claim.root);
		for candidate in record.candidates.iter() {
			if verdict == Verdict::Correct(candidate.root) || priced == Some(candidate.root) {
				continue;
			}
			let mut claims = match &round_ahead {
				Some(round) if round.checkpoint == candidate.root => {
					Self::voided_work(p, ahead, round, &candidate.backers)
				}
				_ => Vec::new(),
			};
			for backer in candidate.backers.iter() {
				let owed: Vec<_> = claims.iter().map(|(_, owed)| *owed).collect();
				T::Workers::slash_paying(backer, T::SlashFraction::get(), reason, &mut claims);
				for ((worker, left), before) in claims.iter().zip(owed) {
					let amount = before.saturating_sub(*left);
					if !amount.is_zero() {
						Self::deposit_event(Event::VoidedWorkPaid {
							bounty: p.id,
							round: ahead,
							worker: worker.clone(),
							from: backer.clone(),
							amount,
						});
					}
				}
			}
		}
	}

	/// What the slots of `round` (round `ahead`, which trains from a checkpoint that is
	/// falling) are owed for their lost work: each slot still open, unless it let its reveal
	/// deadline pass unrevealed (it is slashed instead), one contribution's reward; nothing to
	/// the checkpoint's own `backers`. A seal is not asked for: it proves no work, and asking for
	/// one would pay whoever seals garbage first once it sees the checkpoint fall, before the
	/// workers still training.
	fn voided_work(
		p: &Progress<T>,
		ahead: RoundIndex,
		round: &RoundOf<T>,
		backers: &[T::AccountId],
	) -> Claims<T> {
		let late = frame_system::Pallet::<T>::block_number() >= round.reveal_deadline;
		let reward = p.bounty.spec.reward_per_contribution;
		let mut claims = Vec::new();
		for shard in 0..p.bounty.spec.shards_per_round {
			let Some(state) = Shards::<T>::get((p.id, ahead, shard)) else { continue };
			let owed = state.slots.iter().filter(|slot| {
				slot.outcome == SlotOutcome::Pending
					&& !(late && slot.root.is_none())
					&& !backers.contains(&slot.worker)
			});
			claims.extend(owed.map(|slot| (slot.worker.clone(), reward)));
		}
		claims
	}

	/// Settle the slots of `shard`, disputed in `dispute`.
	fn settle_shard(p: &mut Progress<T>, dispute: DisputeId, shard: ShardIndex, verdict: Verdict) {
		let key = (p.id, p.index, shard);
		let Some(mut state) = Shards::<T>::get(key) else { return };
		let reason = SlashReason::ShardDispute { bounty: p.id, round: p.index, shard };
		for slot in state.slots.iter_mut() {
			let Some(root) = slot.root else { continue };
			if slot.outcome != SlotOutcome::Pending || verdict == Verdict::Correct(root) {
				continue;
			}
			let slashed = T::Workers::slash(&slot.worker, T::SlashFraction::get(), reason);
			Self::close_slot(slot, SlotOutcome::Slashed);
			Self::deposit_event(Event::ContributionRejected {
				bounty: p.id,
				round: p.index,
				shard,
				worker: slot.worker.clone(),
				root,
				slashed,
			});
		}
		match verdict {
			Verdict::Correct(_) if Self::audits_winner(dispute) => {
				let now = frame_system::Pallet::<T>::block_number();
				let audit = DisputeReason::Audit;
				let mut queued = Self::queued_recomputes(p, now);
				Self::open_shard_dispute(p, shard, &mut state, audit, now, &mut queued);
			}
			Verdict::Correct(root) => Self::accept_shard(p, shard, &mut state, root),
			Verdict::NoneCorrect => state.outcome = ShardOutcome::Rejected,
		}
		Shards::<T>::insert(key, state);
	}

	/// End the turn of every game of the round in `p` whose turn's deadline has come with a
	/// side that did not move (see [`Self::turn_passed`]): a side's first such turn excuses it
	/// (a missed deadline, and `bisection::GRACE_TURNS` turns' worth of blocks more);
	/// its second loses the game, settled as a vote would be. Each counts against
	/// `p.conclusions` as one conclusion: it settles no votes (none are taken while a game is
	/// played), only the slots of at most `MAX_REPLICATION` backers, far less than a
	/// conclusion's worst case of every validator's seal left shut. Games the hook has no room
	/// for are ended in a later block's hook (their deadline has passed, so the settling wakes
	/// at once).
	pub(crate) fn forfeit_due_games(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		let disputes: Vec<DisputeId> = (0..p.bounty.spec.shards_per_round)
			.filter_map(|shard| match Shards::<T>::get((p.id, p.index, shard))?.outcome {
				ShardOutcome::Disputed(dispute) => Some(dispute),
				_ => None,
			})
			.collect();
		for dispute in disputes {
			if p.conclusions == 0 {
				break;
			}
			let Some(mut record) = Disputes::<T>::get(dispute) else { continue };
			if record.status != DisputeStatus::Open {
				continue;
			}
			let Some(passed) = Self::turn_passed(dispute, now) else { continue };
			p.conclusions = p.conclusions.saturating_sub(1);
			match passed {
				TurnPassed::Excused { silent, deadline } => {
					for party in silent {
						T::Workers::deadline_missed(&party);
						Self::deposit_event(Event::BisectionTurnMissed {
							dispute,
							party,
							deadline,
						});
					}
				}
				TurnPassed::Forfeited { verdict, silent } => {
					for party in silent {
						Self::deposit_event(Event::BisectionForfeited { dispute, party });
					}
					record.status = DisputeStatus::Settled(verdict);
					Self::leave_electorate(&record);
					Self::settle(p, dispute, &record, verdict);
					Disputes::<T>::insert(dispute, record);
				}
			}
		}
	}

	/// `who`'s move in the bisection game of the open `dispute` (see [`Self::play_move`]).
	/// The move that ends the game opens the dispute's vote window: the validators have it
	/// whole for the one step left.
	pub(crate) fn do_bisect(
		who: T::AccountId,
		dispute: DisputeId,
		leaf: H256,
		proof: BoundedVec<H256, ConstU32<MAX_PROOF_DEPTH>>,
	) -> DispatchResult {
		let mut record = Disputes::<T>::get(dispute).ok_or(Error::<T>::UnknownDispute)?;
		ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
		let now = frame_system::Pallet::<T>::block_number();
		let Some(game) = Self::play_move(who, dispute, leaf, proof, now)? else { return Ok(()) };
		let vote = crate::Bounties::<T>::get(record.bounty)
			.map_or(T::MinVoteBlocks::get(), |b| b.spec.deadlines.vote);
		let voters = Self::electorate_of(&record).map_or(0, |e| e.voter_count());
		Self::book_vote_window(now, vote, voters).apply_to(&mut record);
		Disputes::<T>::insert(dispute, &record);
		Self::deposit_event(Event::BisectionNarrowed {
			dispute,
			low: game.low,
			high: game.high,
			vote_deadline: record.deadline,
		});
		Ok(())
	}

	/// Appeal `dispute` of `shard` (in `state`), due at `now`, to the whole electorate if it is
	/// an audit whose committee did not confirm the revealed root, or whose confirmation is
	/// drawn for a recheck ([`Config::RecheckRate`], from the parent block's hash: the seals
	/// were sent before it, and a block a committee member authored, whose hash the member
	/// could grind, defers the draw to the next block). It concludes unsettled and unpaid
	/// ([`DisputeStatus::Appealed`]; a seal left shut costs what it does in any dispute, the
	/// rest of the committee is judged by the appeal's verdict) and an
	/// [`DisputeReason::Appeal`] opens over the same root, with a whole vote window, queued as
	/// any whole-shard dispute. It carries the audit's verifier reward, which the committee did
	/// not earn. Counts against `p.conclusions` as the conclusion it replaces.
	fn appeal_audit(
		p: &mut Progress<T>,
		dispute: DisputeId,
		shard: ShardIndex,
		state: &mut ShardOf<T>,
		now: BlockNumberFor<T>,
	) -> AuditFate {
		let Some(mut record) = Disputes::<T>::get(dispute) else { return AuditFate::Concludes };
		if record.committee.is_empty() || record.status != DisputeStatus::Open {
			return AuditFate::Concludes;
		}
		let (voters, total) = Self::weigh_votes(&mut record);
		let revealed = record.candidates.first().map(|candidate| Verdict::Correct(candidate.root));
		let verdict = Self::winning(&record, total);
		let confirmed = verdict.is_some() && verdict == revealed;
		if confirmed {
			let authored = crate::ParentAuthor::<T>::get()
				.is_some_and(|author| record.committee.contains(&author));
			// Not for ever: where the member authors block after block (the others down), the
			// confirmation is rechecked once a reveal window has passed.
			let waited = now >= after::<T>(record.deadline, T::VoteRevealBlocks::get());
			if authored && !waited {
				// The reads above are a conclusion's worth of the hook's room.
				p.conclusions = p.conclusions.saturating_sub(1);
				return AuditFate::Deferred;
			}
			let drawn = Draw::new::<T>((b"cohort/recheck", dispute)).chance(T::RecheckRate::get());
			if !authored && !drawn {
				return AuditFate::Concludes;
			}
		}
		p.conclusions = p.conclusions.saturating_sub(1);
		Self::leave_electorate(&record);
		Self::release_bookings(&mut record, voters, now);
		Self::penalize_voters(dispute, &record, T::WrongVoteSlash::get(), |v| v.verdict.is_none());
		let mut queued = Self::queued_recomputes(p, now);
		let appeal = NextDisputeId::<T>::get();
		Self::open_shard_dispute(p, shard, state, DisputeReason::Appeal(dispute), now, &mut queued);
		record.status = DisputeStatus::Appealed(appeal);
		Disputes::<T>::insert(dispute, record);
		Self::deposit_event(Event::AuditAppealed { dispute, appeal, rechecked: confirmed });
		AuditFate::Appealed
	}

	/// Conclude the open shard disputes of the round in `p` whose deadline has come (see
	/// [`Self::conclude`]; an audit its committee did not confirm, or drawn for a recheck, is
	/// appealed instead, see [`Self::appeal_audit`]), in shard order, as many as
	/// `p.conclusions` allows. The slots of those left unresolved are void (no contribution,
	/// no worker slashed), their rewards go to the treasury.
	pub(crate) fn expire_shard_disputes(p: &mut Progress<T>, now: BlockNumberFor<T>) {
		for shard in 0..p.bounty.spec.shards_per_round {
			if p.conclusions == 0 {
				break;
			}
			let key = (p.id, p.index, shard);
			let Some(mut state) = Shards::<T>::get(key) else { continue };
			let ShardOutcome::Disputed(dispute) = state.outcome else { continue };
			let due = Disputes::<T>::get(dispute)
				.is_some_and(|d| d.status == DisputeStatus::Open && d.deadline <= now);
			if !due {
				continue;
			}
			match Self::appeal_audit(p, dispute, shard, &mut state, now) {
				AuditFate::Appealed => {
					Shards::<T>::insert(key, state);
					continue;
				}
				// Still due: the round settles on, woken at the next block.
				AuditFate::Deferred => continue,
				AuditFate::Concludes => {}
			}
			// A verdict settles the shard itself (`settle_shard`).
			if Self::conclude(p, dispute).is_some() {
				continue;
			}
			let mut void = 0u32;
			for slot in state.slots.iter_mut().filter(|s| s.outcome == SlotOutcome::Pending) {
				Self::close_slot(slot, SlotOutcome::Void);
				void = void.saturating_add(1);
			}
			// The owner received the work (the deltas were served once revealed), and nobody
			// can be shown to have earned its reward or to deserve a slash: the rewards go to
			// the treasury, not back to the owner, so that no owner gains from a dispute that
			// finds no verdict.
			let unclaimed = p.bounty.spec.reward_per_contribution.saturating_mul(void.into());
			let amount = Self::escrow_to_treasury(&mut p.bounty, unclaimed);
			Self::deposit_event(Event::UnclaimedToTreasury {
				bounty: p.id,
				round: p.index,
				amount,
			});
			state.outcome = ShardOutcome::Unresolved;
			Shards::<T>::insert(key, state);
		}
	}

	pub(crate) fn do_dispute_checkpoint(
		who: T::AccountId,
		id: BountyId,
		round: RoundIndex,
		claimed: H256,
	) -> DispatchResult {
		let mut p = Progress::<T>::open(id, round)?;
		let RoundPhase::Review { aggregator, proposed, deadline, challenge } = &mut p.round.phase
		else {
			return Err(Error::<T>::WrongPhase.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < *deadline, Error::<T>::ReviewClosed);
		ensure!(who != *aggregator, Error::<T>::NotParticipant);
		ensure!(T::Workers::is_bonded(&who), Error::<T>::NotBonded);
		ensure!(claimed != *proposed, Error::<T>::SameCheckpoint);
		let review_deadline = *deadline;
		match challenge {
			// Another challenge of the same checkpoint joins its dispute: as a backer of a
			// claim already made, or with a claim of its own.
			Some(challenge) => {
				ensure!(!challenge.challengers.contains(&who), Error::<T>::AlreadyDisputed);
				let mut record =
					Disputes::<T>::get(challenge.dispute).ok_or(Error::<T>::UnknownDispute)?;
				ensure!(record.status == DisputeStatus::Open, Error::<T>::DisputeClosed);
				let joined = match record.candidates.iter_mut().find(|c| c.root == claimed) {
					// One claim that a delta cannot be fetched is all it takes (the validators
					// fetch or abstain whoever claimed it), and it is priced, not slashed: more
					// backers would only fill the dispute's places cheaply.
					Some(_) if claimed == p.round.checkpoint => {
						return Err(Error::<T>::UnavailabilityClaimed.into())
					}
					Some(candidate) => candidate.backers.try_push(who.clone()).is_ok(),
					None => record
						.candidates
						.try_push(Candidate {
							root: claimed,
							backers: BoundedVec::truncate_from(alloc::vec![who.clone()]),
						})
						.is_ok(),
				};
				ensure!(
					joined && challenge.challengers.try_push(who.clone()).is_ok(),
					Error::<T>::TooManyChallenges
				);
				Disputes::<T>::insert(challenge.dispute, record);
			}
			None => {
				let candidates = BoundedVec::truncate_from(alloc::vec![
					Candidate {
						root: *proposed,
						backers: BoundedVec::truncate_from(alloc::vec![aggregator.clone()])
					},
					Candidate {
						root: claimed,
						backers: BoundedVec::truncate_from(alloc::vec![who.clone()])
					},
				]);
				let subject = DisputeSubject::Checkpoint;
				let vote = p.bounty.spec.deadlines.vote;
				let window = |voters| Self::book_vote_window(now, vote, voters);
				let (dispute, vote_deadline) =
					Self::open_dispute(&p, subject, DisputeReason::Checkpoint, candidates, window);
				if let RoundPhase::Review { challenge, .. } = &mut p.round.phase {
					let challengers = BoundedVec::truncate_from(alloc::vec![who.clone()]);
					*challenge = Some(Challenge { dispute, challengers });
				}
				// With the next round training meanwhile, the bounty wakes for that round,
				// which looks at when the review ends (`review_ends`) itself.
				if p.bounty.round == p.index {
					Self::schedule(id, &mut p.bounty, review_deadline.max(vote_deadline));
				}
			}
		}
		// The challenger's bond answers for its claim until the checkpoint is settled.
		T::Workers::assignment_opened(&who);
		p.store();
		Ok(())
	}
}
