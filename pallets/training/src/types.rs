//! The records of the round protocol: bounties, rounds, shards and their slots, disputes.
//! Pure data; the state machine that moves them lives in `machine.rs`, with the rules for one
//! shard in `shards.rs` and for disputes in `disputes.rs`.

use cohort_primitives::chain_type;
use cohort_primitives::{
	BountySpec, DeterminismClass, DisputeId, ModelConfig, RoundIndex, ShardIndex, Verdict, H256,
};
use frame_support::{traits::ConstU32, BoundedVec};
#[cfg(feature = "std")]
use {core::fmt::Display, serde::Serialize};

/// The most replicas of one shard (r).
pub const MAX_REPLICATION: u32 = 8;
/// The most standby workers a round keeps for missed slots.
pub const MAX_STANDBYS: u32 = 16;
/// The most votes one dispute records; the active validator set must not be larger.
pub const MAX_VOTERS: u32 = 64;
/// The blocks whose full bookings of seal openings one read of `FullRevealBlocks` passes.
pub const BOOKING_STRETCH: u32 = 16;
/// The most bookings of seal openings one vote window's booking reads before it books the
/// rest where it stands (`Pallet::book_vote_window`).
pub const BOOKING_READS: u32 = 48;

chain_type! {
	/// Whether a bounty still trains.
	#[derive(Copy)]
	pub enum BountyStatus {
		/// Rounds run one after another.
		Active,
		/// Cancelled by its owner: the round in progress finishes, no further round starts.
		Cancelling,
		/// Every round ran; the last checkpoint is the result.
		Completed,
		/// Cancelled and closed; the escrow's rest went back to the owner.
		Cancelled,
		/// Closed while waiting for workers, its deposit spent on waiting fees; the escrow
		/// went back to the owner.
		Expired,
	}
}

impl BountyStatus {
	/// Whether the bounty still holds escrow and may run rounds.
	pub fn is_open(self) -> bool {
		matches!(self, Self::Active | Self::Cancelling)
	}
}

chain_type! {
	/// Where a bounty stands, in one word: the phase of its current round, `Waiting` before
	/// that round is assigned, `Finished` once the bounty is closed. Derived from the bounty and
	/// its round for the RPC view; never stored.
	#[derive(Copy)]
	pub enum Phase {
		/// Too few eligible workers; assignment is tried again later.
		Waiting,
		/// Assigned workers train, commit, then reveal.
		Training,
		/// Disputed shards wait for the validators' verdicts.
		Settling,
		/// The designated aggregator computes and commits the next checkpoint.
		Aggregating,
		/// The committed checkpoint may be disputed by the round's workers.
		Review,
		/// The bounty is closed.
		Finished,
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// A round drawn ahead of its start, apart from its shards' workers.
	pub struct NextRound<AccountId> {
		/// The determinism class it was drawn from.
		pub class: DeterminismClass,
		/// Its standbys, the fastest first.
		pub standbys: BoundedVec<AccountId, ConstU32<MAX_STANDBYS>>,
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, BlockNumber: Serialize"))
	)]
	/// Where one round stands. Each phase carries what only it has (its deadline, its
	/// aggregator), so nothing stands for "not yet".
	pub enum RoundPhase<AccountId, BlockNumber> {
		/// Assigned workers commit, then reveal, by the round's training deadlines.
		Training,
		/// Disputed shards wait for their bisection games and the validators' verdicts.
		Settling {
			/// The next block something of the round's shard disputes is due: a game's turn
			/// ends, or a vote window closes.
			deadline: BlockNumber,
		},
		/// `aggregator` computes and commits the next checkpoint before `deadline`.
		Aggregating {
			/// The worker designated to commit the next checkpoint.
			aggregator: AccountId,
			/// The first block at which its checkpoint is refused.
			deadline: BlockNumber,
			/// Its place in the line of accepted workers: the `attempt`-th designated.
			attempt: u32,
			/// Where the line starts among the accepted workers (drawn once per round).
			offset: u32,
			/// The next round, drawn when aggregation began (its shards' workers in
			/// `DrawnShards`), to start on the proposed checkpoint during the review: from
			/// that block's randomness, so that no aggregator can choose the draw by choosing
			/// the block it commits in, and from the workers eligible then, so that nobody
			/// who has seen that randomness can change who is drawn by joining, leaving or
			/// changing its class or speed. `None` when too few were eligible.
			next: Option<NextRound<AccountId>>,
		},
		/// The round's workers may dispute `proposed` until `deadline`.
		Review {
			/// The worker that committed `proposed`.
			aggregator: AccountId,
			/// The checkpoint it committed.
			proposed: H256,
			/// The first block at which `proposed` can no longer be disputed.
			deadline: BlockNumber,
			/// The dispute over `proposed`, once a worker opened one.
			challenge: Option<Challenge<AccountId>>,
		},
		/// The round produced `result`, `H_{k+1}`.
		Finished {
			/// The checkpoint the next round trains from.
			result: H256,
		},
	}
}

