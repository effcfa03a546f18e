//! A bounty's work as every role computes it: one shard's training (the worker contributes
//! it, a verifier recomputes it) and one round's aggregation into the next checkpoint (the
//! aggregator commits it, the round's workers and the verifiers recompute it).
//!
//! The next checkpoint is `H_{k+1} = H_k + η · agg(Δ_1 … Δ_n)`, DiLoCo's outer step with plain
//! SGD: `η` is the bounty's outer learning rate and `agg` its aggregation rule, applied to the
//! accepted deltas in shard order.

use crate::{
	aggregate::{aggregate, AggregateError},
	delta::{Delta, DeltaError},
	trainer::{self, Dataset, ModelConfig, ShardRef, TrainError, Trained},
};
use cohort_primitives::{Architecture, BountyId, BountySpec, RoundIndex, ShardIndex, H256};
use sp_arithmetic::Perbill;
use thiserror::Error;

/// A bounty's spec with the model config as plain bytes.
pub type Spec = BountySpec<u128, Vec<u8>>;

/// Why a bounty's work cannot be computed.
#[derive(Debug, Error)]
pub enum JobError {
	/// The model config is not the JSON of a model this worker knows.
	#[error("the bounty's model config is not a model this worker knows: {0}")]
	UnknownModel(String),
	/// The spec's architecture is not the one its model config describes.
	#[error("the bounty says {declared:?} but its config describes another architecture")]
	ArchitectureMismatch {
		/// The architecture the spec names.
		declared: Architecture,
	},
	/// The checkpoint's bytes are not a canonical delta.
	#[error("corrupt checkpoint: {0}")]
	CorruptCheckpoint(DeltaError),
	/// A delta's bytes are not a canonical delta.
	#[error("corrupt delta {index}: {source}")]
	CorruptDelta {
		/// Its place among the deltas given.
		index: usize,
		/// What is wrong with it.
		source: DeltaError,
	},
	/// The checkpoint (or the aggregate of the deltas) does not fit the bounty's model.
	#[error("the checkpoint does not fit the bounty's model")]
	CheckpointMismatch,
	/// Training the shard failed.
	#[error(transparent)]
	Train(#[from] TrainError),
	/// The deltas cannot be aggregated.
	#[error(transparent)]
	Aggregate(#[from] AggregateError),
}

fn rate(p: Perbill) -> f64 {
	f64::from(p.deconstruct()) / 1e9
}

/// The architecture a bounty's spec names for a model config.
pub fn architecture(config: &ModelConfig) -> Architecture {
	match config {
		ModelConfig::Mlp(_) => Architecture::Mlp,
		ModelConfig::CharTransformer(_) => Architecture::CharTransformer,
	}
}

/// One shard of a bounty's round to train from a checkpoint: what a worker's slot asks for,
/// and what a verifier recomputes to settle a dispute. One value, so that both train it the
/// same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardTask {
	/// The bounty.
	pub bounty: BountyId,
	/// The round.
	pub round: RoundIndex,
	/// The shard within the round.
	pub shard: ShardIndex,
	/// The dataset shard it trains on.
	pub dataset_shard: u32,
	/// The checkpoint it trains from, by root.
	pub checkpoint: H256,
}

/// What a bounty asks to be computed.
#[derive(Clone, Debug)]
pub struct Job {
	/// The bounty's spec.
	pub spec: Spec,
	/// Its model, parsed.
	pub config: ModelConfig,
}

impl Job {
	/// Parse the model config of `spec`.
	pub fn new(spec: Spec) -> Result<Self, JobError> {
		let config: ModelConfig = serde_json::from_slice(&spec.model.config)
			.map_err(|e| JobError::UnknownModel(e.to_string()))?;
		if architecture(&config) != spec.model.architecture {
			return Err(JobError::ArchitectureMismatch { declared: spec.model.architecture });
		}
		Ok(Self { spec, config })
	}

	/// The inner training settings.
	pub fn settings(&self) -> trainer::Settings {
		let hyper = &self.spec.hyper;
		trainer::Settings {
			steps: hyper.inner_steps,
			batch_size: hyper.batch_size as usize,
			optimizer: hyper.optimizer,
			learning_rate: rate(hyper.inner_learning_rate),
		}
	}

	/// Parse and check a checkpoint of this job's model.
	pub fn checkpoint(&self, bytes: &[u8]) -> Result<Delta, JobError> {
		let checkpoint = Delta::from_bytes(bytes).map_err(JobError::CorruptCheckpoint)?;
		if !self.config.fits(&checkpoint) {
			return Err(JobError::CheckpointMismatch);
		}
		Ok(checkpoint)
	}

	/// Train `task` from `checkpoint` (the bytes of `task.checkpoint`) on `dataset`, on
	/// `device`.
	pub fn train(
		&self,
		checkpoint: &[u8],
		dataset: &Dataset,
		task: ShardTask,
		device: &candle_core::Device,
	) -> Result<Trained, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let shard = ShardRef {
			bounty: task.bounty,
			round: task.round,
			shard: task.shard,
			dataset_shard: task.dataset_shard,
			dataset_shards: self.spec.dataset.shards,
		};
		Ok(trainer::train_shard(
			&self.config,
			&self.settings(),
			&checkpoint,
			dataset,
			shard,
			device,
		)?)
	}

	/// The next checkpoint from `checkpoint` and the round's accepted `deltas` (in shard
	/// order), as canonical bytes.
	pub fn next_checkpoint(
		&self,
		checkpoint: &[u8],
		deltas: &[Vec<u8>],
	) -> Result<Vec<u8>, JobError> {
		let checkpoint = self.checkpoint(checkpoint)?;
		let deltas = deltas
			.iter()
			.enumerate()
			.map(|(index, bytes)| {
				Delta::from_bytes(bytes).map_err(|source| JobError::CorruptDelta { index, source })
			})
			.collect::<Result<Vec<_>, _>>()?;
		let combined = aggregate(&deltas, self.spec.aggregation)?;
		if !combined.same_layout(&checkpoint) {
			return Err(JobError::CheckpointMismatch);
		}
		let eta = rate(self.spec.hyper.outer_learning_rate) as f32;
		let values: Vec<f32> =
			checkpoint.values().zip(combined.values()).map(|(w, d)| w + eta * d).collect();
		Ok(checkpoint.with_values(&values).to_bytes())
	}
}
