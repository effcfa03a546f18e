//! The weights `pallet_training` needs from its runtime: one per call, and the block hook's
//! cost per bounty it advances.

use frame_support::weights::Weight;

/// The replication the benchmarks measure rounds at (see [`weighed_shards`]).
pub const BENCHMARK_REPLICATION: u32 = 2;

/// The shards a round of `shards` shards with `replication` slots each weighs as, in the
/// benchmarks' terms. A round's cost per shard grows with its slots (each is paid, slashed or
/// voided on its own), so a shard of `r` slots counts as `⌈r / BENCHMARK_REPLICATION⌉` of
/// the benchmarks' shards.
pub fn weighed_shards(shards: u32, replication: u32) -> u32 {
	shards.saturating_mul(replication.div_ceil(BENCHMARK_REPLICATION))
}

/// Weight functions needed for `pallet_training`.
pub trait WeightInfo {
	/// `create_bounty` with a model config of `c` bytes.
	fn create_bounty(c: u32) -> Weight;
	/// `cancel_bounty`: the rounds not started refunded, and the bounty closed.
	fn cancel_bounty() -> Weight;
	/// `top_up`: more rounds added to a bounty, their cost held from the owner.
	fn top_up() -> Weight;
	/// `commit`: one slot's seal recorded.
	fn commit() -> Weight;
	/// `reveal`: one slot's seal opened and its roots recorded.
	fn reveal() -> Weight;
	/// `decline`: a slot closed before it was committed (the barrier it may close is charged
	/// apart).
	fn decline() -> Weight;
	/// `serve_data`: the peer serving a bounty's data recorded.
	fn serve_data() -> Weight;
	/// `bisect`, in its worst case: the move that ends a game and opens its vote window.
	fn bisect() -> Weight;
	/// `vote`, in its worst case: the seal that ends sealing.
	fn vote() -> Weight;
	/// `reveal_vote`, in its worst case: the last of the most seals a dispute takes
	/// (`MAX_VOTERS`) opened, which makes the dispute due.
	fn reveal_vote() -> Weight;
	/// `commit_checkpoint`: the aggregator's proposed checkpoint recorded and its review opened.
	fn commit_checkpoint() -> Weight;
	/// `dispute_checkpoint` in a round of `s` shards.
	fn dispute_checkpoint(s: u32) -> Weight;
	/// `on_initialize` with nothing due.
	fn on_initialize_idle() -> Weight;
	/// Assigning a round of `s` shards, drawing from a full determinism class.
	fn start_round(s: u32) -> Weight;
	/// The check at the reveal deadline of a round of `s` shards, every replica accepted and
	/// paid, and the aggregator designated.
	fn check_round(s: u32) -> Weight;
	/// The check at the reveal deadline of a round of `s` shards whose every shard's
	/// replicas disagree: a dispute and a bisection game opened for each.
	fn check_round_disputed(s: u32) -> Weight;
	/// The hook at the vote deadline of `s` shard disputes on each of which the most
	/// validators (`MAX_VOTERS`) sealed a vote and none opened it: each concludes unresolved,
	/// its shut seals penalized and its slots void, and aggregation begins. What one more
	/// dispute adds is what the hook charges per dispute it concludes.
	fn settle_round(s: u32) -> Weight;
	/// The hook the block after the most validators (`MAX_VOTERS`) opened their seals on each
	/// of `s` shard disputes, three quarters of them for the honest root and the rest for
	/// the liar's: each settles, its voters paid or penalized, its liar slashed and its
	/// honest replica paid, and aggregation begins.
	fn settle_round_verdicts(s: u32) -> Weight;
}

/// For mock runtimes, whose tests check behaviour, not fees. A real runtime uses the weights
/// its benchmarks generate, as `cohort-runtime` does in `runtime/src/weights/pallet_training.rs`.
impl WeightInfo for () {
	fn create_bounty(_c: u32) -> Weight {
		Weight::zero()
	}
	fn cancel_bounty() -> Weight {
		Weight::zero()
	}
	fn top_up() -> Weight {
		Weight::zero()
	}
	fn commit() -> Weight {
		Weight::zero()
	}
	fn reveal() -> Weight {
		Weight::zero()
	}
	fn decline() -> Weight {
		Weight::zero()
	}
	fn serve_data() -> Weight {
		Weight::zero()
	}
	fn bisect() -> Weight {
		Weight::zero()
	}
	fn vote() -> Weight {
		Weight::zero()
	}
	fn reveal_vote() -> Weight {
		Weight::zero()
	}
	fn commit_checkpoint() -> Weight {
		Weight::zero()
	}
	fn dispute_checkpoint(_s: u32) -> Weight {
		Weight::zero()
	}
	fn on_initialize_idle() -> Weight {
		Weight::zero()
	}
	fn start_round(_s: u32) -> Weight {
		Weight::zero()
	}
	fn check_round(_s: u32) -> Weight {
		Weight::zero()
	}
	fn check_round_disputed(_s: u32) -> Weight {
		Weight::zero()
	}
	fn settle_round(_s: u32) -> Weight {
		Weight::zero()
	}
	fn settle_round_verdicts(_s: u32) -> Weight {
		Weight::zero()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_shard_weighs_as_many_benchmark_shards_as_its_slots_fill() {
		assert_eq!(weighed_shards(32, 1), 32);
		assert_eq!(weighed_shards(32, BENCHMARK_REPLICATION), 32);
		assert_eq!(weighed_shards(32, 3), 64);
		assert_eq!(weighed_shards(32, crate::MAX_REPLICATION), 128);
		assert_eq!(weighed_shards(u32::MAX, crate::MAX_REPLICATION), u32::MAX);
	}
}