impl<AccountId, BlockNumber> RoundPhase<AccountId, BlockNumber> {
	/// This phase as its bounty's [`Phase`].
	pub fn summary(&self) -> Phase {
		match self {
			Self::Training => Phase::Training,
			Self::Settling { .. } => Phase::Settling,
			Self::Aggregating { .. } => Phase::Aggregating,
			Self::Review { .. } => Phase::Review,
			Self::Finished { .. } => Phase::Finished,
		}
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// The dispute of a proposed checkpoint: one dispute, however many workers challenge it,
	/// so a bogus first challenge cannot keep the honest ones out.
	pub struct Challenge<AccountId> {
		/// The dispute the validators vote on.
		pub dispute: DisputeId,
		/// The workers that challenged, in order: each backs the checkpoint it claims, and its
		/// bond answers for that claim.
		pub challengers: BoundedVec<AccountId, ConstU32<MAX_REPLICATION>>,
	}
}

chain_type! {
	/// What happened to one slot (one replica of one shard).
	#[derive(Copy)]
	pub enum SlotOutcome {
		/// Not settled yet.
		Pending,
		/// Its root was accepted and the worker paid.
		Accepted,
		/// The worker was slashed: its root lost a dispute, or its seal was never revealed.
		Slashed,
		/// The worker did not commit in time (or committed nothing it could be slashed for).
		Missed,
		/// Its dispute found no verdict in time: nobody paid, nobody slashed.
		Void,
		/// The worker declined the slot before committing: no reward, no penalty.
		Declined(DeclineReason),
	}
}

chain_type! {
	/// Why a worker declined a slot.
	#[derive(Copy)]
	pub enum DeclineReason {
		/// The bounty's dataset or checkpoint could not be fetched from anyone.
		DataUnavailable,
		/// The worker cannot train the shard within the bounty's windows, or at all (a model
		/// or batch too large for it).
		Infeasible,
	}
}

chain_type! {
	/// What happened to one shard.
	#[derive(Copy)]
	pub enum ShardOutcome {
		/// Still training.
		Pending,
		/// This root is the shard's contribution to the round.
		Accepted(H256),
		/// Waiting for the verdict of this dispute.
		Disputed(DisputeId),
		/// The verdict found no correct root.
		Rejected,
		/// The dispute ended without a verdict: no contribution, nobody slashed.
		Unresolved,
		/// Nobody revealed.
		Empty,
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// One replica of a shard: who trains it and what it committed and revealed.
	pub struct Slot<AccountId> {
		/// The assigned worker.
		pub worker: AccountId,
		/// `blake3(root ‖ trajectory ‖ salt ‖ worker)`, once committed.
		pub seal: Option<H256>,
		/// The Merkle root of the worker's delta, once revealed.
		pub root: Option<H256>,
		/// The root of the worker's training trajectory (the state after each inner step),
		/// once revealed: what a bisection of a dispute checks the worker's moves against.
		pub trajectory: Option<H256>,
		/// The worker this one replaced as a standby, if any.
		pub replaced: Option<AccountId>,
		/// Where the slot stands.
		pub outcome: SlotOutcome,
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// One shard of one round.
	pub struct ShardState<AccountId> {
		/// The dataset shard trained on.
		pub dataset_shard: u32,
		/// Its r replicas, each with a distinct worker.
		pub slots: BoundedVec<Slot<AccountId>, ConstU32<MAX_REPLICATION>>,
		/// Where the shard stands.
		pub outcome: ShardOutcome,
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, BlockNumber: Serialize"))
	)]
	/// One round of a bounty.
	pub struct RoundInfo<AccountId, BlockNumber> {
		/// The checkpoint the round trains from, `H_k`.
		pub checkpoint: H256,
		/// The determinism class every replica was drawn from.
		pub class: DeterminismClass,
		/// The block the workers were assigned.
		pub started_at: BlockNumber,
		/// The first block at which commitments are refused.
		pub commit_deadline: BlockNumber,
		/// The first block at which reveals are refused.
		pub reveal_deadline: BlockNumber,
		/// Whether missed slots were already handed to standbys (this happens once per round).
		pub retried: bool,
		/// Eligible workers left over from the draw, next in line for missed slots.
		pub standbys: BoundedVec<AccountId, ConstU32<MAX_STANDBYS>>,
		/// Contributions accepted so far.
		pub accepted: u32,
		/// Open slots of the current commit window that have neither committed nor declined.
		/// At zero the commit window closes at the next block (see `Pallet::close_barriers`).
		pub uncommitted: u32,
		/// Committed slots that have not revealed. At zero, once commits are closed, the reveal
		/// window closes at the next block.
		pub unrevealed: u32,
		/// What the round's audits are drawn from: randomness drawn as the round started, with
		/// each revealed salt mixed in (see `draw::AuditSeed`).
		pub audit_seed: H256,
		/// Where the round stands.
		pub phase: RoundPhase<AccountId, BlockNumber>,
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Display, BlockNumber: Serialize"))
	)]
	/// A training bounty.
	pub struct Bounty<AccountId, Balance, BlockNumber> {
		/// Who submitted it and pays for it.
		pub owner: AccountId,
		/// What to train and how.
		pub spec: BountySpec<Balance, ModelConfig>,
		/// Active, cancelling or closed.
		pub status: BountyStatus,
		/// The current round: stored in [`crate::Rounds`] once assigned.
		pub round: RoundIndex,
		/// The latest agreed checkpoint: `H_k` of the current round, the result once completed.
		pub checkpoint: H256,
		/// What is still held from the owner for rewards.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub escrow: Balance,
		/// What is left of the bounty's deposit, held from the owner until it closes.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub deposit: Balance,
		/// The block the current phase ends, if scheduled.
		pub wake_at: Option<BlockNumber>,
		/// The block it was created at.
		pub created_at: BlockNumber,
	}
}

chain_type! {
	/// What a dispute is about.
	#[derive(Copy)]
	pub enum DisputeSubject {
		/// The result of one shard.
		Shard(ShardIndex),
		/// The checkpoint the aggregator committed.
		Checkpoint,
	}
}

chain_type! {
	/// Why a dispute was opened.
	#[derive(Copy)]
	pub enum DisputeReason {
		/// Replicas revealed different roots.
		Disagreement,
		/// Fewer replicas revealed than were assigned.
		LoneReveal,
		/// The replicas agreed, but the shard was drawn for audit. Its committee votes (see
		/// [`Dispute::committee`]).
		Audit,
		/// A worker of the round disputed the aggregator's checkpoint.
		Checkpoint,
		/// The committee of the audit it names did not confirm the revealed root, or its
		/// confirmation was drawn for a recheck: the whole electorate recomputes the shard and
		/// votes.
		Appeal(DisputeId),
	}
}

chain_type! {
	/// Where a dispute stands.
	#[derive(Copy)]
	pub enum DisputeStatus {
		/// Validators are voting.
		Open,
		/// More than 2/3 of its electorate's stake agreed on this verdict.
		Settled(Verdict),
		/// The deadline passed without a verdict: no contribution, nobody slashed.
		Unresolved,
		/// An audit whose committee did not confirm the root by its deadline, or whose
		/// confirmation was drawn for a recheck: the dispute it names, an
		/// [`DisputeReason::Appeal`] to the whole electorate, decides the shard.
		Appealed(DisputeId),
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// One root under dispute and the workers that stand behind it.
	pub struct Candidate<AccountId> {
		/// The root (or checkpoint hash).
		pub root: H256,
		/// The workers that revealed (or committed) it.
		pub backers: BoundedVec<AccountId, ConstU32<MAX_REPLICATION>>,
	}
}

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize, Balance: Display")))]
	/// One validator's vote: sealed while the validators recompute, opened once sealing ends.
	pub struct Vote<AccountId, Balance> {
		/// The validator.
		pub voter: AccountId,
		/// `cohort_primitives::vote_seal` of its verdict.
		pub seal: H256,
		/// Its verdict, once it opened the seal.
		pub verdict: Option<Verdict>,
		/// What its vote weighs: its stake in the dispute's [`Electorate`], or what it has
		/// bonded when that is less (at its seal, and again at the count).
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub stake: Balance,
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Serialize + Display"))
	)]
	/// The validators that vote on the disputes opened in one session, as the session's first
	/// dispute found them (`VoterStake::electorate`): a validator rotated out before a dispute
	/// concludes still backs the verdict it voted, one elected after it opened has no vote on
	/// it, and the 2/3 threshold stays where it was. A session change inside a vote window
	/// would otherwise count only the new set, and leave unresolved a dispute that had its
	/// majority when it sealed (the liar unslashed).
	pub struct Electorate<AccountId, Balance> {
		/// Each validator with the stake its vote weighs; the largest stakes first, at most
		/// `MAX_VOTERS` of them (a dispute takes no more votes).
		pub voters: BoundedVec<(AccountId, Balance), ConstU32<MAX_VOTERS>>,
		/// Their summed stake, from which a verdict needs more than 2/3.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub total: Balance,
		/// The disputes it votes on still open: it is dropped when the last one concludes.
		pub open: u32,
	}
}

