//! A training bounty's specification, as its submitter writes it and the chain stores it.

use crate::chain_type;
use crate::Requirements;
#[cfg(feature = "std")]
use core::fmt::Display;
use sp_arithmetic::{Perbill, Percent};
use sp_core::{bounded::BoundedVec, ConstU32, H256};

/// The longest model configuration a bounty may carry, in bytes.
pub const MAX_MODEL_CONFIG_LEN: u32 = 1024;

/// A model configuration as the chain stores it.
pub type ModelConfig = BoundedVec<u8, ConstU32<MAX_MODEL_CONFIG_LEN>>;

chain_type! {
	/// The model families workers know how to train.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum Architecture {
		/// A multi-layer perceptron.
		Mlp,
		/// A small character-level transformer.
		CharTransformer,
	}
}

chain_type! {
	/// The model to train. `Bytes` is `Vec<u8>` in a call and a bounded vector in storage.
	#[cfg_attr(feature = "std", serde(bound(serialize = "Bytes: AsRef<[u8]>")))]
	pub struct ModelSpec<Bytes> {
		/// The model family.
		pub architecture: Architecture,
		/// The family's configuration (sizes, layers), encoded as the worker defines it.
		#[cfg_attr(feature = "std", serde(serialize_with = "crate::json::hex"))]
		pub config: Bytes,
		/// blake3 hash of the initial checkpoint, `H_0`.
		pub initial_checkpoint: H256,
	}
}

chain_type! {
	/// The data to train on.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub struct DatasetSpec {
		/// blake3 content hash of the published dataset.
		pub hash: H256,
		/// How many shards the dataset splits into. Round `k`'s shard `s` trains on dataset shard
		/// `(k * shards_per_round + s) % shards`.
		pub shards: u32,
	}
}

chain_type! {
	/// The optimizer of the inner steps.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum Optimizer {
		/// Plain stochastic gradient descent.
		Sgd,
		/// Adam with decoupled weight decay.
		AdamW,
	}
}

chain_type! {
	/// How one round of training runs on each shard.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub struct HyperParams {
		/// Optimizer steps per shard per round.
		pub inner_steps: u32,
		/// Examples per step.
		pub batch_size: u32,
		/// Learning rate of the inner optimizer.
		pub inner_learning_rate: Perbill,
		/// Learning rate applied to the aggregated delta (1 = plain averaging).
		pub outer_learning_rate: Perbill,
		/// The inner optimizer.
		pub optimizer: Optimizer,
	}
}

chain_type! {
	/// How the accepted deltas of a round combine into the next checkpoint.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum Aggregation {
		/// The mean of every delta.
		Mean,
		/// The coordinate-wise median.
		Median,
		/// The coordinate-wise mean after dropping `trim` of the values at each end (under 50%).
		TrimmedMean {
			/// Share of values dropped at each end.
			trim: Percent,
		},
	}
}

chain_type! {
	/// How many blocks each phase of a round lasts. Every value must lie within the runtime's
	/// bounds.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub struct Deadlines {
		/// Blocks from assignment to the last block a commitment is accepted.
		pub commit: u32,
		/// Blocks after the commit deadline in which seals are revealed.
		pub reveal: u32,
		/// Blocks validators have to vote on a dispute.
		pub vote: u32,
		/// Blocks the designated aggregator has to commit the next checkpoint.
		pub checkpoint: u32,
		/// Blocks in which a committed checkpoint may be disputed.
		pub review: u32,
	}
}

chain_type! {
	/// Everything a submitter decides about a bounty.
	#[cfg_attr(feature = "std", serde(bound(serialize = "Balance: Display, Bytes: AsRef<[u8]>")))]
	pub struct BountySpec<Balance, Bytes> {
		/// The model to train.
		pub model: ModelSpec<Bytes>,
		/// The data to train on.
		pub dataset: DatasetSpec,
		/// Per-shard training parameters.
		pub hyper: HyperParams,
		/// How many rounds to train.
		pub rounds: u32,
		/// Shards trained in each round.
		pub shards_per_round: u32,
		/// Workers that train each shard independently (r); at least 1.
		pub replication: u32,
		/// How a round's deltas combine.
		pub aggregation: Aggregation,
		/// Probability that a shard whose replicas agree is disputed anyway, against collusion.
		pub audit_rate: Perbill,
		/// Phase lengths in blocks.
		pub deadlines: Deadlines,
		/// Paid for each accepted contribution.
		#[cfg_attr(feature = "std", serde(serialize_with = "crate::json::display"))]
		pub reward_per_contribution: Balance,
		/// Who may be assigned.
		pub requirements: Requirements,
	}
}

impl<Balance, Bytes> BountySpec<Balance, Bytes> {
	/// The same spec with its model config converted, for example from a call's `Vec<u8>` into
	/// a bounded storage vector; `None` when the conversion fails.
	pub fn try_map_config<Other>(
		self,
		f: impl FnOnce(Bytes) -> Option<Other>,
	) -> Option<BountySpec<Balance, Other>> {
		let BountySpec {
			model,
			dataset,
			hyper,
			rounds,
			shards_per_round,
			replication,
			aggregation,
			audit_rate,
			deadlines,
			reward_per_contribution,
			requirements,
		} = self;
		Some(BountySpec {
			model: ModelSpec {
				architecture: model.architecture,
				config: f(model.config)?,
				initial_checkpoint: model.initial_checkpoint,
			},
			dataset,
			hyper,
			rounds,
			shards_per_round,
			replication,
			aggregation,
			audit_rate,
			deadlines,
			reward_per_contribution,
			requirements,
		})
	}
}

chain_type! {
	/// A validator's verdict on a dispute.
	#[derive(Copy)]
	#[cfg_attr(feature = "std", derive(serde::Deserialize))]
	pub enum Verdict {
		/// This root (one of the dispute's candidates) is the correct result.
		Correct(H256),
		/// No candidate is correct.
		NoneCorrect,
	}
}
