//! # Training pallet
//!
//! Training bounties and the round protocol that turns them into checkpoints, with every
//! contribution committed, checked, paid or slashed on chain.
//!
//! ## A bounty
//! `create_bounty` stores a [`BountySpec`] and holds its whole cost from the owner: for each
//! round, `shards × r` contributions at `reward_per_contribution`, plus the verifier share
//! ([`Config::VerifierShare`] of a reward) for `(2 × shards + 1) × r` slots: every shard may be
//! disputed twice (a bisection game, then the audit of its winner) and the round's checkpoint
//! once. Payments come out of this escrow; what a round does
//! not spend goes back to the owner when the round ends. `top_up` adds rounds (and their cost);
//! `cancel_bounty` returns the cost of rounds not started at once and lets the round in
//! progress finish. `serve_data` records which libp2p peer serves the bounty's dataset and
//! initial checkpoint (`DataServers`), so workers can ask it directly.
//!
//! ## A round: states and transitions
//! Each bounty runs one round at a time; the round's [`RoundPhase`] carries the deadline of the
//! phase it is in (a block number: the first block at which the phase's action is refused). A
//! phase ends when the pallet's `on_initialize` reaches that deadline, or earlier when a call
//! completes it (the last commit or reveal of a round, the aggregator's checkpoint) or
//! brings it forward (the last seal opened on a dispute makes it due at the next block).
//! Every transition is in
//! `machine.rs`; the rules for one shard are in `shards.rs`, for disputes in `disputes.rs`.
//!
//! 1. **Waiting → Training (assign).** Every shard of round `k` goes to `r` distinct eligible
//!    workers of one determinism class that meet the bounty's requirements, drawn from on-chain
//!    randomness; leftover eligible workers become standbys. With fewer than `r` eligible
//!    workers the bounty stays `Waiting` ([`Event::RoundWaiting`]) and tries again after
//!    [`Config::WaitingRetryBlocks`].
//! 2. **Training: commit.** Before the commit deadline each assigned worker calls `commit` with
//!    `seal = blake3(root ‖ trajectory ‖ salt ‖ account)` (`root`: its delta's Merkle root;
//!    `trajectory`: the root of its training state after every inner step), naming the
//!    checkpoint it trained from; anything but the round's `H_k` is refused as stale.
//! 3. **Training: reveal.** From the commit deadline to the reveal deadline it calls `reveal`
//!    with `(root, trajectory, salt)`; the chain recomputes the seal. Both windows also close
//!    at a barrier: when no slot can still commit, the commit deadline moves to the next block
//!    (the reveal window keeps its length, [`Event::CommitsClosed`]); when every committed slot
//!    has revealed, so does the reveal deadline ([`Event::RevealsClosed`]).
//! 4. **Check (at the reveal deadline).** A shard whose `r` replicas revealed one root is
//!    accepted and its workers paid, unless an audit is drawn (at the bounty's audit rate).
//!    An audit is voted on by a committee of [`Config::AuditCommittee`] validators drawn by
//!    stake; it can only confirm the root: anything else, and a confirmation drawn for a
//!    recheck ([`Config::RecheckRate`]), is appealed to the whole electorate (a
//!    [`DisputeReason::Appeal`]), whose verdict also judges the committee.
//!    A slot that did not commit or reveal counts as a missed deadline; once per round, missed
//!    slots go to standbys, who get a fresh commit and reveal window. A slot that committed a
//!    seal and did not reveal it also loses [`Config::SlashFraction`] of its bond: that is a
//!    seal copied from another worker (its copier cannot open it) or a result withheld after
//!    seeing the others' reveals (the reveal window is at least [`Config::MinRevealBlocks`]).
//!    A worker that stops before committing only misses. Disagreeing roots, a lone reveal or
//!    an audit open a [`Dispute`]; a shard nobody revealed is empty.
//! 5. **Settling.** A dispute over exactly two roots is first narrowed by a bisection game
//!    between one worker of each (`bisect`, see `bisection.rs`): turn by turn they reveal their
//!    trajectories' leaves at a midpoint until one step is left that they part at, so that
//!    validators recompute one inner step, not the shard; a side that lets a turn of
//!    [`Config::MoveBlocks`] pass is given one grace a game (a missed deadline, and a few turns'
//!    worth of blocks more), and loses as if voted down the second time. Then (at once for any
//!    other dispute) the validators active when it opened (its session's `Electorate`) `vote`
//!    a verdict: the correct root, or none, sealed first and opened once sealing ends. The
//!    next block's hook after every seal opened (or the one at the deadline) counts the
//!    votes: once more than 2/3 of that electorate's stake agrees, the verdict settles: backers of the correct root are paid, every other
//!    revealer loses
//!    [`Config::SlashFraction`] of its bond, and the voters on the settled side share the
//!    verifier reward. A dispute without a verdict is unresolved: no contribution, nobody
//!    slashed. Vote windows that close together are lengthened so that every seal has room
//!    to open in the blocks before its deadline ([`RevealsBooked`]).
//! 6. **Aggregating.** One accepted (and still bonded) worker, drawn at random, is designated to
//!    `commit_checkpoint` the combination of the accepted deltas (the bounty's aggregation rule);
//!    it cannot unbond until its checkpoint is settled. If it misses its
//!    deadline another is designated, up to [`Config::MaxAggregatorAttempts`]; after that, or
//!    with nothing accepted, the round ends with `H_{k+1} = H_k`.
//! 7. **Review.** Until the review deadline any bonded worker assigned in the round may
//!    `dispute_checkpoint` with the hash it computed; the validators settle it like a shard
//!    dispute. The surviving checkpoint becomes `H_{k+1}` (or the bounty completes: the last
//!    round's checkpoint is the result). The next round does not wait for the review: it is
//!    assigned as soon as the checkpoint is committed and trains from it, so the review window
//!    overlaps its training. It is drawn when aggregation began, from that block's randomness
//!    and the workers eligible then ([`DrawnShards`]), so that neither the aggregator (by
//!    choosing its block) nor a worker (by moving once it has seen the randomness) can choose
//!    who works next. It cannot close before the review ends; if the checkpoint does not
//!    stand, the round is voided
//!    ([`Event::RoundVoided`]: its open slots close unpaid and unslashed, but a slot that missed
//!    the reveal deadline is slashed as ever) and starts again from the checkpoint that did.
//!    Whoever backed the checkpoint that fell pays for the voided work: its slash first pays
//!    each voided slot (but one that missed its reveal) the slot's reward, pro rata if it
//!    does not cover them all ([`Event::VoidedWorkPaid`]), and only the rest goes to the
//!    treasury. A review that ends
//!    without a verdict voids the round with nobody shown wrong, and nobody pays. While it
//!    trains, `bounty.round` is the new round and the reviewed round is the one before it.
//!
//! ## Bounds
//! Every stored record is bounded, and `on_initialize` only touches the bounties scheduled for
//! its block (at most [`Config::MaxActiveBounties`]), each for at most
//! [`Config::MaxShardsPerRound`] shards of at most [`MAX_REPLICATION`] slots.
//!
//! ## Randomness
//! Assignment and the aggregator are drawn from [`Config::Randomness`]; the runtime uses
//! [`ParentHashRandomness`], which a block author can bias by choosing what its block contains.
//! Audits, which decide whether a result is checked, are drawn from the round's audit seed
//! instead: that randomness drawn as the round starts, with every revealed salt mixed in, so
//! that nobody who does not hold every slot of the round can choose it (`draw::AuditSeed`).

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod assignment;
mod bisection;
mod disputes;
mod draw;
mod escrow;
mod machine;
mod pruning;
pub mod runtime_api;
mod schedule;
mod shards;
mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use cohort_primitives::{
	BountyId, BountySpec, DisputeId, RoundIndex, ShardIndex, Verdict, VoterStake, WorkerRegistry,
};
pub use draw::ParentHashRandomness;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_system::pallet_prelude::BlockNumberFor;

/// The balance type of rewards.
pub type BalanceOf<T> = <T as Config>::Balance;
/// A bounty as stored.
pub type BountyOf<T> =
	Bounty<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// A round as stored.
pub type RoundOf<T> = RoundInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A shard as stored.
pub type ShardOf<T> = ShardState<<T as frame_system::Config>::AccountId>;
/// A dispute as stored.
pub type DisputeOf<T> =
	Dispute<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// An electorate as stored.