impl<AccountId: PartialEq, Balance: Copy> Electorate<AccountId, Balance> {
	/// What `who`'s vote weighs, if it has one.
	pub fn stake_of(&self, who: &AccountId) -> Option<Balance> {
		self.voters.iter().find_map(|(voter, stake)| (voter == who).then_some(*stake))
	}

	/// How many validators may vote.
	pub fn voter_count(&self) -> u32 {
		self.voters.len() as u32
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, Balance: Display, BlockNumber: Serialize"))
	)]
	/// A dispute the validators settle by recomputation and a stake-weighted vote.
	pub struct Dispute<AccountId, Balance, BlockNumber> {
		/// The bounty.
		pub bounty: cohort_primitives::BountyId,
		/// The round.
		pub round: RoundIndex,
		/// A shard's result or the round's checkpoint.
		pub subject: DisputeSubject,
		/// Why it was opened.
		pub reason: DisputeReason,
		/// The roots in question.
		pub candidates: BoundedVec<Candidate<AccountId>, ConstU32<MAX_REPLICATION>>,
		/// The session it opened in, whose [`Electorate`] votes on it.
		pub session: u32,
		/// The validators of that electorate drawn to vote on it, an audit's committee: only
		/// they may vote, and a verdict needs more than 2/3 of their stake. Empty: the whole
		/// electorate votes. A committee can only confirm the root: any other outcome, and a
		/// confirmation drawn for a recheck, is appealed to the whole electorate
		/// ([`DisputeStatus::Appealed`]).
		pub committee: BoundedVec<AccountId, ConstU32<MAX_VOTERS>>,
		/// The votes so far.
		pub votes: BoundedVec<Vote<AccountId, Balance>, ConstU32<MAX_VOTERS>>,
		/// The first block at which seals are refused and votes may be opened: the end of the
		/// vote window, or the block in which validators holding all its electorate's stake
		/// had sealed. While a bisection game is played, the latest its game and vote window
		/// together can end; from the game's end, the end of a whole vote window.
		pub sealing_ends: BlockNumber,
		/// The first block at which votes are refused, and at whose hook the dispute is
		/// settled or left unresolved on the votes opened by then: `VoteRevealBlocks` after the
		/// vote window or later, as far as it takes for the windows closing together to open
		/// every seal (`RevealsBooked`); the block after the last seal opened when that is
		/// sooner.
		pub deadline: BlockNumber,
		/// The blocks its seal openings were booked into, with how many in each
		/// (`RevealsBooked`), while its window's length is final and it is open: given back
		/// when it concludes, so that a dispute ended early keeps no room from later windows.
		pub booked: BoundedVec<(BlockNumber, u32), ConstU32<MAX_VOTERS>>,
		/// Shared by the voters on the settled side.
		#[cfg_attr(feature = "std", serde(serialize_with = "cohort_primitives::json::display"))]
		pub verifier_reward: Balance,
		/// Open, settled or unresolved.
		pub status: DisputeStatus,
	}
}

