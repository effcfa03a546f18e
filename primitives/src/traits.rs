//! How `pallet-training` reaches the worker registry and the validator set. The runtime wires
//! `pallet-workers` and `pallet-validators` in; the pallets do not depend on each other.

use crate::chain_type;
use crate::{BountyId, DeterminismClass, Requirements, RoundIndex, ShardIndex};
use alloc::vec::Vec;
use sp_arithmetic::Perbill;

chain_type! {
	/// Why a worker was slashed; recorded with the slash.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum SlashReason {
		/// Its revealed root lost the dispute over a shard.
		ShardDispute {
			/// The bounty.
			bounty: BountyId,
			/// The round.
			round: RoundIndex,
			/// The shard.
			shard: ShardIndex,
		},
		/// Its checkpoint hash (as aggregator or as disputer) lost the dispute over a round's
		/// checkpoint.
		CheckpointDispute {
			/// The bounty.
			bounty: BountyId,
			/// The round.
			round: RoundIndex,
		},
		// New variants go last: `last_slash` in every stored worker record is encoded with
		// the indices above.
		/// It committed a seal for a shard and never revealed it: a seal copied from another
		/// worker (which its copier cannot open) or a result withheld after seeing the others.
		Unrevealed {
			/// The bounty.
			bounty: BountyId,
			/// The round.
			round: RoundIndex,
			/// The shard.
			shard: ShardIndex,
		},
		/// It neither committed nor declined a slot it was assigned by the commit deadline.
		Abandoned {
			/// The bounty.
			bounty: BountyId,
			/// The round.
			round: RoundIndex,
			/// The shard.
			shard: ShardIndex,
		},
		/// It challenged a round's checkpoint with the round's own starting checkpoint (`H_k`:
		/// an accepted delta could not be fetched), and the validators fetched every delta and
		/// recomputed the checkpoint proposed: it pays for their recomputation.
		UnavailabilityClaim {
			/// The bounty.
			bounty: BountyId,
			/// The round.
			round: RoundIndex,
		},
	}
}

/// A worker that may be drawn for a round, and the throughput it declared
/// ([`crate::Capabilities::gflops`]), which decides how much of a round it is given.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EligibleWorker<AccountId> {
	/// The worker's account.
	pub account: AccountId,
	/// Its declared GFLOP/s.
	pub gflops: u32,
}

/// The registry of workers, as the round protocol sees it.
pub trait WorkerRegistry<AccountId> {
	/// The balance type of worker bonds.
	type Balance;

	/// The most workers one determinism class can hold: no replication factor above it can
	/// ever be met.
	fn max_per_class() -> u32;

	/// The eligible workers (bonded, live, not leaving) that meet `requirements`, grouped by
	/// determinism class: only the required class if there is one, else every class with an
	/// eligible worker. Classes in name order, workers sorted by account; classes without an
	/// eligible worker are left out.
	fn eligible_by_class(
		requirements: &Requirements,
	) -> Vec<(DeterminismClass, Vec<EligibleWorker<AccountId>>)>;

	/// Whether `who` is eligible now and meets `requirements`.
	fn is_eligible(who: &AccountId, requirements: &Requirements) -> bool;

	/// Whether `who` is registered and not leaving: its bond can answer for a duty.
	fn is_bonded(who: &AccountId) -> bool;

	/// `who` took on a duty that can cost it a slash (a slot, aggregating a checkpoint,
	/// disputing one); its bond cannot leave until the duty is closed.
	fn assignment_opened(who: &AccountId);

	/// A duty of `who` is over: its slot paid, slashed or void, its checkpoint settled.
	fn assignment_closed(who: &AccountId);

	/// How many duties of `who` are open, as the registry counts them.
	fn open_assignments(who: &AccountId) -> u32;

	/// `who` met a deadline; its count of misses in a row starts again.
	fn deadline_met(who: &AccountId);

	/// `who` missed a deadline; enough in a row make it inactive.
	fn deadline_missed(who: &AccountId);

	/// Take `fraction` of `who`'s bond to the runtime's slash destination, for `reason`.
	/// Returns the amount taken.
	fn slash(who: &AccountId, fraction: Perbill, reason: SlashReason) -> Self::Balance {
		Self::slash_paying(who, fraction, reason, &mut [])
	}

	/// [`WorkerRegistry::slash`], paying `claims` out of what is taken first, each to its
	/// account's free balance (in full when what is taken covers them all, else pro rata);
	/// only the rest goes to the slash destination. A claim of `who` itself is not paid.
	/// Each claim's amount falls by what it was paid. Returns the amount taken.
	fn slash_paying(
		who: &AccountId,
		fraction: Perbill,
		reason: SlashReason,
		claims: &mut [(AccountId, Self::Balance)],
	) -> Self::Balance;

	/// [`WorkerRegistry::slash_paying`] for a fixed `amount` (the whole bond if it is
	/// smaller) rather than a fraction of the bond: a price, not a penalty that grows with
	/// the stake. Returns the amount taken.
	fn charge_paying(
		who: &AccountId,
		amount: Self::Balance,
		reason: SlashReason,
		claims: &mut [(AccountId, Self::Balance)],
	) -> Self::Balance;

	/// Register `who` as an eligible worker with `capabilities`, funded as needed.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &AccountId, capabilities: crate::Capabilities);

	/// The most determinism classes the registry holds at once, for benchmarks of a draw
	/// over all of them.
	#[cfg(feature = "runtime-benchmarks")]
	fn max_classes() -> u32;
}

/// The validators that vote on disputes, and the stake each vote weighs.
pub trait VoterStake<AccountId, Balance> {
	/// The session in progress. The set of the session a dispute opens in votes on it to the
	/// end, whatever happens to the set before it concludes.
	fn session() -> u32;

	/// The active validator set, each with the stake its vote weighs during this session. Read
	/// once a session at most.
	fn electorate() -> Vec<(AccountId, Balance)>;

	/// What `who` has bonded now, unbonding or not: what a penalty can take. A vote weighs no
	/// more than this, so that a validator that withdrew its bond after its session's set
	/// was elected cannot vote without answering for it.
	fn bonded(who: &AccountId) -> Balance;

	/// Take `fraction` of `who`'s stake (to the runtime's slash destination) for a vote against
	/// a settled verdict; it stays a validator. Returns the amount taken.
	fn penalize(who: &AccountId, fraction: Perbill) -> Balance;

	/// Make `who` an active validator with `stake`.
	#[cfg(feature = "runtime-benchmarks")]
	fn add_voter_for_benchmark(who: &AccountId, stake: Balance);
}