pub type ElectorateOf<T> = Electorate<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
/// A bisection game as stored.
pub type GameOf<T> = Bisection<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A bounty spec as stored.
pub type SpecOf<T> = BountySpec<BalanceOf<T>, cohort_primitives::ModelConfig>;
/// A bounty spec as a call carries it: the model config is a plain vector, checked against
/// [`cohort_primitives::MAX_MODEL_CONFIG_LEN`] with a named error.
pub type SpecInput<T> = BountySpec<BalanceOf<T>, alloc::vec::Vec<u8>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use cohort_primitives::{
		checked_addresses, checked_peer_id, Aggregation, ModelConfig, PeerId, PeerRecord, H256,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible, Randomness},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{One, Saturating, Zero},
		Perbill, Percent,
	};

	/// The layout of this pallet's storage. Layouts may change freely until the first public
	/// network launches; from then on every change bumps this with a migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The balance type of rewards.
		type Balance: frame_support::traits::tokens::Balance;

		/// The currency escrows are held in.
		type Currency: fungible::Inspect<Self::AccountId, Balance = Self::Balance>
			+ fungible::InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::MutateHold<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// The worker registry: who may be drawn, and slashing.
		type Workers: WorkerRegistry<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The validators that vote on disputes, with their stake.
		type Voters: VoterStake<Self::AccountId, BalanceOf<Self>>;

		/// Source of the draws for assignments and aggregators, and of each round's audit seed
		/// before the workers' salts are mixed in.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The most bounties training at once; also bounds the bounties advanced per block.
		#[pallet::constant]
		type MaxActiveBounties: Get<u32>;

		/// The most rounds one bounty may have.
		#[pallet::constant]
		type MaxRounds: Get<u32>;

		/// The most shards per round.
		#[pallet::constant]
		type MaxShardsPerRound: Get<u32>;

		/// The shortest phase a bounty may ask for, in blocks.
		#[pallet::constant]
		type MinPhaseBlocks: Get<u32>;

		/// The longest phase a bounty may ask for, in blocks.
		#[pallet::constant]
		type MaxPhaseBlocks: Get<u32>;

		/// The shortest reveal window a bounty may ask for, in blocks. A seal still closed at
		/// the reveal deadline is slashed, and workers reveal once they see the commit deadline
		/// finalized: the window must outlast finality's lag and the reveal's inclusion.
		#[pallet::constant]
		type MinRevealBlocks: Get<u32>;

		/// The shortest vote window a bounty may ask for, in blocks: validators recompute the
		/// disputed work and vote within it. A dispute without a verdict pays nobody, so a
		/// window too short to vote in would let a submitter keep work it received.
		#[pallet::constant]
		type MinVoteBlocks: Get<u32>;

		/// The shortest aggregator's and review windows a bounty may ask for, in blocks: the
		/// aggregator and the reviewers fetch every accepted delta and combine them within it.
		#[pallet::constant]
		type MinReviewBlocks: Get<u32>;

		/// The most inner steps per round a bounty may ask for: what a verifier recomputes for
		/// a disputed shard is bounded by it.
		#[pallet::constant]
		type MaxInnerSteps: Get<u32>;

		/// The largest batch a bounty may ask for.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Blocks a waiting bounty waits before trying to assign again.
		#[pallet::constant]
		type WaitingRetryBlocks: Get<u32>;

		/// Held from a bounty's owner while the bounty is open, besides its escrow: it pays the
		/// waiting fees and answers for the records the bounty keeps. What is left of it comes
		/// back when the bounty closes.
		#[pallet::constant]
		type BountyDeposit: Get<BalanceOf<Self>>;

		/// Taken from the deposit, to [`Config::Treasury`], each time a waiting bounty fails
		/// to find its workers: holding a place among the `MaxActiveBounties` costs this much
		/// per `WaitingRetryBlocks`. A bounty whose deposit cannot pay it expires.
		#[pallet::constant]
		type WaitingFee: Get<BalanceOf<Self>>;

		/// Where escrow that nobody earned and the owner may not take back goes: the rewards of
		/// slots whose dispute found no verdict, and waiting fees.
		type Treasury: Get<Self::AccountId>;

		/// The most bounties the block hook advances in one block, as far as its weight budget
		/// (what normal extrinsics leave of the block) goes; the rest wait a block, so a burst
		/// of deadlines does not crowd out extrinsics.
		#[pallet::constant]
		type MaxBountiesPerBlock: Get<u32>;

		/// The smallest reward per contribution.
		#[pallet::constant]
		type MinReward: Get<BalanceOf<Self>>;

		/// The verifier reward of a disputed slot, as a share of the contribution reward.
		#[pallet::constant]
		type VerifierShare: Get<Perbill>;

		/// The share of its bond a worker loses with a dispute, or with a seal it never reveals.
		#[pallet::constant]
		type SlashFraction: Get<Perbill>;

		/// The share of its bond a worker loses for a slot it neither committed nor declined by
		/// the commit deadline: a worker that is up commits, or declines what it cannot do.
		#[pallet::constant]
		type MissedSlashFraction: Get<Perbill>;

		/// The aggregator's fee, as a share of the contribution reward, paid when its checkpoint
		/// becomes the round's result (to the challenger, if a challenge replaces it).
		#[pallet::constant]
		type AggregatorShare: Get<Perbill>;

		/// The share of its stake a validator loses for voting against a settled verdict, or
		/// for a sealed vote it never opened: guessing must cost more than the verifier share
		/// it could win.
		#[pallet::constant]
		type WrongVoteSlash: Get<Perbill>;

		/// How many validators, drawn by stake from the electorate, recompute an audited shard
		/// and vote on it. An audit of honest work is what most disputes are, and one that
		/// every validator recomputes costs the network as many times the shard's training:
		/// its committee confirms the root alone. A committee can only confirm: any other
		/// outcome (a vote against the root, too few votes by the deadline) is appealed to
		/// the whole electorate, so that no committee slashes a worker; a member whose vote
		/// the appeal's verdict contradicts loses [`Config::WrongVoteSlash`]. A confirmation is
		/// rechecked at [`Config::RecheckRate`]. The committee is drawn, after the reveals, in
		/// proportion to stake, so it is a cheater's accomplice with the probability of the
		/// stake that colludes (see `docs/threat-model.md`). 0, or at least the electorate's
		/// size: the whole electorate votes on every audit.
		#[pallet::constant]
		type AuditCommittee: Get<u32>;

		/// The chance that an audit its committee confirmed is appealed to the whole
		/// electorate all the same: without it a confirmation is never checked, so a member
		/// would risk nothing confirming a wrong root (for a bribe, or without recomputing).
		/// Drawn from the parent block's hash in the block that counts the committee's votes,
		/// after they were sealed; not from a block a member authored (see
		/// [`Config::BlockAuthor`]).
		#[pallet::constant]
		type RecheckRate: Get<Perbill>;

		/// The author of the block being built, if known: the block hook records it, so that
		/// no recheck is drawn from the hash of a block its committee member authored and
		/// could have ground (re-signing it until the draw spares its confirmation).
		type BlockAuthor: Get<Option<Self::AccountId>>;

		/// The share of its stake a committee member loses when the whole electorate rejects a
		/// root it confirmed: with [`Config::RecheckRate`], what confirming a wrong root risks
		/// must outweigh any bribe a cheater can afford (at most the reward it would keep).
		#[pallet::constant]
		type WrongConfirmationSlash: Get<Perbill>;

		/// The blocks validators have to open their sealed votes once the vote window has
		/// ended (see `reveal_vote`). A reveal needs no recomputation and is sent from the best
		/// block: the window covers the block that closed sealing reaching the verifier, a
		/// reorganisation and a resend. The least: windows that close together get longer, as
		/// far as their openings need blocks ([`RevealsBooked`]).
		#[pallet::constant]
		type VoteRevealBlocks: Get<u32>;

		/// The most vote windows a whole-shard dispute's window is extended by, for the
		/// disputes of its round queued before it (a verifier recomputes whole shards one at a
		/// time; see `open_shard_dispute`). Without a cap, validators holding a third of the
		/// stake who withhold their votes hold a round of `MaxShardsPerRound` such disputes
		/// for as many windows; with it, for at most this many more than one. Disputes queued
		/// beyond it share the last window, and those no verifier reaches in it end
		/// unresolved.
		#[pallet::constant]
		type MaxRecomputeQueue: Get<u32>;

		/// How many aggregators a round designates, one after another, before it gives up.
		#[pallet::constant]
		type MaxAggregatorAttempts: Get<u32>;

		/// The blocks each side of a bisection game has to make each move (see `bisect`). A
		/// move is a leaf and a proof the worker already holds, sent from the best block: the
		/// window covers the block that opened the turn reaching the worker, and inclusion.
		#[pallet::constant]
		type MoveBlocks: Get<u32>;

		/// The blocks a finished bounty's records (the bounty, its rounds, shards, disputes and
		/// games) stay in state before they are removed in blocks' idle weight. Its events,
		/// and archive nodes, keep its history afterwards.
		#[pallet::constant]
		type RetentionBlocks: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls and of its block hook, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The escrowed rewards of a bounty, held from its owner.
		#[codec(index = 0)]
		Escrow,
		/// A bounty's deposit, held from its owner while the bounty is open.
		#[codec(index = 1)]
		Deposit,
	}

	/// The id the next bounty gets.
	#[pallet::storage]
	pub type NextBountyId<T> = StorageValue<_, BountyId, ValueQuery>;

	/// Every bounty, finished ones included until `RetentionBlocks` after they finish.
	#[pallet::storage]
	pub type Bounties<T: Config> = StorageMap<_, Twox64Concat, BountyId, BountyOf<T>, OptionQuery>;

	/// Who serves an open bounty's dataset and initial checkpoint, as its owner last said
	/// through [`Pallet::serve_data`]: workers dial this peer for the bounty's data, so they
	/// find it before the DHT has a provider record and after the server moves. Removed when
	/// the bounty closes (its bounded size is covered by the bounty's deposit).
	#[pallet::storage]
	pub type DataServers<T: Config> =
		StorageMap<_, Twox64Concat, BountyId, PeerRecord, OptionQuery>;

	/// How many bounties are active or cancelling.
	#[pallet::storage]
	pub type ActiveBounties<T> = StorageValue<_, u32, ValueQuery>;

	/// Every round that has started (of a bounty not yet pruned).
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BountyId,
		Twox64Concat,
		RoundIndex,
		RoundOf<T>,
		OptionQuery,
	>;

	/// The shards of every round that has started.
	#[pallet::storage]
	pub type Shards<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, BountyId>,
			NMapKey<Twox64Concat, RoundIndex>,
			NMapKey<Twox64Concat, ShardIndex>,
		),
		ShardOf<T>,
		OptionQuery,
	>;

	/// The workers of each shard of a bounty's next round, drawn when aggregation began (see
	/// `RoundPhase::Aggregating::next`); taken when that round starts on the proposed
	/// checkpoint, dropped when it does not.
	#[pallet::storage]
	pub type DrawnShards<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BountyId,
		Twox64Concat,
		ShardIndex,
		BoundedVec<T::AccountId, ConstU32<MAX_REPLICATION>>,
		OptionQuery,
	>;

	/// The id the next dispute gets.
	#[pallet::storage]
	pub type NextDisputeId<T> = StorageValue<_, DisputeId, ValueQuery>;

	/// The author of the block before the one being built, while the block hook advances
	/// bounties (the hook records its own block's author last): an audit's recheck is drawn
	/// from the parent block's hash, which its author could grind, so not while a member of
	/// the audit's committee authored it.
	#[pallet::storage]
	pub type ParentAuthor<T: Config> = StorageValue<_, T::AccountId, OptionQuery>;

	/// Every dispute, settled ones included, until its bounty is pruned.
	#[pallet::storage]
	pub type Disputes<T: Config> =
		StorageMap<_, Twox64Concat, DisputeId, DisputeOf<T>, OptionQuery>;

	/// The [`Electorate`] of each session with a dispute open that opened in it.
	#[pallet::storage]
	pub type Electorates<T: Config> =
		StorageMap<_, Twox64Concat, u32, ElectorateOf<T>, OptionQuery>;

	/// The disputes of each bounty, so that they are pruned with it.
	#[pallet::storage]
	pub type BountyDisputes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BountyId, Twox64Concat, DisputeId, (), OptionQuery>;

	/// Finished bounties waiting to be pruned, in the order they finished, each with the
	/// block it finished at: entry `head` is the oldest, `tail` the next free
	/// ([`RetiringRange`]).
	#[pallet::storage]
	pub type Retiring<T: Config> =
		StorageMap<_, Twox64Concat, u32, (BountyId, BlockNumberFor<T>), OptionQuery>;

	/// `(head, tail)` of [`Retiring`].
	#[pallet::storage]
	pub type RetiringRange<T> = StorageValue<_, (u32, u32), ValueQuery>;

	/// The seal openings booked into a block: one for each validator that may seal each vote
	/// window whose booking found room there (see `Pallet::book_vote_window`). Lowered when a
	/// dispute that booked it concludes before it comes (`Dispute::booked`), removed when it
	/// comes: no window booked later can seal before it.
	#[pallet::storage]
	pub type RevealsBooked<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, u32, ValueQuery>;

	/// How many blocks of each stretch of [`BOOKING_STRETCH`] blocks (block `b` is in stretch
	/// `b / BOOKING_STRETCH`) are booked full in [`RevealsBooked`], so that a booking passes
	/// a full stretch in one read. Removed when the stretch's last block comes.
	#[pallet::storage]
	pub type FullRevealBlocks<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, u32, ValueQuery>;

	/// The bisection game of every shard dispute over two roots, kept with its dispute.
	#[pallet::storage]
	pub type Games<T: Config> = StorageMap<_, Twox64Concat, DisputeId, GameOf<T>, OptionQuery>;

	/// The bounties whose phase ends at a block. A bounty is listed at most once, at its
	/// `wake_at`, so no list outgrows `MaxActiveBounties`.
	#[pallet::storage]
	pub type Wakeups<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<BountyId, T::MaxActiveBounties>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	// Each variant's doc names its fields, as polkadot.js shows them beside it.
	#[allow(missing_docs)]
	pub enum Event<T: Config> {
		/// `owner` created `bounty`; `escrow` is held for its rewards.
		BountyCreated { bounty: BountyId, owner: T::AccountId, escrow: BalanceOf<T> },
		/// The owner added `rounds` rounds (now `total`), holding `amount` more.
		BountyToppedUp { bounty: BountyId, rounds: u32, total: u32, amount: BalanceOf<T> },
		/// The owner cancelled; `refund` (the cost of rounds not started) went back at once.
		BountyCancelled { bounty: BountyId, refund: BalanceOf<T> },
		/// The bounty closed as `status` with `checkpoint` as its result; `refund` went back to
		/// its owner.
		BountyFinished {
			bounty: BountyId,
			status: BountyStatus,
			checkpoint: H256,
			refund: BalanceOf<T>,
		},
		/// Only `eligible` workers qualify where `needed` are: the round waits.
		RoundWaiting { bounty: BountyId, round: RoundIndex, eligible: u32, needed: u32 },
		/// A round started from `checkpoint` with workers of `class`; `standbys` take over
		/// missed slots.
		RoundStarted {
			bounty: BountyId,
			round: RoundIndex,
			checkpoint: H256,
			class: cohort_primitives::DeterminismClass,
			commit_deadline: BlockNumberFor<T>,
			reveal_deadline: BlockNumberFor<T>,
			standbys: alloc::vec::Vec<T::AccountId>,
		},
		/// `shard` (dataset shard `dataset_shard`) went to `workers`.
		ShardAssigned {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			dataset_shard: u32,
			workers: alloc::vec::Vec<T::AccountId>,
		},
		/// `worker` committed `seal`.
		Committed {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			seal: H256,
		},
		/// `worker` revealed `root`, trained along `trajectory`.
		Revealed {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			root: H256,
			trajectory: H256,
		},
		/// `worker` missed its commit or reveal deadline.
		DeadlineMissed {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
		},
		/// The slot of `from` went to the standby `to`, which commits and reveals by the new
		/// deadlines.
		SlotReassigned {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			from: T::AccountId,
			to: T::AccountId,
		},
		/// Every open slot committed or declined: reveals open at `commit_deadline`, and the
		/// reveal window, its length kept, ends at `reveal_deadline`.
		CommitsClosed {
			bounty: BountyId,
			round: RoundIndex,
			commit_deadline: BlockNumberFor<T>,
			reveal_deadline: BlockNumberFor<T>,
		},
		/// Every committed slot revealed: the round is checked at `reveal_deadline`.
		RevealsClosed { bounty: BountyId, round: RoundIndex, reveal_deadline: BlockNumberFor<T> },
		/// Missed slots went to standbys; the round's deadlines moved.
		RoundExtended {
			bounty: BountyId,
			round: RoundIndex,
			commit_deadline: BlockNumberFor<T>,
			reveal_deadline: BlockNumberFor<T>,
		},
		/// `worker`'s `root` was accepted and `reward` paid.
		ContributionAccepted {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			root: H256,
			reward: BalanceOf<T>,
		},
		/// `worker`'s `root` lost its dispute; `slashed` was taken from its bond.
		ContributionRejected {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			root: H256,
			slashed: BalanceOf<T>,
		},
		/// Nobody revealed a result for `shard`.
		ShardEmpty { bounty: BountyId, round: RoundIndex, shard: ShardIndex },
		/// A dispute opened; validators seal their votes and open them until `deadline`.
		DisputeOpened {
			dispute: DisputeId,
			bounty: BountyId,
			round: RoundIndex,
			subject: DisputeSubject,
			reason: DisputeReason,
			deadline: BlockNumberFor<T>,
		},
		/// `voter` sealed its vote on `dispute` with `stake`.
		VoteSealed { dispute: DisputeId, voter: T::AccountId, stake: BalanceOf<T> },
		/// `voter` opened its sealed vote: `verdict`, with `stake`.
		Voted { dispute: DisputeId, voter: T::AccountId, verdict: Verdict, stake: BalanceOf<T> },
		/// Validators holding all its electorate's stake have sealed their votes on `dispute`: they
		/// may open them at once.
		SealingEnded { dispute: DisputeId },
		/// More than 2/3 of its electorate's stake agreed on `verdict`; `voters` on its side shared
		/// `paid`.
		DisputeSettled { dispute: DisputeId, verdict: Verdict, voters: u32, paid: BalanceOf<T> },
		/// The deadline passed without a verdict: no contribution, no worker slashed.
		DisputeUnresolved { dispute: DisputeId },
		/// The committee of audit `dispute` did not confirm its root, or (`rechecked`) its
		/// confirmation was drawn for a recheck: `appeal`, open to the whole electorate,
		/// decides the shard.
		AuditAppealed { dispute: DisputeId, appeal: DisputeId, rechecked: bool },
		/// `aggregator` must commit the round's checkpoint before `deadline`.
		AggregatorDesignated {
			bounty: BountyId,
			round: RoundIndex,
			aggregator: T::AccountId,
			deadline: BlockNumberFor<T>,
		},
		/// `aggregator` did not commit a checkpoint in time.
		AggregatorMissed { bounty: BountyId, round: RoundIndex, aggregator: T::AccountId },
		/// The aggregator committed `checkpoint`; it may be disputed until `review_deadline`.
		CheckpointCommitted {
			bounty: BountyId,
			round: RoundIndex,
			checkpoint: H256,
			review_deadline: BlockNumberFor<T>,
		},
		/// `round` ended with `checkpoint` as `H_{k+1}` and `accepted` paid contributions;
		/// `refund`, what the round did not spend, went back to the owner.
		RoundFinished {
			bounty: BountyId,
			round: RoundIndex,
			checkpoint: H256,
			accepted: u32,
			refund: BalanceOf<T>,
		},
		// New variants go last: the indices above are what indexers already decode.
		/// `worker` committed a seal for `shard` and did not reveal it by the deadline, and lost
		/// `slashed` of its bond.
		SealUnrevealed {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			slashed: BalanceOf<T>,
		},
		/// `worker` declined its slot of `shard`, for `reason`.
		SlotDeclined {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			reason: DeclineReason,
		},
		/// `worker` neither committed nor declined its slot of `shard` in time, and lost
		/// `slashed` of its bond.
		SlotAbandoned {
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			worker: T::AccountId,
			slashed: BalanceOf<T>,
		},
		/// A waiting bounty, or one whose round accepted nothing, paid `fee` from its deposit
		/// to the treasury for its place; `left` remains.
		WaitingFeePaid { bounty: BountyId, fee: BalanceOf<T>, left: BalanceOf<T> },
		/// `amount` of the escrow, earned by nobody, went to the treasury: the rewards of the
		/// slots of `shard`, whose dispute found no verdict.
		UnclaimedToTreasury { bounty: BountyId, round: RoundIndex, amount: BalanceOf<T> },
		/// `to` was paid `fee` for the checkpoint that became the round's result.
		CheckpointFeePaid {
			bounty: BountyId,
			round: RoundIndex,
			to: T::AccountId,
			fee: BalanceOf<T>,
		},
		/// `voter` voted against the settled verdict of `dispute` and lost `amount` of its stake.
		VoterPenalized { dispute: DisputeId, voter: T::AccountId, amount: BalanceOf<T> },
		/// The owner of `bounty` said its data is served by `peer_id`.
		DataServerSet { bounty: BountyId, peer_id: PeerId },
		/// The backers of the two `roots` of `dispute` bisect their trajectories of `leaves`
		/// leaves; the first turn ends at `deadline`.
		BisectionOpened {
			dispute: DisputeId,
			roots: [H256; 2],
			leaves: u32,
			deadline: BlockNumberFor<T>,
		},
		/// `party` revealed `leaf` at `position` of its trajectory.
		BisectionMoved { dispute: DisputeId, party: T::AccountId, position: u32, leaf: H256 },
		/// The game of `dispute` found the transition from `low` to `high`; validators vote on
		/// it (sealed, then opened) until `vote_deadline`, the dispute's deadline.
		BisectionNarrowed {
			dispute: DisputeId,
			low: u32,
			high: u32,
			vote_deadline: BlockNumberFor<T>,
		},
		/// `party` backs a side of `dispute`'s game that let its turn pass for the first time
		/// in the game: it counts a missed deadline, and the turn goes on until `deadline`.
		BisectionTurnMissed { dispute: DisputeId, party: T::AccountId, deadline: BlockNumberFor<T> },
		/// `party` backs a side of `dispute`'s game that let a second turn pass, and lost.
		BisectionForfeited { dispute: DisputeId, party: T::AccountId },
		/// `round`, which trained from `checkpoint` while that checkpoint was under review, is
		/// void because the checkpoint did not stand: its `slots` open slots closed unpaid and
		/// unslashed, and the round starts again from the checkpoint that did.
		RoundVoided { bounty: BountyId, round: RoundIndex, checkpoint: H256, slots: u32 },
		/// `worker`, whose slot in `round` trained from a checkpoint that fell, was paid
		/// `amount` for the lost work out of the slash of that checkpoint's backer `from`.
		VoidedWorkPaid {
			bounty: BountyId,
			round: RoundIndex,
			worker: T::AccountId,
			from: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// A finished bounty's records were removed from state, `RetentionBlocks` after it
		/// finished.
		BountyPruned { bounty: BountyId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No bounty has this id.
		UnknownBounty,
		/// Only the bounty's owner may do this.
		NotOwner,
		/// The bounty is cancelling or closed.
		NotActive,
		/// `MaxActiveBounties` bounties are already training.
		TooManyBounties,
		/// The model config is longer than `MAX_MODEL_CONFIG_LEN` bytes.
		ModelConfigTooLong,
		/// A bounty needs at least one round.
		ZeroRounds,
		/// More rounds than `MaxRounds`.
		TooManyRounds,
		/// Shards per round must be 1 to `MaxShardsPerRound`.
		InvalidShardCount,
		/// The dataset must have at least one shard.
		EmptyDataset,
		/// The replication factor must be at least 1.
		ZeroReplication,
		/// More replicas than eligible workers can ever be (`MAX_REPLICATION`, or the most
		/// workers one determinism class can hold).
		ReplicationUnreachable,
		/// A phase is shorter than `MinPhaseBlocks` or longer than `MaxPhaseBlocks`.
		DeadlineOutOfBounds,
		/// The reward per contribution is below `MinReward`.
		RewardTooLow,
		/// Inner steps and batch size must be at least 1.
		InvalidHyperParameters,
		/// A trimmed mean must trim less than 50% at each end.
		InvalidAggregation,
		/// The required determinism class is not a well-formed name.
		InvalidClass,
		/// The bounty's cost does not fit the balance type.
		EscrowOverflow,
		/// The free balance cannot cover the escrow.
		InsufficientBalance,
		/// Not the bounty's current round.
		WrongRound,
		/// The round is not in the phase this call belongs to.
		WrongPhase,
		/// The round has no such shard.
		UnknownShard,
		/// The caller holds no open slot in this shard.
		NotAssigned,
		/// The commit deadline has passed.
		CommitDeadlinePassed,
		/// The commitment names a checkpoint other than the round's `H_k`.
		StaleCheckpoint,
		/// The slot already has a commitment.
		AlreadyCommitted,
		/// Reveals open at the commit deadline.
		RevealNotOpen,
		/// The reveal deadline has passed.
		RevealDeadlinePassed,
		/// The slot has no commitment to reveal.
		NotCommitted,
		/// The slot was already revealed.
		AlreadyRevealed,
		/// `blake3(root ‖ trajectory ‖ salt ‖ caller)` is not the committed seal.
		SealMismatch,
		/// No dispute has this id.
		UnknownDispute,
		/// Only validators of the set active when the dispute opened vote on it, and only
		/// while they have a bond left.
		NotValidator,
		/// The dispute is settled or unresolved.
		DisputeClosed,
		/// The dispute's deadline has passed.
		DisputeExpired,
		/// This validator already sealed or opened its vote on this dispute.
		AlreadyVoted,
		/// Votes are sealed until the vote window ends or every validator has sealed.
		SealingOpen,
		/// The vote window has ended, or every validator has sealed: no seal is taken now.
		SealingClosed,
		/// This validator sealed no vote on this dispute.
		NotSealed,
		/// `vote_seal(dispute, verdict, salt, caller)` is not the sealed vote.
		VoteSealMismatch,
		/// The verdict on a shard dispute names a root that is not under dispute.
		UnknownRoot,
		/// The dispute holds `MAX_VOTERS` votes.
		TooManyVotes,
		/// Only the designated aggregator commits the checkpoint.
		NotAggregator,
		/// The aggregator's deadline has passed.
		CheckpointDeadlinePassed,
		/// The review window has closed.
		ReviewClosed,
		/// The aggregator does not dispute its own checkpoint.
		NotParticipant,
		/// The claimed checkpoint is the one committed.
		SameCheckpoint,
		/// The caller already challenged this checkpoint.
		AlreadyDisputed,
		/// The disputer is not a registered worker, or is leaving: its claim must be backed by
		/// a bond.
		NotBonded,
		/// `top_up` needs at least one round.
		ZeroAmount,
		/// The reveal window is shorter than `MinRevealBlocks`.
		RevealWindowTooShort,
		/// The vote window is shorter than `MinVoteBlocks`, or than the commit window.
		VoteWindowTooShort,
		/// The aggregator's or the review window is shorter than `MinReviewBlocks`.
		ReviewWindowTooShort,
		/// More inner steps than `MaxInnerSteps`, or a batch larger than `MaxBatchSize`.
		HyperParametersTooLarge,
		/// The slot was already committed: a committed seal is revealed, not declined.
		CannotDecline,
		/// The checkpoint's dispute holds as many claims or challengers as it can.
		TooManyChallenges,
		/// The round's own starting checkpoint is claimed already in this checkpoint's
		/// dispute: one claim that a delta cannot be fetched is all it takes.
		UnavailabilityClaimed,
		/// The peer id is empty.
		EmptyPeerId,
		/// The peer id is longer than `MAX_PEER_ID_LEN` bytes.
		PeerIdTooLong,
		/// More than `MAX_ADDRESSES` addresses.
		TooManyAddresses,
		/// An address is empty or longer than `MAX_ADDRESS_LEN` bytes.
		InvalidAddress,
		/// The dispute has no bisection game.
		NoBisection,
		/// The game has already found its transition.
		BisectionOver,
		/// The current turn's deadline has passed.
		MoveDeadlinePassed,
		/// Only the game's two sides move.
		NotParty,
		/// The caller already moved this turn.
		AlreadyMoved,
		/// The proof does not place the leaf at the midpoint of the caller's trajectory.
		InvalidProof,
		/// Votes open when the dispute's bisection game is over.
		StillBisecting,
		/// Only the validators drawn to the audit's committee vote on it (until an appeal).
		NotOnCommittee,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Advance every bounty whose phase ends at this block.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Wakeups::<T>::take(now).into_inner();
			let dropped = Self::drop_bookings(now);
			let budget = Self::hook_budget();
			let mut weight = T::WeightInfo::on_initialize_idle().saturating_add(dropped);
			// At most `MaxBountiesPerBlock` advance now, and only while the hook's budget
			// lasts (the first always advances); the others a block later. Deadlines are
			// checked by the calls themselves, so a phase that ends a block late refuses
			// nothing it should have accepted.
			let mut advanced = 0u32;
			let mut deferred = Vec::new();
			for bounty in due {
				let room = budget.saturating_sub(weight);
				let used = (advanced < T::MaxBountiesPerBlock::get())
					.then(|| Self::advance(bounty, now, room, advanced == 0))
					.flatten();
				match used {
					Some(used) => {
						advanced = advanced.saturating_add(1);
						weight.saturating_accrue(used);
					}
					None => {
						weight.saturating_accrue(Self::defer(bounty, now));
						deferred.push(bounty);
					}
				}
			}
			weight.saturating_accrue(Self::put_first(&deferred, now));
			// Last, so that every draw above read the parent block's author.
			weight.saturating_accrue(Self::note_author());
			weight
		}

		/// Prune the finished bounties whose retention has passed, as far as the block's
		/// spare weight goes.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::prune(now, remaining)
		}

		fn integrity_test() {
			assert!(T::MaxActiveBounties::get() >= 1, "MaxActiveBounties must be at least 1");
			assert!(T::MaxRounds::get() >= 1, "MaxRounds must be at least 1");
			assert!(T::MaxShardsPerRound::get() >= 1, "MaxShardsPerRound must be at least 1");
			assert!(
				T::MinPhaseBlocks::get() >= 1
					&& T::MinPhaseBlocks::get() <= T::MaxPhaseBlocks::get(),
				"need 1 <= MinPhaseBlocks <= MaxPhaseBlocks"
			);
			assert!(
				(T::MinPhaseBlocks::get()..=T::MaxPhaseBlocks::get())
					.contains(&T::MinRevealBlocks::get()),
				"need MinPhaseBlocks <= MinRevealBlocks <= MaxPhaseBlocks"
			);
			assert!(T::WaitingRetryBlocks::get() >= 1, "WaitingRetryBlocks must be at least 1");
			assert!(T::MaxBountiesPerBlock::get() >= 1, "MaxBountiesPerBlock must be at least 1");
			assert!(T::VoteRevealBlocks::get() >= 1, "VoteRevealBlocks must be at least 1");
			assert!(
				T::MinVoteBlocks::get() >= T::MinPhaseBlocks::get()
					&& T::MinReviewBlocks::get() >= T::MinPhaseBlocks::get()
					&& T::MinVoteBlocks::get() <= T::MaxPhaseBlocks::get()
					&& T::MinReviewBlocks::get() <= T::MaxPhaseBlocks::get(),
				"need MinPhaseBlocks <= MinVoteBlocks, MinReviewBlocks <= MaxPhaseBlocks"
			);
			assert!(
				T::MaxAggregatorAttempts::get() >= 1,
				"MaxAggregatorAttempts must be at least 1"
			);
			assert!(T::MoveBlocks::get() >= 1, "MoveBlocks must be at least 1");
			assert!(
				T::RetentionBlocks::get() >= T::MaxPhaseBlocks::get().into(),
				"RetentionBlocks must be at least MaxPhaseBlocks"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create a bounty from `spec` and hold its whole cost from the caller (see the pallet
		/// docs for the formula), and [`Config::BountyDeposit`] besides. The first round is
		/// assigned in the next block.
		///
		/// Fails, changing nothing, with `TooManyBounties`, `ModelConfigTooLong`, `ZeroRounds`,
		/// `TooManyRounds`, `InvalidShardCount`, `EmptyDataset`, `ZeroReplication`,
		/// `ReplicationUnreachable`, `DeadlineOutOfBounds`, `RevealWindowTooShort`,
		/// `VoteWindowTooShort`, `ReviewWindowTooShort`, `RewardTooLow`,
		/// `InvalidHyperParameters`, `HyperParametersTooLarge`, `InvalidAggregation`,
		/// `InvalidClass`, `EscrowOverflow` or `InsufficientBalance`. Emits
		/// [`Event::BountyCreated`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_bounty(spec.model.config.len() as u32))]
		pub fn create_bounty(origin: OriginFor<T>, spec: SpecInput<T>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(
				ActiveBounties::<T>::get() < T::MaxActiveBounties::get(),
				Error::<T>::TooManyBounties
			);
			let spec = spec
				.try_map_config(|config| ModelConfig::try_from(config).ok())
				.ok_or(Error::<T>::ModelConfigTooLong)?;
			Self::check_spec(&spec)?;
			let escrow = Self::round_cost(&spec)
				.and_then(|cost| cost.checked_mul(&spec.rounds.into()))
				.ok_or(Error::<T>::EscrowOverflow)?;
			let deposit = T::BountyDeposit::get();
			Self::hold_escrow(&owner, escrow, deposit)?;

			let id = NextBountyId::<T>::mutate(|next| {
				let id = *next;
				*next = next.saturating_add(1);
				id
			});
			let now = frame_system::Pallet::<T>::block_number();
			let checkpoint = spec.model.initial_checkpoint;
			let mut record = Bounty {
				owner: owner.clone(),
				spec,
				status: BountyStatus::Active,
				round: 0,
				checkpoint,
				escrow,
				deposit,
				wake_at: None,
				created_at: now,
			};
			Self::schedule(id, &mut record, now.saturating_add(One::one()));
			Bounties::<T>::insert(id, record);
			ActiveBounties::<T>::mutate(|count| *count = count.saturating_add(1));
			Self::deposit_event(Event::BountyCreated { bounty: id, owner, escrow });
			Ok(())
		}

		/// Cancel a bounty: the cost of the rounds not started goes back to the owner at once;
		/// the round in progress (whose workers are already at work) finishes, and what it does
		/// not spend comes back when it ends. A bounty still waiting for workers closes at once
		/// with its whole escrow refunded. Owner only.
		///
		/// Fails with `UnknownBounty`, `NotOwner` or `NotActive`. Emits
		/// [`Event::BountyCancelled`], or [`Event::BountyFinished`] when it closes at once.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel_bounty())]
		pub fn cancel_bounty(origin: OriginFor<T>, bounty: BountyId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_active(&who, bounty)?;
			if !Rounds::<T>::contains_key(bounty, record.round) {
				Self::close(bounty, &mut record, BountyStatus::Cancelled);
				Bounties::<T>::insert(bounty, record);
				return Ok(());
			}
			let later_rounds = record.spec.rounds.saturating_sub(record.round.saturating_add(1));
			let refund = Self::round_cost(&record.spec)
				.unwrap_or_default()
				.saturating_mul(later_rounds.into());
			Self::refund(&mut record, refund);
			record.status = BountyStatus::Cancelling;
			Bounties::<T>::insert(bounty, record);
			Self::deposit_event(Event::BountyCancelled { bounty, refund });
			Ok(())
		}

		/// Add `rounds` more rounds to an active bounty, holding their cost from the owner.
		///
		/// Fails with `UnknownBounty`, `NotOwner`, `NotActive`, `ZeroAmount`, `TooManyRounds`,
		/// `EscrowOverflow` or `InsufficientBalance`. Emits [`Event::BountyToppedUp`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(origin: OriginFor<T>, bounty: BountyId, rounds: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_active(&who, bounty)?;
			ensure!(rounds > 0, Error::<T>::ZeroAmount);
			let total = record.spec.rounds.saturating_add(rounds);
			ensure!(total <= T::MaxRounds::get(), Error::<T>::TooManyRounds);
			let amount = Self::round_cost(&record.spec)
				.and_then(|cost| cost.checked_mul(&rounds.into()))
				.ok_or(Error::<T>::EscrowOverflow)?;
			Self::hold_escrow(&who, amount, Zero::zero())?;
			record.escrow = record.escrow.saturating_add(amount);
			record.spec.rounds = total;
			Bounties::<T>::insert(bounty, record);
			Self::deposit_event(Event::BountyToppedUp { bounty, rounds, total, amount });
			Ok(())
		}

		/// Commit the seal `blake3(root ‖ trajectory ‖ salt ‖ caller)` of the caller's result
		/// for `shard`,
		/// trained from `checkpoint`, before the round's commit deadline.
		///
		/// Fails with `UnknownBounty`, `WrongRound`, `WrongPhase`, `CommitDeadlinePassed`,
		/// `StaleCheckpoint` (not the round's `H_k`), `UnknownShard`, `NotAssigned` or
		/// `AlreadyCommitted`. Emits [`Event::Committed`], and [`Event::CommitsClosed`] when it
		/// was the last open slot to commit. Another replica's seal is accepted: it binds that
		/// replica's account, so a copy cannot be opened and is slashed.
		#[pallet::call_index(3)]
		#[pallet::weight((T::WeightInfo::commit().saturating_add(Pallet::<T>::barrier_weight()), DispatchClass::Operational))]
		pub fn commit(
			origin: OriginFor<T>,
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			checkpoint: H256,
			seal: H256,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_commit(worker, bounty, round, shard, checkpoint, seal)
		}

		/// Reveal the caller's delta `root`, its `trajectory` root and `salt` for `shard`,
		/// between the commit and the reveal deadline. The chain checks that they hash, with the
		/// caller's account, to the seal.
		///
		/// Fails with `UnknownBounty`, `WrongRound`, `WrongPhase`, `RevealNotOpen`,
		/// `RevealDeadlinePassed`, `UnknownShard`, `NotAssigned`, `NotCommitted`,
		/// `AlreadyRevealed` or `SealMismatch`. Emits [`Event::Revealed`], and
		/// [`Event::RevealsClosed`] when it was the last committed slot to reveal.
		#[pallet::call_index(4)]
		#[pallet::weight((T::WeightInfo::reveal().saturating_add(Pallet::<T>::barrier_weight()), DispatchClass::Operational))]
		pub fn reveal(
			origin: OriginFor<T>,
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			root: H256,
			trajectory: H256,
			salt: H256,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_reveal(worker, bounty, round, shard, root, trajectory, salt)
		}

		/// Seal a vote on `dispute`, as a validator of the set active when it opened (its
		/// session's [`Electorate`]; the vote weighs the validator's stake there): `seal` is
		/// [`cohort_primitives::vote_seal`] of the verdict, a salt and the caller's account.
		/// Seals are taken until the vote window ends, or until validators holding all that
		/// stake have sealed ([`Event::SealingEnded`]); then each validator opens its
		/// own with [`Pallet::reveal_vote`]. Sealed votes cannot be copied: a validator that
		/// wants the verifier reward must recompute the disputed work itself.
		///
		/// A seal that is counted pays no fee: voting is a validator's duty, and a fee larger
		/// than its share would make abstaining the rational choice. A seal never opened costs
		/// [`Config::WrongVoteSlash`] of the validator's stake, as a wrong vote does.
		///
		/// An audit's vote is its committee's ([`Config::AuditCommittee`]); any validator of the
		/// electorate votes on its appeal.
		///
		/// Fails with `UnknownDispute`, `NotValidator`, `NotOnCommittee`, `DisputeClosed`,
		/// `StillBisecting`, `SealingClosed`, `AlreadyVoted` or `TooManyVotes`. Emits [`Event::VoteSealed`], and
		/// [`Event::SealingEnded`] with the last stake's seal.
		#[pallet::call_index(5)]
		// Its electorate and the voter's bond read, beyond what its benchmark measured.
		#[pallet::weight((
			T::WeightInfo::vote().saturating_add(T::DbWeight::get().reads(2)),
			DispatchClass::Operational
		))]
		pub fn vote(
			origin: OriginFor<T>,
			dispute: DisputeId,
			seal: H256,
		) -> DispatchResultWithPostInfo {
			let voter = ensure_signed(origin)?;
			Self::do_seal_vote(voter, dispute, seal)?;
			Ok(Pays::No.into())
		}

		/// Open the caller's sealed vote on `dispute`: `verdict` and `salt` must give the seal
		/// it sent with [`Pallet::vote`]. Votes open once sealing has ended, until the dispute's
		/// deadline (`VoteRevealBlocks` after the vote window, or later when many windows close
		/// together: each books its openings' room in the blocks, [`RevealsBooked`]). An
		/// opened vote pays no fee.
		///
		/// Once every seal is open, the dispute is due at the next block's hook (or at its
		/// deadline with a seal left shut), which counts the votes opened: the verdict backed
		/// by more than 2/3 of its electorate's stake (its committee's, for an audit) settles it,
		/// the voters on its side share the verifier reward in proportion to their stake, and
		/// each voter against it (or whose seal stays shut) loses [`Config::WrongVoteSlash`] of its stake. A verdict on a shard
		/// names a revealed root (or none); one on a checkpoint names the checkpoint the
		/// validator recomputed, whether a challenger claimed it or not: that checkpoint
		/// stands, and the backers of every other claim are slashed. No opening counts or
		/// settles anything itself, so each weighs the same (at most six reads and five
		/// writes: the last one moves its bounty's wake-up), and a block holds as many as that
		/// allows.
		///
		/// Fails with `UnknownDispute`, `NotValidator`, `DisputeClosed`, `DisputeExpired`,
		/// `SealingOpen`, `NotSealed`, `AlreadyVoted`, `UnknownRoot` or `VoteSealMismatch`.
		/// Emits [`Event::Voted`].
		#[pallet::call_index(11)]
		#[pallet::weight((Pallet::<T>::opening_weight(), DispatchClass::Operational))]
		pub fn reveal_vote(
			origin: OriginFor<T>,
			dispute: DisputeId,
			verdict: Verdict,
			salt: H256,
		) -> DispatchResultWithPostInfo {
			let voter = ensure_signed(origin)?;
			Self::do_reveal_vote(voter, dispute, verdict, salt)?;
			Ok(Pays::No.into())
		}

		/// Commit `checkpoint` as the result of `round`, as its designated aggregator, before the
		/// aggregator's deadline. It becomes `H_{k+1}` unless disputed during the review window;
		/// the next round is assigned at once and trains from it meanwhile.
		///
		/// Fails with `UnknownBounty`, `WrongRound`, `WrongPhase`, `NotAggregator` or
		/// `CheckpointDeadlinePassed`. Emits [`Event::CheckpointCommitted`].
		#[pallet::call_index(6)]
		// The checkpoint also starts the next round, which trains while it is reviewed.
		#[pallet::weight((
			T::WeightInfo::commit_checkpoint()
				.saturating_add(T::WeightInfo::start_round(T::MaxShardsPerRound::get())),
			DispatchClass::Operational
		))]
		pub fn commit_checkpoint(
			origin: OriginFor<T>,
			bounty: BountyId,
			round: RoundIndex,
			checkpoint: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut progress = machine::Progress::<T>::current(bounty, round)?;
			let now = frame_system::Pallet::<T>::block_number();
			Self::propose_checkpoint(&mut progress, &who, checkpoint, now)?;
			progress.store();
			Ok(())
		}

		/// Dispute the committed checkpoint of `round`, claiming `claimed` is the correct one.
		/// Any bonded worker but the aggregator may: a round whose every worker colludes is
		/// still open to review by everyone else. The validators decide, and whichever hash
		/// loses costs its backer `SlashFraction` of its bond. Until then neither the disputer
		/// nor the aggregator can unbond.
		///
		/// Claiming the round's own starting checkpoint (`H_k`) says an accepted delta could
		/// not be fetched: validators that cannot fetch it either abstain, and the round keeps
		/// `H_k`. Such a claim is priced, not slashed: if the validators recompute the proposed
		/// checkpoint, its backer pays the voters' reward in the escrow's place; if they
		/// recompute another, it costs nothing. One such claim a dispute is taken.
		///
		/// The first challenge opens the checkpoint's dispute; later ones join it, backing a
		/// claim already made or adding their own, so a bogus first challenge cannot keep an
		/// honest one out.
		///
		/// Fails with `UnknownBounty`, `WrongRound`, `WrongPhase`, `ReviewClosed`,
		/// `NotParticipant` (the aggregator itself), `NotBonded`, `SameCheckpoint`,
		/// `AlreadyDisputed` (the caller already challenged), `DisputeClosed`,
		/// `UnavailabilityClaimed` or `TooManyChallenges`. Emits [`Event::DisputeOpened`] for
		/// the first.
		#[pallet::call_index(7)]
		// The first challenge books its vote window: its worst case (`booking_weight`) on top
		// of the benchmark, which books with nothing booked before.
		#[pallet::weight((
			T::WeightInfo::dispute_checkpoint(T::MaxShardsPerRound::get())
				.saturating_add(Pallet::<T>::booking_weight()),
			DispatchClass::Operational
		))]
		pub fn dispute_checkpoint(
			origin: OriginFor<T>,
			bounty: BountyId,
			round: RoundIndex,
			claimed: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute_checkpoint(who, bounty, round, claimed)
		}

		/// Decline the caller's slot of `shard` before committing it, for `reason`: the
		/// bounty's data could not be fetched, or the worker cannot train the shard within the
		/// bounty's windows. The slot closes with no reward and no slash; a standby may take it
		/// if nobody has revealed in the shard when the round retries. `Infeasible` counts
		/// toward the worker's missed deadlines in a row (it should not keep taking work it
		/// cannot do); `DataUnavailable` does not (nobody served the data).
		///
		/// Fails with `UnknownBounty`, `WrongRound`, `WrongPhase`, `CommitDeadlinePassed`,
		/// `UnknownShard`, `NotAssigned` or `CannotDecline` (already committed). Emits
		/// [`Event::SlotDeclined`], and [`Event::CommitsClosed`] when it was the last open slot.
		#[pallet::call_index(8)]
		#[pallet::weight((T::WeightInfo::decline().saturating_add(Pallet::<T>::barrier_weight()), DispatchClass::Operational))]
		pub fn decline(
			origin: OriginFor<T>,
			bounty: BountyId,
			round: RoundIndex,
			shard: ShardIndex,
			reason: DeclineReason,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_decline(worker, bounty, round, shard, reason)
		}

		/// Say where `bounty`'s dataset and initial checkpoint are served: the libp2p
		/// `peer_id` and `addresses` (binary multiaddrs) of the serving peer, replacing what
		/// was said before. Workers assigned to the bounty dial this peer for its data, so a
		/// submitter that is not a registered worker, or that restarted on a new port, is
		/// found. Owner only, while the bounty is active or cancelling (its last round may
		/// still need the data).
		///
		/// Fails, changing nothing, with `UnknownBounty`, `NotOwner`, `NotActive`,
		/// `EmptyPeerId`, `PeerIdTooLong`, `TooManyAddresses` or `InvalidAddress`. Emits
		/// [`Event::DataServerSet`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::serve_data())]
		pub fn serve_data(
			origin: OriginFor<T>,
			bounty: BountyId,
			peer_id: Vec<u8>,
			addresses: Vec<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Bounties::<T>::get(bounty).ok_or(Error::<T>::UnknownBounty)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			ensure!(record.status.is_open(), Error::<T>::NotActive);
			let peer_id = checked_peer_id(peer_id).map_err(Error::<T>::from)?;
			let addresses = checked_addresses(addresses).map_err(Error::<T>::from)?;
			DataServers::<T>::insert(bounty, PeerRecord { peer_id: peer_id.clone(), addresses });
			Self::deposit_event(Event::DataServerSet { bounty, peer_id });
			Ok(())
		}

		/// Move in the bisection game of `dispute`, as a backer of one of its two sides (the
		/// first backer's move counts for its side): reveal `leaf`, the side's leaf at the
		/// current midpoint, with `proof` (its siblings, lowest first) against the trajectory
		/// root the side revealed. Once both sides have moved the
		/// game narrows (equal leaves: the sides agree up to the midpoint; different: they
		/// differ from it on) and the next turn opens at once; the move that leaves one
		/// transition opens the dispute's vote window. A side that has not moved by the turn's
		/// deadline is given one grace a game (its backers count a missed deadline, and the turn
		/// goes on for `bisection::GRACE_TURNS` turns' worth of blocks more); the second time,
		/// it loses the game and is slashed.
		///
		/// Fails with `UnknownDispute`, `DisputeClosed`, `NoBisection`, `BisectionOver`,
		/// `MoveDeadlinePassed`, `NotParty`, `AlreadyMoved` or `InvalidProof`. Emits
		/// [`Event::BisectionMoved`], and [`Event::BisectionNarrowed`] when the game is over.
		#[pallet::call_index(10)]
		// The move that ends the game books the vote window it opens: its worst case
		// (`booking_weight`) on top of the benchmark, which books with nothing booked before.
		#[pallet::weight((
			T::WeightInfo::bisect().saturating_add(Pallet::<T>::booking_weight()),
			DispatchClass::Operational
		))]
		pub fn bisect(
			origin: OriginFor<T>,
			dispute: DisputeId,
			leaf: H256,
			proof: BoundedVec<H256, ConstU32<MAX_PROOF_DEPTH>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bisect(who, dispute, leaf, proof)
		}
	}

	impl<T: Config> Pallet<T> {
		/// Where bounty `id` stands, in one word.
		pub fn phase(id: BountyId, bounty: &BountyOf<T>) -> Phase {
			match bounty.status {
				BountyStatus::Completed | BountyStatus::Cancelled | BountyStatus::Expired => {
					Phase::Finished
				}
				BountyStatus::Active | BountyStatus::Cancelling => {
					Rounds::<T>::get(id, bounty.round)
						.map_or(Phase::Waiting, |round| round.phase.summary())
				}
			}
		}

		/// The round of bounty `id` whose checkpoint is under review while the bounty's current
		/// round trains from it (the round before the current one), with its record.
		pub fn reviewed_round(
			id: BountyId,
			bounty: &BountyOf<T>,
		) -> Option<(RoundIndex, RoundOf<T>)> {
			let previous = bounty.round.checked_sub(1)?;
			Rounds::<T>::get(id, previous)
				.filter(|round| matches!(round.phase, RoundPhase::Review { .. }))
				.map(|round| (previous, round))
		}

		/// The bounty `id`, if `who` owns it and it is active.
		fn owned_active(who: &T::AccountId, id: BountyId) -> Result<BountyOf<T>, DispatchError> {
			let bounty = Bounties::<T>::get(id).ok_or(Error::<T>::UnknownBounty)?;
			ensure!(bounty.owner == *who, Error::<T>::NotOwner);
			ensure!(bounty.status == BountyStatus::Active, Error::<T>::NotActive);
			Ok(bounty)
		}

		/// Refuse a spec outside the runtime's bounds.
		fn check_spec(spec: &BountySpec<BalanceOf<T>, ModelConfig>) -> DispatchResult {
			ensure!(spec.rounds >= 1, Error::<T>::ZeroRounds);
			ensure!(spec.rounds <= T::MaxRounds::get(), Error::<T>::TooManyRounds);
			ensure!(
				spec.shards_per_round >= 1 && spec.shards_per_round <= T::MaxShardsPerRound::get(),
				Error::<T>::InvalidShardCount
			);
			ensure!(spec.dataset.shards >= 1, Error::<T>::EmptyDataset);
			ensure!(spec.replication >= 1, Error::<T>::ZeroReplication);
			ensure!(
				spec.replication <= MAX_REPLICATION.min(T::Workers::max_per_class()),
				Error::<T>::ReplicationUnreachable
			);
			let d = &spec.deadlines;
			let in_bounds = |blocks: u32| {
				blocks >= T::MinPhaseBlocks::get() && blocks <= T::MaxPhaseBlocks::get()
			};
			ensure!(
				[d.commit, d.reveal, d.vote, d.checkpoint, d.review].into_iter().all(in_bounds),
				Error::<T>::DeadlineOutOfBounds
			);
			ensure!(d.reveal >= T::MinRevealBlocks::get(), Error::<T>::RevealWindowTooShort);
			// Validators recompute what the workers trained: they need at least the time the
			// workers had, and never less than the floor.
			ensure!(
				d.vote >= T::MinVoteBlocks::get() && d.vote >= d.commit,
				Error::<T>::VoteWindowTooShort
			);
			ensure!(
				d.checkpoint >= T::MinReviewBlocks::get() && d.review >= T::MinReviewBlocks::get(),
				Error::<T>::ReviewWindowTooShort
			);
			ensure!(spec.reward_per_contribution >= T::MinReward::get(), Error::<T>::RewardTooLow);
			ensure!(
				spec.hyper.inner_steps >= 1 && spec.hyper.batch_size >= 1,
				Error::<T>::InvalidHyperParameters
			);
			ensure!(
				spec.hyper.inner_steps <= T::MaxInnerSteps::get()
					&& spec.hyper.batch_size <= T::MaxBatchSize::get(),
				Error::<T>::HyperParametersTooLarge
			);
			if let Aggregation::TrimmedMean { trim } = spec.aggregation {
				ensure!(trim < Percent::from_percent(50), Error::<T>::InvalidAggregation);
			}
			if let Some(class) = &spec.requirements.class {
				ensure!(class.is_well_formed(), Error::<T>::InvalidClass);
			}
			Ok(())
		}

		/// The verifier reward of one disputed slot.
		pub(crate) fn verifier_share(spec: &BountySpec<BalanceOf<T>, ModelConfig>) -> BalanceOf<T> {
			T::VerifierShare::get() * spec.reward_per_contribution
		}

		/// The fee of the checkpoint that becomes a round's result.
		pub(crate) fn checkpoint_fee(spec: &BountySpec<BalanceOf<T>, ModelConfig>) -> BalanceOf<T> {
			T::AggregatorShare::get() * spec.reward_per_contribution
		}

		/// What one round can cost at most: every contribution paid, every shard and the
		/// checkpoint disputed, and the checkpoint's fee. `None` on overflow.
		pub fn round_cost(spec: &BountySpec<BalanceOf<T>, ModelConfig>) -> Option<BalanceOf<T>> {
			let slots: BalanceOf<T> = spec.shards_per_round.checked_mul(spec.replication)?.into();
			// Each shard may be disputed twice (a bisection game, then the audit of its winner),
			// the checkpoint once.
			let disputes = spec.shards_per_round.checked_mul(2)?.checked_add(1)?;
			let disputable: BalanceOf<T> = disputes.checked_mul(spec.replication)?.into();
			let rewards = slots.checked_mul(&spec.reward_per_contribution)?;
			let verifiers = disputable.checked_mul(&Self::verifier_share(spec))?;
			rewards.checked_add(&verifiers)?.checked_add(&Self::checkpoint_fee(spec))
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks the invariants: each owner's escrow hold equals the sum of its open bounties'
		/// escrows, closed bounties hold nothing, the active count matches, every scheduled
		/// bounty is listed at its `wake_at` and nowhere else, and every worker of a current
		/// round has as many open duties in the registry as the round gives it (its pending
		/// slots, aggregating a checkpoint under review or due, challenging one), and no
		/// dispute's sealing outlasts it.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			use frame_support::traits::fungible::InspectHold;
			// Per owner: escrow and deposit held for its open bounties.
			let mut held: BTreeMap<T::AccountId, (BalanceOf<T>, BalanceOf<T>)> = BTreeMap::new();
			for id in DataServers::<T>::iter_keys() {
				let open = Bounties::<T>::get(id).is_some_and(|bounty| bounty.status.is_open());
				ensure!(open, "a data server is recorded for a bounty that is not open");
			}
			let mut active = 0u32;
			for (id, bounty) in Bounties::<T>::iter() {
				if bounty.status.is_open() {
					active += 1;
				} else {
					ensure!(bounty.escrow.is_zero(), "a closed bounty still holds escrow");
					ensure!(bounty.deposit.is_zero(), "a closed bounty still holds a deposit");
					ensure!(bounty.wake_at.is_none(), "a closed bounty is scheduled");
				}
				let sum = held.entry(bounty.owner.clone()).or_default();
				sum.0 = sum.0.saturating_add(bounty.escrow);
				sum.1 = sum.1.saturating_add(bounty.deposit);
				if let Some(at) = bounty.wake_at {
					ensure!(
						Wakeups::<T>::get(at).contains(&id),
						"a bounty is missing at its wake-up"
					);
				}
			}
			ensure!(active == ActiveBounties::<T>::get(), "active bounty count is off");
			for (owner, (escrow, deposit)) in held {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &owner) == escrow,
					"escrow hold differs from the bounties' escrows"
				);
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Deposit.into(), &owner) == deposit,
					"deposit hold differs from the bounties' deposits"
				);
			}
			// The barriers' counts are the round's slots still to commit and to reveal.
			for (id, bounty) in Bounties::<T>::iter().filter(|(_, b)| b.status.is_open()) {
				let Some(round) = Rounds::<T>::get(id, bounty.round) else { continue };
				if round.phase != RoundPhase::Training {
					continue;
				}
				let (mut uncommitted, mut unrevealed) = (0u32, 0u32);
				for shard in 0..bounty.spec.shards_per_round {
					let Some(state) = Shards::<T>::get((id, bounty.round, shard)) else { continue };
					for slot in state.slots.iter().filter(|s| s.outcome == SlotOutcome::Pending) {
						match (slot.seal, slot.root) {
							(None, _) => uncommitted += 1,
							(Some(_), None) => unrevealed += 1,
							(Some(_), Some(_)) => {}
						}
					}
				}
				ensure!(round.uncommitted == uncommitted, "the uncommitted count is off");
				ensure!(round.unrevealed == unrevealed, "the unrevealed count is off");
			}
			// The next round is drawn ahead only while its current round aggregates, and then
			// for every shard.
			for (id, shard) in DrawnShards::<T>::iter_keys() {
				let bounty = Bounties::<T>::get(id).ok_or("drawn shards outlived their bounty")?;
				let phase = Rounds::<T>::get(id, bounty.round).map(|round| round.phase);
				let drawn = matches!(phase, Some(RoundPhase::Aggregating { next: Some(_), .. }));
				ensure!(drawn, "shards are drawn for a round not drawn ahead");
				ensure!(shard < bounty.spec.shards_per_round, "a drawn shard is out of range");
			}
			for (id, bounty) in Bounties::<T>::iter() {
				let Some(round) = Rounds::<T>::get(id, bounty.round) else { continue };
				if let RoundPhase::Aggregating { next: Some(_), .. } = round.phase {
					let drawn = (0..bounty.spec.shards_per_round)
						.all(|shard| DrawnShards::<T>::contains_key(id, shard));
					ensure!(drawn, "a round drawn ahead is missing a shard's workers");
				}
			}
			for (who, duties) in Self::open_duties() {
				ensure!(
					T::Workers::open_assignments(&who) == duties,
					"a worker's open duties differ from its current rounds'"
				);
			}
			for (at, ids) in Wakeups::<T>::iter() {
				for id in ids {
					let bounty = Bounties::<T>::get(id).ok_or("an unknown bounty is scheduled")?;
					ensure!(bounty.wake_at == Some(at), "a bounty is scheduled twice");
				}
			}
			// A bounty's records go with it: none outlives its pruning.
			for (id, _) in Rounds::<T>::iter_keys() {
				ensure!(Bounties::<T>::contains_key(id), "a round outlived its bounty");
			}
			for (id, dispute) in BountyDisputes::<T>::iter_keys() {
				ensure!(Bounties::<T>::contains_key(id), "a dispute outlived its bounty");
				ensure!(Disputes::<T>::contains_key(dispute), "a listed dispute is gone");
			}
			for (_, (id, _)) in Retiring::<T>::iter() {
				let closed = Bounties::<T>::get(id).is_some_and(|bounty| !bounty.status.is_open());
				ensure!(closed, "a bounty queued for pruning is open or gone");
			}
			// Votes are opened after sealing ends, before the dispute's deadline. Each session
			// with a dispute open keeps its electorate, counting them.
			let mut open: BTreeMap<u32, u32> = BTreeMap::new();
			for (_, dispute) in Disputes::<T>::iter() {
				ensure!(dispute.sealing_ends <= dispute.deadline, "sealing outlasts its dispute");
				if dispute.status == DisputeStatus::Open {
					*open.entry(dispute.session).or_default() += 1;
				}
			}
			let counted: BTreeMap<u32, u32> =
				Electorates::<T>::iter().map(|(session, e)| (session, e.open)).collect();
			ensure!(counted == open, "an electorate miscounts its open disputes");
			Ok(())
		}

		/// Every worker named in an open bounty's current round (and the round before it, whose
		/// checkpoint may be under review), with the duties the round gives it: pending slots,
		/// the aggregator's checkpoint, the challenger's claim.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn open_duties() -> alloc::collections::btree_map::BTreeMap<T::AccountId, u32> {
			let mut duties = alloc::collections::btree_map::BTreeMap::new();
			let mut add = |who: &T::AccountId, open: bool| {
				let count: &mut u32 = duties.entry(who.clone()).or_default();
				*count += u32::from(open);
			};
			for (id, bounty) in Bounties::<T>::iter() {
				if !bounty.status.is_open() {
					continue;
				}
				// The current round, and the one before it while its checkpoint is reviewed.
				let current = Rounds::<T>::get(id, bounty.round).map(|round| (bounty.round, round));
				for (index, round) in Self::reviewed_round(id, &bounty).into_iter().chain(current) {
					for shard in 0..bounty.spec.shards_per_round {
						let Some(state) = Shards::<T>::get((id, index, shard)) else { continue };
						for slot in state.slots.iter() {
							add(&slot.worker, slot.outcome == SlotOutcome::Pending);
						}
					}
					match &round.phase {
						RoundPhase::Aggregating { aggregator, next, .. } => {
							add(aggregator, true);
							// The round after it, drawn ahead: each drawn slot is a duty.
							if next.is_some() {
								for worker in DrawnShards::<T>::iter_prefix_values(id).flatten() {
									add(&worker, true);
								}
							}
						}
						RoundPhase::Review { aggregator, challenge, .. } => {
							add(aggregator, true);
							for challenger in challenge.iter().flat_map(|c| c.challengers.iter()) {
								add(challenger, true);
							}
						}
						_ => {}
					}
				}
			}
			duties
		}
	}
}

cohort_primitives::impl_from_peer_error!(Error);