impl<AccountId, Balance, BlockNumber> Dispute<AccountId, Balance, BlockNumber> {
	/// Whether it has seals and every one of them is open: no vote is left to wait for.
	pub fn all_open(&self) -> bool {
		!self.votes.is_empty() && self.votes.iter().all(|v| v.verdict.is_some())
	}
}

/// The most siblings a trajectory proof has: enough for `2^32` leaves, far more than
/// `MaxInnerSteps + 1`.
pub const MAX_PROOF_DEPTH: u32 = 32;

chain_type! {
	#[cfg_attr(feature = "std", serde(bound(serialize = "AccountId: Serialize")))]
	/// One side of a bisection game: a root under dispute and the replicas that play for it.
	pub struct Side<AccountId> {
		/// The workers that revealed `root`, all with `trajectory`: any of them moves for the
		/// side (their leaves are the same, so one that stays silent cannot lose the game for
		/// the others).
		pub backers: BoundedVec<AccountId, ConstU32<MAX_REPLICATION>>,
		/// The delta root they revealed: a candidate of the dispute.
		pub root: H256,
		/// The trajectory root they revealed with it: every move is proven against this.
		pub trajectory: H256,
		/// Its leaf at the game's `high` position; `None` while `high` is the delta itself,
		/// where the side's claim is `root`.
		pub at_high: Option<H256>,
		/// Its leaf at the current midpoint, once it has moved this turn.
		pub moved: Option<H256>,
		/// Whether it has let a turn of this game pass already: it was given its grace, and
		/// the next turn it lets pass loses the game.
		pub excused: bool,
	}
}

