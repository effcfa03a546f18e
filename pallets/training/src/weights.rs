//! The weights `pallet_training` needs from its runtime: one per call, and the block hook's
//! cost per bounty it advances.

use frame_support::weights::Weight;

/// Weight functions needed for `pallet_training`.
pub trait WeightInfo {
	/// `create_bounty` with a model config of `c` bytes.
	fn create_bounty(c: u32) -> Weight;
	fn cancel_bounty() -> Weight;
	fn top_up() -> Weight;
	fn commit() -> Weight;
	fn reveal() -> Weight;
	fn decline() -> Weight;
	fn serve_data() -> Weight;
	/// `bisect`, in its worst case: the move that ends a game and opens its vote window.
	fn bisect() -> Weight;
	/// `vote`, in its worst case: the seal that ends sealing.
	fn vote() -> Weight;
	/// `reveal_vote`, in its worst case: the opened vote that settles a shard dispute and
	/// starts the aggregation of a round of `s` shards.
	fn reveal_vote(s: u32) -> Weight;
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
	fn reveal_vote(_s: u32) -> Weight {
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
}