chain_type! {
	#[cfg_attr(
		feature = "std",
		serde(bound(serialize = "AccountId: Serialize, BlockNumber: Serialize"))
	)]
	/// A bisection game between the two replicas of a shard that revealed different roots.
	///
	/// Positions: `0` is the round's checkpoint (both trained from it: the chain names it),
	/// `i + 1` is leaf `i` of the trajectories (the state after `i` inner steps, `0 ≤ i ≤
	/// leaves − 1`), and `leaves + 1` is the delta (where the sides are known to differ).
	/// Each turn both sides reveal their leaf at the midpoint of `low` and `high`, with a proof
	/// against their trajectory root; equal leaves move `low` up, different ones move `high`
	/// down. When `high = low + 1` the game has found the one transition the validators check:
	/// from the agreed state at `low` to the sides' claims at `high`.
	pub struct Bisection<AccountId, BlockNumber> {
		/// The two sides, in the dispute's candidate order.
		pub sides: [Side<AccountId>; 2],
		/// How many leaves each trajectory has: the bounty's inner steps + 1.
		pub leaves: u32,
		/// The last position both sides agree on.
		pub low: u32,
		/// Their common leaf at `low`; `None` at position 0, the round's checkpoint.
		pub agreed: Option<H256>,
		/// The first position they are known to differ at.
		pub high: u32,
		/// The first block at which the current turn's moves are refused; a side that has not
		/// moved by then is given one grace a game, and loses the second time. Meaningless
		/// once the game is over.
		pub deadline: BlockNumber,
		/// Whether the winner is audited before it is paid, drawn when the game opened (in the
		/// block that checked the round, like every other audit), so that nobody who steers
		/// the block that ends the game steers the audit too.
		pub audited: bool,
	}
}

impl<AccountId, BlockNumber> Bisection<AccountId, BlockNumber> {
	/// Whether the game has narrowed the dispute to one transition.
	pub fn is_over(&self) -> bool {
		self.high <= self.low.saturating_add(1)
	}

	/// The position the current turn reveals.
	pub fn midpoint(&self) -> u32 {
		self.low + (self.high - self.low) / 2
	}

	/// How many turns a game over `leaves` leaves takes at most: `⌈log2(leaves + 1)⌉`.
	pub fn max_turns(leaves: u32) -> u32 {
		let span = leaves.saturating_add(1);
		u32::BITS - span.saturating_sub(1).leading_zeros()
	}
}
